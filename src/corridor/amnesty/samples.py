"""Test certificates for the makers of other verifiers and for training
checkpoint staff, as the DCC project published test data: one certificate of
each verdict for a fictitious holder, signed with throwaway keys, with the
trust list that gives that verdict. Touches no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.amnesty import printing, qr
from corridor.amnesty.claims import CertificateKind, Claims
from corridor.amnesty.signing import new_certificate_id, sign
from corridor.amnesty.trust_list import SignerKey, build, key_id, raw_public, thumbprint
from corridor.amnesty.verifier import Verdict

SAMPLE_OPERATION = "sample-operation"
SAMPLE_ISSUER = "sample-org"
SAMPLE_ORGANISATION = "Sample Humanitarian Organisation"
HOLDER_ARABIC = "محمد أحمد عبد الله الخطيب"
HOLDER_LATIN = "Mohammed Ahmad Abdullah Al-Khatib"
HOLDER_BIRTH = "1990-03"


@dataclass(frozen=True)
class Sample:
    kind: Verdict
    text: str
    claims: Claims
    trust_list: dict[str, str]
    root_thumbprint: str


def make(kind: Verdict = Verdict.VALID, *, now: datetime | None = None) -> Sample:
    """A certificate and a trust list that together give the verdict ``kind``."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    day = timedelta(days=1)
    issued, start, end = now - day, now - day, now + 365 * day
    if kind is Verdict.EXPIRED:
        issued, start, end = now - 400 * day, now - 400 * day, now - 35 * day
    elif kind is Verdict.NOT_YET_VALID:
        issued, start, end = now, now + 7 * day, now + 372 * day
    claims = Claims(
        certificate_id=new_certificate_id(),
        kind=CertificateKind.AMNESTY,
        name_arabic=HOLDER_ARABIC,
        name_latin=HOLDER_LATIN,
        birth_date=HOLDER_BIRTH,
        photo_hash=None,
        issuer=SAMPLE_ISSUER,
        issued_at=issued,
        valid_from=start,
        valid_until=end,
    )
    root, listed = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    listed_public = raw_public(listed.public_key())
    listed_kid = key_id(listed_public)
    if kind is Verdict.UNKNOWN_SIGNER:
        text = sign(claims, Ed25519PrivateKey.generate())
    elif kind is Verdict.BAD_SIGNATURE:  # another key claims to be the listed one
        text = sign(claims, Ed25519PrivateKey.generate(), listed_kid)
    else:
        text = sign(claims, listed, listed_kid)
    if kind is Verdict.MALFORMED:  # a code cut short, as a torn or badly copied one
        text = text[: len(text) * 2 // 3]
    revoked = [claims.certificate_id] if kind is Verdict.REVOKED else []
    trust = build(
        root,
        operation=SAMPLE_OPERATION,
        issued_at=now,
        next_update=now + 7 * day,
        keys=[SignerKey(listed_kid, listed_public, SAMPLE_ISSUER, SAMPLE_ORGANISATION)],
        revoked=revoked,
    )
    return Sample(kind, text, claims, trust, thumbprint(raw_public(root.public_key())))


def write(sample: Sample, out: Path) -> list[Path]:
    """``certificate.txt``, ``certificate.png``, ``certificate.pdf``, ``trust-list.json``."""
    import json

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "certificate.txt": (sample.text + "\n").encode("ascii"),
        "certificate.png": qr.png(sample.text),
        "certificate.pdf": printing.certificate_pdf(
            sample.claims, sample.text, SAMPLE_ORGANISATION
        ),
        "trust-list.json": (json.dumps(sample.trust_list, indent=2) + "\n").encode(),
    }
    written = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written
