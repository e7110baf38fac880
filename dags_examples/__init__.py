"""Installed as a subpackage of the provider: setup.cfg maps it ([options] package_dir)."""
