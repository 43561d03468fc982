"""``pagescout report``: what each chart is given (computed by hand on small frames), both languages'
labels, escaping of what strangers wrote, missing figures as "—", the size bound and one-line errors.
The browser checks are in test_report_browser.py."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import invoke, one_line_error
from ranking.frames import Frames
from ranking.report import community_map, follower_points, plan_curve, post_points, temperature_parts
from sheets.report import Report, page_rows, render_report
from sheets.report_text import LABELS

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "import"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>window.pwned=1</script>"


def hostile_database(folder: Path) -> Path:
    """The bundled Instagram import sample, its two biggest pages renamed by an attacker, with prices."""
    db = folder / "hostile.db"
    accounts = pd.read_csv(SAMPLES / "instagram_accounts.csv", dtype=str)
    accounts.loc[0, "name"], accounts.loc[1, "name"] = IMG, SCRIPT
    accounts.loc[2, "bio"] = "<b>bold</b> & \"quoted\""
    accounts.to_csv(folder / "accounts.csv", index=False)
    for path in (folder / "accounts.csv", SAMPLES / "instagram_posts.csv", SAMPLES / "instagram_audience.csv"):
        assert invoke("import", "instagram", path, "--db", db).exit_code == 0
    (folder / "prices.csv").write_text("platform,handle,price\ninstagram,fit_with_anna,300\n"
                                       "instagram,runclub_msk,100\ninstagram,healthy_plate,50\n", encoding="utf-8")
    return db


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    db = hostile_database(folder)
    out = folder / "report.html"
    result = invoke("report", out, "--db", db, "--prices", folder / "prices.csv", "--budget", "400")
    assert result.exit_code == 0, result.output
    return folder, db, out, out.read_text(encoding="utf-8")


def chart_specs(html: str) -> list[dict]:
    return [json.loads(block) for block in re.findall(r'<script type="application/json" id="spec-\d+">(.*?)</script>',
                                                      html, flags=re.S)]


def values_of(node, key: str):
    """Every value of ``key`` anywhere in a chart specification (its rows are inline)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            yield from values_of(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from values_of(item, key)


def test_the_report_says_what_it_wrote(hostile):
    folder, _, out, html = hostile
    assert html.startswith("<!DOCTYPE html>") and out.stat().st_size < 5_000_000
    for section in ("shortlist-section", "reach-section", "cards-section", "overlap-section", "plan-section",
                    "gather-section", "communities-section", "glossary-section"):
        assert f'id="{section}"' in html


def test_hostile_names_are_text_everywhere(hostile):
    html = hostile[3]
    assert IMG not in html and SCRIPT not in html and "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, as text, in the table and the cards
    assert "\\u003c/script\\u003e\\u003cscript\\u003ewindow.pwned" in html  # inside the charts' JSON
    names = {value for spec in chart_specs(html) for value in values_of(spec, "page")}
    assert any(name and name.startswith(SCRIPT) for name in names)  # the chart still shows the name as it is


def test_the_page_loads_nothing_and_runs_only_its_own_scripts(hostile):
    html = hostile[3]
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert "default-src 'none'" in policy and policy.count("'sha256-") == 2 and "unsafe-inline" not in \
        policy.split("script-src")[1].split(";")[0]
    assert not re.search(r"""<(script|link|img|iframe)[^>]*\s(src|href)=["']?https?:""", html)
    assert len(re.findall(r"<script>", html)) == 2


def test_the_plan_section_has_the_placements_and_the_baselines(hostile):
    html = hostile[3]
    plan = html.split('id="plan-section"')[1].split("</section>")[0]
    assert "this plan" in plan and "top by score" in plan and "top by followers" in plan
    assert "instagram:runclub_msk" in plan and "400.00" in plan


def test_both_languages_have_the_same_labels():
    assert set(LABELS["en"]) == set(LABELS["ru"])
    assert all(LABELS["ru"][key] for key in LABELS["ru"])
    assert sum(LABELS["ru"][k] == LABELS["en"][k] for k in LABELS["en"]) <= 3  # ERR, CPM, #: the same words


def test_russian_report_speaks_russian(hostile, tmp_path):
    _, db, _, _ = hostile
    out = tmp_path / "ru.html"
    assert invoke("report", out, "--db", db, "--lang", "ru").exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert 'lang="ru"' in html and "Шорт-лист" in html and "Пересечение аудиторий" in html
    assert ">Shortlist<" not in html and "Плана нет" in html  # no --prices: the plan says how to get one
    assert any(spec.get("encoding", {}).get("x", {}).get("title") == LABELS["ru"]["axis_reach"]
               for spec in chart_specs(html))


def test_missing_figures_show_as_a_dash_never_zero():
    table = pd.DataFrame({"rank": [1], "platform": "vk", "handle": "a", "name": None, "url": "javascript:alert(1)",
                          "followers": [1200.0], "median_views": [np.nan], "reach_rate": [np.nan],
                          "er_views": [np.nan], "er_followers": [0.0123], "citations": [0], "score": [np.nan],
                          "quality": [np.nan], "bot_share": [np.nan], "ad_share": [np.nan], "why": [None]})
    row = page_rows(table, LABELS["en"])[0]
    assert [text for text, _ in row["cells"]] == ["1,200", "—", "—", "—", "1.23%", "0"]
    assert row["score_text"] == "—" and row["quality"] == "—" and row["ads"] == "—" and row["bots"] is None
    assert row["url"] is None and row["name"] == "a"  # a javascript: link never becomes a link
    assert [key for _, key in row["cells"]][1] == ""  # sorted last, not as 0


def test_posts_chart_marks_standout_and_ad_posts_and_leaves_young_posts_out():
    now = pd.Timestamp("2026-03-01", tz="UTC")
    posts = pd.DataFrame({"platform": "vk", "account": "a", "post_id": [str(i) for i in range(6)],
                          "published_at": pd.to_datetime(["2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04",
                                                          "2026-02-05", "2026-02-28 12:00"], format="mixed", utc=True),
                          "views": [100, 100, 500, 100, 90, 10], "likes": 1, "comments": 0, "reposts": 0,
                          "ad": [False, False, False, True, False, False], "url": None})
    points = post_points(posts, pd.DataFrame(columns=["platform", "handle", "fetched_at"]), [("vk", "a")], now)
    assert points["value"].tolist() == [100, 100, 500, 100, 90]  # the post 12 hours old is left out
    assert points["standout"].tolist() == [False, False, True, False, False]  # 500 = 5 × the median 100
    assert points["ad"].tolist() == [False, False, False, True, False]


def test_follower_history_marks_the_jump():
    snapshots = pd.DataFrame({"platform": "vk", "account": "a",
                              "date": ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"],
                              "followers": [1000, 1005, 1600, 1605]})
    points = follower_points(snapshots, [("vk", "a")])
    assert points["followers"].tolist() == [1000, 1005, 1600, 1605]
    assert points["spike"].tolist() == [False, False, True, False]


def test_temperature_parts_add_up_and_skip_unmeasured_pages():
    table = pd.DataFrame({"platform": "vk", "handle": ["a", "b"], "warm": [0.2, np.nan], "cooling": [0.3, np.nan],
                          "cold": [0.5, np.nan]})
    parts = temperature_parts(table, [("vk", "a"), ("vk", "b")])
    assert parts["part"].tolist() == ["warm", "cooling", "cold"] and parts["share"].sum() == pytest.approx(1)
    assert set(parts["handle"]) == {"a"}


def test_plan_curves_start_from_nothing_and_follow_each_strategy(hostile):
    from ranking.plan import strategy_curves
    import scipy.sparse as sp

    matrix = sp.csr_array(np.array([[1, 1, 1, 1, 0], [0, 0, 0, 1, 1], [1, 0, 0, 0, 0]]))
    placements = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c"]})
    curves = plan_curve(strategy_curves({"this plan": [0, 1], "top by score until the budget": [2]}, matrix,
                                        [10, 5, 1], None, placements))
    mine = curves[curves["strategy"] == "this plan"]
    assert mine["cumulative_cost"].tolist() == [0, 10, 15] and mine["cumulative_unique_audience"].tolist() == [0, 4, 5]
    assert mine["page"].tolist()[1:] == ["vk:a", "vk:b"]
    assert curves[curves["strategy"] != "this plan"]["cumulative_unique_audience"].tolist() == [0, 1]


def test_community_map_is_the_same_picture_every_time():
    table = pd.DataFrame({"rank": [1, 2, 3, 4], "platform": "tg", "handle": ["a", "b", "c", "lonely"],
                          "name": ["A", "B", "C", "L"], "community": ["1: x", "1: x", "2: y", None],
                          "score": [90, 80, 70, 60]})
    links = pd.DataFrame({"platform": "tg", "src": ["a", "b", "c", "zzz"], "dst": ["b", "c", "a", "a"],
                          "kind": "forward"})
    nodes, edges = community_map(links, table)
    again, _ = community_map(links, table)
    assert nodes["handle"].tolist() == ["a", "b", "c"]  # unlinked pages and pages off the list are left out
    assert len(edges) == 3 and nodes[["x", "y"]].equals(again[["x", "y"]])


def test_two_hundred_pages_stay_under_five_megabytes():
    rng = np.random.default_rng(1)
    n = 200
    accounts = pd.DataFrame({"platform": "telegram", "handle": [f"p{i}" for i in range(n)],
                             "name": [f"Page {i} «тест»" for i in range(n)], "followers": rng.integers(1e3, 1e6, n),
                             "status": "ok", "url": [f"https://t.me/p{i}" for i in range(n)],
                             "fetched_at": pd.Timestamp("2026-03-01", tz="UTC")})
    posts = pd.DataFrame({"platform": "telegram", "account": np.repeat(accounts["handle"], 60),
                          "post_id": [str(i) for i in range(n * 60)],
                          "published_at": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
                              np.tile(np.arange(60), n), unit="D"),
                          "views": rng.integers(100, 100_000, n * 60), "likes": rng.integers(0, 500, n * 60),
                          "comments": 0, "reposts": 0, "text": "x" * 200})
    links = pd.DataFrame({"platform": "telegram", "src": [f"p{i}" for i in rng.integers(0, n, 600)],
                          "dst": [f"p{i}" for i in rng.integers(0, n, 600)], "kind": "forward"})
    from ranking.shortlist import shortlist

    frames = Frames(accounts, posts, links)
    html = render_report(Report("en", shortlist(frames), frames, None, top=20))
    assert len(html.encode("utf-8")) < 5_000_000
    assert html.count("<tr data-platform=") == n


@pytest.mark.parametrize("args, words", [
    (["report.xlsx"], ["report.xlsx", ".html"]),
    (["r.html", "--prices", "p.csv"], ["--prices", "--budget"]),
    (["r.html", "--lang", "de"], ["--lang"]),
])
def test_bad_input_is_one_line(hostile, tmp_path, args, words):
    _, db, _, _ = hostile
    result = invoke("report", *[str(tmp_path / a) if a.endswith((".html", ".xlsx", ".csv")) else a for a in args],
                    "--db", db)
    one_line_error(result, *words)
    assert not list(tmp_path.glob("*.html"))


def test_an_empty_database_says_what_to_do(tmp_path):
    db = tmp_path / "empty.db"
    from crawler.store import Store

    with Store(str(db)):
        pass
    one_line_error(invoke("report", tmp_path / "r.html", "--db", db), "crawl")
    assert not (tmp_path / "r.html").exists()
