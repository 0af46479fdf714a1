"""Field forms of an operation: the shipped XLSForms, uploaded versions, states, media.

Every operation starts with the forms Corridor ships (converted once per
process with pyxform). A coordinator may publish a new version by uploading an
XLSForm; a refused upload changes nothing and the current version keeps
working. Every version stays: a device that was offline may still submit to an
old one, and its submission is stored against that version.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.crossings import extensions
from corridor.crossings.models import Form, FormKind, FormState, FormVersion
from corridor.crossings.xlsform import (
    ConvertedForm,
    convert_xlsform,
    java_available,
    odk_validate_xform,
)
from corridor.errors import Conflict, InvalidInput, NotFound
from corridor.jobs.cache import VersionedCache, changed, worker_cache
from corridor.operations.models import AdminArea, Checkpoint

SHIPPED = {"registration": FormKind.REGISTRATION, "headcount": FormKind.HEADCOUNT}
CACHE_NAME = "crossings.forms"


def shipped_forms() -> dict[str, tuple[str, FormKind]]:
    """Every shipped form: name → (the package holding ``forms/<name>.xlsx``, kind).

    Crossings' own, and those other capabilities add (``crossings.extensions``).
    """
    found = {name: ("corridor.crossings", kind) for name, kind in SHIPPED.items()}
    for extension in extensions.form_extensions().values():
        found[extension.form_name] = (extension.package, extension.kind)
    return found


@cache
def shipped_xlsform(name: str) -> bytes:
    package, _kind = shipped_forms()[name]
    return resources.files(package).joinpath("forms", f"{name}.xlsx").read_bytes()


@cache
def shipped_form(name: str) -> ConvertedForm:
    """A shipped form converted by pyxform (once per process: conversion takes a while)."""
    return convert_xlsform(shipped_xlsform(name), f"{name}.xlsx")


def md5_of(xform: str) -> str:
    return hashlib.md5(xform.encode(), usedforsecurity=False).hexdigest()


def ensure_shipped_forms(session: Session, *, operation_id: int) -> None:
    """Give the operation the shipped forms it does not have yet (idempotent)."""
    have = set(session.scalars(select(Form.xml_form_id).where(Form.operation_id == operation_id)))
    for name in shipped_forms():
        if name not in have:
            _store(
                session,
                operation_id=operation_id,
                converted=shipped_form(name),
                xlsform=shipped_xlsform(name),
                filename=f"{name}.xlsx",
                created_by_id=None,
                validated_by="ODK Validate (shipped; checked by the test suite)",
            )


def publish(
    session: Session,
    *,
    operation_id: int,
    content: bytes,
    filename: str,
    created_by_id: int | None,
    validate: bool = True,
) -> FormVersion:
    """Publish an uploaded XLSForm as a new form or a new version of one.

    The same version uploaded again with the same XForm is answered with the
    version already stored; a different form under an existing version number
    is a conflict (raise ``version`` in the settings sheet).
    """
    converted = convert_xlsform(content, filename)
    if not converted.version:
        raise InvalidInput("xlsform", "the settings sheet must give a version")
    form = find_form(session, operation_id=operation_id, xml_form_id=converted.xml_form_id)
    if form is not None:
        existing = session.scalar(
            select(FormVersion).where(
                FormVersion.form_id == form.id, FormVersion.version == converted.version
            )
        )
        if existing is not None:
            if existing.md5 == md5_of(converted.xform):
                return existing
            raise Conflict(
                f"version {converted.version} of {converted.xml_form_id} is already published "
                "with different content; raise the version in the settings sheet"
            )
    validated_by = ""
    if validate and java_available():
        odk_validate_xform(
            converted.xform,
            media_files(session, operation_id=operation_id, names=converted.media_files),
        )
        validated_by = "ODK Validate"
    return _store(
        session,
        operation_id=operation_id,
        converted=converted,
        xlsform=content,
        filename=filename,
        created_by_id=created_by_id,
        validated_by=validated_by,
        form=form,
    )


def _store(
    session: Session,
    *,
    operation_id: int,
    converted: ConvertedForm,
    xlsform: bytes,
    filename: str,
    created_by_id: int | None,
    validated_by: str,
    form: Form | None = None,
) -> FormVersion:
    if form is None:
        form = Form(
            operation_id=operation_id,
            xml_form_id=converted.xml_form_id,
            title=converted.title[:200],
            kind=shipped_forms().get(converted.xml_form_id, ("", FormKind.OTHER))[1],
        )
        session.add(form)
        session.flush()
    else:
        form.title = converted.title[:200]
    version = FormVersion(
        form_id=form.id,
        operation_id=operation_id,
        version=converted.version,
        xlsform=xlsform,
        xlsform_filename=filename[:200],
        xform=converted.xform,
        md5=md5_of(converted.xform),
        repeats=converted.repeats,
        binary_fields=converted.binary_fields,
        media_files=converted.media_files,
        validated_by=validated_by,
        created_by_id=created_by_id,
    )
    session.add(version)
    session.flush()
    _changed(session)
    return version


def find_form(session: Session, *, operation_id: int, xml_form_id: str) -> Form | None:
    return session.scalar(
        select(Form).where(Form.operation_id == operation_id, Form.xml_form_id == xml_form_id)
    )


def get_form(session: Session, *, operation_id: int, xml_form_id: str) -> Form:
    form = find_form(session, operation_id=operation_id, xml_form_id=xml_form_id)
    if form is None:
        raise NotFound("no such form")
    return form


def list_forms(session: Session, *, operation_id: int) -> list[tuple[Form, FormVersion]]:
    """Every form of the operation with its current (latest) version."""
    ensure_shipped_forms(session, operation_id=operation_id)
    latest = (
        select(FormVersion.form_id, func.max(FormVersion.id).label("version_id"))
        .where(FormVersion.operation_id == operation_id)
        .group_by(FormVersion.form_id)
        .subquery()
    )
    rows = session.execute(
        select(Form, FormVersion)
        .join(latest, latest.c.form_id == Form.id)
        .join(FormVersion, FormVersion.id == latest.c.version_id)
        .order_by(Form.xml_form_id)
    ).all()
    return [(form, version) for form, version in rows]


def current_version(session: Session, *, form: Form) -> FormVersion:
    version = session.scalar(
        select(FormVersion)
        .where(FormVersion.form_id == form.id)
        .order_by(FormVersion.id.desc())
        .limit(1)
    )
    if version is None:
        raise NotFound("the form has no published version")
    return version


def get_version(session: Session, *, form: Form, version: str) -> FormVersion:
    found = session.scalar(
        select(FormVersion).where(FormVersion.form_id == form.id, FormVersion.version == version)
    )
    if found is None:
        raise NotFound("no such form version")
    return found


def list_versions(session: Session, *, form: Form) -> list[FormVersion]:
    return list(
        session.scalars(
            select(FormVersion).where(FormVersion.form_id == form.id).order_by(FormVersion.id)
        )
    )


def set_state(session: Session, *, form: Form, state: str) -> Form:
    try:
        form.state = FormState(state)
    except ValueError:
        raise InvalidInput("state", "must be open, closing or closed") from None
    session.flush()
    _changed(session)
    return form


# Media files (choice lists and lookups the forms read from CSV) ----------------------


def media_files(
    session: Session, *, operation_id: int, names: list[str] | None = None
) -> dict[str, bytes]:
    """The operation's CSV media files (``names`` of them, or all), built when asked.

    Checkpoints and the gazetteer are crossings' own; other capabilities add
    theirs (aid points, items, entitlements) through ``crossings.extensions``.
    """
    every = media_registry()
    wanted = every if names is None else [name for name in names if name in every]
    return {name: every[name].provider(session, operation_id) for name in wanted}


def media_registry() -> dict[str, extensions.Media]:
    """Every media file a form may name, with who may download it."""
    return {
        "checkpoints.csv": extensions.Media(_checkpoints_csv),
        "admin_areas.csv": extensions.Media(_admin_areas_csv),
        **extensions.media(),
    }


def _checkpoints_csv(session: Session, operation_id: int) -> bytes:
    checkpoints = session.execute(
        select(Checkpoint.id, Checkpoint.name)
        .where(Checkpoint.operation_id == operation_id)
        .order_by(Checkpoint.id)
    ).all()
    return csv_file(["name", "label"], [(str(cid), name) for cid, name in checkpoints])


def _admin_areas_csv(session: Session, operation_id: int) -> bytes:
    areas = session.execute(
        select(AdminArea.pcode, AdminArea.name_en, AdminArea.name_ar)
        .where(AdminArea.operation_id == operation_id)
        .order_by(AdminArea.pcode)
    ).all()
    return csv_file(
        ["name", "label", "label_ar"],
        [(pcode, f"{name_en} ({pcode})", name_ar or name_en) for pcode, name_en, name_ar in areas],
    )


def csv_file(header: list[str], rows: list[tuple[str, ...]]) -> bytes:
    """A media file as Collect reads it (a placeholder row when there is nothing)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if not rows:  # JavaRosa refuses an empty choice file; an explicit placeholder row
        writer.writerow(["none", "—"] + [""] * (len(header) - 2))
    return buffer.getvalue().encode()


def media_file(session: Session, *, operation_id: int, name: str) -> bytes:
    files = media_files(session, operation_id=operation_id, names=[name])
    if name not in files:
        raise NotFound("no such media file")
    return files[name]


# What a submission needs of its form, cached in each worker ---------------------------


@dataclass(frozen=True)
class VersionInfo:
    id: int
    version: str
    repeats: list[str]
    binary_fields: list[str]


@dataclass(frozen=True)
class FormInfo:
    id: int
    xml_form_id: str
    kind: FormKind
    state: FormState
    versions: dict[str, VersionInfo]


def _load_forms(session: Session) -> dict[tuple[int, str], FormInfo]:
    versions: dict[int, dict[str, VersionInfo]] = {}
    for row in session.execute(
        select(
            FormVersion.form_id,
            FormVersion.id,
            FormVersion.version,
            FormVersion.repeats,
            FormVersion.binary_fields,
        )
    ):
        versions.setdefault(row.form_id, {})[row.version] = VersionInfo(
            row.id, row.version, list(row.repeats), list(row.binary_fields)
        )
    return {
        (f.operation_id, f.xml_form_id): FormInfo(
            f.id, f.xml_form_id, f.kind, f.state, versions.get(f.id, {})
        )
        for f in session.scalars(select(Form))
    }


def _cache(session: Session) -> VersionedCache[dict[tuple[int, str], FormInfo]]:
    return worker_cache(session, CACHE_NAME, _load_forms)


def _changed(session: Session) -> None:
    """Tell every worker that a form or its versions changed."""
    _cache(session)
    changed(session, CACHE_NAME)


def form_info(
    session: Session, *, operation_id: int, xml_form_id: str, version: str
) -> tuple[FormInfo | None, VersionInfo | None]:
    """A form and one of its versions as submissions need them (no query while nothing
    changed); either is None when unknown, after looking once more in the database in
    case another worker published it a moment ago."""

    def lookup() -> tuple[FormInfo | None, VersionInfo | None]:
        form = _cache(session).get(session).get((operation_id, xml_form_id))
        return form, form.versions.get(version) if form is not None else None

    form, found = lookup()
    if found is None:
        _cache(session).invalidate()
        form, found = lookup()
    return form, found
