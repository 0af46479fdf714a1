"""Input guards that hold for every way data arrives (API, pages, CLI, jobs).

PostgreSQL refuses the NUL character in text; SQLite stores it. So that both
databases behave the same, and bad input is a clear 422 instead of a 500,
every statement's parameters are checked before they reach the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from corridor.errors import InvalidInput

_SUFFIX = re.compile(r"_\d+$")
_SCALARS = frozenset({int, float, bool, bytes, str, type(None), datetime, date})


def _field(name: object) -> str:
    return _SUFFIX.sub("", str(name)) if isinstance(name, str) else "value"


def _nul_text(value: Any) -> bool:
    """Text holding a NUL. Exact type tests first: this runs for every parameter of
    every statement, and the ``isinstance`` checks against ABCs cost ten times more."""
    kind = type(value)
    if kind is str:
        return "\x00" in value
    return kind not in _SCALARS and isinstance(value, str) and "\x00" in value


def _check(parameters: Any, names: list[str]) -> None:
    if isinstance(parameters, Mapping):
        for name, value in parameters.items():
            if _nul_text(value):
                raise InvalidInput(_field(name), "must not contain the NUL character")
    elif isinstance(parameters, list | tuple):
        for index, value in enumerate(parameters):
            if _nul_text(value):
                name = names[index] if index < len(names) else "value"
                raise InvalidInput(_field(name), "must not contain the NUL character")
            if type(value) not in _SCALARS and isinstance(value, Mapping | list | tuple):
                _check(value, names)


def _before_execute(_conn: Any, _cursor: Any, _statement: str, parameters: Any,
                    context: Any, _executemany: bool) -> None:
    compiled = getattr(context, "compiled", None)
    names = list(getattr(compiled, "positiontup", None) or [])
    _check(parameters, names)


def install(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", _before_execute)
