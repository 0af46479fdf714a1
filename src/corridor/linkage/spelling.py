"""Spell a vocalised Arabic name in the conventions field officers meet.

The synthetic registrations (and the tests) need the same name written the way
different organisations write it: ALA-LC (libraries), DIN 31635 (German and
academic), UNGEGN/BGN (maps and UN lists) and everyday spellings that vary by
country (Mohammed, Mohamad, Abdel Rahman, Youssef, Chadi). The input is the
ALA-LC-like romanisation of :mod:`corridor.linkage.name_lexicon`.
"""

from __future__ import annotations

import random
import re
import unicodedata

CONVENTIONS = ("ALA-LC", "DIN 31635", "UNGEGN", "colloquial")
SUN_LETTERS = ("th", "sh", "dh", "t", "d", "r", "z", "s", "ṣ", "ḍ", "ṭ", "ẓ", "n", "l")
_ARTICLE = re.compile(r"\bal-(\w)", re.UNICODE)


def spell(name: str, convention: str, rng: random.Random) -> str:
    """``name`` (ALA-LC-like) in ``convention``; colloquial spellings vary at random."""
    if convention == "ALA-LC":
        return name.replace("ʿ", "ʻ").replace("ʾ", "ʼ")
    if convention == "DIN 31635":
        text = _assimilate(name, "-")
        for plain, marked in (("kh", "ḫ"), ("sh", "š"), ("th", "ṯ"), ("dh", "ḏ"), ("gh", "ġ")):
            text = text.replace(plain, marked).replace(plain.capitalize(), marked.upper())
        return text.replace("j", "ǧ").replace("J", "Ǧ")
    if convention == "UNGEGN":
        text = _assimilate(name, " ").replace("ʿ", "‘").replace("ʾ", "’")
        for plain, marked in (("ḥ", "ḩ"), ("ḍ", "ḑ"), ("ṭ", "ţ"), ("ẓ", "z̧"), ("ṣ", "ş")):
            text = text.replace(plain, marked).replace(plain.upper(), marked.upper())
        return text
    if convention == "colloquial":
        return _colloquial(name, rng)
    raise ValueError(f"unknown convention {convention!r}")


def _assimilate(name: str, joiner: str) -> str:
    """al-Raḥmān → ar-Raḥmān (DIN) or ar Raḩmān (UNGEGN): the article takes a sun letter."""

    def replace(match: re.Match[str]) -> str:
        rest = name[match.start(1) :].lower()
        for letter in SUN_LETTERS:
            if rest.startswith(letter):
                return f"a{letter[0]}{joiner}{match.group(1)}"
        return f"al{joiner}{match.group(1)}"

    return _ARTICLE.sub(replace, name)


_MUHAMMAD = ("Mohammed", "Mohamed", "Mohamad", "Muhammad", "Mohammad", "Mhd", "Muhammed")
_ABD_FORMS = ("Abd al-{}", "Abdul {}", "Abdel {}", "Abdul{}", "Abd el-{}", "Abdel{}", "Abd {}")


def _colloquial(name: str, rng: random.Random) -> str:
    if name == "Muḥammad":
        return rng.choice(_MUHAMMAD)
    if name.startswith("ʿAbd al-") or name.startswith("ʿAbd Allāh"):
        rest = name.split(" ", 1)[1].removeprefix("al-")
        rest_plain = _plain(rest, rng)
        if name.startswith("ʿAbd Allāh"):
            return rng.choice(("Abdullah", "Abdallah", "Abd Allah", "Abdulla", "Abdalla"))
        form = rng.choice(_ABD_FORMS)
        if rng.random() < 0.15 and rest_plain[0].lower() in "rsdtzn":
            return f"Abd{'u' if rng.random() < 0.5 else 'e'}{rest_plain[0].lower()}{rest_plain}"
        spelled = form.format(rest_plain if " " in form or "-" in form else rest_plain.lower())
        return spelled
    words = []
    for word in name.split(" "):
        if word.startswith("al-"):
            article = rng.choice(("al-", "Al-", "el-", "El ", "Al ", "", "", "al "))
            words.append(article + _plain(word[3:], rng))
        else:
            words.append(_plain(word, rng))
    return " ".join(words)


def _plain(word: str, rng: random.Random) -> str:
    """One word without marks, with the vowel and consonant choices of everyday spelling."""
    out: list[str] = []
    text = word.replace("ʿ", "").replace("ʾ", "")
    index = 0
    while index < len(text):
        char = text[index]
        lower = char.lower()
        nxt = text[index + 1 : index + 2].lower()
        if lower == "ā":
            piece = rng.choices(("a", "aa", "e"), (0.85, 0.12, 0.03))[0]
        elif lower == "ī":
            piece = "i" if index < len(text) - 1 else rng.choice(("i", "y", "ee", "i"))
            piece = rng.choices((piece, "ee"), (0.8, 0.2))[0]
        elif lower == "ū":
            piece = rng.choices(("u", "ou", "oo", "o"), (0.45, 0.3, 0.15, 0.1))[0]
        elif lower == "u":
            piece = rng.choices(("u", "o"), (0.6, 0.4))[0]
        elif lower == "i":
            piece = rng.choices(("i", "e"), (0.6, 0.4))[0]
        elif lower == "a" and index == len(text) - 1:
            piece = rng.choices(("a", "ah", "eh"), (0.6, 0.25, 0.15))[0]
        elif lower == "a" and index > 0 and nxt and nxt not in "aāīūy":
            piece = rng.choices(("a", "e"), (0.8, 0.2))[0]
        elif lower == "q":
            piece = rng.choices(("q", "k"), (0.6, 0.4))[0]
        elif lower == "j":
            piece = rng.choices(("j", "g", "dj"), (0.8, 0.1, 0.1))[0]
        elif lower == "s" and nxt == "h":
            piece = rng.choices(("sh", "ch"), (0.85, 0.15))[0]
            index += 1
        elif lower == "d" and nxt == "h":
            piece = rng.choices(("dh", "z", "d"), (0.6, 0.3, 0.1))[0]
            index += 1
        elif lower == "y" and index > 0 and text[index - 1].lower() == "a":
            piece = rng.choices(("y", "i"), (0.5, 0.5))[0]
            if out and piece == "i" and rng.random() < 0.5:
                out[-1] = "e"  # Zayd → Zeid, Ḥusayn → Hussein
        else:
            piece = unicodedata.normalize("NFD", char)[0].lower()
        if out and piece == out[-1] and piece not in "aeiou" and rng.random() < 0.4:
            piece = ""  # a doubled consonant written once
        elif piece and piece not in "aeiou" and out and out[-1] != piece and rng.random() < 0.05:
            piece = piece * 2 if len(piece) == 1 else piece  # and the other way round
        out.append(piece)
        index += 1
    spelled = "".join(out)
    return spelled[:1].upper() + spelled[1:]
