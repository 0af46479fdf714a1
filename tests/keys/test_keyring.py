"""Envelope encryption with per-operation keys."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from corridor.accounts.models import Organisation
from corridor.db.session import unit_of_work
from corridor.errors import NotFound
from corridor.keys.files import load_or_create_secret
from corridor.keys.keyring import Keyring
from corridor.keys.models import DataKey
from corridor.runtime import Runtime, build_runtime
from tests.factories import Factory


def test_key_files_are_created_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    first = load_or_create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first
    assert len(first) == 32


def test_encrypt_round_trip_and_tamper_detection(runtime: Runtime, factory: Factory) -> None:
    lead = factory.organisation()
    operation = factory.operation(lead)
    keyring = runtime.keyring
    with unit_of_work(runtime.factory) as session:
        blob = keyring.encrypt(session, operation.id, b"photo bytes", aad=b"attachment:1")
        assert b"photo bytes" not in blob
        assert keyring.decrypt(session, operation.id, blob, aad=b"attachment:1") == b"photo bytes"
        with pytest.raises(InvalidTag):
            keyring.decrypt(session, operation.id, blob, aad=b"attachment:2")
        tampered = blob[:-1] + bytes([blob[-1] ^ 1])
        with pytest.raises(InvalidTag):
            keyring.decrypt(session, operation.id, tampered, aad=b"attachment:1")
        stored = session.scalars(select(DataKey).where(DataKey.operation_id == operation.id)).all()
        assert stored and all(row.wrapped_key and len(row.wrapped_key) > 32 for row in stored)


def test_operations_have_distinct_keys_and_a_fresh_keyring_unwraps_them(
    runtime: Runtime, factory: Factory
) -> None:
    lead = factory.organisation()
    first, second = factory.operation(lead), factory.operation(lead)
    with unit_of_work(runtime.factory) as session:
        blob = runtime.keyring.encrypt(session, first.id, b"secret")
        runtime.keyring.encrypt(session, second.id, b"other")
        with pytest.raises(InvalidTag):
            # Same version number, other operation's key: must not decrypt.
            runtime.keyring.decrypt(session, second.id, blob)
    master = load_or_create_secret(runtime.settings.effective_master_key_file)
    with unit_of_work(runtime.factory) as session:
        assert Keyring(master).decrypt(session, first.id, blob) == b"secret"
        with pytest.raises(InvalidTag):
            Keyring(b"\x00" * 32).decrypt(session, first.id, blob)


def test_destroyed_keys_make_data_unreadable(runtime: Runtime, factory: Factory) -> None:
    lead = factory.organisation()
    operation = factory.operation(lead)
    with unit_of_work(runtime.factory) as session:
        blob = runtime.keyring.encrypt(session, operation.id, b"to be purged")
        assert runtime.keyring.destroy(session, operation.id) >= 1
    with unit_of_work(runtime.factory) as session:
        with pytest.raises(NotFound):
            runtime.keyring.decrypt(session, operation.id, blob)
        with pytest.raises(NotFound):
            runtime.keyring.encrypt(session, operation.id, b"new data")
        assert session.get(Organisation, lead.id) is not None


def test_a_key_destroyed_through_one_worker_is_not_used_by_another(
    runtime: Runtime, factory: Factory
) -> None:
    """Each worker caches the live keys; destroying them reaches every worker's cache."""
    lead = factory.organisation()
    operation = factory.operation(lead)
    other = build_runtime(runtime.settings)  # a second server worker
    try:
        with unit_of_work(other.factory) as session:
            blob = other.keyring.encrypt(session, operation.id, b"before")
        with unit_of_work(runtime.factory) as session:
            assert runtime.keyring.decrypt(session, operation.id, blob) == b"before"
            runtime.keyring.destroy(session, operation.id)
        time.sleep(runtime.settings.cache_check_interval_seconds * 2)
        with unit_of_work(other.factory) as session, pytest.raises(NotFound):
            other.keyring.encrypt(session, operation.id, b"after")
    finally:
        other.dispose()
