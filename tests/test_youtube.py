"""YouTube: parsers on real answers (../shared/fixtures/youtube), then crawls against a local stand-in:
the keyless feed with @handle resolution, and the Data API with paging, quota count and quotaExceeded."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from scrapy.http import Request, TextResponse

from apiserver import ApiServer
from conftest import make_spider, rows, run_cli, shared_dir
from crawler.basespider import InvalidAnswer, SeedError
from crawler.items import Account, AudienceMember, Post, Snapshot
from crawler.spiders.youtube import YoutubeSpider

DF = "UC9PBzalIcEQCsiIkq36PyUA"
FEED_URL = f"https://www.youtube.com/feeds/videos.xml?channel_id={DF}"
API = "https://www.googleapis.com/youtube/v3"


def fixture(name: str) -> bytes:
    return (shared_dir("fixtures", "youtube") / name).read_bytes()


def response(url: str, body: bytes, status: int = 200, **cb_kwargs) -> TextResponse:
    return TextResponse(url=url, body=body, status=status, request=Request(url, cb_kwargs=cb_kwargs), encoding="utf-8")


def of(results, kind):
    return [r for r in results if isinstance(r, kind)]


@pytest.fixture
def spider(monkeypatch):
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    return make_spider(YoutubeSpider, seeds=[DF], max_posts=100)


@pytest.mark.parametrize("seed, handle", [
    (DF, DF), ("@DigitalFoundry", "@digitalfoundry"), (f"https://www.youtube.com/channel/{DF}", DF),
    ("https://www.youtube.com/@DigitalFoundry/videos", "@digitalfoundry"), (FEED_URL, DF),
])
def test_seeds(seed, handle):
    assert YoutubeSpider.parse_seed(seed) == handle


@pytest.mark.parametrize("seed", ["digitalfoundry", "https://vimeo.com/x", "UC123", "@a"])
def test_bad_seeds(seed):
    with pytest.raises(SeedError, match="not a YouTube channel"):
        YoutubeSpider.parse_seed(seed)


# the keyless feed ------------------------------------------------------------------------------------
@pytest.fixture
def feed(spider):
    body = fixture("capyreader_atom-feed-youtube.xml")
    return list(spider.parse_feed(response(FEED_URL, body), handle=DF, hop=0))


def test_feed_account(feed):
    (account,) = of(feed, Account)
    assert (account.handle, account.name, account.url) == (DF, "Digital Foundry", f"https://www.youtube.com/channel/{DF}")
    assert account.followers is None  # the feed shows no subscriber count
    assert account.followers_kind == "subscribers"


def test_feed_has_the_latest_15_videos(feed):
    posts = of(feed, Post)
    assert len(posts) == 15
    assert posts[0].post_id == "W_S7iKZZdHw"
    assert posts[0].url == "https://www.youtube.com/watch?v=W_S7iKZZdHw"


def test_feed_views_and_likes(feed):
    post = of(feed, Post)[0]
    assert (post.views, post.likes, post.comments) == (23088, 1580, None)


def test_feed_date_and_text(feed):
    post = of(feed, Post)[0]
    assert post.published_at == datetime(2025, 1, 1, 16, 7, 24, tzinfo=timezone.utc)
    assert post.text.startswith("Digital Foundry Games of 2024: The Oliver Mackenzie Collection!\n\nAs the holiday")


def test_feed_no_snapshot_without_a_count(feed):
    assert of(feed, Snapshot) == []


def test_feed_max_posts(monkeypatch):
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    spider = make_spider(YoutubeSpider, seeds=[DF], max_posts=4)
    results = spider.parse_feed(response(FEED_URL, fixture("capyreader_atom-feed-youtube.xml")), handle=DF, hop=0)
    assert len(of(list(results), Post)) == 4


def test_handle_resolved_from_the_channel_page(spider):
    page = b'<html><head><link rel="canonical" href="https://www.youtube.com/channel/' + DF.encode() + b'"></head></html>'
    (request,) = list(spider.parse_handle_page(response("https://www.youtube.com/@df", page), handle="@df", hop=0))
    assert request.url == FEED_URL


# the Data API ----------------------------------------------------------------------------------------------
@pytest.fixture
def api_spider(monkeypatch):
    monkeypatch.setenv("YOUTUBE_API_KEY", "test-key")
    return make_spider(YoutubeSpider, seeds=["UC_x5XG1OV2P6uZZ5FSM9Ttw"], max_posts=100)


@pytest.fixture
def channel(api_spider):
    url = f"{API}/channels?part=snippet,statistics,contentDetails&id=UC_x5XG1OV2P6uZZ5FSM9Ttw"
    return list(api_spider.parse_channel(response(url, fixture("pyyoutube_channels_info_multiple.json")),
                                         handle="UCK8sQmJBp8GCxrOtXWBpyEA", hop=0))


def test_channel_subscribers_and_videos(channel):
    (account,) = of(channel, Account)
    assert (account.handle, account.followers) == ("UCK8sQmJBp8GCxrOtXWBpyEA", 10_700_000)
    assert getattr(account, "posts_total", 2678) == 2678


def test_channel_name_url_avatar_date(channel):
    (account,) = of(channel, Account)
    assert account.name == "Google"
    assert account.url == "https://www.youtube.com/@google"
    assert account.avatar.startswith("https://yt3.ggpht.com/") and account.avatar.endswith("=s800-c-k-c0x00ffffff-no-rj")
    assert account.created_at == datetime(2005, 9, 18, 22, 37, 10, tzinfo=timezone.utc)


def test_channel_snapshot_and_uploads_request(channel, api_spider):
    (snapshot,) = of(channel, Snapshot)
    assert snapshot.followers == 10_700_000
    (request,) = [r for r in channel if isinstance(r, Request)]
    assert "playlistItems?" in request.url and "playlistId=UUK8sQmJBp8GCxrOtXWBpyEA" in request.url
    assert "key=" not in request.url
    assert api_spider.crawler.stats.get_value("pagescout/youtube/quota_units") == 1


def test_hidden_subscribers_are_empty_not_zero(api_spider):
    body = json.loads(fixture("pyyoutube_channels_info_multiple.json"))
    body["items"][0]["statistics"]["hiddenSubscriberCount"] = True
    url = f"{API}/channels?id=x"
    (account,) = of(api_spider.parse_channel(response(url, json.dumps(body).encode()), handle="x", hop=0), Account)
    assert account.followers is None


def test_uploads_give_one_videos_request_and_the_next_page(api_spider):
    url = f"{API}/playlistItems?playlistId=PL"
    results = list(api_spider.parse_uploads(response(url, fixture("pyyoutube_playlist_items_playlist_items_paged_1.json")),
                                            handle="UC_x5XG1OV2P6uZZ5FSM9Ttw", playlist="PL", hop=0, taken=0))
    videos, more = results
    assert "videos?" in videos.url and "id=CvTApw9X8aA%2CYh4EKaUY3gg" in videos.url
    assert "pageToken=CAoQAA" in more.url


def test_video_statistics(api_spider):
    url = f"{API}/videos?part=snippet,statistics&id=D-lhorsDlUQ"
    results = list(api_spider.parse_videos(response(url, fixture("pyyoutube_videos_list_with_statistics.json")),
                                           handle="UC_x5XG1OV2P6uZZ5FSM9Ttw", hop=0, first=False))
    (post,) = of(results, Post)
    assert (post.post_id, post.views, post.likes, post.comments) == ("D-lhorsDlUQ", 7920, 190, 32)
    assert post.published_at == datetime(2019, 3, 21, 20, 37, 49, tzinfo=timezone.utc)
    assert post.text.startswith("What are Actions on Google (Assistant on Air)")


def test_commenters(api_spider):
    url = f"{API}/commentThreads?videoId=F1UP7wRCPH8"
    results = list(api_spider.parse_comments(
        response(url, fixture("pyyoutube_comment_threads_comment_threads_by_video_paged_1.json")),
        handle="UC_x5XG1OV2P6uZZ5FSM9Ttw", video_id="F1UP7wRCPH8"))
    members = of(results, AudienceMember)
    assert [m.member_id for m in members][:2] == ["UCzj-CjKYmGlZ7vTL-vOe57A", "UCGBUkig1Ala-Z2gF73WSTdw"]
    assert {m.kind for m in members} == {"commenter"} and len(members) == 5
    assert [r for r in results if isinstance(r, Request)][0].url.count("pageToken=") == 1


def test_invalid_key_stops_with_one_line(api_spider):
    from scrapy.exceptions import CloseSpider

    with pytest.raises(CloseSpider):
        list(api_spider.parse_channel(response(f"{API}/channels?id=x", fixture("pyyoutube_error_keyInvalid.json"),
                                               status=400), handle="x", hop=0))
    assert api_spider.crawler.stats.get_value("pagescout/fatal").startswith("YouTube refused the key")



def test_forbidden_comments_skip_one_video_not_the_crawl(api_spider):
    body = {"error": {"code": 403, "message": "The caller does not have permission",
                      "errors": [{"reason": "forbidden", "domain": "youtube.commentThread"}]}}
    results = list(api_spider.parse_comments(response(f"{API}/commentThreads?videoId=v", json.dumps(body).encode(),
                                                      status=403), handle=DF, video_id="v"))
    assert results == []  # no CloseSpider, no fatal line: the next video's comments are still asked for
    assert api_spider.crawler.stats.get_value("pagescout/fatal") is None
    assert api_spider.crawler.stats.get_value("pagescout/errors/youtube_forbidden") == 1


@pytest.mark.parametrize("method, body, reason", [
    ("parse_uploads", b"<html>oops</html>", "playlistItems.list answer is not a JSON object"),
    ("parse_videos", b"[]", "videos.list answer is not a JSON object"),
    ("parse_comments", b"", "commentThreads.list answer is not a JSON object"),
    ("parse_channel", b'"channel"', "channels.list answer is not a JSON object"),
    ("parse_videos", b'{"items": {"id": "v"}}', "videos.list items is not a list"),
    ("parse_channel", b'{"items": [{"id": 42}, {"snippet": {}}]}', r"channels.list item has no channel id \(UC…\)"),
])
def test_answers_that_cannot_be_read_are_invalid_answers(api_spider, method, body, reason):
    # The middleware stores the account unavailable with "invalid answer: <reason>" (crawler.middlewares).
    kwargs = {"parse_uploads": {"playlist": "UU", "hop": 0, "taken": 50}, "parse_videos": {"hop": 0, "first": True},
              "parse_comments": {"video_id": "v"}, "parse_channel": {"hop": 0}}[method]
    with pytest.raises(InvalidAnswer, match=f"^{reason}$"):
        list(getattr(api_spider, method)(response(f"{API}/x", body), handle=DF, **kwargs))


def test_unreadable_first_uploads_page_keeps_the_stored_channel(api_spider):
    # The first page carries the channel's handle, so an InvalidAnswer would mark the stored channel unavailable.
    results = list(api_spider.parse_uploads(response(f"{API}/playlistItems?playlistId=UU", b"[]"), handle=DF,
                                            playlist="UU", hop=0, taken=0))
    assert results == []
    assert api_spider.crawler.stats.get_value("pagescout/errors/invalid_answer") == 1


def test_channel_list_without_items_is_no_such_channel(api_spider):
    (account,) = api_spider.parse_channel(response(f"{API}/channels?forHandle=@nobody", b'{"kind": "x"}'),
                                          handle="@nobody", hop=0)
    assert account.status == "unavailable" and account.reason == "no such channel (channels.list found none)"


# crawls against a local stand-in ---------------------------------------------------------------------------------
KEY = "AIza-TEST-KEY-never-printed"
ALPHA = "UC" + "a" * 22
BETA = "UC" + "b" * 22


def feed_xml(channel, title, n, mention=None):
    entries = []
    for i in range(n):
        desc = f"video {i}" + (f" see https://www.youtube.com/channel/{mention}" if mention and i == 0 else "")
        entries.append(f"""<entry><yt:videoId>v{channel[-3:]}{i}</yt:videoId><title>Video {i}</title>
<link rel="alternate" href="https://www.youtube.com/watch?v=v{i}"/><published>2026-10-{10 + i}T10:00:00+00:00</published>
<media:group><media:description>{desc}</media:description><media:community>
<media:starRating count="{10 * i}" average="5.00" min="1" max="5"/><media:statistics views="{1000 + i}"/>
</media:community></media:group></entry>""")
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
            f'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>'
            + "".join(entries) + "</feed>")


def feed_route(path, params):
    if path == "/@alpha":
        return 200, f'<html><meta itemprop="channelId" content="{ALPHA}"></html>', {"Content-Type": "text/html"}
    if path == "/feeds/videos.xml":
        channel = params.get("channel_id")
        if channel == ALPHA:
            return 200, feed_xml(ALPHA, "Alpha", 15, mention=BETA), {"Content-Type": "application/atom+xml"}
        if channel == BETA:
            return 200, feed_xml(BETA, "Beta", 3), {"Content-Type": "application/atom+xml"}
        return 404, "not found"
    return 404, "not found"



def crawl(server, db, *args, key=None):
    return run_cli("crawl", "youtube", *args, "--base-url", server.url, "--delay", "0", "--quiet", "--db", str(db),
                   env={"PAGESCOUT_BACKOFF_BASE": "0.1", "YOUTUBE_API_KEY": key or ""})


def test_keyless_crawl_resolves_handle_and_follows_links(tmp_path):
    db = tmp_path / "yt.db"
    with ApiServer(feed_route) as server:
        result = crawl(server, db, "@alpha", "UC" + "c" * 22, "--depth", "1")
    assert result.returncode == 0, result.stderr
    assert dict(rows(db, "SELECT handle, status FROM accounts")) == {ALPHA: "ok", BETA: "ok", "UC" + "c" * 22: "unavailable"}
    assert rows(db, f"SELECT COUNT(*) FROM posts WHERE account = '{ALPHA}'") == [(15,)]
    assert rows(db, "SELECT views, likes FROM posts WHERE post_id = 'vaaa2'") == [(1002, 20)]
    assert (ALPHA, BETA, "mention") in rows(db, "SELECT src, dst, kind FROM links")
    # the feed answers 404 now and then for live channels: asked twice before the channel is unavailable
    assert len(server.calls("/feeds/videos.xml")) == 4


def api_route(quota_after=None, videos=120):
    state = {"calls": 0}
    uploads = [f"vid{i:03d}" for i in range(videos)]

    def route(path, params):
        if not path.startswith("/youtube/v3/"):
            return 404, "not found"
        if params.get("key") != KEY:
            return 400, {"error": {"code": 400, "message": "API key not valid.", "errors": [{"reason": "keyInvalid"}]}}
        state["calls"] += 1
        if quota_after is not None and state["calls"] > quota_after:
            return 403, {"error": {"code": 403, "message": "The request cannot be completed because you have exceeded "
                                                          "your quota.", "errors": [{"reason": "quotaExceeded"}]}}
        method = path.rsplit("/", 1)[1]
        if method == "channels":
            hidden = params.get("forHandle") == "@hidden"
            cid = ALPHA if params.get("id") == ALPHA or params.get("forHandle") == "@alpha" else BETA
            return 200, {"items": [{"id": cid, "snippet": {"title": "Alpha", "customUrl": "@alpha"},
                                    "statistics": {"subscriberCount": "5000", "hiddenSubscriberCount": hidden,
                                                   "videoCount": str(videos)},
                                    "contentDetails": {"relatedPlaylists": {"uploads": "UU" + cid[2:]}}}]}
        if method == "playlistItems":
            start = int(params.get("pageToken") or 0)
            size = int(params["maxResults"])
            page = uploads[start:start + size]
            body = {"items": [{"contentDetails": {"videoId": v}} for v in page]}
            if start + size < len(uploads):
                body["nextPageToken"] = str(start + size)
            return 200, body
        if method == "videos":
            items = [{"id": v, "snippet": {"title": v, "publishedAt": f"2026-09-01T00:{int(v[3:]) % 60:02d}:00Z",
                                           "description": "Get it: https://brand.example/deal" if v == "vid003" else ""},
                      "statistics": {"viewCount": "100", "likeCount": "7", "commentCount": "2"},
                      # only with part=paidProductPlacementDetails, as the API answers
                      **({"paidProductPlacementDetails": {"hasPaidProductPlacement": v == "vid003"}}
                         if "paidProductPlacementDetails" in params.get("part", "") else {})}
                     for v in params["id"].split(",")]
            return 200, {"items": items}
        if method == "commentThreads":
            if params["videoId"] == "vid049":  # the newest video
                return 403, {"error": {"code": 403, "message": "disabled", "errors": [{"reason": "commentsDisabled"}]}}
            author = {"value": "UC" + params["videoId"].rjust(22, "x")}
            return 200, {"items": [{"snippet": {"topLevelComment": {"snippet": {"authorChannelId": author,
                                                                                  "publishedAt": "2026-09-02T10:00:00Z"}}}},
                                   {"snippet": {"topLevelComment": {"snippet": {"authorChannelId": {"value": "UCfan"}}}}}]}
        return 404, "no"

    return route


def test_api_crawl_pages_uploads_and_counts_quota(tmp_path):
    db = tmp_path / "yt.db"
    with ApiServer(api_route()) as server:
        result = crawl(server, db, "@alpha", "--max-posts", "70", key=KEY)
        calls = [p for _, p, _ in server.requests]
        params = [q for _, _, q in server.requests]
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT followers, followers_kind FROM accounts") == [(5000, "subscribers")]
    assert rows(db, "SELECT COUNT(*), SUM(views), SUM(comments) FROM posts") == [(70, 7000, 140)]
    assert [q["maxResults"] for q, c in zip(params, calls) if c.endswith("/playlistItems")] == ["50", "20"]
    # 1 channels + 2 playlistItems + 2 videos + 10 commentThreads
    assert len(calls) == 15
    assert "youtube quota units used: 15" in result.stderr
    # 9 videos with comments allowed: 9 distinct authors + the fan who commented everywhere
    assert rows(db, "SELECT COUNT(*) FROM audience WHERE kind = 'commenter'") == [(10,)]
    assert KEY not in result.stderr and KEY.encode() not in db.read_bytes()
    # the creator's paid-promotion mark, asked for with the statistics at no extra quota
    assert rows(db, "SELECT ad, ad_marker, ad_links FROM posts WHERE post_id = 'vid003'") == [
        (1, "YouTube: paid product placement", "https://brand.example/deal")]
    assert rows(db, "SELECT COUNT(*) FROM posts WHERE ad = 1") == [(1,)]


def test_quota_exceeded_stops_cleanly(tmp_path):
    db = tmp_path / "yt.db"
    with ApiServer(api_route(quota_after=2)) as server:
        result = crawl(server, db, "@alpha", "--max-posts", "70", key=KEY)
        asked = len(server.requests)
    assert result.returncode == 0, result.stderr
    assert "youtube quota: exceeded (quotaExceeded)" in result.stderr
    assert "crawl youtube_quota_exceeded" in result.stderr
    assert asked <= 4
    assert rows(db, "SELECT status FROM accounts") == [("ok",)]  # what was fetched before stays


# Values strangers write: each field through its typed reader (crawler.fields) ------------------------------
def videos_answer(**changes) -> bytes:
    """videos.list with one video, its values replaced by ``changes`` (``snippet.title=…`` style keys)."""
    video = {"id": "D-lhorsDlUQ", "snippet": {"title": "T", "description": "D", "publishedAt": "2019-03-21T20:37:49Z"},
             "statistics": {"viewCount": "7920", "likeCount": "190", "commentCount": "32"}}
    for path, value in changes.items():
        *parents, key = path.split(".")
        inner = video
        for parent in parents:
            inner = inner[parent]
        inner[key] = value
    return json.dumps({"items": [video]}).encode()


def parse_one_video(api_spider, body: bytes):
    results = list(api_spider.parse_videos(response(f"{API}/videos?id=x", body), handle=DF, hop=0, first=False))
    return of(results, Post)


def test_the_videos_helper_reads_as_a_video(api_spider):
    # The tests below change one value each: this is what the unchanged answer gives.
    (post,) = parse_one_video(api_spider, videos_answer())
    assert (post.views, post.likes, post.comments, post.text) == (7920, 190, 32, "T\n\nD")


@pytest.mark.parametrize("views", [str(10**23), 10**23, 2**70, -1, 1.5, "7,920", [7920], True])
def test_view_count_that_is_no_plausible_number_is_unknown_and_counted(api_spider, views):
    (post,) = parse_one_video(api_spider, videos_answer(**{"statistics.viewCount": views}))
    assert post.views is None and post.likes == 190
    assert api_spider.crawler.stats.get_value("pagescout/invalid/youtube/views") == 1


def test_counts_as_numbers_or_digit_strings_are_both_read(api_spider):
    (post,) = parse_one_video(api_spider, videos_answer(**{"statistics.viewCount": 7920, "statistics.likeCount": "190"}))
    assert (post.views, post.likes) == (7920, 190)


@pytest.mark.parametrize("field, value", [("snippet.title", ["T"]), ("snippet.title", 42), ("snippet.description", {}),
                                          ("snippet", "oops"), ("statistics", [1, 2, 3])])
def test_wrong_types_in_a_video_leave_that_value_out(api_spider, field, value):
    (post,) = parse_one_video(api_spider, videos_answer(**{field: value}))
    assert post.post_id == "D-lhorsDlUQ"  # the video stays; only the unreadable value is missing


def test_huge_description_is_cut_to_the_cap_control_characters_removed(api_spider):
    from crawler.fields import TEXT_MAX

    (post,) = parse_one_video(api_spider, videos_answer(**{"snippet.title": "T\x00i\x1b[0mtle \u202eRTL",
                                                           "snippet.description": "x" * (20 * TEXT_MAX)}))
    title, description = post.text.split("\n\n")
    assert title == "Ti[0mtle \u202eRTL"
    assert len(post.text) == TEXT_MAX and set(description) == {"x"}
    assert api_spider.crawler.stats.get_value("pagescout/cut/youtube/description") == 1


@pytest.mark.parametrize("video_id", [None, 42, "", "../../x", "a" * 65])
def test_video_without_a_usable_id_is_skipped_and_counted(api_spider, video_id):
    assert parse_one_video(api_spider, videos_answer(id=video_id)) == []
    assert api_spider.crawler.stats.get_value("pagescout/invalid/youtube/video") == 1


def test_channel_with_wrong_types_keeps_what_it_can(api_spider):
    body = json.loads(fixture("pyyoutube_channels_info_multiple.json"))
    channel = body["items"][0]
    channel["snippet"].update(title=["Google"], customUrl=42, thumbnails=["x"])
    channel["statistics"].update(hiddenSubscriberCount="false", subscriberCount=str(10**23))
    results = list(api_spider.parse_channel(response(f"{API}/channels?id=x", json.dumps(body).encode()), handle="x", hop=0))
    (account,) = of(results, Account)
    assert (account.handle, account.name, account.avatar, account.followers) == ("UCK8sQmJBp8GCxrOtXWBpyEA", None, None, None)
    assert account.url == "https://www.youtube.com/channel/UCK8sQmJBp8GCxrOtXWBpyEA"
    assert account.posts_total == 2678
    stats = api_spider.crawler.stats
    assert [stats.get_value(f"pagescout/invalid/youtube/{f}") for f in ("name", "custom_url", "hidden_subscribers",
                                                                         "followers")] == [1, 1, 1, 1]


def test_feed_view_count_of_10_23_is_unknown(spider):
    body = feed_xml(DF, "Digital Foundry", 1).replace('views="1000"', f'views="{10**23}"')
    (post,) = of(spider.parse_feed(response(FEED_URL, body.encode()), handle=DF, hop=0), Post)
    assert post.views is None and post.likes == 0
    assert spider.crawler.stats.get_value("pagescout/invalid/youtube/views") == 1


def test_feed_that_is_not_atom_is_an_invalid_answer(spider):
    with pytest.raises(InvalidAnswer, match="^the channel feed is not an Atom feed$"):
        list(spider.parse_feed(response(FEED_URL, b"<?xml version='1.0'?><html>consent</html>"), handle=DF, hop=0))


def test_commenter_id_of_the_wrong_type_is_skipped_and_counted(api_spider):
    thread = lambda author: {"snippet": {"topLevelComment": {"snippet": {"authorChannelId": {"value": author}}}}}  # noqa: E731
    body = json.dumps({"items": [thread(["UCx"]), thread("UC" + "a" * 22), "oops", thread(None)]}).encode()
    results = list(api_spider.parse_comments(response(f"{API}/commentThreads?videoId=v", body), handle=DF, video_id="v"))
    assert [m.member_id for m in of(results, AudienceMember)] == ["UC" + "a" * 22]
    stats = api_spider.crawler.stats
    assert (stats.get_value("pagescout/invalid/youtube/commenter"), stats.get_value("pagescout/invalid/youtube/comment")) == (1, 1)


def test_api_error_with_hostile_reason_and_message_is_cleaned(api_spider):
    body = {"error": {"code": 404, "message": "gone\x1b[31m" + "x" * 5_000, "errors": [{"reason": ["notFound"]}]}}
    (account,) = api_spider.parse_channel(response(f"{API}/channels?id=x", json.dumps(body).encode(), status=404),
                                          handle=DF, hop=0)
    assert account.reason.startswith("http_404 (HTTP 404: gone[31mxxx") and len(account.reason) < 400
    assert api_spider.crawler.stats.get_value("pagescout/errors/not_found") == 1


def test_next_page_token_of_the_wrong_kind_stops_paging(api_spider):
    body = json.loads(fixture("pyyoutube_playlist_items_playlist_items_paged_1.json"))
    body["nextPageToken"] = {"page": 2}
    results = list(api_spider.parse_uploads(response(f"{API}/playlistItems?playlistId=PL", json.dumps(body).encode()),
                                            handle=DF, playlist="PL", hop=0, taken=0))
    assert [r.url.split("?")[0].rsplit("/", 1)[1] for r in results] == ["videos"]
    assert api_spider.crawler.stats.get_value("pagescout/invalid/youtube/next_page_token") == 1
