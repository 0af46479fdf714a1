"""The shipped XLSForms: pyxform converts them and ODK Validate (JavaRosa) accepts them."""

from __future__ import annotations

import shutil

import pytest

from corridor.crossings import forms
from corridor.crossings.models import FormKind
from corridor.crossings.xlsform import convert_xlsform, odk_validate_xform
from corridor.errors import InvalidInput

MEDIA = {
    "checkpoints.csv": b"name,label\n1,Gate 1\n",
    "admin_areas.csv": b"name,label,label_ar\nAD07,Andorra la Vella (AD07),\n",
    "aid_points.csv": b"name,label\n1,Aid point North\n",
    "items.csv": b"name,label\n3,Food parcel (piece)\n",
    "entitlements.csv": b"name,label,household_size,allowance,received,remaining\n"
    b"6a1f,,4,,,\n6a1f/3,,,1,0,1\n",
}
MEDIA_OF = {
    "registration": ["admin_areas.csv", "checkpoints.csv"],
    "headcount": ["checkpoints.csv"],
    "distribution": ["aid_points.csv", "entitlements.csv", "items.csv"],
}


def test_the_shipped_forms_are_crossings_own_and_aid_distribution_list() -> None:
    assert forms.shipped_forms() == {
        "registration": ("corridor.crossings", FormKind.REGISTRATION),
        "headcount": ("corridor.crossings", FormKind.HEADCOUNT),
        "distribution": ("corridor.aid", FormKind.DISTRIBUTION),
    }


@pytest.mark.parametrize("name", sorted(MEDIA_OF))
def test_every_shipped_form_converts_and_passes_odk_validate(name: str) -> None:
    assert shutil.which("java"), "ODK Validate needs a Java runtime (.ci/run installs one)"
    converted = forms.shipped_form(name)
    assert converted.xml_form_id == name and converted.root == name and converted.version
    assert converted.media_files == MEDIA_OF[name]
    odk_validate_xform(converted.xform, {n: MEDIA[n] for n in MEDIA_OF[name]})


def test_the_registration_form_declares_what_the_server_reads() -> None:
    converted = forms.shipped_form("registration")
    assert converted.repeats == ["/registration/member"]
    assert converted.binary_fields == ["/registration/photo"]
    paths = {path for path, _kind in converted.fields}
    for field in (
        "consent/given",
        "consent/lawful_basis",
        "member/given_name_ar",
        "member/dob_precision",
        "member/wg_selfcare",
        "member/specific_needs",
        "meta/instanceID",
    ):
        assert f"/registration/{field}" in paths


def test_odk_validate_refuses_a_form_collect_could_not_load() -> None:
    broken = forms.shipped_form("headcount").xform.replace(
        'nodeset="/headcount/direction"', 'nodeset="/headcount/direction" relevant="(("'
    )
    with pytest.raises(InvalidInput) as caught:
        odk_validate_xform(broken, MEDIA)
    assert caught.value.problems[0].field == "xlsform" and "ODK Validate" in str(caught.value)


def test_a_file_that_is_not_an_xlsform_gets_pyxforms_reason() -> None:
    with pytest.raises(InvalidInput) as caught:
        convert_xlsform(b"not a spreadsheet", "form.xlsx")
    assert "pyxform" in str(caught.value)
    with pytest.raises(InvalidInput):
        convert_xlsform(b"", "form.pdf")
