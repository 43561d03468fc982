"""What every platform spider shares: seeds, limits, politeness floor, and recording dead pages."""

from __future__ import annotations

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from crawler.items import Account, Snapshot, utcnow


class SeedError(ValueError):
    """A seed that names no account on the platform; the message says how to write one."""


class PlatformSpider(scrapy.Spider):
    platform: str = ""
    default_base_url: str = ""
    #: Minimum seconds between requests to the platform (its documented limit, or a polite default).
    min_delay: float = 1.0
    followers_kind: str = "followers"

    def __init__(self, seeds=(), depth: int = 0, max_posts: int = 100, base_url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seeds = [self.parse_seed(seed) for seed in seeds]
        self.depth = int(depth)
        self.max_posts = int(max_posts)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        # Scrapy's SpiderState extension replaces this with the saved dict when a crawl resumes.
        self.state: dict = {}

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        """The account handle a seed names (username, @username or URL); raises SeedError."""
        raise NotImplementedError

    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        """The first request for an account found ``hop`` links away from the seeds."""
        raise NotImplementedError

    # discovery -------------------------------------------------------------------------------
    def seed_requests(self) -> list[scrapy.Request]:
        hops = self.state.setdefault("hops", {})
        for handle in self.seeds:
            hops[handle] = 0
        return [self.account_request(handle, 0) for handle in self.seeds]

    def expand(self, handle: str, hop: int, found) -> list[scrapy.Request]:
        """Record the accounts ``handle`` links to; return requests for those now within ``--depth``.

        Hops are shortest distances from the seeds: responses arrive in any order, so an account first
        reached in 2 hops may later turn out to be 1 hop away, and then its own links come within
        reach too. Links seen so far are kept (in the resumable spider state) to re-expand then.
        """
        hops = self.state.setdefault("hops", {})
        hops.setdefault(handle, hop)
        links = self.state.setdefault("links", {})
        links.setdefault(handle, set()).update(found)
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
        """Errback for account requests: a final HTTP error or network failure marks the account."""
        handle = failure.request.meta.get("handle")
        if failure.check(IgnoreRequest):  # the request budget, not the page: nothing to record
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            reason, code = f"HTTP {status} after retries", f"http_{status}"
        elif failure.check(DNSLookupError):
            reason, code = "host not found", "dns"
        elif failure.check(TimeoutError, TCPTimedOutError):
            reason, code = "timed out after retries", "timeout"
        elif failure.check(ConnectionRefusedError):
            reason, code = "connection refused", "connection_refused"
        else:
            reason, code = f"{failure.type.__name__}: {failure.getErrorMessage()}", "other"
        if handle:
            yield self.unavailable(handle, reason, code)
        else:
            self.crawler.stats.inc_value(f"pagescout/errors/{code}")

