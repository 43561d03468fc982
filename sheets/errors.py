"""The one error of a bad user file, and how its message quotes what the file holds.

Kept apart from the writers and readers so that anything reading a user's file (sheets.imports among
them) can raise or catch ``SheetError`` without importing the ranking the writers explain.
"""

from __future__ import annotations

from crawler.fields import quoted


class SheetError(Exception):
    """A file that cannot be read or written; the message is one line naming the file (and the row and
    column where there is one) and why."""


def shown(value, limit: int = 40) -> str:
    """A value of a user's file as an error message quotes it (``crawler.fields.quoted``), cut shorter:
    a cell is quoted beside its file, row and column."""
    return quoted(value, limit)
