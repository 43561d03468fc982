"""Placement planning: which paid placements reach the most distinct people within a budget. Pure.

Choosing placements S with ``Σ price(S) ≤ budget`` that maximise the audience they reach together,
``f(S) = Σ w(m)`` over the members m of ``∪_{A∈S} A`` (``w = 1`` for the unique audience; ``w = 1`` on
the target audience and 0 elsewhere for the unique target audience), is budgeted maximum coverage:
NP-hard, and f is monotone submodular (a placement adds less the more is already covered). The
classic answer (Khuller, Moss & Naor 1999; Leskovec et al. 2007) is to take the better of

- greedy by marginal gain per price: repeatedly add the placement with the largest
  ``(f(S ∪ {A}) − f(S)) / price(A)`` among those that still fit the budget, and
- the single affordable placement with the largest ``f({A})``,

which is guaranteed at least ``(1 − 1/e) / 2 ≈ 31.6%`` of the optimum (in practice usually near it).
Greedy is evaluated lazily: a placement's last computed gain bounds its current one (submodularity),
so only the placement on top of the queue is recomputed.

Money is added up in decimals, so prices such as 0.1 + 0.2 fill a budget of 0.3 exactly and the
budget is never exceeded by a rounding error.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ranking.engagement import PAGE_COLUMNS
from ranking.frames import Frames
from ranking.overlap import Audiences, candidate_matrix, followers_and_coverage, sample_note

#: Plan table column → what it means. Exports write this next to the table.
PLAN_COLUMNS: dict[str, str] = {
    "order": "Order in which the planner chose the placement (1 = best gain per price).",
    **{k: PAGE_COLUMNS[k] for k in ("platform", "handle")},
    "price": "Price of the placement, from the prices file.",
    "expected_reach": "Views to expect: the prices file's expected_reach, else median views per post, else "
                      "followers × the platform's median reach rate (median views / followers).",
    "new_unique_audience": "Stored audience members (target members with --goal target) this placement reaches "
                           "that no earlier placement of the plan reaches.",
    "cumulative_unique_audience": "Distinct stored audience members (or target members) reached by the plan so far.",
    "cumulative_cost": "Sum of the prices so far; never above the budget.",
    "cost_per_1000_unique": "price × 1000 / new_unique_audience: what each thousand new people cost with this "
                            "placement.",
}

GREEDY_GUARANTEE = (1 - 1 / np.e) / 2


def money(value) -> Decimal:
    """A price or budget as the decimal it was written as (``repr`` of a float is its shortest spelling)."""
    return Decimal(repr(float(value)))


def _members(matrix: sp.csr_array, row: int) -> np.ndarray:
    return matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]


def _worth(members: np.ndarray, weights: np.ndarray | None) -> float:
    return float(members.size) if weights is None else float(weights[members].sum())


def coverage(matrix: sp.csr_array, picks: Sequence[int], weights: np.ndarray | None = None) -> float:
    """``f(S) = Σ w(m)`` over the members of the union of the picked rows (``w = 1`` when None)."""
    covered = np.zeros(matrix.shape[1], dtype=bool)
    for row in picks:
        covered[_members(matrix, row)] = True
    return float(covered.sum()) if weights is None else float(np.asarray(weights, dtype=np.float64)[covered].sum())


def _initial_gains(matrix: sp.csr_array, weights: np.ndarray | None) -> np.ndarray:
    if weights is None:
        return np.diff(matrix.indptr).astype(np.float64)
    return matrix @ np.asarray(weights, dtype=np.float64)


def greedy(matrix: sp.csr_array, prices: Sequence[float], budget: float,
           weights: np.ndarray | None = None) -> list[int]:
    """Rows chosen by lazy greedy on marginal gain per price, in the order chosen.

    Each step adds the row maximising ``gain / price`` among rows whose price fits the money left
    (ties: larger gain, then lower row number); a row that adds nothing is never added. Prices must be
    positive.
    """
    prices_exact = [money(p) for p in prices]
    left = money(budget)
    weights = None if weights is None else np.asarray(weights, dtype=np.float64)
    covered = np.zeros(matrix.shape[1], dtype=bool)
    # Queue keys (−gain/price, −gain, row): the smallest key is the best row; a stale gain bounds the true one.
    queue = [(-g / float(prices_exact[r]), -g, r) for r, g in enumerate(_initial_gains(matrix, weights))
             if g > 0 and prices_exact[r] <= left]
    heapq.heapify(queue)
    picks: list[int] = []
    while queue:
        _, _, row = heapq.heappop(queue)
        if prices_exact[row] > left:
            continue  # the money left only shrinks: it will never fit again
        members = _members(matrix, row)
        fresh = members[~covered[members]]
        gain = _worth(fresh, weights)
        if gain <= 0:
            continue  # coverage only grows: it will never add anything again
        key = (-gain / float(prices_exact[row]), -gain, row)
        if queue and key > queue[0]:
            heapq.heappush(queue, key)  # another row's bound is better: look at it first
            continue
        picks.append(row)
        covered[fresh] = True
        left -= prices_exact[row]
    return picks


def best_single(matrix: sp.csr_array, prices: Sequence[float], budget: float,
                weights: np.ndarray | None = None) -> list[int]:
    """The one affordable row reaching the most (ties: cheaper, then lower row number); [] if none adds anything."""
    gains = _initial_gains(matrix, weights)
    limit = money(budget)
    best = None
    for row, gain in enumerate(gains):
        if gain <= 0 or money(prices[row]) > limit:
            continue
        key = (-gain, money(prices[row]), row)
        best = key if best is None or key < best else best
    return [] if best is None else [best[2]]


def choose_placements(matrix: sp.csr_array, prices: Sequence[float], budget: float,
                      weights: np.ndarray | None = None) -> list[int]:
    """The better of :func:`greedy` and :func:`best_single` (greedy on a tie): ≥ (1 − 1/e)/2 of the optimum."""
    planned = greedy(matrix, prices, budget, weights)
    single = best_single(matrix, prices, budget, weights)
    return single if coverage(matrix, single, weights) > coverage(matrix, planned, weights) else planned


def fill_in_order(order: Sequence[int], prices: Sequence[float], budget: float) -> list[int]:
    """Rows taken in the given order while the budget lasts, skipping any that no longer fit (the usual
    "top N by score until the money runs out")."""
    left = money(budget)
    picks = []
    for row in order:
        if money(prices[row]) <= left:
            picks.append(int(row))
            left -= money(prices[row])
    return picks


def placement_table(picks: Sequence[int], matrix: sp.csr_array, prices: Sequence[float],
                    weights: np.ndarray | None = None) -> pd.DataFrame:
    """One line per picked row, in order: ``row``, ``order``, ``price``, ``new_unique_audience``,
    ``cumulative_unique_audience``, ``cumulative_cost`` and ``cost_per_1000_unique`` (see PLAN_COLUMNS)."""
    covered = np.zeros(matrix.shape[1], dtype=bool)
    weights = None if weights is None else np.asarray(weights, dtype=np.float64)
    records, total, spent = [], 0.0, Decimal(0)
    for n, row in enumerate(picks, start=1):
        members = _members(matrix, row)
        fresh = members[~covered[members]]
        covered[fresh] = True
        gain = _worth(fresh, weights)
        total += gain
        spent += money(prices[row])
        price = float(prices[row])
        records.append({
            "row": int(row), "order": n, "price": price, "new_unique_audience": int(gain),
            "cumulative_unique_audience": int(total), "cumulative_cost": float(spent),
            "cost_per_1000_unique": price * 1000 / gain if gain > 0 else np.nan,
        })
    columns = ["row", "order", "price", "new_unique_audience", "cumulative_unique_audience", "cumulative_cost",
               "cost_per_1000_unique"]
    return pd.DataFrame.from_records(records, columns=columns)


def compare_strategies(strategies: dict[str, Sequence[int]], matrix: sp.csr_array, prices: Sequence[float],
                       weights: np.ndarray | None = None) -> pd.DataFrame:
    """For each named selection of rows: ``placements``, ``cost``, ``unique_audience = f(S)`` and
    ``cost_per_1000_unique = cost × 1000 / unique_audience``."""
    records = []
    for name, picks in strategies.items():
        cost = float(sum((money(prices[r]) for r in picks), Decimal(0)))
        reached = coverage(matrix, picks, weights)
        records.append({"strategy": name, "placements": len(picks), "cost": cost, "unique_audience": int(reached),
                        "cost_per_1000_unique": cost * 1000 / reached if reached > 0 else np.nan})
    return pd.DataFrame.from_records(
        records, columns=["strategy", "placements", "cost", "unique_audience", "cost_per_1000_unique"])


def expected_reach(metrics: pd.DataFrame) -> pd.Series:
    """Views a placement can expect: ``median_views`` where the platform shows views, else
    ``followers × median(reach_rate)`` over the accounts of the same platform that have one (the
    platform's typical share of followers who see a post); NaN when neither is known.

    ``metrics`` has platform, followers, median_views and reach_rate (the shortlist's columns).
    """
    rate = metrics["reach_rate"].astype("float64")
    platform_rate = rate.groupby(metrics["platform"]).transform("median")
    estimate = metrics["followers"].astype("float64") * platform_rate
    return metrics["median_views"].astype("float64").fillna(estimate)


@dataclass(frozen=True)
class Plan:
    """What ``pagescout plan`` shows: the ``PLAN_COLUMNS`` table, its ``comparison`` with buying the top
    pages by score and by followers until the budget runs out, and notes (``notes`` before the table,
    ``sample_note`` after it, when the chosen audiences are samples)."""

    table: pd.DataFrame
    comparison: pd.DataFrame
    notes: list[str]
    sample_note: str | None


def plan_placements(frames: Frames, audiences: Audiences, placements: pd.DataFrame, budget: float,
                    target: np.ndarray | None = None, targets: Sequence[tuple[str, str]] = (),
                    kind_text: str = "") -> Plan:
    """Choose placements within ``budget`` (``choose_placements``) and compare with two baselines.

    ``placements`` is the prices file as ``sheets.readers.read_prices`` reads it (platform, handle, price,
    expected_reach). With ``target`` (a mask over member columns, ``ranking.overlap.target_mask``) only
    target members count; the ``targets`` accounts are never bought. ``frames`` holds the accounts, posts
    and links the baselines rank by (``ranking.shortlist``); ``kind_text`` names the audience kind in notes.
    """
    from ranking.shortlist import shortlist

    notes = []
    if targets:  # the client's own and competitors' pages are what the plan measures against, never bought
        own = set(targets)
        is_target = [(p, h) in own for p, h in zip(placements["platform"], placements["handle"])]
        if any(is_target):
            notes.append(f"note: {sum(is_target)} priced target account(s) left out: a target is not a placement")
            placements = placements[[not t for t in is_target]].reset_index(drop=True)
    placements = placements.copy()
    keys = list(zip(placements["platform"], placements["handle"]))
    matrix, has_audience = candidate_matrix(audiences, keys)
    weights = None if target is None else np.asarray(target, dtype=np.float64)
    without = [f"{p}:{h}" for (p, h), ok in zip(keys, has_audience) if not ok]
    if without:
        notes.append(f"note: {len(without)} priced account(s) have no stored audience{kind_text} and cannot add "
                     f"unique audience: {', '.join(without[:5])}{' …' if len(without) > 5 else ''}")

    ranked = shortlist(Frames(frames.accounts, frames.posts, frames.links))
    ranked = ranked.assign(expected_reach=expected_reach(ranked).to_numpy()).set_index(["platform", "handle"])
    index = pd.MultiIndex.from_tuples(keys, names=["platform", "handle"])
    reach = ranked["expected_reach"].reindex(index).to_numpy(dtype="float64")
    placements["expected_reach"] = placements["expected_reach"].fillna(pd.Series(reach, index=placements.index))
    prices = placements["price"].tolist()

    picks = choose_placements(matrix, prices, budget, weights)
    plan = placement_table(picks, matrix, prices, weights)
    chosen = placements.iloc[plan["row"].to_numpy()].reset_index(drop=True) if len(plan) else placements.iloc[:0]
    table = pd.DataFrame({
        "order": plan["order"], "platform": chosen["platform"], "handle": chosen["handle"], "price": plan["price"],
        "expected_reach": np.floor(chosen["expected_reach"].to_numpy(dtype="float64") + 0.5),  # whole people
        "new_unique_audience": plan["new_unique_audience"],
        "cumulative_unique_audience": plan["cumulative_unique_audience"], "cumulative_cost": plan["cumulative_cost"],
        "cost_per_1000_unique": plan["cost_per_1000_unique"].round(2),
    }).reindex(columns=list(PLAN_COLUMNS))

    score = ranked["score"].reindex(index).to_numpy(dtype="float64")
    followers = ranked["followers"].reindex(index).to_numpy(dtype="float64")
    stored = frames.accounts.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["followers"]
    followers = np.where(np.isnan(followers), stored.reindex(index).to_numpy(dtype="float64"), followers)
    by_score = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(score[r], nan=-1), -np.nan_to_num(
        followers[r], nan=-1), r))
    by_followers = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(followers[r], nan=-1), r))
    comparison = compare_strategies({
        "this plan": picks,
        "top by score until the budget": fill_in_order(by_score, prices, budget),
        "top by followers until the budget": fill_in_order(by_followers, prices, budget),
    }, matrix, prices, weights)

    labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    sizes = np.diff(matrix.indptr)[plan["row"].to_numpy()] if len(plan) else np.empty(0)
    _, chosen_coverage = followers_and_coverage(table[["platform", "handle"]], frames.accounts, sizes)
    return Plan(table, comparison, notes,
                sample_note(labels, chosen_coverage, "new_unique_audience and the comparison"))
