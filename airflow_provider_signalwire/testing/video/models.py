"""Video backend: rooms, room sessions with their members and events, recordings, conferences."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.errors import unprocessable
from airflow_provider_signalwire.testing.records import Fresh, Record, Table, TableOf, count_arg
from airflow_provider_signalwire.testing.util import iso

COLORS = {
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


ACTIVE_SESSION_KEYS = (
    *("id", "room_id", "name", "display_name", "layout", "max_members", "fps", "quality"),
    *("start_time", "status", "record_on_start"),
)


_MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
DEFAULT_RECORDING_SIZE = len(_MP4_HEADER) + 32 * 64
# How long a member who joined with a freshly minted room token stays (seconds of the fake clock).
JOIN_SECONDS = 5
MEDIA_FAULTS = ("cut", "short")


def recording_bytes(recording_id: str) -> bytes:
    """The (fake, deterministic) content served for a room recording of the default size."""
    return b"".join(recording_chunks(recording_id, DEFAULT_RECORDING_SIZE))


def recording_chunks(recording_id: str, size: int, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """``size`` deterministic bytes for a recording, in chunks (large files never sit in memory)."""
    digest = hashlib.sha256(recording_id.encode()).digest()
    block = digest * (chunk_size // len(digest) + 1)
    first = (_MP4_HEADER + block)[: min(size, chunk_size)]
    yield first
    sent = len(first)
    while sent < size:
        piece = block[: min(chunk_size, size - sent)]
        sent += len(piece)
        yield piece


@dataclass(kw_only=True)
class Editable(Record):
    """A record the API updates in place (``PUT``): fields set, ``updated`` stamped."""

    updated: datetime

    def update(self, fields: dict[str, Any], now: datetime) -> None:
        for key, value in fields.items():
            self.set(key, value)
        self.updated = now

    def set(self, key: str, value: Any) -> None:
        setattr(self, key, value)


@dataclass(kw_only=True)
class Room(Editable):
    name: str
    display_name: str
    description: str | None = None
    max_members: int = 20
    quality: str = "720p"
    join_from: str | None = None
    join_until: str | None = None
    remove_at: str | None = None
    remove_after_seconds_elapsed: int | None = None
    layout: str = "grid-responsive"
    record_on_start: bool = False
    enable_room_previews: bool = False
    sync_audio_video: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "max_members": self.max_members,
            "quality": self.quality,
            "fps": 20,
            "join_from": self.join_from,
            "join_until": self.join_until,
            "remove_at": self.remove_at,
            "remove_after_seconds_elapsed": self.remove_after_seconds_elapsed,
            "layout": self.layout,
            "record_on_start": self.record_on_start,
            "tone_on_entry_and_exit": True,
            "room_join_video_off": False,
            "user_join_video_off": False,
            "enable_room_previews": self.enable_room_previews,
            "sync_audio_video": self.sync_audio_video,
            "meta": self.meta,
            "prioritize_handraise": False,
            "created_at": iso(self.created),
            "updated_at": iso(self.updated),
        }


@dataclass(kw_only=True)
class RoomSession(Record):
    room: dict[str, Any]  # the room's settings when the session started
    start: datetime
    end: datetime | None
    # A session started by a simulated join ends on its own when the fake clock reaches this.
    ends_at: datetime | None = None

    @property
    def room_id(self) -> str:
        return str(self.room["id"])

    @property
    def in_progress(self) -> bool:
        return self.end is None

    def render(self, listing: bool = False) -> dict[str, Any]:
        room = self.room
        view: dict[str, Any] = {
            "id": self.id,
            "room_id": room["id"],
            **{
                k: room[k]
                for k in (
                    "name",
                    "display_name",
                    "max_members",
                    "quality",
                    "fps",
                    "join_from",
                    "join_until",
                    "remove_at",
                    "remove_after_seconds_elapsed",
                    "layout",
                    "record_on_start",
                    "tone_on_entry_and_exit",
                    "room_join_video_off",
                    "user_join_video_off",
                    "sync_audio_video",
                )
            },
            "locked": False,
            "start_time": iso(self.start),
            "end_time": iso(self.end),
            "duration": None if self.end is None else int((self.end - self.start).total_seconds()),
            "status": "in-progress" if self.in_progress else "completed",
            "created_at": iso(self.start),
            "updated_at": iso(self.end or self.start),
            "preview_url": None,
            "prioritize_handraise": False,
        }
        if listing:
            view["cost_in_dollars"] = 0.0 if self.in_progress else 0.012
            view["enable_room_previews"] = False
            view["locked_cover"] = ""
        return view

    def summary(self) -> dict[str, Any]:
        """The ``active_session`` a room carries with ``include_active_session``."""
        full = self.render()
        return {k: full[k] for k in ACTIVE_SESSION_KEYS if full.get(k) is not None}


@dataclass(kw_only=True)
class Member(Record):
    room_session_id: str
    name: str
    leave: datetime | None

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room_session_id": self.room_session_id,
            "name": self.name,
            "join_time": iso(self.created),
            "leave_time": iso(self.leave),
            "duration": None if self.leave is None else int((self.leave - self.created).total_seconds()),
            "cost_in_dollars": 0.0 if self.leave is None else 0.006,
        }


@dataclass(kw_only=True)
class RoomEvent(Record):
    project_id: str
    room_id: str
    room_session_id: str
    name: str
    payload: dict[str, Any]
    room_recording_id: str | None = None

    def render(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": self.id,
            "project_id": self.project_id,
            "room_id": self.room_id,
            "room_session_id": self.room_session_id,
            "level": "info",
            "name": self.name,
            "payload": self.payload,
            "created_at": iso(self.created),
        }
        if self.room_recording_id:
            view["room_recording_id"] = self.room_recording_id
        return view


@dataclass(kw_only=True)
class RoomRecording(Record):
    room_session_id: str
    end: datetime | None
    media_base_url: str
    size: int = DEFAULT_RECORDING_SIZE

    @property
    def downloadable(self) -> bool:
        return self.end is not None

    def render(self) -> dict[str, Any]:
        done = self.end is not None
        return {
            "id": self.id,
            "room_session_id": self.room_session_id,
            "status": "completed" if done else "recording",
            "started_at": iso(self.created),
            "finished_at": iso(self.end),
            "duration": int((self.end - self.created).total_seconds()) if self.end else None,
            "size_in_bytes": self.size if done else None,
            "format": "mp4",
            "cost_in_dollars": 0.0045 if done else 0.0,
            "uri": f"{self.media_base_url}/recordings/{self.id}.mp4" if done else None,
            "created_at": iso(self.created),
            "updated_at": iso(self.end or self.created),
        }


@dataclass(kw_only=True)
class Conference(Editable):
    name: str
    display_name: str
    description: str | None = None
    join_from: str | None = None
    join_until: str | None = None
    quality: str = "720p"
    layout: str = "grid-responsive"
    size: str = "medium"
    record_on_start: bool = False
    enable_chat: bool = True
    enable_room_previews: bool = False
    colors: dict[str, str] = field(default_factory=lambda: dict(COLORS))

    def set(self, key: str, value: Any) -> None:
        if key in COLORS:
            self.colors[key] = value
        else:
            setattr(self, key, value)

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "join_from": self.join_from,
            "join_until": self.join_until,
            "quality": self.quality,
            "layout": self.layout,
            "size": self.size,
            "record_on_start": self.record_on_start,
            "tone_on_entry_and_exit": True,
            "user_join_video_off": False,
            "room_join_video_off": False,
            "enable_chat": self.enable_chat,
            "enable_room_previews": self.enable_room_previews,
            **self.colors,
            "meta": {},
            "created_at": iso(self.created),
            "updated_at": iso(self.updated),
        }


MODERATOR_SCOPES = (
    "room.list_available_layouts",
    "room.set_layout",
    "room.member.audio_mute",
    "room.member.audio_unmute",
    "room.member.video_mute",
    "room.member.video_unmute",
    "room.member.remove",
    "room.recording",
    "room.lock",
    "room.unlock",
)
GUEST_SCOPES = (
    "room.self.audio_mute",
    "room.self.audio_unmute",
    "room.self.video_mute",
    "room.self.video_unmute",
)


def conference_token_value() -> str:
    return f"vpt_{secrets.token_hex(16)}"


@dataclass(kw_only=True)
class ConferenceToken(Record):
    """One of the tokens a conference is created with (SignalWire makes a moderator and a guest one)."""

    conference_id: str
    name: str
    token: str = field(default_factory=conference_token_value)
    scopes: tuple[str, ...] = ()

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "token": self.token, "scopes": list(self.scopes)}


class VideoBackend(Backend):
    """Rooms, sessions (with members, events and recordings) and conferences of one space."""

    name: ClassVar[str] = "video"
    rooms = TableOf(Room)
    sessions = TableOf(RoomSession)
    members = TableOf(Member)
    events = TableOf(RoomEvent)
    recordings = TableOf(RoomRecording)
    conferences = TableOf(Conference)
    conference_tokens = TableOf(ConferenceToken)
    # recording id -> "cut" (the media host stops halfway) or "short" (serves fewer bytes than
    # size_in_bytes says), for the next download of that recording only.
    media_faults = Fresh[dict[str, str]](dict)

    # -------------------------------------------------------------------- rooms
    def find_room(self, id_or_name: str) -> Room | None:
        return self.rooms.get(id_or_name) or self.rooms.find(lambda r: r.name == id_or_name)

    def create_room(self, fields: dict[str, Any]) -> Room:
        """A new room from validated API fields (422 ``name_taken`` if the name is in use)."""
        with self.lock:
            if self.find_room(fields["name"]) is not None:
                raise unprocessable("name", "name has already been taken", "name_taken")
            now = self.now()
            fields = {"display_name": fields["name"], **fields}
            return self.rooms.add(Room(created=now, updated=now, seq=self.seq(), **fields))

    def ensure_room(self, name: str, display_name: str) -> Room:
        with self.lock:
            return self.find_room(name) or self.create_room({"name": name, "display_name": display_name})

    def update(self, record: Room | Conference, fields: dict[str, Any]) -> None:
        """Apply validated API fields to a room or conference."""
        with self.lock:
            record.update(fields, self.now())

    def active_session(self, room_id: str) -> RoomSession | None:
        return self.sessions.find(lambda s: s.room_id == room_id and s.in_progress)

    def room_view(self, room: Room, with_session: bool = False) -> dict[str, Any]:
        view = room.render()
        active = self.active_session(room.id) if with_session else None
        if active is not None:
            view["active_session"] = active.summary()
        return view

    # ----------------------------------------------------------------- sessions
    def create_session(
        self,
        room: Room,
        *,
        recordings: int = 1,
        members: int = 2,
        in_progress: bool = False,
        ended_at: datetime | None = None,
    ) -> RoomSession:
        """A session of ``room`` that started 30 minutes ago (and ran 20 minutes unless in progress),
        with ``members`` members, their events and ``recordings`` recordings.  ``ended_at``: the
        session (and its recordings) ended then instead, after running 20 minutes."""
        start = self.now() - timedelta(minutes=30) if ended_at is None else ended_at - timedelta(minutes=20)
        end = None if in_progress else start + timedelta(minutes=20)
        with self.lock:
            sess = self._start_session(room, start, end=end)
            for i in range(members):
                leave = None if end is None else end - timedelta(minutes=i)
                self._join(sess, f"member-{i + 1}", start + timedelta(minutes=i), leave, event_at=start)
            for i in range(recordings):
                self._record(sess, start + timedelta(minutes=1 + i), end, event_at=start)
            if end is not None:
                self._end_session(sess, end)
        return sess

    def _start_session(
        self, room: Room, start: datetime, end: datetime | None, ends_at: datetime | None = None
    ) -> RoomSession:
        sess = RoomSession(
            created=start, seq=self.seq(), room=room.render(), start=start, end=end, ends_at=ends_at
        )
        self.sessions.add(sess)
        self._event(sess, "session.started", start, {"room_name": room.name})
        return sess

    def _join(
        self, sess: RoomSession, name: str, when: datetime, leave: datetime | None, event_at: datetime
    ) -> None:
        member = Member(created=when, seq=self.seq(), room_session_id=sess.id, name=name, leave=leave)
        self.members.add(member)
        self._event(sess, "member.joined", event_at, {"member_id": member.id, "name": member.name})

    def _record(self, sess: RoomSession, when: datetime, end: datetime | None, event_at: datetime) -> None:
        rec = RoomRecording(
            created=when,
            seq=self.seq(),
            room_session_id=sess.id,
            end=end,
            media_base_url=self.core.media_base_url,
        )
        self.recordings.add(rec)
        self._event(sess, "recording.started", event_at, {"recording_id": rec.id}, rec.id)

    def _event(
        self, sess: RoomSession, name: str, when: datetime, payload: dict[str, Any], rec_id: str | None = None
    ) -> None:
        self.events.add(
            RoomEvent(
                created=when,
                seq=self.seq(),
                project_id=self.core.project_id,
                room_id=sess.room_id,
                room_session_id=sess.id,
                name=name,
                payload=payload,
                room_recording_id=rec_id,
            )
        )

    def _end_session(self, sess: RoomSession, end: datetime) -> None:
        """Stop the session's recordings and members at ``end`` and log the events."""
        sess.end = end
        sess.ends_at = None
        for rec in self.recordings.newest_first(lambda r: r.room_session_id == sess.id):
            if rec.end is None or rec.end == end:
                rec.end = end
                self._event(sess, "recording.ended", end, {"recording_id": rec.id}, rec.id)
        for member in self.members.newest_first(lambda m: m.room_session_id == sess.id and m.leave is None):
            member.leave = end
        self._event(sess, "session.ended", end, {})

    # ------------------------------------------------------------ simulated joins
    def join(self, room: Room, user_name: str) -> RoomSession:
        """A member joins ``room`` now and stays :data:`JOIN_SECONDS` (the fake has no browsers, so a
        minted room token is used at once). Starts the room's session (recorded if the room says
        ``record_on_start``) or extends the one in progress; :meth:`settle` ends it on the clock."""
        with self.lock:
            now = self.now()
            leave = now + timedelta(seconds=JOIN_SECONDS)
            sess = self.active_session(room.id)
            if sess is None:
                sess = self._start_session(room, now, end=None, ends_at=leave)
                if room.record_on_start:
                    self._record(sess, now, None, event_at=now)
            elif sess.ends_at is not None:
                sess.ends_at = max(sess.ends_at, leave)
            self._join(sess, user_name, now, None, event_at=now)
            return sess

    def settle(self) -> None:
        """End every simulated session whose members have all left by the fake clock's now."""
        now = self.now()
        with self.lock:
            for sess in self.sessions.newest_first(lambda s: s.end is None and s.ends_at is not None):
                assert sess.ends_at is not None
                if sess.ends_at <= now:
                    self._end_session(sess, sess.ends_at)

    # ------------------------------------------------------------------ media
    def break_download(self, recording_id: str, kind: str = "cut") -> None:
        """Make the next download of ``recording_id`` fail: ``"cut"`` stops the body halfway (the
        connection is closed early), ``"short"`` serves fewer bytes than ``size_in_bytes`` says."""
        if kind not in MEDIA_FAULTS:
            raise ValueError(f"kind: unknown media fault {kind!r}; expected one of {MEDIA_FAULTS}")
        if self.recordings.get(recording_id) is None:
            raise ValueError(f"recording_id: no recording {recording_id!r}")
        self.media_faults[recording_id] = kind

    def set_recording_size(self, recording_id: str, size: int) -> None:
        """Make ``recording_id``'s file ``size`` bytes long (e.g. tens of MB for streaming tests)."""
        count_arg("size", size)
        rec = self.recordings.get(recording_id)
        if rec is None:
            raise ValueError(f"recording_id: no recording {recording_id!r}")
        rec.size = size

    def session_sublist(self, session_id: str, kind: str) -> list[dict[str, Any]]:
        """A session's ``members`` or ``events`` (in order) or ``recordings`` (newest first); 404 if
        there is no such session."""
        table: Table[Any] = getattr(self, kind)  # members, events or recordings
        rows = self.children(self.sessions, session_id, table, "room_session_id")
        if kind == "recordings":
            rows.reverse()
        return [r.render() for r in rows]

    # ------------------------------------------------------------- conferences
    def create_conference(self, fields: dict[str, Any]) -> Conference:
        """A new conference with its moderator and guest tokens (422 ``name_taken`` if ``name`` is in
        use; a name derived from ``display_name`` gets a suffix instead)."""
        now = self.now()
        name = fields.get("name")
        taken = {c.name for c in self.conferences}
        if name is not None and name in taken:
            raise unprocessable("name", "name has already been taken", "name_taken")
        if name is None:
            base = "".join(c if c.isalnum() or c in "-_" else "-" for c in fields["display_name"])[:90]
            name, k = base, 1
            while name in taken:
                k += 1
                name = f"{base}-{k}"
        colors = {**COLORS, **{k: v for k, v in fields.items() if k in COLORS}}
        plain = {k: v for k, v in fields.items() if k not in COLORS and k != "name"}
        with self.lock:
            conf = self.conferences.add(
                Conference(created=now, updated=now, seq=self.seq(), name=name, colors=colors, **plain)
            )
            for token_name, scopes in (("Moderator", MODERATOR_SCOPES), ("Guest", GUEST_SCOPES)):
                self.conference_tokens.add(
                    ConferenceToken(
                        created=now, seq=self.seq(), conference_id=conf.id, name=token_name, scopes=scopes
                    )
                )
        return conf

    def delete_conference(self, conference_id: str) -> None:
        with self.lock:
            self.conferences.pop_or_404(conference_id)
            for token in self.conference_tokens.newest_first(lambda t: t.conference_id == conference_id):
                self.conference_tokens.pop_or_404(token.id)

    def reset_conference_token(self, token_id: str) -> ConferenceToken:
        token = self.conference_tokens.get_or_404(token_id)
        token.token = conference_token_value()
        return token

    # ------------------------------------------------------------------- seeds
    def seed_rooms(self, n: int) -> list[Room]:
        """``n`` rooms named ``seeded-room-<k>``, each scheduled to open ``k`` hours from now."""
        count_arg("n", n)
        now = self.now().replace(microsecond=0)
        out = []
        with self.lock:
            k = len(self.rooms)
            for _ in range(n):
                k += 1
                while self.find_room(f"seeded-room-{k}") is not None:
                    k += 1
                opens = now + timedelta(hours=k)
                fields = {
                    "name": f"seeded-room-{k}",
                    "display_name": f"Room {k}",
                    "join_from": iso(opens),
                    "join_until": iso(opens + timedelta(hours=1)),
                }
                out.append(self.create_room(fields))
        return out

    def seed_sessions(self, n: int, recordings_per_session: int = 1) -> list[RoomSession]:
        """``n`` completed sessions spread over the rooms (one room is created if there is none)."""
        count_arg("n", n)
        count_arg("recordings_per_session", recordings_per_session)
        with self.lock:
            rooms = sorted(self.rooms, key=lambda r: r.order) or self.seed_rooms(1)
            return [
                self.create_session(rooms[i % len(rooms)], recordings=recordings_per_session)
                for i in range(n)
            ]


BACKEND = VideoBackend
