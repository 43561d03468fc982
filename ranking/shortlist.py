"""The shortlist table every export writes: columns in a fixed order, each with its explanation."""

from __future__ import annotations

import pandas as pd

from ranking.engagement import account_metrics
from ranking.score import score

#: Column → what it means and how it is computed. Exports write this next to the table.
COLUMNS: dict[str, str] = {
    "rank": "Position by score, 1 = best; ties broken by followers.",
    "platform": "Platform the page lives on.",
    "handle": "The page's handle on its platform.",
    "name": "Display name.",
    "url": "Link to the page.",
    "followers": "Subscribers / members / followers as the platform shows them (Telegram rounds, e.g. 109K).",
    "posts": "Posts analysed (the most recent ones collected).",
    "posts_per_week": "(posts − 1) / (days from first to last analysed post / 7).",
    "median_views": "Median views per analysed post.",
    "reach_rate": "ERR = median views / followers (TGStat's reach rate, with the median).",
    "er_views": "Median over posts of (likes or reactions + comments + reposts) / views (Popsters ERview).",
    "er_followers": "Median over posts of (likes or reactions + comments + reposts) / followers (Popsters ERpost).",
    "citations": "Distinct other pages in the database that forwarded, reposted, quoted or mentioned it.",
    "score": "0–100: weighted mean of within-platform percentiles of reach 40%, engagement 35%, citations 25%; "
             "missing components are left out, not counted as 0.",
    "audience_sampled": "Followers actually stored for the page (a sample, capped by --audience-limit), the base of "
                        "any audience figure; empty where none were stored (Telegram lists no subscribers, the list "
                        "is hidden, or the crawl took no audience).",
    "same_as": "The same author's pages on other platforms (platform:handle), from links on their blog and in its "
               "posts to Telegram, VK, YouTube, Bluesky and Mastodon profiles (crawl rss); empty where none are known.",
}
RATE_COLUMNS = ("reach_rate", "er_views", "er_followers")
#: Columns ``shortlist(..., target=...)`` appends (``pagescout export --target``), see ranking/overlap.py.
TARGET_COLUMNS: dict[str, str] = {
    "target_overlap": "|A∩T|: stored audience members of the page who are in the target audience T (everyone in the "
                      "--target accounts' stored audiences); empty where the page has no stored audience.",
    "affinity": "(|A∩T| / |A|) / (|T| / |U|) × 100, U = every member stored for the platform: 100 = as many target "
                "members as an average page, 200 = twice as many.",
}


def audience_sampled(audience: pd.DataFrame | None, index: pd.MultiIndex) -> pd.Series:
    """Distinct followers stored per (platform, handle) in ``index``; NaN (``<NA>``) where none are.

    ``audience`` is the store's audience frame (platform, account, kind, member_key); other kinds
    (likers, reposters) are not followers and are not counted.
    """
    if audience is None or audience.empty:
        return pd.Series(pd.NA, index=index, dtype="Int64")
    followers = audience[audience["kind"].astype(str) == "follower"]
    counts = followers.groupby([followers["platform"].astype(str), followers["account"].astype(str)])[
        "member_key"].nunique()
    return counts.reindex(index).astype("Int64")


def same_as_pages(links: pd.DataFrame, platforms: pd.Series, handles: pd.Series) -> list:
    """The author's other pages for each (platform, handle): ``same_as`` links both ways, as
    ``platform:handle`` joined with ", " (``None`` where there are none).

    A blog that links to ``t.me/durov`` gives the blog ``telegram:durov`` and the Telegram channel
    ``durov`` the blog (``rss:<site>``). Pure: reads only ``links`` (platform, src, dst, kind).
    """
    pages: dict[tuple[str, str], set[str]] = {}
    if links is not None and not links.empty:
        same = links[links["kind"] == "same_as"]
        for platform, src, dst in zip(same["platform"], same["src"], same["dst"]):
            pages.setdefault((platform, src), set()).add(dst)
            other, _, handle = str(dst).partition(":")
            if handle:
                pages.setdefault((other, handle), set()).add(f"{platform}:{src}")
    return [", ".join(sorted(pages[key])) if key in pages else None for key in zip(platforms, handles)]


def shortlist(accounts: pd.DataFrame, posts: pd.DataFrame, links: pd.DataFrame,
              platform: str | None = None, top: int | None = None,
              audience: pd.DataFrame | None = None, target: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank every usable account (optionally of one platform) and return the ``COLUMNS`` table.

    ``audience`` (optional, the store's audience frame) fills ``audience_sampled``; without it the
    column is empty. ``target`` (optional: platform, handle, target_overlap, affinity, as
    ``ranking.overlap.target_metrics`` computes them) appends the ``TARGET_COLUMNS``.
    """
    every_link = links  # same_as looks across platforms
    if platform:
        accounts = accounts[accounts["platform"] == platform]
        posts = posts[posts["platform"] == platform]
        links = links[links["platform"] == platform]
    ranked = score(account_metrics(accounts, posts, links))
    ranked["audience_sampled"] = audience_sampled(
        audience, pd.MultiIndex.from_frame(ranked[["platform", "handle"]])).array
    ranked["same_as"] = same_as_pages(every_link, ranked["platform"], ranked["handle"])
    table = ranked.reindex(columns=list(COLUMNS))
    if target is not None:
        # platform, handle, target_overlap, affinity (ranking.overlap.target_metrics); empty where no audience is stored
        found = target.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])
        index = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))
        table["target_overlap"] = found["target_overlap"].reindex(index).astype("Int64").array
        table["affinity"] = found["affinity"].reindex(index).to_numpy(dtype="float64")
    return table.head(top) if top else table
