"""Retries that wait: 429 and 5xx are retried after the server's Retry-After, or with exponential
backoff when it gives none, and the whole download slot (host) pauses meanwhile.

Rate-limit headers: where a platform says how many requests are left in its window (Bluesky's
``RateLimit-*``, Mastodon's ``X-RateLimit-*``), the host pauses until the window resets once few are
left, so the crawl slows down before it is refused rather than after."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from twisted.internet.error import TCPTimedOutError, TimeoutError
from scrapy.exceptions import CloseSpider, DownloadTimeoutError, IgnoreRequest
from scrapy.http import TextResponse
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; ``None`` if absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("PAGESCOUT_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("PAGESCOUT_BACKOFF_MAX")
        self.timeout_retries = settings.getint("PAGESCOUT_TIMEOUT_RETRIES")

    def process_exception(self, request, exception, spider=None):
        # A server that hangs tends to keep hanging: each try costs the whole --timeout, so a timeout
        # is retried fewer times than a refusal.
        if isinstance(exception, (DownloadTimeoutError, TimeoutError, TCPTimedOutError)) and \
                request.meta.get("retry_times", 0) >= self.timeout_retries:
            self.crawler.stats.inc_value("pagescout/errors/timeout_gave_up")
            return None
        return super().process_exception(request, exception)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            wait = self.backoff_base * 2**attempt
        wait = min(wait, self.backoff_max)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            self.crawler.stats.inc_value(f"pagescout/errors/http_{response.status}_gave_up")
            return response
        self.crawler.stats.inc_value(f"pagescout/retries/http_{response.status}")
        self._pause_slot(request, wait)
        await asyncio.sleep(wait)
        return retry

    def _pause_slot(self, request, wait: float) -> None:
        pause_download_slot(self.crawler, request, wait)


def pause_download_slot(crawler, request, wait: float) -> None:
    """Hold the download slot (host) of ``request`` for ``wait`` seconds.

    Other requests to the same host must wait too: push the slot's "last seen" into the future. This
    only acts where the slot has a delay; ``RateLimitHeadersMiddleware`` also holds requests itself.
    """
    downloader = crawler.engine.downloader
    key = request.meta.get("download_slot")
    slot = downloader.slots.get(key) if key else None
    if slot is not None:
        slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)
        slot.delay = max(slot.delay, crawler.settings.getfloat("DOWNLOAD_DELAY"))
    limiter = getattr(crawler, "pagescout_limiter", None)  # a crawl on a queue: every worker pauses
    if limiter is not None:
        from crawler.distributed import limit_key

        limiter.pause(limit_key(request.url, request.meta.get("api_key")), wait)


def _header_number(value: bytes | str | None) -> float | None:
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        return float(text.strip().split(",")[0])
    except ValueError:
        return None


def rate_limit_reset_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds until a rate-limit window resets, from a ``RateLimit-Reset``/``X-RateLimit-Reset`` header.

    Platforms disagree on the format: the IETF draft sends delta-seconds, Bluesky a Unix time in
    seconds, Mastodon an ISO 8601 timestamp; an HTTP-date is read too. ``None`` if absent or unreadable.
    """
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    now = time.time() if now is None else now
    number = _header_number(text)
    if number is not None:
        # No window lasts 30 years: a number that large is a point in time, not a delay.
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    try:
        return max(0.0, datetime.fromisoformat(text).timestamp() - now)
    except ValueError:
        return retry_after_seconds(text, now)


class RateLimitHeadersMiddleware:
    """Pause a host until its rate-limit window resets when its headers say few requests are left.

    Reads ``RateLimit-Remaining``/``RateLimit-Reset`` (Bluesky, IETF draft) and ``X-RateLimit-Remaining``/
    ``X-RateLimit-Reset`` (Mastodon). "Few" is ``PAGESCOUT_RATELIMIT_RESERVE`` or less: requests already
    in flight to that host still count against the window. The pause is capped by
    ``PAGESCOUT_BACKOFF_MAX``. Requests for a paused host wait here, which holds the engine back once
    all concurrent slots are waiting, whether or not a download delay is set.
    """

    REMAINING = ("RateLimit-Remaining", "X-RateLimit-Remaining")
    RESET = ("RateLimit-Reset", "X-RateLimit-Reset")

    def __init__(self, crawler):
        self.crawler = crawler
        self.reserve = crawler.settings.getint("PAGESCOUT_RATELIMIT_RESERVE", 2)
        self.max_wait = crawler.settings.getfloat("PAGESCOUT_BACKOFF_MAX")
        self.paused_until: dict[str, float] = {}  # slot key → time.monotonic() when the host may go on

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _slot_key(self, request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)

    async def process_request(self, request, spider=None):
        key = self._slot_key(request)
        wait = self.paused_until.get(key, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def process_response(self, request, response, spider=None):
        remaining = next((n for n in (_header_number(response.headers.get(h)) for h in self.REMAINING)
                          if n is not None), None)
        if remaining is None or remaining > self.reserve:
            return response
        wait = next((s for s in (rate_limit_reset_seconds(response.headers.get(h)) for h in self.RESET)
                     if s is not None), None)
        if not wait:
            return response  # no reset time given: a refusal (429) will come and RetryAfterMiddleware waits
        wait = min(wait, self.max_wait)
        key = self._slot_key(request)
        self.paused_until[key] = max(self.paused_until.get(key, 0.0), time.monotonic() + wait)
        pause_download_slot(self.crawler, request, wait)
        stats = self.crawler.stats
        stats.inc_value("pagescout/ratelimit/pauses")
        stats.max_value("pagescout/ratelimit/longest_pause_s", round(wait, 1))
        return response


class RedirectLoopMiddleware:
    """Refuses a redirect back to a URL the request already went through.

    Scrapy's duplicate filter would drop that request without a word, and the account would silently
    be missing; refused here, the request's errback marks the account unavailable ("redirect loop").
    """

    REDIRECTS = (301, 302, 303, 307, 308)

    def process_response(self, request, response, spider=None):
        if response.status not in self.REDIRECTS or request.meta.get("dont_redirect"):
            return response
        location = response.headers.get("Location")
        if not location:
            return response
        target = _without_keys(urljoin(request.url, location.decode("latin-1")))
        if target in {_without_keys(url) for url in (*request.meta.get("redirect_urls", ()), request.url)}:
            raise IgnoreRequest("redirect loop")
        # The redirected request (Scrapy copies this flag to it) must reach its target even when another
        # request fetched that URL before: the duplicate filter would drop it, and its account with it.
        # Loops are refused above, and REDIRECT_MAX_TIMES bounds the chain.
        request.dont_filter = True
        return response


def _without_keys(url: str) -> str:
    """``url`` without the keys crawler.apikeys adds, which a server may echo back in a Location."""
    from crawler.apikeys import KEYS, without_param

    for param, _ in KEYS.values():
        url = without_param(url, param)
    return url


class BudgetSpent(IgnoreRequest):
    """A request the budget stopped: the page is not fetched, which is no fault of the page."""


class RequestBudgetMiddleware:
    """``--max-requests N`` as a hard bound: the N+1st request is never sent, and the crawl then closes.

    Scrapy's CLOSESPIDER_PAGECOUNT counts responses, so requests already in flight overshoot it.
    Crawlers of one process that share ``PAGESCOUT_BUDGET_KEY`` (discovery runs one per platform)
    draw on one budget.
    """

    shared_sent: dict[str, list[int]] = {}

    def __init__(self, crawler):
        self.crawler = crawler
        self.budget = crawler.settings.getint("PAGESCOUT_MAX_REQUESTS")
        key = crawler.settings.get("PAGESCOUT_BUDGET_KEY") or f"crawler-{id(crawler)}"
        self.counter = self.shared_sent.setdefault(key, [0])
        self.closing = False

    @property
    def sent(self) -> int:
        return self.counter[0]

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if request.url.startswith("data:"):  # a phase's items carried within the crawl: no platform is asked
            self.crawler.stats.inc_value("pagescout/local_requests")
            return None
        shared = getattr(self.crawler, "pagescout_budget", None)  # a crawl on a queue: one budget for all workers
        if shared is not None and not shared.take():
            self.crawler.pagescout_shared.stop("max_requests")
            raise BudgetSpent("request budget (--max-requests) spent")
        if shared is None and self.budget and self.sent >= self.budget:
            if request.meta.get("budget_optional"):  # a gather's list page: refused, the gather finishes
                self.crawler.stats.inc_value("pagescout/budget_refused")
                raise BudgetSpent("request budget (--max-requests) spent")
            if not self.closing:
                self.closing = True
                self.crawler.stats.set_value("pagescout/budget_spent", self.budget)
                from scrapy.utils.defer import deferred_from_coro

                deferred_from_coro(self.crawler.engine.close_spider_async(reason="max_requests"))
            raise BudgetSpent("request budget (--max-requests) spent")
        self.counter[0] += 1
        self.crawler.stats.inc_value("pagescout/requests_sent")
        return None


class _WithCrawler:
    """A middleware that keeps the crawler (for its stats, settings and spider)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


#: Largest answer read per kind: a page or feed is small; API answers of 100 posts run to a few MB.
ANSWER_MAX_BYTES = {"html": 5 * 2**20, "xml": 5 * 2**20, "any": 5 * 2**20, "json": 10 * 2**20}


def answer_kind(request, spider) -> str:
    return request.meta.get("answer_kind") or getattr(spider, "answer_kind", "any")


class AnswerLimitsMiddleware(_WithCrawler):
    """Caps each download by the kind of answer expected (``DOWNLOAD_MAXSIZE`` per request): one huge
    page must not take the process's memory. Scrapy cancels a download past the cap, and the account is
    marked unavailable ("answer too big")."""

    def process_request(self, request, spider=None):
        limit = ANSWER_MAX_BYTES.get(answer_kind(request, self.crawler.spider), ANSWER_MAX_BYTES["any"])
        request.meta.setdefault("download_maxsize", limit)
        request.meta.setdefault("download_warnsize", limit // 2)
        return None


class AnswerCheckMiddleware(_WithCrawler):
    """Refuses a successful answer of the wrong kind before a callback reads it: an empty body, binary
    data, JSON where a page was expected, or a page where JSON was. The request's errback then marks the
    account unavailable with the reason (``invalid answer: expected JSON, got text/html``)."""

    def process_spider_input(self, response, spider=None):
        from crawler.basespider import InvalidAnswer

        if not 200 <= response.status < 300:
            return None  # the spider and HttpErrorMiddleware judge other statuses
        kind = answer_kind(response.request, self.crawler.spider)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").split(";")[0].strip()
        got = content_type or "no content type"
        if not response.body.strip():
            raise InvalidAnswer("empty answer")
        if kind == "any":
            return None
        if not isinstance(response, TextResponse):
            raise InvalidAnswer(f"expected {kind.upper()}, got {got}")
        start = response.text.lstrip()[:1]
        if kind == "json":
            try:
                response.json()  # Scrapy keeps the decoded JSON for the callback
            except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
                raise InvalidAnswer(f"expected JSON, got {got}") from None
        elif kind in ("html", "xml") and (start in ("{", "[") or "json" in content_type):
            raise InvalidAnswer(f"expected {kind.upper()}, got JSON ({got})")
        elif kind == "xml" and start != "<":
            raise InvalidAnswer(f"expected XML, got {got}")
        return None


class CallbackFailureMiddleware(_WithCrawler):
    """A callback that raises loses only its own answer, never the crawl, and never silently.

    ``InvalidAnswer`` is how a spider says an answer cannot be read: the account is stored unavailable
    with that reason. Any other exception is a parser failure: counted as ``pagescout/errors/callback``
    (the crawl then exits 1), its traceback goes to the log file, and the account it was for is stored
    unavailable rather than left out.
    """

    def process_spider_exception(self, response, exception, spider=None):
        from crawler.basespider import InvalidAnswer

        if isinstance(exception, CloseSpider):  # a spider ending the crawl on purpose (a spent quota)
            return None
        spider = self.crawler.spider
        if isinstance(exception, InvalidAnswer):
            reason, code = f"invalid answer: {exception}", "invalid_answer"
        else:
            reason, code = f"invalid answer (parser error: {type(exception).__name__})", "callback"
            # Where it failed, not the exception's text: that can quote the answer (a member's id, say).
            where = traceback.extract_tb(exception.__traceback__)[-1] if exception.__traceback__ else None
            logger.error("%s failed on an answer of %s: %s at %s", getattr(response.request.callback, "__name__",
                         "callback"), spider.platform, type(exception).__name__,
                         f"{where.filename}:{where.lineno}" if where else "unknown place")
        handle = response.request.meta.get("handle")
        if handle and hasattr(spider, "unavailable"):
            return [spider.unavailable(handle, reason, code)]  # counts pagescout/errors/<code>
        self.crawler.stats.inc_value(f"pagescout/errors/{code}")
        return []
