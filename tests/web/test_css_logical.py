"""Our CSS must use logical properties only.

Pages are rendered right-to-left in Arabic (``<html dir="rtl">``). A physical
``margin-left`` stays on the left in both directions and breaks the mirrored
layout, whereas ``margin-inline-start`` follows the text direction. This test
scans our own stylesheets (not the third-party bundle in ``static/build/``),
the ``<style>`` blocks and ``style="..."`` attributes of every template, and
fails listing each physical left/right property with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "corridor"
STATIC = PACKAGE / "web" / "static"
FRONTEND_CSS = REPO / "frontend" / "src"
TEMPLATE_SUFFIXES = {".html", ".jinja", ".jinja2", ".j2"}

# Property names that are physical by definition (vendor prefixes allowed).
PHYSICAL_NAME = re.compile(
    r"""^(?:-(?:webkit|moz|ms|o)-)?(?:
        (?:margin|padding|scroll-margin|scroll-padding)-(?:left|right)
      | border-(?:left|right)(?:-(?:width|style|color))?
      | border-(?:top|bottom)-(?:left|right)-radius
      | left | right
    )$""",
    re.VERBOSE,
)
# Properties whose keyword values left/right are physical.
SIDE_VALUED = {"float", "clear", "text-align", "text-align-last", "caption-side"}
SIDE_VALUE = re.compile(r"^(?:left|right)$")
# Shorthands whose 4-value form is "top right bottom left".
BOX_SHORTHANDS = {
    "margin",
    "padding",
    "inset",
    "border-width",
    "border-style",
    "border-color",
    "scroll-margin",
    "scroll-padding",
}


def _logical_name(physical: str) -> str:
    """The logical property to suggest instead of a physical one."""
    corners = {"top-left": "start-start", "top-right": "start-end"}
    corners |= {"bottom-left": "end-start", "bottom-right": "end-end"}
    for corner, logical in corners.items():
        physical = physical.replace(f"-{corner}-", f"-{logical}-")
    if physical in {"left", "right"}:
        physical = f"inset-{physical}"
    return physical.replace("-left", "-inline-start").replace("-right", "-inline-end")


Offence = tuple[int, str]


def _blank(match: re.Match[str]) -> str:
    """Replace a match by spaces of the same length, keeping newlines (and so line numbers)."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _strip_css_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", _blank, text, flags=re.DOTALL)


def _strip_jinja(text: str) -> str:
    """Blank Jinja tags: their braces and quotes must not be read as CSS or HTML."""
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", _blank, text, flags=re.DOTALL)


def _split_values(value: str) -> list[str]:
    """Split a CSS value on top-level whitespace (not inside calc(), var() etc.)."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in value:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char.isspace() and depth == 0:
            if current:
                parts.append(current)
            current = ""
        else:
            current += char
    if current:
        parts.append(current)
    return parts


def _check_declaration(name: str, value: str) -> str | None:
    """Return a description of the problem with one declaration, or None if it is fine."""
    name = name.strip().lower()
    value = re.sub(r"!\s*important\s*$", "", value.strip(), flags=re.IGNORECASE).strip()
    if name.startswith("--"):  # custom property: a name, not a layout rule
        return None
    if PHYSICAL_NAME.match(name):
        base = re.sub(r"^-(?:webkit|moz|ms|o)-", "", name)
        return f"physical property {name}: {value} (use {_logical_name(base)})"
    if name in SIDE_VALUED and SIDE_VALUE.match(value.lower()):
        logical = "start" if value.lower() == "left" else "end"
        if name in {"float", "clear"}:
            logical = f"inline-{logical}"
        return f"physical value {name}: {value} (use {name}: {logical})"
    if name in BOX_SHORTHANDS:
        parts = _split_values(value)
        if len(parts) == 4 and parts[1] != parts[3]:
            return (
                f"4-value {name}: {value} sets left and right differently "
                f"(use {name}-block / {name}-inline)"
            )
    return None


def scan_declarations(text: str, offset: int = 0, full_text: str | None = None) -> list[Offence]:
    """Check a declaration list (a style attribute body or a stylesheet made flat).

    ``offset`` is where ``text`` starts inside ``full_text``, for line numbers.
    Selectors end up as chunks too; they never match a physical property name.
    """
    source = full_text if full_text is not None else text
    offences: list[Offence] = []
    for match in re.finditer(r"[^;{}]+", text):
        chunk = match.group(0)
        name, colon, value = chunk.partition(":")
        if not colon or not re.fullmatch(r"\s*-?-?[A-Za-z][A-Za-z0-9-]*\s*", name):
            continue
        problem = _check_declaration(name, value)
        if problem:
            start = offset + match.start() + (len(name) - len(name.lstrip()))
            line = source.count("\n", 0, start) + 1
            offences.append((line, " ".join(problem.split())))
    return offences


def scan_stylesheet(text: str) -> list[Offence]:
    """Offences in a whole stylesheet."""
    return scan_declarations(_strip_css_comments(text))


def scan_template(text: str) -> list[Offence]:
    """Offences in a template's ``style="..."`` attributes and ``<style>`` blocks."""
    clean = _strip_jinja(text)
    offences: list[Offence] = []
    for block in re.finditer(r"<style\b[^>]*>(.*?)</style\s*>", clean, re.DOTALL | re.IGNORECASE):
        body = _strip_css_comments(block.group(1))
        offences += scan_declarations(body, block.start(1), clean)
    attribute = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
    for match in attribute.finditer(clean):
        group = 1 if match.group(1) is not None else 2
        offences += scan_declarations(match.group(group), match.start(group), clean)
    return sorted(offences)


def css_files() -> Iterator[Path]:
    """Our own stylesheets: static/ except the third-party build/, and the bundle sources."""
    build = STATIC / "build"
    if STATIC.is_dir():
        for path in sorted(STATIC.rglob("*.css")):
            if build not in path.parents:
                yield path
    if FRONTEND_CSS.is_dir():
        yield from sorted(FRONTEND_CSS.rglob("*.css"))


def template_files() -> Iterator[Path]:
    """Every file in any ``templates`` folder under src/corridor."""
    seen: set[Path] = set()
    for folder in sorted(PACKAGE.rglob("templates")):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file() and path not in seen:
                seen.add(path)
                yield path


def _report(found: dict[Path, list[Offence]]) -> str:
    lines = []
    for path, offences in found.items():
        for line, problem in offences:
            lines.append(f"{path.relative_to(REPO)}:{line}: {problem}")
    return "\n".join(lines)


def test_app_stylesheet_exists() -> None:
    """Guards the scan below against silently checking nothing."""
    assert (STATIC / "css" / "corridor.css").is_file()
    assert STATIC / "css" / "corridor.css" in list(css_files())


def test_stylesheets_use_logical_properties() -> None:
    found = {path: scan_stylesheet(path.read_text(encoding="utf-8")) for path in css_files()}
    found = {path: offences for path, offences in found.items() if offences}
    assert not found, "physical left/right CSS found:\n" + _report(found)


def test_templates_use_logical_properties() -> None:
    found = {path: scan_template(path.read_text(encoding="utf-8")) for path in template_files()}
    found = {path: offences for path, offences in found.items() if offences}
    assert not found, "physical left/right CSS in templates:\n" + _report(found)


# --------------------------------------------------------------- self-tests

BAD_CSS = """\
.a { margin-left: 1rem; }
.b {
  padding-right: 2px;
  border-left: 1px solid red;
  border-right-color: blue;
}
.c { left: 0; right: auto !important; }
.d { float: left; text-align: RIGHT; clear: right; }
.e { margin: 0 1rem 0 2rem; }
.f { padding: 1px calc(2px + 1rem) 3px 4px; }
.g { -webkit-margin-left: 3px; border-top-left-radius: 2px; }
"""


def test_checker_flags_every_physical_form() -> None:
    offences = scan_stylesheet(BAD_CSS)
    flagged = [(line, problem.split(":")[0]) for line, problem in offences]
    assert flagged == [
        (1, "physical property margin-left"),
        (3, "physical property padding-right"),
        (4, "physical property border-left"),
        (5, "physical property border-right-color"),
        (7, "physical property left"),
        (7, "physical property right"),
        (8, "physical value float"),
        (8, "physical value text-align"),
        (8, "physical value clear"),
        (9, "4-value margin"),
        (10, "4-value padding"),
        (11, "physical property -webkit-margin-left"),
        (11, "physical property border-top-left-radius"),
    ]


def test_checker_accepts_logical_and_symmetric_css() -> None:
    good = """\
/* margin-left: 1rem in a comment is fine */
.a { margin-inline-start: 1rem; padding-inline-end: 2px; inset-inline-start: 0; }
.b { text-align: start; float: inline-start; border-inline-start: 1px solid; }
.c { margin: 0 1rem 0 1rem; padding: 1px 2px 3px; margin: 0 auto; inset: 0; }
.d { --margin-left: 3px; scroll-margin-top: 2px; border-top: 1px solid; }
.e:left, .f:hover { color: red; }
@page :left { margin: 10mm; }
@media (max-width: 40rem) { .g { text-align: center; } }
.h { transition: left 200ms; background: url(data:image/png;base64,AAAA); }
"""
    assert scan_stylesheet(good) == []


def test_checker_scans_template_attributes_and_style_blocks() -> None:
    template = """\
<div class="corridor-map" style="block-size: 24rem"></div>
<p style="color: red;
   margin-right: {{ gap }}px">x</p>
<span style='text-align:left'>{{ "style='left: 0'" }}</span>
<style>
  .x { padding-left: 1px; }
</style>
{% if x %}<b style="margin-inline-end: 1rem">ok</b>{% endif %}
"""
    offences = scan_template(template)
    assert [(line, problem.split(":")[0]) for line, problem in offences] == [
        (3, "physical property margin-right"),
        (4, "physical value text-align"),
        (6, "physical property padding-left"),
    ]


@pytest.mark.parametrize(
    ("declaration", "bad"),
    [
        ("margin: 1px 2px 3px 2px", False),
        ("margin: 1px 2px 3px 4px", True),
        ("inset: 0 auto 0 0", True),
        ("border-width: 1px var(--w) 1px var(--w)", False),
        ("float: right", True),
        ("float: inline-end", False),
    ],
)
def test_checker_shorthands(declaration: str, bad: bool) -> None:
    assert bool(scan_declarations(declaration)) is bad
