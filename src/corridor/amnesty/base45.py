"""Base45 (RFC 9285): the alphabet a QR code's alphanumeric mode stores in
5.5 bits a character, as the EU Digital COVID Certificate uses it.

Written here rather than taken from the ``base45`` package because decoding is
on the verifier's hot path: that package's per-character Python loop takes about
140 µs for a certificate, more than a whole verification may cost; a table
lookup (``bytes.translate``) and one NumPy product take about 10 µs. The tests
hold both directions equal to the package's on random input.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 255
_VALUES = np.full(256, _INVALID, dtype=np.uint8)
for _value, _char in enumerate(ALPHABET):
    _VALUES[ord(_char)] = _value
_VALUE_BYTES = _VALUES.tobytes()  # a bytes.translate table
_CHARS = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_WEIGHTS = np.array([1, 45, 2025], dtype=np.uint32)


class Base45Error(ValueError):
    """The text is not Base45 (a character outside the alphabet, a bad length, or
    a group whose value does not fit its bytes)."""


def encode(data: bytes) -> str:
    """Two bytes become three characters, least significant first; a last odd byte two."""
    raw = np.frombuffer(data, dtype=np.uint8)
    pairs = len(raw) // 2
    values = raw[: pairs * 2].reshape(-1, 2).astype(np.uint32) @ np.array([256, 1], np.uint32)
    digits = np.empty((pairs, 3), dtype=np.uint32)
    digits[:, 0] = values % 45
    digits[:, 1] = (values // 45) % 45
    digits[:, 2] = values // 2025
    text = _CHARS[digits.reshape(-1)].tobytes()
    if len(raw) % 2:
        last = int(raw[-1])
        text += bytes([_CHARS[last % 45], _CHARS[last // 45]])
    return text.decode("ascii")


def decode(text: str | bytes) -> bytes:
    """The bytes a Base45 text stands for; ``Base45Error`` for anything else."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError:
            raise Base45Error("a character outside the Base45 alphabet") from None
    values = text.translate(_VALUE_BYTES)  # each character's value, 255 when invalid
    if len(values) % 3 == 1:
        raise Base45Error("the length leaves a lone character")
    if b"\xff" in values:
        raise Base45Error("a character outside the Base45 alphabet")
    whole = len(values) - len(values) % 3
    groups = np.frombuffer(values, dtype=np.uint8, count=whole).reshape(-1, 3) @ _WEIGHTS
    if whole and int(groups.max()) > 0xFFFF:
        raise Base45Error("a group of three characters is beyond two bytes")
    out = groups.astype(">u2").tobytes()
    if whole < len(values):
        last = values[whole] + values[whole + 1] * 45
        if last > 0xFF:
            raise Base45Error("the last two characters are beyond one byte")
        out += bytes((last,))
    return out
