"""Line charts of a report's series, drawn as SVG for the page and the PDF.

WeasyPrint runs no JavaScript, so the charts are drawn on the server, the same
way as the map (``corridor.web.svgmap``): plain SVG, text left as text so that
the browser and WeasyPrint shape Arabic labels with the page's fonts. A value
that is withheld (a small count) is a gap in the line with an open marker,
never a guessed point.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from corridor.web.svgmap import FONT_STACK, TEXT_COLOR

# Okabe–Ito: told apart by readers with colour-vision deficiencies, and in grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
GRID = "#d5dbe1"


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)  # pragma: no cover


def _label(value: float) -> str:
    if value >= 1000 and value == int(value):
        return f"{int(value):,}"
    if value == int(value):
        return str(int(value))
    return f"{value:g}"


def line_chart(
    days: Sequence[str],
    series: Mapping[str, Sequence[float | int | str | None]],
    *,
    title: str,
    y_label: str = "",
    withheld_label: str = "withheld",
    width: int = 720,
    height: int = 260,
) -> str:
    """An SVG line chart: one line per series over ``days`` (ISO dates)."""
    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "version": "1.1",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": FONT_STACK,
            "role": "img",
            "aria-label": title,
        },
    )
    ET.SubElement(root, "title").text = title
    legend_rows = math.ceil(len(series) / 3) if series else 0
    left, right, top = 56.0, 12.0, 28.0
    bottom = 34.0 + 16.0 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    ET.SubElement(
        root,
        "text",
        {"x": str(left), "y": "16", "font-size": "13", "font-weight": "bold", "fill": TEXT_COLOR},
    ).text = title
    numbers = [float(v) for s in series.values() for v in s if isinstance(v, int | float)]
    ceiling = _nice_ceiling(max(numbers, default=0.0))
    for i in range(5):
        value = ceiling * i / 4
        y = top + plot_h - plot_h * i / 4
        ET.SubElement(
            root,
            "line",
            {
                "x1": str(left),
                "x2": str(left + plot_w),
                "y1": f"{y:.1f}",
                "y2": f"{y:.1f}",
                "stroke": GRID,
                "stroke-width": "1",
            },
        )
        ET.SubElement(
            root,
            "text",
            {
                "x": str(left - 6),
                "y": f"{y + 4:.1f}",
                "font-size": "10",
                "text-anchor": "end",
                "fill": TEXT_COLOR,
            },
        ).text = _label(value)
    if y_label:
        ET.SubElement(
            root,
            "text",
            {
                "x": "12",
                "y": f"{top + plot_h / 2:.1f}",
                "font-size": "10",
                "fill": TEXT_COLOR,
                "transform": f"rotate(-90 12 {top + plot_h / 2:.1f})",
                "text-anchor": "middle",
            },
        ).text = y_label
    count = len(days)
    step = plot_w / max(count - 1, 1)

    def x_at(index: int) -> float:
        return left + (step * index if count > 1 else plot_w / 2)

    def y_at(value: float) -> float:
        return top + plot_h - plot_h * value / ceiling

    every = max(1, math.ceil(count / 8))
    for index, day in enumerate(days):
        if index % every == 0 or index == count - 1:
            ET.SubElement(
                root,
                "text",
                {
                    "x": f"{x_at(index):.1f}",
                    "y": f"{top + plot_h + 14:.1f}",
                    "font-size": "10",
                    "text-anchor": "middle",
                    "fill": TEXT_COLOR,
                },
            ).text = day[5:]  # MM-DD
    any_withheld = False
    for number, (name, values) in enumerate(series.items()):
        colour = PALETTE[number % len(PALETTE)]
        group = ET.SubElement(root, "g", {"class": "series", "data-name": name})
        run: list[tuple[float, float]] = []
        runs: list[list[tuple[float, float]]] = []
        for index, value in enumerate(values):
            if isinstance(value, int | float):
                run.append((x_at(index), y_at(float(value))))
            else:
                if run:
                    runs.append(run)
                run = []
                if value is not None:
                    any_withheld = True
                    ET.SubElement(
                        group,
                        "circle",
                        {
                            "cx": f"{x_at(index):.1f}",
                            "cy": f"{top + plot_h:.1f}",
                            "r": "3",
                            "fill": "white",
                            "stroke": colour,
                            "stroke-width": "1.5",
                            "class": "withheld",
                        },
                    )
        if run:
            runs.append(run)
        for points in runs:
            if len(points) == 1:
                x, y = points[0]
                ET.SubElement(
                    group,
                    "circle",
                    {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "2.5", "fill": colour},
                )
                continue
            ET.SubElement(
                group,
                "polyline",
                {
                    "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
                    "fill": "none",
                    "stroke": colour,
                    "stroke-width": "2",
                    "stroke-linejoin": "round",
                },
            )
        row, column = divmod(number, 3)
        lx = left + column * (plot_w / 3)
        ly = top + plot_h + 30 + row * 16
        ET.SubElement(
            root,
            "rect",
            {"x": f"{lx:.1f}", "y": f"{ly - 9:.1f}", "width": "12", "height": "4", "fill": colour},
        )
        ET.SubElement(
            root,
            "text",
            {"x": f"{lx + 16:.1f}", "y": f"{ly - 4:.1f}", "font-size": "10", "fill": TEXT_COLOR},
        ).text = name[:48]
    if any_withheld:
        ET.SubElement(
            root,
            "text",
            {
                "x": str(left + plot_w),
                "y": "16",
                "font-size": "10",
                "text-anchor": "end",
                "fill": TEXT_COLOR,
            },
        ).text = f"○ {withheld_label}"
    if not series:
        ET.SubElement(
            root,
            "text",
            {
                "x": f"{left + plot_w / 2:.1f}",
                "y": f"{top + plot_h / 2:.1f}",
                "font-size": "12",
                "text-anchor": "middle",
                "fill": TEXT_COLOR,
            },
        ).text = "—"
    return ET.tostring(root, encoding="unicode")
