"""Mastodon: parsers against real recorded server responses and the API documentation's examples
(../shared/fixtures/mastodon), then whole crawls through the CLI against a local stand-in instance."""

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
from crawler.social import link_header_next
from crawler.spiders.mastodon import MastodonSpider, acct_handle
from fake_social import masto_account, masto_status, mastodon_crawl  # noqa: F401  (session fixture)

BASE = "http://localhost:3000"  # where Mastodon.py's cassettes were recorded
HANDLE = "mastodonpy_test@localhost"
ACCOUNT_ID = "117020565966271181"


def recorded(name: str) -> dict:
    """A Mastodon.py cassette interaction: {request: {method, uri}, status, headers, body}."""
    return json.loads((shared_dir("fixtures", "mastodon") / name).read_bytes())


def docs_example(name: str) -> bytes:
    return (shared_dir("fixtures", "mastodon") / name).read_bytes()


def api_response(url: str, body: bytes, status: int = 200, headers: dict | None = None, **cb_kwargs) -> TextResponse:
    request = Request(url, cb_kwargs=cb_kwargs)
    return TextResponse(url=url, body=body, status=status, headers=headers, request=request, encoding="utf-8")


def recorded_response(name: str) -> TextResponse:
    interaction = recorded(name)
    return api_response(interaction["request"]["uri"], json.dumps(interaction["body"]).encode("utf-8"),
                        status=interaction["status"], headers=interaction["headers"])


def of(results, kind):
    return [r for r in results if isinstance(r, kind)]


def requests_of(results, path: str = ""):
    return [r for r in results if isinstance(r, Request) and path in r.url]


def spider(**kwargs) -> MastodonSpider:
    return make_spider(MastodonSpider, **{"seeds": ["mastodonpy_test"], "base_url": BASE, **kwargs})


# account ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lookup():
    s = spider()
    return s, list(s.parse_lookup(recorded_response("mastodonpy_account_lookup.json"), handle=HANDLE, hop=0))


@pytest.fixture(scope="module")
def account(lookup) -> Account:
    (account,) = of(lookup[1], Account)
    return account


def test_bare_seed_is_qualified_with_the_base_instance():
    assert spider().seeds == [HANDLE]


def test_account_handle_is_user_at_instance(account):
    assert account.handle == HANDLE and account.status == "ok"


def test_account_name(account):
    assert account.name == "John Lennon"


def test_account_description_is_text_not_html(account):
    assert account.description == "I walk funny"


def test_account_counts(account):
    assert (account.followers, account.follows, account.posts_total) == (0, 0, 0)
    assert account.followers_kind == "followers"


def test_account_url_avatar_created(account):
    assert account.url == f"{BASE}/@mastodonpy_test"
    assert account.avatar.endswith("/original/5784df1febb9890a.jpg")
    assert account.created_at == datetime(2026, 8, 1, tzinfo=timezone.utc)


def test_account_verified_is_unknown(account):
    assert account.verified is None


def test_snapshot(lookup, account):
    (snapshot,) = of(lookup[1], Snapshot)
    assert (snapshot.account, snapshot.followers) == (HANDLE, 0)


def test_statuses_requested_by_account_id(lookup):
    (statuses,) = requests_of(lookup[1], "/statuses")
    assert statuses.url == f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses?limit=40"


def test_hidden_followers_noted_not_requested(lookup):
    s, results = lookup
    assert not requests_of(results, "/followers")
    assert s.crawler.stats.get_value("pagescout/audience/hidden") == 1
    assert "hide_collections" in s.crawler.stats.get_value(f"pagescout/audience_hidden/{HANDLE}")


def test_followers_requested_where_shown():
    body = {**recorded("mastodonpy_account_lookup.json")["body"], "hide_collections": False, "followers_count": 3}
    results = list(spider(audience_limit=50).parse_lookup(
        api_response(f"{BASE}/api/v1/accounts/lookup?acct=mastodonpy_test", json.dumps(body).encode()),
        handle=HANDLE, hop=0))
    (followers,) = requests_of(results, "/followers")
    assert followers.url == f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/followers?limit=50"
    assert followers.cb_kwargs["expected"] == 3


@pytest.mark.parametrize("name,handle,followers,follows,posts_total", [
    ("docs_GET_accounts_id.json", "gargron@mastodon.social", 318699, 453, 61013),
    ("docs_GET_accounts_id_remote_user.json", "noiob@awoo.space", 553, 405, 28982),
])
def test_documented_accounts(name, handle, followers, follows, posts_total):
    data = json.loads(docs_example(name))
    account = spider().parse_account(data, handle)
    assert (account.followers, account.follows, account.posts_total) == (followers, follows, posts_total)
    assert account.description and "<" not in account.description


def test_remote_acct_keeps_its_instance():
    data = json.loads(docs_example("docs_GET_accounts_id_remote_user.json"))
    assert acct_handle(data["acct"], "mastodon.social") == "noiob@awoo.space"
    assert acct_handle("Gargron", "mastodon.social") == "gargron@mastodon.social"


def test_lookup_404_is_unavailable_with_reason():
    s = spider()
    (account,) = s.parse_lookup(recorded_response("mastodonpy_account_lookup_404.json"), handle="nobody@localhost", hop=0)
    assert account.status == "unavailable" and account.reason == "not found (HTTP 404: Record not found)"
    assert s.crawler.stats.get_value("pagescout/errors/not_found") == 1


def test_lookup_401_falls_back_to_search():
    body = json.dumps({"error": "This method requires an authenticated user"}).encode()
    (search,) = spider().parse_lookup(api_response(f"{BASE}/api/v1/accounts/lookup?acct=x", body, status=401),
                                      handle=HANDLE, hop=0)
    assert search.url == f"{BASE}/api/v2/search?type=accounts&q=mastodonpy_test%40localhost&limit=5"
    assert search.callback.__name__ == "parse_lookup_search"


def test_search_fallback_takes_the_exact_account():
    other = {**recorded("mastodonpy_account_lookup.json")["body"], "id": "1", "acct": "mastodonpy_test_2"}
    body = json.dumps({"accounts": [other, recorded("mastodonpy_account_lookup.json")["body"]]}).encode()
    results = list(spider().parse_lookup_search(api_response(f"{BASE}/api/v2/search?q=x", body), handle=HANDLE, hop=0))
    (account,) = of(results, Account)
    assert account.handle == HANDLE and requests_of(results, f"/accounts/{ACCOUNT_ID}/statuses")


def test_whitelist_instance_is_unavailable_with_reason():
    body = json.dumps({"error": "This API requires an authenticated user"}).encode()
    (account,) = spider().parse_lookup_search(api_response(f"{BASE}/api/v2/search?q=x", body, status=401),
                                              handle=HANDLE, hop=0)
    assert account.status == "unavailable" and "whitelist mode" in account.reason


def test_suspended_account_is_unavailable():
    body = {**recorded("mastodonpy_account_lookup.json")["body"], "suspended": True}
    (account,) = spider().parse_lookup(api_response(f"{BASE}/api/v1/accounts/lookup?acct=x", json.dumps(body).encode()),
                                       handle=HANDLE, hop=0)
    assert account.reason == "suspended by its instance"


# statuses -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page1():
    return list(spider().parse_statuses(recorded_response("mastodonpy_account_statuses_page1.json"), handle=HANDLE,
                                        instance=BASE, account_id=ACCOUNT_ID, hop=0, taken=0, engaged=0))


@pytest.fixture(scope="module")
def posts(page1) -> list[Post]:
    return of(page1, Post)


def test_statuses_become_posts(posts):
    assert [p.post_id for p in posts] == ["117020580518794573", "117020580511453871", "117020580503743669",
                                          "117020580496489811", "117020580489281910"]


def test_post_text(posts):
    assert posts[0].text == "Toot number 9!"


def test_post_url_and_time(posts):
    assert posts[0].url == f"{BASE}/@mastodonpy_test/117020580518794573"
    assert posts[0].published_at == datetime(2026, 8, 1, 13, 52, 34, 108000, tzinfo=timezone.utc)


@pytest.mark.parametrize("index", range(5))
def test_every_post_is_complete(posts, index):
    post = posts[index]
    assert (post.platform, post.account, post.kind, post.views) == ("mastodon", HANDLE, "post", None)
    assert (post.likes, post.comments, post.reposts) == (0, 0, 0)
    assert post.published_at.tzinfo is not None


def test_next_page_by_max_id(page1):
    (following,) = requests_of(page1, "/statuses")
    assert following.url == f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses?limit=40&max_id=117020580489281910"
    assert following.cb_kwargs["taken"] == 5


def test_second_page_continues_from_its_last_id():
    results = list(spider().parse_statuses(recorded_response("mastodonpy_account_statuses_page2_max_id.json"),
                                           handle=HANDLE, instance=BASE, account_id=ACCOUNT_ID, hop=0, taken=5,
                                           engaged=5))
    assert len(of(results, Post)) == 5
    (following,) = requests_of(results, "/statuses")
    assert following.url.endswith("max_id=117020580452511285") and following.cb_kwargs["taken"] == 10


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b'{"error": "Record not found"}'])
def test_failing_later_statuses_page_keeps_the_account(body):
    s = spider()
    response = api_response(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses?limit=40&max_id=5", body,
                            status=200 if body.startswith(b"<") else 404)
    results = list(s.parse_statuses(response, handle=HANDLE, instance=BASE, account_id=ACCOUNT_ID, hop=0, taken=40,
                                    engaged=10, page=2))
    assert results == []  # no unavailable Account over the stored one, no further page
    code = "bad_answer" if body.startswith(b"<") else "not_found"
    assert s.crawler.stats.get_value(f"pagescout/errors/{code}") == 1
    assert s.crawler.stats.get_value(f"pagescout/unavailable/{HANDLE}") is None


def test_timeline_of_boosts_stops_paging_within_the_budget():
    boosts = [{"id": str(100 - i), "created_at": "2024-01-01T00:00:00Z",
               "reblog": {"id": str(i), "account": {"acct": "other@example.social"}}} for i in range(40)]
    url = f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses?limit=10"
    s = spider(max_posts=10)
    # 40 boosts, no own post: 3 × max_posts = 30 statuses of any kind is the budget, so one page only.
    results = list(s.parse_statuses(api_response(url, json.dumps(boosts).encode()), handle=HANDLE, instance=BASE,
                                    account_id=ACCOUNT_ID, hop=0, taken=0, engaged=0))
    assert len(of(results, Link)) == 40 and requests_of(results, "/statuses") == []
    # Few statuses a page: at most max(3, ceil(10 / 40)) + 2 = 5 pages.
    results = list(s.parse_statuses(api_response(url, json.dumps(boosts[:2]).encode()), handle=HANDLE, instance=BASE,
                                    account_id=ACCOUNT_ID, hop=0, taken=0, engaged=0, page=5, seen=8))
    assert requests_of(results, "/statuses") == []


def test_answer_accts_are_checked_like_seeds():
    status = {"id": "9", "created_at": "2024-01-01T00:00:00Z", "content": "<p>hi</p>", "mentions": [
        {"id": "1", "acct": "x@169.254.169.254"}, {"id": "2", "acct": "y@localhost:6379"},
        {"id": "3", "acct": "z@10.0.0.5/admin#"}, {"id": "4", "acct": "w@localhost"},
        {"id": "5", "acct": "ok@good.example"}, {"id": "6", "acct": "local"}]}
    s = spider(seeds=["a@evil.example"], base_url="https://evil.example", depth=1)
    url = "https://evil.example/api/v1/accounts/1/statuses"
    results = list(s.parse_statuses(api_response(url, json.dumps([status]).encode()), handle="a@evil.example",
                                    instance="https://evil.example", account_id="1", hop=0, taken=0, engaged=0))
    assert sorted(l.dst for l in of(results, Link)) == ["local@evil.example", "ok@good.example"]
    assert sorted(r.url for r in requests_of(results, "/lookup")) == [
        "https://evil.example/api/v1/accounts/lookup?acct=local", "https://good.example/api/v1/accounts/lookup?acct=ok"]
    assert s.crawler.stats.get_value("pagescout/mastodon/invalid_acct") == 4
    # An IP address is fine where it is the --base-url host itself (a local instance).
    assert spider(base_url="http://127.0.0.1:3000").checked("bob@127.0.0.1") == "bob@127.0.0.1"


def test_search_answer_with_null_accounts_finds_nothing():
    response = api_response(f"{BASE}/api/v2/search?q=x", b'{"accounts": null}')
    assert list(spider().parse_search(response)) == []


def test_no_engager_requests_for_posts_nobody_engaged_with(page1):
    assert not requests_of(page1, "favourited_by") and not requests_of(page1, "reblogged_by")


@pytest.fixture(scope="module")
def documented_status() -> tuple[Post, list[Link]]:
    return spider().parse_status(json.loads(docs_example("docs_GET_statuses_id.json")), "gargron@mastodon.social",
                                 "mastodon.social")


def test_documented_status_likes(documented_status):
    assert documented_status[0].likes == 112


def test_documented_status_comments(documented_status):
    assert documented_status[0].comments == 7


def test_documented_status_reposts(documented_status):
    assert documented_status[0].reposts == 98


def test_documented_status_text_and_url(documented_status):
    assert documented_status[0].text == "Hello world"
    assert documented_status[0].url == "https://mastodon.social/@Gargron/1"


def test_boost_is_a_repost_link_not_a_post():
    boost = recorded("mastodonpy_status_reblog_post.json")["body"]
    post, links = spider().parse_status(boost, "someone@localhost", "localhost")
    assert post is None
    assert [(link.dst, link.kind, link.post_id) for link in links] == [
        ("mastodonpy_test_2@localhost", "repost", "117020585505579935")]


def test_self_boost_is_no_link():
    boost = recorded("mastodonpy_status_reblog_post.json")["body"]
    assert spider().parse_status(boost, "mastodonpy_test_2@localhost", "localhost") == (None, [])


def test_mentions_and_the_reply_target():
    status = json.loads(docs_example("docs_GET_statuses_id.json"))
    status["mentions"] = [{"id": "7", "username": "a", "acct": "A", "url": "u"},
                          {"id": "8", "username": "b", "acct": "b@Other.Example", "url": "u"}]
    status["in_reply_to_id"], status["in_reply_to_account_id"] = "5", "8"
    post, links = spider().parse_status(status, "gargron@mastodon.social", "mastodon.social")
    assert post.kind == "reply"
    assert {(link.dst, link.kind) for link in links} == {("a@mastodon.social", "mention"), ("b@other.example", "reply")}


def test_quote_links_to_quoted_author():
    status = json.loads(docs_example("docs_GET_statuses_id.json"))
    status["quote"] = {"state": "accepted", "quoted_status": {"id": "9", "account": {"acct": "noiob@awoo.space"}}}
    post, links = spider().parse_status(status, "gargron@mastodon.social", "mastodon.social")
    assert post.kind == "quote" and [(link.dst, link.kind) for link in links] == [("noiob@awoo.space", "quote")]


# audience -----------------------------------------------------------------------------------------
# The recorded favourite is mastodonpy_test's own: read here as a like of another account's post.
OTHER = "mastodonpy_test_2@localhost"


@pytest.fixture(scope="module")
def likers():
    return list(spider().parse_audience(recorded_response("mastodonpy_status_favourited_by.json"), handle=OTHER,
                                        kind="liker", expected=None, first=True))


def test_favourited_by_members(likers):
    (member,) = of(likers, AudienceMember)
    assert (member.kind, member.account) == ("liker", OTHER)


def test_the_account_is_not_its_own_liker():
    s = spider()
    results = list(s.parse_audience(recorded_response("mastodonpy_status_favourited_by.json"), handle=HANDLE,
                                    kind="liker", expected=None, first=True))
    assert of(results, AudienceMember) == []
    assert s.crawler.stats.get_value("pagescout/mastodon/self_engagement_skipped") == 1


def test_member_id_is_the_actor_uri_the_same_on_every_instance(likers):
    (member,) = of(likers, AudienceMember)
    assert member.member_id == f"{BASE}/ap/users/117020565966271181"


def test_member_signals(likers):
    (member,) = of(likers, AudienceMember)
    assert (member.has_avatar, member.has_description, member.deactivated) == (True, True, False)
    assert (member.follows, member.followers, member.posts) == (0, 0, 10)
    assert member.created_at == member.last_seen == datetime(2026, 8, 1, tzinfo=timezone.utc)


def test_only_next_link_pages_and_prev_is_ignored(likers):
    assert not requests_of(likers)  # the recorded Link header has rel="prev" only


def test_reblogged_by_members():
    results = spider().parse_audience(recorded_response("mastodonpy_status_reblogged_by.json"), handle=HANDLE,
                                      kind="reposter", expected=None, first=True)
    (member,) = of(results, AudienceMember)
    assert member.kind == "reposter" and member.member_id.endswith("/ap/users/117020566092212359")


def test_default_avatar_is_no_avatar():
    data = {**recorded("mastodonpy_account_get.json")["body"], "avatar_static": f"{BASE}/avatars/original/missing.png"}
    results = spider().parse_audience(api_response(f"{BASE}/api/v1/accounts/1/followers", json.dumps([data]).encode()),
                                      handle=OTHER, kind="follower", expected=1, first=True)
    (member,) = of(results, AudienceMember)
    assert member.has_avatar is False


def test_link_header_next_on_recorded_statuses_page():
    response = recorded_response("mastodonpy_account_statuses_page1.json")
    assert link_header_next(response) == f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses?limit=5&max_id=117020580489281910"


def test_link_header_next_on_another_host_is_not_followed():
    response = api_response(f"{BASE}/api/v1/accounts/1/followers", b"[]",
                            headers={"Link": '<https://elsewhere.example/x?max_id=1>; rel="next"'})
    assert link_header_next(response) is None


@pytest.mark.parametrize("status,body,hidden", [
    (200, [], True),  # counted followers, listed none
    (401, {"error": "This method requires an authenticated user"}, True),
    (500, {"error": "boom"}, False),
])
def test_hidden_follower_list_is_noted_not_an_error(status, body, hidden):
    s = spider()
    response = api_response(f"{BASE}/api/v1/accounts/1/followers", json.dumps(body).encode(), status=status)
    assert list(s.parse_audience(response, handle=HANDLE, kind="follower", expected=12, first=True)) == []
    assert (s.crawler.stats.get_value(f"pagescout/audience_hidden/{HANDLE}") is not None) == hidden


def test_mastodon_reset_header_is_an_iso_time():
    assert rate_limit_reset_seconds(b"2026-08-01T13:50:00.924992Z",
                                    now=datetime(2026, 8, 1, 13, 49, tzinfo=timezone.utc).timestamp()) == \
        pytest.approx(60.925, abs=0.001)


# hostile values: each refused value costs that field only ---------------------------------------------------
ALICE = "alice@localhost"


def alice_answer(**fields) -> tuple[MastodonSpider, list]:
    """A lookup answer for alice with ``fields`` replaced, as the spider reads it."""
    s = spider()
    body = json.dumps({**masto_account("alice", BASE, followers=250), **fields}).encode()
    return s, list(s.parse_lookup(api_response(f"{BASE}/api/v1/accounts/lookup?acct=alice", body), handle=ALICE, hop=0))


def invalid(s: MastodonSpider, field: str):
    return s.crawler.stats.get_value(f"pagescout/invalid/mastodon/{field}")


def test_followers_count_past_any_audience_is_unknown_and_the_rest_is_stored():
    s, results = alice_answer(followers_count=2**64)
    (account,) = of(results, Account)
    assert account.followers is None and invalid(s, "followers") == 1
    assert (account.status, account.name, account.follows, account.posts_total) == ("ok", "Alice", 40, 900)
    assert of(results, Snapshot)[0].followers is None
    assert requests_of(results, "/statuses") and requests_of(results, "/followers")


def test_note_or_name_that_is_a_list_is_no_text():
    s, results = alice_answer(note=["<p>hi</p>"], display_name={"text": "Alice"})
    (account,) = of(results, Account)
    assert (account.description, account.name) == (None, None)
    assert invalid(s, "description") == invalid(s, "name") == 1
    assert account.followers == 250


def test_counts_sent_as_strings_of_digits_are_read_as_numbers():
    # The readers take a string of digits (forks and proxies send some counts so); anything else is refused.
    s, results = alice_answer(followers_count="12", following_count="1e3", statuses_count=" 7 ")
    (account,) = of(results, Account)
    assert (account.followers, account.follows, account.posts_total) == (12, None, 7)
    assert invalid(s, "follows") == 1 and invalid(s, "followers") is None


def test_control_characters_and_lone_surrogates_leave_the_name():
    _, results = alice_answer(display_name="Ali\x00ce\x1b[31m\ud800 \u202e")
    assert of(results, Account)[0].name == "Alice[31m \u202e"


@pytest.mark.parametrize("account_id", [None, "", "../../admin", "1?x=2", ["1"], -1, True])
def test_account_without_a_usable_id_is_an_invalid_answer(account_id):
    with pytest.raises(InvalidAnswer, match="account has no usable id"):
        alice_answer(id=account_id)


def test_account_answer_that_is_no_object_is_an_invalid_answer():
    response = api_response(f"{BASE}/api/v1/accounts/lookup?acct=alice", b'[{"id": "1"}]')
    with pytest.raises(InvalidAnswer, match="account is not a JSON object"):
        list(spider().parse_lookup(response, handle=ALICE, hop=0))


def test_first_statuses_page_that_is_no_list_is_an_invalid_answer():
    response = api_response(f"{BASE}/api/v1/accounts/1/statuses?limit=40", b'{"statuses": []}')
    with pytest.raises(InvalidAnswer, match="statuses are not a JSON list"):
        list(spider().parse_statuses(response, handle=ALICE, instance=BASE, account_id="1", hop=0, taken=0, engaged=0))


def statuses_page(statuses: list, **kwargs) -> tuple[MastodonSpider, list]:
    s = spider(**kwargs)
    response = api_response(f"{BASE}/api/v1/accounts/1/statuses?limit=40", json.dumps(statuses).encode())
    return s, list(s.parse_statuses(response, handle=ALICE, instance=BASE, account_id="1", hop=0, taken=0, engaged=0))


def test_acct_that_is_a_number_is_skipped_and_counted():
    alice = masto_account("alice", BASE)
    status = masto_status(alice, 5, "<p>hi</p>", "2026-10-01T00:00:00Z")
    status["mentions"] = [{"id": "1", "acct": 12345}, {"id": "2", "acct": "ok@good.example"}, "bob"]
    s, results = statuses_page([status])
    assert [(l.dst, l.kind) for l in of(results, Link)] == [("ok@good.example", "mention")]
    assert s.crawler.stats.get_value("pagescout/mastodon/invalid_acct") == 1
    assert len(of(results, Post)) == 1


def test_following_with_an_acct_that_is_a_number_keeps_the_others():
    s = spider(depth=1)
    page = [{**masto_account("x", BASE), "acct": 42}, masto_account("bob", BASE)]
    response = api_response(f"{BASE}/api/v1/accounts/1/following", json.dumps(page).encode())
    links = of(s.parse_following(response, handle=ALICE, hop=0), Link)
    assert [(l.dst, l.kind) for l in links] == [("bob@localhost", "follow")]
    assert s.crawler.stats.get_value("pagescout/mastodon/invalid_acct") == 1


def test_status_counts_of_the_wrong_type_are_unknown_and_the_post_is_stored():
    alice = masto_account("alice", BASE)
    status = {**masto_status(alice, 5, "<p>hi</p>", "2026-10-01T00:00:00Z"), "favourites_count": 2**64,
              "replies_count": [3], "reblogs_count": 4, "quotes_count": "x", "content": 17}
    s, results = statuses_page([status])
    (post,) = of(results, Post)
    assert (post.post_id, post.likes, post.comments, post.reposts, post.text) == ("5", None, None, None, None)
    # reblogs 4 + an unreadable quotes count: a total without it would understate the post
    assert invalid(s, "likes") == invalid(s, "comments") == invalid(s, "reposts") == invalid(s, "text") == 1


def test_status_without_a_usable_id_is_skipped_and_paging_goes_on_from_the_last_good_one():
    alice = masto_account("alice", BASE)
    statuses = [masto_status(alice, 9, "<p>a</p>", "2026-10-01T00:00:00Z"),
                {**masto_status(alice, 8, "<p>b</p>", "2026-10-01T00:00:00Z"), "id": "8/../../x"},
                {**masto_status(alice, 7, "<p>c</p>", "2026-10-01T00:00:00Z"), "id": {"n": 7}}]
    s, results = statuses_page(statuses)
    assert [p.post_id for p in of(results, Post)] == ["9"]
    assert invalid(s, "post_id") == 2
    (following,) = requests_of(results, "/statuses")
    assert following.url.endswith("max_id=9")


def test_member_without_a_usable_id_is_skipped_and_counted():
    page = [{"acct": 5, "uri": ["x"], "url": None}, masto_account("fan", BASE, followers=2**70)]
    s = spider()
    response = api_response(f"{BASE}/api/v1/accounts/1/followers", json.dumps(page).encode())
    (member,) = of(s.parse_audience(response, handle=ALICE, kind="follower", expected=2, first=True), AudienceMember)
    assert member.member_id == f"{BASE}/users/fan" and member.followers is None
    assert invalid(s, "member_id") == 1 and invalid(s, "followers") == 1


# seeds --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed,handle", [
    ("Gargron", "gargron"),
    ("@gargron", "gargron"),
    ("gargron@mastodon.social", "gargron@mastodon.social"),
    ("@Gargron@Mastodon.Social", "gargron@mastodon.social"),
    ("https://mastodon.social/@Gargron", "gargron@mastodon.social"),
    ("https://mastodon.social/@noiob@awoo.space", "noiob@awoo.space"),
    ("https://fosstodon.org/users/kev", "kev@fosstodon.org"),
    ("mastodon.social/@gargron", "gargron@mastodon.social"),
])
def test_seed_forms(seed, handle):
    assert MastodonSpider.parse_seed(seed) == handle


@pytest.mark.parametrize("seed", ["https://mastodon.social/about", "gar gron", "user@", "@", "user@host_name.social"])
def test_bad_seeds_explain_themselves(seed):
    with pytest.raises(SeedError, match="Mastodon account"):
        MastodonSpider.parse_seed(seed)


# crawl through the CLI against the local stand-in ----------------------------------------------------
def db_rows(crawl, sql):
    with sqlite3.connect(crawl.db) as conn:
        return conn.execute(sql).fetchall()


def test_crawl_succeeds(mastodon_crawl):
    assert mastodon_crawl.returncode == 0, mastodon_crawl.stderr
    assert "Traceback" not in mastodon_crawl.stderr


def test_crawl_handles_are_user_at_host(mastodon_crawl):
    status = dict(db_rows(mastodon_crawl, "SELECT handle, status FROM accounts"))
    assert status == {"alice@127.0.0.1": "ok", "bob@127.0.0.1": "ok", "carol@127.0.0.1": "ok",
                      "dave@127.0.0.1": "ok", "ghost@127.0.0.1": "unavailable"}


def test_crawl_finds_account_through_search_when_lookup_needs_a_token(mastodon_crawl):
    assert mastodon_crawl.server.paths("/api/v2/search?type=accounts&q=dave%40127.0.0.1")
    assert db_rows(mastodon_crawl, "SELECT count(*) FROM posts WHERE account='dave@127.0.0.1'") == [(1,)]


def test_crawl_pages_statuses_by_max_id(mastodon_crawl):
    alice = mastodon_crawl.world.accounts["alice"]["id"]
    assert mastodon_crawl.server.paths(f"/accounts/{alice}/statuses") == [
        f"/api/v1/accounts/{alice}/statuses?limit=6", f"/api/v1/accounts/{alice}/statuses?limit=1&max_id=203"]
    assert db_rows(mastodon_crawl, "SELECT count(*) FROM posts WHERE account='alice@127.0.0.1'") == [(6,)]


def test_crawl_pages_followers_only_by_link_header(mastodon_crawl):
    alice = mastodon_crawl.world.accounts["alice"]["id"]
    assert mastodon_crawl.server.paths(f"/accounts/{alice}/followers") == [
        f"/api/v1/accounts/{alice}/followers?limit=5", f"/api/v1/accounts/{alice}/followers?limit=5&page=3"]
    kinds = dict(db_rows(mastodon_crawl, "SELECT kind, count(*) FROM audience WHERE account='alice@127.0.0.1' "
                                         "GROUP BY kind"))
    assert kinds == {"follower": 5, "liker": 2, "reposter": 1}


def test_crawl_hidden_audiences_are_notes_not_errors(mastodon_crawl):
    assert "audience hidden: bob@127.0.0.1: the account hides its followers" in mastodon_crawl.stderr
    assert "audience hidden: carol@127.0.0.1: the followers list is empty though 12" in mastodon_crawl.stderr
    assert not mastodon_crawl.server.paths(f"/accounts/{mastodon_crawl.world.accounts['bob']['id']}/followers")
    assert "errors: not_found ×1" in mastodon_crawl.stderr  # ghost, and nothing else


def test_crawl_links_boosts_mentions_replies_and_remote_accounts(mastodon_crawl):
    links = set(db_rows(mastodon_crawl, "SELECT src, dst, kind FROM links"))
    assert links == {("alice@127.0.0.1", "bob@127.0.0.1", "mention"), ("alice@127.0.0.1", "carol@127.0.0.1", "reply"),
                     ("alice@127.0.0.1", "carol@127.0.0.1", "repost"), ("bob@127.0.0.1", "zed@remote.example", "mention")}


def test_crawl_member_signals(mastodon_crawl):
    rows = db_rows(mastodon_crawl, "SELECT has_avatar, has_description, deactivated, follows, followers, posts "
                                   "FROM member_signals")
    assert len(rows) == 7  # 5 followers, 1 further liker, 1 reposter: fan0 both follows and likes
    assert sorted(r[0] for r in rows) == [0, 1, 1, 1, 1, 1, 1]  # fan1 has the default avatar
    assert sorted(r[1] for r in rows) == [0, 1, 1, 1, 1, 1, 1]  # fan2 has no bio
    assert sorted(r[2] for r in rows) == [0, 0, 0, 0, 0, 0, 1]  # fan3 moved away
    assert {r[3:] for r in rows} == {(40, 100, 900)}


def test_crawl_pauses_when_x_ratelimit_runs_out(mastodon_crawl):
    (asked,) = mastodon_crawl.server.times("/lookup?acct=alice")
    meanwhile = [t for t, _ in mastodon_crawl.server.requests if asked + 0.2 < t < asked + 0.8]
    assert meanwhile == []


def test_rank_mastodon(mastodon_crawl, tmp_path):
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(app, ["export", str(out), "--platform", "mastodon", "--db", str(mastodon_crawl.db)])
    assert result.exit_code == 0, result.output
    rows = {r["handle"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert set(rows) == {"alice@127.0.0.1", "bob@127.0.0.1", "carol@127.0.0.1", "dave@127.0.0.1"}
    assert rows["alice@127.0.0.1"]["audience_sampled"] == "5"
    assert rows["bob@127.0.0.1"]["audience_sampled"] == ""  # hidden
    assert float(rows["alice@127.0.0.1"]["er_followers"]) > 0


# command line ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,message", [
    ([], "name at least one account or give --search"),
    (["https://mastodon.social/about"], "is not a Mastodon account"),
    (["gargron", "--base-url", "ftp://mastodon.social"], "is not a web address"),
])
def test_bad_input_is_one_line_exit_2(args, message, tmp_path):
    result = CliRunner().invoke(app, ["crawl", "mastodon", *args, "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()
