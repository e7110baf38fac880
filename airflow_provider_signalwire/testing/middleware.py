"""ASGI wrapper around each fake server: request log, injected faults, ``.json`` paths.

It sits outside the FastAPI app so it sees uvicorn's own ``send`` callable, which is
what lets the ``drop`` fault abort the TCP connection without any response bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from requests.structures import CaseInsensitiveDict

from airflow_provider_signalwire.testing.errors import error_response, is_compat
from airflow_provider_signalwire.testing.request_log import RecordedRequest

if TYPE_CHECKING:
    from airflow_provider_signalwire.testing.core import SpaceCore

ASGIApp = Callable[..., Any]
JSON_SUFFIX = "signalwire_json_suffix"


def asked_for_json(request: Any) -> bool:
    """Whether the client's path ended in ``.json`` (stripped before routing)."""
    return bool(request.scope.get("state", {}).get(JSON_SUFFIX))


class RecordingFaultMiddleware:
    """Records every request into ``space.requests`` (or ``media_requests``) and applies faults."""

    def __init__(self, app: ASGIApp, space: SpaceCore, server: str) -> None:
        self.app = app
        self.space = space
        self.server = server

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read the whole body first (so faults hit "after the request was read").
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        path: str = scope["path"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        pairs = parse_qsl(raw_query, keep_blank_values=True)
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for key, value in scope.get("headers", []):
            name = key.decode("latin-1")
            headers[name] = "<redacted>" if name.lower() == "authorization" else value.decode("latin-1")
        record = RecordedRequest(
            server=self.server,
            method=scope["method"],
            path=path,
            query=dict(pairs),
            query_list=pairs,
            body=body.decode("utf-8", "replace"),
            headers=headers,
            time=datetime.now().astimezone(),
            client=":".join(str(part) for part in scope["client"]) if scope.get("client") else None,
        )
        log = self.space.requests if self.server == "api" else self.space.media_requests
        log.append(record)

        fault = self.space.faults.take(scope["method"], path)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "drop":
                self._abort(send)
                await asyncio.sleep(0)
                return
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            else:
                # The same error body as a real error of this family, through the same helper.
                status = int(fault.kind)
                extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
                record.status = status
                await error_response(path, status, headers=extra)(scope, receive, send)
                return

        # Twilio-style clients append ".json" to Compatibility paths; accept both forms.
        if is_compat(path) and path.endswith(".json"):
            scope = dict(scope)
            scope["path"] = path[: -len(".json")]
            scope["raw_path"] = scope["path"].encode()
            # Routes whose path without an extension means a file (recordings, media) ask for this.
            scope["state"] = {**scope.get("state", {}), JSON_SUFFIX: True}

        sent_body = False

        async def replay() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
            await send(message)

        await self.app(scope, replay, recording_send)

    @staticmethod
    def _abort(send: Any) -> None:
        """Abort the client's TCP connection with no response (uvicorn's h11 cycle)."""
        cycle = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None:  # pragma: no cover - only if uvicorn's internals change
            raise RuntimeError("cannot reach the connection transport to drop it")
        transport.abort()
        # Stop uvicorn from trying to write a 500 on the aborted connection.
        cycle.disconnected = True  # type: ignore[union-attr]
