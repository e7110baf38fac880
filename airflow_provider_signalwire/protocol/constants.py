"""SignalWire's limits and defaults as plain constants: what a DAG file's operators check their
arguments against at parse time, without loading the connection settings, URL or error rules."""

from __future__ import annotations

from airflow_provider_signalwire import __version__

USER_AGENT = f"airflow-provider-signalwire/{__version__}"
COMPATIBILITY_PREFIX = "/api/laml/"
SIGNALWIRE_DOMAIN = "signalwire.com"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubles each time
MAX_BACKOFF = 30.0  # cap of one computed backoff
MAX_RETRY_AFTER = 300.0  # cap of one server-requested wait
MAX_PAGE_SIZE = 1000
MAX_RETRIES_LIMIT = 20
MAX_EMPTY_PAGES = 10  # consecutive empty pages that still link onwards: a broken listing
DEFAULT_RETRY_BUDGET = 300.0  # seconds one call may spend waiting between retries, in total
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # cap of one JSON answer (streamed downloads are not capped)
MAX_ERROR_ENTRIES = 20  # error-body entries kept on an exception
MAX_DESCRIBED_ERRORS = 3  # error-body entries spelled out in its message

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that say the server did not act on the request, so even a POST may be sent again.
NOT_ACTED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"})

# Response headers that may carry a request id, most specific first.
REQUEST_ID_HEADERS = ("x-request-id", "x-signalwire-request-id", "request-id", "x-correlation-id", "cf-ray")
