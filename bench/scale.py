"""Many machines: what a crawl costs one machine, section by section, beside a baseline measured in the same run.

Sections (``SECTIONS``; ``--only NAME`` runs one). A section is a function of the parsed arguments that prints
its table and returns its headline figure; later ones (throughput with 1, 2 and 4 worker processes,
politeness across workers) go into ``SECTIONS`` beside it.

- ``parsing_cost``: CPU milliseconds per answer of parsing and storing, for every crawled platform, and their
  share of the platform's politeness interval (its spider's ``min_delay``, the least time between two
  requests): at over 5% a worker spends more of each interval parsing than it may.

  *In-process, per answer.* The spider's callback on a realistic answer (a whole page: 20 Telegram posts, 40
  Mastodon statuses, 100 Bluesky feed items, 100 VK wall posts, 1,000 VK members, …), every item it yields
  through the item pipelines in order (normalise → validate → ads → hash → store), then one ``Store.write``
  of what the answer gave into a real SQLite file (WAL, as a crawl has it). A crawl writes every 500 items or
  2 s, so one write per answer is the dearer end. The answers are built from the saved real responses in
  ``../shared/fixtures/<platform>/`` (see their SOURCES.md) and ``tests/files/``: where the saved ones are
  shorter than a full page, their entries are repeated under fresh ids; VK's saved wall posts have no texts and
  get the texts of the saved Telegram posts; VK's saved users are cut to the fields the spider asks for; no
  saved Telegram page shows reactions, so each post gets the block SOURCES.md quotes. Every repetition is for
  another account, so each write inserts new rows, as a crawl's do. ``time.process_time`` of each of
  ``--repeat`` repetitions after 5 warm-ups; the figure is the median, with the 25th–75th percentiles.

  *Whole crawls.* ``pagescout crawl``'s own code (``crawler.run.crawl``) in a process of its own, against a
  local mirror (``crawler.sample_site.LocalServer``) in another process, so that the mirror's CPU is not
  counted: Telegram (60 channels, 5 pages of 20 posts each), Mastodon, Bluesky and VK (10 accounts each: 100
  posts, 1,000 followers or members, the likers and reposters of the 10 newest posts), ``--delay 0``. The
  mirror serves the same built answers. The figure is the crawling process's CPU from the spider's opening to its close
  over the answers received, with the share spent in the spider's callbacks, in the JSON decoding of the
  answer check and in the item pipelines; the rest is Scrapy, Twisted, the other middlewares and the HTTP
  client.

Baseline: the code before the parsing-cost work, ``BASELINE`` (a commit; ``--baseline REF`` for another).
Each file this work may change (``OPTIMISED``) is written as it is at that commit into a temporary copy of
today's ``crawler/``, which a child process puts first on ``sys.path``; today's code runs in a child process of
its own. Both run in the same invocation, one after the other, platform by platform, on the same answers.

Usage: .venv/bin/python bench/scale.py [--only parsing_cost] [--repeat 40] [--platforms telegram,mastodon,…]
       [--no-crawls] [--baseline REF]
The last line is ``parsing_cost_worst_ratio=<the largest share of an interval, now>``.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
FILES = ROOT / "tests" / "files"
#: The commit before the parsing-cost work: what "baseline" means.
BASELINE = "1b8dfcc"
#: The files the parsing-cost work may change; the baseline takes each of them from ``BASELINE``.
OPTIMISED = ("crawler/pipelines.py", "crawler/fields.py", "crawler/store.py", "crawler/ads.py", "crawler/items.py",
             "crawler/spiders/*.py")
PLATFORMS = ("telegram", "mastodon", "bluesky", "vk", "youtube", "rss")
CRAWLED = ("telegram", "mastodon", "bluesky", "vk")  # the platforms of the whole-crawl figure
GOAL = 0.05
WARMUP = 5


# realistic answers -------------------------------------------------------------------------------
def fixture(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def fixture_json(platform: str, name: str):
    return json.loads(fixture(platform, name).decode("utf-8-sig"))


def base32_id(seed: str, length: int = 24) -> str:
    """A stable id of ``length`` characters of atproto's base32 alphabet."""
    digest = hashlib.sha256(seed.encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(alphabet[b % 32] for b in digest[:length])


def telegram_texts() -> list[str]:
    """The plain texts of the saved Telegram posts (Russian and English), for platforms saved without texts."""
    from w3lib.html import remove_tags, replace_entities

    texts = []
    for path in sorted((FIXTURES / "telegram").glob("*.html")):
        for found in re.findall(r'tgme_widget_message_text js-message_text[^>]*>(.*?)</div>', path.read_text("utf-8"),
                                flags=re.S):
            text = replace_entities(remove_tags(re.sub(r"<br\s*/?>", "\n", found))).strip()
            if len(text) > 40:
                texts.append(text)
    return texts


# Telegram's reaction block, as SOURCES.md quotes it from parsers' tests (no saved page shows one).
TELEGRAM_REACTIONS = ('<div class="tgme_widget_message_reactions js-message_reactions"><span class="tgme_reaction">'
                      '<i class="emoji"><b>👍</b></i>1.2K</span><span class="tgme_reaction"><i class="emoji"><b>🔥</b>'
                      '</i>305</span><span class="tgme_reaction"><i class="emoji"><b>❤</b></i>87</span></div>')
TELEGRAM_PAGE = 20  # posts on one t.me/s page


def telegram_blocks() -> list[str]:
    """Every saved message block that is a publication (service messages are not), in file order."""
    blocks = []
    for path in sorted((FIXTURES / "telegram").glob("*.html")):
        text = path.read_text("utf-8")
        if "tgme_widget_message_wrap" not in text or "service_message" in text:
            continue
        if "tgme_widget_message_reactions" not in text:
            text = text.replace('<div class="tgme_widget_message_footer', TELEGRAM_REACTIONS
                                + '<div class="tgme_widget_message_footer', 1)
        blocks.append(text)
    return blocks


def telegram_page(handle: str, before: int | None = None, first_id: int = 5000, oldest: int | None = None) -> bytes:
    """A t.me/s page of ``TELEGRAM_PAGE`` saved message blocks renumbered below ``before`` (newest first on
    the page's end, as t.me orders them), with the channel block of tests/files/telegram_channel.html and an
    "older posts" link while posts older than the page remain (down to ``oldest``)."""
    blocks = telegram_blocks()
    top = (before or first_id + 1) - 1
    ids = [i for i in range(top, top - TELEGRAM_PAGE, -1) if oldest is None or i >= oldest]
    messages = []
    for n, post_id in enumerate(reversed(ids)):
        block = blocks[(post_id + n) % len(blocks)]
        messages.append(re.sub(r'data-post="[^"/]+/[0-9]+"', f'data-post="{handle}/{post_id}"', block, count=1))
    more = ""
    if ids and (oldest is None or ids[-1] > oldest):
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/s/{handle}?before='
                f'{ids[-1]}" class="tme_messages_more js-messages_more" data-before="{ids[-1]}"></a></div>')
    own = (FILES / "telegram_channel.html").read_text("utf-8")
    head = own[: own.index("<section")].replace("test_channel", handle)
    info = own[own.index('<div class="tgme_channel_info">'):].replace("test_channel", handle)
    history = f'<section class="tgme_channel_history js-message_history">{more}{"".join(messages)}</section>'
    body = f"{head}{history}\n{info}"
    return body.encode("utf-8")


MASTODON_PAGE = 40
MASTODON_ACCOUNTS_PAGE = 80


def mastodon_statuses_pool() -> list[dict]:
    """The saved statuses: two recorded pages, a recorded status and boost, the documentation's examples."""
    pool = [*fixture_json("mastodon", "mastodonpy_account_statuses_page1.json")["body"],
            *fixture_json("mastodon", "mastodonpy_account_statuses_page2_max_id.json")["body"],
            fixture_json("mastodon", "mastodonpy_status_get.json")["body"],
            fixture_json("mastodon", "mastodonpy_status_reblog_post.json")["body"],
            fixture_json("mastodon", "docs_entity_Status.json"), fixture_json("mastodon", "docs_GET_statuses_id.json")]
    return [s for s in pool if isinstance(s, dict)]


def mastodon_accounts_pool() -> list[dict]:
    pool = [*fixture_json("mastodon", "mastodonpy_status_favourited_by.json")["body"],
            *fixture_json("mastodon", "mastodonpy_status_reblogged_by.json")["body"],
            *fixture_json("mastodon", "mastodonpy_directory.json")["body"],
            fixture_json("mastodon", "mastodonpy_account_get.json")["body"],
            fixture_json("mastodon", "docs_entity_Account.json"), fixture_json("mastodon", "docs_GET_accounts_id.json"),
            fixture_json("mastodon", "docs_GET_accounts_id_remote_user.json")]
    return [a for a in pool if isinstance(a, dict)]


def mastodon_account(username: str, base: str, account_id: int) -> dict:
    """The recorded lookup answer, as ``username`` of the instance at ``base``, showing its followers."""
    account = copy.deepcopy(fixture_json("mastodon", "mastodonpy_account_lookup.json")["body"])
    account.update(id=str(account_id), username=username, acct=username, url=f"{base}/@{username}",
                   uri=f"{base}/users/{username}", hide_collections=False, followers_count=5000, statuses_count=900)
    return account


def mastodon_accounts(count: int, start: int, base: str) -> list[dict]:
    """``count`` saved Account entities under fresh names ``member<n>`` (so each is another member)."""
    pool = mastodon_accounts_pool()
    accounts = []
    for n in range(start, start + count):
        account = copy.deepcopy(pool[n % len(pool)])
        name = f"member{n}"
        remote = "@" in (account.get("acct") or "")
        host = urlsplit(account.get("url") or base).hostname if remote else urlsplit(base).hostname
        account.update(id=str(10**9 + n), username=name, acct=f"{name}@{host}" if remote else name,
                       url=f"https://{host}/@{name}" if remote else f"{base}/@{name}",
                       uri=f"https://{host}/users/{name}" if remote else f"{base}/users/{name}")
        accounts.append(account)
    return accounts


def mastodon_statuses(account: dict, count: int = MASTODON_PAGE, max_id: int | None = None,
                      first_id: int = 10**12) -> list[dict]:
    """A statuses page of ``account``: the saved statuses in turn, ids descending below ``max_id``."""
    pool = mastodon_statuses_pool()
    top = (max_id or first_id + 1) - 1
    statuses = []
    for n, status_id in enumerate(range(top, top - count, -1)):
        status = copy.deepcopy(pool[status_id % len(pool)])
        status.update(id=str(status_id), account=account, url=f"{account['url']}/{status_id}",
                      uri=f"{account['uri']}/statuses/{status_id}")
        statuses.append(status)
    return statuses


BLUESKY_PAGE = 100
BSKY_OWNER = ("chriskenny.bsky.social", "did:plc:wpe35pganb6d4pg4ekmfy6u5")  # whose saved feed it is


def bluesky_did(handle: str) -> str:
    return "did:plc:" + base32_id(handle)


def bluesky_feed(handle: str, count: int = BLUESKY_PAGE, start: int = 0, cursor: str | None = None) -> bytes:
    """getAuthorFeed of ``handle``: the 10 saved feed items (one a repost) in turn under fresh record keys, from
    the ``start``-th on; the saved cursor unless another is given."""
    saved = fixture_json("bluesky", "bskyr_getAuthorFeed.json")
    feed = []
    for n in range(start, start + count):
        entry = copy.deepcopy(saved["feed"][n % len(saved["feed"])])
        entry["post"]["uri"] = f"{entry['post']['uri']}{n:03d}"
        feed.append(entry)
    text = json.dumps({"feed": feed, "cursor": cursor or saved["cursor"]})
    return text.replace(BSKY_OWNER[0], handle).replace(BSKY_OWNER[1], bluesky_did(handle)).encode("utf-8")


def bluesky_profile(handle: str) -> bytes:
    profile = fixture_json("bluesky", "bskyr_getProfiles.json")["profiles"][0]
    text = json.dumps(profile).replace(BSKY_OWNER[0], handle).replace(BSKY_OWNER[1], bluesky_did(handle))
    return text.encode("utf-8")


def bluesky_profiles(count: int, start: int) -> list[dict]:
    """``count`` saved follower profile views under fresh handles and DIDs."""
    saved = fixture_json("bluesky", "bskyr_getFollowers.json")["followers"]
    profiles = []
    for n in range(start, start + count):
        profile = copy.deepcopy(saved[n % len(saved)])
        handle = f"member{n}.bsky.social"
        old_did, did = profile["did"], bluesky_did(handle)
        profile = json.loads(json.dumps(profile).replace(old_did, did))
        profile["handle"] = handle
        profiles.append(profile)
    return profiles


def bluesky_followers(handle: str, count: int = BLUESKY_PAGE, start: int = 0, cursor: str | None = "next") -> bytes:
    subject = {"did": bluesky_did(handle), "handle": handle}
    return json.dumps({"followers": bluesky_profiles(count, start), "subject": subject,
                       **({"cursor": cursor} if cursor else {})}).encode("utf-8")


VK_PAGE = 100
VK_MEMBERS_PAGE = 1000


def vk_wall(group_id: int, count: int = VK_PAGE, offset: int = 0) -> bytes:
    """wall.get (extended) of community ``group_id``: the saved wall posts in turn under fresh ids, those
    saved without a text given one of the saved Telegram posts' texts; the saved profiles and groups."""
    saved = [fixture_json("vk", name)["response"] for name in (
        "vknet_Wall_Get_ExtendedVersion_GenerateOutParametersCorrectly.json", "vknet_Wall_Get_Geo_NormalCase.json",
        "vknet_Wall_GetById_Donut.json")]
    pool = [item for response in saved for item in response["items"]]
    texts = telegram_texts()
    items = []
    for n in range(offset, offset + count):
        item = copy.deepcopy(pool[n % len(pool)])
        item.update(id=100_000 - n, owner_id=-group_id, from_id=-group_id, date=1_700_000_000 - 3600 * n)
        if not item.get("text"):
            item["text"] = texts[n % len(texts)]
        items.append(item)
    profiles = [p for response in saved for p in response.get("profiles", [])]
    groups = [g for response in saved for g in response.get("groups", [])]
    return json.dumps({"response": {"count": 5000, "items": items, "profiles": profiles, "groups": groups}},
                      ensure_ascii=False).encode("utf-8")


# What a user object of groups.getMembers holds when asked for the spider's fields (crawler.spiders.vk.MEMBER_FIELDS):
# those, and what every user object carries.
VK_USER_KEYS = ("id", "first_name", "last_name", "can_access_closed", "is_closed", "deactivated", "photo_100",
                "has_photo", "can_write_private_message", "can_post", "status", "site", "has_mobile", "bdate", "city",
                "occupation", "can_see_all_posts", "can_see_audio", "can_send_friend_request", "nickname",
                "maiden_name", "verified", "followers_count", "last_seen")


def vk_members(count: int = VK_MEMBERS_PAGE, start: int = 0) -> bytes:
    """groups.getMembers with the member fields: the saved users (from users.getFollowers with all fields, cut to
    the fields the spider asks for), in turn under fresh ids."""
    saved = [{k: v for k, v in user.items() if k in VK_USER_KEYS}
             for user in fixture_json("vk", "vknet_Users_GetFollowers_WithAllFields.json")["response"]["items"]]
    items = []
    for n in range(start, start + count):
        user = copy.deepcopy(saved[n % len(saved)])
        user["id"] = 10**8 + n
        items.append(user)
    return json.dumps({"response": {"count": 50_000, "items": items}}, ensure_ascii=False).encode("utf-8")


def vk_group(screen_name: str, group_id: int) -> bytes:
    """groups.getById in the current answer shape, of the first saved community, as ``screen_name``."""
    group = copy.deepcopy(fixture_json("vk", "vknet_Groups_GetById_Multiple_NormalCaseAllFields_ReturnTwoItems.json")
                          ["response"][0])
    group.update(id=group_id, screen_name=screen_name, members_count=48_000, verified=0, activity="Музыка")
    return json.dumps({"response": {"groups": [group], "profiles": []}}, ensure_ascii=False).encode("utf-8")


YOUTUBE_VIDEOS = 50
YOUTUBE_COMMENTS = 100


def youtube_videos(count: int = YOUTUBE_VIDEOS) -> bytes:
    """videos.list (snippet, statistics): the saved videos in turn under fresh ids, with the saved statistics."""
    with_stats = fixture_json("youtube", "pyyoutube_videos_list_with_statistics.json")["items"]
    others = fixture_json("youtube", "pyyoutube_videos_videos_info_multi.json")["items"]
    statistics_ = with_stats[0]["statistics"]
    pool = [*with_stats, *others]
    items = []
    for n in range(count):
        video = copy.deepcopy(pool[n % len(pool)])
        video["id"] = f"vid{n:08d}"
        video.setdefault("statistics", statistics_)
        items.append(video)
    return json.dumps({"kind": "youtube#videoListResponse", "items": items,
                       "pageInfo": {"totalResults": count, "resultsPerPage": count}}).encode("utf-8")


def youtube_comments(count: int = YOUTUBE_COMMENTS) -> bytes:
    saved = fixture_json("youtube", "pyyoutube_comment_threads_comment_threads_by_video_paged_1.json")
    items = []
    for n in range(count):
        thread = copy.deepcopy(saved["items"][n % len(saved["items"])])
        thread["snippet"]["topLevelComment"]["snippet"]["authorChannelId"] = {"value": f"UC{n:022d}"}
        items.append(thread)
    return json.dumps({**saved, "items": items}).encode("utf-8")


RSS_ITEMS = 20


def rss_feed(host: str, count: int = RSS_ITEMS) -> bytes:
    """tests/files/blog_rss.xml with its three items in turn, ``count`` in all, as the blog at ``host``."""
    text = (FILES / "blog_rss.xml").read_text("utf-8")
    start, end = text.index("<item>"), text.rindex("</item>") + len("</item>")
    items = re.findall(r"<item>.*?</item>", text[start:end], flags=re.S)
    built = []
    for n in range(count):
        item = items[n % len(items)]
        item = re.sub(r"(<guid[^>]*>)([^<]*)", lambda m: f"{m.group(1)}{m.group(2)}-{n}", item)
        item = re.sub(r"(<link>[^<]*?)/?</link>", lambda m: f"{m.group(1)}/{n}/</link>", item)
        built.append(item)
    return (text[:start] + "\n".join(built) + text[end:]).replace("runner-blog.example", host).encode("utf-8")


# the cases measured in-process ---------------------------------------------------------------------
@dataclass
class Case:
    """One kind of answer of one platform: ``answer(i)`` gives the i-th repetition's (url, body, headers,
    callback name, callback kwargs, request meta), each for another account."""

    platform: str
    label: str
    answer: object
    spider_kwargs: dict = field(default_factory=dict)


JSON = {"Content-Type": "application/json; charset=utf-8"}
XML = {"Content-Type": "application/xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def cases() -> list[Case]:
    masto = "https://mastodon.example"
    statuses_account = mastodon_account("owner", masto, 42)
    statuses_body = json.dumps(mastodon_statuses(statuses_account)).encode("utf-8")
    followers_body = json.dumps(mastodon_accounts(MASTODON_ACCOUNTS_PAGE, 0, masto)).encode("utf-8")
    lookup_body = json.dumps(mastodon_account("owner", masto, 42)).encode("utf-8")
    telegram_body = telegram_page("bench_channel")
    vk_wall_body, vk_members_body = vk_wall(42), vk_members()
    videos_body, comments_body = youtube_videos(), youtube_comments()
    youtube_feed = fixture("youtube", "capyreader_atom-feed-youtube.xml")
    bsky_followers_body = bluesky_followers("owner.bsky.social")
    audience = {"audience_limit": 1000}
    return [
        Case("telegram", f"channel page, {TELEGRAM_PAGE} posts", lambda i: (
            f"https://t.me/s/chan{i:05d}", telegram_body, HTML, "parse_channel",
            {"handle": f"chan{i:05d}", "hop": 0, "taken": 0}, {"handle": f"chan{i:05d}"})),
        Case("mastodon", f"statuses page, {MASTODON_PAGE} statuses", lambda i: (
            f"{masto}/api/v1/accounts/42/statuses?limit=40", statuses_body, JSON, "parse_statuses",
            {"handle": f"user{i}@mastodon.example", "instance": masto, "account_id": "42", "hop": 0, "taken": 0,
             "engaged": 0}, {}), audience),
        Case("mastodon", f"followers page, {MASTODON_ACCOUNTS_PAGE} accounts", lambda i: (
            f"{masto}/api/v1/accounts/42/followers?limit=80", followers_body,
            {**JSON, "Link": f'<{masto}/api/v1/accounts/42/followers?limit=80&max_id=1>; rel="next"'},
            "parse_audience", {"handle": f"user{i}@mastodon.example", "kind": "follower", "expected": 5000,
                               "first": True}, {}), audience),
        Case("mastodon", "account lookup", lambda i: (
            f"{masto}/api/v1/accounts/lookup?acct=user{i}", lookup_body, JSON, "parse_lookup",
            {"handle": f"user{i}@mastodon.example", "hop": 0}, {"handle": f"user{i}@mastodon.example"}), audience),
        Case("bluesky", f"feed page, {BLUESKY_PAGE} items", lambda i: (
            f"https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor={bluesky_did(f'u{i}.bsky.social')}",
            bluesky_feed(f"u{i}.bsky.social"), JSON, "parse_feed",
            {"handle": f"u{i}.bsky.social", "did": bluesky_did(f"u{i}.bsky.social"), "hop": 0, "taken": 0,
             "engaged": 0}, {}), audience),
        Case("bluesky", f"followers page, {BLUESKY_PAGE} profiles", lambda i: (
            "https://public.api.bsky.app/xrpc/app.bsky.graph.getFollowers?actor=x", bsky_followers_body, JSON,
            "parse_audience", {"handle": f"u{i}.bsky.social", "kind": "follower",
                               "method": "app.bsky.graph.getFollowers",
                               "params": {"actor": bluesky_did(f"u{i}.bsky.social")}}, {}), audience),
        Case("bluesky", "profile", lambda i: (
            f"https://public.api.bsky.app/xrpc/app.bsky.actor.getProfile?actor=u{i}.bsky.social",
            bluesky_profile(f"u{i}.bsky.social"), JSON, "parse_profile", {"handle": f"u{i}.bsky.social", "hop": 0},
            {"handle": f"u{i}.bsky.social"}), audience),
        Case("vk", f"wall page, {VK_PAGE} posts", lambda i: (
            "https://api.vk.com/method/wall.get?owner_id=-42", vk_wall_body, JSON, "parse_wall",
            {"handle": f"community{i}", "group_id": 42, "hop": 0, "offset": 0},
            {"vk_method": "wall.get", "handle": f"community{i}"}), audience),
        Case("vk", f"members page, {VK_MEMBERS_PAGE} members", lambda i: (
            "https://api.vk.com/method/groups.getMembers?group_id=42", vk_members_body, JSON, "parse_members",
            {"handle": f"community{i}", "group_id": 42, "offset": 0}, {"vk_method": "groups.getMembers"}),
             {"audience_limit": VK_MEMBERS_PAGE}),
        Case("vk", "community (groups.getById)", lambda i: (
            "https://api.vk.com/method/groups.getById?group_id=x", vk_group(f"community{i}", 1000 + i), JSON,
            "parse_group", {"handle": f"community{i}", "hop": 0}, {"vk_method": "groups.getById",
                                                                   "handle": f"community{i}"}), audience),
        Case("youtube", "channel feed, 15 videos (keyless)", lambda i: (
            f"https://www.youtube.com/feeds/videos.xml?channel_id=UC{i:022d}", youtube_feed, XML, "parse_feed",
            {"handle": f"UC{i:022d}", "hop": 0}, {"handle": f"UC{i:022d}"}), audience),
        Case("youtube", f"videos.list, {YOUTUBE_VIDEOS} videos (API)", lambda i: (
            "https://www.googleapis.com/youtube/v3/videos?part=snippet,statistics", videos_body, JSON, "parse_videos",
            {"handle": f"UC{i:022d}", "hop": 0, "first": True}, {"yt_method": "videos"}), audience),
        Case("youtube", f"commentThreads, {YOUTUBE_COMMENTS} comments (API)", lambda i: (
            "https://www.googleapis.com/youtube/v3/commentThreads?videoId=x", comments_body, JSON, "parse_comments",
            {"handle": f"UC{i:022d}", "video_id": "vid00000000"}, {"yt_method": "commentThreads"}), audience),
        Case("rss", f"feed, {RSS_ITEMS} items", lambda i: (
            f"https://blog{i}.example/feed.xml", rss_feed(f"blog{i}.example"), XML, "parse_feed",
            {"url": f"https://blog{i}.example/feed.xml", "hop": 0, "key": f"https://blog{i}.example/feed.xml",
             "site_url": None, "page_same_as": []}, {"handle": f"blog{i}.example"})),
    ]


def run_parse_child(platforms: list[str], repeat: int) -> dict:
    """In a child process: every case of ``platforms``, ``repeat`` times; CPU ms of each repetition."""
    from scrapy import Request
    from scrapy.exceptions import DropItem
    from scrapy.responsetypes import responsetypes
    from scrapy.utils.test import get_crawler

    import crawler.pipelines as pipelines
    from crawler.platforms import spider_class

    results = {"code": str(Path(pipelines.__file__).parent), "cases": []}
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        for number, case in enumerate(c for c in cases() if c.platform in platforms):
            cls = spider_class(case.platform)
            settings = {"PAGESCOUT_DB": str(folder / f"case{number}.db"), "PAGESCOUT_FLUSH_ITEMS": 500,
                        "PAGESCOUT_FLUSH_SECONDS": 2.0, "LOG_ENABLED": False}
            crawler = get_crawler(cls, settings)
            crawler._apply_settings()
            spider = cls.from_crawler(crawler, seeds=[], **case.spider_kwargs)
            crawler.spider = spider
            chain = [getattr(pipelines, name).from_crawler(crawler) for name in (
                "NormalisePipeline", "ValidatePipeline", "AdPipeline", "HashMemberPipeline", "StorePipeline")]
            for pipeline in chain:
                if hasattr(pipeline, "open_spider"):
                    pipeline.open_spider(spider)
            store = chain[-1]
            answers = [case.answer(i) for i in range(WARMUP + repeat)]  # built before any timing
            samples, items, requests = [], 0, 0
            for i in range(len(answers)):
                url, body, headers, callback, kwargs, meta = answers[i]
                answers[i] = None
                # Made as Scrapy makes it, and let go of after: a response keeps its decoded JSON, and a heap
                # holding every earlier answer's would make each garbage collection dearer than a crawl's.
                response = responsetypes.from_args(headers=headers, url=url, body=body)(
                    url=url, body=body, headers=headers, request=Request(url, cb_kwargs=kwargs, meta=meta), status=200)
                callback = getattr(spider, callback)
                made = made_requests = 0
                started = time.process_time()
                for out in callback(response, **kwargs):
                    if isinstance(out, Request):
                        made_requests += 1
                        continue
                    made += 1
                    try:
                        for pipeline in chain:
                            out = pipeline.process_item(out, spider)
                    except DropItem:
                        pass
                store.flush()
                spent = time.process_time() - started
                response = out = None
                if i >= WARMUP:
                    samples.append(spent * 1000)
                    items, requests = made, made_requests
            store.close_spider(spider)
            stats = crawler.stats.get_stats()
            stored = {k: v for k, v in stats.items() if k.startswith("pagescout/store/")
                      and not k.endswith("/transactions")}
            refused = sum(v for k, v in stats.items() if k.startswith(("pagescout/refused/", "pagescout/lost/")))
            results["cases"].append({"platform": case.platform, "label": case.label, "samples": samples,
                                     "items": items, "requests": requests, "interval": cls.min_delay,
                                     "stored": stored, "refused": refused})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


# mirrors for whole crawls, served from another process --------------------------------------------
MIRROR_FOLLOWERS = 1000
MASTODON_STATUSES = 120  # per account: three pages of 40


def mirror(platform: str):
    """A LocalServer (crawler/sample_site.py) answering ``platform``'s requests with the built answers."""
    from crawler.sample_site import LocalServer

    class Mirror(LocalServer):
        def answer(self, path: str):
            parts = urlsplit(path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            return getattr(self, platform)(parts.path, query)

        def telegram(self, path, query):
            handle = path.removeprefix("/s/")
            before = int(query["before"]) if "before" in query else None
            return 200, telegram_page(handle, before, first_id=5000, oldest=5000 - 100 + 1), HTML

        def mastodon(self, path, query):
            segments = [s for s in path.split("/") if s]
            if path == "/api/v1/accounts/lookup":
                username = query.get("acct", "")
                number = int(username.removeprefix("user")) if username.removeprefix("user").isdigit() else -1
                if number < 0:
                    return 404, {"error": "Record not found"}, {}
                return 200, mastodon_account(username, self.url, 10**6 + number), {}
            if segments[:3] == ["api", "v1", "accounts"] and len(segments) == 5:
                account_id, what = int(segments[3]), segments[4]
                account = mastodon_account(f"user{account_id - 10**6}", self.url, account_id)
                if what == "statuses":
                    first = account_id * 1000 + MASTODON_STATUSES
                    top = min(int(query.get("max_id", first + 1)), first + 1)
                    count = max(0, min(int(query.get("limit", 20)), MASTODON_PAGE, top - 1 - account_id * 1000))
                    return 200, mastodon_statuses(account, count, max_id=top), {}
                if what == "followers":
                    start = int(query.get("page", 0))
                    size = min(int(query.get("limit", 40)), MASTODON_ACCOUNTS_PAGE, MIRROR_FOLLOWERS - start)
                    headers = {}
                    if start + size < MIRROR_FOLLOWERS:
                        following = urlencode({"limit": query.get("limit", 40), "page": start + size})
                        headers["Link"] = f'<{self.url}{path}?{following}>; rel="next"'
                    return 200, mastodon_accounts(size, account_id * 10**4 + start, self.url), headers
            if segments[:3] == ["api", "v1", "statuses"] and len(segments) == 5:
                status_id = int(segments[3])
                return 200, mastodon_accounts(20, status_id * 100, self.url), {}
            return 404, {"error": "Record not found"}, {}

        def bluesky(self, path, query):
            method = path.removeprefix("/xrpc/")
            if method == "app.bsky.actor.getProfile":
                return 200, bluesky_profile(query["actor"]), JSON
            if method == "app.bsky.feed.getAuthorFeed":
                handle = self.handles[query["actor"]]
                start = int(query.get("cursor", 0))
                size = min(int(query.get("limit", 50)), BLUESKY_PAGE)
                return 200, bluesky_feed(handle, size, start, cursor=str(start + size)), JSON
            if method == "app.bsky.graph.getFollowers":
                handle = self.handles[query["actor"]]
                start = int(query.get("cursor", 0))
                size = min(int(query.get("limit", 50)), BLUESKY_PAGE, MIRROR_FOLLOWERS - start)
                following = str(start + size) if start + size < MIRROR_FOLLOWERS else None
                offset = int(hashlib.sha1(handle.encode()).hexdigest()[:6], 16) * 10**4 + start
                return 200, bluesky_followers(handle, size, offset, following), JSON
            if method in ("app.bsky.feed.getLikes", "app.bsky.feed.getRepostedBy"):
                offset = int(hashlib.sha1(query["uri"].encode()).hexdigest()[:8], 16) * 100
                profiles = bluesky_profiles(20, offset)
                if method.endswith("getLikes"):
                    return 200, {"uri": query["uri"], "likes": [
                        {"actor": p, "createdAt": "2025-05-01T10:00:00.000Z", "indexedAt": "2025-05-01T10:00:01.000Z"}
                        for p in profiles]}, {}
                return 200, {"uri": query["uri"], "repostedBy": profiles}, {}
            return 501, {"error": "MethodNotImplemented"}, {}

        def vk(self, path, query):
            method = path.rsplit("/", 1)[-1]  # --base-url stands for https://api.vk.com/method
            if method == "groups.getById":
                names = (query.get("group_ids") or query.get("group_id") or "").split(",")
                groups = [json.loads(vk_group(name, vk_group_id(name)))["response"]["groups"][0] for name in names]
                return 200, {"response": {"groups": groups, "profiles": []}}, {}
            if method == "wall.get":
                group_id = -int(query["owner_id"])
                return 200, vk_wall(group_id, int(query.get("count", 20)), int(query.get("offset", 0))), JSON
            if method == "groups.getMembers":
                offset = int(query.get("offset", 0)) + int(query["group_id"]) * 10**5
                return 200, vk_members(int(query.get("count", 100)), offset), JSON
            if method == "likes.getList":
                first = int(query["item_id"]) * 100
                return 200, {"response": {"count": 50, "items": list(range(first, first + 50))}}, {}
            return 200, {"error": {"error_code": 3, "error_msg": "Unknown method passed"}}, {}

    server = Mirror()
    server.handles = {bluesky_did(h): h for h in crawl_seeds("bluesky")}
    return server


def crawl_seeds(platform: str) -> list[str]:
    if platform == "telegram":
        return [f"bench_chan_{n:02d}" for n in range(60)]
    if platform == "mastodon":
        return [f"user{n}" for n in range(10)]
    if platform == "vk":
        return [f"bench_community_{n}" for n in range(10)]
    return [f"bench{n}.bsky.social" for n in range(10)]


def vk_group_id(name: str) -> int:
    """The id of a mirrored VK community: ``club<ID>`` names its own, a screen name a stable one."""
    return int(name[4:]) if name.startswith("club") and name[4:].isdigit() else 1000 + int(
        hashlib.sha1(name.encode()).hexdigest()[:6], 16)


def run_serve_child(platform: str) -> None:
    """In a child process: serve the mirror until the parent closes our stdin."""
    with mirror(platform) as server:
        print(server.url, flush=True)
        sys.stdin.read()


def run_crawl_child(platform: str, base_url: str) -> dict:
    """In a child process: one whole crawl through ``crawler.run.crawl``; CPU of the spider's open to close,
    and the thread CPU inside the spider's callbacks and the item pipelines."""
    import inspect

    import crawler.pipelines as pipelines
    from crawler.platforms import spider_class
    from crawler.run import crawl

    spent = {"callbacks": 0.0, "pipelines": 0.0, "answer check": 0.0}
    marks = {}
    inside = [False]

    def timed_generator(function):
        def wrapper(*args, **kwargs):
            generator = function(*args, **kwargs)

            def run():
                while True:
                    if inside[0]:  # a helper generator inside a callback: counted by the callback
                        try:
                            value = next(generator)
                        except StopIteration:
                            return
                        yield value
                        continue
                    inside[0] = True
                    started = time.thread_time()
                    try:
                        value = next(generator)
                    except StopIteration:
                        return
                    finally:
                        spent["callbacks"] += time.thread_time() - started
                        inside[0] = False
                    yield value
            return run()
        wrapper.__name__ = function.__name__
        return wrapper

    def timed(function, bucket: str, mark: str | None = None):
        def wrapper(*args, **kwargs):
            if mark == "open":
                marks["open"] = time.process_time()
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[bucket] += time.thread_time() - started
                if mark == "close":
                    marks["close"] = time.process_time()
        wrapper.__name__ = function.__name__
        return wrapper

    from crawler.middlewares import AnswerCheckMiddleware

    check = AnswerCheckMiddleware
    check.process_spider_input = timed(check.process_spider_input, "answer check")
    cls = spider_class(platform)
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("parse") and inspect.isgeneratorfunction(member):
            setattr(cls, name, timed_generator(member))
    for name in ("NormalisePipeline", "ValidatePipeline", "AdPipeline", "HashMemberPipeline", "StorePipeline"):
        pipeline = getattr(pipelines, name)
        pipeline.process_item = timed(pipeline.process_item, "pipelines")
    store = pipelines.StorePipeline
    store.open_spider = timed(store.open_spider, "pipelines", mark="open")
    store.close_spider = timed(store.close_spider, "pipelines", mark="close")

    if platform == "vk":
        os.environ["VK_TOKEN"] = "bench-token"  # the mirror asks for none; the spider needs one to ask
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-crawl-"))
    try:
        options = {} if platform == "telegram" else {"audience_limit": MIRROR_FOLLOWERS}
        started = time.monotonic()
        summary = crawl(platform, crawl_seeds(platform), db=str(folder / "crawl.db"), max_posts=100, delay=0,
                        base_url=base_url, progress=False, resume=False, max_requests=5000, **options)
        seconds = time.monotonic() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"code": str(Path(pipelines.__file__).parent), "pages": summary.pages, "seconds": seconds,
            "cpu_ms": (marks["close"] - marks["open"]) * 1000, "callbacks_ms": spent["callbacks"] * 1000,
            "pipelines_ms": spent["pipelines"] * 1000, "check_ms": spent["answer check"] * 1000,
            "stored": summary.stored, "finish": summary.finish_reason,
            "exit_code": summary.exit_code}


# the parent: baseline tree, children, tables ------------------------------------------------------
def baseline_tree(ref: str, folder: Path) -> tuple[Path, list[str]]:
    """A copy of today's crawler/ with every ``OPTIMISED`` file as it is at ``ref``; the files that differ."""
    target = folder / "crawler"
    shutil.copytree(ROOT / "crawler", target, ignore=shutil.ignore_patterns("__pycache__"))
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", ref, "crawler/"],
                            capture_output=True, text=True)
    if listed.returncode != 0:
        raise SystemExit(f"baseline {ref!r} is no commit of this repository: {listed.stderr.strip()}")
    at_ref = set(listed.stdout.split())
    patterns = [re.compile(re.escape(p).replace(r"\*", "[^/]*") + "$") for p in OPTIMISED]
    wanted = at_ref | {str(p.relative_to(ROOT)) for p in (ROOT / "crawler").rglob("*.py")}
    differ = []
    for path in sorted(wanted):
        if not any(p.match(path) for p in patterns):
            continue
        now = ROOT / path
        copy_path = folder / path
        if path not in at_ref:  # new since the baseline
            copy_path.unlink(missing_ok=True)
            differ.append(path)
            continue
        old = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], capture_output=True, check=True).stdout
        if not now.exists() or now.read_bytes() != old:
            differ.append(path)
        copy_path.parent.mkdir(parents=True, exist_ok=True)
        copy_path.write_bytes(old)
    return folder, differ


def child(args: list[str], code: Path | None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), *args] + (["--code", str(code)] if code else [])
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(samples: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(samples, n=4)
    return statistics.median(samples), q[0], q[2]


def parsing_table(platforms: list[str], repeat: int, baseline: Path) -> float:
    """The in-process figures, per answer, beside the baseline's; returns the worst share of an interval now."""
    print(f"parsing and storing: CPU ms per answer (the callback, the item pipelines and one Store.write into "
          f"SQLite), median of {repeat} (25th–75th percentile)\n")
    print(f"{'platform':<9} {'answer':<36} {'items':>5} {'interval':>8}  {'baseline ms':>19}  {'now ms':>19}  "
          f"{'speed-up':>8}  {'now/interval':>12}")
    worst = 0.0
    for platform in platforms:
        # One child each, one after the other, so that a busy neighbour on the machine weighs on both alike.
        arguments = ["--child", "parse", "--platforms", platform, "--repeat", str(repeat)]
        old, new = child(arguments, baseline), child(arguments, None)
        for before, after in zip(old["cases"], new["cases"]):
            b, b_low, b_high = spread(before["samples"])
            a, a_low, a_high = spread(after["samples"])
            share = a / 1000 / after["interval"]
            worst = max(worst, share)
            print(f"{platform:<9} {after['label']:<36} {after['items']:>5} {after['interval']:>7.2f}s  "
                  f"{b:>7.2f} ({b_low:>4.1f}–{b_high:>5.1f})  {a:>7.2f} ({a_low:>4.1f}–{a_high:>5.1f})  "
                  f"{b / a:>7.1f}×  {share:>11.1%}{'' if share < GOAL else '  over the goal'}")
            if before["stored"] != after["stored"] or before["refused"] or after["refused"]:
                print(f"{'':<9} NOT THE SAME: rows stored at the baseline {before['stored']}, now {after['stored']}; "
                      f"refused or lost {before['refused']}, {after['refused']}")
    print(f"\ngoal: under {GOAL:.0%} of the platform's politeness interval (its spider's min_delay). The rows stored "
          f"(per item type) are the same at the baseline and now; a line above would say otherwise.")
    return worst


CRAWL_RUNS = 2  # per platform and code, alternately; the table shows their mean


def crawl_table(platforms: list[str], baseline: Path) -> None:
    """Whole crawls in a process of their own against a mirror in another, at the baseline and now."""
    print(f"\nwhole crawls (crawler.run.crawl, --delay 0) against a mirror in another process: CPU ms per answer of "
          f"the crawling process from the spider's opening to its close, mean of {CRAWL_RUNS} runs")
    print(f"{'platform':<9} {'code':<9} {'answers':>7} {'CPU ms/answer':>13} {'callbacks':>9} {'JSON check':>10} "
          f"{'pipelines':>9} {'the rest':>8} {'parsing and storing':>19} {'seconds':>7}")
    for platform in (p for p in CRAWLED if p in platforms):
        server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", "serve", "--platforms",
                                   platform], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            url = server.stdout.readline().strip()
            runs = {"baseline": [], "now": []}
            for _ in range(CRAWL_RUNS):
                for name, code in (("baseline", baseline), ("now", None)):
                    runs[name].append(child(["--child", "crawl", "--platforms", platform, "--base-url", url], code))
        finally:
            server.stdin.close()  # the mirror ends when its stdin does
            server.wait(timeout=30)
        for name, done in runs.items():
            pages = sum(run["pages"] for run in done) or 1
            per, callbacks, check, pipelines = (sum(run[k] for run in done) / pages for k in (
                "cpu_ms", "callbacks_ms", "check_ms", "pipelines_ms"))
            seconds = sum(run["seconds"] for run in done) / len(done)
            failed = sorted({run["exit_code"] for run in done} - {0})
            print(f"{platform:<9} {name:<9} {pages // len(done):>7} {per:>13.2f} {callbacks:>9.2f} {check:>10.2f} "
                  f"{pipelines:>9.2f} {per - callbacks - check - pipelines:>8.2f} "
                  f"{(callbacks + check + pipelines) / per:>19.0%} {seconds:>7.1f}"
                  + (f"  (exit code {failed})" if failed else ""))
    print("callbacks: the spider's parse methods; JSON check: crawler.middlewares.AnswerCheckMiddleware, which decodes "
          "a JSON answer before its callback (the callback gets it decoded); pipelines: normalise, validate, ads, hash "
          "and store, its writes included; the rest: Scrapy (scheduling, the item pipeline machinery, a DEBUG log "
          "record per item), Twisted, the other middlewares and the HTTP client. Garbage collections fall where "
          "they fall, so the split between the columns moves a little from run to run; their sum does not.")


def parsing_cost(args) -> float:
    """CPU per answer of parsing and storing, per platform, now and at the baseline; then whole crawls."""
    platforms = [p for p in args.platforms.split(",") if p]
    with tempfile.TemporaryDirectory(prefix="bench-scale-baseline-") as tmp:
        baseline, differ = baseline_tree(args.baseline, Path(tmp))
        print(f"baseline: the code at {args.baseline} for the {len(differ)} files changed since "
              f"({', '.join(differ) or 'none'}), today's for the rest\n")
        worst = parsing_table(platforms, args.repeat, baseline)
        if not args.no_crawls:
            crawl_table(platforms, baseline)
    return worst


# --- workers: throughput and politeness across worker processes -------------------------------------
MIRRORS = 20
MIRROR_CHANNELS = 30
MIRROR_LATENCY = 0.1
MIRROR_DELAY = 0.1
POLITE_DELAY = 0.5
WORKER_COUNTS = (1, 2, 4)


def mirror_spec(host_index: int) -> dict:
    """One Telegram mirror's channels: 15 posts each, so one page per channel."""
    channels = {}
    for n in range(MIRROR_CHANNELS):
        posts = [{"id": p, "date": f"2026-10-{p:02d}T10:00:00+00:00", "text": f"mirror {host_index} channel {n} post {p}",
                  "views": 100 * p} for p in range(1, 16)]
        channels[f"m{host_index:02d}c{n:02d}"] = {"title": f"Channel {n}", "subscribers": 1000 + n, "posts": posts}
    return {"page_size": 20, "channels": channels}


def run_mirrors_child(log_path: str) -> None:
    """Serve MIRRORS Telegram mirrors on 127.0.0.2, 127.0.0.3, …; print their roots; on a line on stdin,
    write every request's (host, arrival time) to ``log_path`` and exit."""
    from crawler.sample_site import SampleTelegram

    sites = [SampleTelegram(mirror_spec(i), latency=MIRROR_LATENCY, host=f"127.0.0.{i + 2}") for i in range(MIRRORS)]
    for site in sites:
        site.__enter__()
    print(json.dumps([site.url for site in sites]), flush=True)
    sys.stdin.readline()
    Path(log_path).write_text(json.dumps({site.host: [t for t, _ in site.log] for site in sites}))
    for site in sites:
        site.__exit__(None, None, None)


# A worker as stock scrapy-redis runs it: each process keeps the delay by itself, no shared clock.
STOCK_WORKER = """
import sys
import crawler.shared_crawl as shared
made = shared.queue_settings
def stock(settings, spec, *args, **kwargs):
    settings = made(settings, spec, *args, **kwargs)
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares.pop("crawler.shared_crawl.SharedPolitenessMiddleware")
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", spec.delay, priority="cmdline")
    settings.set("RANDOMIZE_DOWNLOAD_DELAY", False, priority="cmdline")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 1, priority="cmdline")
    return settings
shared.queue_settings = stock
from cli import app
sys.argv[0] = "pagescout"
app()
"""


def _cpu_of(process: subprocess.Popen) -> float:
    """User + system CPU seconds of a child that has exited (its own figures, from wait4)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def highest_rate_ratio(times: list[float], delay: float, window: float) -> tuple[float, float]:
    """The most requests one host got in any ``window`` seconds, as a share of what ``delay`` allows
    (``window / delay`` requests, plus the one that opens the window), and the shortest gap seen."""
    times = sorted(times)
    if len(times) < 2:
        return 0.0, float("nan")
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        most = max(most, end - start + 1)
    allowed = window / delay + 1
    return most / allowed, min(b - a for a, b in zip(times, times[1:]))


def workers_run(queue: str, db: str, workers: int, stock: bool, roots: list[str], delay: float) -> dict:
    """Queue one crawl per mirror, then let ``workers`` processes crawl them all."""
    import redis

    redis.Redis.from_url(queue).flushdb()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    enqueue = [[sys.executable, "-m", "cli", "crawl", "telegram", *mirror_spec(i)["channels"], "--base-url", root,
                "--delay", str(delay), "--queue", queue, "--no-worker", "--quiet", "--db", db]
               for i, root in enumerate(roots)]
    for batch in range(0, len(enqueue), 4):
        for process in [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                        for args in enqueue[batch:batch + 4]]:
            _, err = process.communicate()
            assert process.returncode == 0, err.decode()[-500:]
    command = ([sys.executable, "-c", STOCK_WORKER] if stock else [sys.executable, "-m", "cli"])
    args = [*command, "worker", "--queue", queue, "--db", db, "--until-idle", "2"]
    started = time.monotonic()
    # Workers run niced, so the mirrors' threads get a core when a request arrives: under full load a request
    # would otherwise be logged when its thread next runs, and arrivals would bunch that were spread out.
    processes = [subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  preexec_fn=lambda: os.nice(10)) for _ in range(workers)]
    cpu = sum(_cpu_of(process) for process in processes)
    return {"cpu_s": cpu, "wall_s": time.monotonic() - started}


def idle_worker_cpu(queue: str, db: str) -> float:
    """CPU seconds a worker takes to start and stop with nothing to do: taken off each worker's figure."""
    import redis

    redis.Redis.from_url(queue).flushdb()
    process = subprocess.Popen([sys.executable, "-m", "cli", "worker", "--queue", queue, "--db", db, "--until-idle", "0"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _cpu_of(process)


def throughput(args) -> dict:
    """Pages per second and CPU per page with 1, 2 and 4 worker processes over MIRRORS hosts, and the
    highest per-host request rate any run reached against what the delay allows, beside stock
    scrapy-redis (each worker keeping the delay alone)."""
    queue = os.environ.get("PAGESCOUT_BENCH_REDIS") or os.environ.get("PAGESCOUT_TEST_REDIS")
    if not queue:
        print("throughput: skipped (set $PAGESCOUT_BENCH_REDIS=redis://127.0.0.1:6379/15; the database is emptied)")
        return {}
    results, idle_cpu_s = {}, 0.0
    pages = MIRRORS * MIRROR_CHANNELS
    print(f"throughput: {MIRRORS} Telegram mirrors on 127.0.0.2–{MIRRORS + 1}, {MIRROR_CHANNELS} channels each "
          f"({pages} pages), {MIRROR_LATENCY * 1000:.0f} ms per answer, {MIRROR_DELAY} s or {POLITE_DELAY} s between requests per host")
    print(f"{'run':<38}{'pages/s':>9}{'CPU ms/page':>13}{'per-host rate / allowed':>26}{'shortest gap s':>16}")
    with tempfile.TemporaryDirectory() as folder:
        # CPU-bound at 0.1 s a host (the workers' speed shows), then bound by the delay at 0.5 s a host, where
        # a worker keeping the delay alone would go as fast as it may, each.
        runs = [(n, False, MIRROR_DELAY) for n in WORKER_COUNTS] + [(max(WORKER_COUNTS), True, MIRROR_DELAY)]
        runs += [(max(WORKER_COUNTS), False, POLITE_DELAY), (max(WORKER_COUNTS), True, POLITE_DELAY)]
        for workers, stock, delay in runs:
            log = Path(folder) / f"log-{workers}-{stock}-{delay}.json"
            mirrors = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", "mirrors", "--log",
                                        str(log)], cwd=ROOT,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            roots = json.loads(mirrors.stdout.readline())
            db = str(Path(folder) / f"bench-{workers}-{stock}-{delay}.db")
            idle = idle_cpu_s = idle_worker_cpu(queue, db)
            run = workers_run(queue, db, workers, stock, roots, delay)
            mirrors.stdin.write("dump\n")
            mirrors.stdin.flush()
            mirrors.wait()
            arrivals = json.loads(log.read_text())
            everything = sorted(t for times in arrivals.values() for t in times)
            span = everything[-1] - everything[0]
            ratios = [highest_rate_ratio(times, delay, 10 * delay) for times in arrivals.values()]
            worst, gap = max(r for r, _ in ratios), min(g for _, g in ratios)
            cpu_ms = 1000 * max(0.0, run["cpu_s"] - workers * idle) / len(everything)
            name = (f"{workers} worker{'s' if workers > 1 else ''}" + (" (stock scrapy-redis)" if stock else "")
                    + f", {delay} s")
            print(f"{name:<38}{len(everything) / span:>9.1f}{cpu_ms:>13.1f}{worst:>26.2f}{gap:>16.3f}")
            results[name] = {"pages": len(everything), "pages_per_s": len(everything) / span, "cpu_ms_per_page": cpu_ms,
                             "rate_ratio": worst, "shortest_gap_s": gap}
    print(f"(rate: the most requests one host got in any 10 delays, over the 10 + 1 that the delay allows; CPU: the workers' own, less what a worker takes to start and stop idle, "
          f"{idle_cpu_s:.2f} s in the last run)")
    return results


SECTIONS = [parsing_cost, throughput]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=[s.__name__ for s in SECTIONS], help="run this section only")
    parser.add_argument("--repeat", type=int, default=40, help="timed repetitions per answer (after 5 warm-ups)")
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="comma-separated (default: all six)")
    parser.add_argument("--no-crawls", action="store_true", help="parsing_cost: skip the whole crawls")
    parser.add_argument("--baseline", default=BASELINE, help="the commit whose OPTIMISED files are the baseline")
    # the children this script starts
    parser.add_argument("--child", choices=["parse", "crawl", "serve", "mirrors"], help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.code:
            sys.path.insert(0, args.code)  # before anything imports crawler: the baseline's modules win
        sys.path.insert(1 if args.code else 0, str(ROOT))
        if args.child == "serve":
            run_serve_child(args.platforms)
            return 0
        if args.child == "mirrors":
            run_mirrors_child(args.log)
            return 0
        result = (run_parse_child(args.platforms.split(","), args.repeat) if args.child == "parse"
                  else run_crawl_child(args.platforms, args.base_url))
        print(json.dumps(result))
        return 0
    if not FIXTURES.is_dir():
        raise SystemExit(f"{FIXTURES} is absent: this benchmark reads the saved answers in ../shared/fixtures")
    sys.path.insert(0, str(ROOT))
    results = {}
    for section in SECTIONS:
        if args.only in (None, section.__name__):
            print(f"== {section.__name__}")
            results[section.__name__] = section(args)
            print()
    if "parsing_cost" in results:
        print(f"parsing_cost_worst_ratio={results['parsing_cost']:.4f}")
    if results.get("throughput"):
        print(f"politeness_worst_ratio={max(r['rate_ratio'] for n, r in results['throughput'].items() if 'stock' not in n):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
