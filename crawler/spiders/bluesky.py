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
verifies (``handle.invalid``), or whose handle is not of a handle's shape, is stored under its DID.

Every value kept passes through the typed readers (crawler.fields): refusals are counted in
``pagescout/invalid/bluesky/<field>`` and the rest is stored. A post without a usable ``at://`` URI
(``…/post_id``), an audience member without a usable DID (``…/member_id``) and a cursor that is not short
text (``…/cursor``: paging ends) are skipped. A profile answer that is no JSON object or has no usable DID,
and a first feed page that is no JSON object, raise ``InvalidAnswer`` (the account is stored unavailable,
"invalid answer: profile has no usable did").
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import scrapy

from crawler.basespider import InvalidAnswer, SeedError
from crawler.fields import INTERACTION_CAP, as_count, as_dict, as_list, clean_text
from crawler.gather import MAX_PROFILE_LOOKUPS, FollowGatherer
from crawler.items import Account, Link, Post
from crawler.social import SEARCH_RESULTS, AudienceSpider, day_of, json_body, more_pages

# atproto handle syntax: dot-separated labels of letters, digits and inner hyphens; the last label (TLD)
# starts with a letter.
HANDLE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.\-%:]{1,253})$")
# A post's at:// URI: its author's DID (or handle), the post collection, the record key ("." and ".." are
# none). Bounded, with the cursor, so that no request for its likers passes Scrapy's URL length limit.
POST_URI = re.compile(r"^(?=.{1,300}$)at://[A-Za-z0-9.:%_-]+/app\.bsky\.feed\.post/(?!\.{1,2}$)([A-Za-z0-9._:~-]+)$")
BSKY_HOSTS = {"bsky.app", "www.bsky.app", "staging.bsky.app"}
PAGE = 100  # the largest page every list method of the AppView accepts
PROFILES_BATCH = 25  # app.bsky.actor.getProfiles takes at most 25 actors
# Cursors are opaque, but go into the next request's URL (the AppView's are a timestamp or a record key).
CURSOR_MAX = 250


def post_rkey(uri) -> str | None:
    """The record key (last part) of a post's ``at://`` URI: unique among one author's posts."""
    match = POST_URI.match(uri.rstrip("/")) if isinstance(uri, str) else None
    return match.group(1) if match else None


class BlueskySpider(FollowGatherer, AudienceSpider):
    name = "bluesky"
    platform = "bluesky"
    default_base_url = "https://public.api.bsky.app"
    # Bluesky allows 3,000 requests per 5 minutes per IP (10 a second): 0.1 s apart is the floor.
    min_delay = 0.1
    # Errors come back as 4xx with a JSON {error, message}: the callbacks read them.
    handle_httpstatus_list = [400, 401, 403, 404, 410]
    answer_kind = "json"

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

    # readers ---------------------------------------------------------------------------------
    def handle_of(self, profile) -> str | None:
        """Lower-cased handle of a profile view, or its DID where the handle does not verify; ``None`` when
        neither is usable. A handle or DID of the wrong type or shape is counted
        (``pagescout/invalid/bluesky/handle``, ``…/did``)."""
        profile = as_dict(profile)
        handle = profile.get("handle")
        if isinstance(handle, str) and handle.strip().lower() != "handle.invalid":
            handle = handle.strip().lower()
            if HANDLE.match(handle):
                return handle
            self.fields.invalid("handle")
        elif handle is not None and not isinstance(handle, str):
            self.fields.invalid("handle")
        did = profile.get("did")
        if isinstance(did, str) and DID.match(did):
            return did
        self.fields.invalid("did")
        return None

    def quoted_author(self, embed) -> str | None:
        """Author of the post a post quotes (record or record-with-media embed), if it can be seen."""
        embed = as_dict(embed)
        kind = embed.get("$type")
        if kind == "app.bsky.embed.record#view":
            record = as_dict(embed.get("record"))
        elif kind == "app.bsky.embed.recordWithMedia#view":
            record = as_dict(as_dict(embed.get("record")).get("record"))
        else:
            return None
        # Blocked, deleted or detached quotes, lists and feeds carry other view types: not a quoted post.
        if record.get("$type") == "app.bsky.embed.record#viewRecord":
            return self.handle_of(record.get("author"))
        return None

    def member_signals(self, profile: dict) -> dict:
        """Quality signals of an audience member's profile view (no counts: list views do not carry them).
        An avatar or bio of the wrong type is unknown (``None``), not absent."""
        avatar, description = profile.get("avatar"), profile.get("description")
        bio = self.fields.text(description, "description")
        return {
            "has_avatar": False if avatar in (None, "") else (True if self.fields.url(avatar, "avatar") else None),
            "has_description": (bio is not None) if description is None or isinstance(description, str) else None,
            "created_at": day_of(self.fields.date(profile.get("createdAt"), "created_at")),
        }

    def cursor_of(self, value) -> str | None:
        """The cursor for the next page; ``None`` (paging ends) when there is none or it is unusable."""
        if value is None or value == "":
            return None
        if isinstance(value, str) and len(value) <= CURSOR_MAX and clean_text(value, CURSOR_MAX) == value:
            return value
        self.fields.invalid("cursor")
        return None

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
            errback=self.on_side_error,
        )

    def feed_request(self, handle: str, did: str, hop: int, cursor: str | None = None, taken: int = 0,
                     engaged: int = 0, page: int = 1, seen: int = 0) -> scrapy.Request:
        limit = min(PAGE, max(1, self.max_posts - taken))
        return scrapy.Request(
            self.xrpc("app.bsky.feed.getAuthorFeed", actor=did, limit=limit, cursor=cursor),
            callback=self.parse_feed,
            # A failing first page marks the account; a failing later page only loses the older posts.
            errback=self.on_error if cursor is None else self.on_side_error,
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
            errback=self.on_side_error,
            cb_kwargs={"handle": handle, "kind": kind, "method": method, "params": params},
            priority=-1,  # posts first: the audience is the slowest part and the least needed to rank
        )

    # errors ----------------------------------------------------------------------------------
    def xrpc_error(self, response) -> tuple[str, str]:
        """``(reason, code)`` for an XRPC error answer (``{"error": Name, "message": …}``)."""
        body = as_dict(json_body(response))
        error = self.fields.text(body.get("error"), "reason", limit=100) or ""
        message = self.fields.text(body.get("message"), "reason", limit=300) or ""
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
        actors = as_list(body.get("actors"))  # null in some answers
        yield from self.found_by_search(self.handle_of(a) for a in actors if isinstance(a, dict))

    def parse_profile(self, response, handle: str, hop: int):
        """The account, then requests for its feed and followers. What can make the answer unusable is
        checked before the first item leaves, so posts never come without their account."""
        body = json_body(response)
        if response.status != 200:
            reason, code = self.xrpc_error(response)
            yield self.unavailable(handle, reason, code)
            return
        if not isinstance(body, dict):
            raise InvalidAnswer("profile is not a JSON object")
        did = body.get("did")
        if not isinstance(did, str) or not DID.match(did):
            raise InvalidAnswer("profile has no usable did")
        account = self.parse_account(body)
        if account.handle != handle:
            self.crawler.stats.inc_value("pagescout/bluesky/handle_resolved")
        yield account
        yield self.snapshot(account)
        if self.gathering and hop == 0:
            yield self.gather_started(account.handle)
        yield self.feed_request(account.handle, did, hop)
        if self.audience_limit > 0:
            yield self.audience_request("app.bsky.graph.getFollowers", "follower", account.handle, actor=did)

    def parse_account(self, profile: dict) -> Account:
        """The account of a profile view whose DID is usable (so it has a handle: the DID at worst)."""
        handle = self.handle_of(profile)
        verification = profile.get("verification")
        if verification is None:
            # The AppView leaves ``verification`` out for accounts no trusted verifier has verified.
            verified = False
        elif isinstance(verification, dict):
            verified = verification.get("verifiedStatus") == "valid"
        else:
            verified = self.fields.flag(verification, "verified")
        return Account(
            platform=self.platform,
            handle=handle,
            name=self.fields.text(profile.get("displayName"), "name"),
            url=f"https://bsky.app/profile/{handle}",
            description=self.fields.text(profile.get("description"), "description"),
            followers=self.fields.count(profile.get("followersCount"), "followers"),
            followers_kind=self.followers_kind,
            verified=verified,
            avatar=self.fields.url(profile.get("avatar"), "avatar"),
            created_at=self.fields.date(profile.get("createdAt"), "created_at"),
            follows=self.fields.count(profile.get("followsCount"), "follows"),
            posts_total=self.fields.count(profile.get("postsCount"), "posts_total"),
        )

    def parse_feed(self, response, handle: str, did: str, hop: int, taken: int, engaged: int, page: int = 1,
                   seen: int = 0):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            if page > 1 or "cursor" in parse_qs(urlsplit(response.url).query):
                # A later page: the profile and the newer posts are stored; keep them, stop paging.
                self.later_page_failed(self.xrpc_error(response)[1] if response.status != 200 else "bad_answer")
                return
            if response.status == 200:
                raise InvalidAnswer("feed is not a JSON object")
            reason, code = self.xrpc_error(response)
            yield self.unavailable(handle, f"posts: {reason}", code)
            return
        feed = [entry for entry in as_list(body.get("feed")) if isinstance(entry, dict)]
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
        cursor = self.cursor_of(body.get("cursor"))
        if feed and cursor and taken < self.max_posts:
            if more_pages(page, seen, self.max_posts, PAGE):
                yield self.feed_request(handle, did, hop, cursor=cursor, taken=taken, engaged=engaged, page=page + 1,
                                        seen=seen)
            else:
                self.crawler.stats.inc_value("pagescout/bluesky/feed_page_budget_reached")
        yield from self.expand(handle, hop, sorted(discovered - {handle}))

    def parse_feed_item(self, entry: dict, handle: str) -> tuple[Post | None, list[Link], str | None, int | None]:
        """``(Post or None, links, the post's at:// URI, its repostCount)`` for one feed entry; a post of
        ``handle`` without a usable URI is skipped, counted in ``pagescout/invalid/bluesky/post_id``."""
        post = as_dict(entry.get("post"))
        rkey = post_rkey(post.get("uri"))
        uri = post["uri"].rstrip("/") if rkey else None
        author = self.handle_of(post.get("author"))
        reason = as_dict(entry.get("reason"))
        if reason.get("$type") == "app.bsky.feed.defs#reasonRepost":
            at = self.fields.date(reason.get("indexedAt"), "at")
            author = self.link_target(author)
            links = [Link(self.platform, handle, author, "repost", rkey, at)] if author and author != handle else []
            return None, links, uri, None
        if author != handle:
            self.crawler.stats.inc_value("pagescout/bluesky/foreign_feed_item")
            return None, [], uri, None
        if not rkey:
            self.fields.invalid("post_id")
            return None, [], None, None
        record = as_dict(post.get("record"))
        published = self.fields.date(record.get("createdAt"), "published_at") or \
            self.fields.date(post.get("indexedAt"), "published_at")
        # Facets index the text as sent, in UTF-8 bytes: mentions are read from it, the post keeps it cleaned.
        raw_text = record.get("text") if isinstance(record.get("text"), str) else ""
        text = self.fields.text(record.get("text"), "text")
        links = []
        kind = "post"
        if record.get("reply"):
            # No link to the parent's author: those answered are mostly commenters (audience), not pages.
            kind = "reply"
        quoted = self.quoted_author(post.get("embed"))
        if quoted:
            kind = "quote" if kind == "post" else kind
            quoted = self.link_target(quoted)
            if quoted and quoted != handle:
                links.append(Link(self.platform, handle, quoted, "quote", rkey, published))
        mentioned = set()
        for facet in as_list(record.get("facets")):
            facet = as_dict(facet)
            for feature in as_list(facet.get("features")):
                feature = as_dict(feature)
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    mentioned.add(self.mentioned_handle(raw_text, as_dict(facet.get("index")), feature.get("did")))
        mentioned -= {handle, None}
        links.extend(Link(self.platform, handle, other, "mention", rkey, published) for other in sorted(mentioned))
        item = Post(
            platform=self.platform,
            account=handle,
            post_id=rkey,
            url=f"https://bsky.app/profile/{handle}/post/{rkey}",
            published_at=published,
            text=text,
            views=None,
            likes=self.fields.count(post.get("likeCount"), "likes"),
            comments=self.fields.count(post.get("replyCount"), "comments"),
            reposts=self.total("reposts", post.get("repostCount"), post.get("quoteCount")),
            kind=kind,
        )
        # Read quietly: the total above counted an unreadable repostCount already.
        return item, links, uri, as_count(post.get("repostCount"), INTERACTION_CAP)

    def link_target(self, handle: str | None) -> str | None:
        """``handle`` as a link's ``dst``, or ``None`` for a raw DID (dropped and counted, never followed)."""
        if handle and handle.startswith("did:"):
            self.crawler.stats.inc_value("pagescout/bluesky/did_link_dropped")
            return None
        return handle

    def mentioned_handle(self, text: str, index: dict, did) -> str | None:
        """The handle a mention facet points at, read from the post text it spans (``@handle``).

        Facets name the DID only; the text at the facet's UTF-8 byte range holds the handle as written.
        Where it does not, the mention is dropped (``None``) and counted: a raw DID is never a link.
        """
        start, end = as_count(index.get("byteStart"), 10**6), as_count(index.get("byteEnd"), 10**6)
        span = ""
        if start is not None and end is not None and start < end:
            try:
                # surrogatepass: a lone surrogate in the text must not end the page; its bytes do not decode.
                span = text.encode("utf-8", "surrogatepass")[start:end].decode("utf-8")
            except UnicodeDecodeError:
                span = ""
        name = span.strip().removeprefix("@").lower()
        if HANDLE.match(name):
            return name
        self.crawler.stats.inc_value("pagescout/bluesky/mention_without_handle")
        return self.link_target(did) if isinstance(did, str) and DID.match(did) else None

    # gather ------------------------------------------------------------------------------------
    profile_reserve = -(-MAX_PROFILE_LOOKUPS // PROFILES_BATCH)  # the candidates' lookups, in batches

    @classmethod
    def member_from_id(cls, member_id: str) -> dict:
        return {"id": cls.parse_seed(member_id)}

    def follows_request(self, member: dict) -> scrapy.Request:
        return self.follows_page(member["id"])

    def follows_page(self, member_id: str, cursor: str | None = None, pages_read: int = 0) -> scrapy.Request:
        return self.optional(scrapy.Request(
            self.xrpc("app.bsky.graph.getFollows", actor=member_id, limit=PAGE, cursor=cursor),
            callback=self.parse_follows, errback=self.follows_failed,
            cb_kwargs={"member_id": member_id, "pages_read": pages_read}), later=pages_read > 0)

    def parse_follows(self, response, member_id: str, pages_read: int):
        """One page of a sampled member's follows: every account is a page on Bluesky."""
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            code = self.xrpc_error(response)[1] if response.status != 200 else "invalid"
            hidden = code in ("blocked", "auth_required", "deactivated", "suspended") and not pages_read
            yield self.list_done(member_id, "hidden") if hidden else self.page_failed(member_id, pages_read)
            return
        subject = as_dict(body.get("subject")).get("did")
        if isinstance(subject, str) and DID.match(subject):
            member_id = subject  # a member named by handle is hashed by DID, as everywhere else
        follows = [as_dict(p) for p in as_list(body.get("follows"))]
        if not follows and pages_read == 0:
            yield self.list_done(member_id, "hidden")  # follows nobody
            return
        found = []
        for profile in follows:
            if handle := self.handle_of(profile):
                found.append((handle, {"name": self.fields.text(profile.get("displayName"), "name"),
                                       "description": self.fields.text(profile.get("description"), "description")}))
        yield from self.followed(member_id, found)
        cursor = self.cursor_of(body.get("cursor"))
        if follows and cursor and self.may_page_on(pages_read + 1):
            yield self.follows_page(member_id, cursor, pages_read + 1)
        else:
            yield self.list_done(member_id, "read")

    def profile_requests(self, handles: list[str]) -> list[scrapy.Request]:
        """Follow lists carry no counts: the candidates' profiles, 25 to a request (the API's most)."""
        return [scrapy.Request(f"{self.base_url}/xrpc/app.bsky.actor.getProfiles?"
                               + urlencode([("actors", h) for h in handles[i:i + PROFILES_BATCH]]),
                               callback=self.parse_profiles, errback=self.on_side_error)
                for i in range(0, len(handles), PROFILES_BATCH)]

    def parse_profiles(self, response):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            self.crawler.stats.inc_value(f"pagescout/errors/profiles_http_{response.status}")
            return
        for profile in as_list(body.get("profiles")):
            profile = as_dict(profile)
            if handle := self.handle_of(profile):
                self.page_details(handle, {
                    "name": self.fields.text(profile.get("displayName"), "name"),
                    "description": self.fields.text(profile.get("description"), "description"),
                    "url": f"https://bsky.app/profile/{handle}",
                    "followers": self.fields.count(profile.get("followersCount"), "followers")})

    def parse_audience(self, response, handle: str, kind: str, method: str, params: dict):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            reason, code = self.xrpc_error(response)
            self.crawler.stats.inc_value(f"pagescout/errors/audience_{code}")
            return
        if kind == "follower":
            profiles = as_list(body.get("followers"))
            ats = [None] * len(profiles)
        elif kind == "liker":
            likes = [as_dict(like) for like in as_list(body.get("likes"))]
            profiles = [like.get("actor") for like in likes]
            ats = [day_of(self.fields.date(like.get("createdAt"), "at")) for like in likes]
        else:
            profiles = as_list(body.get("repostedBy"))
            ats = [None] * len(profiles)
        own_did = params.get("actor") or (params.get("uri") or "").removeprefix("at://").split("/", 1)[0]
        for profile, at in zip(profiles, ats):
            if self.audience_room(handle, kind) <= 0:
                return
            profile = as_dict(profile)
            member_id = profile.get("did")
            if not isinstance(member_id, str) or not DID.match(member_id):
                self.fields.invalid("member_id")
                continue
            named = profile.get("handle")
            if member_id == own_did or (isinstance(named, str) and named.strip().lower() == handle):
                # The account liking or reposting its own post is not its audience.
                self.crawler.stats.inc_value("pagescout/bluesky/self_engagement_skipped")
                continue
            member = self.member(handle, kind, member_id, at=at, **self.member_signals(profile))
            if member is not None:
                yield member
                if self.gathering and kind == "follower" and self.is_target(handle):
                    self.join_sample(handle, {"id": member_id})
        cursor = self.cursor_of(body.get("cursor"))
        if profiles and cursor and self.audience_room(handle, kind) > 0:
            yield self.audience_request(method, kind, handle, cursor=cursor, **params)
