"""The placement planner against brute force: optimal where greedy is, within its guarantee elsewhere."""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from ranking.plan import (
    GREEDY_GUARANTEE,
    best_single,
    choose_placements,
    compare_strategies,
    coverage,
    expected_reach,
    fill_in_order,
    greedy,
    money,
    placement_table,
)


def incidence(audiences: list[set[int]], members: int | None = None) -> sp.csr_array:
    members = members or max((max(a) for a in audiences if a), default=-1) + 1
    dense = np.array([[1 if m in a else 0 for m in range(members)] for a in audiences], dtype=np.int32)
    return sp.csr_array(dense.reshape(len(audiences), members))


def optimum(matrix, prices, budget, weights=None) -> float:
    """The best coverage of any affordable subset, by trying them all."""
    best = 0.0
    rows = range(matrix.shape[0])
    for size in range(1, len(rows) + 1):
        for subset in itertools.combinations(rows, size):
            if sum(money(prices[r]) for r in subset) <= money(budget):
                best = max(best, coverage(matrix, subset, weights))
    return best


def spent(picks, prices) -> Decimal:
    return sum((money(prices[r]) for r in picks), Decimal(0))


instances = st.integers(min_value=1, max_value=8).flatmap(lambda n: st.tuples(
    st.lists(st.sets(st.integers(0, 14), max_size=10), min_size=n, max_size=n),
    st.lists(st.integers(1, 20), min_size=n, max_size=n),
    st.integers(1, 60),
))


@settings(max_examples=150, deadline=None)
@given(instances, st.booleans(), st.data())
def test_within_the_guarantee_and_the_budget(instance, targeted, data):
    audiences, prices, budget = instance
    matrix = incidence(audiences, 15)
    weights = np.array(data.draw(st.lists(st.booleans(), min_size=15, max_size=15)), dtype=float) if targeted else None
    picks = choose_placements(matrix, prices, budget, weights)
    assert spent(picks, prices) <= budget
    assert len(set(picks)) == len(picks)
    best = optimum(matrix, prices, budget, weights)
    assert coverage(matrix, picks, weights) >= GREEDY_GUARANTEE * best - 1e-9
    assert coverage(matrix, picks, weights) <= best
    table = placement_table(picks, matrix, prices, weights)
    assert (table["new_unique_audience"] > 0).all()  # never buys a placement that adds nobody
    assert (table["cumulative_cost"] <= budget).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=8), st.integers(1, 20), st.integers(0, 8))
def test_optimal_where_greedy_is_optimal(sizes, price, slots):
    """Disjoint audiences at one price: the best plan is the largest audiences that fit, and greedy finds it."""
    audiences, start = [], 0
    for size in sizes:
        audiences.append(set(range(start, start + size)))
        start += size
    matrix = incidence(audiences)
    prices = [price] * len(sizes)
    budget = price * slots + price // 2  # room for `slots` placements and change
    picks = choose_placements(matrix, prices, budget)
    assert coverage(matrix, picks) == optimum(matrix, prices, budget) == sum(sorted(sizes)[::-1][:slots])


def test_single_best_placement_beats_greedy_when_it_reaches_more():
    # Greedy takes the cheap small audience (2 per unit) and then cannot afford the big one (1 per unit).
    matrix = incidence([{0, 1}, set(range(2, 12))])
    assert greedy(matrix, [1, 10], 10) == [0]
    assert best_single(matrix, [1, 10], 10) == [1]
    assert choose_placements(matrix, [1, 10], 10) == [1]


def test_lazy_greedy_equals_plain_greedy():
    rng = np.random.default_rng(11)
    for _ in range(30):
        matrix = sp.csr_array((rng.random((12, 40)) < 0.2).astype(np.int32))
        prices = rng.integers(1, 9, 12).tolist()
        budget = int(rng.integers(5, 30))
        plain, covered, left = [], np.zeros(40, dtype=bool), budget
        while True:
            options = []
            for row in range(12):
                members = matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]
                gain = int((~covered[members]).sum())
                if row not in plain and gain > 0 and prices[row] <= left:
                    options.append((-gain / prices[row], -gain, row))
            if not options:
                break
            row = min(options)[2]
            plain.append(row)
            covered[matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]] = True
            left -= prices[row]
        assert greedy(matrix, prices, budget) == plain


def test_an_account_that_adds_nothing_is_never_bought():
    matrix = incidence([{0, 1, 2}, {0, 1, 2}, {1}, set(), {3}])
    picks = choose_placements(matrix, [1, 1, 1, 1, 1], 100)
    assert picks == [0, 4]


def test_budget_is_exact_in_decimals():
    matrix = incidence([{0}, {1}, {2}])
    picks = greedy(matrix, [0.1, 0.2, 0.3], 0.3)
    assert sorted(picks) in ([0, 1], [2])  # 0.1 + 0.2 fills 0.3 exactly, whatever floats say
    assert spent(picks, [0.1, 0.2, 0.3]) <= Decimal("0.3")
    assert greedy(matrix, [0.1, 0.2, 0.3], 0.05) == []


def test_placement_table_and_comparison():
    matrix = incidence([{0, 1, 2, 3}, {3, 4}, {0, 1}])
    table = placement_table([0, 1], matrix, [100, 50])
    assert table["new_unique_audience"].tolist() == [4, 1]
    assert table["cumulative_unique_audience"].tolist() == [4, 5]
    assert table["cumulative_cost"].tolist() == [100, 150]
    assert table["cost_per_1000_unique"].tolist() == [25_000, 50_000]
    compared = compare_strategies({"plan": [0, 1], "both small": [1, 2]}, matrix, [100, 50, 10])
    assert compared["unique_audience"].tolist() == [5, 4]
    assert compared["cost"].tolist() == [150, 60]


def test_fill_in_order_skips_what_no_longer_fits():
    assert fill_in_order([2, 0, 1], [5, 1, 8], 10) == [2, 1]  # row 0 (5) no longer fits after row 2 (8)
    assert fill_in_order([0, 1, 2], [5, 6, 5], 10) == [0, 2]


def test_expected_reach_views_else_followers_times_the_platform_rate():
    metrics = pd.DataFrame({
        "platform": ["tg", "tg", "tg", "vk", "vk"],
        "followers": [1000, 2000, 5000, 100, None],
        "median_views": [100, 400, None, None, None],
        "reach_rate": [0.1, 0.2, None, None, None],
    })
    reach = expected_reach(metrics)
    assert reach[:3].tolist() == pytest.approx([100, 400, 5000 * 0.15])  # the median of 0.1 and 0.2
    assert reach[3:].isna().all()  # no views anywhere on vk: no rate to apply
