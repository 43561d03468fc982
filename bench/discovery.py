"""Focused discovery against breadth-first, on a real page graph, at the same request budget.

Data: ../shared/datasets/musae_facebook (22,470 verified Facebook pages, 171,002 mutual likes, four
page types; Rozemberczki et al. 2021). A local server on 127.0.0.1 speaks the Mastodon API for it:
each page is an account whose display name is the page name and whose bio is its page type, and which
follows the pages it mutually likes (the first 80, as one page of ``following``).

For each page type: the truth is the type's top 50 pages by PageRank on the type's own subgraph; the
brief names the type as its keyword and starts from three pages of that type (random, fixed seed, not
in the top 50). ``pagescout discover`` runs with ``--strategy focused`` and ``--strategy
breadth-first`` at the same ``--max-requests``; recall = share of the top 50 the crawl fetched.

    python bench/discovery.py [--budget 600] [--categories tvshow,government,...]

Each strategy runs ``--repeat`` times (3) per page type, since response order varies between runs.
Last line: ``discovery_recall_focused=<x> discovery_recall_bfs=<y>`` (means over page types and runs).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import networkx as nx
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.sample_site import LocalServer  # noqa: E402
from crawler.store import Store  # noqa: E402
DATA = REPO.parent / "shared" / "datasets" / "musae_facebook"
FOLLOWING_PAGE = 80


def load_graph() -> tuple[nx.Graph, pd.DataFrame]:
    edges = pd.read_csv(DATA / "facebook_edges.csv")
    pages = pd.read_csv(DATA / "facebook_target.csv").set_index("id")
    graph = nx.Graph()
    graph.add_nodes_from(pages.index)
    graph.add_edges_from(edges[edges.id_1 != edges.id_2].itertuples(index=False, name=None))
    return graph, pages


class MastodonStandIn(LocalServer):
    """The page graph as a Mastodon instance: lookup, statuses (none), following."""

    def __init__(self, graph: nx.Graph, pages: pd.DataFrame):
        super().__init__()
        self.graph = graph
        self.pages = pages
        self.thread.start()

    def account(self, node: int) -> dict:
        page = self.pages.loc[node]
        return {"id": str(node), "username": f"page{node}", "acct": f"page{node}",
                "display_name": page.page_name, "note": f"<p>{page.page_type}</p>",
                "url": f"{self.url}/@page{node}", "followers_count": self.graph.degree(node),
                "following_count": self.graph.degree(node), "statuses_count": 0,
                "created_at": "2017-11-01T00:00:00.000Z", "avatar": f"{self.url}/a/{node}.png"}

    def answer(self, path: str) -> tuple[int, object, dict]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        segments = [s for s in parts.path.split("/") if s]
        if parts.path == "/api/v1/accounts/lookup":
            name = query.get("acct", [""])[0].partition("@")[0]
            node = int(name[4:]) if name.startswith("page") and name[4:].isdigit() else -1
            return (200, self.account(node), {}) if node in self.graph else (404, {"error": "Record not found"}, {})
        if len(segments) == 5 and segments[:3] == ["api", "v1", "accounts"]:
            node = int(segments[3])
            if segments[4] == "statuses":
                return 200, [], {}
            if segments[4] == "following":
                # Mastodon lists follows newest first: an order unrelated to the page ids.
                neighbours = sorted(self.graph.neighbors(node))
                random.Random(node).shuffle(neighbours)
                neighbours = neighbours[:FOLLOWING_PAGE]
                return 200, [self.account(n) for n in neighbours], {}
            if segments[4] == "followers":
                return 200, [], {}
        return 404, {"error": "Record not found"}, {}


def discover(server: MastodonStandIn, category: str, seeds: list[int], budget: int, strategy: str,
             folder: Path) -> tuple[set[int], float]:
    brief = folder / f"{category}-{strategy}.toml"
    brief.write_text(
        f'name = "{category} pages"\nplatforms = ["mastodon"]\nkeywords = ["{category}"]\n'
        f"[seeds]\nmastodon = {json.dumps([f'page{s}' for s in seeds])}\n", encoding="utf-8")
    db = Path(tempfile.mkdtemp(dir=folder)) / f"{category}-{strategy}.db"  # a fresh database for every run
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cli", "discover", str(brief), "--strategy", strategy, "--max-requests", str(budget),
         "--base-url", f"mastodon={server.url}", "--delay", "0", "--quiet", "--audience-limit", "0",
         "--max-posts", "1", "--depth", "50", "--db", str(db), "--fresh"],
        cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"discover failed: {result.stderr[-2000:]}")
    with Store(str(db), create=False) as store:
        accounts = store.load_accounts("mastodon")
    handles = accounts.loc[accounts["status"].eq("ok"), "handle"]
    return {int(h.partition("@")[0][4:]) for h in handles}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=600, help="requests per discovery run")
    parser.add_argument("--categories", default="tvshow,government,company,politician")
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per strategy: responses arrive in a different order each run, so the "
                             "crawl order (breadth-first's most of all) varies; recall is the mean of the runs")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is absent: this benchmark reads ../shared/datasets/musae_facebook")

    graph, pages = load_graph()
    server = MastodonStandIn(graph, pages)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for category in args.categories.split(","):
            members = pages.index[pages.page_type == category]
            sub = graph.subgraph(members)
            rank = nx.pagerank(sub)
            truth = set(sorted(rank, key=rank.get, reverse=True)[: args.top])
            rng = random.Random(f"seeds-{category}")
            pool = sorted(n for n in members if n not in truth and sub.degree(n) >= 3)
            seeds = rng.sample(pool, 3)
            row = {"category": category, "pages": len(members), "budget": args.budget}
            for strategy in ("focused", "breadth-first"):
                recalls, on_topic, sizes, seconds = [], [], [], []
                for _ in range(args.repeat):
                    fetched, elapsed = discover(server, category, seeds, args.budget, strategy, Path(tmp))
                    recalls.append(len(truth & fetched) / len(truth))
                    on_topic.append(sum(pages.page_type.get(n) == category for n in fetched) / max(1, len(fetched)))
                    sizes.append(len(fetched))
                    seconds.append(elapsed)
                row[f"recall_{strategy}"] = sum(recalls) / len(recalls)
                row[f"recall_range_{strategy}"] = f"{min(recalls):.2f}–{max(recalls):.2f}"
                row[f"on_topic_{strategy}"] = sum(on_topic) / len(on_topic)
                row[f"fetched_{strategy}"] = round(sum(sizes) / len(sizes))
                row[f"seconds_{strategy}"] = round(sum(seconds) / len(seconds), 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table[["category", "pages", "budget", "fetched_focused", "fetched_breadth-first", "recall_focused",
                 "recall_range_focused", "recall_breadth-first", "recall_range_breadth-first", "on_topic_focused",
                 "on_topic_breadth-first"]].round(3).to_string(index=False))
    focused, bfs = table["recall_focused"].mean(), table["recall_breadth-first"].mean()
    print(f"discovery_recall_focused={focused:.3f} discovery_recall_bfs={bfs:.3f}")


if __name__ == "__main__":
    main()
