"""Operators for SignalWire Video conferences: rooms with SignalWire's ready-made UI, and their tokens.

Importable from :mod:`airflow_provider_signalwire.operators.video` as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowFailException, mask_secret

from airflow_provider_signalwire.exceptions import SignalWireAPIError, SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import (
    IfExistsMixin,
    name_taken,
    resource_id,
    segment,
    values,
)
from airflow_provider_signalwire.operators._video_common import CONFERENCES, _ScheduleListOperator
from airflow_provider_signalwire.operators._video_schema import (
    CONFERENCE_SETTINGS,
    NAME,
    check_field,
    check_fields,
    is_pending,
)
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator, SignalWireDeleteOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class ListVideoConferencesOperator(_ScheduleListOperator):
    """
    List the space's video conferences (``GET /api/video/conferences``), following every page.

    :param include_active_session: Include each conference's active session, if any (templated).
    :param starts_after: Only conferences whose ``join_from`` is on or after this RFC 3339 date or
        datetime (templated).
    :param ends_before: Only conferences whose ``join_until`` is on or before this (templated).
    :param page_size: Conferences per page, 1 to 1000.
    :param max_items: Stop after this many conferences.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: A list of conference dicts.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = (
        "include_active_session",
        "starts_after",
        "ends_before",
        "signalwire_conn_id",
    )
    list_path = CONFERENCES
    list_noun = "video conferences"


class CreateVideoConferenceOperator(IfExistsMixin, SignalWireBaseOperator):
    """
    Create a video conference (``POST /api/video/conferences``): a room with SignalWire's ready-made UI.
    SignalWire gives it its conference tokens (see :class:`ListVideoConferenceTokensOperator`).

    :param display_name: Display name, up to 200 characters (templated; required).
    :param conference_name: Unique name, 1 to 100 of ``A-Za-z0-9_-`` (templated; the API's ``name``).
        Needed for ``if_exists="reuse"``/``"update"``: it is how a rerun finds the conference.
    :param description: Up to 3000 characters (templated).
    :param join_from: No one joins before this RFC 3339 date/datetime (templated).
    :param join_until: No one joins after this (templated).
    :param quality: ``720p`` or ``1080p`` (templated).
    :param layout: Initial layout, e.g. ``grid-responsive`` (templated).
    :param size: ``small``, ``medium`` or ``large`` (templated).
    :param record_on_start: Record from the start (templated).
    :param enable_room_previews: Generate preview videos (templated).
    :param enable_chat: Group chat (templated).
    :param dark_primary: Theme colors as ``#RRGGBB`` (templated), also ``dark_background``,
        ``dark_foreground``, ``dark_success``, ``dark_negative`` and ``light_primary``,
        ``light_background``, ``light_foreground``, ``light_success``, ``light_negative``.
    :param if_exists: ``"error"`` (default), ``"reuse"`` or ``"update"``, as for rooms.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The conference dict.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("conference_name", *CONFERENCE_SETTINGS, "signalwire_conn_id")

    def __init__(
        self,
        *,
        display_name: str,
        conference_name: str | None = None,
        if_exists: str = "error",
        **kwargs: Any,
    ) -> None:
        settings = {name: kwargs.pop(name, None) for name in CONFERENCE_SETTINGS if name != "display_name"}
        super().__init__(**kwargs)
        self.display_name = display_name
        self.conference_name = conference_name
        for name, value in settings.items():
            setattr(self, name, value)
        self.if_exists = self._check_if_exists(if_exists)
        if if_exists != "error" and conference_name is None:
            raise SignalWireConfigError(
                f"{self.task_id}: if_exists={if_exists!r} needs conference_name: the unique name a rerun "
                "finds the conference by."
            )
        if display_name is None:
            raise SignalWireConfigError(f"{self.task_id}: display_name is None: give the conference a name.")
        self._body(rendered=False)

    def _body(self, *, rendered: bool) -> dict[str, Any]:
        body = check_fields(
            self.task_id, values(self, CONFERENCE_SETTINGS), CONFERENCE_SETTINGS, rendered=rendered
        )
        name = self.conference_name
        if name is not None and (rendered or not is_pending(name)):
            body["name"] = check_field(self.task_id, "conference_name", name, NAME)
        elif name is not None:
            body["name"] = name
        return body

    def execute(self, context: Context) -> dict[str, Any]:
        body = self._body(rendered=True)
        try:
            conference = self.hook.request("POST", CONFERENCES, json=body)
        except SignalWireAPIError as err:
            name = body.get("name")
            if not name_taken(err) or name is None:
                raise
            if self.if_exists == "error":
                raise self._exists_error("conference", name, err) from err
            conference = next(
                (c for c in self.hook.paginate(CONFERENCES, page_size=1000) if c.get("name") == name), None
            )
            if conference is None:
                raise
            if self.if_exists == "update":
                settings = {k: v for k, v in body.items() if k != "name"}
                conference = self.hook.request(
                    "PUT", f"{CONFERENCES}/{segment(conference['id'])}", json=settings
                )
                self.log.info("Video conference %s (%s) existed; updated it.", name, conference.get("id"))
            else:
                self.log.info("Video conference %s (%s) exists; reusing it.", name, conference.get("id"))
            return conference
        self.log.info("Created video conference %s (%s).", conference.get("name"), conference.get("id"))
        return conference


class DeleteVideoConferenceOperator(SignalWireDeleteOperator):
    """
    Delete a video conference (``DELETE /api/video/conferences/{id}``), and with it its tokens.

    :param conference_id: The conference's id (templated).
    :param missing_ok: A conference that is already gone is success (default), so reruns succeed.
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id": ..., "deleted": True}``, or ``"deleted": False`` when it was gone.
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("conference_id", "signalwire_conn_id")
    id_field = "conference_id"
    noun = "video conference"

    def __init__(self, *, conference_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conference_id = conference_id

    def delete_path(self, resource_id: str) -> str:
        return f"{CONFERENCES}/{segment(resource_id)}"


class ListVideoConferenceTokensOperator(SignalWireBaseOperator):
    """
    List a conference's tokens (``GET /api/video/conferences/{id}/conference_tokens``), e.g. its
    moderator and guest tokens. SignalWire creates them with the conference (its API has no call that
    creates one); :class:`ResetVideoConferenceTokenOperator` mints a new value for one.

    Every token is registered with Airflow's secrets masker and never logged; XCom gets each token's
    ``id``, ``name`` and ``scopes``, and the token itself only with ``return_tokens=True``.

    :param conference_id: The conference's id (templated).
    :param token_name: Only the token with this name, e.g. ``"Guest"`` (templated).
    :param return_tokens: Also return the tokens themselves (stored in XCom in clear).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: A list of ``{"id", "name", "scopes"}`` (plus ``"token"`` with ``return_tokens``).
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("conference_id", "token_name", "signalwire_conn_id")

    def __init__(
        self, *, conference_id: str, token_name: str | None = None, return_tokens: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.conference_id = conference_id
        self.token_name = token_name
        self.return_tokens = return_tokens

    def execute(self, context: Context) -> list[dict[str, Any]]:
        conference_id = resource_id(self.task_id, "conference_id", self.conference_id)
        path = f"{CONFERENCES}/{segment(conference_id)}/conference_tokens"
        tokens = [_token_view(t, self.return_tokens) for t in self.hook.paginate(path, page_size=1000)]
        if self.token_name:
            tokens = [t for t in tokens if t.get("name") == self.token_name]
            if not tokens:
                raise AirflowFailException(
                    f"{self.task_id}: conference {conference_id} has no token named {self.token_name!r}."
                )
        self.log.info(
            "Conference %s: %d tokens (%s).",
            conference_id,
            len(tokens),
            ", ".join(str(t.get("name")) for t in tokens),
        )
        return tokens


class ResetVideoConferenceTokenOperator(SignalWireBaseOperator):
    """
    Give a conference token a new value (``POST /api/video/conference_tokens/{id}/reset``); the old value
    stops working. Masked and returned like :class:`ListVideoConferenceTokensOperator`'s tokens.

    :param token_id: The conference token's id (templated).
    :param return_token: Also return the new token itself (stored in XCom in clear).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: ``{"id", "name", "scopes"}`` (plus ``"token"`` with ``return_token``).
    """

    required_permissions = ("video",)

    template_fields: Sequence[str] = ("token_id", "signalwire_conn_id")

    def __init__(self, *, token_id: str, return_token: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token_id = token_id
        self.return_token = return_token

    def execute(self, context: Context) -> dict[str, Any]:
        token_id = resource_id(self.task_id, "token_id", self.token_id)
        answer = self.hook.request("POST", f"/api/video/conference_tokens/{segment(token_id)}/reset")
        view = _token_view(answer, self.return_token)
        self.log.info("Reset conference token %s (%s).", token_id, view.get("name"))
        return view


def _token_view(token: Mapping[str, Any], with_token: bool) -> dict[str, Any]:
    """A conference token for XCom: masked at once; its value only when asked."""
    value = token.get("token")
    if isinstance(value, str) and value:
        mask_secret(value)
    view = {"id": token.get("id"), "name": token.get("name"), "scopes": list(token.get("scopes") or [])}
    if with_token:
        view["token"] = value
    return view
