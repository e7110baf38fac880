"""DAG files are parsed constantly: the transfer operators import no HTTP client or filesystem layer."""

from __future__ import annotations

import subprocess
import sys


def test_transfer_modules_are_cheap_to_import():
    code = (
        "import sys\n"
        "from airflow.providers.common.compat.sdk import BaseOperator\n"
        "before = set(sys.modules)\n"  # what Airflow itself loads (Airflow 2 imports requests)
        "import airflow_provider_signalwire.transfers.logs\n"
        "heavy = [m for m in ('aiohttp', 'requests', 'fsspec', 'upath', 'fastapi', 'uvicorn', "
        "'airflow_provider_signalwire.hooks.signalwire', 'airflow.sdk.io.path', 'airflow.io.path') "
        "if m in sys.modules and m not in before]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
