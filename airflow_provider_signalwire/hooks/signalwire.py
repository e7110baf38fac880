"""The SignalWire hook: one place for connection settings, the HTTP session, retries and paging."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_signalwire.exceptions import (
    SignalWireAPIError,
    SignalWireConfigError,
    SignalWirePaginationError,
)
from airflow_provider_signalwire.get_provider_info import (
    CONN_FIELDS,
    CONN_TYPE,
    HOOK_NAME,
    UI_FIELD_BEHAVIOUR,
)
from airflow_provider_signalwire.protocol import (
    DEFAULT_BACKOFF,
    FAILURE_WORDS,
    MAX_EMPTY_PAGES,
    MAX_PAGE_SIZE,
    USER_AGENT,
    ConnectionConfigError,
    Failure,
    SpaceSettings,
    build_settings,
    check_method,
    encode_body,
    encode_fields,
    failure_hint,
    is_compatibility_path,
    next_page_link,
    page_items,
    parse_error_body,
    rebase_link,
    request_id_from,
    retry_delay,
    should_retry,
    status_hint,
    validate_path,
)

LOG_PROGRESS_EVERY = 10  # pages


def classify_requests_error(exc: requests.exceptions.RequestException) -> Failure:
    """Map a requests exception onto :class:`Failure` (did the request certainly not reach the server?)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure("tls", sent=False)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure("connect", sent=False)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Failure("timeout", sent=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        from urllib3.exceptions import NewConnectionError  # also covers NameResolutionError

        if any(isinstance(cause, NewConnectionError | ConnectionRefusedError) for cause in _causes(exc)):
            return Failure("connect", sent=False)
    return Failure("dropped", sent=True)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest them in args and .reason)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])


class SignalWireHook(BaseHook):
    """
    Talk to a SignalWire space: REST (``/api/*``) and Compatibility (``/api/laml/...``) APIs.

    The connection gives the Space URL (host), Project ID (login) and API Token (password), and the
    extras ``timeout``, ``max_retries`` and ``verify``. One ``requests.Session`` per hook is reused for
    every call and page. Failed calls are retried with backoff when that is safe: idempotent calls on
    429/5xx and connection errors; POST and PATCH only when SignalWire certainly did not act.

    :param signalwire_conn_id: The :ref:`SignalWire connection <howto/connection:signalwire>` to use.
    :param timeout: Seconds to wait for one answer; overrides the connection's ``timeout``.
    :param max_retries: Retries after a retryable failure; overrides the connection's ``max_retries``.
    :param retry_backoff: Seconds before the first retry when the server gives no ``Retry-After``;
        doubles with each retry (with jitter), capped at 30 s.
    :param method: HTTP method used by :meth:`run`, for ``HttpOperator`` pointed at a signalwire
        connection. Other ``HttpOperator`` hook arguments (``auth_type``, ``tcp_keep_alive*``) are
        accepted and ignored: authentication always comes from the connection.
    """

    conn_name_attr = "signalwire_conn_id"
    default_conn_name = "signalwire_default"
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(
        self,
        signalwire_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry_backoff: float = DEFAULT_BACKOFF,
        method: str = "GET",
        **http_operator_kwargs: Any,
    ) -> None:
        super().__init__()
        self.signalwire_conn_id = signalwire_conn_id
        self._timeout = timeout
        self._max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.method = (method or "GET").upper()
        unknown = set(http_operator_kwargs) - {
            "auth_type",
            "tcp_keep_alive",
            "tcp_keep_alive_idle",
            "tcp_keep_alive_count",
            "tcp_keep_alive_interval",
        }
        if unknown:
            raise TypeError(f"SignalWireHook got unexpected arguments: {', '.join(sorted(unknown))}")
        self._sleep: Callable[[float], None] = time.sleep

    # ------------------------------------------------------------------ connection form (Airflow 2)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the Airflow 2 connection form (Airflow 3 reads ``conn-fields`` instead)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField
        from wtforms.validators import Optional

        return {
            name: StringField(
                lazy_gettext(spec["label"]),
                widget=BS3TextFieldWidget(),
                description=spec["description"],
                validators=[Optional()],
                default=str(spec["schema"]["default"]),
            )
            for name, spec in CONN_FIELDS.items()
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Labels, hidden fields and placeholders of the Airflow 2 connection form."""
        placeholders = dict(UI_FIELD_BEHAVIOUR["placeholders"])
        placeholders.update({name: str(spec["schema"]["default"]) for name, spec in CONN_FIELDS.items()})
        return {
            "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
            "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
            "placeholders": placeholders,
        }

    # ------------------------------------------------------------------ settings and session

    @cached_property
    def settings(self) -> SpaceSettings:
        """The connection, validated; raises :class:`SignalWireConfigError` naming the bad field."""
        conn = self.get_connection(self.signalwire_conn_id)
        try:
            settings = build_settings(conn.host, conn.login, conn.password, conn.extra_dejson, conn.port)
        except ConnectionConfigError as err:
            raise SignalWireConfigError(f"SignalWire connection '{self.signalwire_conn_id}': {err}") from None
        # Mask the token and everything derived from it before anything can log them.
        mask_secret(settings.api_token)
        basic = base64.b64encode(f"{settings.project_id}:{settings.api_token}".encode()).decode()
        mask_secret(basic)
        mask_secret(f"Basic {basic}")
        overrides: dict[str, Any] = {}
        if self._timeout is not None:
            overrides["timeout"] = float(self._timeout)
        if self._max_retries is not None:
            overrides["max_retries"] = int(self._max_retries)
        if isinstance(settings.verify, str) and not os.path.exists(settings.verify):
            raise SignalWireConfigError(
                f"SignalWire connection '{self.signalwire_conn_id}': extra field 'verify' is "
                f"{settings.verify!r}, which is not a file: give the path of a PEM CA bundle, or true."
            )
        if overrides:
            settings = replace(settings, **overrides)
        return settings

    @property
    def base_url(self) -> str:
        """``https://<space>``, normalised, without a trailing slash."""
        return self.settings.base_url

    @cached_property
    def session(self) -> requests.Session:
        """The one HTTP session of this hook (keep-alive across calls and pages)."""
        settings = self.settings
        session = requests.Session()
        session.auth = (settings.project_id, settings.api_token)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        return session

    def get_conn(self) -> requests.Session:
        return self.session

    def close(self) -> None:
        if "session" in self.__dict__:
            self.session.close()
            del self.__dict__["session"]

    # ------------------------------------------------------------------ public API

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
    ) -> Any:
        """
        Call one SignalWire endpoint and return its parsed JSON (None for 204 or an empty body).

        Dict bodies are sent as JSON to ``/api/*`` and form-encoded to the Compatibility API
        (``/api/laml/...``), as each expects; a ``str``/``bytes`` ``data`` is sent as it is.

        :param method: HTTP method.
        :param path: API path such as ``/api/video/rooms`` (never a full URL).
        :param params: Query parameters.
        :param json: Request body (either this or ``data``).
        :param data: Request body (either this or ``json``).
        :raises SignalWireAPIError: on an error answer or when SignalWire cannot be reached.
        """
        method = check_method(method)
        path = validate_path(path)
        body_kwargs = encode_body(path, json=json, data=data)
        headers = body_kwargs.pop("headers", None)
        response = self._send(method, self.base_url + path, params=params, headers=headers, **body_kwargs)
        return _parse_body(response)

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[Any]:
        """
        Yield every item of a list endpoint, page by page.

        ``/api/*`` lists follow ``links.next``; Compatibility lists follow ``next_page_uri`` and yield
        the items under the resource key (``messages``, ``calls`` ...). Each next link is re-based onto
        the configured space, so credentials never go to a host a link names; a link that repeats
        stops the listing with an error. A failing page is retried on its own.

        :param path: API path of the list.
        :param params: Query parameters (filters) for the first page; later pages use the next link.
        :param page_size: Items per page (1 to 1000); sent as ``page_size`` or ``PageSize``.
        :param max_items: Stop after this many items.
        """
        path = validate_path(path)
        compat = is_compatibility_path(path)
        query = dict(params or {})
        if page_size is not None:
            if (
                isinstance(page_size, bool)
                or not isinstance(page_size, int)
                or not 1 <= page_size <= MAX_PAGE_SIZE
            ):
                raise ValueError(
                    f"page_size is {page_size!r}: it must be a whole number from 1 to {MAX_PAGE_SIZE}."
                )
            query["PageSize" if compat else "page_size"] = page_size
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ValueError(f"max_items is {max_items!r}: it must be a whole number, 0 or more.")
        if max_items == 0:
            return
        url: str | None = self.base_url + path
        request_params: Mapping[str, Any] | None = query
        seen: set[str] = set()
        pages = items = empty_pages = 0
        while url:
            response = self._send("GET", url, params=request_params)
            seen.add(response.url)
            body = _parse_body(response)
            try:
                page = page_items(body, path)
            except ValueError as err:
                raise SignalWirePaginationError(method="GET", url=response.url, reason=str(err)) from None
            pages += 1
            for item in page:
                yield item
                items += 1
                if max_items is not None and items >= max_items:
                    self.log.info(
                        "Listed %d items of %s in %d pages (max_items reached).", items, path, pages
                    )
                    return
            link = next_page_link(body, path)
            if not link:
                break
            empty_pages = 0 if page else empty_pages + 1
            if empty_pages >= MAX_EMPTY_PAGES:
                raise SignalWirePaginationError(
                    method="GET",
                    url=response.url,
                    reason=f"{empty_pages} empty pages in a row still link to a next page",
                    hint="The listing does not end; it was stopped instead of fetching forever",
                )
            next_url, moved = rebase_link(link, self.base_url, response.url)
            # Compare as requests will send it (it re-quotes), so a repeat is recognised.
            next_url = requests.Request("GET", next_url).prepare().url or next_url
            if moved:
                self.log.warning(
                    "Next-page link of %s names another host; asking the configured space instead.", path
                )
            if next_url in seen:
                raise SignalWirePaginationError(
                    method="GET",
                    url=next_url,
                    reason=f"the next-page link repeats a page already fetched (after {pages} pages)",
                    hint="SignalWire sent a paging loop; the listing was stopped instead of fetching forever",
                )
            url, request_params = next_url, None
            if pages % LOG_PROGRESS_EVERY == 0:
                self.log.info("Listing %s: %d pages, %d items so far.", path, pages, items)
        self.log.info("Listed %d items of %s in %d pages.", items, path, pages)

    def test_connection(self) -> tuple[bool, str]:
        """One cheap authenticated GET (the project's Compatibility account); never shows the token."""
        try:
            settings = self.settings
            account = self.request("GET", f"/api/laml/2010-04-01/Accounts/{settings.project_id}")
        except (SignalWireAPIError, SignalWireConfigError) as err:
            return False, str(err)
        except Exception as err:  # anything else, still without secrets
            return False, f"SignalWire connection test failed: {type(err).__name__}: {err}"
        name = account.get("friendly_name") if isinstance(account, dict) else None
        named = f" ({name})" if name else ""
        return True, f"Connected to SignalWire space {settings.host}{named}, project {settings.project_id}."

    # ------------------------------------------------------------------ HttpOperator compatibility

    def run(
        self,
        endpoint: str | None = None,
        data: Any = None,
        headers: Mapping[str, Any] | None = None,
        extra_options: Mapping[str, Any] | None = None,
        **request_kwargs: Any,
    ) -> requests.Response:
        """
        ``HttpHook.run`` for ``HttpOperator(http_conn_id=<a signalwire connection>)``.

        Sends ``self.method`` to ``endpoint`` on the space with this hook's auth, retries and error
        handling, and returns the ``requests.Response``. GET sends ``data`` as the query string;
        other methods as the body. ``extra_options`` may hold ``check_response`` (default True);
        connection extras are never turned into headers.
        """
        options = dict(extra_options or {})
        check = bool(options.pop("check_response", True))
        if options:
            self.log.debug("Ignoring HttpOperator extra_options %s.", sorted(options))
        if not endpoint:
            raise ValueError("endpoint is empty: give an API path such as 'api/video/rooms'.")
        path = validate_path(endpoint)
        clean_headers = {
            k: v for k, v in (headers or {}).items() if k.lower() not in ("authorization", "host", "cookie")
        }
        if len(clean_headers) != len(headers or {}):
            self.log.warning(
                "Dropped Authorization/Host/Cookie headers: credentials come from the connection."
            )
        method = check_method(self.method)
        kwargs: dict[str, Any] = {}
        if method in ("GET", "HEAD"):
            kwargs["params"] = data
        else:
            kwargs.update(encode_body(path, json=request_kwargs.pop("json", None), data=data))
            clean_headers = {**kwargs.pop("headers", {}), **clean_headers}
        if request_kwargs:
            self.log.debug("Ignoring HttpOperator request_kwargs %s.", sorted(request_kwargs))
        return self._send(method, self.base_url + path, headers=clean_headers, check=check, **kwargs)

    def run_with_advanced_retry(self, _retry_args: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        """``HttpHook.run_with_advanced_retry``: :meth:`run` wrapped in ``tenacity.Retrying``."""
        import tenacity

        return tenacity.Retrying(**_retry_args)(self.run, *args, **kwargs)

    # ------------------------------------------------------------------ transport

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> requests.Response:
        """Send one request with retries; raise :class:`SignalWireAPIError` on failure (if ``check``)."""
        settings = self.settings
        max_retries = settings.max_retries
        timeout = (min(10.0, settings.timeout), settings.timeout)
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=encode_fields(params) if isinstance(params, Mapping) else params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    # Per request: REQUESTS_CA_BUNDLE would otherwise override a session-level value.
                    verify=settings.verify,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as exc:
                failure = classify_requests_error(exc)
                if attempt <= max_retries and should_retry(method, failure=failure):
                    self._wait(attempt, max_retries, method, url, FAILURE_WORDS[failure.kind], None)
                    continue
                raise self._transport_error(method, url, failure, exc, attempt) from exc
            elapsed = time.monotonic() - started
            self.log.debug("%s %s -> %s (%.2fs)", method, response.url, response.status_code, elapsed)
            status = response.status_code
            if attempt <= max_retries and should_retry(method, status=status):
                retry_after = response.headers.get("Retry-After")
                response.close()
                self._wait(attempt, max_retries, method, url, f"HTTP {status}", retry_after)
                continue
            if check and (status >= 400 or 300 <= status < 400):
                raise self._status_error(method, response, attempt)
            return response

    def _wait(
        self, attempt: int, max_retries: int, method: str, url: str, why: str, retry_after: str | None
    ) -> None:
        delay = retry_delay(attempt, retry_after, backoff=self.retry_backoff)
        self.log.warning(
            "SignalWire %s %s: %s; retry %d of %d in %.1fs.", method, url, why, attempt, max_retries, delay
        )
        self._sleep(delay)

    def _status_error(self, method: str, response: requests.Response, attempts: int) -> SignalWireAPIError:
        return SignalWireAPIError(
            method=method,
            url=response.url,
            status_code=response.status_code,
            reason=response.reason,
            errors=parse_error_body(response.content),
            request_id=request_id_from(response.headers),
            hint=status_hint(
                response.status_code,
                urlsplit(response.url).path,
                self.settings.host,
                response.headers.get("Location"),
            ),
            attempts=attempts,
        )

    def _transport_error(
        self, method: str, url: str, failure: Failure, exc: Exception, attempts: int
    ) -> SignalWireAPIError:
        return SignalWireAPIError(
            method=method,
            url=url,
            reason=f"{FAILURE_WORDS[failure.kind]} ({type(exc).__name__})",
            hint=failure_hint(failure, method, self.settings.host),
            attempts=attempts,
        )


def _parse_body(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type or response.content[:1] in (b"{", b"["):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text
