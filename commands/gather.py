"""``pagescout gather``: where a target audience gathers across a whole platform, found by reading the
follow lists of a sample of it (crawler.gather), ranked by ``ranking.gather``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commands.common import (DEFAULT_TIMEOUT, DbOption, FreshOption, OutOption, QuietOption, TimeoutOption,
                             delay_option, echo_table, fail, platform_option, say)
from commands.crawl import checked_base_url, finish_crawl
from crawler.platforms import GATHERED, parse_account, platform, split_accounts
from crawler.store import load_gather
from ranking.gather import MIN_SHARE, gathered_pages
from sheets.readers import read_member_ids
from sheets.terminal import gather_summary, gather_text
from sheets.writers import write_gather


def open_share(value: float) -> float:
    """Option callback: a share strictly between 0 and 1."""
    if not 0 < value < 1:
        raise typer.BadParameter(f"{value} is not a share between 0 and 1 (0.05 = 5%)")
    return value


def gather_targets(texts: list[str], only: str | None) -> tuple[str, list[str]]:
    """The targets' one platform and handles; one line and exit 2 for a platform without follow lists."""
    accounts = [parse_account(text) for text in split_accounts(texts)]
    platforms = sorted({platform(name).name for name, _ in accounts} | ({only} if only else set()))
    if not platforms:
        fail("name the target audience: TARGET (platform:handle, one or more) or --target-members FILE --platform P")
    if len(platforms) != 1:
        fail(f"gather reads one platform at a time; the targets are on {', '.join(platforms)}")
    name = platforms[0]
    if name not in GATHERED:
        why = platform(name).no_follow_lists or f"{name} is imported from your files, not crawled"
        fail(f"{name}: gather cannot read whom members follow there ({why}); it works on {', '.join(GATHERED)}")
    return name, [handle for _, handle in accounts]


def gathered(name: str, handles: list[str], *, db, members: int, min_share: float, top: int | None,
             platform_size: float | None, quiet: bool, **options):
    """Crawl the gather and rank what it found: (the table, the crawl's summary). Exits when it was
    interrupted (resumable), the user must act, no target could be read, or it did not finish."""
    from crawler.run import gather

    summary, run = gather(name, handles, db=db, members=members, min_share=min_share, progress=not quiet, **options)
    if summary.exit_code == 130 or summary.fatal:
        finish_crawl([summary])  # exits: interrupted (resumable), or the user must act
    for line in summary.lines():
        say(line)
    table = gathered_pages(load_gather(db, name, run), min_share=min_share, platform_size=platform_size, top=top)
    if summary.unavailable and not table.attrs["summary"]["members_sampled"]:
        fail("target not available: " + "; ".join(f"{name}:{h}: {why}" for h, why in summary.unavailable.items()))
    if not table.attrs["summary"]["finished"]:
        fail("the gather stopped before it could rank what it read: run the same command again")
    return table, summary


def crawl_best(name: str, table, crawl_top: int, *, db, quiet: bool, **options) -> None:
    """``--crawl-top``: the best pages crawled fully in a second process, once the table is out."""
    from crawler.run import crawl_in_child

    if crawl_top and len(table):
        say(f"crawling the best {min(crawl_top, len(table))} pages fully (posts, engagement, links)")
        finish_crawl([crawl_in_child(name, list(table["handle"].head(crawl_top)), db=db, progress=not quiet,
                                     **options)])


def gather(
    targets: Annotated[list[str] | None, typer.Argument(help="The target audience's pages as platform:handle.",
                                                        show_default=False, metavar="TARGET")] = None,
    target_members: Annotated[Path | None, typer.Option(
        "--target-members", help="Or a file of member ids of --platform (one per line, or a CSV's first column), "
                                 "e.g. your customers: their follow lists are read; hashed, never kept.",
        show_default=False)] = None,
    only: Annotated[str | None, platform_option("The platform of --target-members.")] = None,
    members: Annotated[int, typer.Option(min=1, help="Sampled members per target whose follow lists are read.")] = 1000,
    min_share: Annotated[float, typer.Option(callback=open_share, help="Rank only pages at least this share of the "
                                             "sample follows (0.05 = 5%).")] = MIN_SHARE,
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Show and write the N best pages.")] = 50,
    crawl_top: Annotated[int, typer.Option(min=0, help="Then crawl the N best fully (posts, engagement, links), so "
                                                       "export ranks them like any crawled page.")] = 20,
    platform_size: Annotated[float | None, typer.Option(min=1, help="Accounts on the platform, the N of affinity "
                                                        "[default: the estimate in the README].",
                                                        show_default=False)] = None,
    max_requests: Annotated[int, typer.Option(min=1, help="Stop reading lists after N requests in all.")] = 2000,
    out: OutOption = None,
    db: DbOption = None,
    base_url: Annotated[str | None, typer.Option(help="The platform's API root, for mirrors and tests.",
                                                 show_default=False)] = None,
    delay: Annotated[float | None, delay_option("Seconds between requests [default: the platform's polite "
                                                "minimum].")] = None,
    fresh: FreshOption = False,
    quiet: QuietOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Where does my audience gather: pages a sample of the targets' followers follow, across the platform.

    Reads the follow lists of up to --members followers of each target (or of the members listed in
    --target-members) and ranks the pages at least
    --min-share of them follow by affinity_low (the affinity the sample supports at the least). The
    found pages are stored with their sampled followers (hashed), so overlap, plan, similar and export
    --target work on them. Ctrl-C, then the same command again, resumes.

    \b
    Example: pagescout gather mastodon:shop@mastodon.social --members 500 --out gather.xlsx
    """
    if target_members is not None and only is None:
        fail("--target-members needs --platform: member ids mean one person only within their platform")
    name, handles = gather_targets(targets or [], only)
    member_ids = read_member_ids(target_members) if target_members is not None else []
    crawling = dict(db=db, quiet=quiet, max_requests=max_requests, delay=delay, base_url=checked_base_url(base_url),
                    fresh=fresh, timeout=timeout)
    table, summary = gathered(name, handles, member_ids=member_ids, members=members, min_share=min_share, top=top,
                              platform_size=platform_size, **crawling)
    if out is not None:
        write_gather(Path(out), table)
        say(f"wrote {len(table)} pages to {out}")
    echo_table(gather_text(table) if len(table) else "no page is followed by --min-share of the sample")
    for line in gather_summary(table.attrs["summary"]):
        say(line)
    crawl_best(name, table, crawl_top, **crawling)
    if summary.exit_code:  # rows refused or lost, or answers that could not be parsed
        typer.echo(f"Error: {summary.problem()}", err=True)
        raise typer.Exit(summary.exit_code)
