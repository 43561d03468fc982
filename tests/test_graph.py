"""The link graph: PageRank, the reach-weighted citation index and labelled Louvain communities, hand-checked."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from ranking.graph import authority, citation_index, communities, link_graph, pagerank, reach_of, top_terms


def links_frame(rows, platform="telegram"):
    return pd.DataFrame([(platform, s, d, k) for s, d, k in rows], columns=["platform", "src", "dst", "kind"])


def star():
    """Four leaves cite the hub; the hub mentions nobody. Leaf reaches: views 99, followers 999, unknown, 5."""
    links = links_frame([("l1", "hub", "forward"), ("l1", "hub", "mention"), ("l2", "hub", "repost"),
                         ("l3", "hub", "mention"), ("l4", "hub", "quote"), ("l4", "l4", "mention"),
                         ("hub", "l1", "follow")])
    metrics = pd.DataFrame({
        "platform": "telegram", "handle": ["hub", "l1", "l2", "l3", "l4"],
        "median_views": [1000, 99, None, None, 5], "followers": [10_000, 500, 999, None, 50],
    })
    return links, metrics


def test_graph_counts_links_of_each_pair_and_drops_self_links():
    links, metrics = star()
    graph = link_graph(links, metrics)
    assert graph[("telegram", "l1")][("telegram", "hub")]["weight"] == 2
    assert not graph.has_edge(("telegram", "l4"), ("telegram", "l4"))
    assert graph.number_of_nodes() == 5


def test_star_hub_has_the_highest_pagerank():
    links, metrics = star()
    ranks = pagerank(link_graph(links, metrics))
    assert ranks.idxmax() == ("telegram", "hub")
    assert ranks.sum() == pytest.approx(1.0)


def test_pagerank_follows_link_weight_and_stays_within_platform():
    links = pd.concat([links_frame([("a", "b", "mention"), ("a", "b", "forward"), ("a", "c", "mention")]),
                       links_frame([("x", "y", "repost")], platform="vk")])
    ranks = pagerank(link_graph(links))
    assert ranks[("telegram", "b")] > ranks[("telegram", "c")] > ranks[("telegram", "a")]
    assert ranks.xs("vk").sum() == pytest.approx(1.0) and ranks.xs("telegram").sum() == pytest.approx(1.0)


def test_star_citation_index_hand_computed():
    links, metrics = star()
    index = citation_index(links, reach_of(metrics))
    # l1: log10(1 + 99) = 2 (counted once for two links); l2: log10(1 + 999) = 3 (followers, no views);
    # l3: reach unknown → 1; l4: log10(6) = 0.78 → floor 1. Follows and self-mentions do not cite.
    assert index[("telegram", "hub")] == pytest.approx(2 + 3 + 1 + 1)
    assert ("telegram", "l1") not in index.index  # only followed, never cited


def test_karate_club_communities_follow_the_split():
    karate = nx.karate_club_graph()
    links = links_frame([(str(u), str(v), "mention") for u, v in karate.edges], platform="x")
    found = communities(link_graph(links), seed=42)
    assert found.nunique() >= 2
    club = pd.Series({("x", str(n)): karate.nodes[n]["club"] for n in karate})
    majority = pd.DataFrame({"c": found, "club": club}).groupby("c")["club"].agg(lambda s: s.value_counts().iloc[0])
    assert majority.sum() / len(karate) >= 0.85  # each community is mostly one club


def test_communities_labelled_by_their_words():
    yoga = ["y1", "y2", "y3", "y4"]
    ball = ["f1", "f2", "f3"]
    rows = [(a, b, "mention") for group in (yoga, ball) for a in group for b in group if a != b]
    links = links_frame(rows + [("y1", "f1", "mention")])
    texts = pd.Series({("telegram", h): "йога и медитация, йога для спины" for h in yoga}
                      | {("telegram", h): "футбол и матчи, футбол во дворе" for h in ball})
    texts[("telegram", "y2")] += " растяжка"
    found = communities(link_graph(links), texts, seed=0)
    assert found[("telegram", "y3")].startswith("1: йога")  # the larger community is number 1
    assert found[("telegram", "f2")].startswith("2: футбол")
    assert "и" not in found[("telegram", "f2")].split(": ")[1].split(", ")  # function words never label


def test_isolated_accounts_have_no_community():
    links, metrics = star()
    metrics.loc[5] = ["telegram", "loner", 10, 10]
    table = authority(metrics, links)
    assert math.isnan(table.loc[5, "community"]) if isinstance(table.loc[5, "community"], float) else \
        table.loc[5, "community"] is None
    assert table.loc[5, "citation_index"] == 0
    assert table.loc[0, "community"] == "1"  # no texts given: numbered only


def test_top_terms_weigh_words_against_other_documents():
    assert top_terms(["бег йога", "бег футбол"], n=1) == [["йога"], ["футбол"]]


@pytest.mark.parametrize("module", ["ranking.relevance", "ranking.graph", "ranking.similar"])
def test_docstring_examples_hold(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), extraglobs={"pd": pd})
    assert result.failed == 0
