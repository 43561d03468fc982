"""The ranking score: a weighted mean of within-platform percentile ranks.

``score = 100 × Σ wᵢ·pᵢ / Σ wᵢ`` over the components an account has, where ``pᵢ`` is the account's
percentile rank for component i among the accounts of the same platform (``rank(pct=True)``: the share
of accounts at or below it, ties averaged). An account lacking a component that its platform's peers
have gets the neutral 0.5 for it, so missing data neither sinks nor lifts it; a component no account
of the platform has (Telegram channels that hide reactions, say) is left out of both sums.

Components and default weights:

- ``reach`` (0.40): ``median_views``, or ``followers`` when the platform shows no views;
- ``engagement`` (0.35): ``er_views``, or ``er_followers`` when views are unknown;
- ``citations`` (0.25): distinct accounts citing it;
- ``quality`` (0.15): audience and engagement quality 0–100 (ranking/quality.py); left out, like any
  component, on a platform where no account has it (Telegram without enough peers, say).

Percentiles never compare across platforms: a Telegram channel and a VK group each rank among peers.

Score v2 (a brief, or keywords, is given: ``pagescout export --brief``) adds components, each used only
where its column is present and non-empty (so without them the v1 score above is unchanged):

- ``relevance``: the ``relevance`` column (ranking/relevance.py, 0–1 match with the brief's keywords);
- ``authority``: the mean of the within-platform percentiles of ``pagerank`` and ``citation_index``
  (ranking/graph.py), whichever are present;
- ``affinity``: the ``affinity`` column (ranking/overlap.py, audience affinity with the target).

with the default weights :data:`V2_WEIGHTS` (relevance 0.30, reach 0.20, engagement 0.20,
authority 0.15, affinity 0.15); a brief's ``[weights]`` replace the defaults they name
(:func:`brief_weights`). :func:`why` names the components that lifted or sank each account, and
:func:`apply_filters` drops the accounts a brief's filters exclude, before ranking.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

# quality: audience quality (ranking/quality.py); left out where the frame lacks it.
DEFAULT_WEIGHTS: dict[str, float] = {"reach": 0.40, "engagement": 0.35, "citations": 0.25, "quality": 0.15}
#: Score v2 defaults, used when a brief (or keywords) is given; components absent from the frame drop out.
V2_WEIGHTS: dict[str, float] = {"relevance": 0.30, "reach": 0.20, "engagement": 0.20, "authority": 0.15,
                                "affinity": 0.15}
#: Components a brief may weigh that other modules add as frame columns (ranking/quality.py's 0–100
#: ``quality``): :func:`score` takes the column as it is when :func:`components` does not produce it.
FRAME_COMPONENTS = ("quality",)


def components(metrics: pd.DataFrame) -> pd.DataFrame:
    r"""The raw value behind each score component, with the documented fallbacks.

    .. math::

        \mathrm{reach} = \begin{cases} \mathrm{median\_views} & \text{if known} \\
        \mathrm{followers} & \text{otherwise} \end{cases}, \qquad
        \mathrm{engagement} = \begin{cases} \mathrm{er\_views} & \text{if known} \\
        \mathrm{er\_followers} & \text{otherwise} \end{cases}

    ``citations`` and ``quality`` are their columns as they are (``quality`` NaN where the frame lacks
    it), and relevance, authority and affinity come from :func:`v2_components`.

    Parameters
    ----------
    metrics : DataFrame
        Account metrics (ranking.engagement.account_metrics, with any of quality, pagerank,
        citation_index, relevance, affinity).

    Returns
    -------
    DataFrame
        reach, engagement, citations, quality, relevance, authority, affinity; index of ``metrics``.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "telegram", "handle": ["a", "b"], "followers": [1000, 5000],
    ...                         "median_views": [400.0, None], "er_views": [0.05, None],
    ...                         "er_followers": [0.02, 0.01], "citations": [3, 0]})
    >>> components(metrics)[["reach", "engagement", "citations", "quality"]]  # b: no views, followers stand in
        reach  engagement  citations  quality
    0   400.0        0.05        3.0      NaN
    1  5000.0        0.01        0.0      NaN
    """
    return _components_v1(metrics).join(v2_components(metrics))


def _components_v1(metrics: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "reach": metrics["median_views"].astype("float64").fillna(metrics["followers"].astype("float64")),
            "engagement": metrics["er_views"].astype("float64").fillna(metrics["er_followers"].astype("float64")),
            "citations": metrics["citations"].astype("float64"),
            "quality": (metrics["quality"].astype("float64") if "quality" in metrics
                        else pd.Series(np.nan, index=metrics.index)),
        },
        index=metrics.index,
    )


def v2_components(metrics: pd.DataFrame) -> pd.DataFrame:
    r"""relevance, authority and affinity (score v2): NaN throughout where their columns are absent.

    ``relevance`` and ``affinity`` are their columns as they are; ``authority`` is the mean of the
    within-platform percentiles (ranks ``pct=True``, ties averaged) of ``pagerank`` and
    ``citation_index``, over whichever the account has; an account lacking both is NaN.

    .. math::

        \mathrm{authority}(a) = \operatorname{mean}\bigl(\mathrm{pct}_P(\mathrm{pagerank}(a)),\
        \mathrm{pct}_P(\mathrm{citation\_index}(a))\bigr)

    with ``P`` the accounts of a's platform.

    Parameters
    ----------
    metrics : DataFrame
        Account metrics with platform and any of relevance, pagerank, citation_index, affinity.

    Returns
    -------
    DataFrame
        relevance, authority, affinity; index of ``metrics``.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "vk", "pagerank": [0.5, 0.2, 0.3], "citation_index": [4.0, 0.0, 1.0],
    ...                         "relevance": [0.9, 0.1, None]})
    >>> v2_components(metrics).round(3)
       relevance  authority  affinity
    0        0.9      1.000       NaN
    1        0.1      0.333       NaN
    2        NaN      0.667       NaN
    """
    def column(name: str) -> pd.Series:
        if name in metrics.columns:
            return pd.to_numeric(metrics[name], errors="coerce").astype("float64")
        return pd.Series(np.nan, index=metrics.index, dtype="float64")

    graph = pd.DataFrame({"pagerank": column("pagerank"), "citation_index": column("citation_index")})
    if "platform" in metrics.columns and not metrics.empty:
        ranks = graph.groupby(metrics["platform"].to_numpy()).rank(pct=True, method="average")
        authority = ranks.mean(axis=1, skipna=True)
    else:
        authority = pd.Series(np.nan, index=metrics.index, dtype="float64")
    return pd.DataFrame({"relevance": column("relevance"), "authority": authority, "affinity": column("affinity")},
                        index=metrics.index)


def brief_weights(weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Score v2 weights: :data:`V2_WEIGHTS`, plus any component of :data:`DEFAULT_WEIGHTS` v2 does not name
    except ``citations`` (authority includes it), with ``weights`` (a brief's ``[weights]``) replacing the
    defaults they name. A weight of 0 drops its component."""
    out = {**V2_WEIGHTS, **{k: v for k, v in DEFAULT_WEIGHTS.items() if k not in V2_WEIGHTS and k != "citations"}}
    out.update(weights or {})
    return out


#: Filter → what it keeps. A value the account lacks (unknown followers, no detected language) passes:
#: filters drop what is known to fail, not what is unknown.
FILTERS: dict[str, str] = {
    "min_followers": "followers ≥ value",
    "max_followers": "followers ≤ value",
    "min_engagement": "engagement (er_views, else er_followers; a fraction: 0.02 = 2%) ≥ value",
    "min_posts_per_week": "posts_per_week ≥ value",
    "languages": "language (ranking/relevance.py) is one of the values",
    "max_bot_share": "bot_share ≤ value, where the frame has bot_share",
    "max_ad_share": "ad_share ≤ value (a fraction: 0.3 = 30% of posts are ads), where the frame has ad_share",
}


def apply_filters(frame: pd.DataFrame, filters: Mapping | None = None) -> pd.DataFrame:
    """The rows of ``frame`` (account metrics) that pass every filter of :data:`FILTERS`, index kept.

    Unknown filter names raise ``ValueError``. A row whose value is unknown (NaN, or language ``''``)
    passes that filter; ``max_bot_share`` is skipped when the frame has no ``bot_share`` column.
    """
    filters = dict(filters or {})
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filters: {', '.join(sorted(unknown))} (known: {', '.join(FILTERS)})")
    keep = pd.Series(True, index=frame.index)

    def numbers(name: str) -> pd.Series:
        return pd.to_numeric(frame[name], errors="coerce").astype("float64") if name in frame.columns else \
            pd.Series(np.nan, index=frame.index, dtype="float64")

    engagement = numbers("er_views").fillna(numbers("er_followers"))
    bounds = {
        "min_followers": (numbers("followers"), np.greater_equal),
        "max_followers": (numbers("followers"), np.less_equal),
        "min_engagement": (engagement, np.greater_equal),
        "min_posts_per_week": (numbers("posts_per_week"), np.greater_equal),
        "max_bot_share": (numbers("bot_share"), np.less_equal),
        "max_ad_share": (numbers("ad_share"), np.less_equal),
    }
    for name, value in filters.items():
        if value is None:
            continue
        if name == "languages":
            wanted = {str(v).strip().lower() for v in value}
            if wanted and "language" in frame.columns:
                lang = frame["language"].fillna("").astype(str).str.lower()
                keep &= lang.eq("") | lang.isin(wanted)
            continue
        values, passes = bounds[name]
        keep &= values.isna() | passes(values, float(value))
    return frame[keep]


def percentiles(values: pd.DataFrame, platform: pd.Series) -> pd.DataFrame:
    r"""Within-platform percentile rank (0, 1] of each column: the share of peers at or below, ties averaged.

    For the accounts ``P`` of a platform with a value ``x`` known (``n = |P|``):

    .. math::

        p(a) = \frac{1}{n} \Bigl( \bigl|\{b \in P : x_b < x_a\}\bigr|
        + \tfrac{1}{2} \bigl( \bigl|\{b \in P : x_b = x_a\}\bigr| + 1 \bigr) \Bigr)

    (pandas' ``rank(pct=True, method="average")``). A missing value becomes the neutral 0.5 where the
    platform has the column for some account; it stays NaN where the platform has it for none.

    Parameters
    ----------
    values : DataFrame
        Raw component values (:func:`components`).
    platform : Series
        Each row's platform, aligned with ``values``.

    Returns
    -------
    DataFrame
        Percentiles, same shape as ``values``.

    Examples
    --------
    >>> values = pd.DataFrame({"reach": [400.0, None, 90.0, 120.0, 70.0], "affinity": np.nan}, index=list("abcde"))
    >>> platform = pd.Series(["vk", "vk", "vk", "vk", "x"], index=values.index)
    >>> percentiles(values, platform).round(3)  # b: unknown, neutral; e: alone on its platform
       reach  affinity
    a  1.000       NaN
    b  0.500       NaN
    c  0.333       NaN
    d  0.667       NaN
    e  1.000       NaN
    """
    groups = platform.to_numpy()
    pct = values.groupby(groups).rank(pct=True, method="average")
    known_on_platform = values.notna().groupby(groups).transform("any")
    return pct.where(pct.notna() | ~known_on_platform, 0.5)


#: A component is named in ``why`` when it moves the score by at least this many points (of 100).
WHY_MIN_POINTS = 0.5
#: Components named in ``why`` at most.
WHY_MAX = 3


def why(pct: pd.DataFrame, raw: pd.DataFrame, weights: Mapping[str, float],
        platform: pd.Series | None = None) -> pd.Series:
    r"""Plain words naming the components that lifted or sank each account: ``"lifted by relevance 0.92,
    reach p88; sunk by engagement p12"``.

    Component i moves the score against a page at the median (p50, the neutral value the score gives
    unknowns) by

    .. math::

        \Delta_i = 100 \cdot \frac{w_i (p_i - 0.5)}{\sum_j w_j}

    points, the sum running over the account's components. A value the account lacks (given the
    neutral 0.5) is no reason, and neither is a component on which every page of its platform
    (``platform``; all rows when not given) has the same percentile. The (at most) three largest
    moves of at least half a point are named, lifts first, each with its value: relevance as its
    0–1 match, every other component as its within-platform percentile ``pNN``. Empty where nothing
    moves it. Words rather than + and − signs, so a spreadsheet never reads the cell as a formula.

    Parameters
    ----------
    pct : DataFrame
        Within-platform percentiles of the components (:func:`percentiles`).
    raw : DataFrame
        The components' raw values, same shape (NaN where the account lacks one).
    weights : mapping of str to float
        Component → weight.
    platform : Series, optional
        Each row's platform.

    Returns
    -------
    Series
        str, index of ``pct``.

    Examples
    --------
    >>> raw = pd.DataFrame({"relevance": [0.92, 0.10, 0.50], "reach": [300.0, 9000.0, 1000.0]})
    >>> platform = pd.Series("vk", index=raw.index)
    >>> why(percentiles(raw, platform), raw, {"relevance": 0.3, "reach": 0.2}, platform).tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['lifted by relevance 0.92; sunk by reach p33', 'lifted by reach p100; sunk by relevance 0.10',
     'lifted by relevance 0.50, reach p67']
    """
    w = pd.Series(weights, dtype="float64").reindex(pct.columns).fillna(0.0)
    total = (pct.notna() * w).sum(axis=1)
    groups = platform.to_numpy() if platform is not None else np.zeros(len(raw), dtype=int)
    varied = pct.groupby(groups).transform("nunique") > 1  # all pages tie: nothing to tell them apart
    moves = (pct - 0.5).mul(w, axis=1).mul(100).div(total.where(total > 0), axis=0)
    moves = moves.where(raw.notna() & varied)
    names = list(pct.columns)
    values = moves.to_numpy(dtype="float64")
    strength = np.where(np.abs(values) >= WHY_MIN_POINTS, np.abs(values), 0.0)  # NaN compares False: 0
    order = np.argsort(-strength, axis=1, kind="stable")[:, :WHY_MAX]
    percent = pct.to_numpy(dtype="float64")
    relevance = raw["relevance"].to_numpy(dtype="float64") if "relevance" in raw.columns else None
    texts = []
    for i, picks in enumerate(order):
        up, down = [], []
        for j in picks:
            if strength[i, j] <= 0:
                break
            name = names[j]
            if name == "relevance" and relevance is not None and not np.isnan(relevance[i]):
                shown = f"relevance {relevance[i]:.2f}"
            else:
                shown = f"{name} p{int(round(100 * percent[i, j]))}"
            (up if values[i, j] > 0 else down).append(shown)
        parts = ([f"lifted by {', '.join(up)}"] if up else []) + ([f"sunk by {', '.join(down)}"] if down else [])
        texts.append("; ".join(parts))
    return pd.Series(texts, index=pct.index, dtype=object)


def score(metrics: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    r"""Add ``score`` (0–100) and ``rank`` (1..N, best first; ties broken by followers) to ``metrics``.

    The score is the weighted mean of the account's within-platform percentiles (:func:`percentiles`)
    of the components (:func:`components`), over the components ``K`` its platform has:

    .. math::

        \mathrm{score}(a) = 100 \cdot \frac{\sum_{i \in K} w_i\, p_i(a)}{\sum_{i \in K} w_i}

    rounded to 0.1. Also adds ``why`` (:func:`why`). The rows come back sorted by rank.

    Parameters
    ----------
    metrics : DataFrame
        Account metrics (ranking.engagement.account_metrics, with any v2 column).
    weights : mapping of str to float, optional
        Component → non-negative weight (default :data:`DEFAULT_WEIGHTS`); unknown names and negative
        weights raise ``ValueError``.

    Returns
    -------
    DataFrame
        ``metrics`` with score, why and rank, best first, index reset.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "telegram", "handle": ["a", "b", "c"], "followers": [1000, 5000, 300],
    ...                         "median_views": [400.0, None, 90.0], "er_views": [0.05, None, 0.1],
    ...                         "er_followers": [0.02, 0.01, 0.03], "citations": [3, 0, 1]})
    >>> score(metrics)[["rank", "handle", "score"]]  # a: 100 · (0.4 · 2/3 + 0.35 · 2/3 + 0.25 · 1) / 1.0
       rank handle  score
    0     1      a   75.0
    1     2      c   65.0
    2     3      b   60.0
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(weights) - set(DEFAULT_WEIGHTS) - set(V2_WEIGHTS) - set(FRAME_COMPONENTS)
    if unknown:
        raise ValueError(f"unknown score components: {', '.join(sorted(unknown))}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("score weights must not be negative")
    out = metrics.copy()
    if out.empty:
        out["score"] = pd.Series(dtype="float64")
        out["rank"] = pd.Series(dtype="int64")
        out["why"] = pd.Series(dtype=object)
        return out
    produced = components(out)
    raw = produced.reindex(columns=list(weights))  # a component the frame cannot give stays NaN
    for name in weights:
        if name not in produced.columns and name in out.columns:
            raw[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    pct = percentiles(raw, out["platform"])
    w = pd.Series(weights, dtype="float64")
    present = pct.notna()
    weighted = (pct.fillna(0) * w).sum(axis=1)
    total = (present * w).sum(axis=1)
    out["score"] = (100 * weighted / total.where(total > 0)).round(1)
    out["why"] = why(pct, raw, weights, out["platform"])
    order = out.assign(_f=out["followers"].astype("float64").fillna(-1), _s=out["score"].fillna(-np.inf))
    order = order.sort_values(["_s", "_f", "handle"], ascending=[False, False, True])
    out = out.loc[order.index].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out
