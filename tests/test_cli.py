"""The command line as a user meets it: crawl → rank → export, help, and one-line errors."""

from __future__ import annotations

import csv
import importlib
import io
import json
import pkgutil
import re
import sqlite3

import pytest
from openpyxl import load_workbook

import crawler.spiders
from conftest import REPO, invoke, one_line_error, run_cli
from crawler.basespider import PlatformSpider
from crawler.sample_site import SampleTelegram


EVIL = {
    "evil_title": "=HYPERLINK(\"http://evil.example\",\"click\")",
    "plus_title": "+cmd|' /C calc'!A0",
    "at_title": "@SUM(1+1)",
}


def site_spec():
    channels = {}
    for i, (handle, title) in enumerate({"good_channel": "Хороший канал", **EVIL}.items()):
        posts = [{"id": n, "date": f"2026-10-{n:02d}T10:00:00+00:00", "text": f"пост {n} @good_channel",
                  "views": 1000 * (i + 1) + n, "reactions": {"👍": 10 * (i + 1)}} for n in range(1, 6)]
        channels[handle] = {"title": title, "subscribers": 10_000 * (i + 1), "posts": posts}
    return {"page_size": 20, "channels": channels}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "cli.db"
    with SampleTelegram(site_spec()) as site:
        result = run_cli("crawl", "telegram", *site_spec()["channels"], "--base-url", site.url, "--delay", "0",
                         "--quiet", "--db", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_rank_prints_table_best_first(db):
    result = invoke("rank", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["rank", "platform", "handle"]
    assert lines[1].split()[:3] == ["1", "telegram", "at_title"]  # most views, followers and reactions


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_rank_formats(db, fmt):
    result = invoke("rank", "--db", db, "--format", fmt, "--top", "2")
    assert result.exit_code == 0
    if fmt == "json":
        assert [r["rank"] for r in json.loads(result.output)] == [1, 2]
    else:
        assert len(list(csv.DictReader(io.StringIO(result.output)))) == 2


def test_export_xlsx_values_match_the_database(db, tmp_path):
    out = tmp_path / "shortlist.xlsx"
    result = invoke("export", out, "--db", db)
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["Shortlist"]
    header = [c.value for c in ws[1]]
    assert header[:14] == ["rank", "platform", "handle", "name", "url", "followers", "posts", "posts_per_week",
                           "median_views", "reach_rate", "er_views", "er_followers", "citations", "score"]
    rows = {r[2]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    conn = sqlite3.connect(db)
    followers = dict(conn.execute("SELECT handle, followers FROM accounts"))
    views = [v for (v,) in conn.execute("SELECT views FROM posts WHERE account='good_channel' ORDER BY views")]
    good = rows["good_channel"]
    assert good["followers"] == followers["good_channel"] == 10_000
    assert good["median_views"] == views[2]
    assert good["reach_rate"] == pytest.approx(views[2] / 10_000)
    assert good["er_views"] == pytest.approx(sorted(10 / v for v in views)[2])
    assert good["citations"] == 3  # mentioned by the three other channels
    assert sorted(r["rank"] for r in rows.values()) == [1, 2, 3, 4]


def test_export_xlsx_is_a_usable_spreadsheet(db, tmp_path):
    out = tmp_path / "shortlist.xlsx"
    invoke("export", out, "--db", db)
    wb = load_workbook(out)
    ws = wb["Shortlist"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=ws.max_column).column_letter}5"
    header = [c.value for c in ws[1]]
    rate = ws.cell(row=2, column=header.index("reach_rate") + 1)
    assert rate.number_format == "0.00%"
    url = ws.cell(row=2, column=header.index("url") + 1)
    assert url.hyperlink.target == url.value and url.value.startswith("https://t.me/")
    assert ws.column_dimensions["D"].width >= len("Хороший канал")
    explained = {row[0]: row[1] for row in wb["Metrics"].iter_rows(min_row=2, values_only=True)}
    assert "median views / followers" in explained["reach_rate"]


def test_formula_injection_neutralised_in_xlsx(db, tmp_path):
    out = tmp_path / "shortlist.xlsx"
    invoke("export", out, "--db", db)
    ws = load_workbook(out)["Shortlist"]
    names = {c.value: c for c in ws["D"][1:]}
    for title in EVIL.values():
        cell = names[title]  # the text survives unchanged…
        assert cell.data_type == "s" and cell.quotePrefix  # …as text that is never evaluated
    with open(out, "rb") as f:
        assert b"<f>" not in f.read()


def test_formula_injection_neutralised_in_csv_with_bom(db, tmp_path):
    out = tmp_path / "shortlist.csv"
    assert invoke("export", out, "--db", db).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    names = {r["name"] for r in rows}
    assert "Хороший канал" in names
    for title in EVIL.values():
        assert "'" + title in names and title not in names


def test_export_json(db, tmp_path):
    out = tmp_path / "shortlist.json"
    assert invoke("export", out, "--db", db, "--top", "3").exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["rank"] for r in data] == [1, 2, 3]
    assert data[0]["platform"] == "telegram"


# errors: one line, exit 2, nothing changed -----------------------------------------------------------

def test_export_unknown_extension(db, tmp_path):
    one_line_error(invoke("export", tmp_path / "x.docx", "--db", db), ".xlsx", "x.docx")


def test_export_to_missing_folder(db, tmp_path):
    one_line_error(invoke("export", tmp_path / "no" / "x.csv", "--db", db), "does not exist")


def test_export_keeps_old_file_when_it_fails(db, tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old")
    one_line_error(invoke("export", out, "--db", tmp_path / "missing.db"), "no database")
    assert out.read_text() == "old"


def test_unknown_platform(db):
    one_line_error(invoke("rank", "--db", db, "--platform", "myspace"), "myspace", "telegram")


def test_foreign_database_left_untouched(tmp_path):
    path = tmp_path / "other.db"
    path.write_bytes(b"PK\x03\x04 not a database")
    one_line_error(invoke("rank", "--db", path), "not a SQLite database")
    assert path.read_bytes() == b"PK\x03\x04 not a database"


def test_malformed_handle_before_any_request(tmp_path):
    result = run_cli("crawl", "telegram", "good_one", "not a handle!", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: 'not a handle!' is not a public Telegram channel: use its username (durov), @durov or https://t.me/durov"]
    assert not (tmp_path / "x.db").exists()


def test_unknown_crawl_platform_exits_2():
    assert invoke("crawl", "myspace", "x").exit_code == 2


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and re.match(r"pagescout \d+\.\d+", result.output)


def test_spider_naming_rule():
    """crawler/spiders/<platform>.py holds <Platform>Spider whose name is the file name."""
    found = 0
    for module_info in pkgutil.iter_modules(crawler.spiders.__path__):
        module = importlib.import_module(f"crawler.spiders.{module_info.name}")
        spiders = [obj for obj in vars(module).values() if isinstance(obj, type) and issubclass(obj, PlatformSpider)
                   and obj is not PlatformSpider and obj.__module__ == module.__name__]
        assert [s.__name__ for s in spiders] == [module_info.name.capitalize() + "Spider"]
        assert spiders[0].name == spiders[0].platform == module_info.name
        found += 1
    assert found >= 1


def test_demo_runs_offline_and_writes_the_shortlist(tmp_path):
    out = tmp_path / "demo" / "shortlist.xlsx"
    result = run_cli("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "unavailable: old_marathon_news: not found (HTTP 404)" in result.stderr
    assert "linked usernames without a channel preview: 1" in result.stderr  # closed_coaching
    ws = load_workbook(out)["Shortlist"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    handles = [row[2] for row in rows if row[1] == "telegram"]
    spec = json.loads((REPO / "data" / "sample" / "telegram.json").read_text(encoding="utf-8"))
    reachable = {h for h, c in spec["channels"].items() if c.get("status", "ok") == "ok"}
    assert set(handles) == reachable and {row[1] for row in rows} == {"telegram", "mastodon"}
    assert rows[0][2] in result.stdout.splitlines()[1]
    formula_like = [c for c in ws["D"][1:] if c.value.startswith(("=", "+", "-", "@"))]
    assert formula_like and all(c.data_type == "s" and c.quotePrefix for c in formula_like)
    report = (out.parent / "report.html").read_text(encoding="utf-8")
    assert report.count("<tr data-platform=\"telegram\"") == len(handles)  # every ranked channel, in the report too


def test_exports_are_readable_by_others(db, tmp_path):
    out = tmp_path / "shared.xlsx"
    invoke("export", out, "--db", db)
    assert out.stat().st_mode & 0o044 == 0o044


def test_rank_of_a_platform_without_pages_says_what_the_database_has(db):
    result = invoke("rank", "--platform", "vk", "--db", db)
    assert result.exit_code == 0
    assert "no vk pages to rank (the database has telegram)" in result.output

