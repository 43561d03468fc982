"""Exports and terminal output survive anything stored: control characters, formula-like names that a
spreadsheet could split into cells, escape sequences, and counts an older version stored as REAL."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

import pytest
from openpyxl import load_workbook

from conftest import invoke
from crawler.items import Account, Post
from crawler.store import Store

HOSTILE_NAMES = {
    "ctl_name": "Daily\x01 News\x02",
    "semicolon": "x;=cmd|' /C calc'!A0;",
    "comma": "Sale, =1+1 today",
    "tabbed": "left\t@SUM(1+1)",
    "escape": "\x1b]0;pwned\x07Title\x1b[2J",
    "rtl": "abc\u202etxt.exe",
}
TRIGGERS = ("=", "+", "-", "@")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("export_safety") / "s.db"
    with Store(str(path)) as store:
        store.write({
            "Account": [vars(Account("telegram", handle, name=name, followers=1000 + i))
                        for i, (handle, name) in enumerate(HOSTILE_NAMES.items())],
            "Post": [vars(Post("telegram", handle, str(n), views=100 * n, likes=n, text=f"post {n}"))
                     for handle in HOSTILE_NAMES for n in range(1, 4)],
        })
    # What an older pagescout could leave behind: a count stored as REAL, far beyond int64.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE accounts SET followers = 1e30 WHERE handle = 'comma'")
    conn.execute("UPDATE posts SET views = 2.5 WHERE account = 'rtl' AND post_id = '1'")
    conn.commit()
    conn.close()
    return path


def test_xlsx_export_strips_what_the_format_cannot_hold(db, tmp_path):
    out = tmp_path / "s.xlsx"
    result = invoke("export", out, "--db", db)
    assert result.exit_code == 0, result.output
    names = [c.value for c in load_workbook(out)["Shortlist"]["D"][1:]]
    assert "Daily News" in names
    assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", n or "") for n in names)
    assert [p.name for p in tmp_path.iterdir()] == ["s.xlsx"]  # no temporary file left behind


def cells_as_a_spreadsheet_splits_them(text: str) -> list[str]:
    """Every cell a spreadsheet could make of the CSV: read with "," or ";" as the separator, respecting
    quotes, and also split naively on any separator (a paste, or an importer that ignores quotes)."""
    cells = []
    for delimiter in (",", ";"):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            cells.extend(row)
    cells.extend(re.split(r"[,;\t\n]", text))
    return [c.strip().strip('"').strip() for c in cells]


def test_csv_cells_cannot_start_a_formula_whatever_the_separator(db, tmp_path):
    out = tmp_path / "s.csv"
    assert invoke("export", out, "--db", db).exit_code == 0
    text = out.read_bytes().decode("utf-8-sig")
    bad = [c for c in cells_as_a_spreadsheet_splits_them(text) if c.startswith(TRIGGERS) and not _number(c)]
    assert not bad, bad
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["handle"] for r in rows} == set(HOSTILE_NAMES)  # one row per page: no name started a new row


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_rank_prints_no_control_escape_or_bidi_characters(db):
    result = invoke("rank", "--db", db)
    assert result.exit_code == 0, result.output
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", result.output)
    assert "semicolon" in result.output and "escape" in result.output


def test_counts_stored_as_real_are_read_back_safely(db):
    result = invoke("rank", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"handle": "comma"' in result.output


def test_failed_export_leaves_no_temporary_file(db, tmp_path):
    taken = tmp_path / "taken.xlsx"
    taken.mkdir()  # the name is a folder: the final rename fails
    result = invoke("export", taken, "--db", db)
    assert result.exit_code == 2, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["taken.xlsx"]
