"""Installed as a subpackage of the provider: see setup.py."""
