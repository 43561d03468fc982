"""Retries that wait: 429 and 5xx are retried after the server's Retry-After, or with exponential
backoff when it gives none, and the whole download slot (host) pauses meanwhile."""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message


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
        # Other requests to the same host must wait too: push the slot's "last seen" into the future.
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot")
        slot = downloader.slots.get(key) if key else None
        if slot is not None:
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait - slot.delay)
            slot.delay = max(slot.delay, self.crawler.settings.getfloat("DOWNLOAD_DELAY"))
