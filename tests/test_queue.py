"""Crawls shared by workers on a Redis queue (``crawl … --queue``, ``worker``, ``crawl-status``, ``refresh``),
against a real redis-server and local stand-ins for t.me, with real worker processes.

The server comes from ``$PAGESCOUT_TEST_REDIS`` (``.ci/run`` starts one); each test empties its database.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, invoke, one_line_error, postgres_database, rows, run_cli, sql_rows
from apiserver import ApiServer
from crawler.sample_site import SampleTelegram

SERVER = os.environ.get("PAGESCOUT_TEST_REDIS")


@pytest.fixture
def queue():
    if not SERVER:
        if os.environ.get("CI"):
            pytest.fail("CI must provide $PAGESCOUT_TEST_REDIS (.ci/run starts redis-server)")
        pytest.skip("no Redis server: set $PAGESCOUT_TEST_REDIS=redis://127.0.0.1:6379/0")
    redis = pytest.importorskip("redis", reason="the queue extra is not installed: pip install -e '.[queue]'")
    client = redis.Redis.from_url(SERVER)
    client.flushdb()
    yield SERVER
    client.flushdb()


def channel_graph(n: int = 24, seed: int = 7) -> dict:
    """Channels that forward each other's posts: a crawl from chan00 reaches some of them within 2 hops."""
    rng = random.Random(seed)
    names = [f"chan{i:02d}" for i in range(n)]
    channels = {}
    for i, name in enumerate(names):
        posts = [{"id": p, "date": f"2026-10-{p:02d}T10:00:00+00:00", "text": f"{name} post {p}", "views": 100 * p}
                 for p in range(1, 13)]
        for post in posts[:2]:
            post["forwarded_from"] = f"{names[rng.randrange(n)]}/1"
        channels[name] = {"title": name.title(), "subscribers": 1000 + i, "posts": posts}
    return {"page_size": 10, "channels": channels}


def worker(queue: str, db, *more: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", "worker", "--queue", queue, "--db", str(db), *more],
                            cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(processes, timeout: float = 90) -> list[str]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        outputs.append(err)
    return outputs


def stored(db) -> tuple[list, int, list]:
    """Accounts, the number of posts, and any (platform, handle) stored twice."""
    accounts = sorted(row[0] for row in sql_rows(db, "SELECT handle FROM accounts"))
    posts = sql_rows(db, "SELECT count(*) FROM posts")[0][0]
    twice = sql_rows(db, "SELECT platform, handle FROM accounts GROUP BY platform, handle HAVING count(*) > 1")
    return accounts, posts, twice


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """What a single-process crawl of the graph from chan00, two hops deep, stores: the reference."""
    db = tmp_path_factory.mktemp("single") / "single.db"
    with SampleTelegram(channel_graph()) as site:
        result = run_cli("crawl", "telegram", "chan00", "--depth", "2", "--base-url", site.url, "--delay", "0",
                         "--quiet", "--db", str(db))
        assert result.returncode == 0, result.stderr
        return stored(db), len(site.paths("/s/"))


def status(queue: str) -> list[dict]:
    result = run_cli("crawl-status", "--queue", queue, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def holding(queue: str, within: float = 30) -> tuple[str, int]:
    """The first worker seen holding requests, and how many (crawler.distributed.status, polled)."""
    from crawler.distributed import connect, status as crawls

    client, deadline = connect(queue), time.monotonic() + within
    while time.monotonic() < deadline:
        for crawl in crawls(client):
            for counts in crawl.workers:
                if counts.in_flight:
                    return counts.worker, counts.in_flight
        time.sleep(0.05)
    pytest.fail("no worker took a request")


def test_two_workers_store_what_one_process_stores(queue, one_process, tmp_path):
    (single, pages) = one_process
    db = tmp_path / "shared.db"
    with SampleTelegram(channel_graph(), latency=0.1) as site:
        workers = [worker(queue, db, "--until-idle", "4") for _ in range(2)]  # waiting for work
        queued = run_cli("crawl", "telegram", "chan00", "--depth", "2", "--base-url", site.url, "--delay", "0",
                         "--quiet", "--db", str(db), "--queue", queue, "--no-worker")
        assert queued.returncode == 0, queued.stderr
        assert "queued (1 requests waiting)" in queued.stderr
        logs = finished(workers)
        asked = site.paths("/s/")
    assert stored(db) == single and single[0]  # the same accounts and posts, none twice
    assert len(asked) == pages == len(set(asked))  # no page asked twice across the workers
    [crawl] = status(queue)
    assert crawl["spec"]["status"] == "finished" and crawl["queued"] == 0 and crawl["in_flight"] == 0
    assert sum(w["requests"] for w in crawl["workers"]) == crawl["requests"] == pages, logs
    assert str(db).encode() not in everything_in(queue)  # the database's URL (a password, with PostgreSQL) never goes to Redis


def everything_in(queue: str) -> bytes:
    """Every value the queue's Redis database holds, side by side: what a secret must not be in."""
    import redis

    client, values = redis.Redis.from_url(queue), []
    for name in client.keys("*"):
        kind = client.type(name)
        if kind == b"string":
            values.append(client.get(name))
        elif kind == b"hash":
            values += client.hgetall(name).values()
        elif kind == b"zset":
            values += client.zrange(name, 0, -1)
        elif kind == b"set":
            values += client.smembers(name)
    return b" ".join(values)


def test_a_killed_worker_loses_nothing(queue, one_process):
    """``kill -9`` of one of three workers mid-crawl, on PostgreSQL: its requests come back after the lease."""
    (single, _pages) = one_process
    with postgres_database() as db, SampleTelegram(channel_graph(), latency=0.15) as site:
        queued = run_cli("crawl", "telegram", "chan00", "--depth", "2", "--base-url", site.url, "--delay", "0",
                         "--quiet", "--db", db, "--queue", queue, "--no-worker")
        assert queued.returncode == 0, queued.stderr
        env = {"PAGESCOUT_LEASE_SECONDS": "2"}
        workers = [worker(queue, db, "--until-idle", "3", env=env) for _ in range(3)]
        holder, _ = holding(queue)  # kill one once it holds requests
        victim = next(p for p in workers if holder.split("-")[-2] == str(p.pid))
        victim.send_signal(signal.SIGKILL)
        finished([p for p in workers if p is not victim])
        victim.wait()
        assert stored(db) == single
    [crawl] = status(queue)
    assert crawl["spec"]["status"] == "finished" and crawl["queued"] == crawl["in_flight"] == 0


def test_a_stopped_worker_hands_its_requests_back_at_once(queue, tmp_path):
    db = tmp_path / "stop.db"
    with SampleTelegram(channel_graph(), latency=0.5) as site:
        queued = run_cli("crawl", "telegram", "chan00", "--depth", "2", "--base-url", site.url, "--delay", "0",
                         "--quiet", "--db", str(db), "--queue", queue, "--no-worker")
        assert queued.returncode == 0 and queued.stderr.startswith("crawl telegram-"), queued.stderr
        working = worker(queue, db)
        _, held = holding(queue)
        working.send_signal(signal.SIGTERM)
        _, err = working.communicate(timeout=30)
    [crawl] = status(queue)
    assert working.returncode == 130 and "crawl shutdown" in err and held
    assert crawl["in_flight"] == 0 and crawl["queued"] >= held and crawl["spec"]["status"] == "queued"


def test_workers_together_keep_one_workers_delay_and_pause_for_retry_after(queue, tmp_path):
    spec = channel_graph(12, seed=3)
    for name in spec["channels"]:
        spec["channels"][name]["posts"] = spec["channels"][name]["posts"][:8]  # one page each
    spec["faults"] = {"/s/chan05": [[429, "1"]]}
    db = tmp_path / "polite.db"
    seeds = list(spec["channels"])
    with SampleTelegram(spec) as site:
        queued = run_cli("crawl", "telegram", *seeds, "--base-url", site.url, "--delay", "0.2", "--quiet",
                         "--db", str(db), "--queue", queue, "--no-worker")
        assert queued.returncode == 0, queued.stderr
        finished([worker(queue, db, "--until-idle", "1") for _ in range(3)])
        times = sorted(site.times("/s/"))
        refused_at = site.times("/s/chan05")[0]
    assert len(times) == 13  # 12 pages and the one refused
    # Three workers, and still one request per 0.2 s to the host: in any second, at most the 5 + 1 a
    # 0.2 s delay allows (a turn taken late may follow the one before it closely, never a sixth early).
    most = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert most <= 6, times
    after = [t for t in times if t > refused_at]
    assert after[0] - refused_at >= 0.9, after[0] - refused_at  # Retry-After: 1 held every worker back
    assert rows(db, "SELECT count(*) FROM accounts WHERE status = 'ok'") == [(12,)]


def test_the_request_budget_holds_for_the_whole_crawl(queue, tmp_path):
    db = tmp_path / "budget.db"
    with SampleTelegram(channel_graph(), latency=0.05) as site:
        queued = run_cli("crawl", "telegram", "chan00", "--depth", "3", "--base-url", site.url, "--delay", "0",
                         "--max-requests", "5", "--quiet", "--db", str(db), "--queue", queue, "--no-worker")
        assert queued.returncode == 0, queued.stderr
        finished([worker(queue, db, "--until-idle", "1") for _ in range(2)])
        assert len(site.paths()) == 5
    [crawl] = status(queue)
    assert crawl["spec"]["status"] == "budget_spent" and crawl["sent"] >= 5 and crawl["queued"] == 0


def test_a_vk_crawl_on_the_queue_keeps_the_token_on_the_workers(queue, tmp_path):
    from test_vk import TOKEN, vk_route

    options = ["alpha", "--depth", "1", "--max-posts", "120", "--audience-limit", "300", "--delay", "0", "--quiet"]
    with ApiServer(vk_route({})) as server:
        root = ["--base-url", f"{server.url}/method"]
        alone = run_cli("crawl", "vk", *options, *root, "--db", str(tmp_path / "one.db"), env={"VK_TOKEN": TOKEN})
        assert alone.returncode == 0, alone.stderr
        asked_alone = len(server.requests)
        queued = run_cli("crawl", "vk", *options, *root, "--db", str(tmp_path / "shared.db"), "--queue", queue,
                         "--no-worker", env={"VK_TOKEN": TOKEN})
        assert queued.returncode == 0, queued.stderr
        finished([worker(queue, tmp_path / "shared.db", "--until-idle", "1", env={"VK_TOKEN": TOKEN})])
        tokens = {params.get("access_token") for _, _, params in server.requests[asked_alone:]}
    assert tokens == {TOKEN}  # every request the worker made carried the worker's token
    counts = "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM posts), (SELECT count(*) FROM audience)"
    assert rows(tmp_path / "shared.db", counts) == rows(tmp_path / "one.db", counts) != [(0, 0, 0)]
    everything = everything_in(queue)
    assert TOKEN.encode() not in everything and b"access_token" not in everything


def test_a_worker_whose_token_is_refused_hands_the_crawl_to_one_whose_token_works(queue, tmp_path):
    from test_vk import TOKEN, vk_route

    db = tmp_path / "vk.db"
    with ApiServer(vk_route({})) as server:
        queued = run_cli("crawl", "vk", "alpha", "--max-posts", "10", "--audience-limit", "0", "--delay", "0",
                         "--base-url", f"{server.url}/method", "--quiet", "--db", str(db), "--queue", queue,
                         "--no-worker", env={"VK_TOKEN": TOKEN})
        assert queued.returncode == 0, queued.stderr
        [refused] = finished([worker(queue, db, "--until-idle", "1", env={"VK_TOKEN": "vk1.a.WRONG"})])
        assert "Error: VK refused the token in $VK_TOKEN" in refused.splitlines()[-1]
        [crawl] = status(queue)
        assert crawl["spec"]["status"] == "queued" and crawl["queued"] == 1 and crawl["in_flight"] == 0
        finished([worker(queue, db, "--until-idle", "1", env={"VK_TOKEN": TOKEN})])
    [crawl] = status(queue)
    assert crawl["spec"]["status"] == "finished"
    assert rows(db, "SELECT handle, status FROM accounts") == [("alpha", "ok")]


def test_shared_hops_reach_what_one_process_reaches(queue):
    """``SharedHops`` (Redis, for all workers) against ``PlatformSpider.expand``'s own state, on random
    link graphs answered in random order, with seeds and search results: the same accounts at the same hops."""
    import redis

    from conftest import make_spider
    from crawler.distributed import SharedHops
    from crawler.spiders.mastodon import MastodonSpider

    client = redis.Redis.from_url(queue)
    for trial in range(60):
        rng = random.Random(trial)
        names = [f"a{i}@x.example" for i in range(12)]
        links = {name: rng.sample(names, rng.randrange(0, 4)) for name in names}
        order = {name: rng.random() for name in names}  # which pending answer comes first: the same in both runs
        depth, seeds = rng.randrange(1, 4), rng.sample(names, 2)
        searched, search_after = rng.sample(names, rng.randrange(0, 3)), rng.randrange(0, 6)
        reached = {}
        for shared in (None, SharedHops(client, f"trial{trial}", depth)):
            spider = make_spider(MastodonSpider, seeds=seeds, depth=depth)
            spider.shared = shared
            spider.account_request = lambda handle, hop: (handle, hop)
            pending, answered = list(spider.seed_requests()), 0
            asked = dict(pending)
            while pending:
                if answered == search_after:
                    found = spider.found_by_search(searched)
                else:
                    handle, hop = min(pending, key=lambda request: (order[request[0]], request[1]))
                    pending.remove((handle, hop))
                    found = spider.expand(handle, hop, links[handle])
                answered += 1
                for handle, hop in found:
                    asked.setdefault(handle, hop)
                pending += found
            hops = spider.state.get("hops", {}) if shared is None else {
                k.decode(): int(v) for k, v in client.hgetall(shared.keys[0]).items()}
            reached[shared is None] = (asked, hops)
        assert reached[True] == reached[False], trial


def test_a_queue_that_cannot_be_used_is_one_line(queue, tmp_path):
    db = str(tmp_path / "x.db")
    one_line_error(invoke("crawl", "telegram", "durov", "--queue", "http://127.0.0.1:1", "--db", db), "not a Redis URL")
    one_line_error(invoke("crawl", "telegram", "durov", "--queue", "redis://127.0.0.1:1/0", "--db", db),
                   "cannot reach the queue at redis://127.0.0.1:1/0")
    one_line_error(invoke("crawl", "telegram", "durov", "--no-worker", "--db", db), "--no-worker", "--queue")
    assert "hunter2" not in one_line_error(invoke("worker", "--queue", "redis://:hunter2@127.0.0.1:1/0", "--db", db),
                                           "redis://:***@127.0.0.1:1/0")
    assert not (tmp_path / "x.db").exists()  # refused before the database was touched


def test_refresh_fetches_again_only_the_pages_fetched_too_long_ago(queue, tmp_path):
    spec = channel_graph(3, seed=1)
    db = tmp_path / "watch.db"
    with SampleTelegram(spec) as site:
        first = run_cli("crawl", "telegram", "chan00", "chan01", "chan02", "--base-url", site.url, "--delay", "0",
                        "--quiet", "--db", str(db))
        assert first.returncode == 0, first.stderr
        import sqlite3

        with sqlite3.connect(db) as conn:  # chan01 last fetched three days ago, and it had fewer followers then
            conn.execute("UPDATE accounts SET fetched_at = datetime('now', '-3 days') WHERE handle = 'chan01'")
            conn.execute("UPDATE snapshots SET date = date('now', '-3 days'), followers = 900 WHERE account = 'chan01'")
        before = len(site.paths())
        result = run_cli("refresh", "--older-than", "1d", "--base-url", f"telegram={site.url}", "--delay", "0",
                         "--quiet", "--db", str(db))
        assert result.returncode == 0, result.stderr
        assert {p.split("?")[0] for p in site.paths()[before:]} == {"/s/chan01"}
        assert rows(db, "SELECT count(*) FROM snapshots WHERE account = 'chan01'") == [(2,)]
        nothing = run_cli("refresh", "--older-than", "1d", "--base-url", f"telegram={site.url}", "--db", str(db))
        assert nothing.returncode == 0 and "nothing to refresh" in nothing.stderr
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE accounts SET fetched_at = datetime('now', '-2 days')")
        queued = run_cli("refresh", "--older-than", "12h", "--base-url", f"telegram={site.url}", "--delay", "0",
                         "--quiet", "--db", str(db), "--queue", queue)
        assert queued.returncode == 0, queued.stderr
    assert rows(db, "SELECT count(*) FROM accounts WHERE fetched_at > datetime('now', '-1 hour')") == [(3,)]
    one_line_error(invoke("refresh", "--older-than", "3x", "--db", str(db)), "not an age", "12h")
