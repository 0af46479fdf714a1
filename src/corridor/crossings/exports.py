"""Exports of a form's submissions in ODK Central's layout: a ZIP of CSVs, or XLSX.

The layout is the one analysts' scripts already read from ODK Central:
``<form_id>.csv`` with ``SubmissionDate``, one column per field (group path
joined with ``-``), ``meta-instanceID``, ``KEY`` and Central's metadata
columns; and one ``<form_id>-<repeat>.csv`` per repeat group with its fields,
``PARENT_KEY`` and ``KEY`` (``<parent KEY>/<repeat>[n]``). Only the current
version of each submission is exported (an edit replaces what it edits).

Personal-data columns are left out for callers whose role may not read
personal data; those callers get every row, the others the rows of the
organisations their role reaches.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.accounts.models import User
from corridor.crossings.collect import JR_TEMPLATE, primary_instance
from corridor.crossings.models import (
    NAME_FIELDS,
    Form,
    FormKind,
    FormVersion,
    Submission,
    SubmissionAttachment,
)
from corridor.crossings.openrosa import parse_instance
from corridor.crossings.reading import replaced_versions
from corridor.keys.keyring import keyring_of

# Fields of the shipped forms that identify a person (names, exact dates, free text, photos).
PERSONAL_FIELDS = {
    FormKind.REGISTRATION: frozenset(
        {*NAME_FIELDS, "dob", "origin_text", "caregiver_name", "destination_text", "photo"}
    ),
    FormKind.HEADCOUNT: frozenset(),
}
TRAILER = [
    "meta-instanceID",
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
]
BATCH = 500


@dataclass(frozen=True)
class Table:
    """One CSV of the export: the main table or a repeat group's."""

    name: str  # file name without .csv
    path: str  # instance path of the table's element
    columns: list[str]  # field paths relative to the table's element
    repeat: bool


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def layout(xform: str, *, personal: frozenset[str] | None) -> list[Table]:
    """The tables of a form version; ``personal``: field names to leave out (None: keep all).

    Column order is the form's order, as in Central.
    """
    root = primary_instance(xform)
    root_name = _local(root.tag)
    repeat_names = {_local(el.tag) for el in root.iter() if JR_TEMPLATE in el.attrib}
    tables: list[Table] = []

    def collect(element: Element, path: str, prefix: str, columns: list[str]) -> None:
        seen: set[str] = set()
        for child in element:
            name = _local(child.tag)
            if name in seen:
                continue  # a repeat's template and its first row
            seen.add(name)
            child_path = f"{path}/{name}"
            if name in repeat_names:
                sub: list[str] = []
                collect(child, child_path, "", sub)
                tables.append(Table(f"{root_name}-{name}", child_path, sub, True))
            elif len(child):
                collect(child, child_path, f"{prefix}{name}/", columns)
            elif name == "instanceID" and prefix == "meta/":
                continue  # in the trailer, as Central has it
            elif personal is None or name not in personal:
                columns.append(f"{prefix}{name}")

    main: list[str] = []
    collect(root, f"/{root_name}", "", main)
    return [Table(root_name, f"/{root_name}", main, False), *tables]


def _value(element: Element, relative: str) -> str:
    node: Element | None = element
    for part in relative.split("/"):
        node = next((c for c in node if _local(c.tag) == part), None) if node is not None else None
    return (node.text or "").strip() if node is not None and not len(node) else ""


def _rows(
    session: Session,
    *,
    form: Form,
    organisation_ids: frozenset[int] | None,
) -> Iterator[tuple[Submission, Element, str, int, int]]:
    """(submission, instance root, submitter name, attachments present, edits) of current ones."""
    query = (
        select(Submission)
        .where(
            Submission.form_id == form.id,
            Submission.superseded_by_id.is_(None),
            Submission.deleted_at.is_(None),
        )
        .order_by(Submission.received_at, Submission.instance_id)
    )
    if organisation_ids is not None:
        query = query.where(Submission.organisation_id.in_(organisation_ids))
    keyring = keyring_of(session)
    names = dict(session.execute(select(User.id, User.display_name)).all())
    for submission in session.scalars(query.execution_options(yield_per=BATCH)):
        xml = keyring.decrypt(
            session, submission.operation_id, submission.xml, aad=submission.instance_id.encode()
        )
        present = (
            len(
                session.scalars(
                    select(SubmissionAttachment.name).where(
                        SubmissionAttachment.submission_id == submission.id
                    )
                ).all()
            )
            if submission.expected_attachments
            else 0
        )
        yield (
            submission,
            parse_instance(xml).root,
            names.get(submission.officer_id, "") if submission.officer_id else "",
            present,
            len(replaced_versions(session, submission)),
        )


def table_rows(
    session: Session,
    *,
    form: Form,
    version: FormVersion,
    include_personal: bool,
    organisation_ids: frozenset[int] | None,
) -> tuple[list[Table], dict[str, list[list[str]]]]:
    """Every table's header and rows (the caller writes them as CSV or XLSX)."""
    personal = None if include_personal else PERSONAL_FIELDS.get(form.kind, frozenset({"*"}))
    tables = layout(version.xform, personal=personal)
    if personal is not None and "*" in personal:  # a form we do not know: metadata only
        tables = [Table(t.name, t.path, [], t.repeat) for t in tables]
    out: dict[str, list[list[str]]] = {}
    main = tables[0]
    out[main.name] = [["SubmissionDate", *[c.replace("/", "-") for c in main.columns], *TRAILER]]
    for table in tables[1:]:
        out[table.name] = [[*[c.replace("/", "-") for c in table.columns], "PARENT_KEY", "KEY"]]
    for submission, root, submitter, present, edits in _rows(
        session, form=form, organisation_ids=organisation_ids
    ):
        key = submission.instance_id
        out[main.name].append(
            [
                submission.received_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                *[_value(root, c) for c in main.columns],
                key,
                key,
                str(submission.officer_id or ""),
                submitter,
                str(present),
                str(len(submission.expected_attachments)),
                "",
                "",
                submission.device_id,
                str(edits),
                _version_of(root),
            ]
        )
        for table in tables[1:]:
            _repeat_rows(root, table, main.path, key, out[table.name])
    return tables, out


def _version_of(root: Element) -> str:
    return root.attrib.get("version", "")


def _repeat_rows(
    root: Element, table: Table, root_path: str, parent_key: str, rows: list[list[str]]
) -> None:
    """Rows of a repeat (only repeats directly in the main table or its groups here)."""
    relative = table.path.removeprefix(root_path + "/").split("/")
    parents = [root]
    for part in relative[:-1]:
        parents = [c for p in parents for c in p if _local(c.tag) == part]
    name = relative[-1]
    index = 0
    for parent in parents:
        for child in parent:
            if _local(child.tag) != name or JR_TEMPLATE in child.attrib:
                continue
            index += 1
            rows.append(
                [
                    *[_value(child, c) for c in table.columns],
                    parent_key,
                    f"{parent_key}/{name}[{index}]",
                ]
            )


def csv_zip(tables: list[Table], rows: dict[str, list[list[str]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerows(rows[table.name])
            archive.writestr(f"{table.name}.csv", text.getvalue())
    return buffer.getvalue()


def xlsx(tables: list[Table], rows: dict[str, list[list[str]]]) -> bytes:
    """One sheet per table (sheet names are limited to 31 characters)."""
    book = openpyxl.Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(title=table.name[:31])
        for row in rows[table.name]:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
