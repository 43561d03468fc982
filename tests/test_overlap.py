"""The overlap engine against exact values (Davis Southern Women), brute-force sets, and a hand example."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import ranking.overlap as overlap_module
from crawler.store import Store
from ranking.overlap import (
    Audiences,
    audience_coverage,
    is_sample,
    jaccard,
    overlap,
    set_audience,
    shared,
    shared_counts,
    target_from_accounts,
    target_from_keys,
    target_metrics,
)


def frame_of(audiences: dict[tuple[str, str], set[int]], kind: str = "follower") -> pd.DataFrame:
    rows = [(p, a, kind, m) for (p, a), members in audiences.items() for m in sorted(members)]
    return pd.DataFrame(rows, columns=["platform", "account", "kind", "member_key"]).astype({"member_key": "int64"})


# Davis Southern Women: events as accounts, women as members -------------------------------------
DAVIS_SIZES = {"E1": 3, "E2": 3, "E3": 6, "E4": 4, "E5": 8, "E6": 8, "E7": 10, "E8": 14, "E9": 12, "E10": 5,
               "E11": 4, "E12": 6, "E13": 3, "E14": 3}


@pytest.fixture(scope="module")
def davis(tmp_path_factory):
    """The events' attendance, stored through the real store and loaded back as Audiences."""
    graph = nx.davis_southern_women_graph()
    events = graph.graph["bottom"]
    path = tmp_path_factory.mktemp("davis") / "davis.db"
    with Store(str(path)) as store:
        keys = {woman: store.member_key(woman) for woman in graph.graph["top"]}
        store.write_audience(("club", event, "member", keys[w]) for event in events for w in graph[event])
        audiences = Audiences.from_frame(store.load_audience("club"))
    sets = {event: {keys[w] for w in graph[event]} for event in events}
    return audiences, sets, [("club", e) for e in events]


def test_davis_sizes_and_exact_pairs(davis):
    audiences, _, events = davis
    assert audiences.matrix.nnz == 89 and audiences.matrix.shape == (14, 18)
    sizes = dict(zip(audiences.accounts["handle"], audiences.sizes))
    assert sizes == DAVIS_SIZES
    s, j, o = shared(audiences, events), jaccard(audiences, events), overlap(audiences, events)
    assert s.loc["club:E8", "club:E9"] == 9 and s.loc["club:E7", "club:E8"] == 8 and s.loc["club:E1", "club:E14"] == 0
    assert s.loc["club:E8", "club:E8"] == 14
    assert j.loc["club:E8", "club:E9"] == pytest.approx(9 / 17)  # 9 / (14 + 12 − 9)
    assert o.loc["club:E8", "club:E9"] == pytest.approx(9 / 12)  # the smaller audience is E9's 12
    assert o.loc["club:E7", "club:E8"] == pytest.approx(8 / 10)
    assert list(s.index) == list(s.columns) == [f"club:{e}" for _, e in events]


def test_davis_every_pair_equals_set_arithmetic(davis):
    audiences, sets, events = davis
    s, j, o = shared(audiences, events), jaccard(audiences, events), overlap(audiences, events)
    for (_, a), (_, b) in itertools.product(events, repeat=2):
        both = len(sets[a] & sets[b])
        assert s.loc[f"club:{a}", f"club:{b}"] == both
        assert j.loc[f"club:{a}", f"club:{b}"] == pytest.approx(both / len(sets[a] | sets[b]))
        assert o.loc[f"club:{a}", f"club:{b}"] == pytest.approx(both / min(len(sets[a]), len(sets[b])))


def test_davis_set_audience_and_target(davis):
    audiences, sets, events = davis
    picked = [("club", "E1"), ("club", "E8"), ("club", "E14")]
    per_account, totals = set_audience(audiences, picked)
    assert totals == {"total_audience": 3 + 14 + 3, "unique_audience": len(sets["E1"] | sets["E8"] | sets["E14"])}
    for row in per_account.itertuples():
        others = set().union(*(sets[e] for _, e in picked if e != row.handle))
        unique = len(sets[row.handle] - others)
        assert row.unique == unique
        assert row.unique_pct == pytest.approx(100 * unique / len(sets[row.handle]))
        assert row.overlapping_pct == pytest.approx(100 - row.unique_pct)
    everyone = set().union(*sets.values())
    assert len(everyone) == 18
    target = sets["E1"] | sets["E2"]
    table = target_metrics(audiences, target_from_accounts(audiences, [("club", "E1"), ("club", "E2")]))
    for row in table.itertuples():
        a = sets[row.handle]
        assert row.target_overlap == len(a & target)
        assert row.target_share == pytest.approx(len(a & target) / len(target))
        assert row.target_density == pytest.approx(len(a & target) / len(a))
        assert row.affinity == pytest.approx(len(a & target) / len(a) / (len(target) / 18) * 100)
        assert row.jaccard == pytest.approx(len(a & target) / len(a | target))


# brute force on random audiences ------------------------------------------------------------------
audiences_strategy = st.dictionaries(
    keys=st.tuples(st.sampled_from(["vk", "bluesky"]), st.sampled_from([f"a{i}" for i in range(30)])),
    values=st.sets(st.integers(min_value=-3, max_value=40), min_size=0, max_size=25),
    min_size=1, max_size=30,
)


def _stored(audiences: dict) -> dict:
    """An account with no member has no row in the store, so the engine never sees it."""
    return {account: members for account, members in audiences.items() if members}


@settings(max_examples=60, deadline=None)
@given(audiences_strategy)
def test_pairwise_metrics_equal_sets(raw):
    sets = _stored(raw)
    if not sets:
        return
    engine = Audiences.from_frame(frame_of(sets))
    accounts = list(sets)
    s, j, o = shared(engine, accounts).to_numpy(), jaccard(engine, accounts).to_numpy(), overlap(engine, accounts).to_numpy()
    for (x, a), (y, b) in itertools.product(enumerate(accounts), repeat=2):
        # a member key means one person only within its platform
        both = len(sets[a] & sets[b]) if a[0] == b[0] else 0
        union = len(sets[a]) + len(sets[b]) - both
        assert s[x, y] == both
        assert j[x, y] == pytest.approx(both / union)
        assert o[x, y] == pytest.approx(both / min(len(sets[a]), len(sets[b])))


@settings(max_examples=60, deadline=None)
@given(audiences_strategy, st.data())
def test_set_and_target_metrics_equal_sets(raw, data):
    sets = _stored(raw)
    if not sets:
        return
    engine = Audiences.from_frame(frame_of(sets))
    accounts = list(sets)
    picked = data.draw(st.lists(st.sampled_from(accounts), min_size=1, unique=True))
    per_account, totals = set_audience(engine, picked)
    people = {a: {(a[0], m) for m in sets[a]} for a in accounts}  # members are per platform
    assert totals["total_audience"] == sum(len(sets[a]) for a in picked)
    assert totals["unique_audience"] == len(set().union(*(people[a] for a in picked)))
    for account, row in zip(picked, per_account.itertuples()):
        others = set().union(*(people[b] for b in picked if b != account))
        assert (row.platform, row.handle) == account
        assert row.unique == len(people[account] - others)
        assert row.unique_pct + row.overlapping_pct == pytest.approx(100)

    targets = data.draw(st.lists(st.sampled_from(accounts), min_size=1, unique=True))
    target = set().union(*(people[a] for a in targets))
    table = target_metrics(engine, target_from_accounts(engine, targets))
    for row in table.itertuples():
        a = people[(row.platform, row.handle)]
        universe = {m for b in accounts if b[0] == row.platform for m in people[b]}
        hits = len(a & target)
        base = len(target & universe) / len(universe)
        assert row.audience_size == len(a) and row.target_overlap == hits
        assert row.target_share == pytest.approx(hits / len(target))
        assert row.target_density == pytest.approx(hits / len(a))
        assert row.jaccard == pytest.approx(hits / len(a | target))
        if base > 0:
            assert row.affinity == pytest.approx(hits / len(a) / base * 100)
        else:
            assert math.isnan(row.affinity)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.integers(0, 60), max_size=50), min_size=1, max_size=40))
def test_shared_counts_equal_the_matrix_product(rows):
    """Including members in more than 24 audiences (the fancy-indexed path) and tiny batches (the flushes)."""
    matrix = sp.csr_array(np.array([[1 if m in r else 0 for m in range(61)] for r in rows], dtype=np.int32))
    expected = (matrix @ matrix.T).toarray()
    assert np.array_equal(shared_counts(matrix), expected)


def test_shared_counts_flushes_its_buffer(monkeypatch):
    monkeypatch.setattr(overlap_module, "_PAIR_BATCH", 7)
    rng = np.random.default_rng(3)
    matrix = sp.csr_array((rng.random((40, 200)) < 0.4).astype(np.int32))
    assert np.array_equal(shared_counts(matrix), (matrix @ matrix.T).toarray())


# hand-computed target example ---------------------------------------------------------------------
def test_target_and_affinity_by_hand():
    sets = {
        ("p", "t1"): {1, 2, 3, 4}, ("p", "t2"): {3, 4, 5, 6},  # T = {1…6}, |T| = 6
        ("p", "a"): {1, 2, 7, 8},                               # |A∩T| = 2 of 4
        ("p", "b"): {9, 10},                                    # nobody of T
        ("p", "c"): {5, 6, 7, 8, 9, 10, 11, 12},                # |A∩T| = 2 of 8; U = {1…12}
        ("q", "x"): {1, 2},                                     # the same keys on another platform: other people
    }
    engine = Audiences.from_frame(frame_of(sets))
    table = target_metrics(engine, target_from_accounts(engine, [("p", "t1"), ("p", "t2")]))
    table = table.set_index("handle")
    # base rate |T| / |U| = 6 / 12 = 0.5
    assert table.loc["a", "target_overlap"] == 2
    assert table.loc["a", "target_share"] == pytest.approx(2 / 6)
    assert table.loc["a", "target_density"] == pytest.approx(0.5)
    assert table.loc["a", "affinity"] == pytest.approx(100)
    assert table.loc["a", "jaccard"] == pytest.approx(2 / 8)  # |A∪T| = 4 + 6 − 2
    assert table.loc["c", "affinity"] == pytest.approx(50)
    assert table.loc["c", "jaccard"] == pytest.approx(2 / 12)
    assert table.loc["b", "target_overlap"] == 0 and table.loc["b", "affinity"] == 0
    assert table.loc["t1", "affinity"] == pytest.approx(200)
    assert table.loc["x", "target_overlap"] == 0 and math.isnan(table.loc["x", "affinity"])


def test_target_from_imported_keys():
    engine = Audiences.from_frame(frame_of({("p", "a"): {1, 2, 3}, ("p", "b"): {3, 4}, ("q", "c"): {5}}))
    mask, matched = target_from_keys(engine, "p", [2, 3, 3, 5, 99])  # 5 is a q member, 99 nobody's
    assert matched == 2
    assert sorted(engine.member_keys[mask]) == [2, 3]
    table = target_metrics(engine, mask).set_index("handle")
    assert table.loc["a", "target_overlap"] == 2 and table.loc["b", "target_overlap"] == 1
    assert table.loc["c", "target_overlap"] == 0


# building the matrix ------------------------------------------------------------------------------
def test_kinds_merge_and_rows_are_labelled(tmp_path):
    with Store(str(tmp_path / "a.db")) as store:
        store.write_audience([("p", "a", "follower", 1), ("p", "a", "liker", 1), ("p", "a", "liker", 2),
                              ("p", "b", "follower", 2), ("p", "b", "follower", 2)])
        frame = store.load_audience("p")
        assert frame["member_key"].dtype == np.int64 and len(frame) == 4  # the repeated row was stored once
        engine = Audiences.from_frame(frame)
        assert list(engine.sizes) == [2, 1]  # a's member 1 both follows and likes: counted once
        assert engine.labels() == ["p:a", "p:b"]
        assert list(Audiences.from_frame(store.load_audience("p", "liker")).sizes) == [2]
    with pytest.raises(KeyError):
        engine.rows([("p", "nobody")])


def test_empty_audience_frame():
    engine = Audiences.from_frame(frame_of({}))
    assert engine.matrix.shape == (0, 0)
    assert target_metrics(engine, np.zeros(0, dtype=bool)).empty


def test_sample_coverage():
    coverage = audience_coverage([500, 1000, 1000, 10], [1000, 1000, 900, None])
    assert coverage[:3].tolist() == [0.5, 1.0, 1.0] and math.isnan(coverage[3])
    assert is_sample(coverage).tolist() == [True, False, False, False]
    assert not is_sample(audience_coverage([96], [100]))[0]  # within the rounding of follower counts


def test_candidate_matrix_keeps_the_placements_order_and_marks_those_without_an_audience():
    audiences = Audiences.from_frame(frame_of({("vk", "a"): {1, 2, 3}, ("vk", "b"): {3, 4}}))
    matrix, has = overlap_module.candidate_matrix(audiences, [("vk", "b"), ("vk", "none"), ("vk", "a")])
    assert has == [True, False, True]
    assert [int(matrix.indptr[r + 1] - matrix.indptr[r]) for r in range(3)] == [2, 0, 3]


def test_followers_and_coverage_of_accounts_with_and_without_a_count():
    rows = pd.DataFrame({"platform": ["vk", "vk"], "handle": ["a", "b"]})
    accounts = pd.DataFrame({"platform": ["vk", "vk"], "handle": ["a", "b"], "followers": [200.0, None]})
    followers, coverage = overlap_module.followers_and_coverage(rows, accounts, pd.Series([50, 10]))
    assert followers.iloc[0] == 200 and math.isnan(followers.iloc[1])
    assert coverage[0] == pytest.approx(0.25) and math.isnan(coverage[1])
