"""What every ``corridor`` command group shares: the error line, the runtime.

Kept apart from ``corridor.cli`` so that capability command groups
(``corridor cert``, ``corridor report``) use them without importing the main
command, which imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

from corridor.config import Settings, get_settings

if TYPE_CHECKING:
    from corridor.runtime import Runtime


def fail(message: str) -> NoReturn:
    """One line on stderr, exit code 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def runtime(settings: Settings | None = None) -> Runtime:
    from corridor.runtime import build_runtime

    return build_runtime(settings or get_settings())


def require_current_schema(runtime: Runtime) -> None:
    """Refuse to run on a database whose schema is older than the code."""
    from corridor.db import migrate

    state = migrate.state(runtime.engine)
    if not state.up_to_date:
        fail(
            f"the database schema is at {state.current or 'nothing'}, the code needs "
            f"{state.head}: run `corridor db upgrade`"
        )
