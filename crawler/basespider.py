"""What every platform spider shares: seeds, limits, politeness floor, and recording dead pages."""

from __future__ import annotations

import scrapy
from scrapy import signals
from scrapy.exceptions import (CannotResolveHostError, DontCloseSpider, DownloadCancelledError,
                               DownloadConnectionRefusedError, DownloadTimeoutError, IgnoreRequest,
                               ResponseDataLossError)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from crawler.fields import FieldReader
from crawler.focus import CONTEXT_WEIGHT, Focus, Frontier
from crawler.items import Account, Snapshot, utcnow
from crawler.platforms import platform


# (exception classes, reason, stats code): Scrapy ≥ 2.14 wraps Twisted's network errors in its own.
NETWORK_FAILURES = (
    ((DNSLookupError, CannotResolveHostError), "host not found", "dns"),
    ((TimeoutError, TCPTimedOutError, DownloadTimeoutError), "timed out after retries", "timeout"),
    ((ConnectionRefusedError, DownloadConnectionRefusedError), "connection refused", "connection_refused"),
    # DOWNLOAD_MAXSIZE cancels the download; a connection closed before the promised length is data loss.
    ((DownloadCancelledError,), "answer too big (over the download size limit)", "too_big"),
    ((ResponseDataLossError,), "answer cut off before its end (truncated download)", "truncated"),
)


def failure_reason(failure) -> tuple[str, str] | None:
    """``(reason, stats code)`` for a request that failed, or ``None`` when the request budget stopped it.

    The reason names the kind of failure only, never the exception's text: that can carry the URL, and
    an API URL can carry a key. Scrapy's ``HttpError`` is a kind of ``IgnoreRequest``, so it is told
    apart first.
    """
    from crawler.middlewares import BudgetSpent

    if failure.check(HttpError):
        response = failure.value.response
        retries = failure.request.meta.get("retry_times", 0)
        after = f" after {retries} retries" if retries else ""
        return f"HTTP {response.status}{after}", f"http_{response.status}"
    if failure.check(InvalidAnswer):
        return f"invalid answer: {failure.value}", "invalid_answer"
    if failure.check(BudgetSpent):
        return None
    if failure.check(IgnoreRequest):
        if "redirect" in str(failure.value):
            return "redirect loop (too many redirects)", "redirect_loop"
        return "request dropped before download", "ignored"
    return next(((text, code) for kinds, text, code in NETWORK_FAILURES if failure.check(*kinds)),
                (f"download failed ({failure.type.__name__})", "other"))


class SeedError(ValueError):
    """A seed that names no account on the platform; the message says how to write one."""


class InvalidAnswer(ValueError):
    """A platform's answer that cannot be read as what was asked for; the message says what was wrong
    (``followers_count is not a number``). Raised in a callback, it marks the account unavailable with
    ``invalid answer: <message>`` and the crawl goes on (see crawler.middlewares.CallbackFailureMiddleware)."""


class PlatformSpider(scrapy.Spider):
    platform: str = ""
    default_base_url: str = ""
    #: Minimum seconds between requests to the platform (its documented limit, or a polite default).
    min_delay: float = 1.0
    #: What a 200 answer must be: "html", "json", "xml" or "any"; a request may say otherwise in
    #: ``meta["answer_kind"]`` (checked by crawler.middlewares.AnswerCheckMiddleware).
    answer_kind: str = "html"
    #: A crawl on a queue keeps its hops and links in Redis for all its workers (crawler.distributed.SharedHops).
    shared = None

    def __init__(self, seeds=(), depth: int = 0, max_posts: int = 100, base_url: str | None = None,
                 frontier: str | None = None, keywords=(), negative_keywords=(), frontier_batch: int = 1, **kwargs):
        super().__init__(**kwargs)
        # Discovery: "focused" or "bfs" keeps candidates in a frontier fed to Scrapy a batch at a time
        # (best first); None requests every account within --depth at once, as a plain crawl does.
        self.frontier_mode = frontier
        self.frontier_batch = int(frontier_batch)
        self.focus = Focus(list(keywords), list(negative_keywords)) if keywords else None
        self.seeds = [self.parse_seed(seed) for seed in seeds]
        self.depth = int(depth)
        self.max_posts = int(max_posts)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        # Scrapy's SpiderState extension replaces this with the saved dict when a crawl resumes.
        self.state: dict = {}

    @property
    def followers_kind(self) -> str:
        """What the platform's follower count counts (the registry's ``Platform.followers_kind``)."""
        return platform(self.platform).followers_kind

    @property
    def fields(self) -> FieldReader:
        """Typed readers for the platform's values, counting what they refuse (crawler.fields)."""
        if getattr(self, "_fields", None) is None:
            self._fields = FieldReader(self.crawler.stats, self.platform)
        return self._fields

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        """The account handle a seed names (username, @username or URL); raises SeedError."""
        raise NotImplementedError

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.feed_from_frontier, signal=signals.spider_idle)
        crawler.signals.connect(spider.account_answered, signal=signals.response_received)
        crawler.signals.connect(spider.list_not_fetched, signal=signals.spider_closed)
        return spider

    def account_answered(self, response, request, spider=None) -> None:
        handle = request.meta.get("handle")
        if handle:
            self.state.setdefault("answered", set()).add(handle)

    def list_not_fetched(self, spider=None, reason: str = "") -> None:
        """At the end, every account that was to be fetched but got no answer is listed in the summary
        (``pagescout/not_fetched/<handle>``): requests still queued when the budget ran out are dropped
        by Scrapy without a word. Candidates left in the discovery frontier are counted. An interrupted
        crawl lists nothing: running it again fetches them."""
        if reason == "shutdown" or self.shared is not None:  # on a queue, no one worker knows the whole crawl
            return
        why = "request budget (--max-requests) spent" if reason == "max_requests" else f"crawl ended ({reason})"
        answered = self.state.get("answered", set())
        stats = self.crawler.stats
        for handle in self.state.get("hops", {}):
            if handle not in answered and stats.get_value(f"pagescout/unavailable/{handle}") is None:
                stats.set_value(f"pagescout/not_fetched/{handle}", why)
        if self.frontier_mode and len(self.frontier):
            stats.set_value(f"pagescout/summary/candidates not fetched ({why})", len(self.frontier))

    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        """The first request for an account found ``hop`` links away from the seeds."""
        raise NotImplementedError

    @property
    def frontier(self) -> Frontier:
        # Built on the current state dict: SpiderState swaps in the saved one when a crawl resumes.
        if getattr(self, "_frontier_of", None) is not self.state:
            self._frontier = Frontier(self.state, self.frontier_mode or "bfs")
            self._frontier_of = self.state
        return self._frontier

    def feed_from_frontier(self, spider=None) -> None:
        """On idle, hand Scrapy the best few candidates; the crawl ends when none are left."""
        if not self.frontier_mode:
            return
        batch = self.frontier.take(self.frontier_batch)
        if not batch:
            return
        hops = self.state.setdefault("hops", {})
        for handle, hop in batch:
            hops.setdefault(handle, hop)
            request = self.account_request(handle, hop)
            if request is not None:  # None: the platform can no longer be asked (a method's daily limit)
                self.crawler.engine.crawl(request)
        raise DontCloseSpider

    # discovery -------------------------------------------------------------------------------
    def seed_requests(self) -> list[scrapy.Request]:
        hops = self.state.setdefault("hops", {})
        for handle in self.seeds:
            hops[handle] = 0
            if self.frontier_mode:
                self.frontier.mark_taken(handle)
        requests = [self.account_request(handle, 0) for handle in self.seeds]
        if self.shared is not None:
            requests += [self.account_request(other, hop) for other, hop in self.shared.seed(self.seeds) if hop]
        return requests

    def expand(self, handle: str, hop: int, found) -> list[scrapy.Request]:
        """Record the accounts ``handle`` links to; return requests for those now within ``--depth``.

        ``found`` holds handles, or ``(handle, context text[, followers])`` tuples. In discovery (frontier) mode the
        candidates go to the frontier instead, with the promise predicted from the context and from
        ``handle``'s own relevance (see crawler.focus), and no request is returned here.

        Hops are shortest distances from the seeds: responses arrive in any order, so an account first
        reached in 2 hops may later turn out to be 1 hop away, and then its own links come within
        reach too. Links seen so far are kept (in the resumable spider state) to re-expand then.
        """
        found = [(*item, None, None)[:3] if isinstance(item, tuple) else (item, None, None) for item in found]
        if self.frontier_mode:
            self.offer_to_frontier(handle, hop, found)
            return []
        if self.shared is not None:
            others = [other for other, _, _ in found if other != handle]
            return [self.account_request(other, other_hop) for other, other_hop in self.shared.expand(handle, hop, others)]
        hops = self.state.setdefault("hops", {})
        hops.setdefault(handle, hop)
        links = self.state.setdefault("links", {})
        links.setdefault(handle, set()).update(other for other, _, _ in found)
        requests, stack = [], [handle]
        while stack:
            current = stack.pop()
            hop = hops.get(current)
            if hop is None or hop >= self.depth:
                continue
            for other in links.get(current, ()):
                if other == current:
                    continue
                if other not in hops:
                    hops[other] = hop + 1
                    requests.append(self.account_request(other, hop + 1))
                elif hops[other] > hop + 1:
                    hops[other] = hop + 1
                    stack.append(other)
        return requests

    def offer_to_frontier(self, handle: str, hop: int, found) -> None:
        if hop + 1 > self.depth:
            return
        relevance = self.state.get("relevance", {}).get(handle, 0.0)
        frontier = self.frontier
        before = len(frontier) + len(frontier.taken)
        for other, context, followers in found:
            if other == handle:
                continue
            promise = 0.0
            if self.focus is not None:
                promise = CONTEXT_WEIGHT * self.focus.match(context) + (1 - CONTEXT_WEIGHT) * relevance
            frontier.offer(other, hop + 1, promise, followers)
        self.crawler.stats.inc_value("pagescout/discover/candidates", len(frontier) + len(frontier.taken) - before)

    # records ---------------------------------------------------------------------------------
    def snapshot(self, account: Account) -> Snapshot:
        return Snapshot(self.platform, account.handle, utcnow().date().isoformat(), account.followers)

    def unavailable(self, handle: str, reason: str, code: str) -> Account:
        """A page that is gone, private or failing: stored with its reason while the crawl goes on."""
        stats = self.crawler.stats
        stats.inc_value(f"pagescout/errors/{code}")
        stats.set_value(f"pagescout/unavailable/{handle}", reason)
        return Account(self.platform, handle, status="unavailable", reason=reason)

    def on_error(self, failure):
        """Errback for account requests: a final HTTP error, an invalid answer, a redirect loop or a network
        failure marks the account unavailable with its reason; one the request budget stopped is listed
        in the summary as not fetched. No account ends in none of these states."""
        handle = failure.request.meta.get("handle")
        found = failure_reason(failure)
        stats = self.crawler.stats
        if found is None:
            if handle:
                stats.set_value(f"pagescout/not_fetched/{handle}", "request budget (--max-requests) spent")
            return
        reason, code = found
        if handle:
            yield self.unavailable(handle, reason, code)
        else:
            stats.inc_value(f"pagescout/errors/{code}")

    def on_side_error(self, failure):
        """Errback for audience and later-page requests: the failure is counted (``pagescout/errors/<code>``,
        a redirect loop included) by ``on_error``, but the account stays as it is, so no ``handle`` goes with it."""
        failure.request.meta.pop("handle", None)
        yield from self.on_error(failure)
