"""The platforms pagescout knows, and every fact about them: the one registry the CLI, the brief, the
importer and the spiders read.

A platform is either crawled (``crawled=True``: ``crawler/spiders/<name>.py`` holds the spider that crawls
its public pages) or imported (only ``pagescout import`` reads files of it: Instagram, TikTok, Facebook, X
and Odnoklassniki offer no honest keyless crawl, see README "VK, YouTube, blogs and imports").

Per platform ``PLATFORMS`` says what its follower count counts (``followers_kind``), where an account's
profile lives (``profile_url``), which spider crawls it (``spider_path``, ``spider_class()``), how the store
spells a handle written any way a user may write it (``normalise_handle``) and which links name a profile
on it (``handle_from_url``; ``account_from_url`` asks every platform). Accounts are written
``platform:handle`` (``parse_account``) and looked up among stored ones with ``find_account``.

Importing this module imports neither Scrapy nor any spider: a spider module is imported the first time
its rules are needed (``spider_class``, and ``normalise_handle`` / ``handle_from_url`` of a crawled
platform), so platforms can be listed and checked before a crawl is even started.

Errors are ``ValueError``: ``UnknownPlatform`` for a name not in the registry, ``AccountError`` for a
``platform:handle`` text that names no (stored) account, ``crawler.basespider.SeedError`` for a text that
is not a handle of the platform. Their messages are one line and quote user input cut to about 80
characters.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.fields import clean_text, quoted

# A host name as links spell it (also localhost and IPv4 addresses).
_HOST = re.compile(r"^(localhost|\d{1,3}(\.\d{1,3}){3}|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*)$")
# A Bluesky profile is named by its handle (a domain name, as _HOST) or its DID.
_BLUESKY_DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.\-%:]{1,253})$")
_TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog"})
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_BLUESKY_HOSTS = frozenset({"bsky.app", "www.bsky.app"})
# Hosts where /@name is not a Mastodon profile.
_NOT_MASTODON = frozenset({
    "medium.com", "www.medium.com", "tiktok.com", "www.tiktok.com", "threads.net", "www.threads.net",
    "youtube.com", "www.youtube.com", "m.youtube.com", "substack.com", "www.substack.com", "pinterest.com",
    "www.pinterest.com", "dribbble.com", "vimeo.com"})
# Path segments some profile URLs put before the handle (facebook.com/people/…, /pages/…, /profile/…).
_NOT_HANDLE_SEGMENTS = ("profile", "user", "people", "pages")
_IMPORTED_HANDLE = re.compile(r"[\w.\-]{1,100}")
#: Longest ``platform:handle`` taken from a link: the longest handle any platform allows, with room to spare.
_ACCOUNT_MAX = 300


class UnknownPlatform(ValueError):
    """A platform name the registry does not hold; the message lists the names it does."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"unknown platform '{quoted(name)}': choose from {', '.join(sorted(PLATFORMS))}")


class AccountError(ValueError):
    """A ``platform:handle`` text that names no account (or no stored one); the message is one line."""


@functools.cache
def _load(path: str) -> type:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Platform:
    """What pagescout knows of one platform; ``PLATFORMS`` holds them all."""

    name: str
    #: True: a spider crawls it; False: only ``pagescout import`` reads files of it.
    crawled: bool
    #: What its follower count counts: "subscribers", "members" or "followers" (crawler.items.FOLLOWERS_KINDS).
    followers_kind: str = "followers"
    #: An account's profile page, ``{}`` standing for the handle; None where no URL follows from the handle.
    profile_url: str | None = None
    #: "module:Class" of its spider; None for an imported platform.
    spider_path: str | None = None
    #: Why no page of it can have a crawled audience (who follows a page), where the platform shows none;
    #: None where crawls store one (or an imported file may hold one).
    no_audience: str | None = None
    #: Why ``pagescout gather`` cannot read whom its members follow; None where it can.
    no_follow_lists: str | None = None

    def spider_class(self) -> type:
        """The spider that crawls the platform, imported on the first call."""
        if self.spider_path is None:
            raise ValueError(f"{self.name} is only imported (pagescout import): no spider crawls it")
        return _load(self.spider_path)

    def normalise_handle(self, text: str) -> str:
        """The handle as the store spells it; ``SeedError`` when ``text`` is not a handle of this platform.

        A crawled platform's handles are what its spider makes of a seed, so an imported file, an account
        named on the command line and a crawl name an account alike; an imported platform's are the handle, ``@handle`` or the profile URL,
        lower-cased.
        """
        text = text.strip()
        if self.crawled:
            handle = self.spider_class().parse_seed(text)
            if self.name == "rss":  # a blog is stored under its host and path, not the URL a seed is
                from crawler.spiders.rss import site_handle

                handle = site_handle(handle, feed=True)
            return handle
        handle = text
        if "/" in handle:
            parts = urlsplit(handle if "//" in handle else f"//{handle}")
            segments = [s for s in parts.path.split("/") if s and s not in _NOT_HANDLE_SEGMENTS]
            handle = segments[0] if segments else ""
        handle = handle.removeprefix("@").lower()
        if _IMPORTED_HANDLE.fullmatch(handle):
            return handle
        from crawler.basespider import SeedError

        raise SeedError(f"'{quoted(text)}' is not a {self.name} handle: use the handle, @handle or the profile URL")

    def handle_from_url(self, url: str) -> str | None:
        """The handle a link to a profile on this platform names, as the store spells it, else ``None``.

        Only crawled platforms' profiles are recognised (a blog's links to the others give no ``same_as``),
        and not blogs: any page is one.
        """
        rule = _PROFILE_LINKS.get(self.name)
        host = _host(url)
        if rule is None or not host or not rule[0](host):
            return None
        try:
            return rule[1](url, host)
        except ValueError:  # a URL urlsplit cannot read
            return None


PLATFORMS: dict[str, Platform] = {p.name: p for p in (
    Platform("telegram", True, "subscribers", "https://t.me/{}", "crawler.spiders.telegram:TelegramSpider",
             "Telegram shows no subscriber lists",
             "Telegram shows neither a channel's subscribers nor what a subscriber reads"),
    Platform("bluesky", True, "followers", "https://bsky.app/profile/{}", "crawler.spiders.bluesky:BlueskySpider"),
    Platform("mastodon", True, "followers", None, "crawler.spiders.mastodon:MastodonSpider"),
    Platform("vk", True, "members", "https://vk.com/{}", "crawler.spiders.vk:VkSpider"),
    Platform("youtube", True, "subscribers", "https://www.youtube.com/channel/{}",
             "crawler.spiders.youtube:YoutubeSpider",
             no_follow_lists="YouTube shows whom a viewer subscribes to only with that viewer's own sign-in (OAuth)"),
    Platform("rss", True, "followers", None, "crawler.spiders.rss:RssSpider",
             no_follow_lists="a blog has no list of followers to sample"),
    Platform("instagram", False, "followers", "https://www.instagram.com/{}/"),
    Platform("tiktok", False, "followers", "https://www.tiktok.com/@{}"),
    Platform("facebook", False, "followers", "https://www.facebook.com/{}"),
    Platform("x", False, "followers", "https://x.com/{}"),
    Platform("ok", False, "members", "https://ok.ru/{}"),
)}
CRAWLED: tuple[str, ...] = tuple(name for name, p in PLATFORMS.items() if p.crawled)
#: Platforms ``pagescout gather`` reads follow lists on.
GATHERED: tuple[str, ...] = tuple(name for name in CRAWLED if PLATFORMS[name].no_follow_lists is None)
IMPORTED: tuple[str, ...] = tuple(name for name, p in PLATFORMS.items() if not p.crawled)


def platform(name: str) -> Platform:
    """The platform called ``name`` (any case, spaces around it ignored); ``UnknownPlatform`` if none is."""
    key = name.strip().lower()
    if key not in PLATFORMS:
        raise UnknownPlatform(key)
    return PLATFORMS[key]


def spider_class(name: str) -> type:
    return platform(name).spider_class()


# profile links ------------------------------------------------------------------------------------
def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


# Telegram's, VK's and YouTube's link rules are their spiders' seed rules too, so they stay in the spider
# modules (imported on first use); Bluesky's and Mastodon's are stricter than their seeds' and only serve here.
def _telegram_profile(url: str, host: str) -> str | None:
    from crawler.spiders.telegram import handle_from_url

    found = handle_from_url(url)
    return found[0] if found else None


def _vk_profile(url: str, host: str) -> str | None:
    from crawler.spiders.vk import page_from_url

    return page_from_url(url)


def _youtube_profile(url: str, host: str) -> str | None:
    from crawler.spiders.youtube import channel_from_url

    return channel_from_url(url)


def _bluesky_profile(url: str, host: str) -> str | None:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    name = segments[1].lower() if len(segments) >= 2 and segments[0] == "profile" else ""
    return name if _BLUESKY_DID.fullmatch(name) or _HOST.fullmatch(name) else None


def _mastodon_host(host: str) -> bool:
    # Any instance may host Mastodon, so it takes the hosts no other platform answers for.
    others = (claims for name, (claims, _) in _PROFILE_LINKS.items() if name != "mastodon")
    return host not in _NOT_MASTODON and bool(_HOST.fullmatch(host)) and not any(claims(host) for claims in others)


def _mastodon_profile(url: str, host: str) -> str | None:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if len(segments) == 1 and re.fullmatch(r"@[A-Za-z0-9_]{1,30}", segments[0]):
        return f"{segments[0][1:].lower()}@{host}"
    return None


#: platform → (does it answer for links to this host, the handle such a link names or None). A host is
#: answered for by one platform at most, so a link names at most one account.
_PROFILE_LINKS: dict[str, tuple[Callable[[str], bool], Callable[[str, str], str | None]]] = {
    "telegram": (lambda host: host in _TELEGRAM_HOSTS, _telegram_profile),
    "vk": (lambda host: host.endswith(("vk.com", "vk.ru")), _vk_profile),
    "youtube": (lambda host: host in _YOUTUBE_HOSTS, _youtube_profile),
    "bluesky": (lambda host: host in _BLUESKY_HOSTS, _bluesky_profile),
    "mastodon": (_mastodon_host, _mastodon_profile),
}


def account_from_url(url: str) -> str | None:
    """``platform:handle`` for a link to a profile on a platform pagescout knows, else ``None``."""
    for name in CRAWLED:
        handle = PLATFORMS[name].handle_from_url(url)
        if handle:
            account = f"{name}:{handle}"
            # The handle comes from a stranger's link: it must be one a store and a later crawl can take.
            ok = len(account) <= _ACCOUNT_MAX and clean_text(account, _ACCOUNT_MAX) == account
            return account if ok else None
    return None


# accounts ---------------------------------------------------------------------------------------
def split_accounts(texts: list[str] | None) -> list[str]:
    """Accounts from repeated options, comma-separated lists and extra arguments, in order, without repeats."""
    out: list[str] = []
    for text in texts or []:
        for part in text.split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def parse_account(text: str) -> tuple[str, str]:
    """``(platform, handle)`` of a text written ``platform:handle``: the platform lower-cased, both stripped.
    The platform need not be one the registry holds (``find_account`` says which it is)."""
    name, sep, handle = text.partition(":")
    if not sep or not name.strip() or not handle.strip():
        raise AccountError(f"'{quoted(text)}' is not an account: write platform:handle, e.g. telegram:durov")
    return name.strip().lower(), handle.strip()


def find_account(text: str, known: Iterable[tuple[str, str]], where: str = "",
                 stored_platforms: Iterable[str] = ()) -> tuple[str, str]:
    """``(platform, handle)`` among the ``known`` (platform, handle) pairs of an account written
    ``platform:handle``; ``AccountError`` when it names none of them. ``where`` starts the message
    (``"--target: "``); ``stored_platforms`` are the platforms the database holds, for the message when
    ``known`` is one platform's accounts only.

    The handle is matched as written, then without ``@``, then as the platform's ``normalise_handle``
    spells it (``@Durov`` → ``durov``), then case-insensitively when that names one account.
    """
    name, handle = parse_account(text)
    known = list(known)
    handles = {h for p, h in known if p == name}
    if not handles:
        stored = ", ".join(sorted({p for p, _ in known} | set(stored_platforms))) or "none yet"
        what = "no accounts of" if name in PLATFORMS else "unknown platform"
        raise AccountError(f"{where}{what} '{quoted(name)}' in '{quoted(text)}': the database has accounts of "
                           f"{stored}")
    candidates = [handle, handle.removeprefix("@")]
    if name in PLATFORMS:
        from crawler.basespider import SeedError

        try:
            candidates.append(PLATFORMS[name].normalise_handle(handle))
        except SeedError:
            pass  # not the platform's spelling: the case-insensitive match below may still find it
    for candidate in candidates:
        if candidate in handles:
            return name, candidate
    folded = [h for h in handles if h.lower() == handle.removeprefix("@").lower()]
    if len(folded) == 1:
        return name, folded[0]
    raise AccountError(f"{where}unknown account {quoted(f'{name}:{handle}', 10**6)}: it is not in the database "
                       "(crawl it first, or check the spelling)")
