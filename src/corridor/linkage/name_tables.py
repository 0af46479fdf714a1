"""The tables behind :mod:`corridor.linkage.names`: letters, classes, articles.

Consonant classes group the letters that transliterations of Arabic confuse,
so ``Fadhel``/``Fadel``/``فاضل`` or ``Qasim``/``Kassem``/``قاسم`` fall together:

====  =====================  ============================================
class Arabic                 Latin
====  =====================  ============================================
B     ب                      b, p
T     ت ط                    t, ṭ/ţ
Q     ث                      th, ṯ
J     ج                      j, g (Egyptian), dj, ǧ
H     ح خ ه                  h, ḥ/ḩ, kh, ḫ/ẖ/ḵ, x
D     د ذ ز ض ظ              d, dh, z, ḍ/ḑ, ḏ, ẓ/z̧
S     س ص                    s, ṣ
X     ش                      sh, ch (French), sch (German), š/ş
G     غ                      gh, ġ, g̱
F     ف                      f, ph
K     ق ك                    q, k, c, ck, ḳ
L M N R   ل م ن ر            l, m, n, r
====  =====================  ============================================

Vowels: ا و ي (and ع, ء, which transliterations drop or write as a vowel) in
Arabic; a e i o u w y and their doublings in Latin.
"""

from __future__ import annotations

# Arabic script ---------------------------------------------------------------------

ARABIC_DROP = frozenset(
    [chr(c) for c in range(0x0610, 0x061B)]  # honorific marks
    + [chr(c) for c in range(0x064B, 0x0660)]  # harakat, tanwin, shadda, sukun
    + [chr(c) for c in range(0x06D6, 0x06EE)]  # Quranic annotation
    + ["\u0670", "\u0640", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c"]
    # superscript alef, tatweel, zero-width joiners, direction marks
)

ARABIC_FOLD = {
    "ٱ": "ا",
    "ی": "ي",  # Persian yeh
    "ې": "ي",
    "ۍ": "ي",
    "ک": "ك",  # Persian kaf
    "ہ": "ه",
    "ە": "ه",
    "ۀ": "ة",
    "ڤ": "ف",
    "پ": "ب",
    "چ": "ش",
    "گ": "ج",
    "ژ": "ز",
}

_SHORT = frozenset({"a", "i", "u"})
ARABIC_VOWEL_LETTERS = frozenset("اأإآويعءىئؤ")
ARABIC_GLOTTALS = frozenset("عءأإ")  # a short vowel around them goes unwritten
# One letter of a vowel run, as a vowel class.
ARABIC_VOWELS = {
    "ا": frozenset({"A"}),
    "آ": frozenset({"A"}),
    "ى": frozenset({"A"}),
    "و": frozenset({"U"}),
    "ي": frozenset({"I"}),
    "ئ": frozenset({"i"}),  # hamza on yā': the vowel is a short i (وائل, عائشة)
    "ؤ": frozenset({"u", "U"}),
    "إ": frozenset({"i"}),
    "أ": frozenset({"A", "a", "i", "u"}),  # medial hamza, often written as a bare alef
}
# How a name starts, by the first letter(s) of its first vowel run. Hamza above
# alef is a or u, below is i; a bare alef or ʿayn leaves the vowel unwritten.
ARABIC_STARTS = {
    "آ": frozenset({"A"}),
    "إي": frozenset({"I"}),
    "إ": frozenset({"i", "I"}),
    "أي": frozenset({"ay"}),
    "أو": frozenset({"aw", "U"}),
    "أ": frozenset({"a", "u"}),
    "اي": frozenset({"ay", "I"}),
    "او": frozenset({"aw", "U"}),
    "ا": _SHORT | {"A"},  # a bare alef: the hamza (or the madda of آ) left out
    "عي": frozenset({"I", "ay"}),
    "عو": frozenset({"U", "aw"}),
    "عا": frozenset({"A"}),
    "ع": _SHORT,
    "ي": frozenset({"y"}),
    "و": frozenset({"w"}),
}
ARABIC_ENDINGS = {
    "ة": frozenset({"a"}),
    "ه": frozenset({"a"}),
    "ا": frozenset({"a"}),
    "أ": frozenset({"a"}),
    "آ": frozenset({"a"}),
    "ء": frozenset({"a"}),
    # A final ى is often written ي (مصطفي), never the other way round in a name that
    # ends in i: "y" is the ending both share, and Latin spellings never produce it.
    "ى": frozenset({"a", "y"}),
    "ي": frozenset({"i", "y"}),
    "ئ": frozenset({"i"}),
    "و": frozenset({"u"}),
}

ARABIC_CONSONANTS = {
    "ب": "B",
    "ت": "T",
    "ث": "Q",
    "ط": "T",
    "ج": "J",
    "ح": "H",
    "خ": "H",
    "ه": "H",
    "ة": "T",  # only inside a name (a final one is an ending)
    "د": "D",
    "ذ": "D",
    "ز": "D",
    "ض": "D",
    "ظ": "D",
    "س": "S",
    "ص": "S",
    "ش": "X",
    "غ": "G",
    "ف": "F",
    "ق": "K",
    "ك": "K",
    "ل": "L",
    "م": "M",
    "ن": "N",
    "ر": "R",
}

# "son of"/"daughter of" between two names.
ARABIC_CONNECTORS = frozenset({"بن", "ابن", "إبن", "بنت", "ابنة"})
# Compound names: a head takes the next word (عبد الرحمن, أبو بكر), a tail with its
# article joins the word before (نور الدين, فتح الله).
ARABIC_COMPOUND_HEADS = frozenset({"عبد", "أبو", "ابو", "بن", "ابن"})
ARABIC_COMPOUND_TAILS = frozenset({"دين", "له", "إسلام", "اسلام", "هدى", "زهراء", "خير"})
# Names whose spelling hides how they are said, read from their usual romanisation.
ARABIC_READINGS = {
    "عمرو": "amr",  # the final waw is not pronounced (it tells عمرو from عمر)
    "مريم": "maryam",  # y is a consonant here, not a long i
    "طه": "taha",
    "يحيى": "yahya",
    "يحيي": "yahya",
    "داود": "dawud",  # written with one waw for two
}

# Latin script ----------------------------------------------------------------------

LATIN_DROP = frozenset('"()[]0123456789')
# ʿayn and hamza, however a transliteration writes them: kept as one mark, which
# tells a short vowel next to them (Munʿim) from a long one.
LATIN_GLOTTAL_MARKS = frozenset("ʿʾ'‘’`´ʻʼʽʹʺ")

# A letter with a transliteration mark, decomposed (NFD): what it stands for.
# Upper-case results are sentinels: one Arabic letter that must not form a
# digraph with its neighbour (``Isḥāq`` is s + ḥ, not sh).
_MACRON_BELOW = "\u0331"
_DOT_BELOW = "\u0323"
_CEDILLA = "\u0327"
LATIN_MARKS = {
    ("h", "\u032e"): "kh",  # ḫ (DIN 31635)
    ("h", _MACRON_BELOW): "kh",  # ẖ
    ("k", _MACRON_BELOW): "kh",  # ḵ
    ("d", _MACRON_BELOW): "dh",  # ḏ (DIN 31635)
    ("t", _MACRON_BELOW): "th",  # ṯ (DIN 31635)
    ("g", _MACRON_BELOW): "gh",  # g̱
    ("g", "\u030c"): "j",  # ǧ (DIN 31635)
    ("g", "\u0307"): "gh",  # ġ (DIN 31635)
    ("s", "\u030c"): "sh",  # š (DIN 31635)
    ("s", _CEDILLA): "S",  # ş (UNGEGN: ص)
    ("c", _CEDILLA): "s",  # ç (French spellings: Benyouçef)
    ("z", "\u030c"): "zh",  # ž
    ("k", _DOT_BELOW): "q",  # ḳ
    ("h", _DOT_BELOW): "H",  # ḥ (ALA-LC, DIN 31635)
    ("h", _CEDILLA): "H",  # ḩ (UNGEGN)
    ("s", _DOT_BELOW): "S",  # ṣ
    ("d", _DOT_BELOW): "D",  # ḍ
    ("d", _CEDILLA): "D",  # ḑ (UNGEGN)
    ("t", _DOT_BELOW): "T",  # ṭ
    ("t", _CEDILLA): "T",  # ţ (UNGEGN)
    ("z", _DOT_BELOW): "Z",  # ẓ
    ("z", _CEDILLA): "Z",  # z̧ (UNGEGN)
    ("a", "\u0304"): "aa",  # ā
    ("i", "\u0304"): "ii",  # ī
    ("u", "\u0304"): "uu",  # ū
    ("o", "\u0304"): "oo",
    ("e", "\u0304"): "ee",
    ("a", "\u0302"): "aa",  # â
    ("i", "\u0302"): "ii",  # î
    ("u", "\u0302"): "uu",  # û
}
LATIN_LETTERS = {
    **{mark: "'" for mark in LATIN_GLOTTAL_MARKS},
    "ı": "i",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
    "ʃ": "sh",
    "ø": "o",
}

LATIN_ABBREVIATIONS = {
    "mhd": "muhammad",
    "mohd": "muhammad",
    "muhd": "muhammad",
    "mhmd": "muhammad",
    "mohmd": "muhammad",
    "md": "muhammad",
}
LATIN_ARTICLES = frozenset({"al", "el", "ul", "il", "ol", "l"})
LATIN_CONNECTORS = frozenset({"bin", "ibn", "ben", "bint", "bn", "ibnat", "ould", "walad"})
# Sun letters: the article takes their sound (ar-Rahman, ash-Shami, ad-Din).
LATIN_SUN_CONSONANTS = frozenset(
    {"t", "th", "d", "dh", "r", "z", "s", "sh", "n", "l", "ts", "zh", "S", "D", "T", "Z"}
)

# Units read as one (longest first when a word is split into units).
LATIN_UNITS = frozenset(
    {
        "sch",
        "kh",
        "gh",
        "sh",
        "ch",
        "th",
        "dh",
        "ph",
        "ck",
        "dj",
        "zh",
        "ou",
        "oo",
        "ee",
        "ii",
        "uu",
        "aa",
        "ai",
        "ay",
        "ei",
        "ey",
        "aw",
        "ow",
        "au",
    }
)
LATIN_CONSONANTS = {
    "b": "B",
    "p": "B",
    "t": "T",
    "T": "T",
    "th": "Q",
    "d": "D",
    "D": "D",
    "dh": "D",
    "z": "D",
    "Z": "D",
    "zh": "D",
    "j": "J",
    "dj": "J",
    "g": "J",
    "gh": "G",
    "q": "K",
    "k": "K",
    "c": "K",
    "ck": "K",
    "ch": "X",
    "sh": "X",
    "sch": "X",
    "kh": "H",
    "x": "H",
    "h": "H",
    "H": "H",
    "s": "S",
    "S": "S",
    "f": "F",
    "ph": "F",
    "l": "L",
    "m": "M",
    "n": "N",
    "r": "R",
}
_A = frozenset({"A", "a"})
_I = frozenset({"I", "i"})
_U = frozenset({"U", "u"})
_I_LONG = frozenset({"I"})
_U_LONG = frozenset({"U"})
# One vowel unit (of the run after the first consonant, or before the last), as a
# vowel class. A Latin vowel may be long or short; a doubled one or a diphthong
# is long.
LATIN_VOWELS = {
    "a": _A,
    "aa": _A,
    "e": frozenset({"a", "i", "u"}),
    "i": _I,
    "ee": _I_LONG,
    "ii": _I_LONG,
    "ai": _I_LONG,
    "ay": _I_LONG,
    "ei": _I_LONG,
    "ey": _I_LONG,
    "y": _I_LONG,
    "o": _U,
    "u": _U,
    "oo": _U,
    "ou": _U,
    "uu": _U,
    "aw": _U_LONG,
    "ow": _U_LONG,
    "au": _U_LONG,
    "w": _U_LONG,
    "v": _U_LONG,
    "'": frozenset({"a", "i", "u"}),
}
LATIN_VOWEL_TOKENS = frozenset(LATIN_VOWELS)
# Before the last consonant, ou/oo is a long u (Mahmoud, Mansour).
LATIN_LAST_VOWELS = {"ou": _U_LONG, "oo": _U_LONG}
LATIN_DIPHTHONGS = frozenset({"ai", "ay", "ei", "ey", "aw", "ow", "au"})
# A diphthong after the first consonant may be a vowel and a consonant (Said is
# Saʿīd, Dawud is Dāwūd): as the first vowel, it counts as its first letter too.
LATIN_DIPHTHONG_FIRST = {
    "ai": frozenset({"a", "A", "I"}),
    "ay": frozenset({"a", "A", "I"}),
    "ei": frozenset({"a", "i", "u", "I"}),
    "ey": frozenset({"a", "i", "u", "I"}),
    "aw": frozenset({"a", "A", "U"}),
    "au": frozenset({"a", "A", "U"}),
    "ow": frozenset({"u", "U"}),
}
LATIN_STARTS = {
    "a": _A,
    "aa": _A,
    "e": frozenset({"a", "i", "u", "I"}),
    "i": _I,
    "ee": _I_LONG,
    "ii": _I_LONG,
    "o": _U,
    "u": _U,
    "ou": frozenset({"u", "U", "w"}),  # French ou before a vowel is w (Oualid)
    "oo": _U,
    "uu": _U,
    "ai": frozenset({"ay", "A"}),
    "ay": frozenset({"ay", "A"}),
    "ei": frozenset({"ay", "I"}),
    "ey": frozenset({"ay", "I"}),
    "aw": frozenset({"aw"}),
    "au": frozenset({"aw"}),
    "ow": frozenset({"aw", "U"}),
    "y": frozenset({"y"}),
    "w": frozenset({"w"}),
    "v": frozenset({"w"}),
}
_END_A = frozenset({"a"})
_END_I = frozenset({"i"})
_END_U = frozenset({"u"})
# How a name ends, by its last vowel unit.
LATIN_ENDINGS = {
    "a": _END_A,
    "aa": _END_A,
    "e": frozenset({"a", ""}),  # Levantine -e (Fatme) or a silent e
    "i": _END_I,
    "ii": _END_I,
    "ee": _END_I,
    "y": _END_I,
    "ey": _END_I,
    "ei": _END_I,
    "ai": _END_I,
    "ay": _END_I,
    "ya": frozenset({"ya"}),
    "u": _END_U,
    "uu": _END_U,
    "ou": _END_U,
    "oo": _END_U,
    "o": _END_U,
    "w": _END_U,
    "aw": _END_U,
    "ow": _END_U,
}
LATIN_COMPOUND_HEADS = ("abou", "abd", "abu", "abo", "ben", "bin", "ibn")
LATIN_COMPOUND_TAILS = frozenset(
    {"din", "deen", "dine", "lah", "islam", "houda", "huda", "hoda", "zahra", "zahraa", "khair"}
)
# A tail written joined to the name before it, and what it is.
LATIN_GLUED_TAILS = {
    "eddine": "din",
    "eddin": "din",
    "uddin": "din",
    "uddine": "din",
    "addin": "din",
    "aldin": "din",
    "eldin": "din",
    "allah": "lah",
    "ullah": "lah",
    "edine": "din",
    "edin": "din",
    "elhouda": "houda",
    "alhuda": "huda",
    "elhoda": "hoda",
}
LATIN_GLUED_SUN = frozenset(
    {
        "sa",
        "se",
        "si",
        "so",
        "su",
        "ta",
        "te",
        "da",
        "de",
        "na",
        "ne",
        "ra",
        "re",
        "za",
        "ze",
        "sh",
        "th",
        "dh",
    }
)
LATIN_ALLAH = frozenset({"allah", "ullah", "alla", "ulla", "allāh"})
