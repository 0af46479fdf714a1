"""Message catalogs (gettext via Babel) and the language of each request.

Catalogs are the ``.po`` files under ``web/locale``; they are compiled in
memory at start-up, so adding a language is adding a ``.po`` file (no build
step, no code change).
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ku"})
LANGUAGE_NAMES = {"en": "English", "ar": "العربية"}

_language: ContextVar[str] = ContextVar("corridor_language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=1)
def catalogs() -> dict[str, NullTranslations]:
    """Every available language's translations, compiled from the ``.po`` files."""
    loaded: dict[str, NullTranslations] = {DEFAULT_LANGUAGE: NullTranslations()}
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")):
        language = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        loaded[language] = Translations(buffer)
    return loaded


def available_languages() -> list[str]:
    return sorted(catalogs(), key=lambda code: (code != DEFAULT_LANGUAGE, code))


def set_language(language: str) -> None:
    _language.set(language if language in catalogs() else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _language.get()


def is_rtl(language: str | None = None) -> bool:
    return (language or current_language()) in RTL_LANGUAGES


def gettext(message: str) -> str:
    return catalogs()[current_language()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs()[current_language()].ngettext(singular, plural, n)


_ = gettext


def negotiate(accept_language: str | None) -> str:
    """The best available language for an Accept-Language header."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    choices = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, index, tag.strip().lower().split("-")[0]))
    for _q, _i, code in sorted(choices):
        if code in catalogs():
            return code
    return DEFAULT_LANGUAGE
