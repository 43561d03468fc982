"""Discovery: the frontier's order, the keyword match, and `pagescout discover` end to end."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import run_cli
from crawler.focus import Frontier, keyword_match
from crawler.sample_site import SampleTelegram


@pytest.mark.parametrize(
    "text,keywords,low",
    [("Утренние тренировки и правильное питание", ["тренировка", "питание"], 0.5),
     ("Běhání v parku každou sobotu", ["běh", "park"], 0.3),
     ("Home workout: 20 minutes of fitness", ["fitness", "workout"], 0.9)],
)
def test_keyword_match_tolerates_inflection(text, keywords, low):
    assert keyword_match(text, keywords) >= low


def test_keyword_match_ranks_on_topic_above_off_topic():
    keywords = ["фитнес", "тренер", "бег"]
    assert keyword_match("Фитнес-тренер Ольга: бег и силовые", keywords) > keyword_match(
        "Ставки на спорт и казино онлайн", keywords) + 0.3


def test_negative_keywords_subtract():
    text = "фитнес и казино"
    assert keyword_match(text, ["фитнес"], ["казино"]) < keyword_match(text, ["фитнес"])


def test_keyword_match_empty_inputs():
    assert keyword_match(None, ["a"]) == 0.0 and keyword_match("text", []) == 0.0


def test_focused_frontier_takes_most_promising_then_most_linked():
    frontier = Frontier({}, "focused")
    frontier.offer("dull", 1, 0.1)
    frontier.offer("good", 2, 0.9)
    frontier.offer("fair", 1, 0.5)
    frontier.offer("fair", 1, 0.5)  # revealed twice
    frontier.offer("also_good", 1, 0.9)
    frontier.offer("also_good", 1, 0.2)  # keeps its best promise, counts the backlink
    assert [h for h, _ in frontier.take(2)] == ["also_good", "good"]
    assert [h for h, _ in frontier.take(5)] == ["fair", "dull"]


def test_bfs_frontier_takes_nearest_first_in_discovery_order():
    frontier = Frontier({}, "bfs")
    for handle, hop in [("far", 3), ("near_b", 1), ("near_a", 1), ("mid", 2)]:
        frontier.offer(handle, hop, 1.0)
    assert [h for h, _ in frontier.take(4)] == ["near_b", "near_a", "mid", "far"]


def test_frontier_never_offers_a_taken_account_again_and_state_is_plain():
    state = {}
    frontier = Frontier(state, "focused")
    frontier.offer("a", 1, 0.5)
    assert frontier.take(1) == [("a", 1)]
    frontier.offer("a", 1, 0.9)
    assert frontier.take(1) == []
    resumed = Frontier(state, "focused")  # rebuilt from the saved state dict
    resumed.offer("b", 1, 0.1)
    assert resumed.take(2) == [("b", 1)]


def post(n, text):
    return {"id": n, "date": f"2026-11-{n:02d}T10:00:00+00:00", "text": text, "views": 1000}


SITE = {
    "page_size": 50,
    "channels": {
        "client_page": {"title": "Фитнес-клуб", "subscribers": 5000, "posts": [
            post(1, "Лучшие тренировки и бег в городе у @coach_anna"),
            post(2, "Кстати, про ставки и казино пишет @casino_news"),
        ]},
        "coach_anna": {"title": "Тренер Анна: фитнес и бег", "subscribers": 20000, "posts": [
            post(1, "Тренировки для начинающих, фитнес дома. Советую @runner_max — про бег"),
        ]},
        "runner_max": {"title": "Макс бегает", "subscribers": 9000, "posts": [post(1, "Бег по утрам, фитнес")]},
        "casino_news": {"title": "Казино новости", "subscribers": 90000, "posts": [
            post(1, "Ставки, казино, бонусы. Наш партнёр @poker_room")]},
        "poker_room": {"title": "Покер", "subscribers": 1000, "posts": [post(1, "Покер онлайн")]},
    },
}


def brief(tmp_path, extra=""):
    path = tmp_path / "brief.toml"
    path.write_text(
        'name = "Fitness"\nplatforms = ["telegram"]\nkeywords = ["фитнес", "тренировки", "бег"]\n'
        'negative_keywords = ["казино"]\n' + extra + '[seeds]\ntelegram = ["client_page"]\n', encoding="utf-8")
    return path


def discover(site, tmp_path, *args):
    db = tmp_path / "d.db"
    result = run_cli("discover", str(brief(tmp_path)), "--base-url", f"telegram={site.url}", "--delay", "0",
                     "--quiet", "--db", str(db), *args)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    handles = {h for (h,) in conn.execute("SELECT handle FROM accounts")}
    conn.close()
    return result, handles, [path for _, path in site.requests]


def test_discover_fetches_the_promising_branch_first(tmp_path):
    with SampleTelegram(SITE) as site:
        result, handles, paths = discover(site, tmp_path, "--max-requests", "3")
    assert paths == ["/s/client_page", "/s/coach_anna", "/s/runner_max"]
    assert handles == {"client_page", "coach_anna", "runner_max"}
    assert "telegram: crawl max_requests" in result.stderr
    assert "pagescout export shortlist.xlsx --brief" in result.stderr


def test_breadth_first_baseline_takes_links_in_the_order_found(tmp_path):
    with SampleTelegram(SITE) as site:
        _, handles, paths = discover(site, tmp_path, "--max-requests", "3", "--strategy", "breadth-first")
    assert paths[1:] == ["/s/casino_news", "/s/coach_anna"]


def test_discover_runs_until_the_frontier_is_empty(tmp_path):
    with SampleTelegram(SITE) as site:
        _, handles, _ = discover(site, tmp_path)
    assert handles == set(SITE["channels"])


def test_discover_depth_limits_hops(tmp_path):
    with SampleTelegram(SITE) as site:
        _, handles, _ = discover(site, tmp_path, "--depth", "1")
    assert handles == {"client_page", "coach_anna", "casino_news"}


def test_bad_brief_is_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nplatforms = ["telegram"]\ncolour = 1\n[seeds]\ntelegram = ["abcde"]\n')
    result = run_cli("discover", str(path), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: {path}:3: colour: unknown key (known: name, platforms, keywords, " \
        "negative_keywords, languages, targets, seeds, search, filters, weights, budget)"


def test_progress_line_counts_candidates_and_relevant_ones():
    from crawler.extensions import progress_text

    stats = {"downloader/request_count": 12, "item_scraped_count": 40, "pagescout/errors/not_found": 1,
             "pagescout/discover/candidates": 30, "pagescout/discover/relevant": 7}
    assert progress_text(stats) == "requests 12 · items 40 · errors 1 · candidates 30 · relevant 7"
