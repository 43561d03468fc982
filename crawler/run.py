"""Run one crawl in this process and summarise it.

Resuming: every crawl gets a Scrapy job folder next to the database, named after the platform and
the crawl's arguments. Ctrl-C (or SIGTERM) stops the crawl cleanly and keeps the folder; rerunning the
same command picks up the pending requests and skips the pages already fetched. A crawl that ends
any other way removes its folder, so running the same command next week crawls afresh. A hard kill
(SIGKILL, power loss) leaves Scrapy's queue files half-written: a marker file left in the folder tells
the next run so, and it starts the crawl over rather than trust them. The store commits every couple
of seconds and upserts, so either way nothing stored is lost or duplicated.
"""

from __future__ import annotations

import hashlib
import json
import os
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor

from crawler.basespider import PlatformSpider, SeedError
from crawler.extensions import redact_logs
from crawler.platforms import spider_class
from crawler.store import Store, resolve_db


@dataclass
class CrawlSummary:
    finish_reason: str
    pages: int
    stored: dict[str, int]
    errors: dict[str, int]
    unavailable: dict[str, str] = field(default_factory=dict)
    resumable: bool = False
    notes: list[str] = field(default_factory=list)
    # Accounts whose follower list is private (Mastodon's hide_collections): a fact, not an error.
    audience_hidden: dict[str, str] = field(default_factory=dict)
    # Platform notes for the summary (stats ``pagescout/summary/<what>``), e.g. YouTube quota units used.
    extra: dict[str, object] = field(default_factory=dict)
    # Why a crawl had to stop that the user must act on (stats ``pagescout/fatal``), e.g. a rejected token.
    fatal: str | None = None
    # Rows the store refused, per item type (stats ``pagescout/refused/<Kind>``; the rows are in ``refused``).
    refused: dict[str, int] = field(default_factory=dict)
    # Rows that never reached the database: it was unusable or busy past waiting (``pagescout/lost/<Kind>``).
    lost: dict[str, int] = field(default_factory=dict)
    # Accounts found but never requested, with why (stats ``pagescout/not_fetched/<handle>``): the budget.
    not_fetched: dict[str, str] = field(default_factory=dict)
    # Answers whose callback raised (stats ``pagescout/errors/callback``): a parser bug or an odd answer.
    callback_failures: int = 0
    # Fields a platform sent out of type or range, stored empty (stats ``pagescout/invalid/<platform>/<field>``).
    invalid_fields: dict[str, int] = field(default_factory=dict)
    log: Path | None = None
    # Only put on a queue (``crawl --queue --no-worker``): nothing was fetched here, the notes say what was queued.
    queued_only: bool = False
    # The crawl's name on the queue (``crawl --queue``, ``crawl-status``).
    queued_as: str | None = None

    def added(self, later: CrawlSummary) -> CrawlSummary:
        """This summary and a later one of the same crawl on the same worker (it left the crawl and
        joined it again), as one: counts added, the later ending."""
        def plus(a: dict, b: dict) -> dict:
            return {k: a.get(k, 0) + b.get(k, 0) for k in {**a, **b}}

        return CrawlSummary(
            finish_reason=later.finish_reason, pages=self.pages + later.pages, stored=plus(self.stored, later.stored),
            errors=plus(self.errors, later.errors), unavailable={**self.unavailable, **later.unavailable},
            audience_hidden={**self.audience_hidden, **later.audience_hidden}, extra={**self.extra, **later.extra},
            fatal=later.fatal or self.fatal, refused=plus(self.refused, later.refused),
            lost=plus(self.lost, later.lost), not_fetched={**self.not_fetched, **later.not_fetched},
            callback_failures=self.callback_failures + later.callback_failures,
            invalid_fields=plus(self.invalid_fields, later.invalid_fields), log=later.log, queued_as=later.queued_as)

    @property
    def killed(self) -> bool:
        """Stopped before Scrapy could finish the crawl (a second Ctrl-C): no finish reason was recorded."""
        return self.finish_reason == "unknown"

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C or SIGTERM; 1 when rows were refused or lost, or callbacks failed; else 0."""
        if self.finish_reason == "shutdown" or self.killed:
            return 130
        return 1 if self.refused or self.lost or self.callback_failures else 0

    def problem(self) -> str | None:
        """The one line that says why the crawl exits 1, naming the log; ``None`` when nothing was lost."""
        parts = []
        if self.refused:
            parts.append(f"{sum(self.refused.values())} rows refused by the database (table 'refused')")
        if self.lost:
            parts.append(f"{sum(self.lost.values())} rows that could not be written (the database was unusable or busy)")
        if self.callback_failures:
            parts.append(f"{self.callback_failures} answers that pagescout could not parse")
        if not parts:
            return None
        return "not everything fetched was stored: " + " and ".join(parts) + (f"; details in {self.log}" if self.log else "")

    def lines(self) -> list[str]:
        if self.queued_only:
            return list(self.notes)
        s = self.stored
        out = list(self.notes) + [
            f"crawl {self.finish_reason}: {self.pages} pages, {s.get('Account', 0)} accounts "
            f"({len(self.unavailable)} unavailable), {s.get('Post', 0)} posts, {s.get('Link', 0)} links"
            + (f", {s['AudienceMember']} audience members" if s.get("AudienceMember") else "")
        ]
        if self.errors:
            out.append("errors: " + ", ".join(f"{k} ×{v}" for k, v in sorted(self.errors.items())))
        for what, value in sorted(self.extra.items()):
            out.append(f"{what}: {value}")
        for handle, reason in sorted(self.unavailable.items()):
            out.append(f"unavailable: {handle}: {reason}")
        for handle, reason in sorted(self.audience_hidden.items()):
            out.append(f"audience hidden: {handle}: {reason}")
        if self.not_fetched:
            shown = sorted(self.not_fetched)[:10]
            more = len(self.not_fetched) - len(shown)
            out.append(f"not fetched (request budget spent): {len(self.not_fetched)} accounts: " + ", ".join(shown)
                       + (f" and {more} more" if more else ""))
        if self.invalid_fields:
            out.append("stored empty (out of type or range): "
                       + ", ".join(f"{k} ×{v}" for k, v in sorted(self.invalid_fields.items())))
        if self.refused:
            out.append("refused by the database: " + ", ".join(f"{k} ×{v}" for k, v in sorted(self.refused.items())))
        if self.lost:
            out.append("not written (database unusable or busy): "
                       + ", ".join(f"{k} ×{v}" for k, v in sorted(self.lost.items())))
        if self.resumable:
            out.append("interrupted: run the same command again to continue where it stopped")
        elif self.killed:
            out.append("stopped before the end: run the same command again; it starts that crawl over "
                       "(stored data is kept, nothing is duplicated)")
        if self.log is not None:
            out.append(f"log: {self.log}")
        return out


def _beside_db(db: str) -> Path:
    """Where a database's job folders and log go: beside the file, or, for a server URL, in ./.pagescout/
    under a name of its own, so two databases crawled with the same arguments never share a resume state."""
    if "://" not in db:
        return Path(db).expanduser()
    return Path(".pagescout") / f"db-{hashlib.sha1(db.encode()).hexdigest()[:12]}"


def job_dir(db: str, platform: str, arguments: dict) -> Path:
    key = hashlib.sha1(json.dumps(arguments, sort_keys=True, default=str).encode()).hexdigest()[:12]
    base = _beside_db(db)
    return base.parent / f"{base.name}.jobs" / f"{platform}-{key}"


def log_path(db: str) -> Path:
    """``<db>.log``: the crawl log, tracebacks included, with secrets redacted. Its folder is made when
    missing (``./.pagescout/`` for a server URL): the log is opened before anything else could make it."""
    base = _beside_db(db)
    base.parent.mkdir(parents=True, exist_ok=True)
    return base.parent / f"{base.name}.log"


RUNNING_MARKER = "pagescout.running"


class CrawlAlreadyRunning(RuntimeError):
    pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_job(jobdir: Path) -> str | None:
    """Mark the job folder as in use; returns a note when an earlier run died there uncleanly."""
    marker = jobdir / RUNNING_MARKER
    note = None
    if marker.exists():
        try:
            pid = int(marker.read_text().strip() or 0)
        except ValueError:
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            raise CrawlAlreadyRunning(f"this crawl is already running (process {pid}); wait for it or stop it")
        shutil.rmtree(jobdir, ignore_errors=True)
        note = "the last run of this crawl was killed: starting it over (stored data is kept, nothing is duplicated)"
    jobdir.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(os.getpid()))
    return note


def crawl_settings(spider_cls: type[PlatformSpider], db: str, delay: float | None, max_requests: int,
                   progress: bool, jobdir: Path | None, timeout: float | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    floor = spider_cls.min_delay if delay is None else delay
    settings.set("PAGESCOUT_DB", db, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", floor, priority="cmdline")
    settings.set("AUTOTHROTTLE_START_DELAY", max(floor, 0.1), priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", floor > 0, priority="cmdline")
    settings.set("PAGESCOUT_MAX_REQUESTS", max_requests or 0, priority="cmdline")
    settings.set("PAGESCOUT_PROGRESS", progress, priority="cmdline")
    settings.set("LOG_FILE", str(log_path(db)), priority="cmdline")
    if timeout is not None:
        settings.set("DOWNLOAD_TIMEOUT", timeout, priority="cmdline")
    if os.environ.get("PAGESCOUT_BACKOFF_BASE"):  # tests shorten the backoff without a user-facing flag
        settings.set("PAGESCOUT_BACKOFF_BASE", float(os.environ["PAGESCOUT_BACKOFF_BASE"]), priority="cmdline")
    if jobdir is not None:
        settings.set("JOBDIR", str(jobdir), priority="cmdline")
    return settings


def run_crawl(spider_cls: type[PlatformSpider], seeds: list[str], *, db: str | None = None, depth: int = 0,
              max_posts: int = 100, max_requests: int = 0, delay: float | None = None,
              base_url: str | None = None, progress: bool = True, resume: bool = True, fresh: bool = False,
              timeout: float | None = None, **spider_args) -> CrawlSummary:
    db = resolve_db(db)
    arguments = dict(seeds=seeds, depth=depth, max_posts=max_posts, max_requests=max_requests,
                     base_url=base_url, **spider_args)
    jobdir = job_dir(db, spider_cls.name, arguments) if resume else None
    if fresh and jobdir is not None:
        shutil.rmtree(jobdir, ignore_errors=True)
    note = claim_job(jobdir) if jobdir is not None else None
    settings = crawl_settings(spider_cls, db, delay, max_requests, progress, jobdir, timeout)
    process = CrawlerProcess(settings)
    redact_logs()
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, seeds=seeds, depth=depth, max_posts=max_posts, base_url=base_url, **spider_args)
    process.start()
    summary = summarise(crawler, jobdir)
    if note:
        summary.notes.insert(0, note)
    return summary


def summarise(crawler, jobdir: Path | None) -> CrawlSummary:
    """The crawl's summary from its stats; removes the job folder unless the crawl can resume."""
    stats = crawler.stats.get_stats()
    reason = str(stats.get("finish_reason", "unknown"))
    resumable = reason == "shutdown" and jobdir is not None
    if jobdir is not None:
        if resumable:
            (jobdir / RUNNING_MARKER).unlink(missing_ok=True)
        elif reason != "unknown":
            shutil.rmtree(jobdir, ignore_errors=True)
        # else stopped by force, its queue files possibly half-written: the marker stays, and the next
        # run of the same command starts over (claim_job)
    return CrawlSummary(
        finish_reason=reason,
        pages=int(stats.get("response_received_count", 0)) - int(stats.get("pagescout/local_requests", 0)),
        stored={k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("pagescout/store/")},
        errors={k.removeprefix("pagescout/errors/"): v for k, v in stats.items() if k.startswith("pagescout/errors/")},
        unavailable={k.removeprefix("pagescout/unavailable/"): v for k, v in stats.items()
                     if k.startswith("pagescout/unavailable/")},
        resumable=resumable,
        audience_hidden={k.removeprefix("pagescout/audience_hidden/"): v for k, v in stats.items()
                         if k.startswith("pagescout/audience_hidden/")},
        extra={k.removeprefix("pagescout/summary/"): v for k, v in stats.items() if k.startswith("pagescout/summary/")},
        fatal=stats.get("pagescout/fatal"),
        refused=_by_prefix(stats, "pagescout/refused/"),
        lost=_by_prefix(stats, "pagescout/lost/"),
        not_fetched=_by_prefix(stats, "pagescout/not_fetched/"),
        callback_failures=int(stats.get("pagescout/errors/callback", 0)),
        invalid_fields=_by_prefix(stats, "pagescout/invalid/"),
        log=Path(crawler.settings.get("LOG_FILE")) if crawler.settings.get("LOG_FILE") else None,
    )


def _by_prefix(stats: dict, prefix: str) -> dict:
    return {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}


@dataclass
class DiscoveryPlan:
    """One platform of a discovery run: the spider, its seeds, and its spider arguments."""

    spider_cls: type[PlatformSpider]
    seeds: list[str]
    arguments: dict = field(default_factory=dict)


def run_discovery(plans: list[DiscoveryPlan], *, db: str | None = None, max_requests: int = 500,
                  delay: float | None = None, progress: bool = True, fresh: bool = False,
                  resume: bool = True, timeout: float | None = None) -> dict[str, CrawlSummary]:
    """Run every platform's focused crawl in one process, drawing on one request budget.

    Each platform keeps its own job folder, so Ctrl-C and the same command again resume all of them.
    """
    db = resolve_db(db)
    budget_key = hashlib.sha1(repr([(p.spider_cls.name, p.seeds) for p in plans]).encode()).hexdigest()
    process = None
    runs = []
    for plan in plans:
        arguments = dict(seeds=plan.seeds, discovery=True, max_requests=max_requests, **plan.arguments)
        jobdir = job_dir(db, plan.spider_cls.name, arguments) if resume else None
        if fresh and jobdir is not None:
            shutil.rmtree(jobdir, ignore_errors=True)
        note = claim_job(jobdir) if jobdir is not None else None
        settings = crawl_settings(plan.spider_cls, db, delay, max_requests, progress, jobdir, timeout)
        settings.set("PAGESCOUT_BUDGET_KEY", budget_key, priority="cmdline")
        if process is None:
            process = CrawlerProcess(settings)
            redact_logs()
            # Each platform's crawler has settings of its own (its job folder), so they are built here
            # rather than by the process, which would otherwise be the one to install the reactor.
            install_reactor(settings["TWISTED_REACTOR"])
        crawler = Crawler(plan.spider_cls, settings)
        process.crawl(crawler, seeds=plan.seeds, **plan.arguments)
        runs.append((plan.spider_cls.name, crawler, jobdir, note))
    if process is None:
        return {}
    process.start()
    summaries = {}
    for name, crawler, jobdir, note in runs:
        summaries[name] = summarise(crawler, jobdir)
        if note:
            summaries[name].notes.insert(0, note)
    return summaries


def prepare_db(db: str | None) -> str:
    """The database a crawl writes to, checked (and created) before any request is made: a foreign or
    unreadable file raises ``StoreError`` here, not after an hour of crawling."""
    db = resolve_db(db)
    Store(db).close()
    return db


def crawl(platform: str, seeds: list[str], *, db: str | None = None, **options) -> CrawlSummary:
    """One platform's crawl as the command line starts it: the seeds read by the platform's rules
    (``SeedError`` for one that names no account), the database checked, then ``run_crawl``."""
    spider_cls = spider_class(platform)
    handles = [spider_cls.parse_seed(seed) for seed in seeds]
    return run_crawl(spider_cls, handles, db=prepare_db(db), **options)


def discovery_plans(brief, *, roots: dict[str, str] | None = None, focused: bool = True, depth: int = 3,
                    max_posts: int = 30, audience_limit: int = 200) -> list[DiscoveryPlan]:
    """A brief's (``sheets.brief.Brief``) seeds, targets and searches as one ``DiscoveryPlan`` per platform
    (a platform with neither seeds nor searches is left out); its keywords steer the frontier. A seed that
    names no account raises ``SeedError`` naming the brief and the platform's seeds."""
    plans = []
    for platform in brief.platforms:
        spider_cls = spider_class(platform)
        raw = list(brief.seeds.get(platform, []))
        raw += [handle for target_platform, handle in brief.target_accounts if target_platform == platform]
        try:
            seeds = list(dict.fromkeys(spider_cls.parse_seed(seed) for seed in raw))
        except SeedError as exc:
            raise SeedError(f"{brief.source}: seeds.{platform}: {exc}") from None
        searches = brief.search.get(platform, [])
        if not seeds and not searches:
            continue
        arguments = dict(depth=depth, max_posts=max_posts, base_url=(roots or {}).get(platform),
                         frontier="focused" if focused else "bfs", keywords=brief.keywords,
                         negative_keywords=brief.negative_keywords, audience_limit=audience_limit,
                         discover_follows=True)
        if searches:
            arguments["search"] = searches
        plans.append(DiscoveryPlan(spider_cls, seeds, arguments))
    return plans


def gather_run_key(platform: str, handles: list[str], members: int, min_share: float,
                   member_ids: list[str] = ()) -> str:
    """The name of one gather in the store: the same targets (or listed members), sample size and
    threshold are the same run, so the same command again resumes it (or, once finished, reads it again)."""
    text = json.dumps([platform, sorted(handles), members, round(min_share, 6), sorted(member_ids)])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def gather(platform: str, targets: list[str], *, db: str | None = None, members: int = 1000,
           min_share: float = 0.05, member_ids: list[str] = (), **options) -> tuple[CrawlSummary, str]:
    """``pagescout gather``'s crawl (crawler.gather): the targets' profiles and up to ``members`` of their
    followers each, and any ``member_ids`` (``--target-members``), then every sampled member's follow
    list. An id that is no member of the platform raises ``SeedError`` before any request. Returns the
    crawl's summary and the run's name in the store (``Store.load_gather``)."""
    spider_cls = spider_class(platform)
    handles = list(dict.fromkeys(spider_cls.parse_seed(target) for target in targets))
    member_ids = list(dict.fromkeys(member_ids))  # an id listed twice is one member
    for member_id in member_ids:
        spider_cls.member_from_id(member_id)
    run = gather_run_key(platform, handles, members, min_share, list(member_ids))
    db = prepare_db(db)
    summary = run_crawl(spider_cls, handles, db=db, depth=0, max_posts=20, audience_limit=members,
                        gather_run=run, gather_min_share=min_share, gather_members=list(member_ids), **options)
    if not summary.resumable:
        with Store(db) as store:  # killed, or stopped by the platform: no staging of who follows what stays
            if store.discard_unfinished_gather(platform, run):
                summary.notes.append("the gather did not finish: what it read was discarded; run it again")
    return summary, run


def crawl_in_child(platform: str, seeds: list[str], **options) -> CrawlSummary:
    """``crawl`` in a fresh process: Twisted's reactor runs once per process, so a command that has crawled
    already (``gather --crawl-top``) crawls again there. Ctrl-C reaches both; the child's summary says so."""
    return _in_child(crawl, platform, seeds, **options)


# a crawl on a queue (crawler.distributed, crawler.shared_crawl) ------------------------------------
def queue_crawl(platform: str, seeds: list[str], *, queue: str, db: str | None = None, work: bool = True,
                depth: int = 0, max_posts: int = 100, max_requests: int = 0, delay: float | None = None,
                base_url: str | None = None, progress: bool = True, timeout: float | None = None,
                fresh: bool = False, **spider_args) -> CrawlSummary:
    """Put one platform's crawl on the queue at ``queue`` and, with ``work``, work on it until it is over
    (other workers may join: ``run_worker``). The summary counts this process's part; its notes give the crawl's
    name and, without ``work``, how to start workers. The crawl's seeds are read as ``crawl`` reads them."""
    from crawler.distributed import connect, key, new_worker_id, register, shown
    from crawler.shared_crawl import queue_settings

    spider_cls = spider_class(platform)
    client = connect(queue)
    handles = [spider_cls.parse_seed(seed) for seed in seeds]
    db = prepare_db(db)
    floor = spider_cls.min_delay if delay is None else delay
    arguments = dict(seeds=handles, depth=depth, max_posts=max_posts, base_url=base_url, **spider_args)
    spec = register(client, platform, arguments, delay=floor, max_requests=max_requests, timeout=timeout, fresh=fresh)
    settings = queue_settings(crawl_settings(spider_cls, db, floor, max_requests, progress and work, None, timeout),
                              spec, queue, new_worker_id(), seeds=True, work=work)
    process = CrawlerProcess(settings)
    redact_logs()
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **arguments)
    process.start()
    summary = summarise(crawler, None)
    summary.queued_as = spec.crawl_id
    queued = int(client.zcard(key(spec.crawl_id, "pending")))
    if work:
        summary.notes.append(f"crawl {spec.crawl_id} on the queue: this process's part follows")
    else:
        summary.queued_only = True
        summary.notes.append(f"crawl {spec.crawl_id} queued ({queued} requests waiting); start workers with: "
                             f"pagescout worker --queue {shown(queue)} --db <database>")
    return summary


def run_worker(queue: str, *, db: str | None = None, until_idle: float | None = None, progress: bool = False,
               report=None, only: set[str] | None = None) -> dict[str, CrawlSummary]:
    """Work on every crawl on the queue (or those named in ``only``), whatever its platform, each in a
    crawler of this process; crawls put on the queue later are joined within a second. Returns once
    nothing has been queued or in flight for ``until_idle`` seconds (never without it, but for Ctrl-C or
    SIGTERM, which hand the requests taken back to the queue). ``report(crawl_id, summary)`` is called
    each time this worker leaves a crawl, with its part of it; the summaries returned add those parts up
    per crawl. A crawl that stopped here for a reason of its own (a refused token, a spent quota, a
    database this worker cannot write) is not joined again by this worker."""
    from crawler.distributed import LIVE, PREFIX, CrawlSpec, connect, new_worker_id, status
    from crawler.shared_crawl import queue_settings

    client = connect(queue)
    db = prepare_db(db)
    worker_id = new_worker_id()
    first = Settings()
    first.setmodule("crawler.settings", priority="project")
    first.set("LOG_FILE", str(log_path(db)), priority="cmdline")
    process = CrawlerProcess(first)
    redact_logs()
    install_reactor(first["TWISTED_REACTOR"])
    from twisted.internet import reactor, task  # only once the reactor Scrapy wants is installed

    log = logging.getLogger(__name__)
    running: dict[str, Crawler] = {}
    left: set[str] = set()  # crawls this worker will not join again
    summaries: dict[str, CrawlSummary] = {}
    idle_since = [time.monotonic()]

    def ended(result, crawl_id: str, crawler: Crawler):
        running.pop(crawl_id, None)
        if hasattr(result, "getTraceback"):  # the crawl could not start here: say so once, never retry it
            left.add(crawl_id)
            log.error("queue: crawl %s stopped: %s", crawl_id, result.getTraceback())
        if crawler.stats is None:
            return
        summary = summarise(crawler, None)
        if summary.finish_reason != "finished":  # shutdown, or a reason of the crawl's own
            left.add(crawl_id)
        if summary.finish_reason == "shutdown" and looking.running:
            looking.stop()  # stopping: join nothing more
        summaries[crawl_id] = summary if crawl_id not in summaries else summaries[crawl_id].added(summary)
        if report is not None and (summary.pages or summary.finish_reason != "finished"):
            report(crawl_id, summary)

    def look() -> None:
        try:
            join_and_end()
        except Exception as exc:  # Redis gone for a moment: say so, keep looking
            log.error("queue: %s while looking for crawls", type(exc).__name__)

    def join(spec: CrawlSpec) -> None:
        try:
            spider_cls = spider_class(spec.platform)
            settings = queue_settings(crawl_settings(spider_cls, db, spec.delay, spec.max_requests, progress, None,
                                                     spec.timeout), spec, queue, worker_id, seeds=False, work=True)
            crawler = Crawler(spider_cls, settings)
        except Exception as exc:  # a crawl this version cannot run (an unknown platform, say)
            left.add(spec.crawl_id)
            log.error("queue: crawl %s cannot run here: %s", spec.crawl_id, type(exc).__name__)
            return
        running[spec.crawl_id] = crawler
        process.crawl(crawler, **spec.spider_args).addBoth(ended, spec.crawl_id, crawler)

    def join_and_end() -> None:
        live = [crawl for crawl in status(client) if crawl.spec.status in LIVE and crawl.spec.crawl_id not in left
                and (only is None or crawl.spec.crawl_id in only)]
        for crawl in live:
            nothing_yet = crawl.spec.status == "seeding" and not crawl.queued and not crawl.in_flight
            if crawl.spec.crawl_id not in running and not nothing_yet:
                join(crawl.spec)
        if running or any(crawl.queued or crawl.in_flight for crawl in live):
            idle_since[0] = time.monotonic()
        elif until_idle is not None and time.monotonic() - idle_since[0] >= until_idle:
            looking.stop()
            reactor.stop()

    looking = task.LoopingCall(look)
    reactor.callWhenRunning(looking.start, 1.0)  # look() may stop the reactor: only once it runs
    try:
        process.start(stop_after_crawl=False)
    finally:
        client.hdel(PREFIX + "workers", worker_id)
    return summaries


# refresh: the monitoring loop ---------------------------------------------------------------------
#: What a refresh fetches of each page: its profile and newest posts (and so that day's snapshot), no audience.
REFRESH_ARGUMENTS = {"vk": {"audience_limit": 0}, "youtube": {"audience_limit": 0},
                     "mastodon": {"audience_limit": 0, "engagers_posts": 0},
                     "bluesky": {"audience_limit": 0, "engagers_posts": 0}}


def stale_pages(db: str, older_than_seconds: float, platform: str | None = None) -> dict[str, list[str]]:
    """The stored pages of crawled platforms last fetched more than ``older_than_seconds`` ago (or never),
    by platform, oldest first. Imported platforms are left out: pagescout cannot fetch them."""
    from datetime import datetime, timedelta, timezone

    from crawler.platforms import CRAWLED

    with Store(db, create=False) as store:
        accounts = store.load_accounts(platform)
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
    accounts = accounts[accounts["platform"].isin(CRAWLED)]
    fetched = accounts["fetched_at"]
    stale = accounts[fetched.isna() | (fetched < cutoff)].sort_values("fetched_at", na_position="first")
    return {name: group["handle"].tolist() for name, group in stale.groupby("platform", sort=True)}


def refresh(*, db: str | None = None, older_than_seconds: float = 86400, platform: str | None = None,
            max_posts: int = 20, max_requests: int = 0, delay: float | None = None, roots: dict | None = None,
            queue: str | None = None, work: bool = True, progress: bool = True,
            timeout: float | None = None) -> dict[str, CrawlSummary]:
    """Re-crawl the stored pages last fetched more than ``older_than_seconds`` ago: profile, newest
    ``max_posts`` posts and that day's follower snapshot, no audience. Without ``queue`` every platform's
    crawl runs in this process on one request budget; with it, each platform's crawl goes on the queue
    with a budget of ``max_requests`` of its own (and, with ``work``, is worked on). ``roots`` gives a platform another
    root (``--base-url``: mirrors, tests). Returns a summary per platform."""
    db = resolve_db(db)
    pages = stale_pages(db, older_than_seconds, platform)  # a database with no pages is refused here, untouched
    roots = roots or {}
    if not queue:
        plans = [DiscoveryPlan(spider_class(name), handles, dict(depth=0, max_posts=max_posts, base_url=roots.get(name),
                                                                 **REFRESH_ARGUMENTS.get(name, {})))
                 for name, handles in pages.items()]
        return run_discovery(plans, db=db, max_requests=max_requests, delay=delay, progress=progress,
                             timeout=timeout) if plans else {}
    # Every platform's crawl goes on the queue first, each from a process of its own (a reactor runs once
    # per process), so the workers share all of them at once; then, with ``work``, this process joins them.
    queued = {name: _in_child(queue_crawl, name, handles, queue=queue, db=db, work=False, depth=0, max_posts=max_posts,
                              max_requests=max_requests, delay=delay, base_url=roots.get(name), progress=False,
                              timeout=timeout, **REFRESH_ARGUMENTS.get(name, {}))
              for name, handles in pages.items()}
    if not work:
        return queued
    names = {summary.queued_as: name for name, summary in queued.items()}
    worked = _in_child(run_worker, queue, db=db, until_idle=1.0, only=set(names))
    return {names[crawl_id]: summary for crawl_id, summary in worked.items()}


def _in_child(function, *args, **kwargs):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args, **kwargs).result()
