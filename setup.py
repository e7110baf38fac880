"""What setup.cfg cannot say: the example DAGs ship as ``airflow_provider_signalwire.example_dags``.

They live in the top-level ``dags_examples/`` (where users and the e2e tests look for them);
``package_dir`` maps that folder into the package, so the wheel carries them and ``python -m
airflow_provider_signalwire.testing demo`` finds them in an installed package too. Everything else
is in setup.cfg.
"""

from __future__ import annotations

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["airflow_provider_signalwire", "airflow_provider_signalwire.*"]),
        "airflow_provider_signalwire.example_dags",
    ],
    package_dir={"airflow_provider_signalwire.example_dags": "dags_examples"},
)
