"""Wires settings, the database, the keyring and the audit hook together.

One ``Runtime`` per process (per server worker, per CLI command): the session
factory it builds hands every session the keyring, the audit signer, the
per-worker caches and the settings, so services get them from the session
they already take instead of from globals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from corridor.accounts.service import watch_principals
from corridor.audit import hook
from corridor.config import Settings
from corridor.db import guards
from corridor.db.engine import make_engine
from corridor.db.registry import load_all_models
from corridor.keys.files import load_or_create_secret, load_or_create_signing_key
from corridor.keys.keyring import Keyring

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    keyring: Keyring
    signer: Ed25519PrivateKey
    caches: dict[str, Any] = field(default_factory=dict)

    def dispose(self) -> None:
        self.engine.dispose()


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


def _drop_after_commit(session: Session, *_args: Any) -> None:
    session.info.pop("after_commit", None)


def build_runtime(settings: Settings, *, engine: Engine | None = None) -> Runtime:
    """Load (or create) the key files and build the engine and session factory."""
    load_all_models()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keyring = Keyring(load_or_create_secret(settings.effective_master_key_file))
    signer = load_or_create_signing_key(settings.effective_audit_signing_key_file)
    engine = engine or make_engine(settings.effective_database_url)
    guards.install(engine)
    caches: dict[str, Any] = {}
    factory = sessionmaker(
        bind=engine,
        expire_on_commit=False,
        info={"keyring": keyring, "audit_signer": signer, "caches": caches, "settings": settings},
    )
    hook.install(factory)
    watch_principals(factory)
    event.listen(factory, "after_commit", _run_after_commit)
    event.listen(factory, "after_soft_rollback", _drop_after_commit)
    return Runtime(
        settings=settings,
        engine=engine,
        factory=factory,
        keyring=keyring,
        signer=signer,
        caches=caches,
    )
