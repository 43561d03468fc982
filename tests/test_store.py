"""The store: idempotent upserts, one snapshot a day, keyed member hashes, refusing foreign files."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from crawler.store import Store, StoreError, member_key, resolve_db

T = datetime(2026, 11, 1, tzinfo=timezone.utc)


def batch(followers=100, name="Channel"):
    return {
        "Account": [{"platform": "telegram", "handle": "a", "name": name, "followers": followers, "status": "ok",
                     "fetched_at": T}],
        "Post": [{"platform": "telegram", "account": "a", "post_id": "1", "views": 10, "published_at": T}],
        "Link": [{"platform": "telegram", "src": "a", "dst": "b", "kind": "forward", "post_id": "1", "at": T},
                 {"platform": "telegram", "src": "a", "dst": "b", "kind": "follow", "post_id": None}],
        "Snapshot": [{"platform": "telegram", "account": "a", "date": "2026-11-01", "followers": followers}],
        "AudienceMember": [{"platform": "telegram", "account": "a", "kind": "follower", "member_key": 42}],
    }


def test_writing_twice_updates_never_duplicates(tmp_path):
    with Store(str(tmp_path / "x.db")) as store:
        store.write(batch(100))
        store.write(batch(150))
        assert store.counts() == {"accounts": 1, "posts": 1, "links": 2, "audience": 1, "snapshots": 1}
        assert store.load_accounts()["followers"].tolist() == [150]
        assert store.load_snapshots()["followers"].tolist() == [150]


def test_snapshots_one_per_day(tmp_path):
    with Store(str(tmp_path / "x.db")) as store:
        for day in ("2026-11-01", "2026-11-02", "2026-11-02"):
            store.write({"Snapshot": [{"platform": "telegram", "account": "a", "date": day, "followers": 1}]})
        assert len(store.load_snapshots()) == 2


def test_unavailable_page_keeps_what_earlier_crawls_learned(tmp_path):
    with Store(str(tmp_path / "x.db")) as store:
        store.write(batch(100))
        store.write({"Account": [{"platform": "telegram", "handle": "a", "status": "unavailable", "reason": "gone"}]})
        row = store.load_accounts().iloc[0]
        assert (row["status"], row["reason"], row["name"], row["followers"]) == ("unavailable", "gone", "Channel", 100)


def test_datetimes_come_back_utc(tmp_path):
    with Store(str(tmp_path / "x.db")) as store:
        store.write(batch())
        assert store.load_posts()["published_at"].iloc[0] == T


def test_secret_is_made_once_per_database(tmp_path):
    path = str(tmp_path / "x.db")
    with Store(path) as first:
        secret = first.secret
    with Store(path) as again:
        assert again.secret == secret
    with Store(str(tmp_path / "other.db")) as other:
        assert other.secret != secret
        assert other.member_key("12345") != member_key(secret, "12345")


def test_member_key_is_signed_64_bit_and_stable():
    key = member_key(b"k" * 32, "12345")
    assert -(2**63) <= key < 2**63
    assert key == member_key(b"k" * 32, "12345")


def test_wal_mode(tmp_path):
    Store(str(tmp_path / "x.db")).close()
    assert sqlite3.connect(tmp_path / "x.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_refuses_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not a database")
    with pytest.raises(StoreError, match="not a SQLite database"):
        Store(str(path))
    assert path.read_text() == "hello, this is not a database"


def test_refuses_database_of_another_program(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="another program"):
        Store(str(path))
    assert [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")] == ["invoices"]


def test_read_only_use_needs_existing_database(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        Store(str(tmp_path / "missing.db"), create=False)
    assert not (tmp_path / "missing.db").exists()


def test_db_path_resolution(monkeypatch):
    monkeypatch.delenv("PAGESCOUT_DB", raising=False)
    assert resolve_db(None) == "pagescout.db"
    monkeypatch.setenv("PAGESCOUT_DB", "/data/x.db")
    assert resolve_db(None) == "/data/x.db"
    assert resolve_db("mine.db") == "mine.db"
    assert resolve_db("") == ""  # for Store to refuse: an empty --db must not mean $PAGESCOUT_DB or the default


def test_a_snapshot_without_a_count_keeps_the_days_count(tmp_path):
    with Store(str(tmp_path / "x.db")) as store:
        store.write({"Snapshot": [{"platform": "vk", "account": "a", "date": "2026-11-01", "followers": 500}]})
        store.write({"Snapshot": [{"platform": "vk", "account": "a", "date": "2026-11-01", "followers": None}]})
        assert store.load_snapshots()["followers"].tolist() == [500]
