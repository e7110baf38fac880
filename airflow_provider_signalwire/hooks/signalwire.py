"""The SignalWire hook: one place for connection settings, the HTTP session, retries and paging."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.cookies
import requests.structures
import urllib3.exceptions

from airflow_provider_signalwire.hooks import _connection_form
from airflow_provider_signalwire.hooks._requests_transport import (
    _DEADLINE,
    READ_CHUNK,
    _AnswerTooLarge,
    _ConnectionAuth,
    _DeadlineAdapter,
    _NoAuth,
    _NoCookies,
    _read_capped,
    _Redacted,
    classify_requests_error,
    reply_of,
    run_attempts,
)
from airflow_provider_signalwire.hooks.base import SignalWireBaseHook, mask_once, where_this_runs
from airflow_provider_signalwire.protocol import (
    LOG_PROGRESS_EVERY,
    USER_AGENT,
    Fetch,
    Outcome,
    RateLimitRule,
    Reply,
    SpaceSettings,
    UnsafeURLError,
    Wait,
    attempts,
    check_download_url,
    check_headers,
    check_method,
    check_origin,
    download_host_allowed,
    encode_body,
    encode_fields,
    validate_path,
)

__all__ = ["LOG_PROGRESS_EVERY", "READ_CHUNK", "Download", "SignalWireHook", "classify_requests_error"]

# Hook arguments HttpOperator passes that mean nothing here: authentication comes from the connection.
_HTTP_OPERATOR_HOOK_ARGS = frozenset(
    {"auth_type", "tcp_keep_alive", "tcp_keep_alive_idle", "tcp_keep_alive_count", "tcp_keep_alive_interval"}
)
# Headers HttpOperator users may pass that must never override the connection's credentials or origin.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "host", "cookie"})
# A URL requests' preparation leaves exactly as it is (ASCII; no percent sign to normalise, no bracket
# or other character to quote, no fragment, no empty query): such GETs skip rebuilding it through
# requests.Request (every next page of a listing). tests/unit/hooks/test_prepared_get.py holds the cases.
_PREPARED_AS_IS = r"^[A-Za-z0-9\-._~:/?@!$&'()*+,;=]*(?<!\?)\Z"


@dataclass
class Download:
    """An open download: ``chunks`` yields the (decoded) body; ``size`` is its announced length, if
    any: None when the body is content-encoded (gzip ...), whose ``Content-Length`` counts encoded bytes."""

    url: str
    size: int | None
    content_type: str | None
    chunks: Iterator[bytes]


class SignalWireHook(SignalWireBaseHook):
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
    :param retry_budget: Seconds one call may spend waiting between retries in total (default 300),
        so ``Retry-After`` answers cannot hold a worker slot for long.
    :param max_response_bytes: Largest JSON answer accepted (default 64 MB); a larger or endless
        answer fails the call.
    :param method: HTTP method used by :meth:`run`, for ``HttpOperator`` pointed at a signalwire
        connection. Other ``HttpOperator`` hook arguments (``auth_type``, ``tcp_keep_alive*``) are
        accepted and ignored: authentication always comes from the connection.
    """

    def __init__(
        self,
        signalwire_conn_id: str = SignalWireBaseHook.default_conn_name,
        *,
        method: str = "GET",
        **kwargs: Any,
    ) -> None:
        http_operator_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _HTTP_OPERATOR_HOOK_ARGS}
        super().__init__(signalwire_conn_id, **kwargs)
        self.method = (method or "GET").upper()
        if http_operator_kwargs:
            self.log.debug("Ignoring HttpOperator hook arguments %s.", sorted(http_operator_kwargs))
        self._sleep: Callable[[float], None] = time.sleep

    # ------------------------------------------------------------------ connection form (Airflow 2)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the Airflow 2 connection form (Airflow 3 reads ``conn-fields``)."""
        return _connection_form.connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Labels, hidden fields and placeholders of the Airflow 2 connection form."""
        return _connection_form.ui_field_behaviour()

    # ------------------------------------------------------------------ settings and session

    @cached_property
    def settings(self) -> SpaceSettings:
        """The connection, validated; raises :class:`SignalWireConfigError` naming the bad field."""
        return self._settings_from(self.get_connection(self.signalwire_conn_id))

    @property
    def base_url(self) -> str:
        """``https://<space>``, normalised, without a trailing slash."""
        return self.settings.base_url

    @property
    def session(self) -> requests.Session:
        """The one HTTP session of this hook (keep-alive across calls and pages), in this process.

        Sessions are per process: a hook used before a fork (Celery's prefork pool forks after DAG
        files are imported) opens its own connections in the child; the parent's pooled sockets are
        dropped there, never used or closed (closing them would cut the parent's connections).
        """
        return self._per_process("session", self._new_session)

    def _per_process(self, name: str, make: Callable[[], requests.Session]) -> requests.Session:
        pid = os.getpid()
        held = self._sessions.get(name)
        if held is None or held[0] != pid:
            held = self._sessions[name] = (pid, make())
        return held[1]

    @cached_property
    def _sessions(self) -> dict[str, tuple[int, requests.Session]]:
        return {}

    def _new_session(self) -> requests.Session:
        settings = self.settings
        session = requests.Session()
        session.auth = _ConnectionAuth(settings.authorization)
        # Stateless, as the async hook: a Set-Cookie from one answer is never sent with a later request.
        session.cookies.set_policy(_NoCookies())
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        adapter = _DeadlineAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @cached_property
    def _send_settings(self) -> dict[str, Any]:
        """Proxies, CA bundle and streaming for every request, resolved from the environment once.

        requests re-reads them (proxy variables, ``REQUESTS_CA_BUNDLE``) on every request otherwise;
        every request goes to the one space, so once per hook is enough. ``verify`` is explicit, so a
        CA bundle in the connection's ``verify`` extra wins over ``REQUESTS_CA_BUNDLE``.
        """
        settings = self.settings
        merged = self.session.merge_environment_settings(
            settings.base_url + "/", {}, True, settings.verify, None
        )
        return dict(merged)

    def get_conn(self) -> requests.Session:
        return self.session

    def with_api_token(self, api_token: str) -> SignalWireHook:
        """A hook on the same space and settings that authenticates with another API token of the
        project (a token just created, to verify it before it replaces the connection's).  The token
        and everything derived from it are masked at once."""
        settings = replace(self.settings, api_token=api_token)
        mask_once(settings.secrets)
        other = SignalWireHook(
            self.signalwire_conn_id,
            retry_backoff=self.retry_backoff,
            retry_budget=self.retry_budget,
            max_response_bytes=self.max_response_bytes,
        )
        other.__dict__["settings"] = settings  # the cached property, never read from the connection
        other._sleep = self._sleep
        return other

    def close(self) -> None:
        self.__dict__.pop("_get_headers", None)
        pid = os.getpid()
        for held_by, session in self.__dict__.pop("_sessions", {}).values():
            if held_by == pid:  # another process's sessions are its own to close
                session.close()

    @property
    def download_session(self) -> requests.Session:
        """A session for file hosts (recording downloads): never carries the space's credentials; per
        process, as :attr:`session`."""
        return self._per_process("download_session", self._new_download_session)

    def _new_download_session(self) -> requests.Session:
        session = requests.Session()
        session.auth = _NoAuth()  # and no netrc lookup either
        session.headers.update({"User-Agent": USER_AGENT})
        return session

    @contextmanager
    def open_download(
        self, url: str, *, chunk_size: int = 1024 * 1024, space_credentials: bool = False
    ) -> Iterator[Download]:
        """
        Stream a file from a file host (e.g. a recording's ``uri``), without the space's credentials.

        ``url`` must be ``https://`` (``http://`` only to a loopback host) and carry no user info; it
        is never sent the connection's ``Authorization``, cookies or token. Redirects are not followed.
        ``timeout`` bounds connecting and each wait for data, not the whole (possibly large) file,
        which is not capped by ``max_response_bytes``. Transient failures before the first byte are
        retried; yields a :class:`Download` whose ``chunks`` iterate the body. With the connection's
        ``download_hosts`` extra, only those hosts are fetched from.

        With ``space_credentials``, a URL on the configured space itself is fetched with the connection's
        credentials, after the origin check every API call passes: the Compatibility API's media files
        (call recordings, message and fax media) live on the space, and SignalWire's Media URL
        Protection puts them behind the project's credentials. Any other URL is still fetched without.

        :raises UnsafeURLError: before any request, for a URL that is not plain https (or whose host is
            not in ``download_hosts``).
        :raises SignalWireAPIError: when the file host answers with an error or cannot be reached.
        """
        settings = self.settings
        check_download_url(url)
        host = (urlsplit(url).hostname or "").lower()
        on_space = space_credentials and self._on_space(url)
        if on_space:
            session, send_settings = self.session, dict(self._send_settings)
        elif not download_host_allowed(host, settings.download_hosts):
            raise UnsafeURLError(
                f"download host {host!r} is not in the connection's download_hosts extra "
                f"({', '.join(settings.download_hosts)}): nothing was fetched. Add it there if your space "
                "serves files from it."
            )
        else:
            session = self.download_session
            send_settings = dict(session.merge_environment_settings(url, {}, True, settings.verify, None))
        policy = self._policy(settings, "GET", None)

        def attempt() -> Outcome:
            try:
                if on_space:
                    check_origin(url, self.base_url)  # the credentials go to the space, nowhere else
                response = session.get(
                    url,
                    headers={"Accept": "*/*"},
                    allow_redirects=False,
                    timeout=(min(10.0, settings.timeout), settings.timeout),
                    **send_settings,
                )
            except (requests.exceptions.RequestException, OSError) as exc:
                return classify_requests_error(exc)
            return Reply(response.status_code, response.reason, response.headers, b"", url, response)

        outcome = run_attempts(
            attempts(policy, urlsplit(url).netloc, settings.timeout),
            attempt,
            lambda wait: self._wait(settings, "GET", url, wait),
            discard=lambda response: response.close(),
        )
        reply = self._outcome(settings, "GET", url, policy, outcome, check=False)  # raises for a failure
        response = reply.answer
        try:
            if response.status_code >= 300:
                content = b"" if response.status_code < 400 else response.raw.read(64 * 1024)
                self._outcome(settings, "GET", url, policy, reply._replace(content=content))
            length = response.headers.get("Content-Length", "")
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            if encoding not in ("", "identity"):
                length = ""  # chunks are decoded: the encoded length says nothing about their total

            def chunks() -> Iterator[bytes]:
                try:
                    yield from response.raw.stream(chunk_size, decode_content=True)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    failure = classify_requests_error(exc)
                    raise self._transport_error(settings, "GET", url, failure, policy.attempts) from None

            yield Download(
                url=url,
                size=int(length) if length.isdigit() else None,
                content_type=response.headers.get("Content-Type"),
                chunks=chunks(),
            )
        finally:
            response.close()

    def _on_space(self, url: str) -> bool:
        """Whether ``url`` is on the configured space (its scheme, host and port)."""
        try:
            check_origin(url, self.base_url)
        except UnsafeURLError:
            return False
        return True

    # ------------------------------------------------------------------ public API

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        rate_limit: RateLimitRule | None = None,
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
        :param rate_limit: Also retry answers that refuse the call for its rate (safe for a POST too).
        :raises SignalWireAPIError: on an error answer or when SignalWire cannot be reached.
        """
        method = check_method(method)
        path = validate_path(path)
        body = encode_body(path, json=json, data=data)
        headers = body.pop("headers", None)
        url = self.base_url + path
        response = self._send(method, url, params=params, body=body, headers=headers, rate_limit=rate_limit)
        return self._parse(self.settings, method, reply_of(response))

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
        for items in self.paginate_pages(path, params=params, page_size=page_size, max_items=max_items):
            yield from items

    def paginate_pages(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = None,
        max_items: int | None = None,
    ) -> Iterator[list[Any]]:
        """As :meth:`paginate`, but yield each page's items as one list (possibly empty), one page held
        at a time: for callers that count or write page by page (log exports)."""
        listing = self._listing(self.settings, path, params, page_size, max_items)
        while (step := listing.advance()) is not None:
            if isinstance(step, Fetch):
                listing.answered(reply_of(self._send("GET", step.url, params=step.params)))
            else:
                yield step

    def test_connection(self) -> tuple[bool, str]:
        """
        One cheap authenticated GET (the project's Compatibility account); never shows the token.

        The answer does not name the connection id (the UI's Test button tests a copy under a random
        id) and says where the test ran, which is not where tasks run. The success sentence is also
        logged: ``airflow connections test`` prints only "Connection success!" (Airflow 2.11 and 3.3).
        """
        self._where = where_this_runs()
        try:
            settings = self.settings
            account = self.request("GET", f"/api/laml/2010-04-01/Accounts/{settings.project_id}")
        except Exception as err:  # anything at all, worded without secrets
            return self._connection_test_failure(err, self.__dict__.get("settings"))
        finally:
            self._where = "this worker"
        message = self._connection_test_message(settings, account)
        # Not self.log: Airflow routes hook loggers to task logs, which the CLI does not show.
        logging.getLogger(__name__).info("%s", message)
        return True, message

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
            k: v for k, v in (headers or {}).items() if str(k).strip().lower() not in _CREDENTIAL_HEADERS
        }
        if len(clean_headers) != len(headers or {}):
            self.log.warning(
                "Dropped Authorization/Host/Cookie headers: credentials come from the connection."
            )
        method = check_method(self.method)
        params, body = None, None
        if method in ("GET", "HEAD"):
            params = data
        else:
            body = encode_body(path, json=request_kwargs.pop("json", None), data=data)
            clean_headers = {**body.pop("headers", {}), **clean_headers}
        if request_kwargs:
            self.log.debug("Ignoring HttpOperator request_kwargs %s.", sorted(request_kwargs))
        url = self.base_url + path
        return self._send(method, url, params=params, body=body, headers=clean_headers, check=check)

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
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        check: bool = True,
        rate_limit: RateLimitRule | None = None,
    ) -> requests.Response:
        """Send one request with retries; raise :class:`SignalWireAPIError` on failure (if ``check``).

        Every attempt passes :func:`check_origin` right before it leaves the process, so nothing is ever
        sent with the credentials to another host. ``timeout`` bounds each whole answer (connect,
        headers and body); the body is read completely, within ``max_response_bytes``.
        """
        settings = self.settings
        with self._preparing(settings, method, url, requests.exceptions.RequestException):
            if method == "GET" and params is None and headers is None and self._as_is(url):
                prepared = self._prepared_get(url)
            else:
                prepared = self.session.prepare_request(
                    requests.Request(
                        method,
                        url,
                        params=encode_fields(params) if isinstance(params, Mapping) else params,
                        headers=headers,
                        **(body or {}),  # json= or data=, from encode_body
                    )
                )
            check_origin(prepared.url or "", self.base_url)
            check_headers(prepared.headers)
            send_kwargs = self._send_settings

        def attempt() -> Outcome:
            started = time.monotonic()
            token = _DEADLINE.set(started + settings.timeout)
            response: requests.Response | None = None
            try:
                response = self.session.send(
                    prepared,
                    timeout=(min(10.0, settings.timeout), settings.timeout),
                    allow_redirects=False,
                    **send_kwargs,
                )
                no_body = response.status_code == 204 or method == "HEAD"
                response._content = b"" if no_body else _read_capped(response, self.max_response_bytes)
            except _AnswerTooLarge as err:
                assert response is not None
                response.close()
                raise self._too_large_error(settings, method, url, response.status_code, err.size) from None
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if response is not None:
                    response.close()  # a half-read answer: never put that connection back in the pool
                return classify_requests_error(exc)
            finally:
                _DEADLINE.reset(token)
            self.log.debug(
                "%s %s -> %s (%.2fs)",
                method,
                _Redacted(settings.redact, response.url),
                response.status_code,
                time.monotonic() - started,
            )
            return reply_of(response)

        policy = self._policy(settings, method, rate_limit)
        outcome = run_attempts(
            attempts(policy, settings.host, settings.timeout),
            attempt,
            lambda wait: self._wait(settings, method, url, wait),
        )
        return self._outcome(settings, method, url, policy, outcome, check).answer

    def _as_is(self, url: str) -> bool:
        """Whether ``url`` is a plain URL on the space that requests would prepare unchanged (and no
        cookie would be added: the session has none)."""
        return (
            url.startswith(self.base_url + "/")
            and re.match(_PREPARED_AS_IS, url) is not None
            and not self.session.cookies
        )

    @cached_property
    def _get_headers(self) -> requests.structures.CaseInsensitiveDict[str]:
        """The headers ``session.prepare_request`` gives a GET without a body: the session's and the
        connection's ``Authorization`` (equality with it is tested)."""
        return self.session.prepare_request(requests.Request("GET", self.base_url + "/")).headers.copy()

    def _prepared_get(self, url: str) -> requests.PreparedRequest:
        """What ``session.prepare_request`` makes of a GET of ``url`` (see :meth:`_as_is`), without
        building and merging a ``requests.Request`` for it: the next pages of a listing."""
        prepared = requests.PreparedRequest()
        prepared.method, prepared.url, prepared.body = "GET", url, None
        prepared.headers = requests.structures.CaseInsensitiveDict(self._get_headers)
        prepared.hooks = {"response": []}
        prepared._cookies = requests.cookies.RequestsCookieJar()  # type: ignore[attr-defined]  # as requests'
        return prepared

    def _wait(self, settings: SpaceSettings, method: str, url: str, wait: Wait) -> None:
        self._log_wait(settings, method, url, wait)
        self._sleep(wait.seconds)
