"""Telegram preview parser: one test per field on a saved page, then conformance on real t.me markup."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from scrapy import Request

from conftest import FILES, html_response, make_spider, shared_dir
from crawler.basespider import SeedError
from crawler.items import Account, Link, Post, Snapshot
from crawler.spiders.telegram import SERVICE_MESSAGES, TelegramSpider, handle_from_url

URL = "https://t.me/s/test_channel"


@pytest.fixture(scope="module")
def parsed():
    spider = make_spider(TelegramSpider, seeds=["test_channel"], max_posts=100)
    response = html_response(URL, (FILES / "telegram_channel.html").read_bytes())
    results = list(spider.parse_channel(response, handle="test_channel", hop=0, taken=0))
    return spider, results


def of(results, kind):
    return [r for r in results if isinstance(r, kind)]


@pytest.fixture(scope="module")
def account(parsed):
    (account,) = of(parsed[1], Account)
    return account


@pytest.fixture(scope="module")
def posts(parsed):
    return {p.post_id: p for p in of(parsed[1], Post)}


@pytest.fixture(scope="module")
def links(parsed):
    return of(parsed[1], Link)


def test_account_title(account):
    assert account.name == "Тестовый канал"


def test_account_description_keeps_line_breaks(account):
    assert account.description == "Про фитнес и питание.\nРеклама: @ads_manager"


def test_account_subscribers_from_abbreviated_counter(account):
    assert account.followers == 109_000
    assert account.followers_kind == "subscribers"


def test_account_verified_and_avatar(account):
    assert account.verified is True
    assert account.avatar == "https://cdn4.telegram-cdn.org/file/avatar.jpg"


def test_account_url_is_canonical(account):
    assert account.url == "https://t.me/test_channel"
    assert account.status == "ok"


def test_snapshot_of_the_day(parsed, account):
    (snapshot,) = of(parsed[1], Snapshot)
    assert snapshot.followers == account.followers
    assert snapshot.date == datetime.now(timezone.utc).date().isoformat()


def test_post_ids_and_urls(posts):
    assert set(posts) == {"1001", "1002", "1003"}
    assert posts["1003"].url == "https://t.me/test_channel/1003"


def test_post_views_abbreviations(posts):
    assert posts["1001"].views == 37_200
    assert posts["1002"].views == 950
    assert posts["1003"].views == 1_500_000


def test_post_published_at(posts):
    assert posts["1001"].published_at == datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)


def test_post_text_with_line_break_and_link_text(posts):
    assert posts["1001"].text.startswith("Первая строка\nвторая строка с упоминанием @Friend_Channel")


def test_reply_quote_is_not_the_post_text(posts):
    assert "цитата" not in posts["1002"].text


def test_reactions_summed_and_zero_where_channel_shows_reactions(posts):
    assert posts["1001"].likes == 1_200 + 305
    assert posts["1003"].likes == 0


def test_comments_and_forward_counts_are_unknown_not_zero(posts):
    assert all(p.comments is None and p.reposts is None for p in posts.values())


def test_forward_kind(posts):
    assert posts["1001"].kind == "forward"
    assert posts["1003"].kind == "post"


def test_forward_becomes_link_to_source_channel(links):
    forwards = [link for link in links if link.kind == "forward"]
    assert [(f.src, f.dst, f.post_id) for f in forwards] == [("test_channel", "source_channel", "1001")]


def test_hidden_forward_source_counted_not_linked(parsed):
    spider, _ = parsed
    assert spider.crawler.stats.get_value("pagescout/telegram/forward_source_hidden") == 1


def test_mentions_from_at_names_and_tme_links(links):
    mentions = {(link.dst, link.post_id) for link in links if link.kind == "mention"}
    assert mentions == {("friend_channel", "1001"), ("other_channel", "1001")}


def test_no_self_reserved_email_or_quote_mentions(links):
    targets = {link.dst for link in links}
    assert not targets & {"test_channel", "joinchat", "mail", "quoted_channel"}


def test_older_posts_requested_with_before(parsed):
    spider, results = parsed
    (request,) = [r for r in results if isinstance(r, Request) and "before=" in r.url]
    assert request.url == "https://t.me/s/test_channel?before=1001"
    assert request.cb_kwargs["taken"] == 3


@pytest.mark.parametrize("max_posts,expected", [(2, ["1003", "1002"]), (1, ["1003"])])
def test_max_posts_keeps_newest_and_stops_paging(max_posts, expected):
    spider = make_spider(TelegramSpider, seeds=["test_channel"], max_posts=max_posts)
    response = html_response(URL, (FILES / "telegram_channel.html").read_bytes())
    results = list(spider.parse_channel(response, handle="test_channel", hop=0, taken=0))
    assert [p.post_id for p in of(results, Post)] == expected
    assert not [r for r in results if isinstance(r, Request) and "before=" in r.url]


def test_depth_follows_discovered_channels_one_hop():
    spider = make_spider(TelegramSpider, seeds=["test_channel"], depth=1)
    response = html_response(URL, (FILES / "telegram_channel.html").read_bytes())
    requests = [r for r in spider.parse_channel(response, handle="test_channel", hop=0, taken=0) if isinstance(r, Request)]
    followed = {r.cb_kwargs["handle"]: r.cb_kwargs["hop"] for r in requests if "before=" not in r.url}
    assert followed == {"source_channel": 1, "friend_channel": 1, "other_channel": 1}
    deeper = list(spider.parse_channel(response, handle="test_channel", hop=1, taken=0))
    assert not [r for r in deeper if isinstance(r, Request) and "before=" not in r.url]


@pytest.mark.parametrize("status,reason", [(404, "not found (HTTP 404)"), (410, "not found (HTTP 410)")])
def test_dead_channel_recorded_unavailable(status, reason):
    spider = make_spider(TelegramSpider, seeds=["gone_channel"])
    response = html_response("https://t.me/s/gone_channel", b"<html></html>", status=status)
    (account,) = spider.parse_channel(response, handle="gone_channel", hop=0, taken=0)
    assert (account.status, account.reason) == ("unavailable", reason)


def test_redirect_away_from_preview_means_private():
    spider = make_spider(TelegramSpider, seeds=["private_one"])
    response = html_response("https://t.me/s/private_one", b"", status=302)
    response.headers["Location"] = "https://t.me/private_one"
    (account,) = spider.parse_channel(response, handle="private_one", hop=0, taken=0)
    assert account.status == "unavailable"
    assert "no public preview" in account.reason and "https://t.me/private_one" in account.reason


@pytest.mark.parametrize(
    "seed,handle",
    [("durov", "durov"), ("@Durov", "durov"), ("https://t.me/durov", "durov"), ("t.me/s/durov", "durov"),
     ("https://telegram.me/durov/123", "durov")],
)
def test_seed_forms(seed, handle):
    assert TelegramSpider.parse_seed(seed) == handle


@pytest.mark.parametrize("seed", ["", "ab", "has space", "https://t.me/joinchat/AAAA", "https://vk.com/durov", "1abc"])
def test_bad_seeds_explain_themselves(seed):
    with pytest.raises(SeedError, match="Telegram"):
        TelegramSpider.parse_seed(seed)


def test_handle_from_url_reads_post_ids():
    assert handle_from_url("https://t.me/Some_Channel/44604") == ("some_channel", "44604")
    assert handle_from_url("https://example.com/durov") is None


# Conformance on real t.me/s markup (../shared/fixtures/telegram, from Apkawa/rust-any2feed's tests) ------
REAL = {
    "any2feed_message_text.html": ("topwar_official", "70991", 33_400, "2023-02-28T08:48:01+00:00"),
    "any2feed_message_media_forwarded_from.html": ("oper_goblin", "22358", 214_400, "2023-02-27T07:20:50+00:00"),
    "any2feed_message_with_from_author.html": ("channel", "4", 1, "2023-02-28T16:38:34+00:00"),
    "any2feed_message_poll.html": ("it_begin", "488", 1_100, "2023-02-27T16:21:02+00:00"),
    "any2feed_message_media_photo_and_video.html": ("anna_news", "46908", 59_500, "2023-02-28T06:48:36+00:00"),
    "any2feed_message_link_preview.html": ("oper_goblin", "22360", 226_200, "2023-02-27T07:33:14+00:00"),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_message_markup(name):
    folder = shared_dir("fixtures", "telegram")
    channel, post_id, views, published = REAL[name]
    spider = make_spider(TelegramSpider, seeds=[channel])
    response = html_response(f"https://t.me/s/{channel}", (folder / name).read_bytes())
    ((post, links),) = list(spider.parse_posts(response, channel))
    assert post.post_id == post_id
    assert post.views == views
    assert post.published_at == datetime.fromisoformat(published)
    assert post.url == f"https://t.me/{channel}/{post_id}"
    assert post.likes is None  # no reactions block on these pages: unknown, not zero


def test_real_forward_links_to_source_channel():
    folder = shared_dir("fixtures", "telegram")
    spider = make_spider(TelegramSpider, seeds=["oper_goblin"])
    body = (folder / "any2feed_message_media_forwarded_from.html").read_bytes()
    ((post, links),) = list(spider.parse_posts(html_response("https://t.me/s/oper_goblin", body), "oper_goblin"))
    assert post.kind == "forward"
    assert [(link.dst, link.kind) for link in links] == [("dimsmirnov175", "forward")]
    assert post.text.startswith("Британская разведка выяснила")


def test_real_text_post_has_text():
    folder = shared_dir("fixtures", "telegram")
    spider = make_spider(TelegramSpider, seeds=["topwar_official"])
    body = (folder / "any2feed_message_text.html").read_bytes()
    ((post, _),) = list(spider.parse_posts(html_response("https://t.me/s/topwar_official", body), "topwar_official"))
    assert post.text and len(post.text) > 20


def test_discovery_keeps_shortest_hops_when_pages_arrive_out_of_order():
    spider = make_spider(TelegramSpider, seeds=["seed_a", "seed_z"], depth=2)
    spider.seed_requests()
    handles = lambda requests: {(r.cb_kwargs["handle"], r.cb_kwargs["hop"]) for r in requests}  # noqa: E731
    assert handles(spider.expand("seed_a", 0, ["chan_b"])) == {("chan_b", 1)}
    assert handles(spider.expand("chan_b", 1, ["chan_c"])) == {("chan_c", 2)}
    assert handles(spider.expand("chan_c", 2, ["chan_d"])) == set()  # 3 hops: beyond --depth 2
    # seed_z links chan_c directly: chan_c is 1 hop away after all, so chan_d comes within reach.
    assert handles(spider.expand("seed_z", 0, ["chan_c"])) == {("chan_d", 2)}


def test_a_failing_older_page_keeps_the_channel_available():
    spider = make_spider(TelegramSpider, seeds=["test_channel"])
    response = html_response("https://t.me/s/test_channel?before=1001", b"", status=404)
    assert list(spider.parse_channel(response, handle="test_channel", hop=0, taken=20)) == []
    assert spider.crawler.stats.get_value("pagescout/errors/older_page_http_404") == 1
    request = spider.channel_request("test_channel", 0, before="1001", taken=20)
    assert "handle" not in request.meta  # so the errback cannot mark the channel either


def test_links_with_unparseable_hosts_are_not_channels():
    assert handle_from_url("http://[your-server-ip]:8080/") is None


@pytest.mark.parametrize(
    "exception,reason",
    [("DownloadTimeoutError", "timed out after retries"), ("CannotResolveHostError", "host not found"),
     ("DownloadConnectionRefusedError", "connection refused")],
)
def test_network_failures_are_named_without_the_url(exception, reason):
    import scrapy.exceptions
    from twisted.python.failure import Failure

    spider = make_spider(TelegramSpider, seeds=["durov"])
    error = getattr(scrapy.exceptions, exception)("Getting https://t.me/s/durov?access_token=SECRET took longer")
    failure = Failure(error)
    failure.request = Request("https://t.me/s/durov", meta={"handle": "durov"})
    (account,) = spider.on_error(failure)
    assert account.reason == reason and "SECRET" not in account.reason


def test_a_linked_username_without_preview_is_not_stored():
    spider = make_spider(TelegramSpider, seeds=["seed_channel"])
    response = html_response("https://t.me/s/some_person", b"", status=302)
    response.headers["Location"] = "https://t.me/some_person"
    assert list(spider.parse_channel(response, handle="some_person", hop=1, taken=0)) == []
    assert spider.crawler.stats.get_value("pagescout/summary/linked usernames without a channel preview") == 1


# Values strangers write: each field through its typed reader (crawler.fields) ------------------------------
def page(counter="109K", title="Канал", bio="Про бег", post="chan_one/7", published="2026-11-01T09:30:00+00:00",
         views="950", text="Пост", reactions=(), before="6") -> bytes:
    """A minimal t.me/s page: the channel header and one message, each value as given (raw HTML)."""
    reaction_block = ('<div class="tgme_widget_message_reactions">' + "".join(
        f'<span class="tgme_reaction"><i class="emoji"><b>👍</b></i>{r}</span>' for r in reactions) + "</div>"
        if reactions else "")
    return f"""<html><body><section>
<a class="tme_messages_more" data-before="{before}"></a>
<div class="tgme_widget_message" data-post="{post}"><div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_text">{text}</div>{reaction_block}
<span class="tgme_widget_message_views">{views}</span>
<a class="tgme_widget_message_date"><time datetime="{published}">12:30</time></a></div></div></section>
<div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span>{title}</span></div>
<div class="tgme_channel_info_description">{bio}</div>
<div class="tgme_channel_info_counter"><span class="counter_value">{counter}</span> <span class="counter_type">subscribers</span></div>
</div></body></html>""".encode("utf-8", "surrogatepass")


def parse_page(body: bytes):
    spider = make_spider(TelegramSpider, seeds=["chan_one"], max_posts=10)
    results = list(spider.parse_channel(html_response("https://t.me/s/chan_one", body), handle="chan_one", hop=0, taken=0))
    return spider.crawler.stats, results


def test_the_page_helper_reads_as_a_channel():
    # The tests below change one value each: this is what the unchanged page gives.
    _, results = parse_page(page())
    ((account,), (post,)) = of(results, Account), of(results, Post)
    assert (account.name, account.description, account.followers) == ("Канал", "Про бег", 109_000)
    assert (post.post_id, post.views, post.text) == ("7", 950, "Пост")


def test_overflowing_subscriber_counter_is_unknown_and_counted():
    stats, results = parse_page(page(counter="123456789012345678901234567890"))
    (account,), (snapshot,) = of(results, Account), of(results, Snapshot)
    assert account.followers is None and snapshot.followers is None  # unknown, never an int no store holds
    assert stats.get_value("pagescout/invalid/telegram/followers") == 1


@pytest.mark.parametrize("views", [str(10**23), "100000000000000000000000K", "1000000000000B"])
def test_view_count_beyond_any_audience_is_unknown_and_counted(views):
    stats, results = parse_page(page(views=views))
    (post,) = of(results, Post)
    assert post.views is None
    assert stats.get_value("pagescout/invalid/telegram/views") == 1


def test_52_mb_bio_is_cut_to_the_cap():
    from crawler.fields import TEXT_MAX

    bio = "слово " * (52 * 2**20 // len("слово ".encode()))
    stats, results = parse_page(page(bio=bio))
    (account,) = of(results, Account)
    assert len(account.description) == TEXT_MAX
    assert account.description.startswith("слово слово")
    assert stats.get_value("pagescout/cut/telegram/description") == 1


def test_huge_post_text_is_cut_to_the_cap():
    from crawler.fields import TEXT_MAX

    stats, results = parse_page(page(text="x" * (3 * TEXT_MAX)))
    (post,) = of(results, Post)
    assert post.text == "x" * TEXT_MAX
    assert stats.get_value("pagescout/cut/telegram/text") == 1


@pytest.mark.parametrize("title", ["Ка\x00нал\x1b[31m \u202eлевый\x7f", "Ка&#x1b;нал\x01[31m &#x202e;левый"])
def test_control_characters_removed_and_rtl_override_kept(title):
    # The override is kept (the name is what the channel chose); showing it safely is the exporters' job.
    _, results = parse_page(page(title=title))
    (account,) = of(results, Account)
    assert account.name == "Канал[31m \u202eлевый"


@pytest.mark.parametrize("post", ["chan_one/²", "chan_one/١٢", "chan_one/" + "9" * 40, "chan_one/"])
def test_unreadable_message_id_skips_the_message_and_is_counted(post):
    stats, results = parse_page(page(post=post))
    assert of(results, Post) == [] and len(of(results, Account)) == 1
    assert stats.get_value("pagescout/invalid/telegram/post_id") == 1


@pytest.mark.parametrize("published", ["2023-13-45", "2090-01-01T00:00:00+00:00", "0001-01-01T00:00:00+23:59", "now"])
def test_unreadable_or_impossible_date_is_empty_and_counted(published):
    stats, results = parse_page(page(published=published))
    (post,) = of(results, Post)
    assert post.published_at is None
    assert stats.get_value("pagescout/invalid/telegram/published_at") == 1


def test_one_unreadable_reaction_makes_likes_unknown_not_understated():
    stats, results = parse_page(page(reactions=["5", "9" * 40]))
    (post,) = of(results, Post)
    assert post.likes is None
    assert stats.get_value("pagescout/invalid/telegram/likes") == 1
    _, results = parse_page(page(reactions=["5", "1.2K", ""]))
    assert of(results, Post)[0].likes == 1_205


def test_unreadable_older_page_cursor_stops_paging_and_is_counted():
    stats, results = parse_page(page(before="12&amp;evil=1"))
    assert not [r for r in results if isinstance(r, Request)]
    assert stats.get_value("pagescout/invalid/telegram/before") == 1


def test_redirect_target_in_the_reason_is_cleaned_and_cut():
    spider = make_spider(TelegramSpider, seeds=["private_one"])
    response = html_response("https://t.me/s/private_one", b"", status=302)
    response.headers["Location"] = "https://t.me/private_one\x1b[31m" + "a" * 5_000
    (account,) = spider.parse_channel(response, handle="private_one", hop=0, taken=0)
    assert "\x1b" not in account.reason and len(account.reason) < 500
    assert "https://t.me/private_one[31m" in account.reason


# Every real message block of PythonicCafe/tchan's tests (../shared/fixtures/telegram/tchan_*.html) --------
SERVICE = ("tchan_parse_service_message_channel_created.html", "tchan_parse_service_message_channel_name_changed.html",
           "tchan_parse_service_message_channel_photo_updated.html", "tchan_parse_service_message_pinned.html")
#: Publications of every kind the preview shows (stickers, polls, round videos, locations, albums, audio …),
#: with their id and views. "channel_video_changed" is a post whose text says so, shown with its views.
TCHAN_POSTS = {
    "tchan_parse_audio_document.html": ("12", 2), "tchan_parse_audio_message.html": ("13", 2),
    "tchan_parse_emoji_message.html": ("7", 2), "tchan_parse_forwarded_text_message.html": ("89", 2),
    "tchan_parse_location_message.html": ("10", 2), "tchan_parse_location_message_2.html": ("83", 1),
    "tchan_parse_location_message_3.html": ("88", 2), "tchan_parse_message_weird_preview.html": ("7334", 1200),
    "tchan_parse_multimedia_message.html": ("84", 436_600), "tchan_parse_photo_multiple.html": ("14", 2),
    "tchan_parse_photo_single.html": ("16", 2), "tchan_parse_poll.html": ("11", 2),
    "tchan_parse_round_video_single.html": ("17", 2),
    "tchan_parse_service_message_channel_video_changed.html": ("82", 3_100_000),
    "tchan_parse_signed_edited_text_message.html": ("5", 2), "tchan_parse_sticker_message.html": ("9", 2),
    "tchan_parse_text_message_link_no_preview.html": ("24", 2),
    "tchan_parse_text_message_link_with_regular_preview.html": ("94", 1),
    "tchan_parse_text_message_link_with_right_preview.html": ("81", 2),
    "tchan_parse_text_message_multiline.html": ("62", 2), "tchan_parse_text_message_signed_not_edited.html": ("79", 2),
    "tchan_parse_text_reply_to_video.html": ("20", 2), "tchan_parse_unsigned_text_message.html": ("6", 2),
    "tchan_parse_video_big.html": ("5343", 436_600), "tchan_parse_video_single.html": ("18", 2),
    "tchan_parse_video_single_2.html": ("19", 2),
}


def tchan_posts(name: str):
    spider = make_spider(TelegramSpider, seeds=["tchantest"])
    body = (shared_dir("fixtures", "telegram") / name).read_bytes()
    return spider, list(spider.parse_posts(html_response("https://t.me/s/tchantest", body), "tchantest"))


def test_every_tchan_message_block_is_classified():
    names = {p.name for p in shared_dir("fixtures", "telegram").glob("tchan_parse_*.html")}
    assert names == set(SERVICE) | set(TCHAN_POSTS)


@pytest.mark.parametrize("name", SERVICE)
def test_a_service_message_is_no_post(name):
    spider, posts = tchan_posts(name)
    assert posts == []
    assert spider.crawler.stats.get_value(SERVICE_MESSAGES) == 1


@pytest.mark.parametrize("name", sorted(TCHAN_POSTS))
def test_every_kind_of_publication_is_a_post_with_its_views(name):
    spider, posts = tchan_posts(name)
    ((post, _),) = posts
    assert (post.post_id, post.views) == TCHAN_POSTS[name]
    assert post.published_at is not None
    assert not spider.crawler.stats.get_value(SERVICE_MESSAGES)


def test_a_page_of_service_messages_still_pages_on(tmp_path):
    """A page holding only notices must not end the paging: older pages may hold posts."""
    service = (shared_dir("fixtures", "telegram") / "tchan_parse_service_message_pinned.html").read_text()
    page = (f'<html><body><div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span>T</span>'
            f'</div></div>{service}<a class="tme_messages_more" data-before="92"></a></body></html>')
    spider = make_spider(TelegramSpider, seeds=["tchantest"], max_posts=10)
    out = list(spider.parse_channel(html_response("https://t.me/s/tchantest", page.encode()), "tchantest", 0, 0))
    assert [r.url for r in out if hasattr(r, "url") and "before=" in str(getattr(r, "url", ""))] == [
        "https://t.me/s/tchantest?before=92"]
