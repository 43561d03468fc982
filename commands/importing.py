"""``pagescout import``: accounts, posts or audiences from the user's own files, for the platforms whose
data is closed to crawlers (Instagram, TikTok, Facebook, X, OK) or to add to a crawl."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commands.common import DbOption, known_platform, say
from sheets.imports import import_file


def import_(
    platform: Annotated[str, typer.Argument(help="Platform the pages live on: instagram, tiktok, facebook, x, ok, or "
                                                 "any platform pagescout crawls.", show_default=False,
                                            callback=known_platform)],
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
    result = import_file(file, platform, kind=kind, db=db)
    say(f"imported {result.stored} {result.what} ({platform}) from {file}")
    if result.refused:  # checked rows the database still would not take: said, and kept in 'refused'
        say(f"Error: the database refused {result.refused} rows (see its table 'refused')")
        raise typer.Exit(1)
