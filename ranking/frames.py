"""The frames ranking works on: what the store hands over, loaded once per command.

Every ranking function takes the frames it needs from one ``Frames`` bundle; nothing in ``ranking/``
reads a database. ``crawler.store.load_frames`` fills it with the parts a command asks for. A part that
was not loaded is ``None`` (accounts, posts and links: an empty frame), and the functions that use it
leave their columns empty, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

#: The parts of a bundle, as the store names its loaders (``Store.load_<part>``).
PARTS = ("accounts", "posts", "links", "audience", "signals", "snapshots", "engagers")

#: The columns of the parts every bundle has, when they hold no rows (the store's tables have more).
EMPTY_COLUMNS = {
    "accounts": ("platform", "handle", "name", "followers", "status", "fetched_at"),
    "posts": ("platform", "account", "post_id", "published_at", "views"),
    "links": ("platform", "src", "dst", "kind"),
}


def _empty(part: str):
    return field(default_factory=lambda: pd.DataFrame(columns=list(EMPTY_COLUMNS[part])))


@dataclass
class Frames:
    """Accounts, posts, links, audience (every kind, or the one asked for), member signals, follower
    snapshots and dated engagers of the platforms asked for, as ``crawler.store`` loads them."""

    accounts: pd.DataFrame = _empty("accounts")
    posts: pd.DataFrame = _empty("posts")
    links: pd.DataFrame = _empty("links")
    audience: pd.DataFrame | None = None
    signals: pd.DataFrame | None = None
    snapshots: pd.DataFrame | None = None
    engagers: pd.DataFrame | None = None
    #: Every platform the database holds accounts of, whichever were loaded.
    stored_platforms: tuple[str, ...] = ()

    def account_keys(self) -> set[tuple[str, str]]:
        """The (platform, handle) of every crawled or imported account."""
        return set(zip(self.accounts["platform"].astype(str), self.accounts["handle"].astype(str)))

    def known_accounts(self) -> set[tuple[str, str]]:
        """Every (platform, handle) the bundle knows: crawled or imported accounts, and accounts with a
        stored audience (an imported audience may come without its account row)."""
        return self.account_keys() | self.with_audience()

    def with_snapshots(self) -> set[tuple[str, str]]:
        """The (platform, account) pairs with at least one follower snapshot."""
        if self.snapshots is None:
            return set()
        return set(zip(self.snapshots["platform"].astype(str), self.snapshots["account"].astype(str)))

    def with_audience(self) -> set[tuple[str, str]]:
        """The (platform, account) pairs with at least one stored audience member."""
        if self.audience is None:
            return set()
        return set(zip(self.audience["platform"].astype(str), self.audience["account"].astype(str)))

    def __repr__(self) -> str:
        sizes = ", ".join(f"{f.name}={len(getattr(self, f.name)):,}" for f in fields(self)
                          if isinstance(getattr(self, f.name), pd.DataFrame))
        return f"Frames({sizes})"


@dataclass
class Gathered:
    """One gather (``pagescout gather``) as the store hands it over: the run (platform, run, targets,
    sampling, members_sampled, pages_found, min_members, finished, at; ``None`` when not stored), its
    sampled members (member_key, outcome: read, hidden or failed), the pages it kept, which sampled member
    follows which of them (page, member_key) and the platform's accounts."""

    run: dict | None
    members: pd.DataFrame
    pages: tuple[str, ...]
    follows: pd.DataFrame
    accounts: pd.DataFrame
