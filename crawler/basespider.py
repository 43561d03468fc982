"""What every platform spider shares: seeds, limits, politeness floor, and recording dead pages."""

from __future__ import annotations

import re

import scrapy
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

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        """The account handle a seed names (username, @username or URL); raises SeedError."""
        raise NotImplementedError

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


HANDLE_CHARS = re.compile(r"^[A-Za-z0-9_.\-]+$")
