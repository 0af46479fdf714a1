"""The situation report as a PDF: A4, charts and map embedded, Arabic in Amiri.

WeasyPrint lays out the same body as the page (``_sitrep_body.html``) with a
print style sheet; the charts and the map are inline SVG drawn from the
report's content. Arabic text (area names, or the whole report in Arabic) is
set in Amiri from Debian's ``fonts-hosny-amiri``, which WeasyPrint embeds.
"""

from __future__ import annotations

from typing import Any

from corridor.reports import presentation
from corridor.web import i18n
from corridor.web.templating import render_document

ARABIC_FONT = "Amiri"


def period_label(content: dict[str, Any]) -> str:
    first, last = content["period"]["first"], content["period"]["last"]
    return first if first == last else f"{first} – {last}"


def sitrep_html(
    content: dict[str, Any], *, language: str = "en", version: int | None = None
) -> str:
    previous = i18n.current_language()
    i18n.set_language(language)
    try:
        _ = i18n.gettext
        charts = presentation.chart_svgs(content, _)
        map_svg = presentation.map_svg(content, _)
    finally:
        i18n.set_language(previous)
    return render_document(
        "reports/sitrep_print.html",
        language=language,
        report=content,
        charts=charts,
        map_svg=map_svg,
        fmt=presentation.cell,
        chg=presentation.change,
        figure_labels=presentation.FIGURE_LABELS,
        period_label=period_label(content),
        arabic_font=ARABIC_FONT,
        version=version,
    )


def sitrep_pdf(
    content: dict[str, Any], *, language: str = "en", version: int | None = None
) -> bytes:
    from weasyprint import HTML  # imported when printing: it loads Pango at import

    return HTML(string=sitrep_html(content, language=language, version=version)).write_pdf()
