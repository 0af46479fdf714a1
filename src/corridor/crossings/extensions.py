"""Form kinds that other capabilities add to the field forms (aid's distribution lists).

Crossings runs the OpenRosa server; what a submission of a form becomes is the
business of the capability that owns the form's kind. That capability
registers here: the XLSForm it ships, the media files (CSV choice lists and
lookups) its form reads, and the two steps of storing a submission: ``check``
runs before anything is written and refuses bad data with ``BadSubmission``;
``store`` runs in the same transaction once the submission row is added, and
must not refuse (the checks are behind it).

Crossings never imports those capabilities: their modules are named in
``EXTENSION_MODULES`` and imported on first use, as ``corridor.events`` does
for its subscribers, so that the dependency points from aid to crossings only.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from corridor.accounts.permissions import Action, Decision
from corridor.crossings.models import FormKind, Submission
from corridor.db.mixins import LawfulBasis

EXTENSION_MODULES = ("corridor.aid.offline",)


@dataclass(frozen=True)
class Submitted:
    """A submission of an extension's form, as its ``check`` reads it."""

    operation_id: int
    organisation_id: int
    user_id: int
    instance_id: str
    values: dict[str, str]
    rows: dict[str, list[dict[str, str]]]
    recorded_at: datetime | None
    may: Callable[[Action], Decision]  # what the officer's role allows in the operation


@dataclass(frozen=True)
class FormExtension:
    kind: FormKind
    form_name: str  # the shipped XLSForm: ``<package>/forms/<form_name>.xlsx``
    package: str
    action: Action  # who is offered the form and may submit to it, beyond crossing.write
    purpose: str
    lawful_basis: LawfulBasis
    check: Callable[[Session, Submitted], Any]
    # (session, the stored submission, what check returned, the submission it edits)
    store: Callable[[Session, Submission, Any, Submission | None], None]


MediaProvider = Callable[[Session, int], bytes]  # (session, operation id) → CSV


@dataclass(frozen=True)
class Media:
    """A media file: who may download it, and whether a download is logged as access."""

    provider: MediaProvider
    action: Action | None = None  # beyond the form's own (crossing.write)
    access_purpose: str | None = None  # personal data: each download goes to the access log


_forms: dict[FormKind, FormExtension] = {}
_media: dict[str, Media] = {}
_loaded = False
_lock = threading.Lock()


def register_form(extension: FormExtension) -> None:
    _forms[extension.kind] = extension


def register_media(filename: str, media: Media) -> None:
    _media[filename] = media


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for module in EXTENSION_MODULES:
                importlib.import_module(module)
            _loaded = True


def form_extensions() -> dict[FormKind, FormExtension]:
    _load()
    return dict(_forms)


def extension_for(kind: FormKind) -> FormExtension | None:
    _load()
    return _forms.get(kind)


def media() -> dict[str, Media]:
    _load()
    return dict(_media)
