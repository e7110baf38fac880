"""SignalWire's HTTP rules, shared by the sync hook (requests) and the async hook (aiohttp).

Everything here is pure: no I/O, no HTTP client imports. The transports map their own responses and
exceptions onto these functions, so URL normalisation, retry decisions, ``Retry-After``, next-page
links and error parsing are decided in one place; the retry and paging loops are drivers
(:func:`~.retry.attempts`, :func:`~.paging.pages`) that each transport runs.

- :mod:`.constants`: limits and defaults (all a DAG file's operators need at parse time).
- :mod:`.settings`: :class:`SpaceSettings`, :func:`build_settings`.
- :mod:`.redaction`: :class:`Redactor`, :func:`shorten`.
- :mod:`.urls`: paths, bodies, headers, origin and download URL checks, token scopes.
- :mod:`.retry`: :class:`RetryPolicy`, the retry driver, transport failures in words.
- :mod:`.paging`: :class:`Pager` and the paging driver.
- :mod:`.errors`: error bodies, JSON answers, request ids, status hints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_signalwire.protocol.constants import (
        COMPATIBILITY_PREFIX,
        DEFAULT_BACKOFF,
        DEFAULT_MAX_RESPONSE_BYTES,
        DEFAULT_MAX_RETRIES,
        DEFAULT_RETRY_BUDGET,
        DEFAULT_TIMEOUT,
        IDEMPOTENT_METHODS,
        MAX_BACKOFF,
        MAX_DESCRIBED_ERRORS,
        MAX_EMPTY_PAGES,
        MAX_ERROR_ENTRIES,
        MAX_PAGE_SIZE,
        MAX_RETRIES_LIMIT,
        MAX_RETRY_AFTER,
        METHODS,
        NOT_ACTED_STATUSES,
        REQUEST_ID_HEADERS,
        RETRYABLE_STATUSES,
        SIGNALWIRE_DOMAIN,
        USER_AGENT,
    )
    from airflow_provider_signalwire.protocol.errors import (
        describe_errors,
        parse_error_body,
        parse_json_answer,
        request_id_from,
        status_hint,
    )
    from airflow_provider_signalwire.protocol.paging import (
        LOG_PROGRESS_EVERY,
        Fetch,
        Note,
        Page,
        Pager,
        PagingError,
        next_page_link,
        page_items,
        page_key,
        pages,
        rebase_link,
    )
    from airflow_provider_signalwire.protocol.redaction import Redactor, no_redaction, shorten
    from airflow_provider_signalwire.protocol.retry import (
        DNS_TRY_AGAIN,
        FAILURE_WORDS,
        Failure,
        Outcome,
        RateLimitRule,
        Reply,
        RetryPolicy,
        Send,
        Wait,
        attempts,
        dns_failure,
        failure_hint,
        failure_reason,
        may_have_acted,
        parse_retry_after,
        retry_delay,
        should_retry,
    )
    from airflow_provider_signalwire.protocol.settings import (
        ConnectionConfigError,
        SpaceSettings,
        build_settings,
        download_host_allowed,
        is_loopback,
        normalize_space_url,
        parse_download_hosts,
        parse_verify,
    )
    from airflow_provider_signalwire.protocol.urls import (
        UnsafeURLError,
        check_download_url,
        check_headers,
        check_method,
        check_origin,
        encode_body,
        encode_fields,
        encode_value,
        is_compatibility_path,
        scope_for_path,
        validate_path,
    )

__all__ = [
    "COMPATIBILITY_PREFIX",
    "DEFAULT_BACKOFF",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_BUDGET",
    "DEFAULT_TIMEOUT",
    "DNS_TRY_AGAIN",
    "FAILURE_WORDS",
    "IDEMPOTENT_METHODS",
    "LOG_PROGRESS_EVERY",
    "MAX_BACKOFF",
    "MAX_DESCRIBED_ERRORS",
    "MAX_EMPTY_PAGES",
    "MAX_ERROR_ENTRIES",
    "MAX_PAGE_SIZE",
    "MAX_RETRIES_LIMIT",
    "MAX_RETRY_AFTER",
    "METHODS",
    "NOT_ACTED_STATUSES",
    "REQUEST_ID_HEADERS",
    "RETRYABLE_STATUSES",
    "SIGNALWIRE_DOMAIN",
    "USER_AGENT",
    "ConnectionConfigError",
    "Failure",
    "Fetch",
    "Note",
    "Outcome",
    "Page",
    "Pager",
    "PagingError",
    "RateLimitRule",
    "Redactor",
    "Reply",
    "RetryPolicy",
    "Send",
    "SpaceSettings",
    "UnsafeURLError",
    "Wait",
    "attempts",
    "build_settings",
    "check_download_url",
    "check_headers",
    "check_method",
    "check_origin",
    "describe_errors",
    "dns_failure",
    "download_host_allowed",
    "encode_body",
    "encode_fields",
    "encode_value",
    "failure_hint",
    "failure_reason",
    "is_compatibility_path",
    "is_loopback",
    "may_have_acted",
    "next_page_link",
    "no_redaction",
    "normalize_space_url",
    "page_items",
    "page_key",
    "pages",
    "parse_download_hosts",
    "parse_error_body",
    "parse_json_answer",
    "parse_retry_after",
    "parse_verify",
    "rebase_link",
    "request_id_from",
    "retry_delay",
    "scope_for_path",
    "shorten",
    "should_retry",
    "status_hint",
    "validate_path",
]


# The names load with their submodule on first use (PEP 562): a DAG file that imports an operator pays
# for what it needs at parse time (constants, redaction), not the connection settings, URL and error
# rules and the retry and paging drivers its hook runs later. Each name loads only the submodule that
# defines it (tests/unit/protocol/test_lazy_protocol.py holds this table to the TYPE_CHECKING imports above).
_DEFINED_IN = {
    "constants": (
        "COMPATIBILITY_PREFIX DEFAULT_BACKOFF DEFAULT_MAX_RESPONSE_BYTES DEFAULT_MAX_RETRIES "
        "DEFAULT_RETRY_BUDGET DEFAULT_TIMEOUT IDEMPOTENT_METHODS MAX_BACKOFF MAX_DESCRIBED_ERRORS "
        "MAX_EMPTY_PAGES MAX_ERROR_ENTRIES MAX_PAGE_SIZE MAX_RETRIES_LIMIT MAX_RETRY_AFTER METHODS "
        "NOT_ACTED_STATUSES REQUEST_ID_HEADERS RETRYABLE_STATUSES SIGNALWIRE_DOMAIN USER_AGENT"
    ),
    "settings": (
        "ConnectionConfigError SpaceSettings build_settings download_host_allowed is_loopback "
        "normalize_space_url parse_download_hosts parse_verify"
    ),
    "redaction": "Redactor no_redaction shorten",
    "urls": (
        "UnsafeURLError check_download_url check_headers check_method check_origin encode_body "
        "encode_fields encode_value is_compatibility_path scope_for_path validate_path"
    ),
    "errors": "describe_errors parse_error_body parse_json_answer request_id_from status_hint",
    "retry": (
        "DNS_TRY_AGAIN FAILURE_WORDS Failure Outcome RateLimitRule Reply RetryPolicy Send Wait attempts "
        "dns_failure failure_hint failure_reason may_have_acted parse_retry_after retry_delay should_retry"
    ),
    "paging": (
        "LOG_PROGRESS_EVERY Fetch Note Page Pager PagingError next_page_link page_items page_key pages "
        "rebase_link"
    ),
}
_HOME = {name: submodule for submodule, names in _DEFINED_IN.items() for name in names.split()}


def __getattr__(name: str) -> Any:
    submodule = _HOME.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = vars(importlib.import_module(f"{__name__}.{submodule}"))[name]
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
