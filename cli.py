"""pagescout command line: crawl public pages, rank them, export the shortlist.

Thin on purpose: parse options, load frames from the store, call ``ranking``, write the export.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import tempfile
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import typer
from typer.core import TyperGroup

from crawler.basespider import SeedError
from crawler.settings import VERSION
from crawler.store import Store, StoreError, resolve_db, shown
from ranking.overlap import (
    AUDIENCE_COLUMNS,
    candidate_matrix,
    followers_and_coverage,
    PAIRWISE,
    Audiences,
    is_sample,
    set_audience,
    target_from_accounts,
    target_from_keys,
    target_metrics,
)
from ranking.plan import (
    GREEDY_GUARANTEE,
    PLAN_COLUMNS,
    choose_placements,
    compare_strategies,
    expected_reach,
    fill_in_order,
    placement_table,
)
from ranking.shortlist import COLUMNS, TARGET_COLUMNS, shortlist
from sheets.writers import (WRITERS, SheetError, json_text, neutralise_frame, write_atomic, write_heatmap_xlsx,
                            write_xlsx, xlsx_writer)

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "data" / "sample" / "telegram.json"
DEMO_OUT = ROOT / "data" / "demo"

class OneLineErrors(TyperGroup):
    """The command group that answers every usage error in one line, with echoed input cut to about 80
    characters (exit 2), and Ctrl-C with exit code 130, the shell's code for an interrupt."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name or "pagescout", complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # Click's usage errors: a bad option value, a missing argument
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help is the answer
                typer.echo(exc.format_message(), err=True)
                sys.exit(getattr(exc, "exit_code", 2))
            context = getattr(exc, "ctx", None)
            hint = f" (see {context.command_path} --help)" if context is not None else ""
            message = cut_echoes(exc.format_message())
            typer.echo(f"Error: {terminal_safe(message)}{hint}", err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except (KeyboardInterrupt, typer.Abort):
            typer.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: its traceback goes to the log, the terminal gets one line
            log = bug_report(list(args if args is not None else sys.argv[1:]), exc)
            typer.echo(f"Error: pagescout failed unexpectedly ({type(exc).__name__}); the details are in {log}: "
                       "please report them", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def bug_report(args: list[str], exc: BaseException) -> Path:
    """Append the traceback of an unexpected exception to the database's log (``<db>.log``)."""
    import traceback

    from crawler.extensions import redact
    from crawler.run import log_path

    db = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--db"), None)
    entry = redact(f"pagescout {' '.join(cut(a) for a in args)}\n" + "".join(traceback.format_exception(exc)))
    for log in (log_path(resolve_db(db or None)), Path(tempfile.gettempdir()) / "pagescout.log"):
        try:
            with log.open("a", encoding="utf-8") as f:
                f.write(entry + "\n")
            break
        except OSError:  # beside the database is not writable: the temporary folder then
            continue
    return log


app = typer.Typer(
    cls=OneLineErrors,
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


def cut(text, limit: int = 80) -> str:
    """User input as an error message echoes it: at most ``limit`` characters, control characters shown
    as ``?`` so a pasted escape sequence cannot act on the terminal."""
    return shown(terminal_safe(str(text)), limit)


def cut_echoes(message: str) -> str:
    """``message`` with quoted input cut to about 80 characters, and any unbroken run of text to 120 (a
    path stays readable; a 10,000-character argument is not worth echoing whole)."""
    message = re.sub(r"'([^'\n]{81,})'", lambda m: f"'{cut(m.group(1))}'", message)
    return re.sub(r"\S{121,}", lambda m: cut(m.group(), 120), message)


def fail(message: str) -> None:
    """One line on stderr and exit code 2: the user's input was wrong, nothing was changed.

    Quoted input in the message is cut to about 80 characters: a 10,000-character argument is not
    worth echoing whole."""
    typer.echo(f"Error: {terminal_safe(cut_echoes(message))}", err=True)
    raise typer.Exit(2)


# C0 and C1 controls (escape sequences start with one), DEL, and the bidi controls that reorder text.
_UNSAFE_ON_TERMINAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def echo_table(text: str) -> None:
    """Print a table of stored values: names come from strangers, so no control or escape character
    reaches the terminal."""
    typer.echo(terminal_safe(text, keep_newlines=True))


def terminal_safe(text: str, keep_newlines: bool = False) -> str:
    """``text`` with control, escape and bidi characters replaced by ``?`` (newlines kept if asked)."""
    if keep_newlines:
        return "\n".join(_UNSAFE_ON_TERMINAL.sub("?", line) for line in text.split("\n"))
    return _UNSAFE_ON_TERMINAL.sub("?", text)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


DbOption = Annotated[str | None, typer.Option("--db", help="Database file or URL [default: $PAGESCOUT_DB or ./pagescout.db]",
                                              show_default=False)]
PlatformOption = Annotated[str | None, typer.Option("--platform", "-p", help="Only this platform.")]
TopOption = Annotated[int | None, typer.Option("--top", "-n", min=1, help="Only the N best.")]
FreshOption = Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")]
MaxRequestsOption = Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit).")]
DEFAULT_TIMEOUT = 30.0
MAX_DELAY = 3600.0


def finite(value: float | None) -> float | None:
    """Option callback: ``nan`` passes Click's range checks (every comparison with it is false)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of seconds")
    return value


def delay_option(help_text: str):
    """``--delay``: seconds between requests, finite and at most an hour."""
    return typer.Option(min=0, max=MAX_DELAY, callback=finite, help=help_text, show_default=False)


TimeoutOption = Annotated[float, typer.Option(min=1, max=600, callback=finite,
                                              help="Seconds to wait for one answer before giving up on it "
                                                   "(a timeout is retried once).")]


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
    max_requests: MaxRequestsOption = 0,
    base_url: Annotated[str | None, typer.Option(help="Preview site root, for mirrors and tests [default: https://t.me].",
                                                 show_default=False)] = None,
    delay: Annotated[float | None, delay_option("Seconds between requests, replacing the platform's "
                                                "polite minimum (1.0 for Telegram).")] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl public Telegram channels through their web preview (t.me/s/...).

    \b
    Example: pagescout crawl telegram durov @telegram https://t.me/tginfo --depth 1 --max-posts 50
    """
    _crawl("telegram", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
           base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, timeout=timeout)


SearchOption = Annotated[str | None, typer.Option("--search", help="Also crawl the first 25 accounts the platform's "
                                                                   "account search finds for QUERY.", show_default=False)]
AudienceLimitOption = Annotated[int, typer.Option(min=0, help="Audience members (followers, likers, reposters) to "
                                                              "store per account and kind; 0 stores no audience.")]
EngagersPostsOption = Annotated[int, typer.Option(min=0, help="Fetch likers and reposters of this many most recent "
                                                              "posts per account.")]


def checked_base_url(base_url: str | None, option: str = "--base-url") -> str | None:
    """``--base-url`` as a root URL: ``https://`` added to a bare host; empty, unparsable or not http(s) is
    refused before any request is made (an empty value must not fall back to the real platform)."""
    if base_url is None:
        return None
    url = base_url.strip().rstrip("/")
    if not url:
        fail(f"{option} is empty: give a root such as https://host, or leave the option out")
    if "://" not in url:
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        fail(f"{option} '{cut(base_url)}' is not a web address: give a root such as https://host or http://127.0.0.1:8080")
    return url


def _crawl_audience(platform: str, seeds: list[str] | None, search: str | None, **options) -> None:
    """Bluesky and Mastodon: seeds, a search, or both; the audience options go to the spider."""
    search = (search or "").strip() or None
    if not seeds and not search:
        fail(f"name at least one account or give --search QUERY (see pagescout crawl {platform} --help)")
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
    delay: Annotated[float | None, delay_option("Seconds between requests, replacing the platform's "
                                                "minimum (0.1 for Bluesky: 3,000 requests per 5 minutes).")] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl Bluesky accounts, their posts and a sample of their audience through the public API (no key).

    \b
    Example: pagescout crawl bluesky alice.bsky.social --search "data journalism" --depth 1 --audience-limit 500
    """
    _crawl_audience("bluesky", seeds, search, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
                    base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, timeout=timeout,
                    audience_limit=audience_limit, engagers_posts=engagers_posts)


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
    delay: Annotated[float | None, delay_option("Seconds between requests to each instance, replacing "
                                                "the platform's minimum (1.0 for Mastodon: 300 requests "
                                                "per 5 minutes).")] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl Mastodon accounts, their posts and a sample of their audience through each instance's public API.

    \b
    Example: pagescout crawl mastodon gargron@mastodon.social --base-url https://mastodon.social --depth 1
    """
    _crawl_audience("mastodon", seeds, search, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
                    base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, timeout=timeout,
                    audience_limit=audience_limit, engagers_posts=engagers_posts)


def _crawl(platform: str, seeds: list[str], *, db, fresh: bool, quiet: bool, **options) -> None:
    from crawler.run import CrawlAlreadyRunning, run_crawl

    spider_cls = spiders()[platform]
    try:
        handles = [spider_cls.parse_seed(seed) for seed in seeds]
    except SeedError as exc:
        fail(str(exc))
    options["base_url"] = checked_base_url(options.get("base_url"))
    db = open_for_crawl(db)
    try:
        summary = run_crawl(spider_cls, handles, db=db, progress=not quiet, fresh=fresh, **options)
    except CrawlAlreadyRunning as exc:
        fail(str(exc))
    finish_crawl([summary])


def open_for_crawl(db: str | None) -> str:
    """The database a crawl writes to, checked (and created) before any request is made."""
    try:
        db = resolve_db(db)
        Store(db).close()  # a foreign or unreadable file is refused before any request is made
    except StoreError as exc:
        fail(str(exc))
    return db


def finish_crawl(summaries, prefixes=None, closing: str | None = None) -> None:
    """Print the summaries and exit as the crawl ended: 2 when the user must act (a refused token),
    130 after Ctrl-C, 1 when fetched data was not all stored (one line says so and names the log)."""
    prefixes = prefixes or [""] * len(summaries)
    for prefix, summary in zip(prefixes, summaries):
        for line in summary.lines():
            typer.echo(terminal_safe(f"{prefix}{line}"), err=True)
    code = max((s.exit_code for s in summaries), default=0)
    fatal = next((s.fatal for s in summaries if s.fatal), None)
    if closing and code != 130 and not fatal:
        typer.echo(closing, err=True)
    for problem in [p for p in (s.problem() for s in summaries) if p]:
        typer.echo(f"Error: {problem}", err=True)
    if fatal:  # e.g. a token the platform refused: the user must act
        fail(fatal)
    if code:
        raise typer.Exit(code)


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
    max_requests: MaxRequestsOption = 0,
    base_url: Annotated[str | None, typer.Option(help="API root, for mirrors and tests "
                                                      "[default: https://api.vk.com/method].", show_default=False)] = None,
    delay: Annotated[float | None, delay_option("Seconds between requests, replacing the platform's "
                                                "minimum (0.34 for VK: 3 requests a second).")] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl VK communities, their wall posts and a sample of their members through the VK API.

    Needs $VK_TOKEN (a service token of any VK app will do); it is never logged or stored.

    \b
    Example: pagescout crawl vk apiclub --max-posts 50
    """
    _require_key("vk", "set VK_TOKEN to a VK access token first (a service token of any VK app will do: "
                       "vk.com/apps?act=manage → your app → Settings)")
    _crawl("vk", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, timeout=timeout, audience_limit=audience_limit)


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
    max_requests: MaxRequestsOption = 0,
    base_url: Annotated[str | None, typer.Option(help="Site root for mirrors and tests; the Data API is then "
                                                      "<base-url>/youtube/v3 [default: https://www.youtube.com and "
                                                      "https://www.googleapis.com/youtube/v3].", show_default=False)] = None,
    delay: Annotated[float | None, delay_option("Seconds between requests, replacing the platform's "
                                                "polite minimum (1.0 for YouTube).")] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl YouTube channels: the keyless feed (latest 15 videos), or the Data API with $YOUTUBE_API_KEY.

    \b
    Example: pagescout crawl youtube @GoogleDevelopers UC_x5XG1OV2P6uZZ5FSM9Ttw --max-posts 50
    """
    _crawl("youtube", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, timeout=timeout, audience_limit=audience_limit)


@crawl_app.command("rss")
def crawl_rss(
    seeds: Annotated[list[str], typer.Argument(help="Blogs: an RSS/Atom feed URL, or a site URL whose page names its "
                                                    "feed (<link rel=\"alternate\">).", show_default=False)],
    depth: Annotated[int, typer.Option(min=0, help="Also crawl the blogs the posts link to, up to N hops from the "
                                                   "seeds (sites without a feed are recorded as unavailable).")] = 0,
    max_posts: Annotated[int, typer.Option(min=1, help="Posts to keep per blog, newest first (a feed holds what "
                                                       "the site puts in it, often 10–20).")] = 100,
    max_requests: MaxRequestsOption = 0,
    base_url: Annotated[str | None, typer.Option(help="Fetch every page from this root instead of its own host "
                                                      "(a mirror; handles keep the real host).", show_default=False)] = None,
    delay: Annotated[float | None, delay_option("Seconds between requests to each site, replacing the "
                                                "polite minimum (1.0).")] = None,
    db: DbOption = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl blogs through their RSS/Atom feeds, and the author's other pages they link to (same_as).

    \b
    Example: pagescout crawl rss https://blog.example.com https://example.org/feed.xml --max-posts 50
    """
    _crawl("rss", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, timeout=timeout)


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
    delay: Annotated[float | None, delay_option("Seconds between requests, replacing each "
                                                "platform's polite minimum.")] = None,
    db: DbOption = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this search.")] = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
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
        if not sep or platform not in spiders():
            fail(f"--base-url '{item}' must be PLATFORM=URL with PLATFORM one of {', '.join(spiders())}")
        roots[platform] = checked_base_url(url, f"--base-url {platform}=")
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
    db = open_for_crawl(db)
    try:
        summaries = run_discovery(plans, db=db, max_requests=max_requests, delay=delay, progress=not quiet,
                                  fresh=fresh, timeout=timeout)
    except CrawlAlreadyRunning as exc:
        fail(str(exc))
    db_option = "" if db == resolve_db(None) else f" --db {db}"
    finish_crawl(list(summaries.values()), [f"{platform}: " for platform in summaries],
                 closing=f"next: pagescout export shortlist.xlsx --brief {brief_path}{db_option}")


# rank and export ------------------------------------------------------------------------------
def _load_shortlist(db: str | None, platform: str | None, top: int | None,
                    target: list[str] | None = None, max_bot_share: float | None = None,
                    brief_path: Path | None = None) -> pd.DataFrame:
    if platform is not None and platform not in known_platforms():
        fail(f"unknown platform '{platform}': choose from {', '.join(sorted(known_platforms()))}")
    by_brief = _brief_options(brief_path) if brief_path is not None else {}
    try:
        with Store(db, create=False) as store:
            accounts, posts, links = store.load_accounts(platform), store.load_posts(platform), store.load_links(platform)
            # every kind: audience_sampled counts the followers in it, bot_share and temperature use all of it
            audience = store.load_audience(platform)
            signals, snapshots = store.load_member_signals(platform), store.load_snapshots(platform)
            engagers = store.load_engagers(platform)
    except StoreError as exc:
        fail(str(exc))
    if by_brief.get("exclude") and not target:  # the brief's targets define the target audience where stored
        have = set(zip(audience["platform"].astype(str), audience["account"].astype(str)))
        target = [f"{p}:{h}" for p, h in by_brief["exclude"] if (p, h) in have and platform in (None, p)]
    if target and not by_brief.get("exclude"):  # the targets are the client's side, not candidates
        by_brief["exclude"] = [tuple(t.split(":", 1)) for t in split_accounts(target) if ":" in t]
    # --target: target_overlap and affinity of each page against the target accounts' audiences
    target_table = target_columns(accounts, audience, target, platform) if target else None
    try:
        return shortlist(accounts, posts, links, platform=platform, top=top, audience=audience, target=target_table,
                         signals=signals, snapshots=snapshots, engagers=engagers, now=pd.Timestamp.now(tz="UTC"),
                         max_bot_share=max_bot_share, **by_brief)
    except ValueError as exc:  # a filter or weight the ranking does not know
        fail(f"{brief_path}: {exc}")


def _nothing_ranked(db: str | None, platform: str | None) -> str:
    with Store(db, create=False) as store:
        present = sorted(store.platforms())
    if platform and present:
        return f"no {platform} pages to rank (the database has {', '.join(present)}); or the filters removed all"
    return "no ranked pages: crawl or import some first (pagescout crawl telegram …, pagescout import …)"


BriefOption = Annotated[Path | None, typer.Option(
    "--brief", help="Rank by a brief (TOML, see data/brief.toml): relevance to its keywords, its weights and "
                    "filters; its targets are left out of the list.", show_default=False)]


def _brief_options(brief_path: Path) -> dict:
    """shortlist() keyword arguments from a brief: keywords, negative keywords, seeds (its targets' texts),
    weights, filters (languages default to the brief's), and its targets to exclude."""
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
    return {"keywords": brief.keywords, "negative_keywords": brief.negative_keywords, "seeds": targets,
            "weights": brief.weights, "filters": filters, "exclude": targets}


# The terminal shows the columns a shortlist is judged by; --format csv/json and export carry all of them.
TERMINAL_COLUMNS = ["rank", "platform", "handle", "name", "followers", "median_views", "reach_rate", "er_views",
                    "citations", "relevance", "bot_share", "quality", "score", "why"]


def _terminal_table(table: pd.DataFrame) -> str:
    shown = table[[c for c in TERMINAL_COLUMNS if c in table.columns]].copy()
    shown = shown.loc[:, shown.notna().any() | shown.columns.isin(["rank", "handle", "score"])]
    formats = {"reach_rate": "{:.1%}", "er_views": "{:.1%}", "bot_share": "{:.0%}", "followers": "{:,.0f}",
               "median_views": "{:,.0f}", "relevance": "{:.2f}", "quality": "{:.0f}", "score": "{:.1f}"}
    for col, fmt in formats.items():
        if col in shown:
            shown[col] = shown[col].map(lambda v, fmt=fmt: "" if pd.isna(v) else fmt.format(v))
    if "name" in shown:
        shown["name"] = shown["name"].fillna("").str.slice(0, 28)
    if "why" in shown:
        shown["why"] = shown["why"].fillna("").str.slice(0, 60)
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
        typer.echo(_nothing_ranked(db, platform), err=True)
        return
    if fmt is Format.table:
        echo_table(_terminal_table(table))
    elif fmt is Format.csv:
        typer.echo(terminal_safe(neutralise_frame(table).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC),
                                 keep_newlines=True), nl=False)
    else:
        typer.echo(json_text(table))


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
    write_file(out, writer, table)
    typer.echo(f"wrote {len(table)} pages to {out}", err=True)
    if table.empty:
        typer.echo(_nothing_ranked(db, platform), err=True)
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
        typer.echo(terminal_safe(f"{platform}:{handle}: no follower snapshots stored yet"))
        return
    first, last = series["date"].iloc[0].date(), series["date"].iloc[-1].date()
    typer.echo(terminal_safe(f"{platform}:{handle} followers, {len(series)} snapshots {first} … {last}"))
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
        written = store.write(batch)
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    counts = {"accounts": "Account", "posts": "Post", "audience": "AudienceMember"}
    n = written.stored.get(counts[found], 0)
    typer.echo(f"imported {n} {found if found != 'audience' else 'audience members'} ({platform}) from {file}",
               err=True)
    if written.refused:  # checked rows the database still would not take: said, and kept in 'refused'
        typer.echo(f"Error: the database refused {sum(written.refused.values())} rows (see its table 'refused')",
                   err=True)
        raise typer.Exit(1)


def write_file(out: Path, writer, table: pd.DataFrame) -> None:
    try:
        write_atomic(out, writer, table)
    except SheetError as exc:
        fail(str(exc))


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
        echo_table(shown.fillna("").to_string(index=False))
    if out is not None:
        if writer is write_xlsx:
            writer = xlsx_writer("Similar", SIMILAR_COLUMNS, {})
        write_file(out, writer, table)
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
    write_file(out, write_xlsx, table)
    echo_table(_terminal_table(table.head(10)))
    typer.echo(f"\nwrote {len(table)} ranked channels to {out}", err=True)


# audience overlap, affinity and placement planning ---------------------------------------------
README_SECTION = 'README "Audience overlap"'


class Kind(str, Enum):
    follower = "follower"
    member = "member"
    liker = "liker"
    commenter = "commenter"
    reposter = "reposter"
    any = "any"


class Metric(str, Enum):
    shared = "shared"
    jaccard = "jaccard"
    overlap = "overlap"


class Goal(str, Enum):
    unique = "unique"
    target = "target"


KindOption = Annotated[Kind, typer.Option("--kind", "-k", help="Whose audience counts: followers, members, likers, "
                                                               "commenters, reposters, or any of them.")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Also write the table to a .csv, .xlsx or .json file.",
                                                show_default=False)]
TargetOption = Annotated[list[str] | None, typer.Option(
    "--target", "-t", help="Target account as platform:handle; repeat it, separate with commas, or list more accounts "
                           "after it.", show_default=False)]
MoreTargets = Annotated[list[str] | None, typer.Argument(help="More target accounts (platform:handle).",
                                                         show_default=False, metavar="[ACCOUNT]...")]

METRIC_FORMULAS = {
    "shared": "shared members |A∩B|",
    "jaccard": "Jaccard |A∩B| / |A∪B|",
    "overlap": "overlap |A∩B| / min(|A|, |B|)",
}


# accounts ---------------------------------------------------------------------------------------
def split_accounts(texts: list[str] | None) -> list[str]:
    """Accounts from repeated options, comma-separated lists and extra arguments, in order, without repeats."""
    out: list[str] = []
    for text in texts or []:
        for part in text.split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _platform_of(text: str) -> str:
    platform, sep, handle = text.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        fail(f"'{text}' is not an account: write platform:handle, e.g. telegram:durov")
    return platform.strip().lower()


def resolve_account(text: str, known: pd.DataFrame, where: str = "") -> tuple[str, str]:
    """(platform, handle) of a stored account written ``platform:handle``, or a one-line error.

    The handle is matched as written, then as the platform's crawler spells it (``@Durov`` → ``durov``),
    then case-insensitively when that names one account.
    """
    platform = _platform_of(text)
    handle = text.partition(":")[2].strip()
    handles = set(known.loc[known["platform"] == platform, "handle"])
    if not handles:
        platforms = ", ".join(sorted(set(known["platform"]))) or "none yet"
        what = "no accounts of" if platform in known_platforms() else "unknown platform"
        fail(f"{where}{what} '{platform}' in '{text}': the database has accounts of {platforms}")
    candidates = [handle, handle.removeprefix("@")]
    spider = spiders().get(platform)
    if spider is not None:
        try:
            candidates.append(spider.parse_seed(handle))
        except SeedError:
            pass  # not the crawler's spelling: the case-insensitive match below may still find it
    for candidate in candidates:
        if candidate in handles:
            return platform, candidate
    folded = [h for h in handles if h.lower() == handle.removeprefix("@").lower()]
    if len(folded) == 1:
        return platform, folded[0]
    fail(f"{where}unknown account {platform}:{handle}: it is not in the database (crawl it first, or check the "
          f"spelling)")


def _known_accounts(accounts: pd.DataFrame, audiences: Audiences) -> pd.DataFrame:
    both = pd.concat([accounts[["platform", "handle"]].astype(str), audiences.accounts.astype(str)])
    return both.drop_duplicates(ignore_index=True)


def _load(db: str | None, platforms: set[str], kind: Kind) -> tuple[pd.DataFrame, Audiences]:
    """Accounts and audiences of the given platforms (all platforms when several or none are named)."""
    only = next(iter(platforms)) if len(platforms) == 1 else None
    try:
        with Store(db, create=False) as store:
            accounts = store.load_accounts(only)
            frame = store.load_audience(only, None if kind is Kind.any else kind.value)
    except StoreError as exc:
        fail(str(exc))
    return accounts, Audiences.from_frame(frame)


def _kind_text(kind: Kind) -> str:
    return "" if kind is Kind.any else f" of kind {kind.value}"


def _sample_note(labels: list[str], coverage: np.ndarray, what: str) -> str | None:
    sampled = [label for label, c in zip(labels, coverage) if is_sample(c)]
    if not sampled:
        return None
    names = ", ".join(sampled[:5]) + (f" and {len(sampled) - 5} more" if len(sampled) > 5 else "")
    return (f"note: the stored audience of {names} is a sample of a larger follower count: {what} count the stored "
            f"members only; to scale them see {README_SECTION}.")


# overlap ----------------------------------------------------------------------------------------
def _percent(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def _matrix_text(matrix: pd.DataFrame, metric: Metric) -> str:
    shown = matrix.copy()
    for col in shown.columns:
        if metric is Metric.shared:
            shown[col] = shown[col].map(lambda v: f"{int(v):,}")
        else:
            shown[col] = shown[col].map(lambda v: f"{100 * v:.1f}%")
    return shown.to_string()


@app.command("overlap")
def overlap_command(
    accounts: Annotated[list[str], typer.Argument(help="Accounts as platform:handle (telegram:durov), two or more.",
                                                  show_default=False)],
    kind: KindOption = Kind.any,
    metric: Annotated[Metric, typer.Option("--metric", "-m", help="shared = members in both; jaccard = shared / "
                                                                  "either; overlap = shared / the smaller audience.")]
    = Metric.overlap,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """How much the audiences of some accounts overlap, pair by pair, and how much of each is unique.

    Prints the pairwise matrix, then for each account the share of its audience that follows none of
    the others (unique %) and the rest (overlapping %), and the set's total and unique audience. The
    .csv/.json file is the square matrix (first column account); the .xlsx colours it as a heat map and
    adds the per-account figures.

    \b
    Example: pagescout overlap bluesky:alice.bsky.social bluesky:bob.bsky.social bluesky:carol.bsky.social --metric jaccard --out overlap.xlsx
    """
    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    texts = split_accounts(accounts)
    if len(texts) < 2:
        fail("name at least two accounts to compare, as platform:handle")
    stored, audiences = _load(db, {_platform_of(t) for t in texts}, kind)
    known = _known_accounts(stored, audiences)
    picked = list(dict.fromkeys(resolve_account(t, known) for t in texts))
    if len(picked) < 2:
        fail("name at least two different accounts to compare")
    have = set(map(tuple, audiences.accounts.astype(str).to_numpy()))
    for platform, handle in picked:
        if (platform, handle) not in have:
            how = ("Telegram shows no subscriber lists" if platform == "telegram" else
                   "crawl it with its audience (--audience-limit) or import one, or choose another --kind")
            fail(f"{platform}:{handle} has no stored audience{_kind_text(kind)}: nothing to compare ({how})")
    matrix = PAIRWISE[metric.value](audiences, picked)
    per_account, totals = set_audience(audiences, picked)
    followers, coverage = followers_and_coverage(per_account, stored, per_account["audience_size"])
    per_account["followers"] = followers
    per_account["audience_coverage"] = coverage

    typer.echo(f"{METRIC_FORMULAS[metric.value]}, audiences{_kind_text(kind) or ' of any kind'}:")
    echo_table(_matrix_text(matrix.rename_axis(None), metric))
    typer.echo("")
    echo_table(_accounts_text(per_account))
    typer.echo(f"\ntotal audience (sum): {totals['total_audience']:,}; "
               f"unique audience (distinct members): {totals['unique_audience']:,}")
    note = _sample_note(per_account["account"].tolist(), coverage, "these figures")
    if note:
        typer.echo(note, err=True)
    if len({p for p, _ in picked}) > 1:
        typer.echo("note: accounts of different platforms never share members here: a member key identifies a "
                   "person only within its platform", err=True)
    if out is not None:
        table = matrix.reset_index()
        if metric is not Metric.shared:
            table[table.columns[1:]] = table[table.columns[1:]].round(6)
        if writer is write_xlsx:  # the heat map, with the per-account figures beside it
            writer = partial(write_heatmap_xlsx, formula=METRIC_FORMULAS[metric.value], counts=metric is Metric.shared,
                             per_account=per_account, totals=totals)
        write_file(out, writer, table)
        typer.echo(f"wrote the {len(picked)}×{len(picked)} {metric.value} matrix to {out}", err=True)


def _accounts_text(per_account: pd.DataFrame) -> str:
    shown = pd.DataFrame({
        "account": per_account["account"],
        "audience": per_account["audience_size"].map(lambda v: f"{int(v):,}"),
        "unique": per_account["unique"].map(lambda v: f"{int(v):,}"),
        "unique %": per_account["unique_pct"].map(_percent),
        "overlapping %": per_account["overlapping_pct"].map(_percent),
        "followers": per_account["followers"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
        "stored": [("" if pd.isna(c) else f"{c:.0%}" + (" sample" if is_sample(c) else ""))
                   for c in per_account["audience_coverage"]],
    })
    return shown.to_string(index=False)


# audience ---------------------------------------------------------------------------------------
def read_member_ids(path: Path) -> list[str]:
    """Member ids from a text file or CSV: the first column of each line; a header (id, member_id, user_id) is skipped."""
    from crawler.imports import ImportFileError, read_member_ids as read_ids

    try:
        return read_ids(path)
    except ImportFileError as exc:
        fail(str(exc))


def _target(audiences: Audiences, known: pd.DataFrame, targets: list[str], members: Path | None,
            platform: str | None, db: str | None) -> tuple[np.ndarray, list[tuple[str, str]], list[str]]:
    """T as a member mask, the target accounts, and notes to print."""
    notes = []
    target_accounts = [resolve_account(t, known, "--target: ") for t in targets]
    if platform and any(p != platform for p, _ in target_accounts):
        other = next(f"{p}:{h}" for p, h in target_accounts if p != platform)
        fail(f"--platform {platform} excludes the target {other}: a member key means one person only within its "
              f"platform, so a target and the accounts ranked against it share a platform")
    have = set(map(tuple, audiences.accounts.astype(str).to_numpy()))
    empty = [f"{p}:{h}" for p, h in target_accounts if (p, h) not in have]
    if empty:
        fail(f"--target {empty[0]} has no stored audience: it cannot define a target audience")
    mask = target_from_accounts(audiences, target_accounts) if target_accounts else np.zeros(
        audiences.matrix.shape[1], dtype=bool)
    if members is not None:
        ids = read_member_ids(members)
        with Store(db, create=False) as store:
            keys = [store.member_key(i) for i in ids]  # hashed on import: raw ids are never kept
        imported, matched = target_from_keys(audiences, platform, keys)
        mask |= imported
        notes.append(f"{members}: {matched:,} of {len(set(ids)):,} member ids are in stored {platform} audiences "
                     f"(the others cannot be found in any audience)")
    return mask, target_accounts, notes


@app.command("audience")
def audience_command(
    target: TargetOption = None,
    more: MoreTargets = None,
    target_members: Annotated[Path | None, typer.Option(
        "--target-members", help="A file of member ids (one per line, or a CSV's first column) of --platform forming "
                                 "the target audience, e.g. your customers; hashed on import.", show_default=False)]
    = None,
    platform: Annotated[str | None, typer.Option("--platform", "-p", help="Only rank accounts of this platform.")]
    = None,
    top: Annotated[int | None, typer.Option("--top", "-n", min=1, help="Only the N best.")] = 20,
    kind: KindOption = Kind.any,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Where does my audience gather: every stored account ranked by affinity with a target audience.

    The target audience T is everyone in the audiences of the --target accounts (and/or the members
    listed in --target-members). For each other account A: target_overlap |A∩T|, target_share
    |A∩T|/|T|, target_density |A∩T|/|A|, affinity = target_density / (|T|/|U|) × 100 (U = every member
    stored for the platform; 100 = average) and jaccard |A∩T|/|A∪T|. The target accounts themselves
    are not ranked.

    \b
    Example: pagescout audience --target bluesky:alice.bsky.social bluesky:bob.bsky.social --top 20 --out audience.xlsx
    """
    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    targets = split_accounts([*(target or []), *(more or [])])
    if not targets and target_members is None:
        fail("name the target audience: --target platform:handle (one or more) or --target-members FILE")
    if target_members is not None and not platform:
        fail("--target-members needs --platform: member ids mean one person only within their platform")
    platform = platform.strip().lower() if platform else None
    platforms = {platform} if platform else {_platform_of(t) for t in targets}
    stored, audiences = _load(db, platforms, kind)
    if audiences.matrix.nnz == 0:
        fail(f"no audience{_kind_text(kind)} is stored for {', '.join(sorted(platforms))}: crawl with an audience "
              f"first (e.g. pagescout crawl bluesky … --audience-limit 1000)")
    known = _known_accounts(stored, audiences)
    mask, target_accounts, notes = _target(audiences, known, targets, target_members, platform, db)
    if not mask.any():
        fail("the target audience is empty: none of its members is stored")
    table = target_metrics(audiences, mask)
    is_target = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str)).isin(target_accounts)
    table = table[~is_target]
    if platform:
        table = table[table["platform"].astype(str) == platform]
    followers, coverage = followers_and_coverage(table, stored, table["audience_size"])
    names = stored.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["name"]
    table = table.assign(
        name=names.reindex(pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))).to_numpy(),
        followers=followers.to_numpy(), audience_coverage=coverage)
    table = table.sort_values(["affinity", "target_overlap", "handle"], ascending=[False, False, True],
                              na_position="last")
    table = table.reindex(columns=list(AUDIENCE_COLUMNS)).reset_index(drop=True)
    if top:
        table = table.head(top)
    for note in notes:
        typer.echo(note, err=True)
    target_size = int(mask.sum())
    typer.echo(f"target audience: {target_size:,} stored members"
               + (f" of {', '.join(f'{p}:{h}' for p, h in target_accounts)}" if target_accounts else ""))
    if table.empty:
        typer.echo("no other account has a stored audience to rank", err=True)
    else:
        echo_table(_audience_text(table))
    labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    note = _sample_note(labels, table["audience_coverage"].to_numpy(), "target_overlap and audience_size")
    if note:
        typer.echo(note, err=True)
    if target_accounts:
        t_rows = audiences.rows(target_accounts)
        _, t_coverage = followers_and_coverage(audiences.accounts.iloc[t_rows].reset_index(drop=True), stored,
                                     audiences.sizes[t_rows])
        if is_sample(t_coverage).any():
            typer.echo(f"note: the target audience is built from sampled audiences, so it is a sample too: "
                       f"target_share and target_density are of the sample (see {README_SECTION}).", err=True)
    if out is not None:
        if writer is write_xlsx:
            writer = xlsx_writer("Audience", AUDIENCE_COLUMNS, {
                "target_share": "0.0%", "target_density": "0.0%", "jaccard": "0.0000", "affinity": "0",
                "audience_coverage": "0%", "audience_size": "#,##0", "target_overlap": "#,##0"})
        write_file(out, writer, table)
        typer.echo(f"wrote {len(table)} accounts to {out}", err=True)


def _audience_text(table: pd.DataFrame) -> str:
    shown = table.copy()
    shown["name"] = shown["name"].fillna("").astype(str).str.slice(0, 24)
    for col in ("audience_size", "target_overlap", "followers"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    for col in ("target_share", "target_density", "audience_coverage"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    shown["affinity"] = shown["affinity"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["jaccard"] = shown["jaccard"].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    return shown.to_string(index=False)


def target_columns(accounts: pd.DataFrame, audience: pd.DataFrame, targets: list[str],
                   platform: str | None = None) -> pd.DataFrame:
    """platform, handle, target_overlap, affinity of every account with a stored audience, against the
    target accounts' audiences: what ``pagescout export --target`` adds to the shortlist."""
    targets = split_accounts(targets)
    platforms = {platform} if platform else {_platform_of(t) for t in targets}
    if len(platforms) == 1:  # affinity's base population U is the targets' platform
        audience = audience[audience["platform"].astype(str) == next(iter(platforms))]
    audiences = Audiences.from_frame(audience)
    known = _known_accounts(accounts, audiences)
    mask, _, _ = _target(audiences, known, targets, None, platform, None)
    table = target_metrics(audiences, mask)
    table[["platform", "handle"]] = table[["platform", "handle"]].astype(str)
    return table[["platform", "handle", "target_overlap", "affinity"]]


# plan -------------------------------------------------------------------------------------------
def read_prices(path: Path, known: pd.DataFrame) -> pd.DataFrame:
    """The prices file checked, its accounts resolved against the stored ones (sheets.readers)."""
    from sheets.readers import read_prices as read_price_rows

    try:
        return read_price_rows(path, lambda account, where: resolve_account(account, known, where))
    except SheetError as exc:
        fail(str(exc))


@app.command("plan")
def plan_command(
    budget: Annotated[float | None, typer.Option("--budget", "-b", help="Money to spend, in the prices' currency "
                                                                      "[default: the brief's budget.amount].",
                                                 show_default=False)] = None,
    prices: Annotated[Path | None, typer.Option("--prices", help="A .csv or .xlsx with platform, handle, price (and "
                                                                 "optionally expected_reach) per placement "
                                                                 "[default: the brief's budget.prices].",
                                                show_default=False)] = None,
    goal: Annotated[Goal | None, typer.Option("--goal", "-g", help="unique: the most distinct audience members; "
                                                                   "target: the most distinct members of the target "
                                                                   "audience [default: target with --target, else "
                                                                   "unique].", show_default=False)] = None,
    target: TargetOption = None,
    more: MoreTargets = None,
    kind: KindOption = Kind.any,
    out: OutOption = None,
    db: DbOption = None,
    brief: Annotated[Path | None, typer.Option("--brief", help="Take the budget, the prices file and the targets "
                                                               "from a brief's [budget] and targets.",
                                               show_default=False)] = None,
) -> None:
    """Choose the placements that reach the most distinct people (or target members) within a budget.

    Greedy by new audience per price, or the single best affordable placement if that reaches more
    (at least 31.6% of the best possible plan, usually near it). The budget is never exceeded and a
    placement that adds nobody new is never bought. Compares with buying the top pages by score, and
    by followers, until the budget runs out.

    \b
    Example: pagescout plan --budget 5000 --prices prices.csv --goal target --target bluesky:alice.bsky.social --out plan.xlsx
    """
    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    targets = split_accounts([*(target or []), *(more or [])])
    if brief is not None:
        from crawler.brief import BriefError, load_brief

        try:
            loaded = load_brief(brief)
        except BriefError as exc:
            fail(str(exc))
        budget = budget if budget is not None else loaded.budget
        prices = prices if prices is not None else loaded.prices
        targets = targets or list(loaded.targets)
    if budget is None:
        fail("no budget: give --budget, or a brief with [budget] amount")
    if prices is None:
        fail("no prices: give --prices FILE, or a brief with [budget] prices")
    if not math.isfinite(budget) or budget <= 0:
        fail(f"--budget {budget:g} must be a positive amount")
    goal = goal or (Goal.target if targets else Goal.unique)
    if goal is Goal.target and not targets:
        fail("--goal target needs the target audience: --target platform:handle (one or more)")
    if goal is Goal.unique and targets:
        fail("--target is for --goal target: the unique goal counts everyone")

    from ranking.shortlist import shortlist

    try:
        with Store(db, create=False) as store:
            accounts, posts, links = store.load_accounts(), store.load_posts(), store.load_links()
    except StoreError as exc:
        fail(str(exc))
    _, audiences = _load(db, set(), kind)
    known = _known_accounts(accounts, audiences)
    placements = read_prices(prices, known)
    if targets:  # the client's own and competitors' pages are what the plan measures against, never bought
        own = {resolve_account(t, known, "--target") for t in targets}
        is_target = [(p, h) in own for p, h in zip(placements["platform"], placements["handle"])]
        if any(is_target):
            typer.echo(f"note: {sum(is_target)} priced target account(s) left out: a target is not a placement",
                       err=True)
            placements = placements[[not t for t in is_target]].reset_index(drop=True)
    keys = list(zip(placements["platform"], placements["handle"]))
    matrix, has_audience = candidate_matrix(audiences, keys)
    weights = None
    if goal is Goal.target:
        mask, _, _ = _target(audiences, known, targets, None, None, db)
        weights = mask.astype(np.float64)
    without = [f"{p}:{h}" for (p, h), ok in zip(keys, has_audience) if not ok]
    if without:
        typer.echo(f"note: {len(without)} priced account(s) have no stored audience{_kind_text(kind)} and cannot add "
                   f"unique audience: {', '.join(without[:5])}{' …' if len(without) > 5 else ''}", err=True)

    ranked = shortlist(accounts, posts, links)
    ranked = ranked.assign(expected_reach=expected_reach(ranked).to_numpy()).set_index(["platform", "handle"])
    index = pd.MultiIndex.from_tuples(keys, names=["platform", "handle"])
    reach = ranked["expected_reach"].reindex(index).to_numpy(dtype="float64")
    placements["expected_reach"] = placements["expected_reach"].fillna(pd.Series(reach, index=placements.index))
    price_list = placements["price"].tolist()

    picks = choose_placements(matrix, price_list, budget, weights)
    plan = placement_table(picks, matrix, price_list, weights)
    chosen = placements.iloc[plan["row"].to_numpy()].reset_index(drop=True) if len(plan) else placements.iloc[:0]
    table = pd.DataFrame({
        "order": plan["order"], "platform": chosen["platform"], "handle": chosen["handle"], "price": plan["price"],
        "expected_reach": np.floor(chosen["expected_reach"].to_numpy(dtype="float64") + 0.5),  # whole people
        "new_unique_audience": plan["new_unique_audience"],
        "cumulative_unique_audience": plan["cumulative_unique_audience"], "cumulative_cost": plan["cumulative_cost"],
        "cost_per_1000_unique": plan["cost_per_1000_unique"].round(2),
    }).reindex(columns=list(PLAN_COLUMNS))

    score = ranked["score"].reindex(index).to_numpy(dtype="float64")
    followers = ranked["followers"].reindex(index).to_numpy(dtype="float64")
    stored_followers = accounts.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["followers"]
    followers = np.where(np.isnan(followers), stored_followers.reindex(index).to_numpy(dtype="float64"), followers)
    by_score = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(score[r], nan=-1), -np.nan_to_num(
        followers[r], nan=-1), r))
    by_followers = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(followers[r], nan=-1), r))
    comparison = compare_strategies({
        "this plan": picks,
        "top by score until the budget": fill_in_order(by_score, price_list, budget),
        "top by followers until the budget": fill_in_order(by_followers, price_list, budget),
    }, matrix, price_list, weights)
    what = "target audience members" if goal is Goal.target else "audience members"

    if table.empty:
        typer.echo(f"no placement fits the budget of {budget:,.2f} and reaches anyone new", err=True)
    else:
        echo_table(_plan_text(table))
    typer.echo(f"\nbudget {budget:,.2f}: {len(table)} placement(s) costing {comparison.loc[0, 'cost']:,.2f} reach "
               f"{comparison.loc[0, 'unique_audience']:,} distinct stored {what} "
               f"(guaranteed ≥ {GREEDY_GUARANTEE:.1%} of the best possible plan)")
    echo_table(_comparison_text(comparison))
    chosen_labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    sizes = np.diff(matrix.indptr)[plan["row"].to_numpy()] if len(plan) else np.empty(0)
    _, coverage = followers_and_coverage(table[["platform", "handle"]], accounts, sizes)
    note = _sample_note(chosen_labels, coverage, "new_unique_audience and the comparison")
    if note:
        typer.echo(note, err=True)
    if out is not None:
        if writer is write_xlsx:
            def add_comparison(wb):
                ws = wb.create_sheet("Comparison", 1)
                ws.append(list(comparison.columns))
                for row in comparison.itertuples(index=False):
                    ws.append([None if isinstance(v, float) and math.isnan(v) else v for v in row])
                ws.column_dimensions["A"].width = 36
                ws.append([])
                ws.append([f"unique_audience counts distinct stored {what}; the budget was {budget:g}."])

            writer = xlsx_writer("Plan", PLAN_COLUMNS, {
                "price": "#,##0.00", "cumulative_cost": "#,##0.00", "cost_per_1000_unique": "#,##0.00",
                "expected_reach": "#,##0", "new_unique_audience": "#,##0", "cumulative_unique_audience": "#,##0"},
                add_comparison)
        write_file(out, writer, table)
        typer.echo(f"wrote {len(table)} placements to {out}", err=True)


def _plan_text(table: pd.DataFrame) -> str:
    shown = table.copy()
    for col in ("price", "cumulative_cost", "cost_per_1000_unique"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    for col in ("expected_reach", "new_unique_audience", "cumulative_unique_audience"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    return shown.to_string(index=False)


def _comparison_text(comparison: pd.DataFrame) -> str:
    shown = comparison.copy()
    shown["cost"] = shown["cost"].map(lambda v: f"{v:,.2f}")
    shown["unique_audience"] = shown["unique_audience"].map(lambda v: f"{int(v):,}")
    shown["cost_per_1000_unique"] = shown["cost_per_1000_unique"].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return shown.to_string(index=False)


if __name__ == "__main__":
    app(prog_name="pagescout")
