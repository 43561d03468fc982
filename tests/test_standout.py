"""Standout posts (CrowdTangle's overperforming score) against hand-computed values: the ±15-post
baseline, the 48-hour exclusion, interactions where a page shows no views, the export's columns, the
XLSX's Top posts sheet and ``pagescout posts``."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import run_cli
from crawler.sample_site import SampleTelegram
from ranking.standout import overperformance, standout_columns

NOW = pd.Timestamp("2026-03-01", tz="UTC")


def page(views, likes=None, start="2026-01-01"):
    n = len(views)
    return pd.DataFrame({"platform": "telegram", "account": "a", "post_id": [str(i) for i in range(n)],
                         "published_at": pd.date_range(start, periods=n, freq="D", tz="UTC"), "views": views,
                         "likes": likes if likes is not None else [None] * n, "comments": None, "reposts": None})


def test_the_baseline_is_the_median_of_the_15_posts_either_side_without_the_post():
    views = list(range(100, 140))  # 40 posts, views 100 … 139
    scored = overperformance(page(views), NOW)
    i = 20  # neighbours 5 … 35 without 20: 30 values, median (119 + 121) / 2 = 120
    window = [v for j, v in enumerate(views) if abs(j - i) <= 15 and j != i]
    assert scored.loc[i, "expected"] == np.median(window) == 120
    assert scored.loc[i, "overperformance"] == 1.0  # 120 / 120
    j = 35  # neighbours 20 … 39 without 35: median 129.5 below its 135 views
    near = [v for k, v in enumerate(views) if abs(k - j) <= 15 and k != j]
    assert scored.loc[j, "overperformance"] == round(views[j] / np.median(near), 2)
    first = [v for j, v in enumerate(views) if 0 < j <= 15]  # the first post: only the 15 after it
    assert scored.loc[0, "expected"] == np.median(first)


def test_underperformance_is_minus_expected_over_actual():
    scored = overperformance(page([100, 100, 25, 100, 100]), NOW)
    assert scored["overperformance"].tolist() == [1.0, 1.0, -4.0, 1.0, 1.0]


def test_posts_under_48_hours_old_are_neither_scored_nor_a_baseline():
    now = pd.Timestamp("2026-01-05 12:00", tz="UTC")  # posts of Jan 4 and 5 are younger than 48 hours
    scored = overperformance(page([100, 100, 100, 9000, 9000]), now)
    assert scored["post_id"].tolist() == ["0", "1", "2"]
    assert scored.attrs["young"] == 2
    assert scored["expected"].tolist() == [100, 100, 100]  # the young hits are no one's baseline


def test_a_page_without_views_is_measured_by_interactions():
    scored = overperformance(page([None] * 5, likes=[10, 10, 40, 10, 10]), NOW)
    assert set(scored["measured_by"]) == {"interactions"}
    assert scored["overperformance"].tolist() == [1.0, 1.0, 4.0, 1.0, 1.0]


def test_standout_posts_and_rate():
    scored = overperformance(page([100, 100, 400, 100, 250, 100]), NOW)
    row = standout_columns(scored).loc[("telegram", "a")]
    assert row["standout_posts"] == 2 and row["standout_rate"] == pytest.approx(2 / 6)  # 4.0 and 2.5


# through the crawl, the export and pagescout posts ---------------------------------------------------------
def channel():
    """10 posts a day apart ending 5 days before the crawl; post 4 has 5× the views, post 8 is an ad at 3×;
    plus two posts of the last day, still young."""
    today = datetime.now(timezone.utc).replace(microsecond=0)
    views = {4: 500, 8: 300}
    posts = [{"id": n, "date": (today - timedelta(days=15 - n)).isoformat(), "views": views.get(n, 100),
              "text": "Скидки!\n#реклама" if n == 8 else f"пост {n}"} for n in range(1, 11)]
    posts += [{"id": 11, "date": (today - timedelta(hours=3)).isoformat(), "views": 20, "text": "свежий"},
              {"id": 12, "date": (today - timedelta(hours=1)).isoformat(), "views": 5, "text": "совсем свежий"}]
    return {"page_size": 20, "channels": {"hits": {"title": "Hits", "subscribers": 3000, "posts": posts}}}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("standout")
    with SampleTelegram(channel()) as server:
        result = run_cli("crawl", "telegram", "hits", "--base-url", server.url, "--delay", "0", "--quiet",
                         "--db", str(folder / "s.db"))
    assert result.returncode == 0, result.stderr
    return folder


def test_the_export_counts_standout_posts(crawled):
    result = run_cli("export", str(crawled / "out.csv"), "--db", str(crawled / "s.db"))
    assert result.returncode == 0, result.stderr
    with (crawled / "out.csv").open(newline="", encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert int(row["standout_posts"]) == 2  # posts 4 (5.0) and 8 (3.0) of the 10 old enough
    assert float(row["standout_rate"].rstrip("%")) / (100 if row["standout_rate"].endswith("%") else 1) == \
        pytest.approx(0.2)
    assert "2 posts under 48 hours old" in result.stderr


def test_the_xlsx_has_each_pages_three_best_posts(crawled):
    result = run_cli("export", str(crawled / "out.xlsx"), "--db", str(crawled / "s.db"))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(crawled / "out.xlsx")["Top posts"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [r[2] for r in rows][:2] == ["https://t.me/hits/4", "https://t.me/hits/8"] and len(rows) == 3
    assert [r[6] for r in rows][:2] == [5.0, 3.0] and [r[7] for r in rows][:2] == ["no", "yes"]
    assert sheet.cell(row=2, column=3).hyperlink.target == "https://t.me/hits/4"


def test_pagescout_posts_prints_the_best_first(crawled):
    result = run_cli("posts", "telegram:hits", "--top", "2", "--out", str(crawled / "posts.json"),
                     "--db", str(crawled / "s.db"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[1].split()[0] == "4" and "+5.00" in lines[1] and lines[2].split()[0] == "8"
    assert "2 posts under 48 hours old left out" in result.stderr
    table = pd.read_json(crawled / "posts.json")
    assert table["overperformance"].tolist() == [5.0, 3.0]


def test_pagescout_posts_of_an_unknown_page_is_one_line(crawled):
    result = run_cli("posts", "telegram:nobody_here", "--db", str(crawled / "s.db"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_a_post_young_at_the_crawl_stays_young_when_ranked_days_later():
    crawl = pd.Timestamp("2026-01-10 12:00", tz="UTC")
    posts = page([100] * 8 + [5, 5], start="2026-01-01")  # the last two of Jan 9 and 10: under 48 h at the crawl
    accounts = pd.DataFrame({"platform": ["telegram"], "handle": ["a"], "fetched_at": [crawl]})
    scored = overperformance(posts, crawl + pd.Timedelta(days=7), accounts)
    assert scored.attrs["young"] == 2 and len(scored) == 8
    assert (scored["overperformance"] == 1.0).all()  # the two young posts drag no one down


def test_top_posts_are_each_pages_three_best_in_the_pages_order():
    from ranking.standout import top_posts

    scored = pd.DataFrame({"platform": "vk", "account": ["a"] * 5 + ["b"] * 2, "post_id": list("1234567"),
                           "overperformance": [1.0, 4.0, -2.0, 3.0, 2.0, 1.5, None]})
    best = top_posts(scored, pd.DataFrame({"platform": ["vk", "vk"], "handle": ["b", "a"]}))
    assert list(best["post_id"]) == ["6", "2", "4", "5"]  # b's one scored post, then a's three best
