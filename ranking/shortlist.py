"""The shortlist table every export writes: columns in a fixed order, each with its explanation."""

from __future__ import annotations

import pandas as pd

from ranking.engagement import account_metrics
from ranking.quality import quality_columns
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
#: Audience quality, growth and temperature (ranking/quality.py, ranking/growth.py), appended to ``COLUMNS``.
QUALITY_COLUMNS: dict[str, str] = {
    "bot_share": "Share of suspicious members among the stored audience members whose platform shows any signal: "
                 "deactivated (VK deleted/banned, Mastodon suspended/moved), or ≥ 2 weak signals (no avatar, no bio, "
                 "account < 30 days old, follows > 1,500, no posts, not seen for 6 months). HypeAuditor AQS / Modash "
                 "credibility style; empty where no member signals are stored (Telegram, YouTube).",
    "bot_share_low": "Lower end of the 95% Wilson interval of bot_share for the members checked: a small sample "
                     "gives a wide interval.",
    "bot_share_high": "Upper end of the 95% Wilson interval of bot_share.",
    "quality": "0–100 = 100 × weighted mean of the parts known: audience 50% (1 − bot_share), engagement 30% "
               "(1 − 0.5 per flag: views far above the engagement, reach far below the platform median, isolation-"
               "forest outlier), growth 20% (1 − 0.5 per follower spike); empty where no part is known.",
    "quality_flags": "What lowered quality, in plain words with the number: deactivated or suspicious members (±95% "
                     "interval), small sample, views N× the platform's views per interaction, reach rate far below "
                     "the platform median, engagement unlike other pages (isolation forest, only for platforms with "
                     "≥ 20 pages), follower jumps (+40% followers in 2 days).",
    "growth_30d": "Follower change vs the snapshot closest to 30 days before the latest (within ±7.5 days); empty "
                  "without that much history.",
    "growth_90d": "Follower change vs the snapshot closest to 90 days before the latest (within ±22.5 days); empty "
                  "without that much history.",
    "warm": "Estimate from stored engagers: share of the page's stored audience (followers and engagers) that liked, "
            "commented or reposted in the last 7 days; empty where no dated engagers are stored.",
    "cooling": "Share of the stored audience whose latest stored engagement was 7–60 days ago.",
    "cold": "Share of the stored audience with no stored engagement in 60 days (1 − warm − cooling).",
}
COLUMNS.update(QUALITY_COLUMNS)
RATE_COLUMNS = ("reach_rate", "er_views", "er_followers")
RATE_COLUMNS += ("bot_share", "bot_share_low", "bot_share_high", "growth_30d", "growth_90d", "warm", "cooling", "cold")
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
              audience: pd.DataFrame | None = None, target: pd.DataFrame | None = None, *,
              signals: pd.DataFrame | None = None, snapshots: pd.DataFrame | None = None,
              engagers: pd.DataFrame | None = None, now=None, max_bot_share: float | None = None) -> pd.DataFrame:
    """Rank every usable account (optionally of one platform) and return the ``COLUMNS`` table.

    ``audience`` (optional, the store's audience frame) fills ``audience_sampled``; without it the
    column is empty. ``target`` (optional: platform, handle, target_overlap, affinity, as
    ``ranking.overlap.target_metrics`` computes them) appends the ``TARGET_COLUMNS``.

    The ``QUALITY_COLUMNS`` come from ``audience`` (all kinds), ``signals`` (``Store.load_member_signals``),
    ``snapshots`` (``Store.load_snapshots``) and ``engagers`` (``Store.load_engagers``), each optional
    (its columns stay empty without it), judged as of ``now`` (the CLI passes the current time; default:
    the latest ``fetched_at`` among the accounts). ``max_bot_share`` drops pages whose bot_share is above
    it (pages of unknown bot share stay) and renumbers ``rank``. ``attrs["notes"]`` says what could not
    be checked.
    """
    every_link = links  # same_as looks across platforms
    if platform:
        accounts = accounts[accounts["platform"] == platform]
        posts = posts[posts["platform"] == platform]
        links = links[links["platform"] == platform]
    metrics = account_metrics(accounts, posts, links)
    if now is None and "fetched_at" in accounts and accounts["fetched_at"].notna().any():
        now = pd.to_datetime(accounts["fetched_at"], utc=True).max()
    quality = quality_columns(metrics, posts, audience=audience, signals=signals, snapshots=snapshots,
                              engagers=engagers, now=now)
    notes = quality.attrs.get("notes", [])
    ranked = score(pd.concat([metrics.reset_index(drop=True), quality], axis=1))
    if max_bot_share is not None:  # unknown bot share stays: its cell is empty, not a pass
        ranked = ranked[~(ranked["bot_share"] > max_bot_share)].reset_index(drop=True)
        ranked["rank"] = range(1, len(ranked) + 1)
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
    table = table.head(top) if top else table
    table.attrs["notes"] = notes
    return table
