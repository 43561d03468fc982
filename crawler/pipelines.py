"""Item pipelines, in order: normalise (100), validate (200), hash audience ids (300), store (400).

Every fix and every drop is counted in the crawl stats under ``pagescout/<pipeline>/<what>``, so the
end-of-crawl summary can say what was repaired or thrown away.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.ads import PLATFORM_FLAGS, detect_ad
from crawler.fields import FieldReader
from crawler.items import ACCOUNT_STATUSES, AUDIENCE_KINDS, FOLLOW_LIST_OUTCOMES, FOLLOWERS_KINDS, LINK_KINDS
from crawler.platforms import PLATFORMS
from crawler.store import Store, StoreError, member_key


#: Items that carry a raw member id until it is hashed.
MEMBER_ITEMS = ("AudienceMember", "Follow", "GatherMember")

logger = logging.getLogger(__name__)


class _CountingPipeline:
    label = "pipeline"

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def count(self, what: str, n: int = 1) -> None:
        self.stats.inc_value(f"pagescout/{self.label}/{what}", n)


class NormalisePipeline(_CountingPipeline):
    """Passes every field through its typed reader (crawler.fields): text trimmed and cleaned, times in
    UTC, and a value out of type or range (a negative count, one beyond int64) NULL, counted as
    ``pagescout/invalid/<platform>/<field>``, so no single value can fail a whole batch."""

    label = "normalise"

    def process_item(self, item, spider=None):
        FieldReader(self.stats, str(ItemAdapter(item).get("platform") or "unknown")).item(ItemAdapter(item))
        return item


class ValidatePipeline(_CountingPipeline):
    """Drops items that would corrupt the store or the metrics, with the reason."""

    label = "validate"

    def drop(self, reason: str):
        self.count(f"dropped/{reason.replace(' ', '_')}")
        raise DropItem(reason)

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        kind = type(item).__name__
        if not adapter.get("platform"):
            self.drop("no platform")
        if kind == "Account":
            if not adapter.get("handle"):
                self.drop("account without handle")
            if adapter.get("status") not in ACCOUNT_STATUSES:
                self.drop("unknown account status")
            if adapter.get("followers_kind") not in (None, *FOLLOWERS_KINDS):
                self.drop("unknown followers kind")
        elif kind == "Post":
            if not adapter.get("account") or not adapter.get("post_id"):
                self.drop("post without account or id")
        elif kind == "Link":
            if adapter.get("kind") not in LINK_KINDS:
                self.drop("unknown link kind")
            if not adapter.get("src") or not adapter.get("dst"):
                self.drop("link without both ends")
            if adapter["src"] == adapter["dst"]:
                self.drop("self link")
        elif kind == "AudienceMember":
            if adapter.get("kind") not in AUDIENCE_KINDS:
                self.drop("unknown audience kind")
            if adapter.get("member_id") in (None, "") and adapter.get("member_key") is None:
                self.drop("audience member without id")
        elif kind == "Snapshot":
            if not adapter.get("account") or not adapter.get("date"):
                self.drop("snapshot without account or date")
        elif kind in ("Follow", "GatherMember"):
            if adapter.get("member_id") in (None, "") and adapter.get("member_key") is None:
                self.drop("gathered member without id")
            if kind == "Follow" and not adapter.get("page"):
                self.drop("follow without page")
            if kind == "GatherMember" and adapter.get("outcome") not in FOLLOW_LIST_OUTCOMES:
                self.drop("unknown follow list outcome")
        return item


class AdPipeline(_CountingPipeline):
    """Marks each post an ad or not, with the evidence (``crawler.ads.detect_ad``), from its text, its
    links and the platform's own flag; counts each marker that fired as ``pagescout/ads/<marker>``."""

    label = "ads"

    def process_item(self, item, spider=None):
        if type(item).__name__ != "Post":
            return item
        profile = PLATFORMS[item.platform].profile_url if item.platform in PLATFORMS else None
        own = profile.format(item.account) if profile else None
        evidence = detect_ad(item.text, item.link_urls, own, item.platform_ad,
                             PLATFORM_FLAGS.get(item.platform, "the platform marks it as an ad"))
        item.ad = evidence.is_ad
        item.ad_marker = evidence.marker
        item.ad_erids = " ".join(evidence.erids) or None
        item.ad_links = " ".join(evidence.advertiser_links) or None
        item.own_promotion = evidence.own_promotion
        if evidence.marker:
            self.count(evidence.marker)
        elif evidence.own_promotion:
            self.count("own promotion")
        return item


class HashMemberPipeline(_CountingPipeline):
    """Replaces raw member ids (audience members, and a gather's sampled members) with the database's keyed
    hash; the raw id goes no further."""

    label = "hash"

    def open_spider(self, spider=None):
        with Store(self.crawler.settings.get("PAGESCOUT_DB")) as store:
            self.secret = store.secret

    def process_item(self, item, spider=None):
        if type(item).__name__ in MEMBER_ITEMS and item.member_id is not None:
            item.member_key = member_key(self.secret, str(item.member_id))
            item.member_id = None
            self.count("members")
        return item


class StorePipeline(_CountingPipeline):
    """Upserts items in small transactions (by count or time), and at the end of the crawl.

    ``pagescout/store/<Kind>`` counts rows stored (what ``Store.write`` reports), not items seen;
    ``pagescout/refused/<Kind>`` counts rows the database refused (each is in its ``refused`` table) and
    rows lost because the database could not be written at all. Nothing here raises: a database fault
    is one log line and a count, and the crawl goes on to end with an honest summary.
    """

    label = "store"

    def open_spider(self, spider=None):
        settings = self.crawler.settings
        self.store = Store(settings.get("PAGESCOUT_DB"))
        self.flush_items = settings.getint("PAGESCOUT_FLUSH_ITEMS")
        self.flush_seconds = settings.getfloat("PAGESCOUT_FLUSH_SECONDS")
        self.buffer: dict[str, list[dict]] = defaultdict(list)
        self.buffered = 0
        self.last_flush = time.monotonic()

    def process_item(self, item, spider=None):
        kind = type(item).__name__
        row = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else ItemAdapter(item).asdict()
        row.pop("member_id", None)
        self.buffer[kind].append(row)
        self.buffered += 1
        if self.buffered >= self.flush_items or time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()
        return item

    def refused(self, kind: str, n: int) -> None:
        self.stats.inc_value(f"pagescout/refused/{kind}", n)

    def flush(self) -> None:
        batch = self.buffer
        try:
            if self.buffered:
                written = self.store.write(batch)
                for kind, n in written.stored.items():
                    self.count(kind, n)
                for kind, n in written.refused.items():
                    self.refused(kind, n)
                self.count("transactions")
        except Exception as exc:  # whatever went wrong, the crawl must go on and end honestly
            lost = {kind: len(rows) for kind, rows in batch.items() if rows}
            for kind, n in lost.items():
                self.stats.inc_value(f"pagescout/lost/{kind}", n)
            # StoreError messages are one line without SQL or row values; anything else is named by class only.
            why = str(exc) if isinstance(exc, StoreError) else f"{type(exc).__name__} while writing to the database"
            logger.error("%s: %d rows not stored (counted as pagescout/lost/<kind>)", why, sum(lost.values()))
        finally:
            # Cleared whatever happened: a row kept for the next flush would fail that flush too, and every one after.
            self.buffer = defaultdict(list)
            self.buffered = 0
            self.last_flush = time.monotonic()

    def close_spider(self, spider=None):
        try:
            self.flush()
        finally:
            self.store.close()
