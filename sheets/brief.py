"""The brief: what a targetologist knows before the search (``brief.toml``, example in ``data/brief.toml``).

Errors name the file, the line and the key, in one line: ``brief.toml:7: filters.min_folowers: unknown
key (known: …)``.

A brief is read whole and its keywords are matched against every text a crawl meets, so its size is
bounded:

- the file is at most ``MAX_BRIEF_BYTES`` (1 MB; a brief of 500 keywords is under 100 KB);
- at most ``MAX_KEYWORDS`` (500) keywords and as many negative keywords, each at most
  ``KEYWORD_CHARS`` (100) characters: a phrase of a few words, matched by character trigrams;
- every other list (seeds and search queries of a platform, targets, languages) at most ``MAX_ITEMS``
  (1,000) entries, every other string at most ``STRING_CHARS`` (1,000) characters;
- TOML nested deeper than Python's recursion allows is a syntax error, not a crash.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from crawler.platforms import CRAWLED, AccountError, parse_account
from sheets.errors import shown

FILTER_KEYS = {
    "min_followers": (int,), "max_followers": (int,), "min_engagement": (int, float),
    "min_posts_per_week": (int, float), "max_bot_share": (int, float), "max_ad_share": (int, float),
    "languages": (list,),
}
WEIGHT_KEYS = ("relevance", "reach", "engagement", "authority", "affinity", "quality", "citations")
TOP_LEVEL = {
    "name": str, "platforms": list, "keywords": list, "negative_keywords": list, "languages": list,
    "targets": list, "seeds": dict, "search": dict, "filters": dict, "weights": dict, "budget": dict,
}
MAX_BRIEF_BYTES = 1_000_000
MAX_KEYWORDS = 500
KEYWORD_CHARS = 100
MAX_ITEMS = 1_000
STRING_CHARS = 1_000


class BriefError(ValueError):
    """A brief that cannot be used; the message is one line naming file, line and key."""


@dataclass
class Brief:
    name: str
    platforms: list[str]
    keywords: list[str] = field(default_factory=list)
    negative_keywords: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # "platform:handle"
    seeds: dict[str, list[str]] = field(default_factory=dict)
    search: dict[str, list[str]] = field(default_factory=dict)
    filters: dict = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    budget: float | None = None
    prices: Path | None = None
    source: Path | None = None

    @property
    def target_accounts(self) -> list[tuple[str, str]]:
        """The targets as (platform, handle): the platform lower-cased, the handle without ``@``."""
        return [(platform, handle.removeprefix("@")) for platform, handle in map(parse_account, self.targets)]


def _line_of(text: str, dotted: str) -> int:
    """Line number of ``key =`` (or ``[table]``) for a dotted key, 0 when it cannot be found."""
    *tables, key = dotted.split(".")
    table = ".".join(tables)
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[([^\[\]]+)\]", stripped)
        if header:
            current = header.group(1).strip()
            if not table and current == key:
                return number
            continue
        if current == table and re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
            return number
    return 0


def parse_brief(text: str, source: str = "brief.toml") -> Brief:
    """Parse and validate the text of a brief; raises BriefError with ``source:line: key: problem``."""

    def error(key: str, problem: str) -> BriefError:
        line = _line_of(text, key)
        key = shown(key, 80)  # the user's own key, maybe quoted with a newline in it
        return BriefError(f"{source}:{line}: {key}: {problem}" if line else f"{source}: {key}: {problem}")

    if len(text) > MAX_BRIEF_BYTES:
        raise BriefError(f"{source}: {len(text):,} characters, more than the {MAX_BRIEF_BYTES:,} a brief may have: "
                         f"keep at most {MAX_KEYWORDS} keywords and the seeds you mean")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BriefError(f"{source}:{found.group(1) if found else 0}: TOML syntax: {message}") from None
    except RecursionError:
        raise BriefError(f"{source}: TOML syntax: arrays or tables nested too deeply") from None

    for key, value in data.items():
        if key not in TOP_LEVEL:
            raise error(key, f"unknown key (known: {', '.join(TOP_LEVEL)})")
        if not isinstance(value, TOP_LEVEL[key]):
            raise error(key, f"must be a {_kind(TOP_LEVEL[key])}, not {_kind(type(value))}")

    def strings(key: str, values: list, most: int = MAX_ITEMS, chars: int = STRING_CHARS) -> list[str]:
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise error(key, "must be a list of non-empty strings")
        if len(values) > most:
            raise error(key, f"{len(values):,} entries, more than the {most:,} it may have: keep the best {most:,}")
        for number, value in enumerate(values, start=1):
            if len(value.strip()) > chars:
                raise error(key, f"entry {number} ('{shown(value)}') has {len(value.strip()):,} characters, more "
                                 f"than the {chars:,} it may have: shorten it")
        return [v.strip() for v in values]

    if "name" not in data:
        raise BriefError(f"{source}: name: missing (give the brief a name, e.g. name = \"Fitness SPb\")")
    if len(data["name"]) > STRING_CHARS:
        raise error("name", f"{len(data['name']):,} characters, more than the {STRING_CHARS:,} it may have: shorten it")
    platforms = [p.lower() for p in strings("platforms", data.get("platforms", []))]
    for platform in platforms:
        if platform not in CRAWLED:
            raise error("platforms", f"'{shown(platform)}' cannot be crawled (choose from {', '.join(CRAWLED)})")
    per_platform = {}
    for table in ("seeds", "search"):
        per_platform[table] = {}
        for platform, values in data.get(table, {}).items():
            if platform not in CRAWLED:
                raise error(f"{table}.{platform}", f"unknown platform (choose from {', '.join(CRAWLED)})")
            if not isinstance(values, list):
                raise error(f"{table}.{platform}", f"must be a list, not {_kind(type(values))}")
            per_platform[table][platform] = strings(f"{table}.{platform}", values)
            if platform not in platforms:
                platforms.append(platform)
    if not platforms:
        raise error("platforms", "no platform to search: list some, or give seeds per platform")
    if not any(per_platform["seeds"].values()) and not any(per_platform["search"].values()):
        raise BriefError(f"{source}: seeds: no seeds and no search queries: give at least one of either")

    targets = strings("targets", data.get("targets", []))
    for target in targets:
        try:
            parse_account(target)
        except AccountError:
            raise error("targets", f"'{shown(target)}' must be written platform:handle") from None

    filters = {}
    for key, value in data.get("filters", {}).items():
        if key not in FILTER_KEYS:
            raise error(f"filters.{key}", f"unknown key (known: {', '.join(FILTER_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, FILTER_KEYS[key]):
            raise error(f"filters.{key}", f"must be a {_kind(FILTER_KEYS[key][0])}, not {_kind(type(value))}")
        if key == "languages":
            value = strings(f"filters.{key}", value)
        elif value < 0:
            raise error(f"filters.{key}", "must not be negative")
        filters[key] = value

    weights = {}
    for key, value in data.get("weights", {}).items():
        if key not in WEIGHT_KEYS:
            raise error(f"weights.{key}", f"unknown component (known: {', '.join(WEIGHT_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise error(f"weights.{key}", "must be a number ≥ 0")
        weights[key] = float(value)

    budget = data.get("budget", {})
    for key in budget:
        if key not in ("amount", "prices"):
            raise error(f"budget.{key}", "unknown key (known: amount, prices)")
    amount = budget.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount <= 0):
        raise error("budget.amount", "must be a positive number")
    prices = budget.get("prices")
    if prices is not None and not isinstance(prices, str):
        raise error("budget.prices", "must be a file path in quotes")
    if prices is not None and len(prices) > STRING_CHARS:
        raise error("budget.prices", f"{len(prices):,} characters, more than the {STRING_CHARS:,} a path may have")

    languages = strings("languages", data.get("languages", []))
    for key, values in (("languages", languages), ("filters.languages", filters.get("languages", []))):
        for code in values:
            if not re.fullmatch(r"[a-z]{2}", code):
                raise error(key, f"'{shown(code)}' is not a two-letter ISO 639-1 code "
                                 "(ru, uk, en, cs, de, es, fr, …)")

    return Brief(
        name=data["name"],
        platforms=platforms,
        keywords=strings("keywords", data.get("keywords", []), MAX_KEYWORDS, KEYWORD_CHARS),
        negative_keywords=strings("negative_keywords", data.get("negative_keywords", []), MAX_KEYWORDS, KEYWORD_CHARS),
        languages=languages,
        targets=targets,
        seeds=per_platform["seeds"],
        search=per_platform["search"],
        filters=filters,
        weights=weights,
        budget=float(amount) if amount is not None else None,
        prices=Path(prices) if prices else None,
    )


def load_brief(path: str | Path) -> Brief:
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BRIEF_BYTES + 1)  # no further: the path may even be a pipe or a device
    except FileNotFoundError:
        raise BriefError(f"{path}: no such file (write one like data/brief.toml)") from None
    except OSError as exc:
        raise BriefError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BRIEF_BYTES:
        raise BriefError(f"{path}: larger than the {MAX_BRIEF_BYTES:,} bytes a brief may have: keep at most "
                         f"{MAX_KEYWORDS} keywords and the seeds you mean")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BriefError(f"{path}: cannot read: not UTF-8 text (byte {exc.start + 1:,}): save it as UTF-8") from None
    brief = parse_brief(text, str(path))
    brief.source = path
    if brief.prices is not None and not brief.prices.is_absolute():
        brief.prices = path.parent / brief.prices
    return brief


def _kind(t) -> str:
    return {str: "string", list: "list", dict: "table", int: "whole number", float: "number",
            bool: "true/false"}.get(t, t.__name__)
