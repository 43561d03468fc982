"""Stand-ins for Bluesky's AppView and a Mastodon instance on 127.0.0.1, serving canned JSON in the
platforms' shapes (modelled on the recorded responses in ../shared/fixtures), with the paging each
platform uses (Bluesky: ``cursor`` in the body; Mastodon: ``max_id`` for statuses, the ``Link`` header
for account lists), their error answers, and injected faults (429 + Retry-After, rate-limit headers
near zero). All names and ids below are synthetic.

The session fixtures ``bluesky_crawl``, ``mastodon_crawl`` and ``bluesky_search_crawl`` run one crawl
each through the real CLI in a subprocess and hand the tests the database, the server's request log
and the crawl's output.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from conftest import run_cli
from crawler.sample_site import LocalServer

Answer = tuple[int, dict, object]  # status, headers, JSON body


class FakeSocial(LocalServer):
    """Serve ``app(path, query, server) -> (status, headers, body)`` on 127.0.0.1 in a background thread.

    ``faults`` maps a request path (with query) prefix to answers given, in turn, before the app's:
    ``(status, headers)``. Header values may be callables, evaluated when the answer is sent (for
    reset times relative to "now"). Every request is logged with its arrival time.
    """

    def __init__(self, app, faults: dict | None = None):
        super().__init__()
        self.app = app
        self.faults = {prefix: list(answers) for prefix, answers in (faults or {}).items()}

    def answer(self, path: str):
        with self._lock:
            fault = next((answers.pop(0) for prefix, answers in self.faults.items()
                          if path.startswith(prefix) and answers), None)
        if fault:
            status, headers = fault
            return status, {"error": "RateLimitExceeded", "message": "slow down"}, headers
        parts = urlsplit(path)
        # one value per key, or the list where a key repeats (getProfiles?actors=a&actors=b)
        query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()}
        status, headers, body = self.app(parts.path, query, self)
        # Always JSON, as the real APIs answer: null and bare strings too.
        return status, json.dumps(body), {"Content-Type": "application/json; charset=utf-8", **headers}


def page_of(items: list, query: dict, page_size: int) -> tuple[list, str | None]:
    """Cursor paging as the AppView does it: an opaque cursor (here an offset) while more remain."""
    start = int(query.get("cursor", 0))
    size = min(int(query.get("limit", 50)), page_size)
    chunk = items[start:start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


# Bluesky ----------------------------------------------------------------------------------------
def did(name: str) -> str:
    """A syntactically valid did:plc for a synthetic name (24 base32 characters)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    code = "".join(alphabet[(ord(c) * 7 + i * 3) % 32] for i, c in enumerate((name * 24)[:24]))
    return f"did:plc:{code}"


def bsky_profile(name: str, followers: int = 100, description: str | None = "about me", avatar: bool = True,
                 created: str = "2023-10-05T11:25:58.672Z") -> dict:
    handle = f"{name}.bsky.social"
    profile = {"did": did(name), "handle": handle, "displayName": name.title(), "labels": [],
               "createdAt": created, "indexedAt": "2025-01-01T00:00:00.000Z"}
    if description:
        profile["description"] = description
    if avatar:
        profile["avatar"] = f"https://cdn.bsky.app/img/avatar/plain/{did(name)}/x@jpeg"
    return {**profile, "followersCount": followers, "followsCount": 50, "postsCount": 400}


def bsky_basic(profile: dict) -> dict:
    """The profileView a list method returns: no counts."""
    return {k: v for k, v in profile.items() if not k.endswith("Count")}


def bsky_post(author: dict, rkey: str, text: str, created: str, likes=0, reposts=0, replies=0, quotes=0,
              facets=None, embed=None, reply_to: dict | None = None) -> dict:
    record = {"$type": "app.bsky.feed.post", "createdAt": created, "langs": ["en"], "text": text}
    if facets:
        record["facets"] = facets
    if reply_to:
        parent = {"uri": f"at://{reply_to['did']}/app.bsky.feed.post/parent1", "cid": "bafyparent"}
        record["reply"] = {"parent": parent, "root": parent}
    post = {"uri": f"at://{author['did']}/app.bsky.feed.post/{rkey}", "cid": f"bafy{rkey}",
            "author": bsky_basic(author), "record": record, "replyCount": replies, "repostCount": reposts,
            "likeCount": likes, "quoteCount": quotes, "indexedAt": created, "labels": []}
    if embed:
        post["embed"] = embed
    entry = {"post": post}
    if reply_to:
        parent_view = {"$type": "app.bsky.feed.defs#postView", "uri": record["reply"]["parent"]["uri"],
                       "author": bsky_basic(reply_to), "record": {"text": "parent"}}
        entry["reply"] = {"root": parent_view, "parent": parent_view}
    return entry


def mention_facet(text: str, handle: str, target_did: str) -> dict:
    start = text.encode("utf-8").index(f"@{handle}".encode("utf-8"))
    return {"$type": "app.bsky.richtext.facet", "index": {"byteStart": start, "byteEnd": start + len(handle) + 1},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": target_did}]}


@dataclass
class BlueskyWorld:
    """Accounts, feeds and audiences of the fake AppView; ``members`` are everyone in an audience."""

    profiles: dict = field(default_factory=dict)  # actor (handle or DID) → profileViewDetailed
    feeds: dict = field(default_factory=dict)  # DID → feed entries, newest first
    followers: dict = field(default_factory=dict)  # DID → profileViews
    follows: dict = field(default_factory=dict)  # DID → profileViews it follows
    likes: dict = field(default_factory=dict)  # post URI → like records
    reposted_by: dict = field(default_factory=dict)  # post URI → profileViews
    profile_errors: dict = field(default_factory=dict)  # actor → (status, body)
    feed_errors: dict = field(default_factory=dict)  # DID → (status, body)
    search: dict = field(default_factory=dict)  # q → profileViews
    members: list = field(default_factory=list)
    page_size: int = 3
    headers: Callable[[str, dict], dict] | None = None  # extra headers per (path, query)

    def add(self, profile: dict) -> dict:
        self.profiles[profile["handle"]] = profile
        self.profiles[profile["did"]] = profile
        return profile

    def app(self, path: str, query: dict, server: FakeSocial) -> Answer:
        status, headers, body = self.answer(path, query)
        return status, {**headers, **(self.headers(path, query) if self.headers else {})}, body

    def answer(self, path: str, query: dict) -> Answer:
        method = path.removeprefix("/xrpc/")
        if method == "app.bsky.actor.getProfile":
            actor = query.get("actor", "")
            if actor in self.profile_errors:
                return (*self.profile_errors[actor][:1], {}, self.profile_errors[actor][1])
            if actor in self.profiles:
                return 200, {}, self.profiles[actor]
            return 400, {}, {"error": "InvalidRequest", "message": "Profile not found"}
        if method == "app.bsky.feed.getAuthorFeed":
            actor = query.get("actor", "")
            if actor in self.feed_errors:
                return (*self.feed_errors[actor][:1], {}, self.feed_errors[actor][1])
            chunk, cursor = page_of(self.feeds.get(actor, []), query, self.page_size)
            return 200, {}, {"feed": chunk, **({"cursor": cursor} if cursor else {})}
        if method == "app.bsky.graph.getFollowers":
            actor = query.get("actor", "")
            chunk, cursor = page_of(self.followers.get(actor, []), query, self.page_size)
            subject = bsky_basic(self.profiles[actor])
            return 200, {}, {"followers": chunk, "subject": subject, **({"cursor": cursor} if cursor else {})}
        if method == "app.bsky.graph.getFollows":
            actor = query.get("actor", "")
            if actor not in self.profiles:
                return 400, {}, {"error": "InvalidRequest", "message": "Profile not found"}
            chunk, cursor = page_of(self.follows.get(actor, []), query, self.page_size)
            subject = bsky_basic(self.profiles[actor])
            return 200, {}, {"follows": chunk, "subject": subject, **({"cursor": cursor} if cursor else {})}
        if method == "app.bsky.actor.getProfiles":
            actors = query.get("actors", [])
            actors = [actors] if isinstance(actors, str) else actors
            if len(actors) > 25:
                return 400, {}, {"error": "InvalidRequest", "message": "actors must not have more than 25 elements"}
            return 200, {}, {"profiles": [self.profiles[a] for a in actors if a in self.profiles]}
        if method == "app.bsky.feed.getLikes":
            chunk, cursor = page_of(self.likes.get(query["uri"], []), query, self.page_size)
            return 200, {}, {"uri": query["uri"], "likes": chunk, **({"cursor": cursor} if cursor else {})}
        if method == "app.bsky.feed.getRepostedBy":
            chunk, cursor = page_of(self.reposted_by.get(query["uri"], []), query, self.page_size)
            return 200, {}, {"uri": query["uri"], "repostedBy": chunk, **({"cursor": cursor} if cursor else {})}
        if method == "app.bsky.actor.searchActors":
            return 200, {}, {"actors": self.search.get(query.get("q"), [])}
        return 501, {}, {"error": "MethodNotImplemented", "message": method}


def bluesky_world() -> BlueskyWorld:
    """alice (seed) quotes bob, mentions carol, reposts dave's post and replies to frank; erin is a
    DID seed; ghost does not exist. carol's posts are blocked; dave is taken down."""
    world = BlueskyWorld()
    alice = world.add(bsky_profile("alice", followers=5400))
    bob = world.add(bsky_profile("bob", followers=1200))
    carol = world.add(bsky_profile("carol", followers=300))
    dave = bsky_profile("dave")
    world.profiles[dave["handle"]] = dave  # reposted, but taken down by the time it is crawled
    world.profile_errors[dave["handle"]] = (400, {"error": "AccountTakedown", "message": "Account has been suspended"})
    frank = bsky_profile("frank")
    erin = world.add(bsky_profile("erin", followers=80, description=None))
    world.feed_errors[carol["did"]] = (400, {"error": "BlockedByActor", "message": "Requester is blocked by actor"})

    mention_text = "Thanks @carol.bsky.social for the data!"
    feed = [
        bsky_post(alice, "a8", "Quoting bob", "2026-10-08T10:00:00.000Z", likes=4, reposts=2, replies=1, quotes=1,
                  embed={"$type": "app.bsky.embed.record#view", "record": {
                      "$type": "app.bsky.embed.record#viewRecord", "uri": f"at://{bob['did']}/app.bsky.feed.post/b1",
                      "author": bsky_basic(bob), "value": {"text": "bob's post"}}}),
        bsky_post(alice, "a7", mention_text, "2026-10-07T10:00:00.000Z", likes=2,
                  facets=[mention_facet(mention_text, "carol.bsky.social", carol["did"])]),
        {**bsky_post(dave, "d1", "dave's post", "2026-10-06T12:00:00.000Z", likes=99, reposts=9),
         "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": bsky_basic(alice),
                    "indexedAt": "2026-10-06T13:00:00.000Z"}},
        bsky_post(alice, "a6", "@frank.bsky.social agreed", "2026-10-06T10:00:00.000Z", likes=1, reply_to=frank),
        bsky_post(alice, "a5", "post five", "2026-10-05T10:00:00.000Z", likes=3),
        bsky_post(alice, "a4", "post four", "2026-10-04T10:00:00.000Z", likes=0),
        bsky_post(alice, "a3", "post three", "2026-10-03T10:00:00.000Z", likes=7, reposts=1),
        bsky_post(alice, "a2", "post two", "2026-10-02T10:00:00.000Z", likes=1),
    ]
    world.feeds[alice["did"]] = feed
    world.feeds[bob["did"]] = [bsky_post(bob, "b1", "bob's post", "2026-10-01T10:00:00.000Z", likes=5)]
    world.feeds[erin["did"]] = [bsky_post(erin, "e1", "erin's post", "2026-09-01T10:00:00.000Z")]

    # Audience members: synthetic followers f0..f6 of alice (one without avatar, one without a bio),
    # likers of a8 (one of them also a follower), a reposter of a8, and one follower of bob.
    followers = [bsky_basic(bsky_profile(f"fan{i}", avatar=i != 1, description=None if i == 2 else "bio",
                                         created=f"2024-0{i + 1}-15T08:30:12.345Z")) for i in range(7)]
    world.followers[alice["did"]] = followers
    likers = [followers[0], bsky_basic(bsky_profile("liker1"))]
    world.likes[f"at://{alice['did']}/app.bsky.feed.post/a8"] = [
        {"actor": p, "createdAt": "2026-10-08T11:22:33.444Z", "indexedAt": "2026-10-08T11:22:34.000Z"} for p in likers]
    reposter = bsky_basic(bsky_profile("booster1"))
    world.reposted_by[f"at://{alice['did']}/app.bsky.feed.post/a8"] = [reposter]
    bob_follower = bsky_basic(bsky_profile("bobfan"))
    world.followers[bob["did"]] = [bob_follower]
    world.members = [*followers, *likers, reposter, bob_follower]
    world.search["quarto"] = [bsky_basic(alice), bsky_basic(bob)]
    return world


# Mastodon ---------------------------------------------------------------------------------------
def masto_id(username: str) -> str:
    """A snowflake-sized id, the same for a username in every run and test order."""
    return str(110_000_000_000_000_000 + int(hashlib.sha1(username.encode()).hexdigest()[:13], 16))


def masto_account(username: str, base: str, followers: int = 100, hide: bool = False, note: str = "<p>hi</p>",
                  avatar: bool = True, acct: str | None = None, **extra) -> dict:
    account_id = masto_id(username)
    avatar_url = f"{base}/system/accounts/avatars/{account_id}/original/a.png" if avatar else \
        f"{base}/avatars/original/missing.png"
    return {"id": account_id, "username": username, "acct": acct or username, "display_name": username.title(),
            "locked": False, "bot": False, "created_at": "2022-11-05T00:00:00.000Z", "note": note,
            "url": f"{base}/@{username}", "uri": f"{base}/users/{username}", "avatar": avatar_url,
            "avatar_static": avatar_url, "followers_count": followers, "following_count": 40,
            "statuses_count": 900, "last_status_at": "2026-10-20", "hide_collections": hide, "emojis": [],
            "fields": [], **extra}


def masto_status(account: dict, status_id: int, html: str, when: str, favourites=0, reblogs=0, replies=0,
                 mentions=(), in_reply_to: dict | None = None, reblog: dict | None = None) -> dict:
    return {"id": str(status_id), "created_at": when, "in_reply_to_id": "1" if in_reply_to else None,
            "in_reply_to_account_id": in_reply_to["id"] if in_reply_to else None, "visibility": "public",
            "url": None if reblog else f"{account['url']}/{status_id}", "uri": f"{account['uri']}/statuses/{status_id}",
            "replies_count": replies, "reblogs_count": reblogs, "favourites_count": favourites, "quotes_count": 0,
            "content": "" if reblog else html, "spoiler_text": "", "reblog": reblog, "account": account,
            "mentions": [{"id": m["id"], "username": m["username"], "acct": m["acct"], "url": m["url"]}
                         for m in mentions], "tags": [], "emojis": [], "media_attachments": []}


@dataclass
class MastodonWorld:
    accounts: dict = field(default_factory=dict)  # username → Account
    statuses: dict = field(default_factory=dict)  # account id → statuses, newest first
    followers: dict = field(default_factory=dict)  # account id → Accounts
    following: dict = field(default_factory=dict)  # account id → Accounts it follows
    favourited_by: dict = field(default_factory=dict)  # status id → Accounts
    reblogged_by: dict = field(default_factory=dict)
    lookup_needs_token: set = field(default_factory=set)  # usernames whose lookup answers 401
    search: dict = field(default_factory=dict)  # q → Accounts
    members: list = field(default_factory=list)
    page_size: int = 3
    headers: Callable[[str, dict], dict] | None = None  # extra headers per (path, query)

    def list_page(self, items: list, path: str, query: dict, server: FakeSocial) -> Answer:
        """Account lists page only through the Link header (here an opaque ``page`` token)."""
        start = int(query.get("page", 0))
        size = min(int(query.get("limit", 40)), self.page_size)
        links = [f'<{server.url}{path}?{urlencode({"limit": query.get("limit", 40), "since_id": "1"})}>; rel="prev"']
        if start + size < len(items):
            following = urlencode({"limit": query.get("limit", 40), "page": start + size})
            links.insert(0, f'<{server.url}{path}?{following}>; rel="next"')
        return 200, {"Link": ", ".join(links)}, items[start:start + size]

    def by_id(self, account_id: str) -> dict | None:
        return next((a for a in self.accounts.values() if a["id"] == account_id), None)

    def app(self, path: str, query: dict, server: FakeSocial) -> Answer:
        status, headers, body = self.answer(path, query, server)
        return status, {**headers, **(self.headers(path, query) if self.headers else {})}, body

    def answer(self, path: str, query: dict, server: FakeSocial) -> Answer:
        segments = [s for s in path.split("/") if s]
        if path == "/api/v1/accounts/lookup":
            user = query.get("acct", "")
            if user in self.lookup_needs_token:
                return 401, {}, {"error": "This method requires an authenticated user"}
            if user in self.accounts:
                return 200, {}, self.accounts[user]
            return 404, {}, {"error": "Record not found"}
        if path == "/api/v2/search":
            q = query.get("q", "")
            found = self.search.get(q) or [a for a in self.accounts.values() if q == f"{a['username']}@{server.host}"]
            return 200, {}, {"accounts": found, "statuses": [], "hashtags": []}
        if segments[:3] == ["api", "v1", "accounts"] and len(segments) == 5:
            account_id, what = segments[3], segments[4]
            if what == "statuses":
                items = self.statuses.get(account_id, [])
                if "max_id" in query:
                    items = [s for s in items if int(s["id"]) < int(query["max_id"])]
                return 200, {}, items[:min(int(query.get("limit", 20)), 40)]
            if what == "followers":
                return self.list_page(self.followers.get(account_id, []), path, query, server)
            if what == "following":
                account = self.by_id(account_id)
                if account is not None and account.get("hide_collections"):
                    return 403, {}, {"error": "This action is not allowed"}
                return self.list_page(self.following.get(account_id, []), path, query, server)
        if segments[:3] == ["api", "v1", "statuses"] and len(segments) == 5:
            status_id, what = segments[3], segments[4]
            source = self.favourited_by if what == "favourited_by" else self.reblogged_by
            return self.list_page(source.get(status_id, []), path, query, server)
        return 404, {}, {"error": "Record not found"}


def mastodon_world(base: str, host: str) -> MastodonWorld:
    """alice (seed) boosts carol and mentions bob; bob hides his followers; carol's list comes back
    empty though she has followers; dave's lookup needs a token; ghost does not exist."""
    world = MastodonWorld()
    alice = masto_account("alice", base, followers=2500)
    bob = masto_account("bob", base, followers=900, hide=True)
    carol = masto_account("carol", base, followers=12)
    dave = masto_account("dave", base, followers=0)
    for account in (alice, bob, carol, dave):
        world.accounts[account["username"]] = account
    world.lookup_needs_token.add("dave")
    zed = {"id": "999", "username": "zed", "acct": "Zed@Remote.Example", "url": "https://remote.example/@zed"}

    carol_post = masto_status(carol, 300, "<p>carol's post</p>", "2026-10-01T09:00:00.000Z", reblogs=1)
    world.statuses[alice["id"]] = [
        masto_status(alice, 208, '<p>Hello <span class="h-card"><a href="x" class="u-url mention">@<span>bob'
                     "</span></a></span> &amp; friends<br>second line</p>", "2026-10-08T10:00:00.000Z",
                     favourites=3, reblogs=2, replies=1, mentions=[bob]),
        masto_status(alice, 207, "<p>@carol yes</p>", "2026-10-07T10:00:00.000Z", favourites=1, mentions=[carol],
                     in_reply_to=carol),
        masto_status(alice, 206, "", "2026-10-06T10:00:00.000Z", reblog=carol_post),
        *[masto_status(alice, 205 - i, f"<p>post {5 - i}</p>", f"2026-10-0{5 - i}T10:00:00.000Z", favourites=i)
          for i in range(5)],
    ]
    world.statuses[bob["id"]] = [masto_status(bob, 400, "<p>hi @zed</p>", "2026-10-02T10:00:00.000Z",
                                              mentions=[zed])]
    world.statuses[carol["id"]] = [carol_post]
    world.statuses[dave["id"]] = [masto_status(dave, 500, "<p>dave</p>", "2026-09-02T10:00:00.000Z")]

    followers = [masto_account(f"fan{i}", base if i % 2 else "https://other.example", avatar=i != 1,
                               note="" if i == 2 else "<p>bio</p>", acct=None if i % 2 else f"fan{i}@other.example",
                               **({"moved": {"id": "1"}} if i == 3 else {})) for i in range(7)]
    world.followers[alice["id"]] = followers
    world.followers[carol["id"]] = []  # counted 12, listed none: hidden
    likers = [followers[0], masto_account("liker1", base)]
    world.favourited_by["208"] = likers
    booster = masto_account("booster1", base)
    world.reblogged_by["208"] = [booster]
    world.members = [*followers, *likers, booster]
    world.search["writers"] = [alice, bob]
    return world


# crawls through the CLI -------------------------------------------------------------------------
@dataclass
class Crawl:
    db: Path
    server: FakeSocial
    world: object
    stdout: str
    stderr: str
    returncode: int
    seconds: float


def crawl(platform: str, world_factory, args: list[str], tmp: Path, faults: dict | None = None) -> Crawl:
    holder = {}

    def app(path, query, server):
        return holder["world"].app(path, query, server)

    with FakeSocial(app, faults) as server:
        holder["world"] = world_factory(server)
        db = tmp / f"{platform}.db"
        started = time.monotonic()
        result = run_cli("crawl", platform, *args, "--delay", "0", "--quiet", "--db", str(db),
                         "--base-url", server.url, env={"PAGESCOUT_BACKOFF_BASE": "0.1"}, timeout=60)
        seconds = time.monotonic() - started
    return Crawl(db, server, holder["world"], result.stdout, result.stderr, result.returncode, seconds)


def _reset_in(seconds: float, iso: bool = False):
    def value():
        when = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        return when.isoformat().replace("+00:00", "Z") if iso else str(int(when.timestamp()) + 1)
    return value


@pytest.fixture(scope="session")
def bluesky_crawl(tmp_path_factory) -> Crawl:
    # bob's profile is refused once, with Retry-After.
    faults = {"/xrpc/app.bsky.actor.getProfile?actor=bob.bsky.social": [(429, {"Retry-After": "1"})]}

    def headers(path, query):
        # alice's profile answer says one request is left until the window resets (1–2 s from now).
        if path.endswith("getProfile") and query.get("actor") == "alice.bsky.social":
            return {"RateLimit-Limit": "3000", "RateLimit-Remaining": "1", "RateLimit-Reset": _reset_in(1.0),
                    "RateLimit-Policy": "3000;w=300"}
        return {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2900", "RateLimit-Reset": _reset_in(300)}

    def world(server):
        made = bluesky_world()
        made.headers = headers
        return made

    seeds = ["alice.bsky.social", did("erin"), "@ghost.bsky.social"]
    return crawl("bluesky", world, [*seeds, "--depth", "1", "--max-posts", "6", "--audience-limit", "5"],
                 tmp_path_factory.mktemp("bluesky"), faults)


@pytest.fixture(scope="session")
def bluesky_search_crawl(tmp_path_factory) -> Crawl:
    return crawl("bluesky", lambda server: bluesky_world(), ["--search", "quarto", "--audience-limit", "0"],
                 tmp_path_factory.mktemp("bluesky_search"))


@pytest.fixture(scope="session")
def mastodon_crawl(tmp_path_factory) -> Crawl:
    def headers(path, query):
        # alice's lookup answer has no request left in the window, which resets in a second (ISO time).
        remaining = "0" if path == "/api/v1/accounts/lookup" and query.get("acct") == "alice" else "250"
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": remaining,
                "X-RateLimit-Reset": _reset_in(1.0, iso=True)}

    def world(server):
        made = mastodon_world(server.url, server.host)
        made.headers = headers
        return made

    return crawl("mastodon", world, ["alice", "dave", "ghost", "--depth", "1", "--max-posts", "6",
                                     "--audience-limit", "5"], tmp_path_factory.mktemp("mastodon"))
