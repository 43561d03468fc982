"""Bluesky: parsers against real recorded XRPC responses (../shared/fixtures/bluesky), then whole crawls
through the CLI against a local stand-in of the AppView (tests/fake_social.py)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime, timezone

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from typer.testing import CliRunner

from cli import app
from conftest import make_spider, shared_dir
from crawler.basespider import InvalidAnswer, SeedError
from crawler.items import Account, AudienceMember, Link, Post, Snapshot
from crawler.middlewares import rate_limit_reset_seconds
from crawler.spiders.bluesky import BlueskySpider
from fake_social import bluesky_crawl, bluesky_search_crawl, bsky_profile, did  # noqa: F401  (session fixtures)

HANDLE = "chriskenny.bsky.social"
DID = "did:plc:wpe35pganb6d4pg4ekmfy6u5"
# The cassettes were recorded against the PDS, which proxies the AppView: these are their real URLs.
PROFILE_URL = f"https://bsky.social/xrpc/app.bsky.actor.getProfiles?actors={HANDLE}"
FEED_URL = f"https://bsky.social/xrpc/app.bsky.feed.getAuthorFeed?actor={HANDLE}"
FOLLOWERS_URL = f"https://bsky.social/xrpc/app.bsky.graph.getFollowers?actor={HANDLE}"
REPOSTED_URL = "https://bsky.social/xrpc/app.bsky.feed.getRepostedBy?uri=at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3kaa2gxjhzr2a"
SEARCH_URL = "https://bsky.social/xrpc/app.bsky.actor.searchActorsTypeahead?q=political%20science"


def fixture_bytes(name: str) -> bytes:
    return (shared_dir("fixtures", "bluesky") / name).read_bytes()


def api_response(url: str, body: bytes, status: int = 200, meta: dict | None = None, **cb_kwargs) -> TextResponse:
    request = Request(url, meta=meta or {}, cb_kwargs=cb_kwargs)
    return TextResponse(url=url, body=body, status=status, request=request, encoding="utf-8")


def of(results, kind):
    return [r for r in results if isinstance(r, kind)]


def requests_of(results, method: str = ""):
    return [r for r in results if isinstance(r, Request) and method in r.url]


def spider(**kwargs) -> BlueskySpider:
    return make_spider(BlueskySpider, **{"seeds": [HANDLE], **kwargs})


# profile ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def profile_results():
    # getProfiles answers {"profiles": [profileViewDetailed]}; getProfile answers the profile itself.
    profile = json.loads(fixture_bytes("bskyr_getProfiles.json"))["profiles"][0]
    response = api_response(PROFILE_URL, json.dumps(profile).encode("utf-8"), handle=HANDLE, hop=0)
    return list(spider().parse_profile(response, handle=HANDLE, hop=0))


@pytest.fixture(scope="module")
def account(profile_results) -> Account:
    (account,) = of(profile_results, Account)
    return account


def test_account_handle_and_url(account):
    assert account.handle == HANDLE
    assert account.url == f"https://bsky.app/profile/{HANDLE}"
    assert account.status == "ok"


def test_account_name(account):
    assert account.name == "Chris Kenny"


def test_account_followers(account):
    assert account.followers == 554
    assert account.followers_kind == "followers"


def test_account_follows_and_posts_total(account):
    assert account.follows == 296
    assert account.posts_total == 65


def test_account_created_at(account):
    assert account.created_at == datetime(2023, 9, 19, 15, 47, 1, 417000, tzinfo=timezone.utc)


def test_account_description_and_avatar(account):
    assert account.description.startswith("PhD '25 Government @harvard.edu.")
    assert account.avatar.startswith("https://cdn.bsky.app/img/avatar/plain/")


def test_account_not_verified_without_verification(account):
    assert account.verified is False


def test_snapshot_of_the_day(profile_results, account):
    (snapshot,) = of(profile_results, Snapshot)
    assert (snapshot.account, snapshot.followers) == (HANDLE, 554)
    assert snapshot.date == datetime.now(timezone.utc).date().isoformat()


def test_profile_leads_to_feed_and_followers_by_did(profile_results):
    (feed,) = requests_of(profile_results, "getAuthorFeed")
    (followers,) = requests_of(profile_results, "getFollowers")
    assert "actor=did%3Aplc%3Awpe35pganb6d4pg4ekmfy6u5" in feed.url
    assert feed.cb_kwargs["handle"] == followers.cb_kwargs["handle"] == HANDLE
    assert "limit=100" in followers.url


def test_no_audience_requests_with_audience_limit_zero():
    profile = json.loads(fixture_bytes("bskyr_getProfiles.json"))["profiles"][0]
    response = api_response(PROFILE_URL, json.dumps(profile).encode("utf-8"))
    results = list(spider(audience_limit=0).parse_profile(response, handle=HANDLE, hop=0))
    assert requests_of(results, "getAuthorFeed") and not requests_of(results, "getFollowers")


def test_invalid_handle_is_stored_under_the_did():
    profile = {**json.loads(fixture_bytes("bskyr_getProfiles.json"))["profiles"][0], "handle": "handle.invalid"}
    results = list(spider().parse_profile(api_response(PROFILE_URL, json.dumps(profile).encode()), handle=HANDLE, hop=0))
    assert of(results, Account)[0].handle == DID


# feed ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def feed_results():
    response = api_response(FEED_URL, fixture_bytes("bskyr_getAuthorFeed.json"))
    return list(spider(depth=1).parse_feed(response, handle=HANDLE, did=DID, hop=0, taken=0, engaged=0))


@pytest.fixture(scope="module")
def posts(feed_results) -> dict[str, Post]:
    return {p.post_id: p for p in of(feed_results, Post)}


@pytest.fixture(scope="module")
def links(feed_results) -> list[Link]:
    return of(feed_results, Link)


def test_own_posts_only_the_repost_is_not_a_post(posts):
    assert len(posts) == 9
    assert "3lnneysi3ps2c" not in posts  # item 7: mickael.canouil.fr's post, reposted


def test_post_url(posts):
    assert posts["3loagm2phgk2t"].url == f"https://bsky.app/profile/{HANDLE}/post/3loagm2phgk2t"


def test_post_likes(posts):
    assert posts["3lo7irc7njk2p"].likes == 6


def test_post_comments_are_replies(posts):
    assert posts["3lo7irc7njk2p"].comments == 2


def test_post_reposts_include_quotes(posts):
    assert posts["3lo7irc7njk2p"].reposts == 2 + 0
    assert posts["3loagm2phgk2t"].reposts == 2 + 0


def test_post_views_unknown(posts):
    assert all(p.views is None for p in posts.values())


def test_post_published_at_from_record(posts):
    assert posts["3lof7sovfok2h"].published_at == datetime(2025, 5, 5, 1, 30, 17, 912000, tzinfo=timezone.utc)


def test_post_text(posts):
    assert posts["3loagm2phgk2t"].text.startswith("#rstats `bskyr` 0.3.0 is now on CRAN.")


def test_post_kinds(posts):
    assert posts["3lof7sovfok2h"].kind == "reply"
    assert posts["3loagm2phgk2t"].kind == "quote"  # recordWithMedia embedding cranupdates' post
    assert posts["3lo7irc7njk2p"].kind == "post"


@pytest.mark.parametrize("index", range(9))
def test_every_post_is_complete(posts, index):
    post = sorted(posts.values(), key=lambda p: p.post_id)[index]
    assert post.platform == "bluesky" and post.account == HANDLE
    assert "/" not in post.post_id and post.url.endswith(post.post_id)
    assert post.published_at.tzinfo is not None
    assert all(isinstance(n, int) and n >= 0 for n in (post.likes, post.comments, post.reposts))


def test_repost_becomes_link_to_original_author(links):
    (repost,) = [link for link in links if link.kind == "repost"]
    assert (repost.src, repost.dst, repost.post_id) == (HANDLE, "mickael.canouil.fr", "3lnneysi3ps2c")


def test_quotes_become_links(links):
    assert {(link.dst, link.post_id) for link in links if link.kind == "quote"} == {
        ("cranupdates.bsky.social", "3loagm2phgk2t"), ("cranupdates.bsky.social", "3lnghukd7vk22")}


def test_mentions_read_handles_from_facet_byte_ranges(links):
    # The facets name DIDs; the post text at their byte ranges says "@typst.app" and "@quarto.org".
    assert sorted(link.dst for link in links if link.kind == "mention") == ["quarto.org", "typst.app"]


def test_replies_give_no_links(links, posts):
    # Those answered are mostly commenters, i.e. audience: a reply stays a post of kind reply, no link.
    assert posts["3lof7sovfok2h"].kind == "reply"
    assert not [link for link in links if link.kind == "reply"]
    assert "smachlis.bsky.social" not in {link.dst for link in links}


@pytest.mark.parametrize("kind", ["repost", "quote", "mention"])
def test_links_leave_the_account(links, kind):
    found = [link for link in links if link.kind == kind]
    assert found and all(link.src == HANDLE and link.dst != HANDLE and link.at.tzinfo for link in found)


def test_next_page_by_cursor(feed_results):
    (following,) = [r for r in requests_of(feed_results, "getAuthorFeed")]
    assert "cursor=2024-03-21T23%3A36%3A16.378Z" in following.url
    assert following.cb_kwargs["taken"] == 9 and "limit=91" in following.url


def test_max_posts_keeps_newest_and_stops_paging():
    response = api_response(FEED_URL, fixture_bytes("bskyr_getAuthorFeed.json"))
    results = list(spider(max_posts=3).parse_feed(response, handle=HANDLE, did=DID, hop=0, taken=0, engaged=0))
    assert [p.post_id for p in of(results, Post)] == ["3lof7sovfok2h", "3loagm2phgk2t", "3lo7t2k53qs2q"]
    assert not requests_of(results, "getAuthorFeed")


def test_engagers_fetched_for_recent_posts_with_likes_or_reposts(feed_results, posts):
    liked = {p.post_id for p in posts.values() if p.likes}
    asked = {r.url.rsplit("%2F", 1)[1].split("&")[0] for r in requests_of(feed_results, "getLikes")}
    assert asked == liked
    assert len(requests_of(feed_results, "getRepostedBy")) == 3  # the three posts with repostCount > 0


def test_engagers_posts_limits_posts_asked():
    response = api_response(FEED_URL, fixture_bytes("bskyr_getAuthorFeed.json"))
    results = list(spider(engagers_posts=2).parse_feed(response, handle=HANDLE, did=DID, hop=0, taken=0, engaged=0))
    # The newest two posts: one without likes, one with likes and reposts.
    assert len(requests_of(results, "getLikes")) == 1 and len(requests_of(results, "getRepostedBy")) == 1


def test_depth_follows_reposted_quoted_and_mentioned_not_replied(feed_results):
    asked = {r.cb_kwargs["handle"] for r in requests_of(feed_results, "getProfile")}
    assert asked == {"mickael.canouil.fr", "cranupdates.bsky.social", "typst.app", "quarto.org"}
    assert all(r.cb_kwargs["hop"] == 1 for r in requests_of(feed_results, "getProfile"))


# audience -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def followers_results():
    response = api_response(FOLLOWERS_URL, fixture_bytes("bskyr_getFollowers.json"))
    return list(spider().parse_audience(response, handle=HANDLE, kind="follower",
                                        method="app.bsky.graph.getFollowers", params={"actor": DID}))


@pytest.fixture(scope="module")
def followers(followers_results) -> list[AudienceMember]:
    return of(followers_results, AudienceMember)


def test_every_follower_on_the_page_is_a_member(followers):
    assert len(followers) == 48
    assert followers[0].member_id == "did:plc:bv65fgjvl2xbzcpwbomsqahm"  # hashed by the pipeline before storage


@pytest.mark.parametrize("index", range(48))
def test_every_follower_carries_signals_not_identity(followers, index):
    member = followers[index]
    assert (member.platform, member.account, member.kind) == ("bluesky", HANDLE, "follower")
    assert member.member_id.startswith("did:") and member.member_key is None
    assert isinstance(member.has_avatar, bool) and isinstance(member.has_description, bool)
    assert member.created_at.tzinfo is not None and member.created_at.hour == member.created_at.minute == 0
    # List views carry no counts: unknown, not 0.
    assert member.follows is member.followers is member.posts is None


def test_follower_signals_avatar_and_description(followers):
    assert sum(not m.has_avatar for m in followers) == 1
    assert sum(not m.has_description for m in followers) == 12


def test_follower_created_at_is_cut_to_the_day(followers):
    assert followers[0].created_at == datetime(2024, 11, 20, tzinfo=timezone.utc)


def test_followers_next_page_by_cursor(followers_results):
    (following,) = requests_of(followers_results, "getFollowers")
    assert "cursor=3lktasir3le2j" in following.url
    assert following.cb_kwargs["kind"] == "follower" and following.cb_kwargs["params"] == {"actor": DID}


def test_audience_limit_caps_members_and_paging():
    response = api_response(FOLLOWERS_URL, fixture_bytes("bskyr_getFollowers.json"))
    results = list(spider(audience_limit=10).parse_audience(response, handle=HANDLE, kind="follower",
                                                            method="app.bsky.graph.getFollowers", params={}))
    assert len(of(results, AudienceMember)) == 10 and not requests_of(results)


def test_reposters_are_members():
    response = api_response(REPOSTED_URL, fixture_bytes("bskyr_getRepostedBy.json"))
    (member,) = of(spider().parse_audience(response, handle=HANDLE, kind="reposter",
                                           method="app.bsky.feed.getRepostedBy", params={}), AudienceMember)
    assert (member.kind, member.member_id, member.has_description) == ("reposter", "did:plc:jyolltxtyl2yq2jamky6mwjn", True)


def test_likers_are_members_with_the_day_of_the_like():
    body = {"uri": "at://x/app.bsky.feed.post/1", "likes": [
        {"actor": json.loads(fixture_bytes("bskyr_getRepostedBy.json"))["repostedBy"][0],
         "createdAt": "2025-05-06T17:07:12.045Z", "indexedAt": "2025-05-06T17:07:12.045Z"}]}
    response = api_response("https://public.api.bsky.app/xrpc/app.bsky.feed.getLikes?uri=at://x", json.dumps(body).encode())
    (member,) = of(spider().parse_audience(response, handle=HANDLE, kind="liker", method="app.bsky.feed.getLikes",
                                           params={}), AudienceMember)
    assert member.kind == "liker" and member.at == datetime(2025, 5, 6, tzinfo=timezone.utc)


def test_same_member_counted_once_per_account_and_kind():
    s = spider()
    response = api_response(FOLLOWERS_URL, fixture_bytes("bskyr_getFollowers.json"))
    first = of(s.parse_audience(response, handle=HANDLE, kind="follower", method="m", params={}), AudienceMember)
    again = of(s.parse_audience(response, handle=HANDLE, kind="follower", method="m", params={}), AudienceMember)
    assert len(first) == 48 and again == []


# search, seeds, errors -----------------------------------------------------------------------------
def test_search_results_become_seed_requests():
    # searchActorsTypeahead answers the same profile views as searchActors.
    results = list(spider(seeds=[]).parse_search(api_response(SEARCH_URL, fixture_bytes("bskyr_searchActorsTypeahead.json"))))
    handles = [r.cb_kwargs["handle"] for r in results]
    assert handles[:2] == ["bjpols.bsky.social", "pspolisci.bsky.social"]
    assert all(r.cb_kwargs["hop"] == 0 and "getProfile" in r.url for r in results)


@pytest.mark.parametrize("seed,handle", [
    ("alice.bsky.social", "alice.bsky.social"),
    ("@Alice.Bsky.Social", "alice.bsky.social"),
    ("https://bsky.app/profile/alice.bsky.social", "alice.bsky.social"),
    ("https://bsky.app/profile/alice.bsky.social/post/3lof7sovfok2h", "alice.bsky.social"),
    ("bsky.app/profile/quarto.org", "quarto.org"),
    (DID, DID),
    (f"https://bsky.app/profile/{DID}", DID),
    (f"at://{DID}/app.bsky.feed.post/3lof7sovfok2h", DID),
    ("did:web:example.com", "did:web:example.com"),
])
def test_seed_forms(seed, handle):
    assert BlueskySpider.parse_seed(seed) == handle


@pytest.mark.parametrize("seed", ["alice", "@alice", "https://example.com/profile/alice.bsky.social",
                                  "alice bsky.social", "did:plc:short", "alice.bsky.123", ""])
def test_bad_seeds_explain_themselves(seed):
    with pytest.raises(SeedError, match="Bluesky account"):
        BlueskySpider.parse_seed(seed)


@pytest.mark.parametrize("status,body,reason,code", [
    (400, {"error": "BlockedActor", "message": "Requester has blocked actor"}, "blocked: BlockedActor", "blocked"),
    (400, {"error": "BlockedByActor", "message": "Requester is blocked by actor"}, "blocked: BlockedByActor", "blocked"),
    (400, {"error": "AccountTakedown", "message": "Account has been suspended"}, "taken down", "suspended"),
    (400, {"error": "AccountDeactivated", "message": "Account is deactivated"}, "deactivated", "deactivated"),
    (400, {"error": "InvalidRequest", "message": "Profile not found"}, "not found", "not_found"),
    (401, {"error": "AuthMissing", "message": "Authentication Required"}, "needs login", "auth_required"),
    (404, {}, "not found (HTTP 404)", "not_found"),
])
def test_dead_accounts_recorded_with_reason(status, body, reason, code):
    s = spider()
    response = api_response(PROFILE_URL, json.dumps(body).encode(), status=status)
    (account,) = s.parse_profile(response, handle=HANDLE, hop=0)
    assert account.status == "unavailable" and reason in account.reason
    assert s.crawler.stats.get_value(f"pagescout/errors/{code}") == 1


def test_blocked_feed_marks_account_with_reason():
    body = json.dumps({"error": "BlockedByActor", "message": "Requester is blocked by actor"}).encode()
    (account,) = spider().parse_feed(api_response(FEED_URL, body, status=400), handle=HANDLE, did=DID, hop=0, taken=0,
                                     engaged=0)
    assert account.reason.startswith("posts: blocked: BlockedByActor")


def test_mention_without_handle_in_text_is_dropped_not_a_did():
    s = spider()
    assert s.mentioned_handle("hello world", {"byteStart": 0, "byteEnd": 5}, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa") is None
    assert s.crawler.stats.get_value("pagescout/bluesky/mention_without_handle") == 1
    assert s.crawler.stats.get_value("pagescout/bluesky/did_link_dropped") == 1


OTHER_DID = "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"


def feed_entry(rkey="3k1", created_at="2024-01-01T00:00:00Z", **record):
    return {"post": {"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "author": {"did": DID, "handle": HANDLE},
                     "record": {"text": "hi @bob", "createdAt": created_at, **record}, "likeCount": 0}}


def feed_page(entries, cursor="c1", **kwargs):
    s = kwargs.pop("spider", None) or spider(depth=1)
    response = api_response(f"{FEED_URL}&cursor=c0" if kwargs.get("page", 1) > 1 else FEED_URL,
                            json.dumps({"feed": entries, "cursor": cursor}).encode())
    return s, list(s.parse_feed(response, **{"handle": HANDLE, "did": DID, "hop": 0, "taken": 0, "engaged": 0,
                                             **kwargs}))


def test_mention_by_did_only_and_did_authors_give_no_link_and_no_request():
    mention = {"index": {"byteStart": 0, "byteEnd": 2}, "features": [
        {"$type": "app.bsky.richtext.facet#mention", "did": OTHER_DID}]}
    repost = {"post": {"uri": f"at://{OTHER_DID}/app.bsky.feed.post/9", "author": {"did": OTHER_DID,
                                                                                 "handle": "handle.invalid"}},
              "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "indexedAt": "2024-01-01T00:00:00Z"}}
    s, results = feed_page([feed_entry(facets=[mention]), repost])
    assert of(results, Link) == [] and requests_of(results, "getProfile") == []
    assert s.crawler.stats.get_value("pagescout/bluesky/did_link_dropped") == 2


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_out_of_range_created_at_is_no_date_not_a_crash(created_at):
    from crawler.fields import as_date
    assert as_date(created_at) is None
    _, results = feed_page([feed_entry(created_at=created_at)])
    (post,) = of(results, Post)
    assert post.published_at is None


# hostile values: each refused value costs that field only ---------------------------------------------------
def alice_profile(**fields) -> tuple[BlueskySpider, list]:
    s = spider()
    body = json.dumps({**bsky_profile("alice", followers=5400), **fields}).encode()
    return s, list(s.parse_profile(api_response(PROFILE_URL, body), handle="alice.bsky.social", hop=0))


def invalid(s: BlueskySpider, field: str):
    return s.crawler.stats.get_value(f"pagescout/invalid/bluesky/{field}")


def test_followers_count_past_any_audience_is_unknown_and_the_rest_is_stored():
    s, results = alice_profile(followersCount=2**64, displayName=["Alice"], avatar="javascript:alert(1)")
    (account,) = of(results, Account)
    assert (account.handle, account.followers, account.name, account.avatar, account.follows) == (
        "alice.bsky.social", None, None, None, 50)
    assert invalid(s, "followers") == invalid(s, "name") == invalid(s, "avatar") == 1
    assert requests_of(results, "getAuthorFeed")


@pytest.mark.parametrize("handle", [42, ["alice.bsky.social"], "alice bsky social", "ALICE.bsky.social/../x"])
def test_handle_that_is_no_handle_stores_the_account_under_its_did(handle):
    s, results = alice_profile(handle=handle)
    assert of(results, Account)[0].handle == did("alice")
    assert invalid(s, "handle") == 1


@pytest.mark.parametrize("body, message", [
    ({"handle": "alice.bsky.social"}, "profile has no usable did"),
    ({"did": "did:plc:short", "handle": "alice.bsky.social"}, "profile has no usable did"),
    ({"did": ["did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"]}, "profile has no usable did"),
    ([{"did": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}], "profile is not a JSON object"),
])
def test_profile_that_cannot_be_read_is_an_invalid_answer(body, message):
    with pytest.raises(InvalidAnswer, match=message):
        list(spider().parse_profile(api_response(PROFILE_URL, json.dumps(body).encode()), handle=HANDLE, hop=0))


def test_first_feed_page_that_is_no_object_is_an_invalid_answer():
    with pytest.raises(InvalidAnswer, match="feed is not a JSON object"):
        list(spider().parse_feed(api_response(FEED_URL, b"[]"), handle=HANDLE, did=DID, hop=0, taken=0, engaged=0))


def test_post_counts_and_text_of_the_wrong_type_are_unknown_and_the_post_is_stored():
    entry = feed_entry(text=["hi"])
    entry["post"].update(likeCount=2**70, replyCount="3", repostCount=1, quoteCount=[1])
    s, results = feed_page([entry])
    (post,) = of(results, Post)
    assert (post.post_id, post.text, post.likes, post.comments, post.reposts) == ("3k1", None, None, 3, None)
    assert invalid(s, "text") == invalid(s, "likes") == invalid(s, "reposts") == 1


@pytest.mark.parametrize("uri", [None, 5, f"at://{DID}/app.bsky.feed.post/..", f"https://{DID}/x", f"at://{DID}/a b"])
def test_own_post_without_a_usable_uri_is_skipped_and_counted(uri):
    entry = feed_entry()
    entry["post"]["uri"] = uri
    s, results = feed_page([entry, feed_entry(rkey="3k2")])
    assert [p.post_id for p in of(results, Post)] == ["3k2"]
    assert invalid(s, "post_id") == 1


def test_cursor_that_is_no_short_text_ends_the_paging():
    s, results = feed_page([feed_entry()], cursor="c" * 5000)
    assert of(results, Post) and requests_of(results, "getAuthorFeed") == []
    assert invalid(s, "cursor") == 1


def test_mention_facets_of_the_wrong_type_give_no_link_and_no_crash():
    facets = [{"index": {"byteStart": float("inf"), "byteEnd": 5}, "features": [
                  {"$type": "app.bsky.richtext.facet#mention", "did": OTHER_DID}]},
              {"index": [0, 2], "features": "mention"}, "facet",
              {"index": {"byteStart": 0, "byteEnd": 4}, "features": [{"$type": "app.bsky.richtext.facet#mention"}]}]
    s, results = feed_page([feed_entry(text="hi \ud800 @bob", facets=facets)])
    assert of(results, Link) == [] and len(of(results, Post)) == 1


def test_audience_member_without_a_usable_did_is_skipped_and_counted():
    body = {"followers": [{"did": 7, "handle": "x.bsky.social"}, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
                          {"did": OTHER_DID, "handle": "other.bsky.social", "avatar": 3, "description": ["bio"],
                           "createdAt": "1970-01-01T00:00:00Z"}]}
    s = spider()
    members = of(s.parse_audience(api_response(FOLLOWERS_URL, json.dumps(body).encode()), handle=HANDLE,
                                  kind="follower", method="app.bsky.graph.getFollowers", params={"actor": DID}),
                 AudienceMember)
    assert [(m.member_id, m.has_avatar, m.has_description, m.created_at) for m in members] == [
        (OTHER_DID, None, None, None)]
    assert invalid(s, "member_id") == 2 and invalid(s, "created_at") == 1


@pytest.mark.parametrize("status, body", [
    (400, {"error": "InvalidRequest", "message": "Malformed cursor"}), (200, "<html>Bad gateway</html>")])
def test_failing_later_feed_page_keeps_the_account(status, body):
    s = spider()
    text = body if isinstance(body, str) else json.dumps(body)
    response = api_response(f"{FEED_URL}&cursor=abc", text.encode(), status=status)
    results = list(s.parse_feed(response, handle=HANDLE, did=DID, hop=0, taken=100, engaged=10, page=2))
    assert results == []  # no unavailable Account over the stored one, no further page
    code = "http_400" if status == 400 else "bad_answer"
    assert s.crawler.stats.get_value(f"pagescout/errors/{code}") == 1
    assert s.crawler.stats.get_value(f"pagescout/unavailable/{HANDLE}") is None


def test_feed_of_reposts_stops_paging_within_the_budget():
    # 100 reposts a page, no own post: max_posts=10 allows 3 × 10 feed items of any kind, so one page.
    reposts = [{"post": {"uri": f"at://{OTHER_DID}/app.bsky.feed.post/{i}",
                         "author": {"did": OTHER_DID, "handle": "other.bsky.social"}},
                "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "indexedAt": "2024-01-01T00:00:00Z"}}
               for i in range(100)]
    s, results = feed_page(reposts, spider=spider(max_posts=10))
    assert len(of(results, Link)) == 100 and requests_of(results, "getAuthorFeed") == []
    # Few items a page: the page count bounds it (max(3, ceil(10 / 100)) + 2 = 5 pages).
    _, results = feed_page(reposts[:2], spider=spider(max_posts=10), page=4, seen=8)
    (following,) = requests_of(results, "getAuthorFeed")
    assert following.cb_kwargs["page"] == 5 and following.cb_kwargs["seen"] == 10
    _, results = feed_page(reposts[:2], spider=spider(max_posts=10), page=5, seen=10)
    assert requests_of(results, "getAuthorFeed") == []


@pytest.mark.parametrize("kind, method, key", [("liker", "app.bsky.feed.getLikes", "likes"),
                                               ("reposter", "app.bsky.feed.getRepostedBy", "repostedBy")])
def test_the_account_is_not_its_own_liker_or_reposter(kind, method, key):
    me = {"did": DID, "handle": HANDLE}
    other = {"did": OTHER_DID, "handle": "other.bsky.social"}
    people = [{"actor": me, "createdAt": "2024-01-01T00:00:00Z"}, {"actor": other}] if key == "likes" else [me, other]
    s = spider()
    response = api_response(f"https://public.api.bsky.app/xrpc/{method}", json.dumps({key: people}).encode())
    members = of(s.parse_audience(response, handle=HANDLE, kind=kind, method=method,
                                  params={"uri": f"at://{DID}/app.bsky.feed.post/3k1"}), AudienceMember)
    assert [m.member_id for m in members] == [OTHER_DID]
    assert s.crawler.stats.get_value("pagescout/bluesky/self_engagement_skipped") == 1


def test_search_answer_with_null_actors_finds_nothing():
    response = api_response(SEARCH_URL, b'{"actors": null}')
    assert list(spider().parse_search(response)) == []


def test_bluesky_reset_header_is_a_unix_time():
    assert rate_limit_reset_seconds(b"1700000060", now=1700000000.0) == pytest.approx(60)
    assert rate_limit_reset_seconds(b"30", now=1700000000.0) == pytest.approx(30)


# crawl through the CLI against the local stand-in ----------------------------------------------------
def db_rows(crawl, sql):
    with sqlite3.connect(crawl.db) as conn:
        return conn.execute(sql).fetchall()


def test_crawl_succeeds_and_summarises(bluesky_crawl):
    assert bluesky_crawl.returncode == 0, bluesky_crawl.stderr
    assert "crawl finished" in bluesky_crawl.stderr
    assert "Traceback" not in bluesky_crawl.stderr


def test_crawl_accounts_including_did_seed_and_depth(bluesky_crawl):
    status = dict(db_rows(bluesky_crawl, "SELECT handle, status FROM accounts WHERE platform='bluesky'"))
    assert status == {"alice.bsky.social": "ok", "erin.bsky.social": "ok", "bob.bsky.social": "ok",
                      "carol.bsky.social": "unavailable", "dave.bsky.social": "unavailable",
                      "ghost.bsky.social": "unavailable"}
    assert not bluesky_crawl.server.paths("actor=frank.bsky.social")  # a reply target is not followed


def test_crawl_records_blocked_taken_down_and_missing_accounts(bluesky_crawl):
    reasons = dict(db_rows(bluesky_crawl, "SELECT handle, reason FROM accounts WHERE status='unavailable'"))
    assert reasons["carol.bsky.social"].startswith("posts: blocked: BlockedByActor")
    assert reasons["dave.bsky.social"].startswith("taken down")
    assert reasons["ghost.bsky.social"].startswith("not found")
    assert "unavailable: ghost.bsky.social: not found" in bluesky_crawl.stderr


def test_crawl_pages_feed_by_cursor_up_to_max_posts(bluesky_crawl):
    alice = did("alice").replace(":", "%3A")
    pages = bluesky_crawl.server.paths(f"getAuthorFeed?actor={alice}")
    assert len(pages) == 3 and "cursor=3" in pages[1] and "cursor=6" in pages[2]
    (count,) = db_rows(bluesky_crawl, "SELECT count(*) FROM posts WHERE account='alice.bsky.social'")[0]
    assert count == 6


def test_crawl_pages_followers_by_cursor_up_to_audience_limit(bluesky_crawl):
    alice = did("alice").replace(":", "%3A")
    pages = bluesky_crawl.server.paths(f"getFollowers?actor={alice}")
    assert len(pages) == 2 and "cursor=3" in pages[1]
    kinds = dict(db_rows(bluesky_crawl, "SELECT kind, count(*) FROM audience WHERE account='alice.bsky.social' "
                                        "GROUP BY kind"))
    assert kinds == {"follower": 5, "liker": 2, "reposter": 1}


def test_crawl_stores_member_signals_once_per_member(bluesky_crawl):
    (members,) = db_rows(bluesky_crawl, "SELECT count(DISTINCT member_key) FROM audience")[0]
    rows = db_rows(bluesky_crawl, "SELECT has_avatar, has_description, created_at FROM member_signals")
    assert len(rows) == members == 8  # fan0 both follows and likes alice
    assert sum(1 for avatar, _, _ in rows if avatar == 0) == 1
    assert all(created.endswith("00:00:00.000000") for _, _, created in rows)


def test_crawl_waits_out_429_retry_after(bluesky_crawl):
    first, second = bluesky_crawl.server.times("getProfile?actor=bob.bsky.social")
    assert second - first >= 0.9


def test_crawl_pauses_when_rate_limit_runs_low(bluesky_crawl):
    # alice's profile said 1 request left until the reset 1–2 s later: the host waits for it.
    (asked,) = bluesky_crawl.server.times("getProfile?actor=alice.bsky.social")
    meanwhile = [t for t, _ in bluesky_crawl.server.requests if asked + 0.2 < t < asked + 0.9]
    assert meanwhile == []
    assert max(t for t, _ in bluesky_crawl.server.requests) - asked >= 0.9


def test_export_ranks_bluesky_with_audience_sampled(bluesky_crawl, tmp_path):
    out = tmp_path / "bluesky.csv"
    result = CliRunner().invoke(app, ["export", str(out), "--platform", "bluesky", "--db", str(bluesky_crawl.db)])
    assert result.exit_code == 0, result.output
    rows = {r["handle"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    header = list(next(iter(rows.values())))
    assert header[header.index("score") + 1] == "audience_sampled"
    assert set(rows) == {"alice.bsky.social", "bob.bsky.social", "erin.bsky.social"}
    assert rows["alice.bsky.social"]["audience_sampled"] == "5"
    assert rows["bob.bsky.social"]["audience_sampled"] == "1"
    assert rows["erin.bsky.social"]["audience_sampled"] == ""  # no followers stored, not 0
    assert float(rows["alice.bsky.social"]["followers"]) == 5400 and rows["alice.bsky.social"]["median_views"] == ""


def test_search_crawl_seeds_from_search_and_stores_no_audience(bluesky_search_crawl):
    assert bluesky_search_crawl.returncode == 0, bluesky_search_crawl.stderr
    handles = {h for (h,) in db_rows(bluesky_search_crawl, "SELECT handle FROM accounts")}
    assert handles == {"alice.bsky.social", "bob.bsky.social"}
    assert db_rows(bluesky_search_crawl, "SELECT count(*) FROM audience") == [(0,)]
    assert db_rows(bluesky_search_crawl, "SELECT count(*) FROM member_signals") == [(0,)]
    server = bluesky_search_crawl.server
    assert not server.paths("getFollowers") and not server.paths("getLikes") and not server.paths("getRepostedBy")


# command line ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    ([], "name at least one account or give --search"),
    (["--search", "  "], "name at least one account or give --search"),
    (["alice"], "is not a Bluesky account"),
    (["alice.bsky.social", "--base-url", "ftp://mirror.example"], "is not a web address"),
])
def test_bad_input_is_one_line_exit_2(args, message, tmp_path):
    result = CliRunner().invoke(app, ["crawl", "bluesky", *args, "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()  # refused before anything was created or asked
