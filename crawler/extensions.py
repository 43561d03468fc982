"""Crawl-time feedback: a live progress line, and log records that never print item contents."""

from __future__ import annotations

import logging
import sys

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


def progress_text(stats: dict) -> str:
    errors = sum(v for k, v in stats.items() if k.startswith("pagescout/errors/"))
    items = stats.get("item_scraped_count", 0)
    text = f"requests {stats.get('downloader/request_count', 0)} · items {items} · errors {errors}"
    if "pagescout/discover/candidates" in stats:
        text += (f" · candidates {stats['pagescout/discover/candidates']}"
                 f" · relevant {stats.get('pagescout/discover/relevant', 0)}")
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
