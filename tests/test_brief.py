"""Brief validation: the example parses; each kind of mistake is one line naming file, line and key."""

from __future__ import annotations

import time

import pytest

from conftest import REPO
from sheets.brief import (KEYWORD_CHARS, MAX_ITEMS, MAX_KEYWORDS, STRING_CHARS, BriefError, load_brief,
                           parse_brief)

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
    brief_error(change, expected)


def brief_error(change: tuple[str, str], expected: str) -> str:
    """The one-line error of the good brief with ``change`` made, which must start with ``expected``."""
    with pytest.raises(BriefError) as info:
        parse_brief(GOOD.replace(*change), "brief.toml")
    message = str(info.value)
    assert message.startswith(expected), message
    assert "\n" not in message
    return message


def test_brief_without_any_seed_or_search():
    with pytest.raises(BriefError, match="no seeds and no search"):
        parse_brief('name = "x"\nplatforms = ["telegram"]\n', "b.toml")


def test_missing_file(tmp_path):
    with pytest.raises(BriefError, match="no such file"):
        load_brief(tmp_path / "nope.toml")


# bounds: a brief is read whole and matched against every text, so its size is limited ---------------------
def keyword_list(n, chars=10):
    return "[" + ", ".join(f'"{"к" * (chars - len(str(i)))}{i}"' for i in range(n)) + "]"


@pytest.mark.parametrize("change, expected", [
    (('keywords = ["фитнес", "běhání"]', f"keywords = {keyword_list(MAX_KEYWORDS + 1)}"),
     "brief.toml:4: keywords: 501 entries, more than the 500 it may have"),
    (('keywords = ["фитнес", "běhání"]', f"negative_keywords = {keyword_list(MAX_KEYWORDS + 1)}"),
     "brief.toml:4: negative_keywords: 501 entries, more than the 500"),
    (('keywords = ["фитнес", "běhání"]', f'keywords = ["фитнес", "{"ё" * (KEYWORD_CHARS + 1)}"]'),
     "brief.toml:4: keywords: entry 2 ('ёёё"),
    (('telegram = ["client", "rival"]', f"telegram = {keyword_list(MAX_ITEMS + 1)}"),
     "brief.toml:8: seeds.telegram: 1,001 entries, more than the 1,000"),
    (('targets = ["telegram:client"]', f'targets = ["telegram:{"x" * STRING_CHARS}"]'),
     "brief.toml:5: targets: entry 1 ('telegram:xxx"),
    (('name = "Test"', f'name = "{"T" * (STRING_CHARS + 1)}"'), "brief.toml:2: name: 1,001 characters"),
    (('name = "Test"', 'name = "Test"\nweights = ' + "[" * 5000 + "]" * 5000), "brief.toml: TOML syntax: arrays or tables"),
    (("relevance = 0.5", '"charis\\nma" = 0.5'), "brief.toml: weights.charis ma: unknown component"),
    (('targets = ["telegram:client"]', 'targets = ["cli\\u001b[31ment\\nx"]'), "brief.toml:5: targets: 'cli?[31ment x' must"),
])
def test_limits_name_line_and_key_in_one_line(change, expected):
    assert len(brief_error(change, expected)) < 300


def test_keywords_at_the_limits_are_kept():
    longest = "ж" * KEYWORD_CHARS
    text = GOOD.replace('keywords = ["фитнес", "běhání"]',
                        f'keywords = {keyword_list(MAX_KEYWORDS - 1)[:-1]}, "{longest}"]')
    assert parse_brief(text, "brief.toml").keywords[-1] == longest


def test_file_past_a_megabyte_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(GOOD + "# " + "x" * 10_000_000 + "\n", encoding="utf-8")  # the probe's 10 MB brief
    start = time.perf_counter()
    with pytest.raises(BriefError, match=r"huge\.toml: larger than the 1,000,000 bytes a brief may have"):
        load_brief(path)
    assert time.perf_counter() - start < 1.0


def test_brief_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(GOOD.encode("utf-8").replace("běhání".encode(), "b\xe9h".encode("latin-1")))
    with pytest.raises(BriefError, match=r"latin\.toml: cannot read: not UTF-8 text \(byte \d+\): save it as UTF-8$"):
        load_brief(path)


def test_the_brief_knows_the_filters_and_weights_the_ranking_takes():
    """A brief is checked before ranking starts, so its keys are the ranking's: none missing, none extra."""
    from ranking.score import DEFAULT_WEIGHTS, FILTERS, V2_WEIGHTS
    from sheets.brief import FILTER_KEYS, WEIGHT_KEYS

    assert set(FILTER_KEYS) == set(FILTERS)
    assert set(WEIGHT_KEYS) == set(V2_WEIGHTS) | set(DEFAULT_WEIGHTS)
