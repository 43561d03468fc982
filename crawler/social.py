"""What the Bluesky and Mastodon spiders share: JSON APIs whose audiences (followers, likers,
reposters) are public, so pagescout can sample who follows and who engages, not just how many.

Audience members leave the spider as ``AudienceMember`` items carrying the platform's raw id, which
``pipelines.HashMemberPipeline`` replaces with a keyed hash before anything is stored; nothing here
keeps a raw id beyond the in-memory set used to count distinct members, and nothing logs one.

Answers are written by strangers: every value the spiders keep passes through their typed readers
(``self.fields``, crawler.fields), a nested value of the wrong type reads as absent (``as_dict``,
``as_list``), and a post, member or link that cannot be read is skipped and counted. Only an answer whose
essential part is unusable (an account without a usable id) raises ``InvalidAnswer``, which marks the
account unavailable; that is always raised before the callback yields anything, so no post is ever stored
without its account.
"""

from __future__ import annotations

import re
from datetime import datetime
from math import ceil
from urllib.parse import urlsplit

import scrapy
from scrapy.http import TextResponse
from w3lib.html import remove_tags, replace_entities

from crawler.basespider import PlatformSpider
from crawler.fields import as_date, as_url
from crawler.sampling import AUDIENCE_LIMIT, AudienceSampler

#: Default of ``--engagers-posts`` (``--audience-limit``'s is crawler.sampling.AUDIENCE_LIMIT).
ENGAGERS_POSTS = 10
#: Accounts taken from one ``--search``: the first page of results.
SEARCH_RESULTS = 25


def day_of(value) -> datetime | None:
    """Midnight UTC of the day of a timestamp (a datetime, or an ISO 8601 string or bare date, read by
    ``crawler.fields.as_date``).

    Audience signals keep the day only: an account's exact creation time, to the millisecond, would be
    as good as its id for finding it again.
    """
    when = as_date(value)
    return when.replace(hour=0, minute=0, second=0, microsecond=0) if when else None


def html_text(html) -> str | None:
    """Plain text of a Mastodon HTML fragment: paragraphs and <br> become line breaks; ``None`` if not text."""
    if not isinstance(html, str) or not html:
        return None
    text = re.sub(r"<br\s*/?>", "\n", html, flags=re.IGNORECASE)
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", text, flags=re.IGNORECASE)
    text = replace_entities(remove_tags(text))
    return text.strip() or None


def json_body(response):
    """The response's JSON, or ``None`` when the body is not JSON (an HTML error page, binary data)."""
    if not isinstance(response, TextResponse):
        return None
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return None


def more_pages(pages: int, seen: int, max_posts: int, page_size: int) -> bool:
    """Whether an account's feed may be paged further after ``pages`` pages holding ``seen`` items.

    Reposts and boosts fill pages without adding posts, so ``--max-posts`` alone does not bound the
    paging of a feed made mostly of them. Every feed item (own post, repost, boost) counts: paging stops
    once 3 × max_posts items were seen, or after max(3, ceil(max_posts / page_size)) + 2 pages.
    """
    return seen < 3 * max_posts and pages < max(3, ceil(max_posts / page_size)) + 2


def link_header_next(response) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 ``Link`` header, if it stays on the same host.

    Another host would be a server steering the crawler somewhere it was not asked to go.
    """
    header = response.headers.get("Link")
    if not header:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    for part in re.finditer(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)", text):
        url, params = part.group(1), part.group(2)
        rels = re.findall(r'rel\s*=\s*"?([^";,]+)"?', params)
        if any("next" in rel.split() for rel in rels):
            url = as_url(url)  # http(s), a host, no control characters, short enough to be requested
            return url if url and urlsplit(url).hostname == urlsplit(response.url).hostname else None
    return None


class AudienceSpider(AudienceSampler, PlatformSpider):
    """A platform spider that also samples each account's audience.

    ``audience_limit`` caps the distinct members stored per account and kind (follower, liker,
    reposter); 0 stores no audience and makes no audience requests. Likers and reposters come from the
    ``engagers_posts`` most recent posts of each account. ``search`` adds the first page of the
    platform's account search to the seeds.
    """

    def __init__(self, seeds=(), depth: int = 0, max_posts: int = 100, base_url: str | None = None,
                 search: str | None = None, audience_limit: int = AUDIENCE_LIMIT,
                 engagers_posts: int = ENGAGERS_POSTS, **kwargs):
        super().__init__(seeds=seeds, depth=depth, max_posts=max_posts, base_url=base_url, **kwargs)
        queries = [search] if isinstance(search, str) else list(search or [])
        self.searches = [q.strip() for q in queries if q and q.strip()]
        self.search = self.searches[0] if self.searches else None
        self.audience_limit = max(0, int(audience_limit))
        self.engagers_posts = max(0, int(engagers_posts))

    async def start(self):
        for request in self.seed_requests():
            yield request
        for query in self.searches:
            yield self.search_request(query)

    def search_request(self, query: str) -> scrapy.Request:
        raise NotImplementedError

    def found_by_search(self, handles) -> list[scrapy.Request]:
        """Requests for accounts a search found: they count as seeds (hop 0)."""
        if self.shared is not None:
            requests = [self.account_request(handle, 0) for handle in self.shared.found_by_search([h for h in handles if h])]
            self.crawler.stats.inc_value(f"pagescout/{self.platform}/found_by_search", len(requests))
            return requests
        hops = self.state.setdefault("hops", {})
        requests = []
        for handle in handles:
            if handle and handle not in hops:
                hops[handle] = 0
                requests.append(self.account_request(handle, 0))
        self.crawler.stats.inc_value(f"pagescout/{self.platform}/found_by_search", len(requests))
        return requests

    # readers ---------------------------------------------------------------------------------
    def total(self, field: str, *values) -> int | None:
        """A post's counters added up (reblogs and quotes), each through the count reader: ``None`` when
        none is shown, or when one is unreadable, since a total without it would understate the post."""
        counts = [self.fields.count(value, field) for value in values if value is not None]
        if not counts or None in counts:
            return None
        return self.fields.count(sum(counts), field)

    # audience --------------------------------------------------------------------------------
    def audience_hidden(self, handle: str, reason: str) -> None:
        """The account keeps its follower list private: noted in the summary, not an error."""
        stats = self.crawler.stats
        if stats.get_value(f"pagescout/audience_hidden/{handle}") is None:
            stats.inc_value("pagescout/audience/hidden")
        stats.set_value(f"pagescout/audience_hidden/{handle}", reason)
