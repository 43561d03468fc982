"""``pagescout report``: the shortlist, its charts, the overlap, the plan and the gather in one HTML file
that opens anywhere, offline (``sheets.report``)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from commands.common import DbOption, PlatformOption, TargetOption, say
from commands.shortlist import BriefOption
from sheets.report import ReportOptions, write_report


class Language(str, Enum):
    en = "en"
    ru = "ru"


def report(
    out: Annotated[Path, typer.Argument(help="The report to write (.html).", show_default=False)],
    platform: PlatformOption = None,
    top: Annotated[int, typer.Option("--top", "-n", min=1, max=200, help="Cards with charts for the N best pages.")]
    = 10,
    brief: BriefOption = None,
    target: TargetOption = None,
    prices: Annotated[Path | None, typer.Option(
        "--prices", help="A .csv or .xlsx with platform, handle, price, as plan takes it: adds the placement plan "
                         "(with --budget) [default: the brief's budget.prices].", show_default=False)] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", "-b", help="Money to spend on the plan [default: the brief's budget.amount].",
        show_default=False)] = None,
    lang: Annotated[Language, typer.Option("--lang", help="The report's language: en or ru.")] = Language.en,
    db: DbOption = None,
) -> None:
    """Write a visual report: one self-contained HTML file with the ranked shortlist (sortable, filterable),
    reach against engagement, cards for the top pages, audience overlap, the placement plan, where the
    target audience gathers and the communities of the link graph.

    It loads nothing from the network when opened: send it as an attachment.

    \b
    Example: pagescout report report.html --top 10 --prices prices.csv --budget 5000 --lang ru
    """
    built = write_report(out, db, ReportOptions(platform=platform, top=top, brief=brief, targets=tuple(target or ()),
                                                prices=prices, budget=budget, lang=lang.value))
    size = out.stat().st_size
    say(f"wrote the report of {len(built.table):,} pages to {out} ({size / 1_000_000:.1f} MB)")
    for note in built.table.attrs.get("notes", []):
        say(f"note: {note}")
