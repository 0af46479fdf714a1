"""Receiving form submissions: idempotent, edits with history, attachments in parts.

The rules are ODK Central's. The same ``instanceID`` with the same XML is
acknowledged again and stored once (attachments that had not arrived yet are
added); with different XML it is a conflict, unless it is an edit naming the
instance it replaces in ``deprecatedID``. A submission whose attachments have
not all arrived is kept and listed as missing them, never lost.

Each submission is also turned into the records the rest of Corridor reads: a
registration (household and members) or a headcount.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor import events
from corridor.accounts.permissions import Action, Decision
from corridor.crossings import extensions, forms
from corridor.crossings.devices import DeviceLogin
from corridor.crossings.models import (
    COUNT_FIELDS,
    FLAG_FIELDS,
    NAME_FIELDS,
    WG_DOMAINS,
    DobPrecision,
    FormKind,
    FormState,
    Headcount,
    Registration,
    RegistrationMember,
    Submission,
    SubmissionAttachment,
    SubmissionState,
)
from corridor.crossings.openrosa import BadSubmission, Instance, parse_instance
from corridor.crossings.sync import InvalidRecord, checked_content
from corridor.db.mixins import LawfulBasis
from corridor.db.session import transaction_memo
from corridor.db.types import utcnow
from corridor.errors import Conflict, Forbidden, NotFound
from corridor.keys.keyring import keyring_of
from corridor.operations.models import Checkpoint

REGISTRATION_PURPOSE = "crossing_registration"
HEADCOUNT_PURPOSE = "crossing_headcount"
OTHER_PURPOSE = "crossing_form"
RELATIONSHIPS = frozenset(
    [
        "head",
        "spouse",
        "son",
        "daughter",
        "father",
        "mother",
        "brother",
        "sister",
        "grandchild",
        "other_relative",
        "unrelated",
    ]
)
SEXES = frozenset({"female", "male"})
CHILD_STATUSES = frozenset({"", "accompanied", "unaccompanied", "separated"})
REUNIFICATION = frozenset({"", "not_started", "tracing", "located", "reunified"})
SPECIFIC_NEEDS = frozenset(["CR", "DS", "ER", "FU", "LP", "PG", "SC", "SM", "SP", "SV", "TR", "WR"])
CONSENT_POINTS = frozenset({"purpose", "sharing", "rights", "retention"})
MAX_MEMBERS = 50


@dataclass(frozen=True)
class Received:
    """What the server answers: 201 stored now, 202 already stored."""

    status_code: int
    submission: Submission
    message: str


class StoreAlone(Exception):
    """Raised before anything is written: this submission is stored in a transaction
    of its own (a form another capability owns writes more than one flush's worth)."""


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    content: bytes


def receive(
    session: Session,
    *,
    operation_id: int,
    organisation_id: int,
    login: DeviceLogin,
    xml: bytes,
    attachments: list[Upload],
    instance: Instance | None = None,
    flush: bool = True,
    may: Callable[[Action], Decision] | None = None,
) -> Received:
    """Store one POST of a submission (the XML, and some or all of its attachments).

    ``instance`` is the XML already parsed, if the caller had to. With
    ``flush=False`` nothing is written yet: the caller stores several
    submissions with one flush (``corridor.crossings.intake``) and makes sure
    no two of them name the same instance; a form another capability owns
    raises ``StoreAlone`` then, before anything is written. ``may`` says what
    the officer's role allows in the operation (those forms ask).
    """
    instance = instance or parse_instance(xml)
    form, version = forms.form_info(
        session, operation_id=operation_id, xml_form_id=instance.form_id, version=instance.version
    )
    if form is None:
        raise NotFound(f"there is no form {instance.form_id!r} in this operation")
    if form.state == FormState.CLOSED:
        raise Forbidden(f"the form {instance.form_id!r} is closed and accepts no submissions")
    if version is None:
        raise NotFound(f"version {instance.version!r} of {instance.form_id!r} was never published")
    digest = hashlib.sha256(xml).hexdigest()
    existing_id = session.scalar(
        select(Submission.id).where(
            Submission.operation_id == operation_id,
            Submission.instance_id == instance.instance_id,
        )
    )  # the id alone: nearly every submission is new, and a row is dearer to load
    if existing_id is not None:
        existing = session.get_one(Submission, existing_id)
        if existing.xml_sha256 != digest:
            raise Conflict(
                "a different submission with this instanceID is already stored; "
                "an edit must name the instance it replaces in deprecatedID"
            )
        added = _add_attachments(session, existing, attachments, flush=flush)
        if added:
            return Received(201, existing, "Attachments received.")
        return Received(202, existing, "Already received: stored once.")
    previous = None
    if instance.deprecated_id is not None:
        previous = session.scalar(
            select(Submission).where(
                Submission.operation_id == operation_id,
                Submission.instance_id == instance.deprecated_id,
            )
        )
        if previous is None or previous.organisation_id != organisation_id:
            # Another organisation's record is not revealed, let alone edited.
            raise NotFound("the submission this edit replaces (deprecatedID) is not stored here")
        if previous.superseded_by_id is not None:
            raise Conflict("the submission this edit replaces was already edited")
    extension = extensions.extension_for(form.kind)
    if extension is not None and not flush:
        raise StoreAlone
    values, rows = instance.values(version.repeats)
    if extension is not None:
        purpose, basis = extension.purpose, extension.lawful_basis
        projected = {
            "extension": _check_extension(
                session,
                extension,
                operation_id=operation_id,
                organisation_id=organisation_id,
                login=login,
                instance=instance,
                values=values,
                rows=rows,
                may=may,
            )
        }
    else:
        purpose, basis, projected = _project(
            session,
            form=form,
            version=version,
            instance=instance,
            values=values,
            rows=rows,
            operation_id=operation_id,
        )
    expected = sorted(
        {values.get(path.rsplit("/", 1)[-1], "") for path in version.binary_fields} - {""}
    )
    submission = Submission(
        id=uuid.uuid4(),
        operation_id=operation_id,
        form_id=form.id,
        form_version_id=version.id,
        instance_id=instance.instance_id,
        deprecated_id=instance.deprecated_id,
        xml=keyring_of(session).encrypt(
            session, operation_id, xml, aad=instance.instance_id.encode()
        ),
        xml_sha256=digest,
        state=SubmissionState.MISSING_ATTACHMENTS if expected else SubmissionState.COMPLETE,
        expected_attachments=expected,
        checkpoint_id=projected.get("checkpoint_id"),
        organisation_id=organisation_id,
        officer_id=login.user_id,
        device_credential_id=login.device_credential_id,
        device_id=values.get("deviceid", "")[:100],
        recorded_at=_moment(values.get("end") or values.get("start")),
        received_at=utcnow(),
        purpose=purpose,
        lawful_basis=basis,
    )
    session.add(submission)
    if previous is not None:
        previous.superseded_by_id = submission.id
    _add_attachments(session, submission, attachments, flush=flush)
    registration = _store_projection(session, form, submission, previous, projected)
    if flush:
        session.flush()
    if registration is not None:
        events.publish(
            session,
            events.REGISTRATION_STORED,
            operation_id=registration.operation_id,
            registration_id=registration.id,
        )
    return Received(201, submission, "Received: thank you.")


def _add_attachments(
    session: Session, submission: Submission, uploads: list[Upload], *, flush: bool = True
) -> bool:
    """Store the expected attachments not stored yet; True when any was added."""
    if not uploads:
        return False
    have = set(
        session.scalars(
            select(SubmissionAttachment.name).where(
                SubmissionAttachment.submission_id == submission.id
            )
        )
    )
    added = False
    keyring = keyring_of(session)
    for upload in uploads:
        if upload.name not in submission.expected_attachments or upload.name in have:
            continue  # ODK Central ignores files the instance does not name
        session.add(
            SubmissionAttachment(
                id=uuid.uuid4(),
                submission=submission,
                operation_id=submission.operation_id,
                name=upload.name,
                content_type=upload.content_type[:100],
                content=keyring.encrypt(
                    session, submission.operation_id, upload.content, aad=upload.name.encode()
                ),
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                purpose=submission.purpose,
                lawful_basis=submission.lawful_basis,
            )
        )
        have.add(upload.name)
        added = True
    if set(submission.expected_attachments) <= have:
        submission.state = SubmissionState.COMPLETE
    if added and flush:
        session.flush()
    return added


# From instance values to records ---------------------------------------------------


def _moment(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _checkpoint(session: Session, operation_id: int, raw: str, *, required: bool) -> int | None:
    if not raw or raw == "none":
        if required:
            raise BadSubmission("checkpoint: is required")
        return None
    try:
        checkpoint_id = int(raw)
    except ValueError:
        raise BadSubmission("checkpoint: must be a checkpoint id") from None
    if not 0 < checkpoint_id < 2**31 or _operation_of(session, checkpoint_id) != operation_id:
        raise BadSubmission("checkpoint: is not a checkpoint of this operation")
    return checkpoint_id


def _operation_of(session: Session, checkpoint_id: int) -> int | None:
    """The operation of a checkpoint, read once per transaction (a batch names few)."""
    memo = transaction_memo(session, "_checkpoint_operations")
    if checkpoint_id not in memo:
        memo[checkpoint_id] = session.scalar(
            select(Checkpoint.operation_id).where(Checkpoint.id == checkpoint_id)
        )
    return memo[checkpoint_id]  # type: ignore[no-any-return]


def _project(
    session: Session,
    *,
    form: forms.FormInfo,
    version: forms.VersionInfo,
    instance: Instance,
    values: dict[str, str],
    rows: dict[str, list[dict[str, str]]],
    operation_id: int,
) -> tuple[str, LawfulBasis, dict[str, Any]]:
    """Check the instance for its form kind: (purpose, lawful basis, record fields)."""
    if form.kind == FormKind.REGISTRATION:
        return _registration(session, operation_id, version, instance, values, rows)
    if form.kind == FormKind.HEADCOUNT:
        raw: dict[str, Any] = {
            "checkpoint_id": _checkpoint(
                session, operation_id, values.get("checkpoint", ""), required=True
            ),
            "slot_start": values.get("slot_start") or None,
            "direction": values.get("direction"),
            "means": values.get("means"),
        }
        for name in (*COUNT_FIELDS, *FLAG_FIELDS):
            text = values.get(name, "")
            try:
                raw[name] = int(text) if text else 0
            except ValueError:
                raise BadSubmission(f"{name}: must be a whole number") from None
        try:
            content = checked_content(session, operation_id, raw)
        except InvalidRecord as error:
            raise BadSubmission(str(error)) from None
        return HEADCOUNT_PURPOSE, LawfulBasis.PUBLIC_INTEREST, {"headcount": content, **content}
    return OTHER_PURPOSE, LawfulBasis.PUBLIC_INTEREST, {}


def _check_extension(
    session: Session,
    extension: extensions.FormExtension,
    *,
    operation_id: int,
    organisation_id: int,
    login: DeviceLogin,
    instance: Instance,
    values: dict[str, str],
    rows: dict[str, list[dict[str, str]]],
    may: Callable[[Action], Decision] | None,
) -> tuple[extensions.FormExtension, Any]:
    """The owning capability's checks of a submission of its form, before anything is written."""
    if may is None or not may(extension.action).allowed:
        raise Forbidden("your role does not allow submitting this form in this operation")
    content = extension.check(
        session,
        extensions.Submitted(
            operation_id=operation_id,
            organisation_id=organisation_id,
            user_id=login.user_id,
            instance_id=instance.instance_id,
            values=values,
            rows=rows,
            recorded_at=_moment(values.get("end") or values.get("start")),
            may=may,
        ),
    )
    return extension, content


def _choice(raw: str, allowed: frozenset[str], field: str) -> str:
    if raw not in allowed:
        raise BadSubmission(f"{field}: {raw!r} is not one of the form's choices")
    return raw


def _text(raw: str, field: str, limit: int) -> str:
    if len(raw) > limit:
        raise BadSubmission(f"{field}: must be at most {limit} characters")
    return raw


def _registration(
    session: Session,
    operation_id: int,
    version: forms.VersionInfo,
    instance: Instance,
    values: dict[str, str],
    rows: dict[str, list[dict[str, str]]],
) -> tuple[str, LawfulBasis, dict[str, Any]]:
    given = values.get("given", "")
    if given == "yes":
        basis = LawfulBasis.CONSENT
    else:
        try:
            basis = LawfulBasis(values.get("lawful_basis", ""))
        except ValueError:
            raise BadSubmission(
                "consent: neither consent nor a lawful basis is recorded; nothing was stored"
            ) from None
        if basis == LawfulBasis.CONSENT:
            raise BadSubmission("consent/lawful_basis: consent was not given")
    explained = values.get("explained", "").split()
    for point in explained:
        _choice(point, CONSENT_POINTS, "consent/explained")
    member_rows = next((r for path, r in rows.items() if path.endswith("/member")), [])
    if not member_rows:
        raise BadSubmission("member: a registration needs at least one person")
    if len(member_rows) > MAX_MEMBERS:
        raise BadSubmission(f"member: at most {MAX_MEMBERS} people in one household")
    members = [_member(row, index) for index, row in enumerate(member_rows)]
    photo = values.get("photo", "")
    if photo and given != "yes":
        raise BadSubmission("photo: a photo needs the person's consent")
    return (
        REGISTRATION_PURPOSE,
        basis,
        {
            "checkpoint_id": _checkpoint(
                session, operation_id, values.get("checkpoint", ""), required=False
            ),
            "registration": {
                "consent_explained": explained,
                "consent_given": given == "yes",
                "household_size": len(members),
                "destination_pcode": _text(
                    values.get("destination_pcode", ""), "destination_pcode", 30
                ),
                "destination_text": _text(
                    values.get("destination_text", ""), "destination_text", 200
                ),
                "has_photo": bool(photo),
                "form_version": version.version,
                "instance_id": instance.instance_id,
            },
            "members": members,
        },
    )


def _member(row: dict[str, str], index: int) -> dict[str, Any]:
    where = f"member[{index + 1}]"
    member: dict[str, Any] = {"position": index}
    member["relationship_to_head"] = _choice(
        row.get("relationship", ""), RELATIONSHIPS, f"{where}/relationship"
    )
    for name in NAME_FIELDS:
        member[name] = _text(row.get(name, ""), f"{where}/{name}", 200 if "mother" in name else 100)
    if not (member["given_name_ar"] or member["given_name_lat"]):
        raise BadSubmission(
            f"{where}/given_name: give the name in Arabic script or in Latin letters"
        )
    member["sex"] = _choice(row.get("sex", ""), SEXES, f"{where}/sex")
    try:
        member["dob_precision"] = DobPrecision(row.get("dob_precision", ""))
    except ValueError:
        raise BadSubmission(
            f"{where}/dob_precision: must be exact, month, year or estimated_age"
        ) from None
    member["dob"] = None
    member["age_estimate"] = None
    if member["dob_precision"] == DobPrecision.ESTIMATED_AGE:
        try:
            member["age_estimate"] = int(row.get("age_estimate", ""))
        except ValueError:
            raise BadSubmission(f"{where}/age_estimate: must be a whole number of years") from None
        if not 0 <= member["age_estimate"] <= 120:
            raise BadSubmission(f"{where}/age_estimate: must be between 0 and 120")
    else:
        try:
            member["dob"] = date.fromisoformat(row.get("dob", "")[:10])
        except ValueError:
            raise BadSubmission(f"{where}/dob: must be a date (YYYY-MM-DD)") from None
        if member["dob"] > date.today():
            raise BadSubmission(f"{where}/dob: is in the future")
    member["origin_pcode"] = _text(row.get("origin_pcode", ""), f"{where}/origin_pcode", 30)
    member["origin_text"] = _text(row.get("origin_text", ""), f"{where}/origin_text", 200)
    member["child_status"] = _choice(
        row.get("child_status", ""), CHILD_STATUSES, f"{where}/child_status"
    )
    member["caregiver_name"] = _text(row.get("caregiver_name", ""), f"{where}/caregiver_name", 200)
    member["reunification_status"] = _choice(
        row.get("reunification_status", ""), REUNIFICATION, f"{where}/reunification_status"
    )
    for domain in WG_DOMAINS:
        raw = row.get(f"wg_{domain}", "")
        if raw and raw not in ("1", "2", "3", "4"):
            raise BadSubmission(f"{where}/wg_{domain}: must be 1, 2, 3 or 4")
        member[f"wg_{domain}"] = int(raw) if raw else None
    needs = row.get("specific_needs", "").split()
    for code in needs:
        _choice(code, SPECIFIC_NEEDS, f"{where}/specific_needs")
    member["specific_needs"] = needs
    return member


def _store_projection(
    session: Session,
    form: forms.FormInfo,
    submission: Submission,
    previous: Submission | None,
    projected: dict[str, Any],
) -> Registration | None:
    """The records the rest of Corridor reads; the registration, when there is one."""
    if "extension" in projected:
        extension, content = projected["extension"]
        session.flush()  # the capability's records refer to the submission
        extension.store(session, submission, content, previous)
        return None
    if "registration" in projected:
        registration = None
        if previous is not None:
            registration = session.scalar(
                select(Registration).where(Registration.submission_id == previous.id)
            )
        fields = projected["registration"]
        if registration is None:
            registration = Registration(
                id=uuid.uuid4(),
                operation_id=submission.operation_id,
                organisation_id=submission.organisation_id,
                purpose=submission.purpose,
                lawful_basis=submission.lawful_basis,
                received_at=submission.received_at,
                members=[],
            )
            session.add(registration)
        registration.submission = submission
        registration.checkpoint_id = submission.checkpoint_id
        registration.officer_id = submission.officer_id
        registration.device_id = submission.device_id
        registration.recorded_at = submission.recorded_at
        registration.lawful_basis = submission.lawful_basis
        for key, value in fields.items():
            setattr(registration, key, value)
        registration.members = [
            RegistrationMember(
                id=uuid.uuid4(),
                operation_id=submission.operation_id,
                purpose=submission.purpose,
                lawful_basis=submission.lawful_basis,
                **member,
            )
            for member in projected["members"]
        ]
        return registration
    if "headcount" in projected:
        content = projected["headcount"]
        record_id = _uuid_of(previous.instance_id if previous else submission.instance_id)
        headcount = session.get(Headcount, record_id)
        if headcount is None:
            session.add(
                Headcount(
                    id=record_id,
                    operation_id=submission.operation_id,
                    organisation_id=submission.organisation_id,
                    officer_id=submission.officer_id,
                    device_id=submission.device_id,
                    form_version=form.xml_form_id,
                    recorded_at=submission.recorded_at or content["slot_start"],
                    version=1,
                    **content,
                )
            )
        else:
            for key, value in content.items():
                setattr(headcount, key, value)
            headcount.version += 1
    return None


def _uuid_of(instance_id: str) -> uuid.UUID:
    """The headcount id of an instance: its UUID, or one derived from the instanceID."""
    try:
        return uuid.UUID(instance_id.removeprefix("uuid:"))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"corridor:instance:{instance_id}")
