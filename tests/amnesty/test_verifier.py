"""Every verdict, in the contract's order, and a verifier that never crashes."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.amnesty import base45, codec
from corridor.amnesty.claims import CertificateKind, Claims
from corridor.amnesty.signing import new_certificate_id, sign
from corridor.amnesty.trust_list import SignerKey, build, key_id, load, raw_public
from corridor.amnesty.verifier import Verdict, Verifier

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _claims(**changes: object) -> Claims:
    base = Claims(
        certificate_id=new_certificate_id(),
        kind=CertificateKind.SAFE_PASSAGE,
        name_arabic="عبد الرحمن محمود حسن الحلبي",
        name_latin="Abdulrahman Mahmoud Hasan Al-Halabi",
        birth_date="1987",
        photo_hash=bytes(range(16)),
        issuer="org-a",
        issued_at=NOW - timedelta(days=1),
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=90),
    )
    return replace(base, **changes)


class Setup:
    def __init__(self, revoked: tuple[bytes, ...] = (), extra: tuple[SignerKey, ...] = ()) -> None:
        self.root = Ed25519PrivateKey.generate()
        self.key = Ed25519PrivateKey.generate()
        public = raw_public(self.key.public_key())
        self.kid = key_id(public)
        document = build(
            self.root,
            operation="op",
            issued_at=NOW,
            next_update=NOW + timedelta(days=1),
            keys=[*extra, SignerKey(self.kid, public, "org-a")],
            revoked=revoked,
        )
        self.verifier = Verifier(load(json.dumps(document)))


@pytest.fixture
def setup() -> Setup:
    return Setup()


def test_a_valid_certificate_gives_its_claims(setup: Setup) -> None:
    claims = _claims()
    result = setup.verifier.verify(sign(claims, setup.key), NOW)
    assert result.verdict is Verdict.VALID
    assert result.claims == claims
    assert result.signer is not None and result.signer.issuer == "org-a"


def test_expired_and_not_yet_valid_at_their_boundaries(setup: Setup) -> None:
    claims = _claims()
    text = sign(claims, setup.key)
    assert setup.verifier.verify(text, claims.valid_until).verdict is Verdict.EXPIRED
    assert setup.verifier.verify(text, claims.valid_until - timedelta(seconds=1)).valid
    assert setup.verifier.verify(text, claims.valid_from - timedelta(seconds=1)).verdict is (
        Verdict.NOT_YET_VALID
    )


def test_revoked_wins_over_dates() -> None:
    claims = _claims(valid_until=NOW - timedelta(days=1), valid_from=NOW - timedelta(days=9))
    setup = Setup(revoked=(claims.certificate_id,))
    assert setup.verifier.verify(sign(claims, setup.key), NOW).verdict is Verdict.REVOKED


def test_a_key_not_in_the_trust_list_is_an_unknown_signer(setup: Setup) -> None:
    text = sign(_claims(), Ed25519PrivateKey.generate())
    result = setup.verifier.verify(text, NOW)
    assert result.verdict is Verdict.UNKNOWN_SIGNER
    assert result.claims is None  # an unverified name is never shown


def test_a_trusted_key_speaking_for_another_issuer_is_a_bad_signature(setup: Setup) -> None:
    result = setup.verifier.verify(sign(_claims(issuer="org-b"), setup.key), NOW)
    assert result.verdict is Verdict.BAD_SIGNATURE and "org-b" in result.detail


def test_the_hand_written_sig_structure_is_cbor() -> None:
    for size in (0, 23, 24, 255, 256, 70000):
        payload = bytes(size)
        assert codec.to_be_signed(b"\xa1\x01\x27", payload) == cbor2.dumps(
            ["Signature1", b"\xa1\x01\x27", b"", payload]
        )


def test_a_forged_key_id_is_a_bad_signature(setup: Setup) -> None:
    text = sign(_claims(), Ed25519PrivateKey.generate(), setup.kid)
    assert setup.verifier.verify(text, NOW).verdict is Verdict.BAD_SIGNATURE


def test_every_key_sharing_the_id_is_tried() -> None:
    holder = Setup()
    namesake = raw_public(Ed25519PrivateKey.generate().public_key())
    document = build(
        holder.root,
        operation="op",
        issued_at=NOW,
        next_update=NOW + timedelta(days=1),
        keys=[
            SignerKey(holder.kid, namesake, "org-x"),  # listed first, does not verify
            SignerKey(holder.kid, raw_public(holder.key.public_key()), "org-a"),
        ],
        revoked=(),
    )
    result = Verifier(load(json.dumps(document))).verify(sign(_claims(), holder.key), NOW)
    assert result.valid and result.signer is not None and result.signer.issuer == "org-a"


def _flip_bit(message: bytes, position: int) -> bytes:
    changed = bytearray(message)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def test_one_bit_changed_anywhere_is_never_valid(setup: Setup) -> None:
    message = codec.from_text(sign(_claims(), setup.key))
    verdicts = set()
    for position in range(0, len(message) * 8, 7):
        text = codec.to_text(_flip_bit(message, position))
        verdict = setup.verifier.verify(text, NOW).verdict
        assert verdict is not Verdict.VALID, position
        verdicts.add(verdict)
    assert Verdict.BAD_SIGNATURE in verdicts and Verdict.MALFORMED in verdicts


def test_a_payload_altered_by_one_bit_is_a_bad_signature(setup: Setup) -> None:
    claims = _claims(name_latin="Abdulrahman Mahmoud Hasan Al-Halabi")
    sign1 = codec.parse_sign1(codec.from_text(sign(claims, setup.key)))
    payload = sign1.payload.replace(b"Halabi", b"Halabh")  # 'i' → 'h' is one bit
    assert bin(ord("i") ^ ord("h")).count("1") == 1
    tampered = cbor2.dumps(cbor2.CBORTag(18, [sign1.protected, {}, payload, sign1.signature]))
    result = setup.verifier.verify(codec.to_text(tampered), NOW)
    assert result.verdict is Verdict.BAD_SIGNATURE


def test_a_truncated_text_is_malformed(setup: Setup) -> None:
    text = sign(_claims(), setup.key)
    for cut in (len(text) - 1, len(text) - 3, len(text) // 2, 5, 4, 0):
        result = setup.verifier.verify(text[:cut], NOW)
        assert result.verdict is Verdict.MALFORMED, cut


@pytest.mark.parametrize(
    "text, detail",
    [
        ("HC1:NCFOXN%TS3DH", "does not start with AC1:"),
        ("AC1:" + base45.encode(b"not zlib"), "zlib"),
        ("AC1:" + base45.encode(zlib.compress(b"\x00" * 10000)), "beyond"),
        ("AC1:" + base45.encode(zlib.compress(cbor2.dumps([1, 2]))), "four"),
        ("AC1:" + base45.encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(98, [])))), "tag 98"),
    ],
)
def test_malformed_names_the_check_that_failed(setup: Setup, text: str, detail: str) -> None:
    result = setup.verifier.verify(text, NOW)
    assert result.verdict is Verdict.MALFORMED
    assert detail in result.detail


def test_a_signed_payload_with_a_wrong_claim_is_malformed(setup: Setup) -> None:
    payload = cbor2.loads(_claims().to_cbor())
    payload[-65537]["dob"] = "1990-13"
    message = codec.sign1(cbor2.dumps(payload), setup.key, setup.kid)
    result = setup.verifier.verify(codec.to_text(message), NOW)
    assert result.verdict is Verdict.MALFORMED and "dob" in result.detail


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=700), st.text(max_size=700)))
def test_random_input_never_crashes_the_verifier(data: bytes | str) -> None:
    verifier = _FUZZ.verifier
    if isinstance(data, bytes):
        texts = [
            codec.PREFIX + base45.encode(data),
            codec.PREFIX + base45.encode(zlib.compress(data)),
        ]
    else:
        texts = [data, codec.PREFIX + data]
    for text in texts:
        assert verifier.verify(text, NOW).verdict is Verdict.MALFORMED


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.binary(max_size=40) | st.text(max_size=40),
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.dictionaries(st.integers(-70000, 10) | st.text(max_size=3), inner, max_size=6)
        ),
        max_leaves=30,
    )
)
def test_random_cbor_signed_by_a_listed_key_never_crashes(value: object) -> None:
    message = codec.sign1(cbor2.dumps(value), _FUZZ.key, _FUZZ.kid)
    assert _FUZZ.verifier.verify(codec.to_text(message), NOW).verdict is Verdict.MALFORMED


_FUZZ = Setup()


def test_a_header_written_otherwise_is_read_by_the_general_path(setup: Setup) -> None:
    payload = _claims().to_cbor()
    for header in (
        {4: setup.kid, 1: -8},  # the keys in the other order
        {1: -8, 4: setup.kid, 3: "application/cwt"},  # one more parameter
    ):
        protected = cbor2.dumps(header)
        signature = setup.key.sign(codec.to_be_signed(protected, payload))
        message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
        assert setup.verifier.verify(codec.to_text(message), NOW).valid, header
    protected = cbor2.dumps({1: -7, 4: setup.kid})  # ES256 named: refused
    signature = setup.key.sign(codec.to_be_signed(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    result = setup.verifier.verify(codec.to_text(message), NOW)
    assert result.verdict is Verdict.MALFORMED and "EdDSA" in result.detail
