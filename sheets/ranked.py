"""The shortlist as every command that shows one builds it (``rank``, ``export``, ``demo``, ``report``):
the brief read once, the stored frames loaded once, ``--target`` accounts and a prices file resolved
against what is stored, then ``ranking.shortlist``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from crawler.platforms import find_account, split_accounts
from crawler.store import load_frames
from ranking.frames import Frames
from ranking.shortlist import ShortlistOptions, shortlist
from sheets.brief import Brief, load_brief
from sheets.readers import read_prices


def ranked_pages(db: str | None, platform: str | None = None, top: int | None = None,
                 targets: list[str] | None = None, max_bot_share: float | None = None,
                 brief_path: Path | None = None, prices_path: Path | None = None, *,
                 frames: Frames | None = None, brief: Brief | None = None):
    """The shortlist table (a DataFrame). ``frames`` and ``brief``, when the caller has them loaded
    already, are used instead of reading the database and ``brief_path`` again."""
    if brief is None and brief_path is not None:
        brief = load_brief(brief_path)
    frames = frames if frames is not None else load_frames(db, platform)
    known = frames.known_accounts()
    resolved = tuple(find_account(text, known, "--target: ") for text in split_accounts(targets))
    prices = (read_prices(prices_path, lambda account, where: find_account(account, known, where))
              if prices_path is not None else None)
    options = ShortlistOptions.from_brief(brief, platform=platform, top=top, max_bot_share=max_bot_share,
                                          targets=resolved, now=datetime.now(timezone.utc), prices=prices)
    return shortlist(frames, options)


def nothing_ranked(table, platform: str | None) -> str:
    """Why the table is empty: the platforms the database holds are in its ``attrs``."""
    present = sorted(table.attrs.get("stored_platforms", []))
    if platform and present:
        return f"no {platform} pages to rank (the database has {', '.join(present)}); or the filters removed all"
    return "no ranked pages: crawl or import some first (pagescout crawl telegram …, pagescout import …)"
