"""Operators for the tokens of SignalWire's realtime services, Chat and PubSub: what a browser client
authenticates with (``POST /api/chat/tokens``, ``POST /api/pubsub/tokens``), unlike an API token.

Arguments are checked when the DAG is parsed and again, rendered, before any request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowFailException, mask_secret

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.operators._arguments import is_pending, shown
from airflow_provider_signalwire.operators.base import SignalWireBaseOperator

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

__all__ = ["CreateChatTokenOperator", "CreatePubSubTokenOperator"]

MAX_TTL_MINUTES = 43200
MAX_CHANNELS = 500
MAX_NAME = 250
MAX_STATE = 2000


class _BrowserTokenOperator(SignalWireBaseOperator):
    """Mint a Chat or PubSub token; masked at once, in XCom only with ``return_token=True``."""

    service: ClassVar[str]
    reserved_prefix: ClassVar[str | None] = None
    template_fields: Sequence[str] = ("channels", "ttl", "member_id", "state", "signalwire_conn_id")
    template_fields_renderers = {"channels": "json", "state": "json"}

    def __init__(
        self,
        *,
        channels: dict[str, dict[str, bool]],
        ttl: int = 60,
        member_id: str | None = None,
        state: dict[str, Any] | None = None,
        return_token: bool = False,
        **kwargs: Any,
    ) -> None:
        if "token" in kwargs:
            raise SignalWireConfigError(
                f"{kwargs.get('task_id')}: token is not an argument: SignalWire mints the token."
            )
        super().__init__(**kwargs)
        self.channels = channels
        self.ttl = ttl
        self.member_id = member_id
        self.state = state
        self.return_token = return_token
        self._body(rendered=False)

    def _body(self, *, rendered: bool) -> dict[str, Any]:
        """The request body, every field checked (pending templates are skipped at parse time)."""
        task = self.task_id
        body: dict[str, Any] = {}
        ttl, channels, member_id, state = self.ttl, self.channels, self.member_id, self.state
        if rendered or not is_pending(ttl):
            if isinstance(ttl, str) and ttl.strip().isdigit():
                ttl = int(ttl)
            if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL_MINUTES:
                raise SignalWireConfigError(
                    f"{task}: ttl is {shown(ttl)}: give the token's lifetime in minutes, "
                    f"1 to {MAX_TTL_MINUTES}."
                )
            body["ttl"] = ttl
        if rendered or not is_pending(channels):
            body["channels"] = self._channels(_json_value(channels))
        if member_id is not None and (rendered or not is_pending(member_id)):
            if not isinstance(member_id, str) or not member_id.strip() or len(member_id) > MAX_NAME:
                raise SignalWireConfigError(
                    f"{task}: member_id is {shown(member_id)}: give text of 1 to {MAX_NAME} characters, "
                    "or leave it out for a random one."
                )
            body["member_id"] = member_id
        if state is not None and (rendered or not is_pending(state)):
            state = _json_value(state)
            if not isinstance(state, Mapping) or len(json.dumps(state)) > MAX_STATE:
                raise SignalWireConfigError(
                    f"{task}: state is {shown(state)}: give a dict of at most {MAX_STATE} characters as JSON."
                )
            body["state"] = dict(state)
        return body

    def _channels(self, channels: Any) -> dict[str, dict[str, bool]]:
        task = self.task_id
        if not isinstance(channels, Mapping) or not 1 <= len(channels) <= MAX_CHANNELS:
            raise SignalWireConfigError(
                f"{task}: channels is {shown(channels)}: give a dict of 1 to {MAX_CHANNELS} channels, "
                'e.g. {"lobby": {"read": True, "write": False}}.'
            )
        checked: dict[str, dict[str, bool]] = {}
        for name, grant in channels.items():
            if not isinstance(name, str) or not name or len(name) > MAX_NAME:
                raise SignalWireConfigError(
                    f"{task}: channel name {shown(name)}: use text of 1 to {MAX_NAME} characters."
                )
            if self.reserved_prefix and name.startswith(self.reserved_prefix):
                raise SignalWireConfigError(
                    f"{task}: channel {name!r}: names starting with {self.reserved_prefix!r} are reserved."
                )
            if (
                not isinstance(grant, Mapping)
                or not grant
                or set(grant) - {"read", "write"}
                or not all(isinstance(v, bool) for v in grant.values())
            ):
                raise SignalWireConfigError(
                    f"{task}: channel {name!r} is {shown(grant)}: give {{'read': bool, 'write': bool}} "
                    "(one of them at least)."
                )
            checked[name] = dict(grant)
        return checked

    def execute(self, context: Context) -> dict[str, Any]:
        body = self._body(rendered=True)
        answer = self.hook.request("POST", f"/api/{self.service}/tokens", json=body)
        token = answer.get("token") if isinstance(answer, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AirflowFailException(f"{self.task_id}: SignalWire's answer held no token.")
        mask_secret(token)
        self.log.info(
            "Minted a %s token for %d channels, member %s, valid %d minutes (%s).",
            self.service,
            len(body["channels"]),
            body.get("member_id", "(random)"),
            body["ttl"],
            "returned in XCom" if self.return_token else "not returned; return_token=True returns it",
        )
        result = dict(body)
        if self.return_token:
            result["token"] = token
        return result


def _json_value(value: Any) -> Any:
    """A rendered template arrives as text: a JSON object is read back; anything else is kept."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class CreateChatTokenOperator(_BrowserTokenOperator):
    """
    Mint a Chat token (``POST /api/chat/tokens``): what a browser client joins chat channels with.

    The token is a credential: it is registered with Airflow's secrets masker at once and never logged.
    XCom gets the token's settings, not the token, unless ``return_token=True``.

    :param channels: ``{"channel": {"read": bool, "write": bool}}``, 1 to 500 channels; names up to 250
        characters, not starting with ``sw_`` (templated).
    :param ttl: How long the token is valid, in minutes, 1 to 43200 (templated; default 60).
    :param member_id: The member's id, up to 250 characters (templated; default: a random one).
    :param state: A dict stored with the member, at most 2000 characters as JSON (templated).
    :param return_token: Also return the token itself (it is then stored in XCom in clear).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The request's settings (``channels``, ``ttl`` ...), and ``token`` only with ``return_token``.
    """

    service = "chat"
    reserved_prefix = "sw_"
    required_permissions = ("chat",)


class CreatePubSubTokenOperator(_BrowserTokenOperator):
    """
    Mint a PubSub token (``POST /api/pubsub/tokens``): what a browser client publishes and subscribes
    with. Masked and returned like :class:`CreateChatTokenOperator`'s token.

    :param channels: ``{"channel": {"read": bool, "write": bool}}``, 1 to 500 channels, names up to 250
        characters (templated).
    :param ttl: How long the token is valid, in minutes, 1 to 43200 (templated; default 60).
    :param member_id: The member's id, up to 250 characters (templated; default: a random one).
    :param state: A dict stored with the member, at most 2000 characters as JSON (templated).
    :param return_token: Also return the token itself (it is then stored in XCom in clear).
    :param signalwire_conn_id: The SignalWire connection to use (templated).
    :return: The request's settings, and ``token`` only with ``return_token``.
    """

    service = "pubsub"
    required_permissions = ("pubsub",)
