"""Hostile answers at every parse callback of the VK, Mastodon and Bluesky spiders.

Platform answers are written by strangers. Each callback is given arbitrary JSON (huge and negative
integers, NaN, strings with NUL, control characters, U+202E and lone surrogates), HTML and binary bodies,
and answers shaped like the real ones (tests/fake_social.py, and the recorded ones in ../shared/fixtures)
with values of the wrong type put into their fields. Whatever comes:

- no exception escapes but ``InvalidAnswer``, only from a request that carries its account's handle (so
  the account is stored unavailable), and only before anything was yielded: posts never come without
  their account, and the account comes before the requests for its posts;
- every item holds only what the store takes: counts ``None`` or an int within the caps of crawler.fields,
  texts ``None`` or a string within its cap without control characters, URLs, dates, flags of their type;
- an audience member carries its raw id, of the platform's shape, and typed signals only (dates cut to
  the day); the hash pipeline replaces the id later;
- every request has the errback that records its failure: ``on_error`` for the account's own requests
  (with ``meta["handle"]``), ``on_side_error`` (or VK's ``on_names_error``) for the others.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Callable
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from conftest import make_spider, shared_dir
from crawler.basespider import InvalidAnswer
from crawler.fields import AUDIENCE_CAP, COUNT_CAPS, EARLIEST, TEXT_CAPS, as_count, as_dict
from crawler.items import AUDIENCE_KINDS, LINK_KINDS, Account, AudienceMember, Link, Post, Snapshot
from crawler.spiders.bluesky import BlueskySpider
from crawler.spiders.mastodon import MastodonSpider
from crawler.spiders.vk import VkSpider
from fake_social import bsky_basic, bsky_post, bsky_profile, masto_account, masto_status, mention_facet

MASTODON_BASE = "http://localhost:3000"  # where the recorded Mastodon answers come from
MASTODON_HANDLE = "mastodonpy_test@localhost"
MASTODON_ID = "117020565966271181"
BLUESKY_BASE = "https://public.api.bsky.app"
BLUESKY_HANDLE = "chriskenny.bsky.social"  # the recorded feed's author
BLUESKY_DID = "did:plc:wpe35pganb6d4pg4ekmfy6u5"
VK_API = "https://api.vk.com/method"

# What no stored text may hold (the spec of crawler.fields, written out again): C0 controls but tab and
# newline, DEL, C1 controls, lone surrogates.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
IDENTIFIER = re.compile(r"^[^\s\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,320}$")
MEMBER_ID = {
    "vk": re.compile(r"^[1-9][0-9]{0,18}$"),
    "bluesky": re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.\-%:]{1,253})$"),
    "mastodon": re.compile(r"^(https?://\S+|[a-z0-9_][a-z0-9_.\-]{0,63}@[a-z0-9.\-]+)$"),
}
URL_MAX = 2083  # Scrapy's URLLENGTH_LIMIT: a longer request would be dropped silently

# hostile values ---------------------------------------------------------------------------------------
HOSTILE_STRINGS = ["", " ", "\x00", "a\x00b", "\x1b[31mred", "\u202eevil", "\ud800", "x\udfffy", "12", "-5",
                   "1e3", "9" * 30, "2026-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00",
                   "<p>hi</p><script>x</script>", "javascript:alert(1)", "http://[::1", "../../admin?x=1",
                   "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "handle.invalid", "a@b@c", "x" * 60_001]
HOSTILE_INTS = [2**64, 2**70, 2**63, 2**63 - 1, -1, -(2**63), 0, 1, 5, 10**8 + 1, 10**11 + 1]
# Keys the spiders read, so that arbitrary objects reach past the first lookup.
API_KEYS = ["id", "acct", "uri", "url", "username", "display_name", "note", "avatar", "avatar_static",
            "followers_count", "following_count", "statuses_count", "created_at", "last_status_at", "suspended",
            "memorial", "moved", "hide_collections", "reblog", "account", "mentions", "quote", "quoted_status",
            "state", "content", "spoiler_text", "favourites_count", "replies_count", "reblogs_count",
            "quotes_count", "in_reply_to_id", "in_reply_to_account_id", "accounts", "error", "message",
            "did", "handle", "displayName", "description", "followersCount", "followsCount", "postsCount",
            "createdAt", "indexedAt", "verification", "verifiedStatus", "feed", "post", "reason", "$type",
            "record", "text", "reply", "embed", "facets", "features", "index", "byteStart", "byteEnd",
            "likeCount", "replyCount", "repostCount", "quoteCount", "cursor", "followers", "likes", "actor",
            "repostedBy", "actors", "response", "groups", "profiles", "items", "count", "screen_name", "name",
            "members_count", "verified", "photo_200", "photo_100", "deactivated", "first_name", "last_seen",
            "time", "date", "views", "comments", "reposts", "copy_history", "owner_id", "error_code",
            "error_msg"]

# Letters of several scripts, the characters of handles, URLs and HTML, and what no stored text may hold
# (NUL, ESC, DEL, C1 NEL, lone surrogates) or what shows text reversed (U+202E).
ALPHABET = [*"aZ09 @._-/:<>&#;%", "\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u200b", "\ufeff",
            "\ud800", "\udfff", "é", "Ж", "😀"]
texts = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(st.sampled_from(ALPHABET), max_size=24))
scalars = st.one_of(st.none(), st.booleans(), st.sampled_from(HOSTILE_INTS), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), texts)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(API_KEYS) | texts, inner,
                                                                         max_size=5),
    max_leaves=12)
# What replaces a value in a real-shaped answer: every wrong type, nested one level (deeper nesting is what
# json_values tries; these are cheaper to draw, so more answers are tried in the same time).
WRONG = [None, True, -1, 2**64, 2**70, 1.5, math.nan, math.inf, "", "\x00\u202e\ud800", "12", [], ["a"], {},
         {"count": 1}]
wrong_values = st.one_of(st.sampled_from(WRONG), scalars, st.lists(scalars, max_size=3),
                         st.dictionaries(st.sampled_from(API_KEYS), scalars, max_size=3))
html_bodies = st.one_of(
    st.sampled_from([b"", b"   ", b"<html><body>502 Bad Gateway</body></html>", b"null", b"[" * 5000,
                     b'{"a": ' * 3000, b"\xef\xbb\xbf{}", b"\xff\xfe\x00{"]),
    texts.map(lambda t: f"<!doctype html><title>{t}</title>".encode("utf-8", "surrogatepass")),
    st.binary(max_size=300))
link_headers = st.one_of(st.none(), st.binary(max_size=100),
                         texts.map(lambda t: f'<{t}>; rel="next"'.encode("utf-8", "surrogatepass")),
                         st.just(b'<http://[::1>; rel="next"'), st.just(b'<https://elsewhere.example/x>; rel="next"'),
                         st.just(f'<{MASTODON_BASE}/api/v1/accounts/1/followers?page=3>; rel="next"'.encode()))


def dumps(value) -> bytes:
    """JSON as a server could send it: ``NaN`` and ``Infinity`` included, lone surrogates escaped."""
    return json.dumps(value, allow_nan=True).encode("ascii")


# the callbacks, with what the spider would send along -------------------------------------------------------
@dataclass(frozen=True)
class Callback:
    name: str
    platform: str
    method: str
    url: str
    cb_kwargs: Callable[[], dict]  # fresh per call: some callbacks change what they are given
    account: bool = False  # the request carries the account's handle: only then may InvalidAnswer escape
    statuses: tuple = (200,)
    vk_method: str | None = None
    errback: str | None = None  # the spider's errback for this request, when not on_error / on_side_error
    synthetic: tuple = ()  # answers in the platform's shape (names of SYNTHETIC entries)
    recorded: tuple = ()  # … and recorded ones (names of recorded() entries)
    headers: bool = False  # the callback reads the Link header

    @property
    def handle(self) -> str:
        return self.cb_kwargs().get("handle")


def vk_links() -> list[Link]:
    return [Link("vk", "apiclub", "club22", "mention", "5"), Link("vk", "apiclub", "club42895313", "repost", "6")]


MASTODON_STATUSES = dict(handle=MASTODON_HANDLE, instance=MASTODON_BASE, account_id=MASTODON_ID, hop=0, taken=0,
                         engaged=0)
BLUESKY_FEED = dict(handle=BLUESKY_HANDLE, did=BLUESKY_DID, hop=0, taken=0, engaged=0)
MASTODON_ERRORS = (200, 400, 401, 403, 404, 410, 422)
BLUESKY_ERRORS = (200, 400, 401, 403, 404, 410)

CALLBACKS = [
    Callback("vk group", "vk", "parse_group", f"{VK_API}/groups.getById?group_id=apiclub",
             lambda: {"handle": "apiclub", "hop": 0}, account=True, vk_method="groups.getById",
             synthetic=("vk_group", "vk_error"), recorded=("vk_group", "vk_errors")),
    Callback("vk group found by depth", "vk", "parse_group", f"{VK_API}/groups.getById?group_id=ivan.petrov",
             lambda: {"handle": "ivan.petrov", "hop": 1}, account=True, vk_method="groups.getById",
             synthetic=("vk_group", "vk_error"), recorded=("vk_group", "vk_errors")),
    Callback("vk wall", "vk", "parse_wall", f"{VK_API}/wall.get?owner_id=-1",
             lambda: {"handle": "apiclub", "group_id": 1, "hop": 0, "offset": 0}, account=True, vk_method="wall.get",
             synthetic=("vk_wall", "vk_error"), recorded=("vk_wall", "vk_errors")),
    Callback("vk wall later page", "vk", "parse_wall", f"{VK_API}/wall.get?owner_id=-1&offset=100",
             lambda: {"handle": "apiclub", "group_id": 1, "hop": 0, "offset": 100}, vk_method="wall.get",
             synthetic=("vk_wall", "vk_error"), recorded=("vk_wall", "vk_errors")),
    Callback("vk names", "vk", "parse_names", f"{VK_API}/groups.getById?group_ids=22,42895313",
             lambda: {"handle": "apiclub", "links": vk_links(), "hop": 0}, vk_method="groups.getById",
             errback="on_names_error", synthetic=("vk_names", "vk_error"), recorded=("vk_group", "vk_errors")),
    Callback("vk members", "vk", "parse_members", f"{VK_API}/groups.getMembers?group_id=1",
             lambda: {"handle": "apiclub", "group_id": 1, "offset": 0}, vk_method="groups.getMembers",
             synthetic=("vk_members", "vk_error"), recorded=("vk_members", "vk_errors")),
    Callback("vk likers", "vk", "parse_likers", f"{VK_API}/likes.getList?owner_id=-1&item_id=5",
             lambda: {"handle": "apiclub"}, vk_method="likes.getList",
             synthetic=("vk_likers", "vk_error"), recorded=("vk_likers", "vk_errors")),
    Callback("mastodon search", "mastodon", "parse_search", f"{MASTODON_BASE}/api/v2/search?q=x",
             lambda: {}, statuses=MASTODON_ERRORS, synthetic=("masto_search",), recorded=("masto_search",)),
    Callback("mastodon lookup", "mastodon", "parse_lookup",
             f"{MASTODON_BASE}/api/v1/accounts/lookup?acct=mastodonpy_test",
             lambda: {"handle": MASTODON_HANDLE, "hop": 0}, account=True, statuses=MASTODON_ERRORS,
             synthetic=("masto_account",), recorded=("masto_account",)),
    Callback("mastodon lookup by search", "mastodon", "parse_lookup_search",
             f"{MASTODON_BASE}/api/v2/search?q=mastodonpy_test%40localhost",
             lambda: {"handle": MASTODON_HANDLE, "hop": 0}, account=True, statuses=MASTODON_ERRORS,
             synthetic=("masto_search",), recorded=("masto_search",)),
    Callback("mastodon statuses", "mastodon", "parse_statuses",
             f"{MASTODON_BASE}/api/v1/accounts/{MASTODON_ID}/statuses",
             lambda: dict(MASTODON_STATUSES), account=True, statuses=MASTODON_ERRORS,
             synthetic=("masto_statuses",), recorded=("masto_statuses",)),
    Callback("mastodon statuses later page", "mastodon", "parse_statuses",
             f"{MASTODON_BASE}/api/v1/accounts/{MASTODON_ID}/statuses?max_id=5",
             lambda: {**MASTODON_STATUSES, "taken": 5, "engaged": 10, "page": 2, "seen": 5}, statuses=MASTODON_ERRORS,
             synthetic=("masto_statuses",), recorded=("masto_statuses",)),
    Callback("mastodon following", "mastodon", "parse_following",
             f"{MASTODON_BASE}/api/v1/accounts/{MASTODON_ID}/following",
             lambda: {"handle": MASTODON_HANDLE, "hop": 0}, statuses=MASTODON_ERRORS,
             synthetic=("masto_accounts",), recorded=("masto_accounts",)),
    Callback("mastodon followers", "mastodon", "parse_audience",
             f"{MASTODON_BASE}/api/v1/accounts/{MASTODON_ID}/followers",
             lambda: {"handle": MASTODON_HANDLE, "kind": "follower", "expected": 12, "first": True},
             statuses=MASTODON_ERRORS, synthetic=("masto_accounts",), recorded=("masto_accounts",), headers=True),
    Callback("mastodon likers", "mastodon", "parse_audience", f"{MASTODON_BASE}/api/v1/statuses/5/favourited_by",
             lambda: {"handle": "someone@localhost", "kind": "liker", "expected": None, "first": True},
             statuses=MASTODON_ERRORS, synthetic=("masto_accounts",), recorded=("masto_accounts",), headers=True),
    Callback("bluesky search", "bluesky", "parse_search", f"{BLUESKY_BASE}/xrpc/app.bsky.actor.searchActors?q=x",
             lambda: {}, statuses=BLUESKY_ERRORS, synthetic=("bsky_search",), recorded=("bsky_search",)),
    Callback("bluesky profile", "bluesky", "parse_profile",
             f"{BLUESKY_BASE}/xrpc/app.bsky.actor.getProfile?actor={BLUESKY_HANDLE}",
             lambda: {"handle": BLUESKY_HANDLE, "hop": 0}, account=True, statuses=BLUESKY_ERRORS,
             synthetic=("bsky_profile",), recorded=("bsky_profile",)),
    Callback("bluesky feed", "bluesky", "parse_feed", f"{BLUESKY_BASE}/xrpc/app.bsky.feed.getAuthorFeed?actor=x",
             lambda: dict(BLUESKY_FEED), account=True, statuses=BLUESKY_ERRORS,
             synthetic=("bsky_feed",), recorded=("bsky_feed",)),
    Callback("bluesky feed later page", "bluesky", "parse_feed",
             f"{BLUESKY_BASE}/xrpc/app.bsky.feed.getAuthorFeed?actor=x&cursor=c0",
             lambda: {**BLUESKY_FEED, "taken": 9, "engaged": 10, "page": 2, "seen": 9}, statuses=BLUESKY_ERRORS,
             synthetic=("bsky_feed",), recorded=("bsky_feed",)),
    Callback("bluesky followers", "bluesky", "parse_audience",
             f"{BLUESKY_BASE}/xrpc/app.bsky.graph.getFollowers?actor=x",
             lambda: {"handle": BLUESKY_HANDLE, "kind": "follower", "method": "app.bsky.graph.getFollowers",
                      "params": {"actor": BLUESKY_DID}}, statuses=BLUESKY_ERRORS,
             synthetic=("bsky_followers",), recorded=("bsky_followers",)),
    Callback("bluesky likers", "bluesky", "parse_audience", f"{BLUESKY_BASE}/xrpc/app.bsky.feed.getLikes?uri=x",
             lambda: {"handle": BLUESKY_HANDLE, "kind": "liker", "method": "app.bsky.feed.getLikes",
                      "params": {"uri": f"at://{BLUESKY_DID}/app.bsky.feed.post/3k1"}}, statuses=BLUESKY_ERRORS,
             synthetic=("bsky_likes",), recorded=("bsky_likes",)),
    Callback("bluesky reposters", "bluesky", "parse_audience", f"{BLUESKY_BASE}/xrpc/app.bsky.feed.getRepostedBy?uri=x",
             lambda: {"handle": BLUESKY_HANDLE, "kind": "reposter", "method": "app.bsky.feed.getRepostedBy",
                      "params": {"uri": f"at://{BLUESKY_DID}/app.bsky.feed.post/3k1"}}, statuses=BLUESKY_ERRORS,
             synthetic=("bsky_reposters",), recorded=("bsky_reposters",)),
]


# answers in the platforms' shapes ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def synthetic_answers() -> dict[str, list]:
    """Answers built like the real ones, with every field the spiders read (tests/fake_social.py)."""
    me = masto_account("mastodonpy_test", MASTODON_BASE, followers=40, moved=None, suspended=False)
    other = masto_account("other", "https://remote.example", acct="other@remote.example")
    statuses = [
        masto_status(me, 208, "<p>Hi <a>@other</a> &amp; all<br>line</p>", "2026-10-08T10:00:00.000Z", favourites=3,
                     reblogs=2, replies=1, mentions=[other], in_reply_to=other),
        {**masto_status(me, 207, "<p>quoting</p>", "2026-10-07T10:00:00.000Z"), "spoiler_text": "cw",
         "quote": {"state": "accepted", "quoted_status": masto_status(other, 9, "<p>q</p>", "2026-10-01T00:00:00Z")}},
        masto_status(me, 206, "", "2026-10-06T10:00:00.000Z", reblog=masto_status(other, 8, "<p>b</p>",
                                                                                  "2026-10-05T00:00:00Z")),
    ]
    alice = bsky_profile("chriskenny", followers=554)
    alice = {**alice, "handle": BLUESKY_HANDLE, "did": BLUESKY_DID, "verification": {"verifiedStatus": "valid"}}
    bob = bsky_profile("bob")
    text = "Thanks @bob.bsky.social!"
    feed = [
        bsky_post(alice, "3k1", text, "2026-10-08T10:00:00.000Z", likes=4, reposts=2, quotes=1,
                  facets=[mention_facet(text, "bob.bsky.social", bob["did"])],
                  embed={"$type": "app.bsky.embed.record#view", "record": {
                      "$type": "app.bsky.embed.record#viewRecord", "author": bsky_basic(bob)}}),
        bsky_post(alice, "3k2", "a reply", "2026-10-07T10:00:00.000Z", reply_to=bob),
        {**bsky_post(bob, "3b1", "bob's", "2026-10-06T10:00:00.000Z"),
         "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "indexedAt": "2026-10-06T11:00:00.000Z"}},
    ]
    fans = [bsky_basic(bsky_profile(f"fan{i}", avatar=i != 1, description=None if i == 2 else "bio")) for i in range(3)]
    vk_item = {"id": 5, "date": 1_760_000_000, "text": "see [club22|them], [id9|him], vk.com/beta and vk.com/id7",
               "likes": {"count": 3}, "reposts": {"count": 1}, "views": {"count": 100}, "comments": {"count": 2},
               "copy_history": [{"owner_id": -33, "text": "[club44|x]"}]}
    return {
        "vk_group": [{"response": {"groups": [{"id": 1, "name": "API club", "screen_name": "apiclub",
                                               "members_count": 2500, "verified": 1, "description": "a<br>b",
                                               "photo_200": "https://sun.userapi.com/a.jpg"}], "profiles": []}},
                     {"response": [{"id": 1, "name": "Old shape", "screen_name": "club1", "deactivated": "banned"}]}],
        "vk_error": [{"error": {"error_code": 15, "error_msg": "Access denied"}},
                     {"error": {"error_code": 6, "error_msg": "Too many requests per second"}}],
        "vk_wall": [{"response": {"count": 250, "items": [vk_item, {**vk_item, "id": 6, "copy_history": []}],
                                  "groups": [{"id": 22, "screen_name": "friends"}],
                                  "profiles": [{"id": 9, "screen_name": "ivan"}]}}],
        "vk_names": [{"response": {"groups": [{"id": 22, "screen_name": "friends"}, {"id": 42895313}]}}],
        "vk_members": [{"response": {"count": 3, "items": [
            {"id": 1, "first_name": "A", "photo_100": "https://vk.com/images/camera_100.png",
             "last_seen": {"time": 1_700_000_000}}, {"id": 2, "deactivated": "deleted"}, 3]}}],
        "vk_likers": [{"response": {"count": 2, "items": [1, {"id": 2}]}}],
        "masto_account": [me, {**me, "hide_collections": True}],
        "masto_search": [{"accounts": [me, other], "statuses": [], "hashtags": []}],
        "masto_statuses": [statuses],
        "masto_accounts": [[other, me, masto_account("fan", MASTODON_BASE, avatar=False, note="")]],
        "bsky_profile": [alice],
        "bsky_search": [{"actors": [bsky_basic(alice), bsky_basic(bob)]}],
        "bsky_feed": [{"feed": feed, "cursor": "2026-10-06T10:00:00.000Z"}],
        "bsky_followers": [{"followers": fans, "subject": bsky_basic(alice), "cursor": "c1"}],
        "bsky_likes": [{"likes": [{"actor": fan, "createdAt": "2026-10-08T11:22:33.444Z"} for fan in fans],
                        "cursor": "c1"}],
        "bsky_reposters": [{"repostedBy": fans, "cursor": "c1"}],
    }


@lru_cache(maxsize=1)
def recorded() -> dict[str, list]:
    """The recorded answers in ../shared/fixtures, by the callback shape they fit."""
    def body(platform: str, name: str):
        data = json.loads((shared_dir("fixtures", platform) / name).read_bytes().decode("utf-8-sig"))
        return data["body"] if platform == "mastodon" and name.startswith("mastodonpy_") else data

    vk = lambda name: body("vk", name)  # noqa: E731
    masto = lambda name: body("mastodon", name)  # noqa: E731
    bsky = lambda name: body("bluesky", name)  # noqa: E731
    lookup = masto("mastodonpy_account_lookup.json")
    reposters = bsky("bskyr_getRepostedBy.json")
    return {
        "vk_group": [vk("vknet_Groups_GetById_Multiple_NormalCaseAllFields_ReturnTwoItems.json")],
        "vk_errors": [vk(f"vknet_Errors_{code}.json") for code in (14, 15, 100)],
        "vk_wall": [vk(name) for name in ("vknet_Wall_Get_ExtendedVersion_GenerateOutParametersCorrectly.json",
                                          "vknet_Wall_Get_Geo_NormalCase.json", "vknet_Wall_GetById_Donut.json")],
        "vk_members": [vk("vknet_Groups_GetMembers_NormalCaseAllInputParameters_ListOfUsesIds.json"),
                       vk("vknet_Users_GetFollowers_WithAllFields.json")],
        "vk_likers": [vk("vknet_Likes_GetList_NormalCase.json"), vk("vknet_Likes_GetListEx_NormalCase.json")],
        "masto_account": [lookup, masto("mastodonpy_account_get.json"), masto("docs_GET_accounts_id.json"),
                          masto("docs_GET_accounts_id_remote_user.json"), masto("docs_entity_Account.json")],
        "masto_search": [{"accounts": [lookup, *masto("mastodonpy_directory.json")]}],
        "masto_statuses": [masto("mastodonpy_account_statuses_page1.json"),
                           [masto("mastodonpy_status_reblog_post.json"), masto("docs_GET_statuses_id.json"),
                            masto("docs_entity_Status.json"), masto("mastodonpy_status_get.json")]],
        "masto_accounts": [masto("mastodonpy_status_favourited_by.json"), masto("mastodonpy_status_reblogged_by.json"),
                           masto("mastodonpy_directory.json")],
        "bsky_profile": [bsky("bskyr_getProfiles.json")["profiles"][0]],
        "bsky_search": [bsky("bskyr_searchActorsTypeahead.json")],
        "bsky_feed": [bsky("bskyr_getAuthorFeed.json")],
        "bsky_followers": [bsky("bskyr_getFollowers.json")],
        "bsky_likes": [{"likes": [{"actor": actor, "createdAt": "2025-05-06T17:07:12.045Z"}
                                  for actor in reposters["repostedBy"]]}],
        "bsky_reposters": [reposters],
    }


# wrong types put into real shapes ---------------------------------------------------------------------------------
def paths_of(doc, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, the whole of it (``()``) first."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(paths_of(value, (*prefix, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(paths_of(value, (*prefix, index)))
    return found


def replaced(doc, path: tuple, value):
    """``doc`` with the value at ``path`` replaced; only the containers on the path are copied."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = replaced(doc[head], rest, value)
    return copy


@lru_cache(maxsize=None)
def cached_paths(source: str, name: str, index: int) -> list[tuple]:
    bases = synthetic_answers() if source == "synthetic" else recorded()
    return paths_of(bases[name][index])


@st.composite
def shaped_answers(draw, source: str, names: tuple):
    """A real-shaped answer with one to six of its values (or containers) replaced by wrong ones."""
    bases = synthetic_answers() if source == "synthetic" else recorded()
    choices = [(name, index) for name in names for index in range(len(bases[name]))]
    name, index = draw(st.sampled_from(choices))
    doc = bases[name][index]
    for path in draw(st.lists(st.sampled_from(cached_paths(source, name, index)), min_size=1, max_size=6)):
        try:
            doc = replaced(doc, path, draw(wrong_values))
        except (KeyError, IndexError, TypeError):  # an earlier replacement took that place away
            pass
    return dumps(doc)


# running a callback -------------------------------------------------------------------------------------------------
SPIDERS = {
    "vk": (VkSpider, {"seeds": ["apiclub"], "depth": 1, "max_posts": 100, "audience_limit": 1000}),
    "mastodon": (MastodonSpider, {"seeds": ["mastodonpy_test"], "base_url": MASTODON_BASE, "depth": 1,
                                  "discover_follows": True}),
    "bluesky": (BlueskySpider, {"seeds": [BLUESKY_HANDLE], "depth": 1}),
}


@lru_cache(maxsize=None)
def _spider(platform: str):
    cls, kwargs = SPIDERS[platform]
    return make_spider(cls, **kwargs)


def fresh_spider(platform: str):
    """The platform's spider as a new crawl has it (making one per example would take most of the time)."""
    spider = _spider(platform)
    spider.state = {}
    spider.__dict__.pop("_members_seen", None)
    spider.crawler.stats.set_stats({})
    return spider


@pytest.fixture(autouse=True, scope="module")
def no_engine_to_pause():
    """VK's error 6 pauses the download slot before the retry: no engine runs here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("crawler.spiders.vk.pause_download_slot", lambda crawler, request, seconds: None)
        yield


@dataclass
class Outcome:
    spider: object
    callback: Callback
    status: int
    outputs: list = field(default_factory=list)
    error: BaseException | None = None


def run(callback: Callback, body: bytes, status: int = 200, link: bytes | None = None) -> Outcome:
    spider = fresh_spider(callback.platform)
    kwargs = callback.cb_kwargs()
    meta = {"handle": kwargs["handle"]} if callback.account else {}
    if callback.vk_method:
        meta.update(api_key="vk", vk_method=callback.vk_method)
    errback = getattr(spider, callback.errback or ("on_error" if callback.account else "on_side_error"))
    request = Request(callback.url, callback=getattr(spider, callback.method), errback=errback, cb_kwargs=kwargs,
                      meta=meta)
    headers = {"Content-Type": "application/json; charset=utf-8", **({"Link": link} if link is not None else {})}
    response = TextResponse(url=callback.url, body=body, status=status, headers=headers, request=request,
                            encoding="utf-8")
    outcome = Outcome(spider, callback, status)
    try:
        for output in getattr(spider, callback.method)(response, **kwargs):
            outcome.outputs.append(output)
    except (InvalidAnswer, CloseSpider) as error:
        outcome.error = error
    return outcome


# what must hold ---------------------------------------------------------------------------------------------------
def assert_text(value, cap: int, what: str) -> None:
    assert value is None or (isinstance(value, str) and 0 < len(value) <= cap and not CONTROL.search(value)), \
        (what, value if value is None else value[:80])


def assert_value(name: str, value, item) -> None:
    what = f"{type(item).__name__}.{name}"
    if value is None:
        return
    if name in COUNT_CAPS or (isinstance(item, Snapshot) and name == "followers"):
        cap = COUNT_CAPS.get(name, AUDIENCE_CAP)
        assert type(value) is int and 0 <= value <= cap, (what, value)
    elif name in TEXT_CAPS:
        assert_text(value, TEXT_CAPS[name], what)
    elif name in ("url", "avatar"):
        assert isinstance(value, str) and value.startswith(("http://", "https://")), (what, value)
        assert len(value) <= 2048 and not CONTROL.search(value), what
    elif name in ("created_at", "published_at", "at", "last_seen", "fetched_at"):
        assert isinstance(value, datetime) and value.tzinfo is not None, (what, value)
        assert EARLIEST <= value <= datetime.now(timezone.utc) + timedelta(days=3), (what, value)
    elif name in ("verified", "has_avatar", "has_description", "deactivated"):
        assert type(value) is bool, (what, value)


def assert_identifier(value, what: str) -> None:
    assert isinstance(value, str) and IDENTIFIER.match(value), (what, value[:80] if isinstance(value, str) else value)


def assert_request(spider, request: Request) -> None:
    url = urlsplit(request.url)
    assert url.scheme in ("http", "https") and url.hostname and len(request.url) <= URL_MAX, request.url[:200]
    if spider.platform == "mastodon":
        assert url.hostname == spider.base_host or spider.checked(f"x@{url.hostname}"), request.url
    else:
        assert url.hostname == urlsplit(spider.base_url).hostname, request.url
    assert request.callback is not None and request.callback.__self__ is spider
    handle = request.meta.get("handle")
    if handle is not None:
        assert_identifier(handle, "meta handle")
        assert request.errback == spider.on_error, (request.url, request.errback)
    else:
        side = [spider.on_side_error] + ([spider.on_names_error] if hasattr(spider, "on_names_error") else [])
        assert request.errback in side, (request.url, request.errback)


def assert_outcome(outcome: Outcome) -> None:
    spider, callback, outputs = outcome.spider, outcome.callback, outcome.outputs
    if outcome.error is not None:
        if isinstance(outcome.error, CloseSpider):  # VK's error 5: the token is refused, the crawl stops
            assert spider.platform == "vk" and outcome.error.reason == "vk_token_rejected"
        else:
            assert callback.account, f"{callback.name} is no account request, yet raised {outcome.error!r}"
            message = str(outcome.error)
            assert 0 < len(message) <= 300 and not CONTROL.search(message), message
        # Raised before anything left: no posts, and no account row with half its answer.
        assert outputs == [], outputs[:3]
        return
    handle = callback.handle
    account_seen = False
    for output in outputs:
        if isinstance(output, Request):
            assert_request(spider, output)
            continue
        assert is_dataclass(output) and type(output) in (Account, Post, Link, AudienceMember, Snapshot), output
        assert output.platform == spider.platform
        for name in (f.name for f in fields(output)):
            assert_value(name, getattr(output, name), output)
        if isinstance(output, Account):
            assert_identifier(output.handle, "Account.handle")
            assert output.status in ("ok", "unavailable")
            assert output.status == "ok" or output.reason, output
            account_seen = account_seen or output.status == "ok"
        elif isinstance(output, Snapshot):
            assert account_seen, "a snapshot before its account"
        elif isinstance(output, Post):
            # Posts come only from the account's own post pages, never with the account's answer.
            assert callback.method in ("parse_statuses", "parse_feed", "parse_wall"), callback.name
            assert output.account == handle
            assert_identifier(output.post_id, "Post.post_id")
        elif isinstance(output, Link):
            assert output.kind in LINK_KINDS and output.src == handle and output.src != output.dst
            assert_identifier(output.dst, "Link.dst")
            assert output.post_id is None or IDENTIFIER.match(output.post_id), output.post_id
        elif isinstance(output, AudienceMember):
            assert output.kind in AUDIENCE_KINDS and output.account == handle
            # The raw id only, of the platform's shape: the hash pipeline replaces it before storage.
            assert isinstance(output.member_id, str) and MEMBER_ID[spider.platform].match(output.member_id), \
                output.member_id[:100]
            assert output.member_key is None
            for day in (output.created_at, output.last_seen, output.at):
                assert day is None or (day.hour, day.minute, day.second, day.microsecond) == (0, 0, 0, 0), day
    if callback.account:
        # The account comes before the requests for its posts and audience.
        requests = [i for i, o in enumerate(outputs) if isinstance(o, Request) and o.callback.__name__ in (
            "parse_statuses", "parse_feed", "parse_wall", "parse_audience", "parse_members")]
        accounts = [i for i, o in enumerate(outputs) if isinstance(o, Account) and o.status == "ok"]
        if requests and callback.method in ("parse_group", "parse_lookup", "parse_lookup_search", "parse_profile"):
            assert accounts and accounts[0] < requests[0], callback.name


def closes_on_token(body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return as_count(as_dict(as_dict(answer).get("error")).get("error_code")) == 5


# the properties ------------------------------------------------------------------------------------------------
# 150 examples per callback (50 for the recorded answers) keep the file near 20 s on a shared core. No example
# database, so a run leaves nothing in the repository; a failure prints the blob that replays it
# (@reproduce_failure): a rare one, like VK's {"error": {"error_code": 0}}, may not come again by itself.
EXAMPLES = settings(max_examples=150, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c.name)
@EXAMPLES
@given(data=st.data())
def test_any_answer_leaves_only_storable_items(callback, data):
    body = data.draw(st.one_of(json_values.map(dumps), html_bodies,
                               shaped_answers("synthetic", callback.synthetic)), label="body")
    status = data.draw(st.sampled_from(callback.statuses), label="status")
    link = data.draw(link_headers, label="link") if callback.headers else None
    outcome = run(callback, body, status, link)
    if isinstance(outcome.error, CloseSpider):
        assert closes_on_token(body)
    assert_outcome(outcome)


@pytest.fixture(scope="module")
def recorded_answers():
    return recorded()  # skips, naming what is missing, without ../shared


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c.name)
@settings(EXAMPLES, max_examples=50)
@given(data=st.data())
def test_recorded_answers_with_wrong_types_leave_only_storable_items(callback, recorded_answers, data):
    body = data.draw(shaped_answers("recorded", callback.recorded), label="body")
    assert_outcome(run(callback, body))


# every field of a real answer, every wrong type ----------------------------------------------------------------
@dataclass(frozen=True)
class Sweep:
    name: str
    callback: str  # a Callback's name
    body: Callable[[], object]
    kept: type  # the item that must survive a wrong value anywhere but in the essential places
    essential: tuple  # paths where a wrong value may cost the item (prefixes count)


def feed_post() -> dict:
    return {"feed": [recorded()["bsky_feed"][0]["feed"][1]]}


SWEEPS = [
    Sweep("mastodon account", "mastodon lookup", lambda: recorded()["masto_account"][0], Account,
          # a wrong id (or a whole wrong answer) makes it invalid; "suspended": true makes it unavailable
          ((), ("id",), ("suspended",))),
    Sweep("mastodon status", "mastodon statuses", lambda: [recorded()["masto_statuses"][1][1]], Post,
          ((), (0,), (0, "id"), (0, "reblog"))),
    Sweep("bluesky profile", "bluesky profile", lambda: recorded()["bsky_profile"][0], Account, ((), ("did",))),
    Sweep("bluesky post", "bluesky feed", feed_post, Post,
          ((), ("feed",), ("feed", 0), ("feed", 0, "post"), ("feed", 0, "post", "uri"),
           ("feed", 0, "post", "author"), ("feed", 0, "reason"))),
    Sweep("vk group", "vk group", lambda: recorded()["vk_group"][0], Account,
          ((), ("response",), ("response", 0), ("response", 0, "id"), ("response", 0, "deactivated"))),
    Sweep("vk post", "vk wall", lambda: {"response": {"count": 1, "items": [synthetic_answers()["vk_wall"][0][
        "response"]["items"][0]]}}, Post, ((), ("response",), ("response", "items"), ("response", "items", 0),
                                           ("response", "items", 0, "id"))),
]


@pytest.mark.parametrize("sweep", SWEEPS, ids=lambda s: s.name)
def test_a_wrong_value_in_any_field_costs_only_that_field(sweep):
    callback = next(c for c in CALLBACKS if c.name == sweep.callback)
    doc = sweep.body()
    assert len(paths_of(doc)) > 15, sweep.name  # the answer has fields to put wrong values into
    for path in paths_of(doc):
        for wrong in WRONG:
            outcome = run(callback, dumps(replaced(doc, path, wrong)))
            assert_outcome(outcome)
            essential = any(path[:len(p)] == p for p in sweep.essential)
            kept = [o for o in outcome.outputs if isinstance(o, sweep.kept) and getattr(o, "status", "ok") == "ok"]
            assert kept or essential, (sweep.name, path, wrong, outcome.error, outcome.outputs[:3])
            assert outcome.error is None or essential, (sweep.name, path, wrong, outcome.error)


# errbacks ------------------------------------------------------------------------------------------------------
def requests_made() -> list[tuple]:
    """Every kind of request the three spiders make, from their callbacks on synthetic answers."""
    found = []
    for callback in CALLBACKS:
        for name in callback.synthetic:
            for body in synthetic_answers()[name]:
                outcome = run(callback, dumps(body))
                found.extend((callback.platform, o) for o in outcome.outputs if isinstance(o, Request))
    lookup = next(c for c in CALLBACKS if c.name == "mastodon lookup")  # a 401 falls back to the search
    found.extend(("mastodon", o) for o in run(lookup, b'{"error": "needs a token"}', status=401).outputs)
    for platform in SPIDERS:
        spider = fresh_spider(platform)
        found.append((platform, spider.account_request(spider.seeds[0], 0)))
        if hasattr(spider, "search_request"):
            found.append((platform, spider.search_request("news")))
    return found


def test_every_request_records_a_redirect_loop():
    """Scrapy's RedirectMiddleware gives up on a loop with IgnoreRequest: the account's own requests mark
    it unavailable, the others are counted."""
    made = requests_made()
    kinds = {(platform, r.callback.__name__, "handle" in r.meta) for platform, r in made}
    assert len(kinds) >= 18, kinds  # each callback's requests, an account's own and the others
    for platform, request in made:
        spider = fresh_spider(platform)
        failure = Failure(IgnoreRequest("max redirections reached"))
        failure.request = request
        results = list(request.errback(failure) or ())
        accounts = [r for r in results if isinstance(r, Account)]
        if "handle" in request.meta:
            assert [(a.handle, a.status) for a in accounts] == [(request.meta["handle"], "unavailable")], request
            assert "redirect" in accounts[0].reason
        else:
            assert accounts == [], request
            stats = spider.crawler.stats.get_stats()
            assert any("redirect" in key for key in stats if key.startswith("pagescout/errors/")), (request, stats)
