"""pagescout command line: crawl public pages, rank them, export the shortlist.

Thin on purpose: parse options, load frames from the store, call ``ranking``, write the export.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from crawler.basespider import SeedError
from crawler.settings import VERSION
from crawler.store import Store, StoreError, resolve_db
from ranking.shortlist import COLUMNS, RATE_COLUMNS, TARGET_COLUMNS, shortlist

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "data" / "sample" / "telegram.json"
DEMO_OUT = ROOT / "data" / "demo"

app = typer.Typer(
    help="Find the opinion leaders and public pages worth advertising with, and export the shortlist.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
crawl_app = typer.Typer(help="Crawl public pages of a platform into the database.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(crawl_app, name="crawl")


def spiders() -> dict[str, type]:
    from crawler.spiders.bluesky import BlueskySpider
    from crawler.spiders.mastodon import MastodonSpider
    from crawler.spiders.telegram import TelegramSpider

    return {"telegram": TelegramSpider, "bluesky": BlueskySpider, "mastodon": MastodonSpider, **_more_spiders()}


def _more_spiders() -> dict[str, type]:
    from crawler.spiders.rss import RssSpider
    from crawler.spiders.vk import VkSpider
    from crawler.spiders.youtube import YoutubeSpider

    return {"vk": VkSpider, "youtube": YoutubeSpider, "rss": RssSpider}


def known_platforms() -> list[str]:
    """Platforms pagescout crawls, then those it only imports (``pagescout import``)."""
    from crawler.imports import IMPORT_ONLY

    return [*spiders(), *IMPORT_ONLY]


def fail(message: str) -> None:
    """One line on stderr and exit code 2: the user's input was wrong, nothing was changed."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(2)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


DbOption = Annotated[str | None, typer.Option("--db", help="Database file or URL [default: $PAGESCOUT_DB or ./pagescout.db]",
                                              show_default=False)]
PlatformOption = Annotated[str | None, typer.Option("--platform", "-p", help="Only this platform.")]
TopOption = Annotated[int | None, typer.Option("--top", "-n", min=1, help="Only the N best.")]


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pagescout {VERSION}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Find the opinion leaders and public pages worth advertising with, and export the shortlist.

    \b
    Example: pagescout crawl telegram durov --depth 1 && pagescout export shortlist.xlsx
    """


# crawl -----------------------------------------------------------------------------------------
@crawl_app.command("telegram")
def crawl_telegram(
    seeds: Annotated[list[str], typer.Argument(help="Channels: username, @username or https://t.me/username.",
                                               show_default=False)],
    depth: Annotated[int, typer.Option(min=0, help="Also crawl channels found through forwards and mentions, "
                                                   "up to N hops from the seeds.")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Posts to collect per channel, newest first.")] = 100,
    max_requests: Annotated[int, typer.Option(min=0, help="Stop after N pages in all (0 = no limit).")] = 0,
    base_url: Annotated[str | None, typer.Option(help="Preview site root, for mirrors and tests [default: https://t.me].",
                                                 show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests, replacing the platform's "
                                                            "polite minimum (1.0 for Telegram).", show_default=False)] = None,
    db: DbOption = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")] = False,
) -> None:
    """Crawl public Telegram channels through their web preview (t.me/s/...).

    \b
    Example: pagescout crawl telegram durov @telegram https://t.me/tginfo --depth 1 --max-posts 50
    """
    _crawl("telegram", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
           base_url=base_url, delay=delay, fresh=fresh, quiet=quiet)


SearchOption = Annotated[str | None, typer.Option("--search", help="Also crawl the first 25 accounts the platform's "
                                                                   "account search finds for QUERY.", show_default=False)]
AudienceLimitOption = Annotated[int, typer.Option(min=0, help="Audience members (followers, likers, reposters) to "
                                                              "store per account and kind; 0 stores no audience.")]
EngagersPostsOption = Annotated[int, typer.Option(min=0, help="Fetch likers and reposters of this many most recent "
                                                              "posts per account.")]
FreshOption = Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")]
MaxRequestsOption = Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit).")]


def _api_base_url(base_url: str | None) -> str | None:
    """``--base-url`` with ``https://`` added to a bare host; anything but http(s) is refused."""
    if base_url is None:
        return None
    url = base_url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        fail(f"--base-url '{base_url}' is not a web address: give https://host")
    return url


def _crawl_audience(platform: str, seeds: list[str] | None, search: str | None, **options) -> None:
    """Bluesky and Mastodon: seeds, a search, or both; the audience options go to the spider."""
    search = (search or "").strip() or None
    if not seeds and not search:
        fail(f"name at least one account or give --search QUERY (see pagescout crawl {platform} --help)")
    options["base_url"] = _api_base_url(options.get("base_url"))
    _crawl(platform, list(seeds or []), search=search, **options)


@crawl_app.command("bluesky")
def crawl_bluesky(
    seeds: Annotated[list[str] | None, typer.Argument(
        help="Accounts: handle (alice.bsky.social), @handle, https://bsky.app/profile/handle or a DID.",
        show_default=False)] = None,
    search: SearchOption = None,
    depth: Annotated[int, typer.Option(min=0, help="Also crawl accounts found through mentions, reposts and "
                                                   "quotes, up to N hops from the seeds.")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Posts to collect per account, newest first.")] = 100,
    audience_limit: AudienceLimitOption = 1000,
    engagers_posts: EngagersPostsOption = 10,
    max_requests: MaxRequestsOption = 0,
    base_url: Annotated[str | None, typer.Option(help="XRPC service root, for mirrors and tests "
                                                      "[default: https://public.api.bsky.app].", show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests, replacing the platform's "
                                                            "minimum (0.1 for Bluesky: 3,000 requests per 5 minutes).",
                                                show_default=False)] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
) -> None:
    """Crawl Bluesky accounts, their posts and a sample of their audience through the public API (no key).

    \b
    Example: pagescout crawl bluesky alice.bsky.social --search "data journalism" --depth 1 --audience-limit 500
    """
    _crawl_audience("bluesky", seeds, search, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
                    base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, audience_limit=audience_limit,
                    engagers_posts=engagers_posts)


@crawl_app.command("mastodon")
def crawl_mastodon(
    seeds: Annotated[list[str] | None, typer.Argument(
        help="Accounts: user@instance, @user@instance, https://instance/@user, or user alone for an account "
             "of --base-url.", show_default=False)] = None,
    search: SearchOption = None,
    depth: Annotated[int, typer.Option(min=0, help="Also crawl accounts found through mentions and boosts, "
                                                   "up to N hops from the seeds.")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Posts to collect per account, newest first.")] = 100,
    audience_limit: AudienceLimitOption = 1000,
    engagers_posts: EngagersPostsOption = 10,
    max_requests: MaxRequestsOption = 0,
    base_url: Annotated[str | None, typer.Option(help="The instance for bare user names and --search "
                                                      "[default: https://mastodon.social].", show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests to each instance, replacing "
                                                            "the platform's minimum (1.0 for Mastodon: 300 requests "
                                                            "per 5 minutes).", show_default=False)] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
) -> None:
    """Crawl Mastodon accounts, their posts and a sample of their audience through each instance's public API.

    \b
    Example: pagescout crawl mastodon gargron@mastodon.social --base-url https://mastodon.social --depth 1
    """
    _crawl_audience("mastodon", seeds, search, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
                    base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, audience_limit=audience_limit,
                    engagers_posts=engagers_posts)


def _crawl(platform: str, seeds: list[str], *, db, fresh: bool, quiet: bool, **options) -> None:
    from crawler.run import CrawlAlreadyRunning, run_crawl

    spider_cls = spiders()[platform]
    try:
        handles = [spider_cls.parse_seed(seed) for seed in seeds]
    except SeedError as exc:
        fail(str(exc))
    db = resolve_db(db)
    try:
        Store(db).close()  # a foreign or unreadable file is refused before any request is made
    except StoreError as exc:
        fail(str(exc))
    try:
        summary = run_crawl(spider_cls, handles, db=db, progress=not quiet, fresh=fresh, **options)
    except CrawlAlreadyRunning as exc:
        fail(str(exc))
    for line in summary.lines():
        typer.echo(line, err=True)
    if getattr(summary, "fatal", None):  # e.g. a token the platform refused: the user must act
        fail(summary.fatal)


# crawl: VK, YouTube, blogs --------------------------------------------------------------------
def _require_key(kind: str, message: str) -> None:
    from crawler.apikeys import secret

    if not secret(kind):
        fail(message)


@crawl_app.command("vk")
def crawl_vk(
    seeds: Annotated[list[str], typer.Argument(help="Communities: screen name (apiclub), club1 / public1 / -1, or "
                                                    "https://vk.com/apiclub.", show_default=False)],
    depth: Annotated[int, typer.Option(min=0, help="Also crawl communities found through reposts and mentions, "
                                                   "up to N hops from the seeds.")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Wall posts to collect per community, newest first.")] = 100,
    audience_limit: Annotated[int, typer.Option(min=0, help="Members, and likers of the 10 newest posts, to store per "
                                                            "community and kind; 0 stores no audience.")] = 1000,
    max_requests: Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit).")] = 0,
    base_url: Annotated[str | None, typer.Option(help="API root, for mirrors and tests "
                                                      "[default: https://api.vk.com/method].", show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests, replacing the platform's "
                                                            "minimum (0.34 for VK: 3 requests a second).",
                                                show_default=False)] = None,
    db: DbOption = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")] = False,
) -> None:
    """Crawl VK communities, their wall posts and a sample of their members through the VK API.

    Needs $VK_TOKEN (a service token of any VK app will do); it is never logged or stored.

    \b
    Example: pagescout crawl vk apiclub --max-posts 50
    """
    _require_key("vk", "set VK_TOKEN to a VK access token first (a service token of any VK app will do: "
                       "vk.com/apps?act=manage → your app → Settings)")
    _crawl("vk", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, audience_limit=audience_limit)


@crawl_app.command("youtube")
def crawl_youtube(
    seeds: Annotated[list[str], typer.Argument(help="Channels: channel id (UC…), @handle, or a channel URL "
                                                    "(youtube.com/channel/UC… or youtube.com/@handle).",
                                               show_default=False)],
    depth: Annotated[int, typer.Option(min=0, help="Also crawl channels linked (youtube.com/channel/UC…) in video "
                                                   "descriptions, up to N hops from the seeds.")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Videos to collect per channel, newest first (the keyless "
                                                       "feed has the latest 15 only).")] = 100,
    audience_limit: Annotated[int, typer.Option(min=0, help="Commenters of the 10 newest videos to store per channel "
                                                            "(needs $YOUTUBE_API_KEY); 0 stores none.")] = 1000,
    max_requests: Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit).")] = 0,
    base_url: Annotated[str | None, typer.Option(help="Site root for mirrors and tests; the Data API is then "
                                                      "<base-url>/youtube/v3 [default: https://www.youtube.com and "
                                                      "https://www.googleapis.com/youtube/v3].", show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests, replacing the platform's "
                                                            "polite minimum (1.0 for YouTube).", show_default=False)] = None,
    db: DbOption = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")] = False,
) -> None:
    """Crawl YouTube channels: the keyless feed (latest 15 videos), or the Data API with $YOUTUBE_API_KEY.

    \b
    Example: pagescout crawl youtube @GoogleDevelopers UC_x5XG1OV2P6uZZ5FSM9Ttw --max-posts 50
    """
    _crawl("youtube", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, audience_limit=audience_limit)


@crawl_app.command("rss")
def crawl_rss(
    seeds: Annotated[list[str], typer.Argument(help="Blogs: an RSS/Atom feed URL, or a site URL whose page names its "
                                                    "feed (<link rel=\"alternate\">).", show_default=False)],
    depth: Annotated[int, typer.Option(min=0, help="Also crawl the blogs the posts link to, up to N hops from the "
                                                   "seeds (sites without a feed are recorded as unavailable).")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Posts to keep per blog, newest first (a feed holds what "
                                                       "the site puts in it, often 10–20).")] = 100,
    max_requests: Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit).")] = 0,
    base_url: Annotated[str | None, typer.Option(help="Fetch every page from this root instead of its own host "
                                                      "(a mirror; handles keep the real host).", show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests to each site, replacing the "
                                                            "polite minimum (1.0).", show_default=False)] = None,
    db: DbOption = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")] = False,
) -> None:
    """Crawl blogs through their RSS/Atom feeds, and the author's other pages they link to (same_as).

    \b
    Example: pagescout crawl rss https://blog.example.com https://example.org/feed.xml --max-posts 50
    """
    _crawl("rss", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet)


# discover ---------------------------------------------------------------------------------------
class Strategy(str, Enum):
    focused = "focused"
    breadth_first = "breadth-first"


@app.command()
def discover(
    brief_path: Annotated[Path, typer.Argument(metavar="BRIEF", help="The brief (TOML); see data/brief.toml.",
                                               show_default=False)],
    max_requests: Annotated[int, typer.Option(min=1, help="Requests for the whole search, all platforms together.")] = 500,
    depth: Annotated[int, typer.Option(min=0, help="Farthest hops from the seeds.")] = 3,
    max_posts: Annotated[int, typer.Option(min=1, help="Posts to collect per account.")] = 30,
    audience_limit: Annotated[int, typer.Option(min=0, help="Audience members to sample per account and kind, "
                                                            "where the platform shows them.")] = 200,
    strategy: Annotated[Strategy, typer.Option(help="focused: most promising candidates first; breadth-first: "
                                                    "nearest first (the baseline).")] = Strategy.focused,
    base_url: Annotated[list[str] | None, typer.Option(help="PLATFORM=URL: another root for a platform "
                                                            "(mirrors, tests); repeatable.", show_default=False)] = None,
    delay: Annotated[float | None, typer.Option(min=0, help="Seconds between requests, replacing each "
                                                            "platform's polite minimum.", show_default=False)] = None,
    db: DbOption = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this search.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")] = False,
) -> None:
    """Find the pages a brief is after: crawl from its seeds and searches, most promising links first.

    Candidates wait in one frontier per platform, ordered by how relevant the text that revealed them
    and the page that linked them are to the brief's keywords; the request budget is shared.

    \b
    Example: pagescout discover data/brief.toml --max-requests 800
    """
    from crawler.brief import BriefError, load_brief
    from crawler.run import CrawlAlreadyRunning, DiscoveryPlan, run_discovery

    try:
        brief = load_brief(brief_path)
    except BriefError as exc:
        fail(str(exc))
    roots = {}
    for item in base_url or []:
        platform, sep, url = item.partition("=")
        if not sep or platform not in spiders() or not url.startswith(("http://", "https://")):
            fail(f"--base-url '{item}' must be PLATFORM=URL with PLATFORM one of {', '.join(spiders())}")
        roots[platform] = url
    plans = []
    available = spiders()
    for platform in brief.platforms:
        spider_cls = available[platform]
        raw = list(brief.seeds.get(platform, []))
        raw += [t.partition(":")[2] for t in brief.targets if t.partition(":")[0] == platform]
        try:
            seeds = list(dict.fromkeys(spider_cls.parse_seed(seed) for seed in raw))
        except SeedError as exc:
            fail(f"{brief_path}: seeds.{platform}: {exc}")
        searches = brief.search.get(platform, [])
        if not seeds and not searches:
            continue
        arguments = dict(depth=depth, max_posts=max_posts, base_url=roots.get(platform),
                         frontier="focused" if strategy is Strategy.focused else "bfs",
                         keywords=brief.keywords, negative_keywords=brief.negative_keywords,
                         audience_limit=audience_limit, discover_follows=True)
        if searches:
            arguments["search"] = searches
        plans.append(DiscoveryPlan(spider_cls, seeds, arguments))
    db = resolve_db(db)
    try:
        Store(db).close()
    except StoreError as exc:
        fail(str(exc))
    try:
        summaries = run_discovery(plans, db=db, max_requests=max_requests, delay=delay, progress=not quiet,
                                  fresh=fresh)
    except CrawlAlreadyRunning as exc:
        fail(str(exc))
    for platform, summary in summaries.items():
        for line in summary.lines():
            typer.echo(f"{platform}: {line}", err=True)
    typer.echo(f"next: pagescout export shortlist.xlsx --brief {brief_path}", err=True)


# rank and export ------------------------------------------------------------------------------
def _load_shortlist(db: str | None, platform: str | None, top: int | None,
                    target: list[str] | None = None, max_bot_share: float | None = None,
                    brief_path: Path | None = None) -> pd.DataFrame:
    if platform is not None and platform not in known_platforms():
        fail(f"unknown platform '{platform}': choose from {', '.join(sorted(known_platforms()))}")
    by_brief = _brief_options(brief_path, db, platform) if brief_path is not None else {}
    if by_brief.get("targets") and not target:  # the brief's targets define the target audience where stored
        target = by_brief["targets"]
    by_brief.pop("targets", None)
    try:
        # --target: target_overlap and affinity of each page against the target accounts' audiences
        target_table = target_columns(db, target, platform) if target else None
        with Store(db, create=False) as store:
            # audience of every kind: audience_sampled counts the followers in it, bot_share and temperature use all
            return shortlist(store.load_accounts(platform), store.load_posts(platform), store.load_links(platform),
                             platform=platform, top=top, audience=store.load_audience(platform),
                             target=target_table, signals=store.load_member_signals(platform),
                             snapshots=store.load_snapshots(platform), engagers=store.load_engagers(platform),
                             now=pd.Timestamp.now(tz="UTC"), max_bot_share=max_bot_share, **by_brief)
    except StoreError as exc:
        fail(str(exc))
    except ValueError as exc:  # a filter or weight the ranking does not know
        fail(f"{brief_path}: {exc}")


BriefOption = Annotated[Path | None, typer.Option(
    "--brief", help="Rank by a brief (TOML, see data/brief.toml): relevance to its keywords, its weights and "
                    "filters; its targets are left out of the list.", show_default=False)]


def _brief_options(brief_path: Path, db: str | None, platform: str | None) -> dict:
    """shortlist() keyword arguments from a brief: keywords, negative keywords, seeds (its targets' texts),
    weights, filters (languages default to the brief's), the targets to exclude, and ``targets``: those of
    its targets whose audience is stored (for affinity)."""
    from crawler.brief import BriefError, load_brief

    try:
        brief = load_brief(brief_path)
    except BriefError as exc:
        fail(str(exc))
    targets = []
    for text in brief.targets:
        target_platform, _, handle = text.partition(":")
        targets.append((target_platform.strip().lower(), handle.strip().removeprefix("@")))
    filters = dict(brief.filters)
    if brief.languages and "languages" not in filters:
        filters["languages"] = brief.languages
    stored = []
    if targets:
        try:
            with Store(db, create=False) as store:
                have = store.load_audience(platform)[["platform", "account"]].astype(str).drop_duplicates()
        except StoreError as exc:
            fail(str(exc))
        have = set(zip(have["platform"], have["account"]))
        stored = [f"{p}:{h}" for p, h in targets if (p, h) in have and (platform is None or p == platform)]
    return {"keywords": brief.keywords, "negative_keywords": brief.negative_keywords, "seeds": targets,
            "weights": brief.weights, "filters": filters, "exclude": targets, "targets": stored}


def _terminal_table(table: pd.DataFrame) -> str:
    shown = table.drop(columns=["url"]).copy()
    for col in RATE_COLUMNS:
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    for col in ("followers", "median_views", "audience_sampled"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    shown["posts_per_week"] = shown["posts_per_week"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    shown["name"] = shown["name"].fillna("").str.slice(0, 28)
    for col, fmt in (("relevance", "{:.2f}"), ("pagerank", "{:.4f}"), ("citation_index", "{:.1f}")):
        if col in shown:
            shown[col] = shown[col].map(lambda v, fmt=fmt: "" if pd.isna(v) else fmt.format(v))
    if "quality" in shown:  # audience quality 0–100 (ranking/quality.py)
        shown["quality"] = shown["quality"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    return shown.fillna("").to_string(index=False)


MaxBotShareOption = Annotated[float | None, typer.Option(
    "--max-bot-share", min=0, max=1, help="Drop pages whose bot_share is above this (0.3 = 30%); pages whose bot "
                                          "share is unknown stay.", show_default=False)]


@app.command()
def rank(
    platform: PlatformOption = None,
    top: TopOption = 20,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json on stdout.")] = Format.table,
    db: DbOption = None,
    max_bot_share: MaxBotShareOption = None,
    brief: BriefOption = None,
) -> None:
    """Rank the crawled pages and print the table.

    \b
    Example: pagescout rank --platform telegram --top 10
    """
    table = _load_shortlist(db, platform, top, max_bot_share=max_bot_share, brief_path=brief)
    if table.empty:
        typer.echo("no ranked pages yet: crawl some first (pagescout crawl telegram …)", err=True)
        return
    if fmt is Format.table:
        typer.echo(_terminal_table(table))
    elif fmt is Format.csv:
        typer.echo(neutralise_frame(table).to_csv(index=False), nl=False)
    else:
        typer.echo(_json(table))


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Output file: .xlsx, .csv or .json.", show_default=False)],
    platform: PlatformOption = None,
    top: TopOption = None,
    db: DbOption = None,
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="Add target_overlap and affinity with the audience of these accounts (platform:handle; "
                               "repeat it or separate with commas).", show_default=False)] = None,
    max_bot_share: MaxBotShareOption = None,
    brief: BriefOption = None,
) -> None:
    """Write the ranked shortlist to a spreadsheet (.xlsx), .csv or .json.

    \b
    Example: pagescout export shortlist.xlsx --platform telegram --top 50
    """
    writer = WRITERS.get(out.suffix.lower())
    if writer is None:
        fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    table = _load_shortlist(db, platform, top, target, max_bot_share=max_bot_share, brief_path=brief)
    if (target or "target_overlap" in table.columns) and writer is write_xlsx:
        writer = partial(write_xlsx, explanations={**COLUMNS, **TARGET_COLUMNS})
    write_atomic(out, writer, table)
    typer.echo(f"wrote {len(table)} pages to {out}", err=True)
    for note in table.attrs.get("notes", []):  # e.g. a platform too small for the engagement anomaly model
        typer.echo(f"note: {note}", err=True)


# history --------------------------------------------------------------------------------------------
@app.command()
def history(
    account: Annotated[str, typer.Argument(help="The page as platform:handle (telegram:durov).", show_default=False)],
    db: DbOption = None,
) -> None:
    """Print a page's follower history with a sparkline, its 30/90-day growth and the follower spikes found.

    \b
    Example: pagescout history telegram:durov
    """
    from ranking.growth import follower_series, growth_table, sparkline, spikes

    platform, sep, handle = account.strip().partition(":")
    platform, handle = platform.strip().lower(), handle.strip().removeprefix("@")
    if not sep or not platform or not handle:
        fail(f"'{account}' is not platform:handle (e.g. telegram:durov)")
    if platform not in known_platforms():
        fail(f"unknown platform '{platform}': choose from {', '.join(sorted(known_platforms()))}")
    try:
        with Store(db, create=False) as store:
            accounts, snapshots = store.load_accounts(platform), store.load_snapshots(platform)
    except StoreError as exc:
        fail(str(exc))
    known = set(accounts["handle"].astype(str)) | set(snapshots["account"].astype(str))
    if handle not in known:
        folded = [h for h in known if h.lower() == handle.lower()]
        if len(folded) != 1:
            fail(f"no account {platform}:{handle} in the database: crawl or import it first")
        handle = folded[0]
    series = follower_series(snapshots[snapshots["account"].astype(str) == handle])
    if series.empty:
        typer.echo(f"{platform}:{handle}: no follower snapshots stored yet")
        return
    first, last = series["date"].iloc[0].date(), series["date"].iloc[-1].date()
    typer.echo(f"{platform}:{handle} followers, {len(series)} snapshots {first} … {last}")
    typer.echo(sparkline(series["followers"]))
    for day, followers in zip(series["date"], series["followers"]):
        typer.echo(f"{day.date()}  {int(followers):>12,}")
    growth = growth_table(snapshots[snapshots["account"].astype(str) == handle]).iloc[0]
    shown = {col: "" if pd.isna(v) else f"{v:+.1%}" for col, v in growth.items()}
    typer.echo(f"growth 30d: {shown['growth_30d'] or '(no snapshot ~30 days back)'}   "
               f"90d: {shown['growth_90d'] or '(no snapshot ~90 days back)'}")
    found = spikes(snapshots[snapshots["account"].astype(str) == handle])
    if found.empty:
        typer.echo("spikes: none")
    for spike in found.itertuples():
        typer.echo(f"spike {spike.date}: {spike.text} ({spike.before:,} → {spike.after:,}; trend "
                   f"{spike.trend:+,.0f} a day)")


# import ---------------------------------------------------------------------------------------------
@app.command("import")
def import_(
    platform: Annotated[str, typer.Argument(help="Platform the pages live on: instagram, tiktok, facebook, x, ok, or "
                                                 "any platform pagescout crawls.", show_default=False)],
    file: Annotated[Path, typer.Argument(help="A .csv or .xlsx file of accounts, posts or audience members "
                                              "(columns: see README).", show_default=False)],
    kind: Annotated[str | None, typer.Option(help="accounts, posts or audience [default: decided by the columns].",
                                             show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Import accounts, posts or audiences you already hold (CSV/XLSX) for platforms pagescout cannot crawl.

    All rows are checked first; a bad row names file, row and column, and nothing is imported.

    \b
    Example: pagescout import instagram data/import/instagram_accounts.csv
    """
    from crawler.imports import ImportFileError, read_import

    platform = platform.strip().lower()
    if platform not in known_platforms():
        fail(f"unknown platform '{platform}': choose from {', '.join(sorted(known_platforms()))}")
    if kind is not None and kind not in ("accounts", "posts", "audience"):
        fail(f"unknown --kind '{kind}': choose from accounts, posts, audience")
    if not file.is_file():
        fail(f"{file}: no such file")
    spider_cls = spiders().get(platform)
    try:  # every row is checked before the database is even opened
        read_import(file, platform, kind=kind, hash_member=lambda member: 0, spider_cls=spider_cls)
    except ImportFileError as exc:
        fail(str(exc))
    try:
        store = Store(db)
    except StoreError as exc:
        fail(str(exc))
    try:
        found, batch = read_import(file, platform, kind=kind, hash_member=store.member_key, spider_cls=spider_cls)
        store.write(batch)  # one transaction: all rows or none
    finally:
        store.close()
    counts = {"accounts": "Account", "posts": "Post", "audience": "AudienceMember"}
    n = len(batch.get(counts[found], []))
    typer.echo(f"imported {n} {found if found != 'audience' else 'audience members'} ({platform}) from {file}",
               err=True)


# exports ----------------------------------------------------------------------------------------
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with ' (OWASP's advice for CSV)."""
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def _json(table: pd.DataFrame) -> str:
    records = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
               for row in table.astype(object).where(table.notna(), None).to_dict(orient="records")]
    return json.dumps(records, ensure_ascii=False, indent=2, default=str)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    # BOM: Excel only reads a CSV as UTF-8 (and shows Cyrillic) when it starts with one.
    neutralise_frame(table).to_csv(path, index=False, encoding="utf-8-sig")


def write_json(table: pd.DataFrame, path: Path) -> None:
    path.write_text(_json(table) + "\n", encoding="utf-8")


def write_xlsx(table: pd.DataFrame, path: Path, explanations: dict[str, str] = COLUMNS) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Shortlist"
    columns = list(table.columns)
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(c) for c in columns]
    for r, row in enumerate(table.itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
                continue
            name = columns[c - 1]
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = value
                # Always a text cell, and quote-prefixed where it looks like a formula, so neither Excel
                # nor LibreOffice evaluates it (not even after the cell is edited).
                cell.data_type = "s"
                if is_formula_like(value):
                    cell.quotePrefix = True
                if name == "url" and value.startswith(("https://", "http://")):
                    cell.hyperlink = value
                    cell.style = "Hyperlink"
            else:
                cell.value = value.item() if hasattr(value, "item") else value
                if name in RATE_COLUMNS:
                    cell.number_format = "0.00%"
                elif name in ("followers", "median_views", "citations", "posts", "audience_sampled"):
                    cell.number_format = "#,##0"
                elif name in ("pagerank", "relevance", "similarity", "audience_jaccard", "cocitation", "content"):
                    cell.number_format = "0.0000" if name == "pagerank" else "0.00"
                elif isinstance(cell.value, float):
                    cell.number_format = "0.0"
            widths[c - 1] = max(widths[c - 1], min(len(str(value)), 60))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width + 2
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(table) + 1)}"

    about = wb.create_sheet("Metrics")
    about.append(["column", "meaning"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for name in columns:
        about.append([name, explanations.get(name, "")])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 110
    wb.save(path)


WRITERS = {".csv": write_csv, ".xlsx": write_xlsx, ".json": write_json}


def write_atomic(out: Path, writer, table: pd.DataFrame) -> None:
    """Write to a temporary file beside ``out`` and rename it: a failed export leaves no half file."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        fail(f"cannot write '{out}': folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
    except OSError as exc:
        fail(f"cannot write '{out}': {exc.strerror}")
    os.close(fd)
    try:
        writer(table, Path(tmp))
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        fail(f"cannot write '{out}': {exc.strerror}")


# lookalikes -------------------------------------------------------------------------------------
@app.command()
def similar(
    account: Annotated[str, typer.Argument(help="The account to find lookalikes of, as platform:handle.",
                                           show_default=False)],
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Show the N most alike.")] = 20,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the table to a .csv, .xlsx or .json "
                                                                 "file.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Find the pages most like a given one: shared audience, cited by the same pages, similar texts.

    \b
    Example: pagescout similar telegram:run_spb --top 10 --out lookalikes.xlsx
    """
    from cli_audience import resolve_account
    from ranking.similar import SIMILAR_COLUMNS
    from ranking.similar import similar as lookalikes

    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    try:
        with Store(db, create=False) as store:
            known = store.load_accounts()
            key = resolve_account(account, known[["platform", "handle"]].astype(str))
            accounts = known[known["platform"] == key[0]]
            table = lookalikes(key, accounts, store.load_posts(key[0]), store.load_links(key[0]),
                               audience=store.load_audience(key[0]), top=top)
    except StoreError as exc:
        fail(str(exc))
    if table.empty:
        typer.echo(f"no page shares an audience, a citer or words with {key[0]}:{key[1]} yet", err=True)
    else:
        shown = table.drop(columns=["url"]).copy()
        for col in ("similarity", "audience_jaccard", "cocitation", "content"):
            shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
        shown["followers"] = shown["followers"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        shown["name"] = shown["name"].fillna("").astype(str).str.slice(0, 28)
        typer.echo(shown.fillna("").to_string(index=False))
    if out is not None:
        if writer is write_xlsx:
            writer = partial(write_xlsx, explanations=SIMILAR_COLUMNS)
        write_atomic(out, writer, table)
        typer.echo(f"wrote {len(table)} lookalikes to {out}", err=True)


# demo -------------------------------------------------------------------------------------------
@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where to write the shortlist.")] = DEMO_OUT / "shortlist.xlsx",
) -> None:
    """The whole flow offline: crawl the bundled sample channels from a local server, rank, export.

    The sample channels (data/sample/telegram.json) are synthetic, written to look like real ones.

    \b
    Example: pagescout demo --out /tmp/shortlist.xlsx
    """
    from crawler.run import run_crawl
    from crawler.sample_site import SampleTelegram

    out.parent.mkdir(parents=True, exist_ok=True)
    db = out.parent / "demo.db"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    spec = json.loads(SAMPLE.read_text(encoding="utf-8"))
    with SampleTelegram(spec) as site:
        typer.echo(f"serving {len(spec['channels'])} sample channels at {site.url}", err=True)
        summary = run_crawl(spiders()["telegram"], spec["seeds"], db=str(db), depth=2, max_posts=60, delay=0,
                            base_url=site.url, progress=False, resume=False)
    for line in summary.lines():
        typer.echo(line, err=True)
    table = _load_shortlist(str(db), None, None)
    write_atomic(out, write_xlsx, table)
    typer.echo(_terminal_table(table.head(10)))
    typer.echo(f"\nwrote {len(table)} ranked channels to {out}", err=True)


# audience overlap, affinity and placement planning (overlap, audience, plan) live in cli_audience.py;
# imported last because its commands use the helpers above.
from cli_audience import audience_app, target_columns  # noqa: E402

app.add_typer(audience_app)

if __name__ == "__main__":
    app()
