"""Bluesky accounts through the public AppView ``https://public.api.bsky.app/xrpc/`` (no key, no login).

Per account: the profile (``app.bsky.actor.getProfile``: followers, follows and posts counts, creation
date, avatar, bio), its feed (``app.bsky.feed.getAuthorFeed``, cursor-paged up to ``--max-posts``) and a
sample of its audience: followers (``app.bsky.graph.getFollowers``), and likers and reposters of its
most recent posts (``app.bsky.feed.getLikes`` / ``getRepostedBy``).

Posts: ``likes`` = likeCount, ``comments`` = replyCount, ``reposts`` = repostCount + quoteCount (a
quote is a repost with a comment: both spread the post). Replies are posts of kind ``reply``, posts
quoting another post kind ``quote``. Reposts of other accounts' posts are not posts of the reposter
(their counts belong to the original): they become ``repost`` links, as quotes and mentions become
``quote`` and ``mention`` links. Replies give no link: whom an account answers is mostly its
commenters, that is its audience, not pages. A link always names a handle: where only a DID is known
(a mention whose text does not spell the handle, an author whose handle does not verify) the link is
dropped and counted (``pagescout/bluesky/did_link_dropped``), never stored or followed by ``--depth``.

Paging: the feed is paged until ``--max-posts`` own posts, but never past the budget of
``crawler.social.more_pages`` (3 × max_posts feed items of any kind, or max(3, ceil(max_posts / 100)) + 2
pages), so a feed of mostly reposts ends too. A failing later page (an older cursor) is counted in
``pagescout/errors/<code>`` and ends the paging; only the profile and the first feed page mark an account
unavailable. The account itself is never counted among its own likers or reposters.

What Bluesky does not show: views, who follows whom beyond the first pages we sample, the follower
counts of followers (its follower lists carry profiles without counts).

Handles are Bluesky handles lower-cased (``alice.bsky.social``); an account whose handle no longer
verifies (``handle.invalid``) is stored under its DID.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import scrapy

from crawler.basespider import SeedError
from crawler.items import Account, Link, Post
from crawler.social import SEARCH_RESULTS, AudienceSpider, day_of, json_body, more_pages, parse_time

# atproto handle syntax: dot-separated labels of letters, digits and inner hyphens; the last label (TLD)
# starts with a letter.
HANDLE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.\-%:]+)$")
BSKY_HOSTS = {"bsky.app", "www.bsky.app", "staging.bsky.app"}
PAGE = 100  # the largest page every list method of the AppView accepts


def author_handle(author: dict | None) -> str | None:
    """Lower-cased handle of a profile view, or its DID where the handle does not verify."""
    if not author:
        return None
    handle = (author.get("handle") or "").lower()
    if not handle or handle == "handle.invalid":
        return author.get("did")
    return handle


def post_rkey(uri: str | None) -> str | None:
    """The record key (last part) of a post's ``at://`` URI: unique among one author's posts."""
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None


def quoted_author(embed: dict | None) -> str | None:
    """Author of the post a post quotes (record or record-with-media embed), if it can be seen."""
    if not embed:
        return None
    kind = embed.get("$type", "")
    if kind == "app.bsky.embed.record#view":
        record = embed.get("record")
    elif kind == "app.bsky.embed.recordWithMedia#view":
        record = (embed.get("record") or {}).get("record")
    else:
        return None
    # Blocked, deleted or detached quotes, lists and feeds carry other view types: not a quoted post.
    if record and record.get("$type") == "app.bsky.embed.record#viewRecord":
        return author_handle(record.get("author"))
    return None


def member_signals(profile: dict) -> dict:
    """Quality signals of an audience member's profile view (no counts: list views do not carry them)."""
    return {
        "has_avatar": bool(profile.get("avatar")),
        "has_description": bool((profile.get("description") or "").strip()),
        "created_at": day_of(profile.get("createdAt")),
    }


class BlueskySpider(AudienceSpider):
    name = "bluesky"
    platform = "bluesky"
    default_base_url = "https://public.api.bsky.app"
    # Bluesky allows 3,000 requests per 5 minutes per IP (10 a second): 0.1 s apart is the floor.
    min_delay = 0.1
    followers_kind = "followers"
    # Errors come back as 4xx with a JSON {error, message}: the callbacks read them.
    handle_httpstatus_list = [400, 401, 403, 404, 410]

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        text = seed.strip()
        candidate = text
        if "bsky.app" in text or text.startswith(("http://", "https://")):
            parts = urlsplit(text if "//" in text else f"//{text}")
            segments = [unquote(s) for s in parts.path.split("/") if s]
            if parts.hostname in BSKY_HOSTS and len(segments) >= 2 and segments[0] == "profile":
                candidate = segments[1]
            else:
                candidate = ""
        elif text.startswith("at://"):
            candidate = text.removeprefix("at://").split("/", 1)[0]
        candidate = candidate.removeprefix("@").lower()
        if DID.match(candidate) or HANDLE.match(candidate):
            return candidate
        raise SeedError(
            f"'{seed}' is not a Bluesky account: use its full handle (alice.bsky.social), @alice.bsky.social, "
            "https://bsky.app/profile/alice.bsky.social or its DID (did:plc:…)"
        )

    def xrpc(self, method: str, **params) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.base_url}/xrpc/{method}?{query}"

    # requests --------------------------------------------------------------------------------
    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        return scrapy.Request(
            self.xrpc("app.bsky.actor.getProfile", actor=handle),
            callback=self.parse_profile,
            errback=self.on_error,
            cb_kwargs={"handle": handle, "hop": hop},
            meta={"handle": handle},
        )

    def search_request(self, query: str) -> scrapy.Request:
        return scrapy.Request(
            self.xrpc("app.bsky.actor.searchActors", q=query, limit=SEARCH_RESULTS),
            callback=self.parse_search,
            errback=self.on_audience_error,
        )

    def feed_request(self, handle: str, did: str, hop: int, cursor: str | None = None, taken: int = 0,
                     engaged: int = 0, page: int = 1, seen: int = 0) -> scrapy.Request:
        limit = min(PAGE, max(1, self.max_posts - taken))
        return scrapy.Request(
            self.xrpc("app.bsky.feed.getAuthorFeed", actor=did, limit=limit, cursor=cursor),
            callback=self.parse_feed,
            # A failing first page marks the account; a failing later page only loses the older posts.
            errback=self.on_error if cursor is None else self.on_audience_error,
            cb_kwargs={"handle": handle, "did": did, "hop": hop, "taken": taken, "engaged": engaged,
                       "page": page, "seen": seen},
            meta={"handle": handle} if cursor is None else {},
            # Older pages are fetched before new accounts so each account completes early.
            priority=1 if cursor else 0,
        )

    def audience_request(self, method: str, kind: str, handle: str, cursor: str | None = None,
                         **params) -> scrapy.Request:
        limit = min(PAGE, max(1, self.audience_room(handle, kind)))
        return scrapy.Request(
            self.xrpc(method, **params, limit=limit, cursor=cursor),
            callback=self.parse_audience,
            errback=self.on_audience_error,
            cb_kwargs={"handle": handle, "kind": kind, "method": method, "params": params},
            priority=-1,  # posts first: the audience is the slowest part and the least needed to rank
        )

    # errors ----------------------------------------------------------------------------------
    def xrpc_error(self, response) -> tuple[str, str]:
        """``(reason, code)`` for an XRPC error answer (``{"error": Name, "message": …}``)."""
        body = json_body(response)
        body = body if isinstance(body, dict) else {}
        error, message = body.get("error") or "", body.get("message") or ""
        detail = f" ({message})" if message else ""
        if error in ("BlockedActor", "BlockedByActor"):
            return f"blocked: {error}{detail}", "blocked"
        if error == "AccountTakedown":
            return f"taken down by Bluesky moderation{detail}", "suspended"
        if error == "AccountDeactivated":
            return f"deactivated by its owner{detail}", "deactivated"
        if response.status in (404, 410) or "not found" in message.lower():
            return f"not found (HTTP {response.status}{': ' + message if message else ''})", "not_found"
        if response.status in (401, 403):
            return f"needs login (HTTP {response.status}{': ' + error if error else ''})", "auth_required"
        return f"HTTP {response.status}{': ' + error if error else ''}{detail}", f"http_{response.status}"

    # callbacks -------------------------------------------------------------------------------
    def parse_search(self, response):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            self.crawler.stats.inc_value(f"pagescout/errors/search_http_{response.status}")
            return
        actors = body.get("actors") or []  # null in some answers
        yield from self.found_by_search(author_handle(a) for a in actors if isinstance(a, dict))

    def parse_profile(self, response, handle: str, hop: int):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict) or not body.get("did"):
            reason, code = self.xrpc_error(response) if response.status != 200 else ("answer is not a profile", "bad_answer")
            yield self.unavailable(handle, reason, code)
            return
        account = self.parse_account(body)
        if account.handle != handle:
            self.crawler.stats.inc_value("pagescout/bluesky/handle_resolved")
        yield account
        yield self.snapshot(account)
        did = body["did"]
        yield self.feed_request(account.handle, did, hop)
        if self.audience_limit > 0:
            yield self.audience_request("app.bsky.graph.getFollowers", "follower", account.handle, actor=did)

    def parse_account(self, profile: dict) -> Account:
        handle = author_handle(profile)
        verification = profile.get("verification")
        return Account(
            platform=self.platform,
            handle=handle,
            name=(profile.get("displayName") or "").strip() or None,
            url=f"https://bsky.app/profile/{handle}",
            description=profile.get("description") or None,
            followers=profile.get("followersCount"),
            followers_kind=self.followers_kind,
            # The AppView leaves ``verification`` out for accounts no trusted verifier has verified.
            verified=(verification or {}).get("verifiedStatus") == "valid",
            avatar=profile.get("avatar") or None,
            created_at=parse_time(profile.get("createdAt")),
            follows=profile.get("followsCount"),
            posts_total=profile.get("postsCount"),
        )

    def parse_feed(self, response, handle: str, did: str, hop: int, taken: int, engaged: int, page: int = 1,
                   seen: int = 0):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            reason, code = self.xrpc_error(response) if response.status != 200 else ("answer is not a feed", "bad_answer")
            if page > 1 or "cursor" in parse_qs(urlsplit(response.url).query):
                # A later page: the profile and the newer posts are stored; keep them, stop paging.
                self.later_page_failed(code)
                return
            yield self.unavailable(handle, f"posts: {reason}", code)
            return
        feed = [entry for entry in body.get("feed") or [] if isinstance(entry, dict)]
        discovered = set()
        for entry in feed:
            if taken >= self.max_posts:
                break
            seen += 1
            post, links, uri, repost_count = self.parse_feed_item(entry, handle)
            for link in links:
                yield link
                if link.kind in ("repost", "quote", "mention"):
                    discovered.add(link.dst)
            if post is None:
                continue
            yield post
            taken += 1
            if engaged < self.engagers_posts and self.audience_limit > 0:
                engaged += 1
                if post.likes:
                    yield self.audience_request("app.bsky.feed.getLikes", "liker", handle, uri=uri)
                if repost_count:
                    yield self.audience_request("app.bsky.feed.getRepostedBy", "reposter", handle, uri=uri)
        cursor = body.get("cursor")
        if feed and cursor and taken < self.max_posts:
            if more_pages(page, seen, self.max_posts, PAGE):
                yield self.feed_request(handle, did, hop, cursor=cursor, taken=taken, engaged=engaged, page=page + 1,
                                        seen=seen)
            else:
                self.crawler.stats.inc_value("pagescout/bluesky/feed_page_budget_reached")
        yield from self.expand(handle, hop, sorted(discovered - {handle}))

    def parse_feed_item(self, entry: dict, handle: str) -> tuple[Post | None, list[Link], str | None, int | None]:
        """``(Post or None, links, the post's at:// URI, its repostCount)`` for one feed entry."""
        post = entry.get("post") or {}
        uri = post.get("uri")
        rkey = post_rkey(uri)
        author = author_handle(post.get("author"))
        reason = (entry.get("reason") or {})
        if reason.get("$type") == "app.bsky.feed.defs#reasonRepost":
            at = parse_time(reason.get("indexedAt"))
            author = self.link_target(author)
            links = [Link(self.platform, handle, author, "repost", rkey, at)] if author and author != handle else []
            return None, links, uri, None
        if not rkey or author != handle:
            self.crawler.stats.inc_value("pagescout/bluesky/foreign_feed_item")
            return None, [], uri, None
        record = post.get("record") or {}
        published = parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt"))
        text = record.get("text") or None
        links = []
        kind = "post"
        if record.get("reply"):
            # No link to the parent's author: those answered are mostly commenters (audience), not pages.
            kind = "reply"
        quoted = quoted_author(post.get("embed"))
        if quoted:
            kind = "quote" if kind == "post" else kind
            quoted = self.link_target(quoted)
            if quoted and quoted != handle:
                links.append(Link(self.platform, handle, quoted, "quote", rkey, published))
        mentioned = set()
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    mentioned.add(self.mentioned_handle(text or "", facet.get("index") or {}, feature.get("did")))
        mentioned -= {handle, None}
        links.extend(Link(self.platform, handle, other, "mention", rkey, published) for other in sorted(mentioned))
        reposts = [n for n in (post.get("repostCount"), post.get("quoteCount")) if n is not None]
        item = Post(
            platform=self.platform,
            account=handle,
            post_id=rkey,
            url=f"https://bsky.app/profile/{handle}/post/{rkey}",
            published_at=published,
            text=text,
            views=None,
            likes=post.get("likeCount"),
            comments=post.get("replyCount"),
            reposts=sum(reposts) if reposts else None,
            kind=kind,
        )
        return item, links, uri, post.get("repostCount")

    def link_target(self, handle: str | None) -> str | None:
        """``handle`` as a link's ``dst``, or ``None`` for a raw DID (dropped and counted, never followed)."""
        if handle and handle.startswith("did:"):
            self.crawler.stats.inc_value("pagescout/bluesky/did_link_dropped")
            return None
        return handle

    def mentioned_handle(self, text: str, index: dict, did: str | None) -> str | None:
        """The handle a mention facet points at, read from the post text it spans (``@handle``).

        Facets name the DID only; the text at the facet's UTF-8 byte range holds the handle as written.
        Where it does not, the mention is dropped (``None``) and counted: a raw DID is never a link.
        """
        try:
            span = text.encode("utf-8")[int(index["byteStart"]):int(index["byteEnd"])].decode("utf-8")
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            span = ""
        name = span.strip().removeprefix("@").lower()
        if HANDLE.match(name):
            return name
        self.crawler.stats.inc_value("pagescout/bluesky/mention_without_handle")
        return self.link_target(did) if did else None

    def parse_audience(self, response, handle: str, kind: str, method: str, params: dict):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            reason, code = self.xrpc_error(response)
            self.crawler.stats.inc_value(f"pagescout/errors/audience_{code}")
            return
        if kind == "follower":
            profiles = body.get("followers") or []
            ats = [None] * len(profiles)
        elif kind == "liker":
            likes = body.get("likes") or []
            profiles = [like.get("actor") or {} for like in likes]
            ats = [day_of(like.get("createdAt")) for like in likes]
        else:
            profiles = body.get("repostedBy") or []
            ats = [None] * len(profiles)
        own_did = params.get("actor") or (params.get("uri") or "").removeprefix("at://").split("/", 1)[0]
        for profile, at in zip(profiles, ats):
            if self.audience_room(handle, kind) <= 0:
                return
            if not isinstance(profile, dict):
                continue
            if profile.get("did") == own_did or author_handle(profile) == handle:
                # The account liking or reposting its own post is not its audience.
                self.crawler.stats.inc_value("pagescout/bluesky/self_engagement_skipped")
                continue
            member = self.member(handle, kind, profile.get("did"), at=at, **member_signals(profile))
            if member is not None:
                yield member
        cursor = body.get("cursor")
        if profiles and cursor and self.audience_room(handle, kind) > 0:
            yield self.audience_request(method, kind, handle, cursor=cursor, **params)
