"""An attacker's view of published reports: which withheld counts can be worked out?

Independent of ``corridor.reports.disclosure``: it reads only what partners
receive (the published content, shown in HTML, PDF and the data files), writes
down every relation a reader knows holds between the numbers (a row total is the
sum of its cells, a change is the difference of two days, the chart's point for
a day is that day's corridor total), and solves the system exactly, in
fractions, for the withheld ones.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Equation = tuple[dict[str, int], int]  # sum(coefficient * variable) = constant


class Knowledge:
    def __init__(self) -> None:
        self.values: dict[str, int | None] = {}  # None: withheld
        self.equations: list[tuple[dict[str, int], int]] = []
        self.withheld: set[str] = set()  # withheld in at least one place

    def see(self, name: str, shown: Any) -> str:
        value = shown if isinstance(shown, int) and not isinstance(shown, bool) else None
        if value is None and shown is not None:
            self.withheld.add(name)
        previous = self.values.get(name, "absent")
        if previous == "absent" or previous is None:
            self.values[name] = value
        elif value is not None:
            assert previous == value, f"{name} published twice with different values"
        return name

    def sums(self, total: str, parts: list[str]) -> None:
        terms = {total: 1}
        for part in parts:
            terms[part] = terms.get(part, 0) - 1
        self.equations.append((terms, 0))

    def difference(self, change: Any, later: str, earlier: str) -> None:
        if isinstance(change, int):
            self.equations.append(({later: 1, earlier: -1}, change))

    def exposed(self) -> set[str]:
        """Counts withheld somewhere that a reader knows: shown elsewhere, or solvable."""
        shown_elsewhere = {n for n in self.withheld if self.values.get(n) is not None}
        return shown_elsewhere | self.recoverable()

    def recoverable(self) -> set[str]:
        unknowns = sorted(n for n, v in self.values.items() if v is None)
        index = {n: i for i, n in enumerate(unknowns)}
        rows: list[list[Fraction]] = []
        for terms, constant in self.equations:
            row = [Fraction(0)] * (len(unknowns) + 1)
            rhs = Fraction(constant)
            for name, coefficient in terms.items():
                value = self.values.get(name)
                if value is None and name in index:
                    row[index[name]] += coefficient
                elif value is not None:
                    rhs -= coefficient * value
            row[-1] = rhs
            if any(row[:-1]):
                rows.append(row)
        pivots: list[int] = []
        r = 0
        for c in range(len(unknowns)):
            pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
            if pivot is None:
                continue
            rows[r], rows[pivot] = rows[pivot], rows[r]
            lead = rows[r][c]
            rows[r] = [x / lead for x in rows[r]]
            for i in range(len(rows)):
                if i != r and rows[i][c] != 0:
                    factor = rows[i][c]
                    rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
            pivots.append(c)
            r += 1
        found = set()
        for row_index, c in enumerate(pivots):
            others = [j for j in range(len(unknowns)) if j != c and rows[row_index][j] != 0]
            if not others:
                found.add(unknowns[c])
        return found


def read_report(
    knowledge: Knowledge, content: dict[str, Any], *, earlier: dict | None = None
) -> None:
    """Everything a reader of ``content`` knows; ``earlier``: the previous day's report."""
    tag = content["period"]["first"] + ".." + content["period"]["last"]
    see, sums = knowledge.see, knowledge.sums
    x = content["crossings"]
    corridors: dict[int, list[str]] = {}
    bands: dict[str, list[str]] = {b: [] for b in x["bands"]}
    directions: dict[str, list[str]] = {}
    for row in x["rows"]:
        base = f"{tag}:x:{row['corridor_id']}:{row['direction']}"
        cells = [see(f"{base}:{b}", v) for b, v in row["cells"].items()]
        for b, name in zip(row["cells"], cells, strict=True):
            bands[b].append(name)
        total = see(f"{base}:*", row["total"])
        sums(total, cells)
        corridors.setdefault(row["corridor_id"], []).append(total)
        directions.setdefault(row["direction"], []).append(total)
    corridor_totals = []
    for corridor, rows in corridors.items():
        name = see(f"{tag}:x:{corridor}:*:*", x["corridor_totals"][str(corridor)])
        sums(name, rows)
        corridor_totals.append(name)
    grand = see(f"{tag}:x:*:*:*", x["total"])
    sums(grand, corridor_totals)
    sums(grand, [see(f"{tag}:x:*:*:{b}", x["band_totals"][b]) for b in bands])
    for b, names in bands.items():
        sums(f"{tag}:x:*:*:{b}", names)
    sums(grand, [see(f"{tag}:x:*:{d}:*", x["direction_totals"][d]) for d in directions])
    for d, names in directions.items():
        sums(f"{tag}:x:*:{d}:*", names)
    for name in ("unaccompanied_children", "injured", "registered_households", "registered_people"):
        see(f"{tag}:{name}", x[name])
    c = content["consultations"]
    columns: dict[str, list[str]] = {k: [] for k in c["categories"]}
    place_totals = []
    for row in c["rows"]:
        cells = [see(f"{tag}:cons:{row['place_id']}:{k}", v) for k, v in row["cells"].items()]
        for k, name in zip(row["cells"], cells, strict=True):
            columns[k].append(name)
        total = see(f"{tag}:cons:{row['place_id']}:*", row["total"])
        sums(total, cells)
        place_totals.append(total)
    cons_total = see(f"{tag}:cons:*:*", c["total"])
    sums(cons_total, place_totals)
    sums(cons_total, [see(f"{tag}:cons:*:{k}", c["category_totals"][k]) for k in columns])
    for k, names in columns.items():
        sums(f"{tag}:cons:*:{k}", names)
    reach = [see(f"{tag}:reach:{r['place_id']}", r["people"]) for r in content["aid"]["reached"]]
    sums(see(f"{tag}:reach:*", content["aid"]["reached_total"]), reach)
    amnesty = content.get("amnesty")
    if amnesty:
        for table, breakdown, total in (
            ("weap", amnesty["weapons"], amnesty["weapons_total"]),
            ("cert", amnesty["certificates"], amnesty["certificates_total"]),
        ):
            parts = [see(f"{tag}:{table}:{k}", v) for k, v in breakdown.items()]
            sums(see(f"{tag}:{table}:*", total), parts)
    aliases = {
        "crossed": f"{tag}:x:*:*:*",
        "registered_households": f"{tag}:registered_households",
        "registered_people": f"{tag}:registered_people",
        "unaccompanied_children": f"{tag}:unaccompanied_children",
        "injured_crossing": f"{tag}:injured",
        "people_reached": f"{tag}:reach:*",
        "consultations": f"{tag}:cons:*:*",
        "weapons_handed_in": f"{tag}:weap:*",
        "certificates_issued": f"{tag}:cert:*",
    }
    previous_tag = content["previous"]["first"] + ".." + content["previous"]["last"]
    for figure in content["key_figures"]:
        if figure["id"] not in aliases:
            continue
        name = aliases[figure["id"]]
        see(name, figure["value"])
        before = see(name.replace(tag, previous_tag, 1), figure["previous"])
        knowledge.difference(figure["change"], name, before)
    for corridor, points in content["series"]["crossings"].items():
        for day, value in zip(content["series"]["days"], points, strict=True):
            see(f"{day}..{day}:x:{corridor}:*:*", value)
