"""Bot detection end to end through the VK spider: audiences built of real labelled profiles held out of
the model's training (../shared/datasets/vk_bots), turned into the user objects ``groups.getMembers``
answers with ``fields=``, served by a local stand-in for api.vk.com, crawled by ``pagescout crawl vk`` and
read back from ``pagescout export``.

Five communities of 140 members with known bot shares (5%, 20%, 40%, 60%, 80%), one whose member list
comes without fields (bare ids) and two whose member list is closed (errors 15 and 203), all in one crawl.
"""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from apiserver import ApiServer
from conftest import make_spider, run_cli, shared_dir
from crawler.spiders.vk import DEFAULT_PHOTOS, MEMBER_FIELDS, VkSpider
from ranking.bots import (LABELLED_VK_COLUMNS, VK_COUNTS, VK_SIGNALS, judgeable, labelled_split,
                          labelled_vk_signals)

TOKEN = "vk1.a.BOTS-CRAWL-TEST-TOKEN"
SHARES = (0.05, 0.2, 0.4, 0.6, 0.8)
AUDIENCE = 140  # at 80%, 112 of the held-out split's 119 live bots
SEED = 20260
#: club1 … club5 carry SHARES; club6's member list comes without fields; club7 and club8 hide it.
SCORED = {f"club{i}": share for i, share in enumerate(SHARES, start=1)}
BARE, CLOSED_15, CLOSED_203 = "club6", "club7", "club8"
HANDLES = (*SCORED, BARE, CLOSED_15, CLOSED_203)
FIRST_NAMES = ("Анна", "Иван", "Мария", "Олег", "Елена", "Дмитрий", "Ольга", "Сергей", "Наталья", "Павел")
LAST_NAMES = ("Иванова", "Смирнов", "Кузнецова", "Попов", "Соколова", "Лебедев", "Козлова", "Новиков")
CAMERA = "https://vk.com/images/camera_100.png"  # VK's stand-in for a member without a photo


# labelled profile → VK user object -------------------------------------------------------------------------
def shown(value) -> bool:
    """A labelled value the profile shows: "Unknown" and blanks are hidden (VK leaves the field out)."""
    return not (pd.isna(value) or str(value).strip() in ("Unknown", "", "nan"))


def yes(value) -> bool:
    return float(value) == 1.0


def vk_user(row: pd.Series, user_id: int, city_ids: dict) -> dict:
    """The user object ``groups.getMembers … fields=<MEMBER_FIELDS>`` would return for a labelled profile:
    the inverse of ``VkSpider.member_signals``. A field the profile hides ("Unknown") is left out."""
    user = {"id": user_id, "first_name": FIRST_NAMES[user_id % len(FIRST_NAMES)],
            "last_name": LAST_NAMES[user_id // 7 % len(LAST_NAMES)], "can_access_closed": True}
    if shown(row["has_photo"]):
        user["photo_100"] = (f"https://sun9-{user_id % 89 + 1}.userapi.com/impg/c{user_id:x}/a1B2c3D4.jpg"
                             "?size=100x100&quality=96&type=album") if yes(row["has_photo"]) else CAMERA
    flags = {"can_send_message": "can_write_private_message", "can_post_on_wall": "can_post",
             "has_mobile": "has_mobile", "all_posts_visible": "can_see_all_posts", "audio_available": "can_see_audio",
             "can_add_as_friend": "can_send_friend_request", "is_verified": "verified"}
    for column, field in flags.items():
        if shown(row[column]):
            user[field] = int(yes(row[column]))
    if shown(row["is_profile_closed"]):
        user["is_closed"] = yes(row["is_profile_closed"])  # a JSON bool, as VK sends it
    texts = {"has_status": ("status", "Живу здесь и сейчас"), "has_website": ("site", "https://example.org"),
             "has_nickname": ("nickname", "Саня"), "has_maiden_name": ("maiden_name", "Петрова")}
    for column, (field, text) in texts.items():
        if shown(row[column]):
            user[field] = text if yes(row[column]) else ""  # VK sends an empty text when there is none
    if shown(row["has_birth_date"]) and yes(row["has_birth_date"]):
        user["bdate"] = f"{user_id % 28 + 1}.{user_id % 12 + 1}" + (f".{1970 + user_id % 35}" if user_id % 2 else "")
    if shown(row["city"]):
        user["city"] = {"id": city_ids[row["city"]], "title": str(row["city"])}
    if shown(row["has_occupation"]) and yes(row["has_occupation"]):
        if shown(row["occupation_type_university"]) and yes(row["occupation_type_university"]):
            user["occupation"] = {"type": "university", "id": 53, "name": "СПбГУ"}
        elif shown(row["occupation_type_work"]) and yes(row["occupation_type_work"]):
            user["occupation"] = {"type": "work", "id": 1, "name": "ООО Ромашка"}
        else:
            user["occupation"] = {"type": "school", "id": 1011, "name": "Школа № 1"}
    if shown(row["subscribers_count"]):
        user["followers_count"] = int(float(row["subscribers_count"]))
    return user


@pytest.fixture(scope="module")
def held_out() -> pd.DataFrame:
    """The held-out labelled profiles the model was not fitted on that show what a live profile shows (the
    others show no more than a deleted page; see ranking.bots.judgeable)."""
    labelled = pd.read_csv(shared_dir("datasets", "vk_bots") / "train.csv", low_memory=False)
    rows = labelled_split(labelled)[1]
    return rows[judgeable(labelled_vk_signals(rows))]


@pytest.fixture(scope="module")
def communities(held_out) -> dict:
    """handle → (members' user objects, their labelled rows with the user id each got, true bot share).
    Each community is drawn on its own with a fixed seed, no profile twice in it; a profile drawn for two
    communities is two members with two ids, so no member's signals are shared."""
    rng = np.random.default_rng(SEED)
    cities = sorted({str(c) for c in held_out["city"] if shown(c)})
    city_ids = {name: 100 + i for i, name in enumerate(cities)}
    bots = held_out.index[held_out["target"] == 1].to_numpy()
    people = held_out.index[held_out["target"] == 0].to_numpy()
    out = {}
    for number, (handle, share) in enumerate(SCORED.items(), start=1):
        n_bots = round(AUDIENCE * share)
        picked = [*rng.choice(bots, n_bots, replace=False), *rng.choice(people, AUDIENCE - n_bots, replace=False)]
        rows = held_out.loc[rng.permutation(picked)]
        rows = rows.assign(user_id=number * 100_000 + np.arange(AUDIENCE) * 37)
        users = sorted((vk_user(row, int(row["user_id"]), city_ids) for _, row in rows.iterrows()),
                       key=lambda u: u["id"])  # sort=id_asc
        out[handle] = (users, rows, float(rows["target"].mean()))
    # ids no other community has: their signals would be stored from there and they would be judged
    out[BARE] = ([{"id": 900_000 + i} for i in range(AUDIENCE)], None, math.nan)
    return out


# the stand-in for api.vk.com ----------------------------------------------------------------------------------
def error(code: int, message: str):
    return 200, {"error": {"error_code": code, "error_msg": message,
                           "request_params": [{"key": "access_token", "value": TOKEN}]}}


def vk_route(communities: dict, closed_15: dict):
    def route(path, params):
        method = path.rsplit("/", 1)[1]
        if params.get("access_token") != TOKEN:
            return error(5, "User authorization failed: no access_token passed.")
        if method == "groups.getById":
            gid = int(params["group_id"])
            return 200, {"response": {"groups": [{
                "id": gid, "name": f"Community {gid}", "screen_name": f"club{gid}", "type": "group",
                "is_closed": int(gid in (7, 8)), "members_count": AUDIENCE, "verified": 0,
                "photo_100": f"https://sun9-1.userapi.com/s/v1/g{gid}.jpg"}], "profiles": []}}
        if method == "wall.get":
            gid = -int(params["owner_id"])
            # no likes: no likes.getList, so no liker stands in for a hidden member list
            items = [{"id": 10 - i, "owner_id": -gid, "from_id": -gid, "date": 1_764_000_000 - i * 86_400,
                      "text": f"post {i}", "likes": {"count": 0}, "reposts": {"count": 1},
                      "views": {"count": 300 + 10 * i}, "comments": {"count": 2}} for i in range(5)]
            return 200, {"response": {"count": len(items), "items": items, "groups": [], "profiles": []}}
        if method == "groups.getMembers":
            handle = f"club{params['group_id']}"
            if handle == CLOSED_15:
                return 200, closed_15
            if handle == CLOSED_203:
                return error(203, "Access to group denied: access to the group is denied")
            users = communities[handle][0]
            offset, count = int(params.get("offset", 0)), int(params["count"])
            return 200, {"response": {"count": len(users), "items": users[offset:offset + count]}}
        return 404, "no such method"

    return route


@pytest.fixture(scope="module")
def crawled(communities, tmp_path_factory):
    """One crawl of all eight communities, then the export: (crawl result, export result, CSV rows by
    handle, requests the server saw)."""
    folder = tmp_path_factory.mktemp("bots_crawl")
    db, out = folder / "vk.db", folder / "out.csv"
    closed_15 = json.loads((shared_dir("fixtures", "vk") / "vknet_Errors_15.json").read_bytes().decode("utf-8-sig"))
    with ApiServer(vk_route(communities, closed_15)) as server:
        crawl = run_cli("crawl", "vk", *HANDLES, "--audience-limit", str(AUDIENCE), "--base-url",
                        f"{server.url}/method", "--delay", "0", "--quiet", "--db", str(db),
                        env={"VK_TOKEN": TOKEN, "PAGESCOUT_BACKOFF_BASE": "0.1"})
        requests = server.requests
    export = run_cli("export", str(out), "--db", str(db))
    with out.open(newline="", encoding="utf-8-sig") as f:
        table = {row["handle"]: row for row in csv.DictReader(f)} if out.exists() else {}
    return crawl, export, table, requests


def share(cell: str) -> float:
    """A share as the export writes it (a fraction, or a percentage)."""
    text = cell.strip()
    return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)


# the user objects round-trip through the spider ------------------------------------------------------------------
def test_user_objects_read_back_as_the_labelled_signals(communities):
    """What the spider reads of each user object is what ranking.bots maps the labelled row to: every signal
    the model reads, shown or hidden alike, for every profile of the five communities."""
    spider = make_spider(VkSpider, seeds=["club1"], audience_limit=AUDIENCE)
    names = [*VK_SIGNALS, *VK_COUNTS]
    assert set(LABELLED_VK_COLUMNS.values()) == set(names)
    for handle in SCORED:
        users, rows, _ = communities[handle]
        expected = labelled_vk_signals(rows).set_index(rows["user_id"].to_numpy())[names]
        read = pd.DataFrame([spider.member_signals(u) for u in users], index=[u["id"] for u in users])[names]
        read = read.astype(object).where(read.notna(), np.nan).apply(pd.to_numeric).astype("float64")
        pd.testing.assert_frame_equal(read.loc[expected.index], expected, check_names=False)
    assert not spider.crawler.stats.get_stats().get("pagescout/invalid/vk/has_avatar")


def test_user_objects_are_what_vk_sends(communities):
    users = [u for handle in SCORED for u in communities[handle][0]]
    asked = set(MEMBER_FIELDS) | {"id", "first_name", "last_name", "is_closed", "can_access_closed"}
    assert all(set(u) <= asked for u in users)
    photos = [u["photo_100"] for u in users if "photo_100" in u]
    assert CAMERA in photos and any(mark in CAMERA for mark in DEFAULT_PHOTOS)
    assert all(p == CAMERA or not any(mark in p for mark in DEFAULT_PHOTOS) for p in photos)
    assert {type(u["is_closed"]) for u in users if "is_closed" in u} == {bool}


def test_communities_are_built_of_held_out_profiles_with_the_true_shares(communities, held_out):
    ids = [u["id"] for handle in SCORED for u in communities[handle][0]]
    assert len(ids) == len(set(ids)) == AUDIENCE * len(SCORED)
    for handle in SCORED:
        rows = communities[handle][1]
        assert rows.index.is_unique and set(rows.index) <= set(held_out.index)
    assert [communities[h][2] for h in SCORED] == pytest.approx(list(SHARES))


# the crawl ------------------------------------------------------------------------------------------------------------
def test_crawl_and_export_succeed(crawled):
    crawl, export, table, _ = crawled
    assert crawl.returncode == 0, crawl.stderr
    assert export.returncode == 0, export.stderr
    assert set(table) == set(HANDLES), export.stderr


def test_members_are_asked_for_with_their_fields_up_to_the_limit(crawled):
    _, _, _, requests = crawled
    asked = [p for _, path, p in requests if path == "/method/groups.getMembers"]
    assert sorted(p["group_id"] for p in asked) == sorted(h.removeprefix("club") for h in HANDLES)
    assert all(p["count"] == str(AUDIENCE) and p["fields"].split(",") == list(MEMBER_FIELDS) for p in asked)


@pytest.mark.parametrize("handle", SCORED)
def test_the_interval_covers_the_true_share(crawled, communities, handle):
    _, _, table, _ = crawled
    row, truth = table[handle], communities[handle][2]
    assert share(row["bot_share_low"]) <= truth <= share(row["bot_share_high"]), (handle, truth, row)


@pytest.mark.parametrize("handle", SCORED)
def test_bot_share_is_within_010_of_the_true_share(crawled, communities, handle):
    _, _, table, _ = crawled
    truth = communities[handle][2]
    assert abs(share(table[handle]["bot_share"]) - truth) <= 0.10, (handle, truth, table[handle]["bot_share"])


def test_communities_come_out_in_the_order_of_their_true_shares(crawled):
    _, _, table, _ = crawled
    estimates = [share(table[h]["bot_share"]) for h in SCORED]
    assert estimates == sorted(estimates) and len(set(estimates)) == len(estimates), estimates


@pytest.mark.parametrize("handle", SCORED)
def test_quality_checked_names_the_audience(crawled, handle):
    _, _, table, _ = crawled
    assert "audience" in table[handle]["quality_checked"].split(", ")


@pytest.mark.parametrize("handle", ["club4", "club5"])  # the 60% and 80% communities
def test_quality_flags_say_likely_bots_from_every_member(crawled, handle):
    _, _, table, _ = crawled
    row = table[handle]
    found = re.search(r"\b(\d+)% likely bots \((\d+)–(\d+)%\), from (\d+) members\b", row["quality_flags"])
    assert found, row["quality_flags"]
    said = [int(found.group(i)) / 100 for i in (1, 2, 3)]
    assert said == pytest.approx([share(row[c]) for c in ("bot_share", "bot_share_low", "bot_share_high")], abs=0.006)
    assert int(found.group(4)) == AUDIENCE
    assert "assumed" not in row["quality_flags"]  # VK's error rates are measured


# signals missing --------------------------------------------------------------------------------------------------
def test_members_without_fields_give_no_bot_share(crawled):
    """A member list without fields judges nobody: the bot share is empty, not 0%, and the audience is not
    among the parts quality was computed from."""
    _, _, table, _ = crawled
    row = table[BARE]
    assert row["bot_share"] == row["bot_share_low"] == row["bot_share_high"] == ""
    assert "audience" not in (row["quality_checked"] or "").split(", ")
    assert "likely bots" not in row["quality_flags"]


@pytest.mark.parametrize("handle", [CLOSED_15, CLOSED_203])
def test_a_hidden_member_list_gives_no_bot_share_and_the_crawl_goes_on(crawled, handle):
    crawl, _, table, _ = crawled
    assert crawl.returncode == 0, crawl.stderr
    code = "15" if handle == CLOSED_15 else "203"
    assert f"audience hidden: {handle}: groups.getMembers: " in crawl.stderr and f"(error {code})" in crawl.stderr
    row = table[handle]
    assert row["bot_share"] == row["bot_share_low"] == row["bot_share_high"] == ""
    assert "audience" not in (row["quality_checked"] or "").split(", ")
    # the community itself is stored and ranked: only its audience is hidden
    assert all(table[h]["bot_share"] for h in SCORED)
