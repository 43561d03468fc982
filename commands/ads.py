"""``pagescout ads``: the ad posts stored, or who advertised where (``--advertisers``)."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import DbOption, OutOption, PlatformOption, TopOption, echo_table, say
from crawler.store import load_frames
from ranking.ads import ad_posts, advertisers
from sheets.terminal import ad_posts_text, advertisers_text
from sheets.writers import write_ad_posts, write_advertisers


def ads(
    by_advertiser: Annotated[bool, typer.Option("--advertisers", help="Who advertised where: each advertiser "
                                                "with the pages that ran its ads and how many ad posts.")] = False,
    platform: PlatformOption = None,
    top: TopOption = None,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """The ad posts the crawls found, newest first, with why each counts as an ad; or the advertisers.

    \b
    Example: pagescout ads --advertisers --platform telegram --out advertisers.xlsx
    """
    frames = load_frames(db, platform, parts=("accounts", "posts"))
    table = advertisers(frames.posts) if by_advertiser else ad_posts(frames.posts)
    table = table.head(top) if top else table
    what = "advertisers" if by_advertiser else "ad posts"
    if len(table):
        echo_table(advertisers_text(table) if by_advertiser else ad_posts_text(table))
    else:
        say(f"no {what} among the stored posts (posts are checked for ads as they are crawled)")
    if out is not None:
        (write_advertisers if by_advertiser else write_ad_posts)(out, table)
        say(f"wrote {len(table)} {what} to {out}")
