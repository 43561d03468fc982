"""Follower growth and follower spikes from the daily snapshots. Pure functions over DataFrames.

Every crawl stores one ``Snapshot`` per account and day (platform, account, date, followers); the store
returns them as ``Store.load_snapshots()``. A figure that history cannot support is NaN, never 0.

References: HypeAuditor's "follower growth" chart and its growth-anomaly check (sudden jumps that the
account's own trend does not explain are the mark of bought followers); Social Blade's daily series.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    r"""Follower growth over ``days``, as a fraction of the followers ``days`` before the latest snapshot.

    ``f_latest`` is the latest snapshot's followers; ``f_ref`` the snapshot's whose date is closest to
    ``latest − days``, provided it lies within ``WINDOW_TOLERANCE × days`` of that date (±7.5 days for
    30, ±22.5 for 90). NaN without such a snapshot (no history yet) or when ``f_ref`` is 0. A fraction:
    0.12 = +12%.

    .. math::

        \mathrm{growth}_{d} = \frac{f_{\mathrm{latest}} - f_{\mathrm{ref}}}{f_{\mathrm{ref}}}, \qquad
        \mathrm{ref} = \operatorname{arg\,min}_{i < \mathrm{latest}} \bigl| t_i - (t_{\mathrm{latest}} - d) \bigr|,
        \quad \bigl| t_{\mathrm{ref}} - (t_{\mathrm{latest}} - d) \bigr| \le 0.25\, d

    Parameters
    ----------
    snapshots : DataFrame
        ``Store.load_snapshots()``: platform, account, date, followers.
    days : int
        The window, in days.

    Returns
    -------
    Series
        float named ``growth_<days>d``, indexed by (platform, handle) of every account with a known
        follower count.

    Examples
    --------
    >>> snapshots = pd.DataFrame({"platform": "vk", "account": "club", "followers": [1000, 1100, 1200, 1500],
    ...                           "date": ["2026-01-01", "2026-01-31", "2026-03-02", "2026-04-01"]})
    >>> growth(snapshots, 30).to_dict()  # 1,200 on 2 March → 1,500 on 1 April
    {('vk', 'club'): 0.25}
    >>> growth(snapshots, 90).to_dict()  # 1,000 on 1 January
    {('vk', 'club'): 0.5}
    >>> growth(snapshots.tail(2), 90).to_dict()  # 30 days of history: no 90-day growth
    {('vk', 'club'): nan}

    References
    ----------
    .. [1] HypeAuditor, follower growth chart; Social Blade, daily follower series.
    """
    series = follower_series(snapshots)
    result = {}
    for key, group in series.groupby(KEY, sort=False):
        result[key] = _growth_one(group["date"].to_numpy(), group["followers"].to_numpy(), days)
    index = pd.MultiIndex.from_tuples(list(result), names=KEY) if result else pd.MultiIndex.from_tuples([], names=KEY)
    return pd.Series(list(result.values()), index=index, dtype="float64", name=f"growth_{days}d")


def growth_table(snapshots: pd.DataFrame) -> pd.DataFrame:
    r"""Follower growth over each of :data:`WINDOWS`: ``growth_30d`` and ``growth_90d``.

    .. math::

        \mathrm{growth}_{30} = \frac{f_{\mathrm{latest}} - f_{\mathrm{ref}(30)}}{f_{\mathrm{ref}(30)}}, \qquad
        \mathrm{growth}_{90} = \frac{f_{\mathrm{latest}} - f_{\mathrm{ref}(90)}}{f_{\mathrm{ref}(90)}}

    with the reference snapshots as :func:`growth` chooses them.

    Parameters
    ----------
    snapshots : DataFrame
        ``Store.load_snapshots()``: platform, account, date, followers.

    Returns
    -------
    DataFrame
        growth_30d and growth_90d (floats), indexed by (platform, handle).

    Examples
    --------
    >>> snapshots = pd.DataFrame({"platform": "vk", "account": "club", "followers": [1000, 1100, 1200, 1500],
    ...                           "date": ["2026-01-01", "2026-01-31", "2026-03-02", "2026-04-01"]})
    >>> growth_table(snapshots)
                     growth_30d  growth_90d
    platform handle
    vk       club          0.25         0.5
    """
    return pd.concat([growth(snapshots, days) for days in WINDOWS], axis=1)


def spikes(snapshots: pd.DataFrame) -> pd.DataFrame:
    r"""Follower jumps between consecutive snapshots that the account's own trend does not explain.

    Such jumps are the mark of bought followers (HypeAuditor's growth-anomaly check). For consecutive
    snapshots i−1, i of one account, ``gap = days between them``, ``rise = f_i − f_{i−1}``. The trend
    is the median daily change ``(f_j − f_{j−1}) / gap_j`` over the account's *other* intervals
    (leave-one-out, so a spike does not raise its own bar), floored at 0; with no other interval it is
    0. ``expected = trend × gap``. A spike is an interval with

    - ``gap ≤ SPIKE_MAX_GAP_DAYS`` (7) days,
    - ``rise ≥ SPIKE_MIN_RISE × f_{i−1}`` (+10%), and
    - ``rise > SPIKE_TREND_FACTOR × expected`` (5× the trend).

    .. math::

        \mathrm{trend}_i = \max\Bigl(0,\ \operatorname{median}_{j \ne i} \frac{f_j - f_{j-1}}{g_j}\Bigr),
        \qquad
        \mathrm{spike}_i \iff g_i \le 7 \ \wedge\ f_i - f_{i-1} \ge 0.10\, f_{i-1}
        \ \wedge\ f_i - f_{i-1} > 5\, \mathrm{trend}_i\, g_i

    with ``g_i`` the days between snapshots i − 1 and i.

    Parameters
    ----------
    snapshots : DataFrame
        ``Store.load_snapshots()``: platform, account, date, followers.

    Returns
    -------
    DataFrame
        One row per spike: platform, handle, date (of the later snapshot), days, before, after, rise
        (a fraction of ``before``), trend (followers a day), ``text`` ("+40% followers in 2 days").

    Examples
    --------
    >>> snapshots = pd.DataFrame({"platform": "vk", "account": "club", "followers": [1000, 1010, 1020, 1400, 1410],
    ...                           "date": ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"]})
    >>> spikes(snapshots)[["date", "before", "after", "trend", "text"]]  # +380 in a day against +10 a day
             date  before  after  trend                     text
    0  2026-01-04    1020   1400   10.0  +37% followers in 1 day

    References
    ----------
    .. [1] HypeAuditor, growth-anomaly check of the follower growth chart.
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


@dataclass(frozen=True)
class FollowerHistory:
    """One page's follower ``series`` (date, followers), its ``growth`` (growth_30d, growth_90d) and the
    follower ``spikes`` found (see ``spikes``)."""

    series: pd.DataFrame
    growth: pd.Series
    spikes: pd.DataFrame


def follower_history(snapshots: pd.DataFrame, handle: str) -> FollowerHistory:
    """What ``pagescout history`` shows of the page ``handle``, from the store's snapshots of its platform."""
    own = snapshots[snapshots["account"].astype(str) == handle]
    series = follower_series(own)
    if series.empty:
        return FollowerHistory(series, pd.Series({"growth_30d": np.nan, "growth_90d": np.nan}), spikes(own))
    return FollowerHistory(series, growth_table(own).iloc[0], spikes(own))
