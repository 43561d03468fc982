"""A gather (``pagescout gather``): read the follow lists of a sample of a target's audience, and hand the
store which sampled member follows which page.

The phases run in one crawl, each starting when Scrapy runs out of requests (``spider_idle``):

1. **Sample.** The targets' profiles and followers are crawled as usual, up to ``--members`` each (the
   platform's first N, or random offsets where its paging allows); each follower also joins the sample.
2. **Follow lists.** Each sampled member's public follow list is read, a bounded number of pages. A
   ``Follow`` item per (member, page) goes to the store's staging table, hashed like every member;
   a ``GatherMember`` item says whether the list was read, hidden (private, refused or empty) or
   failed. Only counts per page stay in the spider.
3. **Profiles.** Pages that at least ``min_members`` of the read members follow (``min_share`` of
   them) are the candidates; a platform whose lists carry no follower counts looks them up in batches.
4. **Finish.** The candidates' accounts, then a finished ``GatherRun``: the store keeps the candidates'
   follows (as the run's count and as audience rows) and deletes every other staging row
   (``Store._finish_gather``).

``--max-requests`` holds for the whole gather: its list requests are ``optional``, refused once the
budget is spent without ending the crawl, first pages before later ones, so the finish always runs and a
list cut short counts with the pages read. Outcomes known without asking and the finish travel in local
``data:`` requests, which the budget does not count. Ctrl-C keeps the phase, the sample not yet asked and
the counts in the job folder (Scrapy's ``spider.state``) until the gather ends; a gather started afresh
makes the store forget an earlier run of the same name (``GatherRun.fresh``).
"""

from __future__ import annotations

import math

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from crawler.items import SAMPLING_TEXTS, Account, Follow, GatherMember, GatherRun

#: Pages of one member's follow list read at most (80 or 100 accounts a page).
FOLLOW_PAGES = 5
#: Candidates whose profiles are looked up at most.
MAX_PROFILE_LOOKUPS = 500
#: Request priorities: every list's first page before any list's later pages, so a budget that runs
#: out leaves lists shorter rather than members unasked.
FIRST_PAGE, LATER_PAGE = -2, -3
#: Meta of the ``data:`` requests that carry a phase's items: no platform answer to check.
LOCAL = {"answer_kind": "any"}


class FollowGatherer:
    """Mixin for an ``AudienceSpider``: gather mode when ``gather_run`` is given.

    A platform provides ``follows_request(member)`` (the first request for a sampled member's follow
    list, or the outcome, "hidden" or "failed", when it need not or cannot be asked), calls
    ``join_sample`` for each follower of a target,
    ``followed`` for each page of a list, ``list_done`` when a list ends, and may override
    ``profile_requests(handles)`` when its lists carry no follower counts.
    """

    def __init__(self, *args, gather_run: str | None = None, gather_min_share: float = 0.05, gather_members=(),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.gather_run = gather_run or None
        # --target-members: the sample is the user's list of members (their customers, say), not a page's
        # followers; each id as the platform's member_from_id reads it
        self.given_members = list(gather_members or ())
        self.gather_min_share = float(gather_min_share)
        self.gather_budget = 0  # --max-requests, read from the settings (from_crawler)
        if self.gather_run:
            self.engagers_posts = 0  # likers and reposters of the targets' posts are not the sample
            self.depth = 0

    @property
    def gathering(self) -> bool:
        return bool(getattr(self, "gather_run", None))

    @property
    def tally(self) -> dict:
        """The gather's resumable state: phase, sample not yet asked, counts per page, pages' public
        details from the lists, and the outcome counts."""
        return self.state.setdefault("gather", {"phase": "sample", "queue": [], "counts": {}, "pages": {},
                                                "sampled": 0, "read": 0, "hidden": 0, "failed": 0})

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.gather_budget = crawler.settings.getint("PAGESCOUT_MAX_REQUESTS")
        crawler.signals.connect(spider.gather_on_idle, signal=signals.spider_idle)
        return spider

    # what the platform reports ------------------------------------------------------------------
    def gather_started(self, target: str) -> GatherRun:
        """A target's page was read: the run's row, so an interrupted gather is on record. The first one of
        a gather that is not resumed starts the run afresh: the store forgets an earlier run's sample."""
        targets = self.tally.setdefault("targets", [])
        fresh = not self.tally.get("started")
        self.tally["started"] = True
        if target not in targets:
            targets.append(target)
        return GatherRun(self.platform, self.gather_run, ",".join(targets), self.sampling_kind, fresh=fresh)

    def is_target(self, handle: str) -> bool:
        return handle in self.tally.get("targets", ()) or handle in self.seeds

    def join_sample(self, target: str, member: dict) -> None:
        """A follower of ``target`` joins the sample, once however many targets it follows: ``member``
        holds what ``follows_request`` needs."""
        joined = self.tally.setdefault("joined", set())
        if member["id"] in joined:
            self.crawler.stats.inc_value("pagescout/gather/sampled_twice")
            return
        joined.add(member["id"])
        self.tally["queue"].append(member)
        self.tally["sampled"] += 1
        self.crawler.stats.inc_value("pagescout/gather/sampled")

    def followed(self, member_id: str, pages) -> list[Follow]:
        """``member_id`` follows ``pages`` (handle, or (handle, details) with details a dict of an Account's
        fields the list shows): staging items, and one more follower of each page counted."""
        tally, items, seen = self.tally, [], set()
        for page in pages:
            handle, details = (page, None) if isinstance(page, str) else page
            if not handle or handle in seen or self.is_target(handle):
                continue
            seen.add(handle)
            tally["counts"][handle] = tally["counts"].get(handle, 0) + 1
            if details:
                tally["pages"][handle] = details
            items.append(Follow(self.platform, self.gather_run, handle, member_id=member_id))
        self.crawler.stats.set_value("pagescout/gather/pages_found", len(tally["counts"]))
        return items

    def list_done(self, member_id: str, outcome: str) -> GatherMember:
        self.tally[outcome] += 1
        self.crawler.stats.inc_value(f"pagescout/gather/lists_{outcome}")
        return GatherMember(self.platform, self.gather_run, outcome, member_id=member_id)

    def may_page_on(self, pages_read: int) -> bool:
        """Whether a list may be read one page further: within its bound (the budget refuses the page
        itself when it is spent, see ``optional``)."""
        return pages_read < FOLLOW_PAGES

    def optional(self, request: scrapy.Request, later: bool = False) -> scrapy.Request:
        """A gather request the request budget may refuse without ending the crawl: the list then counts
        with what was read (crawler.middlewares.RequestBudgetMiddleware)."""
        request = request.replace(priority=LATER_PAGE if later else FIRST_PAGE)
        request.meta["budget_optional"] = True
        return request

    #: Requests kept back from ``--max-requests`` for the candidates' profile lookups.
    profile_reserve = 0

    def requests_left(self) -> float:
        if not self.gather_budget:
            return math.inf
        return self.gather_budget - int(self.crawler.stats.get_value("pagescout/requests_sent", 0))

    # the phases -----------------------------------------------------------------------------------
    @property
    def min_members(self) -> int:
        return max(1, math.ceil(self.gather_min_share * self.tally["read"] - 1e-9))

    def candidates(self) -> list[str]:
        """Pages at least ``min_members`` read members follow, most followed first."""
        floor = self.min_members
        counts = self.tally["counts"]
        return sorted((h for h, c in counts.items() if c >= floor), key=lambda h: (-counts[h], h))

    def profile_requests(self, handles: list[str]) -> list[scrapy.Request]:
        """Requests for candidates' follower counts; none where the lists carried them."""
        return []

    def gather_on_idle(self, spider=None) -> None:
        if not self.gathering:
            return
        tally = self.tally
        engine = self.crawler.engine
        if tally["phase"] == "sample":
            tally["phase"] = "lists"
            for member_id in self.given_members:
                self.join_sample("", self.member_from_id(member_id))
            if self.given_members and not tally.get("started"):
                tally["started"] = True
                run_row = GatherRun(self.platform, self.gather_run, "", self.sampling_kind, fresh=True)
                engine.crawl(scrapy.Request("data:,run", callback=self.carry, cb_kwargs={"items": [run_row]},
                                            dont_filter=True, meta=LOCAL))
            queue, tally["queue"] = tally["queue"], []
            room = self.requests_left() - self.profile_reserve
            known = []  # (member id, outcome) of lists not asked: hidden, or beyond the budget
            for member in queue:
                request = self.follows_request(member) if room > 0 else "failed"
                if isinstance(request, str):
                    known.append((member["id"], request))
                    continue
                room -= self.follows_cost(member)
                engine.crawl(self.optional(request))
            if known:  # one local request for all: each would wait the download delay of its own
                engine.crawl(scrapy.Request("data:,known", callback=self.not_asked, dont_filter=True, meta=LOCAL,
                                            cb_kwargs={"outcomes": known}))
            raise DontCloseSpider
        if tally["phase"] == "lists":
            tally["phase"] = "profiles"
            missing = [h for h in self.candidates()
                       if (tally["pages"].get(h) or {}).get("followers") is None][:MAX_PROFILE_LOOKUPS]
            requests = self.profile_requests(missing)
            if requests:
                for request in requests:
                    engine.crawl(self.optional(request))
                raise DontCloseSpider
        if tally["phase"] == "profiles":
            tally["phase"] = "finish"
            engine.crawl(scrapy.Request("data:,finish", callback=self.finish_gather, dont_filter=True, meta=LOCAL))
            raise DontCloseSpider

    def carry(self, response, items: list):
        """Items a phase makes without a platform answer, brought to the pipelines by a ``data:`` request."""
        yield from items

    @classmethod
    def member_from_id(cls, member_id: str) -> dict:
        """What ``follows_request`` needs of a member named by the user; ``SeedError`` for an id that is
        not one of the platform's."""
        raise NotImplementedError

    def not_asked(self, response, outcomes: list):
        """Sampled members whose lists were not asked: hidden (the member hides it), or failed (the budget
        or the platform left it unasked)."""
        for member_id, outcome in outcomes:
            yield self.list_done(member_id, outcome)

    def follows_cost(self, member: dict) -> int:
        """Requests a member's first page takes (a Mastodon member of another instance: a lookup too)."""
        return 1

    def follows_failed(self, failure):
        """Errback of a follow-list request (a final HTTP error, the budget spent): a list whose later
        page failed counts with the pages read; one that gave nothing, as failed. The gather goes on."""
        kwargs = failure.request.cb_kwargs
        yield self.list_done(kwargs["member_id"], "read" if kwargs.get("pages_read") else "failed")

    def page_failed(self, member_id: str, pages_read: int):
        """An error answer for a list: counted with the pages read before it, if any."""
        return self.list_done(member_id, "read" if pages_read else "failed")

    def page_details(self, handle: str, details: dict) -> None:
        """A candidate's follower count and name from a profile lookup."""
        self.tally["pages"][handle] = details

    def finish_gather(self, response):
        """The candidates' accounts, then the finished run: the store keeps what enough members follow."""
        tally = self.tally
        for handle in self.candidates():
            details = tally["pages"].get(handle) or {}
            yield Account(self.platform, handle, followers_kind=self.followers_kind,
                          **{k: v for k, v in details.items() if k in ("name", "url", "description", "followers")})
        self.crawler.stats.set_value("pagescout/summary/gather", (
            f"{tally['sampled']} members sampled ({self.sampling_text}); follow lists read {tally['read']}, "
            f"hidden or empty {tally['hidden']}, failed or not asked {tally['failed']}; "
            f"{len(tally['counts'])} pages found, {len(self.candidates())} followed by at least "
            f"{self.min_members} of them; {self.crawler.stats.get_value('pagescout/requests_sent', 0)} requests"))
        yield GatherRun(self.platform, self.gather_run, ",".join(tally.get("targets", [])), self.sampling_kind,
                        members_sampled=tally["sampled"], pages_found=len(tally["counts"]),
                        min_members=self.min_members, finished=True)

    @property
    def sampling(self) -> str:
        return "first"

    @property
    def sampling_kind(self) -> str:
        """How this gather's sample was drawn: the platform's way, or "given" for --target-members alone."""
        return "given" if self.given_members and not self.seeds else self.sampling

    @property
    def sampling_text(self) -> str:
        return SAMPLING_TEXTS[self.sampling_kind]
