"""XLSForm → XForm with pyxform, and what the server needs to know of an XForm.

pyxform is the reference converter (ODK Central and Kobo use it). A form that
pyxform refuses is refused with pyxform's own message, which names the sheet,
row and problem in terms the form's author knows. ODK Validate (JavaRosa's
parser, shipped inside pyxform) is run as well when a Java runtime exists, so
that a form that converts but would not load in Collect is caught here.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree
from pyxform.validators import odk_validate
from pyxform.xls2xform import convert

from corridor.errors import InvalidInput

XFORMS = "http://www.w3.org/2002/xforms"
MAX_XLSFORM_BYTES = 10 * 1024 * 1024
SUFFIXES = {".xlsx": ".xlsx", ".xls": ".xls"}


@dataclass(frozen=True)
class ConvertedForm:
    """An XForm and the facts the server reads from it."""

    xml_form_id: str
    version: str
    title: str
    xform: str
    root: str  # the instance's root element name
    repeats: list[str]  # instance paths of repeat groups
    binary_fields: list[str]  # instance paths of attachment fields (image, audio…)
    media_files: list[str]  # external files the form needs (select_one_from_file…)
    fields: list[tuple[str, str]]  # (path, type) of every bound node, in form order


def convert_xlsform(content: bytes, filename: str) -> ConvertedForm:
    """Convert an uploaded XLSForm; a bad one is an ``InvalidInput`` naming pyxform's reason."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("xlsform", "must be an XLSForm spreadsheet (.xlsx or .xls)")
    if len(content) > MAX_XLSFORM_BYTES:
        raise InvalidInput("xlsform", "is larger than 10 MB")
    warnings: list[str] = []
    try:
        result = convert(io.BytesIO(content), warnings=warnings, file_type=SUFFIXES[suffix])
    except Exception as error:  # noqa: BLE001 - pyxform raises many types; its message is the point
        message = " ".join(str(error).split()) or type(error).__name__
        raise InvalidInput("xlsform", f"pyxform: {message}"[:1000]) from None
    return describe(result.xform)


def describe(xform: str) -> ConvertedForm:
    """Read the form id, version, title, repeats, attachment fields and media of an XForm."""
    tree = ElementTree.fromstring(xform.encode())
    head = tree.find("{http://www.w3.org/1999/xhtml}head")
    if head is None:
        raise InvalidInput("xlsform", "the XForm has no head")
    title_el = head.find("{http://www.w3.org/1999/xhtml}title")
    model = head.find(f"{{{XFORMS}}}model")
    if model is None:
        raise InvalidInput("xlsform", "the XForm has no model")
    primary = next(
        (i for i in model.findall(f"{{{XFORMS}}}instance") if "id" not in i.attrib), None
    )
    if primary is None or len(primary) == 0:
        raise InvalidInput("xlsform", "the XForm has no primary instance")
    root = primary[0]
    form_id = root.attrib.get("id", "")
    if not form_id:
        raise InvalidInput("xlsform", "the form has no form_id")
    root_name = _local(root.tag)
    fields = [
        (bind.attrib["nodeset"], bind.attrib.get("type", "string"))
        for bind in model.findall(f"{{{XFORMS}}}bind")
        if "nodeset" in bind.attrib
    ]
    repeats = sorted(
        {el.attrib["nodeset"] for el in tree.iter(f"{{{XFORMS}}}repeat") if "nodeset" in el.attrib}
    )
    media = sorted(
        {
            src.removeprefix("jr://file-csv/").removeprefix("jr://file/")
            for instance in model.findall(f"{{{XFORMS}}}instance")
            if (src := instance.attrib.get("src", "")).startswith("jr://")
        }
    )
    return ConvertedForm(
        xml_form_id=form_id,
        version=root.attrib.get("version", ""),
        title=(title_el.text or form_id).strip() if title_el is not None else form_id,
        xform=xform,
        root=root_name,
        repeats=repeats,
        binary_fields=[path for path, kind in fields if kind == "binary"],
        media_files=media,
        fields=fields,
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def java_available() -> bool:
    return shutil.which("java") is not None


def odk_validate_xform(xform: str, media: dict[str, bytes] | None = None) -> None:
    """Run ODK Validate (JavaRosa) on an XForm; raise ``InvalidInput`` with its message.

    Media files the form reads (``select_one_from_file``) must sit beside the
    form for JavaRosa to parse it; pass them in ``media``.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "form.xml"
        path.write_text(xform, encoding="utf-8")
        for name, content in (media or {}).items():
            (Path(folder) / name).write_bytes(content)
        try:
            completed = subprocess.run(
                ["java", "-Djava.awt.headless=true", "-jar", odk_validate.ODK_VALIDATE_PATH, path],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InvalidInput("xlsform", "ODK Validate did not finish in 120 s") from None
        if completed.returncode != 0:
            message = " ".join((completed.stderr or completed.stdout).split())
            raise InvalidInput("xlsform", f"ODK Validate: {message}"[:1000])
