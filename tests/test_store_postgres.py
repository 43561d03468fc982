"""The store on a real PostgreSQL server: the same upserts, row-level isolation, read-only opening and
concurrent writers as on SQLite, and a whole crawl → rank through the CLI.

The server comes from ``$PAGESCOUT_TEST_POSTGRES`` (a URL to a database pagescout may create others
from; ``.ci/run`` starts a throwaway cluster and sets it). Each test gets a database of its own.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from conftest import run_cli
from crawler.items import Account, AudienceMember, Link, Post, Snapshot
from crawler.sample_site import SampleTelegram
from crawler.store import Store, StoreError
from test_store_faults import two_writers

SERVER = os.environ.get("PAGESCOUT_TEST_POSTGRES")


@pytest.fixture
def pg_url():
    if not SERVER:
        if os.environ.get("CI"):
            pytest.fail("CI must provide $PAGESCOUT_TEST_POSTGRES (.ci/run starts PostgreSQL)")
        pytest.skip("no PostgreSQL server: set $PAGESCOUT_TEST_POSTGRES=postgresql://user@host:port/db")
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra is not installed: pip install -e '.[postgres]'")
    name = f"pagescout_{uuid.uuid4().hex[:12]}"
    admin = SERVER.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = SERVER.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_rows_round_trip(pg_url):
    with Store(pg_url) as store:
        written = store.write({
            "Account": [vars(Account("telegram", "alpha", name="Альфа", followers=2**62))],
            "Post": [vars(Post("telegram", "alpha", "1", views=10, text="пост"))],
            "Link": [vars(Link("telegram", "alpha", "beta", "mention", "1"))],
            "AudienceMember": [vars(AudienceMember("bluesky", "alpha", "follower", member_key=-5, has_avatar=True))],
            "Snapshot": [vars(Snapshot("telegram", "alpha", "2026-12-01", 10))],
        })
        assert written.stored == {"Account": 1, "Post": 1, "Link": 1, "AudienceMember": 1, "Snapshot": 1}
        assert store.load_accounts()[["name", "followers"]].values.tolist() == [["Альфа", 2**62]]
        assert store.load_audience()["member_key"].tolist() == [-5]
        assert store.load_member_signals()["has_avatar"].tolist() == [True]


def test_a_row_the_server_refuses_costs_only_itself(pg_url):
    too_long = "h" * 300  # VARCHAR(255): PostgreSQL refuses it, SQLite would not
    with Store(pg_url) as store:
        written = store.write({"Account": [vars(Account("telegram", "alpha", followers=5)),
                                           vars(Account("telegram", too_long))],
                               "Post": [vars(Post("telegram", "alpha", str(i))) for i in range(20)]})
        assert written.stored == {"Account": 1, "Post": 20} and written.refused == {"Account": 1}
        refused = store.load_refused()
        assert refused["kind"].tolist() == ["Account"] and "too long" in refused["reason"].iloc[0]


def test_one_batch_repeating_a_key_is_one_row(pg_url):
    with Store(pg_url) as store:
        written = store.write({
            "Account": [vars(Account("telegram", "alpha", name="Alpha", followers=10)),
                        vars(Account("telegram", "alpha", status="unavailable", reason="invalid answer: x"))],
            "Post": [vars(Post("telegram", "alpha", "1", views=5)), vars(Post("telegram", "alpha", "1", views=7))],
        })
        assert written.stored == {"Account": 1, "Post": 1} and not written.refused
        assert store.load_accounts()[["name", "status"]].values.tolist() == [["Alpha", "unavailable"]]


def test_read_only_opening_creates_nothing(pg_url):
    with pytest.raises(StoreError, match="no pagescout data"):
        Store(pg_url, create=False)
    with Store(pg_url) as store:
        store.write({"Account": [vars(Account("telegram", "alpha"))]})
    with Store(pg_url, create=False) as store:
        assert store.counts()["accounts"] == 1


def test_two_processes_writing_the_same_rows_at_once(pg_url, tmp_path):
    results = two_writers(pg_url, tmp_path / "go")
    assert results[0]["secret"] == results[1]["secret"]
    assert all(result["refused"] == {} for result in results)
    with Store(pg_url, create=False) as store:
        assert store.counts() == {"accounts": 40, "posts": 200, "links": 40, "audience": 300, "snapshots": 40}


def test_crawl_and_rank_through_the_cli(pg_url):
    spec = {"page_size": 10, "channels": {
        name: {"title": name.title(), "subscribers": 1000 * (i + 1),
               "posts": [{"id": n, "date": f"2026-10-{n:02d}T10:00:00+00:00", "text": f"post {n}", "views": 100 * n}
                         for n in range(1, 16)]} for i, name in enumerate(("alpha_news", "beta_blog"))}}
    with SampleTelegram(spec) as site:
        result = run_cli("crawl", "telegram", "alpha_news", "beta_blog", "--base-url", site.url, "--delay", "0",
                         "--quiet", "--db", pg_url)
    assert result.returncode == 0, result.stderr
    assert "crawl finished" in result.stderr and "30 posts" in result.stderr
    ranked = run_cli("rank", "--db", pg_url, "--format", "json")
    assert ranked.returncode == 0, ranked.stderr
    assert sorted(row["handle"] for row in json.loads(ranked.stdout)) == ["alpha_news", "beta_blog"]
