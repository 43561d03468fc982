"""Cells of the spreadsheets people hand pagescout, read as people type them: the one parser of cell
values for every reader of user files (``sheets.imports``, ``sheets.readers``).

Each function takes a cell as CSV or openpyxl gives it (``str``, ``int``, ``float``, ``bool``,
``date``, ``datetime`` or ``None``) and returns the parsed value, ``None`` for a blank cell, or raises
``CellError``. The error's message says what is wrong with the value, quoting it; the reader puts the
file, row and column in front of it, so the user reads one line such as
``accounts.csv, row 3, column 'followers': 'many' is not a count (…)``.

Nothing here reads a file or knows a column's name but through its arguments.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from crawler.counts import parse_count
from sheets.errors import shown

#: Characters of a count cell: one written with separators and a suffix ("1 234 567 890 K") is far shorter.
COUNT_CHARS_MAX = 40
#: Characters of a date cell read: the longest ISO 8601 time with an offset is 32.
DATE_CHARS_MAX = 64
#: Yes/no as spreadsheets and their exports write a flag (a ticked box, "x", Russian "да"/"нет").
YES = frozenset({"true", "yes", "y", "1", "да", "verified", "x", "✓"})
NO = frozenset({"false", "no", "n", "0", "нет"})

# "48200.0" is how spreadsheets and pandas write a count column with blanks in it.
_PLAIN_NUMBER = re.compile(r"^\d+\.\d+$")
# What parse_count reads, to the end of the text (parse_count itself ignores what follows a count).
# ASCII digits, as parse_count reads them.
_COUNT = re.compile(r"^\s*[0-9][0-9\s\u00a0\u202f.,']*\s*[KMBКМ]?\s*$", re.IGNORECASE)
_UNIX_SECONDS = re.compile(r"\d{10}(\.\d+)?")
_DAY_FIRST_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
# Blanks Russian and French Excel group thousands with, besides the plain space.
_GROUP_BLANKS = ("\u00a0", "\u202f", " ")


class CellError(ValueError):
    """A cell that does not hold what its column must; the message quotes the value and says why, without
    the file, row and column the reader puts in front of it."""


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def count(value, cap: int, what: str) -> int | None:
    """A count (followers, views, likes…) as spreadsheets and platforms write it, at most ``cap``.

    Parameters
    ----------
    value
        The cell: a whole number, an integral float (``48200.0``), or text such as ``"1 200"``,
        ``"1,200"``, ``"1.2K"`` or ``"3,5М"`` (read by ``crawler.counts.parse_count``).
    cap
        The largest count believable (``crawler.fields.COUNT_CAPS`` of the column).
    what
        What is counted, as the message names it (the column: ``"followers"``).

    Returns
    -------
    int or None
        The count; ``None`` for a blank cell.

    Raises
    ------
    CellError
        For a negative, fractional, non-finite or boolean value, text that is no count, or a count
        past ``cap``.

    Examples
    --------
    >>> count("1.2K", 10**11, "followers"), count("48200.0", 10**11, "followers"), count(" ", 10, "likes")
    (1200, 48200, None)
    >>> count("many", 10**11, "followers")
    Traceback (most recent call last):
    ...
    sheets.cells.CellError: 'many' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)
    """
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a count")
    if isinstance(value, (int, float)):
        if value < 0 or value != value or (isinstance(value, float) and not value.is_integer()):
            raise CellError(f"'{shown(value)}' is not a count (a whole number ≥ 0)")
        return _capped(int(value), value, cap, what)
    text = str(value).strip()
    not_a_count = f"'{shown(value)}' is not a count (a whole number ≥ 0, e.g. 1200 or 1.2K)"
    if len(text) > COUNT_CHARS_MAX:
        raise CellError(not_a_count)
    if _PLAIN_NUMBER.match(text):
        number = float(text)
        if not number.is_integer():
            raise CellError(not_a_count)
        return _capped(int(number), value, cap, what)
    if not _COUNT.match(text):
        raise CellError(not_a_count)
    number = parse_count(text)
    if number is None:  # written as a count, but too large for parse_count to believe
        raise CellError(f"'{shown(value)}' is not a count of {what} (a whole number up to {cap:,})")
    return _capped(number, value, cap, what)


def _capped(number: int, value, cap: int, what: str) -> int:
    """``number`` if a count of ``what`` can be that large; else refused, quoting ``value`` as the cell has it."""
    if number > cap:
        raise CellError(f"'{shown(value)}' is more than {cap:,}, the most a count of {what} can be: "
                        "is it the right column?")
    return number


def money(value, allow_zero: bool = False) -> float | None:
    """A price or a reach as spreadsheets write it, with either decimal mark and thousands grouped.

    ``"1 000,50"`` (Russian Excel: blanks group, a comma marks the decimals) and ``"1,000.50"`` (English
    Excel: commas group, a dot marks them) are both 1000.5. A lone comma is a decimal comma: ``"12,5"``
    is 12.5.

    Parameters
    ----------
    value
        The cell: a number, or text such as ``"1200"``, ``"12.50"``, ``"1 000,50"``, ``"1,000.50"``.
    allow_zero
        Whether 0 is a value the column may hold (a reach may be 0; a price may not).

    Returns
    -------
    float or None
        The amount; ``None`` for a blank cell.

    Raises
    ------
    CellError
        For text that is no number, and for a negative, non-finite or (unless ``allow_zero``) zero amount.

    Examples
    --------
    >>> money("1 000,50"), money("1,000.50"), money(750), money("", allow_zero=True)
    (1000.5, 1000.5, 750.0, None)
    >>> money("0")
    Traceback (most recent call last):
    ...
    sheets.cells.CellError: 0 must be a positive number
    """
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        for blank in _GROUP_BLANKS:
            text = text.replace(blank, "")
        if "," in text and "." in text:
            text = text.replace(",", "")  # 1,000.50: commas group thousands
        elif text.count(",") == 1:
            text = text.replace(",", ".")  # 1000,50: a decimal comma
        try:
            number = float(text)
        except ValueError:
            raise CellError(f"'{value}' is not a number (write e.g. 1200 or 12.50)") from None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise CellError(f"{value} must be a {'non-negative' if allow_zero else 'positive'} number")
    return number


def date(value) -> dt.datetime | None:
    """A point in time as spreadsheets write it, as an aware UTC datetime.

    Read: an Excel date or datetime (no time zone: taken as UTC), ISO 8601 text (``2026-10-01``,
    ``2026-10-01T10:00:00+03:00``, ``…Z``), Unix seconds (a number past 10⁹, or ten digits of text),
    and day-first dates as Russian and German Excel write them (``01.10.2026``, ``01.10.2026 10:00``).

    Parameters
    ----------
    value
        The cell.

    Returns
    -------
    datetime or None
        Aware, in UTC; ``None`` for a blank cell.

    Raises
    ------
    CellError
        For anything else, and for a time past the year 9999.

    Examples
    --------
    >>> date("01.10.2026 10:00")
    datetime.datetime(2026, 10, 1, 10, 0, tzinfo=datetime.timezone.utc)
    >>> date("2026-10-01T13:00:00+03:00") == date(1790848800) == date("1790848800")
    True
    >>> date("yesterday")
    Traceback (most recent call last):
    ...
    sheets.cells.CellError: 'yesterday' is not a date (use 2026-10-01 or 2026-10-01T10:00:00+00:00)
    """
    if _blank(value):
        return None
    not_a_date = f"'{shown(value)}' is not a date (use 2026-10-01 or 2026-10-01T10:00:00+00:00)"
    if isinstance(value, dt.datetime):
        return _utc(value, not_a_date)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e9:
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):  # past the year 9999
            raise CellError(f"'{shown(value)}' is not a date (use 2026-10-01 or a Unix time in seconds)") from None
    text = str(value).strip()[:DATE_CHARS_MAX]
    if _UNIX_SECONDS.fullmatch(text):
        return dt.datetime.fromtimestamp(float(text), dt.timezone.utc)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _DAY_FIRST_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise CellError(not_a_date)
    return _utc(parsed, not_a_date)


def _utc(when: dt.datetime, not_a_date: str) -> dt.datetime:
    """``when`` in UTC; a time without a zone is taken as UTC (Excel keeps none)."""
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    try:
        return when.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):  # 9999-12-31T23:00-01:00 is past the year 9999 in UTC
        raise CellError(not_a_date) from None


def flag(value) -> bool | None:
    """Yes or no, as spreadsheets write a flag (``YES``, ``NO``; case does not matter).

    Parameters
    ----------
    value
        The cell: a boolean, or text such as ``yes``, ``no``, ``TRUE``, ``1``, ``0``, ``да``, ``x``, ``✓``.

    Returns
    -------
    bool or None
        ``None`` for a blank cell.

    Raises
    ------
    CellError
        For any other value.

    Examples
    --------
    >>> flag("Yes"), flag("нет"), flag(True), flag(1), flag(None)
    (True, False, True, True, None)
    >>> flag("perhaps")
    Traceback (most recent call last):
    ...
    sheets.cells.CellError: 'perhaps' is not yes/no
    """
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(f"'{shown(value)}' is not yes/no")
