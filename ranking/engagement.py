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
    r"""Interactions of each post: likes + comments + reposts, over whichever the platform exposes.

    Likes stand for the reaction total on platforms with reactions (Telegram); reposts for shares or
    forwards. A known subset is summed; a post where none of the three is known has NaN interactions.

    .. math::

        I(p) = \mathrm{likes}(p) + \mathrm{comments}(p) + \mathrm{reposts}(p)

    Parameters
    ----------
    posts : DataFrame
        The store's posts, with likes, comments and reposts (NaN where the platform does not show it).

    Returns
    -------
    Series
        float, aligned with ``posts``.

    Examples
    --------
    >>> posts = pd.DataFrame({"likes": [10, None, None], "comments": [2, 1, None], "reposts": [3, None, None]})
    >>> interactions(posts).tolist()
    [15.0, 1.0, nan]
    """
    parts = posts[["likes", "comments", "reposts"]].astype("float64")
    return parts.sum(axis=1, min_count=1)


def post_rates(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    r"""Per-post engagement rates: interactions by views (ERview) and by followers (ERpost).

    Followers are the account's as stored at crawl time. A rate is NaN where its denominator is
    unknown or 0.

    .. math::

        \mathrm{er\_view}(p) = \frac{I(p)}{\mathrm{views}(p)}, \qquad
        \mathrm{er\_follower}(p) = \frac{I(p)}{\mathrm{followers}(a)}

    with ``I`` the post's :func:`interactions` and ``a`` the account that published ``p``.

    Parameters
    ----------
    posts : DataFrame
        The store's posts (platform, account, post_id, published_at, views, likes, comments, reposts).
    accounts : DataFrame
        The store's accounts (platform, handle, followers).

    Returns
    -------
    DataFrame
        platform, account, post_id, published_at, views, interactions, er_view, followers and
        er_follower, one row per post, in the order of ``posts``.

    Examples
    --------
    >>> accounts = pd.DataFrame({"platform": "telegram", "handle": ["a"], "followers": [1000]})
    >>> posts = pd.DataFrame({"platform": "telegram", "account": "a", "post_id": [1, 2],
    ...                       "published_at": None, "views": [500, None],
    ...                       "likes": [40, 5], "comments": [10, None], "reposts": [0, None]})
    >>> post_rates(posts, accounts)[["interactions", "er_view", "er_follower"]]
       interactions  er_view  er_follower
    0          50.0      0.1        0.050
    1           5.0      NaN        0.005

    References
    ----------
    .. [1] Popsters, engagement rate by followers (ERpost) and by views (ERview).
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
    r"""Posting frequency: posts a week, from the span between the first and the last dated post.

    n posts mark n − 1 intervals, so the count is n − 1, not n. NaN with fewer than two dated posts
    or a zero span.

    .. math::

        \mathrm{posts\_per\_week} = \frac{n - 1}{(t_{\mathrm{last}} - t_{\mathrm{first}}) / 7\ \mathrm{days}}

    Parameters
    ----------
    published_at : Series
        Publication times (datetime64) of one account's posts; NaT is left out.

    Returns
    -------
    float

    Examples
    --------
    >>> posts_per_week(pd.Series(pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04"])))  # 2 in 3 days
    4.666666666666667
    >>> posts_per_week(pd.Series(pd.to_datetime(["2026-01-01"])))
    nan
    """
    dates = published_at.dropna()
    if len(dates) < 2:
        return np.nan
    span_days = (dates.max() - dates.min()).total_seconds() / 86400
    return (len(dates) - 1) / (span_days / 7) if span_days > 0 else np.nan


def citations(links: pd.DataFrame) -> pd.Series:
    r"""Distinct other accounts that forwarded, reposted, quoted or mentioned each account.

    Counted within a platform; an account citing itself does not count, nor does one citer twice.
    TGStat's citation index counts mentions and forwards too; this is the unweighted count of distinct
    citers (``ranking.graph.citation_index`` weighs each by its reach).

    .. math::

        \mathrm{citations}(a) = \bigl|\{\, s \ne a : \exists\ \text{link } s \to a \text{ of kind forward,
        repost, quote or mention} \,\}\bigr|

    Parameters
    ----------
    links : DataFrame
        The store's links (platform, src, dst, kind).

    Returns
    -------
    Series
        int indexed by (platform, handle) of every cited account; accounts nobody cites are absent.

    Examples
    --------
    >>> links = pd.DataFrame({"platform": "telegram", "src": ["b", "c", "c", "a"], "dst": "a",
    ...                       "kind": ["forward", "mention", "repost", "forward"]})
    >>> citations(links).to_dict()  # c counts once; a's forward of itself not at all
    {('telegram', 'a'): 2}

    References
    ----------
    .. [1] TGStat, "Индекс цитирования" (citation index of Telegram channels), tgstat.ru/docs.
    """
    cited = links[links["kind"].isin(CITING_KINDS) & (links["src"] != links["dst"])]
    counts = cited.groupby(["platform", "dst"])["src"].nunique()
    counts.index = counts.index.set_names(KEY)
    return counts


def account_metrics(accounts: pd.DataFrame, posts: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    r"""Reach and engagement of every account with a usable page (status ``ok``), one row each.

    Columns: ``followers``; ``posts`` (posts analysed); ``posts_per_week`` (:func:`posts_per_week`);
    ``median_views``; ``reach_rate`` (TGStat's ERR, with the median so one viral post does not carry
    the channel); ``er_views`` (Popsters ERview) and ``er_followers`` (Popsters ERpost), medians over
    the posts of :func:`post_rates`; ``citations`` (:func:`citations`, 0 for an account nobody cites).

    .. math::

        \mathrm{reach\_rate}(a) = \frac{\operatorname{median}_{p \in P_a} \mathrm{views}(p)}{\mathrm{followers}(a)},
        \quad
        \mathrm{er\_views}(a) = \operatorname{median}_{p \in P_a} \frac{I(p)}{\mathrm{views}(p)},
        \quad
        \mathrm{er\_followers}(a) = \operatorname{median}_{p \in P_a} \frac{I(p)}{\mathrm{followers}(a)}

    with ``P_a`` the account's posts analysed and ``I`` their :func:`interactions`. Replies (``kind ==
    "reply"``, Bluesky and Mastodon) are left out of ``P_a``: they are conversation, not publications,
    and their few interactions would drag every rate of a chatty account down.

    Parameters
    ----------
    accounts, posts, links : DataFrame
        The store's frames (see the module docstring); accounts need ``status``.

    Returns
    -------
    DataFrame
        The columns of ``accounts`` with the metrics above appended, one row per account with status
        ``ok``.

    Examples
    --------
    >>> accounts = pd.DataFrame({"platform": "telegram", "handle": ["a"], "followers": [1000], "status": "ok"})
    >>> posts = pd.DataFrame({"platform": "telegram", "account": "a", "post_id": [1, 2, 3],
    ...                       "published_at": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-15"]),
    ...                       "views": [500, None, 200], "likes": [40, 5, 24], "comments": [10, None, 3],
    ...                       "reposts": [0, None, 3]})
    >>> links = pd.DataFrame({"platform": "telegram", "src": ["b", "c"], "dst": "a", "kind": "forward"})
    >>> metrics = account_metrics(accounts, posts, links)
    >>> metrics[["posts", "posts_per_week", "median_views", "reach_rate", "citations"]]
       posts  posts_per_week  median_views  reach_rate  citations
    0      3             1.0         350.0        0.35          2
    >>> metrics[["er_views", "er_followers"]]  # medians of 0.1, 0.15 and of 0.05, 0.005, 0.03
       er_views  er_followers
    0     0.125          0.03

    References
    ----------
    .. [1] TGStat, "ERR" (share of the subscribers who view a post: views / subscribers), tgstat.ru/docs.
    .. [2] Popsters, engagement rate by followers (ERpost) and by views (ERview).
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
