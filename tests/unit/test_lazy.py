"""LazyPattern: a module-level pattern compiled on first use, then as fast as the compiled one."""

from __future__ import annotations

import re

from airflow_provider_signalwire.lazy import LazyPattern


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
