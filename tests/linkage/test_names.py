"""The name normaliser against the committed name pairs, and its rules one by one."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from corridor.linkage.names import NameKeys, flat_skeleton, name_keys

PAIRS = Path(__file__).with_name("name_pairs.csv")


def _rows() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _share(row: dict[str, str], keys=name_keys) -> bool:
    return keys(row["name_a"]).shares_key(keys(row["name_b"]))


def test_the_pair_file_is_big_enough_and_names_its_conventions() -> None:
    rows = _rows()
    positives = [r for r in rows if r["label"] == "positive"]
    negatives = [r for r in rows if r["label"] == "negative"]
    assert len(positives) >= 300 and len(negatives) >= 300
    conventions = Counter(r["convention"] for r in positives)
    for convention in ("ALA-LC", "UNGEGN", "DIN 31635", "colloquial", "arabic-script"):
        assert conventions[convention] >= 40, conventions


def test_positives_share_a_key_and_hard_negatives_do_not() -> None:
    rows = _rows()
    positives = [r for r in rows if r["label"] == "positive"]
    negatives = [r for r in rows if r["label"] == "negative"]
    missed = [f"{r['name_a']} / {r['name_b']}" for r in positives if not _share(r)]
    merged = [f"{r['name_a']} / {r['name_b']}" for r in negatives if _share(r)]
    positive_rate = 1 - len(missed) / len(positives)
    negative_rate = len(merged) / len(negatives)
    assert positive_rate >= 0.95, f"{positive_rate:.3f}; e.g. {missed[:10]}"
    assert negative_rate <= 0.05, f"{negative_rate:.3f}; e.g. {merged[:10]}"


@pytest.mark.parametrize("convention", ["ALA-LC", "UNGEGN", "DIN 31635", "colloquial"])
def test_each_transliteration_convention_is_read(convention: str) -> None:
    rows = [r for r in _rows() if r["label"] == "positive" and r["convention"] == convention]
    shared = sum(_share(r) for r in rows)
    assert shared / len(rows) >= 0.9, convention


def test_a_normaliser_that_maps_everything_to_one_key_fails_the_negatives() -> None:
    """The data can catch a degenerate normaliser: every negative would share its key."""

    def one_key(_text: str) -> NameKeys:
        return NameKeys((frozenset({"x"}),), ("x",), "x")

    negatives = [r for r in _rows() if r["label"] == "negative"]
    assert sum(_share(r, one_key) for r in negatives) / len(negatives) > 0.05


def test_the_same_full_name_in_three_scripts_and_spellings() -> None:
    arabic = name_keys("محمد عبد الرحمن الحلبي")
    english = name_keys("Mohammed Abdulrahman Al-Halabi")
    scholarly = name_keys("Muhamad Abd al-Rahman Halabi")
    assert len(arabic.parts) == 3  # the compound given name is one part
    assert arabic.shares_key(english) and english.shares_key(scholarly)
    assert arabic.skeletons == english.skeletons == scholarly.skeletons


@pytest.mark.parametrize(
    "spellings",
    [
        (
            "عبد الرحمن",
            "ʻAbd al-Raḥmān",
            "‘Abd ar Raḩmān",
            "ʿAbd ar-Raḥmān",
            "Abdel Rahman",
            "Abdurrahman",
        ),
        ("محمد", "Mohammed", "Muhammad", "Mohamad", "Mhd"),
        ("الحلبي", "Al-Halabi", "el Halaby", "Halabi", "Alhalabi"),
        ("نور الدين", "Nour al-Din", "Nureddin", "Noureddine", "Nour Eddine"),
        ("يوسف", "Youssef", "Yusuf", "Yousef"),
        ("فاطمة", "Fatima", "Fatimah", "فاطمه"),
        ("مصطفى", "مصطفي"),
    ],
)
def test_spellings_of_one_name_share_a_key(spellings: tuple[str, ...]) -> None:
    first = name_keys(spellings[0])
    for other in spellings[1:]:
        assert first.shares_key(name_keys(other)), other


@pytest.mark.parametrize(
    "pair",
    [
        ("Hassan", "Hussein"),
        ("حسن", "حسين"),
        ("Ahmad", "Hamad"),
        ("Omar", "Amr"),
        ("Said", "Saad"),
        ("سعيد", "سعد"),
        ("Jamal", "Jamil"),
        ("Sami", "Samia"),
        ("عبد الله", "عبد الإله"),
    ],
)
def test_hard_negatives_do_not_share_a_key(pair: tuple[str, str]) -> None:
    assert not name_keys(pair[0]).shares_key(name_keys(pair[1]))


def test_compound_names_stay_whole_and_connectors_go() -> None:
    assert len(name_keys("Abd al-Rahman").parts) == 1
    assert len(name_keys("Abu Bakr").parts) == 1
    assert len(name_keys("Salah al-Din").parts) == 1
    assert len(name_keys("Ali bin Hassan").parts) == 2
    assert name_keys("علي بن حسن").shares_key(name_keys("Ali ibn Hasan"))


def test_blank_and_punctuation_give_no_keys() -> None:
    assert name_keys("").keys == frozenset()
    assert name_keys("  - ").keys == frozenset()
    assert not name_keys("").shares_key(name_keys(""))


@pytest.mark.parametrize(
    ("mistyped", "other"),
    [
        ("a lKhayat", "الخياط"),  # a space moved into the article
        ("Ab el-Rahman", "عبد الرحمن"),  # a letter of the compound's head lost
        ("Salah Al-iDn", "Şalāḩ ad Dīn"),  # a compound split by a moved letter
        ("AlO thman", "Uthman"),
        ("ابلكري", "Bakri"),  # a typo in the Arabic article
    ],
)
def test_a_typo_that_breaks_the_words_stays_one_edit_away_read_as_one_word(
    mistyped: str, other: str
) -> None:
    assert not name_keys(mistyped).shares_key(name_keys(other))  # the keys can't see it
    first, second = flat_skeleton(mistyped), flat_skeleton(other)
    assert len(first) >= 3
    assert _levenshtein(first, second) <= 1


def test_reading_as_one_word_leaves_an_article_out_but_not_the_al_of_a_name() -> None:
    assert flat_skeleton("al-Halabi") == flat_skeleton("Alhalabi") == flat_skeleton("الحلبي")
    assert flat_skeleton("Aleppo") != flat_skeleton("Eppo")
    assert flat_skeleton("Alwan").startswith("L")
    assert flat_skeleton("") == ""


def _levenshtein(first: str, second: str) -> int:
    """The distance the model's SQL computes (DuckDB's ``levenshtein``)."""
    import duckdb

    return duckdb.execute("select levenshtein(?, ?)", [first, second]).fetchone()[0]
