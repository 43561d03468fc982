"""Per-account reach and engagement metrics over collected posts. Pure functions over DataFrames.

Inputs are the store's frames: ``accounts`` (platform, handle, followers, …), ``posts`` (platform,
account, post_id, published_at, views, likes, comments, reposts) and ``links`` (platform, src, dst,
kind). A metric that cannot be computed is NaN (an empty cell), never 0.

References: Popsters' ER by followers / by views (ERpost, ERview); TGStat's ERR (reach rate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CITING_KINDS = ("forward", "repost", "quote", "mention")
#: The columns that name a page, as every table's explanation sheet describes them.
PAGE_COLUMNS: dict[str, str] = {
    "platform": "Platform the page lives on.",
    "handle": "The page's handle on its platform.",
    "name": "Display name.",
    "url": "Link to the page.",
}
KEY = ["platform", "handle"]


def interactions(posts: pd.DataFrame) -> pd.Series:
    """Interactions of each post: ``likes + comments + reposts``, over whichever the platform exposes.

    Likes stand for the reaction total on platforms with reactions (Telegram); reposts for shares or
    forwards. A post where none of the three is known has NaN interactions; a known subset is summed.
    """
    parts = posts[["likes", "comments", "reposts"]].astype("float64")
    return parts.sum(axis=1, min_count=1)


def post_rates(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Per-post engagement rates.

    ``er_view = interactions / views`` (Popsters ERview) and ``er_follower = interactions / followers``
    (Popsters ERpost, followers as stored at crawl time). NaN where the denominator is unknown or 0.
    """
    followers = accounts.set_index(KEY)["followers"].astype("float64")
    out = posts[["platform", "account", "post_id", "published_at", "views"]].copy()
    out["interactions"] = interactions(posts)
    views = out["views"].astype("float64").where(lambda v: v > 0)
    out["er_view"] = out["interactions"] / views
    idx = pd.MultiIndex.from_frame(out[["platform", "account"]].set_axis(KEY, axis=1))
    out["followers"] = followers.reindex(idx).to_numpy()
    out["er_follower"] = out["interactions"] / out["followers"].where(lambda f: f > 0)
    return out


def posts_per_week(published_at: pd.Series) -> float:
    """Posting frequency: ``(n − 1) / (span in days / 7)`` for n posts spanning first to last.

    n posts mark n − 1 intervals; NaN with fewer than two dated posts or a zero span.
    """
    dates = published_at.dropna()
    if len(dates) < 2:
        return np.nan
    span_days = (dates.max() - dates.min()).total_seconds() / 86400
    return (len(dates) - 1) / (span_days / 7) if span_days > 0 else np.nan


def citations(links: pd.DataFrame) -> pd.Series:
    """Distinct other accounts that forwarded, reposted, quoted or mentioned each account.

    ``citations(a) = |{ s ≠ a : link s → a of kind forward | repost | quote | mention }|``, within a
    platform. Indexed by (platform, handle).
    """
    cited = links[links["kind"].isin(CITING_KINDS) & (links["src"] != links["dst"])]
    counts = cited.groupby(["platform", "dst"])["src"].nunique()
    counts.index = counts.index.set_names(KEY)
    return counts


def account_metrics(accounts: pd.DataFrame, posts: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """One row per account with a usable page (status ``ok``).

    Columns: ``followers``; ``posts`` (posts analysed); ``posts_per_week``; ``median_views``;
    ``reach_rate = median_views / followers`` (TGStat's ERR, with the median so one viral post does not
    carry the channel); ``er_views`` = median over posts of interactions / views; ``er_followers`` =
    median over posts of interactions / followers; ``citations`` (see :func:`citations`).

    Replies (``kind == "reply"``, Bluesky and Mastodon) are left out: they are conversation, not
    publications, and their few interactions would drag every rate of a chatty account down.
    """
    ok = accounts[accounts["status"].eq("ok")].copy()
    if "kind" in posts.columns:
        posts = posts[posts["kind"].ne("reply")]
    rates = post_rates(posts, ok)
    grouped = rates.groupby(["platform", "account"])
    per_account = pd.DataFrame(
        {
            "posts": grouped["post_id"].count(),
            "posts_per_week": grouped["published_at"].agg(posts_per_week),
            "median_views": grouped["views"].median(),
            "er_views": grouped["er_view"].median(),
            "er_followers": grouped["er_follower"].median(),
        }
    )
    per_account.index = per_account.index.set_names(KEY)
    out = ok.set_index(KEY).join(per_account, how="left")
    out["posts"] = out["posts"].fillna(0).astype("int64")
    followers = out["followers"].astype("float64")
    out["reach_rate"] = out["median_views"].astype("float64") / followers.where(followers > 0)
    out["citations"] = citations(links).reindex(out.index).fillna(0).astype("int64")
    return out.reset_index()
