"""YouTube channels: the keyless channel feed, or the Data API v3 when ``$YOUTUBE_API_KEY`` is set.

Keyless: ``https://www.youtube.com/feeds/videos.xml?channel_id=UC…`` lists the latest 15 videos with
their views (``media:statistics views``) and likes (``media:starRating count``); it has no subscriber
count, no comment counts, nothing older. A ``@handle`` is resolved to its channel id from the channel
page (``<meta itemprop="channelId">``, ``"channelId":"UC…"`` or the canonical link).

With a key (1 quota unit per list call; the summary shows the units used; 10,000 a day by default):
``channels.list`` (subscribers, or empty when the channel hides them; videos in all; the uploads
playlist), ``playlistItems.list`` of the uploads (50 per call) up to ``--max-posts``, ``videos.list
part=snippet,statistics`` (views, likes, comments), and ``commentThreads.list`` on the 10 newest videos
→ audience ``commenter`` (the commenting channel's id, hashed), up to ``--audience-limit``. A
``quotaExceeded`` answer stops the crawl cleanly (what was stored stays) and says so; a key YouTube
rejects (``keyInvalid``, ``keyExpired``, the API not enabled, …) stops it with one line. Any other error
concerns one channel or one video: ``forbidden`` or ``commentsDisabled`` on a video's comments skips that
video's comments (counted). An answer that cannot be read (not a JSON object, ``items`` not a list, a
channel without an id, a feed that is not Atom) raises ``InvalidAnswer``: the channel it was for is stored
unavailable with that reason (for a later page or a video's comments it is counted), and the crawl goes
on. Every value kept passes a typed reader (``crawler.fields``): counts come as digit strings ("7920"),
and one that is no plausible count, a title that is no text, an id that is no id, is left out and counted
as ``pagescout/invalid/youtube/<field>``. The key is added to URLs only at download time
(``crawler.apikeys``): it is never logged or stored.

Handles are channel ids (``UC…``), the one name that never changes; the account's URL uses the
``@handle`` where the API tells it. Links ``youtube.com/channel/UC…`` in video descriptions become
``mention`` links (``--depth`` follows them); ``@handle`` links are not resolved (that would cost a
request each). What YouTube never shows: subscriber lists (private), who liked a video, dislikes.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import TextResponse

from crawler.ads import WEB_ADDRESS
from crawler.apikeys import scrub, secret
from crawler.basespider import InvalidAnswer, PlatformSpider, SeedError
from crawler.feeds import feed_selector
from crawler.fields import as_dict, as_list, clean_text
from crawler.items import Account, Link, Post
from crawler.platforms import platform
from crawler.sampling import AUDIENCE_LIMIT, AudienceSampler, known_fields
from crawler.social import json_body

CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
HANDLE = re.compile(r"^@[A-Za-z0-9_.\-·]{3,30}$")
# A ``customUrl`` as the API gives it, to build the account's URL: any script (handles may be written in
# many), but one path segment.
HANDLE_IN_URL = re.compile(r"^@[^\s/?#%\\\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,100}$")
YT_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
CHANNEL_IN_TEXT = re.compile(r"youtube\.com/channel/(UC[A-Za-z0-9_-]{22})")
# Ids as the API and the feed send them (videos 11 characters, playlists 24–34), and page tokens (base64,
# up to a few hundred characters), with room to spare: anything else is a stranger's value that must not
# become a key or go into a URL. Checked with fullmatch: "$" alone lets a trailing newline through.
API_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAGE_TOKEN = re.compile(r"^[A-Za-z0-9_+/=-]{1,1024}$")
ERROR_REASON = re.compile(r"^[A-Za-z_]{1,64}$")
CHANNEL_ID_IN_PAGE = [
    re.compile(r'<meta itemprop="(?:channelId|identifier)" content="(UC[A-Za-z0-9_-]{22})"'),
    re.compile(r'"(?:channelId|externalId|browseId)":"(UC[A-Za-z0-9_-]{22})"'),
    re.compile(r'<link rel="canonical" href="https?://www\.youtube\.com/channel/(UC[A-Za-z0-9_-]{22})"'),
]
NS = {"atom": "http://www.w3.org/2005/Atom", "yt": "http://www.youtube.com/xml/schemas/2015",
      "media": "http://search.yahoo.com/mrss/"}
PLAYLIST_PAGE = 50
COMMENTS_PAGE = 100
COMMENTER_VIDEOS = 10
QUOTA_REASONS = ("quotaExceeded", "dailyLimitExceeded")
# Reasons that concern the key or the project, so every further call would fail too: the crawl stops.
# ``forbidden`` is not among them: it concerns one resource (a video's comments, say).
KEY_REASONS = ("keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked", "SERVICE_DISABLED",
               "API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED")


def channel_from_url(url: str) -> str | None:
    parts = urlsplit(url if "//" in url else f"//{url}")
    if (parts.hostname or "").lower() not in YT_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["channel"] and len(segments) > 1 and CHANNEL_ID.match(segments[1]):
        return segments[1]
    if segments and HANDLE.match(segments[0]):
        return segments[0].lower()
    if segments[:2] == ["feeds", "videos.xml"]:
        found = parse_qs(parts.query).get("channel_id", [""])[0]
        return found if CHANNEL_ID.match(found) else None
    return None


def api_error(response) -> tuple[str, str]:
    """``(reason, message)`` of a Data API error answer (``{"error": {"errors": [{"reason"}], …}}``).

    The reason becomes part of a stats key, so only a plain word is taken; the message is shown and
    stored, so it is cleaned and cut.
    """
    try:
        body = response.json()
    except (ValueError, AttributeError):  # AttributeError: a binary answer has no text to decode
        return f"http_{response.status}", f"HTTP {response.status}"
    error = as_dict(as_dict(body).get("error"))
    if not error:
        return f"http_{response.status}", f"HTTP {response.status}"
    errors = [e for e in as_list(error.get("errors")) if isinstance(e, dict)]
    reason = errors[0].get("reason") if errors else None
    if not isinstance(reason, str) or not ERROR_REASON.fullmatch(reason):
        reason = f"http_{response.status}"
    return reason, scrub(clean_text(error.get("message"), 300) or reason, "youtube")


class YoutubeSpider(AudienceSampler, PlatformSpider):
    name = "youtube"
    platform = "youtube"
    default_base_url = "https://www.youtube.com"
    default_api_url = "https://www.googleapis.com/youtube/v3"
    # No published limit for the feed or pages: one request a second is the polite floor.
    min_delay = 1.0
    # API errors come back as 4xx with a JSON reason; feed and page 404s mean no such channel.
    handle_httpstatus_list = [400, 403, 404]

    def __init__(self, *args, audience_limit: int = AUDIENCE_LIMIT, base_url: str | None = None, **kwargs):
        super().__init__(*args, base_url=base_url, **kwargs)
        self.audience_limit = max(0, int(audience_limit))
        self.api_url = f"{self.base_url}/youtube/v3" if base_url else self.default_api_url
        self.use_api = secret("youtube") is not None

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        text = seed.strip()
        if CHANNEL_ID.match(text):
            return text
        if "youtube.com" in text or text.startswith(("http://", "https://")):
            found = channel_from_url(text)
        else:
            found = text.lower() if HANDLE.match(text) else None
        if found:
            return found
        raise SeedError(f"'{seed}' is not a YouTube channel: use its id (UC…), @handle, "
                        "https://www.youtube.com/channel/UC… or https://www.youtube.com/@handle")

    async def start(self):
        if self.use_api:
            self.note("youtube mode", "Data API ($YOUTUBE_API_KEY)")
        for request in self.seed_requests():
            yield request

    # requests --------------------------------------------------------------------------------
    def api(self, method: str, callback, handle: str, account: bool = False, priority: int = 0, **params):
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return scrapy.Request(
            f"{self.api_url}/{method}?{query}",
            callback=callback,
            errback=self.on_error if account else self.on_side_error,
            cb_kwargs={"handle": handle},
            meta={"api_key": "youtube", "yt_method": method, "answer_kind": "json",
                  **({"handle": handle} if account else {})},
            priority=priority,
        )

    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        if self.use_api:
            which = {"id": handle} if CHANNEL_ID.match(handle) else {"forHandle": handle}
            request = self.api("channels", self.parse_channel, handle, account=True,
                               part="snippet,statistics,contentDetails", **which)
        elif CHANNEL_ID.match(handle):
            request = self.feed_request(handle)
        else:
            request = scrapy.Request(f"{self.base_url}/{handle}", callback=self.parse_handle_page,
                                     errback=self.on_error, cb_kwargs={"handle": handle},
                                     meta={"handle": handle, "answer_kind": "html"})
        request.cb_kwargs["hop"] = hop
        return request

    def feed_request(self, channel_id: str) -> scrapy.Request:
        return scrapy.Request(f"{self.base_url}/feeds/videos.xml?channel_id={channel_id}", callback=self.parse_feed,
                              errback=self.on_error, cb_kwargs={"handle": channel_id},
                              meta={"handle": channel_id, "answer_kind": "xml"})

    # errors ----------------------------------------------------------------------------------
    def spent(self) -> None:
        stats = self.crawler.stats
        stats.inc_value("pagescout/youtube/quota_units")
        self.note("youtube quota units used", stats.get_value("pagescout/youtube/quota_units"))

    def api_failed(self, response, handle: str, account: bool):
        """Yields what an API error answer means, or nothing; raises CloseSpider on quota or key errors."""
        reason, message = api_error(response)
        stats = self.crawler.stats
        if reason in QUOTA_REASONS:
            self.note("youtube quota", f"exceeded ({reason}): crawl stopped; the daily quota resets at midnight "
                                       "Pacific time")
            raise CloseSpider("youtube_quota_exceeded")
        if reason in KEY_REASONS or (response.status == 400 and ("key" in reason.lower()
                                                                 or "api key" in message.lower())):
            stats.set_value("pagescout/fatal", f"YouTube refused the key in $YOUTUBE_API_KEY ({reason}: {message}): "
                                               "check it in the Google Cloud console (YouTube Data API v3 enabled)")
            raise CloseSpider("youtube_key_rejected")
        if account:
            code = "not_found" if response.status == 404 else f"youtube_{reason}"
            yield self.unavailable(handle, f"{reason} (HTTP {response.status}: {message})", code)
        else:
            stats.inc_value(f"pagescout/errors/youtube_{reason}")

    @staticmethod
    def api_body(response, method: str) -> dict:
        """The JSON object of a 200 answer of ``method``; raises InvalidAnswer when the body is not one (an
        HTML error page, an empty body, a list)."""
        try:
            body = json_body(response) if isinstance(response, TextResponse) else None
        except RecursionError:  # arrays nested deeper than the JSON decoder goes
            body = None
        if not isinstance(body, dict):
            raise InvalidAnswer(f"{method}.list answer is not a JSON object")
        return body

    @staticmethod
    def api_items(body: dict, method: str) -> list:
        """The ``items`` of an answer (none when absent); raises InvalidAnswer when they are not a list."""
        items = body.get("items")
        if items is None:
            return []
        if not isinstance(items, list):
            raise InvalidAnswer(f"{method}.list items is not a list")
        return items

    def page_token(self, body: dict) -> str | None:
        token = body.get("nextPageToken")
        if token is not None and not (isinstance(token, str) and PAGE_TOKEN.fullmatch(token)):
            self.fields.invalid("next_page_token")  # paging stops: what came so far is kept
            return None
        return token

    def api_id(self, value, field: str) -> str | None:
        """A video or playlist id as the API writes them; ``None``, counted as invalid, otherwise."""
        if isinstance(value, str) and API_ID.fullmatch(value):
            return value
        if value is not None:
            self.fields.invalid(field)
        return None

    # keyless ---------------------------------------------------------------------------------
    def parse_handle_page(self, response, handle: str, hop: int):
        if response.status != 200:
            yield self.unavailable(handle, f"no such channel (HTTP {response.status})", "not_found")
            return
        text = response.text if isinstance(response, TextResponse) else ""
        channel_id = next((m.group(1) for p in CHANNEL_ID_IN_PAGE if (m := p.search(text))), None)
        if channel_id is None:
            yield self.unavailable(handle, "no channel id on the channel page", "no_channel_id")
            return
        self.state.setdefault("hops", {}).setdefault(channel_id, hop)
        request = self.feed_request(channel_id)
        request.cb_kwargs["hop"] = hop
        yield request

    def parse_feed(self, response, handle: str, hop: int):
        if response.status == 404 and not response.meta.get("feed_retried"):
            # The feed endpoint is known to answer 404 now and then for live channels: ask once more.
            self.crawler.stats.inc_value("pagescout/retries/youtube_feed_404")
            yield response.request.replace(dont_filter=True, meta={**response.meta, "feed_retried": True})
            return
        if response.status != 200:
            yield self.unavailable(handle, f"no channel feed (HTTP {response.status})", "not_found")
            return
        feed = feed_selector(response)
        if not feed.xpath("/atom:feed", namespaces=NS):
            raise InvalidAnswer("the channel feed is not an Atom feed")
        title = feed.xpath("/atom:feed/atom:title/text()", namespaces=NS).get()
        done = self.state.setdefault("done", set())
        if handle in done:
            return
        done.add(handle)
        yield Account(
            platform=self.platform, handle=handle, name=self.fields.text(title, "name"),
            url=platform("youtube").profile_url.format(handle), followers=None, followers_kind=self.followers_kind,
            created_at=self.fields.date(feed.xpath("/atom:feed/atom:published/text()", namespaces=NS).get(),
                                        "created_at"),
        )
        discovered = set()
        for entry in feed.xpath("/atom:feed/atom:entry", namespaces=NS)[: self.max_posts]:
            post, links = self.parse_entry(entry, handle)
            if post is None:
                continue
            yield post
            for link in links:
                yield link
                discovered.add(link.dst)
        yield from self.expand(handle, hop, sorted(discovered))

    def parse_entry(self, entry, handle: str) -> tuple[Post | None, list[Link]]:
        def get(path):
            return entry.xpath(path, namespaces=NS).get()

        video_id = self.api_id(get("yt:videoId/text()"), "video_id")
        if not video_id:
            self.crawler.stats.inc_value("pagescout/invalid/youtube/entry")
            return None, []
        title = self.fields.text(get("atom:title/text()"), "title")
        description = self.fields.text(get("media:group/media:description/text()"), "description")
        published = self.fields.date(get("atom:published/text()"), "published_at")
        post = Post(
            platform=self.platform, account=handle, post_id=video_id,
            url=self.fields.url(get("atom:link[@rel='alternate']/@href"), "url")
            or f"https://www.youtube.com/watch?v={video_id}",
            published_at=published, text=self.video_text(title, description),
            views=self.fields.count(get("media:group/media:community/media:statistics/@views"), "views"),
            likes=self.fields.count(get("media:group/media:community/media:starRating/@count"), "likes"),
        )
        return post, self.mentions(description, handle, video_id, published)

    def video_text(self, title: str | None, description: str | None) -> str | None:
        """A video's title and description as one post text, within the text cap."""
        return self.fields.text("\n\n".join(t for t in (title, description) if t) or None, "text")

    def mentions(self, text: str, handle: str, video_id: str, at) -> list[Link]:
        found = sorted(set(CHANNEL_IN_TEXT.findall(text or "")) - {handle})
        return [Link(self.platform, handle, other, "mention", video_id, at) for other in found]

    # Data API --------------------------------------------------------------------------------
    def parse_channel(self, response, handle: str, hop: int):
        self.spent()
        if response.status != 200:
            yield from self.api_failed(response, handle, account=True)
            return
        items = self.api_items(self.api_body(response, "channels"), "channels")
        if not items:
            yield self.unavailable(handle, "no such channel (channels.list found none)", "not_found")
            return
        channel = next((item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
                        and CHANNEL_ID.fullmatch(item["id"])), None)
        if channel is None:
            raise InvalidAnswer("channels.list item has no channel id (UC…)")
        account = self.parse_channel_item(channel)
        hops = self.state.setdefault("hops", {})
        hops.setdefault(account.handle, hop)
        done = self.state.setdefault("done", set())
        if account.handle in done:
            return
        done.add(account.handle)
        yield account
        yield self.snapshot(account)
        uploads = self.api_id(as_dict(as_dict(channel.get("contentDetails")).get("relatedPlaylists")).get("uploads"),
                              "uploads_playlist")
        if uploads:
            yield self.uploads_request(account.handle, uploads, hops[account.handle])

    def parse_channel_item(self, channel: dict) -> Account:
        snippet = as_dict(channel.get("snippet"))
        stats = as_dict(channel.get("statistics"))
        thumbnails = as_dict(snippet.get("thumbnails"))
        avatar = next((url for k in ("high", "medium", "default")
                       if (url := self.fields.url(as_dict(thumbnails.get(k)).get("url"), "avatar"))), None)
        custom = snippet.get("customUrl")
        if custom is not None and not (isinstance(custom, str) and HANDLE_IN_URL.fullmatch(custom)):
            self.fields.invalid("custom_url")
            custom = None
        # Only True hides the count: the string "false" is truthy, and a hidden count is unknown, not 0.
        hidden = self.fields.flag(stats.get("hiddenSubscriberCount"), "hidden_subscribers") is True
        values = dict(
            platform=self.platform, handle=channel["id"], name=self.fields.text(snippet.get("title"), "name"),
            url=f"https://www.youtube.com/{custom}" if custom else f"https://www.youtube.com/channel/{channel['id']}",
            description=self.fields.text(snippet.get("description"), "description"),
            followers=None if hidden else self.fields.count(stats.get("subscriberCount"), "followers"),
            followers_kind=self.followers_kind, avatar=avatar,
            created_at=self.fields.date(snippet.get("publishedAt"), "created_at"),
            posts_total=self.fields.count(stats.get("videoCount"), "posts_total"),
        )
        return Account(**known_fields(Account, values))

    def uploads_request(self, handle: str, playlist: str, hop: int, page_token: str | None = None,
                        taken: int = 0) -> scrapy.Request:
        request = self.api("playlistItems", self.parse_uploads, handle, account=page_token is None,
                           priority=1 if page_token else 0, part="contentDetails", playlistId=playlist,
                           maxResults=min(PLAYLIST_PAGE, max(1, self.max_posts - taken)), pageToken=page_token)
        request.cb_kwargs.update(playlist=playlist, hop=hop, taken=taken)
        return request

    def parse_uploads(self, response, handle: str, playlist: str, hop: int, taken: int):
        self.spent()
        if response.status != 200:
            yield from self.api_failed(response, handle, account=taken == 0)
            return
        try:
            body = self.api_body(response, "playlistItems")
            items = self.api_items(body, "playlistItems")
        except InvalidAnswer:
            if taken:  # a later page names no account: the middleware only counts it
                raise
            # The channel is stored already: an unreadable first page loses its videos, not its record
            # (raised, the first page's handle would mark the channel unavailable).
            self.crawler.stats.inc_value("pagescout/errors/invalid_answer")
            return
        ids = []
        for item in items:
            item = as_dict(item)
            video_id = self.api_id(as_dict(item.get("contentDetails")).get("videoId")
                                   or as_dict(as_dict(item.get("snippet")).get("resourceId")).get("videoId"),
                                   "video_id")
            if video_id is None:
                self.crawler.stats.inc_value("pagescout/invalid/youtube/playlist_item")
            elif taken + len(ids) < self.max_posts:
                ids.append(video_id)
        if ids:
            # paidProductPlacementDetails: the creator's own "includes paid promotion" mark (no extra quota)
            request = self.api("videos", self.parse_videos, handle, priority=1,
                               part="snippet,statistics,paidProductPlacementDetails", id=",".join(ids),
                               maxResults=len(ids))
            request.cb_kwargs.update(hop=hop, first=taken == 0)
            yield request
        taken += len(ids)
        token = self.page_token(body)
        if ids and token and taken < self.max_posts:
            yield self.uploads_request(handle, playlist, hop, page_token=token, taken=taken)

    def parse_videos(self, response, handle: str, hop: int, first: bool):
        self.spent()
        if response.status != 200:
            yield from self.api_failed(response, handle, account=False)
            return
        body = self.api_body(response, "videos")
        posts, discovered = [], set()
        for video in self.api_items(body, "videos"):
            post, links = self.parse_video(as_dict(video), handle)
            if post is None:
                self.crawler.stats.inc_value("pagescout/invalid/youtube/video")
                continue
            posts.append(post)
            yield post
            for link in links:
                yield link
                discovered.add(link.dst)
        if first and self.audience_limit:
            newest = sorted(posts, key=lambda p: p.published_at.timestamp() if p.published_at else 0,
                            reverse=True)[:COMMENTER_VIDEOS]
            for post in newest:
                if post.comments != 0:
                    yield self.comments_request(handle, post.post_id)
        yield from self.expand(handle, hop, sorted(discovered))

    def parse_video(self, video: dict, handle: str) -> tuple[Post | None, list[Link]]:
        video_id = self.api_id(video.get("id"), "video_id")
        if video_id is None:
            return None, []
        snippet = as_dict(video.get("snippet"))
        stats = as_dict(video.get("statistics"))
        description = self.fields.text(snippet.get("description"), "description")
        published = self.fields.date(snippet.get("publishedAt"), "published_at")
        post = Post(
            platform=self.platform, account=handle, post_id=video_id, url=f"https://www.youtube.com/watch?v={video_id}",
            published_at=published, text=self.video_text(self.fields.text(snippet.get("title"), "title"), description),
            # A count the channel hides is left out of the answer: unknown, not 0. The API sends counts
            # as digit strings ("7920"), which the count reader takes.
            views=self.fields.count(stats.get("viewCount"), "views"),
            likes=self.fields.count(stats.get("likeCount"), "likes"),
            comments=self.fields.count(stats.get("commentCount"), "comments"),
            link_urls=[u for u in (self.fields.url(m, "url") for m in WEB_ADDRESS.findall(description or "")) if u],
            platform_ad=self.fields.flag(as_dict(video.get("paidProductPlacementDetails")).get(
                "hasPaidProductPlacement"), "paid_placement"),
        )
        return post, self.mentions(description, handle, video_id, published)

    def comments_request(self, handle: str, video_id: str, page_token: str | None = None) -> scrapy.Request:
        request = self.api("commentThreads", self.parse_comments, handle, priority=-1, part="snippet",
                           videoId=video_id, maxResults=COMMENTS_PAGE, pageToken=page_token)
        request.cb_kwargs["video_id"] = video_id
        return request

    def parse_comments(self, response, handle: str, video_id: str):
        self.spent()
        if response.status != 200:
            # forbidden and commentsDisabled (403) concern one video: its comments are skipped, counted.
            self.crawler.stats.inc_value("pagescout/youtube/comments_skipped")
            yield from self.api_failed(response, handle, account=False)
            return
        body = self.api_body(response, "commentThreads")
        items = self.api_items(body, "commentThreads")
        for thread in items:
            if self.audience_room(handle, "commenter") <= 0:
                return
            if not isinstance(thread, dict):
                self.crawler.stats.inc_value("pagescout/invalid/youtube/comment")
                continue
            comment = as_dict(as_dict(as_dict(thread.get("snippet")).get("topLevelComment")).get("snippet"))
            # No author id (a deleted account) is no commenter; a wrong one is counted by api_id.
            author = self.api_id(as_dict(comment.get("authorChannelId")).get("value"), "commenter")
            if author is None:
                continue
            if author == handle:
                continue  # the channel answering under its own video is not its audience
            when = self.fields.date(comment.get("publishedAt"), "at")
            # The day only, as for every audience date; no signals: every commenter shows some picture.
            member = self.member(handle, "commenter", author,
                                 at=when.replace(hour=0, minute=0, second=0, microsecond=0) if when else None)
            if member is not None:
                yield member
        token = self.page_token(body)
        if items and token and self.audience_room(handle, "commenter") > 0:
            yield self.comments_request(handle, video_id, page_token=token)

