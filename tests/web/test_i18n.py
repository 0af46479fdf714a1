"""Message catalogs: every message in the sources is translated, languages negotiate.

Pure tests (no database). The extraction runs in-process with the method map
and options read from ``babel.cfg``, so it finds exactly what
``scripts/extract-messages`` finds. When one fails because a message is
missing, run ``scripts/extract-messages`` and translate the empty entries in
``src/corridor/web/locale/ar/LC_MESSAGES/messages.po`` (docs/i18n.md).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from corridor.accounts.models import OrganisationType, Role
from corridor.aid.models import (
    Category,
    ConsultationCategory,
    MovementKind,
    PlaceKind,
    PlaceStatus,
    RecipientKind,
    ReconciliationFlag,
    Referral,
    Service,
    Unit,
    WaybillStatus,
    WriteOffReason,
)
from corridor.amnesty.claims import CertificateKind
from corridor.amnesty.intakes import Topic
from corridor.amnesty.models import (
    CustodyStep,
    DestructionMethod,
    IntakeStatus,
    ItemCategory,
    ItemCondition,
    MarkingStatus,
    SerialStatus,
    Sex,
)
from corridor.crossings.models import (
    WG_DOMAINS,
    Direction,
    DobPrecision,
    FormState,
    SubmissionState,
)
from corridor.crossings.submissions import CHILD_STATUSES, RELATIONSHIPS, REUNIFICATION, SEXES
from corridor.db.mixins import LawfulBasis
from corridor.operations.models import (
    CorridorStatus,
    MovementStatus,
    NotificationChannel,
    OperationStatus,
    PartnerStatus,
    VehicleKind,
)
from corridor.routing.models import HazardKind
from corridor.web import i18n
from corridor.web.templating import build_environment

REPO_ROOT = Path(__file__).resolve().parents[2]
BABEL_CFG = REPO_ROOT / "babel.cfg"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}  # the same as "pybabel extract -k N_"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif%]")

# Values that templates translate at run time (declared in web/dynamic_messages.py).
DYNAMIC_ENUMS: tuple[type[enum.StrEnum], ...] = (
    OperationStatus,
    PartnerStatus,
    OrganisationType,
    Role,
    CorridorStatus,
    HazardKind,
    FormState,
    SubmissionState,
    LawfulBasis,
    DobPrecision,
    PlaceKind,
    PlaceStatus,
    Service,
    Unit,
    WaybillStatus,
    MovementKind,
    ConsultationCategory,
    Referral,
    WriteOffReason,
    ReconciliationFlag,
    RecipientKind,
    IntakeStatus,
    Sex,
    ItemCategory,
    SerialStatus,
    ItemCondition,
    MarkingStatus,
    CustodyStep,
    DestructionMethod,
    CertificateKind,
    Category,
    Direction,
    VehicleKind,
    MovementStatus,
    NotificationChannel,
)
REPORT_VALUES = ("checkpoint", "amnesty_desk", "amnesty_depot", "below_reorder_level", "expiring")
AMNESTY_TOPICS = Topic.ALL
CROSSING_CHOICES = (
    *sorted(RELATIONSHIPS),
    *sorted(SEXES),
    *sorted(CHILD_STATUSES - {""}),
    *sorted(REUNIFICATION - {""}),
    *WG_DOMAINS,
)
AUDIT_ACTIONS = ("create", "update", "delete", "purge")
INVITATION_STATES = ("pending", "accepted", "expired", "withdrawn")
HAZARD_SEVERITIES = ("avoid", "factor")
INCIDENT_STATUSES = ("reported", "verified", "discounted")
FLAG_STATES = ("pending", "proposed", "accepted", "rejected", "superseded")


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


@cache
def extracted() -> dict[str, list[str]]:
    """Every msgid in the sources, with where it occurs."""
    with BABEL_CFG.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename=str(BABEL_CFG))
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


@cache
def catalog(language: str) -> Catalog:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def translated_languages() -> list[str]:
    """Languages whose catalog must translate every message (English is the msgids)."""
    return sorted(
        p.parent.parent.name
        for p in i18n.LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")
        if p.parent.parent.name != i18n.DEFAULT_LANGUAGE
    )


def dynamic_msgids() -> Iterator[str]:
    for enum_type in DYNAMIC_ENUMS:
        yield from (member.value for member in enum_type)
    yield from AUDIT_ACTIONS
    yield from INVITATION_STATES
    yield from HAZARD_SEVERITIES
    yield from INCIDENT_STATUSES
    yield from FLAG_STATES
    yield from CROSSING_CHOICES
    yield from AMNESTY_TOPICS
    yield from REPORT_VALUES


def _strings(message: object) -> list[str]:
    value = getattr(message, "string", "")
    return [s for s in value if s] if isinstance(value, tuple) else [value] if value else []


# ------------------------------------------------------------------ extraction


def test_extraction_finds_the_messages() -> None:
    messages = extracted()
    assert "Operations" in messages, "babel.cfg no longer matches the templates"
    assert "The operation has been created." in messages, "N_() in Python is not extracted"
    assert "un_agency" in messages, "web/dynamic_messages.py is not extracted"


@pytest.mark.parametrize("language", translated_languages())
def test_every_message_is_translated(language: str) -> None:
    po = catalog(language)
    problems = []
    for msgid, where in sorted(extracted().items()):
        message = po.get(msgid)
        if message is None:
            problems.append(f"  missing:      {msgid!r} ({where[0]})")
        elif not _strings(message):
            problems.append(f"  untranslated: {msgid!r} ({where[0]})")
        elif message.fuzzy:
            problems.append(f"  fuzzy:        {msgid!r} ({where[0]})")
    assert not problems, (
        f"{len(problems)} message(s) not translated in the {language!r} catalog; run "
        "scripts/extract-messages and translate them:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("language", sorted({*translated_languages(), i18n.DEFAULT_LANGUAGE}))
def test_catalog_is_clean(language: str) -> None:
    po = catalog(language)
    assert not po.fuzzy, "the catalog header is marked fuzzy"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not po.obsolete, f"obsolete (#~) entries: {list(po.obsolete)}"


@pytest.mark.parametrize("language", sorted({*translated_languages(), i18n.DEFAULT_LANGUAGE}))
def test_placeholders_match(language: str) -> None:
    wrong = []
    for message in catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in _strings(message):
            if sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append(f"  {ids[0]!r} -> {string!r}")
    assert not wrong, "placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_arabic_plural_forms() -> None:
    po = catalog("ar")
    assert po.num_plurals == 6
    assert po.plural_expr.replace(" ", "") == (
        "(n==0?0:n==1?1:n==2?2:n%100>=3&&n%100<=10?3:n%100>=11?4:5)"
    )


# ----------------------------------------------------------- dynamic messages


@pytest.mark.parametrize("msgid", sorted(set(dynamic_msgids())))
def test_dynamic_values_are_declared_and_translated(msgid: str) -> None:
    assert msgid in extracted(), f"add N_({msgid!r}) to src/corridor/web/dynamic_messages.py"
    for language in translated_languages():
        i18n.set_language(language)
        assert i18n.gettext(msgid) != msgid, f"{msgid!r} is not translated in {language!r}"
    # English shows readable words, never the raw value ("un_agency").
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
    english = i18n.gettext(msgid)
    assert "_" not in english
    assert english[0].isupper()


def test_english_translates_only_enum_values() -> None:
    dynamic = set(dynamic_msgids())
    extra = [m.id for m in catalog("en") if m.id and m.string and m.id not in dynamic]
    assert not extra, f"the English catalog should only relabel enum values: {extra}"


def test_english_catalog_overrides_the_null_default() -> None:
    i18n.set_language("en")
    assert i18n.gettext("un_agency") == "UN agency"
    assert i18n.gettext("red_cross_red_crescent") == "Red Cross / Red Crescent"
    assert i18n.gettext("Operations") == "Operations"  # empty msgstr falls back to the msgid


# ----------------------------------------------------------------- languages


def test_available_languages() -> None:
    languages = i18n.available_languages()
    assert languages[0] == "en"
    assert {"en", "ar"} <= set(languages)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-SY,ar;q=0.9,en;q=0.5", "ar"),
        ("en-GB,ar;q=0.8", "en"),
        ("fr-FR,ar;q=0.3", "ar"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_right_to_left() -> None:
    assert i18n.is_rtl("ar")
    assert not i18n.is_rtl("en")


def test_set_language_ignores_unknown_languages() -> None:
    i18n.set_language("xx")
    assert i18n.current_language() == "en"


# ----------------------------------------------------------------- rendering


def test_templates_render_in_arabic() -> None:
    env = build_environment()
    i18n.set_language("ar")
    html = env.from_string(
        "{{ _('Operations') }} | {{ _(status) }} | "
        "{{ _('Send this single-use invitation link to %(organisation)s. "
        "It is shown only once.', organisation=org) }}"
    ).render(status="planning", org="<b>Org</b>")
    assert "العمليات" in html
    assert "قيد التخطيط" in html
    assert "&lt;b&gt;Org&lt;/b&gt;" in html  # placeholders stay escaped
    assert "Operations" not in html
