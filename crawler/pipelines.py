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

# The field names of each dataclass item type, in order and as a set (None for a type that is no dataclass),
# looked up once per type.
_FIELD_NAMES: dict[type, tuple[tuple[str, ...], frozenset[str]] | None] = {}


def _field_names(item) -> tuple[tuple[str, ...], frozenset[str]] | None:
    kind = type(item)
    try:
        return _FIELD_NAMES[kind]
    except KeyError:
        names = None
        if dataclasses.is_dataclass(kind):
            ordered = tuple(f.name for f in dataclasses.fields(kind))
            names = (ordered, frozenset(ordered))
        _FIELD_NAMES[kind] = names
        return names


def is_dataclass_item(item) -> bool:
    return _field_names(item) is not None


def field_getter(item):
    """``get(field)``: a field's value, or ``None`` for a field the item lacks, as ``ItemAdapter(item).get``;
    read straight from the attributes of a dataclass item (every item the spiders yield): an adapter per
    item and pipeline cost more than the checks it serves."""
    names = _field_names(item)
    if names is not None:
        known = names[1]
        return lambda field: getattr(item, field) if field in known else None
    return ItemAdapter(item).get


def item_row(item) -> dict:
    """The item as the store takes it: a dict of its fields. A shallow copy: the store reads scalars (texts,
    counts, times, flags) and ignores the rest (a post's ``link_urls``), so ``dataclasses.asdict``'s deep copy
    of every value would buy nothing."""
    names = _field_names(item)
    if names is None:
        return ItemAdapter(item).asdict()
    ordered, known = names
    values = getattr(item, "__dict__", None)
    if values is not None and len(values) == len(ordered) and values.keys() == known:
        return dict(values)  # the instance holds its fields and nothing else, in their order
    return {name: getattr(item, name) for name in ordered}


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

    def __init__(self, crawler):
        super().__init__(crawler)
        self.readers: dict[str, FieldReader] = {}  # one per platform: a reader keeps nothing but the stats

    def process_item(self, item, spider=None):
        get = field_getter(item)
        platform = str(get("platform") or "unknown")
        reader = self.readers.get(platform)
        if reader is None:
            reader = self.readers[platform] = FieldReader(self.stats, platform)
        if is_dataclass_item(item):
            reader.dataclass_item(item)
        else:
            reader.item(ItemAdapter(item))
        return item


class ValidatePipeline(_CountingPipeline):
    """Drops items that would corrupt the store or the metrics, with the reason."""

    label = "validate"

    def drop(self, reason: str):
        self.count(f"dropped/{reason.replace(' ', '_')}")
        raise DropItem(reason)

    def process_item(self, item, spider=None):
        get = field_getter(item)
        kind = type(item).__name__
        if not get("platform"):
            self.drop("no platform")
        if kind == "Account":
            if not get("handle"):
                self.drop("account without handle")
            if get("status") not in ACCOUNT_STATUSES:
                self.drop("unknown account status")
            if get("followers_kind") not in (None, *FOLLOWERS_KINDS):
                self.drop("unknown followers kind")
        elif kind == "Post":
            if not get("account") or not get("post_id"):
                self.drop("post without account or id")
        elif kind == "Link":
            if get("kind") not in LINK_KINDS:
                self.drop("unknown link kind")
            if not get("src") or not get("dst"):
                self.drop("link without both ends")
            if get("src") == get("dst"):
                self.drop("self link")
        elif kind == "AudienceMember":
            if get("kind") not in AUDIENCE_KINDS:
                self.drop("unknown audience kind")
            if get("member_id") in (None, "") and get("member_key") is None:
                self.drop("audience member without id")
        elif kind == "Snapshot":
            if not get("account") or not get("date"):
                self.drop("snapshot without account or date")
        elif kind in ("Follow", "GatherMember"):
            if get("member_id") in (None, "") and get("member_key") is None:
                self.drop("gathered member without id")
            if kind == "Follow" and not get("page"):
                self.drop("follow without page")
            if kind == "GatherMember" and get("outcome") not in FOLLOW_LIST_OUTCOMES:
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
        row = item_row(item)
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
