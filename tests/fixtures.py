"""Constants shared by the test modules (imported, unlike conftest.py, which pytest loads itself)."""

from __future__ import annotations

PROJECT = "0a1b2c3d-0000-4000-8000-00000000abcd"
TOKEN = "PTtesttoken0123456789abcdefSECRET"
