"""Counters as platforms print them: ``109K``, ``1.2M``, ``3,5K``, ``12 345``, ``37.2K views``."""

from __future__ import annotations

import re

from crawler.fields import AUDIENCE_CAP

_SUFFIX = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000, "К": 1_000, "М": 1_000_000}
# Digits with optional thousands separators (space, thin/no-break space, comma, dot) and one decimal
# mark, then an optional K/M/B (Latin or Cyrillic) suffix. ASCII digits only: ``\d`` would also take
# Arabic-Indic and other scripts' digits, which no platform prints in a counter.
_COUNT = re.compile(r"^\s*([0-9][0-9\s\u00a0\u202f.,']*)\s*([KMBКМ]?)", re.IGNORECASE)
# More digits than this cannot be a count under AUDIENCE_CAP (12 digits), whatever the suffix; checking
# the length first keeps a 40-digit (or 4,000-digit) counter away from int() and float().
_MAX_DIGITS = 15


def parse_count(text: str | None) -> int | None:
    """Parse an abbreviated counter into an integer; ``None`` when there is no plausible number.

    ``"109K"`` → 109000, ``"1.2M"`` → 1200000, ``"3,5K"`` → 3500, ``"12 345"`` → 12345,
    ``"1,234"`` → 1234. With a suffix, the last ``.`` or ``,`` is the decimal mark; without one,
    separators are thousands groupings (counters never carry fractions). A counter above ``AUDIENCE_CAP``
    (10¹¹, ten times the largest audience any platform has) is a stranger's joke, not a count: ``None``.
    Never raises, whatever ``text`` is.
    """
    if text is None or isinstance(text, bool):
        return None
    match = _COUNT.match(text if isinstance(text, str) else str(text))
    if not match:
        return None
    digits, suffix = match.group(1), match.group(2).upper()
    digits = re.sub(r"[\s\u00a0\u202f']", "", digits).rstrip(".,")
    if len(re.sub(r"[.,]", "", digits)) > _MAX_DIGITS:
        return None
    multiplier = _SUFFIX.get(suffix, 1)
    if multiplier == 1:
        number = int(re.sub(r"[.,]", "", digits))
    else:
        mark = max(digits.rfind("."), digits.rfind(","))
        if mark == -1:
            number = int(digits) * multiplier
        else:
            whole = re.sub(r"[.,]", "", digits[:mark]) or "0"
            fraction = digits[mark + 1:]
            number = round(float(f"{whole}.{fraction}") * multiplier)
    return number if number <= AUDIENCE_CAP else None
