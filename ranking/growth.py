"""Follower growth and follower spikes from the daily snapshots. Pure functions over DataFrames.

Every crawl stores one ``Snapshot`` per account and day (platform, account, date, followers); the store
returns them as ``Store.load_snapshots()``. A figure that history cannot support is NaN, never 0.

References: HypeAuditor's "follower growth" chart and its growth-anomaly check (sudden jumps that the
account's own trend does not explain are the mark of bought followers); Social Blade's daily series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["platform", "handle"]
#: Growth windows in days (``growth_30d``, ``growth_90d``).
WINDOWS = (30, 90)
#: The reference snapshot must lie within this share of the window from the ideal date (so a week of
#: history gives no 30-day growth, and 25 to 35 days back stands in for 30).
WINDOW_TOLERANCE = 0.25
#: A spike rises at least this share of the followers before it …
SPIKE_MIN_RISE = 0.10
#: … at least this many times what the account's own trend gives for the same number of days …
SPIKE_TREND_FACTOR = 5.0
#: … within at most this many days between two snapshots (a rise over a longer gap cannot be told from growth).
SPIKE_MAX_GAP_DAYS = 7
SPARK = "▁▂▃▄▅▆▇█"


def follower_series(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Snapshots with known followers as platform, handle, date (Timestamp), followers (float), sorted by date."""
    if snapshots is None or snapshots.empty:
        return pd.DataFrame({"platform": pd.Series(dtype=object), "handle": pd.Series(dtype=object),
                             "date": pd.Series(dtype="datetime64[ns]"), "followers": pd.Series(dtype="float64")})
    out = pd.DataFrame({
        "platform": snapshots["platform"].astype(str),
        "handle": snapshots["account"].astype(str),
        "date": pd.to_datetime(snapshots["date"], utc=True).dt.tz_localize(None).dt.normalize(),
        "followers": pd.to_numeric(snapshots["followers"], errors="coerce").astype("float64"),
    })
    out = out.dropna(subset=["followers"]).drop_duplicates(KEY + ["date"], keep="last")
    return out.sort_values(KEY + ["date"]).reset_index(drop=True)


def _growth_one(dates: np.ndarray, followers: np.ndarray, days: int) -> float:
    if len(dates) < 2:
        return np.nan
    latest, now_followers = dates[-1], followers[-1]
    ideal = latest - np.timedelta64(days, "D")
    earlier = dates[:-1]
    distance = np.abs((earlier - ideal) / np.timedelta64(1, "D"))
    best = int(np.argmin(distance))
    if distance[best] > days * WINDOW_TOLERANCE:
        return np.nan
    before = followers[best]
    return (now_followers - before) / before if before > 0 else np.nan


def growth(snapshots: pd.DataFrame, days: int) -> pd.Series:
    """Follower growth over ``days``: ``(f_latest − f_ref) / f_ref`` per (platform, handle).

    ``f_latest`` is the latest snapshot's followers; ``f_ref`` the snapshot's whose date is closest to
    ``latest − days``, provided it lies within ``WINDOW_TOLERANCE × days`` of that date (±7.5 days for
    30, ±22.5 for 90). NaN without such a snapshot (no history yet) or when ``f_ref`` is 0. A fraction:
    0.12 = +12%.
    """
    series = follower_series(snapshots)
    result = {}
    for key, group in series.groupby(KEY, sort=False):
        result[key] = _growth_one(group["date"].to_numpy(), group["followers"].to_numpy(), days)
    index = pd.MultiIndex.from_tuples(list(result), names=KEY) if result else pd.MultiIndex.from_tuples([], names=KEY)
    return pd.Series(list(result.values()), index=index, dtype="float64", name=f"growth_{days}d")


def growth_table(snapshots: pd.DataFrame) -> pd.DataFrame:
    """``growth_30d`` and ``growth_90d`` (see :func:`growth`), indexed by (platform, handle)."""
    return pd.concat([growth(snapshots, days) for days in WINDOWS], axis=1)


def spikes(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Follower jumps between consecutive snapshots that the account's own trend does not explain.

    For consecutive snapshots i−1, i of one account, ``gap = days between them``, ``rise = f_i − f_{i−1}``.
    The trend is the median daily change ``(f_j − f_{j−1}) / gap_j`` over the account's *other*
    intervals (leave-one-out, so a spike does not raise its own bar), floored at 0; with no other
    interval it is 0. ``expected = trend × gap``. A spike is an interval with

    - ``gap ≤ SPIKE_MAX_GAP_DAYS`` (7) days,
    - ``rise ≥ SPIKE_MIN_RISE × f_{i−1}`` (+10%), and
    - ``rise > SPIKE_TREND_FACTOR × expected`` (5× the trend).

    Returns platform, handle, date (of the later snapshot), days, before, after, rise (a fraction of
    ``before``), trend (followers a day), ``text`` ("+40% followers in 2 days").
    """
    series = follower_series(snapshots)
    rows = []
    for (platform, handle), group in series.groupby(KEY, sort=False):
        if len(group) < 2:
            continue
        dates = group["date"].to_numpy()
        followers = group["followers"].to_numpy()
        gaps = np.diff(dates) / np.timedelta64(1, "D")
        rises = np.diff(followers)
        daily = rises / gaps
        for i in range(len(rises)):
            before = followers[i]
            if gaps[i] > SPIKE_MAX_GAP_DAYS or before <= 0 or rises[i] < SPIKE_MIN_RISE * before:
                continue
            others = np.delete(daily, i)
            trend = max(float(np.median(others)), 0.0) if len(others) else 0.0
            if rises[i] <= SPIKE_TREND_FACTOR * trend * gaps[i]:
                continue
            share = rises[i] / before
            days = int(round(gaps[i]))
            rows.append({
                "platform": platform, "handle": handle, "date": pd.Timestamp(dates[i + 1]).date(),
                "days": days, "before": int(before), "after": int(followers[i + 1]), "rise": share,
                "trend": trend, "text": spike_text(share, days),
            })
    columns = ["platform", "handle", "date", "days", "before", "after", "rise", "trend", "text"]
    return pd.DataFrame(rows, columns=columns)


def spike_text(rise: float, days: int) -> str:
    """``+40% followers in 2 days`` (``in 1 day`` for one)."""
    return f"+{rise:.0%} followers in {days} day{'s' if days != 1 else ''}"


def sparkline(values) -> str:
    """One block character per value, ▁ for the lowest and █ for the highest (all ▄ when flat); NaN → space."""
    values = np.asarray(list(values), dtype="float64")
    known = values[~np.isnan(values)]
    if known.size == 0:
        return " " * len(values)
    low, high = known.min(), known.max()
    out = []
    for v in values:
        if np.isnan(v):
            out.append(" ")
        elif high == low:
            out.append(SPARK[3])
        else:
            out.append(SPARK[int(round((v - low) / (high - low) * (len(SPARK) - 1)))])
    return "".join(out)
