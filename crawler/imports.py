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
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from crawler.counts import parse_count
from crawler.items import AUDIENCE_KINDS, Account, AudienceMember, Post, Snapshot, utcnow

#: Platforms only imported: no honest keyless crawl exists (see README, "VK, YouTube, blogs and imports").
IMPORT_ONLY = ("instagram", "tiktok", "facebook", "x", "ok")
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
COLUMNS = {
    "accounts": (("handle",), ("name", "url", "followers", "description", "verified", "follows", "posts_total")),
    "posts": (("handle", "post_id"), ("url", "published_at", "text", "views", "likes", "comments", "reposts")),
    "audience": (("handle", "member_id"), ("kind",)),
}
COUNT_COLUMNS = ("followers", "follows", "posts_total", "views", "likes", "comments", "reposts")
FOLLOWERS_KIND = {"telegram": "subscribers", "youtube": "subscribers", "vk": "members", "ok": "members"}
PROFILE_URL = {
    "instagram": "https://www.instagram.com/{}/",
    "tiktok": "https://www.tiktok.com/@{}",
    "facebook": "https://www.facebook.com/{}",
    "x": "https://x.com/{}",
    "ok": "https://ok.ru/{}",
    "telegram": "https://t.me/{}",
    "vk": "https://vk.com/{}",
    "youtube": "https://www.youtube.com/channel/{}",
    "bluesky": "https://bsky.app/profile/{}",
}
TRUE = {"true", "yes", "y", "1", "да", "verified", "x", "✓"}
FALSE = {"false", "no", "n", "0", "нет", ""}
_PLAIN_NUMBER = re.compile(r"^\d+\.\d+$")
_COUNT = re.compile(r"^\s*\d[\d\s\u00a0\u202f.,']*\s*[KMBКМ]?\s*$", re.IGNORECASE)


class ImportFileError(ValueError):
    """A file that cannot be imported; the message is one line naming file, row and column."""


def column_key(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lstrip("\ufeff").lower())


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    """Header and ``(row number, values)`` of the first sheet / the CSV; row numbers as a spreadsheet shows them."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ImportFileError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
    elif suffix in (".csv", ".tsv", ".txt"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name}: not UTF-8 text; save the CSV as UTF-8") from None
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(text.splitlines(), dialect))
    else:
        raise ImportFileError(f"{path.name}: give a .csv or .xlsx file")
    numbered = [(i, list(r)) for i, r in enumerate(rows, start=1)]
    numbered = [(i, r) for i, r in numbered if any(v not in (None, "") for v in r)]
    if not numbered:
        raise ImportFileError(f"{path.name}: the file is empty")
    (_, header), body = numbered[0], numbered[1:]
    keys = [column_key(h) for h in header]
    named = [k for k in keys if k]
    for key in named:
        if named.count(key) > 1:
            raise ImportFileError(f"{path.name}, row 1: column '{key}' appears twice: keep one")
    width = len(header)
    for row, values in body:
        if len(values) > width and any(v not in (None, "") for v in values[width:]):
            raise ImportFileError(
                f"{path.name}, row {row}: {len(values)} values but the header has {width} columns "
                "(an unquoted decimal comma, such as 12,5K? quote it or use a dot)")
    return keys, body


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


def normalise_handle(platform: str, value: str, spider_cls=None) -> str | None:
    """The handle as the store spells it on ``platform``: through the spider's seed rules where
    pagescout crawls the platform, else without ``@`` or profile URL, lower-cased."""
    text = value.strip()
    if spider_cls is not None:
        from crawler.basespider import SeedError

        try:
            handle = spider_cls.parse_seed(text)
        except SeedError:
            return None
        if platform == "rss":  # blogs are stored under host + path, not the URL a seed is
            from crawler.spiders.rss import site_handle

            handle = site_handle(handle, feed=True)
        return handle
    if "/" in text:
        parts = urlsplit(text if "//" in text else f"//{text}")
        segments = [s for s in parts.path.split("/") if s and s not in ("profile", "user", "people", "pages")]
        text = segments[0] if segments else ""
    text = text.removeprefix("@").lower()
    return text if re.fullmatch(r"[\w.\-]{1,100}", text) else None


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
        value = self.raw(values, column)
        return None if value is None else str(value)

    def count(self, row, values, column) -> int | None:
        value = self.raw(values, column)
        if value is None:
            return None
        if isinstance(value, bool):
            self.fail(row, column, f"'{value}' is not a count")
        if isinstance(value, (int, float)):
            if value < 0 or value != value or (isinstance(value, float) and not value.is_integer()):
                self.fail(row, column, f"'{value}' is not a count (a whole number ≥ 0)")
            return int(value)
        text = str(value)
        if _PLAIN_NUMBER.match(text):
            # "48200.0" is how spreadsheets and pandas write a count column with blanks in it.
            number = float(text)
            if not number.is_integer():
                self.fail(row, column, f"'{value}' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)")
            return int(number)
        if not _COUNT.match(text):
            self.fail(row, column, f"'{value}' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)")
        return parse_count(text)

    def boolean(self, row, values, column) -> bool | None:
        value = self.raw(values, column)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        self.fail(row, column, f"'{value}' is not yes/no")

    def when(self, row, values, column) -> datetime | None:
        value = self.raw(values, column)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e9:
            return datetime.fromtimestamp(value, timezone.utc)
        text = str(value).strip()
        if re.fullmatch(r"\d{10}(\.\d+)?", text):
            return datetime.fromtimestamp(float(text), timezone.utc)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
            for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            self.fail(row, column, f"'{value}' is not a date (use 2026-10-01 or 2026-10-01T10:00:00+00:00)")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

    def handle(self, row, values, spider_cls) -> str:
        value = self.text(values, "handle")
        if value is None:
            self.fail(row, "handle", "empty")
        handle = normalise_handle(self.platform, value, spider_cls)
        if handle is None:
            self.fail(row, "handle", f"'{value}' is not a {self.platform} handle")
        return handle


def read_import(path: Path, platform: str, kind: str | None = None, hash_member=None, spider_cls=None
                ) -> tuple[str, dict[str, list[dict]]]:
    """``(kind, batch)`` for ``Store.write``: item dicts keyed by item type, every row checked first.

    ``hash_member(raw_id) -> int`` hashes audience ids (``Store.member_key``); ``spider_cls`` (the
    platform's spider, if pagescout crawls it) normalises handles as the crawler does.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    header, body = read_rows(path)
    columns = find_columns(header)
    kind = kind or detect_kind(columns)
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind '{kind}': choose from {', '.join(KINDS)}")
    required, optional = COLUMNS[kind]
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
        handle = reader.handle(row, values, spider_cls)
        if kind == "accounts":
            account = Account(
                platform=platform, handle=handle, name=reader.text(values, "name"),
                url=reader.text(values, "url") or (PROFILE_URL[platform].format(handle) if platform in PROFILE_URL else None),
                description=reader.text(values, "description"),
                followers=reader.count(row, values, "followers"),
                followers_kind=FOLLOWERS_KIND.get(platform, "followers"),
                verified=reader.boolean(row, values, "verified"), fetched_at=fetched,
            )
            for extra in ("follows", "posts_total"):
                if hasattr(account, extra):
                    setattr(account, extra, reader.count(row, values, extra))
            batch.setdefault("Account", []).append(asdict(account))
            if account.followers is not None:
                batch.setdefault("Snapshot", []).append(asdict(Snapshot(platform, handle, today, account.followers)))
        elif kind == "posts":
            post_id = reader.text(values, "post_id")
            if post_id is None:
                reader.fail(row, "post_id", "empty")
            if post_id.endswith(".0") and post_id[:-2].isdigit():  # a spreadsheet made the id a number
                post_id = post_id[:-2]
            post = Post(platform=platform, account=handle, post_id=post_id, url=reader.text(values, "url"),
                        published_at=reader.when(row, values, "published_at"), text=reader.text(values, "text"),
                        views=reader.count(row, values, "views"), likes=reader.count(row, values, "likes"),
                        comments=reader.count(row, values, "comments"), reposts=reader.count(row, values, "reposts"))
            batch.setdefault("Post", []).append(asdict(post))
        else:
            member = reader.text(values, "member_id")
            if member is None:
                reader.fail(row, "member_id", "empty")
            if member.endswith(".0") and member[:-2].isdigit():
                member = member[:-2]
            audience_kind = (reader.text(values, "kind") or "follower").lower()
            audience_kind = {"subscriber": "follower", "subscribers": "follower"}.get(audience_kind, audience_kind)
            if audience_kind not in AUDIENCE_KINDS and audience_kind.removesuffix("s") in AUDIENCE_KINDS:
                audience_kind = audience_kind.removesuffix("s")  # followers, members, likers…
            if audience_kind not in AUDIENCE_KINDS:
                reader.fail(row, "kind", f"'{audience_kind}' is not one of {', '.join(AUDIENCE_KINDS)}")
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
