"""The Scrapy side of a crawl on a queue (crawler.distributed holds the Redis side).

``queue_settings`` turns one crawl's settings into a worker's: scrapy-redis's scheduler over
``LeasedQueue``, the shared duplicate filter, ``SharedCrawl`` (leases, counts, the end of the crawl),
``SharedPolitenessMiddleware`` (the per-host time across workers) and ``QueueStartMiddleware`` (the
seeds are put on the queue once, by the command that starts the crawl, never by a joining worker).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler

from crawler import distributed
from crawler.distributed import HostLimiter, SharedHops, key

logger = logging.getLogger(__name__)
#: A worker whose database refused this many commits in a row stops, handing its requests back.
FAILED_COMMITS_BEFORE_STOPPING = 3
#: A request that wakes more than this share of the delay after its turn takes another turn.
LATE_TURN = 0.05


def queue_settings(settings: Settings, spec: distributed.CrawlSpec, queue_url: str, worker_id: str, *,
                   seeds: bool, work: bool) -> Settings:
    """``settings`` (``crawler.run.crawl_settings``) for one crawl on the queue: ``seeds`` puts the
    crawl's start requests on it, ``work`` takes requests from it."""
    settings.set("SCHEDULER", "crawler.shared_crawl.QueueScheduler", priority="cmdline")
    settings.set("SCHEDULER_QUEUE_CLASS", "crawler.shared_crawl.LeasedQueue", priority="cmdline")
    settings.set("SCHEDULER_QUEUE_KEY", key(spec.crawl_id, "pending"), priority="cmdline")
    settings.set("SCHEDULER_DUPEFILTER_KEY", key(spec.crawl_id, "seen"), priority="cmdline")
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")  # the queue outlives any one worker
    settings.set("REDIS_URL", queue_url, priority="cmdline")
    settings.set("PAGESCOUT_QUEUE", queue_url, priority="cmdline")
    settings.set("PAGESCOUT_CRAWL_ID", spec.crawl_id, priority="cmdline")
    settings.set("PAGESCOUT_WORKER_ID", worker_id, priority="cmdline")
    settings.set("PAGESCOUT_QUEUE_SEEDS", seeds, priority="cmdline")
    settings.set("PAGESCOUT_QUEUE_WORK", work, priority="cmdline")
    # The shared per-host time replaces the local delay and AutoThrottle: a local slot that held a request
    # back after its turn was taken would let the next worker's request follow it too closely.
    settings.set("PAGESCOUT_SHARED_DELAY", spec.delay, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", settings.getint("CONCURRENT_REQUESTS"), priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.shared_crawl.SharedPolitenessMiddleware"] = 990  # nearest the download
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    spider_middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_middlewares["crawler.shared_crawl.QueueStartMiddleware"] = 10
    settings.set("SPIDER_MIDDLEWARES", spider_middlewares, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.shared_crawl.SharedCrawl"] = 100
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    return settings


class LeasedQueue(Base):
    """scrapy-redis's priority queue, with every request taken held under a lease until it is done
    (``SharedCrawl`` acknowledges it, renews it, or puts it back)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        settings = spider.crawler.settings
        crawl_id = settings.get("PAGESCOUT_CRAWL_ID")
        self.worker = settings.get("PAGESCOUT_WORKER_ID")
        self.keys = [self.key, distributed.key(crawl_id, "leases"), distributed.key(crawl_id, "leased"),
                     distributed.key(crawl_id, "leased_score")]
        self.take_script = server.register_script(distributed.TAKE)
        self.lease_seconds = distributed.lease_seconds()
        self.held: dict[str, object] = {}  # lease id → the request taken
        self.taken = 0
        # Lease ids unique to this crawler: a worker that leaves a crawl and joins it again starts anew.
        self.lease_prefix = f"{self.worker}/{uuid.uuid4().hex[:6]}"
        self.undecodable_key = distributed.key(crawl_id, "undecodable")
        spider.crawler.pagescout_queue = self

    def __len__(self):
        return self.server.zcard(self.key)

    def push(self, request):
        self.server.zadd(self.key, {self._encode_request(request): -request.priority})

    def pop(self, timeout=0):
        self.taken += 1
        lease = f"{self.lease_prefix}/{self.taken}"
        data = self.take_script(keys=self.keys, args=[lease, self.lease_seconds])
        if not data:
            return None
        try:
            request = self._decode_request(data)
        except Exception as exc:  # put by another pagescout version: set aside, or it would come back for ever
            logger.error("queue: a request this worker cannot read (%s) was set aside in %s", type(exc).__name__,
                         self.undecodable_key)
            pipe = self.server.pipeline()
            pipe.hset(self.undecodable_key, lease, data)
            pipe.zrem(self.keys[1], lease)
            pipe.hdel(self.keys[2], lease)
            pipe.hdel(self.keys[3], lease)
            pipe.execute()
            return None
        self.held[lease] = request
        return request


class QueueScheduler(Scheduler):
    """scrapy-redis's scheduler; a crawl that only puts its seeds on the queue takes nothing from it."""

    work = True

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.work = crawler.settings.getbool("PAGESCOUT_QUEUE_WORK")
        return instance

    def next_request(self):
        return super().next_request() if self.work else None

    def has_pending_requests(self):
        return self.work and super().has_pending_requests()


# Seeding is over: queued, unless the crawl has already ended (its budget spent, say).
SEEDED = """
if redis.call('HGET', KEYS[1], 'status') == 'seeding' then redis.call('HSET', KEYS[1], 'status', 'queued') end
"""


class QueueStartMiddleware:
    """The crawl's start requests (seeds, searches) go on the queue once, from the command that starts
    the crawl; then its status turns from ``seeding`` to ``queued``. A worker joining starts nothing."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_start(self, start):
        if not self.crawler.settings.getbool("PAGESCOUT_QUEUE_SEEDS"):
            return
        try:
            async for request in start:
                yield request
        finally:  # what was put on the queue is worked on; running the same command again adds the rest
            shared = self.crawler.pagescout_shared
            shared.client.eval(SEEDED, 1, key(shared.crawl_id))


class SharedPolitenessMiddleware:
    """Waits for the host's shared next-allowed time before each download (``crawler.distributed.HostLimiter``)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.delay = crawler.settings.getfloat("PAGESCOUT_SHARED_DELAY")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        limiter = getattr(self.crawler, "pagescout_limiter", None)
        if limiter is None or self.delay <= 0 or request.url.startswith("data:"):
            return None
        host = distributed.limit_key(request.url, request.meta.get("api_key"))
        while True:
            wait = limiter.reserve(host, self.delay)
            if wait <= 0:  # a pause moves the host's next time too: reserve() has seen any pause so far
                return None
            turn = time.monotonic() + wait
            self.crawler.stats.inc_value("pagescout/queue/host_waits")
            await asyncio.sleep(wait)
            paused = limiter.paused_for(host)  # a pause that came while this request waited for its turn
            if paused > 0:
                await asyncio.sleep(paused)
            elif time.monotonic() - turn > LATE_TURN * self.delay:
                # Woken too late (the process was busy): going now would follow the next turn's request
                # too closely, so this request takes a new turn.
                self.crawler.stats.inc_value("pagescout/queue/late_turns")
            else:
                return None


class SharedBudget:
    """``--max-requests`` as one counter for every worker of the crawl."""

    def __init__(self, client, crawl_id: str, budget: int):
        self.client, self.crawl_id, self.budget = client, crawl_id, budget

    def take(self) -> bool:
        """Count one request; ``False`` once the crawl has sent its budget (the crawl is then over)."""
        if self.client.incr(key(self.crawl_id, "sent")) <= self.budget:
            return True
        self.client.hset(key(self.crawl_id), mapping={"status": "budget_spent",
                                                       "finished_at": distributed.now_text()})
        return False


class SharedCrawl:
    """One worker's part in a crawl on the queue: renews its leases, acknowledges the requests it has
    finished once what they yielded is committed, returns any worker's expired leases, publishes its
    counts for ``crawl-status``, and keeps the spider open until the whole crawl is over."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.crawl_id = settings.get("PAGESCOUT_CRAWL_ID")
        self.worker = settings.get("PAGESCOUT_WORKER_ID")
        self.work = settings.getbool("PAGESCOUT_QUEUE_WORK")
        self.client = distributed.connect(settings.get("PAGESCOUT_QUEUE"))
        self.keys = [key(self.crawl_id, part) for part in ("pending", "leases", "leased", "leased_score")]
        self.renew_script = self.client.register_script(distributed.RENEW)
        self.return_script = self.client.register_script(distributed.RETURN_EXPIRED)
        self.release_script = self.client.register_script(distributed.RELEASE)
        self.finish_script = self.client.register_script(distributed.FINISH_IF_DONE)
        self.lease_seconds = distributed.lease_seconds()
        crawler.pagescout_shared = self
        crawler.pagescout_limiter = HostLimiter(self.client)
        budget = settings.getint("PAGESCOUT_MAX_REQUESTS")
        crawler.pagescout_budget = SharedBudget(self.client, self.crawl_id, budget) if budget else None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        self.ticker = None
        self.stopping = False
        self.failed_commits = 0
        self.lost_seen = 0
        self.tainted: set[str] = set()  # leases held when rows went unwritten: given back, never acknowledged
        self.base_counts = {"requests": 0, "items": 0, "errors": 0}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider=None):
        from twisted.internet import task

        spider = self.crawler.spider
        spider.shared = SharedHops(self.client, self.crawl_id, spider.depth)
        earlier = self.client.hget(key(self.crawl_id, "workers"), self.worker)  # this worker left and came back
        if earlier:
            counts = json.loads(earlier)
            self.base_counts = {name: int(counts.get(name, 0)) for name in self.base_counts}
        self.ticker = task.LoopingCall(self.tick)
        self.ticker.start(distributed.TICK_SECONDS, now=False)

    # every tick ----------------------------------------------------------------------------------
    def tick(self) -> None:
        try:
            self.acknowledge()
            queue = getattr(self.crawler, "pagescout_queue", None)
            if queue is not None and queue.held:
                self.renew_script(keys=[self.keys[1]], args=[self.lease_seconds, *queue.held])
            returned = self.return_script(keys=self.keys)
            if returned:
                self.crawler.stats.inc_value("pagescout/queue/leases_returned", returned)
            self.publish()
            if self.client.hget(key(self.crawl_id), "status") == b"budget_spent":
                self.stop("max_requests")
            self._wake_engine()
        except Exception as exc:  # a lost Redis connection must not end the reactor's loop; say so and go on
            logger.error("queue: %s while keeping the crawl's leases", type(exc).__name__)

    def acknowledge(self) -> None:
        """Requests the engine has finished with (their callbacks' output scheduled and stored) are done:
        commit what they yielded, then drop their leases. When rows went unwritten since the last look,
        every request held then may own some: those go back on the queue when done, never acknowledged."""
        queue = getattr(self.crawler, "pagescout_queue", None)
        if queue is None:
            return
        busy = self._in_progress()
        done = [lease for lease, request in queue.held.items() if request not in busy]
        if done:
            self._commit()
        lost = self._lost()
        if lost > self.lost_seen:
            self.lost_seen = lost
            self.tainted |= set(queue.held)
            self.failed_commits += 1
            if self.failed_commits >= FAILED_COMMITS_BEFORE_STOPPING:  # leave the work to workers that can store it
                logger.error("queue: this worker cannot write to its database; it stops")
                self.stop("database unusable")
        elif done:
            self.failed_commits = 0
        unstored = [lease for lease in done if lease in self.tainted]
        if unstored:
            self.release_script(keys=self.keys, args=unstored)
            self.crawler.stats.inc_value("pagescout/queue/returned_unstored", len(unstored))
        stored = [lease for lease in done if lease not in self.tainted]
        if stored:
            pipe = self.client.pipeline()
            pipe.zrem(self.keys[1], *stored)
            pipe.hdel(self.keys[2], *stored)
            pipe.hdel(self.keys[3], *stored)
            pipe.execute()
            self.crawler.stats.inc_value("pagescout/queue/acknowledged", len(stored))
        for lease in done:
            del queue.held[lease]
            self.tainted.discard(lease)

    def _in_progress(self) -> set:
        # The engine keeps each request it took from the scheduler in its slot until the request's answer
        # has gone through the callback and the item pipelines (or its failure through the errback).
        slot = getattr(self.crawler.engine, "_slot", None)
        return set(getattr(slot, "inprogress", ())) if slot is not None else set()

    def _commit(self) -> None:
        """Commit what the store pipeline holds (rows it could not write are counted lost, see ``_lost``)."""
        from crawler.pipelines import StorePipeline

        itemproc = getattr(getattr(self.crawler.engine, "scraper", None), "itemproc", None)
        for pipeline in getattr(itemproc, "middlewares", ()):
            if isinstance(pipeline, StorePipeline):
                pipeline.flush()

    def _lost(self) -> int:
        """Rows the store pipeline could not write so far, in any of its commits (its own included)."""
        return sum(v for k, v in self.crawler.stats.get_stats().items() if k.startswith("pagescout/lost/"))

    def _wake_engine(self) -> None:
        # The engine looks at its scheduler again only every 5 s when idle; requests other workers
        # queued, and the end of the crawl, are seen sooner this way.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and getattr(slot, "nextcall", None) is not None:
            slot.nextcall.schedule()

    def publish(self) -> None:
        if not self.work:
            return  # only seeding: no worker
        stats = self.crawler.stats.get_stats()
        now = float(self.client.time()[0])
        counts = {"requests": self.base_counts["requests"] + int(stats.get("pagescout/requests_sent", 0)),
                  "items": self.base_counts["items"] + int(stats.get("item_scraped_count", 0)),
                  "errors": self.base_counts["errors"] + sum(int(v) for k, v in stats.items()
                                                             if k.startswith("pagescout/errors/")),
                  "seen": now}
        pipe = self.client.pipeline()
        pipe.hset(key(self.crawl_id, "workers"), self.worker, json.dumps(counts))
        pipe.hset(distributed.PREFIX + "workers", self.worker,
                  json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "seen": now}))
        pipe.execute()

    # the end -------------------------------------------------------------------------------------
    def idle(self, spider=None) -> None:
        if not self.work:
            return  # only seeding: done once the start requests are on the queue
        status = self.finish_script(keys=[key(self.crawl_id), self.keys[0], self.keys[1]],
                                    args=[distributed.now_text()])
        if status == b"finished":
            distributed.tidy(self.client, self.crawl_id)
        if status in (b"finished", b"over", b"waiting"):
            return  # over, or nothing to do until its seeds come: the worker joins it again then
        raise DontCloseSpider

    def stop(self, reason: str) -> None:
        from scrapy.utils.defer import deferred_from_coro

        if not self.stopping:
            self.stopping = True
            if reason == "max_requests":
                self.crawler.stats.set_value("pagescout/budget_spent", self.crawler.settings.getint("PAGESCOUT_MAX_REQUESTS"))
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def closed(self, spider=None, reason: str = "") -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        try:
            queue = getattr(self.crawler, "pagescout_queue", None)
            if reason in ("finished", "shutdown", "max_requests"):
                self.acknowledge()
            else:  # a reason of the crawl's own (a refused token, a spent quota): the request that met it
                self._commit()  # and every other one held go back, for workers that can do them
            if queue is not None and queue.held:  # not done here: back on the queue now
                self.release_script(keys=self.keys, args=list(queue.held))
                queue.held.clear()
            if self.client.hget(key(self.crawl_id), "status") == b"budget_spent":
                distributed.tidy(self.client, self.crawl_id)  # what it had not asked stays unasked
            self.publish()
        except Exception as exc:
            logger.error("queue: %s while handing back the crawl's leases", type(exc).__name__)
