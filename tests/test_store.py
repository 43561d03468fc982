"""The store: idempotent upserts, one snapshot a day, keyed member hashes, refusing foreign files.

Tests taking ``store_url`` (or ``new_store_url``) run twice: on a SQLite file and on a throwaway
PostgreSQL database (``tests/conftest.py``); the rest are about SQLite files or need no database."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import is_postgres, sql_columns, sql_execute, sql_rows, sql_tables
from crawler.items import Account, AudienceMember, Link, Post, Snapshot
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


def test_writing_twice_updates_never_duplicates(store_url):
    with Store(store_url) as store:
        store.write(batch(100))
        store.write(batch(150))
        assert store.counts() == {"accounts": 1, "posts": 1, "links": 2, "audience": 1, "snapshots": 1}
        assert store.load_accounts()["followers"].tolist() == [150]
        assert store.load_snapshots()["followers"].tolist() == [150]


def test_snapshots_one_per_day(store_url):
    with Store(store_url) as store:
        for day in ("2026-11-01", "2026-11-02", "2026-11-02"):
            store.write({"Snapshot": [{"platform": "telegram", "account": "a", "date": day, "followers": 1}]})
        assert len(store.load_snapshots()) == 2


def test_unavailable_page_keeps_what_earlier_crawls_learned(store_url):
    with Store(store_url) as store:
        store.write(batch(100))
        store.write({"Account": [{"platform": "telegram", "handle": "a", "status": "unavailable", "reason": "gone"}]})
        row = store.load_accounts().iloc[0]
        assert (row["status"], row["reason"], row["name"], row["followers"]) == ("unavailable", "gone", "Channel", 100)


def test_datetimes_come_back_utc(store_url):
    with Store(store_url) as store:
        store.write(batch())
        assert store.load_posts()["published_at"].iloc[0] == T


def test_secret_is_made_once_per_database(new_store_url):
    path = new_store_url()
    with Store(path) as first:
        secret = first.secret
    with Store(path) as again:
        assert again.secret == secret
    with Store(new_store_url()) as other:
        assert other.secret != secret
        assert other.member_key("12345") != member_key(secret, "12345")


def test_rows_round_trip(store_url):
    with Store(store_url) as store:
        written = store.write({
            "Account": [vars(Account("telegram", "alpha", name="Альфа", followers=2**62))],
            "Post": [vars(Post("telegram", "alpha", "1", views=10, text="пост"))],
            "Link": [vars(Link("telegram", "alpha", "beta", "mention", "1"))],
            "AudienceMember": [vars(AudienceMember("bluesky", "alpha", "follower", member_key=-5, has_avatar=True))],
            "Snapshot": [vars(Snapshot("telegram", "alpha", "2026-12-01", 10))],
        })
        assert written.stored == {"Account": 1, "Post": 1, "Link": 1, "AudienceMember": 1, "Snapshot": 1}
        assert store.load_accounts()[["name", "followers"]].values.tolist() == [["Альфа", 2**62]]
        assert store.load_posts()["text"].tolist() == ["пост"]
        assert store.load_audience()["member_key"].tolist() == [-5]
        assert store.load_member_signals()["has_avatar"].tolist() == [True]


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


def test_refuses_database_of_another_program(store_url):
    sql_execute(store_url, "CREATE TABLE invoices (id INTEGER)")
    for create in (True, False):
        with pytest.raises(StoreError, match="another program"):
            Store(store_url, create=create)
    assert sql_tables(store_url) == {"invoices"}


def test_read_only_use_needs_existing_database(store_url):
    # SQLite: no file; PostgreSQL: a database with no pagescout tables. Either way nothing is created.
    with pytest.raises(StoreError, match="holds no pagescout data" if is_postgres(store_url) else "no database at"):
        Store(store_url, create=False)
    if is_postgres(store_url):
        assert sql_tables(store_url) == set()
    else:
        assert not Path(store_url).exists()
    with Store(store_url) as store:
        store.write({"Account": [vars(Account("telegram", "alpha"))]})
    with Store(store_url, create=False) as store:
        assert store.counts()["accounts"] == 1


def test_db_path_resolution(monkeypatch):
    monkeypatch.delenv("PAGESCOUT_DB", raising=False)
    assert resolve_db(None) == "pagescout.db"
    monkeypatch.setenv("PAGESCOUT_DB", "/data/x.db")
    assert resolve_db(None) == "/data/x.db"
    assert resolve_db("mine.db") == "mine.db"
    assert resolve_db("") == ""  # for Store to refuse: an empty --db must not mean $PAGESCOUT_DB or the default


def test_a_snapshot_without_a_count_keeps_the_days_count(store_url):
    with Store(store_url) as store:
        store.write({"Snapshot": [{"platform": "vk", "account": "a", "date": "2026-11-01", "followers": 500}]})
        store.write({"Snapshot": [{"platform": "vk", "account": "a", "date": "2026-11-01", "followers": None}]})
        assert store.load_snapshots()["followers"].tolist() == [500]


# Columns member_signals gained for bot detection (VK's profile signals): an older database has none of them.
BOT_SIGNALS = ("can_message", "can_post", "has_status", "has_site", "is_closed", "has_mobile", "has_birthday",
               "has_city", "has_occupation", "can_see_all_posts", "can_see_audio", "can_send_friend_request",
               "can_be_invited_group", "has_nickname", "has_maiden_name", "is_verified")


def member(key, **signals):
    return {"platform": "vk", "account": "a", "kind": "member", "member_key": key, **signals}


def test_bot_signal_columns_are_in_the_store():
    from crawler.store import MEMBER_SIGNALS, member_signals_table

    for name in BOT_SIGNALS:
        assert name in MEMBER_SIGNALS
        assert isinstance(member_signals_table.c[name].type, sa.Boolean) and member_signals_table.c[name].nullable


def _drop_bot_signals(db) -> None:
    sql_execute(db, *(f'ALTER TABLE member_signals DROP COLUMN "{name}"' for name in BOT_SIGNALS))
    assert not set(BOT_SIGNALS) & sql_columns(db, "member_signals")


def test_a_database_made_before_the_bot_signals_gets_them_on_open_and_keeps_its_rows(store_url):
    path = store_url
    with Store(path) as store:
        store.write({"AudienceMember": [member(1, has_avatar=True, followers=10, last_seen=T),
                                        member(2, deactivated=True)]})
    _drop_bot_signals(path)

    with Store(path) as store:
        assert set(BOT_SIGNALS) <= sql_columns(path, "member_signals")
        kept = store.load_member_signals().set_index("member_key")
        assert (kept.loc[1, "has_avatar"], kept.loc[1, "followers"], kept.loc[1, "last_seen"]) == (True, 10, T)
        assert kept.loc[2, "deactivated"] == True  # noqa: E712 (a numpy bool)
        assert kept[list(BOT_SIGNALS)].isna().all().all()
        # the new columns take values, and a later sighting without them keeps them (coalesce)
        store.write({"AudienceMember": [member(1, has_status=True, is_closed=False, can_message=False)]})
        store.write({"AudienceMember": [member(1, has_avatar=False)]})
        row = store.load_member_signals().set_index("member_key").loc[1]
        assert (row["has_status"], row["is_closed"], row["can_message"], row["has_avatar"], row["followers"]) == (
            True, False, False, False, 10)
        assert row[[n for n in BOT_SIGNALS if n not in ("has_status", "is_closed", "can_message")]].isna().all()
    assert sql_rows(path, "SELECT count(*) FROM member_signals") == [(2,)]


def test_an_older_database_read_only_shows_the_bot_signals_as_not_shown(store_url):
    path = store_url
    with Store(path) as store:
        store.write({"AudienceMember": [member(1, has_avatar=True)]})
    _drop_bot_signals(path)
    with Store(path, create=False) as store:
        signals = store.load_member_signals()
    assert signals["has_avatar"].tolist() == [True]
    assert signals[list(BOT_SIGNALS)].isna().all().all()
    # read-only: nothing added
    assert not set(BOT_SIGNALS) & sql_columns(path, "member_signals")
