"""Person ids survive re-runs: unchanged clusters keep theirs, merges keep the older."""

from __future__ import annotations

import itertools
import random

from corridor.linkage.stable_ids import assign


def _ids():
    counter = itertools.count(1000)
    return lambda: next(counter)


def test_unchanged_clusters_keep_their_ids_and_new_records_get_new_ones() -> None:
    previous = {"a": 1, "b": 1, "c": 2}
    result = assign([frozenset("ab"), frozenset("c"), frozenset("d")], previous, int, _ids())
    assert result.persons == [1, 2, 1000]
    assert result.created == [1000] and not result.aliases and not result.retired


def test_a_merge_keeps_the_older_id_and_the_other_becomes_an_alias() -> None:
    previous = {"a": 7, "b": 3, "c": 9}
    result = assign([frozenset("abc")], previous, int, _ids())
    assert result.persons == [3]
    assert result.aliases == {7: 3, 9: 3}


def test_a_split_keeps_the_id_on_the_larger_part() -> None:
    previous = {"a": 5, "b": 5, "c": 5}
    result = assign([frozenset("c"), frozenset("ab")], previous, int, _ids())
    assert result.persons == [1000, 5]
    assert not result.aliases


def test_purged_records_retire_a_person() -> None:
    previous = {"a": 1, "b": 2}
    result = assign([frozenset("a")], previous, int, _ids())
    assert result.persons == [1] and result.retired == [2]


def test_the_issue_scenario_add_purge_merge_split() -> None:
    """+10% records, −5% purged, two merges and two splits: untouched clusters keep ids."""
    rng = random.Random(4)
    clusters = [frozenset(f"r{i}-{j}" for j in range(rng.randint(1, 3))) for i in range(400)]
    new_id = _ids()
    first = assign(clusters, {}, int, new_id)
    previous = {r: p for cluster, p in zip(clusters, first.persons, strict=True) for r in cluster}
    records = sorted(previous)
    purged = set(rng.sample(records, len(records) // 20))
    changed = list(clusters)
    changed = [frozenset(c - purged) for c in changed]
    merged_a = changed[10] | changed[11]
    merged_b = changed[20] | changed[21] | changed[22]
    big = next(i for i, c in enumerate(changed) if len(c) == 3 and i > 30)
    part = sorted(changed[big])
    split = [frozenset(part[:2]), frozenset(part[2:])]
    untouched = [c for i, c in enumerate(changed) if i not in (10, 11, 20, 21, 22, big) and c]
    added = [frozenset({f"new-{k}"}) for k in range(len(records) // 10)]
    second_clusters = [merged_a, merged_b, *split, *untouched, *added]
    second = assign(second_clusters, previous, int, new_id)
    by_cluster = dict(zip(second_clusters, second.persons, strict=True))
    for cluster in untouched:
        originals = {previous[r] for r in cluster}
        if cluster == {r for r in previous if previous[r] in originals}:
            assert by_cluster[cluster] == originals.pop()  # members unchanged: same id
    ids_a = sorted({previous[r] for r in merged_a})
    assert by_cluster[merged_a] == ids_a[0]
    for old in ids_a[1:]:
        assert second.aliases[old] == ids_a[0]
    assert by_cluster[split[0]] == previous[part[0]]  # the larger part keeps the id
    assert by_cluster[split[1]] in second.created
    assert len(set(second.persons)) == len(second.persons)
