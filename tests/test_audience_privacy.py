"""Audience members are stored as keyed hashes with a few quality signals, never as who they are: not in
the database, not in the crawl's output, not in requests that a resumable crawl saves to disk."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from conftest import make_spider
from crawler.items import AudienceMember
from crawler.pipelines import HashMemberPipeline, StorePipeline
from crawler.spiders.bluesky import BlueskySpider
from crawler.spiders.mastodon import MastodonSpider
from crawler.store import Store, member_signals_table
from fake_social import bluesky_crawl, bluesky_world, mastodon_crawl  # noqa: F401  (session fixtures)


def identities(platform: str, members: list[dict]) -> set[str]:
    """Every way the fake servers named an audience member: ids, handles, names, profile URLs."""
    fields = ("did", "handle", "displayName", "avatar") if platform == "bluesky" else \
        ("id", "acct", "url", "uri", "display_name", "avatar")
    found = {str(m[f]) for m in members for f in fields if m.get(f)}
    assert len(found) > 10
    return found


def files_of(db: Path) -> list[Path]:
    """The database and everything SQLite or a resumable crawl keeps beside it."""
    paths = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    return [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]


@pytest.fixture(params=["bluesky", "mastodon"])
def crawled(request):
    crawl = request.getfixturevalue(f"{request.param}_crawl")
    assert crawl.returncode == 0, crawl.stderr
    return request.param, crawl


def test_audience_was_stored(crawled):
    _, crawl = crawled
    with sqlite3.connect(crawl.db) as conn:
        assert conn.execute("SELECT count(*) FROM audience").fetchone()[0] >= 8
        assert conn.execute("SELECT count(*) FROM member_signals").fetchone()[0] >= 7


def test_no_member_identity_anywhere_in_the_database_files(crawled):
    platform, crawl = crawled
    blob = b"".join(f.read_bytes() for f in files_of(crawl.db))
    leaked = sorted(i for i in identities(platform, crawl.world.members) if i.encode("utf-8") in blob)
    assert leaked == []


def test_no_member_identity_in_the_crawl_output(crawled):
    platform, crawl = crawled
    output = crawl.stdout + crawl.stderr
    assert [i for i in identities(platform, crawl.world.members) if i in output] == []


def test_no_job_folder_left_after_a_finished_crawl(crawled):
    _, crawl = crawled
    assert not [f for f in files_of(crawl.db) if ".jobs" in str(f)]


def test_member_signals_table_has_no_text_beyond_the_platform():
    text = [c.name for c in member_signals_table.columns if isinstance(c.type, (sa.String, sa.Text))]
    assert text == ["platform"]


def test_audience_rows_are_hashes(crawled):
    _, crawl = crawled
    with sqlite3.connect(crawl.db) as conn:
        types = {t for (t,) in conn.execute("SELECT DISTINCT typeof(member_key) FROM audience")}
        signal_types = {t for (t,) in conn.execute("SELECT DISTINCT typeof(member_key) FROM member_signals")}
    assert types == signal_types == {"integer"}


# requests a resumable crawl saves (Scrapy's JOBDIR) ---------------------------------------------------
def followers_page(world, did: str, cursor: str | None = None) -> tuple[TextResponse, list[dict]]:
    status, _, body = world.answer("/xrpc/app.bsky.graph.getFollowers", {"actor": did, "limit": "100",
                                                                         **({"cursor": cursor} if cursor else {})})
    url = f"https://public.api.bsky.app/xrpc/app.bsky.graph.getFollowers?actor={did}"
    response = TextResponse(url=url, body=json.dumps(body).encode(), status=status, request=Request(url),
                            encoding="utf-8")
    return response, body["followers"]


def test_follow_up_requests_and_spider_state_carry_no_member_ids():
    world = bluesky_world()
    alice = world.profiles["alice.bsky.social"]
    spider = make_spider(BlueskySpider, seeds=["alice.bsky.social"])
    response, followers = followers_page(world, alice["did"])
    results = list(spider.parse_audience(response, handle="alice.bsky.social", kind="follower",
                                         method="app.bsky.graph.getFollowers", params={"actor": alice["did"]}))
    (following,) = [r for r in results if isinstance(r, Request)]
    saved = repr((following.url, following.meta, following.cb_kwargs, spider.state))
    assert followers and not [f for f in followers if f["did"] in saved or f["handle"] in saved]
    assert spider.state["audience_taken"] == {"alice.bsky.social\tfollower": 3}


def test_audience_limit_zero_makes_no_members():
    spider = make_spider(MastodonSpider, seeds=["alice"], base_url="https://example.social", audience_limit=0)
    assert spider.member("alice@example.social", "follower", "https://example.social/users/x") is None


# pipelines and store -----------------------------------------------------------------------------
def test_pipelines_store_the_hash_and_the_signals_only(tmp_path):
    db = tmp_path / "p.db"
    crawler = get_crawler(BlueskySpider, settings_dict={"PAGESCOUT_DB": str(db), "PAGESCOUT_FLUSH_ITEMS": 1000,
                                                        "PAGESCOUT_FLUSH_SECONDS": 1000})
    hasher, storer = HashMemberPipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)
    hasher.open_spider()
    storer.open_spider()
    raw = "did:plc:ab3cd4ef5gh6ij7kl2mn3op4"
    member = AudienceMember("bluesky", "alice.bsky.social", "follower", member_id=raw, has_avatar=False,
                            has_description=True, created_at=datetime(2024, 3, 1, tzinfo=timezone.utc))
    storer.process_item(hasher.process_item(member))
    storer.close_spider()
    assert member.member_id is None and isinstance(member.member_key, int)
    with Store(str(db)) as store:
        signals = store.load_member_signals("bluesky")
        assert store.member_key(raw) == member.member_key
    assert signals[["member_key", "has_avatar", "has_description"]].to_dict("records") == [
        {"member_key": member.member_key, "has_avatar": False, "has_description": True}]
    assert raw.encode() not in b"".join(f.read_bytes() for f in files_of(db))


def test_later_sighting_without_a_signal_keeps_the_known_one(tmp_path):
    with Store(str(tmp_path / "s.db")) as store:
        row = {"platform": "mastodon", "account": "a@x", "kind": "follower", "member_key": 42}
        store.write({"AudienceMember": [{**row, "follows": 10, "has_avatar": True}]})
        store.write({"AudienceMember": [{**row, "kind": "liker", "follows": None, "posts": 7}]})
        (signals,) = store.load_member_signals("mastodon").to_dict("records")
        assert (signals["follows"], signals["has_avatar"], signals["posts"]) == (10, True, 7)
        assert len(store.load_audience("mastodon")) == 2


def test_same_member_twice_in_one_batch_is_one_signals_row(tmp_path):
    with Store(str(tmp_path / "s.db")) as store:
        rows = [{"platform": "bluesky", "account": a, "kind": "follower", "member_key": 7, "has_avatar": True}
                for a in ("a", "b")]
        store.write({"AudienceMember": rows})
        assert len(store.load_member_signals()) == 1


def test_older_database_gains_the_new_columns(tmp_path):
    db = tmp_path / "old.db"
    Store(str(db)).close()
    with sqlite3.connect(db) as conn:  # as a database made before follows/posts_total existed
        conn.execute("ALTER TABLE accounts DROP COLUMN follows")
        conn.execute("ALTER TABLE accounts DROP COLUMN posts_total")
        conn.execute("DROP TABLE member_signals")
    with Store(str(db), create=False) as store:
        assert {"follows", "posts_total"} <= set(store.load_accounts().columns)
        assert store.load_member_signals().empty
