"""The store: the only module that speaks SQL.

SQLAlchemy Core keeps the SQL portable: ``--db`` takes a file path or ``sqlite:///path`` (SQLite, WAL mode) or
a ``postgresql://…`` URL, and the same upserts run on both through each dialect's ``ON CONFLICT``.
Every write is an idempotent upsert, so a crawl run twice, or resumed after an interruption, updates rows
and never duplicates them.

Faults stay as small as they can: a row the database will not take (a count beyond 64 bits, text it cannot
encode) is recorded in the ``refused`` table by its key and the reason, and the rest of its batch is
stored; a database another process is writing to is waited for, never given up on quietly. A file that
is not ours, or from a newer pagescout, is looked at read-only and left untouched; the read-only commands
(``Store(db, create=False)``) never write at all, so they work on a database they may not write.
"""

from __future__ import annotations

import hashlib
import logging
import math
import numbers
import os
import re
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import islice
from operator import itemgetter
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crawler.fields import quoted
from ranking.frames import PARTS, Frames, Gathered

SCHEMA_VERSION = 1
APP_ID = "pagescout"
DEFAULT_DB = "pagescout.db"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: How long SQLite itself waits for another process's write lock, each time it meets one.
BUSY_TIMEOUT_SECONDS = 10.0
#: How long one write keeps trying, those waits and the pauses between them together, before giving up loudly.
BUSY_PATIENCE_SECONDS = 60.0
#: The most characters of a user's path or URL a message repeats.
SUPPORTED_DBS = "a file path, sqlite:///path, postgresql://… or postgresql+psycopg://…"

# psycopg warns with the server's message, which can quote a refused value (a post's text): not for the log.
logging.getLogger("psycopg").setLevel(logging.ERROR)

metadata = sa.MetaData()

meta_table = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

accounts_table = sa.Table(
    "accounts",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("handle", sa.String(255), primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("followers", sa.BigInteger),
    sa.Column("followers_kind", sa.String(16)),
    sa.Column("verified", sa.Boolean),
    sa.Column("avatar", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("fetched_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(16), nullable=False, server_default="ok"),
    sa.Column("reason", sa.Text),
    sa.Column("follows", sa.BigInteger),
    sa.Column("posts_total", sa.BigInteger),
)

posts_table = sa.Table(
    "posts",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("account", sa.String(255), primary_key=True),
    sa.Column("post_id", sa.String(255), primary_key=True),
    sa.Column("url", sa.Text),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("text", sa.Text),
    sa.Column("views", sa.BigInteger),
    sa.Column("likes", sa.BigInteger),
    sa.Column("comments", sa.BigInteger),
    sa.Column("reposts", sa.BigInteger),
    sa.Column("kind", sa.String(16)),
    sa.Column("ad", sa.Boolean),
    sa.Column("ad_marker", sa.Text),
    sa.Column("ad_erids", sa.Text),
    sa.Column("ad_links", sa.Text),
    sa.Column("own_promotion", sa.Boolean),
)

links_table = sa.Table(
    "links",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("src", sa.String(255), primary_key=True),
    sa.Column("dst", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    # '' rather than NULL: a NULL in a key would let the same link be stored twice.
    sa.Column("post_id", sa.String(255), primary_key=True, server_default=""),
    sa.Column("at", sa.DateTime(timezone=True)),
)

audience_table = sa.Table(
    "audience",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("account", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("member_key", sa.BigInteger, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True)),
)

snapshots_table = sa.Table(
    "snapshots",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("account", sa.String(255), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("followers", sa.BigInteger),
)

# What audience-quality scoring needs to know about a member, keyed by the member's hash only: no id,
# handle or name. One row per member and platform, whichever accounts they follow or engage with.
member_signals_table = sa.Table(
    "member_signals",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("member_key", sa.BigInteger, primary_key=True),
    sa.Column("has_avatar", sa.Boolean),
    sa.Column("has_description", sa.Boolean),
    sa.Column("created_at", sa.DateTime(timezone=True)),  # the day only
    sa.Column("follows", sa.BigInteger),
    sa.Column("followers", sa.BigInteger),
    sa.Column("posts", sa.BigInteger),
    sa.Column("deactivated", sa.Boolean),
    sa.Column("last_seen", sa.DateTime(timezone=True)),  # the day only
    # Profile signals for bot detection: whether a thing is shown, never the thing (no status, site or city text).
    sa.Column("can_message", sa.Boolean),
    sa.Column("can_post", sa.Boolean),
    sa.Column("has_status", sa.Boolean),
    sa.Column("has_site", sa.Boolean),
    sa.Column("is_closed", sa.Boolean),
    sa.Column("has_mobile", sa.Boolean),
    sa.Column("has_birthday", sa.Boolean),
    sa.Column("has_city", sa.Boolean),
    sa.Column("has_occupation", sa.Boolean),
    sa.Column("can_see_all_posts", sa.Boolean),
    sa.Column("can_see_audio", sa.Boolean),
    sa.Column("can_send_friend_request", sa.Boolean),
    sa.Column("can_be_invited_group", sa.Boolean),
    sa.Column("has_nickname", sa.Boolean),
    sa.Column("has_maiden_name", sa.Boolean),
    sa.Column("is_verified", sa.Boolean),
)
MEMBER_SIGNALS = [c.name for c in member_signals_table.columns if c.name not in ("platform", "member_key")]

# Rows the database would not take, by item type and key, with why. One row per key (the latest refusal):
# the same bad page crawled every week must not grow the table. An audience row is named by its account
# and kind only: a member's key is not to be listed anywhere but the audience table.
refused_table = sa.Table(
    "refused",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

sa.Index("links_dst", links_table.c.platform, links_table.c.dst)

# A gather (``pagescout gather``): its run, its sampled members' outcomes, and the pages it kept. While
# it runs, ``gather_follows`` holds which hashed member follows which page; when it ends, the pages enough
# of the sample follow become audience rows and every staging row of the run is deleted (finish_gather),
# so a member's own list of follows, rare pages and all, is never kept.
gathers_table = sa.Table(
    "gathers",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("run", sa.String(64), primary_key=True),
    sa.Column("targets", sa.Text, nullable=False),
    sa.Column("sampling", sa.String(16), nullable=False),
    sa.Column("members_sampled", sa.BigInteger),
    sa.Column("pages_found", sa.BigInteger),
    sa.Column("min_members", sa.BigInteger),
    sa.Column("finished", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("at", sa.DateTime(timezone=True)),
)
gather_members_table = sa.Table(
    "gather_members",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("run", sa.String(64), primary_key=True),
    sa.Column("member_key", sa.BigInteger, primary_key=True),
    sa.Column("outcome", sa.String(16), nullable=False),
)
gather_follows_table = sa.Table(
    "gather_follows",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("run", sa.String(64), primary_key=True),
    sa.Column("page", sa.String(255), primary_key=True),
    sa.Column("member_key", sa.BigInteger, primary_key=True),
)
gather_pages_table = sa.Table(
    "gather_pages",
    metadata,
    sa.Column("platform", sa.String(32), primary_key=True),
    sa.Column("run", sa.String(64), primary_key=True),
    sa.Column("page", sa.String(255), primary_key=True),
)


@dataclass(frozen=True)
class _ItemTable:
    """Where one item type is stored: the columns that identify a row, the ones a refusal names, and how a
    row meets the one already stored (``coalesce`` columns keep the stored value when the new one is NULL)."""

    table: sa.Table
    keys: tuple[str, ...]
    named_by: tuple[str, ...]
    coalesce: tuple[str, ...] = ()
    do_nothing: bool = False


ITEM_TABLES = {
    # An unavailable page must not erase what an earlier crawl learned (all but its status).
    "Account": _ItemTable(accounts_table, ("platform", "handle"), ("platform", "handle"),
                          coalesce=tuple(c.name for c in accounts_table.columns
                                         if c.name not in ("status", "reason", "fetched_at"))),
    "Post": _ItemTable(posts_table, ("platform", "account", "post_id"), ("platform", "account", "post_id")),
    "Link": _ItemTable(links_table, ("platform", "src", "dst", "kind", "post_id"),
                       ("platform", "src", "dst", "kind", "post_id"), do_nothing=True),
    "AudienceMember": _ItemTable(audience_table, ("platform", "account", "kind", "member_key"),
                                 ("platform", "account", "kind")),
    # A page read without its counter (hidden, or a lookup that failed) must not blank the day's count.
    "Snapshot": _ItemTable(snapshots_table, ("platform", "account", "date"), ("platform", "account", "date"),
                           coalesce=("followers",)),
    "Follow": _ItemTable(gather_follows_table, ("platform", "run", "page", "member_key"), ("platform", "run"),
                         do_nothing=True),
    "GatherMember": _ItemTable(gather_members_table, ("platform", "run", "member_key"), ("platform", "run")),
    # Last: a finished run's pages are kept once every follow of the batch is in (Store.finish_gather).
    "GatherRun": _ItemTable(gathers_table, ("platform", "run"), ("platform", "run"),
                            coalesce=("members_sampled", "pages_found", "min_members")),
}
# A NULL signal (not shown this time) keeps what an earlier sighting of the member learned.
_SIGNALS = _ItemTable(member_signals_table, ("platform", "member_key"), ("platform",), coalesce=tuple(MEMBER_SIGNALS))


class StoreError(Exception):
    """A database that cannot be used: the message is one line a user can act on."""


@dataclass
class WriteCounts:
    """What one ``Store.write`` did, per item type: rows stored, and rows refused (each one is in the
    ``refused`` table with its key and reason). Types with no such rows are absent."""

    stored: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)


class _RefusedRow(Exception):
    """A row the store will not pass to the database; the message names the column, never its value."""


@dataclass
class _Refusal:
    platform: str
    kind: str
    key: str
    reason: str


# A value a database message quotes back: PostgreSQL's `invalid input syntax for type bigint: "abc"`,
# Python's codec errors ('\ud800'). Cut out, so a refusal or a log line never carries a row's contents.
_QUOTED = re.compile(r"\"[^\"]*\"|'[^'\s]*'")


def _message(exc: BaseException) -> str:
    """The first line of the driver's message, without the SQL, parameters or values SQLAlchemy or the
    database would add."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return quoted(_QUOTED.sub("…", lines[0]) if lines else type(orig).__name__, 160)


def _reason(exc: BaseException) -> str:
    """Why a row was refused, as the ``refused`` table keeps it: the exception class and its short message."""
    if isinstance(exc, _RefusedRow):
        return str(exc)
    orig = getattr(exc, "orig", None) or exc
    return f"{type(orig).__name__}: {_message(exc)}"


def resolve_db(db: str | None) -> str:
    """``--db``, else ``$PAGESCOUT_DB``, else ``./pagescout.db``. An empty ``--db ""`` stays empty, for
    ``Store`` to refuse: falling back to ./pagescout.db would write where the user did not ask."""
    if db is None:
        # An empty $PAGESCOUT_DB stays empty too: it was set, to nothing, and Store says so.
        return os.environ.get("PAGESCOUT_DB", DEFAULT_DB)
    return db


@dataclass(frozen=True)
class _Target:
    url: sa.URL
    path: Path | None  # the SQLite file; None for PostgreSQL
    shown: str  # how messages name it: cut short, any password hidden


def _target(db: str) -> _Target:
    """What ``--db`` names, or a StoreError listing what it may name."""
    if not db.strip():
        raise StoreError(f"--db (or $PAGESCOUT_DB) is empty: give {SUPPORTED_DBS}")
    if "://" not in db:
        path = _expanded(db)
        return _Target(sa.URL.create("sqlite", database=str(path)), path, quoted(path))
    try:
        url = sa.engine.make_url(db)
    except (sa.exc.ArgumentError, ValueError):
        raise StoreError(f"database {quoted(db)!r} is not a URL pagescout can use: give --db {SUPPORTED_DBS}") from None
    if url.drivername in ("sqlite", "sqlite+pysqlite") and url.database not in (None, "", ":memory:") \
            and not url.host:
        path = _expanded(url.database)
        return _Target(sa.URL.create("sqlite", database=str(path)), path, quoted(path))
    if url.drivername in ("postgresql", "postgresql+psycopg"):
        return _Target(url.set(drivername="postgresql+psycopg"), None, quoted(url.render_as_string(hide_password=True)))
    raise StoreError(f"database {quoted(url.render_as_string(hide_password=True))!r} is not supported: "
                     f"give --db {SUPPORTED_DBS}")


def _expanded(path: str) -> Path:
    try:
        return Path(path).expanduser()
    except RuntimeError:  # ~someone who has no home here: a name like any other
        return Path(path)


#: (device, inode) of the SQLite files this process has opened. Closing any file descriptor of a file drops
#: every POSIX lock the process holds on it, SQLite's included (sqlite.org/howtocorrupt.html, 2.2): once a
#: connection may be open, the header is never read again outside SQLite, or another process could write
#: beside this one's transaction and corrupt the file. A worker opens one store per crawl it joins.
_OPENED_FILES: set[tuple[int, int]] = set()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _check_sqlite_file(path: Path, create: bool, name: str) -> None:
    try:
        if path.exists():
            if path.is_dir():
                raise StoreError(f"database {name} is a folder: give --db a file path")
            if _file_id(path) in _OPENED_FILES:
                return
            with path.open("rb") as f:
                header = f.read(16)
            if header and header != b"SQLite format 3\x00":
                raise StoreError(f"{name} is not a SQLite database: pass another --db path")
        elif not create:
            raise StoreError(f"no database at {name}: run `pagescout crawl` first or pass --db")
        elif not path.parent.exists():
            raise StoreError(f"cannot create database {name}: folder {quoted(path.parent)} does not exist")
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise StoreError(f"cannot open database {name}: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write: no pragma, no WAL switch, no checkpoint, the file's bytes untouched.

    ``mode=ro`` reads a WAL database through its -wal and -shm files, and creates them empty (beside the
    database, never in it) when they are absent and the folder is writable. In a folder the user may not
    write, a database closed cleanly has neither file and ``mode=ro`` cannot open it
    (SQLITE_READONLY_DIRECTORY); then, and only while no -wal file exists (so no write is in flight and the
    file alone is the whole database), it is opened ``immutable``.
    """
    location = quote(str(path.absolute()), safe="/")
    connection = None
    try:
        connection = sqlite3.connect(f"file:{location}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS,
                                     check_same_thread=False)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the WAL index, if any
    except sqlite3.OperationalError as exc:
        if connection is not None:
            connection.close()
        cannot_create = getattr(exc, "sqlite_errorname", "") in ("SQLITE_READONLY_DIRECTORY", "SQLITE_CANTOPEN")
        if not cannot_create or path.with_name(path.name + "-wal").exists():
            raise
        connection = sqlite3.connect(f"file:{location}?immutable=1", uri=True, check_same_thread=False)
    return connection


def _read_sqlite_schema(path: Path) -> tuple[set[str], dict[str, str] | None]:
    """Table names and the meta rows (None without a meta table) of a SQLite file, read-only."""
    connection = _connect_read_only(path)
    try:
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = None
        if "meta" in tables:
            try:
                meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.OperationalError:  # another program's table named meta, without our columns
                meta = {}
    finally:
        connection.close()
    return tables, meta


def _check_schema(tables: set[str], meta: Mapping[str, str] | None, name: str, create: bool) -> None:
    tables = {t for t in tables if not t.startswith("sqlite_")}
    if tables and meta is None:
        raise StoreError(f"{name} is a database of another program (no pagescout tables): pass another --db")
    if meta is not None:
        if meta.get("app") != APP_ID:
            raise StoreError(f"{name} is a database of another program: pass another --db")
        try:
            version = int(meta.get("schema_version", 0))
        except ValueError:
            raise StoreError(f"{name} is a database of another program: pass another --db") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{name} has schema version {version}, newer than this pagescout ({SCHEMA_VERSION}): upgrade pagescout"
            )
    elif not create:
        raise StoreError(f"{name} holds no pagescout data yet: run `pagescout crawl` first")


def member_key(secret: bytes, member_id: str) -> int:
    """Keyed BLAKE2b-64 of a platform's member id, as a signed 64-bit integer (fits BIGINT)."""
    digest = hashlib.blake2b(member_id.encode("utf-8"), digest_size=8, key=secret).digest()
    return int.from_bytes(digest, "big", signed=True)


def _as_utc(value):
    if isinstance(value, datetime):
        # SQLite keeps the wall-clock time and drops the offset: convert, or +03:00 would read back as UTC.
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return value


def _whole_number(value, column: str) -> int:
    """An int64 from an int or an integral float; anything else refuses the row, so no count is stored as REAL."""
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:  # the common case, decided at once
        return value
    if isinstance(value, (bool, np.bool_)):
        raise _RefusedRow(f"{column} is not a whole number in range")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        number = int(value)
    else:
        raise _RefusedRow(f"{column} is not a whole number in range")
    if not INT64_MIN <= number <= INT64_MAX:
        raise _RefusedRow(f"{column} is not a whole number in range")
    return number


# How ``_clean`` treats a column: as a whole number, a text key, a date, a time, text, a flag, or as it comes.
# Every kind is checked here, before either database sees the row: a list or a dict in a text column is
# refused by SQLite's driver, but psycopg would store a list as an array literal and fail the whole batch
# on a dict; a text where a time belongs would reach PostgreSQL's error message, and its log, verbatim.
_WHOLE, _TEXT_KEY, _DATE, _TIME, _TEXT, _FLAG, _AS_IS = range(7)
# Per table: its column names, in order, and (column, kind) of the columns ``_clean`` converts.
_COLUMN_KINDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, int], ...]]] = {}


def _column_kinds(table: sa.Table) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """``(column names, (column, kind) of those converted)`` of ``table``; worked out once per table."""
    kinds = _COLUMN_KINDS.get(table.name)
    if kinds is None:
        def kind(col) -> int:
            if isinstance(col.type, sa.Integer):
                return _WHOLE
            if col.primary_key and isinstance(col.type, sa.String):
                return _TEXT_KEY
            if isinstance(col.type, sa.Date):
                return _DATE
            if isinstance(col.type, sa.DateTime):
                return _TIME
            if isinstance(col.type, sa.String):  # Text included
                return _TEXT
            if isinstance(col.type, sa.Boolean):
                return _FLAG
            return _AS_IS

        kinds = _COLUMN_KINDS[table.name] = (tuple(col.name for col in table.columns),
                                             tuple((col.name, kind(col)) for col in table.columns if kind(col) != _AS_IS))
    return kinds


def _clean(table: sa.Table, row: Mapping) -> dict:
    """The row as the table's columns, in the types the database keeps; a value that cannot be stored as its
    column's type refuses the row (``_RefusedRow`` naming the column)."""
    names, converted = _column_kinds(table)
    out = {name: row.get(name) for name in names}
    for name, kind in converted:  # in column order, so the first bad column is the one a refusal names
        value = out[name]
        if value is None:
            continue
        if kind == _WHOLE:
            out[name] = _whole_number(value, name)
        elif kind == _TEXT_KEY:
            if not isinstance(value, str):
                # A number is the text SQLite would make of it anyway; a list or dict in a key is no key.
                if isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real)):
                    raise _RefusedRow(f"{name} is not text")
                out[name] = str(value)
        elif kind == _TEXT:
            if type(value) is not str:
                if isinstance(value, str):
                    out[name] = str(value)
                elif isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real)):
                    raise _RefusedRow(f"{name} is not text")
                else:
                    out[name] = str(value)
        elif kind == _FLAG:
            if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1)):
                out[name] = bool(value)
            else:
                raise _RefusedRow(f"{name} is not true or false")
        elif kind == _DATE:
            if isinstance(value, str):
                try:
                    out[name] = date.fromisoformat(value)
                except ValueError:
                    raise _RefusedRow(f"{name} is not a date (YYYY-MM-DD)") from None
            elif not isinstance(value, date):
                raise _RefusedRow(f"{name} is not a date (YYYY-MM-DD)")
        else:
            if not isinstance(value, datetime):
                raise _RefusedRow(f"{name} is not a time")
            try:
                out[name] = _as_utc(value)
            except (OverflowError, ValueError):
                raise _RefusedRow(f"{name} is not a time in range") from None
    return out


def _row_fault(exc: BaseException) -> bool:
    """True when the database (or its driver) refused this row's values; False when the database itself is
    unusable or busy, which no row-by-row retry can help."""
    if isinstance(exc, _RefusedRow):
        return True
    if isinstance(exc, (sa.exc.IntegrityError, sa.exc.DataError)):
        return True
    orig = getattr(exc, "orig", None) if isinstance(exc, sa.exc.StatementError) else exc
    if isinstance(orig, (ValueError, TypeError, OverflowError)):  # bind processors, encoding, 64-bit overflow
        return True
    if isinstance(orig, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return "binding parameter" in str(orig)  # a value of a type SQLite cannot store
    # PostgreSQL: data exception (22), integrity constraint (23), program limit such as an oversized key (54).
    return (_sqlstate(orig) or "")[:2] in ("22", "23", "54")


def _sqlstate(orig) -> str | None:
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _busy(exc: BaseException) -> bool:
    """True when another process holds the database (SQLite's lock, a PostgreSQL deadlock or lock timeout)."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        return "locked" in str(orig) or "busy" in str(orig)
    return _sqlstate(orig) in ("40001", "40P01", "55P03")


def _row_key(row: Mapping, columns: Iterable[str]) -> str:
    return quoted("/".join("" if row.get(c) is None else str(row.get(c)) for c in columns), 512)


class Store:
    """Open (and, for crawls, create) a pagescout database.

    ``create=False`` is for read-only commands: a missing file is an error rather than an empty DB, and
    nothing is written (no schema, no meta, no WAL switch); a SQLite file is opened ``mode=ro``.
    """

    def __init__(self, db: str | None = None, create: bool = True):
        self.db = resolve_db(db)
        target = _target(self.db)
        self.name = target.shown
        self._secret: bytes | None = None
        # Columns present per table, for a database opened read-only that an older pagescout made (it may
        # lack tables and columns later versions added); None when every table and column is there.
        self._columns: dict[str, set[str]] | None = None
        # Upsert statements by table and kind of upsert, built once (``_upsert_statement``).
        self._statements: dict[tuple, object] = {}
        if target.path is not None:
            _check_sqlite_file(target.path, create, self.name)
            if target.path.exists():
                # Looked at read-only first: the writing engine below switches the file to WAL on connect.
                try:
                    _check_schema(*_read_sqlite_schema(target.path), self.name, create)
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot use database {self.name}: {_message(exc)}") from None
        self.engine = self._engine(target, create)
        try:
            self._patiently(lambda: self._prepare(create))
        except StoreError:
            self.engine.dispose()
            raise
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            self.engine.dispose()
            raise StoreError(f"cannot use database {self.name}: {_message(exc)}") from None
        if target.path is not None and (opened := _file_id(target.path)) is not None:
            _OPENED_FILES.add(opened)

    def _engine(self, target: _Target, create: bool) -> sa.Engine:
        # hide_parameters: a failed statement's message must never carry a row's values (post texts, keys).
        if target.path is None:
            try:
                engine = sa.create_engine(target.url, hide_parameters=True)
            except ImportError:
                raise StoreError("PostgreSQL needs the postgres extra (the psycopg driver): "
                                 "pip install 'pagescout[postgres]'") from None
            return engine if create else engine.execution_options(postgresql_readonly=True)
        if not create:
            path = target.path
            return sa.create_engine(target.url, creator=lambda: _connect_read_only(path), hide_parameters=True)
        engine = sa.create_engine(target.url, hide_parameters=True)
        sa.event.listen(engine, "connect", _sqlite_writer_setup)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine

    # schema ---------------------------------------------------------------------------------
    def _prepare(self, create: bool) -> None:
        if not create:
            with self.engine.connect() as conn:
                inspector = sa.inspect(conn)
                tables = set(inspector.get_table_names())
                self._columns = {name: {c["name"] for c in inspector.get_columns(name)}
                                 for name in tables if name in metadata.tables}
                meta = self._read_meta(conn, tables)
            _check_schema(tables, meta, self.name, create)
            return
        # One transaction holding the write lock: two crawls starting on a fresh database at once must not
        # both find the tables missing and both create them.
        with self._write_transaction() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
            tables = set(sa.inspect(conn).get_table_names())
            _check_schema(tables, self._read_meta(conn, tables), self.name, create)
            metadata.create_all(conn)
            self._add_new_columns(conn)
            self._upsert(conn, meta_table, [{"key": "app", "value": APP_ID}], ["key"], do_nothing=True)
            self._upsert(conn, meta_table, [{"key": "schema_version", "value": str(SCHEMA_VERSION)}], ["key"])
            # The secret is made once per database: the same member hashes the same way in every crawl,
            # and a key that never leaves the DB keeps the hashes from being reversed by brute force.
            self._upsert(conn, meta_table, [{"key": "secret", "value": secrets.token_hex(32)}], ["key"],
                         do_nothing=True)

    @staticmethod
    def _read_meta(conn, tables: set[str]) -> dict[str, str] | None:
        if "meta" not in tables:
            return None
        columns = {c["name"] for c in sa.inspect(conn).get_columns("meta")}
        if not {"key", "value"} <= columns:  # another program's table named meta
            return {}
        return dict(conn.execute(sa.select(meta_table.c.key, meta_table.c.value)).all())

    def _add_new_columns(self, conn) -> None:
        """Add columns that later versions gave existing tables (all nullable), so older databases keep working."""
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for col in table.columns:
                if col.name not in present:
                    kind = col.type.compile(dialect=self.engine.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {kind}'))

    def _present(self, table: sa.Table) -> set[str] | None:
        """The table's columns the database has (None if it has not the table)."""
        if self._columns is None:
            return {c.name for c in table.columns}
        return self._columns.get(table.name)

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            with self.engine.connect() as conn:
                value = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "secret")).scalar_one()
            self._secret = bytes.fromhex(value)
        return self._secret

    def member_key(self, member_id: str) -> int:
        return member_key(self.secret, str(member_id))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # writes ---------------------------------------------------------------------------------
    @contextmanager
    def _write_transaction(self):
        with self.engine.connect() as conn:
            conn.execution_options(pagescout_writes=True)  # SQLite: BEGIN IMMEDIATE (see _sqlite_begin)
            with conn.begin():
                yield conn

    def _patiently(self, transaction: Callable[[], object]):
        """Run ``transaction`` (a whole one, safe to repeat: every write is an upsert), again after growing
        pauses while another process holds the database, for up to ``BUSY_PATIENCE_SECONDS`` in all."""
        start = time.monotonic()
        pause = 0.25
        while True:
            try:
                return transaction()
            except (sa.exc.DBAPIError, sqlite3.OperationalError) as exc:  # the latter from a connect hook's pragma
                if not _busy(exc):
                    raise
                if time.monotonic() - start + pause > BUSY_PATIENCE_SECONDS:
                    raise StoreError(
                        f"database {self.name} is busy: another process is writing to it; let it finish, or give "
                        f"this command another --db") from None
                time.sleep(pause)
                pause = min(pause * 2, 8.0)

    def _insert(self, table: sa.Table):
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _upsert(self, conn, table, rows, keys, coalesce=(), do_nothing=False) -> None:
        """INSERT … ON CONFLICT of rows already in their columns' types (``_clean``): key columns identify a
        row; ``coalesce`` columns keep the stored value when the new one is NULL."""
        if not rows:
            return
        conn.execute(self._upsert_statement(table, tuple(keys), tuple(coalesce), do_nothing), rows)

    def _upsert_statement(self, table, keys: tuple, coalesce: tuple, do_nothing: bool):
        """The upsert of ``table``, built once per store and kind: a statement is immutable, and building one
        (the ``excluded`` columns, the update clause) costs more than compiling it from SQLAlchemy's cache."""
        cache = self._statements
        found = cache.get((table.name, keys, coalesce, do_nothing))
        if found is not None:
            return found
        stmt = self._insert(table)
        if do_nothing:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        else:
            updates = {}
            for col in table.columns:
                if col.name in keys:
                    continue
                new = stmt.excluded[col.name]
                updates[col.name] = sa.func.coalesce(new, col) if col.name in coalesce else new
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
        cache[(table.name, keys, coalesce, do_nothing)] = stmt
        return stmt

    def _upsert_items(self, conn, spec: _ItemTable, rows: list[dict]) -> None:
        self._upsert(conn, spec.table, rows, list(spec.keys), coalesce=spec.coalesce, do_nothing=spec.do_nothing)

    def write(self, batch: Mapping[str, list[Mapping]]) -> WriteCounts:
        """Write a batch of item dicts keyed by item type (Account, Post, Link, AudienceMember, Snapshot).

        All in one transaction; when the database refuses a row, each row of that type is tried again in a
        savepoint of its own, and those it still refuses go to the ``refused`` table. Returns the rows stored
        and refused per type. Raises StoreError only when nothing could be written: the database is busy
        beyond ``BUSY_PATIENCE_SECONDS``, or unusable (even the ``refused`` table cannot be written).
        """
        units, refusals = _prepare_batch(batch)
        if not refusals and not any(unit.rows for unit in units):
            return WriteCounts()
        fresh = [{"platform": row.get("platform"), "run": row.get("run")} for row in batch.get("GatherRun") or []
                 if isinstance(row, Mapping) and row.get("fresh")]
        try:
            return self._patiently(lambda: self._write_units(units, refusals, fresh))
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(f"cannot write to database {self.name}: {_message(exc)}") from None

    def _write_units(self, units: list[_Unit], refused_early: list[_Refusal], fresh_runs=()) -> WriteCounts:
        stored: Counter[str] = Counter()
        refusals = list(refused_early)
        with self._write_transaction() as conn:
            for run in fresh_runs:  # a gather starting afresh first, so its own rows of this batch stay
                self._start_gather(conn, run)
            for unit in units:
                if not unit.rows:
                    continue
                try:
                    with conn.begin_nested():
                        self._upsert_items(conn, unit.spec, unit.rows)
                    stored[unit.kind] += unit.counted * len(unit.rows)
                    continue
                except Exception as exc:
                    if not _row_fault(exc):
                        raise
                # One bad row must not cost the others: each row again, in a savepoint of its own.
                for row in unit.rows:
                    try:
                        with conn.begin_nested():
                            self._upsert_items(conn, unit.spec, [row])
                        stored[unit.kind] += unit.counted
                    except Exception as exc:
                        if not _row_fault(exc):
                            raise
                        refusals.append(_Refusal(str(row.get("platform") or ""), unit.kind,
                                                 _row_key(row, unit.spec.named_by), _reason(exc)))
            for unit in units:
                if unit.kind == "GatherRun":
                    for row in unit.rows:
                        if row.get("finished"):
                            self._finish_gather(conn, row)
            self._record_refusals(conn, refusals)
        return WriteCounts(stored=dict(+stored), refused=dict(Counter(refusal.kind for refusal in refusals)))

    def _finish_gather(self, conn, run: Mapping) -> None:
        """Keep the pages at least ``min_members`` of the run's sampled members follow: their follows become
        audience rows (kind follower), the pages are listed in ``gather_pages``, and the run's staging rows
        of those pages stay as its count; every other staging row goes, so no member's own list of
        follows, with its rare and revealing pages, is kept."""
        f = gather_follows_table.c
        where = (f.platform == run["platform"]) & (f.run == run["run"])
        kept = (sa.select(f.page).where(where).group_by(f.page)
                .having(sa.func.count() >= max(1, int(run.get("min_members") or 1))))
        pages = self._insert(gather_pages_table).from_select(
            ["platform", "run", "page"], sa.select(f.platform, f.run, f.page).where(where, f.page.in_(kept))
            .distinct()).on_conflict_do_nothing()
        conn.execute(pages)
        follows = self._insert(audience_table).from_select(
            ["platform", "account", "kind", "member_key", "at"],
            sa.select(f.platform, f.page, sa.literal("follower"), f.member_key,
                      sa.literal(run.get("at"), type_=audience_table.c.at.type))
            .where(where, f.page.in_(kept))).on_conflict_do_nothing()
        conn.execute(follows)
        p = gather_pages_table.c
        listed = sa.select(p.page).where(p.platform == run["platform"], p.run == run["run"])
        conn.execute(sa.delete(gather_follows_table).where(where, f.page.not_in(listed)))

    def _start_gather(self, conn, run: Mapping) -> None:
        """A gather run starting afresh (not resumed) forgets what an earlier run of the same name sampled."""
        for table in (gather_follows_table, gather_members_table, gather_pages_table):
            conn.execute(sa.delete(table).where(table.c.platform == run["platform"], table.c.run == run["run"]))

    def discard_unfinished_gather(self, platform: str, run: str) -> bool:
        """Delete the staging rows of a run that ended without finishing and will not be resumed (killed,
        a token refused): no member's follows stay behind. True when there was such a run."""
        g = gathers_table.c

        def discard() -> bool:
            with self._write_transaction() as conn:
                found = conn.execute(sa.select(g.finished).where(g.platform == platform, g.run == run)).first()
                if found is None or found[0]:
                    return False
                self._start_gather(conn, {"platform": platform, "run": run})
                return True

        try:
            return self._patiently(discard)
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(f"cannot write to database {self.name}: {_message(exc)}") from None

    def _record_refusals(self, conn, refusals: list[_Refusal]) -> None:
        at = datetime.now(timezone.utc)
        rows: dict[tuple, dict] = {}
        for refusal in refusals:  # one statement must not touch the same key twice (PostgreSQL refuses it)
            row = {"platform": quoted(refusal.platform, 32), "kind": refusal.kind, "key": refusal.key,
                   "reason": refusal.reason, "at": at}
            rows[(row["platform"], row["kind"], row["key"])] = row
        self._upsert(conn, refused_table, list(rows.values()), ["platform", "kind", "key"])

    def write_audience(self, rows: Iterable[tuple[str, str, str, int]], chunk: int = 50_000) -> int:
        """Bulk-insert (platform, account, kind, member_key) rows; used by imports and benchmarks.

        A row already stored is skipped (the whole row is the key), so an import can run twice. Returns
        the number of rows offered. On SQLite the rows go straight to the driver's ``executemany`` as
        tuples: building a dict and a compiled upsert per row made 10M rows take minutes. Rows are checked
        by the caller (``sheets.imports``): one the database refuses fails the whole call.
        """
        keys = ["platform", "account", "kind", "member_key"]
        replayable = isinstance(rows, (list, tuple))
        drawn = False

        def insert_all() -> int:
            nonlocal drawn
            if drawn and not replayable:
                # A busy retry after some rows were drawn from a one-shot iterator would skip them.
                raise StoreError(f"database {self.name} is busy: another process is writing to it; let it "
                                 f"finish, then run this command again")
            total = 0
            source = iter(rows)
            with self._write_transaction() as conn:
                while batch := [(p, a, k, int(m)) for p, a, k, m in islice(source, chunk)]:
                    drawn = True
                    if self.engine.dialect.name == "sqlite":
                        conn.exec_driver_sql(
                            "INSERT OR IGNORE INTO audience (platform, account, kind, member_key) VALUES (?, ?, ?, ?)",
                            batch,
                        )
                    else:
                        self._upsert(conn, audience_table, [dict(zip(keys, row)) for row in batch], keys,
                                     do_nothing=True)
                    total += len(batch)
            return total

        try:
            return self._patiently(insert_all)
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(f"cannot write to database {self.name}: {_message(exc)}") from None

    # reads ----------------------------------------------------------------------------------
    def _frame(self, table: sa.Table, platform: str | None = None, columns=None) -> pd.DataFrame:
        """The table as a DataFrame, safe whatever an older version stored: counts are int64, or float64
        with NaN where a value is missing or not a whole number within int64 (a REAL such as 1e30 or 2.5);
        times are UTC; columns (or the whole table) an older database lacks come back empty."""
        wanted = list(columns) if columns else [c.name for c in table.columns]
        present = self._present(table)
        if present is None:
            frame = pd.DataFrame({name: pd.Series(dtype=object) for name in wanted})
        else:
            query = sa.select(*[table.c[name] for name in wanted if name in present])
            if platform:
                query = query.where(table.c.platform == platform)
            with self.engine.connect() as conn:
                frame = pd.read_sql_query(query, conn)
            for name in wanted:
                if name not in present:
                    frame[name] = None
            frame = frame[wanted]
        for col in table.columns:
            if col.name not in frame.columns:
                continue
            if isinstance(col.type, sa.DateTime):
                frame[col.name] = pd.to_datetime(frame[col.name], utc=True, format="mixed")
            elif isinstance(col.type, sa.Integer):
                frame[col.name] = _whole_numbers(frame[col.name])
                if col.primary_key:  # a key that is no whole number can match nothing
                    frame = frame[frame[col.name].notna()]
                    frame[col.name] = frame[col.name].astype("int64")
        return frame.reset_index(drop=True)

    def load_accounts(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(accounts_table, platform)

    def load_posts(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(posts_table, platform)

    def load_links(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(links_table, platform)

    def load_snapshots(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(snapshots_table, platform)

    def load_refused(self) -> pd.DataFrame:
        """Rows the database refused: platform, kind (item type), key, reason, at (UTC)."""
        return self._frame(refused_table)

    def load_audience(self, platform: str | None = None, kind: str | None = None) -> pd.DataFrame:
        """Columns platform, account, kind (categoricals) and member_key (int64), one account's rows together.

        The database concatenates each (platform, account, kind) group's keys into one text value
        (``group_concat`` / ``string_agg``) and numpy parses it: a tuple and a Python int per row would
        make 10M rows take tens of seconds and gigabytes.
        """
        c = audience_table.c
        group = [c.platform, c.account, c.kind]
        # SQLite turns the integers into text itself, a third faster than an explicit CAST; string_agg needs text.
        member = c.member_key if self.engine.dialect.name == "sqlite" else sa.cast(c.member_key, sa.Text)
        keys = sa.func.aggregate_strings(member, ",")
        query = sa.select(*group, sa.func.count(), keys).group_by(*group).order_by(*group)
        if platform:
            query = query.where(c.platform == platform)
        if kind:
            query = query.where(c.kind == kind)
        labels: list[tuple[str, str, str]] = []
        sizes: list[int] = []
        parts: list[np.ndarray] = []
        with self.engine.connect() as conn:
            for group_platform, account, group_kind, size, text in conn.execute(query):
                labels.append((group_platform, account, group_kind))
                sizes.append(size)
                parts.append(np.fromstring(text, dtype=np.int64, sep=","))
        groups = pd.DataFrame(labels, columns=["platform", "account", "kind"])
        repeats = np.asarray(sizes, dtype=np.int64)
        frame = {}
        for name in ("platform", "account", "kind"):
            codes, uniques = pd.factorize(groups[name])
            frame[name] = pd.Categorical.from_codes(np.repeat(codes.astype(np.int32), repeats), categories=uniques)
        frame["member_key"] = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        return pd.DataFrame(frame)

    def load_member_signals(self, platform: str | None = None) -> pd.DataFrame:
        """Columns platform, member_key (int64) and the ``MEMBER_SIGNALS`` (NaN/None where not shown)."""
        frame = self._frame(member_signals_table, platform)
        frame["member_key"] = frame["member_key"].astype("int64")
        return frame

    def load_engagers(self, platform: str | None = None) -> pd.DataFrame:
        """Dated engagers: columns platform, account, kind, member_key (int64), at (UTC), for the audience
        rows of kind liker, commenter or reposter whose time is stored (audience temperature uses them)."""
        c = audience_table.c
        query = sa.select(c.platform, c.account, c.kind, c.member_key, c.at).where(
            c.kind.in_(("liker", "commenter", "reposter")), c.at.is_not(None))
        if platform:
            query = query.where(c.platform == platform)
        with self.engine.connect() as conn:
            frame = pd.read_sql_query(query, conn)
        keys = _whole_numbers(frame["member_key"])
        frame = frame[keys.notna()].reset_index(drop=True)
        frame["member_key"] = keys.dropna().astype("int64").to_numpy()
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="mixed")
        return frame

    def load_frames(self, platform: str | None = None, parts: Iterable[str] = PARTS,
                    audience_kind: str | None = None) -> Frames:
        """The ``parts`` of one platform (or of all) in one bundle; ``audience_kind`` keeps one kind of
        audience member (follower, member, liker, commenter, reposter) instead of every kind."""
        loaders = {"accounts": self.load_accounts, "posts": self.load_posts, "links": self.load_links,
                   "audience": lambda only: self.load_audience(only, audience_kind),
                   "signals": self.load_member_signals, "snapshots": self.load_snapshots,
                   "engagers": self.load_engagers}
        return Frames(**{part: loaders[part](platform) for part in parts}, stored_platforms=tuple(self.platforms()))

    def load_gather(self, platform: str, run: str) -> Gathered:
        """One gather's run, its sampled members' outcomes, the pages it kept with their audience rows
        (kind follower), and the platform's accounts. ``run`` is None in the bundle when it is not stored."""
        g, m, p = gathers_table.c, gather_members_table.c, gather_pages_table.c
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(gathers_table).where(g.platform == platform, g.run == run)).mappings().first()
            members = pd.read_sql_query(sa.select(m.member_key, m.outcome).where(m.platform == platform, m.run == run), conn)
            pages = list(conn.execute(sa.select(p.page).where(p.platform == platform, p.run == run)).scalars())
            f = gather_follows_table.c
            follows = pd.read_sql_query(sa.select(f.page, f.member_key).where(
                f.platform == platform, f.run == run, f.page.in_(pages)), conn)
        for frame in (members, follows):
            frame["member_key"] = _whole_numbers(frame["member_key"]).astype("int64")
        return Gathered(run=dict(found) if found else None, members=members, pages=tuple(pages), follows=follows,
                        accounts=self.load_accounts(platform))

    def finished_gathers(self, platform: str | None = None) -> pd.DataFrame:
        """The finished gathers (platform, run, targets as ``a,b``, members_sampled, pages_found, at), newest
        first: what a report can show without running one."""
        g = gathers_table.c
        query = sa.select(g.platform, g.run, g.targets, g.members_sampled, g.pages_found, g.at).where(g.finished)
        if platform:
            query = query.where(g.platform == platform)
        with self.engine.connect() as conn:
            runs = pd.read_sql_query(query, conn)
        return runs.sort_values("at", ascending=False, na_position="last", kind="stable").reset_index(drop=True)

    def member_keys(self, member_ids: Iterable[str]) -> list[int]:
        """The keyed hashes of raw member ids (a target audience a user lists), in order: raw ids are
        compared through their hashes only and never kept."""
        return [self.member_key(member) for member in member_ids]

    def counts(self) -> dict[str, int]:
        """Row count per table (tests and the crawl summary use it)."""
        with self.engine.connect() as conn:
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (accounts_table, posts_table, links_table, audience_table, snapshots_table)
            }

    def platforms(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(accounts_table.c.platform).distinct()).scalars())


def load_frames(db: str | None, platform: str | None = None, parts: Iterable[str] = PARTS,
                audience_kind: str | None = None) -> Frames:
    """One read-only opening of the database for a command: its frames, loaded once (see
    ``Store.load_frames``). Raises ``StoreError`` for a missing or unusable database."""
    with Store(db, create=False) as store:
        return store.load_frames(platform, parts, audience_kind)


def load_gather(db: str | None, platform: str, run: str) -> Gathered:
    """One read-only opening of the database for one gather's results (see ``Store.load_gather``)."""
    with Store(db, create=False) as store:
        return store.load_gather(platform, run)


# PostgreSQL advisory lock taken while the schema is created (any fixed 64-bit number; this one spells "pagescou").
_SCHEMA_LOCK = int.from_bytes(b"pagescou", "big", signed=True)


@dataclass
class _Unit:
    """Rows of one table from one item type, cleaned; ``counted`` is how much each adds to the type's stored count
    (0 for member signals, which ride along with their audience rows)."""

    kind: str
    spec: _ItemTable
    rows: list[dict]
    counted: int = 1


def _prepare_batch(batch: Mapping[str, list[Mapping]]) -> tuple[list[_Unit], list[_Refusal]]:
    """The batch cleaned into units per table, and the rows refused before reaching the database."""
    units: list[_Unit] = []
    refusals: list[_Refusal] = []
    for kind, spec in ITEM_TABLES.items():
        cleaned, accepted = [], []
        for row in batch.get(kind) or []:
            if not isinstance(row, Mapping):
                refusals.append(_Refusal("", kind, "", f"a {type(row).__name__} where a row of columns belongs"))
                continue
            if kind == "Link":
                row = {**row, "post_id": row.get("post_id") or ""}
            try:
                # a member's bad signal refuses the member's row
                signals = _clean(member_signals_table, row) if kind == "AudienceMember" else None
                cleaned.append(_clean(spec.table, row))
                accepted.append((row, signals))
            except _RefusedRow as exc:
                refusals.append(_Refusal(str(row.get("platform") or ""), kind, _row_key(row, spec.named_by), str(exc)))
        units.append(_Unit(kind, spec, _merged_by_key(cleaned, spec)))
        if kind == "AudienceMember":
            units.append(_Unit(kind, _SIGNALS, _member_signal_rows(accepted), counted=0))
    return units, refusals


def _merged_by_key(rows: list[dict], spec: _ItemTable) -> list[dict]:
    """One row per key, as upserting the rows one after another would leave it: a later row wins, but a
    NULL in a ``coalesce`` column keeps the earlier value (and ``do_nothing`` keeps the first row).

    Merged here because one statement must not touch the same key twice (PostgreSQL refuses it): a page
    may repeat a post, and an account parsed ok may be marked unavailable in the same batch.
    """
    merged: dict[tuple, dict] = {}
    key_of = itemgetter(*spec.keys)  # every key column is in a cleaned row, and every table's key has two or more
    for row in rows:
        key = key_of(row)
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = row
        elif not spec.do_nothing:
            merged[key] = {name: (earlier.get(name) if value is None and name in spec.coalesce else value)
                           for name, value in row.items()}
    return list(merged.values())


def _member_signal_rows(members: Iterable[tuple[Mapping, dict]]) -> list[dict]:
    """One ``member_signals`` row per (platform, member_key) among members that carry any signal; later
    non-NULL values win. ``members`` are (row, the row cleaned as a ``member_signals`` row) pairs: the merged
    rows are made of cleaned values (each value is cleaned by its column alone), so they need no cleaning again.

    Merged here because one statement must not touch the same key twice (PostgreSQL refuses it).
    """
    merged: dict[tuple, dict] = {}
    for member, signals in members:
        if member.get("member_key") is None or all(signals[name] is None for name in MEMBER_SIGNALS):
            continue
        key = (member["platform"], member["member_key"])
        row = merged.get(key)
        if row is None:
            merged[key] = signals  # made for this member alone (by _clean): merged into in place
            continue
        for name in MEMBER_SIGNALS:
            if signals[name] is not None:
                row[name] = signals[name]
    return list(merged.values())


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Counts read back: int64 when all are whole numbers within int64, else float64 with NaN for each value
    missing, non-integral, infinite or beyond int64 (later casts to int64 would fail on them)."""
    if pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("int64")
    if values.dtype == object:
        numbers_only = values.map(lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
        if all(isinstance(v, int) for v in numbers_only if v is not None) and numbers_only.notna().all():
            return numbers_only.astype("int64")  # ints beyond 2**53 would lose digits as float64
        floats = pd.to_numeric(numbers_only, errors="coerce").astype("float64")
    else:
        floats = pd.to_numeric(values, errors="coerce").astype("float64")
    usable = np.isfinite(floats) & (np.floor(floats) == floats) & (floats >= -(2.0**63)) & (floats < 2.0**63)
    floats = floats.where(usable)
    if len(floats) and floats.notna().all():
        return floats.astype("int64")
    return floats


def _sqlite_writer_setup(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    # Set first, so that the WAL switch below waits for another process's lock too instead of failing.
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    # WAL lets `pagescout rank` read while a crawl writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    # a deleted row (a gather's staging of who follows what) is overwritten, not left in the file's free pages
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLAlchemy emits BEGIN itself (_sqlite_begin): the driver's own handling skips BEGIN before DDL and
    # SAVEPOINT, which would leave the schema set-up and the per-row savepoints outside any transaction.
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn) -> None:
    # A write takes the write lock at BEGIN, where busy_timeout waits for it. A deferred transaction that
    # first reads and then writes after another process wrote fails at once (SQLITE_BUSY_SNAPSHOT),
    # however long the timeout.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("pagescout_writes") else "BEGIN")
