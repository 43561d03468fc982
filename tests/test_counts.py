import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.counts import parse_count
from crawler.fields import AUDIENCE_CAP
from crawler.middlewares import retry_after_seconds


@pytest.mark.parametrize(
    "text,value",
    [("109K", 109_000), ("1.2M", 1_200_000), ("3,5K", 3_500), ("12 345", 12_345), ("12\u00a0345", 12_345),
     ("37.2K views", 37_200), ("999", 999), ("1,234", 1_234), ("2B", 2_000_000_000), ("15К", 15_000),
     ("0", 0), ("1.5k", 1_500)],
)
def test_parse_count(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("text", [None, "", "views", "K"])
def test_parse_count_without_number(text):
    assert parse_count(text) is None


@pytest.mark.parametrize("text", ["123456789012345678901234567890", "123456789012345678901234567890 subscribers",
                                  "9" * 40, "1" * 5000, "100000000001", "101B", "99999999999999K",
                                  # float() of 400 digits is inf, and round(inf) raised OverflowError
                                  "1" + "0" * 400 + ".5K"])
def test_absurd_counters_are_none(text):
    assert parse_count(text) is None


def test_largest_plausible_counter_is_kept():
    assert parse_count("100000000000") == parse_count("100B") == AUDIENCE_CAP


@pytest.mark.parametrize("text", ["٣٤٥", "²", "-5", "+5", "½K", "\x00", "\ud800"])
def test_digits_of_other_scripts_and_signs_are_no_counter(text):
    assert parse_count(text) is None


@pytest.mark.parametrize("value", [["12"], {"views": 12}, 12, True, b"12"])
def test_values_that_are_not_text_never_raise(value):
    assert parse_count(value) in (None, 12)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(), st.text(alphabet="0123456789 .,'\u00a0KMBkmКМ", max_size=60)))
def test_parse_count_never_raises_and_stays_within_the_cap(text):
    count = parse_count(text)
    assert count is None or (type(count) is int and 0 <= count <= AUDIENCE_CAP)


def test_retry_after_seconds_and_http_date():
    assert retry_after_seconds(b"7") == 7
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500) == pytest.approx(10)
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None
