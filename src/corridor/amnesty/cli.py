"""``corridor cert``: sample certificates, offline verification, key rotation.

``verify`` and ``sample`` touch no database: they are what a checkpoint laptop
or another verifier's maker runs. Exit codes of ``verify``: 0 valid, 1 any other
verdict, 2 a usage error or a trust list that cannot be read.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from corridor.amnesty import qr, samples
from corridor.amnesty.trust_list import TrustListError, iso, load
from corridor.amnesty.verifier import Verdict, Verification, Verifier
from corridor.cli_support import fail

cert_app = typer.Typer(
    help="Amnesty and safe-passage certificates: samples, offline verification, keys.",
    no_args_is_help=True,
)


def _verdict(value: str) -> Verdict:
    try:
        return Verdict(value)
    except ValueError:
        fail(f"--kind: {value!r} is not one of {', '.join(v.value for v in Verdict)}")


@cert_app.command("sample")
def sample_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the four files into.")],
    kind: Annotated[
        str, typer.Option("--kind", help="The verdict the sample gives: " + ", ".join(Verdict))
    ] = Verdict.VALID.value,
) -> None:
    """Issue one certificate for a fictitious holder with a throwaway key: certificate.txt
    (the QR text), certificate.png, certificate.pdf and trust-list.json."""
    verdict = _verdict(kind)
    if out.exists() and not out.is_dir():
        fail(f"--out: {out} is not a folder")
    sample = samples.make(verdict)
    for path in samples.write(sample, out):
        typer.echo(str(path))
    typer.echo(f"root key fingerprint: {sample.root_thumbprint}")


def _moment(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at: {value!r} is not an ISO 8601 time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _read_text(text: str | None, image: Path | None) -> str:
    if (text is None) == (image is None):
        fail("give exactly one of --text and --image")
    if text is not None:
        return text
    assert image is not None
    try:
        data = image.read_bytes()
    except OSError as error:
        fail(f"--image: cannot read {image} ({error.strerror})")
    try:
        found = qr.read(data)
    except qr.ImageError as error:
        fail(f"--image: {error}")
    return found[0] if found else ""


@cert_app.command("verify")
def verify_command(
    trust_list: Annotated[
        Path, typer.Option("--trust-list", help="The trust list (JSON) the checkpoint downloaded.")
    ],
    text: Annotated[str | None, typer.Option("--text", help="The QR text (AC1:…).")] = None,
    image: Annotated[
        Path | None, typer.Option("--image", help="A PNG or JPEG showing the QR code.")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Verify as at this ISO 8601 time (default: now).")
    ] = None,
    root: Annotated[
        str | None,
        typer.Option("--root", help="The root key fingerprint to require of the trust list."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Verify a certificate offline: valid, expired, not_yet_valid, revoked,
    unknown_signer, bad_signature or malformed."""
    moment = _moment(at)
    try:
        trusted = load(trust_list.read_bytes(), expected_root=root)
    except OSError as error:
        fail(f"--trust-list: cannot read {trust_list} ({error.strerror})")
    except TrustListError as error:
        fail(f"--trust-list: {error}")
    qr_text = _read_text(text, image)
    result = Verifier(trusted).verify(qr_text, moment)
    if not qr_text and image is not None:
        result = Verification(Verdict.MALFORMED, "no QR code found in the image")
    stale = trusted.stale(moment)
    if as_json:
        typer.echo(
            json.dumps(
                _as_json(result, trusted.issued_at, stale, trusted.root_thumbprint),
                ensure_ascii=False,
            )
        )
    else:
        _print(result, iso(trusted.issued_at), stale)
    raise typer.Exit(0 if result.valid else 1)


def _as_json(result: Verification, issued_at: datetime, stale: bool, root: str) -> dict:
    out: dict[str, object] = {
        "verdict": result.verdict.value,
        "certificate_id": result.certificate_id,
        "trust_list_issued_at": iso(issued_at),
        "trust_list_stale": stale,
        "trust_list_root": root,
        "detail": result.detail,
        "key_id": result.key_id,
        "signer": result.signer.issuer if result.signer else None,
        "signer_name": result.signer.name if result.signer else None,
    }
    if result.claims is not None:
        claims = result.claims
        out["certificate"] = {
            "type": claims.kind.value,
            "name_arabic": claims.name_arabic,
            "name_latin": claims.name_latin,
            "birth_date": claims.birth_date,
            "photo_hash": claims.photo_hash.hex() if claims.photo_hash else None,
            "issuer": claims.issuer,
            "issued_at": iso(claims.issued_at),
            "valid_from": iso(claims.valid_from),
            "valid_until": iso(claims.valid_until),
        }
    return out


def _print(result: Verification, issued_at: str, stale: bool) -> None:
    out = sys.stdout
    out.write(f"{result.verdict.value.upper()}: {result.detail}\n")
    if result.certificate_id:
        out.write(f"certificate: {result.certificate_id}\n")
    if result.claims is not None:
        claims = result.claims
        for label, value in (
            ("type", claims.kind.value),
            ("name (Arabic)", claims.name_arabic),
            ("name (Latin)", claims.name_latin),
            ("date of birth", claims.birth_date),
            ("issued by", f"{result.signer.name if result.signer else ''} ({claims.issuer})"),
            ("valid", f"{iso(claims.valid_from)} to {iso(claims.valid_until)}"),
        ):
            if value:
                out.write(f"{label}: {value}\n")
    out.write(
        f"trust list issued at {issued_at}"
        + (" (STALE: past its next update)" if stale else "")
        + "\n"
    )


def _operation_and_session():  # type: ignore[no-untyped-def]
    from corridor.cli_support import require_current_schema as _require_current_schema
    from corridor.cli_support import runtime as _runtime

    runtime = _runtime()
    _require_current_schema(runtime)
    return runtime


def _organisation(session, value: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, or_, select

    from corridor.accounts.models import Organisation

    query = select(Organisation).where(
        or_(
            func.lower(Organisation.name) == value.lower(),
            func.lower(Organisation.acronym) == value.lower(),
            Organisation.id == (int(value) if value.isdigit() else -1),
        )
    )
    found = session.scalars(query).all()
    if len(found) != 1:
        fail(f"--org: {value!r} names {'no' if not found else 'more than one'} organisation")
    return found[0]


@cert_app.command("rotate-key")
def rotate_key_command(
    operation: Annotated[str, typer.Option("--operation", help="The operation's slug.")],
    org: Annotated[str, typer.Option("--org", help="The organisation: id, acronym or name.")],
) -> None:
    """Rotate an organisation's certificate-signing key. Certificates it signed stay
    verifiable until they expire: the old key stays in the trust list until then."""
    from corridor.amnesty import signing_keys
    from corridor.amnesty.trust_list import b64url
    from corridor.db.session import Actor, unit_of_work
    from corridor.errors import CorridorError, NotFound
    from corridor.operations import service as operations

    runtime = _operation_and_session()
    try:
        with unit_of_work(runtime.factory, Actor(label="cli")) as session:
            try:
                ref = operations.lookup(session, slug=operation)
            except NotFound:
                fail(f"--operation: no operation {operation!r}")
            organisation = _organisation(session, org)
            if organisation.id not in ref.participation.active_organisation_ids:
                fail(f"--org: {organisation.name} does not take part in {operation}")
            old, new = signing_keys.rotate(session, ref.id, organisation.id)
            typer.echo(
                f"{organisation.name}: new key {b64url(new.kid)}"
                + (f", key {b64url(old.kid)} retired" if old else "")
            )
    except CorridorError as error:
        fail(error.detail)


@cert_app.command("trust-list")
def trust_list_command(
    operation: Annotated[str, typer.Option("--operation", help="The operation's slug.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write it here (default: stdout).")
    ] = None,
) -> None:
    """The operation's signed trust list, as checkpoints download it from
    /trust/SLUG/trust-list.json, for devices set up without a connection."""
    from corridor.amnesty import signing_keys
    from corridor.db.session import Actor, unit_of_work
    from corridor.errors import NotFound
    from corridor.operations import service as operations

    runtime = _operation_and_session()
    with unit_of_work(runtime.factory, Actor(label="cli")) as session:
        try:
            ref = operations.lookup(session, slug=operation)
        except NotFound:
            fail(f"--operation: no operation {operation!r}")
        document = signing_keys.signed_trust_list(
            session, operation_id=ref.id, operation_slug=ref.slug
        )
        fingerprint = signing_keys.root_fingerprint(session, ref.id)
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
    typer.echo(f"root key fingerprint: {fingerprint}", err=True)
