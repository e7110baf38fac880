"""The Project family: API tokens (``/api/project/tokens`` and the Compatibility API's ``/tokens``)."""
