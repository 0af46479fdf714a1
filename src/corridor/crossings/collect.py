"""Instances built the way ODK Collect builds them: for the demo, benchmarks and tests.

Collect fills a copy of the XForm's primary instance, drops the repeat
templates, adds one element per repeat row, sets ``meta/instanceID`` (and
``meta/deprecatedID`` for an edit) and serialises it without the XForms
namespace. This does the same from the stored XForm.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree

XFORMS = "http://www.w3.org/2002/xforms"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"


def _strip(element: Element) -> Element:
    clean = Element(
        element.tag.rsplit("}", 1)[-1],
        {k: v for k, v in element.attrib.items() if not k.startswith("{")},
    )
    clean.text = element.text
    for child in element:
        clean.append(_strip(child))
    return clean


def primary_instance(xform: str) -> Element:
    tree = ElementTree.fromstring(xform.encode())
    model = tree.find(f"{{http://www.w3.org/1999/xhtml}}head/{{{XFORMS}}}model")
    assert model is not None
    instance = next(i for i in model.findall(f"{{{XFORMS}}}instance") if "id" not in i.attrib)
    return instance[0]


def build_instance(
    xform: str,
    values: dict[str, str],
    repeats: dict[str, list[dict[str, str]]] | None = None,
    *,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
) -> tuple[bytes, str]:
    """(instance XML, instanceID). ``values``/rows are keyed by field name (or a/b path)."""
    source = primary_instance(xform)
    templates = {
        child.tag.rsplit("}", 1)[-1]: child
        for child in source.iter()
        if JR_TEMPLATE in child.attrib
    }
    root = _strip(source)
    # Drop the template and the blank first row of each repeat; rows are added below.
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in templates:
                parent.remove(child)
    repeat_rows = repeats or {}
    for name, rows in repeat_rows.items():
        template = _strip(templates[name])
        template.attrib.clear()
        parent, position = _repeat_slot(source, name)
        target = root if parent is None else next(root.iter(parent))
        for offset, row in enumerate(rows):
            element = copy.deepcopy(template)
            _fill(element, row)
            target.insert(position + offset, element)
    _fill(root, values)
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    meta = root.find("meta")
    if meta is None:
        meta = SubElement(root, "meta")
    meta.find("instanceID").text = instance_id  # type: ignore[union-attr]
    if deprecated_id:
        SubElement(meta, "deprecatedID").text = deprecated_id
    root.set("xmlns:orx", "http://openrosa.org/xforms")
    return b"<?xml version='1.0' ?>" + tostring(root, encoding="utf-8"), instance_id


def _repeat_slot(source: Element, name: str) -> tuple[str | None, int]:
    """The parent tag of the repeat and the index its rows go at (without templates)."""
    for parent in source.iter():
        kept = [c for c in parent if JR_TEMPLATE not in c.attrib]
        names = [c.tag.rsplit("}", 1)[-1] for c in kept]
        if name in names:
            tag = parent.tag.rsplit("}", 1)[-1]
            return (None if parent is source else tag), names.index(name)
    raise KeyError(name)


def _fill(element: Element, values: dict[str, Any]) -> None:
    for key, value in values.items():
        node = (
            element.find(key)
            if "/" in key
            else next((n for n in element.iter(key) if n is not element), None)
        )
        if node is None:
            raise KeyError(f"no field {key!r} in the instance")
        node.text = str(value)
