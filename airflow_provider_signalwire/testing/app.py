"""The two ASGI apps of a fake space: the API and the media (recording download) host."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from airflow_provider_signalwire.testing import compat
from airflow_provider_signalwire.testing.core import SpaceCore
from airflow_provider_signalwire.testing.errors import FakeHTTPError, error_response
from airflow_provider_signalwire.testing.families import route_modules
from airflow_provider_signalwire.testing.middleware import RecordingFaultMiddleware


def _install_error_handlers(app: FastAPI) -> None:
    async def fake_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FakeHTTPError)
        return error_response(request.url.path, exc.status, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, getattr(exc, "status_code", 500))

    async def validation_error(request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, 400)

    app.add_exception_handler(FakeHTTPError, fake_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def _app(title: str, space: SpaceCore) -> FastAPI:
    app = FastAPI(title=title, openapi_url=None, docs_url=None, redoc_url=None)
    app.state.space = space
    _install_error_handlers(app)
    return app


def build_api_app(space: SpaceCore) -> Any:
    """The API server's ASGI app: every family's routes (wrapped for request log and faults)."""
    app = _app("Fake SignalWire space", space)
    app.include_router(compat.router)
    for routes in route_modules():
        app.include_router(routes.router)
    return RecordingFaultMiddleware(app, space, "api")


def build_media_app(space: SpaceCore) -> Any:
    """The media host: the families' downloads (``GET /recordings/<id>.mp4``), without authentication."""
    app = _app("Fake SignalWire media", space)
    for routes in route_modules():
        media_router = getattr(routes, "media_router", None)
        if media_router is not None:
            app.include_router(media_router)
    return RecordingFaultMiddleware(app, space, "media")
