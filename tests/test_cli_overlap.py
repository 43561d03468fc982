"""pagescout overlap, audience, plan and export --target as a user meets them, on a small store."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest

from conftest import invoke, one_line_error
from openpyxl import load_workbook

from crawler.store import Store


# member ids per channel; b's 10 stored members are a sample of its 100 subscribers
AUDIENCES = {"a": range(1, 11), "b": range(6, 16), "c": [1, 2, 3, 20, 21], "d": range(30, 40), "e": [1, 2]}
FOLLOWERS = {"a": 10, "b": 100, "c": 5, "d": 10, "e": 2, "f": 50}
VIEWS = {"a": [8, 6, 4], "b": [30, 50]}  # median 6 of 10 followers and 40 of 100: reach rates 0.6 and 0.4


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("overlap") / "overlap.db"
    day = datetime(2026, 10, 1, tzinfo=timezone.utc)
    with Store(str(path)) as store:
        store.write({
            "Account": [{"platform": "telegram", "handle": h, "name": f"Channel {h.upper()}", "followers": n,
                         "status": "ok", "url": f"https://t.me/{h}"} for h, n in FOLLOWERS.items()],
            "Post": [{"platform": "telegram", "account": h, "post_id": str(i), "published_at": day, "views": v}
                     for h, views in VIEWS.items() for i, v in enumerate(views)],
        })
        store.write_audience(("telegram", h, "follower", store.member_key(str(m)))
                             for h, members in AUDIENCES.items() for m in members)
    return str(path)


def csv_rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


# overlap ------------------------------------------------------------------------------------------
def test_overlap_prints_matrix_and_unique_shares(db):
    result = invoke("overlap", "telegram:a", "telegram:b", "telegram:c", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row_a = next(line for line in lines if line.startswith("telegram:a ") and "%" in line)
    assert row_a.split() == ["telegram:a", "100.0%", "50.0%", "60.0%"]  # 5 of 10; 3 of c's 5
    # unique within {a, b, c}: a keeps 4, 5 (20%); b keeps 11…15 (50%); c keeps 20, 21 (40%)
    per_account = [line.split() for line in lines if line.startswith("telegram:") and "%" not in line.split()[1]]
    assert ["telegram:a", "10", "2", "20.0%", "80.0%", "10", "100%"] in per_account
    assert ["telegram:b", "10", "5", "50.0%", "50.0%", "100", "10%", "sample"] in per_account
    assert "total audience (sum): 25; unique audience (distinct members): 17" in result.output
    assert "telegram:b is a sample" in result.output


def test_overlap_csv_is_a_square_matrix_in_the_order_given(db, tmp_path):
    out = tmp_path / "overlap.csv"
    result = invoke("overlap", "telegram:c", "telegram:@A", "telegram:b", "--metric", "shared", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    assert csv_rows(out) == [
        ["account", "telegram:c", "telegram:a", "telegram:b"],
        ["telegram:c", "5", "3", "0"],
        ["telegram:a", "3", "10", "5"],
        ["telegram:b", "0", "5", "10"],
    ]


def test_overlap_jaccard_json(db, tmp_path):
    out = tmp_path / "overlap.json"
    assert invoke("overlap", "telegram:a", "telegram:b", "--metric", "jaccard", "--out", out, "--db", db).exit_code == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    assert records[0] == {"account": "telegram:a", "telegram:a": 1.0, "telegram:b": pytest.approx(5 / 15)}


def test_overlap_xlsx_is_a_heat_map(db, tmp_path):
    out = tmp_path / "overlap.xlsx"
    result = invoke("overlap", "telegram:a", "telegram:b", "telegram:c", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Overlap", "Accounts"]
    ws = wb["Overlap"]
    assert [c.value for c in ws[1]] == ["account", "telegram:a", "telegram:b", "telegram:c"]
    assert [c.value for c in ws[2]] == ["telegram:a", 1, 0.5, 0.6]
    ranges = [str(r.sqref) for r in ws.conditional_formatting]
    assert len(ranges) == 1
    coloured = set()
    for part in ranges[0].split():
        first, _, last = part.partition(":")
        last = last or first
        for row in range(int(first[1:]), int(last[1:]) + 1):
            coloured.add(f"{first[0]}{row}")
    assert coloured == {"B3", "B4", "C2", "C4", "D2", "D3"}  # every pair, not the diagonal
    accounts = wb["Accounts"]
    assert [c.value for c in accounts[2]][:5] == ["telegram:a", 10, 2, 0.2, 0.8]  # shown as 20.0% and 80.0%
    assert accounts["D2"].number_format == "0.0%"


@pytest.mark.parametrize("args, words", [
    (["telegram:a"], ["at least two"]),
    (["telegram:a", "@b"], ["'@b'", "platform:handle"]),
    (["telegram:a", "telegram:zz"], ["telegram:zz", "not in the database"]),
    (["telegram:a", "myspace:zz"], ["myspace", "telegram"]),
    (["telegram:a", "telegram:f"], ["telegram:f", "no stored audience"]),
    (["telegram:a", "telegram:b", "--kind", "liker"], ["no stored audience of kind liker"]),
    (["telegram:a", "telegram:b", "--out", "x.docx"], ["x.docx", ".xlsx"]),
])
def test_overlap_errors_are_one_line(db, args, words):
    one_line_error(invoke("overlap", *args, "--db", db), *words)


def test_overlap_without_database(tmp_path):
    one_line_error(invoke("overlap", "telegram:a", "telegram:b", "--db", tmp_path / "none.db"), "no database")


# audience -----------------------------------------------------------------------------------------
def test_audience_ranks_by_affinity(db, tmp_path):
    out = tmp_path / "audience.csv"
    result = invoke("audience", "--target", "telegram:a", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    rows = csv_rows(out)
    assert rows[0][:9] == ["platform", "handle", "name", "audience_size", "target_overlap", "target_share",
                           "target_density", "affinity", "jaccard"]
    assert rows[0][9:] == ["followers", "audience_coverage"]
    # T = a's 10 members; U = the 27 stored members; base rate 10/27
    assert [r[1] for r in rows[1:]] == ["e", "c", "b", "d"]  # the target itself is not ranked
    e = dict(zip(rows[0], rows[1]))
    assert e["name"] == "Channel E" and e["target_overlap"] == "2" and float(e["target_share"]) == pytest.approx(0.2)
    assert float(e["target_density"]) == 1 and float(e["affinity"]) == pytest.approx(270)
    c = dict(zip(rows[0], rows[2]))
    assert float(c["affinity"]) == pytest.approx(0.6 * 270) and float(c["jaccard"]) == pytest.approx(3 / 12)
    assert "telegram:b is a sample" in result.output


def test_audience_several_targets_and_top(db):
    result = invoke("audience", "--target", "telegram:a", "telegram:c", "--top", "2", "--db", db)
    assert result.exit_code == 0, result.output
    assert "target audience: 12 stored members of telegram:a, telegram:c" in result.output
    table = [line.split()[:2] for line in result.output.splitlines() if line.startswith(" telegram") or
             line.startswith("telegram")]
    assert table == [["telegram", "e"], ["telegram", "b"]]


def test_audience_from_imported_member_ids(db, tmp_path):
    ids = tmp_path / "customers.csv"
    ids.write_text("user_id\n1\n2\n3\n999\n", encoding="utf-8")
    result = invoke("audience", "--target-members", ids, "--platform", "telegram", "--db", db)
    assert result.exit_code == 0, result.output
    assert "3 of 4 member ids" in result.output
    assert "target audience: 3 stored members" in result.output


def test_audience_xlsx(db, tmp_path):
    out = tmp_path / "audience.xlsx"
    assert invoke("audience", "-t", "telegram:a", "--out", out, "--db", db).exit_code == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["Audience", "Metrics"]
    assert wb["Audience"]["F2"].number_format == "0.0%"


@pytest.mark.parametrize("args, words", [
    ([], ["--target"]),
    (["--target", "telegram:nobody"], ["telegram:nobody", "not in the database"]),
    (["--target", "telegram:f"], ["telegram:f", "no stored audience"]),
    (["--target-members", "ids.csv"], ["--platform"]),
    (["--target", "telegram:a", "--platform", "vk"], ["no audience"]),
])
def test_audience_errors_are_one_line(db, args, words):
    one_line_error(invoke("audience", *args, "--db", db), *words)


# plan ---------------------------------------------------------------------------------------------
PRICES = "platform,handle,price,expected_reach\ntelegram,a,100,\ntelegram,b,100,\ntelegram,c,40,\n" \
         "telegram,d,100,5000\ntelegram,e,10,\ntelegram,@F,10,\n"


@pytest.fixture
def prices(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(PRICES, encoding="utf-8")
    return path


def test_plan_maximises_unique_audience_within_budget(db, prices, tmp_path):
    out = tmp_path / "plan.csv"
    result = invoke("plan", "--budget", "250", "--prices", prices, "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    rows = csv_rows(out)
    assert rows[0] == ["order", "platform", "handle", "price", "expected_reach", "new_unique_audience",
                       "cumulative_unique_audience", "cumulative_cost", "cost_per_1000_unique", "cpm"]
    plan = [dict(zip(rows[0], r)) for r in rows[1:]]
    # e (2 per 10), then b and d (10 per 100), then c's 3 new members for the last 40; a no longer fits
    assert [p["handle"] for p in plan] == ["e", "b", "d", "c"]
    assert [int(p["new_unique_audience"]) for p in plan] == [2, 10, 10, 3]
    assert float(plan[-1]["cumulative_cost"]) == 250 and plan[-1]["cumulative_unique_audience"] == "25"
    assert float(plan[0]["cost_per_1000_unique"]) == 5000
    # expected reach: median views (b: 40); the file's override (d); followers × the median rate 0.5 (c, e)
    assert [float(p["expected_reach"]) for p in plan] == [1, 40, 5000, 3]  # c: 5 × 0.5 = 2.5, rounded half up
    # what a thousand views cost: price × 1000 / expected_reach (e: 10 · 1000 / 1, d: 100 · 1000 / 5000)
    assert [float(p["cpm"]) for p in plan] == [10_000, 2_500, 20, pytest.approx(40_000 / 3, abs=0.01)]
    assert "top by score until the budget" in result.output and "top by followers until the budget" in result.output
    assert "telegram:f" in result.output  # priced, but no stored audience: said so


def test_plan_target_goal_and_xlsx(db, prices, tmp_path):
    out = tmp_path / "plan.xlsx"
    result = invoke("plan", "--budget", "250", "--prices", prices, "--target", "telegram:b", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Plan", "Comparison", "Metrics"]
    plan = [[c.value for c in row] for row in wb["Plan"].iter_rows(min_row=2)]
    # b is the target: never bought; a holds 5 of T's 10 (6–10), c, d and e none of them
    assert [(r[2], r[5]) for r in plan] == [("a", 5)]
    assert "1 priced target account(s) left out" in result.output
    assert wb["Comparison"]["A2"].value == "this plan"


def test_plan_from_xlsx_prices(db, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Platform", "Handle", "Price"])
    wb.active.append(["telegram", "d", 30])
    wb.active.append(["telegram", "a", 20.5])
    path = tmp_path / "prices.xlsx"
    wb.save(path)
    result = invoke("plan", "--budget", "50.5", "--prices", path, "--db", db)
    assert result.exit_code == 0, result.output
    assert "2 placement(s) costing 50.50 reach 20 distinct stored audience members" in result.output


@pytest.mark.parametrize("content, words", [
    ("platform,handle,price\ntelegram,a,abc\n", ["prices.csv row 2, column price", "'abc'"]),
    ("platform,handle,price\ntelegram,a,10\ntelegram,b,0\n", ["prices.csv row 3, column price", "positive"]),
    ("platform,handle,price\ntelegram,a,10\ntelegram,zz,5\n", ["prices.csv row 3", "telegram:zz"]),
    ("platform,handle,cost\ntelegram,a,10\n", ["prices.csv", "no column price"]),
    ("platform,handle,price\ntelegram,a,10\ntelegram,A,12\n", ["row 3", "listed twice", "row 2"]),
    ("platform,handle,price,expected_reach\ntelegram,a,10,lots\n", ["row 2, column expected_reach"]),
    ("platform,handle,price\ntelegram,,10\n", ["row 2, column handle", "empty"]),
    ("platform,handle,price\n", ["no placements"]),
])
def test_plan_bad_prices_are_one_line_errors(db, tmp_path, content, words):
    path = tmp_path / "prices.csv"
    path.write_text(content, encoding="utf-8")
    one_line_error(invoke("plan", "--budget", "100", "--prices", path, "--db", db), *words)


@pytest.mark.parametrize("args, words", [
    (["--budget", "0"], ["--budget"]),
    (["--budget", "-5"], ["--budget"]),
    (["--budget", "10", "--goal", "target"], ["--target"]),
    (["--budget", "10", "--goal", "unique", "--target", "telegram:a"], ["--goal target"]),
])
def test_plan_bad_options_are_one_line_errors(db, prices, args, words):
    one_line_error(invoke("plan", "--prices", prices, *args, "--db", db), *words)


def test_plan_prices_file_must_be_csv_or_xlsx(db, tmp_path):
    one_line_error(invoke("plan", "--budget", "10", "--prices", tmp_path / "p.txt", "--db", db), ".csv or .xlsx")


# export --target ----------------------------------------------------------------------------------
def test_export_adds_target_overlap_and_affinity(db, tmp_path):
    out = tmp_path / "shortlist.csv"
    result = invoke("export", out, "--target", "telegram:a", "--db", db)
    assert result.exit_code == 0, result.output
    rows = csv_rows(out)
    assert rows[0][-2:] == ["target_overlap", "affinity"]
    by_handle = {r[rows[0].index("handle")]: r for r in rows[1:]}
    assert by_handle["e"][-2] == "2" and float(by_handle["e"][-1]) == pytest.approx(270)
    assert by_handle["f"][-2:] == ["", ""]  # no stored audience: empty, not 0


def test_export_with_a_target_leaves_the_target_out(db, tmp_path):
    out = tmp_path / "short.csv"
    assert invoke("export", out, "--target", "telegram:b", "--db", db).exit_code == 0
    handles = [r[2] for r in csv_rows(out)[1:]]
    assert "b" not in handles and "a" in handles


def test_plan_reads_russian_excel_csv(db, tmp_path):
    path = tmp_path / "ru.csv"
    path.write_text("platform;handle;price\ntelegram;e;10\ntelegram;b;\"1 000,50\"\n", encoding="utf-8")
    result = invoke("plan", "--budget", "2000", "--prices", path, "--db", db)
    assert result.exit_code == 0, result.output
    assert "1,000.50" in result.output or "1000.50" in result.output


def test_plan_takes_budget_prices_and_targets_from_a_brief(db, prices, tmp_path):
    brief = tmp_path / "brief.toml"
    brief.write_text(f'name = "x"\nplatforms = ["telegram"]\ntargets = ["telegram:b"]\n[seeds]\ntelegram = ["abcde"]\n'
                     f'[budget]\namount = 250\nprices = "{prices.name}"\n', encoding="utf-8")
    result = invoke("plan", "--brief", brief, "--db", db)
    assert result.exit_code == 0, result.output
    assert "1 priced target account(s) left out" in result.output


def test_plan_without_budget_says_where_to_give_it(db, prices):
    one_line_error(invoke("plan", "--prices", prices, "--db", db), "--budget", "[budget] amount")
