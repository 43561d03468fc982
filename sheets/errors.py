"""The one error of a bad user file, and how its message quotes what the file holds.

Kept apart from the writers and readers so that anything reading a user's file (crawler.imports among
them) can raise or catch ``SheetError`` without importing the ranking the writers explain.
"""

from __future__ import annotations

from crawler.fields import clean_text


class SheetError(Exception):
    """A file that cannot be read or written; the message is one line naming the file (and the row and
    column where there is one) and why."""


def shown(value, limit: int = 40) -> str:
    """A value as an error message quotes it: one line without control characters, at most ``limit`` characters.

    Parameters
    ----------
    value
        Anything a cell or a file name holds.
    limit
        The most characters shown; a longer value is cut and ends in ``…``.

    Returns
    -------
    str

    Examples
    --------
    >>> shown("many\\nmany")
    'many many'
    >>> shown("x" * 50, 10)
    'xxxxxxxxx…'
    """
    text = " ".join((clean_text(str(value), limit * 4) or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
