"""The store: the only module that speaks SQL.

SQLAlchemy Core keeps the SQL portable: ``--db`` takes a file path (SQLite, WAL mode) or a database URL
(``postgresql://…``), and the same upserts run on both through each dialect's ``ON CONFLICT``.
Every write is an idempotent upsert inside one transaction, so a crawl run twice, or resumed after an
interruption, updates rows and never duplicates them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

SCHEMA_VERSION = 1
APP_ID = "pagescout"
DEFAULT_DB = "pagescout.db"

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
)
MEMBER_SIGNALS = [c.name for c in member_signals_table.columns if c.name not in ("platform", "member_key")]

sa.Index("links_dst", links_table.c.platform, links_table.c.dst)


class StoreError(Exception):
    """A database that cannot be used: the message is one line a user can act on."""


def resolve_db(db: str | None) -> str:
    """``--db``, else ``$PAGESCOUT_DB``, else ``./pagescout.db``."""
    return db or os.environ.get("PAGESCOUT_DB") or DEFAULT_DB


def _url_for(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).expanduser()}"


def _sqlite_file(db: str) -> Path | None:
    if "://" not in db:
        return Path(db).expanduser()
    if db.startswith("sqlite:///"):
        return Path(db.removeprefix("sqlite:///"))
    return None


def _check_sqlite_file(path: Path, create: bool) -> None:
    if path.exists():
        if path.is_dir():
            raise StoreError(f"database {path} is a folder: give --db a file path")
        with path.open("rb") as f:
            header = f.read(16)
        if header and header != b"SQLite format 3\x00":
            raise StoreError(f"{path} is not a SQLite database: pass another --db path")
    elif not create:
        raise StoreError(f"no database at {path}: run `pagescout crawl` first or pass --db")
    elif not path.parent.exists():
        raise StoreError(f"cannot create database {path}: folder {path.parent} does not exist")


def member_key(secret: bytes, member_id: str) -> int:
    """Keyed BLAKE2b-64 of a platform's member id, as a signed 64-bit integer (fits BIGINT)."""
    digest = hashlib.blake2b(member_id.encode("utf-8"), digest_size=8, key=secret).digest()
    return int.from_bytes(digest, "big", signed=True)


def _as_utc(value):
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class Store:
    """Open (and, for crawls, create) a pagescout database.

    ``create=False`` is for read-only commands: a missing file is an error rather than an empty DB.
    """

    def __init__(self, db: str | None = None, create: bool = True):
        self.db = resolve_db(db)
        path = _sqlite_file(self.db)
        if path is not None:
            _check_sqlite_file(path, create)
        self.engine = sa.create_engine(_url_for(self.db))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            self._prepare(create)
        except sa.exc.DatabaseError as exc:
            self.engine.dispose()
            raise StoreError(f"cannot use database {self.db}: {str(exc.orig).splitlines()[0]}") from None
        self._secret: bytes | None = None

    # schema ---------------------------------------------------------------------------------
    def _prepare(self, create: bool) -> None:
        inspector = sa.inspect(self.engine)
        tables = set(inspector.get_table_names())
        if tables and "meta" not in tables:
            raise StoreError(f"{self.db} is a database of another program (no pagescout tables): pass another --db")
        if "meta" in tables:
            with self.engine.connect() as conn:
                rows = dict(conn.execute(sa.select(meta_table.c.key, meta_table.c.value)).all())
            if rows.get("app") != APP_ID:
                raise StoreError(f"{self.db} is a database of another program: pass another --db")
            version = int(rows.get("schema_version", 0))
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.db} has schema version {version}, newer than this pagescout ({SCHEMA_VERSION}): upgrade pagescout"
                )
        if not create and "meta" not in tables:
            raise StoreError(f"{self.db} holds no pagescout data yet: run `pagescout crawl` first")
        metadata.create_all(self.engine)
        self._add_new_columns()
        with self.engine.begin() as conn:
            self._upsert(conn, meta_table, [{"key": "app", "value": APP_ID}], ["key"], do_nothing=True)
            self._upsert(conn, meta_table, [{"key": "schema_version", "value": str(SCHEMA_VERSION)}], ["key"])
            # The secret is made once per database: the same member hashes the same way in every crawl,
            # and a key that never leaves the DB keeps the hashes from being reversed by brute force.
            self._upsert(conn, meta_table, [{"key": "secret", "value": secrets.token_hex(32)}], ["key"], do_nothing=True)

    def _add_new_columns(self) -> None:
        """Add columns that later versions gave existing tables (all nullable), so older databases keep working."""
        inspector = sa.inspect(self.engine)
        for table in metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c for c in table.columns if c.name not in present]
            if not missing:
                continue
            with self.engine.begin() as conn:
                for col in missing:
                    kind = col.type.compile(dialect=self.engine.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {kind}'))

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
    def _insert(self, table: sa.Table):
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _upsert(self, conn, table, rows, keys, coalesce=(), do_nothing=False) -> None:
        """INSERT … ON CONFLICT: key columns identify a row; ``coalesce`` columns keep the stored value
        when the new one is NULL (an unavailable page must not erase what an earlier crawl learned)."""
        if not rows:
            return
        stmt = self._insert(table)
        if do_nothing:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        else:
            updates = {}
            for col in table.columns:
                if col.name in keys:
                    continue
                new = stmt.excluded[col.name]
                updates[col.name] = sa.func.coalesce(new, col) if col.name in coalesce else new
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates)
        conn.execute(stmt, [self._clean(table, r) for r in rows])

    @staticmethod
    def _clean(table: sa.Table, row: Mapping) -> dict:
        out = {}
        for col in table.columns:
            value = row.get(col.name)
            if isinstance(col.type, sa.Date) and isinstance(value, str):
                value = date.fromisoformat(value)
            out[col.name] = _as_utc(value)
        return out

    def write(self, batch: Mapping[str, list[Mapping]]) -> None:
        """Write a batch of item dicts keyed by item type, all in one transaction."""
        with self.engine.begin() as conn:
            self._upsert(
                conn,
                accounts_table,
                batch.get("Account", []),
                ["platform", "handle"],
                coalesce=[c.name for c in accounts_table.columns if c.name not in ("status", "reason", "fetched_at")],
            )
            self._upsert(conn, posts_table, batch.get("Post", []), ["platform", "account", "post_id"])
            links = [{**link, "post_id": link.get("post_id") or ""} for link in batch.get("Link", [])]
            self._upsert(conn, links_table, links, ["platform", "src", "dst", "kind", "post_id"], do_nothing=True)
            self._upsert(
                conn, audience_table, batch.get("AudienceMember", []), ["platform", "account", "kind", "member_key"]
            )
            # A NULL signal (not shown this time) keeps what an earlier sighting of the member learned.
            self._upsert(conn, member_signals_table, _member_signal_rows(batch.get("AudienceMember", [])),
                         ["platform", "member_key"], coalesce=MEMBER_SIGNALS)
            # A page read without its counter (hidden, or a lookup that failed) must not blank the day's count.
            self._upsert(conn, snapshots_table, batch.get("Snapshot", []), ["platform", "account", "date"],
                         coalesce=["followers"])

    def write_audience(self, rows: Iterable[tuple[str, str, str, int]], chunk: int = 50_000) -> int:
        """Bulk-insert (platform, account, kind, member_key) rows; used by imports and benchmarks.

        A row already stored is skipped (the whole row is the key), so an import can run twice. Returns
        the number of rows offered. On SQLite the rows go straight to the driver's ``executemany`` as
        tuples: building a dict and a compiled upsert per row made 10M rows take minutes.
        """
        keys = ["platform", "account", "kind", "member_key"]
        rows = iter(rows)
        total = 0
        with self.engine.begin() as conn:
            while batch := [(p, a, k, int(m)) for p, a, k, m in islice(rows, chunk)]:
                if self.engine.dialect.name == "sqlite":
                    conn.exec_driver_sql(
                        "INSERT OR IGNORE INTO audience (platform, account, kind, member_key) VALUES (?, ?, ?, ?)",
                        batch,
                    )
                else:
                    self._upsert(conn, audience_table, [dict(zip(keys, row)) for row in batch], keys, do_nothing=True)
                total += len(batch)
        return total

    # reads ----------------------------------------------------------------------------------
    def _frame(self, table: sa.Table, platform: str | None = None, columns=None) -> pd.DataFrame:
        cols = [table.c[name] for name in columns] if columns else list(table.columns)
        query = sa.select(*cols)
        if platform:
            query = query.where(table.c.platform == platform)
        with self.engine.connect() as conn:
            frame = pd.read_sql_query(query, conn)
        for col in table.columns:
            if col.name in frame.columns and isinstance(col.type, sa.DateTime):
                frame[col.name] = pd.to_datetime(frame[col.name], utc=True, format="mixed")
        return frame

    def load_accounts(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(accounts_table, platform)

    def load_posts(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(posts_table, platform)

    def load_links(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(links_table, platform)

    def load_snapshots(self, platform: str | None = None) -> pd.DataFrame:
        return self._frame(snapshots_table, platform)

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
        frame["member_key"] = frame["member_key"].astype("int64")
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="mixed")
        return frame

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


def _member_signal_rows(members: Iterable[Mapping]) -> list[dict]:
    """One row per (platform, member_key) among members that carry any signal; later non-NULL values win.

    Merged here because one statement must not touch the same key twice (PostgreSQL refuses it).
    """
    merged: dict[tuple, dict] = {}
    for member in members:
        if member.get("member_key") is None or all(member.get(name) is None for name in MEMBER_SIGNALS):
            continue
        key = (member["platform"], member["member_key"])
        row = merged.setdefault(key, {"platform": key[0], "member_key": key[1]})
        for name in MEMBER_SIGNALS:
            if member.get(name) is not None:
                row[name] = member[name]
    return list(merged.values())


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets `pagescout rank` read while a crawl writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
