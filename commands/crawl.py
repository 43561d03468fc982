"""``pagescout crawl <platform>`` and ``pagescout discover``: start crawls, print their summaries.

Each command reads its options and hands them to ``crawler.run`` (one platform: ``crawl``; a brief over
several: ``discover``); the exit code follows the crawl (0, 1 when fetched data was not all stored, 2
when the user must act, 130 after Ctrl-C).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from commands.common import (DEFAULT_TIMEOUT, DbOption, FreshOption, MaxRequestsOption, NoWorkerOption, QueueOption,
                             QuietOption, TimeoutOption, delay_option, fail, say)
from crawler.platforms import CRAWLED
from crawler.store import resolve_db
from sheets.terminal import cut

app = typer.Typer(help="Crawl public pages of a platform into the database.", no_args_is_help=True,
                  rich_markup_mode=None)


def crawl(platform: str, seeds: list[str], *, db, fresh: bool, quiet: bool, queue: str | None = None,
          no_worker: bool = False, **options) -> None:
    """Run one platform's crawl (``crawler.run.crawl``), or put it on a queue (``crawler.run.queue_crawl``),
    and exit as it ended."""
    from crawler.run import CrawlAlreadyRunning, crawl as run_platform, queue_crawl

    options["base_url"] = checked_base_url(options.get("base_url"))
    if no_worker and not queue:
        fail("--no-worker only makes sense with --queue redis://HOST:PORT/DB")
    try:
        if queue:
            summary = queue_crawl(platform, seeds, queue=queue, db=db, work=not no_worker, progress=not quiet,
                                  fresh=fresh, **options)
        else:
            summary = run_platform(platform, seeds, db=db, progress=not quiet, fresh=fresh, **options)
    except CrawlAlreadyRunning as exc:
        fail(str(exc))
    finish_crawl([summary])


def finish_crawl(summaries, prefixes=None, closing: str | None = None) -> None:
    """Print the summaries and exit as the crawl ended: 2 when the user must act (a refused token),
    130 after Ctrl-C, 1 when fetched data was not all stored (one line says so and names the log)."""
    prefixes = prefixes or [""] * len(summaries)
    for prefix, summary in zip(prefixes, summaries):
        for line in summary.lines():
            say(f"{prefix}{line}")
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


@app.command("telegram")
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
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl public Telegram channels through their web preview (t.me/s/...).

    \b
    Example: pagescout crawl telegram durov @telegram https://t.me/tginfo --depth 1 --max-posts 50
    """
    crawl("telegram", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
           base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, timeout=timeout, queue=queue, no_worker=no_worker)


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
    crawl(platform, list(seeds or []), search=search, **options)


@app.command("bluesky")
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
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl Bluesky accounts, their posts and a sample of their audience through the public API (no key).

    \b
    Example: pagescout crawl bluesky alice.bsky.social --search "data journalism" \\
               --depth 1 --audience-limit 500
    """
    _crawl_audience("bluesky", seeds, search, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
                    base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, timeout=timeout,
                    audience_limit=audience_limit, engagers_posts=engagers_posts, queue=queue,
                    no_worker=no_worker)


@app.command("mastodon")
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
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl Mastodon accounts, their posts and a sample of their audience through each instance's public API.

    \b
    Example: pagescout crawl mastodon gargron@mastodon.social \\
               --base-url https://mastodon.social --depth 1
    """
    _crawl_audience("mastodon", seeds, search, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests,
                    base_url=base_url, delay=delay, fresh=fresh, quiet=quiet, timeout=timeout,
                    audience_limit=audience_limit, engagers_posts=engagers_posts, queue=queue,
                    no_worker=no_worker)


# crawl: VK, YouTube, blogs --------------------------------------------------------------------
def _require_key(kind: str, message: str) -> None:
    from crawler.apikeys import secret

    if not secret(kind):
        fail(message)


@app.command("vk")
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
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl VK communities, their wall posts and a sample of their members through the VK API.

    Needs $VK_TOKEN (a service token of any VK app will do); it is never logged or stored.

    \b
    Example: pagescout crawl vk apiclub --max-posts 50
    """
    _require_key("vk", "set VK_TOKEN to a VK access token first (a service token of any VK app will do: "
                       "vk.com/apps?act=manage → your app → Settings)")
    crawl("vk", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, timeout=timeout, audience_limit=audience_limit, queue=queue,
           no_worker=no_worker)


@app.command("youtube")
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
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl YouTube channels: the keyless feed (latest 15 videos), or the Data API with $YOUTUBE_API_KEY.

    \b
    Example: pagescout crawl youtube @GoogleDevelopers UC_x5XG1OV2P6uZZ5FSM9Ttw --max-posts 50
    """
    crawl("youtube", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, timeout=timeout, audience_limit=audience_limit, queue=queue,
           no_worker=no_worker)


@app.command("rss")
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
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Crawl blogs through their RSS/Atom feeds, and the author's other pages they link to (same_as).

    \b
    Example: pagescout crawl rss https://blog.example.com https://example.org/feed.xml --max-posts 50
    """
    crawl("rss", seeds, db=db, depth=depth, max_posts=max_posts, max_requests=max_requests, base_url=base_url,
           delay=delay, fresh=fresh, quiet=quiet, timeout=timeout, queue=queue, no_worker=no_worker)


# discover ---------------------------------------------------------------------------------------
RootsOption = Annotated[list[str] | None, typer.Option("--base-url", help="PLATFORM=URL: another root for a platform "
                                                                        "(mirrors, tests); repeatable.", show_default=False)]


def platform_roots(items: list[str] | None) -> dict[str, str]:
    """``--base-url PLATFORM=URL`` options as ``{platform: root}``, each root checked."""
    roots = {}
    for item in items or []:
        platform, sep, url = item.partition("=")
        if not sep or platform not in CRAWLED:
            fail(f"--base-url '{item}' must be PLATFORM=URL with PLATFORM one of {', '.join(CRAWLED)}")
        roots[platform] = checked_base_url(url, f"--base-url {platform}=")
    return roots


class Strategy(str, Enum):
    focused = "focused"
    breadth_first = "breadth-first"


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
    base_url: RootsOption = None,
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
    from sheets.brief import load_brief
    from crawler.run import CrawlAlreadyRunning, discovery_plans, prepare_db, run_discovery

    brief = load_brief(brief_path)
    plans = discovery_plans(brief, roots=platform_roots(base_url), focused=strategy is Strategy.focused, depth=depth,
                            max_posts=max_posts, audience_limit=audience_limit)
    db = prepare_db(db)
    try:
        summaries = run_discovery(plans, db=db, max_requests=max_requests, delay=delay, progress=not quiet,
                                  fresh=fresh, timeout=timeout)
    except CrawlAlreadyRunning as exc:
        fail(str(exc))
    db_option = "" if db == resolve_db(None) else f" --db {db}"
    finish_crawl(list(summaries.values()), [f"{platform}: " for platform in summaries],
                 closing=f"next: pagescout export shortlist.xlsx --brief {brief_path}{db_option}")


# refresh ----------------------------------------------------------------------------------------
AGE_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def age_seconds(value: str) -> float:
    """Option callback: ``12h``, ``1d``, ``7d`` (also ``30m``, ``2w``) as seconds."""
    text = (value or "").strip().lower()
    number, unit = text[:-1], text[-1:]
    try:
        amount = float(number)
    except ValueError:
        amount = -1.0
    if unit not in AGE_UNITS or not 0 < amount < 10_000:  # NaN fails the range too
        raise typer.BadParameter(f"'{cut(value)}' is not an age: give a number and a unit, such as 12h, 1d or 7d")
    return amount * AGE_UNITS[unit]


def refresh(
    older_than: Annotated[str, typer.Option(help="Re-crawl pages last fetched longer ago than this: 12h, 1d, "
                                                 "7d (m, h, d or w).")] = "1d",
    platform: Annotated[str | None, typer.Option("--platform", "-p", help="Only this platform's pages.")] = None,
    max_posts: Annotated[int, typer.Option(min=1, help="Newest posts to fetch again per page.")] = 20,
    max_requests: Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit); with "
                                                          "--queue, per platform.")] = 0,
    base_url: RootsOption = None,
    delay: Annotated[float | None, delay_option("Seconds between requests, replacing each "
                                                "platform's polite minimum.")] = None,
    db: DbOption = None,
    queue: QueueOption = None,
    no_worker: NoWorkerOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Re-crawl the stored pages whose last fetch is older than --older-than: profile, newest posts and
    that day's follower snapshot. Run daily, it fills growth, spikes and temperature in.

    \b
    Example: pagescout refresh --older-than 1d --max-requests 5000
    """
    from crawler.platforms import platform as registered
    from crawler.run import refresh as refresh_pages

    if platform is not None and not registered(platform).crawled:
        fail(f"{platform} is imported, not crawled: refresh its pages by importing a newer file (pagescout import)")
    if no_worker and not queue:
        fail("--no-worker only makes sense with --queue redis://HOST:PORT/DB")
    summaries = refresh_pages(db=db, older_than_seconds=age_seconds(older_than),
                              platform=registered(platform).name if platform else None, max_posts=max_posts,
                              max_requests=max_requests, delay=delay, roots=platform_roots(base_url), queue=queue,
                              work=not no_worker, progress=not quiet, timeout=timeout)
    if not summaries:
        say(f"nothing to refresh: every stored page was fetched within the last {older_than}")
        return
    finish_crawl(list(summaries.values()), [f"{name}: " for name in summaries])
