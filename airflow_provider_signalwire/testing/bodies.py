"""Request bodies: ``/api/*`` JSON objects, Compatibility forms, and a tiny field validator.

Malformed bodies answer the family's 4xx, never a 500: JSON that does not parse, is not an
object, nests deeper than :data:`MAX_JSON_DEPTH`, holds ``NaN``/``Infinity`` or unpaired
surrogates (none of which is valid JSON to send back) is a 400; a form on ``/api/*`` is a 415.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from airflow_provider_signalwire.testing.errors import FakeHTTPError, compat_bad_request, invalid
from airflow_provider_signalwire.testing.util import parse_when

if TYPE_CHECKING:
    from fastapi import Request

MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _well_formed(value: Any) -> bool:
    """Nesting depth within MAX_JSON_DEPTH and every string encodable as UTF-8 (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return False
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body (400 ``Bad Request`` if it is not a well-formed one).

    The ``/api/*`` specs declare only ``application/json`` request bodies: anything else is refused
    with 415, so a client that forgets the content type is caught here as it would be for real.
    """
    raw = await request.body()
    if raw and "json" not in request.headers.get("content-type", "").lower():
        raise FakeHTTPError(415)
    try:
        body = json.loads(raw or b"{}", parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # includes UnicodeDecodeError and over-long numbers
        raise FakeHTTPError(400) from None
    if not isinstance(body, dict) or not _well_formed(body):
        raise FakeHTTPError(400)
    return body


async def form_body(request: Request) -> dict[str, Any]:
    """The ``application/x-www-form-urlencoded`` body; repeated keys become lists."""
    ctype = request.headers.get("content-type", "")
    raw = (await request.body()).decode("utf-8", "replace")
    if raw and not ctype.startswith("application/x-www-form-urlencoded"):
        raise compat_bad_request("Content-Type must be application/x-www-form-urlencoded")
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key in fields:
            prev = fields[key]
            fields[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            fields[key] = value
    return fields


@dataclass(frozen=True)
class Field:
    """One body field: kind in str/int/bool/object/datetime/list; optional limits."""

    kind: str
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None


def _check(name: str, value: Any, spec: Field) -> str | None:
    kind = spec.kind
    if kind in ("str", "datetime"):
        if not isinstance(value, str):
            return f"{name} must be a string"
        if kind == "datetime":
            try:
                parse_when(value)
            except ValueError:
                return f"{name} must be an ISO 8601 date-time"
        if spec.max_length is not None and len(value) > spec.max_length:
            return f"{name} is too long (maximum is {spec.max_length} characters)"
        if spec.pattern is not None and not spec.pattern.match(value):
            return f"{name} is invalid"
        if spec.enum is not None and value not in spec.enum:
            return f"{name} must be one of {', '.join(spec.enum)}"
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{name} must be an integer"
        if spec.minimum is not None and value < spec.minimum:
            return f"{name} must be greater than or equal to {spec.minimum}"
        if spec.maximum is not None and value > spec.maximum:
            return f"{name} must be less than or equal to {spec.maximum}"
    elif kind == "bool" and not isinstance(value, bool):
        return f"{name} must be a boolean"
    elif kind == "object" and not isinstance(value, dict):
        return f"{name} must be an object"
    elif kind == "list" and not isinstance(value, list):
        return f"{name} must be an array"
    return None


def validate(body: dict[str, Any], fields: dict[str, Field], required: tuple[str, ...] = ()) -> None:
    """Raise a spec-shaped 422 listing every problem of ``body`` (unknown keys too)."""
    errors = []
    for name in required:
        if name not in body:
            errors.append(invalid(name, f"{name} is required", "missing_required_parameter"))
    for name, value in body.items():
        spec = fields.get(name)
        if spec is None:
            errors.append(invalid(name, f"{name} is not a permitted attribute", "unknown_parameter"))
            continue
        problem = _check(name, value, spec)
        if problem:
            errors.append(invalid(name, problem))
    if errors:
        raise FakeHTTPError(422, errors=errors)
