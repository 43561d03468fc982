"""Score v2: relevance, authority and affinity components, the why column, filters, and the shortlist with a brief."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ranking.score import DEFAULT_WEIGHTS, V2_WEIGHTS, apply_filters, brief_weights, score
from ranking.frames import Frames
from ranking.shortlist import RELEVANCE_COLUMNS, SHORTLIST_COLUMNS, ShortlistOptions, shortlist
from test_ranking import frames


def metrics(**extra):
    base = pd.DataFrame({
        "platform": "telegram", "handle": ["a", "b", "c", "d"], "followers": [100, 200, 300, 400],
        "median_views": [10, 20, 30, 40], "er_views": [0.4, 0.3, 0.2, 0.1], "er_followers": None,
        "citations": [0, 0, 0, 0],
    })
    return base.assign(**extra)


def test_v1_score_unchanged_by_v2_columns():
    plain = score(metrics())
    extended = score(metrics(relevance=[1.0, 0.0, 0.5, 0.2], pagerank=[0.1, 0.2, 0.3, 0.4],
                             citation_index=[0, 1, 2, 3], affinity=[50, 100, 150, 200]))
    assert extended["score"].tolist() == plain["score"].tolist()
    assert extended["handle"].tolist() == plain["handle"].tolist()


def test_v2_components_weighted_percentiles():
    m = metrics(relevance=[1.0, 0.0, 0.5, 0.2], pagerank=[0.1, 0.2, 0.3, 0.4], citation_index=[0, 1, 2, 3])
    ranked = score(m, brief_weights()).set_index("handle")
    # a: relevance p100, reach p25, engagement p100, authority p25; affinity absent → left out of both sums
    w = V2_WEIGHTS
    expected = 100 * (w["relevance"] * 1 + w["reach"] * 0.25 + w["engagement"] * 1 + w["authority"] * 0.25) / (
        w["relevance"] + w["reach"] + w["engagement"] + w["authority"])
    assert ranked.loc["a", "score"] == pytest.approx(expected, abs=0.05)


def test_brief_weights_replace_the_defaults_they_name():
    assert brief_weights({"reach": 1.0})["reach"] == 1.0
    assert brief_weights({"reach": 1.0})["relevance"] == V2_WEIGHTS["relevance"]
    assert "citations" not in brief_weights() and "citations" in DEFAULT_WEIGHTS  # authority includes it
    with pytest.raises(ValueError, match="unknown score components"):
        score(metrics(), {"charm": 1.0})


def test_why_names_what_lifted_and_what_sank():
    m = metrics(relevance=[0.92, 0.0, 0.5, 0.2])
    ranked = score(m, {"relevance": 0.5, "reach": 0.3, "engagement": 0.2}).set_index("handle")
    # a: relevance p100 (+25 points), reach p25 (−7.5), engagement p100 (+10)
    assert ranked.loc["a", "why"] == "lifted by relevance 0.92, engagement p100; sunk by reach p25"
    # b: relevance p25 (−12.5), reach p50 (0: the median moves nothing), engagement p75 (+5)
    assert ranked.loc["b", "why"] == "lifted by engagement p75; sunk by relevance 0.00"


def test_why_ignores_unknown_values_and_ties():
    m = metrics(er_views=[0.4, None, None, None], citations=[1, 1, 1, 1])
    ranked = score(m, {"reach": 0.5, "engagement": 0.3, "citations": 0.2}).set_index("handle")
    assert ranked.loc["b", "why"] == ""  # reach p50 moves nothing; its engagement is unknown
    assert "engagement" not in ranked.loc["c", "why"]  # unknown: scored neutral, named nowhere
    assert "citations" not in "".join(ranked["why"])  # every page ties
    assert ranked.loc["a", "why"] == "lifted by engagement p100; sunk by reach p25"


def test_why_empty_when_nothing_moves_the_score():
    same = metrics().assign(median_views=10, er_views=0.1)
    assert (score(same)["why"] == "").all()


def test_apply_filters_drop_what_is_known_to_fail():
    m = metrics(posts_per_week=[1.0, None, 3.0, 0.5], language=["ru", "", "en", "ru"],
                bot_share=[0.1, 0.5, None, 0.2])
    m.loc[1, "followers"] = None
    kept = apply_filters(m, {"min_followers": 250, "languages": ["ru"]})["handle"].tolist()
    assert kept == ["b", "d"]  # b: unknown followers and language pass; c is English
    assert apply_filters(m, {"max_followers": 250, "min_posts_per_week": 1})["handle"].tolist() == ["a", "b"]
    assert apply_filters(m, {"min_engagement": 0.25})["handle"].tolist() == ["a", "b"]
    assert apply_filters(m, {"max_bot_share": 0.3})["handle"].tolist() == ["a", "c", "d"]
    assert apply_filters(metrics(), {"max_bot_share": 0.3})["handle"].tolist() == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="unknown filters: min_folowers"):
        apply_filters(m, {"min_folowers": 1})


def test_shortlist_without_brief_is_v1_with_new_columns_appended():
    table = shortlist(Frames(*frames()))
    assert set(RELEVANCE_COLUMNS) <= set(table.columns) and set(table.columns) <= set(SHORTLIST_COLUMNS)
    assert table["relevance"].isna().all()
    assert table["handle"].tolist()[0] == "a"
    a = table.set_index("handle").loc["a"]
    assert a["citation_index"] == pytest.approx(math.log10(1 + 400) + 1, abs=0.005)  # citers b (400 views), c (unknown)
    assert a["why"].startswith("lifted by")


def test_shortlist_with_keywords_filters_and_exclusions():
    accounts, posts, links = frames()
    accounts["description"] = ["Тренировки и бег каждый день", "Рецепты супов", "Йога и тренировки", None]
    table = shortlist(Frames(accounts, posts, links), ShortlistOptions(
        keywords=("тренировка",), filters={"min_followers": 500}, exclude=(("telegram", "c"),)))
    assert table["handle"].tolist() == ["a", "b"]  # c excluded; b (4000) and a (1000) pass min_followers
    rel = table.set_index("handle")["relevance"]
    assert rel["a"] > rel["b"]
    assert "relevance" in table.set_index("handle").loc["a", "why"]
