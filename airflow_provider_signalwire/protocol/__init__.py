"""SignalWire's HTTP rules, shared by the sync hook (requests) and the async hook (aiohttp).

Everything here is pure: no I/O, no HTTP client imports. The transports map their own responses and
exceptions onto these functions, so URL normalisation, retry decisions, ``Retry-After``, next-page
links and error parsing are decided in one place; the retry and paging loops are drivers
(:func:`~.retry.attempts`, :func:`~.paging.pages`) that each transport runs.

- :mod:`.settings`: constants, :class:`SpaceSettings`, :func:`build_settings`.
- :mod:`.redaction`: :class:`Redactor`, :func:`shorten`.
- :mod:`.urls`: paths, bodies, headers, origin and download URL checks, token scopes.
- :mod:`.retry`: :class:`RetryPolicy`, the retry driver, transport failures in words.
- :mod:`.paging`: :class:`Pager` and the paging driver.
- :mod:`.errors`: error bodies, JSON answers, request ids, status hints.
"""

from __future__ import annotations

from airflow_provider_signalwire.protocol.errors import (
    describe_errors as describe_errors,
)
from airflow_provider_signalwire.protocol.errors import (
    parse_error_body as parse_error_body,
)
from airflow_provider_signalwire.protocol.errors import (
    parse_json_answer as parse_json_answer,
)
from airflow_provider_signalwire.protocol.errors import (
    request_id_from as request_id_from,
)
from airflow_provider_signalwire.protocol.errors import (
    status_hint as status_hint,
)
from airflow_provider_signalwire.protocol.paging import (
    LOG_PROGRESS_EVERY as LOG_PROGRESS_EVERY,
)
from airflow_provider_signalwire.protocol.paging import (
    Fetch as Fetch,
)
from airflow_provider_signalwire.protocol.paging import (
    Note as Note,
)
from airflow_provider_signalwire.protocol.paging import (
    Page as Page,
)
from airflow_provider_signalwire.protocol.paging import (
    Pager as Pager,
)
from airflow_provider_signalwire.protocol.paging import (
    PagingError as PagingError,
)
from airflow_provider_signalwire.protocol.paging import (
    next_page_link as next_page_link,
)
from airflow_provider_signalwire.protocol.paging import (
    page_items as page_items,
)
from airflow_provider_signalwire.protocol.paging import (
    page_key as page_key,
)
from airflow_provider_signalwire.protocol.paging import (
    pages as pages,
)
from airflow_provider_signalwire.protocol.paging import (
    rebase_link as rebase_link,
)
from airflow_provider_signalwire.protocol.redaction import (
    Redactor as Redactor,
)
from airflow_provider_signalwire.protocol.redaction import (
    no_redaction as no_redaction,
)
from airflow_provider_signalwire.protocol.redaction import (
    shorten as shorten,
)
from airflow_provider_signalwire.protocol.retry import (
    DNS_TRY_AGAIN as DNS_TRY_AGAIN,
)
from airflow_provider_signalwire.protocol.retry import (
    FAILURE_WORDS as FAILURE_WORDS,
)
from airflow_provider_signalwire.protocol.retry import (
    Failure as Failure,
)
from airflow_provider_signalwire.protocol.retry import (
    Outcome as Outcome,
)
from airflow_provider_signalwire.protocol.retry import (
    RateLimitRule as RateLimitRule,
)
from airflow_provider_signalwire.protocol.retry import (
    Reply as Reply,
)
from airflow_provider_signalwire.protocol.retry import (
    RetryPolicy as RetryPolicy,
)
from airflow_provider_signalwire.protocol.retry import (
    Send as Send,
)
from airflow_provider_signalwire.protocol.retry import (
    Wait as Wait,
)
from airflow_provider_signalwire.protocol.retry import (
    attempts as attempts,
)
from airflow_provider_signalwire.protocol.retry import (
    dns_failure as dns_failure,
)
from airflow_provider_signalwire.protocol.retry import (
    failure_hint as failure_hint,
)
from airflow_provider_signalwire.protocol.retry import (
    failure_reason as failure_reason,
)
from airflow_provider_signalwire.protocol.retry import (
    may_have_acted as may_have_acted,
)
from airflow_provider_signalwire.protocol.retry import (
    parse_retry_after as parse_retry_after,
)
from airflow_provider_signalwire.protocol.retry import (
    retry_delay as retry_delay,
)
from airflow_provider_signalwire.protocol.retry import (
    should_retry as should_retry,
)
from airflow_provider_signalwire.protocol.settings import (
    COMPATIBILITY_PREFIX as COMPATIBILITY_PREFIX,
)
from airflow_provider_signalwire.protocol.settings import (
    DEFAULT_BACKOFF as DEFAULT_BACKOFF,
)
from airflow_provider_signalwire.protocol.settings import (
    DEFAULT_MAX_RESPONSE_BYTES as DEFAULT_MAX_RESPONSE_BYTES,
)
from airflow_provider_signalwire.protocol.settings import (
    DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES,
)
from airflow_provider_signalwire.protocol.settings import (
    DEFAULT_RETRY_BUDGET as DEFAULT_RETRY_BUDGET,
)
from airflow_provider_signalwire.protocol.settings import (
    DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
)
from airflow_provider_signalwire.protocol.settings import (
    IDEMPOTENT_METHODS as IDEMPOTENT_METHODS,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_BACKOFF as MAX_BACKOFF,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_DESCRIBED_ERRORS as MAX_DESCRIBED_ERRORS,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_EMPTY_PAGES as MAX_EMPTY_PAGES,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_ERROR_ENTRIES as MAX_ERROR_ENTRIES,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_PAGE_SIZE as MAX_PAGE_SIZE,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_RETRIES_LIMIT as MAX_RETRIES_LIMIT,
)
from airflow_provider_signalwire.protocol.settings import (
    MAX_RETRY_AFTER as MAX_RETRY_AFTER,
)
from airflow_provider_signalwire.protocol.settings import (
    METHODS as METHODS,
)
from airflow_provider_signalwire.protocol.settings import (
    NOT_ACTED_STATUSES as NOT_ACTED_STATUSES,
)
from airflow_provider_signalwire.protocol.settings import (
    REQUEST_ID_HEADERS as REQUEST_ID_HEADERS,
)
from airflow_provider_signalwire.protocol.settings import (
    RETRYABLE_STATUSES as RETRYABLE_STATUSES,
)
from airflow_provider_signalwire.protocol.settings import (
    SIGNALWIRE_DOMAIN as SIGNALWIRE_DOMAIN,
)
from airflow_provider_signalwire.protocol.settings import (
    USER_AGENT as USER_AGENT,
)
from airflow_provider_signalwire.protocol.settings import (
    ConnectionConfigError as ConnectionConfigError,
)
from airflow_provider_signalwire.protocol.settings import (
    SpaceSettings as SpaceSettings,
)
from airflow_provider_signalwire.protocol.settings import (
    build_settings as build_settings,
)
from airflow_provider_signalwire.protocol.settings import (
    download_host_allowed as download_host_allowed,
)
from airflow_provider_signalwire.protocol.settings import (
    is_loopback as is_loopback,
)
from airflow_provider_signalwire.protocol.settings import (
    normalize_space_url as normalize_space_url,
)
from airflow_provider_signalwire.protocol.settings import (
    parse_download_hosts as parse_download_hosts,
)
from airflow_provider_signalwire.protocol.settings import (
    parse_verify as parse_verify,
)
from airflow_provider_signalwire.protocol.urls import (
    UnsafeURLError as UnsafeURLError,
)
from airflow_provider_signalwire.protocol.urls import (
    check_download_url as check_download_url,
)
from airflow_provider_signalwire.protocol.urls import (
    check_headers as check_headers,
)
from airflow_provider_signalwire.protocol.urls import (
    check_method as check_method,
)
from airflow_provider_signalwire.protocol.urls import (
    check_origin as check_origin,
)
from airflow_provider_signalwire.protocol.urls import (
    encode_body as encode_body,
)
from airflow_provider_signalwire.protocol.urls import (
    encode_fields as encode_fields,
)
from airflow_provider_signalwire.protocol.urls import (
    encode_value as encode_value,
)
from airflow_provider_signalwire.protocol.urls import (
    is_compatibility_path as is_compatibility_path,
)
from airflow_provider_signalwire.protocol.urls import (
    scope_for_path as scope_for_path,
)
from airflow_provider_signalwire.protocol.urls import (
    validate_path as validate_path,
)
