"""Stored media backend: call recordings (their WAV and MP3 files), transcriptions and message media.

The files are served on the space's own host, as SignalWire serves them: public by default, or behind
the project's credentials once the project turns on Media URL Protection for that kind
(:meth:`MediaBackend.protect`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from airflow_provider_signalwire.testing.core import Backend
from airflow_provider_signalwire.testing.messaging.models import MessagingBackend
from airflow_provider_signalwire.testing.records import Fresh, Record, TableOf
from airflow_provider_signalwire.testing.util import COMPAT_PREFIX, rfc2822
from airflow_provider_signalwire.testing.voice.models import VoiceBackend

# Which Media URL Protection toggles exist (SignalWire's project settings): recordings, message media,
# fax media.
PROTECTABLE = ("recordings", "messages", "faxes")
RECORDING_FORMATS = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
WAV_BYTES_PER_SECOND = 16_000  # 8 kHz, 16-bit mono
MP3_BYTES_PER_SECOND = 4_000  # 32 kbit/s


def media_bytes(seed: str, size: int, header: bytes = b"") -> bytes:
    """``size`` deterministic bytes for ``seed`` (a file's content), starting with ``header``."""
    out = bytearray(header[:size])
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


@dataclass(kw_only=True)
class CallRecording(Record):
    account_sid: str
    call_sid: str | None
    duration: int
    started: datetime
    source: str = "RecordVerb"

    @property
    def ended(self) -> datetime:
        return self.started + timedelta(seconds=self.duration)

    def content(self, fmt: str) -> bytes:
        """The recording's file in ``fmt`` (``wav`` or ``mp3``)."""
        if fmt == "mp3":
            return media_bytes(f"{self.id}.mp3", 128 + self.duration * MP3_BYTES_PER_SECOND, b"ID3\x04\x00")
        size = 44 + self.duration * WAV_BYTES_PER_SECOND
        return media_bytes(f"{self.id}.wav", size, b"RIFF" + (size - 8).to_bytes(4, "little") + b"WAVEfmt ")

    def render(self) -> dict[str, Any]:
        base = f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Recordings/{self.id}"
        return {
            "sid": self.id,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "call_sid": self.call_sid,
            "conference_sid": None,
            "channel": "1",
            "channels": "1",
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.ended),
            "start_time": rfc2822(self.started),
            "end_time": rfc2822(self.ended),
            "duration": self.duration,
            "price": f"{-0.0025 * max(1, -(-self.duration // 60)):.4f}",
            "price_unit": "USD",
            "source": self.source,
            "status": "completed",
            "error_code": None,
            "uri": f"{base}.json",
            "subresource_uris": {"transcriptions": f"{base}/Transcriptions.json"},
            "encryption_details": None,
            "trim": "do-not-trim",
        }


@dataclass(kw_only=True)
class Transcription(Record):
    account_sid: str
    recording_sid: str
    duration: int
    text: str | None
    updated: datetime

    def render(self) -> dict[str, Any]:
        return {
            "sid": self.id,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "recording_sid": self.recording_sid,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated),
            "duration": self.duration,
            "price": "-0.00025",
            "price_unit": "USD",
            "status": "completed",
            "transcription_text": self.text,
            "type": "",
            "uri": f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Transcriptions/{self.id}.json",
        }


@dataclass(kw_only=True)
class MessageMedia(Record):
    account_sid: str
    message_sid: str
    content_type: str
    data: bytes

    def render(self) -> dict[str, Any]:
        base = f"{COMPAT_PREFIX}/Accounts/{self.account_sid}/Messages/{self.message_sid}/Media/{self.id}"
        return {
            "account_sid": self.account_sid,
            "content_type": self.content_type,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.created),
            "parent_sid": self.message_sid,
            "sid": self.id,
            "uri": f"{base}.json",
        }


class MediaBackend(Backend):
    """Call recordings, transcriptions and message media of one space; which kinds are protected."""

    name: ClassVar[str] = "media"
    call_recordings = TableOf(CallRecording)
    transcriptions = TableOf(Transcription)
    message_media = TableOf(MessageMedia)
    protected = Fresh[set[str]](set)
    cut_files = Fresh[set[str]](set)  # ids whose next file download breaks half-way

    def break_download(self, file_id: str) -> None:
        """The next download of this recording's (or media's) file stops half-way, its length announced
        in full: a download that breaks mid-way."""
        with self.lock:
            self.cut_files.add(file_id)

    def take_cut(self, file_id: str) -> bool:
        with self.lock:
            if file_id in self.cut_files:
                self.cut_files.discard(file_id)
                return True
            return False

    def protect(self, kind: str, on: bool = True) -> None:
        """Turn Media URL Protection for ``kind`` (``recordings``, ``messages`` or ``faxes``) on or off."""
        if kind not in PROTECTABLE:
            raise ValueError(f"kind must be one of {', '.join(PROTECTABLE)}, got {kind!r}")
        with self.lock:
            (self.protected.add if on else self.protected.discard)(kind)

    def add_recording(
        self, call_sid: str | None, started: datetime, duration: int = 30, *, transcript: str | None = None
    ) -> CallRecording:
        """A completed recording of ``duration`` seconds (created when it started); with ``transcript``,
        its transcription too (created when the recording ended)."""
        with self.lock:
            recording = self.call_recordings.add(
                CallRecording(
                    created=started,
                    seq=self.seq(),
                    account_sid=self.core.project_id,
                    call_sid=call_sid,
                    duration=duration,
                    started=started,
                )
            )
            if transcript is not None:
                self.transcriptions.add(
                    Transcription(
                        created=recording.ended,
                        seq=self.seq(),
                        account_sid=self.core.project_id,
                        recording_sid=recording.id,
                        duration=duration,
                        text=transcript,
                        updated=recording.ended + timedelta(seconds=5),
                    )
                )
            return recording

    def add_message_media(self, message_sid: str, content_type: str, data: bytes) -> MessageMedia:
        """Media stored for an existing message (404 without it)."""
        message = self.core.backend(MessagingBackend).messages.get_or_404(message_sid)
        with self.lock:
            return self.message_media.add(
                MessageMedia(
                    created=message.created,
                    seq=self.seq(),
                    account_sid=self.core.project_id,
                    message_sid=message_sid,
                    content_type=content_type,
                    data=data,
                )
            )

    def seed_recordings(
        self, n: int, start: datetime | None = None, end: datetime | None = None, *, transcribe: bool = True
    ) -> list[CallRecording]:
        """``n`` completed calls started evenly over [start, end), each recorded from its answer for 5 to
        30 seconds, and (``transcribe``) transcribed."""
        voice = self.core.backend(VoiceBackend)
        fields = {"From": "+12025550150", "Url": "https://example.com/laml.xml"}

        def make(k: int, when: datetime) -> CallRecording:
            call = voice.create_call({**fields, "To": f"+1202555{k:04d}"}, when)
            text = f"Seeded transcription {k + 1}: thanks for calling." if transcribe else None
            return self.add_recording(call.id, when + timedelta(seconds=3), 5 + (k * 7) % 26, transcript=text)

        return self.seed_over(n, start, end, make)

    def record_calls(self, calls: list[Any]) -> list[CallRecording]:
        """A transcribed recording of each of these calls (from 3 s after it started, 20 s long)."""
        return [
            self.add_recording(
                c.id, c.created + timedelta(seconds=3), 20, transcript=f"Call {k + 1}, recorded."
            )
            for k, c in enumerate(calls)
        ]

    def seed_message_media(
        self, n: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[MessageMedia]:
        """``n`` received MMS messages sent evenly over [start, end), each with one stored image."""
        messaging = self.core.backend(MessagingBackend)

        def make(k: int, when: datetime) -> MessageMedia:
            message = messaging.receive_message("+12025550177", "+12025550150", f"Photo {k + 1}", when)
            image = media_bytes(message.id, 2048 + 512 * k, b"\x89PNG\r\n\x1a\n")
            return self.add_message_media(message.id, "image/png", image)

        return self.seed_over(n, start, end, make)


BACKEND = MediaBackend
