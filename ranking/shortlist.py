"""The shortlist table every export writes: columns in a fixed order, each with its explanation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ranking.ads import AD_COLUMNS, CHECKED, ad_flag, ad_metrics
from ranking.engagement import PAGE_COLUMNS, account_metrics
from ranking.frames import Frames
from ranking.graph import authority
from ranking.money import money_columns
from ranking.overlap import target_columns
from ranking.plan import expected_reach
from ranking.quality import quality_columns
from ranking.relevance import languages, relevance
from ranking.score import apply_filters, brief_weights, score
from ranking.standout import overperformance, standout_columns, top_posts

#: Column → what it means and how it is computed. Exports write this next to the table.
SHORTLIST_COLUMNS: dict[str, str] = {
    "rank": "Position by score, 1 = best; ties broken by followers.",
    **PAGE_COLUMNS,
    "followers": "Subscribers / members / followers as the platform shows them (Telegram rounds, e.g. 109K).",
    "posts": "Posts analysed (the most recent ones collected).",
    "posts_per_week": "(posts − 1) / (days from first to last analysed post / 7).",
    "median_views": "Median views per analysed post.",
    "reach_rate": "ERR = median views / followers (TGStat's reach rate, with the median).",
    "er_views": "Median over posts of (likes or reactions + comments + reposts) / views (Popsters ERview).",
    "er_followers": "Median over posts of (likes or reactions + comments + reposts) / followers (Popsters ERpost).",
    "citations": "Distinct other pages in the database that forwarded, reposted, quoted or mentioned it.",
    "score": "0–100: weighted mean of within-platform percentiles of reach 40%, engagement 35%, citations 25%, "
             "audience quality 15% (in v2 too); missing components are left out, not counted as 0. With a brief "
             "(--brief) or keywords: score v2, "
             "relevance 30%, reach 20%, engagement 20%, authority 15%, affinity 15% unless the brief's weights say "
             "otherwise (README 'Relevance, authority and lookalikes').",
    "audience_sampled": "Followers actually stored for the page (a sample, capped by --audience-limit), the base of "
                        "any audience figure; empty where none were stored (Telegram lists no subscribers, the list "
                        "is hidden, or the crawl took no audience).",
    "same_as": "The same author's pages on other platforms (platform:handle), from links on their blog and in its "
               "posts to Telegram, VK, YouTube, Bluesky and Mastodon profiles (crawl rss); empty where none are known.",
}
#: Audience quality, growth and temperature (ranking/quality.py, ranking/growth.py), appended to ``SHORTLIST_COLUMNS``.
QUALITY_COLUMNS: dict[str, str] = {
    "bot_share": "Estimated share of bots in the stored audience: the members the platform's classifier could "
                 "judge, deactivated ones (VK deleted/banned, Mastodon suspended/moved) counted as bots, the "
                 "others judged by VK's model fitted on labelled profiles (measured sensitivity and specificity) "
                 "or, on Bluesky and Mastodon, by the two-weak-signals rule (assumed error rates), then corrected "
                 "for the classifier's errors (Rogan–Gladen). HypeAuditor AQS / Modash credibility style; empty "
                 "where no member signals are stored (Telegram, YouTube).",
    "bot_share_low": "Lower end of the 95% interval of bot_share: it carries the number of members checked, "
                     "the uncertainty of the classifier's error rates (Lang–Reiczigel adjusted Wald) and, by the delta method, that of "
                     "the deactivated share, so a small sample gives a wide interval.",
    "bot_share_high": "Upper end of the 95% interval of bot_share.",
    "quality": "0–100 = 100 × weighted mean of the parts checked (see quality_checked): audience 50% "
               "(1 − bot_share), engagement 30% (1 − 0.5 per flag: views far above the engagement, reach far "
               "below the platform median, isolation-forest outlier), growth 20% (1 − 0.5 per follower spike); "
               "empty where no part was checked.",
    "quality_checked": "The parts quality was computed from: audience, engagement, growth. A part not listed was "
                       "not checked and does not count (Telegram lists no subscribers, so its audience never is).",
    "quality_flags": "What lowered quality, in plain words with the number: deactivated members, likely bots with "
                     "the 95% interval and the members checked, small sample, views N× the platform's views per "
                     "interaction, reach rate far below the platform median, engagement unlike other pages "
                     "(isolation forest, only for platforms with ≥ 20 pages), follower jumps (+40% followers in "
                     "2 days).",
    "growth_30d": "Follower change vs the snapshot closest to 30 days before the latest (within ±7.5 days); empty "
                  "without that much history.",
    "growth_90d": "Follower change vs the snapshot closest to 90 days before the latest (within ±22.5 days); empty "
                  "without that much history.",
    "warm": "Estimate from stored engagers: share of the page's stored audience (followers and engagers) that liked, "
            "commented or reposted in the last 7 days; empty where no dated engagers are stored.",
    "cooling": "Share of the stored audience whose latest stored engagement was 7–60 days ago.",
    "cold": "Share of the stored audience with no stored engagement in 60 days (1 − warm − cooling).",
}
SHORTLIST_COLUMNS.update(QUALITY_COLUMNS)
#: Ad load (ranking/ads.py), appended to ``SHORTLIST_COLUMNS``; empty where no post was checked for ads.
AD_COLUMNS_EXPLAINED: dict[str, str] = {
    "ad_posts": "Posts marked as ads: an erid token, a «Реклама» label, #реклама/#ad/#sponsored/#промо, a Czech "
                "label (placená spolupráce, komerční sdělení), or the platform's own flag (VK marked_as_ads).",
    "ad_share": "ad_posts / posts checked for ads (the page's own promotion is no ad).",
    "ads_per_week": "ad_share × posts_per_week: how often an ad appears.",
    "ad_median_views": "Median views of the ad posts.",
    "organic_median_views": "Median views of the other posts.",
    "ad_views_ratio": "ad_median_views / organic_median_views: do ads get seen here? 1 = as much as the page's own posts.",
    "last_ad_at": "When the latest ad ran.",
}
SHORTLIST_COLUMNS.update(AD_COLUMNS_EXPLAINED)
#: Standout posts (ranking/standout.py), appended to ``SHORTLIST_COLUMNS``.
STANDOUT_COLUMNS: dict[str, str] = {
    "standout_posts": "Posts with overperformance ≥ 2: views at least twice the median of the page's posts within "
                      "15 posts of it (interactions where the page shows no views; posts under 48 hours old left "
                      "out). CrowdTangle's overperforming posts.",
    "standout_rate": "standout_posts / posts scored: how often a post takes off here.",
}
SHORTLIST_COLUMNS.update(STANDOUT_COLUMNS)
#: Relevance to the brief, authority in the link graph and the score's reasons (ranking/relevance.py,
#: ranking/graph.py, ranking.score.why), appended to ``SHORTLIST_COLUMNS``.
RELEVANCE_COLUMNS: dict[str, str] = {
    "relevance": "0–1 match of the page's name, description and 50 newest posts with the brief's keywords (TF-IDF "
                 "over 3–5-letter pieces of words, so word forms match), minus its match with the negative keywords; "
                 "1 = the best match among the pages ranked (before filters). Empty without keywords or without text.",
    "pagerank": "PageRank (damping 0.85) in the graph of forwards, reposts, quotes, mentions, replies and follows "
                "between pages, each link counted; sums to 1 over the platform's pages.",
    "citation_index": "Σ over distinct pages citing it (forward, repost, quote, mention) of max(1, log10(1 + the "
                      "citer's median views, else followers)): a citation by a big page counts more, by the log "
                      "of its reach.",
    "community": "Louvain community in the link graph (numbered from the largest) and its three most telling words "
                 "from its pages' names and descriptions; empty for pages tied to no other.",
    "language": "Language of the page's texts (ru, uk, en, cs, de, es, fr) by script, frequent words and letters; "
                "empty when unsure.",
    "why": "The (at most) three components that moved the score most against a median (p50) page, in plain "
           "words: 'lifted by relevance 0.92, reach p88; sunk by engagement p12' (relevance as its 0–1 match, the "
           "others as within-platform percentiles: p88 = at or above 88% of the platform's pages).",
}
SHORTLIST_COLUMNS.update(RELEVANCE_COLUMNS)
RATE_COLUMNS = ("reach_rate", "er_views", "er_followers")
RATE_COLUMNS += ("bot_share", "bot_share_low", "bot_share_high", "growth_30d", "growth_90d", "warm", "cooling", "cold",
                 "ad_share", "standout_rate")
#: Columns ``shortlist`` appends with ``ShortlistOptions.targets`` (``pagescout export --target``), see ranking/overlap.py.
TARGET_COLUMNS: dict[str, str] = {
    "target_overlap": "|A∩T|: stored audience members of the page who are in the target audience T (everyone in the "
                      "--target accounts' stored audiences); empty where the page has no stored audience.",
    "affinity": "(|A∩T| / |A|) / (|T| / |U|) × 100, U = every member stored for the platform: 100 = as many target "
                "members as an average page, 200 = twice as many.",
}


def audience_sampled(audience: pd.DataFrame | None, index: pd.MultiIndex) -> pd.Series:
    r"""Distinct followers stored per (platform, handle) in ``index``; NaN (``<NA>``) where none are.

    ``audience`` is the store's audience frame (platform, account, kind, member_key); other kinds
    (likers, reposters) are not followers and are not counted.

    .. math::

        \mathrm{audience\_sampled}(a) = |\{m : (a, m, \mathrm{follower}) \in \mathrm{audience}\}|

    Parameters
    ----------
    audience : DataFrame or None
        The store's audience frame.
    index : MultiIndex
        (platform, handle) of the accounts to count.

    Returns
    -------
    Series
        Int64 over ``index``, ``<NA>`` where no follower is stored.

    Examples
    --------
    >>> audience = pd.DataFrame({"platform": "vk", "account": ["a", "a", "a", "b", "b"],
    ...                          "kind": ["follower", "follower", "liker", "follower", "follower"],
    ...                          "member_key": [1, 2, 3, 4, 4]})
    >>> index = pd.MultiIndex.from_tuples([("vk", "a"), ("vk", "b"), ("vk", "c")])
    >>> audience_sampled(audience, index).tolist()  # a liker is no follower; b's member 4 counts once
    [2, 1, <NA>]
    """
    if audience is None or audience.empty:
        return pd.Series(pd.NA, index=index, dtype="Int64")
    followers = audience[audience["kind"].astype(str) == "follower"]
    counts = followers.groupby([followers["platform"].astype(str), followers["account"].astype(str)])[
        "member_key"].nunique()
    return counts.reindex(index).astype("Int64")


def same_as_pages(links: pd.DataFrame, platforms: pd.Series, handles: pd.Series) -> list:
    r"""The author's other pages for each (platform, handle): ``same_as`` links both ways, as
    ``platform:handle`` joined with ", " (``None`` where there are none).

    A blog that links to ``t.me/durov`` gives the blog ``telegram:durov`` and the Telegram channel
    ``durov`` the blog (``rss:<site>``). Pure: reads only ``links`` (platform, src, dst, kind).

    .. math::

        \mathrm{same\_as}(p\!:\!h) = \{q\!:\!g : (p\!:\!h \to q\!:\!g) \in L\} \cup
        \{q\!:\!g : (q\!:\!g \to p\!:\!h) \in L\}

    with L the ``same_as`` links, listed sorted.

    Parameters
    ----------
    links : DataFrame or None
        The store's links (platform, src, dst, kind); a ``same_as`` link's dst is ``platform:handle``.
    platforms, handles : Series
        The pages to describe, pairwise.

    Returns
    -------
    list of str or None
        One per page.

    Examples
    --------
    >>> links = pd.DataFrame({"platform": "rss", "src": ["blog.example"], "dst": ["telegram:durov"], "kind": "same_as"})
    >>> same_as_pages(links, pd.Series(["rss", "telegram", "vk"]), pd.Series(["blog.example", "durov", "x"]))
    ['telegram:durov', 'rss:blog.example', None]
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


def brief_columns(metrics: pd.DataFrame, accounts: pd.DataFrame, posts: pd.DataFrame, links: pd.DataFrame, *,
                  keywords=None, negative_keywords=None, seeds=None, target: pd.DataFrame | None = None,
                  exclude=None) -> pd.DataFrame:
    """``metrics`` with relevance, pagerank, citation_index, community and language added (and ``affinity``
    from ``target``, indexed by platform and handle, when given), less the ``exclude`` accounts."""
    out = metrics.reset_index(drop=True)
    index = pd.MultiIndex.from_frame(out[["platform", "handle"]].astype(str))
    usable = accounts[accounts["status"].eq("ok")] if "status" in accounts.columns else accounts
    if keywords or seeds:
        out["relevance"] = relevance(usable, posts, keywords or (), negative_keywords or (), seeds or ()).reindex(
            index).to_numpy(dtype="float64")
    else:
        out["relevance"] = float("nan")
    out = pd.concat([out, authority(out, links, usable).reset_index(drop=True)], axis=1)
    out["language"] = languages(usable, posts).reindex(index).to_numpy(dtype=object)
    if target is not None:
        out["affinity"] = target["affinity"].reindex(index).to_numpy(dtype="float64")
    if exclude:
        out = out[~index.isin([(str(p), str(h)) for p, h in exclude])].reset_index(drop=True)
    return out


@dataclass(frozen=True)
class ShortlistOptions:
    """How to rank: what the command line and a brief ask of ``shortlist``.

    ``platform`` and ``top`` narrow the table; ``max_bot_share`` drops pages whose bot_share is above it
    (pages of unknown bot share stay). ``keywords``, ``negative_keywords``, ``seeds`` (accounts whose
    texts count as relevant), ``weights`` and ``filters`` are a brief's; ``exclude`` are accounts left
    out of the table (a brief's targets). ``targets`` are the (platform, handle) accounts whose stored
    audiences form the target audience of ``target_overlap`` and ``affinity``. ``now`` is when the
    audience is judged (default: the latest ``fetched_at`` among the accounts).
    """

    platform: str | None = None
    top: int | None = None
    max_bot_share: float | None = None
    keywords: tuple[str, ...] = ()
    negative_keywords: tuple[str, ...] = ()
    seeds: tuple[tuple[str, str], ...] = ()
    weights: Mapping[str, float] | None = None
    filters: Mapping | None = None
    exclude: tuple[tuple[str, str], ...] = ()
    targets: tuple[tuple[str, str], ...] = ()
    now: pd.Timestamp | None = None
    #: A prices file (``sheets.readers.read_prices``: platform, handle, price, expected_reach): adds the
    #: ``MONEY_COLUMNS`` (price, cpm, cpe).
    prices: pd.DataFrame | None = None

    @classmethod
    def from_brief(cls, brief, **options) -> ShortlistOptions:
        """The ranking parts of a brief (``sheets.brief.Brief``): keywords, negative keywords, weights,
        filters (languages default to the brief's), and its targets as seeds and as accounts left out."""
        if brief is None:
            return cls(**options)
        filters = dict(brief.filters)
        if brief.languages and "languages" not in filters:
            filters["languages"] = brief.languages
        targets = tuple(brief.target_accounts)
        return cls(keywords=tuple(brief.keywords), negative_keywords=tuple(brief.negative_keywords), seeds=targets,
                   weights=brief.weights, filters=filters, exclude=targets, **options)


def shortlist(frames: Frames, options: ShortlistOptions = ShortlistOptions()) -> pd.DataFrame:
    r"""Rank every usable account (optionally of one platform) and return the ``SHORTLIST_COLUMNS`` table.

    ``frames.audience`` (optional) fills ``audience_sampled``; without it the column is empty. The
    ``QUALITY_COLUMNS`` come from ``frames.audience`` (all kinds), ``signals``, ``snapshots`` and
    ``engagers``, each optional (its columns stay empty without it), judged as of ``options.now``.
    ``attrs["notes"]`` says what could not be checked.

    The ``RELEVANCE_COLUMNS``: ``relevance`` to the keywords (and the texts of the ``seeds`` accounts)
    less the negative keywords, empty without either; ``pagerank``, ``citation_index``, ``community`` and
    ``language`` always. Filters (``ranking.score.FILTERS``, a brief's ``[filters]``) drop accounts before
    ranking, as do the ``exclude`` accounts. With keywords or weights the score is v2
    (``ranking.score.brief_weights``, affinity from the targets included); otherwise v1.

    Prices: with ``options.prices`` the ``ranking.money.MONEY_COLUMNS`` (price, cpm, cpe) are appended.
    Targets: with ``options.targets`` the ``TARGET_COLUMNS`` are appended, and the targets are left out
    of the table unless ``exclude`` says otherwise. Without them, the ``exclude`` accounts (a brief's
    targets) that have a stored audience form the target audience.

    The score it ranks by is ``ranking.score.score``'s: the weighted mean of the account's
    within-platform percentiles ``p_i`` (``ranking.score.percentiles``) over the components K its
    platform has,

    .. math::

        \mathrm{score}(a) = 100 \cdot \frac{\sum_{i \in K} w_i\, p_i(a)}{\sum_{i \in K} w_i}, \qquad
        \mathrm{rank}(a) = 1 + |\{b : \mathrm{score}(b) > \mathrm{score}(a)\}| \text{ (ties: followers, handle)}

    with the weights ``ranking.score.DEFAULT_WEIGHTS`` (v1: reach 0.40, engagement 0.35, citations 0.25,
    quality 0.15) or ``ranking.score.V2_WEIGHTS`` / ``brief_weights`` (v2).

    Parameters
    ----------
    frames : Frames
        The store's frames; accounts need ``status``, posts the interaction columns (likes, comments,
        reposts).
    options : ShortlistOptions
        Platform, top, filters, a brief's keywords, weights and targets.

    Returns
    -------
    DataFrame
        The ``SHORTLIST_COLUMNS`` (and ``TARGET_COLUMNS`` with targets), best first; ``attrs["notes"]``.

    Examples
    --------
    >>> accounts = pd.DataFrame({"platform": "telegram", "handle": ["a", "b", "c"], "followers": [1000, 4000, 300],
    ...                          "status": "ok"})
    >>> posts = pd.DataFrame({"platform": "telegram", "account": ["a", "b", "c"], "post_id": "1",
    ...                       "views": [500, 800, 90], "likes": [50, 20, 9], "comments": 0, "reposts": 0,
    ...                       "published_at": pd.Timestamp("2026-01-01")})
    >>> links = pd.DataFrame({"platform": "telegram", "src": ["b", "c"], "dst": "a", "kind": "forward"})
    >>> table = shortlist(Frames(accounts, posts, links))
    >>> # a: 100 · (0.4 · 2/3 + 0.35 · 5/6 + 0.25 · 1) = 80.8 (percentiles of views, er_views, citations)
    >>> table[["rank", "handle", "median_views", "er_views", "citations", "score"]]
       rank handle  median_views  er_views  citations  score
    0     1      a           500     0.100          2   80.8
    1     2      b           800     0.025          0   64.2
    2     3      c            90     0.100          0   55.0

    References
    ----------
    .. [1] TGStat, "ERR" and "Индекс цитирования" (reach rate and citation index of Telegram channels),
       tgstat.ru/docs.
    .. [2] Popsters, engagement rate by views (ERview).
    """
    targets, exclude = list(options.targets), list(options.exclude)
    if exclude and not targets:  # the brief's targets define the target audience where stored
        have = frames.with_audience()
        targets = [(p, h) for p, h in exclude if (p, h) in have and options.platform in (None, p)]
    if targets and not exclude:  # the targets are the client's side, not candidates
        exclude = targets
    target = target_columns(frames.audience, targets, options.platform) if targets else None
    return _ranked(frames, options, target, exclude)


def _ranked(frames: Frames, options: ShortlistOptions, target: pd.DataFrame | None,
            exclude: list[tuple[str, str]]) -> pd.DataFrame:
    accounts, posts, links, audience = frames.accounts, frames.posts, frames.links, frames.audience
    every_link = links  # same_as looks across platforms
    if options.platform:
        accounts = accounts[accounts["platform"] == options.platform]
        posts = posts[posts["platform"] == options.platform]
        links = links[links["platform"] == options.platform]
    metrics = account_metrics(accounts, posts, links)
    ads = ad_metrics(posts).reindex(pd.MultiIndex.from_frame(metrics[["platform", "handle"]].astype(str)))
    for column in (*AD_COLUMNS, CHECKED):
        metrics[column] = ads[column].to_numpy()
    now = None if options.now is None else pd.Timestamp(options.now)
    if now is None and "fetched_at" in accounts and accounts["fetched_at"].notna().any():
        now = pd.to_datetime(accounts["fetched_at"], utc=True).max()
    scored = overperformance(posts, now if now is not None else pd.Timestamp.now(tz="UTC"), accounts)
    standout = standout_columns(scored).reindex(pd.MultiIndex.from_frame(metrics[["platform", "handle"]].astype(str)))
    for column in STANDOUT_COLUMNS:
        metrics[column] = standout[column].to_numpy(dtype="float64")
    quality = quality_columns(metrics, posts, audience=audience, signals=frames.signals, snapshots=frames.snapshots,
                              engagers=frames.engagers, now=now)
    notes = quality.attrs.get("notes", [])
    v2 = bool(options.keywords) or options.weights is not None
    found_target = target.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"]) \
        if target is not None and v2 else None
    ranked = score(apply_filters(brief_columns(
        pd.concat([metrics.reset_index(drop=True), quality], axis=1), accounts, posts, links,
        keywords=list(options.keywords), negative_keywords=list(options.negative_keywords), seeds=list(options.seeds),
        target=found_target, exclude=exclude), options.filters),
        brief_weights(options.weights) if v2 else None)
    if options.max_bot_share is not None:  # unknown bot share stays: its cell is empty, not a pass
        ranked = ranked[~(ranked["bot_share"] > options.max_bot_share)].reset_index(drop=True)
        ranked["rank"] = range(1, len(ranked) + 1)
    ranked["audience_sampled"] = audience_sampled(
        audience, pd.MultiIndex.from_frame(ranked[["platform", "handle"]])).array
    ranked["same_as"] = same_as_pages(every_link, ranked["platform"], ranked["handle"])
    ranked["quality_flags"] = [
        "; ".join(f for f in (flags if isinstance(flags, str) and flags else None, ad_flag(share, checked)) if f)
        or flags
        for flags, share, checked in zip(ranked["quality_flags"], ranked["ad_share"], ranked[CHECKED])]
    table = ranked.reindex(columns=list(SHORTLIST_COLUMNS))
    if target is not None:
        # platform, handle, target_overlap, affinity (ranking.overlap.target_metrics); empty where no audience is stored
        found = target.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])
        index = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))
        table["target_overlap"] = found["target_overlap"].reindex(index).astype("Int64").array
        table["affinity"] = found["affinity"].reindex(index).to_numpy(dtype="float64")
    if options.prices is not None:  # expected views over every page, as plan reckons them, whatever the filters
        expected_views = pd.Series(np.floor(expected_reach(metrics).to_numpy(dtype="float64") + 0.5),
                                   index=pd.MultiIndex.from_frame(metrics[["platform", "handle"]].astype(str)))
        table = pd.concat([table, money_columns(table, options.prices, posts, expected_views)], axis=1)
    table = tidy_numbers(table.head(options.top) if options.top else table)
    if scored.attrs.get("young"):
        notes = [*notes, f"{scored.attrs['young']} posts under 48 hours old are still gathering views: left out of "
                         f"standout_posts"]
    table.attrs["top_posts"] = top_posts(scored, table)
    table.attrs["notes"] = notes
    table.attrs["stored_platforms"] = list(frames.stored_platforms)
    return table


#: Whole numbers (counts of people and posts) and the decimals each other figure is shown with.
WHOLE_NUMBER_COLUMNS = ("rank", "followers", "posts", "median_views", "citations", "audience_sampled", "target_overlap",
                        "ad_posts", "standout_posts")
DECIMALS = {"posts_per_week": 2, "citation_index": 2, "pagerank": 6, "relevance": 3, "affinity": 1, "ads_per_week": 2,
            "ad_views_ratio": 2}


def tidy_numbers(table: pd.DataFrame) -> pd.DataFrame:
    r"""Counts as whole numbers (empty stays empty) and other figures rounded to what they can support,
    so a CSV shows ``71200`` and ``16.8`` rather than ``71200.0`` and ``16.799999999999997``.
    Rates keep 6 decimals (0.0001% resolution).

    .. math::

        x' = \begin{cases} \operatorname{round}(x) \in \mathbb{Z} & x \text{ a count (WHOLE\_NUMBER\_COLUMNS)} \\
        \operatorname{round}(x, d) & d = \text{DECIMALS}[x], \text{ or } 6 \text{ for a rate (RATE\_COLUMNS)}
        \end{cases}

    A count past what Int64 holds (``|x| ≥ 2⁶³``) becomes empty.

    Parameters
    ----------
    table : DataFrame
        A shortlist-like table; columns it lacks are skipped.

    Returns
    -------
    DataFrame
        A copy, counts as ``Int64``.

    Examples
    --------
    >>> table = pd.DataFrame({"followers": [71200.0, None], "posts_per_week": [16.799999999999997, 2.0],
    ...                       "reach_rate": [0.123456789, None], "affinity": [123.456, None]})
    >>> tidy_numbers(table)
       followers  posts_per_week  reach_rate  affinity
    0      71200            16.8    0.123457     123.5
    1       <NA>             2.0         NaN       NaN
    """
    out = table.copy()
    for col in WHOLE_NUMBER_COLUMNS:
        if col in out:
            values = pd.to_numeric(out[col], errors="coerce").round()
            # A median near 2**63 rounds past what Int64 holds: empty rather than a crash.
            out[col] = values.where(values.abs() < 2**63).astype("Int64")
    for col, places in {**DECIMALS, **{c: 6 for c in RATE_COLUMNS}}.items():
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(places)
    return out
