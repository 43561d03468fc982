"""Mastodon accounts through each instance's public REST API (no key where the instance allows it).

Per account, asked of its home instance (the one after the ``@``; ``--base-url`` for bare names):
the account (``/api/v1/accounts/lookup``, or ``/api/v2/search`` where lookup needs a token), its
statuses (``/api/v1/accounts/:id/statuses``, paged with ``max_id`` up to ``--max-posts``) and a sample
of its audience: followers (``/api/v1/accounts/:id/followers``, paged only through the ``Link``
header), and who favourited and boosted its most recent posts (``/api/v1/statuses/:id/favourited_by``
and ``/reblogged_by``).

Posts: ``likes`` = favourites_count, ``comments`` = replies_count, ``reposts`` = reblogs_count +
quotes_count (as for Bluesky). Boosts of other accounts' posts are not posts of the booster: they
become ``repost`` links. Mentions become ``mention`` links, except the account replied to (``reply``);
quoted posts' authors ``quote`` links.

What Mastodon does not show: views; the followers of accounts that hide them (``hide_collections``:
recorded as "audience hidden", not as an error); counts of remote accounts beyond what the home
instance has seen; anything on instances in whitelist mode (HTTP 401: recorded as unavailable).

Handles are always ``user@instance-host``, lower-case: ``gargron@mastodon.social``. An instance whose
account domain differs from its web host (``LOCAL_DOMAIN`` ≠ ``WEB_DOMAIN``) is named by the web host.
An ``acct`` an answer names (mention, boost, quote, follow, search result) is checked like a seed before it
becomes a link or a request: a user name and a host name, no port, path or fragment, and no IP address or
``localhost`` unless it is the ``--base-url`` host; others are dropped and counted
(``pagescout/mastodon/invalid_acct``).

Paging: statuses are paged until ``--max-posts`` own posts, within the budget of
``crawler.social.more_pages`` (3 × max_posts statuses of any kind, boosts included, or
max(3, ceil(max_posts / 40)) + 2 pages). A failing later page (``max_id``) is counted in
``pagescout/errors/<code>`` and ends the paging; only the lookup and the first statuses page mark an account
unavailable. The account itself is never counted among its own likers or reposters.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import scrapy

from crawler.basespider import SeedError
from crawler.items import Account, Link, Post
from crawler.social import (SEARCH_RESULTS, AudienceSpider, day_of, html_text, json_body, link_header_next,
                            more_pages, parse_time)

USER = re.compile(r"^[a-z0-9_][a-z0-9_.\-]{0,63}$")
HOST = re.compile(r"^(localhost|\d{1,3}(\.\d{1,3}){3}|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*)$")
STATUSES_PAGE = 40  # the API's largest page of statuses
ACCOUNTS_PAGE = 80  # … and of accounts (followers, favourited_by, reblogged_by)
# Mastodon's stand-in image for accounts that never set an avatar.
DEFAULT_AVATAR = "/avatars/original/missing.png"


def has_avatar(account: dict) -> bool:
    avatar = account.get("avatar_static") or account.get("avatar") or ""
    return bool(avatar) and not avatar.endswith(DEFAULT_AVATAR)


def member_signals(account: dict) -> dict:
    """Quality signals of an audience member's Account entity."""
    return {
        "has_avatar": has_avatar(account),
        "has_description": bool(html_text(account.get("note"))),
        "created_at": day_of(account.get("created_at")),
        "follows": account.get("following_count"),
        "followers": account.get("followers_count"),
        "posts": account.get("statuses_count"),
        "deactivated": bool(account.get("suspended") or account.get("memorial") or account.get("moved")),
        "last_seen": day_of(account.get("last_status_at")),
    }


def member_id(account: dict, served_by: str) -> str | None:
    """A member's id that is the same on every instance: the ActivityPub actor URI.

    Numeric ids are per instance; the same person follows accounts on many instances.
    """
    return account.get("uri") or account.get("url") or acct_handle(account.get("acct"), served_by)


def acct_handle(acct: str | None, served_by: str) -> str | None:
    """``user@host`` for an ``acct`` as the instance ``served_by`` writes it (bare ``user`` = its own)."""
    if not acct:
        return None
    acct = acct.strip().removeprefix("@").lower()
    return acct if "@" in acct else f"{acct}@{served_by}"


class MastodonSpider(AudienceSpider):
    name = "mastodon"
    platform = "mastodon"
    default_base_url = "https://mastodon.social"
    # Mastodon's default limit is 300 requests per 5 minutes (one a second) per IP for anonymous calls.
    min_delay = 1.0
    followers_kind = "followers"
    handle_httpstatus_list = [400, 401, 403, 404, 410, 422]

    def __init__(self, *args, discover_follows: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Discovery also walks the accounts each page follows (one page of them).
        self.discover_follows = bool(discover_follows)
        self.base_host = (urlsplit(self.base_url).hostname or "").lower()
        self.seeds = [self.qualify(handle) for handle in self.seeds]

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        """``user`` (an account of ``--base-url``) or ``user@host``, lower-case."""
        text = seed.strip()
        candidate = text.lower()
        if "/" in text:
            parts = urlsplit(text if "//" in text else f"//{text}")
            segments = [unquote(s) for s in parts.path.split("/") if s]
            host = (parts.hostname or "").lower()
            candidate = ""
            if segments and segments[0].startswith("@"):  # https://host/@user or https://host/@user@other
                user = segments[0].removeprefix("@").lower()
                candidate = user if "@" in user else f"{user}@{host}"
            elif len(segments) >= 2 and segments[0] == "users":  # https://host/users/user
                candidate = f"{segments[1].lower()}@{host}"
        candidate = candidate.removeprefix("@")
        user, at, host = candidate.partition("@")
        if USER.match(user) and (not at or HOST.match(host)):
            return candidate
        raise SeedError(
            f"'{seed}' is not a Mastodon account: use user@instance (gargron@mastodon.social), @user@instance, "
            "https://instance/@user, or user alone for an account of --base-url"
        )

    def checked(self, handle: str | None) -> str | None:
        """``handle`` (``user@host`` from an answer) if it may become a link or a request, else ``None``.

        As for seeds: a user name and a host name only (no port, path or fragment); an IP address or
        ``localhost`` only when it is the ``--base-url`` host. Dropped ones are counted.
        """
        if not handle:
            return None
        user, at, host = handle.partition("@")
        ok = bool(at) and bool(USER.match(user)) and bool(HOST.match(host))
        if ok and host != self.base_host:
            try:
                ipaddress.ip_address(host)
                ok = False
            except ValueError:
                ok = host != "localhost"
        if not ok:
            self.crawler.stats.inc_value("pagescout/mastodon/invalid_acct")
            return None
        return handle

    def qualify(self, handle: str) -> str:
        return handle if "@" in handle else f"{handle}@{self.base_host}"

    def instance_url(self, host: str) -> str:
        """Root URL of the instance ``host``: ``--base-url`` for its own host, else ``https://host``."""
        return self.base_url if host == self.base_host else f"https://{host}"

    # requests --------------------------------------------------------------------------------
    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        user, _, host = self.qualify(handle).partition("@")
        return scrapy.Request(
            f"{self.instance_url(host)}/api/v1/accounts/lookup?acct={quote(user)}",
            callback=self.parse_lookup,
            errback=self.on_error,
            cb_kwargs={"handle": handle, "hop": hop},
            meta={"handle": handle},
        )

    def search_request(self, query: str) -> scrapy.Request:
        params = urlencode({"type": "accounts", "q": query, "limit": SEARCH_RESULTS})
        return scrapy.Request(f"{self.base_url}/api/v2/search?{params}", callback=self.parse_search,
                              errback=self.on_audience_error)

    def statuses_request(self, handle: str, instance: str, account_id: str, hop: int, max_id: str | None = None,
                         taken: int = 0, engaged: int = 0, page: int = 1, seen: int = 0) -> scrapy.Request:
        params = {"limit": min(STATUSES_PAGE, max(1, self.max_posts - taken))}
        if max_id:
            params["max_id"] = max_id
        return scrapy.Request(
            f"{instance}/api/v1/accounts/{account_id}/statuses?{urlencode(params)}",
            callback=self.parse_statuses,
            errback=self.on_error if max_id is None else self.on_audience_error,
            cb_kwargs={"handle": handle, "instance": instance, "account_id": account_id, "hop": hop,
                       "taken": taken, "engaged": engaged, "page": page, "seen": seen},
            meta={"handle": handle} if max_id is None else {},
            priority=1 if max_id else 0,
        )

    def audience_request(self, url: str, kind: str, handle: str, expected: int | None = None,
                         first: bool = True) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_audience,
            errback=self.on_audience_error,
            cb_kwargs={"handle": handle, "kind": kind, "expected": expected, "first": first},
            priority=-1,
        )

    # callbacks -------------------------------------------------------------------------------
    def parse_search(self, response):
        body = json_body(response)
        if response.status != 200 or not isinstance(body, dict):
            self.crawler.stats.inc_value(f"pagescout/errors/search_http_{response.status}")
            return
        served_by = urlsplit(response.url).hostname
        accounts = body.get("accounts") or []  # null in some answers
        yield from self.found_by_search(self.checked(acct_handle(a.get("acct"), served_by))
                                        for a in accounts if isinstance(a, dict))

    def parse_lookup(self, response, handle: str, hop: int):
        if response.status in (401, 403):
            # Lookup needs a token on some instances; search finds the account without one on many.
            self.crawler.stats.inc_value(f"pagescout/mastodon/lookup_http_{response.status}")
            user, _, host = self.qualify(handle).partition("@")
            params = urlencode({"type": "accounts", "q": f"{user}@{host}", "limit": 5})
            yield scrapy.Request(
                f"{self.instance_url(host)}/api/v2/search?{params}",
                callback=self.parse_lookup_search,
                errback=self.on_error,
                cb_kwargs={"handle": handle, "hop": hop},
                meta={"handle": handle},
            )
            return
        yield from self.parse_account_answer(response, handle, hop, json_body(response))

    def parse_lookup_search(self, response, handle: str, hop: int):
        body = json_body(response)
        if response.status == 200 and isinstance(body, dict):
            served_by = urlsplit(response.url).hostname
            wanted = self.qualify(handle)
            found = [a for a in body.get("accounts") or [] if acct_handle(a.get("acct"), served_by) == wanted]
            if not found:
                yield self.unavailable(handle, "not found (lookup needs a token; search found no such account)",
                                       "not_found")
                return
            yield from self.parse_account_answer(response, handle, hop, found[0])
            return
        yield from self.parse_account_answer(response, handle, hop, body)

    def answer_error(self, response, body) -> tuple[str, str]:
        """``(reason, code)`` for a failed answer (``{"error": "…"}``)."""
        message = body.get("error") if isinstance(body, dict) else None
        detail = f": {message}" if message else ""
        if response.status in (404, 410):
            return f"not found (HTTP {response.status}{detail})", "not_found"
        if response.status in (401, 403):
            return (f"the instance shows it only to logged-in users (HTTP {response.status}{detail}): "
                    "whitelist mode or a token needed"), "auth_required"
        return f"HTTP {response.status}{detail}", f"http_{response.status}"

    def parse_account_answer(self, response, handle: str, hop: int, data):
        if response.status != 200 or not isinstance(data, dict) or not data.get("id"):
            reason, code = self.answer_error(response, data) if response.status != 200 else (
                "answer is not an account", "bad_answer")
            yield self.unavailable(handle, reason, code)
            return
        handle = self.qualify(handle)
        if data.get("suspended"):
            yield self.unavailable(handle, "suspended by its instance", "suspended")
            return
        account = self.parse_account(data, handle)
        yield account
        yield self.snapshot(account)
        host = handle.partition("@")[2]
        instance = self.instance_url(host)
        account_id = str(data["id"])
        yield self.statuses_request(handle, instance, account_id, hop)
        if self.discover_follows and hop < self.depth:
            params = urlencode({"limit": ACCOUNTS_PAGE})
            yield scrapy.Request(f"{instance}/api/v1/accounts/{account_id}/following?{params}",
                                 callback=self.parse_following, errback=self.on_audience_error,
                                 cb_kwargs={"handle": handle, "hop": hop})
        if self.audience_limit <= 0:
            return
        if data.get("hide_collections"):
            self.audience_hidden(handle, "the account hides its followers (hide_collections)")
            return
        params = urlencode({"limit": min(ACCOUNTS_PAGE, self.audience_room(handle, "follower"))})
        yield self.audience_request(f"{instance}/api/v1/accounts/{account_id}/followers?{params}", "follower",
                                    handle, expected=data.get("followers_count"))

    def parse_account(self, data: dict, handle: str) -> Account:
        return Account(
            platform=self.platform,
            handle=handle,
            name=(data.get("display_name") or "").strip() or None,
            url=data.get("url") or None,
            description=html_text(data.get("note")),
            followers=data.get("followers_count"),
            followers_kind=self.followers_kind,
            # Mastodon has no verified accounts: ``verified_at`` on profile fields only proves a link.
            verified=None,
            avatar=(data.get("avatar_static") or data.get("avatar")) if has_avatar(data) else None,
            created_at=parse_time(data.get("created_at")),
            follows=data.get("following_count"),
            posts_total=data.get("statuses_count"),
        )

    def parse_statuses(self, response, handle: str, instance: str, account_id: str, hop: int, taken: int,
                       engaged: int, page: int = 1, seen: int = 0):
        answer = json_body(response)
        if response.status != 200 or not isinstance(answer, list):
            reason, code = self.answer_error(response, answer) if response.status != 200 else (
                "answer is not a list of posts", "bad_answer")
            if page > 1 or "max_id" in parse_qs(urlsplit(response.url).query):
                # A later page: the account and the newer posts are stored; keep them, stop paging.
                self.later_page_failed(code)
                return
            yield self.unavailable(handle, f"posts: {reason}", code)
            return
        statuses = [status for status in answer if isinstance(status, dict)]
        served_by = urlsplit(response.url).hostname
        discovered = set()
        for status in statuses:
            if taken >= self.max_posts:
                break
            seen += 1
            post, links = self.parse_status(status, handle, served_by)
            for link in links:
                yield link
                if link.kind in ("repost", "mention"):
                    discovered.add(link.dst)
            if post is None:
                continue
            yield post
            taken += 1
            if engaged < self.engagers_posts and self.audience_limit > 0:
                engaged += 1
                for kind, path, count in (("liker", "favourited_by", status.get("favourites_count")),
                                          ("reposter", "reblogged_by", status.get("reblogs_count"))):
                    if count and self.audience_room(handle, kind) > 0:
                        params = urlencode({"limit": min(ACCOUNTS_PAGE, self.audience_room(handle, kind))})
                        yield self.audience_request(f"{instance}/api/v1/statuses/{post.post_id}/{path}?{params}",
                                                    kind, handle)
        if statuses and taken < self.max_posts:
            if more_pages(page, seen, self.max_posts, STATUSES_PAGE):
                yield self.statuses_request(handle, instance, account_id, hop, max_id=str(statuses[-1].get("id")),
                                            taken=taken, engaged=engaged, page=page + 1, seen=seen)
            else:
                self.crawler.stats.inc_value("pagescout/mastodon/statuses_page_budget_reached")
        yield from self.expand(handle, hop, sorted(discovered - {handle}))

    def parse_following(self, response, handle: str, hop: int):
        """Discovery only: the accounts ``handle`` follows (first page) become ``follow`` links and
        candidates, each with its own name and bio as the text that predicts its relevance.

        These are accounts the page chose to show publicly, not its audience; they are kept as links
        between pages, like mentions.
        """
        page = json_body(response)
        if response.status != 200 or not isinstance(page, list):
            self.crawler.stats.inc_value(f"pagescout/mastodon/following_http_{response.status}")
            return
        served_by = urlsplit(response.url).hostname
        found = []
        for account in page:
            if not isinstance(account, dict):
                continue
            other = self.checked(acct_handle(account.get("acct"), served_by))
            if not other or other == handle:
                continue
            yield Link(self.platform, handle, other, "follow")
            bio = " ".join(t for t in (account.get("display_name"), html_text(account.get("note"))) if t)
            found.append((other, bio, account.get("followers_count")))
        yield from self.expand(handle, hop, found)

    def parse_status(self, status: dict, handle: str, served_by: str) -> tuple[Post | None, list[Link]]:
        """``(Post or None, links)`` for one status of ``handle``'s timeline."""
        at = parse_time(status.get("created_at"))
        boosted = status.get("reblog")
        if boosted:
            author = self.checked(acct_handle((boosted.get("account") or {}).get("acct"), served_by))
            links = [Link(self.platform, handle, author, "repost", str(boosted.get("id")), at)] \
                if author and author != handle else []
            return None, links
        post_id = str(status.get("id") or "")
        if not post_id:
            return None, []
        links = []
        kind = "reply" if status.get("in_reply_to_id") else "post"
        replied_to = status.get("in_reply_to_account_id")
        for mention in status.get("mentions") or []:
            other = self.checked(acct_handle(mention.get("acct"), served_by)) if isinstance(mention, dict) else None
            if not other or other == handle:
                continue
            link_kind = "reply" if replied_to is not None and str(mention.get("id")) == str(replied_to) else "mention"
            links.append(Link(self.platform, handle, other, link_kind, post_id, at))
        quoted = self.quoted_status(status.get("quote"))
        if quoted:
            kind = "quote" if kind == "post" else kind
            author = self.checked(acct_handle((quoted.get("account") or {}).get("acct"), served_by))
            if author and author != handle:
                links.append(Link(self.platform, handle, author, "quote", post_id, at))
        text = html_text(status.get("content"))
        warning = (status.get("spoiler_text") or "").strip()
        if warning:  # the content warning is what readers see first
            text = f"{warning}\n\n{text}" if text else warning
        reposts = [n for n in (status.get("reblogs_count"), status.get("quotes_count")) if n is not None]
        post = Post(
            platform=self.platform,
            account=handle,
            post_id=post_id,
            url=status.get("url") or status.get("uri"),
            published_at=at,
            text=text,
            views=None,
            likes=status.get("favourites_count"),
            comments=status.get("replies_count"),
            reposts=sum(reposts) if reposts else None,
            kind=kind,
        )
        return post, links

    @staticmethod
    def quoted_status(quote_field) -> dict | None:
        """The quoted Status: Mastodon 4.4+ wraps it (``{"state", "quoted_status"}``), older forks do not."""
        if not isinstance(quote_field, dict):
            return None
        if "quoted_status" in quote_field:
            return quote_field.get("quoted_status") if quote_field.get("state", "accepted") == "accepted" else None
        return quote_field if "account" in quote_field else None

    def parse_audience(self, response, handle: str, kind: str, expected: int | None, first: bool):
        page = json_body(response)
        if kind == "follower" and response.status in (401, 403):
            self.audience_hidden(handle, f"the instance shows followers only to logged-in users (HTTP {response.status})")
            return
        if response.status != 200 or not isinstance(page, list):
            self.crawler.stats.inc_value(f"pagescout/errors/audience_http_{response.status}")
            return
        if kind == "follower" and first and not page and (expected or 0) > 0:
            self.audience_hidden(handle, f"the followers list is empty though {expected} followers are counted")
            return
        served_by = urlsplit(response.url).hostname
        for account in page:
            if self.audience_room(handle, kind) <= 0:
                return
            if not isinstance(account, dict):
                continue
            if acct_handle(account.get("acct"), served_by) == handle:
                # The account favouriting or boosting its own post is not its audience.
                self.crawler.stats.inc_value("pagescout/mastodon/self_engagement_skipped")
                continue
            member = self.member(handle, kind, member_id(account, served_by), **member_signals(account))
            if member is not None:
                yield member
        following = link_header_next(response)
        if page and following and self.audience_room(handle, kind) > 0:
            yield self.audience_request(following, kind, handle, expected=expected, first=False)
