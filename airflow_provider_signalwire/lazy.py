"""Module-level things built on first use, not when a DAG file imports an operator.

Airflow parses DAG files over and over; each module-level ``re.compile`` costs a DAG file ~0.2-0.3 ms
whether the task ever runs or not (benchmarks/RESULTS.md, row 1). :class:`LazyPattern` compiles when it is
first used and then costs nothing more: the compiled pattern's methods are stored on the instance.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """``re.compile(source, flags)`` on first use: ``match``, ``fullmatch``, ``search``, ``sub`` and the
    rest are the compiled pattern's. ``pattern`` and ``flags`` are the arguments, available uncompiled.
    """

    def __init__(self, source: str, flags: int = 0) -> None:
        self.pattern = source
        self.flags = flags

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled: re.Pattern[str] = self.__dict__.get("_compiled") or re.compile(self.pattern, self.flags)
        self.__dict__["_compiled"] = compiled
        return compiled

    def __getattr__(self, name: str) -> Any:
        # Only names the instance does not have come here, once each: the bound method is then kept.
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self.compiled, name)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}{', ' + str(self.flags) if self.flags else ''})"
