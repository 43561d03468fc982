"""sheets/: the prices reader called directly, as the CLI calls it (its cells: test_cells.py)."""

from __future__ import annotations

import math

import pytest

from sheets.readers import read_prices
from sheets.writers import SheetError


def as_given(account, where):
    return tuple(account.split(":"))


@pytest.mark.parametrize("text,value", [("1200", 1200.0), ("12.50", 12.5), ('"1 000,50"', 1000.5),
                                        ('"1,000.50"', 1000.5), ("1\u00a0000", 1000.0)])
def test_prices_as_spreadsheets_write_them(tmp_path, text, value):
    path = tmp_path / "p.csv"
    path.write_text(f"platform,handle,price\nvk,a,{text}\n", encoding="utf-8")
    assert read_prices(path, as_given)["price"].tolist() == [value]


@pytest.mark.parametrize("row,message", [
    ("vk,a,abc,", "column price: 'abc' is not a number (write e.g. 1200 or 12.50)"),
    ("vk,a,-5,", "column price: -5 must be a positive number"),
    ("vk,a,0,", "column price: 0 must be a positive number"),
    ("vk,a,inf,", "column price: inf must be a positive number"),
    ("vk,a,1,-1", "column expected_reach: -1 must be a non-negative number"),
])
def test_a_price_that_is_no_price_names_row_and_column(tmp_path, row, message):
    path = tmp_path / "p.csv"
    path.write_text(f"platform,handle,price,expected_reach\n{row}\n", encoding="utf-8")
    with pytest.raises(SheetError) as error:
        read_prices(path, as_given)
    assert str(error.value) == f"p.csv row 2, {message}"


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
        read_prices(path, as_given)
