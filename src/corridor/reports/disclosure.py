"""Statistical disclosure control: which published counts must be withheld.

A count of people below the threshold (1 to 4 by default) could point at
someone; it is withheld (primary suppression). Withholding it is not enough
when a published total still gives it away: ``total - the other cells``. So
other cells are withheld too (secondary suppression) until no withheld count
can be worked out, exactly, from anything published alongside it.

The rule is checked, not assumed. Published figures are linked by additive
relations (``total = part + part + …``); the withheld counts are the unknowns
of that linear system and the published ones its constants. A withheld count
is recoverable exactly when its unit vector lies in the row space of the
system, which is the case when the null space of the system has a zero row for
it. After the usual rule (no relation may hide exactly one of its members),
that audit runs and, if it finds a small count recoverable, one more member of a
relation holding it is withheld, until the audit finds none. Last, a count
withheld only to protect another, which a reader could work out anyway, is
shown again: it tells nothing new, and every withheld count is then one that
no reader can work out.

Zero is published: that nobody of a group crossed identifies no one.
Choices are deterministic (the same figures give the same pattern), so two
reports that show the same figures withhold the same ones.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import null_space

Key = Hashable

DEFAULT_THRESHOLD = 5


@dataclass(frozen=True)
class Relation:
    """``total`` is published as the sum of ``parts``."""

    total: Key
    parts: tuple[Key, ...]

    def members(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def protect(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    fixed: Mapping[Key, bool] | None = None,
) -> set[Key]:
    """The keys of ``values`` to withhold.

    ``fixed`` maps keys whose fate was decided earlier (figures already
    published in another report: True withheld, False shown); they are not
    changed, and the ones withheld stay unrecoverable.
    """
    fixed = dict(fixed or {})
    must_hide = {k for k, v in values.items() if k not in fixed and is_small(v, threshold)}
    must_hide |= {k for k, hidden in fixed.items() if hidden and k in values}
    withheld = set(must_hide)
    relations = [r for r in relations if all(m in values for m in r.members())]
    by_member: dict[Key, list[Relation]] = {}
    for relation in relations:
        for member in relation.members():
            by_member.setdefault(member, []).append(relation)
    for _ in range(10 * len(values) + 10):
        if _single_hidden_rule(values, relations, withheld, fixed, threshold):
            continue
        exposed = recoverable(values, relations, withheld) & must_hide
        if not exposed:
            break
        if not _hide_one_more(values, by_member, withheld, fixed, exposed, threshold):
            break  # only figures published earlier expose it: nothing here can help
    else:  # pragma: no cover
        raise RuntimeError("disclosure control did not settle")
    # A count withheld to protect another, that a reader can work out anyway from
    # what is shown, protects nothing: show it (it tells nothing new).
    withheld -= {k for k in recoverable(values, relations, withheld) if k not in must_hide}
    return withheld


def _candidate_order(values: Mapping[Key, int], threshold: int, relation: Relation):
    """Prefer parts to totals, then cells at or above the threshold (a wide
    interval for the hidden one), smallest first, then any positive, then zero."""

    def rank(key: Key) -> tuple[int, int, int, str]:
        value = values[key]
        band = 0 if value >= threshold else (1 if value > 0 else 2)
        return (1 if key == relation.total else 0, band, value, repr(key))

    return rank


def _single_hidden_rule(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    withheld: set[Key],
    fixed: Mapping[Key, bool],
    threshold: int,
) -> bool:
    for relation in relations:
        members = relation.members()
        hidden = [m for m in members if m in withheld]
        if len(hidden) != 1:
            continue
        free = [m for m in members if m not in withheld and m not in fixed]
        if not free:
            continue  # left to the audit, which can reach it through other relations
        withheld.add(min(free, key=_candidate_order(values, threshold, relation)))
        return True
    return False


def _hide_one_more(
    values: Mapping[Key, int],
    by_member: Mapping[Key, list[Relation]],
    withheld: set[Key],
    fixed: Mapping[Key, bool],
    exposed: Iterable[Key],
    threshold: int,
) -> bool:
    for key in sorted(exposed, key=repr):
        for relation in by_member.get(key, []):
            free = [m for m in relation.members() if m not in withheld and m not in fixed]
            if free:
                withheld.add(min(free, key=_candidate_order(values, threshold, relation)))
                return True
    return False


def recoverable(
    values: Mapping[Key, int], relations: Sequence[Relation], withheld: Iterable[Key]
) -> set[Key]:
    """The withheld keys that the published ones and the relations determine exactly."""
    unknowns = sorted((k for k in withheld if k in values), key=repr)
    if not unknowns:
        return set()
    column = {k: i for i, k in enumerate(unknowns)}
    rows = []
    for relation in relations:
        row = np.zeros(len(unknowns))
        for member, sign in ((relation.total, 1.0), *((p, -1.0) for p in relation.parts)):
            if member in column:
                row[column[member]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    basis = null_space(np.vstack(rows))
    if basis.size == 0:
        return set(unknowns)
    free = np.linalg.norm(basis, axis=1) > 1e-9
    return {k for k, is_free in zip(unknowns, free, strict=True) if not is_free}
