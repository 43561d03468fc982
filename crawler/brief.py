"""The brief: what a targetologist knows before the search (``brief.toml``, example in ``data/brief.toml``).

Errors name the file, the line and the key, in one line: ``brief.toml:7: filters.min_folowers: unknown
key (known: …)``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CRAWLABLE = ("telegram", "bluesky", "mastodon", "vk", "youtube", "rss")
FILTER_KEYS = {
    "min_followers": (int,), "max_followers": (int,), "min_engagement": (int, float),
    "min_posts_per_week": (int, float), "max_bot_share": (int, float), "languages": (list,),
}
WEIGHT_KEYS = ("relevance", "reach", "engagement", "authority", "affinity", "quality", "citations")
TOP_LEVEL = {
    "name": str, "platforms": list, "keywords": list, "negative_keywords": list, "languages": list,
    "targets": list, "seeds": dict, "search": dict, "filters": dict, "weights": dict, "budget": dict,
}


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
        return BriefError(f"{source}:{line}: {key}: {problem}" if line else f"{source}: {key}: {problem}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BriefError(f"{source}:{found.group(1) if found else 0}: TOML syntax: {message}") from None

    for key, value in data.items():
        if key not in TOP_LEVEL:
            raise error(key, f"unknown key (known: {', '.join(TOP_LEVEL)})")
        if not isinstance(value, TOP_LEVEL[key]):
            raise error(key, f"must be a {_kind(TOP_LEVEL[key])}, not {_kind(type(value))}")

    def strings(key: str, values: list) -> list[str]:
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise error(key, "must be a list of non-empty strings")
        return [v.strip() for v in values]

    if "name" not in data:
        raise BriefError(f"{source}: name: missing (give the brief a name, e.g. name = \"Fitness SPb\")")
    platforms = [p.lower() for p in strings("platforms", data.get("platforms", []))]
    for platform in platforms:
        if platform not in CRAWLABLE:
            raise error("platforms", f"'{platform}' cannot be crawled (choose from {', '.join(CRAWLABLE)})")
    per_platform = {}
    for table in ("seeds", "search"):
        per_platform[table] = {}
        for platform, values in data.get(table, {}).items():
            if platform not in CRAWLABLE:
                raise error(f"{table}.{platform}", f"unknown platform (choose from {', '.join(CRAWLABLE)})")
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
        if ":" not in target:
            raise error("targets", f"'{target}' must be written platform:handle")

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

    languages = strings("languages", data.get("languages", []))
    for key, values in (("languages", languages), ("filters.languages", filters.get("languages", []))):
        for code in values:
            if not re.fullmatch(r"[a-z]{2}", code):
                raise error(key, f"'{code}' is not a two-letter ISO 639-1 code (ru, uk, en, cs, de, es, fr, …)")

    return Brief(
        name=data["name"],
        platforms=platforms,
        keywords=strings("keywords", data.get("keywords", [])),
        negative_keywords=strings("negative_keywords", data.get("negative_keywords", [])),
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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BriefError(f"{path}: no such file (write one like data/brief.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefError(f"{path}: cannot read: {exc}") from None
    brief = parse_brief(text, str(path))
    brief.source = path
    if brief.prices is not None and not brief.prices.is_absolute():
        brief.prices = path.parent / brief.prices
    return brief


def _kind(t) -> str:
    return {str: "string", list: "list", dict: "table", int: "whole number", float: "number",
            bool: "true/false"}.get(t, t.__name__)
