"""Crawl-time feedback: a live progress line, and log records that never print item contents."""

from __future__ import annotations

import logging
import math
import re
import sys
from datetime import datetime

from scrapy import signals
from scrapy.logformatter import LogFormatter
from twisted.internet import task


class QuietLogFormatter(LogFormatter):
    """Scraped and dropped items are logged by type only: an item may hold an audience id before hashing."""

    def scraped(self, item, response, spider):
        return {"level": logging.DEBUG, "msg": "Scraped %(kind)s from %(src)s",
                "args": {"kind": type(item).__name__, "src": getattr(response, "url", response)}}

    def item_error(self, item, exception, response, spider=None):
        return {"level": logging.ERROR, "msg": "Error processing %(kind)s: %(error)s",
                "args": {"kind": type(item).__name__, "error": type(exception).__name__}}

    def dropped(self, item, exception, response, spider):
        return {"level": logging.INFO, "msg": "Dropped %(kind)s: %(reason)s",
                "args": {"kind": type(item).__name__, "reason": exception}}


# A query value of a parameter that carries a credential: VK's access_token, YouTube's key, and the like.
_SECRET_QUERY = re.compile(r"([?&;](?:access_token|token|key|api_key|apikey|client_secret|password)=)[^&\s'\"<>]*",
                           re.IGNORECASE)


# The password of a URL's user info: postgresql://scout:hunter2@host/db.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@/\s]+@")


def redact(text: str) -> str:
    """``text`` with every credential query value and URL password replaced by ``***``.

    >>> redact("<GET https://api.vk.com/method/wall.get?owner_id=-1&access_token=abc123&v=5.199>")
    '<GET https://api.vk.com/method/wall.get?owner_id=-1&access_token=***&v=5.199>'
    >>> redact("--db postgresql://scout:hunter2@db.example/pagescout")
    '--db postgresql://scout:***@db.example/pagescout'
    """
    return _URL_PASSWORD.sub(r"\1***@", _SECRET_QUERY.sub(r"\1***", text))


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its message formatted and redacted, its arguments dropped, and the text of its
    traceback redacted the same way."""
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: keep the format only
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def redact_logs() -> None:
    """Redact credentials from every log record this process makes, Scrapy's own included.

    Scrapy prints full request URLs in some warnings (a truncated download, an answer over the warning
    size or the size limit), and a key is in the URL at download time. The records are redacted as they
    are made: each crawler installs a root handler of its own, so a filter on a handler would not last.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def redacting_factory(*args, **kwargs):
        return redact_record(factory(*args, **kwargs))

    redacting_factory.redacts = True
    logging.setLogRecordFactory(redacting_factory)


def progress_text(stats: dict, now: datetime | None = None) -> str:
    """The progress line; a gather adds its members read of those sampled, the pages found and an ETA
    at the pace so far.

    >>> from datetime import datetime, timedelta
    >>> start = datetime(2026, 1, 1)
    >>> progress_text({"downloader/request_count": 130, "start_time": start, "pagescout/gather/sampled": 300,
    ...                "pagescout/gather/lists_read": 90, "pagescout/gather/lists_hidden": 10,
    ...                "pagescout/gather/pages_found": 2400}, now=start + timedelta(seconds=120))
    'requests 130 · items 0 · errors 0 · members read 100 of 300 · pages found 2400 · ETA 4 min'
    """
    errors = sum(v for k, v in stats.items() if k.startswith("pagescout/errors/"))
    items = stats.get("item_scraped_count", 0)
    text = f"requests {stats.get('downloader/request_count', 0)} · items {items} · errors {errors}"
    if "pagescout/discover/candidates" in stats:
        text += (f" · candidates {stats['pagescout/discover/candidates']}"
                 f" · relevant {stats.get('pagescout/discover/relevant', 0)}")
    if sampled := stats.get("pagescout/gather/sampled", 0):
        done = sum(stats.get(f"pagescout/gather/lists_{what}", 0) for what in ("read", "hidden", "failed"))
        text += f" · members read {done} of {sampled} · pages found {stats.get('pagescout/gather/pages_found', 0)}"
        start = stats.get("start_time")
        if done and start is not None and done < sampled:
            elapsed = ((now or datetime.now(start.tzinfo)) - start).total_seconds()
            text += f" · ETA {math.ceil(elapsed / done * (sampled - done) / 60)} min"
    return text


class ProgressLine:
    """Rewrites one status line on a terminal every second; elsewhere, prints a line every 10 seconds."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stream = sys.stderr
        self.tty = self.stream.isatty()
        self.loop = task.LoopingCall(self.show)

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        if crawler.settings.getbool("PAGESCOUT_PROGRESS"):
            crawler.signals.connect(ext.opened, signal=signals.spider_opened)
            crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider):
        self.loop.start(1.0 if self.tty else 10.0, now=False)

    def show(self):
        text = progress_text(self.crawler.stats.get_stats())
        self.stream.write(f"\r{text}  " if self.tty else f"{text}\n")
        self.stream.flush()

    def closed(self, spider, reason):
        if self.loop.running:
            self.loop.stop()
        if self.tty:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()
