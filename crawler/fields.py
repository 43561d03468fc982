"""Typed readers for what platforms send: count, text, date, flag, URL.

Platform answers are written by strangers. Every value a spider keeps passes through one of these
readers, which accepts only its own type within a plausible range and returns ``None`` for anything
else. ``FieldReader`` counts each refusal as ``pagescout/invalid/<platform>/<field>`` in the crawl
stats, so the summary can say which fields a platform sent wrong; a cut text is counted as
``pagescout/cut/<platform>/<field>``.

The caps:

- a count is an integer in 0 … 2⁶³−1 (what a BIGINT holds) and at most ``AUDIENCE_CAP`` (10¹¹) for
  subscribers, followers and views, ``INTERACTION_CAP`` (10⁸) for a post's likes, comments and reposts;
- a name is at most ``NAME_MAX`` (1,000) characters, descriptions and posts ``TEXT_MAX`` (50,000);
- control characters other than newline and tab are removed, and so are lone surrogates (they cannot be
  encoded, so no database would take them); bidi overrides are kept, and made harmless where shown
  (terminal tables, HTML);
- a date lies between 1990-01-01 and two days from now (clocks drift; nothing is published in 2090).
"""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

INT64_MAX = 2**63 - 1
#: Subscribers, followers, members and views: ten times the largest audience any platform has.
AUDIENCE_CAP = 10**11
#: Likes, comments, reposts and forwards of one post.
INTERACTION_CAP = 10**8
NAME_MAX = 1_000
TEXT_MAX = 50_000
URL_MAX = 2_048
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=2)

# C0 controls but tab and newline, DEL, C1 controls, and lone UTF-16 surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_DIGITS = re.compile(r"^\s*\+?[0-9]{1,19}\s*$")
_FRACTION = re.compile(r"(\.\d{6})\d+")

#: Item fields whose values are counts, with their cap; fields not listed are not counts.
COUNT_CAPS = {
    "followers": AUDIENCE_CAP, "follows": AUDIENCE_CAP, "posts_total": AUDIENCE_CAP, "posts": AUDIENCE_CAP,
    "views": AUDIENCE_CAP, "likes": INTERACTION_CAP, "comments": INTERACTION_CAP, "reposts": INTERACTION_CAP,
}
#: Item fields whose values are free text, with their length cap.
TEXT_CAPS = {"name": NAME_MAX, "description": TEXT_MAX, "text": TEXT_MAX, "reason": NAME_MAX}
#: Item fields that are URLs.
URL_FIELDS = ("url", "avatar")
#: Item fields that are points in time.
DATE_FIELDS = ("created_at", "published_at", "at", "last_seen", "fetched_at")
#: Item fields that are yes/no.
FLAG_FIELDS = ("verified", "has_avatar", "has_description", "deactivated", "can_message", "can_post", "has_status",
               "has_site", "is_closed", "has_mobile", "has_birthday", "has_city", "has_occupation",
               "can_see_all_posts", "can_see_audio", "can_send_friend_request", "can_be_invited_group",
               "has_nickname", "has_maiden_name", "is_verified")


def as_count(value, cap: int = AUDIENCE_CAP) -> int | None:
    """A count from an int, an integral float or a string of digits, within 0 … ``cap``; else ``None``.

    >>> as_count("48200"), as_count(48200.0), as_count(2**64), as_count(-1), as_count(True), as_count("1e3")
    (48200, 48200, None, None, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
    else:
        return None
    return number if 0 <= number <= min(cap, INT64_MAX) else None


def clean_text(value, limit: int = TEXT_MAX) -> str | None:
    """A string without control characters, trimmed and cut to ``limit`` characters; ``None`` if not text.

    >>> clean_text("  Daily\\x00 news\\x1b[31m  "), clean_text(["a"]), clean_text(42)
    ('Daily news[31m', None, None)
    """
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value[: limit * 2]).strip()
    return text[:limit].rstrip() or None


# Controls (escape sequences start with one), line and paragraph separators, bidi controls that reorder
# text, and lone surrogates (not encodable): none may reach a message, a log line or a terminal.
UNSAFE_IN_MESSAGE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


_WHITE_SPACE = re.compile(r"\s+")


def quoted(value, limit: int = 80) -> str:
    """A value (user input, a cell, a path) as a message quotes it: one printable line (a run of white
    space, line breaks included, as one space), every other control, bidi or unencodable character shown
    as ``?``, at most ``limit`` characters (a cut one ends in ``…``).

    >>> quoted("many\\n lines\\u202e")
    'many lines?'
    >>> quoted("x" * 50, 10)
    'xxxxxxxxx…'
    """
    text = UNSAFE_IN_MESSAGE.sub("?", _WHITE_SPACE.sub(" ", str(value)[: limit * 4]))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_date(value) -> datetime | None:
    """An aware UTC datetime from a datetime, an ISO 8601 string (APIs, Atom) or an RFC 822 one (RSS
    ``pubDate``), between 1990 and two days from now."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and 0 < len(text := value.strip()) <= 64:
        try:
            when = datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))
        except ValueError:
            try:
                when = parsedate_to_datetime(text)
            # OverflowError: a year or offset beyond what datetime holds ("Mon, 1 Jan 99999999 …").
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
    else:
        return None
    try:
        when = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (OverflowError, ValueError):  # year 1 or 9999 pushed past the range by its offset
        return None
    if not EARLIEST <= when <= datetime.now(timezone.utc) + FUTURE_SLACK:
        return None
    return when


def as_flag(value) -> bool | None:
    """``True``/``False`` from a bool or VK's 0/1; ``None`` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def as_url(value) -> str | None:
    """An absolute http(s) URL with a host, at most 2,048 characters; ``None`` otherwise."""
    if not isinstance(value, str) or not value.strip() or len(value) > URL_MAX or _CONTROL.search(value):
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # a port that is not a number in 0…65535
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def as_dict(value) -> dict:
    """``value`` if it is a JSON object, else an empty one: a nested field of the wrong type reads as absent."""
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


class FieldReader:
    """The readers above, counting every value they refuse or cut in a crawl's stats.

    ``None`` in is ``None`` out and counts nothing: a field the platform did not send is not invalid.
    """

    def __init__(self, stats, platform: str):
        self.stats = stats
        self.platform = platform

    def invalid(self, field: str) -> None:
        self.stats.inc_value(f"pagescout/invalid/{self.platform}/{field}")

    def _checked(self, value, result, field: str):
        if value is not None and result is None and not (isinstance(value, str) and not value.strip()):
            self.invalid(field)
        return result

    # Each reader answers an absent value (None) and the commonest good one (an int in range, a bool) at once,
    # as the readers above would: nothing to count, the value itself.
    def count(self, value, field: str, cap: int | None = None) -> int | None:
        if value is None:
            return None
        cap = cap or COUNT_CAPS.get(field, AUDIENCE_CAP)
        if type(value) is int and 0 <= value <= cap and value <= INT64_MAX:
            return value
        return self._checked(value, as_count(value, cap), field)

    def text(self, value, field: str, limit: int | None = None) -> str | None:
        if value is None:
            return None
        limit = limit or TEXT_CAPS.get(field, TEXT_MAX)
        result = self._checked(value, clean_text(value, limit), field)
        if result is not None and isinstance(value, str) and len(value.strip()) > limit:
            self.stats.inc_value(f"pagescout/cut/{self.platform}/{field}")
        return result

    def date(self, value, field: str) -> datetime | None:
        if value is None:
            return None
        return self._checked(value, as_date(value), field)

    def flag(self, value, field: str) -> bool | None:
        if value is True or value is False or value is None:
            return value
        if type(value) is int and (value == 0 or value == 1):  # VK's 0/1
            return value == 1
        return self._checked(value, as_flag(value), field)

    def url(self, value, field: str) -> str | None:
        if value is None:
            return None
        return self._checked(value, as_url(value), field)

    def item(self, adapter) -> None:
        """Pass every known field of an item (an ``ItemAdapter``) through its reader, in place."""
        for field in adapter.field_names():
            value = adapter.get(field)
            if value is None:
                continue
            reader = reader_of(field)
            if reader is not None:
                adapter[field] = getattr(self, reader)(value, field)

    def dataclass_item(self, item) -> None:
        """``item`` for a dataclass instance (every item the spiders yield), read straight from its attributes:
        the same readers on the same fields, without an ``ItemAdapter`` per item."""
        for field, reader in _readers_of(type(item)):
            value = getattr(item, field)
            if value is not None:
                setattr(item, field, reader(self, value, field))


def reader_of(field: str) -> str | None:
    """The name of the ``FieldReader`` method that reads ``field`` (count, text, url, date or flag), or ``None``."""
    if field in COUNT_CAPS:
        return "count"
    if field in TEXT_CAPS:
        return "text"
    if field in URL_FIELDS:
        return "url"
    if field in DATE_FIELDS:
        return "date"
    if field in FLAG_FIELDS:
        return "flag"
    return None


_READERS: dict[type, tuple[tuple[str, object], ...]] = {}


def _readers_of(cls) -> tuple[tuple[str, object], ...]:
    """``(field, FieldReader method)`` of a dataclass's fields that have a reader, in field order; worked out
    once per class."""
    found = _READERS.get(cls)
    if found is None:
        found = _READERS[cls] = tuple((f.name, getattr(FieldReader, reader)) for f in dataclasses.fields(cls)
                                      if (reader := reader_of(f.name)) is not None)
    return found
