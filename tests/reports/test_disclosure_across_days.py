"""The suppression rule, in a test built to break it (the issue's "done when").

Days D and D+1 are published with small counts placed where a naive rule
(withhold only the small cells) leaks them: a lone small cell in a row whose
total is shown, a small count on D next to a shown one on D+1 (the day-over-day
change), corridor totals that the D+1 report's chart repeats. An attacker who
reads both reports, and knows how every total is made, works out nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from corridor.db.session import Actor, unit_of_work
from corridor.operations.models import Operation
from corridor.reports import service, sitrep
from tests.reports.conftest import DAY, ReportWorld
from tests.reports.recovery import Knowledge, read_report

NEXT = DAY + timedelta(days=1)


def _figures(world: ReportWorld) -> None:
    # D: the north corridor's outbound row has one small cell among large ones.
    world.headcount(
        world.north_gate,
        DAY,
        9,
        "outbound",
        female_0_4=3,
        female_5_17=12,
        female_18_59=30,
        female_60_plus=9,
        male_0_4=11,
        male_5_17=14,
        male_18_59=25,
        male_60_plus=8,
        unaccompanied_children=2,
        injured=6,
    )
    world.headcount(world.north_gate, DAY, 10, "inbound", male_18_59=12, female_18_59=7)
    world.headcount(
        world.south_gate,
        DAY,
        9,
        "outbound",
        female_18_59=20,
        male_18_59=21,
        male_60_plus=2,
        female_0_4=9,
        injured=1,
    )
    world.headcount(world.south_gate, DAY, 11, "inbound", female_18_59=4, male_18_59=15)
    # D+1: the same cells large, others small; unaccompanied children shown.
    world.headcount(
        world.north_gate,
        NEXT,
        9,
        "outbound",
        female_0_4=8,
        female_5_17=1,
        female_18_59=40,
        male_18_59=33,
        male_60_plus=6,
        unaccompanied_children=9,
    )
    world.headcount(world.north_gate, NEXT, 12, "inbound", male_18_59=3, female_18_59=22)
    world.headcount(
        world.south_gate,
        NEXT,
        9,
        "outbound",
        female_18_59=18,
        male_18_59=2,
        male_60_plus=12,
        female_0_4=10,
        injured=7,
    )
    world.consultations(DAY, trauma_injury=2, chronic_disease=7, maternal=6)
    world.consultations(NEXT, trauma_injury=9, chronic_disease=1, maternal=6, child_health=8)
    world.distribution(DAY, 10, people=3, **{"FOOD-PARCEL": 3})
    world.distribution(NEXT, 10, people=12, **{"FOOD-PARCEL": 12, "BLANKET": 4})


@pytest.mark.db
def test_no_withheld_count_is_recoverable_from_two_published_days(world: ReportWorld) -> None:
    _figures(world)
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        operation = session.get(Operation, world.operation.id)
        published = [
            service.publish(
                session,
                operation=operation,
                period=service.period(session, day),
                published_by_id=None,
            )[0].content
            for day in (DAY, NEXT)
        ]
        # The true figures: the same report with nothing withheld (no count is below 1).
        truth = [
            sitrep.build(
                session,
                operation=operation,
                period=service.period(session, day),
                threshold=1,
                refresh=False,
            )
            for day in (DAY, NEXT)
        ]

    knowledge = Knowledge()
    for content in published:
        read_report(knowledge, content)
    assert knowledge.withheld, "the figures were built to have small cells"
    assert knowledge.exposed() == set()

    # Every small count is withheld, and no shown count is small.
    true_values = Knowledge()
    for content in truth:
        read_report(true_values, content)
    for name, value in true_values.values.items():
        if name in knowledge.values and knowledge.values[name] is not None:
            assert not 0 < knowledge.values[name] < 5, name
            assert knowledge.values[name] == value, name
        if value is not None and 0 < value < 5 and name in knowledge.values:
            assert knowledge.values[name] is None, f"{name} = {value} was shown"

    # The test has teeth: withholding only the small cells would give them away.
    naive = Knowledge()
    for content in truth:
        read_report(naive, _withhold_small_only(content))
    assert naive.exposed(), "a naive rule should leak in this data"


def _withhold_small_only(content: dict) -> dict:
    def mask(value):
        if isinstance(value, dict):  # ids are not counts
            return {k: v if k.endswith("_id") else mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 5:
            return "small"
        return value

    masked = {
        key: mask(value)
        if key in ("crossings", "consultations", "aid", "amnesty", "series")
        else value
        for key, value in content.items()
    }
    masked["key_figures"] = []
    for figure in content["key_figures"]:
        shown = {k: mask(figure[k]) for k in ("value", "previous")}
        both = all(isinstance(v, int) for v in shown.values())
        change = figure["change"] if both else None
        masked["key_figures"].append({**figure, **shown, "change": change})
    return masked


@pytest.mark.db
def test_a_changed_published_day_gives_a_revised_version_and_keeps_the_first(
    world: ReportWorld,
) -> None:
    _figures(world)
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        operation = session.get(Operation, world.operation.id)
        first, new = service.publish(
            session,
            operation=operation,
            period=service.period(session, DAY),
            published_by_id=None,
        )
        assert new and first.version == 1
        again, new = service.publish(
            session,
            operation=operation,
            period=service.period(session, DAY),
            published_by_id=None,
        )
        assert not new and again.id == first.id  # nothing changed: no new version
        frozen = dict(first.content)
    # A phone that was offline sends D's evening tally a day late.
    world.headcount(world.south_gate, DAY, 17, "outbound", female_18_59=30, male_18_59=25)
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        operation = session.get(Operation, world.operation.id)
        result = service.refresh_and_revise(session, operation=operation)
    assert [r["version"] for r in result["revised"]] == [2]
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        rows = service.list_published(session, operation_id=world.operation.id)
        by_version = {r.version: r for r in rows if r.first_day == DAY}
        assert by_version[1].content == frozen
        assert by_version[2].revises_id == by_version[1].id
        assert by_version[2].content["revised"] is True
        before = next(f for f in frozen["key_figures"] if f["id"] == "crossed")["value"]
        after = next(f for f in by_version[2].content["key_figures"] if f["id"] == "crossed")
        assert after["value"] == before + 55
        assert not service.is_current(session, by_version[1])
        assert by_version[2].pdf.startswith(b"%PDF")


@pytest.mark.db
def test_a_report_over_both_days_does_not_undo_what_each_day_withheld(
    world: ReportWorld,
) -> None:
    _figures(world)
    with unit_of_work(world.runtime.factory, Actor(label="test")) as session:
        operation = session.get(Operation, world.operation.id)
        days = [
            service.publish(
                session,
                operation=operation,
                period=service.period(session, day),
                published_by_id=None,
            )[0].content
            for day in (DAY, NEXT)
        ]
        both = service.publish(
            session,
            operation=operation,
            period=service.period(session, DAY, NEXT),
            published_by_id=None,
        )[0].content
    knowledge = Knowledge()
    for content in (*days, both):
        read_report(knowledge, content)
    # The period's counts are the sums of the days' counts.
    whole = f"{DAY}..{NEXT}:"
    for name in list(knowledge.values):
        if name.startswith(whole):
            rest = name[len(whole) :]
            parts = [f"{d}..{d}:{rest}" for d in (DAY, NEXT)]
            if all(p in knowledge.values for p in parts):
                knowledge.sums(name, parts)
    assert knowledge.withheld
    assert knowledge.exposed() == set()
