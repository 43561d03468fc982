"""The store under hostile input and faults: a bad row costs only itself, counts are never REAL, a busy
database is waited for, a foreign or newer file and a read-only command leave the file untouched.

Tests taking ``store_url`` run twice, on a SQLite file and on a throwaway PostgreSQL database
(``tests/conftest.py``); the rest are about SQLite files (WAL, locks, bytes, permissions) or need no database."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

import crawler.store as store_module
from conftest import REPO, invoke, is_postgres, one_line_error, rows, sql_columns, sql_execute, sql_rows, sql_tables
from crawler.store import SUPPORTED_DBS, Store, StoreError, resolve_db

T = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRIVATE = "PRIVATE-POST-TEXT"


def posts(n: int, account: str = "durov") -> list[dict]:
    return [{"platform": "telegram", "account": account, "post_id": str(i), "text": f"post {i}", "views": 10 * i,
             "published_at": T} for i in range(n)]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# 1. one bad row costs only itself ---------------------------------------------------------------
@pytest.mark.parametrize("field,value,sqlite_reason,postgres_reason", [
    ("text", f"{PRIVATE} \ud800", "UnicodeEncodeError", "UnicodeEncodeError"),  # a lone surrogate: never encoded
    ("text", [PRIVATE], "text is not text", "text is not text"),  # types no database can store as text
    ("text", {"a": PRIVATE}, "text is not text", "text is not text"),
    ("text", PRIVATE.encode(), "text is not text", "text is not text"),
    ("published_at", PRIVATE, "published_at is not a time", "published_at is not a time"),  # text for a time
    ("ad", PRIVATE, "ad is not true or false", "ad is not true or false"),
    # OverflowError in SQLite, out of BIGINT in PostgreSQL: refused before either
    ("views", 2**64, "views is not a whole number in range", "views is not a whole number in range"),
], ids=["surrogate", "list", "dict", "bytes", "text-for-a-time", "text-for-a-flag", "beyond-64-bits"])
def test_a_bad_row_is_refused_and_the_rest_of_its_batch_is_stored(store_url, field, value, sqlite_reason,
                                                                 postgres_reason):
    reason = postgres_reason if is_postgres(store_url) else sqlite_reason
    batch = posts(450)
    batch[17][field] = value
    with Store(store_url) as store:
        written = store.write({"Post": batch, "Account": [{"platform": "telegram", "handle": "durov", "status": "ok"}]})
        assert written.stored == {"Post": 449, "Account": 1}
        assert written.refused == {"Post": 1}
        assert store.counts()["posts"] == 449
        refused = store.load_refused()
    assert refused[["platform", "kind", "key"]].values.tolist() == [["telegram", "Post", "telegram/durov/17"]]
    assert refused["reason"].iloc[0].startswith(reason)
    assert refused["at"].iloc[0] > T
    assert not any(PRIVATE in str(v) for v in refused.iloc[0])


def test_a_row_the_database_refuses_is_refused_with_the_constraint(store_url):
    with Store(store_url) as store:
        written = store.write({"Account": [{"platform": "telegram", "handle": "a", "status": None},
                                           {"platform": "telegram", "handle": "b", "status": "ok"}]})
        assert (written.stored, written.refused) == ({"Account": 1}, {"Account": 1})
        reason = store.load_refused()["reason"].iloc[0]
    assert reason == ("NotNullViolation: null value in column … of relation … violates not-null constraint"
                      if is_postgres(store_url) else "IntegrityError: NOT NULL constraint failed: accounts.status")


def test_refusing_the_same_row_again_keeps_one_refusal(store_url):
    bad = [{**posts(1)[0], "views": 2.5}]
    with Store(store_url) as store:
        store.write({"Post": bad})
        store.write({"Post": bad})
        assert len(store.load_refused()) == 1


def test_an_audience_refusal_names_the_account_and_kind_never_the_member(store_url):
    members = [{"platform": "telegram", "account": "durov", "kind": "follower", "member_key": key}
               for key in (123456789, 2**64 + 987654321)]
    with Store(store_url) as store:
        written = store.write({"AudienceMember": members})
        assert (written.stored, written.refused) == ({"AudienceMember": 1}, {"AudienceMember": 1})
        refused = store.load_refused()
    assert refused["key"].tolist() == ["telegram/durov/follower"]
    assert "987654321" not in " ".join(map(str, refused.iloc[0]))


def test_a_member_with_a_bad_signal_is_refused_whole(store_url):
    members = [{"platform": "bluesky", "account": "a", "kind": "follower", "member_key": 1, "follows": 2.5},
               {"platform": "bluesky", "account": "a", "kind": "follower", "member_key": 2, "follows": 3}]
    with Store(store_url) as store:
        written = store.write({"AudienceMember": members})
        assert (written.stored, written.refused) == ({"AudienceMember": 1}, {"AudienceMember": 1})
        assert store.load_audience()["member_key"].tolist() == [2]
        assert store.load_member_signals()["follows"].tolist() == [3]


# 3. counts are whole numbers --------------------------------------------------------------------
@pytest.mark.parametrize("value,stored", [
    (5.0, 5), (np.int64(7), 7), (np.float64(8.0), 8), (2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)),
])
def test_an_integral_count_is_stored_as_an_integer(store_url, value, stored):
    with Store(store_url) as store:
        written = store.write({"Account": [{"platform": "vk", "handle": "a", "status": "ok", "followers": value}]})
        assert written.stored == {"Account": 1}
    typeof = "pg_typeof(followers)::text" if is_postgres(store_url) else "typeof(followers)"
    assert sql_rows(store_url, f"SELECT followers, {typeof} FROM accounts") == [
        (stored, "bigint" if is_postgres(store_url) else "integer")]


@pytest.mark.parametrize("value", [2.5, float("inf"), float("nan"), True, "12", 2**63, -(2**63) - 1, 1e19])
def test_a_count_that_is_no_whole_number_in_range_refuses_the_row(store_url, value):
    with Store(store_url) as store:
        written = store.write({"Account": [{"platform": "vk", "handle": "a", "status": "ok", "followers": value}]})
        assert (written.stored, written.refused) == ({}, {"Account": 1})
        assert store.load_refused()["reason"].tolist() == ["followers is not a whole number in range"]
        assert store.counts()["accounts"] == 0


def test_a_time_with_an_offset_is_stored_as_utc(store_url):
    moscow = timezone(timedelta(hours=3))
    with Store(store_url) as store:
        store.write({"Post": [{**posts(1)[0], "published_at": datetime(2026, 11, 1, 3, tzinfo=moscow)}]})
        assert store.load_posts()["published_at"].iloc[0] == T


def _database_with_real_counts(path) -> None:
    """What an older pagescout could leave behind: counts stored as REAL, beyond int64 or with fractions."""
    with Store(str(path)) as store:
        store.write({
            "Account": [{"platform": "telegram", "handle": h, "name": h, "followers": 1000, "status": "ok",
                         "fetched_at": T} for h in ("a", "b", "c")],
            "Post": [{"platform": "telegram", "account": h, "post_id": str(i), "views": 10, "likes": 1,
                      "published_at": T, "text": "hello"} for h in ("a", "b", "c") for i in range(3)],
            "Snapshot": [{"platform": "telegram", "account": "a", "date": "2026-10-01", "followers": 900}],
            "AudienceMember": [{"platform": "telegram", "account": "a", "kind": "follower", "member_key": 1,
                                "followers": 5, "follows": 3}],
        })
    conn = sqlite3.connect(path)
    conn.executescript("""
        UPDATE accounts SET followers = 1e30 WHERE handle = 'a';
        UPDATE accounts SET followers = 2.5 WHERE handle = 'b';
        UPDATE posts SET views = 1e30 WHERE post_id = '1';
        UPDATE posts SET likes = 2.5 WHERE post_id = '2';
        UPDATE snapshots SET followers = 1e30;
        UPDATE member_signals SET followers = 1e30, follows = 2.5;
    """)
    conn.commit()
    conn.close()


def test_counts_stored_as_real_read_back_as_nan(tmp_path):
    path = tmp_path / "old.db"
    _database_with_real_counts(path)
    with Store(str(path), create=False) as store:
        accounts = store.load_accounts().set_index("handle")
        posts_frame = store.load_posts()
        signals = store.load_member_signals()
        snapshots = store.load_snapshots()
    assert accounts["followers"].isna().to_dict() == {"a": True, "b": True, "c": False}
    assert accounts.loc["c", "followers"] == 1000
    assert posts_frame["views"].isna().sum() == 3 and posts_frame["likes"].isna().sum() == 3
    assert signals[["followers", "follows"]].isna().all().all() and signals["posts"].isna().all()
    assert signals["member_key"].tolist() == [1]
    assert snapshots["followers"].isna().all()


def test_rank_and_export_work_on_counts_stored_as_real(tmp_path):
    path = tmp_path / "old.db"
    _database_with_real_counts(path)
    ranked = invoke("rank", "--db", path)
    assert ranked.exit_code == 0, ranked.output
    out = tmp_path / "x.csv"
    exported = invoke("export", out, "--db", path)
    assert exported.exit_code == 0, exported.output
    assert len(out.read_text(encoding="utf-8-sig").strip().splitlines()) == 4  # header and three pages


# 4. no row values in any message ----------------------------------------------------------------
def test_a_failed_write_names_no_row_values(store_url):
    with Store(store_url) as store:
        sql_execute(store_url, "DROP TABLE posts", "DROP TABLE refused")  # the database itself is now unusable
        with pytest.raises(StoreError) as raised:
            store.write({"Post": [{**posts(1)[0], "text": PRIVATE}]})
        # SQLite: OperationalError (no such table); PostgreSQL: ProgrammingError (UndefinedTable)
        with pytest.raises(sa.exc.DBAPIError) as failed:
            with store.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO posts (text) VALUES (:text)"), {"text": PRIVATE})
    message = str(raised.value)
    assert message.startswith(f"cannot write to database {store.name}: ") and len(message.splitlines()) == 1
    assert PRIVATE not in message
    assert PRIVATE not in str(failed.value)  # hide_parameters: SQLAlchemy's own messages carry no values


# 5. a busy database is waited for ---------------------------------------------------------------
def _hold_write_lock(path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_busy_database_is_waited_for_and_retried(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.1)
    path = tmp_path / "x.db"
    with Store(str(path)) as store:
        holder = _hold_write_lock(path)
        release = threading.Timer(1.5, holder.commit)
        release.start()
        started = time.monotonic()
        written = store.write({"Post": posts(3)})
        waited = time.monotonic() - started
        release.join()
        holder.close()
        assert written.stored == {"Post": 3} and store.counts()["posts"] == 3
    assert waited >= 1.0  # it waited past several of SQLite's own 0.1 s timeouts


def test_a_database_busy_beyond_patience_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.1)
    monkeypatch.setattr(store_module, "BUSY_PATIENCE_SECONDS", 1.0)
    path = tmp_path / "x.db"
    with Store(str(path)) as store:
        holder = _hold_write_lock(path)
        try:
            with pytest.raises(StoreError) as raised:
                store.write({"Post": posts(3)})
        finally:
            holder.rollback()
            holder.close()
    message = str(raised.value)
    assert message.startswith(f"database {path} is busy: another process is writing to it; ")
    assert len(message.splitlines()) == 1


# pagescout in a process of its own, as every crawl runs, its patience for a busy database cut to half a second
IMPATIENT_CLI = ("import crawler.store as store; store.BUSY_TIMEOUT_SECONDS, store.BUSY_PATIENCE_SECONDS = 0.1, 0.5; "
                 "from cli import app; app(prog_name='pagescout')")


def test_a_crawl_or_an_import_on_a_database_busy_beyond_patience_is_one_line_and_exit_code_2(tmp_path, monkeypatch):
    path = tmp_path / "x.db"
    with Store(str(path)) as store:
        store.write({"Post": posts(3)})
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.1)
    monkeypatch.setattr(store_module, "BUSY_PATIENCE_SECONDS", 0.5)
    holder = _hold_write_lock(path)
    try:
        crawl = subprocess.run([sys.executable, "-c", IMPATIENT_CLI, "crawl", "telegram", "alpha", "--db", str(path),
                                "--base-url", "http://127.0.0.1:9", "--delay", "0", "--quiet"],
                               cwd=REPO, capture_output=True, text=True, timeout=120)
        imported = invoke("import", "instagram", REPO / "data" / "import" / "instagram_accounts.csv", "--db", path)
    finally:
        holder.rollback()
        holder.close()
    busy = (f"Error: database {path} is busy: another process is writing to it; let it finish, "
            "or give this command another --db")
    assert (crawl.returncode, crawl.stdout, crawl.stderr.strip()) == (2, "", busy), crawl.stderr
    assert one_line_error(imported, "is busy") == busy
    assert rows(path, "SELECT count(*) FROM posts") == [(3,)] and rows(path, "SELECT count(*) FROM accounts") == [(0,)]


WRITER = r"""
import json, sys, time
from datetime import datetime, timezone
from pathlib import Path
from crawler.store import Store

db, go, me = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
# The second writer sends every table's rows in the opposite order: on PostgreSQL the two then take row
# locks in opposite orders, and a deadlock, should one come, must be waited out and retried, never lost.
order = (lambda rows: rows[::-1]) if me == "two" else list
own = 1000 if me == "one" else 2000  # each writer's own audience members, beside the shared ones
while not go.exists():
    time.sleep(0.005)
store = Store(db)  # both processes create the fresh database at the same moment
stored, refused = {}, {}
for round_ in range(12):
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    # the same 40 accounts, 200 posts, 40 links, 300 members and 40 snapshots from both, and one row of
    # each (a post, link, member and snapshot a round) that only this writer writes
    batch = {
        "Account": order([{"platform": "telegram", "handle": f"a{i}", "followers": 100 * round_, "status": "ok",
                           "fetched_at": at, "name": me} for i in range(40)]
                         + [{"platform": "telegram", "handle": me, "followers": round_, "status": "ok"}]),
        "Post": order([{"platform": "telegram", "account": f"a{i % 40}", "post_id": str(i), "views": round_,
                        "text": me, "published_at": at} for i in range(200)]
                      + [{"platform": "telegram", "account": me, "post_id": str(round_), "views": round_}]),
        "Link": order([{"platform": "telegram", "src": f"a{i}", "dst": f"a{(i + 1) % 40}", "kind": "forward",
                        "post_id": None} for i in range(40)]
                      + [{"platform": "telegram", "src": me, "dst": "a0", "kind": "forward", "post_id": str(round_)}]),
        "AudienceMember": order([{"platform": "telegram", "account": f"a{i % 40}", "kind": "follower",
                                  "member_key": i, "follows": round_} for i in range(300)]
                                + [{"platform": "telegram", "account": me, "kind": "follower",
                                    "member_key": own + round_, "follows": round_}]),
        "Snapshot": order([{"platform": "telegram", "account": f"a{i}", "date": "2026-11-01", "followers": round_}
                           for i in range(40)]
                          + [{"platform": "telegram", "account": me, "date": f"2026-11-{round_ + 1:02d}",
                              "followers": round_}]),
    }
    written = store.write(batch)
    for kind, n in written.stored.items():
        stored[kind] = stored.get(kind, 0) + n
    for kind, n in written.refused.items():
        refused[kind] = refused.get(kind, 0) + n
print(json.dumps({"secret": store.secret.hex(), "stored": stored, "refused": refused}))
store.close()
"""


def two_writers(db: str, go) -> list[dict]:
    """Run WRITER in two real processes on ``db`` at once; what each says it stored and refused."""
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, db, str(go), name], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("one", "two")]
    time.sleep(0.5)  # both are importing; the go file starts their writes together
    go.touch()
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0 and err == "", err
        results.append(json.loads(out))
    return results


def test_two_processes_writing_the_same_rows_at_once(store_url, tmp_path):
    results = two_writers(store_url, tmp_path / "go")
    assert results[0]["secret"] == results[1]["secret"]  # the database's secret was made once
    for result in results:  # nothing refused, nothing given up on: every write of both went through
        assert result["refused"] == {}
        assert result["stored"] == {"Account": 492, "Post": 2412, "Link": 492, "AudienceMember": 3612,
                                    "Snapshot": 492}
    # no duplicate: each shared row once, beside each writer's own rows
    for table, key in (("accounts", "platform, handle"), ("posts", "platform, account, post_id"),
                       ("links", "platform, src, dst, kind, post_id"),
                       ("audience", "platform, account, kind, member_key"),
                       ("member_signals", "platform, member_key"), ("snapshots", "platform, account, date")):
        assert sql_rows(store_url, f"SELECT {key} FROM {table} GROUP BY {key} HAVING count(*) > 1") == [], table
    with Store(store_url, create=False) as store:
        assert store.counts() == {"accounts": 42, "posts": 224, "links": 64, "audience": 324, "snapshots": 64}
        accounts, posts_frame = store.load_accounts(), store.load_posts()
        audience, signals, snapshots = store.load_audience(), store.load_member_signals(), store.load_snapshots()
    assert len(signals) == 324
    # no loss: every row only one writer wrote is there, with its last value, ...
    for me, own in (("one", 1000), ("two", 2000)):
        assert accounts.set_index("handle").loc[me, "followers"] == 11
        assert sorted(posts_frame.loc[posts_frame["account"] == me, "post_id"].astype(int)) == list(range(12))
        assert sorted(audience.loc[audience["account"] == me, "member_key"]) == [own + r for r in range(12)]
        assert sorted(snapshots.loc[snapshots["account"] == me, "followers"]) == list(range(12))
    # ... and every shared row holds the last round of the writer whose transaction committed last, whole
    shared = accounts[accounts["handle"].str.startswith("a")]
    assert set(shared["followers"]) == {1100} and shared["name"].nunique() == 1
    shared_posts = posts_frame[posts_frame["account"].str.startswith("a")]
    assert set(shared_posts["views"]) == {11} and set(shared_posts["text"]) == set(shared["name"])
    assert set(signals.loc[signals["member_key"] < 1000, "follows"]) == {11}
    assert set(snapshots.loc[snapshots["account"].str.startswith("a"), "followers"]) == {11}


# 6. what --db may name --------------------------------------------------------------------------
def test_an_empty_db_is_an_error_not_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAGESCOUT_DB", raising=False)
    assert resolve_db("") == ""
    with pytest.raises(StoreError, match=r"^--db \(or \$PAGESCOUT_DB\) is empty: give a file path, sqlite:///path"):
        Store("")
    one_line_error(invoke("rank", "--db", ""), "is empty")
    monkeypatch.setenv("PAGESCOUT_DB", "")  # set, to nothing: no silent ./pagescout.db either
    one_line_error(invoke("rank"), "$PAGESCOUT_DB")
    assert not (tmp_path / "pagescout.db").exists()


@pytest.mark.parametrize("db", ["mysql://x", "foo://x", "sqlite://", "sqlite:///:memory:", "://x"])
def test_unsupported_database_urls_name_the_supported_forms(db):
    with pytest.raises(StoreError) as raised:
        Store(db)
    assert str(raised.value).endswith(f"give --db {SUPPORTED_DBS}")


def test_a_sqlite_url_is_a_file(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'u.db'}") as store:
        store.write({"Post": posts(2)})
    assert rows(tmp_path / "u.db", "SELECT count(*) FROM posts") == [(2,)]


@pytest.mark.parametrize("url", ["postgresql://scout:hunter2@localhost/pages",
                                 "postgresql+psycopg://scout:hunter2@localhost/pages"])
def test_postgresql_without_its_driver_is_a_one_line_error(monkeypatch, url):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails, installed or not
    with pytest.raises(StoreError) as raised:
        Store(url)
    assert str(raised.value) == "PostgreSQL needs the postgres extra (the psycopg driver): pip install 'pagescout[postgres]'"
    text = one_line_error(invoke("rank", "--db", url), "pagescout[postgres]")
    assert "hunter2" not in text


def test_a_long_or_unprintable_db_is_cut_in_messages(tmp_path):
    with pytest.raises(StoreError) as raised:
        Store("foo://" + "x" * 5000 + "\n")
    assert "…" in str(raised.value) and len(str(raised.value)) < 250
    with pytest.raises(StoreError) as raised:
        Store(str(tmp_path / ("y" * 200) / "z.db"), create=False)
    assert len(str(raised.value)) < 200 and len(str(raised.value).splitlines()) == 1


# 7. a foreign or newer file is looked at read-only ----------------------------------------------
def test_a_foreign_sqlite_file_is_left_byte_for_byte(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.commit()
    conn.close()
    before = sha256(path)
    for create in (True, False):
        with pytest.raises(StoreError, match="another program"):
            Store(str(path), create=create)
        assert sha256(path) == before
    assert not (tmp_path / "other.db-wal").exists()


def test_a_database_of_a_newer_pagescout_is_left_byte_for_byte(tmp_path):
    path = tmp_path / "newer.db"
    Store(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")  # a newer version may keep its file in rollback mode
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = sha256(path)
    for create in (True, False):
        with pytest.raises(StoreError, match="schema version 99, newer than this pagescout"):
            Store(str(path), create=create)
        assert sha256(path) == before
    assert path.read_bytes()[18:20] == b"\x01\x01"  # still rollback mode: no WAL switch happened


# 8. read-only commands write nothing -------------------------------------------------------------
def _crawled(db) -> None:
    with Store(str(db)) as store:
        store.write({"Account": [{"platform": "telegram", "handle": h, "followers": 1000 + i, "status": "ok",
                                  "fetched_at": T} for i, h in enumerate(("a", "b"))],
                     "Post": posts(3, "a") + posts(3, "b")})


@pytest.mark.parametrize("journal", ["wal", "delete"])  # delete: the user turned WAL off, e.g. to copy one file
def test_rank_and_export_leave_the_database_file_untouched(tmp_path, journal):
    path = tmp_path / "x.db"
    _crawled(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.close()
    before, mtime = sha256(path), path.stat().st_mtime_ns
    assert invoke("rank", "--db", path).exit_code == 0
    assert invoke("export", tmp_path / "x.csv", "--db", path).exit_code == 0
    assert invoke("history", "telegram:a", "--db", path).exit_code == 0
    assert (sha256(path), path.stat().st_mtime_ns) == (before, mtime)


def test_rank_reads_what_a_running_crawl_has_written_to_its_wal(tmp_path):
    path = tmp_path / "x.db"
    _crawled(path)
    before = sha256(path)
    with Store(str(path)) as crawl:  # still open: its rows are in the -wal file, not yet in the database
        crawl.write({"Account": [{"platform": "telegram", "handle": "late", "followers": 5, "status": "ok"}]})
        assert (tmp_path / "x.db-wal").stat().st_size > 0
        ranked = invoke("export", tmp_path / "x.csv", "--db", path)
        assert ranked.exit_code == 0, ranked.output
        assert sha256(path) == before
    assert "late" in (tmp_path / "x.csv").read_text(encoding="utf-8-sig")


def test_a_read_only_store_cannot_write(store_url):
    _crawled(store_url)
    refusal = "read-only transaction" if is_postgres(store_url) else "readonly database"
    with Store(store_url, create=False) as store:
        with pytest.raises(sa.exc.DBAPIError, match=refusal):
            with store.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM accounts")
    assert sql_rows(store_url, "SELECT count(*) FROM accounts") == [(2,)]


def _older_database(db) -> None:
    """A database as an older pagescout made it: no member_signals or refused table, no follows column."""
    _crawled(db)
    sql_execute(db, "DROP TABLE member_signals", "DROP TABLE refused", "ALTER TABLE accounts DROP COLUMN follows")


def test_a_database_of_an_older_version_is_read_without_changing_it(store_url):
    def looks():  # what a read-only command must leave as it is
        seen = sql_tables(store_url), sql_columns(store_url, "accounts")
        return seen if is_postgres(store_url) else (*seen, sha256(Path(store_url)))

    _older_database(store_url)
    before = looks()
    assert not {"member_signals", "refused"} & before[0]
    with Store(store_url, create=False) as store:
        assert store.load_accounts()["follows"].isna().all()
        assert store.load_member_signals().empty and store.load_refused().empty
    ranked = invoke("rank", "--db", store_url)
    assert ranked.exit_code == 0, ranked.output
    assert looks() == before


def test_a_crawl_brings_an_older_database_up_to_date(store_url):
    _older_database(store_url)
    with Store(store_url) as store:
        written = store.write({"Account": [{"platform": "telegram", "handle": "c", "follows": 7, "status": "ok"},
                                           {"platform": "telegram", "handle": "d", "followers": 2.5, "status": "ok"}]})
        assert written.refused == {"Account": 1}
        assert store.load_accounts().set_index("handle").loc["c", "follows"] == 7
        assert store.load_refused()["key"].tolist() == ["telegram/d"]


def test_a_folder_it_may_not_write_is_read_immutable(tmp_path, monkeypatch):
    """As a user who may not write the folder of a cleanly closed WAL database: ``mode=ro`` fails there (it
    would create the -wal and -shm files), so the file is opened immutable. Root writes anywhere, so the
    refusal is simulated with the error SQLite gives such a user."""
    path = tmp_path / "x.db"
    _crawled(path)
    real_connect = sqlite3.connect
    opened = []

    def connect_as_reader(target, *args, **kwargs):
        opened.append(str(target))
        if "mode=ro" in str(target):
            error = sqlite3.OperationalError("attempt to write a readonly database")
            error.sqlite_errorname = "SQLITE_READONLY_DIRECTORY"
            raise error
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect_as_reader)
    with Store(str(path), create=False) as store:
        assert len(store.load_accounts()) == 2
    assert any("immutable=1" in uri for uri in opened)
    (tmp_path / "x.db-wal").write_bytes(b"")  # a write may be in flight: immutable would not see it
    with pytest.raises(StoreError, match="cannot use database"):
        Store(str(path), create=False)


def test_another_programs_meta_table_is_another_program(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (name TEXT, version INTEGER)")
    conn.commit()
    conn.close()
    before = sha256(path)
    with pytest.raises(StoreError, match="is a database of another program: pass another --db"):
        Store(str(path))
    assert sha256(path) == before


def test_a_path_with_uri_characters_opens_read_only_too(tmp_path):
    path = tmp_path / "a b?c#d%20e&mode=rw.db"  # characters a SQLite URI would otherwise read as its own
    _crawled(path)
    with Store(str(path), create=False) as store:
        assert len(store.load_accounts()) == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == [path.name]


def test_one_batch_repeating_a_key_is_stored_as_upserts_one_by_one_would(store_url):
    from crawler.items import Account, Post

    # PostgreSQL refuses one statement touching a key twice: a page repeating a post, or an account
    # parsed ok and marked unavailable in the same batch, must still be stored.
    with Store(store_url) as store:
        written = store.write({
            "Account": [vars(Account("telegram", "alpha", name="Alpha", followers=10)),
                        vars(Account("telegram", "alpha", status="unavailable", reason="invalid answer: x"))],
            "Post": [vars(Post("telegram", "alpha", "1", views=5)), vars(Post("telegram", "alpha", "1", views=7))],
        })
        accounts, posts = store.load_accounts(), store.load_posts()
    assert written.stored == {"Account": 1, "Post": 1} and not written.refused
    assert accounts[["name", "followers", "status", "reason"]].values.tolist() == \
        [["Alpha", 10, "unavailable", "invalid answer: x"]]
    assert posts["views"].tolist() == [7]


def test_a_second_store_on_a_file_already_open_never_reads_it_outside_sqlite(tmp_path, monkeypatch):
    """Closing any descriptor of a file drops the process's POSIX locks on it, SQLite's included: a worker
    opens a store per crawl it joins, and a header read then let other processes write beside its
    transactions (the file came out "malformed")."""
    from pathlib import Path

    db = tmp_path / "x.db"
    opened, real_open = [], Path.open

    def watched(self, *args, **kwargs):
        opened.append(Path(self))
        return real_open(self, *args, **kwargs)

    with Store(str(db)) as first:
        first.write({"Post": posts(3)})
        monkeypatch.setattr(Path, "open", watched)
        with Store(str(db)) as second:
            second.write({"Post": posts(5)})
        monkeypatch.undo()
        assert first.counts()["posts"] == 5
    assert db not in opened
    with pytest.raises(StoreError, match="not a SQLite database"):  # a file never opened here is still checked
        (tmp_path / "other.db").write_bytes(b"not sqlite at all, no")
        Store(str(tmp_path / "other.db"))
