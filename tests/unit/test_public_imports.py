"""Users' DAGs import from these paths: every public class and function stays importable from where it
was, whatever module now holds it, and the public exceptions are one class whichever path is used."""

from __future__ import annotations

import importlib

import pytest

PACKAGE = "airflow_provider_signalwire"

PUBLIC: dict[str, list[str]] = {
    "operators.video": [
        "CreateVideoConferenceOperator",
        "CreateVideoRoomOperator",
        "CreateVideoRoomTokenOperator",
        "DeleteVideoConferenceOperator",
        "DeleteVideoRoomOperator",
        "DeleteVideoRoomRecordingOperator",
        "DownloadVideoRoomRecordingOperator",
        "GetVideoRoomOperator",
        "GetVideoRoomSessionOperator",
        "ListVideoConferenceTokensOperator",
        "ListVideoConferencesOperator",
        "ListVideoRoomRecordingsOperator",
        "ListVideoRoomSessionsOperator",
        "ListVideoRoomsOperator",
        "ResetVideoConferenceTokenOperator",
        "UpdateVideoRoomOperator",
    ],
    "operators.messaging": [
        "COMPAT_API",
        "E164",
        "MAX_BODY_CHARS",
        "GetMessageOperator",
        "ListMessagesOperator",
        "Pacer",
        "SendMessageOperator",
        "SignalWireSendError",
        "as_utc",
        "sender_pool",
        "check_body",
        "compat_path",
        "data_interval",
        "day_filter",
        "e164",
        "find_identical",
        "first_try",
        "is_rate_limited",
        "list_window",
        "outcome_of",
        "parse_numbers",
        "parse_rfc2822",
        "rate_limit_rule",
        "run_started",
        "send_each",
        "url_list",
    ],
    "operators.voice": ["GetCallOperator", "ListCallsOperator", "MakeCallOperator", "call_address"],
    "operators.call_recordings": [
        "DeleteCallRecordingOperator",
        "DeleteTranscriptionOperator",
        "DownloadCallRecordingOperator",
        "GetCallRecordingOperator",
        "GetTranscriptionOperator",
        "ListCallRecordingsOperator",
        "ListTranscriptionsOperator",
    ],
    "operators.fax": [
        "DeleteFaxMediaOperator",
        "DeleteFaxOperator",
        "DownloadFaxMediaOperator",
        "GetFaxOperator",
        "ListFaxMediaOperator",
        "ListFaxesOperator",
        "SendFaxOperator",
    ],
    "sensors.fax": ["FaxStatusSensor"],
    "operators.message_media": [
        "DeleteMessageMediaOperator",
        "DownloadMessageMediaOperator",
        "ListMessageMediaOperator",
    ],
    "operators.api": ["SignalWireAPIOperator"],
    "operators.datasphere": [
        "CreateDatasphereDocumentOperator",
        "DeleteDatasphereDocumentOperator",
        "ListDatasphereDocumentsOperator",
        "SearchDatasphereOperator",
        "UpdateDatasphereDocumentOperator",
    ],
    "transfers.datasphere": ["SYNC_TAG_PREFIX", "SyncToDatasphereOperator", "plan_sync"],
    "operators.retention": ["RETENTION_KINDS", "RetentionKind", "SignalWireRetentionOperator"],
    "sensors.base": ["SignalWireSensorFailure", "SignalWireStatusSensor"],
    "sensors.video": ["VideoRoomRecordingSensor", "VideoRoomSessionSensor"],
    "sensors.messaging": ["MessageStatusSensor"],
    "sensors.voice": ["CallStatusSensor"],
    "notifications.signalwire": [
        "SignalWireNotifier",
        "default_text",
        "fit_sms",
        "log_url",
        "masked",
        "send_signalwire_notification",
        "sms_segments",
    ],
    "exceptions": [
        "SignalWireAPIError",
        "SignalWireConfigError",
        "SignalWirePaginationError",
        "SignalWireSendError",
        "SignalWireSensorFailure",
        "SignalWireWatchError",
    ],
    "triggers.events": ["SignalWireWatchError"],
    "operators.project": [
        "CheckSignalWirePermissionsOperator",
        "CreateSignalWireAPITokenOperator",
        "DeleteSignalWireAPITokenOperator",
        "RotateSignalWireTokenOperator",
        "UpdateSignalWireAPITokenOperator",
        "probe_permissions",
    ],
    "operators.realtime": ["CreateChatTokenOperator", "CreatePubSubTokenOperator"],
    "hooks.connection_stores": [
        "AirflowRESTConnectionStore",
        "AwsSecretsManagerConnectionStore",
        "ConnectionStore",
    ],
    "permissions": ["PermissionReport", "dag_file_permissions", "dag_permissions", "task_permissions"],
}
PUBLIC["exceptions"].append("SignalWireConnectionStoreError")

ROWS = [(module, name) for module, names in PUBLIC.items() for name in names]


@pytest.mark.parametrize(("module", "name"), ROWS, ids=[f"{m}.{n}" for m, n in ROWS])
def test_importable_from_its_public_path(module, name):
    assert getattr(importlib.import_module(f"{PACKAGE}.{module}"), name) is not None


@pytest.mark.parametrize(
    ("old", "name"),
    [
        ("operators.messaging", "SignalWireSendError"),
        ("sensors.base", "SignalWireSensorFailure"),
        ("triggers.events", "SignalWireWatchError"),
    ],
)
def test_public_exceptions_live_in_exceptions(old, name):
    exceptions = importlib.import_module(f"{PACKAGE}.exceptions")
    assert getattr(importlib.import_module(f"{PACKAGE}.{old}"), name) is getattr(exceptions, name)
    assert getattr(exceptions, name).__module__ == f"{PACKAGE}.exceptions"


def test_video_lists_every_operator_in_all():
    video = importlib.import_module(f"{PACKAGE}.operators.video")
    assert sorted(video.__all__) == sorted(PUBLIC["operators.video"])
