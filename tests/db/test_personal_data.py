"""Every model that holds personal data uses the personal-data mixin."""

from __future__ import annotations

import uuid

from sqlalchemy import Integer, String, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from corridor.db.base import Base
from corridor.db.mixins import LawfulBasis, PersonalDataMixin, personal, personal_data_violations
from corridor.db.registry import load_all_models


def test_every_registered_model_marked_personal_uses_the_mixin() -> None:
    load_all_models()
    assert personal_data_violations(Base.registry.mappers) == []


def test_the_check_catches_a_personal_model_without_the_mixin() -> None:
    class Scratch(DeclarativeBase):
        pass

    class Leaky(Scratch):
        __tablename__ = "leaky"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
        family_name: Mapped[str] = personal(type_=String(100))

    class Marked(Scratch):
        __tablename__ = "marked"
        __personal_data__ = True
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    class Proper(PersonalDataMixin, Scratch):
        __tablename__ = "proper"
        family_name: Mapped[str] = personal(type_=String(100))

    offenders = personal_data_violations(Scratch.registry.mappers)
    assert any(name.endswith("Leaky") for name in offenders)
    assert any(name.endswith("Marked") for name in offenders)
    assert not any(name.endswith("Proper") for name in offenders)

    columns = {c.key: c for c in inspect(Proper).columns}
    assert {
        "id",
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "purpose",
        "lawful_basis",
    } <= set(columns)
    assert inspect(Proper).version_id_col is columns["version"]
    assert isinstance(
        Proper(id=uuid.uuid4(), purpose="x", lawful_basis=LawfulBasis.CONSENT).id, uuid.UUID
    )


def test_nul_characters_are_refused_on_every_database(runtime) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from corridor.accounts import service
    from corridor.db.session import unit_of_work
    from corridor.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught, unit_of_work(runtime.factory) as session:
        service.create_organisation(session, name="Bad\x00Name", type="ngo")
    assert caught.value.field == "name"
