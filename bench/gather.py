"""How many sampled members ``pagescout gather`` needs: precision of its top 20 against the exact answer.

Builds a seeded synthetic follow graph with planted communities, serves it as a Mastodon instance on
127.0.0.1, computes the exact ranking from the full graph, then runs the real CLI (``pagescout gather``
in a subprocess) at several ``--members`` and compares its top 20 with the exact top 20. A closed-world
baseline (``pagescout crawl`` by links, then ``pagescout audience``) shows what a user has without gather.

World (numpy ``default_rng(seed)``):

- ``--pages`` pages ``page0``… in 8 topical communities; within a community, page popularity follows
  a power law (the page of rank r is drawn with weight ∝ r^-1.5);
- ``--people`` people ``person0``…, each with 1 or 2 home communities; each follows 20–60 pages, 85%
  drawn from the home communities by popularity and the rest uniformly from all pages;
- one page ``target`` with 1,500 followers (at most half the people) drawn without replacement with
  weight 12 for people at home in its main community, 5 in its second one, 1 for everyone else;
- a page's ``followers_count`` is its true follower count in the graph (people following it);
- every page has two statuses: one mentions two pages of its own community, one boosts a third (drawn by
  popularity), so a crawl by links reaches pages near the target. The target talks about its main and
  second communities. No status has favourites or boosts (no engager lists to read).

Every list (followers, following) is served in a seeded random order: the model has no follow times, so
"the first members the platform lists", which gather samples, are a random sample here. On a real
instance the newest followers come first, and may differ from the rest.

Exact answer: T = the target's followers (n = |T|), N = ``--people``. For every page B: c_B = |followers(B)
∩ T|, target_share = c_B / n, affinity = 100 × target_share / (followers_B / N) and affinity_low the same
from the Wilson lower bound of c_B / n; pages with target_share ≥ 5% are ranked by each (ties: c_B, name).
gather sorts by affinity_low, so "vs exact (affinity_low)" is the like-for-like figure; "vs exact
(affinity)" is the page list a user would get if they knew the whole audience and ranked by the point
estimate.

Runs: ``pagescout gather mastodon:target --members M`` for M = 100, 300, 1000 and the whole audience;
precision@20 = |its top 20 ∩ exact top 20| / 20, requests counted by this server, seconds of wall time.
One run reads one sample, and the pages of a community rise and fall together with the sample's make-up,
so the bench also ranks 200 other uniform samples of each size in-process, as ``ranking.gather``
does, and prints their precision's mean and spread; that this replay is faithful is checked: gather's own
sample (the first M followers listed) replayed gives gather's top 20.
Baseline: ``pagescout crawl mastodon target --depth 2 --max-requests 400 --audience-limit 2000``, then
``pagescout audience --target mastodon:target@127.0.0.1 --top 20``: it ranks only the pages the crawl
reached, by affinity among the stored audiences.

Usage: .venv/bin/python bench/gather.py [--seed 7] [--people 3000] [--pages 400]
The last line is ``gather_precision_at_20_full=<x>``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.sample_site import LocalServer  # noqa: E402
from ranking.intervals import wilson  # noqa: E402

PAGESCOUT = ROOT / ".venv" / "bin" / "pagescout"
COMMUNITIES = 8
POPULARITY_EXPONENT = 1.5
FOLLOWS_RANGE = (20, 60)  # pages a person follows, both ends included
HOME_SHARE = 0.85  # of a person's follows drawn from their home communities
TARGET_FOLLOWERS = 1500
TARGET_WEIGHTS = (12.0, 5.0, 1.0)  # main community, second community, everyone else
MIN_SHARE = 0.05
TOP = 20
MEMBER_SAMPLES = (100, 300, 1000)  # and the whole audience
ACCOUNTS_PAGE = 80  # Mastodon's largest page of accounts
TARGET_ID = 1
PAGE_ID_BASE = 10_000
PERSON_ID_BASE = 1_000_000
CREATED = "2022-11-05T00:00:00.000Z"
CLOSED_WORLD_REQUESTS = 400
REPLAYS = 200  # other samples per size, ranked in-process (the real gather reads one)
HOST = "127.0.0.1"


@dataclass
class World:
    """The follow graph: ``follows[p, b]`` = person p follows page b; ``target_followers``: people."""

    community: np.ndarray  # page → community
    homes: list[tuple[int, ...]]  # person → home communities
    follows: np.ndarray  # people × pages, bool
    target_followers: np.ndarray  # people following the target, in the order the instance lists them
    follower_order: list[np.ndarray]  # page → its followers, in listing order
    following_order: list[list[int]]  # person → pages followed (-1 = the target), in listing order
    target_communities: tuple[int, int]
    mentions: dict[int, tuple[list[int], int]]  # page (-1 = target) → (pages mentioned, page boosted)


def popularity_weights(pages_in_community: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Weights ∝ rank^-POPULARITY_EXPONENT over a community's pages, ranks shuffled so page numbers say
    nothing."""
    ranks = rng.permutation(len(pages_in_community)) + 1
    return ranks ** -POPULARITY_EXPONENT


def build_world(people: int, pages: int, seed: int) -> World:
    rng = np.random.default_rng(seed)
    community = rng.permutation(np.arange(pages) % COMMUNITIES)  # balanced sizes, random membership
    members_of = [np.flatnonzero(community == c) for c in range(COMMUNITIES)]
    weight_of = np.zeros(pages)
    for c in range(COMMUNITIES):
        weight_of[members_of[c]] = popularity_weights(members_of[c], rng)

    homes = []
    follows = np.zeros((people, pages), dtype=bool)
    for person in range(people):
        home = tuple(int(c) for c in rng.choice(COMMUNITIES, size=rng.integers(1, 3), replace=False))
        homes.append(home)
        count = int(rng.integers(FOLLOWS_RANGE[0], FOLLOWS_RANGE[1] + 1))
        from_home = min(int(round(HOME_SHARE * count)), sum(len(members_of[c]) for c in home))
        pool = np.concatenate([members_of[c] for c in home])
        chosen = rng.choice(pool, size=from_home, replace=False, p=weight_of[pool] / weight_of[pool].sum())
        follows[person, chosen] = True
        while follows[person].sum() < count:  # the rest uniformly from every page, none twice
            follows[person, rng.integers(pages)] = True

    main, second = (int(c) for c in rng.choice(COMMUNITIES, size=2, replace=False))
    person_weight = np.array([TARGET_WEIGHTS[0] if main in h else TARGET_WEIGHTS[1] if second in h
                              else TARGET_WEIGHTS[2] for h in homes])
    target_followers = rng.choice(people, size=min(TARGET_FOLLOWERS, people // 2), replace=False,
                                  p=person_weight / person_weight.sum())
    follows_target = np.zeros(people, dtype=bool)
    follows_target[target_followers] = True

    follower_order = [rng.permutation(np.flatnonzero(follows[:, b])) for b in range(pages)]
    following_order = []
    for person in range(people):
        followed = list(np.flatnonzero(follows[person]))
        if follows_target[person]:
            followed.append(-1)
        following_order.append([int(b) for b in rng.permutation(followed)])

    def talked_about(pool: np.ndarray, own: int) -> tuple[list[int], int]:
        pool = pool[pool != own]
        picked = rng.choice(pool, size=min(3, len(pool)), replace=False, p=weight_of[pool] / weight_of[pool].sum())
        return [int(b) for b in picked[:2]], int(picked[-1])

    mentions = {b: talked_about(members_of[community[b]], b) for b in range(pages)}
    mentions[-1] = talked_about(np.concatenate([members_of[main], members_of[second]]), -1)
    return World(community, homes, follows, rng.permutation(target_followers), follower_order, following_order,
                 (main, second), mentions)


# the instance -------------------------------------------------------------------------------------
class SyntheticMastodon(LocalServer):
    """The world as a Mastodon instance: lookup, statuses, followers and following (paged through the
    ``Link`` header, as Mastodon does); every other path is 404. ``served`` counts requests by kind."""

    def __init__(self, world: World):
        super().__init__()
        self.world = world
        self.served: Counter = Counter()
        pages = world.follows.shape[1]
        self.page_followers = world.follows.sum(axis=0)
        self.page_accounts = [self.account(f"page{b}", PAGE_ID_BASE + b, int(self.page_followers[b]), 0)
                              for b in range(pages)]
        self.target_account = self.account("target", TARGET_ID, len(world.target_followers), 0)
        self.person_accounts = [self.account(f"person{p}", PERSON_ID_BASE + p, 0, len(world.following_order[p]))
                                for p in range(world.follows.shape[0])]
        self.by_name = {a["username"]: a for a in (*self.page_accounts, self.target_account, *self.person_accounts)}

    def account(self, username: str, account_id: int, followers: int, following: int) -> dict:
        return {"id": str(account_id), "username": username, "acct": username, "display_name": username.title(),
                "locked": False, "bot": False, "created_at": CREATED, "note": f"<p>{username}</p>",
                "url": f"{self.url}/@{username}", "uri": f"{self.url}/users/{username}",
                "avatar": f"{self.url}/system/accounts/avatars/{account_id}/original/a.png",
                "avatar_static": f"{self.url}/system/accounts/avatars/{account_id}/original/a.png",
                "followers_count": followers, "following_count": following, "statuses_count": 2,
                "last_status_at": "2026-10-20", "hide_collections": False, "emojis": [], "fields": []}

    def page_account(self, page: int) -> dict:
        return self.target_account if page == -1 else self.page_accounts[page]

    def statuses(self, page: int) -> list[dict]:
        """Newest first: a status mentioning two pages of the community, and a boost of a third."""
        account = self.page_account(page)
        mentioned, boosted = self.world.mentions[page]
        base_id = int(account["id"]) * 10
        mentioned_accounts = [self.page_accounts[b] for b in mentioned]
        text = " ".join(f'<span class="h-card"><a href="{a["url"]}" class="u-url mention">@<span>{a["username"]}'
                        f"</span></a></span>" for a in mentioned_accounts)
        original = self.status(self.page_accounts[boosted], int(self.page_accounts[boosted]["id"]) * 10 + 1,
                               "<p>worth reading</p>", [])
        boost = {**self.status(account, base_id + 2, "", []), "reblog": original, "url": None}
        return [boost, self.status(account, base_id + 1, f"<p>with {text}</p>", mentioned_accounts)]

    @staticmethod
    def status(account: dict, status_id: int, content: str, mentioned: list[dict]) -> dict:
        return {"id": str(status_id), "created_at": "2026-10-08T10:00:00.000Z", "in_reply_to_id": None,
                "in_reply_to_account_id": None, "visibility": "public", "url": f"{account['url']}/{status_id}",
                "uri": f"{account['uri']}/statuses/{status_id}", "replies_count": 0, "reblogs_count": 0,
                "favourites_count": 0, "quotes_count": 0, "content": content, "spoiler_text": "", "reblog": None,
                "account": account, "tags": [], "emojis": [], "media_attachments": [],
                "mentions": [{"id": a["id"], "username": a["username"], "acct": a["acct"], "url": a["url"]}
                             for a in mentioned]}

    def list_page(self, accounts: list[dict], path: str, query: dict) -> tuple[int, object, dict]:
        start = int(query.get("page", 0))
        limit = int(query.get("limit", 40))
        size = min(limit, ACCOUNTS_PAGE)
        headers = {}
        if start + size < len(accounts):
            headers["Link"] = f'<{self.url}{path}?{urlencode({"limit": limit, "page": start + size})}>; rel="next"'
        return 200, accounts[start:start + size], headers

    def owner(self, account_id: str) -> tuple[str, int] | None:
        """("page", b) with b = -1 for the target, or ("person", p), for an account id."""
        number = int(account_id) if account_id.isdigit() else -1
        if number == TARGET_ID:
            return "page", -1
        if PAGE_ID_BASE <= number < PAGE_ID_BASE + len(self.page_accounts):
            return "page", number - PAGE_ID_BASE
        if PERSON_ID_BASE <= number < PERSON_ID_BASE + len(self.person_accounts):
            return "person", number - PERSON_ID_BASE
        return None

    def answer(self, path: str) -> tuple[int, object, dict]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segments = [s for s in parts.path.split("/") if s]
        kind, answer = "other", (404, {"error": "Record not found"}, {})
        if parts.path == "/api/v1/accounts/lookup":
            kind = "lookup"
            account = self.by_name.get(query.get("acct", ""))
            if account is not None:
                answer = 200, account, {}
        elif segments[:3] == ["api", "v1", "accounts"] and len(segments) == 5 and \
                segments[4] in ("statuses", "followers", "following"):
            kind = segments[4]
            owner = self.owner(segments[3])
            if owner is not None:
                answer = self.account_answer(kind, *owner, parts.path, query)
        with self._lock:
            self.served[kind] += 1
        return answer

    def account_answer(self, kind: str, who: str, number: int, path: str, query: dict) -> tuple[int, object, dict]:
        if kind == "statuses":
            statuses = self.statuses(number) if who == "page" else []
            if "max_id" in query:
                statuses = [s for s in statuses if int(s["id"]) < int(query["max_id"])]
            return 200, statuses[:min(int(query.get("limit", 20)), 40)], {}
        if kind == "followers":
            if who == "person":
                return self.list_page([], path, query)  # people have no followers here
            order = self.world.target_followers if number == -1 else self.world.follower_order[number]
            return self.list_page([self.person_accounts[p] for p in order], path, query)
        if who == "page":
            return self.list_page([], path, query)  # pages follow nobody
        return self.list_page([self.page_account(b) for b in self.world.following_order[number]], path, query)

    def counted(self) -> Counter:
        with self._lock:
            return Counter(self.served)


# the exact answer ---------------------------------------------------------------------------------
def ranked(world: World, audience: np.ndarray) -> dict:
    """The top ``TOP`` page names by affinity and by affinity_low from the follow lists of ``audience``
    (people), as ``ranking.gather`` ranks them: share ≥ MIN_SHARE, ties by c_B, then by handle."""
    people = world.follows.shape[0]
    n = len(audience)
    overlap = world.follows[audience].sum(axis=0)  # c_B per page
    followers = world.follows.sum(axis=0)
    share = overlap / n
    low, _ = wilson(overlap, np.full_like(overlap, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        affinity = np.where(followers > 0, 100 * share / (followers / people), np.nan)
        affinity_low = np.where(followers > 0, 100 * low / (followers / people), np.nan)
    kept = np.flatnonzero(share >= MIN_SHARE)
    rankings = {"kept": len(kept)}
    for name, score in (("affinity", affinity), ("affinity_low", affinity_low)):
        # the handle breaks ties as pagescout's sort does: "page10@…" before "page1@…"
        order = sorted(kept, key=lambda b: (-score[b], -overlap[b], f"page{b}@{HOST}"))
        rankings[name] = [f"page{b}" for b in order[:TOP]]
        # how far apart the pages near the cut are: what a sample has to tell apart
        rankings[f"{name}_at_ranks"] = [float(score[order[r - 1]]) for r in (1, TOP, 2 * TOP) if r <= len(order)]
    return rankings


def replayed_precision(world: World, members: int, exact: list[str], seed: int) -> np.ndarray:
    """precision@20 (affinity_low) of ``REPLAYS`` other uniform samples of ``members`` of the audience,
    ranked as gather ranks them: the spread one gather run is a draw from."""
    rng = np.random.default_rng(seed)
    audience = world.target_followers
    return np.array([precision(ranked(world, rng.choice(audience, size=members, replace=False))["affinity_low"],
                               exact) for _ in range(REPLAYS)])


def precision(found: list[str], exact: list[str]) -> float:
    return len(set(found[:TOP]) & set(exact)) / TOP


# the CLI runs -------------------------------------------------------------------------------------
@dataclass
class Run:
    label: str
    top: list[str]
    requests: int
    members: int | None
    seconds: float
    error: str | None = None
    pages_reached: int | None = None  # pages the crawl looked up besides the target (the baseline)


def run_cli(args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PAGESCOUT_BACKOFF_BASE": "0.1"}
    started = time.monotonic()
    result = subprocess.run([str(PAGESCOUT), *args], capture_output=True, text=True, env=env, timeout=600)
    return result, time.monotonic() - started


def page_names(path: Path) -> list[str]:
    """The ranked handles of a written .json table, without the instance (``page17@127.0.0.1`` → ``page17``)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [str(row["handle"]).partition("@")[0] for row in rows]


def failure(result: subprocess.CompletedProcess, db: Path) -> str:
    """The exit code, output and the end of the run's log (the temporary folder goes with the bench)."""
    log = Path(f"{db}.log")
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]) if log.exists() else ""
    return (f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            + (f"\nend of {log.name}:\n{tail}" if tail else ""))


def gather_run(server: SyntheticMastodon, members: int, people: int, folder: Path) -> Run:
    before = server.counted()
    db, out = folder / f"gather-{members}.db", folder / f"gather-{members}.json"
    result, seconds = run_cli([
        "gather", "mastodon:target", "--members", str(members), "--min-share", str(MIN_SHARE), "--top", str(TOP),
        "--crawl-top", "0", "--platform-size", str(people), "--max-requests", "100000", "--base-url", server.url,
        "--delay", "0", "--quiet", "--db", str(db), "--out", str(out)])
    used = sum((server.counted() - before).values())
    if result.returncode != 0 or not out.exists():
        return Run(f"gather {members}", [], used, members, seconds, failure(result, db))
    return Run(f"gather {members}", page_names(out), used, members, seconds)


def closed_world_run(server: SyntheticMastodon, folder: Path) -> Run:
    before = server.counted()
    db = folder / "closed.db"
    crawl, crawl_seconds = run_cli([
        "crawl", "mastodon", "target", "--depth", "2", "--audience-limit", "2000", "--max-posts", "5",
        "--max-requests", str(CLOSED_WORLD_REQUESTS), "--base-url", server.url, "--delay", "0", "--quiet",
        "--db", str(db)])
    served = server.counted() - before
    used, reached = sum(served.values()), served["lookup"] - 1
    if crawl.returncode != 0:
        return Run("crawl + audience", [], used, None, crawl_seconds, "crawl: " + failure(crawl, db), reached)
    out = folder / "closed.json"
    audience, rank_seconds = run_cli(["audience", "--target", f"mastodon:target@{server.host}", "--top", str(TOP),
                                      "--out", str(out), "--db", str(db)])
    seconds = crawl_seconds + rank_seconds
    if audience.returncode != 0 or not out.exists():
        return Run("crawl + audience", [], used, None, seconds, "audience: " + failure(audience, db), reached)
    return Run("crawl + audience", page_names(out), used, None, seconds, pages_reached=reached)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--pages", type=int, default=400)
    args = parser.parse_args()
    if args.pages < 3 * COMMUNITIES or args.people < 2:
        raise SystemExit(f"need at least {3 * COMMUNITIES} pages and 2 people")

    started = time.monotonic()
    world = build_world(args.people, args.pages, args.seed)
    audience = world.target_followers
    n = len(audience)
    exact = ranked(world, audience)
    print(f"world (seed {args.seed}): {args.people:,} people, {args.pages:,} pages in {COMMUNITIES} communities, "
          f"{int(world.follows.sum()):,} follows ({world.follows.sum(axis=1).mean():.1f} per person); target: "
          f"{n:,} followers, mostly at home in communities {world.target_communities[0]} and "
          f"{world.target_communities[1]}; built in {time.monotonic() - started:.1f} s")
    print(f"exact answer over all {n:,} followers: {exact['kept']} pages with target_share ≥ {MIN_SHARE:.0%}; "
          f"the top {TOP} by affinity_low and by affinity share "
          f"{len(set(exact['affinity_low']) & set(exact['affinity']))} pages")
    print(f"  top {TOP} by affinity_low: {', '.join(exact['affinity_low'])}")
    at_ranks = {name: ", ".join(f"{v:.0f}" for v in exact[f"{name}_at_ranks"]) for name in ("affinity_low", "affinity")}
    print(f"  at ranks 1, {TOP}, {2 * TOP}: affinity_low {at_ranks['affinity_low']}; affinity {at_ranks['affinity']}")

    sizes = (*(m for m in MEMBER_SAMPLES if m < n), n)
    runs = []
    with SyntheticMastodon(world) as server, tempfile.TemporaryDirectory(prefix="bench-gather-") as tmp:
        folder = Path(tmp)
        for members in sizes:
            runs.append(gather_run(server, members, args.people, folder))
        runs.append(closed_world_run(server, folder))
        served = server.counted()
    print("requests served in all: " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(served.items())))

    print(f"\n{'sample (members)':<18} {'precision@20 vs exact (affinity_low)':>37} {'vs exact (affinity)':>20} "
          f"{'requests':>9} {'requests per member':>20} {'seconds':>8}")
    for run in runs:
        label = run.label
        if run.members:
            label = f"{run.members:,}" + (" (all)" if run.members == n else "")
        if run.error:
            print(f"{label:<18} failed after {run.requests:,} requests, {run.seconds:.1f} s")
            continue
        per_member = f"{run.requests / run.members:.2f}" if run.members else "-"
        print(f"{label:<18} {precision(run.top, exact['affinity_low']):>37.2f} "
              f"{precision(run.top, exact['affinity']):>20.2f} {run.requests:>9,} {per_member:>20} "
              f"{run.seconds:>8.1f}")
    print(f"The gather rows are `pagescout gather --members M`, ranked by affinity_low; the last row crawls by links "
          f"(--depth 2, --max-requests {CLOSED_WORLD_REQUESTS})")
    baseline = runs[-1]
    if baseline.pages_reached is not None:
        print(f"and ranks what it reached ({baseline.pages_reached} pages besides the target) with `pagescout "
              f"audience`, which can rank nothing else.")

    # One run reads one sample (the first M followers listed); the pages of a community rise and fall
    # together with the sample's make-up, so one figure can be far from the usual one.
    print(f"\nOne gather run is one sample. {REPLAYS} other uniform samples of each size, ranked in-process as "
          f"ranking.gather ranks (checked: gather's own sample, the first M followers listed, gives its top {TOP}):")
    print(f"{'sample (members)':<18} {'replay = gather':>16} {'precision@20 (affinity_low): mean':>34} "
          f"{'10th pct':>9} {'90th pct':>9} {'≥ 0.8':>7}")
    for run in runs[:-1]:
        replay = ranked(world, audience[:run.members])["affinity_low"]
        same = "-" if run.error else "yes" if replay == run.top else "NO"
        spread = replayed_precision(world, run.members, exact["affinity_low"], args.seed + run.members)
        label = f"{run.members:,}" + (" (all)" if run.members == n else "")
        print(f"{label:<18} {same:>16} {spread.mean():>34.2f} {np.percentile(spread, 10):>9.2f} "
              f"{np.percentile(spread, 90):>9.2f} {(spread >= 0.8).mean():>7.0%}")

    for run in runs:
        if run.error:
            print(f"\n{run.label} failed: {run.error}")
    print(f"\ntotal {time.monotonic() - started:.1f} s")
    full = runs[len(sizes) - 1]
    value = "nan" if full.error else f"{precision(full.top, exact['affinity_low']):.2f}"
    print(f"gather_precision_at_20_full={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
