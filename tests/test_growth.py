"""Follower growth, spikes and the sparkline on fabricated snapshot series; ``pagescout history``."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from crawler.items import Account
from crawler.store import Store
from ranking.growth import growth, growth_table, sparkline, spike_text, spikes

START = date(2026, 7, 1)


def series(followers, platform="vk", account="club", start=START, step=1) -> pd.DataFrame:
    return pd.DataFrame({"platform": platform, "account": account,
                         "date": [start + timedelta(days=step * i) for i in range(len(followers))],
                         "followers": followers})


# growth -------------------------------------------------------------------------------------------------
def test_growth_against_the_snapshot_closest_to_30_and_90_days_back():
    snaps = series([1000 + 10 * i for i in range(120)])  # 120 days, +10 a day; latest 2190
    g = growth_table(snaps).loc[("vk", "club")]
    assert g["growth_30d"] == pytest.approx((2190 - 1890) / 1890)
    assert g["growth_90d"] == pytest.approx((2190 - 1290) / 1290)


def test_growth_uses_the_closest_snapshot_within_the_tolerance():
    snaps = pd.concat([series([1000], start=START), series([1100], start=START + timedelta(days=26)),
                       series([1500], start=START + timedelta(days=58))])
    # latest 58 days in; 30 days back is day 28: day 26 is the closest (2 days off, within 7.5)
    assert growth(snaps, 30).loc[("vk", "club")] == pytest.approx(400 / 1100)
    # 90 days back is before any snapshot: day 0 is 32 days off, more than 22.5 → no 90-day growth
    assert math.isnan(growth(snaps, 90).loc[("vk", "club")])


def test_growth_is_empty_without_history():
    assert math.isnan(growth(series([1000]), 30).loc[("vk", "club")])
    assert math.isnan(growth(series([1000, 1010, 1020]), 30).loc[("vk", "club")])  # 2 days of history
    assert growth(None, 30).empty
    assert math.isnan(growth(series([0] * 31 + [5]), 30).loc[("vk", "club")])  # from 0: no percentage


def test_growth_ignores_unknown_follower_counts():
    snaps = series([1000.0] + [np.nan] * 29 + [1200.0])
    assert growth(snaps, 30).loc[("vk", "club")] == pytest.approx(0.2)


# spikes -------------------------------------------------------------------------------------------------
def test_spike_found_in_a_steady_series():
    followers = [10_000 + 50 * i for i in range(30)]
    followers[20:] = [f + 4_200 for f in followers[20:]]  # bought followers between day 19 and day 20
    found = spikes(series(followers))
    assert len(found) == 1
    spike = found.iloc[0]
    assert spike["date"] == START + timedelta(days=20)
    assert spike["days"] == 1 and spike["before"] == 10_950 and spike["after"] == 15_200
    assert spike["trend"] == pytest.approx(50)
    assert spike["text"] == "+39% followers in 1 day"


def test_spike_over_two_days_and_its_wording():
    followers = [10_000, 10_020, 10_040, 14_056, 14_076, 14_096]
    snaps = series(followers[:3]).iloc[:3]
    later = series(followers[3:], start=START + timedelta(days=4))  # day 3 missing: a 2-day gap
    found = spikes(pd.concat([snaps, later]))
    assert found["text"].tolist() == ["+40% followers in 2 days"]
    assert spike_text(0.4, 1) == "+40% followers in 1 day"


def test_fast_but_steady_growth_is_no_spike():
    followers = [1000 * 1.12 ** i for i in range(20)]  # +12% a day, every day: the account's trend
    assert spikes(series(followers)).empty


def test_small_rises_drops_and_long_gaps_are_no_spikes():
    assert spikes(series([1000, 1050, 1040, 1060])).empty  # +5%: below the 10% bar
    assert spikes(series([1000, 1010, 500, 505])).empty  # a drop is not bought followers
    assert spikes(series([1000, 1010, 2000], step=30)).empty  # a month apart: cannot tell a spike from growth
    assert spikes(None).empty


def test_spikes_per_account():
    a = series([1000, 1010, 1020, 1600, 1610], account="a")
    b = series([1000, 1010, 1020, 1030, 1040], account="b")
    found = spikes(pd.concat([a, b]))
    assert found["handle"].tolist() == ["a"]


def test_sparkline():
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([0, np.nan, 10]) == "▁ █"
    assert sparkline([]) == ""


# pagescout history ----------------------------------------------------------------------------------------
runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "history.db"
    followers = [10_000 + 50 * i for i in range(100)]
    followers[80:] = [f + 4_000 for f in followers[80:]]
    start = date(2026, 8, 1)
    snapshots = [{"platform": "telegram", "account": "durov", "date": (start + timedelta(days=i)).isoformat(),
                  "followers": f} for i, f in enumerate(followers)]
    with Store(str(path)) as store:
        store.write({
            "Account": [asdict(Account("telegram", "durov", name="Durov", followers=followers[-1])),
                        asdict(Account("telegram", "fresh", name="Fresh", followers=10))],
            "Snapshot": snapshots,
        })
    return path


def test_history_prints_series_sparkline_growth_and_spikes(db):
    result = runner.invoke(app, ["history", "telegram:durov", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "telegram:durov followers, 100 snapshots 2026-08-01 … 2026-11-08"
    assert len(lines[1]) == 100 and set(lines[1]) <= set("▁▂▃▄▅▆▇█")
    assert lines[1][0] == "▁" and lines[1][-1] == "█"
    assert "2026-11-08        18,950" in lines
    assert "growth 30d: +40.9%   90d: +81.3%" in result.output  # 18,950 / 13,450 and 18,950 / 10,450
    assert "spike 2026-10-20: +29% followers in 1 day (13,950 → 18,000; trend +50 a day)" in result.output


def test_history_without_snapshots(db):
    result = runner.invoke(app, ["history", "telegram:fresh", "--db", str(db)])
    assert result.exit_code == 0
    assert "no follower snapshots stored yet" in result.output


def test_history_accepts_the_handle_as_written_elsewhere(db):
    assert runner.invoke(app, ["history", "Telegram:@Durov", "--db", str(db)]).exit_code == 0


@pytest.mark.parametrize("account, words", [
    ("telegram:nobody", ["telegram:nobody", "not in the database"]),
    ("durov", ["platform:handle"]),
    ("myspace:durov", ["myspace", "telegram"]),
])
def test_history_errors_are_one_line_exit_2(db, account, words):
    result = runner.invoke(app, ["history", account, "--db", str(db)])
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert len(text.splitlines()) == 1 and "Traceback" not in text, text
    for word in words:
        assert word in text


def test_history_missing_database(tmp_path):
    result = runner.invoke(app, ["history", "telegram:durov", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no database" in result.output
