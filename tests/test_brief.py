"""Brief validation: the example parses; each kind of mistake is one line naming file, line and key."""

from __future__ import annotations

import pytest

from conftest import REPO
from crawler.brief import BriefError, load_brief, parse_brief

GOOD = """
name = "Test"
platforms = ["telegram"]
keywords = ["фитнес", "běhání"]
targets = ["telegram:client"]

[seeds]
telegram = ["client", "rival"]
bluesky = ["alice.bsky.social"]

[filters]
min_followers = 1000
languages = ["ru", "cs"]

[weights]
relevance = 0.5

[budget]
amount = 1000
prices = "prices.csv"
"""


def test_bundled_example_brief_parses():
    brief = load_brief(REPO / "data" / "brief.toml")
    assert brief.platforms == ["telegram"]
    assert brief.seeds["telegram"] == ["spb_fitness_club", "run_spb"]
    assert "фитнес" in brief.keywords and brief.targets == ["telegram:spb_fitness_club"]


def test_good_brief_fields(tmp_path):
    path = tmp_path / "brief.toml"
    path.write_text(GOOD, encoding="utf-8")
    brief = load_brief(path)
    assert brief.platforms == ["telegram", "bluesky"]  # seeds add their platform
    assert brief.filters == {"min_followers": 1000, "languages": ["ru", "cs"]}
    assert brief.weights == {"relevance": 0.5}
    assert brief.budget == 1000 and brief.prices == tmp_path / "prices.csv"


@pytest.mark.parametrize(
    "change,expected",
    [
        (("min_followers = 1000", "min_folowers = 1000"), "brief.toml:12: filters.min_folowers: unknown key"),
        (("min_followers = 1000", 'min_followers = "many"'), "brief.toml:12: filters.min_followers: must be a whole number, not string"),
        (('keywords = ["фитнес", "běhání"]', 'keywords = "фитнес"'), "brief.toml:4: keywords: must be a list, not string"),
        (("relevance = 0.5", "charisma = 0.5"), "brief.toml:16: weights.charisma: unknown component"),
        (('bluesky = ["alice.bsky.social"]', 'myspace = ["x"]'), "brief.toml:9: seeds.myspace: unknown platform"),
        (('targets = ["telegram:client"]', 'targets = ["client"]'), "brief.toml:5: targets: 'client' must be written platform:handle"),
        (('name = "Test"', 'name = "Test'), "brief.toml:2: TOML syntax"),
        (("[budget]", "[budget]\nwallet = 3"), "brief.toml:19: budget.wallet: unknown key"),
        (('name = "Test"', 'colour = "red"'), "brief.toml:2: colour: unknown key"),
        (('languages = ["ru", "cs"]', 'languages = ["russian"]'), "brief.toml:13: filters.languages: 'russian' is not a two-letter"),
    ],
)
def test_each_kind_of_mistake_names_line_and_key(change, expected):
    with pytest.raises(BriefError) as info:
        parse_brief(GOOD.replace(*change), "brief.toml")
    message = str(info.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_brief_without_any_seed_or_search():
    with pytest.raises(BriefError, match="no seeds and no search"):
        parse_brief('name = "x"\nplatforms = ["telegram"]\n', "b.toml")


def test_missing_file(tmp_path):
    with pytest.raises(BriefError, match="no such file"):
        load_brief(tmp_path / "nope.toml")
