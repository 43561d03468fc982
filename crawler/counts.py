"""Counters as platforms print them: ``109K``, ``1.2M``, ``3,5K``, ``12 345``, ``37.2K views``."""

from __future__ import annotations

import re

_SUFFIX = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000, "К": 1_000, "М": 1_000_000}
# Digits with optional thousands separators (space, thin/no-break space, comma, dot) and one decimal
# mark, then an optional K/M/B (Latin or Cyrillic) suffix.
_COUNT = re.compile(r"^\s*(\d[\d\s\u00a0\u202f.,']*)\s*([KMBКМ]?)", re.IGNORECASE)


def parse_count(text: str | None) -> int | None:
    """Parse an abbreviated counter into an integer; ``None`` when there is no number.

    ``"109K"`` → 109000, ``"1.2M"`` → 1200000, ``"3,5K"`` → 3500, ``"12 345"`` → 12345,
    ``"1,234"`` → 1234. With a suffix, the last ``.`` or ``,`` is the decimal mark; without one,
    separators are thousands groupings (counters never carry fractions).
    """
    if text is None:
        return None
    match = _COUNT.match(str(text))
    if not match:
        return None
    digits, suffix = match.group(1), match.group(2).upper()
    digits = re.sub(r"[\s\u00a0\u202f']", "", digits).rstrip(".,")
    multiplier = _SUFFIX.get(suffix, 1)
    if multiplier == 1:
        return int(re.sub(r"[.,]", "", digits))
    mark = max(digits.rfind("."), digits.rfind(","))
    if mark == -1:
        return int(digits) * multiplier
    whole = re.sub(r"[.,]", "", digits[:mark]) or "0"
    fraction = digits[mark + 1 :]
    return round(float(f"{whole}.{fraction}") * multiplier)
