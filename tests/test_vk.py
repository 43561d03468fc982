"""VK: parsers on real API answers (../shared/fixtures/vk), then whole crawls against a local stand-in
for api.vk.com: offset paging, audience, every error code the spider acts on, and the token's secrecy."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest
from scrapy.http import Request, TextResponse

from apiserver import ApiServer
from conftest import make_spider, rows, run_cli, shared_dir
from crawler.basespider import InvalidAnswer, SeedError
from crawler.items import Account, AudienceMember, Link, Post, Snapshot
from crawler.spiders.vk import VkSpider, groups_of

API = "https://api.vk.com/method"


def fixture(name: str) -> bytes:
    return (shared_dir("fixtures", "vk") / name).read_bytes()


def response(method: str, body: bytes, meta=None, **cb_kwargs) -> TextResponse:
    url = f"{API}/{method}?v=5.199"
    request = Request(url, cb_kwargs=cb_kwargs, meta={"vk_method": method, **(meta or {})})
    return TextResponse(url=url, body=body, request=request, encoding="utf-8")


def of(results, kind):
    return [r for r in results if isinstance(r, kind)]


@pytest.fixture
def spider():
    return make_spider(VkSpider, seeds=["apiclub"], max_posts=100, audience_limit=1000)


# seeds -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed, handle", [
    ("apiclub", "apiclub"), ("@ApiClub", "apiclub"), ("club1", "club1"), ("public1", "club1"), ("-1", "club1"),
    ("https://vk.com/apiclub", "apiclub"), ("vk.com/club42", "club42"), ("https://m.vk.com/public42", "club42"),
    ("https://vk.com/wall-42_7", "club42"),
])
def test_seeds(seed, handle):
    assert VkSpider.parse_seed(seed) == handle


@pytest.mark.parametrize("seed", ["id1", "https://vk.com/id1", "https://t.me/durov", "not a group!", "12"])
def test_bad_seeds(seed):
    with pytest.raises(SeedError, match="not a VK community"):
        VkSpider.parse_seed(seed)


# groups.getById ------------------------------------------------------------------------------------
GET_BY_ID = "vknet_Groups_GetById_Multiple_NormalCaseAllFields_ReturnTwoItems.json"


@pytest.fixture
def group_results(spider):
    return list(spider.parse_group(response("groups.getById", fixture(GET_BY_ID)), handle="club17683660", hop=0))


def test_group_old_bare_list_shape(group_results):
    (account,) = of(group_results, Account)
    assert account.handle == "club17683660"  # its screen name is the default club<ID>
    assert account.name == "Творческие каникулы ART CAMP с 21 по 29 июля"


def test_group_new_shape_is_read_too():
    old = json.loads(fixture(GET_BY_ID).decode("utf-8-sig"))
    new = {"response": {"groups": old["response"], "profiles": []}}
    assert [g["id"] for g in groups_of(new)] == [g["id"] for g in groups_of(old)] == [17683660, 637247]


def test_group_description_and_avatar(group_results):
    (account,) = of(group_results, Account)
    assert account.description == "Творческие каникулы ART CAMP с 21 по 29 июля\nС 21..."
    assert account.avatar == "http://cs407631.userapi.com/g17683660/a_54e3c8fb.jpg"
    assert account.url == "https://vk.com/club17683660"


def test_group_members_kind_and_unknown_count(group_results):
    (account,) = of(group_results, Account)
    assert account.followers_kind == "members"
    assert account.followers is None  # the saved answer has no members_count: unknown, not 0
    assert account.verified is None


def test_group_snapshot_and_next_requests(group_results):
    assert len(of(group_results, Snapshot)) == 1
    urls = [r.url for r in group_results if isinstance(r, Request)]
    assert any("wall.get" in u and "owner_id=-17683660" in u for u in urls)
    assert any("groups.getMembers" in u and "group_id=17683660" in u for u in urls)
    assert all("access_token" not in u for u in urls)


# wall.get ----------------------------------------------------------------------------------------------
@pytest.fixture
def wall_results(spider):
    body = fixture("vknet_Wall_Get_ExtendedVersion_GenerateOutParametersCorrectly.json")
    return list(spider.parse_wall(response("wall.get", body), handle="apiclub", group_id=1, hop=0, offset=0))


def test_wall_post_counts(wall_results):
    (post,) = of(wall_results, Post)
    assert (post.post_id, post.likes, post.reposts, post.comments) == ("41", 1, 0, 0)
    assert post.views is None  # no views block in the answer


def test_wall_post_date_and_url(wall_results):
    (post,) = of(wall_results, Post)
    assert post.published_at == datetime.fromtimestamp(1394002266, timezone.utc)
    assert post.url == "https://vk.com/wall-1_41"


def test_wall_copy_history_is_a_repost_link_to_the_original_owner(wall_results):
    (post,) = of(wall_results, Post)
    assert post.kind == "repost"
    # the extended answer names group 29246653: its screen name is the handle
    assert [(l.src, l.dst, l.kind) for l in of(wall_results, Link)] == [("apiclub", "evil_incorparate", "repost")]


def test_wall_views_counted_where_shown(spider):
    body = fixture("vknet_Wall_GetById_Donut.json")
    (post,) = of(spider.parse_wall(response("wall.get", body), handle="xxx", group_id=322, hop=0, offset=0), Post)
    assert (post.views, post.likes, post.text) == (9, 0, "В этом посте нет доната")


def test_repost_of_an_unnamed_group_is_looked_up_first(spider):
    body = fixture("vknet_Wall_Get_Geo_NormalCase.json")
    results = list(spider.parse_wall(response("wall.get", body), handle="apiclub", group_id=1, hop=0, offset=0))
    assert of(results, Link) == []
    (lookup,) = [r for r in results if isinstance(r, Request) and "groups.getById" in r.url]
    assert "group_ids=42895313" in lookup.url
    # the lookup finds no screen name: the link keeps club<ID>
    answer = response("groups.getById", b'{"response": {"groups": [{"id": 42895313, "screen_name": "club42895313"}]}}',
                      **lookup.cb_kwargs)
    links = of(spider.parse_names(answer, **lookup.cb_kwargs), Link)
    assert [(l.dst, l.kind) for l in links] == [("club42895313", "repost")]


def test_mentions_in_text(spider):
    body = {"response": {"count": 1, "items": [{
        "id": 5, "date": 1700000000, "text": "Спасибо [club77|друзьям], [id9|Ивану] и https://vk.com/other_page, "
                                             "а также vk.com/public88 и vk.com/feed",
        "likes": {"count": 3}}], "groups": [{"id": 77, "screen_name": "friends_club"}]}}
    results = list(spider.parse_wall(response("wall.get", json.dumps(body).encode()), handle="apiclub",
                                     group_id=1, hop=0, offset=0))
    (lookup,) = [r for r in results if isinstance(r, Request) and "groups.getById" in r.url]
    assert "group_ids=88" in lookup.url  # club77 is named in the answer already
    answer = response("groups.getById", b'{"response": {"groups": [{"id": 88, "screen_name": "neighbours"}]}}')
    links = of(spider.parse_names(answer, **lookup.cb_kwargs), Link)
    # [id9|…] is a person: no link (people are not pages), only counted
    assert {(l.dst, l.kind) for l in links} == {
        ("friends_club", "mention"), ("other_page", "mention"), ("neighbours", "mention")}
    assert spider.crawler.stats.get_value("pagescout/vk/user_links_dropped") == 1


def test_users_mentioned_or_reposted_leave_no_link_and_nothing_in_requests(spider):
    body = {"response": {"count": 2, "items": [
        {"id": 10, "date": 1700000000, "text": "Спасибо [id555001|Ивану Петрову], vk.com/id555003 и [club77|клубу]",
         "likes": {"count": 0}},
        {"id": 11, "date": 1700000001, "text": "", "copy_history": [{"owner_id": 555002, "text": "личный пост"}],
         "likes": {"count": 0}},
        {"id": 12, "date": 1700000002, "text": "пишите vk.com/ivan.private", "likes": {"count": 0}}],
        "profiles": [{"id": 555002, "screen_name": "ivan.private", "first_name": "Ivan"}], "groups": []}}
    results = list(spider.parse_wall(response("wall.get", json.dumps(body).encode()), handle="apiclub",
                                     group_id=1, hop=0, offset=0))
    (lookup,) = [r for r in results if isinstance(r, Request)]
    assert [(l.dst, l.kind) for l in lookup.cb_kwargs["links"]] == [("club77", "mention")]
    assert "555001" not in repr(lookup.cb_kwargs) and "ivan.private" not in repr(lookup.cb_kwargs)
    assert spider.crawler.stats.get_value("pagescout/vk/user_links_dropped") == 4


@pytest.mark.parametrize("body", [b"<html>502</html>", b'{"error": {"error_code": 15, "error_msg": "Access denied"}}'])
def test_failing_later_wall_page_keeps_the_community(spider, body):
    results = list(spider.parse_wall(response("wall.get", body), handle="apiclub", group_id=1, hop=0, offset=100))
    assert results == []  # no unavailable Account over the stored one, no further page
    code = "vk_0" if body.startswith(b"<") else "vk_15"
    assert spider.crawler.stats.get_value(f"pagescout/errors/{code}") == 1
    assert spider.crawler.stats.get_value("pagescout/unavailable/apiclub") is None


@pytest.mark.parametrize("body", ["vknet_Errors_100.json", b'{"response": {"groups": []}}'])
def test_linked_name_that_is_no_community_stores_nothing(spider, body):
    body = fixture(body) if isinstance(body, str) else body  # read at run time: ../shared may be absent
    # vk.com/ivan.petrov in a post: most likely a person; found by --depth (hop 1), so no unavailable row
    results = list(spider.parse_group(response("groups.getById", body), handle="ivan.petrov", hop=1))
    assert results == []
    assert spider.crawler.stats.get_value("pagescout/vk/not_a_community_skipped") == 1
    assert spider.crawler.stats.get_value("pagescout/unavailable/ivan.petrov") is None
    # a seed that is no community is still reported
    (account,) = spider.parse_group(response("groups.getById", body), handle="nosuchgroup", hop=0)
    assert account.status == "unavailable"


# audience ------------------------------------------------------------------------------------------------
def test_members_ids_are_raw_until_the_pipeline(spider):
    body = fixture("vknet_Groups_GetMembers_NormalCaseAllInputParameters_ListOfUsesIds.json")
    results = list(spider.parse_members(response("groups.getMembers", body), handle="apiclub", group_id=1, offset=0))
    members = of(results, AudienceMember)
    assert [(m.kind, m.member_id) for m in members] == [("member", "5"), ("member", "6")]
    # 861 members, 2 taken: the next page starts at offset 2
    (more,) = [r for r in results if isinstance(r, Request)]
    assert "offset=2" in more.url


def test_member_signals(spider):
    user = {"id": 1, "first_name": "A", "photo_100": "https://vk.com/images/camera_100.png",
            "last_seen": {"time": 1392710539, "platform": 1}}
    signals = spider.member_signals(user)
    assert signals["has_avatar"] is False and signals["deactivated"] is False
    assert signals["last_seen"] == datetime(2014, 2, 18, tzinfo=timezone.utc)
    banned = spider.member_signals({"id": 2, "deactivated": "banned", "photo_100": "https://sun.userapi.com/x.jpg"})
    assert (banned["has_avatar"], banned["deactivated"], banned["last_seen"]) == (True, True, None)


# member signals for bot detection ---------------------------------------------------------------------------
# A getMembers answer as VK gives it with every field asked for (``MEMBER_FIELDS``): one member showing
# everything, one showing each field empty or off, one bare id object, one deleted. The texts are marked
# SECRET so the privacy tests can look for them.
EVERY_FIELD = {
    "id": 501, "first_name": "SECRET-first", "last_name": "SECRET-last", "is_closed": False, "can_access_closed": True,
    "photo_100": "https://sun1.userapi.com/s/v1/ig2/SECRET-photo.jpg?size=100x100", "has_photo": 1,
    "can_write_private_message": 1, "can_post": 1, "status": "SECRET-status", "site": "https://SECRET-site.example",
    "has_mobile": 1, "bdate": "12.3.1990", "city": {"id": 2, "title": "SECRET-city"},
    "occupation": {"type": "work", "id": 7, "name": "SECRET-work"}, "can_see_all_posts": 1, "can_see_audio": 1,
    "can_send_friend_request": 1, "can_be_invited_group": True, "nickname": "SECRET-nick",
    "maiden_name": "SECRET-maiden", "verified": 1, "followers_count": 321, "last_seen": {"time": 1392710539, "platform": 7},
}
EMPTY_FIELDS = {
    "id": 502, "first_name": "SECRET-empty", "last_name": "SECRET-empty", "is_closed": True, "can_access_closed": False,
    "photo_100": "https://vk.com/images/camera_100.png", "has_photo": 0, "can_write_private_message": 0, "can_post": 0,
    "status": "", "site": "", "has_mobile": 0, "bdate": "", "city": {"id": 0, "title": ""}, "occupation": {},
    "can_see_all_posts": 0, "can_see_audio": 0, "can_send_friend_request": 0, "nickname": "", "maiden_name": "",
    "verified": 0, "followers_count": 0,
}
BARE = {"id": 503}
DELETED = {"id": 504, "first_name": "DELETED", "last_name": "", "deactivated": "deleted",
           "photo_100": "https://vk.com/images/deactivated_100.png"}
NEW_SIGNALS = ("can_message", "can_post", "has_status", "has_site", "is_closed", "has_mobile", "has_birthday",
               "has_city", "has_occupation", "can_see_all_posts", "can_see_audio", "can_send_friend_request",
               "can_be_invited_group", "has_nickname", "has_maiden_name", "is_verified", "followers")
MEMBER_COLUMNS = ("has_avatar", *NEW_SIGNALS, "deactivated", "last_seen")
SECRETS = ("SECRET", "sun1.userapi.com", "12.3.1990")


def members_answer(*users) -> bytes:
    return json.dumps({"response": {"count": len(users), "items": list(users)}}).encode()


def parsed_members(spider, body: bytes) -> dict:
    results = spider.parse_members(response("groups.getMembers", body), handle="apiclub", group_id=1, offset=0)
    return {int(m.member_id): m for m in of(results, AudienceMember)}


@pytest.fixture
def members(spider):
    return parsed_members(spider, members_answer(EVERY_FIELD, EMPTY_FIELDS, BARE, DELETED))


@pytest.fixture
def shown(members):
    return members[501]


@pytest.fixture
def blank(members):
    return members[502]


def test_signal_has_avatar(members):
    assert (members[501].has_avatar, members[502].has_avatar, members[503].has_avatar) == (True, False, None)


def test_signal_has_avatar_from_photo_100_without_has_photo(spider):
    own, camera = parsed_members(spider, members_answer(
        {"id": 1, "photo_100": "https://sun1.userapi.com/x.jpg"},
        {"id": 2, "photo_100": "https://vk.com/images/camera_100.png"})).values()
    assert (own.has_avatar, camera.has_avatar) == (True, False)


def test_signal_has_photo_wins_over_the_picture(spider):
    (member,) = parsed_members(spider, members_answer(
        {"id": 1, "has_photo": 0, "photo_100": "https://sun1.userapi.com/x.jpg"})).values()
    assert member.has_avatar is False


def test_signal_can_message(shown, blank):
    assert (shown.can_message, blank.can_message) == (True, False)


def test_signal_can_post(shown, blank):
    assert (shown.can_post, blank.can_post) == (True, False)


def test_signal_has_status(shown, blank):
    assert (shown.has_status, blank.has_status) == (True, False)


def test_signal_has_site(shown, blank):
    assert (shown.has_site, blank.has_site) == (True, False)


def test_signal_is_closed(shown, blank):
    assert (shown.is_closed, blank.is_closed) == (False, True)


def test_signal_has_mobile(shown, blank):
    assert (shown.has_mobile, blank.has_mobile) == (True, False)


def test_signal_has_birthday(shown, blank):
    assert (shown.has_birthday, blank.has_birthday) == (True, False)


def test_signal_has_city(shown, blank):
    assert (shown.has_city, blank.has_city) == (True, False)


def test_signal_has_occupation(shown, blank):
    assert (shown.has_occupation, blank.has_occupation) == (True, False)


def test_signal_can_see_all_posts(shown, blank):
    assert (shown.can_see_all_posts, blank.can_see_all_posts) == (True, False)


def test_signal_can_see_audio(shown, blank):
    assert (shown.can_see_audio, blank.can_see_audio) == (True, False)


def test_signal_can_send_friend_request(shown, blank):
    assert (shown.can_send_friend_request, blank.can_send_friend_request) == (True, False)


def test_signal_can_be_invited_group_is_never_read(shown, blank):
    # groups.getMembers takes no such field (module docstring): not shown, even when an answer has it
    assert (shown.can_be_invited_group, blank.can_be_invited_group) == (None, None)


def test_signal_has_nickname(shown, blank):
    assert (shown.has_nickname, blank.has_nickname) == (True, False)


def test_signal_has_maiden_name(shown, blank):
    assert (shown.has_maiden_name, blank.has_maiden_name) == (True, False)


def test_signal_is_verified(shown, blank):
    assert (shown.is_verified, blank.is_verified) == (True, False)


def test_signal_followers(shown, blank):
    assert (shown.followers, blank.followers) == (321, 0)


def test_signal_last_seen_is_the_day(shown, blank):
    assert shown.last_seen == datetime(2014, 2, 18, tzinfo=timezone.utc)
    assert blank.last_seen is None


def test_signal_deactivated(members):
    assert (members[501].deactivated, members[502].deactivated, members[504].deactivated) == (False, False, True)
    assert members[504].has_avatar is False  # VK's picture for deleted pages is no photo of theirs


def test_signals_of_a_bare_user_object_are_none_not_false(members):
    assert {name: getattr(members[503], name) for name in MEMBER_COLUMNS} == dict.fromkeys(MEMBER_COLUMNS)


def test_signals_of_wrong_types_are_none_and_counted(spider):
    (member,) = parsed_members(spider, members_answer(
        {"id": 1, "first_name": "A", "can_post": 2, "status": 5, "city": "Moscow", "occupation": ["x"],
         "followers_count": -1, "verified": "yes"})).values()
    assert (member.can_post, member.has_status, member.has_city, member.has_occupation, member.followers,
            member.is_verified) == (None,) * 6
    stats = spider.crawler.stats
    for signal in ("can_post", "has_status", "has_city", "has_occupation", "followers", "is_verified"):
        assert stats.get_value(f"pagescout/invalid/vk/{signal}") == 1, signal


def test_signals_of_the_real_member_list_without_fields(spider):
    # the saved answer was asked without fields: only is_closed is shown; nothing else becomes False
    body = fixture("vknet_Groups_GetMembers_NormalCaseAllInputParameters_ListOfUsesIds.json")
    members = parsed_members(spider, body)
    assert (members[5].is_closed, members[6].is_closed) == (False, True)
    for member in members.values():
        assert all(getattr(member, name) is None for name in MEMBER_COLUMNS if name not in ("is_closed", "deactivated"))


@pytest.fixture
def real_followers(spider):
    # users.getFollowers with all fields: the same user objects a member list with fields carries
    return parsed_members(spider, fixture("vknet_Users_GetFollowers_WithAllFields.json"))


def test_signals_of_real_user_objects(real_followers):
    first = real_followers[243663122]
    assert (first.has_avatar, first.has_mobile, first.can_post, first.can_see_all_posts, first.can_see_audio,
            first.can_message) == (True, True, False, True, True, True)
    assert (first.has_status, first.has_site, first.has_nickname, first.has_birthday, first.has_city) == (
        True, False, False, True, True)
    assert first.last_seen == datetime(2014, 2, 18, tzinfo=timezone.utc) and first.deactivated is False


def test_signals_the_real_user_objects_do_not_carry_stay_none(real_followers):
    for member in real_followers.values():
        assert (member.has_occupation, member.has_maiden_name, member.is_verified, member.followers, member.is_closed,
                member.can_send_friend_request, member.can_be_invited_group) == (None,) * 7


def only_flags_counts_and_days(member: AudienceMember) -> None:
    for name, value in dataclasses.asdict(member).items():
        if name not in ("platform", "account", "kind", "member_id"):
            assert value is None or type(value) in (bool, int, datetime), (name, value)


def test_no_member_text_reaches_the_item(members):
    for member in members.values():
        only_flags_counts_and_days(member)
        assert not any(secret in repr(member) for secret in SECRETS), member


def test_no_real_member_text_reaches_the_item(real_followers):
    for member in real_followers.values():
        only_flags_counts_and_days(member)
        for text in ("Пусть ветер", "Вороново", "Радюна", "cs606327"):
            assert text not in repr(member), text


def test_no_member_text_reaches_the_database(spider, members, tmp_path):
    from crawler.pipelines import HashMemberPipeline, NormalisePipeline, StorePipeline, ValidatePipeline
    from scrapy.utils.test import get_crawler

    db = tmp_path / "signals.db"
    crawler = get_crawler(settings_dict={"PAGESCOUT_DB": str(db)})
    crawler._apply_settings()
    pipelines = [cls.from_crawler(crawler) for cls in (NormalisePipeline, ValidatePipeline, HashMemberPipeline,
                                                         StorePipeline)]
    for pipeline in pipelines:
        getattr(pipeline, "open_spider", lambda: None)()
    for member in members.values():
        for pipeline in pipelines:
            member = pipeline.process_item(member)
    pipelines[-1].close_spider()
    columns = ", ".join(MEMBER_COLUMNS)
    stored = rows(db, f"SELECT member_key, {columns} FROM member_signals ORDER BY followers DESC, deactivated")
    assert len(stored) == 4 - 1  # the bare id object shows no signal: no row
    assert set(rows(db, "SELECT member_key FROM audience")) >= {(row[0],) for row in stored}
    assert not {501, 502, 503, 504} & {row[0] for row in stored}  # keyed hashes, never raw ids
    kinds = {typeof for (typeof,) in rows(db, " UNION ".join(
        f"SELECT typeof({c}) FROM member_signals" for c in MEMBER_COLUMNS if c != "last_seen"))}
    assert kinds <= {"integer", "null"}
    assert rows(db, "SELECT DISTINCT last_seen FROM member_signals WHERE last_seen IS NOT NULL") == [
        ("2014-02-18 00:00:00.000000",)]
    every = dict(zip(("member_key", *MEMBER_COLUMNS), stored[0]))
    assert every["followers"] == 321 and every["has_status"] == every["has_city"] == 1
    raw = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("signals.db-*"))
    for secret in SECRETS:
        assert secret.encode() not in raw, secret


def test_members_request_asks_for_every_signal_field(spider):
    from urllib.parse import parse_qs, urlsplit

    request = spider.members_request("apiclub", 1)
    (fields,) = parse_qs(urlsplit(request.url).query)["fields"]
    asked = fields.split(",")
    for field in ("photo_100", "has_photo", "can_write_private_message", "can_post", "status", "site", "has_mobile",
                  "bdate", "city", "occupation", "can_see_all_posts", "can_see_audio", "can_send_friend_request",
                  "nickname", "maiden_name", "verified", "followers_count", "last_seen"):
        assert field in asked, field
    assert len(asked) == len(set(asked))
    # not in the schema's users_fields enum (see the module docstring)
    assert not {"can_be_invited_group", "is_closed", "deactivated"} & set(asked)


def test_members_fields_are_the_schemas():
    schema = json.loads((shared_dir("fixtures", "vk") / "vkschema_groups_methods.json").read_text(encoding="utf-8"))
    (method,) = [m for m in schema["methods"] if m["name"] == "groups.getMembers"]
    (param,) = [p for p in method["parameters"] if p["name"] == "fields"]
    # the parameter's type is the users_fields enum (users/objects.json of VKCOM/vk-api-schema), whose
    # values MEMBER_FIELDS are; its prose list of "available values" is an older subset of that enum
    assert param["type"] == "array" and param["items"]["$ref"].endswith("users/objects.json#/definitions/users_fields")
    prose = {f.strip() for f in param["description"].split(":", 1)[1].strip(" .'").split(",")}
    assert {"photo_100", "status", "site", "can_post", "can_write_private_message", "last_seen"} <= prose


def test_likers_both_shapes(spider):
    plain = of(spider.parse_likers(response("likes.getList", fixture("vknet_Likes_GetList_NormalCase.json")),
                                   handle="apiclub"), AudienceMember)
    extended = of(spider.parse_likers(response("likes.getList", fixture("vknet_Likes_GetListEx_NormalCase.json")),
                                      handle="club2"), AudienceMember)
    assert [m.member_id for m in plain] == [m.member_id for m in extended] == [
        "32190123", "221634238", "229027572", "210894192", "201173701"]
    assert {m.kind for m in plain} == {"liker"}


def test_audience_limit_caps_members():
    spider = make_spider(VkSpider, seeds=["apiclub"], audience_limit=1)
    body = fixture("vknet_Groups_GetMembers_NormalCaseAllInputParameters_ListOfUsesIds.json")
    results = list(spider.parse_members(response("groups.getMembers", body), handle="apiclub", group_id=1, offset=0))
    assert len(of(results, AudienceMember)) == 1 and not [r for r in results if isinstance(r, Request)]


# hostile values: each refused value costs that field only ---------------------------------------------------
def wall_of(spider, *items, offset=0):
    body = json.dumps({"response": {"count": len(items), "items": list(items)}}).encode()
    meta = {} if offset else {"handle": "apiclub"}
    return list(spider.parse_wall(response("wall.get", body, meta=meta), handle="apiclub", group_id=1, hop=0,
                                  offset=offset))


def invalid(spider, field):
    return spider.crawler.stats.get_value(f"pagescout/invalid/vk/{field}")


def test_views_past_any_audience_are_unknown_and_the_rest_of_the_post_is_stored(spider):
    item = {"id": 5, "date": 1_700_000_000, "text": "hi", "views": {"count": 2**70}, "likes": {"count": 3}}
    (post,) = of(wall_of(spider, item), Post)
    assert (post.views, post.likes, post.text, post.post_id) == (None, 3, "hi", "5")
    assert invalid(spider, "views") == 1


def test_text_that_is_a_number_is_no_text(spider):
    (post,) = of(wall_of(spider, {"id": 5, "date": 1_700_000_000, "text": 12345, "likes": {"count": 1}}), Post)
    assert post.text is None and post.likes == 1
    assert invalid(spider, "text") == 1


def test_counts_and_dates_of_the_wrong_type_are_unknown(spider):
    item = {"id": 5, "date": "yesterday", "likes": 7, "comments": {"count": -1}, "reposts": {"count": "2"}}
    (post,) = of(wall_of(spider, item), Post)
    # likes sent bare (no {"count": …} object) read as not shown; "2" is a count
    assert (post.published_at, post.likes, post.comments, post.reposts) == (None, None, None, 2)
    assert invalid(spider, "published_at") == invalid(spider, "comments") == 1


@pytest.mark.parametrize("post_id", ["abc", True, -5, 0, [5], 2**64])
def test_post_without_a_usable_id_is_skipped_and_counted(spider, post_id):
    assert of(wall_of(spider, {"id": post_id, "text": "x"}, {"id": 6, "text": "y"}), Post)[0].post_id == "6"
    assert invalid(spider, "post_id") == 1


def test_huge_ids_in_text_are_no_links_and_no_crash(spider):
    text = f"[club{'9' * 5000}|x] vk.com/club{'9' * 5000} vk.com/wall-{'1' * 40}_1 [club77|ok]"
    results = wall_of(spider, {"id": 5, "text": text})
    (lookup,) = [r for r in results if isinstance(r, Request) and "groups.getById" in r.url]
    assert "group_ids=77" in lookup.url and len(lookup.url) < 2083


def test_names_lookup_of_many_long_ids_fits_one_request(spider):
    # Scrapy drops a request whose URL passes 2,083 characters, and the wall page's links waited on it.
    text = " ".join(f"[club{10**17 + i}|x]" for i in range(300))
    results = wall_of(spider, {"id": 5, "text": text})
    (lookup,) = [r for r in results if isinstance(r, Request) and "groups.getById" in r.url]
    assert len(lookup.url) < 2083 and f"group_ids={10**17}" in lookup.url
    assert len(lookup.cb_kwargs["links"]) == 300  # those not looked up go out as club<ID>


@pytest.mark.parametrize("body, message", [
    (b'{"response": 5}', "no list of groups"),
    (b'{"response": {"groups": [{"name": "no id"}]}}', "the group has no usable id"),
    (b'{"response": {"groups": ["apiclub"]}}', "the group has no usable id"),
    (b'{"response": [{"id": "-1"}]}', "the group has no usable id"),
    (b"[]", "answer is not a JSON object"),
    (b'{"error": "no code"}', "error answer without an error code"),
    (b'{"error": {"error_code": 0, "error_msg": ""}}', "error answer without an error code"),
])
def test_group_answer_that_cannot_be_read_is_an_invalid_answer(spider, body, message):
    with pytest.raises(InvalidAnswer, match=message):
        list(spider.parse_group(response("groups.getById", body, meta={"handle": "apiclub"}), handle="apiclub", hop=0))


def test_group_fields_of_the_wrong_type_cost_only_themselves(spider):
    group = {"id": 1, "screen_name": 42, "name": ["API"], "members_count": 2**64, "verified": "yes",
             "description": 7, "photo_200": "javascript:alert(1)", "photo_100": "https://sun.userapi.com/a.jpg"}
    body = json.dumps({"response": {"groups": [group]}}).encode()
    results = list(spider.parse_group(response("groups.getById", body), handle="club1", hop=0))
    (account,) = of(results, Account)
    assert (account.handle, account.status, account.name, account.followers, account.verified, account.description,
            account.avatar) == ("club1", "ok", None, None, None, None, "https://sun.userapi.com/a.jpg")
    assert [r for r in results if isinstance(r, Request) and "wall.get" in r.url]


def test_wall_answer_without_its_response_object(spider):
    with pytest.raises(InvalidAnswer, match="the answer has no wall"):
        list(spider.parse_wall(response("wall.get", b'{"response": [1, 2]}'), handle="apiclub", group_id=1, hop=0,
                               offset=0))
    # on a later page the community is stored already: only counted
    assert list(spider.parse_wall(response("wall.get", b'{"response": [1, 2]}'), handle="apiclub", group_id=1,
                                  hop=0, offset=100)) == []
    assert spider.crawler.stats.get_value("pagescout/errors/vk_0") == 1


def test_member_ids_that_are_no_ids_are_skipped_and_counted(spider):
    items = [5, "6", True, {"id": [1]}, -3, {"id": 7, "photo_100": 3, "last_seen": {"time": 2**70}}, None]
    body = json.dumps({"response": {"count": 7, "items": items}}).encode()
    members = of(spider.parse_members(response("groups.getMembers", body), handle="apiclub", group_id=1, offset=0),
                 AudienceMember)
    assert [m.member_id for m in members] == ["5", "6", "7"]
    assert (members[2].has_avatar, members[2].last_seen) == (None, None)
    assert invalid(spider, "member_id") == 4
    assert invalid(spider, "avatar") == invalid(spider, "last_seen") == 1


# errors on real answers --------------------------------------------------------------------------------------
def test_error_15_marks_the_group_unavailable(spider):
    results = list(spider.parse_wall(response("wall.get", fixture("vknet_Errors_15.json"), meta={"handle": "apiclub"}),
                                     handle="apiclub", group_id=1, hop=0, offset=0))
    (account,) = of(results, Account)
    assert account.status == "unavailable"
    assert account.reason == "closed or private (error 15: Access denied: you can not join this private community)"


def test_error_203_closed_community(spider):
    body = b'{"error": {"error_code": 203, "error_msg": "Access to group denied: access to the group is denied"}}'
    results = list(spider.parse_wall(response("wall.get", body), handle="apiclub", group_id=1, hop=0, offset=0))
    (account,) = of(results, Account)
    assert account.reason == "closed or private (error 203: Access to group denied: access to the group is denied)"


def test_error_15_on_members_marks_the_audience_hidden_not_the_group(spider):
    results = list(spider.parse_members(response("groups.getMembers", fixture("vknet_Errors_15.json")),
                                        handle="apiclub", group_id=1, offset=0))
    assert results == []
    assert spider.crawler.stats.get_value("pagescout/audience_hidden/apiclub").startswith("groups.getMembers")


def test_error_14_captcha(spider):
    results = list(spider.parse_group(response("groups.getById", fixture("vknet_Errors_14.json")),
                                      handle="apiclub", hop=0))
    (account,) = of(results, Account)
    assert account.reason.startswith("captcha needed (error 14")


def test_error_5_closes_the_crawl_without_the_token(spider, monkeypatch):
    from scrapy.exceptions import CloseSpider

    monkeypatch.setenv("VK_TOKEN", "token")
    with pytest.raises(CloseSpider):
        list(spider.parse_group(response("groups.getById", fixture("vknet_Errors_5.json")), handle="apiclub", hop=0))
    message = spider.crawler.stats.get_value("pagescout/fatal")
    assert "error 5" in message and "VK_TOKEN" in message


# whole crawls against a local API ------------------------------------------------------------------------------
TOKEN = "vk1.a.SECRET-TEST-TOKEN"


def wall_items(gid, n, first=1000, mention=None):
    items = []
    for i in range(n):
        item = {"id": first - i, "owner_id": -gid, "from_id": -gid, "date": 1_760_000_000 - i * 86_400,
                "text": f"post {i}", "likes": {"count": i}, "reposts": {"count": 1}, "views": {"count": 100 * (i + 1)},
                "comments": {"count": 2}}
        items.append(item)
    if mention:
        items[0]["text"] += f" [club{mention}|соседи]"
    return items


GROUPS = {
    "alpha": {"id": 11, "name": "Alpha", "screen_name": "alpha", "members_count": 2500, "verified": 1},
    "club22": {"id": 22, "name": "Beta", "screen_name": "club22", "members_count": 40},
    "club33": {"id": 33, "name": "Closed", "screen_name": "closed_one", "members_count": 7, "is_closed": 1},
    "captcha": {"id": 44, "name": "Captcha", "screen_name": "captcha", "members_count": 1},
}
WALLS = {11: wall_items(11, 250, mention=22), 22: wall_items(22, 3, mention=33)}
MEMBERS = {11: list(range(1, 2501)), 22: [{"id": 9001, "first_name": "A", "photo_100": "https://vk.com/images/camera_100.png"},
                                         {"id": 9002, "deactivated": "deleted"}]}


def error(code, msg):
    return 200, {"error": {"error_code": code, "error_msg": msg,
                           "request_params": [{"key": "access_token", "value": TOKEN}]}}


def vk_route(faults=None):
    faults = faults or {}

    def route(path, params):
        method = path.rsplit("/", 1)[1]
        assert params.get("v") == "5.199"
        if params.get("access_token") != TOKEN:
            return error(5, "User authorization failed: no access_token passed.")
        key = (method, params.get("group_id") or params.get("owner_id"), params.get("offset", "0"))
        queue = faults.get(key) or faults.get((method,))
        if queue:
            return error(*queue.pop(0))
        if method == "groups.getById" and "group_ids" in params:
            wanted = params["group_ids"].split(",")
            return 200, {"response": {"groups": [g for g in GROUPS.values() if str(g["id"]) in wanted]}}
        if method == "groups.getById":
            group = GROUPS.get(params["group_id"]) or next(
                (g for g in GROUPS.values() if params["group_id"] in (str(g["id"]), g["screen_name"])), None)
            if group is None:
                return error(100, "One of the parameters specified was missing or invalid: group_ids is undefined")
            return 200, {"response": {"groups": [group], "profiles": []}}
        offset, count = int(params.get("offset", 0)), int(params["count"])
        if method == "wall.get":
            gid = -int(params["owner_id"])
            if gid == 33:
                return error(15, "Access denied: this wall available only for community members")
            items = WALLS.get(gid, [])
            return 200, {"response": {"count": len(items), "items": items[offset:offset + count], "groups": [], "profiles": []}}
        if method == "groups.getMembers":
            items = MEMBERS.get(int(params["group_id"]), [])
            return 200, {"response": {"count": len(items), "items": items[offset:offset + count]}}
        if method == "likes.getList":
            return 200, {"response": {"count": 2, "items": [int(params["item_id"]), 77]}}
        return 404, "no such method"

    return route


def crawl(server, db, *args, token=TOKEN):
    env = {"VK_TOKEN": token} if token is not None else {}
    return run_cli("crawl", "vk", *args, "--base-url", f"{server.url}/method", "--delay", "0", "--quiet",
                   "--db", str(db), env={"PAGESCOUT_BACKOFF_BASE": "0.1", **env})



@pytest.fixture(scope="module")
def full_crawl(tmp_path_factory):
    db = tmp_path_factory.mktemp("vk") / "vk.db"
    faults = {("wall.get", "-11", "100"): [(6, "Too many requests per second")]}
    with ApiServer(vk_route(faults)) as server:
        result = crawl(server, db, "alpha", "--depth", "2", "--max-posts", "220", "--audience-limit", "1500")
    return db, result, server


def test_crawl_succeeds(full_crawl):
    _, result, _ = full_crawl
    assert result.returncode == 0, result.stderr
    assert "crawl finished" in result.stderr


def test_crawl_pages_the_wall_by_offset(full_crawl):
    db, _, server = full_crawl
    pages = [(p.get("offset", "0"), p["count"]) for p in server.calls("/method/wall.get") if p["owner_id"] == "-11"]
    # offset 100 answered error 6 once and was asked again
    assert pages == [("0", "100"), ("100", "100"), ("100", "100"), ("200", "20")]
    assert rows(db, "SELECT COUNT(*) FROM posts WHERE account = 'alpha'") == [(220,)]


def test_crawl_pages_members_up_to_the_limit(full_crawl):
    db, _, server = full_crawl
    pages = [(p.get("offset", "0"), p["count"]) for p in server.calls("/method/groups.getMembers")
             if p["group_id"] == "11"]
    assert pages == [("0", "1000"), ("1000", "500")]
    assert rows(db, "SELECT COUNT(*) FROM audience WHERE account = 'alpha' AND kind = 'member'") == [(1500,)]


def test_crawl_stores_likers_of_recent_posts(full_crawl):
    db, _, server = full_crawl
    liked = [p for p in server.calls("/method/likes.getList") if p["owner_id"] == "-11"]
    assert len(liked) == 9  # the 10 newest posts, but the newest has no likes: not asked
    # each answer names the post's id and user 77: 9 + 1 distinct likers
    assert rows(db, "SELECT COUNT(*) FROM audience WHERE account = 'alpha' AND kind = 'liker'") == [(10,)]


def test_crawl_member_signals(full_crawl):
    db, _, _ = full_crawl
    if not rows(db, "SELECT name FROM sqlite_master WHERE name = 'member_signals'"):
        pytest.skip("this store has no member_signals table yet")
    signals = rows(db, "SELECT has_avatar, deactivated FROM member_signals WHERE platform = 'vk' "
                       "AND (has_avatar IS NOT NULL OR deactivated IS NOT NULL) ORDER BY has_avatar")
    assert sorted(signals, key=str) == sorted([(0, 0), (None, 1)], key=str)


def test_crawl_depth_follows_mentions_and_records_closed(full_crawl):
    db, result, _ = full_crawl
    status = dict(rows(db, "SELECT handle, status FROM accounts"))
    assert status == {"alpha": "ok", "club22": "ok", "closed_one": "unavailable"}
    assert "unavailable: closed_one: closed or private (error 15" in result.stderr
    links = rows(db, "SELECT src, dst, kind FROM links")
    assert ("alpha", "club22", "mention") in links
    # [club33|…] was looked up: the link uses the screen name its page is stored under
    assert ("club22", "closed_one", "mention") in links and not [l for l in links if l[1] == "club33"]


def test_crawl_counts(full_crawl):
    db, _, _ = full_crawl
    assert rows(db, "SELECT followers, verified FROM accounts WHERE handle = 'alpha'") == [(2500, 1)]
    assert rows(db, "SELECT views, likes, reposts, comments FROM posts WHERE account = 'alpha' AND post_id = '1000'") == [
        (100, 0, 1, 2)]


def test_token_never_leaves_the_request(full_crawl, tmp_path):
    db, result, server = full_crawl
    assert all(p.get("access_token") == TOKEN for _, _, p in server.requests)
    assert TOKEN not in result.stderr + result.stdout
    assert TOKEN.encode() not in db.read_bytes()
    for path in db.parent.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_missing_token_is_one_line_before_any_request(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setenv("VK_TOKEN", " ")
    with ApiServer(vk_route()) as server:
        result = CliRunner().invoke(app, ["crawl", "vk", "alpha", "--base-url", f"{server.url}/method",
                                          "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith("Error: set VK_TOKEN")
    assert server.requests == []
    assert not (tmp_path / "x.db").exists()


def test_error_5_stops_the_crawl_with_one_line_about_the_token(tmp_path):
    with ApiServer(vk_route()) as server:
        result = crawl(server, tmp_path / "x.db", "alpha", "club22", token="wrong-token-value")
        asked = len(server.requests)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: VK refused the token in $VK_TOKEN (error 5")
    assert "wrong-token-value" not in result.stderr
    assert asked <= 2


def test_errors_29_14_100_are_reported_and_the_crawl_goes_on(tmp_path):
    db = tmp_path / "x.db"
    faults = {("groups.getMembers",): [(29, "Rate limit reached")] * 5,
              ("groups.getById", "captcha", "0"): [(14, "Captcha needed")]}
    with ApiServer(vk_route(faults)) as server:
        # club22 is found in alpha's posts, so its members would be asked for after alpha's answer came back
        result = crawl(server, db, "alpha", "captcha", "nosuchgroup", "--depth", "1", "--max-posts", "5")
        members_calls = len(server.calls("/method/groups.getMembers"))
    assert result.returncode == 0, result.stderr
    # 29: that method is not called again, and the summary says so
    assert members_calls == 1
    assert "vk groups.getMembers: daily limit reached (error 29)" in result.stderr
    # 14 and 100: stored as unavailable with the reason, the others crawled
    status = dict(rows(db, "SELECT handle, reason FROM accounts WHERE status = 'unavailable'"))
    assert status["captcha"].startswith("captcha needed (error 14")
    assert status["nosuchgroup"].startswith("not a VK community (error 100")
    assert rows(db, "SELECT COUNT(*) FROM accounts WHERE status = 'ok'") == [(2,)]
    assert rows(db, "SELECT COUNT(*) FROM posts") == [(5 + 3,)]
