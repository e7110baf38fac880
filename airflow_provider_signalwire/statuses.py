"""When a SignalWire resource is done waiting for: the one set of rules the sensors' ``poke()`` and the
status trigger both use, so poke mode and deferrable mode cannot disagree.

No I/O here. :func:`evaluate` turns a resource, as SignalWire returns it, into a :class:`Verdict`
(``waiting``, ``success`` or ``failure`` with SignalWire's reason); :func:`poll_error` says whether a
failed poll is worth repeating. Statuses are those of SignalWire's OpenAPI specs:

- room sessions (``GET /api/video/room_sessions/{id}``): ``in-progress``, ``completed``;
- room recordings (``GET /api/video/room_recordings/{id}``): ``recording``, ``paused``, ``processing``,
  ``completed``; ``failed``/``error`` are not in the spec but are treated as failures if they appear;
- Compatibility Messages (``GET /api/laml/2010-04-01/Accounts/{project}/Messages/{sid}``): ``queued``,
  ``initiated``, ``sending``, ``sent``, ``delivered``, ``undelivered``, ``failed``, ``receiving``,
  ``received``, with ``error_code`` / ``error_message``;
- Compatibility Calls (``.../Calls/{sid}``): ``queued``, ``ringing``, ``in-progress``, ``completed``,
  ``busy``, ``failed``, ``no-answer``, ``canceled``;
- Compatibility Faxes (``.../Faxes/{sid}``): ``queued``, ``processing``, ``sending``, ``delivered``,
  ``receiving``, ``received``, ``no-answer``, ``busy``, ``failed``, ``canceled``, with ``error_code`` /
  ``error_message``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.lazy import Record
from airflow_provider_signalwire.protocol import RETRYABLE_STATUSES, no_redaction, shorten

WAITING = "waiting"
SUCCESS = "success"
FAILURE = "failure"


# Tuples, not dataclasses: the kinds below are built when a DAG file imports a sensor, and a frozen
# dataclass costs ~1 ms to create (benchmarks/RESULTS.md, row 1).
class Verdict(Record):
    """What one look at a resource says.

    :ivar state: ``"waiting"``, ``"success"`` or ``"failure"``.
    :ivar status: the resource's status as SignalWire reported it (None if it had none).
    :ivar reason: for a failure, why, with SignalWire's own code and message when it sent them.
    """

    state: str
    status: str | None
    reason: str | None = None

    @property
    def done(self) -> bool:
        return self.state != WAITING


class ResourceKind(Record):
    """One kind of SignalWire resource a sensor can wait on."""

    name: str  # the trigger's ``kind``: "room_session", "room_recording", "message", "call"
    noun: str  # for messages: "video room session", "message" ...
    path_template: str  # "{project}" and "{id}" are filled in (the id URL-quoted)
    statuses: frozenset[str]  # every status a success_statuses entry may name
    default_success: tuple[str, ...]
    failures: frozenset[str]  # fail at once (unless accepted as a success)
    final: frozenset[str]  # statuses that never change again
    # A status that proves an earlier one was reached (a poll can miss a short "in-progress").
    implies: Mapping[str, frozenset[str]] = MappingProxyType({})
    failure_details: Callable[[Mapping[str, Any]], str | None] = lambda resource: None
    status_of: Callable[[Mapping[str, Any]], Any] = lambda resource: resource.get("status")

    def path(self, resource_id: Any, project_id: str) -> str:
        """The API path of one resource (the id is quoted, so it can never change the path)."""
        return self.path_template.format(project=quote(project_id, safe=""), id=quote(resource_id, safe=""))

    def success_statuses(self, value: Iterable[str] | str | None) -> tuple[str, ...]:
        """``value`` checked against this kind's statuses (None: the default); a string is one status."""
        if value is None:
            return self.default_success
        wanted = (value,) if isinstance(value, str) else tuple(value)
        unknown = [s for s in wanted if not isinstance(s, str) or s not in self.statuses]
        if not wanted or unknown:
            raise SignalWireConfigError(
                f"success_statuses is {value!r}: give one or more {self.noun} statuses from "
                f"{', '.join(sorted(self.statuses))}."
            )
        return tuple(dict.fromkeys(wanted))


def _message_details(resource: Mapping[str, Any]) -> str | None:
    code, message = resource.get("error_code"), resource.get("error_message")
    if code and message:
        return f"error {code}: {message}"
    if code or message:
        return f"error {code}" if code else str(message)
    return None


def _call_details(resource: Mapping[str, Any]) -> str | None:
    sip = resource.get("sip_result_code")
    return f"SIP result {sip}" if sip else None


def _recording_details(resource: Mapping[str, Any]) -> str | None:
    for key in ("error_message", "error", "reason", "status_reason"):
        value = resource.get(key)
        if value:
            return str(value)
    return None


def _session_status(resource: Mapping[str, Any]) -> Any:
    # A session without a status but with an end time has ended.
    status = resource.get("status")
    if status is None and resource.get("end_time"):
        return "completed"
    return status


ROOM_SESSION = ResourceKind(
    name="room_session",
    noun="video room session",
    path_template="/api/video/room_sessions/{id}",
    statuses=frozenset({"in-progress", "completed"}),
    default_success=("completed",),
    failures=frozenset(),
    final=frozenset({"completed"}),
    status_of=_session_status,
)

ROOM_RECORDING = ResourceKind(
    name="room_recording",
    noun="video room recording",
    path_template="/api/video/room_recordings/{id}",
    statuses=frozenset({"recording", "paused", "processing", "completed"}),
    default_success=("completed",),
    failures=frozenset({"failed", "error"}),
    final=frozenset({"completed", "failed", "error"}),
    failure_details=_recording_details,
)

MESSAGE = ResourceKind(
    name="message",
    noun="message",
    path_template="/api/laml/2010-04-01/Accounts/{project}/Messages/{id}",
    statuses=frozenset(
        {
            "queued",
            "initiated",
            "sending",
            "sent",
            "delivered",
            "undelivered",
            "failed",
            "receiving",
            "received",
        }
    ),
    default_success=("delivered",),
    failures=frozenset({"failed", "undelivered"}),
    final=frozenset({"delivered", "undelivered", "failed", "received"}),
    implies={"delivered": frozenset({"sent"})},
    failure_details=_message_details,
)

CALL = ResourceKind(
    name="call",
    noun="call",
    path_template="/api/laml/2010-04-01/Accounts/{project}/Calls/{id}",
    statuses=frozenset(
        {"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"}
    ),
    default_success=("completed",),
    failures=frozenset({"busy", "failed", "no-answer", "canceled"}),
    final=frozenset({"completed", "busy", "failed", "no-answer", "canceled"}),
    implies={"completed": frozenset({"in-progress", "ringing"}), "in-progress": frozenset({"ringing"})},
    failure_details=_call_details,
)

FAX = ResourceKind(
    name="fax",
    noun="fax",
    path_template="/api/laml/2010-04-01/Accounts/{project}/Faxes/{id}",
    statuses=frozenset(
        {
            "queued",
            "processing",
            "sending",
            "delivered",
            "receiving",
            "received",
            "no-answer",
            "busy",
            "failed",
            "canceled",
        }
    ),
    default_success=("delivered", "received"),
    failures=frozenset({"no-answer", "busy", "failed", "canceled"}),
    final=frozenset({"delivered", "received", "no-answer", "busy", "failed", "canceled"}),
    implies={"delivered": frozenset({"sending", "processing"}), "sending": frozenset({"processing"})},
    failure_details=_message_details,
)

KINDS: dict[str, ResourceKind] = {k.name: k for k in (ROOM_SESSION, ROOM_RECORDING, MESSAGE, CALL, FAX)}


def kind_named(name: str) -> ResourceKind:
    try:
        return KINDS[name]
    except KeyError:
        raise SignalWireConfigError(f"kind is {name!r}: use one of {', '.join(KINDS)}.") from None


def evaluate(
    kind: ResourceKind,
    resource: Any,
    success_statuses: Iterable[str] | None = None,
    redact: Callable[[Any], Any] = no_redaction,
) -> Verdict:
    """Where ``resource`` (one GET's JSON) stands: still waiting, done, or failed for good.

    ``redact`` (the connection's) runs on a failure's whole reason before it is shortened.
    """
    accepted = kind.success_statuses(success_statuses)
    raw = kind.status_of(resource) if isinstance(resource, Mapping) else None
    if not isinstance(raw, str) or not raw:
        return Verdict(WAITING, None)
    status = raw.strip().lower()
    if ({status} | kind.implies.get(status, frozenset())) & set(accepted):
        return Verdict(SUCCESS, status)
    if status in kind.failures or status in kind.final:
        details = kind.failure_details(resource) if isinstance(resource, Mapping) else None
        if status in kind.failures:
            reason = f"The {kind.noun} is {status}"
        else:
            reason = (
                f"The {kind.noun} is {status}, which is final and not one of the accepted statuses "
                f"({', '.join(accepted)})"
            )
        return Verdict(FAILURE, status, shorten(redact(f"{reason}: {details}" if details else reason), 500))
    return Verdict(WAITING, status)


def check_resource_id(value: Any, name: str) -> str:
    """A rendered resource id, refused when empty or the text of a missing XCom (``None``)."""
    text = "" if value is None else str(value).strip()
    if not text or text in ("None", "null"):
        raise SignalWireConfigError(
            f"{name} is {value!r}: give the id of the resource to wait for (check the template or the "
            "XCom it pulls)."
        )
    return text


def poll_error(err: BaseException) -> str | None:
    """None when a failed poll should simply be repeated at the next interval (429, 5xx, network
    failures that survived the hook's own retries); otherwise the reason to fail at once (401, 403,
    404 and other 4xx, TLS failures, a malformed connection), with the hook's hint."""
    if isinstance(err, SignalWireAPIError):
        status = err.status_code
        if status in RETRYABLE_STATUSES:
            return None
        if status is None and err.failure_kind not in ("tls", "invalid"):
            return None
    return str(err)
