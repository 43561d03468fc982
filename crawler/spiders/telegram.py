"""Public Telegram channels through the web preview ``https://t.me/s/<channel>`` (no key, no login).

What the preview shows: title, description, avatar, verified mark, the subscriber count rounded
("109K"), and per post its text, views (rounded), date, reactions where the channel shows them and
where it was forwarded from. What it never shows: exact counts, subscriber lists, forward counts,
comment counts. Channels whose preview is off (private, restricted) redirect from ``/s/<ch>`` to
``/<ch>``: they are recorded as unavailable with that reason.

A page is written by the channel's owner: every value passes a typed reader (``crawler.fields``). A
counter that is no plausible number ("123456789012345678901234567890 subscribers") is left empty, a
message whose id is no number is skipped, a date that cannot be read is left out; each is counted as
``pagescout/invalid/telegram/<field>``. Texts lose control characters and are cut to their cap.

Service messages (``service_message``: channel created, a post pinned, the title, photo or video changed)
are the channel's notices, not publications: they have no views, are not stored and count in no
per-post figure; the summary says how many were skipped.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy

from crawler.basespider import PlatformSpider, SeedError
from crawler.counts import parse_count
from crawler.fields import TEXT_MAX, as_url, clean_text
from crawler.items import Account, Link, Post

# Telegram usernames: 5–32 characters, letters, digits and underscores, starting with a letter.
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
TELEGRAM_HOSTS = {"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"}
# Paths of t.me that are not channels.
RESERVED = {"joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "iv", "c", "s", "addlist",
            "setlanguage", "addtheme", "confirmphone", "login", "invoice", "boost", "contact"}
REDIRECTS = [301, 302, 303, 307, 308]
# Message ids and the older-page cursor: ASCII digits that fit a BIGINT (str.isdigit() also takes "²",
# which int() refuses, and a 40-digit id would sort as a number no store column holds). Checked with
# fullmatch: "$" alone lets a trailing newline through.
MESSAGE_ID = re.compile(r"^[0-9]{1,18}$")
# Service messages skipped, as the crawl summary names them.
SERVICE_MESSAGES = "pagescout/summary/service messages (channel created, pinned, renamed…), not counted as posts"


def handle_from_url(url: str) -> tuple[str, str | None] | None:
    """``(username, post_id or None)`` for a t.me link to a public channel or user, else ``None``."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        host = parts.hostname
    except ValueError:  # "http://[your-server-ip]/" in a post about servers
        return None
    if host not in TELEGRAM_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["s"]:
        segments = segments[1:]
    if not segments or segments[0].lower() in RESERVED or not USERNAME.match(segments[0]):
        return None
    post = segments[1] if len(segments) > 1 and segments[1].isdigit() else None
    return segments[0].lower(), post


def _text(selector) -> str | None:
    """Visible text of an element, with <br> as line breaks."""
    if selector is None:
        return None
    html = selector.get()
    if html is None:
        return None
    html = re.sub(r"<br\s*/?>", "\n", html)
    text = scrapy.Selector(text=html).xpath("string()").get() or ""
    # No field keeps more than TEXT_MAX characters (crawler.fields): normalising the spaces of a 50 MB bio
    # would take seconds for nothing. Four times the cap leaves room for the spaces normalising removes.
    text = text[: 4 * TEXT_MAX]
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r" *\n *", "\n", text).strip() or None


class TelegramSpider(PlatformSpider):
    name = "telegram"
    platform = "telegram"
    default_base_url = "https://t.me"
    # Telegram publishes no limit for t.me; one request a second per host is the polite floor.
    min_delay = 1.0
    handle_httpstatus_list = [404, 410, *REDIRECTS]
    answer_kind = "html"

    @classmethod
    def parse_seed(cls, seed: str) -> str:
        seed = seed.strip()
        found = handle_from_url(seed) if "t.me" in seed or "telegram." in seed else None
        if found:
            return found[0]
        name = seed.removeprefix("@")
        if USERNAME.match(name):
            return name.lower()
        raise SeedError(
            f"'{seed}' is not a public Telegram channel: use its username (durov), @durov or https://t.me/durov"
        )

    async def start(self):
        for request in self.seed_requests():
            yield request

    def account_request(self, handle: str, hop: int) -> scrapy.Request:
        return self.channel_request(handle, hop)

    def channel_request(self, handle: str, hop: int, before: str | None = None, taken: int = 0) -> scrapy.Request:
        url = f"{self.base_url}/s/{handle}" + (f"?before={before}" if before else "")
        return scrapy.Request(
            url,
            callback=self.parse_channel,
            errback=self.on_error,
            cb_kwargs={"handle": handle, "hop": hop, "taken": taken},
            # A redirect away from /s/ is the answer (no public preview), not something to follow. Only
            # the first page speaks for the channel: an older page that fails loses just older posts.
            meta={"handle": handle, "dont_redirect": True} if before is None else {"dont_redirect": True},
            # Older pages are fetched before new channels so each channel completes early.
            priority=1 if before else 0,
        )

    def parse_channel(self, response, handle: str, hop: int, taken: int):
        if taken and response.status != 200:  # an older page failed: keep what the channel already gave
            self.crawler.stats.inc_value(f"pagescout/errors/older_page_http_{response.status}")
            return
        if response.status in (404, 410):
            yield self.unavailable(handle, f"not found (HTTP {response.status})", "not_found")
            return
        if response.status in REDIRECTS:
            # The reason is shown and stored: a stranger's Location header is cut and cleaned first.
            target = clean_text(response.headers.get("Location", b"").decode("latin-1"), 300) or "nowhere"
            yield from self.no_preview(
                handle, hop, f"no public preview (redirects to {target}): private, restricted or not a channel")
            return
        first_page = taken == 0
        if first_page:
            account = self.parse_account(response, handle)
            if account is None:
                yield from self.no_preview(handle, hop, "no channel on the preview page (private or not a channel)")
                return
            yield account
            yield self.snapshot(account)

        posts = sorted(self.parse_posts(response, handle), key=lambda p: int(p[0].post_id), reverse=True)
        posts = posts[: max(0, self.max_posts - taken)]
        discovered: dict[str, str] = {}  # handle -> text of the post that revealed it
        for post, links in posts:
            yield post
            for link in links:
                yield link
                discovered.setdefault(link.dst, post.text or "")
        taken += len(posts)

        before = response.css("a.tme_messages_more::attr(data-before)").get()
        if before is None:
            prev = response.css('link[rel="prev"]::attr(href)').get()
            found = re.search(r"before=([0-9]+)", prev) if prev else None
            before = found.group(1) if found else None
        if before is not None and not MESSAGE_ID.fullmatch(before):
            self.fields.invalid("before")  # older posts are not asked for with a cursor no one can read
            before = None
        service = response.css(".tgme_widget_message.service_message[data-post]")
        if (posts or service) and before and taken < self.max_posts:
            yield self.channel_request(handle, hop, before=before, taken=taken)

        yield from self.expand(handle, hop, sorted(discovered.items()))

    def no_preview(self, handle: str, hop: int, reason: str):
        """A username without a channel preview: a private channel, or a person or bot.

        A seed is recorded as unavailable, so the user learns why it is missing. One only found through
        a forward or an @mention is most likely a person, and people are not stored as pages: it is
        counted, nothing more.
        """
        if hop == 0:
            yield self.unavailable(handle, reason, "no_preview")
        else:
            self.crawler.stats.inc_value("pagescout/summary/linked usernames without a channel preview")

    def counter(self, text: str | None, field: str) -> int | None:
        """A printed counter ("109K") as a count within the field's cap; ``None``, counted as invalid in
        ``pagescout/invalid/telegram/<field>``, when the text is there but is no plausible number."""
        number = parse_count(text)
        if number is None:
            if text is not None and text.strip():
                self.fields.invalid(field)
            return None
        return self.fields.count(number, field)

    def parse_account(self, response, handle: str) -> Account | None:
        header = response.css(".tgme_channel_info")
        if not header:
            return None
        followers = None
        for counter in header.css(".tgme_channel_info_counter"):
            kind = (counter.css(".counter_type::text").get() or "").strip().lower()
            if kind.startswith(("subscriber", "member")):
                followers = self.counter(counter.css(".counter_value::text").get(), "followers")
        title = header.css(".tgme_channel_info_header_title")
        return Account(
            platform=self.platform,
            handle=handle,
            name=self.fields.text(_text(title.css("span") or title), "name"),
            url=f"https://t.me/{handle}",
            description=self.fields.text(_text(header.css(".tgme_channel_info_description")[:1] or None),
                                         "description"),
            followers=followers,
            followers_kind=self.followers_kind,
            verified=bool(title.css(".verified-icon")),
            avatar=self.fields.url(header.css(".tgme_page_photo_image img::attr(src)").get(), "avatar"),
        )

    def reactions(self, message) -> int | None:
        """The sum of a message's reaction counters; ``None`` when one of them is unreadable, since a
        total without it would understate the post (an empty counter is a reaction without a number: 0)."""
        total = 0
        for reaction in message.css(".tgme_widget_message_reactions .tgme_reaction"):
            text = "".join(reaction.xpath("./text()").getall())
            if not text.strip():
                continue
            number = self.counter(text, "likes")
            if number is None:
                return None
            total += number
        return self.fields.count(total, "likes")

    def parse_posts(self, response, handle: str):
        """Yield ``(Post, [Link, …])`` for each message on the page."""
        messages = response.css(".tgme_widget_message[data-post]")
        # A channel that shows reactions on any post has them enabled: a post without the block has 0.
        # Where no post shows any, reactions are unknown (None), not zero.
        reactions_shown = bool(response.css(".tgme_widget_message_reactions"))
        for message in messages:
            if "service_message" in message.attrib.get("class", "").split():
                # "channel created", "pinned …", a new title, photo or video: the channel's own notices,
                # shown without views, are no publications and count in no per-post figure
                self.crawler.stats.inc_value(SERVICE_MESSAGES)
                continue
            channel, _, post_id = message.attrib["data-post"].partition("/")
            if not MESSAGE_ID.fullmatch(post_id):
                self.fields.invalid("post_id")
                continue
            published = message.css(".tgme_widget_message_date time::attr(datetime)").get() or message.css(
                "time::attr(datetime)"
            ).get()
            published_at = self.fields.date(published, "published_at")
            text_node = message.xpath(
                './/div[contains(@class, "tgme_widget_message_bubble")]/div[contains(@class, "tgme_widget_message_text")]'
            )
            text = self.fields.text(_text(text_node[:1] or None), "text")
            likes = self.reactions(message) if reactions_shown else None
            forwarded = message.css(".tgme_widget_message_forwarded_from_name")
            post = Post(
                platform=self.platform,
                account=handle,
                post_id=post_id,
                url=f"https://t.me/{handle}/{post_id}",
                published_at=published_at,
                text=text,
                views=self.counter(message.css(".tgme_widget_message_views::text").get(), "views"),
                likes=likes,
                kind="forward" if forwarded else "post",
                # the text's links and the link-preview card's: where an ad sends its readers
                # (a hashtag is a relative "?q=…" link: no URL, and nothing wrong with it)
                link_urls=[u for u in map(as_url, [*text_node.css("a::attr(href)").getall(),
                                                   *message.css("a.tgme_widget_message_link_preview::attr(href)").getall()])
                           if u],
            )
            links = []
            source = handle_from_url(forwarded.attrib.get("href", "")) if forwarded else None
            if forwarded and source is None:
                self.crawler.stats.inc_value("pagescout/telegram/forward_source_hidden")
            if source:
                links.append(Link(self.platform, handle, source[0], "forward", post_id, published_at))
            mentioned = set()
            for href in text_node.css("a::attr(href)").getall():
                found = handle_from_url(href)
                if found:
                    mentioned.add(found[0])
            mentioned.update(m.lower() for m in MENTION.findall(text or ""))
            mentioned -= {handle, source[0] if source else None}
            links.extend(Link(self.platform, handle, other, "mention", post_id, published_at) for other in sorted(mentioned))
            yield post, links
