import pytest

from crawler.counts import parse_count
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


def test_retry_after_seconds_and_http_date():
    assert retry_after_seconds(b"7") == 7
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500) == pytest.approx(10)
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None
