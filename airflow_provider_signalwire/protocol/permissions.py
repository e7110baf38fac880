"""API token permissions: the spec's names, what each API path needs, and what a token lacks.

A requirement is a tuple of alternatives, each a set of permissions needed together: ``()`` needs
nothing, ``({"video"},)`` needs video, ``({"calling"}, {"video"})`` needs calling or video,
``({"messaging", "numbers"},)`` needs both.  The rules come from the specs' "Permissions" sections
(``tests/unit/protocol/test_permissions.py`` checks them against every operation of both specs);
the specs' "Voice" scope is the ``calling`` permission.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from airflow_provider_signalwire.protocol.constants import COMPATIBILITY_PREFIX

Requirement = tuple[frozenset[str], ...]

# Project.TokenPermission: what an API token can be given.
TOKEN_PERMISSIONS = (
    "calling",
    "chat",
    "datasphere",
    "fax",
    "management",
    "messaging",
    "numbers",
    "pubsub",
    "storage",
    "tasking",
    "video",
)


def need(*alternatives: str) -> Requirement:
    """``need("calling", "video")``: calling or video; ``need("messaging+numbers")``: both."""
    return tuple(frozenset(a.split("+")) for a in alternatives)


_ANY_CHANNEL = need("calling", "messaging", "fax")
# (path prefix, requirement), first match wins: longer prefixes first where they overlap.
_RULES: tuple[tuple[str, Requirement], ...] = (
    ("/api/video/", need("video")),
    ("/api/messaging/whatsapp", need("numbers")),
    ("/api/messaging/", need("messaging")),
    ("/api/voice/", need("calling")),
    ("/api/calling/", need("calling")),
    ("/api/fax/", need("fax")),
    ("/api/chat/", need("chat")),
    ("/api/pubsub/", need("pubsub")),
    ("/api/ai/", need("chat")),
    ("/api/datasphere/", need("datasphere")),
    ("/api/project/", need("management")),
    ("/api/projects", need("management")),
    ("/api/logs/conferences", need("calling", "video")),
    ("/api/fabric/", need("calling", "messaging", "fax", "video")),
    ("/api/relay/rest/mfa/", need("management")),
    ("/api/relay/rest/registry/", need("messaging+numbers")),
    ("/api/relay/rest/lookup/", ()),
    ("/api/relay/rest/domain_applications", _ANY_CHANNEL),
    ("/api/relay/rest/endpoints/", need("calling")),
    ("/api/relay/rest/queues", need("calling")),
    ("/api/relay/rest/recordings", need("calling")),
    ("/api/relay/rest/verified_caller_ids", need("calling")),
    ("/api/relay/rest/sip_profile", need("calling")),
    ("/api/relay/rest/", need("numbers")),
)
# The Compatibility API, by the resource after ``Accounts/{AccountSid}/``.
_COMPAT_RULES: dict[str, Requirement] = {
    "Messages": need("messaging"),
    "Faxes": need("fax"),
    "IncomingPhoneNumbers": need("numbers"),
    "AvailablePhoneNumbers": need("numbers"),
    "ImportedPhoneNumbers": need("numbers"),
    "Applications": _ANY_CHANNEL,
    "LamlBins": _ANY_CHANNEL,
    "tokens": need("management"),
}
_COMPAT_CALLING = ("Calls", "Conferences", "Queues", "Recordings", "Transcriptions")


def permissions_for_path(path: str) -> Requirement | None:
    """What a token needs to call ``path`` (any method); None for a path these rules do not know."""
    path = urlsplit(path).path
    if path.startswith(COMPATIBILITY_PREFIX):
        parts = [p.removesuffix(".json") for p in path.split("/") if p]
        # api, laml, 2010-04-01, Accounts, {sid}, resource ...
        if len(parts) <= 5:
            return need("management")  # the accounts (projects) themselves
        resource = parts[5]
        if resource in _COMPAT_CALLING:
            return need("calling")
        return _COMPAT_RULES.get(resource)
    for prefix, requirement in _RULES:
        if path.startswith(prefix):
            return requirement
    return None


def combine(requirements: Iterable[Requirement]) -> Requirement:
    """One requirement meeting all of ``requirements`` (an alternative from each, merged), smallest
    alternatives first and without the ones that contain another."""
    combined: set[frozenset[str]] = {frozenset()}
    for requirement in requirements:
        if not requirement:
            continue
        combined = {have | option for have in combined for option in requirement}
        combined = {a for a in combined if not any(b < a for b in combined)}
    result = tuple(sorted(combined, key=lambda a: (len(a), sorted(a))))
    return () if result == (frozenset(),) else result


def describe(requirement: Requirement) -> str:
    """``"video"``, ``"calling or video"``, ``"messaging and numbers"`` ... (``"none"`` for ``()``)."""
    if not requirement:
        return "none"
    return " or ".join(" and ".join(sorted(option)) for option in requirement)


def missing(requirement: Requirement, granted: Iterable[str]) -> frozenset[str]:
    """The fewest permissions ``granted`` lacks to meet ``requirement`` (empty: nothing lacks)."""
    have = frozenset(granted)
    if not requirement:
        return frozenset()
    lacks = [option - have for option in requirement]
    return min(lacks, key=lambda option: (len(option), sorted(option)))


def check_permissions(value: object, name: str = "permissions") -> list[str]:
    """``value`` as a list of the spec's permission names; ValueError naming the bad ones and the
    valid ones.  Duplicates are dropped, the order kept."""
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise ValueError(
            f"{name} is {value!r}: give a list of permission names such as ['video', 'messaging']."
        )
    items = list(value)
    unknown = [p for p in items if p not in TOKEN_PERMISSIONS]
    if unknown:
        raise ValueError(
            f"{name} has unknown values {unknown!r}: use SignalWire's names "
            f"({', '.join(TOKEN_PERMISSIONS)}); the Voice scope is 'calling'."
        )
    if not items:
        raise ValueError(f"{name} is empty: give at least one of {', '.join(TOKEN_PERMISSIONS)}.")
    return list(dict.fromkeys(items))
