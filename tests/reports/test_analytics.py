"""The analytics copy: what it copies, how a refresh catches up, and DuckDB kept offline."""

from __future__ import annotations

import uuid
from datetime import timedelta

import duckdb
import pytest
from sqlalchemy import select

from corridor.crossings.models import Headcount
from corridor.db.registry import load_all_models
from corridor.db.session import Actor, unit_of_work
from corridor.reports import analytics
from corridor.reports.datasets import DATASETS, SOURCE_TABLES
from tests.reports.conftest import DAY, ReportWorld, local


def test_duckdb_never_downloads_or_loads_an_extension_by_itself() -> None:
    con = analytics.connect()
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings()"
            " WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall()
    )
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    # The SQLite reader is an extension DuckDB would fetch from the internet.
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM sqlite_scan('nothing.db', 'headcounts')").fetchall()


def test_no_dataset_copies_a_personal_column() -> None:
    metadata = load_all_models()
    for name, dataset in DATASETS.items():
        table = metadata.tables[SOURCE_TABLES[name]]
        personal = {c.name for c in table.columns if c.info.get("personal_data")}
        assert not personal & set(dataset.schema.names), name


@pytest.mark.db
def test_a_refresh_copies_new_and_changed_rows_into_the_right_day_files(
    world: ReportWorld, tmp_path
) -> None:
    world.headcount(world.north_gate, DAY, 9, "outbound", female_18_59=10)
    world.headcount(world.north_gate, DAY + timedelta(days=1), 9, "inbound", male_18_59=7)
    root = tmp_path / "copy"
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        first = analytics.refresh(session, operation_id=world.operation.id, root=root)
    assert first.rows["crossings"] == 2
    days = sorted(p.stem for p in (root / "crossings").glob("*.parquet"))
    assert days == [str(DAY), str(DAY + timedelta(days=1))]

    # A correction moves a tally to the next day: it leaves the first day's file.
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        row = session.scalars(select(Headcount).where(Headcount.female_18_59 == 10)).one()
        row.slot_start = local(DAY + timedelta(days=1), 9)
        row.female_18_59 = 11
        moved = row.id
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        analytics.refresh(session, operation_id=world.operation.id, root=root)
    con = analytics.open_views(root)
    rows = [
        (uuid.UUID(i), n, d)
        for i, n, d in con.execute(
            "SELECT id, female_18_59, CAST(slot_start AS DATE) FROM crossings"
        ).fetchall()
    ]
    assert len(rows) == 2
    assert (moved, 11, DAY + timedelta(days=1)) in rows
    assert not (root / "crossings" / f"{DAY}.parquet").exists()


@pytest.mark.db
def test_a_refresh_with_nothing_new_copies_only_the_overlap(world: ReportWorld, tmp_path) -> None:
    root = tmp_path / "copy"
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        analytics.refresh(session, operation_id=world.operation.id, root=root)
        # Written long ago: outside the overlap of the next refresh.
        session.add(
            Headcount(
                id=uuid.uuid4(),
                operation_id=world.operation.id,
                checkpoint_id=world.north_gate,
                organisation_id=world.lead_id,
                slot_start=local(DAY, 8),
                direction="outbound",
                means="foot",
                recorded_at=local(DAY, 8),
                updated_at=local(DAY, 8),
                male_18_59=4,
            )
        )
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        again = analytics.refresh(session, operation_id=world.operation.id, root=root)
    assert again.rows["crossings"] == 0  # older than the watermark: a full copy would find it
    analytics.discard(root)
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        rebuilt = analytics.refresh(session, operation_id=world.operation.id, root=root)
    assert rebuilt.rows["crossings"] == 1


@pytest.mark.db
def test_a_copy_of_other_data_is_started_again(world: ReportWorld, factory, tmp_path) -> None:
    """An operation id reused (a database restored, a test database emptied) must not
    inherit the copy of the operation that had it before."""
    world.headcount(world.north_gate, DAY, 9, "outbound", female_18_59=10)
    root = tmp_path / "copy"
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        analytics.refresh(session, operation_id=world.operation.id, root=root)
    other = factory.operation(factory.organisation())
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        analytics.refresh(session, operation_id=other.id, root=root)
    con = analytics.open_views(root)
    assert con.execute("SELECT count(*) FROM crossings").fetchone() == (0,)
