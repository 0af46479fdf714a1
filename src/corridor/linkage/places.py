"""Places of origin: a small gazetteer so that ``SY02``, ``حلب`` and ``Aleppo`` agree.

Registrations write the place of origin as free text in either script or as a
code from a pick list: an OCHA P-code (``SY02``) or an ISO 3166-2 code
(``IQ-NI``). Without a gazetteer a code and a name can't be compared at all, and
a city and its governorate look like two different places. This table holds the
first administrative level of Syria (OCHA P-codes and ISO 3166-2 codes) and
Iraq (ISO 3166-2), the names of each in Arabic and in common English and
transliterated spellings, and the larger cities of each. Names are matched by
their skeleton (:func:`corridor.linkage.names.flat_skeleton`), so any
transliteration of a listed name is found.

An operation elsewhere extends the table with its own country's rows
(``CODE|ISO|Arabic names|Latin names``, names separated by ``;``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from corridor.linkage.names import flat_skeleton

# code|other code|Arabic names|Latin names: the governorate and its seat.
GOVERNORATES = """
SY01|SY-DI|دمشق;الشام|Damascus;Dimashq;al-Sham
SY02|SY-HL|حلب|Aleppo;Halab
SY03|SY-RD|ريف دمشق|Rif Dimashq;Rural Damascus
SY04|SY-HI|حمص|Homs;Hims
SY05|SY-HM|حماة;حماه|Hama;Hamah
SY06|SY-LA|اللاذقية|Latakia;Lattakia;al-Ladhiqiyah
SY07|SY-ID|إدلب;ادلب|Idlib;Idleb
SY08|SY-HA|الحسكة|Al-Hasakeh;Hasakah;al-Hasaka
SY09|SY-DY|دير الزور|Deir ez-Zor;Deir-ez-Zor;Dayr al-Zur;Dayr az Zawr
SY10|SY-TA|طرطوس|Tartous;Tartus
SY11|SY-RA|الرقة|Ar-Raqqa;Raqqa;al-Raqqa;Raqqah
SY12|SY-DR|درعا|Dar'a;Daraa;Deraa
SY13|SY-SU|السويداء|As-Sweida;Suwayda;as-Suwayda
SY14|SY-QU|القنيطرة|Quneitra;al-Qunaytirah
IQ-AN||الأنبار;الانبار|Anbar;al-Anbar
IQ-BA||البصرة|Basra;Basrah;al-Basrah
IQ-MU||المثنى|Muthanna;al-Muthanna
IQ-QA||القادسية;الديوانية|Qadisiyah;al-Qadisiyyah;Diwaniyah
IQ-NA||النجف|Najaf;an-Najaf;al-Najaf
IQ-AR||أربيل;اربيل|Erbil;Arbil;Irbil;Hawler
IQ-SU||السليمانية|Sulaymaniyah;Sulaimaniya;Slemani
IQ-BB||بابل;الحلة|Babil;Babylon;Hillah;al-Hilla
IQ-BG||بغداد|Baghdad
IQ-DA||دهوك|Duhok;Dohuk;Dahuk
IQ-DQ||ذي قار;الناصرية|Dhi Qar;Thi Qar;Nasiriyah
IQ-DI||ديالى;بعقوبة|Diyala;Baqubah;Baquba
IQ-KA||كربلاء|Karbala;Kerbala
IQ-KI||كركوك|Kirkuk
IQ-MA||ميسان;العمارة|Maysan;Missan;Amarah
IQ-NI||نينوى;الموصل|Nineveh;Mosul;al-Mawsil
IQ-SD||صلاح الدين;تكريت|Salah ad Din;Salahuddin;Tikrit
IQ-WA||واسط;الكوت|Wasit;Kut
"""

# Towns and cities within a governorate: name(s)|governorate code.
TOWNS = """
الرمادي|Ramadi;al-Ramadi|IQ-AN
الفلوجة|Fallujah;Falluja;al-Fallujah|IQ-AN
هيت|Hit;Heet|IQ-AN
القائم|al-Qaim;Qaim|IQ-AN
تلعفر|Tal Afar;Tel Afar|IQ-NI
سنجار|Sinjar|IQ-NI
سامراء|Samarra|IQ-SD
بيجي|Baiji;Bayji|IQ-SD
منبج|Manbij|SY02
عفرين|Afrin|SY02
تدمر|Palmyra;Tadmur|SY04
القصير|al-Qusayr;Qusair|SY04
دوما|Douma;Duma|SY03
الميادين|al-Mayadin;Mayadeen|SY09
البوكمال|Abu Kamal;al-Bukamal|SY09
القامشلي|Qamishli;al-Qamishli|SY08
معرة النعمان|Maarat al-Numan;Maarat an-Numan|SY07
جسر الشغور|Jisr al-Shughur|SY07
سلمية|Salamiyah;Salamieh|SY05
الطبقة|al-Tabqa;Tabqa|SY11
بانياس|Baniyas|SY10
جبلة|Jableh;Jabla|SY06
"""

_CODE = re.compile(r"^[A-Z]{2}(?:\d{2,12}|-[A-Z0-9]{1,3})$")


def _rows(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.strip().splitlines()]


def named_places() -> Iterator[tuple[str, str]]:
    """Every (name skeleton, governorate) of the gazetteer, collisions included.

    Skeletons of one consonant are left out: نينوى → N would match too many
    other places.
    """
    for code, names in _named_rows():
        for name in names:
            skeleton = flat_skeleton(name)
            if len(skeleton) >= 2:
                yield skeleton, code


def _named_rows() -> Iterator[tuple[str, list[str]]]:
    for code, _other, arabic, latin in _rows(GOVERNORATES):
        yield code, [*arabic.split(";"), *latin.split(";")]
    for arabic, latin, code in _rows(TOWNS):
        yield code, [*arabic.split(";"), *latin.split(";")]


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """Codes → governorate, and name skeletons → governorate."""
    codes: dict[str, str] = {}
    for code, other, _arabic, _latin in _rows(GOVERNORATES):
        codes[code.replace("-", "")] = code
        if other:
            codes[other.replace("-", "")] = code
    return codes, dict(named_places())


def governorate_code(text: str | None) -> str | None:
    """The governorate when ``text`` is a governorate's own code (``SY02``, ``SY-HL``,
    ``IQ-AN``), not a place's: it says nothing finer than the governorate."""
    compact = (text or "").strip().upper().replace(" ", "").replace("-", "")
    return _tables()[0].get(compact)


def governorate(text: str | None) -> str | None:
    """The governorate a place of origin lies in (its P-code), or None when unknown.

    A code longer than a governorate's (an OCHA P-code of a district or a
    village, ``SY0203``) is read by its first four characters.
    """
    raw = (text or "").strip()
    if not raw:
        return None
    codes, names = _tables()
    upper = raw.upper().replace(" ", "")
    if _CODE.match(upper):
        compact = upper.replace("-", "")
        return codes.get(compact) or codes.get(compact[:4])
    return names.get(flat_skeleton(raw))
