"""What every command shares: the one-line error, printing stored text safely, and the options that
mean the same everywhere (``--db``, ``--platform``, ``--top``, ``--out``, ``--delay``, …)."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from crawler.basespider import SeedError
from crawler.distributed import QueueError
from sheets.brief import BriefError
from crawler.platforms import AccountError, UnknownPlatform, platform
from crawler.store import StoreError
from ranking.overlap import AudienceError
from sheets.terminal import cut_echoes, terminal_safe
from sheets.errors import SheetError
from sheets.writers import check_output

#: The errors of a user's input or files: the app answers each with ``Error: <message>`` and exit code 2.
USER_ERRORS = (StoreError, BriefError, SheetError, SeedError, UnknownPlatform, AccountError, AudienceError, QueueError)


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 2: the user's input was wrong, nothing was changed.

    Quoted input in the message is cut to about 80 characters: a 10,000-character argument is not
    worth echoing whole."""
    typer.echo(f"Error: {terminal_safe(cut_echoes(message))}", err=True)
    raise typer.Exit(2)


def echo_table(text: str) -> None:
    """Print a table of stored values: names come from strangers, so no control or escape character
    reaches the terminal."""
    typer.echo(terminal_safe(text, keep_newlines=True))


def say(text: str) -> None:
    """A note or progress line on stderr, safe for the terminal (it may quote stored names)."""
    typer.echo(terminal_safe(text, keep_newlines=True), err=True)


# option values ----------------------------------------------------------------------------------
class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class Kind(str, Enum):
    follower = "follower"
    member = "member"
    liker = "liker"
    commenter = "commenter"
    reposter = "reposter"
    any = "any"

    @property
    def stored(self) -> str | None:
        """The store's audience kind, ``None`` for every kind."""
        return None if self is Kind.any else self.value

    @property
    def text(self) -> str:
        """`` of kind liker`` for messages (empty for every kind)."""
        return "" if self is Kind.any else f" of kind {self.value}"


DEFAULT_TIMEOUT = 30.0
MAX_DELAY = 3600.0


def finite(value: float | None) -> float | None:
    """Option callback: ``nan`` passes Click's range checks (every comparison with it is false)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of seconds")
    return value


def known_platform(name: str | None) -> str | None:
    """Option callback: the platform's registered name, or the one-line unknown-platform error."""
    return None if name is None else platform(name).name


def writable(out: Path | None) -> Path | None:
    """Option callback: an output file of a type pagescout writes, checked before any work is done."""
    return None if out is None else check_output(out)


def delay_option(help_text: str):
    """``--delay``: seconds between requests, finite and at most an hour."""
    return typer.Option(min=0, max=MAX_DELAY, callback=finite, help=help_text, show_default=False)


def platform_option(help_text: str = "Only this platform."):
    return typer.Option("--platform", "-p", callback=known_platform, help=help_text)


DbOption = Annotated[str | None, typer.Option("--db", help="Database file or URL [default: $PAGESCOUT_DB or ./pagescout.db]",
                                              show_default=False)]
PlatformOption = Annotated[str | None, platform_option()]
TopOption = Annotated[int | None, typer.Option("--top", "-n", min=1, help="Only the N best.")]
FreshOption = Annotated[bool, typer.Option("--fresh", help="Ignore an interrupted earlier run of this crawl.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress line.")]
MaxRequestsOption = Annotated[int, typer.Option(min=0, help="Stop after N requests in all (0 = no limit).")]
TimeoutOption = Annotated[float, typer.Option(min=1, max=600, callback=finite,
                                              help="Seconds to wait for one answer before giving up on it "
                                                   "(a timeout is retried once).")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", callback=writable,
                                                help="Also write the table to a .csv, .xlsx or .json file.",
                                                show_default=False)]
KindOption = Annotated[Kind, typer.Option("--kind", "-k", help="Whose audience counts: followers, members, likers, "
                                                               "commenters, reposters, or any of them.")]
TargetOption = Annotated[list[str] | None, typer.Option(
    "--target", "-t", help="Target account as platform:handle; repeat it, separate with commas, or list more accounts "
                           "after it.", show_default=False)]
MoreTargets = Annotated[list[str] | None, typer.Argument(help="More target accounts (platform:handle).",
                                                         show_default=False, metavar="[ACCOUNT]...")]
QueueOption = Annotated[str | None, typer.Option(
    "--queue", envvar="PAGESCOUT_QUEUE", help="Put the crawl on a shared Redis queue (redis://HOST:PORT/DB) that "
                                             "`pagescout worker` processes on any machine work on.",
    show_default=False)]
NoWorkerOption = Annotated[bool, typer.Option("--no-worker", help="With --queue: only put the crawl on the queue, "
                                                                 "and leave the work to the workers.")]
