"""A certificate on the wire: COSE_Sign1 (RFC 9052) with Ed25519, deflated with
zlib and written in Base45 behind the ``AC1:`` prefix, as the EU Digital COVID
Certificate does with ``HC1:``.

Parsing is strict and never trusts a length it has not checked: every way a
text can fail to be a certificate raises ``Malformed`` with the check that
failed, which the verifier reports as the verdict ``malformed``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from corridor.amnesty import base45

PREFIX = "AC1:"  # Amnesty Certificate, format 1
COSE_SIGN1_TAG = 18
ALG_EDDSA = -8  # COSE algorithm EdDSA (Ed25519 here)
HEADER_ALG = 1
HEADER_KID = 4
MAX_TEXT = 4296  # the most alphanumeric characters a QR code (version 40, level L) holds
MAX_INFLATED = 4096  # a certificate is ~300 bytes; anything much larger is an attack


class Malformed(ValueError):
    """Not a certificate: the message names the check that failed."""


@dataclass(frozen=True, slots=True)
class Sign1:
    """A parsed COSE_Sign1: what the signature covers, and who is said to have signed."""

    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        return to_be_signed(self.protected, self.payload)


# The protected header we write, {1: -8, 4: h'<8 bytes>'}, read without a decoder
# (the verifier's hot path); any other encoding goes through cbor2.
_OUR_HEADER = b"\xa2\x01\x27\x04\x48"
_SIG_STRUCTURE_HEAD = b"\x84\x6aSignature1"  # array of 4, then the 10-character context


def to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """The COSE Sig_structure ``["Signature1", protected, external_aad, payload]`` in
    CBOR, written directly: it is on the verifier's hot path (the tests hold it
    equal to cbor2's encoding)."""
    return b"".join(
        (
            _SIG_STRUCTURE_HEAD,
            _bstr_head(len(protected)),
            protected,
            b"\x40",
            _bstr_head(len(payload)),
            payload,
        )
    )


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sign1(payload: bytes, key: Ed25519PrivateKey, kid: bytes) -> bytes:
    """A COSE_Sign1 message (tagged) with the algorithm and key id in the protected header."""
    protected = cbor2.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid})
    signature = key.sign(to_be_signed(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def decode_cbor(data: bytes, what: str) -> object:
    """CBOR from untrusted bytes: every way cbor2 can refuse them is ``Malformed``."""
    try:
        return cbor2.loads(data)
    except (ValueError, TypeError, LookupError, OverflowError, RecursionError) as error:
        raise Malformed(f"{what} is not CBOR ({type(error).__name__})") from None


def parse_sign1(message: bytes) -> Sign1:
    decoded = decode_cbor(message, "the message")
    if isinstance(decoded, cbor2.CBORTag):
        if decoded.tag != COSE_SIGN1_TAG:
            raise Malformed(f"CBOR tag {decoded.tag} is not COSE_Sign1 (18)")
        decoded = decoded.value
    if not isinstance(decoded, list) or len(decoded) != 4:
        raise Malformed("not a COSE_Sign1 array of four")
    protected, unprotected, payload, signature = decoded
    if not isinstance(protected, bytes) or not isinstance(payload, bytes):
        raise Malformed("protected header or payload is not a byte string")
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise Malformed("signature is not 64 bytes")
    if not isinstance(unprotected, dict):
        raise Malformed("unprotected header is not a map")
    if len(protected) == 13 and protected.startswith(_OUR_HEADER):
        return Sign1(protected, protected[5:], payload, signature)  # {1: -8, 4: 8-byte kid}
    header = decode_cbor(protected, "the protected header") if protected else {}
    if not isinstance(header, dict):
        raise Malformed("protected header is not a map")
    if header.get(HEADER_ALG) != ALG_EDDSA:
        raise Malformed("algorithm is not EdDSA (-8)")
    kid = header.get(HEADER_KID, unprotected.get(HEADER_KID))
    if not isinstance(kid, bytes) or not kid:
        raise Malformed("no key id")
    return Sign1(protected, kid, payload, signature)


def to_text(message: bytes) -> str:
    """The QR text of a COSE message."""
    return PREFIX + base45.encode(zlib.compress(message, 9))


def from_text(text: str) -> bytes:
    """The COSE message in a QR text; ``Malformed`` for anything else."""
    if not isinstance(text, str):
        raise Malformed("not text")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise Malformed("longer than any QR code holds")
    if not text.startswith(PREFIX):
        raise Malformed(f"does not start with {PREFIX}")
    try:
        deflated = base45.decode(text[len(PREFIX) :])
    except base45.Base45Error as error:
        raise Malformed(f"Base45: {error}") from None
    inflater = zlib.decompressobj()
    try:
        message = inflater.decompress(deflated, MAX_INFLATED)
    except zlib.error:
        raise Malformed("zlib: not a complete deflate stream") from None
    if inflater.unconsumed_tail:
        raise Malformed("zlib: inflates beyond any certificate")
    if not inflater.eof:
        raise Malformed("zlib: the stream is cut short")
    return message
