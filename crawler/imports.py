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

Nothing a file holds can make reading it unbounded; the limits, each refused with one line naming the
file (and the row and column where there is one), the limit and what to do:

- a file is at most ``MAX_FILE_BYTES`` (100 MB) as stored;
- an XLSX unpacks to at most ``MAX_UNPACKED_BYTES`` (100 MB), no part of it unpacks to more than
  ``MAX_ZIP_RATIO`` (100) times its packed size (sheets pack 10–15 times), and its zip directory is at
  most ``MAX_ZIP_DIRECTORY_BYTES`` (1 MB); all three are checked from the zip's directory before
  openpyxl parses anything, and the sheet is read in openpyxl's streaming (read-only) mode;
- at most ``MAX_ROWS`` (1,000,000) rows, counting blank ones; at most ``MAX_COLUMNS`` (200) columns,
  cells right of column 201 of an XLSX are not read; at most ``MAX_CELLS`` (20,000,000) cells, rows
  times the header's columns;
- a cell holds at most ``CELL_MAX`` (50,000) characters, the longest text the store keeps
  (``crawler.fields.TEXT_MAX``).

Values are then read as ``crawler.fields`` reads what platforms send: a count is a whole number up to
its cap in ``COUNT_CAPS`` (10¹¹ for followers, follows, posts and views, 10⁸ for likes, comments and
reposts), else the row is refused; texts lose control characters and are cut to ``TEXT_CAPS``
(names 1,000 characters, descriptions and posts 50,000); ids and URLs longer than 1,000 and 2,048
characters are refused, since a cut id or URL names something else.
"""

from __future__ import annotations

import csv
import re
import zipfile
from contextlib import closing
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from crawler.counts import parse_count
from crawler.fields import COUNT_CAPS, NAME_MAX, TEXT_CAPS, TEXT_MAX, URL_MAX, clean_text
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

#: A file as stored (CSV, or the XLSX zip): three times a million-row audience CSV (31 MB).
MAX_FILE_BYTES = 100_000_000
#: All parts of an XLSX unpacked: some 500,000 rows of three columns as openpyxl writes them (39 MB per
#: 200,000); openpyxl reads about 15,000 rows a second, so a larger table is better given as CSV.
MAX_UNPACKED_BYTES = 100_000_000
#: Unpacked size over packed size that no real sheet reaches (they pack 10–15 times); a zip bomb does.
MAX_ZIP_RATIO = 100
#: Parts smaller than this are not judged by their ratio: a small part cannot blow up.
RATIO_FLOOR_BYTES = 1_000_000
#: The zip's directory, which zipfile reads whole before anything else (an XLSX's is a few KB).
MAX_ZIP_DIRECTORY_BYTES = 1_000_000
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
#: Rows times the header's columns: what the rows read take in memory, whatever their shape.
MAX_CELLS = 20_000_000
#: Characters in one cell: the longest text the store keeps.
CELL_MAX = TEXT_MAX
#: Characters of a count cell: one written with separators and a suffix ("1 234 567 890 K") is far shorter.
COUNT_CHARS_MAX = 40
ID_MAX = NAME_MAX
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
# ASCII digits, as parse_count reads them.
_COUNT = re.compile(r"^\s*[0-9][0-9\s\u00a0\u202f.,']*\s*[KMBКМ]?\s*$", re.IGNORECASE)


class ImportFileError(ValueError):
    """A file that cannot be imported; the message is one line naming file, row and column."""


def column_key(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lstrip("\ufeff").lower())


def shown(value, limit: int = 40) -> str:
    """A value as an error message quotes it: one line without control characters, at most ``limit`` characters."""
    text = " ".join((clean_text(str(value), limit * 4) or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    """Header keys and ``(row number, values)`` of the first sheet / the CSV; row numbers as a spreadsheet
    shows them. Blank rows are left out; each row is cut to the header's width.

    Refuses (``ImportFileError``) a file beyond any limit in the module docstring, reading no further
    than the limit. The largest files allowed take about 5 s (a CSV of 920,000 rows) and 75 s (an XLSX
    of 100 MB unpacked, 920,000 rows: openpyxl's pace) on a busy two-core machine.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in XLSX_SUFFIXES + CSV_SUFFIXES:
        raise ImportFileError(f"{path.name}: give a .csv or .xlsx file")
    check_file_size(path)
    xlsx = suffix in XLSX_SUFFIXES
    with closing(_xlsx_rows(path) if xlsx else _csv_rows(path)) as rows:
        return _table(path, rows, xlsx)


def _blank(values) -> bool:
    empty = values.count(None)  # first, on its own: comparing with None is by identity, fast over 201 cells
    return empty == len(values) or empty + values.count("") == len(values)


def _table(path: Path, rows, xlsx: bool) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the checked body rows of ``(row number, values)``, refusing past the limits."""
    keys: list[str] | None = None
    width = 0
    body = []
    for number, values in rows:
        if number > MAX_ROWS:
            raise ImportFileError(f"{path.name}: more than {MAX_ROWS:,} rows: split it into files of at most "
                                  f"{MAX_ROWS:,} rows")
        if _blank(values):
            continue
        if keys is None:
            header = list(values)
            while _blank(header[-1:]):
                header.pop()
            if len(header) > MAX_COLUMNS:
                raise ImportFileError(f"{path.name}, row {number}: more than {MAX_COLUMNS} columns: keep the "
                                      "columns to import (see README) and delete the others")
            keys = [column_key(h) for h in header]
            named = [k for k in keys if k]
            for key in named:
                if named.count(key) > 1:
                    raise ImportFileError(f"{path.name}, row {number}: column '{shown(key)}' appears twice: "
                                          "keep one")
            width = len(header)
            continue
        if len(values) > width and not _blank(values[width:]):
            filled = len(values)
            while _blank(values[filled - 1:filled]):
                filled -= 1
            hint = "" if xlsx else " (an unquoted decimal comma, such as 12,5K? quote it or use a dot)"
            raise ImportFileError(f"{path.name}, row {number}: {filled} values but the header has {width} "
                                  f"columns{hint}")
        row = list(values[:width])
        for index, value in enumerate(row):
            if isinstance(value, str) and len(value) > CELL_MAX:
                raise ImportFileError(
                    f"{path.name}, row {number}, column '{shown(keys[index]) or index + 1}': {len(value):,} "
                    f"characters, more than the {CELL_MAX:,} a cell may hold: shorten the text")
        body.append((number, row))
        if len(body) * width > MAX_CELLS:
            raise ImportFileError(f"{path.name}, row {number}: more than {MAX_CELLS:,} cells (rows × {width} "
                                  "columns): delete the columns not imported, or split the file")
    if keys is None:
        raise ImportFileError(f"{path.name}: the file is empty")
    return keys, body


def _csv_rows(path: Path, dialect=None):
    """``(record number, values)`` of a UTF-8 CSV, streamed; no cell longer than ``CELL_MAX``. The dialect
    is sniffed (``,`` ``;`` or tab) unless given."""
    number = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            if dialect is None:
                try:
                    dialect = csv.Sniffer().sniff(f.read(4096), delimiters=",;\t")
                except csv.Error:
                    dialect = csv.excel
                f.seek(0)
            # The limit is the csv module's, for the whole process: restored as soon as this file is read.
            previous = csv.field_size_limit(CELL_MAX)
            try:
                for number, values in enumerate(csv.reader(f, dialect), start=1):
                    yield number, values
            finally:
                csv.field_size_limit(previous)
    except UnicodeDecodeError:
        raise ImportFileError(f"{path.name}: not UTF-8 text; save the CSV as UTF-8") from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise ImportFileError(f"{path.name}, row {number + 1}: a cell holds more than {CELL_MAX:,} "
                                  "characters: shorten the text (or is a quote left open?)") from None
        raise ImportFileError(f"{path.name}, row {number + 1}: not readable as CSV ({shown(exc, 80)})") from None


MEMBER_ID_HEADERS = ("id", "member_id", "user_id", "member", "user")


def check_file_size(path: Path) -> None:
    """A readable file of at most ``MAX_FILE_BYTES``, checked before a byte of it is read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"cannot read '{path}': {exc.strerror}") from None
    if not path.is_file():
        raise ImportFileError(f"cannot read '{path}': not a file")
    if size > MAX_FILE_BYTES:
        raise ImportFileError(f"{path.name}: {size:,} bytes, more than the {MAX_FILE_BYTES:,} a file may have: "
                              "split it into smaller files")


def read_member_ids(path: Path) -> list[str]:
    """Member ids from a text file or CSV (``pagescout audience --target-members``): the first column of
    each line; a first line naming the column (``MEMBER_ID_HEADERS``) is skipped. Within the same limits
    as ``read_rows``: ``MAX_FILE_BYTES``, ``MAX_ROWS`` lines, ids of at most ``ID_MAX`` characters."""
    path = Path(path)
    check_file_size(path)
    ids = []
    with closing(_csv_rows(path, csv.excel)) as rows:
        for number, values in rows:
            if number > MAX_ROWS:
                raise ImportFileError(f"{path.name}: more than {MAX_ROWS:,} lines: split it into files of at most "
                                      f"{MAX_ROWS:,} ids")
            member = values[0].strip() if values else ""
            if len(member) > ID_MAX:
                raise ImportFileError(f"{path.name}, line {number}: {len(member):,} characters, more than the "
                                      f"{ID_MAX:,} a member id may have")
            if member:
                ids.append(member)
    if ids and ids[0].lower() in MEMBER_ID_HEADERS:
        ids = ids[1:]
    if not ids:
        raise ImportFileError(f"'{path}' holds no member ids: one id per line, or a CSV whose first column is the id")
    return ids


def _check_zip(path: Path) -> None:
    """Refuse an XLSX whose zip would unpack past the limits, from its directory alone (nothing unpacked)."""
    try:
        with path.open("rb") as f:
            # zipfile reads the whole directory into memory before anything can be checked; its end
            # record, found here as zipfile itself finds it, says how large that directory is.
            end = zipfile._EndRecData(f)
        if end is None:
            raise zipfile.BadZipFile
        if end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
            raise ImportFileError(f"{path.name}: its zip directory is {end[zipfile._ECD_SIZE]:,} bytes, more than "
                                  f"the {MAX_ZIP_DIRECTORY_BYTES:,} of any spreadsheet: open it in a spreadsheet "
                                  "program and save it again")
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except ImportFileError:
        raise
    except Exception as exc:  # zipfile raises several kinds for a broken file
        raise ImportFileError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(f"{path.name}: unpacks to {unpacked:,} bytes, more than the {MAX_UNPACKED_BYTES:,} "
                              "an XLSX may: split it into smaller files, or save it as CSV")
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR_BYTES and ratio > MAX_ZIP_RATIO:
            raise ImportFileError(
                f"{path.name}: its part {shown(part.filename)} unpacks to {ratio:,} times its packed size, more than the {MAX_ZIP_RATIO} of any spreadsheet (a zip bomb?): "
                "open it in a spreadsheet program and save it again")


def _xlsx_rows(path: Path):
    """``(row number, values)`` of an XLSX's first sheet, streamed, at most ``MAX_COLUMNS + 1`` values a row
    and ``MAX_ROWS + 1`` rows (one past each limit, so that going past it shows)."""
    _check_zip(path)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
    try:
        sheet = wb.worksheets[0]
        rows = sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True)
        yield from enumerate(rows, start=1)
    except Exception as exc:  # a sheet broken past its first rows, or a part failing its CRC
        raise ImportFileError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
    finally:
        wb.close()


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

    def count(self, row, values, column) -> int | None:
        value = self.raw(values, column)
        if value is None:
            return None
        if isinstance(value, bool):
            self.fail(row, column, f"'{value}' is not a count")
        if isinstance(value, (int, float)):
            if value < 0 or value != value or (isinstance(value, float) and not value.is_integer()):
                self.fail(row, column, f"'{shown(value)}' is not a count (a whole number ≥ 0)")
            return self.capped(row, column, int(value), value)
        text = str(value)
        if len(text) > COUNT_CHARS_MAX:
            self.fail(row, column, f"'{shown(value)}' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)")
        if _PLAIN_NUMBER.match(text):
            # "48200.0" is how spreadsheets and pandas write a count column with blanks in it.
            number = float(text)
            if not number.is_integer():
                self.fail(row, column, f"'{shown(value)}' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)")
            return self.capped(row, column, int(number), value)
        if not _COUNT.match(text):
            self.fail(row, column, f"'{shown(value)}' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)")
        number = parse_count(text)
        if number is None:  # written as a count, but too large for parse_count to believe
            self.fail(row, column, f"'{shown(value)}' is not a count of {column} (a whole number up to "
                                   f"{COUNT_CAPS[column]:,})")
        return self.capped(row, column, number, value)

    def capped(self, row, column, number: int, value) -> int:
        """``number`` if a count of ``column`` can be that large (crawler.fields.COUNT_CAPS); else the row is
        refused, quoting ``value`` as the cell has it."""
        cap = COUNT_CAPS[column]
        if number > cap:
            self.fail(row, column, f"'{shown(value)}' is more than {cap:,}, the most a count of {column} can be: "
                                   "is it the right column?")
        return number

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
        self.fail(row, column, f"'{shown(value)}' is not yes/no")

    def when(self, row, values, column) -> datetime | None:
        value = self.raw(values, column)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e9:
            try:
                return datetime.fromtimestamp(value, timezone.utc)
            except (OverflowError, OSError, ValueError):  # past the year 9999
                self.fail(row, column, f"'{shown(value)}' is not a date (use 2026-10-01 or a Unix time in seconds)")
        text = str(value).strip()[:64]
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
            self.fail(row, column, f"'{shown(value)}' is not a date (use 2026-10-01 or 2026-10-01T10:00:00+00:00)")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

    def handle(self, row, values, spider_cls) -> str:
        value = self.exact(row, values, "handle", URL_MAX)  # a handle may be given as its profile URL
        if value is None:
            self.fail(row, "handle", "empty")
        handle = normalise_handle(self.platform, value, spider_cls)
        if handle is None:
            self.fail(row, "handle", f"'{shown(value)}' is not a {self.platform} handle")
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
                url=reader.exact(row, values, "url", URL_MAX)
                or (PROFILE_URL[platform].format(handle) if platform in PROFILE_URL else None),
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
