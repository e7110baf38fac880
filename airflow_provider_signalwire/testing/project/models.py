"""The Project family's backend.  API tokens live in the space's :class:`~..auth.TokenStore`, which
authentication reads; this backend only names the family."""

from __future__ import annotations

from airflow_provider_signalwire.testing.core import Backend


class ProjectBackend(Backend):
    name = "project"


BACKEND = ProjectBackend
