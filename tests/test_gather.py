"""``pagescout gather`` end to end against local stand-ins for a Mastodon instance and Bluesky's AppView:
every figure on a small bipartite example computed by hand, hidden and empty lists, paging and its bound,
the request budget, storage (hashed members only, no follow list left behind), Bluesky's profile
lookups in batches of 25, resuming after Ctrl-C and after a kill, and bad input."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, rows, run_cli
from fake_social import (BlueskyWorld, FakeSocial, MastodonWorld, bsky_basic, bsky_profile, masto_account)

PLATFORM_SIZE = 1_000_000
#: Who follows what: member index → pages. m1 hides its lists; m9 follows nobody; m7 follows the target.
FOLLOWS = {0: ["cafe", "books", "news"], 2: ["cafe", "books"], 3: ["cafe", "news"], 4: ["cafe"],
           5: ["cafe", "books", "rare"], 6: ["books", "news"], 7: ["news", "shop"],
           8: ["cafe", "books", "news", "quiet"], 9: []}
PAGE_FOLLOWERS = {"cafe": 100, "books": 10_000, "news": 1_000_000, "rare": 5, "quiet": 50}
READ = [0, 2, 3, 4, 5, 6, 7, 8]  # the members whose lists can be read


def wilson_low(k: int, n: int, z: float = 1.959964) -> float:
    p = k / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


def mastodon_world(base: str) -> MastodonWorld:
    world = MastodonWorld()
    shop = masto_account("shop", base, followers=10)
    pages = {name: masto_account(name, base, followers=n) for name, n in PAGE_FOLLOWERS.items()}
    members = [masto_account(f"m{i}", base, hide=i == 1) for i in range(10)]
    for account in (shop, *pages.values(), *members):
        world.accounts[account["username"]] = account
    world.followers[shop["id"]] = members
    for i, names in FOLLOWS.items():
        world.following[members[i]["id"]] = [shop if name == "shop" else pages[name] for name in names]
    return world


def gather_cli(server, db, *args, out=None):
    extra = ["--out", str(out)] if out else []
    return run_cli("gather", *args, "--crawl-top", "0", "--platform-size", str(PLATFORM_SIZE), "--base-url",
                   server.url, "--delay", "0", "--quiet", "--db", str(db), *extra,
                   env={"PAGESCOUT_BACKOFF_BASE": "0.1"}, timeout=90)


@pytest.fixture(scope="module")
def mastodon_gather(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gather")
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = mastodon_world(server.url)
        result = gather_cli(server, folder / "g.db", "mastodon:shop", "--min-share", "0.2",
                            out=folder / "g.json")
        requests = [path.split("?", 1)[0] for _, path in server.log]
    table = json.loads((folder / "g.json").read_text()) if (folder / "g.json").exists() else []
    return result, {row["handle"].split("@")[0]: row for row in table}, table, folder / "g.db", requests


def test_gather_succeeds(mastodon_gather):
    result, *_ = mastodon_gather
    assert result.returncode == 0, result.stderr


def test_target_members_and_lists_read_count_the_sample_by_hand(mastodon_gather):
    _, by_page, *_ = mastodon_gather
    for page in ("cafe", "books", "news"):
        expected = sum(page in FOLLOWS[i] for i in READ)
        assert by_page[page]["target_members"] == expected
        assert by_page[page]["lists_read"] == len(READ)  # m1 hides its list and m9 follows nobody


def test_share_interval_and_affinity_by_hand(mastodon_gather):
    _, by_page, *_ = mastodon_gather
    n = len(READ)
    for page, row in by_page.items():
        c = row["target_members"]
        assert row["target_share"] == pytest.approx(c / n)
        assert row["target_share_low"] == pytest.approx(wilson_low(c, n))
        assert row["target_share_low"] < row["target_share"] < row["target_share_high"]
        assert row["followers"] == PAGE_FOLLOWERS[page]
        assert row["affinity"] == pytest.approx(100 * (c / n) / (PAGE_FOLLOWERS[page] / PLATFORM_SIZE))
        assert row["affinity_low"] == pytest.approx(100 * wilson_low(c, n) / (PAGE_FOLLOWERS[page] / PLATFORM_SIZE))


def test_ranked_by_affinity_low_with_min_share_and_without_the_target(mastodon_gather):
    _, by_page, table, *_ = mastodon_gather
    # rare and quiet: 1 of 8 members (12.5%) is under --min-share 0.2; shop is the target
    assert [row["handle"].split("@")[0] for row in table] == ["cafe", "books", "news"]
    lows = [row["affinity_low"] for row in table]
    assert lows == sorted(lows, reverse=True)


def test_summary_names_the_sample_and_its_margin(mastodon_gather):
    result, *_ = mastodon_gather
    err = result.stderr
    assert "members sampled: 10 (the first members the platform lists, not a random sample)" in err
    assert "follow lists read 8, hidden or empty 2, failed or not asked 0" in err
    assert "pages found: 5" in err
    margin = 1.959964 * math.sqrt(0.2 * 0.8 / 8)
    assert f"margin of error at --min-share 20%: ±{margin:.1%} (95%, from 8 lists)" in err


def test_lists_are_paged_and_a_hidden_list_is_not_asked(mastodon_gather):
    *_, requests = mastodon_gather
    following = [path for path in requests if path.endswith("/following")]
    asked = {path.split("/")[4] for path in following}
    assert len(asked) == len(FOLLOWS)  # everyone but m1, who hides the list (hide_collections)
    assert len(following) == len(FOLLOWS) + 1  # m8's four follows take two pages of three


def test_only_pages_enough_members_follow_are_stored_and_no_follow_list_is_left(mastodon_gather):
    *_, db, _ = mastodon_gather
    staged = dict(rows(db, "SELECT page, COUNT(*) FROM gather_follows GROUP BY page"))
    assert {page.split("@")[0]: n for page, n in staged.items()} == {"cafe": 6, "books": 5, "news": 5}
    kept = {a.split("@")[0]: n for a, n in rows(db, "SELECT account, COUNT(*) FROM audience WHERE account != "
                                                    "'shop@127.0.0.1' GROUP BY account")}
    assert kept == {"cafe": 6, "books": 5, "news": 5}
    raw = db.read_bytes()
    assert b"rare" not in raw and b"quiet" not in raw  # followed by one member each: never kept
    assert b"/users/m" not in raw and b"@m0" not in raw  # members as keyed hashes only
    log = (db.parent / "g.db.log").read_text()
    assert "/users/m" not in log and "rare@" not in log


def test_gathered_pages_work_with_overlap(mastodon_gather):
    *_, db, _ = mastodon_gather
    result = run_cli("overlap", "mastodon:cafe@127.0.0.1", "mastodon:books@127.0.0.1", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "cafe@127.0.0.1" in result.stdout


def test_the_request_budget_holds_and_the_gather_still_finishes(tmp_path):
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = mastodon_world(server.url)
        # lookup, statuses and 4 pages of followers leave 4 requests: 4 lists, the others not asked
        result = gather_cli(server, tmp_path / "b.db", "mastodon:shop", "--min-share", "0.2", "--max-requests", "10",
                            out=tmp_path / "b.json")
        sent = len(server.log)
    assert result.returncode == 0, result.stderr
    assert sent == 10
    assert "follow lists read 4, hidden or empty 1, failed or not asked 5" in result.stderr
    table = json.loads((tmp_path / "b.json").read_text())
    assert table and all(row["lists_read"] == 4 for row in table)  # ranks what it could read
    kept = {row["handle"] for row in table}
    assert {page for (page,) in rows(tmp_path / "b.db", "SELECT DISTINCT page FROM gather_follows")} <= kept


def test_a_budget_spent_on_later_pages_keeps_every_list_with_the_pages_read(tmp_path):
    """Every first page goes before any second one: the budget shortens lists, and leaves no one unasked."""
    holder = {}

    def world(base):
        made = mastodon_world(base)
        pages = [masto_account(f"p{j}", base, followers=100 + j) for j in range(9)]
        for account in pages:
            made.accounts[account["username"]] = account
        for i in range(10):  # three pages of three follows each
            made.following[made.accounts[f"m{i}"]["id"]] = pages
        return made

    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = world(server.url)
        result = gather_cli(server, tmp_path / "p.db", "mastodon:shop", "--min-share", "0.2", "--max-requests", "20",
                            out=tmp_path / "p.json")
        following = [p for _, p in server.log if "/following" in p]
    assert result.returncode == 0, result.stderr
    assert len(following) == 14  # 9 first pages (m1 hides its list), then 5 second pages
    assert "follow lists read 9, hidden or empty 1, failed or not asked 0" in result.stderr
    table = {row["handle"].split("@")[0]: row for row in json.loads((tmp_path / "p.json").read_text())}
    assert table["p0"]["target_members"] == 9 and table["p4"]["target_members"] == 5


def test_a_repeated_gather_forgets_the_earlier_sample(tmp_path):
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = mastodon_world(server.url)
        first = gather_cli(server, tmp_path / "r.db", "mastodon:shop", "--min-share", "0.2")
        world = holder["world"]
        shop = world.accounts["shop"]
        world.followers[shop["id"]] = world.followers[shop["id"]][:4]  # six followers left
        again = gather_cli(server, tmp_path / "r.db", "mastodon:shop", "--min-share", "0.2", out=tmp_path / "r.json")
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    assert "members sampled: 4" in again.stderr and "follow lists read 3" in again.stderr  # m0, m2, m3
    table = {row["handle"].split("@")[0]: row for row in json.loads((tmp_path / "r.json").read_text())}
    assert table["cafe"]["target_members"] == 3 and table["cafe"]["lists_read"] == 3


def test_a_member_of_two_targets_is_sampled_once(tmp_path):
    holder = {}

    def world(base):
        made = mastodon_world(base)
        other = masto_account("shop2", base, followers=10)
        made.accounts["shop2"] = other
        made.followers[other["id"]] = made.followers[made.accounts["shop"]["id"]]  # the same ten followers
        return made

    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = world(server.url)
        result = gather_cli(server, tmp_path / "d.db", "mastodon:shop", "mastodon:shop2", "--min-share", "0.2")
    assert result.returncode == 0, result.stderr
    assert "members sampled: 10" in result.stderr and "follow lists read 8, hidden or empty 2" in result.stderr


def test_crawl_top_crawls_the_best_pages_fully(tmp_path):
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = mastodon_world(server.url)
        result = run_cli("gather", "mastodon:shop", "--min-share", "0.2", "--crawl-top", "2", "--platform-size",
                         str(PLATFORM_SIZE), "--base-url", server.url, "--delay", "0", "--quiet", "--db",
                         str(tmp_path / "c.db"), env={"PAGESCOUT_BACKOFF_BASE": "0.1"}, timeout=120)
        paths = [p.split("?")[0] for _, p in server.log]
        world = holder["world"]
    assert result.returncode == 0, result.stderr
    last_list = max(i for i, p in enumerate(paths) if p.endswith("/following"))
    after = paths[last_list + 1:]
    for page in ("cafe", "books"):  # the two best by affinity_low
        assert f"/api/v1/accounts/{world.accounts[page]['id']}/statuses" in after
        assert f"/api/v1/accounts/{world.accounts[page]['id']}/followers" in after
    assert f"/api/v1/accounts/{world.accounts['news']['id']}/statuses" not in after
    assert "crawling the best 2 pages fully" in result.stderr


# Bluesky -----------------------------------------------------------------------------------------------
def bluesky_world(n_members: int = 40, n_pages: int = 30) -> BlueskyWorld:
    """somepage has n_members followers; member i follows pages 0 … (i % n_pages): page j is followed by
    the members with i % n_pages ≥ j. Every page has more than 25 candidates' worth of lookups to batch."""
    world = BlueskyWorld()
    target = world.add(bsky_profile("somepage", followers=n_members))
    pages = [world.add(bsky_profile(f"page{j}", followers=1000 * (j + 1))) for j in range(n_pages)]
    members = [world.add(bsky_profile(f"member{i}")) for i in range(n_members)]
    world.followers[target["did"]] = [bsky_basic(m) for m in members]
    for i, member in enumerate(members):
        world.follows[member["did"]] = [bsky_basic(p) for p in pages[:i % n_pages + 1]]
    world.page_size = 100
    return world


def test_bluesky_gather_end_to_end_with_profiles_in_batches_of_25(tmp_path):
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = bluesky_world()
        result = gather_cli(server, tmp_path / "b.db", "bluesky:somepage.bsky.social", "--members", "1000",
                            "--min-share", "0.05", out=tmp_path / "b.json")
        lookups = [path for _, path in server.log if "getProfiles" in path]
    assert result.returncode == 0, result.stderr
    table = json.loads((tmp_path / "b.json").read_text())
    by_page = {row["handle"]: row for row in table}
    for j in range(30):
        followers = sum(1 for i in range(40) if i % 30 >= j)
        row = by_page.get(f"page{j}.bsky.social")
        if followers / 40 >= 0.05:
            assert row["target_members"] == followers and row["lists_read"] == 40
            assert row["followers"] == 1000 * (j + 1)  # from getProfiles: follow lists carry no counts
        else:
            assert row is None
    assert len(lookups) == math.ceil(len(table) / 25) and all(p.count("actors=") <= 25 for p in lookups)


# resuming ----------------------------------------------------------------------------------------------
def slow_world(base: str) -> MastodonWorld:
    """60 members, each following 3 of 12 pages: enough lists that a stop lands midway."""
    world = MastodonWorld()
    shop = masto_account("shop", base, followers=60)
    pages = [masto_account(f"page{j}", base, followers=500 + j) for j in range(12)]
    members = [masto_account(f"m{i}", base) for i in range(60)]
    for account in (shop, *pages, *members):
        world.accounts[account["username"]] = account
    world.followers[shop["id"]] = members
    world.page_size = 40
    for i, member in enumerate(members):
        world.following[member["id"]] = [pages[(i + k) % 12] for k in (0, 1, 5 if i % 3 else 2)]
    return world


def gather_args(server, db, out):
    return ["gather", "mastodon:shop", "--crawl-top", "0", "--platform-size", str(PLATFORM_SIZE),
            "--base-url", server.url, "--delay", "0.05", "--quiet", "--db", str(db), "--out", str(out)]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_an_interrupted_gather_resumes_to_the_same_table(tmp_path, sig):
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = slow_world(server.url)
        whole = run_cli(*gather_args(server, tmp_path / "whole.db", tmp_path / "whole.json"), timeout=120)
        assert whole.returncode == 0, whole.stderr
        before = len(server.log)
        proc = subprocess.Popen([sys.executable, "-m", "cli", *gather_args(server, tmp_path / "cut.db",
                                                                           tmp_path / "cut.json")],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(server.log) < before + 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGINT:
            assert proc.returncode == 130 and "run the same command again" in err, err
        again = run_cli(*gather_args(server, tmp_path / "cut.db", tmp_path / "cut.json"), timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "cut.json").read_text()) == json.loads((tmp_path / "whole.json").read_text())
    assert rows(tmp_path / "cut.db", "SELECT COUNT(*) FROM gather_follows") == rows(
        tmp_path / "whole.db", "SELECT COUNT(*) FROM gather_follows")
    assert (rows(tmp_path / "cut.db", "SELECT COUNT(*), COUNT(DISTINCT member_key) FROM gather_members")
            == [(60, 60)])


# bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, said", [
    (["telegram:durov"], "Telegram shows neither"),
    (["youtube:UCx"], "YouTube shows whom a viewer subscribes to only"),
    (["rss:blog.example"], "a blog has no list of followers"),
    (["instagram:shop"], "imported from your files"),
    (["mastodon:shop", "bluesky:shop.bsky.social"], "one platform at a time"),
    (["nosuch:shop"], "unknown platform 'nosuch'"),
    (["mastodon:shop", "--members", "0"], "--members"),
    (["mastodon:shop", "--min-share", "0"], "not a share between 0 and 1"),
    (["mastodon:shop", "--min-share", "1"], "not a share between 0 and 1"),
    (["mastodon:shop", "--out", "x.txt"], ".xlsx, .csv or .json"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, said):
    result = run_cli("gather", *args, "--db", str(tmp_path / "bad.db"))
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad.db").exists()


def test_a_target_that_does_not_exist_is_one_line_and_exit_2(tmp_path):
    holder = {}
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = mastodon_world(server.url)
        result = gather_cli(server, tmp_path / "g.db", "mastodon:ghost")
    assert result.returncode == 2
    assert "Error: target not available: mastodon:ghost@127.0.0.1: not found" in result.stderr
    assert "Traceback" not in result.stderr


# VK ----------------------------------------------------------------------------------------------------
VK_TOKEN = "vk1.a.GATHER-TEST-TOKEN"
VK_MEMBERS = 300  # the target community's members; the gather samples 60 of them at random


def vk_follows(user_id: int) -> list[dict]:
    """Member u (1000 … 1299) follows community 20 + (u % 7) and, when u % 3 == 0, community 40; every
    member also follows a person (type profile), who must not be ranked. u % 10 == 1 keeps it private."""
    items = [{"id": 20 + user_id % 7, "name": f"Group {20 + user_id % 7}", "screen_name": f"group{20 + user_id % 7}",
              "type": "group", "members_count": 1000 * (user_id % 7 + 1)},
             {"id": 5, "first_name": "Pavel", "last_name": "D", "type": "profile"}]
    if user_id % 3 == 0:
        items.append({"id": 40, "name": "Big page", "screen_name": "bigpage", "type": "page"})  # no members_count
    return items


def vk_route(seen_offsets: list):
    def error(code, message):
        return 200, {"error": {"error_code": code, "error_msg": message}}

    def route(path, params):
        method = path.rsplit("/", 1)[1]
        if params.get("access_token") != VK_TOKEN:
            return error(5, "User authorization failed: no access_token passed.")
        if method == "groups.getById":
            if "group_ids" in params:  # the candidates' members counts
                return 200, {"response": {"groups": [{"id": 40, "name": "Big page", "screen_name": "bigpage",
                                                      "type": "page", "members_count": 2_000_000}]}}
            return 200, {"response": {"groups": [{"id": 1, "name": "Shop", "screen_name": "shop", "type": "group",
                                                  "is_closed": 0, "members_count": VK_MEMBERS}]}}
        if method == "wall.get":
            return 200, {"response": {"count": 0, "items": [], "groups": [], "profiles": []}}
        if method == "groups.getMembers":
            offset, count = int(params.get("offset", 0)), int(params["count"])
            seen_offsets.append((offset, count))
            users = [{"id": 1000 + i, "first_name": "A", "last_name": "B", "can_access_closed": True}
                     for i in range(offset, min(offset + count, VK_MEMBERS))]
            return 200, {"response": {"count": VK_MEMBERS, "items": users}}
        if method == "users.getSubscriptions":
            user_id = int(params["user_id"])
            if user_id % 10 == 1:
                return error(30, "This profile is private")
            items = vk_follows(user_id)
            return 200, {"response": {"count": len(items), "items": items}}
        return 404, "no such method"

    return route


def test_vk_gather_samples_at_random_offsets_and_ranks_communities_only(tmp_path):
    from apiserver import ApiServer

    offsets: list = []
    with ApiServer(vk_route(offsets)) as server:
        result = run_cli("gather", "vk:shop", "--members", "60", "--min-share", "0.05", "--crawl-top", "0",
                         "--platform-size", str(PLATFORM_SIZE), "--base-url", f"{server.url}/method", "--delay", "0",
                         "--quiet", "--db", str(tmp_path / "vk.db"), "--out", str(tmp_path / "vk.json"),
                         env={"VK_TOKEN": VK_TOKEN, "PAGESCOUT_BACKOFF_BASE": "0.1"}, timeout=90)
        asked = server.calls("/method/users.getSubscriptions")
    assert result.returncode == 0, result.stderr
    assert "a uniform random sample" in result.stderr
    # 60 distinct offsets, one member each, anywhere in the list
    assert len(offsets) == 60 and all(count == 1 for _, count in offsets)
    assert len({o for o, _ in offsets}) == 60 and max(o for o, _ in offsets) >= VK_MEMBERS // 2
    sampled = [1000 + o for o, _ in offsets]
    read = [u for u in sampled if u % 10 != 1]
    assert len(asked) == 60 and all(p["extended"] == "1" for p in asked)
    table = {row["handle"]: row for row in json.loads((tmp_path / "vk.json").read_text())}
    for g in range(7):
        c = sum(1 for u in read if u % 7 == g)
        if c / len(read) >= 0.05:
            row = table[f"group{20 + g}"]
            assert (row["target_members"], row["lists_read"]) == (c, len(read))
            assert row["followers"] == 1000 * (g + 1)
    assert table["bigpage"]["target_members"] == sum(1 for u in read if u % 3 == 0)
    assert table["bigpage"]["followers"] == 2_000_000  # looked up: the list left its count out
    assert not any(h.startswith("id") for h in table)  # the person everyone follows is no page
    assert f"hidden or empty {60 - len(read)}" in result.stderr


def test_target_members_from_a_file_are_the_sample(tmp_path):
    """A customer list instead of a page's followers: members named by handle, looked up on their
    instance, hashed by the same actor URI as everywhere else."""
    holder = {}
    members = tmp_path / "customers.csv"
    with FakeSocial(lambda path, query, server: holder["world"].app(path, query, server)) as server:
        holder["world"] = mastodon_world(server.url)
        members.write_text("member_id\n" + "".join(f"m{i}@127.0.0.1\n" for i in READ) + "m1@127.0.0.1\n")
        result = gather_cli(server, tmp_path / "t.db", "--target-members", str(members), "--platform", "mastodon",
                            "--min-share", "0.2", out=tmp_path / "t.json")
        lookups = [p for _, p in server.log if "/lookup" in p]
    assert result.returncode == 0, result.stderr
    assert "members sampled: 9 (the members listed in --target-members)" in result.stderr
    assert len(lookups) == 9
    table = {row["handle"].split("@")[0]: row for row in json.loads((tmp_path / "t.json").read_text())}
    assert {page: row["target_members"] for page, row in table.items()} == {"cafe": 6, "books": 5, "news": 5}
    assert all(row["lists_read"] == len(READ) for row in table.values())
    raw = (tmp_path / "t.db").read_bytes()
    assert b"m0@127.0.0.1" not in raw and b"/users/m" not in raw


@pytest.mark.parametrize("args, said", [
    (["--target-members", "customers.txt"], "--target-members needs --platform"),
    (["--target-members", "customers.txt", "--platform", "vk"], "'ivan' is not a VK user id"),
    ([], "name the target audience"),
])
def test_bad_target_members_are_one_line_and_exit_2(tmp_path, args, said):
    (tmp_path / "customers.txt").write_text("123\nivan\n")
    result = run_cli("gather", *[str(tmp_path / a) if a.endswith(".txt") else a for a in args],
                     "--db", str(tmp_path / "bad.db"))
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_xlsx_explains_every_column_and_keeps_a_strangers_formula_as_text(tmp_path):
    from openpyxl import load_workbook

    import pandas as pd
    from ranking.gather import GATHER_COLUMNS
    from sheets.writers import write_gather

    table = pd.DataFrame([{"platform": "mastodon", "handle": "cafe@a.example", "name": '=HYPERLINK("http://x","y")',
                           "url": "https://a.example/@cafe", "target_members": 6, "lists_read": 8,
                           "target_share": 0.75, "target_share_low": 0.41, "target_share_high": 0.93,
                           "followers": 100, "affinity": 750000.0, "affinity_low": 409275.4}])
    write_gather(tmp_path / "g.xlsx", table)
    book = load_workbook(tmp_path / "g.xlsx")
    sheet = book["Gather"]
    name = sheet.cell(row=2, column=3)
    assert name.data_type == "s" and name.value.lstrip("'").startswith("=HYPERLINK")
    explained = {row[0].value: row[1].value for row in book["Metrics"].iter_rows(min_row=2)}
    assert set(explained) == set(GATHER_COLUMNS) and all(explained.values())
    assert sheet.cell(row=2, column=7).number_format == "0.0%"
