r"""Ad load: how much advertising a page already runs, and how its ads perform next to its own posts.

What Telemetr and TGStat sell as "рекламные посты": per page, from the posts the crawl marked (``ad``:
``crawler.ads`` at crawl time; a post stored before that check, or imported, has ``ad`` empty and counts
in none of these figures).

References
----------
.. [1] TGStat, "Рекламные публикации" (ad posts of a channel); Telemetr, ad posts and advertisers.
.. [2] Federal Law 38-FZ "On Advertising", art. 18.1 (2023): ad labels and erid tokens in Russia.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ranking.engagement import posts_per_week

AD_COLUMNS = ("ad_posts", "ad_share", "ads_per_week", "ad_median_views", "organic_median_views", "ad_views_ratio",
              "last_ad_at")
#: Above this share of ads, a page is flagged "ad-heavy".
AD_HEAVY = 0.3


def ad_metrics(posts: pd.DataFrame) -> pd.DataFrame:
    r"""Per (platform, account), over the posts checked for ads (``ad`` not empty), replies left out:

    .. math::

        \mathrm{ad\_share} = \frac{|A|}{|P|}, \quad
        \mathrm{ads\_per\_week} = \mathrm{ad\_share} \cdot \mathrm{posts\_per\_week}(P), \quad
        \mathrm{ad\_views\_ratio} = \frac{\operatorname{median}_{p \in A} \mathrm{views}(p)}
        {\operatorname{median}_{p \in P \setminus A} \mathrm{views}(p)}

    with P the posts checked, A ⊆ P those marked as ads, ``ad_posts`` = |A|, ``ad_median_views`` and
    ``organic_median_views`` the two medians (empty where no post of the group shows views) and
    ``last_ad_at`` the latest ad's time. The page's own promotion (``own_promotion``) is no ad.

    Examples
    --------
    >>> posts = pd.DataFrame({"platform": "telegram", "account": "a", "post_id": ["1", "2", "3", "4"],
    ...     "published_at": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-08"], utc=True),
    ...     "views": [100, 300, 200, 400], "ad": [True, False, False, True], "kind": "post"})
    >>> figures = ad_metrics(posts).iloc[0]
    >>> figures[["ad_posts", "ad_share", "ads_per_week"]].astype(float).tolist()
    [2.0, 0.5, 1.5]
    >>> figures[["ad_median_views", "organic_median_views", "ad_views_ratio"]].astype(float).tolist()
    [250.0, 250.0, 1.0]
    """
    index = pd.MultiIndex.from_tuples([], names=["platform", "account"])
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in AD_COLUMNS}, index=index)
    if posts is None or posts.empty or "ad" not in posts.columns:
        return empty
    checked = posts[posts["ad"].notna()]
    if "kind" in checked.columns:
        checked = checked[checked["kind"].ne("reply")]
    if checked.empty:
        return empty
    rows = {}
    for key, group in checked.groupby(["platform", "account"], observed=True, sort=True):
        is_ad = group["ad"].astype(bool).to_numpy()
        views = (pd.to_numeric(group["views"], errors="coerce") if "views" in group
                 else pd.Series(np.nan, index=group.index))
        ad_views, organic_views = views[is_ad].median(), views[~is_ad].median()
        when = pd.to_datetime(group["published_at"], utc=True) if "published_at" in group else pd.Series(pd.NaT)
        share = is_ad.mean()
        rows[key] = {
            "ad_posts": int(is_ad.sum()), "ad_share": share,
            "ads_per_week": share * posts_per_week(when),
            "ad_median_views": ad_views, "organic_median_views": organic_views,
            "ad_views_ratio": ad_views / organic_views if organic_views and organic_views > 0 else np.nan,
            "last_ad_at": when[is_ad].max() if is_ad.any() else pd.NaT,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["platform", "account"])
    return out[list(AD_COLUMNS)]


def ad_flag(ad_share: float) -> str | None:
    """The quality flag of a page that runs many ads: "ad-heavy: 62% of posts are ads".

    >>> ad_flag(0.62), ad_flag(0.1), ad_flag(float("nan"))
    ('ad-heavy: 62% of posts are ads', None, None)
    """
    if ad_share is None or not ad_share >= AD_HEAVY:
        return None
    return f"ad-heavy: {ad_share:.0%} of posts are ads"
