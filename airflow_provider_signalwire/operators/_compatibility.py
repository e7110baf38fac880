"""The Compatibility API's arguments: its paths, phone numbers, addresses, message bodies and media
URLs; the one check for messages, calls, faxes and the SMS notifier; the run facts a retry's
deduplication needs (:func:`run_started`, :func:`first_try`).

A number is E.164 written with the ASCII digits 0-9 (``\\d`` would let Arabic-Indic or full-width
digits through), then checked against Google's libphonenumber data (``phonenumbers``): the right length
for its country, and a number that country uses. ``phonenumbers`` is imported on the first check, never
when a DAG file imports an operator. Literal numbers are checked when the DAG is parsed, templated ones
when rendered (:func:`check_literal`).
"""

from __future__ import annotations

import ast
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from airflow_provider_signalwire.exceptions import SignalWireConfigError
from airflow_provider_signalwire.lazy import LazyPattern
from airflow_provider_signalwire.operators._arguments import is_pending
from airflow_provider_signalwire.times import as_utc

COMPAT_API = "/api/laml/2010-04-01"
E164 = LazyPattern(r"^\+[1-9][0-9]{1,14}$")  # the shape only; e164() checks numbers (ASCII digits)
# SignalWire's Message resource: "body: The text of the message. Up to 1600 characters long."
# (compatibility-api.yaml, Message schema; the create request's Body declares no maxLength.)
MAX_BODY_CHARS = 1600

# A fictional number that libphonenumber accepts (NANP reserves 555-0100 to 555-0199 in every area code).
EXAMPLE = "+12025550123"
# What people write between digits; dropped before checking.
SEPARATORS = LazyPattern(r"[\s\-().]")
ASCII_DIGITS = frozenset("0123456789")
E164_MAX_DIGITS = 15


def compat_path(project_id: str, resource: str, sid: str | None = None) -> str:
    """``/api/laml/2010-04-01/Accounts/{project}/{resource}[/{sid}]``; ids are quoted."""
    path = f"{COMPAT_API}/Accounts/{quote(project_id, safe='')}/{resource}"
    return f"{path}/{quote(sid, safe='')}" if sid is not None else path


def e164(value: Any, name: str) -> str:
    """``value`` as an E.164 number: ASCII digits, the right length for its country and a number that
    country uses (libphonenumber's data); spaces, dashes, dots, parentheses dropped. Raises
    :class:`SignalWireConfigError` naming ``name``, the country and what is wrong."""
    return check_number(value, name)


def parse_numbers(value: Any, name: str) -> list[str]:
    """One number, a list, or a rendered list (``"['+1202...', '+1202...']"`` or comma separated).

    Every number is checked first; one bad number raises naming it, so nothing is sent. Repeats are
    dropped (each recipient gets one message).
    """
    items: Iterable[Any]
    if isinstance(value, str):
        text = value.strip()
        parsed: Any = None
        if text.startswith(("[", "(")):
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                if text.startswith("["):
                    raise SignalWireConfigError(
                        f"{name}: {value!r} is not a list of phone numbers."
                    ) from None
                # "(202) 555-0123": an area code in brackets, not a tuple
        if isinstance(parsed, (list, tuple)):
            items = parsed
        elif parsed is not None:
            items = [parsed]
        else:
            items = [part.strip() for part in re.split(r"[,;]", text)]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        items = [value]
    items = list(items)
    numbers: list[str] = []
    for i, item in enumerate(items):
        number = e164(item, name if len(items) == 1 else f"{name}[{i}]")
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        raise SignalWireConfigError(f"{name} is empty: give at least one E.164 phone number.")
    return numbers


def url_list(value: Any, name: str) -> list[str]:
    """``media_url`` as a list of http(s) URLs (one URL, a list, or a rendered list)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise SignalWireConfigError(f"{name}: {value!r} is not a list of URLs.") from None
        else:
            value = [text]
    urls = [str(u).strip() for u in value]
    bad = [u for u in urls if not re.match(r"^https?://[^\s/]+", u)]
    if bad:
        raise SignalWireConfigError(f"{name}: {bad[0]!r} is not an http(s) URL. Nothing was sent.")
    return urls


def check_body(value: Any, name: str = "body") -> None:
    """Refuse a text longer than SignalWire accepts (:data:`MAX_BODY_CHARS`), before sending.

    Counted in characters (code points), the spec's unit: the lenient count, so nothing SignalWire
    might accept is refused here.
    """
    if value and len(str(value)) > MAX_BODY_CHARS:
        raise SignalWireConfigError(
            f"{name} is {len(str(value))} characters long: SignalWire accepts at most {MAX_BODY_CHARS} "
            "in one message. Shorten it or send it as several messages. Nothing was sent."
        )


def call_address(value: Any, name: str) -> str:
    """A call's ``To``/``From``: an E.164 number, or a ``sip:`` address."""
    if isinstance(value, str) and value.strip().startswith("sip:") and len(value.strip()) > 4:
        return value.strip()
    return e164(value, name)


def check_number(value: Any, name: str) -> str:
    """``value`` as an E.164 number (``+12025550123``), or :class:`SignalWireConfigError` saying what is
    wrong with it: not a number, missing ``+`` and country code, too short or too long for its country,
    or not a number that country uses."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        problem: str | None = f"give it as a string, e.g. {EXAMPLE!r}"
        text = ""
    else:
        text = SEPARATORS.sub("", str(value))
        problem = _problem(text)
    if problem is not None:
        raise SignalWireConfigError(
            f"{name}: {value!r} is not an E.164 phone number: {problem}. Nothing was sent."
        )
    return _library_check(text)[0]  # type: ignore[return-value]


def _problem(text: str) -> str | None:
    """What is wrong with ``text`` (separators already dropped), or None when it is a good number."""
    if not text:
        return f"it is empty; write + and the country code, then the number, e.g. {EXAMPLE!r}"
    for ch in text:
        if ch.isdigit() and ch not in ASCII_DIGITS:
            what = unicodedata.name(ch, "a non-ASCII digit")
            return f"{ch!r} ({what}) is not one of the ASCII digits 0-9; write the number with 0-9"
    bad = next((ch for ch in text if ch not in ASCII_DIGITS and ch != "+"), None)
    if bad is not None:
        return f"not a number: {bad!r} is not a digit; write + and the country code, then the digits"
    if not text.startswith("+"):
        if text.startswith("00"):
            return f"write + instead of the international prefix 00, e.g. {'+' + text[2:]!r}"
        return (
            "the + and country code are missing (a national number does not say its country); write "
            f"e.g. {EXAMPLE!r} for the US number (202) 555-0123"
        )
    digits = text[1:]
    if "+" in digits:
        return "not a number: only one + and only at the start"
    if not digits or digits.startswith("0"):
        return f"no country code after the +; write + and the country code, e.g. {EXAMPLE!r}"
    if len(digits) > E164_MAX_DIGITS:
        return f"too long: E.164 numbers have at most {E164_MAX_DIGITS} digits, this one has {len(digits)}"
    return _library_check(text)[1]


@functools.lru_cache(maxsize=1024)
def _library_check(text: str) -> tuple[str | None, str | None]:
    """``(E.164 form, None)`` or ``(None, what is wrong)`` for ``+`` and ASCII digits, by libphonenumber."""
    import phonenumbers  # here, not at import: DAG files import our operators and must stay cheap
    from phonenumbers import NumberParseException, ValidationResult

    # Country codes are prefix-free: the first 1 to 3 digits that are one name the country.
    code = next(
        (int(text[1:n]) for n in (2, 3, 4) if int(text[1:n]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE),
        None,
    )
    if code is None:
        return None, f"no country code starts {text[:4]!r}; check the digits after +"
    where = _where(phonenumbers, code)
    try:
        number = phonenumbers.parse(text, None)
    except NumberParseException:  # too few digits after the country code to parse at all
        reason, national = ValidationResult.TOO_SHORT, text[1 + len(str(code)) :]
    else:
        reason = phonenumbers.is_possible_number_with_reason(number)
        national = phonenumbers.national_significant_number(number)
    if reason != ValidationResult.IS_POSSIBLE:
        what = "too short"
        if reason == ValidationResult.TOO_LONG:
            what = "too long"
        elif reason == ValidationResult.INVALID_LENGTH:
            what = "the wrong length"
        lengths = _lengths(phonenumbers, code)
        return None, (
            f"{what} for {where}: numbers there have {lengths} digits after +{code}, this one has "
            f"{len(national)}"
        )
    if not phonenumbers.is_valid_number(number):
        hint = ""
        if code == 1 and national.startswith("555"):
            hint = (
                "; 555 is not an area code: for a made-up number use 555-0100 to 555-0199 in a real "
                f"area code, e.g. {EXAMPLE!r}"
            )
        return None, (
            f"invalid for {where}: the length is right but no number there starts like this{hint} "
            f"(checked with phonenumbers {phonenumbers.__version__}; if the number is new, upgrade it)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def _where(phonenumbers: Any, code: int) -> str:
    """The country (region codes) a country calling code belongs to, e.g. ``GB, GG, IM, JE (+44)``."""
    regions = [r for r in phonenumbers.region_codes_for_country_code(code) if r != "001"]
    if not regions:
        return f"+{code} (an international service)"
    if len(regions) > 4:
        return f"{regions[0]} and the {len(regions) - 1} other regions of +{code}"
    return f"{', '.join(regions)} (+{code})"


def _lengths(phonenumbers: Any, code: int) -> str:
    """The national number lengths of ``code``, e.g. ``10`` or ``9 or 10`` or ``4 to 15``."""
    region = phonenumbers.region_code_for_country_code(code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    sizes = sorted(metadata.general_desc.possible_length) if metadata and metadata.general_desc else []
    if not sizes:
        return "a different number of"
    if len(sizes) == 1:
        return str(sizes[0])
    if sizes == list(range(sizes[0], sizes[-1] + 1)) and len(sizes) > 2:
        return f"{sizes[0]} to {sizes[-1]}"
    return ", ".join(map(str, sizes[:-1])) + f" or {sizes[-1]}"


def check_literal(value: Any, check: Callable[[Any, str], Any], name: str) -> None:
    """At DAG parse time: run ``check(value, name)`` unless ``value`` is only known when the task runs
    (a Jinja template, an XComArg); in a list, each literal item is checked (``name[i]``)."""
    if is_pending(value):
        return
    if isinstance(value, (list, tuple)) and any(is_pending(item) for item in value):
        for i, item in enumerate(value):
            if not is_pending(item):
                check(item, f"{name}[{i}]")
        return
    check(value, name)


def run_started(context: Mapping[str, Any]) -> datetime:
    """When the DAG run started (whole seconds: SignalWire's dates have no fractions)."""
    dag_run = context.get("dag_run")
    started = as_utc(getattr(dag_run, "start_date", None)) or datetime.now(timezone.utc)
    return started.replace(microsecond=0)


def first_try(context: Mapping[str, Any]) -> bool:
    """Whether this is the task instance's first try (False when the context does not say)."""
    ti = context.get("ti") or context.get("task_instance")
    try_number = getattr(ti, "try_number", None)
    return isinstance(try_number, int) and not isinstance(try_number, bool) and try_number <= 1
