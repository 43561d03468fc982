"""The demo database (crawler.demo.build_demo): both bundled samples crawled from 127.0.0.1, a gather and past
follower counts, built once in a fresh process, then looked at the way a newcomer would, command by command."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

from conftest import REPO, invoke, rows

SAMPLE = json.loads((REPO / "data" / "sample" / "mastodon.json").read_text(encoding="utf-8"))
TOUR = SAMPLE["tour"]
HOST = "127.0.0.1"
BUILD = """
import json, sys
from dataclasses import asdict
from pathlib import Path
from crawler.demo import build_demo
summary = build_demo(Path(sys.argv[1]), lambda line: print(line, file=sys.stderr))
print(json.dumps(asdict(summary), default=str))
"""


def page(user: str) -> str:
    return f"mastodon:{user}@{HOST}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = subprocess.run([sys.executable, "-c", BUILD, str(db)], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return db, summary, result.stderr


def out_json(tmp_path, *args):
    out = tmp_path / "out.json"
    result = invoke(*args, "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result.output


def test_the_demo_builds_and_says_what_it_crawled(demo):
    db, summary, said = demo
    assert summary["exit_code"] == 0
    assert summary["target"] == page(TOUR["target"])
    lines = "\n".join(summary["lines"])
    assert "telegram: crawl finished" in lines and "mastodon: crawl finished" in lines
    assert "audience hidden: marathon_prep@127.0.0.1" in lines
    assert "stand-in for pagescout refresh" in said


def test_the_deleted_page_is_recorded_unavailable(demo):
    db, summary, _ = demo
    assert rows(db, "SELECT status, reason FROM accounts WHERE handle = 'old_runclub@127.0.0.1'") == [
        ("unavailable", "not found (HTTP 404: Record not found)")]
    assert "mastodon: unavailable: old_runclub@127.0.0.1: not found (HTTP 404: Record not found)" in summary["lines"]


def test_every_suggested_command_gives_output(demo):
    db, summary, _ = demo
    assert len(summary["try_commands"]) >= 8
    for command in summary["try_commands"]:
        args = shlex.split(command)[1:]
        args[args.index("--db") + 1] = str(db)
        result = invoke(*args)
        assert result.exit_code == 0, (command, result.output)
        assert len(result.output.splitlines()) >= 3, (command, result.output)


def test_overlap_shares_members_between_pages(demo, tmp_path):
    db, *_ = demo
    accounts = [page(user) for user in TOUR["overlap"]]
    matrix, _ = out_json(tmp_path, "overlap", *accounts, "--metric", "shared", "--db", db)
    shared = {(row["account"], other): row[other] for row in matrix for other in accounts if other != row["account"]}
    assert all(count > 0 for count in shared.values())
    # runners share more with each other than with the food page
    run, coach, food = page("run_piter"), page("coach_dima"), page("pp_kitchen")
    assert shared[run, coach] > 3 * shared[run, food]


def test_audience_ranks_pages_by_affinity_with_the_target(demo, tmp_path):
    db, *_ = demo
    table, _ = out_json(tmp_path, "audience", "--target", page(TOUR["target"]), "--db", db)
    affinity = {row["handle"].split("@")[0]: row["affinity"] for row in table}
    assert TOUR["target"] not in affinity
    assert affinity["coach_dima"] > 200 > affinity["pp_kitchen"]
    assert table == sorted(table, key=lambda row: -row["affinity"])


def test_the_plan_buys_placements_within_the_budget(demo, tmp_path):
    db, *_ = demo
    plan, output = out_json(tmp_path, "plan", "--budget", TOUR["budget"], "--prices",
                            REPO / "data" / "sample" / "prices.csv", "--db", db)
    assert len(plan) >= 2
    assert plan[-1]["cumulative_cost"] <= TOUR["budget"]
    assert plan[-1]["cumulative_unique_audience"] == sum(row["new_unique_audience"] for row in plan)
    assert "top by followers until the budget" in output


def test_similar_finds_lookalikes(demo, tmp_path):
    db, *_ = demo
    table, _ = out_json(tmp_path, "similar", page(TOUR["target"]), "--top", "5", "--db", db)
    assert len(table) >= 3
    assert {row["handle"].split("@")[0] for row in table[:3]} <= {"coach_dima", "trail_masha", "yoga_lotos",
                                                                   "marathon_prep", "run_gear_reviews"}


def test_history_shows_growth_and_the_bought_followers(demo):
    db, *_ = demo
    result = invoke("history", page(TOUR["history"]), "--db", db)
    assert result.exit_code == 0, result.output
    assert "91 snapshots" in result.output
    growth = next(line for line in result.output.splitlines() if line.startswith("growth 30d:"))
    assert "%" in growth and "90d: +" in growth
    assert "spike" in result.output and "followers in 1 day" in result.output


def test_the_gather_kept_pages_the_crawl_never_linked_to(demo):
    from crawler.store import load_gather
    from ranking.gather import gathered_pages

    db, summary, _ = demo
    table = gathered_pages(load_gather(str(db), "mastodon", summary["gather_run"]))
    kept = {handle.split("@")[0] for handle in table["handle"]}
    assert table.attrs["summary"]["finished"] and table.attrs["summary"]["members_sampled"] > 200
    assert {"sport_photo_spb", "physio_olga", "run_gear_reviews"} <= kept  # only follow lists find these
    assert {"coach_dima", "trail_masha"} <= kept and TOUR["target"] not in kept


def test_ads_lists_the_ad_posts(demo, tmp_path):
    db, *_ = demo
    table, _ = out_json(tmp_path, "ads", "--platform", "mastodon", "--db", db)
    advertised = {row["account"].split("@")[0] for row in table}
    assert len(table) >= 10 and {"pp_kitchen", "piter_afisha", "mega_giveaway"} <= advertised
    assert not advertised & {"run_piter", "spb_walks", "coffee_notes"}  # spb_walks only talks about ads
    assert {row["ad_marker"] for row in table} >= {"erid token", "#реклама", "«на правах рекламы»"}


def test_rank_shows_bot_shares_with_their_intervals(demo):
    db, *_ = demo
    result = invoke("rank", "--platform", "mastodon", "--format", "json", "--top", "50", "--db", db)
    assert result.exit_code == 0, result.output
    by_page = {row["handle"].split("@")[0]: row for row in json.loads(result.output)}
    crawled = [user for user, account in SAMPLE["accounts"].items() if account.get("page") and "history" in account]
    for user in crawled:
        row = by_page[user]
        assert row["bot_share_low"] <= row["bot_share"] <= row["bot_share_high"], user
        assert row["growth_90d"] is not None, user
    assert by_page["mega_giveaway"]["bot_share"] > 0.5 and by_page["piter_afisha"]["bot_share_low"] > 0.25
    assert sum(by_page[user]["bot_share"] < 0.05 for user in crawled) >= 8


def test_every_sample_post_is_old_enough_to_score(demo):
    db, *_ = demo
    result = invoke("posts", page(TOUR["target"]), "--db", db)
    assert result.exit_code == 0, result.output
    assert "under 48 hours old" not in result.output
