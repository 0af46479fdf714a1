"""Input guards that hold for every way data arrives (API, pages, CLI, jobs).

PostgreSQL refuses the NUL character in text; SQLite stores it. So that both
databases behave the same and bad input is a clear 422 instead of a 500,
every flush checks the string attributes it is about to write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from corridor.errors import InvalidInput


def _check_strings(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.attrs[attr.key].value
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput(attr.key, "must not contain the NUL character")


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _check_strings)
