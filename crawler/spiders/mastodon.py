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
``localhost`` unless it is the ``--base-url`` host; others (and an ``acct`` that is missing or not text) are
dropped and counted (``pagescout/mastodon/invalid_acct``).

Every value kept passes through the typed readers (crawler.fields): a count out of range (``followers_count``
of 2⁶⁴), a ``note`` that is a list, a count sent as a string of digits (read as the number) — each becomes
``None`` or its value, the refusals counted in ``pagescout/invalid/mastodon/<field>``, and the rest of the
account is stored. A status without a usable id is skipped (``…/post_id``), an audience member without a
usable actor URI, profile URL or ``acct`` too (``…/member_id``). An account answer that is no JSON object
or has no usable ``id``, and a first statuses page that is no JSON list, raise ``InvalidAnswer`` (the
account is stored unavailable, "invalid answer: account has no usable id").

Paging: statuses are paged until ``--max-posts`` own posts, within the budget of
``crawler.social.more_pages`` (3 × max_posts statuses of any kind, boosts included, or
max(3, ceil(max_posts / 40)) + 2 pages). A failing later page (``max_id``) is counted in
``pagescout/errors/<code>`` and ends the paging; only the lookup and the first statuses page mark an account
unavailable. The account itself is never counted among its own likers or reposters.

Gather (``pagescout gather``, crawler.gather): each sampled follower's ``/api/v1/accounts/:id/following``
is read on their home instance (a remote member is looked up there first, their ``acct`` checked like any
other), paged through the ``Link`` header; a member hiding it (``hide_collections``, HTTP 401/403) or
following nobody counts as hidden. Every account is a page on Mastodon, and the lists carry each page's
name and ``followers_count``.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import scrapy

from crawler.basespider import InvalidAnswer, SeedError
from crawler.fields import INTERACTION_CAP, as_count, as_dict, as_list, as_url
from crawler.gather import FollowGatherer
from crawler.items import Account, Link, Post
from crawler.social import (SEARCH_RESULTS, AudienceSpider, day_of, html_text, json_body, link_header_next,
                            more_pages)

USER = re.compile(r"^[a-z0-9_][a-z0-9_.\-]{0,63}$")
HOST = re.compile(r"^(localhost|\d{1,3}(\.\d{1,3}){3}|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*)$")
# Account and status ids: digits on Mastodon, base62 flake ids on Pleroma and Akkoma. They go into request
# paths, where "../" or "?" would steer the request elsewhere on the instance.
OBJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATUSES_PAGE = 40  # the API's largest page of statuses
ACCOUNTS_PAGE = 80  # … and of accounts (followers, favourited_by, reblogged_by)
# Mastodon's stand-in image for accounts that never set an avatar.
DEFAULT_AVATAR = "/avatars/original/missing.png"


def object_id(value) -> str | None:
    """An account or status id (a string, or an integer from a fork) as a string; ``None`` if it is none."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    return value if isinstance(value, str) and OBJECT_ID.match(value) else None


def acct_handle(acct, served_by: str) -> str | None:
    """``user@host`` for an ``acct`` as the instance ``served_by`` writes it (bare ``user`` = its own);
    ``None`` when it is not text. Not checked yet: see ``MastodonSpider.checked``."""
    if not isinstance(acct, str) or not acct.strip():
        return None
    acct = acct.strip().removeprefix("@").lower()
    return acct if "@" in acct else f"{acct}@{served_by}"


def well_formed(handle: str | None) -> bool:
    """``user@host`` with a user name and a host name as seeds have them."""
    user, at, host = (handle or "").partition("@")
    return bool(at) and bool(USER.match(user)) and bool(HOST.match(host))


class MastodonSpider(FollowGatherer, AudienceSpider):
    name = "mastodon"
    platform = "mastodon"
    default_base_url = "https://mastodon.social"
    # Mastodon's default limit is 300 requests per 5 minutes (one a second) per IP for anonymous calls.
    min_delay = 1.0
    handle_httpstatus_list = [400, 401, 403, 404, 410, 422]
    answer_kind = "json"

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
        ok = well_formed(handle)
        host = handle.partition("@")[2]
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

    def acct_of(self, entity, served_by: str) -> str | None:
        """The checked handle of an Account or Mention entity; ``None``, counted in
        ``pagescout/mastodon/invalid_acct``, when its ``acct`` is missing, not text or not of that shape."""
        handle = acct_handle(as_dict(entity).get("acct"), served_by)
        if handle is None:
            self.crawler.stats.inc_value("pagescout/mastodon/invalid_acct")
            return None
        return self.checked(handle)

    def qualify(self, handle: str) -> str:
        return handle if "@" in handle else f"{handle}@{self.base_host}"

    def instance_url(self, host: str) -> str:
        """Root URL of the instance ``host``: ``--base-url`` for its own host, else ``https://host``."""
        return self.base_url if host == self.base_host else f"https://{host}"

    # readers ---------------------------------------------------------------------------------
    def html_field(self, value, field: str) -> str | None:
        """The plain text of an HTML field (``note``, ``content``) through the text reader."""
        if value is not None and not isinstance(value, str):
            self.fields.invalid(field)
            return None
        return self.fields.text(html_text(value), field)

    def avatar_of(self, account: dict) -> tuple[str | None, bool | None]:
        """``(avatar URL, has_avatar)``: Mastodon's stand-in image counts as no avatar; an avatar that is
        no URL as unknown."""
        raw = account.get("avatar_static") or account.get("avatar")
        if raw is None or raw == "":
            return None, False
        if isinstance(raw, str) and raw.strip().endswith(DEFAULT_AVATAR):
            return None, False
        url = self.fields.url(raw, "avatar")
        return url, (None if url is None else True)

    def deactivated(self, account: dict) -> bool | None:
        """Suspended, memorialised or moved away; ``None`` when no mark says so and one is unreadable."""
        marks = [self.fields.flag(account.get(key), "deactivated") if account.get(key) is not None else False
                 for key in ("suspended", "memorial")]
        moved = account.get("moved")  # the Account moved to, or null
        if moved is None or isinstance(moved, dict):
            marks.append(bool(moved))
        else:
            self.fields.invalid("deactivated")
            marks.append(None)
        return True if True in marks else None if None in marks else False

    def member_signals(self, account: dict) -> dict:
        """Quality signals of an audience member's Account entity."""
        note = account.get("note")
        description = self.html_field(note, "description")
        return {
            "has_avatar": self.avatar_of(account)[1],
            "has_description": bool(description) if note is None or isinstance(note, str) else None,
            "created_at": day_of(self.fields.date(account.get("created_at"), "created_at")),
            "follows": self.fields.count(account.get("following_count"), "follows"),
            "followers": self.fields.count(account.get("followers_count"), "followers"),
            "posts": self.fields.count(account.get("statuses_count"), "posts"),
            "deactivated": self.deactivated(account),
            "last_seen": day_of(self.fields.date(account.get("last_status_at"), "last_seen")),
        }

    @staticmethod
    def member_id(account: dict, served_by: str) -> str | None:
        """A member's id that is the same on every instance: the ActivityPub actor URI (else its profile
        URL, else ``user@host``); ``None`` when the entity has none of them in a usable form.

        Numeric ids are per instance; the same person follows accounts on many instances.
        """
        found = as_url(account.get("uri")) or as_url(account.get("url"))
        if found:
            return found
        handle = acct_handle(account.get("acct"), served_by)
        return handle if well_formed(handle) else None

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
                              errback=self.on_side_error)

    def statuses_request(self, handle: str, instance: str, account_id: str, hop: int, max_id: str | None = None,
                         taken: int = 0, engaged: int = 0, page: int = 1, seen: int = 0) -> scrapy.Request:
        params = {"limit": min(STATUSES_PAGE, max(1, self.max_posts - taken))}
        if max_id:
            params["max_id"] = max_id
        return scrapy.Request(
            f"{instance}/api/v1/accounts/{account_id}/statuses?{urlencode(params)}",
            callback=self.parse_statuses,
            errback=self.on_error if max_id is None else self.on_side_error,
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
            errback=self.on_side_error,
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
        accounts = as_list(body.get("accounts"))  # null in some answers
        yield from self.found_by_search(self.acct_of(a, served_by) for a in accounts if isinstance(a, dict))

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
            found = [a for a in as_list(body.get("accounts"))
                     if isinstance(a, dict) and acct_handle(a.get("acct"), served_by) == wanted]
            if not found:
                yield self.unavailable(handle, "not found (lookup needs a token; search found no such account)",
                                       "not_found")
                return
            yield from self.parse_account_answer(response, handle, hop, found[0])
            return
        yield from self.parse_account_answer(response, handle, hop, body)

    def answer_error(self, response, body) -> tuple[str, str]:
        """``(reason, code)`` for a failed answer (``{"error": "…"}``)."""
        message = self.fields.text(body.get("error"), "reason", limit=300) if isinstance(body, dict) else None
        detail = f": {message}" if message else ""
        if response.status in (404, 410):
            return f"not found (HTTP {response.status}{detail})", "not_found"
        if response.status in (401, 403):
            return (f"the instance shows it only to logged-in users (HTTP {response.status}{detail}): "
                    "whitelist mode or a token needed"), "auth_required"
        return f"HTTP {response.status}{detail}", f"http_{response.status}"

    def parse_account_answer(self, response, handle: str, hop: int, data):
        """The account, then requests for its statuses and audience. Everything that can make the answer
        unusable is checked before the first item leaves, so posts never come without their account."""
        if response.status != 200:
            reason, code = self.answer_error(response, data)
            yield self.unavailable(handle, reason, code)
            return
        if not isinstance(data, dict):
            raise InvalidAnswer("account is not a JSON object")
        account_id = object_id(data.get("id"))
        if account_id is None:
            raise InvalidAnswer("account has no usable id")
        handle = self.qualify(handle)
        if self.fields.flag(data.get("suspended"), "suspended"):
            yield self.unavailable(handle, "suspended by its instance", "suspended")
            return
        account = self.parse_account(data, handle)
        hidden = self.fields.flag(data.get("hide_collections"), "hide_collections")
        yield account
        yield self.snapshot(account)
        if self.gathering and hop == 0:
            yield self.gather_started(handle)
        host = handle.partition("@")[2]
        instance = self.instance_url(host)
        yield self.statuses_request(handle, instance, account_id, hop)
        if self.discover_follows and hop < self.depth:
            params = urlencode({"limit": ACCOUNTS_PAGE})
            yield scrapy.Request(f"{instance}/api/v1/accounts/{account_id}/following?{params}",
                                 callback=self.parse_following, errback=self.on_side_error,
                                 cb_kwargs={"handle": handle, "hop": hop})
        if self.audience_limit <= 0:
            return
        if hidden:
            self.audience_hidden(handle, "the account hides its followers (hide_collections)")
            return
        params = urlencode({"limit": min(ACCOUNTS_PAGE, self.audience_room(handle, "follower"))})
        yield self.audience_request(f"{instance}/api/v1/accounts/{account_id}/followers?{params}", "follower",
                                    handle, expected=account.followers)

    def parse_account(self, data: dict, handle: str) -> Account:
        return Account(
            platform=self.platform,
            handle=handle,
            name=self.fields.text(data.get("display_name"), "name"),
            url=self.fields.url(data.get("url"), "url"),
            description=self.html_field(data.get("note"), "description"),
            followers=self.fields.count(data.get("followers_count"), "followers"),
            followers_kind=self.followers_kind,
            # Mastodon has no verified accounts: ``verified_at`` on profile fields only proves a link.
            verified=None,
            avatar=self.avatar_of(data)[0],
            created_at=self.fields.date(data.get("created_at"), "created_at"),
            follows=self.fields.count(data.get("following_count"), "follows"),
            posts_total=self.fields.count(data.get("statuses_count"), "posts_total"),
        )

    def parse_statuses(self, response, handle: str, instance: str, account_id: str, hop: int, taken: int,
                       engaged: int, page: int = 1, seen: int = 0):
        answer = json_body(response)
        later = page > 1 or "max_id" in parse_qs(urlsplit(response.url).query)
        if response.status != 200 or not isinstance(answer, list):
            if later:
                # A later page: the account and the newer posts are stored; keep them, stop paging.
                code = self.answer_error(response, answer)[1] if response.status != 200 else "bad_answer"
                self.later_page_failed(code)
                return
            if response.status == 200:
                raise InvalidAnswer("statuses are not a JSON list")
            reason, code = self.answer_error(response, answer)
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
                # Read quietly: parse_status counted an unreadable reblogs_count already.
                reblogs = as_count(status.get("reblogs_count"), INTERACTION_CAP)
                for kind, path, count in (("liker", "favourited_by", post.likes),
                                          ("reposter", "reblogged_by", reblogs)):
                    if count and self.audience_room(handle, kind) > 0:
                        params = urlencode({"limit": min(ACCOUNTS_PAGE, self.audience_room(handle, kind))})
                        yield self.audience_request(f"{instance}/api/v1/statuses/{post.post_id}/{path}?{params}",
                                                    kind, handle)
        # Older statuses come before the oldest id on this page (an unreadable one cannot be paged from).
        oldest = next((found for found in (object_id(s.get("id")) for s in reversed(statuses)) if found), None)
        if oldest and taken < self.max_posts:
            if more_pages(page, seen, self.max_posts, STATUSES_PAGE):
                yield self.statuses_request(handle, instance, account_id, hop, max_id=oldest,
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
            other = self.acct_of(account, served_by)
            if not other or other == handle:
                continue
            yield Link(self.platform, handle, other, "follow")
            bio = " ".join(t for t in (self.fields.text(account.get("display_name"), "name"),
                                       self.html_field(account.get("note"), "description")) if t)
            found.append((other, bio, self.fields.count(account.get("followers_count"), "followers")))
        yield from self.expand(handle, hop, found)

    # gather ------------------------------------------------------------------------------------
    @classmethod
    def member_from_id(cls, member_id: str) -> dict:
        """A member named ``user@instance`` (or as a profile URL): looked up on their home instance."""
        handle = cls.parse_seed(member_id)
        if "@" not in handle:
            raise SeedError(f"'{member_id}' names no instance: write members as user@instance")
        return {"id": handle, "acct": handle, "served_by": None}

    def follows_request(self, member: dict):
        """The first page of a sampled member's follow list, on their home instance: straight there when
        the list that named them was served by it, else after a lookup there."""
        if member.get("hidden"):
            return "hidden"
        handle = self.checked(member.get("acct"))
        if handle is None:
            return "failed"
        home = handle.partition("@")[2]
        if home == member.get("served_by") and member.get("account_id"):
            return self.follows_page(member["id"], f"{self.instance_url(home)}/api/v1/accounts/"
                                     f"{member['account_id']}/following?{urlencode({'limit': ACCOUNTS_PAGE})}")
        user = handle.partition("@")[0]
        return self.optional(scrapy.Request(f"{self.instance_url(home)}/api/v1/accounts/lookup?acct={quote(user)}",
                                            callback=self.parse_member_lookup, errback=self.follows_failed,
                                            cb_kwargs={"member_id": member["id"]}))

    def follows_cost(self, member: dict) -> int:
        home = (member.get("acct") or "").partition("@")[2]
        return 1 if home == member.get("served_by") and member.get("account_id") else 2

    def follows_page(self, member_id: str, url: str, pages_read: int = 0) -> scrapy.Request:
        return self.optional(scrapy.Request(url, callback=self.parse_follows, errback=self.follows_failed,
                                            cb_kwargs={"member_id": member_id, "pages_read": pages_read}),
                             later=pages_read > 0)

    def parse_member_lookup(self, response, member_id: str):
        data = json_body(response)
        account_id = object_id(data.get("id")) if response.status == 200 and isinstance(data, dict) else None
        if account_id is None:
            yield self.list_done(member_id, "hidden" if response.status in (401, 403) else "failed")
            return
        if self.fields.flag(data.get("hide_collections"), "hide_collections"):
            yield self.list_done(member_id, "hidden")
            return
        home = urlsplit(response.url).hostname
        member_id = self.member_id(data, home) or member_id  # hashed as the same member is everywhere else
        yield self.follows_page(member_id, f"{self.instance_url(home)}/api/v1/accounts/{account_id}/following?"
                                           f"{urlencode({'limit': ACCOUNTS_PAGE})}")

    def parse_follows(self, response, member_id: str, pages_read: int):
        """One page of a sampled member's follow list: the pages counted, the next page while allowed."""
        page = json_body(response)
        if response.status in (401, 403) and not pages_read:
            yield self.list_done(member_id, "hidden")
            return
        if response.status != 200 or not isinstance(page, list):
            yield self.page_failed(member_id, pages_read)
            return
        if not page and pages_read == 0:
            yield self.list_done(member_id, "hidden")  # follows nobody, or shows nobody
            return
        served_by = urlsplit(response.url).hostname
        found = []
        for account in page:
            if isinstance(account, dict) and (handle := self.acct_of(account, served_by)):
                found.append((handle, {
                    "name": self.fields.text(account.get("display_name"), "name"),
                    "url": self.fields.url(account.get("url"), "url"),
                    "description": self.html_field(account.get("note"), "description"),
                    "followers": self.fields.count(account.get("followers_count"), "followers")}))
        yield from self.followed(member_id, found)
        following = link_header_next(response)
        if page and following and self.may_page_on(pages_read + 1):
            yield self.follows_page(member_id, following, pages_read + 1)
        else:
            yield self.list_done(member_id, "read")

    def parse_status(self, status: dict, handle: str, served_by: str) -> tuple[Post | None, list[Link]]:
        """``(Post or None, links)`` for one status of ``handle``'s timeline; ``(None, [])`` when it
        cannot be read (no usable id), counted in ``pagescout/invalid/mastodon/post_id``."""
        at = self.fields.date(status.get("created_at"), "published_at")
        boosted = status.get("reblog")
        if isinstance(boosted, dict):
            author = self.acct_of(boosted.get("account"), served_by)
            links = [Link(self.platform, handle, author, "repost", object_id(boosted.get("id")), at)] \
                if author and author != handle else []
            return None, links
        post_id = object_id(status.get("id"))
        if boosted is not None or post_id is None:  # a reblog of the wrong type: whose post it is is unknown
            self.fields.invalid("post_id")
            return None, []
        links = []
        kind = "reply" if status.get("in_reply_to_id") else "post"
        replied_to = status.get("in_reply_to_account_id")
        for mention in as_list(status.get("mentions")):
            other = self.acct_of(mention, served_by) if isinstance(mention, dict) else None
            if not other or other == handle:
                continue
            link_kind = "reply" if replied_to is not None and str(mention.get("id")) == str(replied_to) else "mention"
            links.append(Link(self.platform, handle, other, link_kind, post_id, at))
        quoted = self.quoted_status(status.get("quote"))
        if quoted:
            kind = "quote" if kind == "post" else kind
            author = self.acct_of(quoted.get("account"), served_by)
            if author and author != handle:
                links.append(Link(self.platform, handle, author, "quote", post_id, at))
        text = self.html_field(status.get("content"), "text")
        warning = self.fields.text(status.get("spoiler_text"), "text")
        if warning:  # the content warning is what readers see first
            text = self.fields.text(f"{warning}\n\n{text}", "text") if text else warning
        post = Post(
            platform=self.platform,
            account=handle,
            post_id=post_id,
            url=self.fields.url(status.get("url"), "url") or self.fields.url(status.get("uri"), "url"),
            published_at=at,
            text=text,
            views=None,
            likes=self.fields.count(status.get("favourites_count"), "likes"),
            comments=self.fields.count(status.get("replies_count"), "comments"),
            reposts=self.total("reposts", status.get("reblogs_count"), status.get("quotes_count")),
            kind=kind,
        )
        return post, links

    @staticmethod
    def quoted_status(quote_field) -> dict | None:
        """The quoted Status: Mastodon 4.4+ wraps it (``{"state", "quoted_status"}``), older forks do not."""
        if not isinstance(quote_field, dict):
            return None
        if "quoted_status" in quote_field:
            quoted = quote_field.get("quoted_status") if quote_field.get("state", "accepted") == "accepted" else None
            return quoted if isinstance(quoted, dict) else None
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
                self.fields.invalid("member_id")
                continue
            if acct_handle(account.get("acct"), served_by) == handle:
                # The account favouriting or boosting its own post is not its audience.
                self.crawler.stats.inc_value("pagescout/mastodon/self_engagement_skipped")
                continue
            member_id = self.member_id(account, served_by)
            if member_id is None:
                self.fields.invalid("member_id")
                continue
            member = self.member(handle, kind, member_id, **self.member_signals(account))
            if member is not None:
                yield member
                if self.gathering and kind == "follower" and self.is_target(handle):
                    self.join_sample(handle, {"id": member_id, "account_id": object_id(account.get("id")),
                                              "acct": acct_handle(account.get("acct"), served_by), "served_by": served_by,
                                              "hidden": self.fields.flag(account.get("hide_collections"),
                                                                         "hide_collections")})
        following = link_header_next(response)
        if page and following and self.audience_room(handle, kind) > 0:
            yield self.audience_request(following, kind, handle, expected=expected, first=False)
