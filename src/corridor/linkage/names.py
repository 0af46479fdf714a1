"""Comparable keys for Arabic personal names written in any script.

The same name reaches Corridor as ``عبد الرحمن``, ``ʻAbd al-Raḥmān`` (ALA-LC),
``‘Abd ar Raḩmān`` (UNGEGN), ``ʿAbd ar-Raḥmān`` (DIN 31635) or ``Abdel Rahman``
and ``Abdurrahman`` (everyday spellings). String similarity alone cannot see that
these agree, and no library does this for us, so both scripts are reduced here
to the same small alphabet and compared as keys.

How a name becomes keys (the tables are in :mod:`corridor.linkage.name_tables`):

1. Arabic script is cleaned (diacritics, tatweel, Persian letter forms);
   Latin is lower-cased and its transliteration marks resolved (``ḥ``→h,
   ``ḫ``→kh, ``š``→sh, ``ā``→aa, ``ʿ`` dropped).
2. Articles and connectors go: ``al-``/``el-``/``ال``, assimilated articles
   (``ar-Rahman``, ``Nureddin``), ``bin``/``ibn``/``بن``. The words of a
   compound name (``Abd al-Rahman``, ``Nour al-Din``, ``Abu Bakr``) are kept
   together as one *part*; a full name has several parts.
3. Each letter becomes a *consonant class* (letters that transliterations
   confuse share one: ح ه خ; د ذ ز ض ظ; ت ث ط; س ص; ق ك) or a vowel.
   Doubled consonants count once. The classes, in order, are the *skeleton*.
4. Vowels are unreliable across spellings, but four facts about them separate
   names that share a skeleton: the vowel a name starts with (Omar/Amr,
   Ayman/Iman), the vowel after the first consonant (Saad/Souad,
   Hisham/Hashem), the vowel before the last one (Jamal/Jamil, Hasan/Husayn,
   Saad/Said) and how the name ends (Sami/Samia). Arabic script writes only long
   vowels, Latin writes long and short vowels alike, so each fact is a *set* of
   possible vowel classes and a name has several keys, as Double Metaphone has
   an alternate key. Two spellings of one name share a key.

The skeleton is coarse and keeps recall high for blocking; the keys are what two
spellings must share to count as the same name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from corridor.linkage import name_tables as T

_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
_SEPARATORS = re.compile(r"[\s\-_.,/]+")
_LONG_VOWEL = re.compile(r"([aeiou])\1")

SHORT = frozenset({"a", "i", "u"})  # a short vowel, or one Arabic script leaves unwritten
UNWRITTEN = SHORT | {"0"}  # no vowel letter: a short vowel or none at all
NONE = frozenset({"-"})
GLOTTAL = "'"  # ʿayn or hamza written in a transliteration (Saʿd, Muʾmin)
YA = frozenset({"ya"})  # a name ending in -ya (Rania), not in -a (Rana)
LATIN_NO_VOWEL = frozenset({"0"})  # Latin writes short vowels: none written, none said


@dataclass(frozen=True)
class NameKeys:
    """What a name is compared by: per part (a full name has several)."""

    parts: tuple[frozenset[str], ...]  # each part's keys
    skeletons: tuple[str, ...]  # each part's blocking skeleton
    latin: str  # a plain spelling of the skeletons, for string similarity

    @property
    def keys(self) -> frozenset[str]:
        """Every key of every part."""
        return frozenset().union(*self.parts) if self.parts else frozenset()

    @property
    def skeleton(self) -> str:
        return " ".join(self.skeletons)

    def shares_key(self, other: NameKeys) -> bool:
        """The same name: as many parts, and each part shares a key with its match."""
        if not self.parts or len(self.parts) != len(other.parts):
            return False
        return all(mine & theirs for mine, theirs in zip(self.parts, other.parts, strict=True))


_EMPTY = NameKeys((), (), "")


def is_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text))


@lru_cache(maxsize=200_000)
def name_keys(text: str) -> NameKeys:
    """Keys for a name: a given name, a compound name, a family name or a full name."""
    if not text or not text.strip():
        return _EMPTY
    arabic = is_arabic(text)
    parts = _arabic_parts(text) if arabic else _latin_parts(text)
    keyed = [_part_keys(words, arabic) for words in parts]
    keyed = [k for k in keyed if k is not None]
    if not keyed:
        return _EMPTY
    return NameKeys(
        tuple(keys for keys, _skeleton in keyed),
        tuple(skeleton for _keys, skeleton in keyed),
        " ".join(skeleton.lower() for _keys, skeleton in keyed),
    )


def _part_keys(words: list[str], arabic: bool) -> tuple[frozenset[str], str] | None:
    """A part's keys: the skeleton of all its words, the vowel facts of its core.

    In a compound the distinctive word is the core (the ``Rahman`` of ``Abd
    al-Rahman``, the ``Salah`` of ``Salah al-Din``): its vowels tell ``عبد الله``
    from ``عبد الإله``, the shared head's vowels would not.
    """
    core = words
    if len(words) > 1:
        plain = [_LONG_VOWEL.sub(r"\1", word) for word in words]
        if plain[0] in T.ARABIC_COMPOUND_HEADS or plain[0] in T.LATIN_COMPOUND_HEADS:
            core = words[1:]
        elif plain[-1] in T.ARABIC_COMPOUND_TAILS or plain[-1] in T.LATIN_COMPOUND_TAILS:
            core = words[:-1]
    keys: set[str] = set()
    skeletons: list[str] = []
    for skeleton, _facts in _analysed(words, arabic):
        if not skeleton:
            continue
        skeletons.append(skeleton)
        for _core_skeleton, facts in _analysed(core, arabic):
            keys |= {f"{skeleton}|{fact}" for fact in facts}
    if not keys:
        return None
    # Blocking needs one skeleton: a final h that may be a tā' marbūṭa is left out.
    blocking = min(s.removesuffix("H") if len(s) > 2 else s for s in skeletons)
    return frozenset(keys), blocking


def _analysed(words: list[str], arabic: bool) -> list[tuple[str, set[str]]]:
    joined = "".join(words)
    if arabic and joined in T.ARABIC_READINGS:
        words, arabic = [T.ARABIC_READINGS[joined]], False
    readings = _arabic_units(words) if arabic else _latin_units(words)
    return [_facts(units, arabic) for units in readings]


_ARABIC_ARTICLE = re.compile(r"^[اأإ]ل")
# An article before a separator (al-Halabi), or glued before a consonant (Alhalabi),
# but not the al of Alaa, Alwan, Alyaa or Aleppo.
_LATIN_ARTICLE = re.compile(r"^[ae]l(?:[\s\-_.']+|(?=[bcdfghjklmnpqrstvxz].{2}))")


@lru_cache(maxsize=200_000)
def flat_skeleton(text: str) -> str:
    """The consonant classes of a whole name, read as one word, a leading article left out.

    The keys depend on the words being read right: a typo that moves a space or
    falls in an article or a compound (``a lKhayat``, ``Ab el-Rahman``,
    ``Salah Al-iDn``) splits the name into other parts and no key survives.
    Read as one run of consonants, such a name stays within an edit or two of
    its other spellings, and a comparison can still see that.
    """
    if not text or not text.strip():
        return ""
    if is_arabic(text):
        joined = _ARABIC_ARTICLE.sub("", _SEPARATORS.sub("", clean_arabic(text)))
        readings = _arabic_units([joined])
    else:
        stripped = _LATIN_ARTICLE.sub("", clean_latin(text).strip())
        readings = _latin_units([_SEPARATORS.sub("", stripped).replace(GLOTTAL, "")])
    consonants: list[str] = []
    for kind, value in readings[0]:
        if kind == "C" and (not consonants or consonants[-1] != value):
            consonants.append(str(value))
    return "".join(consonants)


# Arabic script --------------------------------------------------------------------


def clean_arabic(text: str) -> str:
    """Arabic letters in one form each (no diacritics, tatweel or Persian forms)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in T.ARABIC_DROP:
            continue
        out.append(T.ARABIC_FOLD.get(char, char))
    return "".join(out)


def _is_article(word: str) -> bool:
    return word in ("ال", "أل", "إل")


def _arabic_parts(text: str) -> list[list[str]]:
    """Words without articles and connectors, grouped into the parts of the name."""
    words = [w for w in _SEPARATORS.split(clean_arabic(text)) if w]
    kept: list[tuple[str, bool]] = []  # (word, had an article)
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if not last and word in T.ARABIC_CONNECTORS and kept:
            continue  # "بن" between two names
        if not last and _is_article(word):
            continue  # a detached article (the next word keeps it)
        split = _split_glued_arabic(word)
        kept.extend(split)
    return _group(kept, T.ARABIC_COMPOUND_HEADS, T.ARABIC_COMPOUND_TAILS)


def _split_glued_arabic(word: str) -> list[tuple[str, bool]]:
    """عبدالرحمن → عبد + رحمن; نورالدين → نور + دين; الحلبي → حلبي (with its article)."""
    for head in T.ARABIC_COMPOUND_HEADS:
        for article in ("ال", "أل", "إل"):
            glued = head + article
            if word.startswith(glued) and len(word) > len(glued) + 1:
                return [(head, False), (word[len(glued) :], True)]
        if head == "عبد" and word.startswith("عبدالله"):
            return [(head, False), ("له", True)]
        if head in ("أبو", "ابو") and word.startswith(head) and len(word) > len(head) + 1:
            return [(head, False), (word[len(head) :], False)]  # أبوبكر
    for tail in T.ARABIC_COMPOUND_TAILS:
        glued = "ال" + tail
        if word.endswith(glued) and len(word) > len(glued) + 1:
            return [(word[: -len(glued)], False), (tail, True)]
    for article in ("ال", "أل", "إل"):
        if word.startswith(article) and len(word) > len(article) + 1:
            return [(word[len(article) :], True)]
    return [(word, False)]


def _group(
    words: list[tuple[str, bool]], heads: frozenset[str], tails: frozenset[str]
) -> list[list[str]]:
    """Compound names are one part: a head joins the next word, a tail the previous."""
    parts: list[list[str]] = []
    joining = False
    for word, had_article in words:
        plain = _LONG_VOWEL.sub(r"\1", word)  # Dīn → diin → din
        if parts and (joining or (plain in tails and had_article)):
            parts[-1].append(word)
        else:
            parts.append([word])
        joining = plain in heads and not had_article
    return parts


class _Units:
    """A name read left to right: consonant classes, and the vowel run before each."""

    def __init__(self) -> None:
        self.units: list[tuple[str, object]] = []
        self.run: list[str] = []

    def vowel(self, letter: str) -> None:
        self.run.append(letter)

    def consonant(self, letter_class: str) -> None:
        if self.run or not self.units:
            self.units.append(("V", tuple(self.run)))
            self.run = []
        self.units.append(("C", letter_class))

    def finish(self) -> list[tuple[str, object]]:
        self.units.append(("V", tuple(self.run)))
        return self.units


def _arabic_units(words: list[str]) -> list[list[tuple[str, object]]]:
    """Consonants and runs of vowel letters; two readings when a final ه is ambiguous."""
    text = "".join(words)
    reading = _Units()
    for index, char in enumerate(text):
        last = index == len(text) - 1
        if char in "وي" and reading.run and reading.run[-1] in "اآ" and not last and reading.units:
            reading.vowel("Y" if char == "ي" else "W")  # و/ي after ا is a consonant (زايد, داود)
        elif char in T.ARABIC_VOWEL_LETTERS or (char in "ةى" and last):
            reading.vowel(char)
        elif char in T.ARABIC_CONSONANTS:
            reading.consonant(T.ARABIC_CONSONANTS[char])
    units = reading.finish()
    if len(text) >= 2 and text.endswith("ه") and units[-2] == ("C", "H"):
        # Usually a tā' marbūṭa written without its dots, sometimes a real h (طه, الله).
        before = units[:-2]
        if before and before[-1][0] == "V":  # ساميه: the ending is يه read as ية
            before = [*before[:-1], ("V", (*before[-1][1], "ة"))]  # type: ignore[misc]
        else:
            before = [*before, ("V", ("ة",))]
        return [units, before]
    return [units]


def _arabic_start(run: tuple[str, ...]) -> frozenset[str]:
    if not run:
        return NONE
    return T.ARABIC_STARTS.get("".join(run[:2]), T.ARABIC_STARTS.get(run[0], SHORT))


def _arabic_first(run: tuple[str, ...]) -> frozenset[str]:
    if not run:
        return UNWRITTEN
    return T.ARABIC_VOWELS.get(run[0], SHORT)


def _arabic_last(run: tuple[str, ...]) -> frozenset[str]:
    if not run:
        return UNWRITTEN
    last = run[-1]
    if last in "YW" or last in T.ARABIC_GLOTTALS:
        return SHORT  # the vowel after a consonantal y/w or a glottal stop is unwritten
    return T.ARABIC_VOWELS.get(last, SHORT)


def _arabic_ending(run: tuple[str, ...]) -> frozenset[str]:
    if not run:
        return frozenset({""})
    if run[-1] == "ع" and len(run) > 1:
        run = run[:-1]  # ربيع: the ending is the vowel before the ʿayn
    if len(run) > 1 and run[-2] == "ي" and run[-1] in "ةاءهى":
        return YA  # رانيا, سامية, رقية
    if len(run) > 2 and run[-3] == "ي" and run[-2] == "ا" and run[-1] == "ء":
        return YA  # لمياء
    return T.ARABIC_ENDINGS.get(run[-1], frozenset({""}))


# Latin script ---------------------------------------------------------------------


def clean_latin(text: str) -> str:
    """Lower-case letters with the transliteration marks resolved."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if char in T.LATIN_DROP:
            continue
        if unicodedata.combining(char):
            if out:
                out[-1] = T.LATIN_MARKS.get((out[-1], char), out[-1])
            continue
        out.append(T.LATIN_LETTERS.get(char, char))
    return "".join(out)


def _latin_parts(text: str) -> list[list[str]]:
    words = [w.lstrip(GLOTTAL) for w in _SEPARATORS.split(clean_latin(text))]
    words = [T.LATIN_ABBREVIATIONS.get(w, w) for w in words if w]
    kept: list[tuple[str, bool]] = []
    article = False
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if following and word in T.LATIN_ARTICLES:
            article = True
            continue
        if following and word in T.LATIN_CONNECTORS and kept:
            continue
        if following and _assimilated_article(word, following):
            article = True
            continue
        split = _split_glued_latin(word)
        if article:
            split[0] = (split[0][0], True)
        kept.extend(split)
        article = False
    return _group(kept, T.LATIN_COMPOUND_HEADS, T.LATIN_COMPOUND_TAILS)


def _assimilated_article(word: str, following: str) -> bool:
    """``ar`` before ``Rahman``, ``ad``/``ed`` before ``Din``: the article, assimilated."""
    if len(word) < 2 or word[0] not in "aeuo":
        return False
    rest = word[1:]
    return rest in T.LATIN_SUN_CONSONANTS and following.startswith(rest)


def _split_glued_latin(word: str) -> list[tuple[str, bool]]:
    """``Abdelaziz`` → abd + aziz; ``Nureddin`` → nur + din; ``Alhalabi`` → halabi."""
    plain = _LONG_VOWEL.sub(r"\1", word)
    if word.startswith("abd") and len(word) > 4:
        rest = word[3:]
        if rest in T.LATIN_ARTICLES:
            return [("abd", False)]  # Abdel Rahman, Abdul Aziz: the next word follows
        stripped = _strip_article(rest)
        if stripped is not None:
            return [("abd", False), (stripped, True)]
        if len(rest) > 2:
            return [("abd", False), (rest.lstrip("aeiou") or rest, False)]
    for head in ("abou", "abu", "abo"):
        rest = plain[len(head) :]
        if plain.startswith(head) and _consonant_count(rest) >= 2:
            return [(head, False), (rest, False)]  # Aboubakr, Abuzaid
    for head in ("ben", "bin"):
        rest = plain[len(head) :]
        if plain.startswith(head) and len(rest) > 2 and rest[0] in "aeiouy":
            return [(head, False), (rest, False)]  # Benali, Benyoucef
    if plain in T.LATIN_ALLAH:
        return [("lah", True)]
    if plain in T.LATIN_GLUED_TAILS:
        return [(T.LATIN_GLUED_TAILS[plain], True)]  # Nour Eddine: the tail alone
    for tail in T.LATIN_GLUED_TAILS:
        if plain.endswith(tail) and len(plain) > len(tail) + 2:
            return [(plain[: -len(tail)], False), (T.LATIN_GLUED_TAILS[tail], True)]
    for article in ("al", "el"):
        if word.startswith(article) and len(word) > 4:
            rest = word[2:]
            count = _consonant_count(rest)
            if count >= 3 or (count == 2 and rest[:2] in T.LATIN_GLUED_SUN):
                return [(rest, True)]  # Alhalabi, Elsayed (not Elham, Alwan)
    return [(word, False)]


def _strip_article(rest: str) -> str | None:
    """What follows a glued article (``elaziz`` → aziz, ``urrahman`` → rahman)."""
    for article in ("al", "el", "ul", "il", "ol"):
        if rest.startswith(article) and len(rest) > len(article) + 1:
            return rest[len(article) :]
    if len(rest) > 3 and rest[0] in "aeiou" and rest[1] == rest[2] and rest[1] in "tdrzsnl":
        return rest[2:]  # assimilated: urrahman, essalam
    return None


def _consonant_count(word: str) -> int:
    return sum(1 for token in _latin_tokens(word) if token not in T.LATIN_VOWEL_TOKENS)


def _latin_tokens(word: str) -> list[str]:
    """Split into transliteration units, longest first (``kh``, ``sh``, ``ee``…)."""
    tokens: list[str] = []
    index = 0
    while index < len(word):
        for size in (3, 2, 1):
            unit = word[index : index + size]
            if size == 2 and unit in T.LATIN_DIPHTHONGS and word[index + 2 : index + 3] == unit[1]:
                continue  # "aii" is a + ii (Naʻīmah), not ai + i
            if len(unit) == size and (size == 1 or unit in T.LATIN_UNITS):
                if unit == "c" and word[index + 1 : index + 2] in ("e", "i", "y"):
                    unit = "s"  # French c before e/i: Kacem, Benyoucef
                tokens.append(unit)
                index += size
                break
    return tokens


def _latin_units(words: list[str]) -> list[list[tuple[str, object]]]:
    """Consonants and runs of vowel units; two readings when a final h is ambiguous."""
    reading = _Units()
    for position, word in enumerate(words):
        tokens = _latin_tokens(word)
        last_word = position == len(words) - 1
        if last_word and len(tokens) > 2 and tokens[-1] == "e" and tokens[-2] == "n":
            tokens = tokens[:-1]  # French silent e: Noureddine, Abderrahmane, Amine
        for token in tokens:
            if token in T.LATIN_VOWEL_TOKENS:
                reading.vowel(token)
            elif token in T.LATIN_CONSONANTS:
                reading.consonant(T.LATIN_CONSONANTS[token])
    units = reading.finish()
    if (
        len(units) >= 3
        and units[-2] == ("C", "H")
        and not units[-1][1]
        and units[-3][1]
        and units[-3][1][-1] in ("a", "e", "i", "aa")  # type: ignore[index]
    ):
        # -ah/-eh: a tā' marbūṭa (Fatimah) or a real final h (Salah, Abdullah).
        return [units, [*units[:-3], ("V", units[-3][1])]]
    return [units]


def _latin_start(run: tuple[str, ...]) -> frozenset[str]:
    run = tuple(token for token in run if token != GLOTTAL)
    if not run:
        return NONE
    first = run[0]
    return T.LATIN_STARTS.get(first, SHORT)


def _latin_first(run: tuple[str, ...]) -> frozenset[str]:
    if not run:
        return UNWRITTEN
    first = run[0]
    return T.LATIN_DIPHTHONG_FIRST.get(first) or T.LATIN_VOWELS.get(first, SHORT)


def _latin_last(run: tuple[str, ...]) -> frozenset[str]:
    if not run:
        return LATIN_NO_VOWEL
    last = run[-1]
    if last == GLOTTAL:
        return SHORT
    return T.LATIN_LAST_VOWELS.get(last) or T.LATIN_VOWELS.get(last, SHORT)


def _latin_ending(run: tuple[str, ...]) -> frozenset[str]:
    run = tuple(token for token in run if token != GLOTTAL)
    if not run:
        return frozenset({""})
    if (
        len(run) > 1
        and run[-1] in ("a", "aa", "e")
        and run[-2] in ("i", "y", "ii", "ee", "ay", "iy", "ey", "ei")
    ):
        return YA  # Rania, Samia, Ruqayya, Raneya, Samiyeh
    return T.LATIN_ENDINGS.get(run[-1], frozenset({""}))


# Keys -----------------------------------------------------------------------------

_ARABIC_READERS = (_arabic_start, _arabic_first, _arabic_last, _arabic_ending)
_LATIN_READERS = (_latin_start, _latin_first, _latin_last, _latin_ending)


def _facts(units: list[tuple[str, object]], arabic: bool) -> tuple[str, set[str]]:
    """The skeleton (doubled consonants once) and the four vowel facts, spelled out."""
    start_of, first_of, last_of, ending_of = _ARABIC_READERS if arabic else _LATIN_READERS
    start = start_of(units[0][1])  # type: ignore[arg-type]
    ending = ending_of(units[-1][1])  # type: ignore[arg-type]
    consonants: list[str] = []
    gaps: list[tuple[str, ...]] = []  # the vowel run before each consonant but the first
    for index in range(1, len(units) - 1):
        kind, value = units[index]
        if kind == "V":
            continue
        before = units[index - 1][1] if units[index - 1][0] == "V" and index > 1 else ()
        if consonants and consonants[-1] == value and not before:
            continue  # doubled (Hassan, Abdurrahman)
        if consonants:
            gaps.append(before)  # type: ignore[arg-type]
        consonants.append(value)  # type: ignore[arg-type]
    flag = "-" if start == NONE else "V"
    if not consonants:  # آية: only vowels in this alphabet
        if start == NONE:
            return "", set()
        return "V", {f"{s}|*|*|{e}" for s, e in product(sorted(start), sorted(ending))}
    first = first_of(gaps[0]) if gaps else frozenset({"*"})
    last = last_of(gaps[-1]) if gaps else frozenset({"*"})
    facts = {
        "|".join(c) for c in product(sorted(start), sorted(first), sorted(last), sorted(ending))
    }
    return flag + "".join(consonants), facts
