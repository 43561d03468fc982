"""pagescout command line: crawl public pages, rank them, export the shortlist.

This module assembles the app from the command modules in ``commands/`` (one per command group, each
command a thin layer that parses options, calls one library function, then prints or writes) and
answers every error in one line: a usage error or a user's bad input or file with exit code 2, Ctrl-C
with 130, and a bug with 1 and its traceback in the database's log.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from commands import ads, audience, crawl, gather, importing, pages, report, shortlist, workers
from commands.common import USER_ERRORS
from crawler.settings import VERSION
from crawler.store import resolve_db
from sheets.terminal import cut, cut_echoes, terminal_safe


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
        except USER_ERRORS as exc:  # the user's input or files: what is wrong, where, and how to fix it
            typer.echo(f"Error: {terminal_safe(cut_echoes(str(exc)))}", err=True)
            sys.exit(2)
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


# The commands in the order --help lists them; each function is named after its command (a test checks it).
app.add_typer(crawl.app, name="crawl")
app.command("discover")(crawl.discover)
app.command("rank")(shortlist.rank)
app.command("export")(shortlist.export)
app.command("report")(report.report)
app.command("history")(pages.history)
app.command("import")(importing.import_)
app.command("similar")(pages.similar)
app.command("posts")(pages.posts)
app.command("demo")(shortlist.demo)
app.command("overlap")(audience.overlap)
app.command("audience")(audience.audience)
app.command("plan")(audience.plan)
app.command("gather")(gather.gather)
app.command("ads")(ads.ads)
app.command("refresh")(crawl.refresh)
app.command("worker")(workers.worker)
app.command("crawl-status")(workers.crawl_status)


if __name__ == "__main__":
    app(prog_name="pagescout")
