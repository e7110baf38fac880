"""LazyPattern: a module-level pattern compiled on first use, then as fast as the compiled one; Record: a
NamedTuple's behaviour at a fraction of its cost to define."""

from __future__ import annotations

import pickle
import re
from typing import Any

import pytest

from airflow_provider_signalwire.lazy import LazyPattern, Record


def test_compiles_on_first_use_only():
    pattern = LazyPattern(r"^\d{4}-\d{2}$")
    assert "_compiled" not in vars(pattern)
    assert pattern.pattern == r"^\d{4}-\d{2}$" and "_compiled" not in vars(pattern)  # no compile for these
    assert pattern.fullmatch("2026-12") is not None
    assert isinstance(vars(pattern)["_compiled"], re.Pattern)
    assert pattern.fullmatch("2026-1") is None


def test_methods_are_the_compiled_patterns_and_kept():
    pattern = LazyPattern(r"a+", re.IGNORECASE)
    assert pattern.sub("-", "xAaAy") == "x-y"
    assert pattern.findall("aAbA") == ["aA", "A"]
    # The bound method is stored on the instance: later calls skip __getattr__.
    assert vars(pattern)["sub"] == pattern.compiled.sub
    assert pattern.compiled is pattern.compiled


def test_flags_and_repr():
    assert LazyPattern("x", re.IGNORECASE).search("X") is not None
    assert repr(LazyPattern("a b")) == "LazyPattern('a b')"


def test_unknown_names_and_dunders_raise_attribute_error():
    pattern = LazyPattern("x")
    for name in ("no_such_method", "__deepcopy_unknown__"):
        try:
            getattr(pattern, name)
        except AttributeError:
            continue
        raise AssertionError(f"{name} did not raise")


# ---------------------------------------------------------------------------------------------- Record


class _Verdict(Record):
    state: str
    status: Any
    reason: str = ""


def test_a_record_is_a_tuple_with_named_read_only_fields():
    verdict = _Verdict("failure", "failed", reason="busy")
    assert verdict == ("failure", "failed", "busy") and tuple(verdict) == ("failure", "failed", "busy")
    assert (verdict.state, verdict.status, verdict.reason) == ("failure", "failed", "busy")
    state, status, reason = verdict
    assert (state, status, reason) == ("failure", "failed", "busy")
    assert hash(verdict) == hash(("failure", "failed", "busy"))
    assert _Verdict._fields == ("state", "status", "reason")
    assert repr(verdict) == "_Verdict(state='failure', status='failed', reason='busy')"
    with pytest.raises(AttributeError):
        verdict.state = "success"  # type: ignore[misc]


def test_a_record_fills_defaults_and_names_what_is_wrong():
    assert _Verdict("waiting", None) == ("waiting", None, "")
    assert _Verdict(status="x", state="success") == ("success", "x", "")
    with pytest.raises(TypeError, match="missing the field 'status'"):
        _Verdict("waiting")
    with pytest.raises(TypeError, match="no field 'colour'"):
        _Verdict("waiting", None, colour="red")
    with pytest.raises(TypeError, match="takes 3 fields, got 4"):
        _Verdict("a", "b", "c", "d")


def test_a_record_replaces_and_pickles_like_a_named_tuple():
    verdict = _Verdict("waiting", "queued")
    assert verdict._replace(state="success") == _Verdict("success", "queued")
    assert verdict._asdict() == {"state": "waiting", "status": "queued", "reason": ""}
    assert verdict == ("waiting", "queued", "")  # unchanged
    with pytest.raises(TypeError, match="no field 'colour'"):
        verdict._replace(colour="red")
    again = pickle.loads(pickle.dumps(verdict))
    assert again == verdict and type(again) is _Verdict


def test_the_parse_time_tables_are_records():
    from airflow_provider_signalwire.operators._window import Window
    from airflow_provider_signalwire.statuses import ResourceKind, Verdict

    for record in (Verdict, ResourceKind, Window):
        assert issubclass(record, Record) and record._fields
