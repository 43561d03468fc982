r"""Standout posts: how a post did against what its own page usually gets (CrowdTangle's "overperforming").

A post's expected views are the median views of the same page's posts published within 15 posts of it
(the post itself left out, so a hit does not raise its own bar). Posts younger than 48 hours are still
gathering views: they are neither scored nor part of any baseline, and ``attrs["young"]`` says how many
were left out. A page that shows no views is scored on interactions instead.

.. math::

    r(p) = \frac{v(p)}{\operatorname{median}_{q \in W(p)} v(q)}, \qquad
    \mathrm{overperformance}(p) = \begin{cases} r(p) & r(p) \ge 1 \\ -1 / r(p) & r(p) < 1 \end{cases}

with :math:`W(p)` the page's scored posts at most 15 positions before or after :math:`p`. As on
CrowdTangle, −2.0 reads "half of what was expected" and 2.0 "twice".

References
----------
.. [1] CrowdTangle, "How is the overperforming score calculated?" (expected values from the account's
   recent posts; underperformance shown as a negative multiple).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ranking.engagement import interactions
from ranking.frames import Frames

WINDOW = 15
YOUNG = pd.Timedelta(hours=48)
STANDOUT = 2.0
POST_COLUMNS = ("platform", "account", "post_id", "url", "published_at", "views", "interactions", "measured_by",
                "expected", "overperformance", "ad")
#: Also kept per scored post: whether it stands out (the unrounded ratio ≥ 2).
STANDOUT_FLAG = "standout"


def overperformance(posts: pd.DataFrame, now, crawled: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Each post's expected value and overperformance (see the module docstring); young posts and
    replies are left out. A post's age is taken when its page was crawled (``crawled``: accounts with
    platform, handle, fetched_at), else at ``now``: a post an hour old at the crawl is young for good.
    ``attrs["young"]`` counts the posts younger than 48 hours.

    .. math::

        \mathrm{overperformance}(p) = \begin{cases} r & r \ge 1 \\ -1/r & r < 1 \end{cases}, \quad
        r = \frac{v(p)}{\operatorname{median}_{q \in W(p)} v(q)}

    Examples
    --------
    >>> posts = pd.DataFrame({"platform": "telegram", "account": "a", "post_id": [str(i) for i in range(5)],
    ...     "published_at": pd.date_range("2026-01-01", periods=5, freq="D", tz="UTC"),
    ...     "views": [100, 100, 400, 50, 100], "likes": None, "comments": None, "reposts": None})
    >>> scored = overperformance(posts, pd.Timestamp("2026-02-01", tz="UTC"))
    >>> scored["overperformance"].tolist()
    [1.0, 1.0, 4.0, -2.0, 1.0]
    """
    if posts is None or posts.empty:
        out = pd.DataFrame(columns=list(POST_COLUMNS))
        out.attrs["young"] = 0
        return out
    frame = posts.copy()
    if "kind" in frame.columns:
        frame = frame[frame["kind"].ne("reply")]
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    seen_at = pd.Series(now, index=frame.index)
    if crawled is not None and len(crawled) and "fetched_at" in crawled:
        when = crawled.assign(fetched_at=pd.to_datetime(crawled["fetched_at"], utc=True)).drop_duplicates(
            ["platform", "handle"]).set_index(["platform", "handle"])["fetched_at"]
        keys = pd.MultiIndex.from_arrays([frame["platform"].astype(str), frame["account"].astype(str)])
        found = pd.to_datetime(pd.Series(when.reindex(keys).to_numpy(), index=frame.index), utc=True)
        seen_at = found.where(found.notna(), now)
    young = frame["published_at"] > seen_at - YOUNG
    frame = frame[~young & frame["published_at"].notna()].copy()
    frame["interactions"] = interactions(frame).to_numpy() if len(frame) else []
    frame["views"] = pd.to_numeric(frame.get("views"), errors="coerce")
    parts = []
    for _, page in frame.sort_values("published_at", kind="mergesort").groupby(["platform", "account"], sort=False):
        by_views = page["views"].notna().any()
        values = (page["views"] if by_views else page["interactions"]).to_numpy(dtype="float64")
        expected = np.full(len(values), np.nan)
        for i in range(len(values)):
            window = np.r_[values[max(0, i - WINDOW):i], values[i + 1:i + 1 + WINDOW]]
            window = window[~np.isnan(window)]
            if len(window):
                expected[i] = np.median(window)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = values / expected
            score = np.where(ratio >= 1, ratio, -1 / ratio)
        # a post of 0 (or a page whose posts usually get 0) has no finite ratio: not scored
        score = np.where(np.isfinite(score) & (expected > 0), score, np.nan)
        parts.append(page.assign(measured_by="views" if by_views else "interactions", expected=expected,
                                 overperformance=np.round(score, 2), standout=ratio >= STANDOUT))
    out = pd.concat(parts) if parts else frame.iloc[:0]
    out = out.reindex(columns=[*POST_COLUMNS, STANDOUT_FLAG]).reset_index(drop=True)
    out.attrs["young"] = int(young.sum())
    return out


def standout_columns(scored: pd.DataFrame) -> pd.DataFrame:
    r"""Per (platform, account): ``standout_posts`` (posts with overperformance ≥ 2) and ``standout_rate``
    (their share of the posts scored).

    .. math::

        \mathrm{standout\_rate} = \frac{|\{p : \mathrm{overperformance}(p) \ge 2\}|}{|\{p : \text{scored}\}|}

    Examples
    --------
    >>> scored = pd.DataFrame({"platform": "vk", "account": ["a", "a", "a", "b"],
    ...                        "overperformance": [2.5, 1.0, -3.0, None]})
    >>> standout_columns(scored).loc[("vk", "a")].tolist()
    [1.0, 0.3333333333333333]
    """
    if scored.empty:
        return pd.DataFrame(columns=["standout_posts", "standout_rate"],
                            index=pd.MultiIndex.from_tuples([], names=["platform", "account"]))
    rated = scored[scored["overperformance"].notna()]
    stands = (rated[STANDOUT_FLAG].fillna(False).astype(bool) if STANDOUT_FLAG in rated
              else rated["overperformance"] >= STANDOUT)
    grouped = stands.groupby([rated["platform"], rated["account"]])
    return pd.DataFrame({"standout_posts": grouped.sum().astype("float64"),
                         "standout_rate": grouped.mean().astype("float64")})


def top_posts(scored: pd.DataFrame, pages: pd.DataFrame, per_page: int = 3) -> pd.DataFrame:
    """Each of ``pages``' (platform, handle) ``per_page`` best posts by overperformance, in the pages' order.

    Examples
    --------
    >>> scored = pd.DataFrame({"platform": "vk", "account": ["a", "a", "b"], "post_id": ["1", "2", "3"],
    ...                        "overperformance": [1.5, 3.0, 2.0]})
    >>> top_posts(scored, pd.DataFrame({"platform": ["vk", "vk"], "handle": ["b", "a"]}))["post_id"].tolist()
    ['3', '2', '1']
    """
    if scored.empty:
        return scored.copy()
    best = scored[scored["overperformance"].notna()].sort_values("overperformance", ascending=False, kind="mergesort")
    best = best.groupby(["platform", "account"], sort=False).head(per_page)
    order = pd.DataFrame({"platform": pages["platform"].astype(str).to_numpy(),
                          "account": pages["handle"].astype(str).to_numpy(), "page_order": range(len(pages))})
    merged = best.assign(platform=best["platform"].astype(str), account=best["account"].astype(str)).merge(
        order, on=["platform", "account"])
    return merged.sort_values("page_order", kind="mergesort").drop(columns="page_order").reset_index(drop=True)


#: The ``pagescout posts`` table's columns and what each means (the .xlsx Metrics sheet).
POSTS_EXPLAINED = {
    "platform": "platform of the page", "account": "the page", "post_id": "the post's id on the platform",
    "url": "the post", "published_at": "when it was published (UTC)", "views": "views, where the platform shows them",
    "interactions": "likes or reactions + comments + reposts",
    "measured_by": "views, or interactions where the page shows no views",
    "expected": "median of the same measure over the page's posts within 15 posts of it (the post left out)",
    "overperformance": "measure / expected when ≥ 1, else −expected / measure: 2.0 = twice what was expected, "
                       "−2.0 = half (CrowdTangle's score)",
    "ad": "whether the post is marked as an ad (empty: not checked)",
}


def page_posts(frames: Frames, platform: str, handle: str, top: int | None = None, now=None) -> pd.DataFrame:
    """One page's scored posts, best first by overperformance (unscored last), for ``pagescout posts``.
    "Now" is when the page was crawled (its ``fetched_at``), so a post's age is the age its views had;
    ``attrs["young"]`` counts the posts under 48 hours old that were left out.

    Examples
    --------
    >>> accounts = pd.DataFrame({"platform": "vk", "handle": ["a"], "fetched_at": pd.Timestamp("2026-01-04 12:00",
    ...                                                                                          tz="UTC")})
    >>> posts = pd.DataFrame({"platform": "vk", "account": "a", "post_id": ["1", "2", "3"],
    ...     "published_at": pd.date_range("2026-01-01", periods=3, freq="D", tz="UTC"),
    ...     "views": [100, 300, 100], "likes": None, "comments": None, "reposts": None})
    >>> page_posts(Frames(accounts, posts), "vk", "a")["post_id"].tolist()  # 3 is under 48 hours old
    ['2', '1']
    """
    accounts, posts = frames.accounts, frames.posts
    if now is None:
        page = (accounts["platform"].astype(str) == platform) & (accounts["handle"].astype(str) == handle)
        crawled = accounts.loc[page]
        when = (pd.to_datetime(crawled["fetched_at"], utc=True).max()
                if "fetched_at" in crawled and len(crawled) else None)
        now = when if when is not None and not pd.isna(when) else pd.Timestamp.now(tz="UTC")
    own = posts[(posts["platform"].astype(str) == platform) & (posts["account"].astype(str) == handle)]
    scored = overperformance(own, now, accounts)
    young = scored.attrs["young"]
    scored = scored.sort_values("overperformance", ascending=False, na_position="last", kind="mergesort")
    scored = (scored.head(top) if top else scored).reset_index(drop=True)
    scored.attrs["young"] = young
    return scored
