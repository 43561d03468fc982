"""Blogs: RSS and Atom parsing on saved synthetic feeds (tests/files/blog_*), feed discovery, the
author's other pages (same_as) through to the export column, and a crawl against a local site."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse

from apiserver import ApiServer
from conftest import FILES, make_spider, run_cli
from crawler.basespider import SeedError
from crawler.items import Account, Link, Post
from crawler.spiders.rss import RssSpider, same_as_target, site_handle
from test_platforms import PROFILE_LINKS
from ranking.shortlist import SHORTLIST_COLUMNS, same_as_pages

SITE = "https://www.runner-blog.example/"
FEED = "https://www.runner-blog.example/feed.xml"


def of(results, kind):
    return [r for r in results if isinstance(r, kind)]


def xml_response(url, name, **cb_kwargs):
    return XmlResponse(url=url, body=(FILES / name).read_bytes(), request=Request(url, cb_kwargs=cb_kwargs),
                       headers={"Content-Type": "application/rss+xml"})


def html_page(url, body):
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url, meta={"handle": site_handle(url)}))


@pytest.fixture(scope="module")
def rss():
    spider = make_spider(RssSpider, seeds=[FEED])
    response = xml_response(FEED, "blog_rss.xml")
    response.meta["handle"] = "runner-blog.example"
    return list(spider.parse_start(response, url=FEED, hop=0, key=FEED))


# seeds and handles -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed, url", [
    ("https://Blog.Example.com", "https://blog.example.com/"), ("example.org/feed.xml", "https://example.org/feed.xml"),
    ("http://example.org/blog/?format=rss", "http://example.org/blog/?format=rss")])
def test_seeds_are_normalised_urls(seed, url):
    assert RssSpider.parse_seed(seed) == url == RssSpider.parse_seed(url)


@pytest.mark.parametrize("seed", ["not a url", "ftp://example.org/feed", "https://nohost/"])
def test_bad_seeds(seed):
    with pytest.raises(SeedError, match="not a blog address"):
        RssSpider.parse_seed(seed)


@pytest.mark.parametrize("url, feed, handle", [
    ("https://www.example.com/", False, "example.com"), ("https://example.org/notes/", False, "example.org/notes"),
    ("https://example.org/notes/atom.xml", True, "example.org/notes"), ("https://example.org/feed/", True, "example.org")])
def test_site_handle(url, feed, handle):
    assert site_handle(url, feed=feed) == handle


@pytest.mark.parametrize("url, target", PROFILE_LINKS)
def test_same_as_targets(url, target):
    assert same_as_target(url) == target


# RSS 2.0 -------------------------------------------------------------------------------------------------
def test_rss_account(rss):
    (account,) = of(rss, Account)
    assert (account.handle, account.name, account.url) == ("runner-blog.example", "Бег и & питание", SITE)
    assert account.description == "Заметки бегуна-любителя"
    assert account.followers is None and account.followers_kind is None


def test_rss_posts_newest_first_with_ids(rss):
    assert [p.post_id for p in of(rss, Post)] == ["runner-blog-101", "https://www.runner-blog.example/?p=102",
                                                  "https://www.runner-blog.example/2026/09/no-date/"]


def test_rss_text_is_title_and_summary(rss):
    assert of(rss, Post)[0].text == "Первый марафон\n\nКак я пробежал 42 км.\nПодробности в канале @runner_notes."


def test_rss_url_and_date(rss):
    post = of(rss, Post)[0]
    assert post.url == "https://www.runner-blog.example/2026/10/marathon/"
    assert post.published_at == datetime(2026, 10, 10, 5, 30, tzinfo=timezone.utc)
    assert of(rss, Post)[2].published_at is None


def test_rss_slash_comments(rss):
    assert [p.comments for p in of(rss, Post)] == [14, 3, None]
    assert {p.views for p in of(rss, Post)} == {None} and {p.likes for p in of(rss, Post)} == {None}


def test_profile_links_inside_posts_are_not_same_as(rss):
    # The posts link t.me, YouTube, Mastodon and Bluesky profiles: what a post talks about is not the
    # author's identity. Only the site page's profile area and the channel-level links give same_as.
    assert [l for l in of(rss, Link) if l.kind == "same_as"] == []


def feed_with(items="", channel_extra=""):
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">'
            f'<channel><title>Blog</title><link>https://blog.example.com/</link><description>d</description>'
            f'{channel_extra}{items}</channel></rss>').encode()


def parse_feed_body(body, headers=None):
    spider = make_spider(RssSpider, seeds=["https://blog.example.com/feed.xml"])
    url = "https://blog.example.com/feed.xml"
    response = XmlResponse(url=url, body=body, request=Request(url, meta={"handle": "blog.example.com"}),
                           headers=headers or {"Content-Type": "application/rss+xml"})
    return spider, list(spider.parse_start(response, url=url, hop=0, key=url))


def test_channel_level_links_are_same_as_post_links_are_not():
    post = ('<item><title>t</title><link>https://blog.example.com/p1</link><guid>1</guid><description>'
            '&lt;p&gt;Great talk by &lt;a href="https://t.me/durov"&gt;Durov&lt;/a&gt;&lt;/p&gt;</description></item>')
    spider, results = parse_feed_body(feed_with(post, '<image><url>https://blog.example.com/i.png</url>'
                                                      '<link>https://t.me/blog_channel</link></image>'))
    assert [l.dst for l in of(results, Link) if l.kind == "same_as"] == ["telegram:blog_channel"]
    assert spider.crawler.stats.get_value("pagescout/rss/profile_links_in_posts") == 1


def test_unparsable_link_and_superscript_comments_are_no_crash():
    post = ('<item><title>t</title><link>https://blog.example.com/p1</link><guid>1</guid><description>Open '
            'http://[your-server-ip]:8080/ or &lt;a href="https://[::1"&gt;this&lt;/a&gt;</description>'
            '<slash:comments>²</slash:comments></item>')
    _, results = parse_feed_body(feed_with(post))
    (post,) = of(results, Post)
    assert post.comments is None and of(results, Link) == []


def test_feed_found_after_a_long_prologue_with_a_generic_xml_type():
    prologue = '<?xml version="1.0"?>\n<?xml-stylesheet href="/feed.xsl"?>\n<!--' + "licence text " * 150 + "-->\n"
    body = prologue.encode() + feed_with('<item><title>t</title><guid>1</guid></item>').split(b"?>", 1)[1]
    _, results = parse_feed_body(body, headers={"Content-Type": "text/xml; charset=utf-8"})
    (account,) = of(results, Account)
    assert account.status == "ok" and len(of(results, Post)) == 1


def test_rss_mentions_other_blogs_not_big_sites(rss):
    mentions = [(l.dst, l.post_id) for l in of(rss, Link) if l.kind == "mention"]
    assert mentions == [("other-runner.example", "https://www.runner-blog.example/?p=102")]


def test_feed_seed_also_reads_the_site_page(rss):
    requests = [r for r in rss if isinstance(r, Request)]
    assert [r.url for r in requests] == [SITE]


def test_site_page_links_become_same_as():
    spider = make_spider(RssSpider, seeds=[FEED])
    page = HtmlResponse(url=SITE, body=(FILES / "blog_site.html").read_bytes(), encoding="utf-8")
    links = list(spider.parse_site_links(page, handle="runner-blog.example"))
    assert [l.dst for l in links] == ["mastodon:runner@mastodon.example", "telegram:runner_notes", "vk:runner_club"]


# Atom and discovery --------------------------------------------------------------------------------------
def test_atom_feed():
    spider = make_spider(RssSpider, seeds=["https://example.org/notes/atom.xml"])
    response = xml_response("https://example.org/notes/atom.xml", "blog_atom.xml")
    response.meta["handle"] = "example.org/notes"
    results = list(spider.parse_start(response, url="https://example.org/notes/atom.xml", hop=0, key="x"))
    (account,) = of(results, Account)
    assert (account.handle, account.name, account.description) == ("example.org/notes", "Notes on Data", "Occasional essays")
    posts = of(results, Post)
    assert [p.post_id for p in posts] == ["tag:example.org,2026:notes/medians", "tag:example.org,2026:notes/updated"]
    assert posts[0].text == "Medians beat means\n\nOne viral post should not carry a page. See our VK."
    assert posts[1].published_at == datetime(2026, 10, 1, 6, 0, tzinfo=timezone.utc)  # only <updated>
    assert of(results, Link) == []  # the VK link is inside a post: a mention of it, not the blog's identity


def test_site_page_same_as_only_from_its_profile_area():
    spider = make_spider(RssSpider, seeds=[SITE])
    page = HtmlResponse(url=SITE, encoding="utf-8", body="""<html><head>
        <link rel="me" href="https://mastodon.example/@runner"></head><body>
        <header><a href="https://t.me/runner_notes">Telegram</a></header>
        <div class="social-icons"><a href="https://vk.com/runner_club">VK</a></div>
        <article><header><a href="https://t.me/someone_else">by a guest</a></header>
          <p>Watch <a href="https://www.youtube.com/@SomeoneElse">this</a></p></article>
        <main><p><a href="https://bsky.app/profile/friend.bsky.social">a friend</a></p></main>
        <footer><a href="http://[your-server-ip]:8080/">setup</a></footer></body></html>""".encode())
    links = list(spider.parse_site_links(page, handle="runner-blog.example"))
    assert [l.dst for l in links] == ["mastodon:runner@mastodon.example", "telegram:runner_notes", "vk:runner_club"]


def test_site_page_names_its_feed():
    spider = make_spider(RssSpider, seeds=[SITE])
    page = html_page(SITE, (FILES / "blog_site.html").read_bytes())
    (request,) = list(spider.parse_start(page, url=SITE, hop=0, key=SITE))
    assert request.url == FEED
    assert request.cb_kwargs["page_same_as"] == ["mastodon:runner@mastodon.example", "telegram:runner_notes",
                                                 "vk:runner_club"]


def test_page_without_feed_is_unavailable():
    spider = make_spider(RssSpider, seeds=[SITE])
    page = html_page(SITE, b"<html><body>no feed</body></html>")
    (account,) = list(spider.parse_start(page, url=SITE, hop=0, key=SITE))
    assert account.status == "unavailable" and account.reason.startswith("no RSS/Atom feed")


# the export column ------------------------------------------------------------------------------------------
def test_same_as_pages_both_ways():
    links = pd.DataFrame({"platform": ["rss", "rss", "telegram"], "src": ["blog.example", "blog.example", "a"],
                          "dst": ["telegram:durov", "vk:club1", "b"], "kind": ["same_as", "same_as", "mention"]})
    got = same_as_pages(links, pd.Series(["rss", "telegram", "telegram"]), pd.Series(["blog.example", "durov", "a"]))
    assert got == ["telegram:durov, vk:club1", "rss:blog.example", None]
    assert list(SHORTLIST_COLUMNS)[-1] == "same_as" or "same_as" in SHORTLIST_COLUMNS


# a whole crawl against a local site -----------------------------------------------------------------------------
def dated_feed(n):
    now = datetime(2026, 10, 20, tzinfo=timezone.utc)
    items = "".join(f"<item><title>Post {i}</title><link>https://www.runner-blog.example/p{i}</link>"
                    f"<pubDate>{(now - timedelta(days=2 * i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
                    f"<description>text {i}</description></item>" for i in range(n))
    first = ('<item><title>Intro</title><link>https://www.runner-blog.example/intro</link>'
             '<pubDate>Tue, 20 Oct 2026 12:00:00 +0000</pubDate><description>'
             '&lt;a href="https://friend-blog.example/"&gt;friend&lt;/a&gt;</description></item>')
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Runner</title>'
            f'<link>https://www.runner-blog.example/</link>{first}{items}</channel></rss>')


def site_route(path, params):
    if path == "/":
        return 200, (FILES / "blog_site.html").read_text(encoding="utf-8"), {"Content-Type": "text/html; charset=utf-8"}
    if path == "/feed.xml":
        return 200, dated_feed(12), {"Content-Type": "application/rss+xml"}
    return 404, "not found"


def test_crawl_blog_then_export_same_as(tmp_path):
    db = tmp_path / "blogs.db"
    with ApiServer(site_route) as server:
        result = run_cli("crawl", "rss", SITE, "--depth", "1", "--max-posts", "10", "--base-url", server.url,
                         "--delay", "0", "--quiet", "--db", str(db))
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    try:
        accounts = dict(conn.execute("SELECT handle, status FROM accounts"))
        posts = conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    finally:
        conn.close()
    # the friend's "blog" is served the same page here, so depth 1 finds a feed there too
    assert accounts["runner-blog.example"] == "ok" and "friend-blog.example" in accounts
    assert posts >= 10
    out = tmp_path / "shortlist.csv"
    from typer.testing import CliRunner

    from cli import app

    export = CliRunner().invoke(app, ["export", str(out), "--platform", "rss", "--db", str(db)])
    assert export.exit_code == 0, export.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    row = table[table["handle"] == "runner-blog.example"].iloc[0]
    assert row["same_as"] == "mastodon:runner@mastodon.example, telegram:runner_notes, vk:runner_club"
    assert row["posts"] == 10 and row["posts_per_week"] > 3  # every two days, and one more


# Values strangers write: each field through its typed reader (crawler.fields) ------------------------------
def one_post(title="t", link="https://blog.example.com/p1", date="Tue, 10 Oct 2026 05:30:00 +0000", comments="3",
             description="d"):
    """A feed (raw XML) with one post, each of its values as given."""
    return feed_with(f"<item><title>{title}</title><link>{link}</link><guid>1</guid><pubDate>{date}</pubDate>"
                     f"<description>{description}</description><slash:comments>{comments}</slash:comments></item>")


def test_the_one_post_helper_reads_as_a_post():
    # The tests below change one value each: this is what the unchanged feed gives.
    _, results = parse_feed_body(one_post())
    (post,) = of(results, Post)
    assert (post.text, post.url, post.comments) == ("t\n\nd", "https://blog.example.com/p1", 3)
    assert post.published_at == datetime(2026, 10, 10, 5, 30, tzinfo=timezone.utc)


def test_huge_post_text_is_cut_to_the_cap_and_counted():
    from crawler.fields import TEXT_MAX

    spider, results = parse_feed_body(one_post(description="слово " * 30_000))
    (post,) = of(results, Post)
    assert len(post.text) == TEXT_MAX and post.text.startswith("t\n\nслово слово")
    assert spider.crawler.stats.get_value("pagescout/cut/rss/text") == 1


def test_control_characters_removed_and_rtl_override_kept():
    # XML cannot carry control characters, but a post's HTML can, as character references.
    _, results = parse_feed_body(one_post(title="Бег&amp;#27;[31m \u202eи", description="&lt;b&gt;a&lt;/b&gt;&amp;#1;b"))
    (post,) = of(results, Post)
    assert post.text == "Бег[31m \u202eи\n\nab"


def test_character_references_xml_forbids_are_dropped_not_a_crash():
    # lxml would turn &#xD800; into bytes it then cannot decode itself.
    _, results = parse_feed_body(feed_with().replace(b"<title>Blog</title>", b"<title>Bl&#xD800;og&#x1;</title>"))
    (account,) = of(results, Account)
    assert account.name == "Blog"


@pytest.mark.parametrize("comments", [str(10**23), "100000001", "-3", "²", "many"])
def test_comment_count_that_is_no_plausible_number_is_unknown_and_counted(comments):
    spider, results = parse_feed_body(one_post(comments=comments))
    (post,) = of(results, Post)
    assert post.comments is None
    assert spider.crawler.stats.get_value("pagescout/invalid/rss/comments") == 1


@pytest.mark.parametrize("date", ["Mon, 01 Jan 2090 00:00:00 +0000", "Sun, 31 Dec 1989 23:59:59 GMT",
                                  "Mon, 01 Jan 99999 00:00:00 +0000", "Tue, 10 Oct 2026 05:30:00 +9999", "soon"])
def test_date_out_of_range_or_unreadable_is_empty_and_counted(date):
    spider, results = parse_feed_body(one_post(date=date))
    (post,) = of(results, Post)
    assert post.published_at is None
    assert spider.crawler.stats.get_value("pagescout/invalid/rss/published_at") == 1


@pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd", "https://example.org:99999/"])
def test_post_link_that_is_no_web_address_is_dropped_and_counted(link):
    spider, results = parse_feed_body(one_post(link=link))
    (post,) = of(results, Post)
    assert post.url is None and post.post_id == "1"
    assert spider.crawler.stats.get_value("pagescout/invalid/rss/url") == 1


def test_a_site_page_cannot_name_a_local_file_as_its_feed():
    # Scrapy would read a file:// "feed" from this machine's disk.
    spider = make_spider(RssSpider, seeds=[SITE])
    page = html_page(SITE, b'<html><head><link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">'
                           b"</head></html>")
    (account,) = list(spider.parse_start(page, url=SITE, hop=0, key=SITE))
    assert account.status == "unavailable" and account.reason.startswith("no RSS/Atom feed")
    assert spider.crawler.stats.get_value("pagescout/invalid/rss/feed_url") == 1


def test_a_feed_that_is_not_rss_or_atom_is_an_invalid_answer():
    from crawler.basespider import InvalidAnswer

    with pytest.raises(InvalidAnswer, match=r"^the feed is not RSS or Atom"):
        parse_feed_body(b"<?xml version='1.0'?><html><body>Sorry</body></html>")


def test_profile_links_with_hostile_handles_give_no_same_as():
    channel_links = "".join(f"<image><link>{href}</link></image>" for href in (
        "https://bsky.app/profile/%00evil", "https://bsky.app/profile/" + "a" * 400, "https://vk.com/club" + "1" * 400,
        "https://bsky.app/profile/alice.bsky.social"))
    _, results = parse_feed_body(feed_with(channel_extra=channel_links))
    assert [l.dst for l in of(results, Link) if l.kind == "same_as"] == ["bluesky:alice.bsky.social"]
