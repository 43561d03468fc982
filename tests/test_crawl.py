"""Whole crawls against a local stand-in for t.me: paging, forwards, dead pages, 429s, resuming."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from conftest import REPO, run_cli, rows
from crawler.sample_site import SampleTelegram


def channel(title, subscribers, n_posts, links=(), forwards=(), reactions=True, first_id=1):
    posts = []
    for i in range(n_posts):
        post = {"id": first_id + i, "date": f"2026-10-{1 + i % 28:02d}T10:00:00+00:00", "text": f"post {i}",
                "views": 100 * (i + 1)}
        if reactions:
            post["reactions"] = {"👍": i}
        posts.append(post)
    for i, target in enumerate(links):
        posts[-1 - i]["text"] += f" читайте @{target}"
    for i, source in enumerate(forwards):
        posts[-1 - i]["forwarded_from"] = f"{source}/5"
    return {"title": title, "subscribers": subscribers, "posts": posts}


def spec(**extra):
    return {
        "page_size": 10,
        "channels": {
            "alpha_news": channel("Alpha", 12_000, 25, links=["beta_blog", "dead_one"], forwards=["gamma_chan"]),
            "beta_blog": channel("Beta", 3_400, 12, links=["delta_deep"], reactions=False),
            "gamma_chan": channel("Gamma", 150_000, 8, links=["private_one"]),
            "delta_deep": channel("Delta", 900, 5),
            "dead_one": {"title": "Dead", "status": "gone", "posts": []},
            "private_one": {"title": "Private", "status": "private", "posts": []},
        },
        **extra,
    }



def crawl(site, db, *args, **kwargs):
    return run_cli("crawl", "telegram", *args, "--base-url", site.url, "--delay", "0", "--quiet", "--db", str(db),
                   env={"PAGESCOUT_BACKOFF_BASE": "0.2"}, **kwargs)


@pytest.fixture(scope="module")
def full_crawl(tmp_path_factory):
    db = tmp_path_factory.mktemp("crawl") / "t.db"
    with SampleTelegram(spec(faults={"/s/beta_blog": [[429, 1]]})) as site:
        result = crawl(site, db, "alpha_news", "--depth", "2", "--max-posts", "20")
        log = list(site.requests)
    return db, result, log


def test_crawl_succeeds_with_summary(full_crawl):
    _, result, _ = full_crawl
    assert result.returncode == 0, result.stderr
    assert "crawl finished" in result.stderr
    assert "unavailable: dead_one: not found (HTTP 404)" in result.stderr


def test_accounts_found_through_links_up_to_depth(full_crawl):
    db, _, _ = full_crawl
    status = dict(rows(db, "SELECT handle, status FROM accounts"))
    # depth 2: alpha → beta, gamma, dead_one (hop 1) → delta, private_one (hop 2, no preview: not stored)
    assert status == {"alpha_news": "ok", "beta_blog": "ok", "gamma_chan": "ok", "delta_deep": "ok",
                      "dead_one": "unavailable"}


def test_linked_username_without_preview_is_counted_not_stored(full_crawl):
    db, result, log = full_crawl
    assert "/s/private_one" in [path for _, path in log]
    assert "linked usernames without a channel preview: 1" in result.stderr
    assert rows(db, "SELECT COUNT(*) FROM accounts WHERE handle = 'private_one'") == [(0,)]


def test_a_seed_without_preview_is_reported_unavailable(tmp_path):
    with SampleTelegram(spec()) as site:
        result = crawl(site, tmp_path / "p.db", "private_one")
    assert result.returncode == 0
    (reason,) = rows(tmp_path / "p.db", "SELECT reason FROM accounts WHERE handle = 'private_one'")[0]
    assert reason.startswith("no public preview")
    assert "unavailable: private_one: no public preview" in result.stderr


def test_pagination_stops_at_max_posts_newest_first(full_crawl):
    db, _, log = full_crawl
    ids = [int(r[0]) for r in rows(db, "SELECT post_id FROM posts WHERE account = 'alpha_news'")]
    assert sorted(ids) == list(range(6, 26))  # the newest 20 of 25
    alpha_pages = [path for _, path in log if path.startswith("/s/alpha_news")]
    assert alpha_pages == ["/s/alpha_news", "/s/alpha_news?before=16"]


def test_subscriber_counts_and_views(full_crawl):
    db, _, _ = full_crawl
    assert dict(rows(db, "SELECT handle, followers FROM accounts WHERE status = 'ok'")) == {
        "alpha_news": 12_000, "beta_blog": 3_400, "gamma_chan": 150_000, "delta_deep": 900}
    assert rows(db, "SELECT views FROM posts WHERE account = 'delta_deep' AND post_id = '5'") == [(500,)]


def test_forward_and_mention_links(full_crawl):
    db, _, _ = full_crawl
    links = set(rows(db, "SELECT src, dst, kind FROM links"))
    assert ("alpha_news", "gamma_chan", "forward") in links
    assert ("alpha_news", "beta_blog", "mention") in links
    assert ("gamma_chan", "private_one", "mention") in links


def test_429_retried_after_retry_after(full_crawl):
    db, _, log = full_crawl
    beta = [t for t, path in log if path == "/s/beta_blog"]
    assert len(beta) == 2, "the 429 is retried once"
    assert beta[1] - beta[0] >= 0.95, "the retry waits for Retry-After: 1"
    assert rows(db, "SELECT status FROM accounts WHERE handle = 'beta_blog'") == [("ok",)]


def test_no_page_fetched_twice(full_crawl):
    _, _, log = full_crawl
    counts = Counter(path for _, path in log if path != "/s/beta_blog")
    assert max(counts.values()) == 1


def test_one_snapshot_per_account_per_day(full_crawl):
    db, _, _ = full_crawl
    assert rows(db, "SELECT COUNT(*) FROM snapshots") == [(4,)]


def test_crawling_twice_duplicates_nothing(tmp_path):
    db = tmp_path / "twice.db"
    tables = ("accounts", "posts", "links", "snapshots")
    with SampleTelegram(spec()) as site:
        assert crawl(site, db, "alpha_news", "--depth", "1").returncode == 0
        first = {t: rows(db, f"SELECT COUNT(*) FROM {t}") for t in tables}
        assert crawl(site, db, "alpha_news", "--depth", "1").returncode == 0
        second = {t: rows(db, f"SELECT COUNT(*) FROM {t}") for t in tables}
    assert first == second
    assert first["posts"] == [(25 + 12 + 8,)]


def test_max_requests_bounds_the_crawl(tmp_path):
    db = tmp_path / "bounded.db"
    with SampleTelegram(spec()) as site:
        result = crawl(site, db, "alpha_news", "--depth", "2", "--max-requests", "2")
        fetched = len(site.requests)
    assert result.returncode == 0
    assert fetched <= 2 + 2  # requests already in flight when the budget ran out still complete


def test_every_seed_the_budget_left_out_is_listed_as_not_fetched(tmp_path):
    db = tmp_path / "budget.db"
    site_spec, names = many_channels(posts=5)
    with SampleTelegram(site_spec) as site:
        result = crawl(site, db, *names, "--max-requests", "2")
    assert result.returncode == 0, result.stderr
    stored = {h for (h,) in rows(db, "SELECT handle FROM accounts")}
    line = next(l for l in result.stderr.splitlines() if l.startswith("not fetched (request budget spent)"))
    listed = {name for name in names if name in line}
    assert stored and listed and stored | listed == set(names) and not stored & listed


def many_channels(n=8, posts=30):
    names = [f"chan_{i:02d}" for i in range(n)]
    channels = {name: channel(name, 1000 + i, posts, links=names[i + 1:i + 2]) for i, name in enumerate(names)}
    return {"page_size": 5, "channels": channels}, names


def interrupt_after(site, db, names, n_requests, sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "crawl", "telegram", *names, "--base-url", site.url, "--delay", "0", "--quiet",
         "--db", str(db), "--max-posts", "30"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(site.requests) < n_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupted_crawl_rerun_completes_without_duplicates(tmp_path, sig):
    site_spec, names = many_channels()
    db = tmp_path / "resume.db"
    with SampleTelegram(site_spec, latency=0.1) as site:
        code, err = interrupt_after(site, db, names, 12, sig)
        first_run = [path for _, path in site.requests]
        if sig == signal.SIGINT:
            assert "run the same command again" in err
            assert code == 130  # the shell's code for an interrupt, not success
        partial = rows(db, "SELECT COUNT(*) FROM posts")[0][0]
        assert partial < len(names) * 30, "the crawl was really interrupted"
        result = run_cli("crawl", "telegram", *names, "--base-url", site.url, "--delay", "0", "--quiet",
                         "--db", str(db), "--max-posts", "30")
        assert result.returncode == 0, result.stderr
        second_run = [path for _, path in site.requests][len(first_run):]
    assert rows(db, "SELECT COUNT(*) FROM posts") == [(len(names) * 30,)]
    assert rows(db, "SELECT COUNT(*) FROM accounts") == [(len(names),)]
    assert rows(db, "SELECT COUNT(*) FROM (SELECT DISTINCT account, post_id FROM posts)") == [(len(names) * 30,)]
    if sig == signal.SIGINT:
        # A clean stop resumes: what the first run fetched is not fetched again.
        assert not set(first_run) & set(second_run)
        assert len(second_run) < len(names) * 6


def test_second_ctrl_c_exits_130_and_the_rerun_completes(tmp_path):
    site_spec, names = many_channels()
    db = tmp_path / "twice.db"
    with SampleTelegram(site_spec, latency=0.1) as site:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "crawl", "telegram", *names, "--base-url", site.url, "--delay", "0",
             "--quiet", "--db", str(db), "--max-posts", "30"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(site.requests) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # the impatient second Ctrl-C: Scrapy stops without finishing
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        result = run_cli("crawl", "telegram", *names, "--base-url", site.url, "--delay", "0", "--quiet",
                         "--db", str(db), "--max-posts", "30")
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT COUNT(*) FROM posts") == [(len(names) * 30,)]
