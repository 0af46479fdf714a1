"""Our Base45 against the ``base45`` package (RFC 9285's reference behaviour)."""

from __future__ import annotations

import base45 as reference
import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.amnesty import base45


@given(st.binary(max_size=600))
def test_encode_and_decode_agree_with_the_reference(data: bytes) -> None:
    text = base45.encode(data)
    assert text == reference.b45encode(data).decode()
    assert base45.decode(text) == data


def test_rfc_9285_examples() -> None:
    assert base45.encode(b"AB") == "BB8"
    assert base45.encode(b"Hello!!") == "%69 VD92EX0"
    assert base45.decode("QED8WEX0") == b"ietf!"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("GGW", "beyond two bytes"),  # 65535 < value
        ("ZZ", "beyond one byte"),
        ("AB8C", "lone character"),
        ("ab8", "outside"),
        ("BB8ع", "outside"),
    ],
)
def test_invalid_text_is_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(base45.Base45Error, match=problem):
        base45.decode(text)
