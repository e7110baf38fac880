"""In-memory state of a fake SignalWire space (thread-safe through ``state.lock``)."""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_signalwire.testing.clock import FakeClock
from airflow_provider_signalwire.testing.recording import RecordedRequest
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, iso, new_id, rfc2822

LOG_KINDS = ("voice", "messaging", "fax", "video", "conferences")
FAULT_KINDS = ("429", "500", "502", "503", "504", "drop", "delay")

# Status timelines (seconds after creation, on the fake clock).
MESSAGE_SENT_AFTER = 1.0
MESSAGE_DELIVERED_AFTER = 3.0
CALL_RINGING_AFTER = 1.0
CALL_ANSWERED_AFTER = 3.0
CALL_DURATION = 10


@dataclass
class Fault:
    """A pending injected fault (see ``FakeSignalWireSpace.inject_fault``)."""

    path_prefix: str
    kind: str
    count: int
    method: str | None = None
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class SpaceState:
    """Everything the fake space remembers.  Take ``lock`` around every access."""

    project_id: str
    clock: FakeClock
    media_base_url: str = ""
    base_url: str = ""
    relative_links: bool = False
    created_at: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=timezone.utc))
    lock: threading.RLock = field(default_factory=threading.RLock)
    tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)
    conferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {k: {} for k in LOG_KINDS})
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    media_requests: list[RecordedRequest] = field(default_factory=list)
    message_failures: deque[tuple[str, str | None, str | None]] = field(default_factory=deque)
    call_failures: deque[str] = field(default_factory=deque)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    # ------------------------------------------------------------------ helpers
    def seq(self) -> int:
        return next(self._seq)

    def now(self) -> datetime:
        return self.clock.now()

    def clear(self) -> None:
        """Forget every resource, fault and logged request (tokens are kept)."""
        with self.lock:
            for store in (self.rooms, self.sessions, self.members, self.events, self.recordings):
                store.clear()
            self.conferences.clear()
            for logs in self.logs.values():
                logs.clear()
            self.messages.clear()
            self.calls.clear()
            self.faults.clear()
            self.requests.clear()
            self.media_requests.clear()
            self.message_failures.clear()
            self.call_failures.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Consume and return the first pending fault matching this request."""
        with self.lock:
            for fault in self.faults:
                if fault.count <= 0 or not path.startswith(fault.path_prefix):
                    continue
                if fault.method and fault.method.upper() != method.upper():
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -------------------------------------------------------------------- rooms
    def new_room(self, body: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        room: dict[str, Any] = {
            "id": new_id(),
            "name": body["name"],
            "display_name": body.get("display_name", body["name"]),
            "description": body.get("description"),
            "max_members": body.get("max_members", 20),
            "quality": body.get("quality", "720p"),
            "fps": 20,
            "join_from": body.get("join_from"),
            "join_until": body.get("join_until"),
            "remove_at": body.get("remove_at"),
            "remove_after_seconds_elapsed": body.get("remove_after_seconds_elapsed"),
            "layout": body.get("layout", "grid-responsive"),
            "record_on_start": body.get("record_on_start", False),
            "tone_on_entry_and_exit": True,
            "room_join_video_off": False,
            "user_join_video_off": False,
            "enable_room_previews": body.get("enable_room_previews", False),
            "sync_audio_video": body.get("sync_audio_video", False),
            "meta": body.get("meta", {}),
            "prioritize_handraise": False,
            "created_at": iso(now),
            "updated_at": iso(now),
            "_seq": self.seq(),
            "_created": now,
        }
        with self.lock:
            self.rooms[room["id"]] = room
        return room

    def find_room(self, id_or_name: str) -> dict[str, Any] | None:
        with self.lock:
            if id_or_name in self.rooms:
                return self.rooms[id_or_name]
            for room in self.rooms.values():
                if room["name"] == id_or_name:
                    return room
        return None

    def active_session_of(self, room_id: str) -> dict[str, Any] | None:
        with self.lock:
            for sess in self.sessions.values():
                if sess["room_id"] == room_id and sess["status"] == "in-progress":
                    return sess
        return None

    # ----------------------------------------------------------------- sessions
    def new_session(
        self, room: dict[str, Any], *, recordings: int = 1, members: int = 2, in_progress: bool = False
    ) -> dict[str, Any]:
        now = self.now()
        start = now - timedelta(minutes=30)
        end = None if in_progress else start + timedelta(minutes=20)
        sid = new_id()
        sess: dict[str, Any] = {
            "id": sid,
            "room_id": room["id"],
            "name": room["name"],
            "display_name": room["display_name"],
            "max_members": room["max_members"],
            "quality": room["quality"],
            "fps": 20,
            "join_from": room["join_from"],
            "join_until": room["join_until"],
            "remove_at": room["remove_at"],
            "remove_after_seconds_elapsed": room["remove_after_seconds_elapsed"],
            "layout": room["layout"],
            "record_on_start": room["record_on_start"],
            "tone_on_entry_and_exit": True,
            "room_join_video_off": False,
            "user_join_video_off": False,
            "locked": False,
            "start_time": iso(start),
            "end_time": iso(end),
            "duration": None if end is None else int((end - start).total_seconds()),
            "status": "in-progress" if in_progress else "completed",
            "created_at": iso(start),
            "updated_at": iso(end or start),
            "preview_url": None,
            "prioritize_handraise": False,
            "sync_audio_video": room.get("sync_audio_video"),
            "_list_only": {"cost_in_dollars": 0.0 if in_progress else 0.012, "enable_room_previews": False},
            "_seq": self.seq(),
            "_created": start,
        }
        mems = []
        for i in range(members):
            join = start + timedelta(minutes=i)
            leave = None if end is None else end - timedelta(minutes=i)
            mems.append(
                {
                    "id": new_id(),
                    "room_session_id": sid,
                    "name": f"member-{i + 1}",
                    "join_time": iso(join),
                    "leave_time": iso(leave),
                    "duration": None if leave is None else int((leave - join).total_seconds()),
                    "cost_in_dollars": 0.0 if leave is None else 0.006,
                }
            )
        evs = [
            self._event(room["id"], sid, "session.started", start, {"room_name": room["name"]}),
        ]
        for m in mems:
            evs.append(
                self._event(
                    room["id"], sid, "member.joined", start, {"member_id": m["id"], "name": m["name"]}
                )
            )
        with self.lock:
            self.sessions[sid] = sess
            self.members[sid] = mems
            self.events[sid] = evs
        for i in range(recordings):
            rec = self.new_recording(sess, start + timedelta(minutes=1 + i), end)
            evs.append(
                self._event(
                    room["id"], sid, "recording.started", start, {"recording_id": rec["id"]}, rec["id"]
                )
            )
        if end is not None:
            evs.append(self._event(room["id"], sid, "session.ended", end, {}))
        return sess

    def _event(
        self,
        room_id: str,
        session_id: str,
        name: str,
        when: datetime,
        payload: dict[str, Any],
        recording_id: str | None = None,
    ) -> dict[str, Any]:
        ev: dict[str, Any] = {
            "id": new_id(),
            "project_id": self.project_id,
            "room_id": room_id,
            "room_session_id": session_id,
            "level": "info",
            "name": name,
            "payload": payload,
            "created_at": iso(when),
        }
        if recording_id:
            ev["room_recording_id"] = recording_id
        return ev

    def new_recording(self, sess: dict[str, Any], start: datetime, end: datetime | None) -> dict[str, Any]:
        rid = new_id()
        finished = end is not None
        rec: dict[str, Any] = {
            "id": rid,
            "room_session_id": sess["id"],
            "status": "completed" if finished else "recording",
            "started_at": iso(start),
            "finished_at": iso(end),
            "duration": int((end - start).total_seconds()) if end else None,
            "size_in_bytes": len(recording_bytes(rid)) if finished else None,
            "format": "mp4",
            "cost_in_dollars": 0.0045 if finished else 0.0,
            "uri": f"{self.media_base_url}/recordings/{rid}.mp4" if finished else None,
            "created_at": iso(start),
            "updated_at": iso(end or start),
            "_seq": self.seq(),
            "_created": start,
        }
        with self.lock:
            self.recordings[rid] = rec
        return rec

    # ------------------------------------------------------------- conferences
    def new_conference(self, body: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        colors = {
            "dark_primary": "#044EF4",
            "dark_background": "#FFFFFF",
            "dark_foreground": "#1D2127",
            "dark_success": "#17BB58",
            "dark_negative": "#F42C50",
            "light_primary": "#044EF4",
            "light_background": "#FFFFFF",
            "light_foreground": "#1D2127",
            "light_success": "#17BB58",
            "light_negative": "#F42C50",
        }
        name = (
            body.get("name")
            or "".join(c if c.isalnum() or c in "-_" else "-" for c in body["display_name"])[:100]
        )
        conf: dict[str, Any] = {
            "id": new_id(),
            "name": name,
            "display_name": body["display_name"],
            "description": body.get("description"),
            "join_from": body.get("join_from"),
            "join_until": body.get("join_until"),
            "quality": body.get("quality", "720p"),
            "layout": body.get("layout", "grid-responsive"),
            "size": body.get("size", "medium"),
            "record_on_start": body.get("record_on_start", False),
            "tone_on_entry_and_exit": True,
            "user_join_video_off": False,
            "room_join_video_off": False,
            "enable_chat": body.get("enable_chat", True),
            "enable_room_previews": body.get("enable_room_previews", False),
            **{k: body.get(k, v) for k, v in colors.items()},
            "meta": {},
            "created_at": iso(now),
            "updated_at": iso(now),
            "_seq": self.seq(),
            "_created": now,
        }
        with self.lock:
            self.conferences[conf["id"]] = conf
        return conf

    # ------------------------------------------------------------------- logs
    def add_log(self, kind: str, when: datetime, **overrides: Any) -> dict[str, Any]:
        log = make_log(kind, when, self.project_id, **overrides)
        log["_seq"] = self.seq()
        log["_created"] = when
        with self.lock:
            self.logs[kind][log["id"]] = log
        return log

    def all_logs(self, kind: str) -> list[dict[str, Any]]:
        """Seeded logs of ``kind`` plus those derived from live messages / calls."""
        with self.lock:
            out = list(self.logs[kind].values())
            if kind == "messaging":
                out += [message_log(self, m) for m in self.messages.values()]
            elif kind == "voice":
                out += [call_log(self, c) for c in self.calls.values()]
        return out

    # ------------------------------------------------------ messages and calls
    def new_message(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        with self.lock:
            failure = self.message_failures.popleft() if self.message_failures else None
        media = fields.get("MediaUrl") or []
        if isinstance(media, str):
            media = [media]
        msg: dict[str, Any] = {
            "sid": new_id(),
            "to": fields["To"],
            "from": fields.get("From") or "+15550000000",
            "body": fields.get("Body"),
            "media": list(media),
            "messaging_service_sid": fields.get("MessagingServiceSid"),
            "_failure": failure,
            "_seq": self.seq(),
            "_created": now,
        }
        with self.lock:
            self.messages[msg["sid"]] = msg
        return msg

    def new_call(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        with self.lock:
            failure = self.call_failures.popleft() if self.call_failures else None
        call: dict[str, Any] = {
            "sid": new_id(),
            "to": fields["To"],
            "from": fields["From"],
            "url": fields.get("Url"),
            "_failure": failure,
            "_ended_at": None,
            "_end_status": None,
            "_seq": self.seq(),
            "_created": now,
        }
        with self.lock:
            self.calls[call["sid"]] = call
        return call


# ---------------------------------------------------------------- derivations
def recording_bytes(recording_id: str) -> bytes:
    """The (fake, deterministic) content served for a room recording."""
    digest = hashlib.sha256(recording_id.encode()).digest()
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return header + digest * 64


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without its private (``_``-prefixed) keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def message_status(state: SpaceState, msg: dict[str, Any]) -> tuple[str, datetime | None]:
    """(status, date_sent) of a message at the fake clock's current time."""
    age = (state.now() - msg["_created"]).total_seconds()
    sent_at = msg["_created"] + timedelta(seconds=MESSAGE_SENT_AFTER)
    failure = msg["_failure"]
    if age < MESSAGE_SENT_AFTER:
        return "queued", None
    if failure is not None:
        status = failure[0]
        return status, (sent_at if status == "undelivered" else None)
    if age < MESSAGE_DELIVERED_AFTER:
        return "sent", sent_at
    return "delivered", sent_at


def message_view(state: SpaceState, msg: dict[str, Any]) -> dict[str, Any]:
    """A message as the Compatibility API shapes it."""
    status, sent = message_status(state, msg)
    failed = status in ("failed", "undelivered")
    failure = msg["_failure"] or (status, None, None)
    updated = msg["_created"] if status == "queued" else (sent or msg["_created"])
    body = msg["body"]
    base = f"{COMPAT_PREFIX}/Accounts/{state.project_id}/Messages/{msg['sid']}"
    return {
        "account_sid": state.project_id,
        "api_version": "2010-04-01",
        "body": body,
        "num_segments": max(1, math.ceil(len(body or "") / 160)),
        "num_media": len(msg["media"]),
        "date_created": rfc2822(msg["_created"]),
        "date_sent": rfc2822(sent),
        "date_updated": rfc2822(updated),
        "direction": "outbound-api",
        "error_code": (failure[1] or "30008") if failed else None,
        "error_message": (failure[2] or "Unknown error") if failed else None,
        "from": msg["from"],
        "price": 0.00415 if sent else None,
        "price_unit": "USD",
        "sid": msg["sid"],
        "status": status,
        "to": msg["to"],
        "messaging_service_sid": msg["messaging_service_sid"],
        "uri": f"{base}.json",
        "subresource_uris": {"media": f"{base}/Media.json"},
    }


def message_log(state: SpaceState, msg: dict[str, Any]) -> dict[str, Any]:
    """A live message as ``/api/messaging/logs`` shapes it."""
    view = message_view(state, msg)
    return {
        "id": msg["sid"],
        "from": msg["from"],
        "to": msg["to"],
        "status": view["status"],
        "direction": "outbound-api",
        "kind": "mms" if msg["media"] else "sms",
        "source": "laml",
        "type": "laml_message",
        "url": None,
        "number_of_segments": view["num_segments"],
        "charge": view["price"] or 0.0,
        "charge_details": [],
        "created_at": iso(msg["_created"]),
        "error_message": view["error_message"],
        "error_code": view["error_code"],
        "_seq": msg["_seq"],
        "_created": msg["_created"],
    }


def call_status(state: SpaceState, call: dict[str, Any]) -> tuple[str, datetime | None, datetime | None]:
    """(status, start_time, end_time) of a call at the fake clock's current time."""
    created: datetime = call["_created"]
    now = state.now()
    answered = created + timedelta(seconds=CALL_ANSWERED_AFTER)
    if call["_ended_at"] is not None and call["_ended_at"] <= now:
        ended: datetime = call["_ended_at"]
        start = answered if ended > answered else None
        return call["_end_status"], start, ended
    age = (now - created).total_seconds()
    if age < CALL_RINGING_AFTER:
        return "queued", None, None
    if call["_failure"] is not None:
        fail_at = created + timedelta(seconds=CALL_RINGING_AFTER)
        return call["_failure"], None, fail_at
    if age < CALL_ANSWERED_AFTER:
        return "ringing", None, None
    if age < CALL_ANSWERED_AFTER + CALL_DURATION:
        return "in-progress", answered, None
    return "completed", answered, answered + timedelta(seconds=CALL_DURATION)


def call_view(state: SpaceState, call: dict[str, Any]) -> dict[str, Any]:
    """A call as the Compatibility API shapes it."""
    status, start, end = call_status(state, call)
    duration = int((end - start).total_seconds()) if start and end else 0
    base = f"{COMPAT_PREFIX}/Accounts/{state.project_id}/Calls/{call['sid']}"
    return {
        "sid": call["sid"],
        "account_sid": state.project_id,
        "date_created": rfc2822(call["_created"]),
        "date_updated": rfc2822(end or start or call["_created"]),
        "parent_call_sid": None,
        "to": call["to"],
        "formatted_to": call["to"],
        "to_formatted": call["to"],
        "from": call["from"],
        "formatted_from": call["from"],
        "from_formatted": call["from"],
        "phone_number_sid": None,
        "status": status,
        "start_time": rfc2822(start),
        "end_time": rfc2822(end),
        "duration": duration,
        "price": round(0.0035 * max(1, math.ceil(duration / 60)), 5) if end and duration else None,
        "price_unit": "USD",
        "direction": "outbound",
        "answered_by": "human" if start else None,
        "api_version": "2010-04-01",
        "forwarded_from": None,
        "caller_name": None,
        "uri": f"{base}.json",
        "subresource_uris": {"notifications": None, "recordings": f"{base}/Recordings.json"},
        "annotation": None,
        "group_sid": None,
        "audio_in_mos": None,
        "sip_result_code": None,
        "audio_rtt_avg": None,
        "audio_rtt_min": None,
        "audio_rtt_max": None,
        "audio_out_jitter_min": None,
        "audio_out_jitter_max": None,
        "audio_out_jitter_avg": None,
        "audio_out_lost": None,
    }


def call_log(state: SpaceState, call: dict[str, Any]) -> dict[str, Any]:
    """A live call as ``/api/voice/logs`` shapes it."""
    view = call_view(state, call)
    return {
        "id": call["sid"],
        "from": call["from"],
        "to": call["to"],
        "source": "laml",
        "charge": view["price"] or 0.0,
        "charge_details": [],
        "created_at": iso(call["_created"]),
        "type": "laml_call",
        "url": call["url"],
        "direction": "outbound-api",
        "status": view["status"],
        "duration": view["duration"],
        "duration_ms": view["duration"] * 1000,
        "billing_ms": view["duration"] * 1000,
        "parent_id": None,
        "_seq": call["_seq"],
        "_created": call["_created"],
    }


def make_log(kind: str, when: datetime, project_id: str, **overrides: Any) -> dict[str, Any]:
    """A seeded log entry of ``kind`` (one of LOG_KINDS) shaped as the spec says."""
    lid = new_id()
    created = iso(when)
    base: dict[str, Any]
    if kind == "voice":
        base = {
            "id": lid,
            "from": "+15551230000",
            "to": "+15557650000",
            "source": "laml",
            "charge": 0.0035,
            "charge_details": [{"description": "Outbound call", "charge": 0.0035}],
            "created_at": created,
            "type": "laml_call",
            "url": None,
            "direction": "outbound-api",
            "status": "completed",
            "duration": 42,
            "duration_ms": 42000,
            "billing_ms": 60000,
            "parent_id": None,
        }
    elif kind == "messaging":
        base = {
            "id": lid,
            "from": "+15551230000",
            "to": "+15557650000",
            "status": "delivered",
            "direction": "outbound-api",
            "kind": "sms",
            "source": "laml",
            "type": "laml_message",
            "url": None,
            "number_of_segments": 1,
            "charge": 0.00415,
            "charge_details": [{"description": "SMS segment", "charge": 0.00415}],
            "created_at": created,
            "error_message": None,
            "error_code": None,
        }
    elif kind == "fax":
        base = {
            "id": lid,
            "from": "+15551230000",
            "to": "+15557650000",
            "status": "completed",
            "direction": "outbound-api",
            "source": "laml",
            "type": "laml_call",
            "url": f"https://fake.signalwire.invalid/api/laml/2010-04-01/Accounts/{project_id}/Faxes/{lid}",
            "remote_station": None,
            "charge": 0.007,
            "number_of_pages": 2,
            "quality": "fine",
            "charge_details": [{"description": "Fax pages", "charge": 0.007}],
            "created_at": created,
            "error_code": None,
            "error_message": None,
        }
    elif kind == "video":
        base = {
            "id": lid,
            "source": "realtime_api",
            "type": "video_room_session",
            "url": f"/api/video/logs/{lid}",
            "room_name": "seeded-room",
            "status": "completed",
            "locked": False,
            "started_at": iso(when - timedelta(minutes=10)),
            "ended_at": created,
            "charge": 0.012,
            "created_at": created,
            "charge_details": [{"description": "Video minutes", "charge": 0.012}],
        }
    elif kind == "conferences":
        base = {
            "id": lid,
            "created_at": created,
            "project_id": project_id,
            "region": "us-east",
            "name": "seeded-conference",
            "status": "completed",
            "max_size": 250,
            "current_participants": 0,
            "updated_at": created,
            "type": "cxml_conference",
        }
    else:
        raise ValueError(f"unknown log kind {kind!r}; expected one of {LOG_KINDS}")
    base.update(overrides)
    return base
