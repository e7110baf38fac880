"""Helpers the test modules import (fixtures are in tests/conftest.py)."""
