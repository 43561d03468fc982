"""VK communities (groups and public pages) through the VK API ``https://api.vk.com/method/<name>``.

Needs ``$VK_TOKEN``: a service token of any VK app is enough for every method used here. The token is
added to each request's URL only at download time (``crawler.apikeys.ApiKeyMiddleware``), so it never
reaches the job folder, a log line, the database or an export.

Per community:

- ``groups.getById`` (fields ``members_count, description, activity, verified, screen_name``): name,
  description, members count (``followers_kind`` = ``members``), verified mark, avatar, plus one
  member snapshot per day. Both answer shapes are read: ``{"response": {"groups": […]}}`` (API ≥ 5.194)
  and the older bare list.
- ``wall.get`` (≤ 100 per call, ``offset``, ``extended=1``) up to ``--max-posts``: each post with
  likes, reposts, views and comments counts. A post that reposts another (``copy_history``) is of
  kind ``repost`` and gives a ``repost`` link to the original's owner (the last entry of the history)
  when that is a community; ``[club123|…]``, ``[public123|…]`` and vk.com links in the text give
  ``mention`` links. People are not pages: ``[id123|…]`` mentions, vk.com/id123 links, links to users the
  answer describes and reposts from users' walls (``owner_id`` > 0) give no link and are not kept in any
  request, only counted (``pagescout/vk/user_links_dropped``). Later wall pages (``offset`` > 0) that fail
  are counted (``pagescout/errors/<code>``) and end the paging: only ``groups.getById`` and the first wall
  page mark a community unavailable.
- ``groups.getMembers`` (≤ 1000 per call, ``offset``, fields ``photo_100, has_photo,
  can_write_private_message, can_post, status, site, has_mobile, bdate, city, occupation, can_see_all_posts,
  can_see_audio, can_send_friend_request, nickname, maiden_name, verified, followers_count, last_seen``) up
  to ``--audience-limit`` → audience ``member``, with the signals bot detection reads where the items
  carry them (``member_signals``): has_avatar, can_message, can_post, has_status, has_site, is_closed,
  has_mobile, has_birthday, has_city, has_occupation, can_see_all_posts, can_see_audio,
  can_send_friend_request, has_nickname, has_maiden_name, is_verified, followers, deactivated and the day
  last seen. Only booleans, the followers count and that day are kept: never a status, site, city or any
  other text, only whether it is there (empty text is shown but absent: ``False``; a field not in the
  answer is not shown: ``None``). The fields are those of the VK schema's ``users_fields`` enum, the type
  of the method's ``fields`` parameter (its prose list of "available values" is older and shorter).
  ``deactivated`` and ``is_closed`` are not in that enum: every user object carries them
  (``users_user_min``), so they are read without being asked for. ``can_be_invited_group`` is not in it
  either, nor in the basic user object: it is not asked for and that signal stays ``None``.
  ``likes.getList`` on the 10 most recent posts → audience ``liker``.

Handles: the community's screen name (``apiclub``), or ``club<ID>`` when it has none (VK then shows
``club<ID>``/``public<ID>``; both become ``club<ID>``). Only communities are crawled. A vk.com/<name> link
can still name a user: when its ``groups.getById`` lookup says it is no community (error 100, or no group
in the answer) and the name was found by ``--depth`` (not a seed), nothing is stored for it (counted in
``pagescout/vk/not_a_community_skipped``).
Communities a wall page names by id only (``[club123|…]``, reposts of groups the answer does not
describe) are looked up in one ``groups.getById`` call per page, so links and ``--depth`` use the
screen name their own page is stored under.

Errors come back as HTTP 200 with ``{"error": {"error_code": …}}``:
6 (too many requests per second) waits a second and retries (up to 5 times); 5 (authorisation
failed) stops the whole crawl with one line about the token; 14 (captcha), 15 and 203 (closed or
private) record the community as unavailable with the reason (on member and liker lists they only
mark the audience hidden); 29 (the method's daily limit) stops calling that method and says so in the
summary; 100 on ``groups.getById`` means the name is not a community (a user, say).

Gather (``pagescout gather``, crawler.gather): a target's sample is uniform, ``groups.getMembers`` for one
member at each of ``--members`` distinct random offsets (seeded by the gather, so the same command samples the
same people), the whole list when it is no longer. Each sampled member's communities come from
``users.getSubscriptions`` (``extended=1``, 200 a call; the official schema lets a service token call it):
people in that list are skipped (counted in ``pagescout/vk/gather_people_skipped``), communities counted with
their ``members_count``. Errors 15, 18, 30 and 203 (a private, deleted or banned profile) count the list as
hidden; a deactivated member is not asked.

Answers are read defensively: every value kept passes through the typed readers (crawler.fields), so a
``views.count`` of 2⁷⁰ or a ``text`` that is a number becomes ``None``, counted in
``pagescout/invalid/vk/<field>``, and the rest of the post is stored; a post or member without a usable id is
skipped (``…/post_id``, ``…/member_id``). A ``groups.getById`` answer without a list of groups or whose group
has no usable id, and a body that is no JSON object (or a wall answer without its ``response`` object) on a
community's own requests, raise ``InvalidAnswer``: the community is stored unavailable ("invalid answer:
groups.getById: the group has no usable id"). On later pages and audience calls they are only counted.

What VK does not give a service token: members of closed communities, who viewed a post, reposters
(``likes.getList filter=copies`` needs a user token), ``groups.search``.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider

from crawler.ads import WEB_ADDRESS
from crawler.apikeys import scrub
from crawler.basespider import InvalidAnswer, PlatformSpider, SeedError
from crawler.fields import INT64_MAX, as_count, as_dict, as_list, clean_text
from crawler.gather import MAX_PROFILE_LOOKUPS, FollowGatherer
from crawler.items import Account, Link, Post
from crawler.middlewares import pause_download_slot
from crawler.sampling import AUDIENCE_LIMIT, AudienceSampler
from crawler.social import day_of, json_body

API_VERSION = "5.199"
VK_HOSTS = {"vk.com", "www.vk.com", "m.vk.com", "vk.ru", "www.vk.ru", "m.vk.ru", "vkontakte.ru"}
SCREEN_NAME = re.compile(r"^[a-z0-9_.]{2,64}$")
# Ids of at most 18 ASCII digits: they fit a BIGINT, and int() is never asked to read thousands of digits
# (which it refuses) or non-ASCII ones (which it would take).
GROUP_ID = re.compile(r"^(?:club|public|event)([0-9]{1,18})$")
USER_ID = re.compile(r"^id([0-9]{1,18})$")
WALL_URL = re.compile(r"^wall(-?[0-9]{1,18})_[0-9]{1,18}$")
# vk.com paths that are sections of the site, not pages.
RESERVED = {"feed", "im", "friends", "groups", "video", "videos", "music", "audio", "photos", "photo", "album",
            "albums", "search", "away.php", "app", "apps", "games", "market", "docs", "doc", "settings", "login",
            "join", "support", "dev", "legal", "about", "blog", "jobs", "terms", "help", "wall", "topic",
            "page", "note", "notes", "poll", "story", "clips", "clip", "services", "bugs", "ads", "press",
            "mail", "id0", "share.php", "write", "gifts", "bookmarks", "fave", "calls", "restore", "mobile"}
MARKUP = re.compile(r"\[(club|public|event|id)([0-9]{1,18})\|[^\]]*\]")
VK_LINK = re.compile(r"(?:https?://)?(?:www\.|m\.)?vk\.(?:com|ru)/([A-Za-z0-9_.\-]+)")
# VK's stand-in pictures for members without a photo, and for deleted or banned ones.
DEFAULT_PHOTOS = ("camera_", "deactivated_", "community_", "/images/")
# groups.getMembers ``fields``: the user fields the member signals read that the schema's ``users_fields``
# enum has (``is_closed`` and ``deactivated`` come in every user object; ``can_be_invited_group`` is not
# asked for, see the module docstring).
MEMBER_FIELDS = ("photo_100", "has_photo", "can_write_private_message", "can_post", "status", "site", "has_mobile",
                 "bdate", "city", "occupation", "can_see_all_posts", "can_see_audio", "can_send_friend_request",
                 "nickname", "maiden_name", "verified", "followers_count", "last_seen")
# Member signals that are VK's yes/no values (0/1, or a JSON bool for is_closed): signal ← user field.
MEMBER_FLAGS = {"can_message": "can_write_private_message", "can_post": "can_post", "is_closed": "is_closed",
                "has_mobile": "has_mobile", "can_see_all_posts": "can_see_all_posts", "can_see_audio": "can_see_audio",
                "can_send_friend_request": "can_send_friend_request", "is_verified": "verified"}
# Member signals that say only whether a text field has something in it: signal ← user field. The text
# itself is read (to check it is text) and dropped.
MEMBER_TEXTS = {"has_status": "status", "has_site": "site", "has_birthday": "bdate", "has_nickname": "nickname",
                "has_maiden_name": "maiden_name"}
WALL_PAGE = 100
MEMBERS_PAGE = 1000
SUBSCRIPTIONS_PAGE = 200  # users.getSubscriptions' largest count
PROFILES_BATCH = 100  # candidates per groups.getById call, well within NAMES_QUERY_MAX
# users.getSubscriptions errors that mean the member keeps the list to themself: 30 (private profile),
# 15 and 203 (access denied), 18 (deleted or banned).
SUBSCRIPTIONS_HIDDEN = (15, 18, 30, 203)
# What users.getSubscriptions' extended items call a community; "profile" is a person.
COMMUNITY_TYPES = ("group", "page", "event")
LIKERS_POSTS = 10
RETRIES_6 = 5
AUDIENCE_METHODS = ("groups.getMembers", "likes.getList")
# Characters of ids one groups.getById call may carry (each comma is sent as "%2C"): more would pass
# Scrapy's URL length limit (2,083), and Scrapy would drop the request with every link waiting on it.
NAMES_QUERY_MAX = 1800


def vk_id(value) -> int | None:
    """A positive VK id (community, user, post) from an integer or a string of digits; ``None`` otherwise."""
    number = as_count(value, INT64_MAX)
    return number or None


def owner_id(value) -> int | None:
    """A wall owner's id: negative for a community, positive for a user; ``None`` unless a non-zero integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value == 0 or abs(value) > INT64_MAX:
        return None
    return value


def group_handle(group_id: int, screen_name=None) -> str:
    """The store's handle for a community: its screen name, or ``club<ID>`` when it has none."""
    name = screen_name.lower() if isinstance(screen_name, str) else ""
    if name and SCREEN_NAME.match(name) and not GROUP_ID.match(name) and not USER_ID.match(name):
        return name
    return f"club{abs(int(group_id))}"


def user_handle(user_id: int, screen_name=None) -> str:
    name = screen_name.lower() if isinstance(screen_name, str) else ""
    if name and SCREEN_NAME.match(name) and not USER_ID.match(name):
        return name
    return f"id{abs(int(user_id))}"


def page_from_url(url: str) -> str | None:
    """The handle a vk.com link names (``club<ID>`` for ids, a lower-cased screen name), else ``None``."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host not in VK_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return None
    first = segments[0].lower()
    wall = WALL_URL.match(first)
    if wall:
        owner = int(wall.group(1))
        return f"club{-owner}" if owner < 0 else f"id{owner}"
    if first in RESERVED or first.startswith(("wall", "photo", "video", "album", "topic", "page-", "clip",
                                                "market", "audio", "doc", "board", "app")):
        return None
    return normalise_name(first)


def normalise_name(name: str) -> str | None:
    """``club123``/``public123``/``event123``/``-123`` → ``club123``; ``id123`` stays; screen names lower-cased."""
    name = name.strip().lower().removeprefix("@")
    if re.fullmatch(r"-[0-9]{1,18}", name):
        return f"club{int(name[1:])}"
    match = GROUP_ID.match(name)
    if match:
        return f"club{int(match.group(1))}"
    if USER_ID.match(name):
        return f"id{int(name[2:])}"
    if SCREEN_NAME.match(name) and not name.isdigit() and name not in RESERVED:
        return name
    return None


def is_user(handle: str) -> bool:
    return bool(USER_ID.match(handle))


def vk_time(value) -> datetime | None:
    """A Unix time (VK's dates) as an aware UTC datetime; ``None`` unless a positive number of seconds."""
    seconds = as_count(value, INT64_MAX)
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, ValueError, OSError):  # past the year 9999
        return None


def ids_that_fit(ids: list[int]) -> list[int]:
    """The first of ``ids`` that one request's query can carry (``NAMES_QUERY_MAX``); the others keep
    their ``club<ID>`` names."""
    taken, size = [], 0
    for number in ids:
        size += len(str(number)) + 3
        if size > NAMES_QUERY_MAX:
            break
        taken.append(number)
    return taken


def groups_of(response_body) -> list | None:
    """The community objects of a ``groups.getById`` answer, in either shape; ``None`` when it has no
    list of them. Entries are as sent: callers skip those that are no objects."""
    data = response_body.get("response") if isinstance(response_body, dict) else None
    if isinstance(data, dict):
        data = data.get("groups")
    return data if isinstance(data, list) else None


class VkError(Exception):
    """An API error answer; ``malformed`` when the answer could not be read as one (no JSON object, an
    error without a code): on a community's own requests that is an invalid answer, not a VK error."""

    def __init__(self, code: int, message: str, malformed: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.malformed = malformed


class VkSpider(FollowGatherer, AudienceSampler, PlatformSpider):
    name = "vk"
    platform = "vk"
    default_base_url = "https://api.vk.com/method"
    # VK allows 3 requests a second per token: 0.34 s apart, not randomised below that.
    min_delay = 0.34
    answer_kind = "json"
    custom_settings = {"DOWNLOAD_DELAY_JITTER": 0}

    def __init__(self, *args, audience_limit: int = AUDIENCE_LIMIT, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience_limit = max(0, int(audience_limit))

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        text = seed.strip()
        handle = page_from_url(text) if ("vk.com" in text or "vk.ru" in text or "vkontakte" in text) else normalise_name(text)
        if handle and not is_user(handle):
            return handle
        raise SeedError(
            f"'{seed}' is not a VK community: use its screen name (apiclub), club1 / public1 / -1, "
            "or https://vk.com/apiclub"
        )

    async def start(self):
        for request in self.seed_requests():
            if request is not None:
                yield request

    # requests --------------------------------------------------------------------------------
    def api(self, method: str, **params) -> str:
        query = urlencode({**{k: v for k, v in params.items() if v is not None}, "v": API_VERSION})
        return f"{self.base_url}/{method}?{query}"

    def blocked(self, method: str) -> bool:
        return method in self.state.get("blocked_methods", set())

    def call(self, method: str, callback, handle: str, errback=None, priority: int = 0, account: bool = False,
             **params) -> scrapy.Request | None:
        """A request for one API method, marked so the middleware adds the token; ``None`` once the
        method hit its daily limit (error 29). A community's own requests (``account``) carry its handle
        for ``on_error``; the others' failures are only counted (``on_side_error``)."""
        if self.blocked(method):
            self.crawler.stats.inc_value(f"pagescout/vk/skipped_after_29/{method}")
            return None
        return scrapy.Request(
            self.api(method, **params),
            callback=callback,
            errback=errback or (self.on_error if account else self.on_side_error),
            cb_kwargs={"handle": handle},
            meta={"api_key": "vk", "vk_method": method, **({"handle": handle} if account else {})},
            priority=priority,
        )

    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        match = GROUP_ID.match(handle)
        group_id = match.group(1) if match else handle
        request = self.call("groups.getById", self.parse_group, handle, account=True, group_id=group_id,
                            fields="members_count,description,activity,verified,screen_name")
        if request is not None:
            request.cb_kwargs["hop"] = hop
        return request

    def wall_request(self, handle: str, group_id: int, hop: int, offset: int = 0) -> scrapy.Request | None:
        count = min(WALL_PAGE, max(1, self.max_posts - offset))
        request = self.call("wall.get", self.parse_wall, handle, account=offset == 0, priority=1 if offset else 0,
                            owner_id=-group_id, count=count, offset=offset or None, extended=1)
        if request is not None:
            request.cb_kwargs.update(group_id=group_id, hop=hop, offset=offset)
        return request

    def members_request(self, handle: str, group_id: int, offset: int = 0) -> scrapy.Request | None:
        count = min(MEMBERS_PAGE, max(1, self.audience_room(handle, "member")))
        request = self.call("groups.getMembers", self.parse_members, handle, priority=-1, group_id=group_id,
                            count=count, offset=offset or None, sort="id_asc", fields=",".join(MEMBER_FIELDS))
        if request is not None:
            request.cb_kwargs.update(group_id=group_id, offset=offset)
        return request

    def likers_request(self, handle: str, group_id: int, post_id: int) -> scrapy.Request | None:
        count = min(MEMBERS_PAGE, max(1, self.audience_room(handle, "liker")))
        return self.call("likes.getList", self.parse_likers, handle, priority=-1, type="post", owner_id=-group_id,
                         item_id=post_id, count=count)

    # readers ---------------------------------------------------------------------------------
    def unix_date(self, value, field: str) -> datetime | None:
        """A Unix time through the date reader; one that is no positive number is counted as invalid too."""
        if value is None:
            return None
        when = vk_time(value)
        if when is None:
            self.fields.invalid(field)
            return None
        return self.fields.date(when, field)

    def count_in(self, value, field: str) -> int | None:
        """``{"count": n}`` → n through the count reader; absent → ``None`` (not shown), never 0."""
        return self.fields.count(as_dict(value).get("count"), field)

    def member_signals(self, item: dict) -> dict:
        """Bot-detection signals of a ``groups.getMembers`` user object (``MEMBER_FIELDS``; see the module
        docstring): booleans, the followers count and the day last seen, nothing else. A field the object
        lacks is ``None`` (not shown), never ``False``; a value of the wrong type is ``None`` too, counted in
        ``pagescout/invalid/vk/<signal>``."""
        fields = self.fields
        deactivated = item.get("deactivated")  # "deleted" or "banned"; absent for active users
        if deactivated is None:
            gone = False if ("deactivated" in item or "first_name" in item) else None
        elif isinstance(deactivated, str):
            gone = bool(deactivated.strip())
        else:
            gone = fields.flag(deactivated, "deactivated")
        return {
            "has_avatar": self.member_avatar(item),
            **{signal: fields.flag(item.get(key), signal) for signal, key in MEMBER_FLAGS.items()},
            **{signal: self.text_shown(item.get(key), signal) for signal, key in MEMBER_TEXTS.items()},
            "has_city": self.city_shown(item.get("city")),
            "has_occupation": self.occupation_shown(item.get("occupation")),
            "can_be_invited_group": None,  # not a field groups.getMembers takes (module docstring)
            "followers": fields.count(item.get("followers_count"), "followers"),
            "deactivated": gone,
            "last_seen": day_of(self.unix_date(as_dict(item.get("last_seen")).get("time"), "last_seen")),
        }

    def member_avatar(self, item: dict) -> bool | None:
        """``has_photo`` (0/1) where the answer has it, else whether ``photo_100`` is a picture of the member's
        own rather than VK's stand-in (the camera, or the deleted/banned one)."""
        has_photo = self.fields.flag(item.get("has_photo"), "has_avatar")
        if has_photo is not None:
            return has_photo
        url = self.fields.url(item.get("photo_100"), "avatar")
        return None if url is None else not any(mark in url for mark in DEFAULT_PHOTOS)

    def text_shown(self, value, signal: str) -> bool | None:
        """Whether a text field says something: ``True`` for text, ``False`` for an empty one (shown, but
        blank), ``None`` when absent or no text at all (counted). The text is never returned."""
        if value is None:
            return None
        if self.fields.text(value, signal) is not None:
            return True
        return False if isinstance(value, str) else None

    def city_shown(self, city) -> bool | None:
        """A city object with a city id → ``True``; id 0 (none set) → ``False``; absent, or no usable id → ``None``.
        Neither the id nor the city's name is kept."""
        if city is None:
            return None
        if not isinstance(city, dict):
            self.fields.invalid("has_city")
            return None
        number = self.fields.count(city.get("id"), "has_city", INT64_MAX)
        return None if number is None else number > 0

    def occupation_shown(self, occupation) -> bool | None:
        """An occupation object naming a type, a name or an id → ``True``; an empty one → ``False``; absent
        → ``None``. What the occupation is, is not kept."""
        if occupation is None:
            return None
        if not isinstance(occupation, dict):
            self.fields.invalid("has_occupation")
            return None
        return bool(self.fields.text(occupation.get("type"), "has_occupation", limit=50)
                    or self.fields.text(occupation.get("name"), "has_occupation")
                    or self.fields.count(occupation.get("id"), "has_occupation", INT64_MAX))

    # errors ----------------------------------------------------------------------------------
    def answer(self, response):
        """The body of a VK answer; raises VkError for ``{"error": …}`` or a body that is no JSON object."""
        body = json_body(response)
        if not isinstance(body, dict):
            raise VkError(0, f"answer is not a JSON object (HTTP {response.status})", malformed=True)
        if "error" in body:
            error = as_dict(body["error"])
            code = self.fields.count(error.get("error_code"), "error_code")
            if not code:  # VK's codes start at 1
                raise VkError(0, "error answer without an error code", malformed=True)
            # Only the code and message: the error also echoes request_params, the token among them. The
            # message is cleaned before the token is looked for in it, and cut after.
            message = error.get("error_msg")
            if message is not None and not isinstance(message, str):
                self.fields.invalid("reason")
            message = scrub(clean_text(message) or "", "vk")
            raise VkError(code, clean_text(message, 300) or "")
        return body

    def vk_error(self, response, error: VkError, handle: str, account: bool = True):
        """Act on an API error; yields items or a retry request. See the module docstring.

        ``account=False`` (a later page of a community already stored): only counted, never unavailable.
        A malformed answer to a community's own request raises InvalidAnswer.
        """
        method = response.meta.get("vk_method", "?")
        stats = self.crawler.stats
        code, message = error.code, error.message
        if code == 6:
            tries = response.meta.get("vk_retries", 0)
            if tries < RETRIES_6:
                stats.inc_value("pagescout/retries/vk_6")
                pause_download_slot(self.crawler, response.request, 1.0)
                yield response.request.replace(dont_filter=True, meta={**response.meta, "vk_retries": tries + 1})
                return
        if code == 5:
            stats.set_value("pagescout/fatal", f"VK refused the token in $VK_TOKEN (error 5: {message}): make a new "
                                               "service token in your VK app's settings and set VK_TOKEN to it")
            raise CloseSpider("vk_token_rejected")
        if code == 29:
            blocked = self.state.setdefault("blocked_methods", set())
            if method not in blocked:
                blocked.add(method)
                self.note(f"vk {method}", "daily limit reached (error 29): not called again in this crawl")
            stats.inc_value("pagescout/errors/vk_29_limit")
            return
        if not account and method not in AUDIENCE_METHODS:
            self.later_page_failed(f"vk_{code}")
            return
        if method in AUDIENCE_METHODS:
            stats.inc_value(f"pagescout/errors/vk_{code}_audience")
            if code in (14, 15, 203, 30):
                stats.set_value(f"pagescout/audience_hidden/{handle}", f"{method}: {message} (error {code})")
            return
        if error.malformed:
            raise InvalidAnswer(f"{method}: {message}")
        if code == 14:
            reason = f"captcha needed (error 14: {message}): VK wants a human; try later"
        elif code in (15, 203, 30):
            reason = f"closed or private (error {code}: {message})"
        elif code == 100 and method == "groups.getById":
            reason = f"not a VK community (error 100: {message})"
        else:
            reason = f"VK error {code}: {message}" if message else f"VK error {code}"
        yield self.unavailable(handle, reason, f"vk_{code}")

    # callbacks -------------------------------------------------------------------------------
    def parse_group(self, response, handle: str, hop: int):
        """The community, then requests for its wall and members. What can make the answer unusable is
        checked before the first item leaves, so posts never come without their account."""
        try:
            body = self.answer(response)
        except VkError as error:
            if error.code == 100 and hop > 0:
                self.not_a_community(handle)
                return
            yield from self.vk_error(response, error, handle)
            return
        groups = groups_of(body)
        if groups is None:
            raise InvalidAnswer("groups.getById: the answer has no list of groups")
        if not groups:
            if hop > 0:
                self.not_a_community(handle)
                return
            yield self.unavailable(handle, "not a VK community (no group in the answer)", "vk_not_found")
            return
        group = groups[0]
        group_id = vk_id(group.get("id")) if isinstance(group, dict) else None
        if group_id is None:
            raise InvalidAnswer("groups.getById: the group has no usable id")
        account = self.parse_account(group, group_id)
        done = self.state.setdefault("done", set())
        ids = self.state.setdefault("ids", {})
        ids[str(group_id)] = account.handle
        hops = self.state.setdefault("hops", {})
        if account.handle != handle:
            hops[account.handle] = min(hops.get(account.handle, hop), hop)
            self.crawler.stats.inc_value("pagescout/vk/handle_resolved")
        if account.handle in done:  # met twice under two names (club1 and apiclub): crawl it once
            return
        done.add(account.handle)
        deactivated = group.get("deactivated")  # "deleted" or "banned"
        if deactivated not in (None, False, 0, ""):
            how = self.fields.text(deactivated, "reason", limit=50)
            yield self.unavailable(account.handle, f"deactivated by VK ({how})" if how else "deactivated by VK",
                                   "vk_deactivated")
            return
        yield account
        yield self.snapshot(account)
        if self.gathering and hops.get(account.handle, hop) == 0:
            yield self.gather_started(account.handle)
            members = self.sample_requests(account.handle, group_id, account.followers)
        else:
            members = [self.members_request(account.handle, group_id) if self.audience_limit else None]
        for request in (self.wall_request(account.handle, group_id, hops.get(account.handle, hop)), *members):
            if request is not None:
                yield request

    def not_a_community(self, handle: str) -> None:
        """A name found by --depth (a vk.com/<name> link) is no community, most likely a person: nothing is
        stored for it, not even an unavailable row; only counted."""
        self.crawler.stats.inc_value("pagescout/vk/not_a_community_skipped")

    def parse_account(self, group: dict, group_id: int) -> Account:
        handle = group_handle(group_id, group.get("screen_name"))
        description = group.get("description")
        if isinstance(description, str):
            description = description.replace("<br>", "\n")
        return Account(
            platform=self.platform,
            handle=handle,
            name=self.fields.text(group.get("name"), "name"),
            url=f"https://vk.com/{handle}",
            description=self.fields.text(description, "description"),
            followers=self.fields.count(group.get("members_count"), "followers"),
            followers_kind=self.followers_kind,
            verified=self.fields.flag(group.get("verified"), "verified"),
            avatar=next((url for key in ("photo_200", "photo_100", "photo_50")
                         if (url := self.fields.url(group.get(key), "avatar"))), None),
        )

    def parse_wall(self, response, handle: str, group_id: int, hop: int, offset: int):
        try:
            body = self.answer(response)
            data = body.get("response")
            if not isinstance(data, dict):
                raise VkError(0, "the answer has no wall", malformed=True)
        except VkError as error:
            yield from self.vk_error(response, error, handle, account=not offset)
            return
        items = [i for i in as_list(data.get("items")) if isinstance(i, dict)]
        names = self.names_in(data)
        room = max(0, self.max_posts - offset)
        posts, found_links = [], []
        for item in items[:room]:
            post, links = self.parse_post(item, handle, group_id, names)
            if post is None:
                continue
            posts.append(post)
            yield post
            found_links.extend(links)
        taken = offset + len(items[:room])
        total = self.fields.count(data.get("count"), "posts_total")
        if items and taken < self.max_posts and (total is None or taken < total):
            request = self.wall_request(handle, group_id, hop, offset=taken)
            if request is not None:
                yield request
        if offset == 0 and self.audience_limit and not self.gathering:
            recent = sorted(posts, key=lambda p: p.published_at or datetime.min.replace(tzinfo=timezone.utc),
                            reverse=True)[:LIKERS_POSTS]
            for post in recent:
                if post.likes:
                    request = self.likers_request(handle, group_id, int(post.post_id))
                    if request is not None:
                        yield request
        # Communities named only by id (``[club123|…]``) are looked up first, in one call, so links and
        # --depth use their screen names: the name their own page is stored under.
        unknown = sorted({int(m.group(1)) for link in found_links if (m := GROUP_ID.match(link.dst))})
        resolve = self.call("groups.getById", self.parse_names, handle, errback=self.on_names_error, priority=1,
                            group_ids=",".join(map(str, ids_that_fit(unknown))), fields="screen_name") \
            if unknown else None
        if resolve is None:
            yield from self.emit_links(found_links, handle, hop)
        else:
            # Only community links are kept in the request (and so in a resumable job's queue).
            resolve.cb_kwargs.update(links=found_links, hop=hop)
            yield resolve

    def parse_names(self, response, handle: str, links: list, hop: int, users: list = ()):
        """Screen names of communities known by id only; then the wall page's links, renamed."""
        try:
            groups = groups_of(self.answer(response))
        except VkError as error:
            tries = response.meta.get("vk_retries", 0)
            if error.code in (5, 29) or (error.code == 6 and tries < RETRIES_6):
                yield from self.vk_error(response, error, handle)  # stop, stop calling, or retry
                if error.code == 6:
                    return
            else:
                self.crawler.stats.inc_value(f"pagescout/errors/vk_{error.code}_names")
            groups = []
        ids = self.state.setdefault("ids", {})
        for group in groups or ():
            group_id = vk_id(group.get("id")) if isinstance(group, dict) else None
            if group_id is not None:
                ids[str(group_id)] = group_handle(group_id, group.get("screen_name"))
        renamed = []
        for link in links:
            match = GROUP_ID.match(link.dst)
            if match and ids.get(match.group(1)):
                link.dst = ids[match.group(1)]
            if link.dst != handle:
                renamed.append(link)
        yield from self.emit_links(renamed, handle, hop)

    def on_names_error(self, failure):
        """The lookup failed: the links go out under the names the wall page gave them."""
        yield from self.on_side_error(failure)
        kwargs = failure.request.cb_kwargs
        yield from self.emit_links(kwargs["links"], kwargs["handle"], kwargs["hop"])

    def emit_links(self, links: list, handle: str, hop: int, users=()):
        seen, discovered = set(), set()
        for link in links:
            key = (link.dst, link.kind, link.post_id)
            if key in seen:
                continue
            seen.add(key)
            if is_user(link.dst) or link.dst in users:  # people are not pages (see parse_post)
                self.crawler.stats.inc_value("pagescout/vk/user_links_dropped")
                continue
            yield link
            discovered.add(link.dst)
        yield from (r for r in self.expand(handle, hop, sorted(discovered - {handle})) if r is not None)

    def names_in(self, data: dict) -> dict:
        """Screen names of the groups and users an extended answer describes, by id."""
        known = self.state.get("ids", {})
        groups, users = {}, {}
        for key, found, handle_of in (("groups", groups, group_handle), ("profiles", users, user_handle)):
            for entry in as_list(data.get(key)):
                entry_id = vk_id(entry.get("id")) if isinstance(entry, dict) else None
                if entry_id is not None:
                    found[entry_id] = handle_of(entry_id, entry.get("screen_name"))
        for gid, name in known.items():
            groups.setdefault(int(gid), name)
        return {"groups": groups, "users_by_id": users, "users": set(users.values())}

    def owner_handle(self, owner: int, names: dict) -> str:
        if owner < 0:
            return names["groups"].get(-owner) or f"club{-owner}"
        return names["users_by_id"].get(owner) or f"id{owner}"

    def post_urls(self, item: dict, text: str | None) -> list[str]:
        """Where a wall post sends its readers: its link attachments and the web addresses in its text."""
        urls = [as_dict(as_dict(a).get("link")).get("url") for a in as_list(item.get("attachments"))
                if as_dict(a).get("type") == "link"]
        urls += WEB_ADDRESS.findall(text or "")
        return [u for u in (self.fields.url(url, "url") for url in urls) if u]

    def parse_post(self, item: dict, handle: str, group_id: int, names: dict) -> tuple[Post | None, list[Link]]:
        """``(Post or None, links)`` for one wall item; one without a usable id is skipped, counted in
        ``pagescout/invalid/vk/post_id``."""
        post_id = vk_id(item.get("id"))
        if post_id is None:
            self.fields.invalid("post_id")
            return None, []
        published = self.unix_date(item.get("date"), "published_at")
        history = [h for h in as_list(item.get("copy_history")) if isinstance(h, dict)]
        text = self.fields.text(item.get("text"), "text")
        post = Post(
            platform=self.platform,
            account=handle,
            post_id=str(post_id),
            url=f"https://vk.com/wall-{group_id}_{post_id}",
            published_at=published,
            text=text,
            views=self.count_in(item.get("views"), "views"),
            likes=self.count_in(item.get("likes"), "likes"),
            comments=self.count_in(item.get("comments"), "comments"),
            reposts=self.count_in(item.get("reposts"), "reposts"),
            kind="repost" if history else "post",
            link_urls=self.post_urls(item, text),
            platform_ad=self.fields.flag(item.get("marked_as_ads"), "marked_as_ads"),
        )
        links = []
        people = 0  # users named in the post: counted, never kept (people are not pages)
        if history:
            owner = owner_id(history[-1].get("owner_id"))
            if owner is None:
                if history[-1].get("owner_id") is not None:
                    self.fields.invalid("owner_id")
            elif owner > 0:
                people += 1
            else:
                source = self.owner_handle(owner, names)
                if source != handle:
                    links.append(Link(self.platform, handle, source, "repost", str(post_id), published))
        mentioned = set()
        texts = [text or ""] + [self.fields.text(h.get("text"), "text") or "" for h in history]
        for text in texts:
            for kind, number in MARKUP.findall(text):
                if kind == "id":
                    people += 1
                    continue
                mentioned.add(self.owner_handle(-int(number), names))
            for path in VK_LINK.findall(text):
                found = page_from_url(f"https://vk.com/{path}")
                if found and (is_user(found) or found in names["users"]):
                    people += 1
                elif found:
                    match = GROUP_ID.match(found)
                    mentioned.add(names["groups"].get(int(match.group(1)), found) if match else found)
        if people:
            self.crawler.stats.inc_value("pagescout/vk/user_links_dropped", people)
        mentioned -= {handle, *(link.dst for link in links)}
        links.extend(Link(self.platform, handle, other, "mention", str(post_id), published)
                     for other in sorted(mentioned))
        return post, links

    def audience_items(self, body: dict) -> tuple[dict, list]:
        """The ``response`` of a member or liker list and its ``items``; an answer without them is counted
        (``pagescout/errors/vk_bad_answer_audience``), never raised: the community is stored already."""
        data = body.get("response")
        if not isinstance(data, dict):
            self.crawler.stats.inc_value("pagescout/errors/vk_bad_answer_audience")
            return {}, []
        return data, as_list(data.get("items"))

    def parse_members(self, response, handle: str, group_id: int, offset: int, sampled: bool = False):
        try:
            body = self.answer(response)
        except VkError as error:
            yield from self.vk_error(response, error, handle)
            return
        data, items = self.audience_items(body)
        for item in items:
            if self.audience_room(handle, "member") <= 0:
                return
            user_id = vk_id(item.get("id") if isinstance(item, dict) else item)
            if user_id is None:
                self.fields.invalid("member_id")
                continue
            signals = self.member_signals(item) if isinstance(item, dict) else {}
            member = self.member(handle, "member", user_id, **signals)
            if member is not None:
                yield member
                if self.gathering and self.is_target(handle):
                    self.join_sample(handle, {"id": str(user_id), "deactivated": bool(signals.get("deactivated"))})
        if sampled:  # one member at a random offset: no paging
            return
        taken = offset + len(items)
        total = self.fields.count(data.get("count"), "followers")
        if items and self.audience_room(handle, "member") > 0 and (total is None or taken < total):
            request = self.members_request(handle, group_id, offset=taken)
            if request is not None:
                yield request

    # gather ------------------------------------------------------------------------------------
    profile_reserve = -(-MAX_PROFILE_LOOKUPS // PROFILES_BATCH)  # the candidates' lookups, in batches

    @property
    def sampling(self) -> str:
        return "random"

    def sample_requests(self, handle: str, group_id: int, members_count: int | None) -> list:
        """A uniform random sample of ``--members`` members: one ``groups.getMembers`` call of one member
        at each of that many distinct random offsets (the same offsets for the same gather, so a resumed
        or repeated gather samples the same people); the whole list where it is no longer than that."""
        wanted = self.audience_limit
        if members_count is None or members_count <= wanted:
            return [self.members_request(handle, group_id)]
        offsets = sorted(random.Random(f"{self.gather_run}:{handle}").sample(range(members_count), wanted))
        requests = []
        for offset in offsets:
            request = self.call("groups.getMembers", self.parse_members, handle, priority=-1, group_id=group_id,
                                count=1, offset=offset, sort="id_asc", fields=",".join(MEMBER_FIELDS))
            if request is not None:
                request.cb_kwargs.update(group_id=group_id, offset=offset, sampled=True)
                requests.append(request)
        return requests

    @classmethod
    def member_from_id(cls, member_id: str) -> dict:
        """A member named by VK user id: 123, id123 or https://vk.com/id123."""
        match = re.fullmatch(r"(?:https?://(?:m\.)?vk\.(?:com|ru)/)?(?:id)?([1-9][0-9]{0,17})/?", member_id.strip())
        if match is None:
            raise SeedError(f"'{member_id}' is not a VK user id: write 123, id123 or https://vk.com/id123")
        return {"id": match.group(1)}

    def follows_request(self, member: dict):
        """The communities a sampled member follows (``users.getSubscriptions``, ``extended=1``: people and
        communities in one list, told apart by ``type``), 200 a call; a service token may call it."""
        if member.get("deactivated"):
            return "hidden"
        return self.subscriptions_page(member["id"]) or "failed"

    def subscriptions_page(self, member_id: str, offset: int = 0, pages_read: int = 0) -> scrapy.Request | None:
        request = self.call("users.getSubscriptions", self.parse_subscriptions, "", errback=self.follows_failed,
                            user_id=member_id, extended=1, count=SUBSCRIPTIONS_PAGE, offset=offset or None,
                            fields="members_count,screen_name")
        if request is None:
            return None
        request.cb_kwargs.update(member_id=member_id, offset=offset, pages_read=pages_read)
        return self.optional(request, later=pages_read > 0)

    def parse_subscriptions(self, response, handle: str, member_id: str, offset: int, pages_read: int = 0):
        try:
            body = self.answer(response)
        except VkError as error:
            if error.code in SUBSCRIPTIONS_HIDDEN and not pages_read:
                yield self.list_done(member_id, "hidden")
                return
            retried = list(self.vk_error(response, error, handle, account=False))  # 6: a retry; 5: stops
            if retried:
                yield from retried
                return
            yield self.page_failed(member_id, pages_read)
            return
        data, items = self.audience_items(body)
        communities = []
        for item in items:
            item = as_dict(item)
            group_id = vk_id(item.get("id"))
            if item.get("type") not in COMMUNITY_TYPES or group_id is None:
                self.crawler.stats.inc_value("pagescout/vk/gather_people_skipped")  # a person is no page
                continue
            page = group_handle(group_id, item.get("screen_name"))
            communities.append((page, {"name": self.fields.text(item.get("name"), "name"),
                                       "url": f"https://vk.com/{page}",
                                       "followers": self.fields.count(item.get("members_count"), "followers")}))
        if not items and offset == 0:
            yield self.list_done(member_id, "hidden")  # follows nothing
            return
        yield from self.followed(member_id, communities)
        taken = offset + len(items)
        total = self.fields.count(data.get("count"), "follows")
        request = None
        if items and (total is None or taken < total) and self.may_page_on(pages_read + 1):
            request = self.subscriptions_page(member_id, taken, pages_read + 1)
        yield request if request is not None else self.list_done(member_id, "read")

    def profile_requests(self, handles: list[str]) -> list:
        """Candidates whose ``members_count`` the lists left out: ``groups.getById``, batched."""
        requests = []
        for start in range(0, len(handles), PROFILES_BATCH):
            request = self.call("groups.getById", self.parse_candidates, "", group_ids=",".join(
                handles[start:start + PROFILES_BATCH]), fields="members_count,screen_name")
            if request is not None:
                requests.append(request)
        return requests

    def parse_candidates(self, response, handle: str):
        try:
            groups = groups_of(self.answer(response)) or []
        except VkError:
            self.crawler.stats.inc_value("pagescout/errors/vk_candidates")
            return
        for group in groups:
            group = as_dict(group)
            group_id = vk_id(group.get("id"))
            if group_id is not None:
                page = group_handle(group_id, group.get("screen_name"))
                self.page_details(page, {"name": self.fields.text(group.get("name"), "name"), "url": f"https://vk.com/{page}",
                                         "followers": self.fields.count(group.get("members_count"), "followers")})

    def parse_likers(self, response, handle: str):
        try:
            body = self.answer(response)
        except VkError as error:
            yield from self.vk_error(response, error, handle)
            return
        for item in self.audience_items(body)[1]:
            user_id = vk_id(item.get("id") if isinstance(item, dict) else item)
            if user_id is None:
                self.fields.invalid("member_id")
                continue
            member = self.member(handle, "liker", user_id)
            if member is not None:
                yield member
