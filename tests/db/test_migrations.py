"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from corridor.db import migrate
from corridor.db.registry import load_all_models
from corridor.runtime import Runtime


def test_migrated_database_matches_the_models(runtime: Runtime) -> None:
    metadata = load_all_models()
    with runtime.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    assert diff == []
    assert migrate.state(runtime.engine).up_to_date
