"""What only a real PostgreSQL server shows: a value its schema refuses where SQLite takes anything, and a
whole crawl → rank through the CLI.

The store's own tests (``tests/test_store.py``, ``tests/test_store_faults.py``) run on PostgreSQL too,
through the ``store_url`` fixture of ``tests/conftest.py``. The server comes from
``$PAGESCOUT_TEST_POSTGRES`` (a URL to a database pagescout may create others from; ``.ci/run`` starts a
throwaway cluster and sets it). Each test gets a database of its own.
"""

from __future__ import annotations

import json

import pytest

from conftest import postgres_database, run_cli
from crawler.items import Account, Post
from crawler.sample_site import SampleTelegram
from crawler.store import Store


@pytest.fixture
def pg_url():
    with postgres_database() as url:
        yield url


def test_a_row_the_server_refuses_costs_only_itself(pg_url):
    too_long = "h" * 300  # VARCHAR(255): PostgreSQL refuses it, SQLite would not
    with Store(pg_url) as store:
        written = store.write({"Account": [vars(Account("telegram", "alpha", followers=5)),
                                           vars(Account("telegram", too_long))],
                               "Post": [vars(Post("telegram", "alpha", str(i))) for i in range(20)]})
        assert written.stored == {"Account": 1, "Post": 20} and written.refused == {"Account": 1}
        refused = store.load_refused()
        assert refused["kind"].tolist() == ["Account"] and "too long" in refused["reason"].iloc[0]


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
