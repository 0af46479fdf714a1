"""The gazetteer: codes and names of one governorate, in either script, agree."""

from __future__ import annotations

import pytest

from corridor.linkage import places
from corridor.linkage.features import row_features


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SY02", "SY02"),
        ("SY-HL", "SY02"),  # ISO 3166-2 for the same governorate
        ("sy0203", "SY02"),  # a district's P-code lies in its governorate
        ("حلب", "SY02"),
        ("Aleppo", "SY02"),
        ("Ḥalab", "SY02"),
        ("دير الزور", "SY09"),
        ("Deir ez-Zor", "SY09"),
        ("IQ-NI", "IQ-NI"),
        ("الموصل", "IQ-NI"),  # a city, found in its governorate
        ("al-Mawṣil", "IQ-NI"),
        ("al-Fallūja", "IQ-AN"),
        ("الرمادي", "IQ-AN"),
    ],
)
def test_codes_names_and_towns_find_their_governorate(text: str, expected: str) -> None:
    assert places.governorate(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "Springfield", "ZZ99", None])
def test_what_the_gazetteer_does_not_know_is_unknown(text: str | None) -> None:
    assert places.governorate(text) is None


def test_no_two_governorates_share_a_name_skeleton() -> None:
    """A skeleton that named two governorates would make two places one."""
    seen: dict[str, str] = {}
    for skeleton, code in places.named_places():
        assert seen.setdefault(skeleton, code) == code, (skeleton, seen[skeleton], code)
    assert len(seen) > 40  # every governorate and town, in both scripts


def test_a_record_carries_its_place_and_governorate() -> None:
    features, problems = row_features({"record_id": "1", "given_name": "Ali", "origin": "حلب"})
    assert not problems
    assert features["origin_area"] == "SY02"
    assert str(features["origin"]).startswith("N:")
