"""NIST SP 800-63B password policy and argon2 hashing."""

from __future__ import annotations

import pytest

from corridor.accounts import passwords
from corridor.errors import InvalidInput


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ("short-one", "at least 12"),
        ("qwerty123456", "common"),
        ("1q2w3e4r5t6y", "common"),
        ("Password1234", "common"),
        ("sunshinesunshine", "common"),
        ("aaaaaaaaaaaaaa", "repetitive"),
        ("abcdefghijklmn", "repetitive or sequential"),
        ("98765432109876", "repetitive or sequential"),
        ("x" * 300, "at most"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(candidate: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        passwords.check_policy(candidate)
    assert caught.value.field == "password"
    assert reason in caught.value.problems[0].message


def test_password_containing_the_login_is_refused() -> None:
    with pytest.raises(InvalidInput, match="login"):
        passwords.check_policy("amira.haddad-2026!", login="amira.haddad")


def test_long_unusual_passphrases_pass() -> None:
    passwords.check_policy("plum-harbour-lantern-42", login="someone")
    passwords.check_policy("قمر فوق الوادي ٢٠٢٦")


def test_hash_is_argon2id_and_verifies() -> None:
    digest = passwords.hash_password("plum-harbour-lantern-42")
    assert digest.startswith("$argon2id$")
    assert passwords.verify_password(digest, "plum-harbour-lantern-42")
    assert not passwords.verify_password(digest, "plum-harbour-lantern-43")
    assert not passwords.verify_password("not a hash", "x")


def test_the_bundled_list_is_large() -> None:
    assert len(passwords.common_passwords()) > 20_000
