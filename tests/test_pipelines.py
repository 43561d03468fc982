"""Pipelines, called directly as Scrapy would: each fix and drop is counted in the crawl stats."""

from __future__ import annotations

from datetime import datetime

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import Account, AudienceMember, Link, Post
from crawler.pipelines import HashMemberPipeline, NormalisePipeline, StorePipeline, ValidatePipeline
from crawler.store import Store, member_key


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(settings_dict={"PAGESCOUT_DB": str(tmp_path / "p.db")})
    crawler._apply_settings()
    return crawler


def test_normalise_trims_text_blanks_negative_counts_and_makes_utc(crawler):
    pipeline = NormalisePipeline.from_crawler(crawler)
    post = pipeline.process_item(Post("telegram", "a", "1", text="  hi  ", views=-5, published_at=datetime(2026, 1, 1)))
    assert (post.text, post.views, str(post.published_at.tzinfo)) == ("hi", None, "UTC")
    stats = crawler.stats.get_stats()
    assert stats["pagescout/normalise/trimmed_text"] == 1
    assert stats["pagescout/normalise/negative_views"] == 1
    assert stats["pagescout/normalise/naive_datetime"] == 1


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
