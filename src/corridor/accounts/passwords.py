"""Password hashing (argon2id) and the NIST SP 800-63B password policy.

The policy asks for length, not composition rules: at least 12 characters, and
refuses passwords found in a list of common passwords (the 30,000 most common
from breach corpora, as shipped with the zxcvbn package), repetitive or
sequential strings, and passwords built from the login or the product's name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from corridor.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 256
_hasher = PasswordHasher()
# Runs a person types without thinking: alphabet, digits (wrapping 9 → 0) and
# keyboard rows, forwards or backwards.
_RUNS = ("abcdefghijklmnopqrstuvwxyz" * 2, "0123456789" * 3, "qwertyuiop", "asdfghjkl",
         "zxcvbnm", "1234567890" * 2)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _is_sequential(text: str) -> bool:
    return any(text in run or text in run[::-1] for run in _RUNS)


def _is_repetitive(text: str) -> bool:
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def check_policy(password: str, *, login: str | None = None, field: str = "password") -> None:
    """Raise ``InvalidInput`` naming ``field`` when the password is too weak."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(field, f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_LENGTH} characters long")
    lowered = password.lower()
    common = common_passwords()
    stripped = re.sub(r"[\d\W_]+$", "", lowered)
    if (
        lowered in common
        or (stripped in common and len(stripped) >= 4)
        or any(
            _is_repetitive(lowered) and lowered[:size] in common
            for size in range(4, len(lowered) // 2 + 1)
        )
    ):
        raise InvalidInput(field, "is a commonly used password; choose another")
    if _is_repetitive(lowered) or _is_sequential(lowered):
        raise InvalidInput(field, "is repetitive or sequential; choose another")
    if login and len(login) >= 3 and login.lower() in lowered:
        raise InvalidInput(field, "must not contain the login")
    if "corridor" in lowered and len(lowered.replace("corridor", "")) < MIN_LENGTH:
        raise InvalidInput(field, "must not be built from the product's name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A real hash to verify against when the login does not exist, so the time a
# sign-in takes does not reveal whether a login exists.
_DUMMY_HASH = _hasher.hash("corridor-timing-equaliser")


def verify_dummy(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
