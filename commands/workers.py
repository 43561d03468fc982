"""``pagescout worker`` and ``pagescout crawl-status``: the workers of crawls on a shared Redis queue
(``pagescout crawl … --queue URL``), and what they are doing."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from commands.common import DbOption, Format, fail, say


QueueRequired = Annotated[str, typer.Option("--queue", envvar="PAGESCOUT_QUEUE", show_default=False,
                                            help="The shared Redis queue: redis://HOST:PORT/DB.")]


def worker(
    queue: QueueRequired,
    db: DbOption = None,
    until_idle: Annotated[float | None, typer.Option(min=0, show_default=False,
                                                     help="Exit once nothing has been queued or in flight for "
                                                          "SECONDS [default: work until stopped].")] = None,
) -> None:
    """Work on every crawl on a shared queue, whatever its platform, from this machine.

    Each worker keeps the platforms' delays together with the others (one clock per host in Redis) and
    adds its own tokens from its environment. Ctrl-C hands the requests it holds back to the queue; a
    worker that dies holding some gives them back after 30 seconds.

    \b
    Example: pagescout worker --queue redis://10.0.0.5:6379/0 \\
               --db postgresql://scout@10.0.0.5/pages --until-idle 60
    """
    from crawler.run import run_worker

    def report(crawl_id: str, summary) -> None:
        for line in summary.lines():
            say(f"{crawl_id}: {line}")

    summaries = run_worker(queue, db=db, until_idle=until_idle, report=report)
    if not summaries:
        say("no crawl on the queue needed this worker")
    fatal = next((summary.fatal for summary in summaries.values() if summary.fatal), None)
    if fatal:  # a token the platform refused, say: this worker cannot go on, and the user must act
        fail(fatal)
    code = max((summary.exit_code for summary in summaries.values()), default=0)
    if code:
        raise typer.Exit(code)


def crawl_status(
    queue: QueueRequired,
    format: Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")] = Format.table,
) -> None:
    """Show each crawl on a shared queue, and each of its workers: requests, items, errors, queued, in flight.

    \b
    Example: pagescout crawl-status --queue redis://10.0.0.5:6379/0
    """
    from dataclasses import asdict

    from crawler.distributed import connect, status
    from sheets.terminal import crawl_status_text

    crawls = status(connect(queue))
    if format is Format.json:
        typer.echo(json.dumps([asdict(crawl) | {"requests": crawl.requests, "items": crawl.items,
                                                "errors": crawl.errors} for crawl in crawls], indent=1))
    else:
        typer.echo(crawl_status_text(crawls, csv=format is Format.csv))
