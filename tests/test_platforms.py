"""The platform registry (crawler/platforms.py) against the spiders it names, and its rules for handles,
profile links and ``platform:handle`` accounts."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys

import pytest

import crawler.spiders
from conftest import REPO
from crawler.basespider import PlatformSpider, SeedError
from crawler.items import FOLLOWERS_KINDS
from crawler.platforms import (CRAWLED, IMPORTED, PLATFORMS, AccountError, Platform, UnknownPlatform,
                               account_from_url, find_account, parse_account, platform, spider_class,
                               split_accounts)

SPIDER_MODULES = sorted(m.name for m in pkgutil.iter_modules(crawler.spiders.__path__))


# the registry against crawler/spiders/ ------------------------------------------------------------
def test_names_and_order():
    assert list(PLATFORMS) == ["telegram", "bluesky", "mastodon", "vk", "youtube", "rss",
                               "instagram", "tiktok", "facebook", "x", "ok"]
    assert CRAWLED == ("telegram", "bluesky", "mastodon", "vk", "youtube", "rss")
    assert IMPORTED == ("instagram", "tiktok", "facebook", "x", "ok")
    assert all(name == p.name for name, p in PLATFORMS.items())


@pytest.mark.parametrize("module", SPIDER_MODULES)
def test_every_spider_module_is_a_crawled_platform(module):
    spiders = [obj for obj in vars(importlib.import_module(f"crawler.spiders.{module}")).values()
               if isinstance(obj, type) and issubclass(obj, PlatformSpider) and obj is not PlatformSpider
               and obj.__module__ == f"crawler.spiders.{module}"]
    assert module in CRAWLED, f"crawler/spiders/{module}.py is not in crawler.platforms.PLATFORMS"
    assert spiders == [PLATFORMS[module].spider_class()] == [spider_class(module)]
    assert spiders[0].name == spiders[0].platform == module


@pytest.mark.parametrize("name", CRAWLED)
def test_every_crawled_platform_has_its_spider_module(name):
    entry = PLATFORMS[name]
    assert entry.crawled and name in SPIDER_MODULES
    assert entry.spider_path == f"crawler.spiders.{name}:{name.capitalize()}Spider"
    # A spider takes its followers kind from the registry; only a blog's, which shows no count, says none.
    own = vars(entry.spider_class()).get("followers_kind", "from the registry")
    assert own == ("from the registry" if name != "rss" else None)


@pytest.mark.parametrize("name", IMPORTED)
def test_imported_platforms_have_no_spider(name):
    entry = PLATFORMS[name]
    assert not entry.crawled and entry.spider_path is None and name not in SPIDER_MODULES
    with pytest.raises(ValueError, match="only imported"):
        entry.spider_class()


@pytest.mark.parametrize("entry", PLATFORMS.values(), ids=list(PLATFORMS))
def test_facts_are_well_formed(entry):
    assert isinstance(entry, Platform)
    assert entry.followers_kind in FOLLOWERS_KINDS
    assert entry.profile_url is None or entry.profile_url.startswith("https://") and entry.profile_url.count("{}") == 1


def test_followers_kinds_and_profile_urls():
    assert {n: p.followers_kind for n, p in PLATFORMS.items() if p.followers_kind != "followers"} == {
        "telegram": "subscribers", "youtube": "subscribers", "vk": "members", "ok": "members"}
    assert PLATFORMS["instagram"].profile_url.format("anna") == "https://www.instagram.com/anna/"
    assert PLATFORMS["tiktok"].profile_url.format("anna") == "https://www.tiktok.com/@anna"
    assert PLATFORMS["mastodon"].profile_url is None and PLATFORMS["rss"].profile_url is None


def test_no_spider_module_imports_another():
    for module in SPIDER_MODULES:
        tree = ast.parse((REPO / "crawler" / "spiders" / f"{module}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        others = {name for name in imported if name.startswith("crawler.spiders.")} - {f"crawler.spiders.{module}"}
        assert not others, f"crawler/spiders/{module}.py imports {others}"


def test_importing_the_registry_imports_no_spider_and_not_scrapy():
    code = ("import sys, crawler.platforms as p; p.platform('telegram'); p.PLATFORMS['rss'].profile_url; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted', 'pandas') "
            "or m.startswith('crawler.spiders')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# names ------------------------------------------------------------------------------------------------
def test_platform_by_name():
    assert platform(" Telegram ") is PLATFORMS["telegram"]
    assert spider_class("VK").__name__ == "VkSpider"


def test_unknown_platform_lists_the_known_ones():
    with pytest.raises(UnknownPlatform) as caught:
        platform("xyz")
    assert str(caught.value) == ("unknown platform 'xyz': choose from bluesky, facebook, instagram, mastodon, ok, "
                                 "rss, telegram, tiktok, vk, x, youtube")
    assert isinstance(caught.value, ValueError)


def test_unknown_platform_cuts_a_long_name():
    with pytest.raises(UnknownPlatform) as caught:
        platform("z" * 10_000 + "\x1b[31m")
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message and len(message) < 200 and "…" in message


# handles ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, text, handle", [
    ("telegram", "@Durov", "durov"), ("telegram", "https://t.me/durov", "durov"),
    ("bluesky", "@Alice.bsky.social", "alice.bsky.social"),
    ("bluesky", "https://bsky.app/profile/alice.bsky.social", "alice.bsky.social"),
    ("mastodon", "@Gargron@mastodon.social", "gargron@mastodon.social"),
    ("mastodon", "https://mastodon.social/@Gargron", "gargron@mastodon.social"),
    ("vk", "https://vk.com/public1", "club1"), ("vk", "apiclub", "apiclub"),
    ("youtube", "https://www.youtube.com/@Runner", "@runner"),
    ("youtube", "UCrunnerrunnerrunner0001", "UCrunnerrunnerrunner0001"),
    ("rss", "https://www.example.org/notes/feed.xml", "example.org/notes"), ("rss", "example.com", "example.com"),
    ("instagram", "https://instagram.com/Foo", "foo"), ("instagram", " @Foo.Bar ", "foo.bar"),
    ("tiktok", "https://www.tiktok.com/@Anna", "anna"), ("facebook", "facebook.com/people/Ann/1", "ann"),
    ("x", "@Bob", "bob"), ("ok", "https://ok.ru/group", "group"),
])
def test_normalise_handle(name, text, handle):
    assert PLATFORMS[name].normalise_handle(text) == handle


@pytest.mark.parametrize("name, text", [
    ("telegram", "no"), ("telegram", "https://t.me/joinchat"), ("bluesky", "alice"), ("mastodon", "not a user"),
    ("vk", "id1"), ("youtube", "runner"), ("rss", "not a url"), ("instagram", "two words"), ("x", ""),
    ("tiktok", "@" + "a" * 101),
])
def test_not_a_handle_is_a_seed_error(name, text):
    with pytest.raises(SeedError):
        PLATFORMS[name].normalise_handle(text)


# profile links ------------------------------------------------------------------------------------------
#: Profile links and the account each names (None: no account); tests/test_rss.py checks same_as with them.
PROFILE_LINKS = [
    ("https://t.me/Runner_Notes", "telegram:runner_notes"), ("https://t.me/share/url?url=x", None),
    ("https://vk.com/public42", "vk:club42"), ("https://vk.com/runner_club", "vk:runner_club"),
    ("https://www.youtube.com/channel/UCrunnerrunnerrunner0001", "youtube:UCrunnerrunnerrunner0001"),
    ("https://www.youtube.com/@Runner", "youtube:@runner"),
    ("https://bsky.app/profile/Runner.bsky.social", "bluesky:runner.bsky.social"),
    ("https://mastodon.example/@runner", "mastodon:runner@mastodon.example"),
    ("https://medium.com/@runner", None), ("https://example.org/@page/post", None), ("https://github.com/x", None),
    # a host one platform answers for is never another's: no Mastodon profile on t.me, bsky.app or *vk.com
    ("https://t.me/@runner", None), ("https://bsky.app/@runner", None), ("https://myvk.com/@runner", None),
    ("https://vk.com/@runner", "vk:runner"),
    ("https://www.instagram.com/runner/", None), ("https://example.org/", None),
    ("http://[bad/@runner", None), ("https://mastodon.example/@runner" + "x" * 400, None),
]


@pytest.mark.parametrize("url, account", PROFILE_LINKS)
def test_account_from_url(url, account):
    assert account_from_url(url) == account


def test_handle_from_url_per_platform():
    assert PLATFORMS["telegram"].handle_from_url("https://t.me/s/Durov/12") == "durov"
    assert PLATFORMS["mastodon"].handle_from_url("https://t.me/@durov") is None
    assert PLATFORMS["telegram"].handle_from_url("https://vk.com/durov") is None
    assert PLATFORMS["rss"].handle_from_url("https://example.org/") is None
    assert PLATFORMS["instagram"].handle_from_url("https://www.instagram.com/anna/") is None


# accounts ---------------------------------------------------------------------------------------------
def test_split_accounts():
    assert split_accounts(["telegram:a, telegram:b", "vk:c", "telegram:a", " ,", "vk:c,bluesky:d"]) == [
        "telegram:a", "telegram:b", "vk:c", "bluesky:d"]
    assert split_accounts(None) == [] == split_accounts([])


def test_parse_account():
    assert parse_account(" Telegram : @Durov ") == ("telegram", "@Durov")
    assert parse_account("mastodon:gargron@mastodon.social") == ("mastodon", "gargron@mastodon.social")
    assert parse_account("xyz:abc") == ("xyz", "abc")


@pytest.mark.parametrize("text", ["durov", "telegram:", ":durov", " : "])
def test_not_an_account(text):
    with pytest.raises(AccountError) as caught:
        parse_account(text)
    assert str(caught.value) == f"'{text}' is not an account: write platform:handle, e.g. telegram:durov"


def test_not_an_account_cuts_the_echo():
    with pytest.raises(AccountError) as caught:
        parse_account("d" * 10_000)
    assert len(str(caught.value)) < 160 and "…" in str(caught.value)


KNOWN = [("telegram", "durov"), ("telegram", "Runner_Notes"), ("telegram", "Twice"), ("telegram", "TWICE"),
         ("instagram", "Anna"), ("rss", "example.org/notes"), ("vk", "club1")]


@pytest.mark.parametrize("text, found", [
    ("telegram:durov", ("telegram", "durov")),  # as written
    ("telegram:@durov", ("telegram", "durov")),  # without @
    ("Telegram:@Durov", ("telegram", "durov")),  # as the crawler spells it
    ("telegram:https://t.me/durov", ("telegram", "durov")),
    ("telegram:runner_notes", ("telegram", "Runner_Notes")),  # case-insensitive: one account
    ("telegram:Twice", ("telegram", "Twice")), ("telegram:@TWICE", ("telegram", "TWICE")),
    ("instagram:@anna", ("instagram", "Anna")),
    ("rss:https://www.example.org/notes/feed.xml", ("rss", "example.org/notes")),
    ("vk:https://vk.com/public1", ("vk", "club1")),
])
def test_find_account(text, found):
    assert find_account(text, KNOWN) == found
    assert find_account(text, iter(KNOWN)) == found


def test_find_account_ambiguous_case_is_unknown():
    with pytest.raises(AccountError) as caught:
        find_account("telegram:twice", KNOWN, "--target: ")
    assert str(caught.value) == ("--target: unknown account telegram:twice: it is not in the database (crawl it "
                                 "first, or check the spelling)")


def test_find_account_no_accounts_of_a_platform_vs_unknown_platform():
    with pytest.raises(AccountError) as caught:
        find_account("youtube:@runner", KNOWN)
    assert str(caught.value) == ("no accounts of 'youtube' in 'youtube:@runner': the database has accounts of "
                                 "instagram, rss, telegram, vk")
    with pytest.raises(AccountError) as caught:
        find_account("myspace:tom", KNOWN, "--target: ")
    assert str(caught.value) == ("--target: unknown platform 'myspace' in 'myspace:tom': the database has "
                                 "accounts of instagram, rss, telegram, vk")
    with pytest.raises(AccountError, match="the database has accounts of none yet"):
        find_account("telegram:durov", [])
    with pytest.raises(AccountError, match="is not an account"):
        find_account("durov", KNOWN)
