"""Pipelines, called directly as Scrapy would: each fix and drop is counted in the crawl stats."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import Account, AudienceMember, Link, Post
from crawler.pipelines import HashMemberPipeline, NormalisePipeline, StorePipeline, ValidatePipeline
from crawler.store import Store, StoreError, member_key


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(settings_dict={"PAGESCOUT_DB": str(tmp_path / "p.db")})
    crawler._apply_settings()
    return crawler


def test_normalise_trims_text_blanks_negative_counts_and_makes_utc(crawler):
    pipeline = NormalisePipeline.from_crawler(crawler)
    post = pipeline.process_item(Post("telegram", "a", "1", text="  hi  ", views=-5, published_at=datetime(2026, 1, 1)))
    assert (post.text, post.views, str(post.published_at.tzinfo)) == ("hi", None, "UTC")
    assert crawler.stats.get_value("pagescout/invalid/telegram/views") == 1


@pytest.mark.parametrize(
    "item,reason",
    [(Link("telegram", "a", "a", "mention"), "self link"),
     (Link("telegram", "a", "b", "likes"), "unknown link kind"),
     (Account("telegram", "a", status="weird"), "unknown account status"),
     (Post("telegram", "", "1"), "post without account or id"),
     (AudienceMember("telegram", "a", "follower"), "audience member without id")],
)
def test_validate_drops_with_reason_and_counts(crawler, item, reason):
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(item)
    assert crawler.stats.get_value(f"pagescout/validate/dropped/{reason.replace(' ', '_')}") == 1


def test_hash_pipeline_replaces_raw_id_with_keyed_hash(crawler, tmp_path):
    pipeline = HashMemberPipeline.from_crawler(crawler)
    pipeline.open_spider()
    member = pipeline.process_item(AudienceMember("bluesky", "a", "follower", member_id="did:plc:raw"))
    with Store(str(tmp_path / "p.db")) as store:
        assert member.member_key == member_key(store.secret, "did:plc:raw")
    assert member.member_id is None


def test_store_pipeline_writes_everything_at_close(crawler, tmp_path):
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(Account("telegram", "a", followers=5))
    pipeline.process_item(Post("telegram", "a", "1", views=3))
    pipeline.close_spider()
    with Store(str(tmp_path / "p.db")) as store:
        assert store.counts()["accounts"] == 1 and store.counts()["posts"] == 1
    assert crawler.stats.get_value("pagescout/store/Post") == 1


@pytest.fixture
def buffering_crawler(tmp_path):
    """A crawler whose store pipeline flushes only when told to."""
    crawler = get_crawler(settings_dict={"PAGESCOUT_DB": str(tmp_path / "p.db"), "PAGESCOUT_FLUSH_ITEMS": 10_000,
                                         "PAGESCOUT_FLUSH_SECONDS": 3600})
    crawler._apply_settings()
    return crawler


def test_store_stats_count_rows_stored_and_rows_refused(buffering_crawler, tmp_path):
    pipeline = StorePipeline.from_crawler(buffering_crawler)
    pipeline.open_spider()
    for i, views in enumerate((3, 2**70, 5)):  # 2**70 does not fit a BIGINT
        pipeline.process_item(Post("telegram", "a", str(i), views=views))
    assert buffering_crawler.stats.get_value("pagescout/store/Post") is None  # seen is not stored
    pipeline.close_spider()
    stats = buffering_crawler.stats
    assert (stats.get_value("pagescout/store/Post"), stats.get_value("pagescout/refused/Post")) == (2, 1)
    assert stats.get_value("pagescout/store/transactions") == 1
    with Store(str(tmp_path / "p.db")) as store:
        assert store.counts()["posts"] == 2
        assert store.load_refused()["key"].tolist() == ["telegram/a/1"]


def test_a_failed_flush_clears_its_buffer_so_later_flushes_store(buffering_crawler, tmp_path):
    pipeline = StorePipeline.from_crawler(buffering_crawler)
    pipeline.open_spider()
    real_write = pipeline.store.write
    calls = []

    def write_failing_once(batch):
        calls.append(sum(len(rows) for rows in batch.values()))
        if len(calls) == 1:
            raise StoreError("database p.db is busy: another process is writing to it; let it finish")
        return real_write(batch)

    pipeline.store.write = write_failing_once
    pipeline.process_item(Post("telegram", "a", "1"))
    pipeline.process_item(Account("telegram", "a"))
    pipeline.flush()  # must not raise
    assert (pipeline.buffered, dict(pipeline.buffer)) == (0, {})
    pipeline.process_item(Post("telegram", "a", "2"))
    pipeline.close_spider()
    assert calls == [2, 1]  # the lost rows were not offered again with the next batch
    stats = buffering_crawler.stats
    assert stats.get_value("pagescout/lost/Post") == 1 and stats.get_value("pagescout/lost/Account") == 1
    assert stats.get_value("pagescout/store/Post") == 1 and stats.get_value("pagescout/store/transactions") == 1
    with Store(str(tmp_path / "p.db")) as store:
        assert store.load_posts()["post_id"].tolist() == ["2"]


def test_an_unusable_database_is_one_log_line_without_row_values(buffering_crawler, tmp_path, caplog):
    pipeline = StorePipeline.from_crawler(buffering_crawler)
    pipeline.open_spider()
    conn = sqlite3.connect(tmp_path / "p.db")
    conn.executescript("DROP TABLE posts; DROP TABLE refused;")  # not even the refusals can be written
    conn.close()
    for i in range(3):
        pipeline.process_item(Post("telegram", "a", str(i), text="PRIVATE-POST-TEXT"))
    with caplog.at_level(logging.ERROR):
        pipeline.close_spider()  # must not raise
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and len(errors[0].splitlines()) == 1
    assert errors[0].startswith(f"cannot write to database {tmp_path / 'p.db'}: no such table: posts")
    assert "PRIVATE-POST-TEXT" not in caplog.text
    assert buffering_crawler.stats.get_value("pagescout/lost/Post") == 3
    assert buffering_crawler.stats.get_value("pagescout/store/Post") is None
