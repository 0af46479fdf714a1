"""Input guards that hold for every way data arrives (API, pages, CLI, jobs).

PostgreSQL refuses the NUL character in text; SQLite stores it. So that both
databases behave the same, and bad input is a clear 422 instead of a 500,
every statement's parameters are checked before they reach the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from corridor.errors import InvalidInput

_SUFFIX = re.compile(r"_\d+$")


def _field(name: object) -> str:
    return _SUFFIX.sub("", str(name)) if isinstance(name, str) else "value"


def _check(parameters: Any, names: list[str]) -> None:
    if isinstance(parameters, Mapping):
        for name, value in parameters.items():
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput(_field(name), "must not contain the NUL character")
    elif isinstance(parameters, list | tuple):
        for index, value in enumerate(parameters):
            if isinstance(value, str) and "\x00" in value:
                name = names[index] if index < len(names) else "value"
                raise InvalidInput(_field(name), "must not contain the NUL character")
            if isinstance(value, Mapping | list | tuple):
                _check(value, names)


def _before_execute(_conn: Any, _cursor: Any, _statement: str, parameters: Any,
                    context: Any, _executemany: bool) -> None:
    compiled = getattr(context, "compiled", None)
    names = list(getattr(compiled, "positiontup", None) or [])
    _check(parameters, names)


def install(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", _before_execute)
