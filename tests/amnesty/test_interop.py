"""An independent COSE library (pycose) verifies our certificates with the JWK
from the trust list: other verifiers need nothing of ours."""

from __future__ import annotations

import base64
import json
import zlib

import base45 as reference_base45
import cbor2
from pycose.keys import OKPKey
from pycose.messages import Sign1Message

from corridor.amnesty import samples
from corridor.amnesty.verifier import Verdict


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_pycose_verifies_a_certificate_with_the_published_key() -> None:
    sample = samples.make(Verdict.VALID)
    assert sample.text.startswith("AC1:")
    message = zlib.decompress(reference_base45.b45decode(sample.text[4:]))
    payload = json.loads(_b64(sample.trust_list["payload"]))
    (jwk,) = payload["keys"]["keys"]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    decoded = Sign1Message.decode(message)
    assert decoded.phdr_encoded and _b64(jwk["kid"]) == cbor2.loads(decoded.phdr_encoded)[4]
    decoded.key = OKPKey(crv="Ed25519", x=_b64(jwk["x"]))
    assert decoded.verify_signature()
    claims = cbor2.loads(decoded.payload)
    assert claims[7] == sample.claims.certificate_id  # cti
    assert claims[-65537]["n"]["la"] == samples.HOLDER_LATIN


def test_pycose_refuses_a_forged_signature() -> None:
    sample = samples.make(Verdict.BAD_SIGNATURE)
    payload = json.loads(_b64(sample.trust_list["payload"]))
    (jwk,) = payload["keys"]["keys"]
    decoded = Sign1Message.decode(zlib.decompress(reference_base45.b45decode(sample.text[4:])))
    decoded.key = OKPKey(crv="Ed25519", x=_b64(jwk["x"]))
    assert not decoded.verify_signature()
