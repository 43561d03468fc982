"""Reading and checking the files ``pagescout import`` takes: accounts, posts or audiences of a platform
as CSV or XLSX, for platforms pagescout cannot crawl honestly (Instagram, TikTok, Facebook, X,
Odnoklassniki) and for any it can.

Pure apart from reading the file: ``read_import`` returns items (the same dataclasses spiders yield)
or raises ``ImportFileError`` whose one-line message names the file, the row and the column. Nothing
is half-imported: the caller writes the whole batch in one ``Store.write`` transaction, after every
row has been checked. Audience member ids are hashed here with the caller's ``hash_member`` (the
store's keyed hash); the raw ids go no further than this module.

Columns are matched case-insensitively, spaces and hyphens read as ``_``; ``SYNONYMS`` lists the other
names accepted for each column. A file's kind is decided by its columns (a member id column: audience;
a post id column: posts; else accounts) unless ``kind`` is given.

The file is read by the bounded reader of ``sheets.tables`` (every limit of a file's size, rows, columns
and cells is listed there), and its cells by ``sheets.cells``, as the other readers of user files read
them. ``ImportFileError`` is a ``sheets.errors.SheetError``: one ``except SheetError`` catches every bad
user file.

Values are then read as ``crawler.fields`` reads what platforms send: a count is a whole number up to
its cap in ``COUNT_CAPS`` (10¹¹ for followers, follows, posts and views, 10⁸ for likes, comments and
reposts), else the row is refused; texts lose control characters and are cut to ``TEXT_CAPS``
(names 1,000 characters, descriptions and posts 50,000); ids and URLs longer than 1,000 and 2,048
characters are refused, since a cut id or URL names something else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from crawler import platforms
from crawler.fields import COUNT_CAPS, NAME_MAX, TEXT_CAPS, URL_MAX, clean_text
from crawler.items import AUDIENCE_KINDS, Account, AudienceMember, Post, Snapshot, utcnow
from sheets import cells
from sheets.errors import SheetError, shown
from sheets.tables import ID_MAX, read_rows

KINDS = ("accounts", "posts", "audience")

#: column → names accepted for it (the column's own name first).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "username", "user_name", "screen_name", "login", "account", "nickname", "channel",
               "page", "profile"),
    "name": ("name", "display_name", "full_name", "title"),
    "url": ("url", "link", "profile_url", "page_url", "post_url"),
    "followers": ("followers", "subscribers", "followers_count", "follower_count", "subscribers_count",
                  "subscriber_count", "members", "members_count", "fans"),
    "description": ("description", "bio", "about"),
    "verified": ("verified", "is_verified"),
    "follows": ("follows", "following", "following_count", "follows_count", "friends_count"),
    "posts_total": ("posts_total", "posts_count", "media_count", "statuses_count", "video_count"),
    "post_id": ("post_id", "media_id", "video_id", "tweet_id", "status_id"),
    "published_at": ("published_at", "date", "published", "created_at", "posted_at", "timestamp", "time"),
    "text": ("text", "caption", "message", "content", "description"),
    "views": ("views", "view_count", "views_count", "plays", "play_count", "impressions"),
    "likes": ("likes", "like_count", "likes_count", "reactions", "favorites", "favourites"),
    "comments": ("comments", "comment_count", "comments_count", "replies", "reply_count"),
    "reposts": ("reposts", "shares", "share_count", "shares_count", "retweets", "retweet_count", "reposts_count",
                "forwards"),
    "member_id": ("member_id", "follower_id", "user_id", "member", "follower", "subscriber_id", "fan_id"),
    "kind": ("kind", "audience_kind", "relation"),
}
IMPORT_COLUMNS = {
    "accounts": (("handle",), ("name", "url", "followers", "description", "verified", "follows", "posts_total")),
    "posts": (("handle", "post_id"), ("url", "published_at", "text", "views", "likes", "comments", "reposts")),
    "audience": (("handle", "member_id"), ("kind",)),
}
IMPORT_COUNT_COLUMNS = ("followers", "follows", "posts_total", "views", "likes", "comments", "reposts")


class ImportFileError(SheetError, ValueError):
    """A file that cannot be imported; the message is one line naming file, row and column."""


def find_columns(header: list[str]) -> dict[str, int]:
    """Column → index in the header, through the synonyms; the first matching name wins."""
    found: dict[str, int] = {}
    for column, names in SYNONYMS.items():
        for name in names:
            if name in header:
                found[column] = header.index(name)
                break
    return found


def detect_kind(columns: dict[str, int]) -> str:
    if "member_id" in columns:
        return "audience"
    if "post_id" in columns and "handle" in columns:
        return "posts"
    return "accounts"


class _Reader:
    def __init__(self, path: Path, platform: str, columns: dict[str, int]):
        self.path, self.platform, self.columns = path, platform, columns

    def fail(self, row: int, column: str, message: str):
        raise ImportFileError(f"{self.path.name}, row {row}, column '{column}': {message}")

    def raw(self, values: list, column: str):
        index = self.columns.get(column)
        if index is None or index >= len(values):
            return None
        value = values[index]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def text(self, values, column):
        """Free text without control characters, cut to the store's cap for the column (names 1,000)."""
        value = self.raw(values, column)
        return None if value is None else clean_text(str(value), TEXT_CAPS.get(column, NAME_MAX))

    def exact(self, row, values, column, limit: int = ID_MAX):
        """An id, URL or kind: text without control characters, refused past ``limit`` (cut, it would
        name something else)."""
        value = self.raw(values, column)
        if value is None:
            return None
        text = str(value)
        if len(text) > limit:
            self.fail(row, column, f"{len(text):,} characters, more than the {limit:,} it may have")
        return clean_text(text, limit)

    def cell(self, row, values, column, parse, *args):
        """The column's cell through ``parse`` (a ``sheets.cells`` parser); a value it refuses refuses the row."""
        try:
            return parse(self.raw(values, column), *args)
        except cells.CellError as exc:
            self.fail(row, column, str(exc))

    def count(self, row, values, column) -> int | None:
        """A count, at most what a count of ``column`` can be (``crawler.fields.COUNT_CAPS``)."""
        return self.cell(row, values, column, cells.count, COUNT_CAPS[column], column)

    def boolean(self, row, values, column) -> bool | None:
        return self.cell(row, values, column, cells.flag)

    def when(self, row, values, column) -> datetime | None:
        return self.cell(row, values, column, cells.date)

    def handle(self, row, values, platform: platforms.Platform) -> str:
        value = self.exact(row, values, "handle", URL_MAX)  # a handle may be given as its profile URL
        if value is None:
            self.fail(row, "handle", "empty")
        from crawler.basespider import SeedError

        try:
            return platform.normalise_handle(value)
        except SeedError:
            self.fail(row, "handle", f"'{shown(value)}' is not a {self.platform} handle")


def read_import(path: Path, platform: str, kind: str | None = None, hash_member=None
                ) -> tuple[str, dict[str, list[dict]]]:
    """``(kind, batch)`` for ``Store.write``: item dicts keyed by item type, every row checked first.

    ``hash_member(raw_id) -> int`` hashes audience ids (``Store.member_key``). Handles are spelled by the
    platform's ``normalise_handle`` (crawler.platforms): as its crawler does, if pagescout crawls it.
    ``crawler.platforms.UnknownPlatform`` for a platform the registry does not hold.
    """
    registered = platforms.platform(platform)
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    try:
        header, body = read_rows(path)
    except SheetError as exc:  # the caller catches ImportFileError
        raise ImportFileError(str(exc)) from None
    columns = find_columns(header)
    kind = kind or detect_kind(columns)
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind '{kind}': choose from {', '.join(KINDS)}")
    required, optional = IMPORT_COLUMNS[kind]
    for column in required:
        if column not in columns:
            others = ", ".join(SYNONYMS[column][1:4])
            raise ImportFileError(f"{path.name}, row 1, column '{column}': missing ({'an' if kind[0] in 'aeiou' else 'a'} {kind} file needs "
                                  f"{', '.join(required)}; also accepted: {others})")
    if not body:
        raise ImportFileError(f"{path.name}: no rows under the header")
    reader = _Reader(path, platform, columns)
    fetched = utcnow()
    today = fetched.date().isoformat()
    batch: dict[str, list[dict]] = {}
    for row, values in body:
        handle = reader.handle(row, values, registered)
        if kind == "accounts":
            account = Account(
                platform=platform, handle=handle, name=reader.text(values, "name"),
                url=reader.exact(row, values, "url", URL_MAX)
                or (registered.profile_url.format(handle) if registered.profile_url else None),
                description=reader.text(values, "description"),
                followers=reader.count(row, values, "followers"),
                followers_kind=registered.followers_kind,
                verified=reader.boolean(row, values, "verified"), fetched_at=fetched,
            )
            for extra in ("follows", "posts_total"):
                if hasattr(account, extra):
                    setattr(account, extra, reader.count(row, values, extra))
            batch.setdefault("Account", []).append(asdict(account))
            if account.followers is not None:
                batch.setdefault("Snapshot", []).append(asdict(Snapshot(platform, handle, today, account.followers)))
        elif kind == "posts":
            post_id = reader.exact(row, values, "post_id")
            if post_id is None:
                reader.fail(row, "post_id", "empty")
            if post_id.endswith(".0") and post_id[:-2].isdigit():  # a spreadsheet made the id a number
                post_id = post_id[:-2]
            post = Post(platform=platform, account=handle, post_id=post_id,
                        url=reader.exact(row, values, "url", URL_MAX),
                        published_at=reader.when(row, values, "published_at"), text=reader.text(values, "text"),
                        views=reader.count(row, values, "views"), likes=reader.count(row, values, "likes"),
                        comments=reader.count(row, values, "comments"), reposts=reader.count(row, values, "reposts"))
            batch.setdefault("Post", []).append(asdict(post))
        else:
            member = reader.exact(row, values, "member_id")
            if member is None:
                reader.fail(row, "member_id", "empty")
            if member.endswith(".0") and member[:-2].isdigit():
                member = member[:-2]
            audience_kind = (reader.exact(row, values, "kind") or "follower").lower()
            audience_kind = {"subscriber": "follower", "subscribers": "follower"}.get(audience_kind, audience_kind)
            if audience_kind not in AUDIENCE_KINDS and audience_kind.removesuffix("s") in AUDIENCE_KINDS:
                audience_kind = audience_kind.removesuffix("s")  # followers, members, likers…
            if audience_kind not in AUDIENCE_KINDS:
                reader.fail(row, "kind", f"'{shown(audience_kind)}' is not one of {', '.join(AUDIENCE_KINDS)}")
            if hash_member is None:
                raise ValueError("read_import needs hash_member for an audience file")
            item = AudienceMember(platform=platform, account=handle, kind=audience_kind,
                                  member_key=hash_member(member))
            record = asdict(item)
            record.pop("member_id", None)
            batch.setdefault("AudienceMember", []).append(record)
    # One statement must not upsert the same row twice (PostgreSQL refuses it): a later row wins.
    for name, key in KEYS.items():
        if name in batch:
            batch[name] = list({tuple(item[k] for k in key): item for item in batch[name]}.values())
    return kind, batch


KEYS = {"Account": ("handle",), "Snapshot": ("account", "date"), "Post": ("account", "post_id"),
        "AudienceMember": ("account", "kind", "member_key")}


@dataclass(frozen=True)
class ImportResult:
    """What ``import_file`` did: the kind of file, the rows stored, and the checked rows the database
    still refused (kept in its ``refused`` table)."""

    kind: str
    stored: int
    refused: int

    @property
    def what(self) -> str:
        return "audience members" if self.kind == "audience" else self.kind


def import_file(path: Path, platform: str, kind: str | None = None, db: str | None = None) -> ImportResult:
    """Check every row of a user's file (``ImportFileError`` naming file, row and column), and only then
    open the database (``StoreError``) and write the whole file in one batch: nothing is half-imported."""
    from crawler.store import Store

    if kind is not None and kind not in KINDS:
        raise ImportFileError(f"unknown --kind '{kind}': choose from {', '.join(KINDS)}")
    read_import(path, platform, kind=kind, hash_member=lambda member: 0)  # raw ids are not needed to check rows
    with Store(db) as store:
        found, batch = read_import(path, platform, kind=kind, hash_member=store.member_key)
        written = store.write(batch)
    item = {"accounts": "Account", "posts": "Post", "audience": "AudienceMember"}[found]
    return ImportResult(found, written.stored.get(item, 0), sum(written.refused.values()))
