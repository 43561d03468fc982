"""Engagement metrics and the score on tiny hand-computed inputs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ranking.engagement import account_metrics, citations, interactions, posts_per_week
from ranking.score import score
from ranking.frames import Frames
from ranking.shortlist import SHORTLIST_COLUMNS, ShortlistOptions, shortlist


def frames():
    accounts = pd.DataFrame({
        "platform": ["telegram", "telegram", "telegram", "telegram"],
        "handle": ["a", "b", "c", "dead"],
        "name": ["A", "B", "C", "Dead"],
        "url": ["https://t.me/a", "https://t.me/b", "https://t.me/c", None],
        "followers": [1000, 4000, None, 10],
        "status": ["ok", "ok", "ok", "unavailable"],
    })
    posts = pd.DataFrame({
        "platform": "telegram",
        "account": ["a", "a", "a", "b", "b", "c"],
        "post_id": ["1", "2", "3", "1", "2", "1"],
        "published_at": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-01", "2026-01-02",
                                        "2026-01-01"], utc=True),
        "views": [100, 200, 1000, 400, None, None],
        "likes": [10, 30, 50, None, None, None],
        "comments": [None, 10, None, None, None, None],
        "reposts": [None, None, None, None, None, None],
    })
    links = pd.DataFrame({
        "platform": "telegram",
        "src": ["b", "c", "c", "a", "b"],
        "dst": ["a", "a", "a", "b", "b"],
        "kind": ["forward", "mention", "forward", "follow", "mention"],
    })
    return accounts, posts, links


def test_interactions_sum_known_parts_and_stay_unknown_when_none_known():
    _, posts, _ = frames()
    assert interactions(posts).tolist()[:3] == [10, 40, 50]
    assert math.isnan(interactions(posts).iloc[3])


def test_posts_per_week_counts_intervals():
    dates = pd.Series(pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-15"], utc=True))
    assert posts_per_week(dates) == pytest.approx(1.0)
    assert math.isnan(posts_per_week(dates[:1]))


def test_citations_count_distinct_citing_accounts_not_follows_or_self():
    _, _, links = frames()
    counts = citations(links)
    assert counts[("telegram", "a")] == 2  # b forwarded, c mentioned and forwarded: 2 distinct
    assert ("telegram", "b") not in counts.index  # only a follow and a self-mention point at b


def test_account_metrics_hand_computed():
    m = account_metrics(*frames()).set_index("handle")
    assert "dead" not in m.index
    a = m.loc["a"]
    assert a["posts"] == 3
    assert a["median_views"] == 200
    assert a["reach_rate"] == pytest.approx(200 / 1000)
    assert a["er_views"] == pytest.approx(sorted([10 / 100, 40 / 200, 50 / 1000])[1])
    assert a["er_followers"] == pytest.approx(40 / 1000)
    assert a["posts_per_week"] == pytest.approx(1.0)
    assert a["citations"] == 2


def test_metrics_that_cannot_be_computed_are_empty_not_zero():
    m = account_metrics(*frames()).set_index("handle")
    assert math.isnan(m.loc["b", "er_views"])  # no interactions known
    assert math.isnan(m.loc["c", "reach_rate"])  # no followers, no views
    assert math.isnan(m.loc["c", "median_views"])


def test_score_is_weighted_mean_of_within_platform_percentiles():
    m = account_metrics(*frames())
    ranked = score(m).set_index("handle")
    # reach: a=200, b=400, c=NaN → pct a .5, b 1, c neutral .5; engagement: only a → 1, b/c .5;
    # citations a=2, b=0, c=0 → a 1, b/c .5.
    assert ranked.loc["a", "score"] == pytest.approx(100 * (0.40 * 0.5 + 0.35 * 1 + 0.25 * 1), abs=0.05)
    assert ranked.loc["b", "score"] == pytest.approx(100 * (0.40 * 1 + 0.35 * 0.5 + 0.25 * 0.5), abs=0.05)
    assert ranked.loc["c", "score"] == pytest.approx(50.0)
    assert ranked["rank"].tolist() == [1, 2, 3]


def test_percentiles_never_compare_across_platforms():
    m = pd.DataFrame({
        "platform": ["telegram", "vk"], "handle": ["small", "huge"], "followers": [10, 10**7],
        "median_views": [5, 10**6], "er_views": [0.1, 0.1], "er_followers": [0.05, 0.05], "citations": [0, 0],
    })
    ranked = score(m).set_index("handle")
    assert ranked.loc["small", "score"] == ranked.loc["huge", "score"]


def test_custom_weights_validated():
    with pytest.raises(ValueError, match="unknown score components"):
        score(account_metrics(*frames()), {"charisma": 1.0})


def test_shortlist_columns_in_documented_order():
    table = shortlist(Frames(*frames()))
    assert list(table.columns)[:14] == ["rank", "platform", "handle", "name", "url", "followers", "posts",
                                        "posts_per_week", "median_views", "reach_rate", "er_views",
                                        "er_followers", "citations", "score"]
    assert set(table.columns) <= set(SHORTLIST_COLUMNS)
    assert table["handle"].tolist()[0] == "a"
    assert len(shortlist(Frames(*frames()), ShortlistOptions(top=1))) == 1


def test_replies_are_not_publications():
    accounts, posts, links = frames()
    reply = pd.DataFrame({"platform": ["telegram"], "account": ["a"], "post_id": ["9"], "kind": ["reply"],
                          "published_at": pd.to_datetime(["2026-01-20"], utc=True), "views": [1],
                          "likes": [0], "comments": [None], "reposts": [None]})
    with_reply = pd.concat([posts.assign(kind="post"), reply], ignore_index=True)
    a = account_metrics(accounts, with_reply, links).set_index("handle").loc["a"]
    assert a["posts"] == 3 and a["median_views"] == 200
