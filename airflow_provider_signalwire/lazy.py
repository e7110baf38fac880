"""Module-level things built on first use, not when a DAG file imports an operator.

Airflow parses DAG files over and over; each module-level ``re.compile`` costs a DAG file ~0.2-0.3 ms
whether the task ever runs or not (benchmarks/RESULTS.md, row 1). :class:`LazyPattern` compiles when it is
first used and then costs nothing more: the compiled pattern's methods are stored on the instance.
"""

from __future__ import annotations

import re
from operator import itemgetter
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


class Record(tuple):
    """An immutable record declared like a :class:`typing.NamedTuple` (annotated fields, defaults in the
    class body) that costs a DAG file's parse ~0.05 ms to define instead of ~0.2-0.45 ms.

    Field values are a tuple (unpacking, indexing, equality and hashing are a tuple's), each field is a
    read-only property, ``repr`` names the fields, and ``_fields``, ``_replace``, ``_asdict`` and pickling
    work as
    with a named tuple. Only the fields annotated on the class itself are fields.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = tuple(name for name in vars(cls).get("__annotations__", {}) if not name.startswith("_"))
        cls._fields = fields
        cls._defaults = {name: vars(cls)[name] for name in fields if name in vars(cls)}
        for index, name in enumerate(fields):
            setattr(cls, name, property(itemgetter(index), doc=f"Field {index}: {name}."))

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__} takes {len(fields)} fields, got {len(args)}")
        values = list(args)
        for name in fields[len(args) :]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in cls._defaults:
                values.append(cls._defaults[name])
            else:
                raise TypeError(f"{cls.__name__} is missing the field {name!r}")
        if kwargs:
            raise TypeError(f"{cls.__name__} has no field {next(iter(kwargs))!r} (or it was given twice)")
        return tuple.__new__(cls, values)

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def _replace(self, **changes: Any) -> Any:
        values = [changes.pop(name, value) for name, value in zip(self._fields, self, strict=True)]
        if changes:
            raise TypeError(f"{type(self).__name__} has no field {next(iter(changes))!r}")
        return type(self)(*values)

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
        return f"{type(self).__name__}({fields})"
