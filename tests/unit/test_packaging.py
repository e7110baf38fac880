"""setup.cfg names every package (find: cannot map the example DAGs in): a new subpackage must be added
there, or the wheel ships without it (make wheel-check finds that too, but only when it runs)."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _options() -> configparser.SectionProxy:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "setup.cfg")
    return config["options"]


def test_setup_cfg_lists_every_package():
    listed = set(_options()["packages"].split())
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "airflow_provider_signalwire").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    on_disk.add("airflow_provider_signalwire.example_dags")
    assert sorted(on_disk - listed) == [], "add these to [options] packages in setup.cfg"
    assert sorted(listed - on_disk) == [], "remove these from [options] packages in setup.cfg"


def test_the_example_dags_ship_as_a_subpackage():
    mapping = dict(line.split("=") for line in _options()["package_dir"].split("\n") if line.strip())
    assert {k.strip(): v.strip() for k, v in mapping.items()} == {
        "airflow_provider_signalwire.example_dags": "dags_examples"
    }
    assert (ROOT / "dags_examples" / "__init__.py").is_file()
