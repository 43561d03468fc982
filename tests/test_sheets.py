"""sheets/: the prices reader called directly, as the CLI calls it, and money as spreadsheets write it."""

from __future__ import annotations

import math

import pytest

from sheets.readers import money, read_prices
from sheets.writers import SheetError


@pytest.mark.parametrize("text,value", [("1200", 1200.0), ("12.50", 12.5), ("1 000,50", 1000.5),
                                        ("1,000.50", 1000.5), ("1\u00a0000", 1000.0), (750, 750.0)])
def test_money_as_spreadsheets_write_it(text, value):
    assert money(text, "p.csv row 2", "price", allow_zero=False) == value


@pytest.mark.parametrize("text,words", [("abc", "not a number"), ("-5", "positive"), ("0", "positive"),
                                        ("inf", "positive")])
def test_money_that_is_no_price_names_row_and_column(text, words):
    with pytest.raises(SheetError, match=f"p.csv row 2, column price: .*{words}"):
        money(text, "p.csv row 2", "price", allow_zero=False)


def test_prices_are_resolved_through_the_callers_accounts(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("platform;handle;price;expected_reach\ntelegram;@Alpha;1 200,50;\nvk;club1;300;5000\n",
                    encoding="utf-8")
    asked = []

    def resolve(account, where):
        asked.append((account, where))
        platform, _, handle = account.partition(":")
        return platform, handle.removeprefix("@").lower()

    table = read_prices(path, resolve)
    assert table[["platform", "handle", "price", "row"]].values.tolist() == [["telegram", "alpha", 1200.5, 2],
                                                                            ["vk", "club1", 300.0, 3]]
    assert math.isnan(table["expected_reach"].iloc[0]) and table["expected_reach"].iloc[1] == 5000
    assert asked[0] == ("telegram:@Alpha", "prices.csv row 2: ")


def test_a_placement_listed_twice_is_refused(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("platform,handle,price\nvk,a,1\nvk,a,2\n", encoding="utf-8")
    with pytest.raises(SheetError, match="row 3: vk:a is listed twice"):
        read_prices(path, lambda account, where: tuple(account.split(":")))
