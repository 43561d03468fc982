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

import re

import numpy as np
import pandas as pd

from ranking.engagement import posts_per_week

AD_COLUMNS = ("ad_posts", "ad_share", "ads_per_week", "ad_median_views", "organic_median_views", "ad_views_ratio",
              "last_ad_at")
#: What ad_metrics also hands over: the posts checked, which the flag needs.
CHECKED = "ad_checked"
#: Above this share of ads, a page is flagged "ad-heavy" ...
AD_HEAVY = 0.3
#: ... once this many of its posts were checked.
AD_FLAG_MIN_POSTS = 10


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
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in (*AD_COLUMNS, CHECKED)}, index=index)
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
            CHECKED: len(group), "ad_posts": int(is_ad.sum()), "ad_share": share,
            "ads_per_week": share * posts_per_week(when),
            "ad_median_views": ad_views, "organic_median_views": organic_views,
            "ad_views_ratio": ad_views / organic_views if organic_views and organic_views > 0 else np.nan,
            "last_ad_at": when[is_ad].max() if is_ad.any() else pd.NaT,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["platform", "account"])
    return out[[*AD_COLUMNS, CHECKED]]


def ad_flag(ad_share: float, checked: int | None = None) -> str | None:
    """The quality flag of a page that runs many ads, once at least ``AD_FLAG_MIN_POSTS`` posts were checked:
    "ad-heavy: 62% of 40 posts are ads".

    >>> ad_flag(0.62, 40), ad_flag(0.1, 40), ad_flag(float("nan"), 40), ad_flag(1.0, 3)
    ('ad-heavy: 62% of 40 posts are ads', None, None, None)
    """
    if ad_share is None or not ad_share >= AD_HEAVY or checked is None or not checked >= AD_FLAG_MIN_POSTS:
        return None  # (written so that NaN, unknown, fails both tests)
    return f"ad-heavy: {ad_share:.0%} of {int(checked)} posts are ads"


ADVERTISER_COLUMNS = {
    "advertiser": "Where the ads send their readers: a site (its domain), a Telegram channel, bot or invite, a VK "
                  "page; from the links of posts marked as ads.",
    "pages": "The pages that ran its ads (platform:handle).",
    "page_count": "How many pages ran its ads.",
    "ad_posts": "Ad posts linking to it.",
    "last_ad_at": "When the latest of them ran.",
}
_SOCIAL_HOSTS = {"t.me", "telegram.me", "vk.com", "vk.ru", "youtube.com", "instagram.com"}
# scheme://[user@]host[:port][/first-segment…]: the host and the first path segment of a link
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#\s]+)(?::\d+)?(?:/([^/?#\s]*))?", re.IGNORECASE)


def advertiser_of(url: str) -> str | None:
    """The advertiser a link names: a site's domain, or host/first path segment on a social platform.

    >>> advertiser_of("https://www.shop.example/sale?erid=2Vtz"), advertiser_of("https://t.me/deals_bot?start=1")
    ('shop.example', 't.me/deals_bot')
    >>> advertiser_of("https://t.me/+AbCdEf"), advertiser_of("not a url")
    ('t.me/+AbCdEf', None)
    """
    found = _URL.match(url.strip()) if isinstance(url, str) else None
    if found is None:
        return None
    host = found.group(1).lower().removeprefix("www.").removeprefix("m.")
    if "." not in host:
        return None
    first = found.group(2) or ""
    return f"{host}/{first}" if host in _SOCIAL_HOSTS and first else host


def advertisers(posts: pd.DataFrame) -> pd.DataFrame:
    r"""Who advertised where: per advertiser (:func:`advertiser_of` each link of each ad post), the pages
    that ran its ads, how many, its ad posts and the latest one's time, most pages first.

    .. math::

        \mathrm{page\_count}(x) = |\{a : \exists p \in A_a,\ x \in \mathrm{links}(p)\}|

    Examples
    --------
    >>> posts = pd.DataFrame({"platform": "telegram", "account": ["a", "a", "b", "b"], "post_id": ["1", "2", "3", "4"],
    ...     "ad": [True, True, True, False], "published_at": pd.to_datetime(["2026-01-01"] * 4, utc=True),
    ...     "ad_links": ["https://shop.example/x", "https://shop.example/y https://t.me/deals_bot",
    ...                  "https://www.shop.example/", None]})
    >>> advertisers(posts)[["advertiser", "pages", "page_count", "ad_posts"]]
          advertiser                    pages  page_count  ad_posts
    0   shop.example  telegram:a, telegram:b           2         3
    1  t.me/deals_bot               telegram:a           1         1
    """
    columns = list(ADVERTISER_COLUMNS)
    if posts is None or posts.empty or "ad_links" not in posts.columns:
        return pd.DataFrame(columns=columns)
    ads = posts[posts["ad"].fillna(False).astype(bool) & posts["ad_links"].notna()]
    rows = []
    for platform, account, links, when in zip(ads["platform"], ads["account"], ads["ad_links"], ads["published_at"]):
        for advertiser in dict.fromkeys(filter(None, map(advertiser_of, str(links).split()))):
            rows.append((advertiser, f"{platform}:{account}", when))
    if not rows:
        return pd.DataFrame(columns=columns)
    found = pd.DataFrame(rows, columns=["advertiser", "page", "at"])
    grouped = found.groupby("advertiser")
    out = pd.DataFrame({
        "pages": grouped["page"].agg(lambda pages: ", ".join(sorted(set(pages)))),
        "page_count": grouped["page"].nunique(),
        "ad_posts": grouped.size(),
        "last_ad_at": pd.to_datetime(grouped["at"].max(), utc=True),
    }).reset_index()
    out = out.sort_values(["page_count", "ad_posts", "advertiser"], ascending=[False, False, True], kind="mergesort")
    return out[columns].reset_index(drop=True)


AD_POST_COLUMNS = {
    "platform": "platform of the page", "account": "the page", "url": "the ad post",
    "published_at": "when it ran (UTC)", "views": "its views, where the platform shows them",
    "ad_marker": "why it counts as an ad: the marker that fired", "ad_erids": "its erid tokens",
    "ad_links": "the advertiser's links in it",
}


def ad_posts(posts: pd.DataFrame) -> pd.DataFrame:
    """The posts marked as ads, newest first, with their evidence.

    Examples
    --------
    >>> posts = pd.DataFrame({"platform": "vk", "account": "a", "post_id": ["1", "2"], "url": ["u1", "u2"],
    ...     "published_at": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True), "views": [10, 20],
    ...     "ad": [True, False], "ad_marker": ["#реклама", None], "ad_erids": None, "ad_links": None})
    >>> ad_posts(posts)["url"].tolist()
    ['u1']
    """
    columns = list(AD_POST_COLUMNS)
    if posts is None or posts.empty or "ad" not in posts.columns:
        return pd.DataFrame(columns=columns)
    found = posts[posts["ad"].fillna(False).astype(bool)].reindex(columns=columns)
    return found.sort_values("published_at", ascending=False, kind="mergesort").reset_index(drop=True)
