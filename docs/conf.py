"""Sphinx configuration: the provider's documentation site (``make docs``, offline, warnings are errors)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# autodoc imports the package, and with it Airflow: keep Airflow's files out of the user's home.
os.environ.setdefault("AIRFLOW_HOME", str(REPO / "build" / "docs-airflow-home"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")

from airflow_provider_signalwire import __version__  # noqa: E402

project = "airflow-provider-signalwire"
author = "The airflow-provider-signalwire authors"
copyright = "2026, " + author
version = release = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
# The docs describe this package: Airflow's own classes are referred to by name, not documented here.
autodoc_inherit_docstrings = False

html_theme = "furo"
html_title = f"SignalWire provider for Apache Airflow {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
