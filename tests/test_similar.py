"""Lookalikes on a small hand-built store: audience Jaccard, co-citation, content, and how they combine."""

from __future__ import annotations

import pandas as pd
import pytest

from ranking.similar import SIMILAR_COLUMNS, citers, set_jaccard, similar

AUDIENCE = {"q": range(1, 11), "a": [*range(1, 9), 20], "b": [1, 2, 3]}


def store_frames():
    handles = ["q", "a", "b", "c", "d", "x1", "x2", "gone"]
    names = {"q": "Бег и марафон", "a": "Бег и тренировки к марафону", "d": "Вязание крючком"}
    accounts = pd.DataFrame({
        "platform": "telegram", "handle": handles, "name": [names.get(h) for h in handles],
        "url": [f"https://t.me/{h}" for h in handles], "followers": [100, 50, 60, 70, 80, 10, 10, 5],
        "status": ["ok"] * 7 + ["unavailable"],
    })
    posts = pd.DataFrame(columns=["platform", "account", "post_id", "published_at", "text"])
    links = pd.DataFrame([("telegram", s, d, k) for s, d, k in [
        ("x1", "q", "mention"), ("x2", "q", "forward"), ("x1", "b", "mention"), ("x2", "b", "repost"),
        ("x1", "c", "quote"), ("x2", "gone", "mention"), ("a", "q", "follow")]],
        columns=["platform", "src", "dst", "kind"])
    audience = pd.DataFrame([("telegram", h, "follower", m) for h, members in AUDIENCE.items() for m in members],
                            columns=["platform", "account", "kind", "member_key"])
    return accounts, posts, links, audience


def test_set_jaccard_and_citers():
    assert set_jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
    assert set_jaccard(set(), set()) == 0
    _, _, links, _ = store_frames()
    assert citers(links)[("telegram", "q")] == {"x1", "x2"}  # the follow does not cite


def test_lookalikes_combine_the_signals():
    table = similar(("telegram", "q"), *store_frames())
    assert list(table.columns) == list(SIMILAR_COLUMNS)
    table = table.set_index("handle")
    assert table.index.tolist()[:3] == ["a", "b", "c"]
    assert "gone" not in table.index and "x1" not in table.index  # unusable; nothing in common
    a, b, c = table.loc["a"], table.loc["b"], table.loc["c"]
    assert a["audience_jaccard"] == pytest.approx(8 / 11)
    assert b["audience_jaccard"] == pytest.approx(3 / 10) and b["cocitation"] == pytest.approx(1.0)
    assert c["cocitation"] == pytest.approx(0.5)
    # a is the closest by audience and by content (scaled 1 each) and shares no citer
    assert a["similarity"] == pytest.approx((0.4 * 1 + 0.3 * 0 + 0.3 * 1) / 1.0)
    # b: audience 0.3 / (8/11), cocitation 1 / 1, no text
    assert b["similarity"] == pytest.approx(0.4 * 0.3 / (8 / 11) + 0.3 * 1)
    assert c["similarity"] == pytest.approx(0.3 * 0.5)
    assert a["matched_by"].startswith("audience 0.73") and "content" in a["matched_by"]
    assert b["matched_by"] == "cocitation 1.00"
    assert c["matched_by"] == "cocitation 0.50"


def test_signals_without_data_are_left_out():
    accounts, posts, links, _ = store_frames()
    table = similar(("telegram", "d"), accounts, posts, links, audience=None).set_index("handle")
    assert table["audience_jaccard"].isna().all() and table["cocitation"].isna().all()
    assert table["matched_by"].str.startswith("content").all()


def test_unknown_account_and_top():
    frames = store_frames()
    with pytest.raises(KeyError):
        similar(("telegram", "nobody"), *frames)
    assert len(similar(("telegram", "q"), *frames, top=2)) == 2


def test_content_counts_only_above_the_median_candidate():
    texts = {"q": "бег и марафон, тренировки", "run": "бег и марафон", "news": "новости и погода",
             "films": "кино и новости", "music": "музыка и новости"}
    accounts = pd.DataFrame({"platform": "telegram", "handle": list(texts), "name": list(texts.values()),
                             "followers": 10, "status": "ok"})
    posts = pd.DataFrame(columns=["platform", "account", "post_id", "published_at", "text"])
    links = pd.DataFrame(columns=["platform", "src", "dst", "kind"])
    table = similar(("telegram", "q"), accounts, posts, links)
    assert table["handle"].iloc[0] == "run" and table["similarity"].iloc[0] == pytest.approx(1.0)
    assert len(table) <= 2  # the median candidate and those below it share only the language
