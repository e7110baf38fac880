"""API token routes: ``/api/project/tokens`` (JSON) and the Compatibility API's ``/tokens`` (a form to
create, JSON to update).  Creating, updating and deleting a token needs the ``management`` permission;
a created token authenticates at once with exactly its permissions, an update applies from the next
request, a deleted token answers 401."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from airflow_provider_signalwire.protocol.permissions import TOKEN_PERMISSIONS
from airflow_provider_signalwire.testing.auth import ApiToken, authenticate
from airflow_provider_signalwire.testing.bodies import Field, form_body, json_body, validate
from airflow_provider_signalwire.testing.compat import ACCOUNT, space_of
from airflow_provider_signalwire.testing.core import core_of
from airflow_provider_signalwire.testing.errors import FakeHTTPError, invalid, is_compat
from airflow_provider_signalwire.testing.paging import paginate
from airflow_provider_signalwire.testing.util import iso

router = APIRouter()
MANAGEMENT = ("management",)
TOKENS = "/api/project/tokens"
COMPAT_TOKENS = ACCOUNT + "/tokens"
TOKEN_FIELDS = {"name": Field("str"), "permissions": Field("list"), "subproject_id": Field("str")}
UPDATE_FIELDS = {"name": Field("str"), "permissions": Field("list")}


def _check(
    request: Request, body: dict[str, Any], fields: dict[str, Field], required: tuple[str, ...]
) -> None:
    """The spec's rules for a token body; a 422 in the family's shape naming the first problem."""
    try:
        validate(body, fields, required)
        errors = []
        if "name" in body and not body["name"].strip():
            errors.append(invalid("name", "Name must be present"))
        permissions = body.get("permissions")
        if permissions is not None:
            if not permissions and "subproject_id" in fields:
                errors.append(invalid("permissions", "permissions must list at least one permission"))
            unknown = [p for p in permissions if p not in TOKEN_PERMISSIONS]
            if unknown:
                errors.append(
                    invalid(
                        "permissions",
                        f"permissions has unknown values: {', '.join(map(str, unknown))}; valid: "
                        + ", ".join(TOKEN_PERMISSIONS),
                    )
                )
        if "subproject_id" in body:
            # The fake space has no subprojects: any id names a project that is not a child of this one.
            errors.append(invalid("subproject_id", "subproject_id is not a subproject of this project"))
        if errors:
            raise FakeHTTPError(422, errors=errors)
    except FakeHTTPError as err:
        if is_compat(request.url.path) and err.errors:
            raise FakeHTTPError(422, errors=err.errors[:1]) from None  # rendered as one error object
        raise


def _token_404(request: Request, token_id: str) -> ApiToken:
    try:
        uuid.UUID(token_id)
    except ValueError:
        raise FakeHTTPError(404) from None
    record = core_of(request).tokens.by_id(token_id)
    if record is None:
        raise FakeHTTPError(404)
    return record


def _create(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    _check(request, body, TOKEN_FIELDS, ("name", "permissions"))
    return core_of(request).tokens.create(body["name"], body["permissions"]).render()


def _update(request: Request, token_id: str, body: dict[str, Any]) -> dict[str, Any]:
    _token_404(request, token_id)
    _check(request, body, UPDATE_FIELDS, ())
    record = core_of(request).tokens.update(token_id, body.get("name"), body.get("permissions"))
    if record is None:  # deleted meanwhile
        raise FakeHTTPError(404)
    return record.render()


def _delete(request: Request, token_id: str) -> Response:
    _token_404(request, token_id)
    if not core_of(request).tokens.delete(token_id):
        raise FakeHTTPError(404)
    return Response(status_code=204)


@router.get("/api/projects")
async def list_projects(request: Request) -> Any:
    """The authenticated root project (the fake space has no subprojects)."""
    authenticate(request, MANAGEMENT)
    space = core_of(request)
    created = iso(space.created_at)
    project = {
        "id": space.project_id,
        "name": "Fake SignalWire space",
        "parent_project_id": None,
        "subproject": False,
        "region_preference": "us-west",
        "protect_recordings": False,
        "protect_message_media": False,
        "protect_fax_media": False,
        "force_https_requests": True,
        "created_at": created,
        "updated_at": created,
    }
    return paginate(request, [project])


@router.post(TOKENS)
async def create_token(request: Request) -> Any:
    authenticate(request, MANAGEMENT)
    return _create(request, await json_body(request))


@router.patch(TOKENS + "/{token_id}")
async def update_token(request: Request, token_id: str) -> Any:
    authenticate(request, MANAGEMENT)
    return _update(request, token_id, await json_body(request))


@router.delete(TOKENS + "/{token_id}")
async def delete_token(request: Request, token_id: str) -> Response:
    authenticate(request, MANAGEMENT)
    return _delete(request, token_id)


@router.post(COMPAT_TOKENS)
async def compat_create_token(request: Request, account_sid: str) -> Any:
    authenticate(request, MANAGEMENT)
    space_of(request, account_sid)
    body = await form_body(request)
    # A form repeats ``permissions`` for each value (or sends ``permissions[]``); one value is a string.
    permissions = body.pop("permissions[]", body.pop("permissions", None))
    if permissions is not None:
        body["permissions"] = permissions if isinstance(permissions, list) else [permissions]
    return _create(request, body)


@router.patch(COMPAT_TOKENS + "/{token_id}")
async def compat_update_token(request: Request, account_sid: str, token_id: str) -> Any:
    authenticate(request, MANAGEMENT)
    space_of(request, account_sid)
    return _update(request, token_id, await json_body(request))


@router.delete(COMPAT_TOKENS + "/{token_id}")
async def compat_delete_token(request: Request, account_sid: str, token_id: str) -> Response:
    authenticate(request, MANAGEMENT)
    space_of(request, account_sid)
    return _delete(request, token_id)
