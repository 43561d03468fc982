"""Hostile answers at every parse callback of the Telegram, RSS/Atom and YouTube spiders.

Platform answers are written by strangers. Hypothesis throws pages, feeds and JSON at each callback:
random trees built from the markup the parsers look for, answers shaped like the real ones with wrong
types, absurd numbers, control characters, bidi overrides and lone surrogates in their fields, and real
saved answers (../shared/fixtures) with one value replaced. Whatever comes in, a callback either raises
InvalidAnswer (the answer is unusable: the account is stored unavailable with that reason) or yields
items whose every value fits its type and cap (crawler.fields), and requests only for http(s) URLs.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse

from conftest import make_spider, shared_dir
from crawler.basespider import InvalidAnswer
from crawler.fields import (COUNT_CAPS, DATE_FIELDS, EARLIEST, FLAG_FIELDS, FUTURE_SLACK, NAME_MAX, TEXT_CAPS,
                            URL_FIELDS, URL_MAX, as_url, clean_text)
from crawler.items import Account, Post
from crawler.spiders.rss import RssSpider
from crawler.spiders.telegram import TelegramSpider
from crawler.spiders.youtube import YoutubeSpider

# 200 examples per callback (120 where one example is a whole page or feed, slow to generate) keep the file
# near 15 s on a shared core; no example database, so a run leaves nothing behind in the repository.
SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WHOLE_PAGES = settings(SETTINGS, max_examples=120)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
ID_FIELDS = ("handle", "account", "post_id", "src", "dst", "member_id")
CHANNEL = "chan_one"
TG_URL = f"https://t.me/s/{CHANNEL}"
FEED = "https://blog.example.com/feed.xml"
SITE = "https://blog.example.com/"
DF = "UC9PBzalIcEQCsiIkq36PyUA"
API = "https://www.googleapis.com/youtube/v3"


# what every yielded item must be ------------------------------------------------------------------------
def assert_sane(result) -> None:
    if isinstance(result, Request):
        assert urlsplit(result.url).scheme in ("http", "https"), result.url
        assert len(result.url) <= 2 * URL_MAX, result.url[:200]
        return
    assert dataclasses.is_dataclass(result), result
    now = datetime.now(timezone.utc)
    for field in dataclasses.fields(result):
        name, value = field.name, getattr(result, field.name)
        if value is None:
            continue
        if name in COUNT_CAPS:
            assert type(value) is int and 0 <= value <= COUNT_CAPS[name], (name, value)
        elif name in TEXT_CAPS:
            assert isinstance(value, str) and 0 < len(value) <= TEXT_CAPS[name], (name, value[:200])
        elif name in URL_FIELDS:
            assert as_url(value) == value, (name, value[:200])
        elif name in DATE_FIELDS:
            assert isinstance(value, datetime) and value.tzinfo is not None, (name, value)
            assert EARLIEST <= value <= now + FUTURE_SLACK, (name, value)
        elif name in FLAG_FIELDS:
            assert isinstance(value, bool), (name, value)
        if name in ID_FIELDS:
            assert isinstance(value, str) and value, (name, value)
            if result.platform in ("telegram", "youtube"):
                assert not re.search(r"\s", value), (name, value)  # their ids and handles have no spaces
        if isinstance(value, str):
            # Handles, ids and link targets too: whatever a store keys on must be clean and bounded.
            assert not CONTROL.search(value), (name, value[:200])
            assert len(value) <= max(TEXT_CAPS.get(name, 0), URL_MAX), (name, len(value))
            value.encode("utf-8")


def run(callback, response, allowed=(InvalidAnswer,), **kwargs) -> list:
    """The callback's results, each checked; an exception other than ``allowed`` fails the example."""
    try:
        results = list(callback(response, **kwargs))
    except allowed as error:
        if isinstance(error, InvalidAnswer):
            message = str(error)  # shown to the user and stored as the reason
            assert message and clean_text(message, NAME_MAX) == message
        return []
    for result in results:
        assert_sane(result)
    return results


@lru_cache(maxsize=None)
def spider_of(cls):
    # One spider per class: building one takes ~20 ms, which 200 examples would spend 200 times.
    return make_spider(cls, seeds=[], max_posts=10)


def fresh(cls):
    """The class's spider with the resumable state of a new crawl (which accounts are done, hops, …)."""
    spider = spider_of(cls)
    spider.state = {}
    spider.__dict__.pop("_members_seen", None)
    return spider


def answer(kind, url, body: bytes, status=200, meta=None, headers=None):
    request = Request(url, meta=meta or {})
    return kind(url=url, body=body, status=status, request=request, headers=headers)


def encoded(text: str) -> bytes:
    # Lone surrogates become bytes no decoder accepts: the answer a broken server sends.
    return text.encode("utf-8", "surrogatepass")


# values strangers write -----------------------------------------------------------------------------------
NASTY = ["\x00", "\x01", "\x08", "\x0b", "\x1b[31m", "\x7f", "\x85", "\x9f", "\u202e", "\u202d", "\u2066", "\u200f",
         "\ufeff", "\ufffe", "\ud800", "\udbff", "\udfff", "\U0010ffff", "\n", "\t", "\r\n", " ", "\u00a0", "&#0;",
         "&#x202e;", "&#xd800;", "]]>", "<!--", "<br>"]
HUGE_NUMBERS = [str(10**23), str(2**63), str(2**64), "123456789012345678901234567890", "9" * 40, "1" * 5000,
                str(10**11 + 1), str(10**8 + 1)]
# Character references, for the answers that are placed raw: what the parsers decode them into matters.
REFERENCES = ["&#xD800;", "&#xdfff;", "&#0;", "&#x1b;", "&#x110000;", "&#99999999999;", "&#x202e;", "&amp;#27;", "&bogus;",
              "&#x" + "0" * 20 + "41;"]
nasty_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(NASTY), st.sampled_from(HUGE_NUMBERS),
                                st.sampled_from(REFERENCES)), max_size=6).map("".join)
big_text = st.sampled_from(["слово " * 9_000, "x" * 50_001, "\x00" * 10 + "a" * 50_001])
# Texts past the caps now and then: they are slow to parse, and the per-field tests cover their cutting.
text_value = st.one_of(*[nasty_text] * 12, big_text)
counter_text = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.tuples(st.one_of(st.integers(0, 10**16), st.floats(0, 1e16)),
              st.sampled_from(["", "K", "M", "B", "k", "К", "М", " views", " subscribers"])).map(lambda t: f"{t[0]}{t[1]}"),
    st.sampled_from(HUGE_NUMBERS + ["1.2M", "109K", "3,5K", "12 345", "1.2.3K", "٣٤٥", "²", "1e3", "-5", "K", ".5K",
                                    "1" + "\u00a0" * 100 + "K", "99999999999999B", "1" + "." * 50 + "5K"]),
    nasty_text,
)
date_text = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), st.just(timezone.utc),
                                     st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m))))
                 ).map(datetime.isoformat),
    st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2090-01-01T00:00:00+00:00",
                     "1970-01-01T00:00:00Z", "2023-02-28T08:48:01+00:00", "2023-02-28T08:48:01.123456789+00:00",
                     "2023-13-45", "now", "Mon, 01 Jan 99999 00:00:00 +0000", "Tue, 10 Oct 2026 05:30:00 +9999",
                     "Sun, 31 Dec 1989 23:59:59 GMT", "Wed, 02 Oct 2002 13:00:00 GMT", " " * 100 + "2024-01-01"]),
    nasty_text,
)
URLS = ["https://t.me/durov", "https://t.me/s/other_channel/12", "https://t.me/joinchat/AAAA", "//t.me/x_channel",
        "http://[your-server-ip]:8080/", "https://[::1", "https://example.org:99999/", "javascript:alert(1)",
        "file:///etc/passwd", "data:text/html,hi", "/relative/path", "https://vk.com/club" + "1" * 5000,
        "https://vk.com/id١٢٣", "https://bsky.app/profile/\x00evil", "https://bsky.app/profile/" + "a" * 400,
        "https://ex\u202eample.com/@user", "https://mastodon.example/@runner", "https://other-blog.example/post",
        f"https://www.youtube.com/channel/UC{'a' * 22}", "https://www.youtube.com/@Someone",
        "https://example.org/" + "a" * 3000, "https://ev\x01il.example/"]
url_value = st.one_of(st.sampled_from(URLS), nasty_text,
                      st.builds(lambda host, path: f"https://{host}/{path}",
                                st.sampled_from(["t.me", "example.org", "bsky.app/profile", "vk.com", "mastodon.example"]),
                                nasty_text))
attribute_value = st.one_of(nasty_text, url_value, date_text, counter_text)


def html_piece(draw, value: str) -> str:
    """``value`` as page text: escaped as a page would, or raw (stray ``<`` and ``&`` included)."""
    return escape(value) if draw(st.booleans()) else value


def a(value: str) -> str:
    return escape(value, quote=True)


def element(tag: str, classes: list[str], attrs: dict, children: list[str]) -> str:
    attributes = "".join(f' {name}="{a(value)}"' for name, value in attrs.items())
    class_attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<{tag}{class_attr}{attributes}>{''.join(children)}</{tag}>"


def html_trees(classes: list[str], attr_names: list[str], tags=("div", "span", "a", "i", "b", "time", "img", "br",
                                                                   "section", "link", "p", "header", "footer", "nav")):
    """Random element trees mixing the class and attribute names a parser looks for with random text."""
    leaf = st.one_of(nasty_text.map(escape), nasty_text, counter_text.map(escape))
    return st.recursive(
        leaf,
        lambda children: st.builds(element, st.sampled_from(tags), st.lists(st.sampled_from(classes), max_size=3),
                                   st.dictionaries(st.sampled_from(attr_names), attribute_value, max_size=3),
                                   st.lists(children, max_size=4)),
        max_leaves=20,
    ).map(lambda tree: f"<html><head></head><body>{tree}</body></html>")


# Telegram -------------------------------------------------------------------------------------------------
TELEGRAM_CLASSES = [
    "tgme_channel_info", "tgme_channel_info_header_title", "tgme_channel_info_description", "verified-icon",
    "tgme_page_photo_image", "tgme_channel_info_counter", "counter_value", "counter_type", "tgme_widget_message",
    "tgme_widget_message_bubble", "tgme_widget_message_text", "tgme_widget_message_views", "tgme_widget_message_date",
    "tgme_widget_message_reactions", "tgme_reaction", "tgme_widget_message_forwarded_from_name", "tme_messages_more",
    "emoji",
]
TELEGRAM_ATTRS = ["data-post", "datetime", "href", "src", "data-before", "rel", "dir"]


@st.composite
def telegram_message(draw) -> str:
    post = draw(st.one_of(st.integers(0, 10**25).map(lambda n: f"{CHANNEL}/{n}"), nasty_text,
                          st.sampled_from([f"{CHANNEL}/²", f"{CHANNEL}/١٢", f"{CHANNEL}/", "/5", f"{CHANNEL}/12/34",
                                           f"{CHANNEL}/7\n"])))
    forwarded = draw(st.none() | url_value)
    reactions = draw(st.none() | st.lists(counter_text, max_size=3))
    views = draw(st.none() | counter_text)
    links = draw(st.lists(url_value, max_size=2))
    text = html_piece(draw, draw(text_value)) + "".join(f'<a href="{a(u)}">{escape(u)}</a>' for u in links)
    parts = [f'<div class="tgme_widget_message" data-post="{a(post)}"><div class="tgme_widget_message_bubble">']
    if forwarded is not None:
        parts.append(f'<a class="tgme_widget_message_forwarded_from_name" href="{a(forwarded)}">src</a>')
    parts.append(f'<div class="tgme_widget_message_text">{text}</div>')
    if reactions is not None:
        parts.append('<div class="tgme_widget_message_reactions">' + "".join(
            f'<span class="tgme_reaction"><i class="emoji"><b>👍</b></i>{html_piece(draw, r)}</span>' for r in reactions)
            + "</div>")
    if views is not None:
        parts.append(f'<span class="tgme_widget_message_views">{html_piece(draw, views)}</span>')
    parts.append(f'<a class="tgme_widget_message_date"><time datetime="{a(draw(date_text))}">x</time></a></div></div>')
    return "".join(parts)


@st.composite
def telegram_page(draw) -> str:
    parts = ["<html><head>"]
    if draw(st.booleans()):
        parts.append(f'<link rel="prev" href="{a(draw(st.one_of(url_value, counter_text.map(lambda c: "/s/x?before=" + c))))}">')
    parts.append("</head><body><section>")
    if draw(st.booleans()):
        parts.append(f'<a class="tme_messages_more" data-before="{a(draw(counter_text))}"></a>')
    parts.extend(draw(st.lists(telegram_message(), max_size=3)))
    parts.append("</section>")
    if draw(st.booleans()):
        counters = draw(st.lists(st.tuples(counter_text, st.one_of(
            st.sampled_from(["subscribers", "members", "photos", "links", ""]), nasty_text)), max_size=3))
        parts.append(
            f'<div class="tgme_channel_info"><i class="tgme_page_photo_image"><img src="{a(draw(url_value))}"></i>'
            f'<div class="tgme_channel_info_header_title"><span>{html_piece(draw, draw(text_value))}</span>'
            f'{"<i class=verified-icon></i>" if draw(st.booleans()) else ""}</div>'
            f'<div class="tgme_channel_info_description">{html_piece(draw, draw(text_value))}</div>'
            + "".join(f'<div class="tgme_channel_info_counter"><span class="counter_value">{html_piece(draw, value)}'
                      f'</span> <span class="counter_type">{escape(kind)}</span></div>' for value, kind in counters)
            + "</div>")
    parts.append("</body></html>")
    return "".join(parts)


telegram_pages = st.one_of(telegram_page().map(encoded), telegram_page().map(encoded),
                           html_trees(TELEGRAM_CLASSES, TELEGRAM_ATTRS).map(encoded), st.binary(max_size=300))


@WHOLE_PAGES
@given(body=telegram_pages, hop=st.integers(0, 1), taken=st.sampled_from([0, 0, 5]),
       status=st.sampled_from([200, 200, 200, 200, 404, 410, 302]), location=st.binary(max_size=80))
def test_telegram_channel_page(body, hop, taken, status, location):
    spider = fresh(TelegramSpider)
    headers = {"Location": location} if status == 302 else None
    response = answer(HtmlResponse, TG_URL, body, status, meta={"handle": CHANNEL}, headers=headers)
    # Nothing on a t.me page is "required" beyond the channel header, whose absence is a reason of its own.
    run(spider.parse_channel, response, allowed=(), handle=CHANNEL, hop=hop, taken=taken)


@pytest.fixture(scope="module")
def real_telegram_pages():
    folder = shared_dir("fixtures", "telegram")
    return [(folder / name).read_text(encoding="utf-8") for name in sorted(p.name for p in folder.glob("*.html"))]


MARK = "PAGESCOUT_HOSTILE_VALUE"


@SETTINGS
@given(data=st.data())
def test_telegram_real_pages_with_one_value_replaced(real_telegram_pages, data):
    """A real t.me page where one text or one attribute is a stranger's value."""
    page = data.draw(st.sampled_from(real_telegram_pages))
    # A text (between two tags) or an attribute value, chosen by its position in the page.
    spots = [m.span(1) for m in re.finditer(r">([^<]*)<", page)] + [m.span(1) for m in re.finditer(r'="([^"]*)"', page)]
    start, end = data.draw(st.sampled_from(spots))
    value = data.draw(st.one_of(counter_text, date_text, url_value, text_value))
    inside_attribute = page[start - 1] == '"'
    hostile = page[:start] + MARK + page[end:]
    hostile = hostile.replace(MARK, a(value) if inside_attribute or data.draw(st.booleans()) else value)
    spider = fresh(TelegramSpider)
    response = answer(HtmlResponse, TG_URL, encoded(hostile), meta={"handle": CHANNEL})
    run(spider.parse_channel, response, allowed=(), handle=CHANNEL, hop=0, taken=0)


# RSS and Atom ---------------------------------------------------------------------------------------------
NAMESPACES = ('xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
              'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"')


def xml_piece(draw, value: str) -> str:
    """``value`` as feed text: escaped, in CDATA, or raw."""
    how = draw(st.sampled_from(["escape", "cdata", "raw"]))
    return xml_escape(value) if how == "escape" else f"<![CDATA[{value}]]>" if how == "cdata" else value


def post_html(draw) -> str:
    """A post body as a blog writes it: HTML with links, to be put into the feed as text."""
    links = draw(st.lists(url_value, max_size=3))
    return escape(draw(text_value)) + "".join(f'<p><a href="{a(u)}">{escape(draw(nasty_text))}</a> {escape(u)}</p>'
                                              for u in links)


def tag(draw, name: str, value: str | None, attrs: str = "") -> str:
    return "" if value is None else f"<{name}{attrs}>{xml_piece(draw, value)}</{name}>"


@st.composite
def rss_feed(draw) -> str:
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    maybe = lambda strategy: draw(st.none() | strategy)  # noqa: E731
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        if kind == "atom":
            entries.append("<entry>" + tag(draw, "title", maybe(text_value)) + tag(draw, "id", maybe(nasty_text))
                           + f'<link rel="alternate" href="{a(draw(url_value))}"/>'
                           + tag(draw, "published", maybe(date_text)) + tag(draw, "updated", maybe(date_text))
                           + tag(draw, "summary", maybe(st.just(post_html(draw))))
                           + tag(draw, "content", maybe(st.just(post_html(draw)))) + "</entry>")
        elif kind == "rdf":
            entries.append(f'<item rdf:about="{a(draw(nasty_text))}">' + tag(draw, "title", maybe(text_value))
                           + tag(draw, "link", maybe(url_value)) + tag(draw, "dc:date", maybe(date_text))
                           + tag(draw, "description", maybe(st.just(post_html(draw)))) + "</item>")
        else:
            entries.append("<item>" + tag(draw, "title", maybe(text_value)) + tag(draw, "link", maybe(url_value))
                           + tag(draw, "guid", maybe(st.one_of(nasty_text, st.just("g" * 500))))
                           + tag(draw, "pubDate", maybe(date_text)) + tag(draw, "dc:date", maybe(date_text))
                           + tag(draw, "description", maybe(st.just(post_html(draw))))
                           + tag(draw, "content:encoded", maybe(st.just(post_html(draw))))
                           + tag(draw, "slash:comments", maybe(counter_text)) + "</item>")
    title, about, link = maybe(text_value), maybe(text_value), maybe(url_value)
    if kind == "atom":
        return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" {NAMESPACES}>'
                + tag(draw, "title", title) + tag(draw, "subtitle", about)
                + (f'<link rel="alternate" href="{a(link)}"/>' if link is not None else "")
                + (f"<author><uri>{xml_escape(author)}</uri></author>" if (author := maybe(url_value)) is not None else "")
                + "".join(entries) + "</feed>")
    if kind == "rdf":
        return (f'<?xml version="1.0"?><rdf:RDF xmlns="http://purl.org/rss/1.0/" {NAMESPACES}><channel>'
                + tag(draw, "title", title) + tag(draw, "link", link) + tag(draw, "description", about)
                + "</channel>" + "".join(entries) + "</rdf:RDF>")
    image = f"<image><link>{xml_escape(draw(url_value))}</link></image>" if draw(st.booleans()) else ""
    return (f'<?xml version="1.0"?><rss version="2.0" {NAMESPACES}><channel>' + tag(draw, "title", title)
            + tag(draw, "link", link) + tag(draw, "description", about) + image + "".join(entries) + "</channel></rss>")


FEED_ELEMENTS = ["rss", "channel", "item", "title", "link", "guid", "pubDate", "description", "content:encoded",
                 "slash:comments", "dc:date", "feed", "entry", "id", "published", "updated", "summary", "content",
                 "subtitle", "author", "uri", "image", "rdf:RDF"]


def xml_element(name: str, attrs: dict, children: list[str]) -> str:
    attributes = "".join(f' {key}="{a(value)}"' for key, value in attrs.items())
    return f"<{name}{attributes}>{''.join(children)}</{name}>"


xml_trees = st.recursive(
    st.one_of(nasty_text.map(xml_escape), counter_text.map(xml_escape), date_text.map(xml_escape)),
    lambda children: st.builds(xml_element, st.sampled_from(FEED_ELEMENTS),
                               st.dictionaries(st.sampled_from(["href", "rel", "rdf:about", "views", "count"]),
                                               attribute_value, max_size=2),
                               st.lists(children, max_size=4)),
    max_leaves=20,
).flatmap(lambda tree: st.sampled_from([
    f'<?xml version="1.0"?><rss {NAMESPACES}><channel>{tree}</channel></rss>',
    f'<feed xmlns="http://www.w3.org/2005/Atom" {NAMESPACES}>{tree}</feed>',
    f'<rdf:RDF xmlns="http://purl.org/rss/1.0/" {NAMESPACES}>{tree}</rdf:RDF>',
    f"<root {NAMESPACES}>{tree}</root>",
]))
feeds = st.one_of(rss_feed().map(encoded), rss_feed().map(encoded), xml_trees.map(encoded), st.binary(max_size=300))
FEED_TYPES = [None, b"application/rss+xml", b"application/atom+xml", b"text/xml; charset=utf-8", b"text/html",
              b"application/octet-stream"]


@st.composite
def site_page(draw) -> str:
    """A blog's page: feed links (of any type and URL), profile links in its chrome and inside articles."""
    alternates = "".join(f'<link rel="alternate" type="{a(kind)}" href="{a(href)}">' for kind, href in draw(st.lists(
        st.tuples(st.sampled_from(["application/rss+xml", "application/atom+xml", "text/html", ""]), url_value),
        max_size=3)))
    me = "".join(f'<link rel="me" href="{a(u)}">' for u in draw(st.lists(url_value, max_size=2)))
    chrome = "".join(f'<{place}><a href="{a(u)}">{escape(draw(nasty_text))}</a></{place}>'
                     for place, u in draw(st.lists(st.tuples(st.sampled_from(["header", "nav", "footer", "article"]),
                                                             url_value), max_size=4)))
    social = "".join(f'<div class="social-links"><a href="{a(u)}">x</a></div>' for u in draw(st.lists(url_value, max_size=2)))
    return f"<html><head>{alternates}{me}</head><body>{chrome}{social}</body></html>"


site_pages = st.one_of(site_page().map(encoded), site_page().map(encoded),
                       html_trees(["social", "profile", "author"], ["href", "rel", "type"]).map(encoded),
                       st.binary(max_size=300))


@WHOLE_PAGES
@given(body=st.one_of(feeds, site_pages), content_type=st.sampled_from(FEED_TYPES),
       kind=st.sampled_from([XmlResponse, HtmlResponse, TextResponse, Response]), status=st.sampled_from([200, 200, 404]))
def test_rss_start_page_or_feed(body, content_type, kind, status):
    spider = fresh(RssSpider)
    headers = {"Content-Type": content_type} if content_type else None
    response = answer(kind, FEED, body, status, meta={"handle": "blog.example.com"}, headers=headers)
    run(spider.parse_start, response, url=FEED, hop=0, key=FEED)


@WHOLE_PAGES
@given(body=feeds, site_url=st.sampled_from([None, SITE]), page_same_as=st.sampled_from([[], ["telegram:durov"]]),
       kind=st.sampled_from([XmlResponse, XmlResponse, TextResponse, Response]))
def test_rss_feed(body, site_url, page_same_as, kind):
    spider = fresh(RssSpider)
    response = answer(kind, FEED, body, meta={"handle": "blog.example.com"},
                      headers={"Content-Type": "application/rss+xml"})
    run(spider.parse_feed, response, url=FEED, hop=0, key=FEED, site_url=site_url, page_same_as=page_same_as)


@WHOLE_PAGES
@given(body=site_pages, kind=st.sampled_from([HtmlResponse, HtmlResponse, TextResponse, Response]),
       status=st.sampled_from([200, 200, 404]))
def test_rss_site_links(body, kind, status):
    spider = fresh(RssSpider)
    run(spider.parse_site_links, answer(kind, SITE, body, status), allowed=(), handle="blog.example.com")


# YouTube: the keyless feed and the channel page ------------------------------------------------------------
video_id_value = st.one_of(st.sampled_from(["W_S7iKZZdHw", "vid000", "vid000\n", "a" * 64, "a" * 65, "bad id", "../x",
                                            ""]),
                           nasty_text)
channel_id_value = st.one_of(st.sampled_from([DF, DF + "\n", "UC" + "a" * 22, "UCshort", "UC" + "a" * 23, "UCfan"]),
                             nasty_text)


@st.composite
def youtube_feed(draw) -> str:
    maybe = lambda strategy: draw(st.none() | strategy)  # noqa: E731
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        views, likes, href = maybe(counter_text), maybe(counter_text), maybe(url_value)
        entries.append(
            "<entry>" + tag(draw, "yt:videoId", maybe(video_id_value)) + tag(draw, "title", maybe(text_value))
            + (f'<link rel="alternate" href="{a(href)}"/>' if href is not None else "")
            + tag(draw, "published", maybe(date_text))
            + "<media:group>" + tag(draw, "media:description", maybe(text_value)) + "<media:community>"
            + (f'<media:starRating count="{a(likes)}"/>' if likes is not None else "")
            + (f'<media:statistics views="{a(views)}"/>' if views is not None else "")
            + "</media:community></media:group></entry>")
    return ('<?xml version="1.0"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
            'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">'
            + tag(draw, "title", maybe(text_value)) + tag(draw, "published", maybe(date_text))
            + "".join(entries) + "</feed>")


@WHOLE_PAGES
@given(body=st.one_of(youtube_feed().map(encoded), youtube_feed().map(encoded), xml_trees.map(encoded),
                      st.binary(max_size=300)),
       status=st.sampled_from([200, 200, 200, 404]), retried=st.booleans(),
       kind=st.sampled_from([XmlResponse, XmlResponse, TextResponse]))
def test_youtube_feed(body, status, retried, kind):
    spider = fresh(YoutubeSpider)
    url = f"https://www.youtube.com/feeds/videos.xml?channel_id={DF}"
    response = answer(kind, url, body, status, meta={"handle": DF, "feed_retried": retried})
    run(spider.parse_feed, response, handle=DF, hop=0)


@st.composite
def channel_page(draw) -> str:
    spots = [f'<meta itemprop="channelId" content="{a(draw(channel_id_value))}">',
             f'<script>var x = {{"channelId":"{draw(channel_id_value)}", "browseId":"{draw(nasty_text)}"}};</script>',
             f'<link rel="canonical" href="https://www.youtube.com/channel/{a(draw(channel_id_value))}">']
    return "<html><head>" + "".join(draw(st.lists(st.sampled_from(spots), max_size=3))) + "</head></html>"


@SETTINGS
@given(body=st.one_of(channel_page().map(encoded), st.binary(max_size=300), nasty_text.map(encoded)),
       status=st.sampled_from([200, 200, 404]))
def test_youtube_handle_page(body, status):
    spider = fresh(YoutubeSpider)
    response = answer(HtmlResponse, "https://www.youtube.com/@someone", body, status, meta={"handle": "@someone"})
    run(spider.parse_handle_page, response, handle="@someone", hop=0)


# YouTube: the Data API -------------------------------------------------------------------------------------
API_KEYS = ["items", "id", "snippet", "statistics", "contentDetails", "relatedPlaylists", "uploads", "title",
            "description", "customUrl", "publishedAt", "thumbnails", "high", "medium", "default", "url",
            "subscriberCount", "hiddenSubscriberCount", "videoCount", "viewCount", "likeCount", "commentCount",
            "videoId", "resourceId", "nextPageToken", "topLevelComment", "authorChannelId", "value", "error", "errors",
            "reason", "message", "code"]
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
    st.sampled_from([2**70, -2**70, 10**23, 2**63, 2**64, -1, 10**11 + 1, 10**8 + 1, float("inf"), float("-inf"),
                     1e300, 2.5, 1e23]),
    nasty_text, counter_text,
)
json_any = st.recursive(
    json_scalar,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(API_KEYS) | st.text(max_size=4),
                                                                      children, max_size=5),
    max_leaves=20,
)


def either(typed):
    """The right type for the field, a single value of any other type (a number where a list belongs, text
    where a number does), or anything at all: a third of the time each."""
    return st.one_of(typed, json_scalar, json_any)


def fields_of(**fields):
    """A JSON object with any of these fields, each of the right type or not."""
    return st.fixed_dictionaries({}, optional={name: either(value) for name, value in fields.items()})


count_value = st.one_of(st.integers(0, 10**12).map(str), st.integers(-5, 2**70),
                        st.sampled_from([str(10**23), "1e3", " 42 ", "4.2K", "٣٤٥", "00000000000000000000042"]))
token_value = st.one_of(st.sampled_from(["CAoQAA", "QURTSl9pMzdZ=", "50", "a" * 2000, "bad token"]), nasty_text)
snippet = fields_of(title=text_value, description=text_value, publishedAt=date_text)
channels_answer = fields_of(items=st.lists(either(fields_of(
    id=channel_id_value,
    snippet=fields_of(title=text_value, description=text_value, publishedAt=date_text,
                      customUrl=st.one_of(st.sampled_from(["@google", "@a b", "@\x00x", "@кот", "@x/../y"]), nasty_text),
                      thumbnails=fields_of(high=fields_of(url=url_value), default=fields_of(url=url_value))),
    statistics=fields_of(subscriberCount=count_value, hiddenSubscriberCount=st.one_of(st.booleans(), st.just("false")),
                         videoCount=count_value),
    contentDetails=fields_of(relatedPlaylists=fields_of(uploads=video_id_value)),
)), max_size=3))
playlist_answer = fields_of(items=st.lists(either(fields_of(
    contentDetails=fields_of(videoId=video_id_value), snippet=fields_of(resourceId=fields_of(videoId=video_id_value)),
)), max_size=4), nextPageToken=token_value)
videos_answer = fields_of(items=st.lists(either(fields_of(
    id=video_id_value, snippet=snippet,
    statistics=fields_of(viewCount=count_value, likeCount=count_value, commentCount=count_value),
)), max_size=4))
comments_answer = fields_of(items=st.lists(either(fields_of(snippet=fields_of(topLevelComment=fields_of(
    snippet=fields_of(authorChannelId=fields_of(value=channel_id_value), publishedAt=date_text))))), max_size=4),
    nextPageToken=token_value)
error_answer = fields_of(error=fields_of(code=st.integers(), message=text_value, errors=st.lists(either(fields_of(
    reason=st.one_of(st.sampled_from(["quotaExceeded", "keyInvalid", "forbidden", "commentsDisabled", "notFound"]),
                     nasty_text))), max_size=2)))


def json_bodies(shaped):
    """JSON bodies: shaped like the method's answer, or any JSON, or bytes that are not JSON at all."""
    as_json = st.one_of(shaped, shaped, shaped, error_answer, json_any)
    return st.one_of(
        as_json.map(lambda v: json.dumps(v).encode()), as_json.map(lambda v: json.dumps(v).encode()),
        # Raw UTF-8 with lone surrogates in it: bytes the JSON decoder cannot read.
        as_json.map(lambda v: encoded(json.dumps(v, ensure_ascii=False))),
        st.binary(max_size=200), nasty_text.map(encoded),
    )


def api_answer(method: str, body: bytes, status: int, handle: str | None):
    meta = {"api_key": "youtube", "yt_method": method, "answer_kind": "json", **({"handle": handle} if handle else {})}
    return answer(TextResponse, f"{API}/{method}?part=snippet", body, status, meta=meta,
                  headers={"Content-Type": "application/json"})


def api_run(callback, response, **kwargs):
    # Quota and key errors stop the crawl by design (CloseSpider); only an error answer may say so.
    allowed = (InvalidAnswer,) + ((CloseSpider,) if response.status != 200 else ())
    return run(callback, response, allowed=allowed, **kwargs)


API_STATUSES = st.sampled_from([200] * 6 + [400, 403, 404])


@SETTINGS
@given(body=json_bodies(channels_answer), status=API_STATUSES, hop=st.integers(0, 1))
def test_youtube_channels_list(body, status, hop):
    spider = fresh(YoutubeSpider)
    api_run(spider.parse_channel, api_answer("channels", body, status, DF), handle=DF, hop=hop)


@SETTINGS
@given(body=json_bodies(playlist_answer), status=API_STATUSES, taken=st.sampled_from([0, 0, 5, 9, 10]))
def test_youtube_playlist_items_list(body, status, taken):
    spider = fresh(YoutubeSpider)
    api_run(spider.parse_uploads, api_answer("playlistItems", body, status, DF if taken == 0 else None),
            handle=DF, playlist="UU" + DF[2:], hop=0, taken=taken)


@SETTINGS
@given(body=json_bodies(videos_answer), status=API_STATUSES, first=st.booleans())
def test_youtube_videos_list(body, status, first):
    spider = fresh(YoutubeSpider)
    api_run(spider.parse_videos, api_answer("videos", body, status, None), handle=DF, hop=0, first=first)


@SETTINGS
@given(body=json_bodies(comments_answer), status=API_STATUSES)
def test_youtube_comment_threads_list(body, status):
    spider = fresh(YoutubeSpider)
    api_run(spider.parse_comments, api_answer("commentThreads", body, status, None), handle=DF, video_id="v")


REAL_YOUTUBE_ANSWERS = {
    "pyyoutube_channels_info_multiple.json": ("channels", "parse_channel", {"hop": 0}),
    "pyyoutube_playlist_items_playlist_items_paged_1.json": ("playlistItems", "parse_uploads",
                                                             {"playlist": "UU", "hop": 0, "taken": 0}),
    "pyyoutube_videos_list_with_statistics.json": ("videos", "parse_videos", {"hop": 0, "first": True}),
    "pyyoutube_videos_videos_info_multi.json": ("videos", "parse_videos", {"hop": 0, "first": True}),
    "pyyoutube_comment_threads_comment_threads_by_video_paged_1.json": ("commentThreads", "parse_comments",
                                                                        {"video_id": "v"}),
}


@pytest.fixture(scope="module")
def real_youtube_answers():
    folder = shared_dir("fixtures", "youtube")
    return {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in sorted(REAL_YOUTUBE_ANSWERS)}


def value_paths(value, path=()):
    """The path of every value inside a JSON document (keys and list indexes)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield (*path, key)
        yield from value_paths(inner, (*path, key))


def replaced(document, path, value):
    document = copy.deepcopy(document)
    inner = document
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = value
    return document


@SETTINGS
@given(data=st.data())
def test_youtube_real_answers_with_one_value_replaced(real_youtube_answers, data):
    """A real Data API answer where one value, at any depth, is of the wrong type or absurd."""
    name = data.draw(st.sampled_from(sorted(real_youtube_answers)))
    method, callback, kwargs = REAL_YOUTUBE_ANSWERS[name]
    document = real_youtube_answers[name]
    path = data.draw(st.sampled_from(list(value_paths(document))))
    body = json.dumps(replaced(document, path, data.draw(json_any))).encode()
    spider = fresh(YoutubeSpider)
    api_run(getattr(spider, callback), api_answer(method, body, 200, DF), handle=DF, **kwargs)


# the checks themselves ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    Post("youtube", DF, "v", views=10**23), Post("telegram", CHANNEL, "1", likes=-1),
    Account("telegram", CHANNEL, name="a\x00b"), Account("telegram", CHANNEL, description="x" * 50_001),
    Account("telegram", "chan\ud800"), Post("rss", "blog", "p", url="file:///etc/passwd"),
    Post("rss", "blog", "p", published_at=datetime(2090, 1, 1, tzinfo=timezone.utc)), Request("file:///etc/passwd"),
    Post("telegram", CHANNEL, "7\n"),
])
def test_the_item_check_refuses_what_it_must(bad):
    with pytest.raises(AssertionError):
        assert_sane(bad)
