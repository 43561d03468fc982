"""What a placement costs: price, CPM and CPE in the export (``--prices``) and CPM in the plan, computed by
hand, with the empty cases: no price, no views, no interactions."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from conftest import run_cli
from crawler.sample_site import SampleTelegram
from ranking.money import money_columns


def test_cpm_from_the_files_reach_else_median_views_else_followers_times_the_platform_rate():
    table = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c", "d"], "followers": [1000, 500, 2000, 100],
                          "median_views": [300.0, 50.0, None, None], "reach_rate": [0.3, 0.1, None, None]})
    prices = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c"], "price": [30.0, 10.0, 80.0],
                           "expected_reach": [None, 1000.0, None]})
    found = money_columns(table, prices, posts=None)
    # a: 30 · 1000 / 300; b: the file's 1000; c: 2000 × median(0.3, 0.1) = 400; d: no price
    assert found["cpm"].tolist()[:3] == [100.0, 10.0, 200.0]
    assert found.loc[3].isna().all()


def test_cpe_is_the_price_over_median_interactions_and_empty_without_them():
    table = pd.DataFrame({"platform": "telegram", "handle": ["a", "b"], "followers": [1000, 1000],
                          "median_views": [500.0, 500.0], "reach_rate": [0.5, 0.5]})
    prices = pd.DataFrame({"platform": "telegram", "handle": ["a", "b"], "price": [50.0, 50.0],
                           "expected_reach": None})
    posts = pd.DataFrame({"platform": "telegram", "account": ["a", "a", "a", "a", "b"],
                          "likes": [10, 20, 30, 1000, None], "comments": None, "reposts": None,
                          "kind": ["post", "post", "post", "reply", "post"]})
    found = money_columns(table, prices, posts)
    assert found["cpe"].iloc[0] == pytest.approx(50 / 20)  # median of 10, 20, 30: the reply left out
    assert pd.isna(found["cpe"].iloc[1])  # no interactions shown: no cost per interaction


def channels():
    """shop_a: views 100…500, reactions 10…50; shop_b: views 1000 each, no reactions shown."""
    a = [{"id": n, "date": f"2026-11-0{n}T10:00:00+00:00", "views": 100 * n, "text": f"пост {n}",
          "reactions": {"👍": 10 * n}} for n in range(1, 6)]
    b = [{"id": n, "date": f"2026-11-0{n}T10:00:00+00:00", "views": 1000, "text": f"пост {n}"} for n in range(1, 6)]
    return {"page_size": 20, "channels": {"shop_a": {"title": "A", "subscribers": 2000, "posts": a},
                                          "shop_b": {"title": "B", "subscribers": 9000, "posts": b},
                                          "shop_c": {"title": "C", "subscribers": 500, "posts": b[:2]}}}


def test_export_with_prices_adds_price_cpm_and_cpe(tmp_path):
    db = tmp_path / "m.db"
    with SampleTelegram(channels()) as server:
        crawl = run_cli("crawl", "telegram", "shop_a", "shop_b", "shop_c", "--base-url", server.url, "--delay", "0",
                        "--quiet", "--db", str(db))
    assert crawl.returncode == 0, crawl.stderr
    (tmp_path / "prices.csv").write_text("platform,handle,price,expected_reach\n"
                                         "telegram,shop_a,60,\ntelegram,shop_b,90,4500\n")
    export = run_cli("export", str(tmp_path / "out.csv"), "--prices", str(tmp_path / "prices.csv"), "--db", str(db))
    assert export.returncode == 0, export.stderr
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8-sig") as f:
        table = {row["handle"]: row for row in csv.DictReader(f)}
    assert float(table["shop_a"]["cpm"]) == pytest.approx(60 * 1000 / 300)  # median views 300
    assert float(table["shop_a"]["cpe"]) == pytest.approx(60 / 30)  # median reactions 30
    assert float(table["shop_b"]["cpm"]) == pytest.approx(90 * 1000 / 4500)  # the file's expected_reach
    assert table["shop_b"]["cpe"] == ""  # no reactions shown: unknown, not free
    assert table["shop_c"]["price"] == table["shop_c"]["cpm"] == table["shop_c"]["cpe"] == ""  # no price made up


def test_a_price_for_a_page_not_stored_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "m.db"
    with SampleTelegram(channels()) as server:
        run_cli("crawl", "telegram", "shop_a", "--base-url", server.url, "--delay", "0", "--quiet", "--db", str(db))
    (tmp_path / "prices.csv").write_text("platform,handle,price\ntelegram,nobody_here,60\n")
    export = run_cli("export", str(tmp_path / "out.csv"), "--prices", str(tmp_path / "prices.csv"), "--db", str(db))
    assert export.returncode == 2 and "prices.csv row 2" in export.stderr
    assert len(export.stderr.strip().splitlines()) == 1 and not (tmp_path / "out.csv").exists()
