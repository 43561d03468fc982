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
    "cpm": "price × 1000 / expected_reach: what a thousand views cost with this placement.",
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
    r"""The audience the picked rows reach together: each member of their union counted once, by its weight.

    .. math::

        f(S) = \sum_{m \in \bigcup_{A \in S} A} w(m)

    with ``w = 1`` when ``weights`` is None (the unique audience ``|∪ A|``), or 1 on the target
    audience and 0 elsewhere (the unique target audience).

    Parameters
    ----------
    matrix : csr_array
        0/1 placements × members.
    picks : sequence of int
        The rows of S.
    weights : ndarray, optional
        ``w(m)`` per member column.

    Returns
    -------
    float

    Examples
    --------
    >>> # A = members 0–5, B = 6–7, C = 5–6
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0]]))
    >>> coverage(M, [1, 2]), coverage(M, [0, 2])  # B ∪ C = {5, 6, 7}; A ∪ C = {0, …, 6}
    (3.0, 7.0)
    >>> coverage(M, [0, 1, 2], weights=np.array([0, 0, 0, 0, 0, 1, 1, 1]))  # only members 5–7 count
    3.0

    References
    ----------
    .. [1] Khuller, S., Moss, A., Naor, J. (1999). The budgeted maximum coverage problem. Information
       Processing Letters 70(1), 39–45.
    """
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
    r"""Rows chosen by lazy greedy on marginal gain per price, in the order chosen.

    Each step adds the row maximising ``gain / price`` among rows whose price fits the money left
    (ties: larger gain, then lower row number); a row that adds nothing is never added. Prices must be
    positive. With f the :func:`coverage` and B the budget:

    .. math::

        S \leftarrow S \cup \Big\{ \operatorname*{arg\,max}_{A \notin S,\ \mathrm{price}(A) \le B - \mathrm{price}(S)}
        \frac{f(S \cup \{A\}) - f(S)}{\mathrm{price}(A)} \Big\}

    Lazy (Minoux): a row's last computed gain bounds its current one, since f is submodular, so only
    the row on top of the queue is recomputed.

    Parameters
    ----------
    matrix : csr_array
        0/1 placements × members.
    prices : sequence of float
        Price of each row, > 0.
    budget : float
        Money to spend; added up in decimals, never exceeded.
    weights : ndarray, optional
        ``w(m)`` per member column (see :func:`coverage`).

    Returns
    -------
    list of int
        The rows, in the order chosen.

    Examples
    --------
    >>> # A = members 0–5 for 6, B = 6–7 for 1, C = 5–6 for 1
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0]]))
    >>> greedy(M, [6, 1, 1], 7)  # B (2 per unit of money), then A (6/6 beats C's 1/1 on gain)
    [1, 0]
    >>> greedy(M, [6, 1, 1], 6)  # after B, A no longer fits: 3 members where A alone reaches 6
    [1, 2]

    References
    ----------
    .. [1] Khuller, S., Moss, A., Naor, J. (1999). The budgeted maximum coverage problem. Information
       Processing Letters 70(1), 39–45.
    .. [2] Minoux, M. (1978). Accelerated greedy algorithms for maximizing submodular set functions.
       Optimization Techniques, LNCS 7, 234–243.
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
    r"""The one affordable row reaching the most (ties: cheaper, then lower row number); [] if none adds anything.

    .. math::

        A^* = \operatorname*{arg\,max}_{A:\ \mathrm{price}(A) \le B} f(\{A\})

    with f the :func:`coverage` and B the budget.

    Parameters
    ----------
    matrix : csr_array
        0/1 placements × members.
    prices : sequence of float
        Price of each row.
    budget : float
        Money to spend.
    weights : ndarray, optional
        ``w(m)`` per member column (see :func:`coverage`).

    Returns
    -------
    list of int
        ``[A*]``, or ``[]``.

    Examples
    --------
    >>> # A = members 0–5 for 6, B = 6–7 for 1, C = 5–6 for 1
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0]]))
    >>> best_single(M, [6, 1, 1], 6), best_single(M, [6, 1, 1], 5), best_single(M, [6, 1, 1], 0.5)
    ([0], [1], [])

    References
    ----------
    .. [1] Khuller, S., Moss, A., Naor, J. (1999). The budgeted maximum coverage problem. Information
       Processing Letters 70(1), 39–45.
    """
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
    r"""The better of :func:`greedy` and :func:`best_single` (greedy on a tie): ≥ (1 − 1/e)/2 of the optimum.

    .. math::

        S = \operatorname*{arg\,max}_{S' \in \{S_\mathrm{greedy},\ \{A^*\}\}} f(S'), \qquad
        f(S) \ge \frac{1 - 1/e}{2} \max_{\mathrm{price}(S') \le B} f(S') \approx 0.316 \cdot \mathrm{OPT}

    (:data:`GREEDY_GUARANTEE`), f the :func:`coverage`: budgeted maximum coverage.

    Parameters
    ----------
    matrix : csr_array
        0/1 placements × members.
    prices : sequence of float
        Price of each row, > 0.
    budget : float
        Money to spend; never exceeded.
    weights : ndarray, optional
        ``w(m)`` per member column (see :func:`coverage`).

    Returns
    -------
    list of int
        The rows to buy, in the order chosen.

    Examples
    --------
    >>> # A = members 0–5 for 6, B = 6–7 for 1, C = 5–6 for 1
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0]]))
    >>> choose_placements(M, [6, 1, 1], 6)  # A alone (6 members) beats greedy's B, C (3)
    [0]
    >>> choose_placements(M, [6, 1, 1], 7)  # greedy's B, A reaches all 8
    [1, 0]

    References
    ----------
    .. [1] Khuller, S., Moss, A., Naor, J. (1999). The budgeted maximum coverage problem. Information
       Processing Letters 70(1), 39–45.
    .. [2] Leskovec, J., Krause, A., Guestrin, C., Faloutsos, C., VanBriesen, J., Glance, N. (2007).
       Cost-effective outbreak detection in networks. KDD 2007, 420–429.
    """
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
    r"""One line per picked row, in order: ``row``, ``order``, ``price``, ``new_unique_audience``,
    ``cumulative_unique_audience``, ``cumulative_cost`` and ``cost_per_1000_unique`` (see PLAN_COLUMNS).

    With ``S_k`` the first k picks and f the :func:`coverage`:

    .. math::

        \mathrm{new}_k = f(S_k) - f(S_{k-1}), \qquad
        \mathrm{cumulative}_k = f(S_k), \qquad
        \mathrm{cost}_k = \sum_{j \le k} \mathrm{price}_j, \qquad
        \mathrm{cost\_per\_1000}_k = \frac{1000 \cdot \mathrm{price}_k}{\mathrm{new}_k}

    (NaN where a pick adds nothing).

    Parameters
    ----------
    picks : sequence of int
        Rows, in the order bought.
    matrix : csr_array
        0/1 placements × members.
    prices : sequence of float
        Price of each row.
    weights : ndarray, optional
        ``w(m)`` per member column (see :func:`coverage`).

    Returns
    -------
    DataFrame
        The columns above, one row per pick.

    Examples
    --------
    >>> # A = members 0–5 for 6, B = 6–7 for 1, C = 5–6 for 1
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0]]))
    >>> table = placement_table([1, 2], M, [6, 1, 1])  # B, then C: only member 5 is new
    >>> table[["row", "new_unique_audience", "cumulative_unique_audience", "cost_per_1000_unique"]]
       row  new_unique_audience  cumulative_unique_audience  cost_per_1000_unique
    0    1                    2                           2                 500.0
    1    2                    1                           3                1000.0
    >>> table["cumulative_cost"].tolist()
    [1.0, 2.0]
    """
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
    r"""For each named selection of rows: ``placements``, ``cost``, ``unique_audience = f(S)`` and
    ``cost_per_1000_unique = cost × 1000 / unique_audience``.

    .. math::

        \mathrm{cost}(S) = \sum_{A \in S} \mathrm{price}(A), \qquad
        \mathrm{unique\_audience}(S) = f(S), \qquad
        \mathrm{cost\_per\_1000\_unique}(S) = \frac{1000 \cdot \mathrm{cost}(S)}{f(S)}

    with f the :func:`coverage` (NaN where f(S) = 0); costs are added up in decimals.

    Parameters
    ----------
    strategies : dict of str to sequence of int
        Name → the rows it buys.
    matrix : csr_array
        0/1 placements × members.
    prices : sequence of float
        Price of each row.
    weights : ndarray, optional
        ``w(m)`` per member column (see :func:`coverage`).

    Returns
    -------
    DataFrame
        strategy, placements, cost, unique_audience, cost_per_1000_unique; one row per strategy.

    Examples
    --------
    >>> # A = members 0–5 for 6, B = 6–7 for 1, C = 5–6 for 1
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1, 1, 0]]))
    >>> compare_strategies({"greedy": [1, 2], "best single": [0]}, M, [6, 1, 1]).round(2)
          strategy  placements  cost  unique_audience  cost_per_1000_unique
    0       greedy           2   2.0                3                666.67
    1  best single           1   6.0                6               1000.00
    """
    records = []
    for name, picks in strategies.items():
        cost = float(sum((money(prices[r]) for r in picks), Decimal(0)))
        reached = coverage(matrix, picks, weights)
        records.append({"strategy": name, "placements": len(picks), "cost": cost, "unique_audience": int(reached),
                        "cost_per_1000_unique": cost * 1000 / reached if reached > 0 else np.nan})
    return pd.DataFrame.from_records(
        records, columns=["strategy", "placements", "cost", "unique_audience", "cost_per_1000_unique"])


def expected_reach(metrics: pd.DataFrame) -> pd.Series:
    r"""Views a placement can expect: ``median_views`` where the platform shows views, else
    ``followers × median(reach_rate)`` over the accounts of the same platform that have one (the
    platform's typical share of followers who see a post); NaN when neither is known.

    .. math::

        \mathrm{expected\_reach}(a) = \begin{cases} \mathrm{median\_views}(a) & \text{if known} \\
        \mathrm{followers}(a) \cdot \operatorname{median}_{b \in P(a)} \mathrm{reach\_rate}(b) & \text{otherwise}
        \end{cases}

    with ``P(a)`` the accounts of a's platform that have a reach rate (TGStat's ERR, median views /
    followers).

    Parameters
    ----------
    metrics : DataFrame
        platform, followers, median_views and reach_rate (the shortlist's columns).

    Returns
    -------
    Series
        float, aligned with ``metrics``.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": ["vk", "vk", "vk", "telegram"], "followers": [1000, 500, 2000, 800],
    ...                         "median_views": [300, 50, None, None], "reach_rate": [0.3, 0.1, None, None]})
    >>> expected_reach(metrics).tolist()  # vk's median rate 0.2, so 2000 · 0.2; telegram has no rate
    [300.0, 50.0, 400.0, nan]

    References
    ----------
    .. [1] TGStat, "ERR" (share of the subscribers who view a post: views / subscribers), tgstat.ru/docs.
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
    #: Each strategy's purchases in order (strategy, order, platform, handle, cumulative_cost,
    #: cumulative_unique_audience), from (0, 0): the report draws reach against money from it.
    curves: pd.DataFrame | None = None


def plan_placements(frames: Frames, audiences: Audiences, placements: pd.DataFrame, budget: float,
                    target: np.ndarray | None = None, targets: Sequence[tuple[str, str]] = (),
                    kind_text: str = "") -> Plan:
    r"""Choose placements within ``budget`` (``choose_placements``) and compare with two baselines.

    ``placements`` is the prices file as ``sheets.readers.read_prices`` reads it (platform, handle, price,
    expected_reach). With ``target`` (a mask over member columns, ``ranking.overlap.target_mask``) only
    target members count; the ``targets`` accounts are never bought. ``frames`` holds the accounts, posts
    and links the baselines rank by (``ranking.shortlist``); ``kind_text`` names the audience kind in notes.

    Budgeted maximum coverage over the priced placements P with stored audiences A, solved by
    :func:`choose_placements`:

    .. math::

        \max_{S \subseteq P} f(S) = \sum_{m \in \bigcup_{A \in S} A} w(m)
        \quad \text{subject to} \quad \sum_{A \in S} \mathrm{price}(A) \le B

    with ``w = 1`` (unique audience) or ``w = [m ∈ T]`` (unique target audience). The baselines buy the
    top pages by score, and by followers, in that order until the budget runs out (:func:`fill_in_order`);
    :func:`compare_strategies` sets the three side by side. A price file's empty ``expected_reach`` is
    filled with :func:`expected_reach`.

    Parameters
    ----------
    frames : Frames
        The store's accounts, posts and links (and follower counts for the sample note).
    audiences : Audiences
        The stored audiences.
    placements : DataFrame
        platform, handle, price, expected_reach (may be empty) of each placement on offer.
    budget : float
        Money to spend; never exceeded.
    target : ndarray of bool, optional
        The target audience T per member column; only its members count.
    targets : sequence of (platform, handle)
        Accounts T was built from: never bought.
    kind_text : str
        The audience kind, for the notes.

    Returns
    -------
    Plan
        ``table`` (the ``PLAN_COLUMNS``), ``comparison`` (this plan and the two baselines), ``notes``
        and ``sample_note``.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 8, 9]}))
    >>> accounts = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c"], "followers": [4, 3, 2], "status": "ok"})
    >>> posts = pd.DataFrame({"platform": "vk", "account": ["a", "b", "c"], "post_id": "1", "views": [3, 2, 1],
    ...                       "published_at": pd.Timestamp("2026-01-01"), "likes": 1, "comments": 0, "reposts": 0})
    >>> prices = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c"], "price": 50.0, "expected_reach": None})
    >>> plan = plan_placements(Frames(accounts, posts), audiences, prices, budget=100)
    >>> plan.table["handle"].tolist(), plan.table["new_unique_audience"].tolist()  # b would add only member 5
    (['a', 'c'], [4, 2])
    >>> plan.comparison[["strategy", "cost", "unique_audience"]]  # both baselines buy a and b
                                strategy   cost  unique_audience
    0                          this plan  100.0                6
    1      top by score until the budget  100.0                5
    2  top by followers until the budget  100.0                5

    References
    ----------
    .. [1] Khuller, S., Moss, A., Naor, J. (1999). The budgeted maximum coverage problem. Information
       Processing Letters 70(1), 39–45.
    .. [2] Leskovec, J., Krause, A., Guestrin, C., Faloutsos, C., VanBriesen, J., Glance, N. (2007).
       Cost-effective outbreak detection in networks. KDD 2007, 420–429.
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
    with np.errstate(invalid="ignore", divide="ignore"):
        reach = table["expected_reach"].to_numpy(dtype="float64")
        table["cpm"] = np.where(reach > 0, 1000 * table["price"].to_numpy(dtype="float64") / reach, np.nan).round(2)

    score = ranked["score"].reindex(index).to_numpy(dtype="float64")
    followers = ranked["followers"].reindex(index).to_numpy(dtype="float64")
    stored = frames.accounts.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["followers"]
    followers = np.where(np.isnan(followers), stored.reindex(index).to_numpy(dtype="float64"), followers)
    by_score = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(score[r], nan=-1), -np.nan_to_num(
        followers[r], nan=-1), r))
    by_followers = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(followers[r], nan=-1), r))
    strategies = {
        "this plan": picks,
        "top by score until the budget": fill_in_order(by_score, prices, budget),
        "top by followers until the budget": fill_in_order(by_followers, prices, budget),
    }
    comparison = compare_strategies(strategies, matrix, prices, weights)

    labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    sizes = np.diff(matrix.indptr)[plan["row"].to_numpy()] if len(plan) else np.empty(0)
    _, chosen_coverage = followers_and_coverage(table[["platform", "handle"]], frames.accounts, sizes)
    return Plan(table, comparison, notes,
                sample_note(labels, chosen_coverage, "new_unique_audience and the comparison"),
                strategy_curves(strategies, matrix, prices, weights, placements))


def strategy_curves(strategies: dict[str, Sequence[int]], matrix: sp.csr_array, prices: Sequence[float],
                    weights: np.ndarray | None, placements: pd.DataFrame) -> pd.DataFrame:
    """Each strategy's :func:`placement_table` in long form, each starting from nothing bought (order 0)."""
    parts = []
    for name, picks in strategies.items():
        steps = placement_table(picks, matrix, prices, weights)
        bought = placements.iloc[steps["row"].to_numpy()] if len(steps) else placements.iloc[:0]
        parts.append(pd.DataFrame({
            "strategy": name, "order": [0, *steps["order"]], "platform": [None, *bought["platform"]],
            "handle": [None, *bought["handle"]], "cumulative_cost": [0.0, *steps["cumulative_cost"]],
            "cumulative_unique_audience": [0, *steps["cumulative_unique_audience"]]}))
    return pd.concat(parts, ignore_index=True)
