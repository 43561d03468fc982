"""``pagescout history``, ``posts`` and ``similar``: one page's follower history, its standout posts, and
the pages most like it."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import DbOption, OutOption, echo_table, say
from crawler.platforms import find_account, parse_account, platform
from crawler.store import load_frames
from ranking.growth import follower_history
from ranking.similar import similar as lookalikes
from ranking.standout import page_posts
from sheets.terminal import history_lines, posts_text, similar_text
from sheets.writers import write_posts, write_similar


def history(
    account: Annotated[str, typer.Argument(help="The page as platform:handle (telegram:durov).", show_default=False)],
    db: DbOption = None,
) -> None:
    """Print a page's follower history with a sparkline, its 30/90-day growth and the follower spikes found.

    \b
    Example: pagescout history telegram:durov
    """
    name = platform(parse_account(account)[0]).name
    frames = load_frames(db, name, parts=("accounts", "snapshots"))
    known = frames.account_keys() | frames.with_snapshots()
    key = find_account(account, known, stored_platforms=frames.stored_platforms)
    for line in history_lines(f"{key[0]}:{key[1]}", follower_history(frames.snapshots, key[1])):
        echo_table(line)


def similar(
    account: Annotated[str, typer.Argument(help="The account to find lookalikes of, as platform:handle.",
                                           show_default=False)],
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Show the N most alike.")] = 20,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Find the pages most like a given one: shared audience, cited by the same pages, similar texts.

    \b
    Example: pagescout similar telegram:run_spb --top 10 --out lookalikes.xlsx
    """
    frames = load_frames(db, parse_account(account)[0], parts=("accounts", "posts", "links", "audience"))
    key = find_account(account, frames.account_keys(), stored_platforms=frames.stored_platforms)
    table = lookalikes(key, frames.accounts, frames.posts, frames.links, audience=frames.audience, top=top)
    if table.empty:
        say(f"no page shares an audience, a citer or words with {key[0]}:{key[1]} yet")
    else:
        echo_table(similar_text(table))
    if out is not None:
        write_similar(out, table)
        say(f"wrote {len(table)} lookalikes to {out}")


def posts(
    account: Annotated[str, typer.Argument(help="The page as platform:handle (telegram:durov).", show_default=False)],
    top: Annotated[int | None, typer.Option("--top", "-n", min=1, help="Only the N best posts.")] = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """A page's posts, best first by overperformance: views against the median of its posts nearby.

    2.0 = twice the views expected, -2.0 = half (CrowdTangle's score); a page without views is measured
    by interactions; posts under 48 hours old are left out.

    \b
    Example: pagescout posts telegram:durov --top 10 --out posts.xlsx
    """
    name = platform(parse_account(account)[0]).name
    frames = load_frames(db, name, parts=("accounts", "posts"))
    key = find_account(account, frames.account_keys(), stored_platforms=frames.stored_platforms)
    table = page_posts(frames, *key, top)
    echo_table(posts_text(table) if len(table) else f"no posts of {key[0]}:{key[1]} old enough to score")
    if table.attrs["young"]:
        say(f"{table.attrs['young']} posts under 48 hours old left out: their views are still growing")
    if out is not None:
        write_posts(out, table)
        say(f"wrote {len(table)} posts to {out}")
