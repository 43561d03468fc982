"""Scrapy settings shared by every pagescout spider. Platform specifics live on the spider classes
(``min_delay``, ``custom_settings``); ``crawler.run`` fills in the per-crawl values."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("pagescout")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0.0.0"

BOT_NAME = "pagescout"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = f"pagescout/{VERSION} (+https://github.com/pagescout/pagescout; public pages research bot)"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Seconds one download may take (``--timeout``); a timeout is retried PAGESCOUT_TIMEOUT_RETRIES times,
# so a server that hangs costs at most (1 + retries) × timeout per page.
DOWNLOAD_TIMEOUT = 30
PAGESCOUT_TIMEOUT_RETRIES = 1
# The largest answer read, per request, is set by crawler.middlewares.AnswerLimitsMiddleware from the
# kind of answer expected (5 MB for pages and feeds, 10 MB for JSON); this is the bound for anything else.
DOWNLOAD_MAXSIZE = 10 * 2**20
DOWNLOAD_WARNSIZE = 5 * 2**20
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2

# The platform's own minimum delay is the floor (crawler.run sets DOWNLOAD_DELAY from the spider);
# AutoThrottle only ever slows down from there.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0

RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Backoff without Retry-After: base * 2**attempt seconds, capped; Retry-After itself is capped too so
# a hostile header cannot park the crawl for a day.
PAGESCOUT_BACKOFF_BASE = 2.0
PAGESCOUT_BACKOFF_MAX = 300.0
PAGESCOUT_MAX_REQUESTS = 0  # 0 = no bound

# Pause a host until its rate-limit window resets once its headers say this many requests or fewer are left.
PAGESCOUT_RATELIMIT_RESERVE = 2

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RequestBudgetMiddleware": 50,
    "crawler.middlewares.AnswerLimitsMiddleware": 60,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    # Sees responses before Scrapy's RedirectMiddleware (600).
    "crawler.middlewares.RedirectLoopMiddleware": 610,
    # Nearer the download than the retries: it sees every response's headers, 429s included.
    "crawler.middlewares.RateLimitHeadersMiddleware": 560,
    # Adds VK's token / YouTube's key to a URL for the download only (crawler/apikeys.py): nearest the
    # download, so no other middleware, log line, job folder or item ever sees it.
    "crawler.apikeys.ApiKeyMiddleware": 950,
}

SPIDER_MIDDLEWARES = {
    # Nearest the engine: answers of the wrong kind never reach a callback.
    "crawler.middlewares.AnswerCheckMiddleware": 40,
    "crawler.focus.FocusMiddleware": 900,
    # Nearest the spider: the first to see a callback's exception.
    "crawler.middlewares.CallbackFailureMiddleware": 950,
}

ITEM_PIPELINES = {
    "crawler.pipelines.NormalisePipeline": 100,
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.AdPipeline": 250,
    "crawler.pipelines.HashMemberPipeline": 300,
    "crawler.pipelines.StorePipeline": 400,
}

EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.extensions.ProgressLine": 500,
}
PAGESCOUT_PROGRESS = True
# The store pipeline commits at least this often, so a killed crawl loses at most a few seconds of work.
PAGESCOUT_FLUSH_ITEMS = 500
PAGESCOUT_FLUSH_SECONDS = 2.0

# crawler.run sends the log to <db>.log beside the database (tracebacks included), with secrets
# redacted from every record as it is made (crawler.extensions.redact_logs); the terminal gets the progress line
# and the summary.
LOG_LEVEL = "INFO"
# Items can carry raw audience ids before hashing: never log them.
LOG_FORMATTER = "crawler.extensions.QuietLogFormatter"
