"""``pagescout rank``, ``export`` and ``demo``: the ranked shortlist on the terminal, in a file, and the
whole flow offline on bundled sample channels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commands.common import (DbOption, Format, PlatformOption, TopOption, echo_table, say, writable)
from sheets.ranked import nothing_ranked, ranked_pages
from sheets.report import ReportOptions, write_report
from sheets.terminal import shortlist_text, terminal_safe
from sheets.writers import csv_text, json_text, write_shortlist

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PRICES = ROOT / "data" / "sample" / "prices.csv"
DEMO_OUT = ROOT / "data" / "demo"

BriefOption = Annotated[Path | None, typer.Option(
    "--brief", help="Rank by a brief (TOML, see data/brief.toml): relevance to its keywords, its weights and "
                    "filters; its targets are left out of the list.", show_default=False)]
MaxBotShareOption = Annotated[float | None, typer.Option(
    "--max-bot-share", min=0, max=1, help="Drop pages whose bot_share is above this (0.3 = 30%); pages whose bot "
                                          "share is unknown stay.", show_default=False)]


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
    table = ranked_pages(db, platform, top, max_bot_share=max_bot_share, brief_path=brief)
    if table.empty:
        say(nothing_ranked(table, platform))
    elif fmt is Format.table:
        echo_table(shortlist_text(table))
    elif fmt is Format.csv:
        typer.echo(terminal_safe(csv_text(table), keep_newlines=True), nl=False)
    else:
        typer.echo(json_text(table))


def export(
    out: Annotated[Path, typer.Argument(help="Output file: .xlsx, .csv or .json.", show_default=False,
                                        callback=writable)],
    platform: PlatformOption = None,
    top: TopOption = None,
    db: DbOption = None,
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="Add target_overlap and affinity with the audience of these accounts (platform:handle; "
                               "repeat it or separate with commas).", show_default=False)] = None,
    max_bot_share: MaxBotShareOption = None,
    brief: BriefOption = None,
    prices: Annotated[Path | None, typer.Option(
        "--prices", help="A .csv or .xlsx with platform, handle, price (and optionally expected_reach), as plan "
                         "takes it: adds price, cpm and cpe.", show_default=False)] = None,
) -> None:
    """Write the ranked shortlist to a spreadsheet (.xlsx), .csv or .json.

    \b
    Example: pagescout export shortlist.xlsx --platform telegram --top 50 --prices prices.csv
    """
    table = ranked_pages(db, platform, top, target, max_bot_share=max_bot_share, brief_path=brief,
                         prices_path=prices)
    write_shortlist(out, table)
    say(f"wrote {len(table)} pages to {out}")
    if table.empty:
        say(nothing_ranked(table, platform))
    for note in table.attrs.get("notes", []):  # e.g. a platform too small for the engagement anomaly model
        say(f"note: {note}")


def demo(
    out: Annotated[Path, typer.Option(help="Where to write the shortlist.", callback=writable)]
    = DEMO_OUT / "shortlist.xlsx",
) -> None:
    """The whole flow offline: crawl the bundled samples from local servers, rank, export, report.

    The samples are synthetic, written to look like real pages: Telegram channels
    (data/sample/telegram.json) and a Mastodon instance whose members carry the signals the bot
    checks read (data/sample/mastodon.json), with a gather and 90 days of follower history.

    \b
    Example: pagescout demo --out /tmp/shortlist.xlsx
    """
    from crawler.demo import build_demo

    out.parent.mkdir(parents=True, exist_ok=True)
    summary = build_demo(out.parent / "demo.db", say)
    for line in summary.lines:
        say(line)
    db = summary.db
    table = ranked_pages(str(db))
    write_shortlist(out, table)
    echo_table(shortlist_text(table.head(10)))
    say(f"\nwrote {len(table)} ranked pages to {out}")
    write_report(out.parent / "report.html", str(db), ReportOptions(targets=(summary.target,), prices=SAMPLE_PRICES,
                                                                     budget=summary.budget))
    say(f"wrote the visual report to {out.parent / 'report.html'} (open it in a browser); try on the demo's database:")
    for command in summary.try_commands:
        say(f"  {command}")

