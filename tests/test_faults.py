"""Fault injection: whole crawls through the CLI against local servers imitating t.me, a Mastodon instance
and the VK API on a bad day. In each crawl a few good pages sit among pages that fail in one way each.

What every crawl must show: it finishes; the good pages are stored in full; each bad page is stored
with what could be read of it, or as unavailable with its reason; the exit code says whether anything
fetched was lost; and no traceback or secret reaches the terminal, the log or the database.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from conftest import REPO, run_cli, rows
from crawler.fields import AUDIENCE_CAP, INTERACTION_CAP, NAME_MAX, TEXT_MAX
from crawler.sample_site import render_channel
from faultserver import FaultServer
from fake_social import masto_account, masto_status

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
POSTS = 25
# With these, a hang costs 2 × 1 s and a 5xx burst a fraction of a second.
FAST = ["--delay", "0", "--quiet", "--timeout", "1"]
FAST_ENV = {"PAGESCOUT_BACKOFF_BASE": "0.05"}


def stored(db, table: str, where: str = "", *args) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(f"SELECT * FROM {table} {where}", args).fetchall()
    finally:
        conn.close()


def account(db, handle: str):
    found = stored(db, "accounts", "WHERE handle = ?", handle)
    assert found, f"{handle} is missing from the database: neither stored nor marked unavailable"
    return found[0]


def assert_no_traceback_or_secret(result, db, secret: str | None = None) -> None:
    log = db.parent / f"{db.name}.log"
    for where, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert "Traceback" not in text, f"{where}: {text[-2000:]}"
    if secret:
        texts = [result.stdout, result.stderr, log.read_text(encoding="utf-8") if log.exists() else ""]
        conn = sqlite3.connect(db)
        texts += ["\n".join(conn.iterdump())]
        conn.close()
        for text in texts:
            assert secret not in text


# Telegram ----------------------------------------------------------------------------------------------------------
def tg_channel(title: str, posts: int = POSTS, **extra) -> dict:
    return {"title": title, "subscribers": 1200, "description": f"about {title}",
            "posts": [{"id": i + 1, "date": f"2026-10-{1 + i % 28:02d}T10:00:00+00:00", "text": f"post {i}",
                       "views": 100 * (i + 1), "reactions": {"👍": i}} for i in range(posts)], **extra}


GOOD_CHANNELS = ("good_alpha", "good_bravo", "good_charlie")

# channel → (how its page is rewritten, what must be stored); a rewrite is applied to the rendered HTML.
TG_CONTENT_FAULTS = {
    "f_counter_overflow": lambda page: page.replace(">1.2K</span> <span class=\"counter_type\">subscribers",
                                                    ">123456789012345678901234567890</span> <span class=\"counter_type\">subscribers"),
    "f_views_overflow": lambda page: page.replace('tgme_widget_message_views">2.5K<',
                                                  'tgme_widget_message_views">100000000000000000000000<'),
    "f_control_chars": lambda page: page.replace("Ctl News", "Ctl\x00\x01\x1b]0;pwned\x07 News"),
    "f_rtl_override": lambda page: page.replace("Rtl News", "Rtl \u202eswen\u202c News"),
    "f_huge_name": lambda page: page.replace("Huge Name", "H" * 200_000),
    "f_huge_bio": lambda page: page.replace("about Huge Bio", "bio " * 800_000),
    "f_huge_post": lambda page: page.replace(">post 3<", ">" + "x" * 300_000 + "<"),
    "f_nul_in_post": lambda page: page.replace(">post 2<", ">before\x00after\x1b[2J<"),
    "f_bad_date": lambda page: page.replace('datetime="2026-10-05T10:00:00+00:00"', 'datetime="99999-13-45T99:00"'),
}
TG_TITLES = {"f_control_chars": "Ctl News", "f_rtl_override": "Rtl News", "f_huge_name": "Huge Name",
             "f_huge_bio": "Huge Bio", "f_huge_post": "Huge Post", "f_nul_in_post": "Nul Post"}
# channel → fault of the server (tests/faultserver.py), and the reason the channel must be stored with.
TG_SERVER_FAULTS = {
    "f_too_big": ("too_big", "too big"),
    "f_truncated": ("truncated", "cut off"),
    "f_json": ("json_for_html", "invalid answer: expected HTML, got JSON"),
    "f_empty": ("empty", "invalid answer: empty answer"),
    "f_binary": ("binary", "invalid answer: expected HTML, got application/octet-stream"),
    "f_garbage": ("garbage", "no channel on the preview page"),
    "f_hang": ("hang", "timed out"),
    "f_5xx_forever": ("5xx_forever", "HTTP 503 after"),
    "f_5xx_burst": ("5xx_burst", None),  # recovers: stored in full
    "f_429": ("429", None),
}


@pytest.fixture(scope="module")
def telegram_faults(tmp_path_factory):
    channels = {name: tg_channel(name.replace("_", " ").title()) for name in GOOD_CHANNELS}
    for name in [*TG_CONTENT_FAULTS, *TG_SERVER_FAULTS]:
        channels[name] = tg_channel(TG_TITLES.get(name, name))

    def app(path: str):
        handle = path.split("?")[0].rsplit("/", 1)[-1]
        if handle not in channels:
            return 404, "not found", {}
        before = int(path.split("before=")[1]) if "before=" in path else None
        page = render_channel(handle, channels[handle], before, 10)
        return 200, TG_CONTENT_FAULTS.get(handle, lambda text: text)(page), {}

    db = tmp_path_factory.mktemp("telegram_faults") / "t.db"
    faults = {f"/s/{name}": fault for name, (fault, _) in TG_SERVER_FAULTS.items()}
    with FaultServer(app, faults) as server:
        result = run_cli("crawl", "telegram", *channels, "--base-url", server.url, *FAST, "--db", str(db),
                         "--max-posts", str(POSTS), env=FAST_ENV, timeout=180)
    return db, result


def test_telegram_crawl_finishes_and_says_nothing_was_lost(telegram_faults):
    db, result = telegram_faults
    assert result.returncode == 0, result.stderr
    assert "crawl finished" in result.stderr
    assert_no_traceback_or_secret(result, db)


@pytest.mark.parametrize("handle", GOOD_CHANNELS)
def test_telegram_good_channels_are_stored_in_full(telegram_faults, handle):
    db, _ = telegram_faults
    assert account(db, handle)["status"] == "ok"
    assert rows(db, f"SELECT COUNT(*) FROM posts WHERE account = '{handle}'") == [(POSTS,)]


@pytest.mark.parametrize("handle", [*TG_CONTENT_FAULTS, "f_5xx_burst", "f_429"])
def test_telegram_channels_with_bad_values_are_stored_with_every_post(telegram_faults, handle):
    db, _ = telegram_faults
    assert account(db, handle)["status"] == "ok"
    assert rows(db, f"SELECT COUNT(*) FROM posts WHERE account = '{handle}'") == [(POSTS,)]


@pytest.mark.parametrize("handle,reason", [(h, r) for h, (_, r) in TG_SERVER_FAULTS.items() if r])
def test_telegram_failing_channels_are_unavailable_with_their_reason(telegram_faults, handle, reason):
    db, result = telegram_faults
    row = account(db, handle)
    assert (row["status"], reason in (row["reason"] or "")) == ("unavailable", True), dict(row)
    assert f"unavailable: {handle}: " in result.stderr


def test_telegram_out_of_range_numbers_are_stored_empty_and_counted(telegram_faults):
    db, result = telegram_faults
    assert account(db, "f_counter_overflow")["followers"] is None
    views = [r["views"] for r in stored(db, "posts", "WHERE account = 'f_views_overflow'")]
    assert views.count(None) == 1 and all(v is None or 0 <= v <= AUDIENCE_CAP for v in views)
    assert "stored empty (out of type or range)" in result.stderr and "telegram/followers" in result.stderr


def test_telegram_text_is_cut_and_cleaned(telegram_faults):
    db, _ = telegram_faults
    assert len(account(db, "f_huge_name")["name"]) <= NAME_MAX
    assert len(account(db, "f_huge_bio")["description"]) <= TEXT_MAX
    assert max(len(r["text"]) for r in stored(db, "posts", "WHERE account = 'f_huge_post'")) <= TEXT_MAX
    assert not CONTROL.search(account(db, "f_control_chars")["name"])
    texts = [r["text"] for r in stored(db, "posts", "WHERE account = 'f_nul_in_post'")]
    assert any("beforeafter" in t for t in texts) and not any(CONTROL.search(t) for t in texts)
    assert "\u202e" in account(db, "f_rtl_override")["name"]  # kept: made harmless where shown


def test_telegram_unreadable_date_leaves_the_post_undated(telegram_faults):
    db, _ = telegram_faults
    dates = [r["published_at"] for r in stored(db, "posts", "WHERE account = 'f_bad_date'")]
    assert dates.count(None) == 1


def test_telegram_hang_costs_a_bounded_time(telegram_faults):
    db, _ = telegram_faults
    assert "timed out" in account(db, "f_hang")["reason"]


# Mastodon --------------------------------------------------------------------------------------------------------
def masto_world(base: str):
    """username → (account JSON or a raw answer, statuses); a few good accounts and one fault each."""
    def with_statuses(acct: dict):
        return acct, [masto_status(acct, 1000 + i, f"<p>{acct['username']} post {i}</p>",
                                   f"2026-10-{1 + i:02d}T10:00:00.000Z", favourites=i) for i in range(5)]

    world = {name: with_statuses(masto_account(name, base)) for name in ("alice", "bob")}
    world["m_followers_overflow"] = with_statuses(masto_account("m_followers_overflow", base, followers=2**64))
    world["m_note_list"] = with_statuses(masto_account("m_note_list", base, note=["<p>a</p>"]))
    world["m_name_list"] = with_statuses({**masto_account("m_name_list", base), "display_name": ["x", 1]})
    world["m_counts_strings"] = with_statuses({**masto_account("m_counts_strings", base), "followers_count": "12",
                                               "statuses_count": "many"})
    world["m_nulls"] = with_statuses({**{k: None for k in masto_account("m_nulls", base)},
                                      "id": masto_account("m_nulls", base)["id"], "username": "m_nulls",
                                      "acct": "m_nulls"})
    acct_int = masto_account("m_acct_int", base)
    bad_mention = masto_status(acct_int, 5000, "<p>hi</p>", "2026-10-01T10:00:00.000Z")
    bad_mention["mentions"] = [{"id": "9", "username": "x", "acct": 12345, "url": 7}]
    world["m_acct_int"] = (acct_int, [bad_mention] + with_statuses(acct_int)[1][1:])
    world["m_not_object"] = (["not", "an", "account"], [])
    return world


MASTO_CONTENT_FAULTS = ("m_followers_overflow", "m_note_list", "m_name_list", "m_counts_strings", "m_nulls",
                        "m_acct_int", "m_not_object")
MASTO_SERVER_FAULTS = {
    "m_redirect_loop": ("redirect_loop", "redirect loop"),
    "m_html": ("html_for_json", "invalid answer: expected JSON, got text/html"),
    "m_5xx_forever": ("5xx_forever", "HTTP 503 after"),
    "m_truncated": ("truncated", "cut off"),
    "m_hang": ("hang", "timed out"),
    "m_too_big": ("too_big", "too big"),
}


@pytest.fixture(scope="module")
def mastodon_faults(tmp_path_factory):
    holder = {}

    def app(path: str):
        world = holder["world"]
        route, _, query = path.partition("?")
        if route == "/api/v1/accounts/lookup":
            user = query.split("acct=")[1].split("&")[0]
            if user in world:
                return 200, world[user][0], {}
            return 404, {"error": "Record not found"}, {}
        parts = route.strip("/").split("/")
        if parts[:3] == ["api", "v1", "accounts"] and len(parts) == 5:
            statuses = next((s for a, s in world.values() if isinstance(a, dict) and a.get("id") == parts[3]), [])
            if parts[4] == "statuses":
                return 200, [] if "max_id" in query else statuses, {}
            return 200, [], {}
        return 200, [], {}

    db = tmp_path_factory.mktemp("mastodon_faults") / "m.db"
    with FaultServer(app, {f"acct={name}": fault for name, (fault, _) in MASTO_SERVER_FAULTS.items()}) as server:
        holder["world"] = world = masto_world(server.url)
        names = [*world, *MASTO_SERVER_FAULTS]
        result = run_cli("crawl", "mastodon", *names, "--base-url", server.url, *FAST, "--db", str(db),
                         "--audience-limit", "0", env=FAST_ENV, timeout=180)
    return db, result, world


def masto_handle(db, user: str) -> str:
    found = [h for (h,) in rows(db, "SELECT handle FROM accounts") if h.split("@")[0] == user]
    assert found, f"{user} is missing from the database: neither stored nor marked unavailable"
    return found[0]


def test_mastodon_crawl_finishes_and_says_nothing_was_lost(mastodon_faults):
    db, result, _ = mastodon_faults
    assert result.returncode == 0, result.stderr
    assert_no_traceback_or_secret(result, db)


@pytest.mark.parametrize("user", ["alice", "bob", *MASTO_CONTENT_FAULTS[:-1]])
def test_mastodon_accounts_with_bad_values_are_stored_with_their_posts(mastodon_faults, user):
    db, _, world = mastodon_faults
    row = account(db, masto_handle(db, user))
    assert row["status"] == "ok", dict(row)
    assert rows(db, f"SELECT COUNT(*) FROM posts WHERE account = '{row['handle']}'") == [(len(world[user][1]),)]


def test_mastodon_wrong_types_are_stored_empty(mastodon_faults):
    db, _, _ = mastodon_faults
    assert account(db, masto_handle(db, "m_followers_overflow"))["followers"] is None
    assert account(db, masto_handle(db, "m_note_list"))["description"] is None
    assert account(db, masto_handle(db, "m_name_list"))["name"] in (None, "M_Name_List")
    counts = account(db, masto_handle(db, "m_counts_strings"))
    assert (counts["followers"], counts["posts_total"]) == (12, None)


def test_mastodon_answer_that_is_no_account_is_unavailable(mastodon_faults):
    db, _, _ = mastodon_faults
    row = account(db, masto_handle(db, "m_not_object"))
    assert row["status"] == "unavailable" and row["reason"].startswith("invalid answer")


@pytest.mark.parametrize("user,reason", [(u, r) for u, (_, r) in MASTO_SERVER_FAULTS.items()])
def test_mastodon_failing_accounts_are_unavailable_with_their_reason(mastodon_faults, user, reason):
    db, _, _ = mastodon_faults
    row = account(db, masto_handle(db, user))
    assert row["status"] == "unavailable" and reason in row["reason"], dict(row)


# VK ------------------------------------------------------------------------------------------------------------------
VK_TOKEN = "vk1.a.FAULT-TEST-SECRET-TOKEN"


def vk_world():
    def wall(gid, n=5, **changes):
        items = [{"id": 100 - i, "owner_id": -gid, "from_id": -gid, "date": 1_760_000_000 - i * 86_400,
                  "text": f"post {i}", "likes": {"count": i}, "reposts": {"count": 1},
                  "views": {"count": 100 * (i + 1)}, "comments": {"count": 2}} for i in range(n)]
        items[0].update(changes)
        return items

    groups = {
        "alpha": ({"id": 11, "name": "Alpha", "screen_name": "alpha", "members_count": 2500}, wall(11)),
        "v_views_overflow": ({"id": 12, "name": "Views", "screen_name": "v_views_overflow", "members_count": 10},
                             wall(12, views={"count": 2**70}, likes={"count": 10**12})),
        "v_text_int": ({"id": 13, "name": "Text", "screen_name": "v_text_int", "members_count": 10},
                       wall(13, text=12345)),
        "v_name_int": ({"id": 14, "name": 98765, "screen_name": "v_name_int", "members_count": 2**64}, wall(14)),
        "v_truncated_wall": ({"id": 15, "name": "Cut", "screen_name": "v_truncated_wall", "members_count": 10},
                             wall(15)),
        "v_big_wall": ({"id": 16, "name": "Big", "screen_name": "v_big_wall", "members_count": 10},
                       wall(16, text="w" * 6 * 2**20)),
        **{name: ({"id": gid, "name": name, "screen_name": name, "members_count": 10}, wall(gid))
           for gid, name in ((17, "v_too_big_wall"), (18, "v_5xx_wall"), (19, "v_hanging_wall"))},
    }
    return groups


VK_CONTENT_FAULTS = ("v_views_overflow", "v_text_int", "v_name_int", "v_big_wall")
VK_SERVER_FAULTS = {"group_id=v_redirect_loop": "redirect_loop", "owner_id=-15": "truncated",
                    "owner_id=-17": "too_big", "owner_id=-18": "5xx_forever", "owner_id=-19": "hang"}


@pytest.fixture(scope="module")
def vk_faults(tmp_path_factory):
    groups = vk_world()

    def app(path: str):
        route, _, query = path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if params.get("access_token") != VK_TOKEN:
            return 200, {"error": {"error_code": 5, "error_msg": "User authorization failed"}}, {}
        method = route.rsplit("/", 1)[-1]
        if method == "groups.getById":
            found = groups.get(params.get("group_id", ""))
            if found is None:
                return 200, {"error": {"error_code": 100, "error_msg": "invalid group"}}, {}
            return 200, {"response": {"groups": [found[0]], "profiles": []}}, {}
        if method == "wall.get":
            gid = -int(params["owner_id"])
            items = next((w for g, w in groups.values() if g["id"] == gid), [])
            offset = int(params.get("offset", 0))
            return 200, {"response": {"count": len(items), "items": items[offset:offset + int(params["count"])]}}, {}
        return 200, {"response": {"count": 0, "items": []}}, {}

    db = tmp_path_factory.mktemp("vk_faults") / "v.db"
    with FaultServer(app, VK_SERVER_FAULTS) as server:
        result = run_cli("crawl", "vk", *groups, "v_redirect_loop", "--base-url", f"{server.url}/method", *FAST,
                         "--db", str(db), "--audience-limit", "0", env={**FAST_ENV, "VK_TOKEN": VK_TOKEN},
                         timeout=180)
    return db, result


def test_vk_crawl_finishes_without_a_token_anywhere(vk_faults):
    db, result = vk_faults
    assert result.returncode == 0, result.stderr
    assert_no_traceback_or_secret(result, db, secret=VK_TOKEN)


def test_vk_log_keeps_scrapy_warnings_but_redacts_the_token(vk_faults):
    db, _ = vk_faults
    log = (db.parent / f"{db.name}.log").read_text(encoding="utf-8")
    # Scrapy's warnings for a truncated download, an answer over the warning size and one over the size
    # limit print the URL, key included.
    assert "Got data loss" in log and "larger than download warn size" in log and "larger than download max size" in log
    assert "access_token=***" in log
    assert VK_TOKEN not in log


def test_vk_out_of_range_numbers_and_wrong_types_are_stored_empty(vk_faults):
    db, _ = vk_faults
    first = stored(db, "posts", "WHERE account = 'v_views_overflow' ORDER BY CAST(post_id AS INTEGER) DESC")[0]
    assert (first["views"], first["likes"]) == (None, None)
    assert all(r["likes"] is None or r["likes"] <= INTERACTION_CAP for r in stored(db, "posts"))
    texts = {r["post_id"]: r["text"] for r in stored(db, "posts", "WHERE account = 'v_text_int'")}
    assert texts["100"] is None and len(texts) == 5
    named = account(db, "v_name_int")
    assert (named["status"], named["name"], named["followers"]) == ("ok", None, None)


def test_vk_redirect_loop_marks_the_community(vk_faults):
    db, _ = vk_faults
    row = account(db, "v_redirect_loop")
    assert row["status"] == "unavailable" and "redirect loop" in row["reason"]


@pytest.mark.parametrize("handle,reason", [("v_truncated_wall", "cut off"), ("v_too_big_wall", "too big"),
                                           ("v_5xx_wall", "HTTP 503 after"), ("v_hanging_wall", "timed out")])
def test_vk_community_whose_wall_fails_is_unavailable_with_the_reason(vk_faults, handle, reason):
    db, _ = vk_faults
    row = account(db, handle)
    assert row["status"] == "unavailable" and reason in row["reason"], dict(row)


def test_vk_big_answer_is_read_and_its_text_cut(vk_faults):
    db, _ = vk_faults
    assert account(db, "v_big_wall")["status"] == "ok"
    assert max(len(r["text"] or "") for r in stored(db, "posts", "WHERE account = 'v_big_wall'")) <= TEXT_MAX


def test_vk_good_community_is_stored_in_full(vk_faults):
    db, _ = vk_faults
    assert account(db, "alpha")["status"] == "ok"
    assert rows(db, "SELECT COUNT(*) FROM posts WHERE account = 'alpha'") == [(5,)]


def test_the_readme_counts_the_faults_tried():
    """The README's reliability figure is the number of faults these crawls inject."""
    tried = (len(TG_CONTENT_FAULTS) + len(TG_SERVER_FAULTS) + len(MASTO_CONTENT_FAULTS) + len(MASTO_SERVER_FAULTS)
             + len(VK_CONTENT_FAULTS) + len(VK_SERVER_FAULTS))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{tried} faults injected" in readme
