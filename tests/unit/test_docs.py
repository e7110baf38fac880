"""The documentation site (docs/) is complete: every public operator, sensor, notifier, transfer and hook
class has a how-to section, every example DAG is included (between its [START]/[END] markers, never
pasted) on a page that is in the navigation, and the provider info's how-to links point at pages that
exist. ``make docs`` builds the site with warnings as errors; test_docstrings.py holds each class's
``:param:`` list to its signature.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.common.compat.sdk import BaseHook, BaseOperator

import airflow_provider_signalwire
from airflow_provider_signalwire.get_provider_info import get_provider_info

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
EXAMPLES = REPO / "dags_examples"
# Pages that are not how-to guides: a class named only there has no how-to section.
NOT_HOW_TO = {"api.md", "changelog.md", "benchmarks.md", "architecture.md", "development.md", "index.md"}
PACKAGES = ("operators", "sensors", "notifications", "transfers", "hooks")
INCLUDE = re.compile(
    r"```\{literalinclude\} \.\./dags_examples/(?P<file>\w+\.py)\n(?P<options>(?::[^\n]*\n)*)```", re.M
)


def public_classes() -> list[type]:
    """Every public class users put in DAGs: operators, sensors, notifiers, transfers and hooks."""
    found: dict[str, type] = {}
    for package in PACKAGES:
        pkg = importlib.import_module(f"{airflow_provider_signalwire.__name__}.{package}")
        for info in pkgutil.iter_modules(pkg.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for name, cls in vars(module).items():
                if (
                    inspect.isclass(cls)
                    and cls.__module__ == module.__name__
                    and not name.startswith("_")
                    and issubclass(cls, BaseOperator | BaseNotifier | BaseHook)
                ):
                    found[name] = cls
    return [found[k] for k in sorted(found)]


def how_to_pages() -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")) if p.name not in NOT_HOW_TO
    }


def in_navigation() -> set[str]:
    """The pages the index's toctrees list (Sphinx warns about the others; this names them early)."""
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for tree in re.findall(r"```\{toctree\}\n(.*?)```", index, re.S):
        names |= {
            f"{line.strip()}.md" for line in tree.splitlines() if line.strip() and not line.startswith(":")
        }
    return names


CLASSES = public_classes()
PAGES = how_to_pages()


def test_the_checks_see_every_kind_of_class() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {
        "SignalWireHook",
        "SignalWireAsyncHook",
        "SignalWireNotifier",
        "SignalWireLogsToStorageOperator",
    } <= names
    assert {"ListVideoRoomsOperator", "MessageStatusSensor", "SignalWireAPIOperator"} <= names
    assert len(CLASSES) > 35


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_public_class_has_a_how_to_section(cls: type) -> None:
    """Named as code (```Name``` or ```Name(...)```) on a how-to page, not only in the API reference."""
    pattern = re.compile(rf"[`.]{cls.__name__}[`(]")
    pages = [name for name, text in PAGES.items() if pattern.search(text)]
    assert pages, f"{cls.__name__} has no how-to section: name it in the docs page of its family (docs/*.md)"


def test_every_page_is_in_the_navigation() -> None:
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= in_navigation(), (
        f"pages no toctree of docs/index.md lists: {sorted(pages - in_navigation())}"
    )


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("signalwire_*.py")))
def test_every_example_dag_is_included_between_its_markers(example: str) -> None:
    source = (EXAMPLES / example).read_text(encoding="utf-8")
    name = example.removesuffix(".py")
    start, end = f"# [START howto_{name}]", f"# [END howto_{name}]"
    assert source.count(start) == 1 and source.count(end) == 1, (
        f"{example}: add the markers {start!r} / {end!r}"
    )
    assert source.index(start) < source.index(end)
    includes = [
        (page, m.group("options"))
        for page, text in PAGES.items()
        for m in INCLUDE.finditer(text)
        if m.group("file") == example
    ]
    assert includes, f"{example} is on no how-to page: include it with {{literalinclude}} between its markers"
    for page, options in includes:
        assert f'start-after: "[START howto_{name}]"' in options, (page, options)
        assert f'end-before: "[END howto_{name}]"' in options, (page, options)


def test_provider_info_how_to_links_point_at_pages() -> None:
    info = get_provider_info()
    guides = [g for i in info["integrations"] for g in i.get("how-to-guide", [])]
    guides += [t["how-to-guide"] for t in info["transfers"] if "how-to-guide" in t]
    assert guides
    missing = [g for g in guides if not (REPO / g.lstrip("/")).is_file()]
    assert not missing, f"how-to-guide paths with no page: {missing}"
    assert {f"/docs/{name}" for name in PAGES} - {
        "/docs/install.md",
        "/docs/security.md",
        "/docs/fake-space.md",
        "/docs/deploying.md",
    } <= set(guides), "a how-to page is missing from get_provider_info's how-to-guide list"


def test_the_hook_docstring_link_has_its_target() -> None:
    """The hook's docstring refers to ``howto/connection:signalwire``; the connection page defines it."""
    assert "(howto/connection:signalwire)=" in (DOCS / "connection.md").read_text(encoding="utf-8")


def test_the_api_reference_documents_every_registered_module() -> None:
    """Each module get_provider_info registers (hooks, operators, sensors, triggers, transfers) has its
    ``automodule`` in docs/api.md."""
    info = get_provider_info()
    modules = {
        m
        for kind in ("hooks", "operators", "sensors", "triggers")
        for i in info[kind]
        for m in i["python-modules"]
    }
    modules |= {t["python-module"] for t in info["transfers"]}
    modules |= {n.rsplit(".", 1)[0] for n in info["notifications"]}
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = sorted(m for m in modules if f".. automodule:: {m}\n" not in api)
    assert not missing, f"modules without an automodule in docs/api.md: {missing}"
