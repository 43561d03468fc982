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
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

DEFAULT_WEIGHTS: dict[str, float] = {"reach": 0.40, "engagement": 0.35, "citations": 0.25}
DEFAULT_WEIGHTS["quality"] = 0.15  # audience quality (ranking/quality.py); absent from metrics → left out


def components(metrics: pd.DataFrame) -> pd.DataFrame:
    """The raw value behind each score component, with the documented fallbacks."""
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


def percentiles(values: pd.DataFrame, platform: pd.Series) -> pd.DataFrame:
    """Within-platform percentile rank (0, 1] of each column.

    A missing value becomes 0.5 where the platform has the column for some account; it stays NaN
    where the platform has it for none.
    """
    groups = platform.to_numpy()
    pct = values.groupby(groups).rank(pct=True, method="average")
    known_on_platform = values.notna().groupby(groups).transform("any")
    return pct.where(pct.notna() | ~known_on_platform, 0.5)


def score(metrics: pd.DataFrame, weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Add ``score`` (0–100) and ``rank`` (1..N, best first; ties broken by followers) to ``metrics``.

    ``weights`` maps component names to non-negative weights; unknown names raise ``ValueError``.
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(weights) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValueError(f"unknown score components: {', '.join(sorted(unknown))}")
    if any(w < 0 for w in weights.values()):
        raise ValueError("score weights must not be negative")
    out = metrics.copy()
    if out.empty:
        out["score"] = pd.Series(dtype="float64")
        out["rank"] = pd.Series(dtype="int64")
        return out
    pct = percentiles(components(out)[list(weights)], out["platform"])
    w = pd.Series(weights, dtype="float64")
    present = pct.notna()
    weighted = (pct.fillna(0) * w).sum(axis=1)
    total = (present * w).sum(axis=1)
    out["score"] = (100 * weighted / total.where(total > 0)).round(1)
    order = out.assign(_f=out["followers"].astype("float64").fillna(-1), _s=out["score"].fillna(-np.inf))
    order = order.sort_values(["_s", "_f", "handle"], ascending=[False, False, True])
    out = out.loc[order.index].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out
