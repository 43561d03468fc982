"""`pagescout import`: accounts, posts and audiences from CSV/XLSX, checked row by row, all or nothing."""

from __future__ import annotations

import csv

import pytest
from openpyxl import Workbook

from conftest import REPO, invoke, one_line_error, rows
from sheets.imports import detect_kind, find_columns, read_import
from crawler.store import Store

SAMPLES = REPO / "data" / "import"


def write_csv(path, table):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(table)
    return path


# the bundled samples ------------------------------------------------------------------------------
@pytest.fixture
def imported(tmp_path):
    db = tmp_path / "imp.db"
    for name in ("accounts", "posts", "audience"):
        result = invoke("import", "instagram", SAMPLES / f"instagram_{name}.csv", "--db", db)
        assert result.exit_code == 0, result.output
    return db


def test_accounts_with_synonyms(imported):
    got = rows(imported, "SELECT handle, name, followers, followers_kind, verified, url FROM accounts ORDER BY handle")
    assert got[0] == ("fit_with_anna", "Anna · Fitness", 48_200, "followers", 1, "https://www.instagram.com/fit_with_anna/")
    assert [r[2] for r in got] == [48_200, 230_000, 12_400]


def test_accounts_give_a_snapshot(imported):
    assert rows(imported, "SELECT COUNT(*) FROM snapshots WHERE platform = 'instagram'") == [(3,)]


def test_posts_counts_and_dates(imported):
    got = rows(imported, "SELECT views, likes, comments, reposts, text FROM posts WHERE post_id = 'C1a'")
    assert got == [(21_000, 1300, 85, 40, "Утренняя зарядка")]
    (when,) = rows(imported, "SELECT published_at FROM posts WHERE post_id = 'H10'")[0]
    assert when.startswith("2026-10-05")


def test_audience_is_hashed(imported):
    keys = rows(imported, "SELECT member_key FROM audience WHERE account = 'fit_with_anna'")
    assert len(keys) == 8
    with Store(str(imported)) as store:
        assert (store.member_key("u1"),) in keys
    assert b"u1," not in imported.read_bytes()


def test_imported_platform_ranks(imported):
    result = invoke("rank", "--platform", "instagram", "--db", imported, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "healthy_plate" in result.output


def test_xlsx_import(tmp_path):
    db = tmp_path / "x.db"
    result = invoke("import", "instagram", SAMPLES / "instagram_accounts.xlsx", "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "SELECT COUNT(*) FROM accounts") == [(3,)]


def test_import_twice_duplicates_nothing(imported):
    before = rows(imported, "SELECT (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM audience)")
    invoke("import", "instagram", SAMPLES / "instagram_posts.csv", "--db", imported)
    invoke("import", "instagram", SAMPLES / "instagram_audience.csv", "--db", imported)
    assert rows(imported, "SELECT (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM audience)") == before


@pytest.mark.parametrize("header, kind", [
    (["handle", "followers"], "accounts"), (["username", "post_id", "likes"], "posts"),
    (["account", "member_id"], "audience"), (["Screen Name", "Subscribers"], "accounts")])
def test_kind_decided_by_columns(header, kind):
    assert detect_kind(find_columns([h.lower().replace(" ", "_") for h in header])) == kind


def test_kind_option_overrides(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["handle", "followers"], ["a", "1"]])
    result = invoke("import", "x", path, "--kind", "posts", "--db", tmp_path / "x.db")
    one_line_error(result, "a.csv", "row 1", "column 'post_id'", "missing")


def test_crawlable_platform_handles_follow_the_spider(tmp_path):
    path = write_csv(tmp_path / "tg.csv", [["handle", "followers"], ["https://t.me/Durov", "10"]])
    kind, batch = read_import(path, "telegram")
    assert kind == "accounts" and batch["Account"][0]["handle"] == "durov"


def test_audience_kind_plurals(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["handle", "member_id", "kind"], ["a", "1", "Followers"], ["a", "2", "likers"],
                                          ["a", "3", "subscribers"]])
    kind, batch = read_import(path, "ok", hash_member=lambda m: int(m))
    assert [m["kind"] for m in batch["AudienceMember"]] == ["follower", "liker", "follower"]


def test_blog_handles_match_the_crawler(tmp_path):
    path = write_csv(tmp_path / "blogs.csv", [["handle", "name"], ["https://www.example.org/notes/", "Notes"]])
    kind, batch = read_import(path, "rss")
    assert batch["Account"][0]["handle"] == "example.org/notes"


def test_semicolon_csv_with_bom(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffЛогин;followers\n".replace("Логин", "login").encode("utf-8") + b"anna;1 200\n")
    kind, batch = read_import(path, "tiktok")
    assert batch["Account"][0]["followers"] == 1200 and batch["Account"][0]["url"] == "https://www.tiktok.com/@anna"


# bad files: one line naming file, row and column; exit 2; nothing imported --------------------------------
@pytest.mark.parametrize("table, words", [
    ([["name", "followers"], ["A", "1"]], ["row 1", "column 'handle'", "missing", "username"]),
    ([["handle", "followers"], ["a", "10"], ["b", "many"]], ["row 3", "column 'followers'", "'many'"]),
    ([["handle", "followers"], ["a", "10"], ["b", "-5"]], ["row 3", "column 'followers'", "'-5'"]),
    ([["handle", "verified"], ["a", "perhaps"]], ["row 2", "column 'verified'", "yes/no"]),
    ([["handle", "post_id", "date"], ["a", "1", "2026-10-01"], ["a", "2", "yesterday"]],
     ["row 3", "column 'published_at'", "'yesterday'"]),
    ([["handle", "followers"], ["a", "1"], ["", "2"]], ["row 3", "column 'handle'", "empty"]),
    ([["handle", "member_id", "kind"], ["a", "1", "stalker"]], ["row 2", "column 'kind'", "stalker"]),
])
def test_bad_file_names_file_row_column_and_imports_nothing(tmp_path, table, words):
    db = tmp_path / "x.db"
    invoke("import", "instagram", SAMPLES / "instagram_accounts.csv", "--db", db)
    before = rows(db, "SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM audience)")
    path = write_csv(tmp_path / "bad.csv", table)
    one_line_error(invoke("import", "instagram", path, "--db", db), "bad.csv", *words)
    after = rows(db, "SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM audience)")
    assert after == before


def test_bad_xlsx_cell(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["username", "subscribers"])
    ws.append(["anna", 100])
    ws.append(["boris", "a lot"])
    wb.save(tmp_path / "bad.xlsx")
    db = tmp_path / "x.db"
    one_line_error(invoke("import", "tiktok", tmp_path / "bad.xlsx", "--db", db), "bad.xlsx", "row 3",
                   "column 'followers'")
    assert not db.exists()


def test_unknown_platform_and_missing_file(tmp_path):
    one_line_error(invoke("import", "myspace", SAMPLES / "instagram_accounts.csv", "--db", tmp_path / "x.db"),
                   "myspace", "instagram")
    one_line_error(invoke("import", "x", tmp_path / "nope.csv", "--db", tmp_path / "x.db"), "nope.csv")


def test_import_only_platforms_are_known_to_rank(imported):
    for platform in ("instagram", "tiktok", "facebook", "x", "ok"):
        assert invoke("rank", "--platform", platform, "--db", imported).exit_code == 0


@pytest.mark.parametrize(
    "table,expected",
    [([["handle", "followers"], ["a", "48200.0"]], None),
     ([["handle", "followers"], ["a", "12.5"]], "row 2, column 'followers': '12.5' is not a count"),
     ([["handle", "followers"], ["a", "12", "5K"]], "row 2: 3 values but the header has 2 columns"),
     ([["handle", "followers", "followers"], ["a", "5", "6"]], "row 1: column 'followers' appears twice")],
)
def test_counts_and_row_shapes(tmp_path, table, expected):
    path = write_csv(tmp_path / "acc.csv", table)
    db = tmp_path / "i.db"
    result = invoke("import", "instagram", path, "--db", db)
    if expected is None:
        assert result.exit_code == 0, result.output
        assert rows(db, "SELECT followers FROM accounts") == [(48200,)]
    else:
        one_line_error(result, "acc.csv", expected)
        assert not db.exists() or rows(db, "SELECT COUNT(*) FROM accounts") == [(0,)]
