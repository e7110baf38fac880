"""Every operator, sensor, notifier, transfer and hook documents its arguments as its signature has them.

The docstrings are the API reference of the documentation site (docs/api.md): each ``:param x:``
names an argument of ``__init__`` (or of the SignalWire base class it passes ``**kwargs`` to, or a
setting it takes through ``**kwargs`` as a template field), every argument of its own ``__init__`` is
documented, a template field's entry says "templated" and no other entry does, and every operator
says what it returns (its XCom).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest
from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.common.compat.sdk import BaseHook, BaseOperator

import airflow_provider_signalwire

PACKAGES = ("operators", "sensors", "notifications", "transfers", "hooks")
PARAM = re.compile(r"^\s*:param (\w+):(.*?)(?=^\s*:(?:param|return|returns|raises|ivar)\b|\Z)", re.M | re.S)


def _classes() -> list[type]:
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
                    found[f"{module.__name__}.{name}"] = cls
    return [found[k] for k in sorted(found)]


# Bases whose subclasses' docstrings list the arguments (each subclass passes them on unchanged).
DOCUMENTED_BY_SUBCLASSES = {"SignalWireBaseHook"}
CLASSES = _classes()


def _own_params(cls: type) -> set[str]:
    init = cls.__dict__.get("__init__")
    if init is None:
        return set()
    return {
        name
        for name, p in inspect.signature(init).parameters.items()
        if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


def _inherited_params(cls: type) -> set[str]:
    """Arguments of the base classes (``signalwire_conn_id``, ``poke_interval`` ...), passed on as kwargs."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        names |= _own_params(base)
    return names


def _documented(cls: type) -> dict[str, str]:
    return {name: " ".join(text.split()) for name, text in PARAM.findall(inspect.getdoc(cls) or "")}


def test_every_public_class_is_checked():
    names = {cls.__name__ for cls in CLASSES}
    assert {"SendMessageOperator", "CreateVideoRoomOperator", "SignalWireNotifier"} <= names, names
    assert len(CLASSES) > 30


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_param_entries_match_the_signature(cls):
    documented = _documented(cls)
    own = _own_params(cls) if cls.__name__ not in DOCUMENTED_BY_SUBCLASSES else set()
    template_fields = set(getattr(cls, "template_fields", ()))
    missing = sorted(own - set(documented))
    assert not missing, f"{cls.__name__}: arguments without a :param: entry: {missing}"
    unknown = sorted(set(documented) - own - _inherited_params(cls) - template_fields - {"settings"})
    assert not unknown, f"{cls.__name__}: :param: entries that are no argument: {unknown}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_template_fields_are_marked_templated(cls):
    template_fields = set(getattr(cls, "template_fields", ()))
    documented = _documented(cls)
    unmarked = sorted(n for n in template_fields & set(documented) if "templated" not in documented[n])
    assert not unmarked, f"{cls.__name__}: template fields not marked (templated): {unmarked}"
    wrong = sorted(n for n, text in documented.items() if "(templated" in text and n not in template_fields)
    assert not wrong, f"{cls.__name__}: marked (templated) but not a template field: {wrong}"
    # Settings taken through ``**kwargs`` may share one entry, but each is named in the docstring.
    doc = inspect.getdoc(cls) or ""
    unnamed = sorted(n for n in template_fields if n not in documented and f"``{n}``" not in doc)
    assert not unnamed, f"{cls.__name__}: template fields the docstring does not name: {unnamed}"


@pytest.mark.parametrize(
    "cls",
    [c for c in CLASSES if issubclass(c, BaseOperator) and "execute" in vars(c)],
    ids=lambda c: c.__name__,
)
def test_operators_say_what_they_return(cls):
    doc = inspect.getdoc(cls) or ""
    assert re.search(r"^\s*:returns?:", doc, re.M), f"{cls.__name__}: no :return: entry (its XCom)"
