"""The two ASGI apps of a fake space: the API and the media (recording download) host."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from airflow_provider_signalwire.testing.asgi import RecordingFaultMiddleware
from airflow_provider_signalwire.testing.common import FakeHTTPError, error_for
from airflow_provider_signalwire.testing.state import SpaceState, recording_bytes


def _install_error_handlers(app: FastAPI) -> None:
    async def fake_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FakeHTTPError)
        return exc.response

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return error_for(request.url.path, status)

    async def validation_error(request: Request, exc: Exception) -> Response:
        return error_for(request.url.path, 400)

    app.add_exception_handler(FakeHTTPError, fake_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def build_api_app(state: SpaceState) -> Any:
    """The API server's ASGI app (wrapped for request recording and faults)."""
    from airflow_provider_signalwire.testing import routes_compat, routes_logs, routes_video

    app = FastAPI(title="Fake SignalWire space", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.space = state
    _install_error_handlers(app)
    app.include_router(routes_video.router)
    app.include_router(routes_logs.router)
    app.include_router(routes_compat.router)
    return RecordingFaultMiddleware(app, state, "api")


def build_media_app(state: SpaceState) -> Any:
    """The media host: ``GET /recordings/<id>.mp4`` without authentication."""
    app = FastAPI(title="Fake SignalWire media", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.space = state
    _install_error_handlers(app)

    @app.get("/recordings/{name}")
    async def download(name: str) -> Response:
        rec_id = name.removesuffix(".mp4")
        with state.lock:
            known = rec_id in state.recordings and state.recordings[rec_id]["uri"] is not None
        if not known:
            return Response(b"Not Found", status_code=404, media_type="text/plain")
        return Response(recording_bytes(rec_id), media_type="video/mp4")

    return RecordingFaultMiddleware(app, state, "media")
