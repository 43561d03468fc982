"""The shortlist's .xlsx carries a native Excel scatter of reach against engagement on its *Chart* sheet,
drawn from a table of the points on that sheet: median views where a page shows them, followers (a
series of its own) where it does not, and no page without both figures."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.chart import ScatterChart
from openpyxl.utils.cell import range_boundaries

from ranking.shortlist import SHORTLIST_COLUMNS
from sheets.writers import write_shortlist

NAN = math.nan
HOSTILE = '=HYPERLINK("http://x")'
PAGES = pd.DataFrame({  # rank, platform, handle, name, followers, median_views, er_views, er_followers
    "rank": [1, 2, 3, 4, 5, 6],
    "platform": ["telegram", "vk", "telegram", "mastodon", "vk", "telegram"],
    "handle": ["viewed", "hostile", "no_rate", "followed", "zero_views", "viewed_too"],
    "name": ["Viewed", HOSTILE, "No rate", "Followed", "Zero views", "Viewed too"],
    "followers": [10_000, 5_000, 8_000, 700, 900, 40_000],
    "median_views": [3_000, 1_200, 2_000, NAN, 0, 25_000],
    "er_views": [0.05, 0.04, NAN, NAN, 0.1, 0.012],
    "er_followers": [0.015, 0.01, 0.02, 0.03, 0.2, 0.0075],
}).reindex(columns=list(SHORTLIST_COLUMNS))  # the columns ranked_pages hands write_shortlist, the rest empty


def export(tmp_path, table: pd.DataFrame = PAGES, suffix: str = ".xlsx"):
    out = tmp_path / f"shortlist{suffix}"
    write_shortlist(out, table)
    return out


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_workbook(export(tmp_path_factory.mktemp("chart")))


def the_chart(book) -> ScatterChart:
    charts = book["Chart"]._charts
    assert len(charts) == 1 and isinstance(charts[0], ScatterChart)
    return charts[0]


def values_at(book, ref: str) -> list:
    """The cells a chart reference such as 'Chart'!$E$2:$E$4 names, as a spreadsheet reads them."""
    sheet, cells = ref.rsplit("!", 1)
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    ws = book[sheet.strip("'")]
    return [ws.cell(row=r, column=c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def plotted(book) -> dict[str, list[tuple]]:
    return {s.tx.v: list(zip(values_at(book, s.xVal.numRef.f), values_at(book, s.yVal.numRef.f)))
            for s in the_chart(book).series}


def test_the_chart_sheet_follows_top_posts_and_holds_one_scatter(book):
    assert book.sheetnames == ["Shortlist", "Top posts", "Chart", "Metrics"]
    chart = the_chart(book)
    assert chart.x_axis.scaling.logBase == 10
    assert chart.y_axis.number_format.formatCode.endswith("%")
    assert chart.title is not None and chart.x_axis.title is not None and chart.y_axis.title is not None
    anchor = chart.anchor  # as a reader finds it: the top-left cell and the size in EMU (360 000 a cm)
    assert anchor._from.col > 6  # beside the table's seven columns, not over them
    assert (anchor.ext.width / 360_000, anchor.ext.height / 360_000) == (24, 14)


def test_views_and_followers_are_two_series_of_real_cells(book):
    # no_rate (no er_views), followers-less zero_views (median views 0 on a log axis) are left out
    assert plotted(book) == {
        "median views": [(3_000, 0.05), (1_200, 0.04), (25_000, 0.012)],
        "followers (no views shown)": [(700, 0.03)],
    }


def test_the_points_are_markers_without_lines(book):
    for series in the_chart(book).series:
        assert series.graphicalProperties.line.noFill
        assert series.marker.symbol == "circle"


def test_the_table_names_each_point_and_its_series(book):
    rows = list(book["Chart"].iter_rows(min_row=1, max_col=7, values_only=True))
    assert rows[0] == ("rank", "platform", "handle", "name", "x", "y", "series")
    assert [(r[0], r[2], r[6]) for r in rows[1:] if r[0] is not None] == [
        (1, "viewed", "median views"), (2, "hostile", "median views"), (6, "viewed_too", "median views"),
        (4, "followed", "followers (no views shown)")]
    assert book["Chart"]["F2"].number_format.endswith("%")


def test_a_name_that_looks_like_a_formula_is_text(book):
    cell = next(c for c in book["Chart"]["D"] if c.value == HOSTILE)
    assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("table", [PAGES.iloc[0:0], PAGES.assign(er_views=NAN, er_followers=NAN)],
                         ids=["no pages", "no page with both figures"])
def test_nothing_to_plot_says_so_without_a_chart(tmp_path, table):
    ws = load_workbook(export(tmp_path, table))["Chart"]
    assert ws._charts == []
    assert ws["A1"].value.startswith("Nothing to plot")
    assert ws.max_row == 1


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_csv_and_json_hold_only_the_shortlist(tmp_path, suffix):
    out = export(tmp_path, suffix=suffix)
    read = pd.read_csv(out, encoding="utf-8-sig") if suffix == ".csv" else pd.DataFrame(json.loads(out.read_text()))
    assert list(read.columns) == list(SHORTLIST_COLUMNS) and len(read) == len(PAGES)
