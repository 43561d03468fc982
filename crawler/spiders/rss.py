"""Blogs through their RSS 2.0, RSS 1.0 (RDF) or Atom feeds.

A seed is a feed URL or a site URL; a site page names its feed in ``<link rel="alternate"
type="application/rss+xml|application/atom+xml" href>``. Per blog: its title and description, and
each post of the feed (newest first, up to ``--max-posts``): title and summary as the text, the link
as the URL, the date (so the posting frequency), and ``slash:comments`` as the comments count where
the feed has it. A feed has no subscriber count, views or likes: those stay empty.

Handles: the site's host without ``www.``, plus its path when the blog is not at the root
(``example.com``, ``example.org/blog``). The site is the feed's own ``<link>`` when the seed was a
feed, else the page given.

The author's other pages: links to Telegram (t.me), VK, YouTube, Bluesky (bsky.app/profile) and
Mastodon profiles (``https://host/@user``) become ``same_as`` links whose ``dst`` is written
``<platform>:<handle>`` with the handle as that platform's spider spells it (``telegram:durov``,
``vk:apiclub``, ``youtube:UC…`` or ``youtube:@handle``, ``bluesky:alice.bsky.social``,
``mastodon:user@host``); the shortlist's ``same_as`` column lists them. Only links that speak for the
site itself count: on the site page, links in its header, navigation and footer or in an element whose
id/class names it social/profile/author/contact/follow (not inside an ``<article>``), and any
``rel="me"`` link; in the feed, the channel-level links (``<link>``, ``atom:link``, the image's link, the
Atom feed's author URI). A profile link inside a post is someone the post talks about, not the author's
identity: it gives no ``same_as`` (counted in ``pagescout/rss/profile_links_in_posts``). Links in posts to
other sites become ``mention`` links to those sites' handles, which ``--depth`` crawls like seeds (a site
without a feed is then recorded as unavailable). A link whose URL cannot be parsed (``http://[host]:x/``)
is no link, and only http(s) URLs are followed or kept (a page naming ``file:///…`` as its feed names none).

Feeds are written by strangers: every value passes a typed reader (``crawler.fields``), so a comment count
past the cap, a date before 1990 or in the future, a text with control characters is left out or cleaned
and counted as ``pagescout/invalid/rss/<field>``. A feed that is neither RSS nor Atom raises
``InvalidAnswer``: the blog is stored unavailable with that reason.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import TextResponse
from w3lib.html import remove_tags, replace_entities

from crawler.basespider import InvalidAnswer, PlatformSpider, SeedError
from crawler.feeds import feed_selector
from crawler.fields import TEXT_MAX, clean_text
from crawler.items import Account, Link, Post
from crawler.platforms import account_from_url

NS = {"atom": "http://www.w3.org/2005/Atom", "slash": "http://purl.org/rss/1.0/modules/slash/",
      "content": "http://purl.org/rss/1.0/modules/content/", "dc": "http://purl.org/dc/elements/1.1/",
      "rss1": "http://purl.org/rss/1.0/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
FEED_NAMES = re.compile(r"^(feed|rss|atom|index\.xml|feed\.xml|rss\.xml|atom\.xml|.*\.(rss|atom|xml))$", re.I)
HOST = re.compile(r"^(localhost|\d{1,3}(\.\d{1,3}){3}|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*)$")
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+")
# Sites linked so often that they are never someone's blog: no mention link, never crawled.
NOT_BLOGS = {"t.me", "telegram.me", "vk.com", "m.vk.com", "youtube.com", "youtu.be", "bsky.app", "twitter.com",
             "x.com", "facebook.com", "instagram.com", "github.com", "google.com", "wikipedia.org", "linkedin.com",
             "apple.com", "amazon.com", "tiktok.com", "ok.ru", "threads.net", "reddit.com", "feedburner.com",
             "feeds.feedburner.com", "wordpress.org", "w3.org", "creativecommons.org", "gravatar.com"}
MAX_ID = 200
#: How far into a body with a generic XML content type the feed's root element is looked for: prologues
#: (stylesheets, licence comments) can be long.
SNIFF = 8192
# Site-page links that speak for the site: its chrome and profile blocks, not what its posts link to.
_ME = "contains(concat(' ', normalize-space(@rel), ' '), ' me ')"
PROFILE_LINKS = (
    "//a[@href][(ancestor::header or ancestor::nav or ancestor::footer or ancestor::*[re:test("
    "concat(@id, ' ', @class), 'social|profile|author|contact|follow', 'i')]) and not(ancestor::article)]/@href"
    f" | //a[@href][{_ME}]/@href | //link[@href][{_ME}]/@href"
)


def safe_url(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; ``None`` when it cannot be parsed (a bad IPv6 host or port)."""
    try:
        url = urljoin(base, href.strip())
        urlsplit(url).port  # noqa: B018  (raises ValueError for a port that is no number or out of range)
    except ValueError:
        return None
    return url


def profile_links(response, base: str) -> set[str]:
    """``same_as`` targets of a site page: links in its header, navigation, footer or profile blocks, and
    ``rel="me"`` links (see the module docstring)."""
    found = set()
    for href in response.xpath(PROFILE_LINKS).getall():
        url = safe_url(base, href)
        target = same_as_target(url) if url else None
        if target:
            found.add(target)
    return found


def site_handle(url: str, feed: bool = False) -> str:
    """``host`` (without ``www.``) plus the path when not at the root; a feed's own file name is left out."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    if feed:
        while segments and FEED_NAMES.match(segments[-1]):
            segments.pop()
    return "/".join([host, *segments])


def same_as_target(url: str) -> str | None:
    """``<platform>:<handle>`` for a link to a profile on a platform pagescout knows, else ``None``
    (``crawler.platforms.account_from_url``, where each platform's link rules are)."""
    return account_from_url(url)


def html_to_text(html: str | None) -> str:
    if not html:
        return ""
    text = re.sub(r"<br\s*/?>|</p>", "\n", html, flags=re.I)
    text = replace_entities(remove_tags(text))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\s*\n\s*", "\n", text).strip()


def hrefs(html: str | None, base: str) -> list[str]:
    """Absolute link targets in an HTML fragment, plus bare URLs in its text."""
    if not html:
        return []
    found = scrapy.Selector(text=f"<div>{html}</div>").css("a::attr(href)").getall()
    found += URL_IN_TEXT.findall(html_to_text(html))
    urls = (safe_url(base, h) for h in found if h and not h.strip().startswith(("#", "mailto:", "javascript:")))
    return [u for u in urls if u]


class RssSpider(PlatformSpider):
    name = "rss"
    platform = "rss"
    default_base_url = ""
    # Blogs publish no limit: one request a second per site is the polite floor.
    min_delay = 1.0
    followers_kind = None  # a feed shows no follower count
    handle_httpstatus_list = [404, 410]
    # A seed may be a feed (XML) or the site's page (HTML), and either may name the other.
    answer_kind = "any"

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        text = seed.strip()
        url = text if "://" in text else f"https://{text}"
        try:
            parts = urlsplit(url)
            port = parts.port  # raises ValueError for a port that is not a number in range
        except ValueError:  # "http://[x", "blog.com:99999"
            parts, port = None, None
        host = (parts.hostname or "").lower() if parts else ""
        if parts is None or parts.scheme.lower() not in ("http", "https") or not HOST.match(host) or " " in text:
            raise SeedError(f"'{seed}' is not a blog address: give its site or feed URL, "
                            "e.g. https://blog.example.com or https://example.org/feed.xml")
        netloc = host + (f":{port}" if port else "")
        return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))

    async def start(self):
        for request in self.seed_requests():
            yield request

    def fetch_url(self, url: str) -> str:
        """The URL to download: on ``--base-url`` (a mirror) instead of the page's own host."""
        if not self.base_url:
            return url
        parts = urlsplit(url)
        return self.base_url + urlunsplit(("", "", parts.path or "/", parts.query, ""))

    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        url = handle if "://" in handle else f"https://{handle}"
        provisional = site_handle(url, feed=True)
        # Not filtered as a duplicate: each blog is asked for once (``expand``), but on a --base-url mirror
        # every site's page has the same URL.
        return scrapy.Request(self.fetch_url(url), callback=self.parse_start, errback=self.on_error,
                              cb_kwargs={"url": url, "hop": hop, "key": handle}, meta={"handle": provisional},
                              dont_filter=True)

    # callbacks -------------------------------------------------------------------------------
    def parse_start(self, response, url: str, hop: int, key: str):
        handle = response.meta["handle"]
        if response.status in (404, 410):
            yield self.unavailable(handle, f"not found (HTTP {response.status})", "not_found")
            return
        if self.is_feed(response):
            yield from self.parse_feed(response, url=url, hop=hop, key=key, site_url=None, page_same_as=[])
            return
        if not isinstance(response, TextResponse):  # a binary Response has .css too, which raises
            yield self.unavailable(handle, "neither a feed nor a web page", "no_feed")
            return
        feed = None
        for link in response.css('link[rel~="alternate"]'):
            kind = (link.attrib.get("type") or "").lower()
            href = link.attrib.get("href")
            # http(s) only: Scrapy would read a file:// "feed" from this machine's disk.
            if kind in FEED_TYPES[:3] and (feed := self.read_url(url, href, "feed_url")):
                break
        if feed is None:
            yield self.unavailable(site_handle(url), "no RSS/Atom feed named on the page "
                                                     "(<link rel=\"alternate\" type=\"application/rss+xml\">)", "no_feed")
            return
        page_same_as = sorted(profile_links(response, url))
        yield scrapy.Request(self.fetch_url(feed), callback=self.parse_feed, errback=self.on_error,
                             cb_kwargs={"url": feed, "hop": hop, "key": key, "site_url": url,
                                        "page_same_as": page_same_as},
                             meta={"handle": site_handle(url)}, dont_filter=True)

    @staticmethod
    def is_feed(response) -> bool:
        """A feed by its root element near the start (the first 1 KB; the first ``SNIFF`` bytes when the
        body is XML by its content type or declaration), or by a feed content type."""
        body = response.body.lstrip()
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:].lstrip()
        content_type = (response.headers.get("Content-Type") or b"").lower()
        xml = body[:5].lower() == b"<?xml" or b"xml" in content_type
        head = body[:SNIFF if xml else 1024].lower()
        return (b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head
                or (any(t.encode() in content_type for t in ("rss", "atom")) and xml))

    def parse_feed(self, response, url: str, hop: int, key: str, site_url: str | None, page_same_as: list):
        if response.status in (404, 410):
            yield self.unavailable(response.meta["handle"], f"feed not found (HTTP {response.status})", "not_found")
            return
        feed = feed_selector(response)
        atom = bool(feed.xpath("/atom:feed", namespaces=NS))
        rdf = bool(feed.xpath("/rdf:RDF", namespaces=NS))
        if atom:
            channel = feed.xpath("/atom:feed", namespaces=NS)
            title = channel.xpath("atom:title/text()", namespaces=NS).get()
            description = channel.xpath("atom:subtitle/text()", namespaces=NS).get()
            link = channel.xpath("atom:link[@rel='alternate' or not(@rel)]/@href", namespaces=NS).get()
            channel_links = channel.xpath("atom:link/@href | atom:author/atom:uri/text()", namespaces=NS).getall()
            entries = channel.xpath("atom:entry", namespaces=NS)
        elif rdf:
            channel = feed.xpath("/rdf:RDF/rss1:channel", namespaces=NS)
            title = channel.xpath("rss1:title/text()", namespaces=NS).get()
            description = channel.xpath("rss1:description/text()", namespaces=NS).get()
            link = channel.xpath("rss1:link/text()", namespaces=NS).get()
            channel_links = channel.xpath("rss1:link/text() | rss1:image/rss1:link/text()", namespaces=NS).getall()
            entries = feed.xpath("/rdf:RDF/rss1:item", namespaces=NS)
        else:
            channel = feed.xpath("/rss/channel")
            if not channel:
                raise InvalidAnswer("the feed is not RSS or Atom (no <rss><channel>, <feed> or <rdf:RDF>)")
            title = channel.xpath("title/text()").get()
            description = channel.xpath("description/text()").get()
            link = channel.xpath("link/text()").get() or channel.xpath("atom:link[@rel='alternate']/@href",
                                                                      namespaces=NS).get()
            channel_links = channel.xpath("link/text() | atom:link/@href | image/link/text()", namespaces=NS).getall()
            entries = channel.xpath("item")
        if site_url is None and link and link.strip().startswith(("http", "/")):
            site = self.read_url(url, link, "url")
        else:
            site = site_url
        handle = site_handle(site) if site else site_handle(url, feed=True)
        hops = self.state.setdefault("hops", {})
        hops[handle] = min(hops.get(handle, hop), hop)
        done = self.state.setdefault("done", set())
        if handle in done:
            return
        done.add(handle)
        yield Account(platform=self.platform, handle=handle, name=self.fields.text(html_to_text(title), "name"),
                      url=site or url, description=self.fields.text(html_to_text(description), "description"),
                      followers=None, followers_kind=None)
        # Identity: the site page's profile links and the feed's channel-level links, never the posts'.
        targets = set(page_same_as)
        for href in channel_links:
            target = same_as_target(absolute) if (absolute := safe_url(url, href)) else None
            if target:
                targets.add(target)
        posts, mentioned = [], set()
        own_host = site_handle(site or url).split("/")[0]
        for entry in entries:
            post, links = self.parse_entry(entry, handle, site or url, atom=atom, rdf=rdf)
            if post is not None:
                posts.append((post, links))
        posts.sort(key=lambda p: p[0].published_at or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
        for post, links in posts[: self.max_posts]:
            yield post
            for target in links:
                if same_as_target(target):  # someone the post talks about: not the author's identity
                    self.crawler.stats.inc_value("pagescout/rss/profile_links_in_posts")
                    continue
                other = site_handle(target)
                host = other.split("/")[0]
                # A mentioned site is crawled like a seed under --depth: its host must be one a seed may name.
                if not HOST.fullmatch(host.split(":")[0]):
                    continue
                if host != own_host and not any(host == h or host.endswith("." + h) for h in NOT_BLOGS):
                    mentioned.add((host, post.post_id, post.published_at))
        for target in sorted(targets):
            yield Link(self.platform, handle, target, "same_as")
        found = set()
        for host, post_id, at in sorted(mentioned, key=lambda m: (m[0], m[1])):
            yield Link(self.platform, handle, host, "mention", post_id, at)
            found.add(host)
        if site and not site_url:  # the seed was the feed: the site page may list the author's pages too
            yield scrapy.Request(self.fetch_url(site), callback=self.parse_site_links, errback=self.on_side_error,
                                 cb_kwargs={"handle": handle}, priority=-1, dont_filter=True)
        yield from self.expand(handle, hops[handle], sorted(found))

    def parse_entry(self, entry, handle: str, base: str, atom: bool, rdf: bool) -> tuple[Post | None, list[str]]:
        def get(path):
            return entry.xpath(path, namespaces=NS).get()

        if atom:
            title = get("atom:title/text()")
            link = get("atom:link[@rel='alternate']/@href") or get("atom:link[not(@rel)]/@href")
            guid = get("atom:id/text()")
            date = get("atom:published/text()") or get("atom:updated/text()")
            summary = get("atom:summary/text()") or get("atom:content/text()")
            body = get("atom:content/text()") or summary
        elif rdf:
            title, link = get("rss1:title/text()"), get("rss1:link/text()")
            guid = get("@rdf:about")
            date = get("dc:date/text()")
            summary = body = get("rss1:description/text()") or get("content:encoded/text()")
        else:
            title, link = get("title/text()"), get("link/text()")
            guid = get("guid/text()")
            date = get("pubDate/text()") or get("dc:date/text()")
            summary = get("description/text()")
            body = get("content:encoded/text()") or summary
        link = self.read_url(base, link, "url")
        # Control characters and lone surrogates out of the id too: a store cannot key on what it cannot
        # encode. A long id (a guid is anything the blog writes) is replaced by its hash.
        post_id = clean_text(guid or link or "", TEXT_MAX) or ""
        if not post_id:
            post_id = clean_text((title or "") + (date or ""), TEXT_MAX)
            if not post_id:
                self.crawler.stats.inc_value("pagescout/invalid/rss/entry")
                return None, []
        if len(post_id) > MAX_ID:
            post_id = hashlib.sha1(post_id.encode("utf-8")).hexdigest()
        text = "\n\n".join(t for t in (html_to_text(title), html_to_text(summary)) if t) or None
        post = Post(platform=self.platform, account=handle, post_id=post_id, url=link,
                    published_at=self.fields.date(date, "published_at"), text=self.fields.text(text, "text"),
                    comments=self.fields.count(get("slash:comments/text()"), "comments"))
        return post, hrefs(body, link or base) + (hrefs(summary, link or base) if summary != body else [])

    def read_url(self, base: str, href: str | None, field: str) -> str | None:
        """``href`` made absolute against ``base``, if it is an http(s) URL with a host and a port that is a
        number; ``None`` otherwise, counted as invalid (an absent or blank ``href`` is not)."""
        if href is None or not href.strip():
            return None
        url = safe_url(base, href)
        if url is None:
            self.fields.invalid(field)
            return None
        return self.fields.url(url, field)

    def parse_site_links(self, response, handle: str):
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        for target in sorted(profile_links(response, response.url)):
            yield Link(self.platform, handle, target, "same_as")

