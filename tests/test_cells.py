"""sheets/cells.py: cells as people type them into a spreadsheet, and the one line each refusal says."""

from __future__ import annotations

import datetime as dt
import doctest
import math

import pytest

import sheets.cells
import sheets.errors
from crawler.fields import AUDIENCE_CAP, INTERACTION_CAP
from sheets.cells import CellError, count, date, flag, money

UTC = dt.timezone.utc
NOT_A_COUNT = "is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)"
NOT_A_DATE = "is not a date (use 2026-10-01 or 2026-10-01T10:00:00+00:00)"


def refusal(parse, *args) -> str:
    with pytest.raises(CellError) as error:
        parse(*args)
    assert isinstance(error.value, ValueError)
    return str(error.value)


def test_the_docstring_examples_hold():
    failed, attempted = doctest.testmod(sheets.cells)
    assert attempted and not failed


@pytest.mark.parametrize("parse", [lambda v: count(v, AUDIENCE_CAP, "followers"), money, date, flag])
@pytest.mark.parametrize("value", [None, "", "  ", "\u00a0"])
def test_a_blank_cell_is_none(parse, value):
    assert parse(value) is None


# counts ----------------------------------------------------------------------------------------------
def followers(value):
    return count(value, AUDIENCE_CAP, "followers")


def test_count_as_a_number_cell():
    assert followers(1200) == 1200 and followers(0) == 0


def test_count_written_by_pandas_with_blanks_in_the_column():
    assert followers("48200.0") == 48200 and followers(48200.0) == 48200


def test_count_with_russian_excel_thousands():
    assert followers("1 200") == 1200 and followers("1\u00a0200\u00a0300") == 1200300
    assert followers("1\u202f200") == 1200


def test_count_with_english_excel_thousands():
    assert followers("1,200,300") == 1200300


def test_count_abbreviated():
    assert followers("1.2K") == 1200 and followers("3,5М") == 3_500_000 and followers("109k") == 109_000


def test_count_with_a_fraction_is_refused():
    assert refusal(followers, "12.5") == f"'12.5' {NOT_A_COUNT}"
    assert refusal(followers, 12.5) == "'12.5' is not a count (a whole number ≥ 0)"


def test_negative_count():
    assert refusal(followers, "-5") == f"'-5' {NOT_A_COUNT}"
    assert refusal(followers, -5) == "'-5' is not a count (a whole number ≥ 0)"


def test_count_nan_and_inf():
    assert refusal(followers, math.nan) == "'nan' is not a count (a whole number ≥ 0)"
    assert refusal(followers, math.inf) == "'inf' is not a count (a whole number ≥ 0)"
    assert refusal(followers, "inf") == f"'inf' {NOT_A_COUNT}"


def test_count_bool():
    assert refusal(followers, True) == "'True' is not a count"


def test_count_past_its_cap():
    assert count(INTERACTION_CAP, INTERACTION_CAP, "likes") == INTERACTION_CAP
    assert refusal(count, INTERACTION_CAP + 1, INTERACTION_CAP, "likes") == (
        "'100000001' is more than 100,000,000, the most a count of likes can be: is it the right column?")
    assert refusal(followers, 1e300).startswith("'1e+300' is more than 100,000,000,000")


def test_huge_count_text():
    assert refusal(followers, "2000000000000K") == (
        "'2000000000000K' is not a count of followers (a whole number up to 100,000,000,000)")
    assert refusal(followers, "9" * 5000) == f"'{'9' * 39}…' {NOT_A_COUNT}"


def test_count_garbage():
    assert refusal(followers, "many") == f"'many' {NOT_A_COUNT}"
    assert refusal(followers, "12 apples") == f"'12 apples' {NOT_A_COUNT}"
    assert refusal(followers, "١٢٣") == f"'١٢٣' {NOT_A_COUNT}"  # digits of other scripts: no platform prints them
    assert refusal(followers, "many\nmany") == f"'many many' {NOT_A_COUNT}"  # quoted on one line


# money -------------------------------------------------------------------------------------------------
def test_money_as_a_number_cell():
    assert money(750) == 750.0 and money(12.5) == 12.5


def test_money_with_a_decimal_dot():
    assert money("1200") == 1200.0 and money("12.50") == 12.5


def test_money_with_a_decimal_comma():
    assert money("12,50") == 12.5


def test_money_with_russian_excel_thousands():
    assert money("1 000,50") == 1000.5 and money("1\u00a0000") == 1000.0 and money("1\u202f000,5") == 1000.5


def test_money_with_english_excel_thousands():
    assert money("1,000.50") == 1000.5 and money("1,000,000.00") == 1_000_000.0


def test_money_zero_only_where_allowed():
    assert money("0", allow_zero=True) == 0.0
    assert refusal(money, "0") == "0 must be a positive number"


def test_negative_money():
    assert refusal(money, "-5") == "-5 must be a positive number"
    assert refusal(money, -5, True) == "-5 must be a non-negative number"


def test_money_nan_and_inf():
    assert refusal(money, "inf") == "inf must be a positive number"
    assert refusal(money, math.nan) == "nan must be a positive number"
    assert refusal(money, "9" * 400) == f"{'9' * 400} must be a positive number"  # float() makes it inf


def test_money_bool():
    assert refusal(money, True) == "'True' is not a number (write e.g. 1200 or 12.50)"


def test_money_garbage():
    assert refusal(money, "abc") == "'abc' is not a number (write e.g. 1200 or 12.50)"
    assert refusal(money, "12 USD") == "'12 USD' is not a number (write e.g. 1200 or 12.50)"


# dates -------------------------------------------------------------------------------------------------
def test_excel_datetime_has_no_zone_and_is_read_as_utc():
    assert date(dt.datetime(2026, 10, 1, 10, 30)) == dt.datetime(2026, 10, 1, 10, 30, tzinfo=UTC)


def test_excel_date_is_midnight_utc():
    assert date(dt.date(2026, 10, 1)) == dt.datetime(2026, 10, 1, tzinfo=UTC)


def test_aware_datetime_is_given_in_utc():
    moscow = dt.timezone(dt.timedelta(hours=3))
    got = date(dt.datetime(2026, 10, 1, 13, tzinfo=moscow))
    assert got == dt.datetime(2026, 10, 1, 10, tzinfo=UTC) and got.tzinfo == UTC


def test_iso_text():
    assert date("2026-10-01") == dt.datetime(2026, 10, 1, tzinfo=UTC)
    assert date("2026-10-01T10:00:00Z") == dt.datetime(2026, 10, 1, 10, tzinfo=UTC)
    got = date("2026-10-01T13:00:00+03:00")
    assert got == dt.datetime(2026, 10, 1, 10, tzinfo=UTC) and got.tzinfo == UTC


def test_naive_iso_text_is_utc():
    assert date("2026-10-01 10:00") == dt.datetime(2026, 10, 1, 10, tzinfo=UTC)


def test_unix_seconds():
    expected = dt.datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert date(1790848800) == date(1790848800.0) == date("1790848800") == expected
    assert date("1790848800.5") == expected + dt.timedelta(seconds=0.5)


def test_day_first_dates_of_russian_excel():
    assert date("01.10.2026") == dt.datetime(2026, 10, 1, tzinfo=UTC)
    assert date("01.10.2026 10:00") == dt.datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert date("01.10.2026 10:00:05") == dt.datetime(2026, 10, 1, 10, 0, 5, tzinfo=UTC)


def test_date_past_the_year_9999():
    assert refusal(date, 1e20) == "'1e+20' is not a date (use 2026-10-01 or a Unix time in seconds)"
    assert refusal(date, "9999-12-31T23:00:00-05:00") == f"'9999-12-31T23:00:00-05:00' {NOT_A_DATE}"


def test_date_garbage():
    assert refusal(date, "yesterday") == f"'yesterday' {NOT_A_DATE}"
    assert refusal(date, "31.02.2026") == f"'31.02.2026' {NOT_A_DATE}"
    assert refusal(date, True) == f"'True' {NOT_A_DATE}"
    assert refusal(date, 12) == f"'12' {NOT_A_DATE}"  # a small number is no Unix time


# flags -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [True, "yes", "YES", "y", "true", "TRUE", "1", 1, "да", "Да", "x", "✓", "verified"])
def test_yes(value):
    assert flag(value) is True


@pytest.mark.parametrize("value", [False, "no", "No", "n", "false", "FALSE", "0", 0, "нет"])
def test_no(value):
    assert flag(value) is False


def test_flag_garbage():
    assert refusal(flag, "perhaps") == "'perhaps' is not yes/no"
    assert refusal(flag, 2) == "'2' is not yes/no"
