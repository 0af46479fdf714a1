"""The gazetteer: P-codes of administrative areas."""

from __future__ import annotations

import pytest

from corridor.db.session import unit_of_work
from corridor.errors import InvalidInput
from corridor.operations import gazetteer
from corridor.runtime import Runtime
from tests.factories import Factory

GOOD = """pcode,name_en,name_ar,admin_level,parent_pcode
SY,Syria,سوريا,0,
SY02,Aleppo,حلب,1,SY
SY0200,Jebel Saman,جبل سمعان,2,SY02
"""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("pcode,name_en\nSY,Syria\n", "file"),
        ("pcode,name_en,name_ar,admin_level,parent_pcode\n", "file"),
        ("pcode,name_en,name_ar,admin_level,parent_pcode\nS Y,Syria,,0,\n", "line 2: pcode"),
        ("pcode,name_en,name_ar,admin_level,parent_pcode\nSY,,,0,\n", "line 2: name_en"),
        (
            "pcode,name_en,name_ar,admin_level,parent_pcode\nSY,Syria,,zero,\n",
            "line 2: admin_level",
        ),
        ("pcode,name_en,name_ar,admin_level,parent_pcode\nSY,Syria,,9,\n", "line 2: admin_level"),
    ],
)
def test_parse_errors_name_line_and_column(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        gazetteer.parse_csv(text)
    assert caught.value.field == field


def test_import_then_update_and_resolve(runtime: Runtime, factory: Factory) -> None:
    operation = factory.operation(factory.organisation())
    with unit_of_work(runtime.factory) as session:
        result = gazetteer.import_areas(
            session, operation_id=operation.id, rows=gazetteer.parse_csv(GOOD)
        )
        assert (result.created, result.updated) == (3, 0)
    renamed = GOOD.replace("Jebel Saman,", "Jabal Sam'an,")
    with unit_of_work(runtime.factory) as session:
        result = gazetteer.import_areas(
            session, operation_id=operation.id, rows=gazetteer.parse_csv(renamed)
        )
        assert (result.created, result.updated) == (0, 1)
        area = gazetteer.resolve_pcode(session, operation_id=operation.id, pcode="SY0200")
        assert area.name_en == "Jabal Sam'an" and area.name_ar == "جبل سمعان"
        with pytest.raises(InvalidInput) as caught:
            gazetteer.resolve_pcode(
                session, operation_id=operation.id, pcode="SY9999", field="origin_pcode"
            )
        assert caught.value.status == 422 and caught.value.field == "origin_pcode"


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ("SY02,Aleppo,,1,XX\n", "line 2: parent_pcode"),
        ("SY02,Aleppo,,1,\n", "line 2: parent_pcode"),
        ("SY,Syria,,0,\nSY0200,Jebel Saman,,2,SY\n", "line 3: parent_pcode"),
        ("SY,Syria,,0,\nSY,Syria again,,0,\n", "line 3: pcode"),
    ],
)
def test_hierarchy_errors_change_nothing(
    runtime: Runtime, factory: Factory, rows: str, field: str
) -> None:
    operation = factory.operation(factory.organisation())
    text = "pcode,name_en,name_ar,admin_level,parent_pcode\n" + rows
    with pytest.raises(InvalidInput) as caught, unit_of_work(runtime.factory) as session:
        gazetteer.import_areas(session, operation_id=operation.id, rows=gazetteer.parse_csv(text))
    assert caught.value.field == field
    with unit_of_work(runtime.factory) as session:
        assert gazetteer.list_areas(session, operation_id=operation.id) == []


def test_gazetteers_are_per_operation(runtime: Runtime, factory: Factory) -> None:
    lead = factory.organisation()
    first, second = factory.operation(lead), factory.operation(lead)
    with unit_of_work(runtime.factory) as session:
        gazetteer.import_areas(session, operation_id=first.id, rows=gazetteer.parse_csv(GOOD))
    with unit_of_work(runtime.factory) as session, pytest.raises(InvalidInput):
        gazetteer.resolve_pcode(session, operation_id=second.id, pcode="SY")
