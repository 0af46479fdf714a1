"""The OpenRosa 1.0 documents: form list, manifest, response messages, instances.

Only the XML: the HTTP side is in ``openrosa_api``. The XML of an instance
comes from devices in the field, so a document type declaration (where entity
expansion and external entities hide) is refused before the document is read:
expat reads it once looking only for that, then ElementTree's C parser builds
the tree. That is defusedxml's ``forbid_dtd`` at the speed of the C parser
(defusedxml's parser calls back into Python for every element: on the
submission route it took about a tenth of the server's time). ODK clients
never send a DTD.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element, ParseError, SubElement, fromstring, tostring
from xml.parsers import expat

from corridor.errors import CorridorError

XFORMS_LIST = "http://openrosa.org/xforms/xformsList"
MANIFEST = "http://openrosa.org/xforms/xformsManifest"
RESPONSE = "http://openrosa.org/http/response"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
HEADERS = {"X-OpenRosa-Version": "1.0"}
MAX_INSTANCE_BYTES = 5 * 1024 * 1024


class BadSubmission(CorridorError):
    """400: the submission cannot be read (no instance, malformed XML, no instanceID)."""

    status = 400


@dataclass(frozen=True)
class FormListEntry:
    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None


def _xml(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def form_list(entries: list[FormListEntry]) -> bytes:
    root = Element("xforms", xmlns=XFORMS_LIST)
    for entry in entries:
        item = SubElement(root, "xform")
        SubElement(item, "formID").text = entry.form_id
        SubElement(item, "name").text = entry.name
        SubElement(item, "version").text = entry.version
        SubElement(item, "hash").text = f"md5:{entry.md5}"
        SubElement(item, "downloadUrl").text = entry.download_url
        if entry.manifest_url:
            SubElement(item, "manifestUrl").text = entry.manifest_url
    return _xml(root)


def manifest(files: list[tuple[str, str, str]]) -> bytes:
    """``files``: (filename, md5 hex, download URL)."""
    root = Element("manifest", xmlns=MANIFEST)
    for name, md5, url in files:
        item = SubElement(root, "mediaFile")
        SubElement(item, "filename").text = name
        SubElement(item, "hash").text = f"md5:{md5}"
        SubElement(item, "downloadUrl").text = url
    return _xml(root)


@lru_cache(maxsize=64)
def response(message: str, nature: str = "submit_success") -> bytes:
    """An ``OpenRosaResponse``: Collect shows the message to the officer."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE)
    SubElement(root, "message", nature=nature).text = message
    return _xml(root)


# Instances -------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """A submitted form instance, as far as the server must understand it."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    root: Element

    def values(self, repeats: list[str]) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
        """Leaf values outside repeats (by name), and each repeat's rows (by name).

        Names are the XLSForm ``name`` column, unique in a form, so the group
        path is not needed to read them.
        """
        root_name = _local(self.root.tag)
        repeat_set = set(repeats)
        top: dict[str, str] = {}
        rows: dict[str, list[dict[str, str]]] = {path: [] for path in repeats}

        def walk(element: Element, path: str, into: dict[str, str]) -> None:
            for child in element:
                if JR_TEMPLATE in child.attrib:
                    continue  # a repeat's blank template, not a row
                name = _local(child.tag)
                child_path = f"{path}/{name}"
                if child_path in repeat_set:
                    row: dict[str, str] = {}
                    walk(child, child_path, row)
                    rows[child_path].append(row)
                elif len(child):
                    walk(child, child_path, into)
                else:
                    into[name] = (child.text or "").strip()

        walk(self.root, f"/{root_name}", top)
        return top, rows


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_instance(xml: bytes) -> Instance:
    """Read an instance; ``BadSubmission`` when it is not one."""
    if len(xml) > MAX_INSTANCE_BYTES:
        raise BadSubmission("the submission XML is larger than 5 MB")
    try:
        _refuse_declarations(xml)
        root = fromstring(xml)
    except (expat.ExpatError, ParseError, ValueError):
        raise BadSubmission("the submission XML is malformed") from None
    form_id = root.attrib.get("id", "").strip()
    if not form_id:
        raise BadSubmission("the submission XML names no form (id attribute of its root)")
    meta = next((child for child in root if _local(child.tag) == "meta"), None)
    fields = {_local(child.tag): (child.text or "").strip() for child in (meta or [])}
    instance_id = fields.get("instanceID", "")
    if not instance_id:
        raise BadSubmission("the submission XML has no meta/instanceID")
    if len(instance_id) > 100:
        raise BadSubmission("meta/instanceID is longer than 100 characters")
    deprecated = fields.get("deprecatedID") or None
    return Instance(
        form_id=form_id,
        version=root.attrib.get("version", "").strip(),
        instance_id=instance_id,
        deprecated_id=deprecated,
        root=root,
    )


class _Declaration(ValueError):
    """A document type or entity declaration: never in an instance from a field app."""


def _refuse(*_args: object) -> None:
    raise _Declaration("the XML declares a document type or entities")


def _refuse_declarations(xml: bytes) -> None:
    """Read ``xml`` with expat, failing at any DTD or entity declaration.

    No Python runs for ordinary elements, so this costs a fraction of building
    the tree; entities are never expanded, since the document is refused first.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.Parse(xml, True)
