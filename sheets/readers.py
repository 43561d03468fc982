"""Files people hand pagescout: the prices of placements (``pagescout plan --prices``), read through the
bounded spreadsheet reader of crawler.imports, every value checked. Errors are ``SheetError``s naming the
file, row and column."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from crawler.imports import ImportFileError, read_rows
from sheets.writers import SheetError

PRICE_COLUMNS = ("platform", "handle", "price")


def money(value, where: str, column: str, allow_zero: bool) -> float:
    """A price or reach as spreadsheets write it: 1200, 12.50, "1 000,50" (Russian Excel), "1,000.50"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if "," in text and "." in text:
            text = text.replace(",", "")  # 1,000.50: commas group thousands
        elif text.count(",") == 1:
            text = text.replace(",", ".")  # 1000,50: a decimal comma
        try:
            number = float(text)
        except ValueError:
            raise SheetError(f"{where}, column {column}: '{value}' is not a number "
                             "(write e.g. 1200 or 12.50)") from None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise SheetError(f"{where}, column {column}: {value} must be a {kind} number")
    return number


def read_prices(path: Path, resolve: Callable[[str, str], tuple[str, str]]) -> pd.DataFrame:
    """platform, handle, price, expected_reach (NaN when not given), row (the spreadsheet row) of a prices
    file, every value checked: an error (``SheetError``) names the file, row and column. CSV with , ; or
    tab, or XLSX. ``resolve(platform:handle, where)`` names the stored account a row means."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise SheetError(f"cannot read prices from '{path}': the name must end in .csv or .xlsx")
    if not path.is_file():
        raise SheetError(f"no prices file at '{path}'")
    try:
        header, body = read_rows(path)
    except ImportFileError as exc:
        raise SheetError(str(exc)) from None
    missing = [c for c in PRICE_COLUMNS if c not in header]
    if missing:
        raise SheetError(f"{path.name} has no column {', '.join(missing)}: it needs platform, handle, price "
             f"(and optionally expected_reach); it has {', '.join(h for h in header if h) or 'no columns'}")
    if not body:
        raise SheetError(f"{path.name} lists no placements: one row per placement with platform, handle, price")

    def cell(values: list, column: str):
        i = header.index(column) if column in header else None
        value = values[i] if i is not None and i < len(values) else None
        return "" if value is None else value

    records, seen = [], {}
    for n, values in body:
        where = f"{path.name} row {n}"
        for column in PRICE_COLUMNS:
            if not str(cell(values, column)).strip():
                raise SheetError(f"{where}, column {column}: empty")
        account = f"{str(cell(values, 'platform')).strip()}:{str(cell(values, 'handle')).strip()}"
        platform, handle = resolve(account, f"{where}: ")
        if (platform, handle) in seen:
            raise SheetError(f"{where}: {platform}:{handle} is listed twice (also row {seen[platform, handle]}): "
                             "give one price")
        seen[platform, handle] = n
        price = money(cell(values, "price"), where, "price", allow_zero=False)
        reach = cell(values, "expected_reach")
        reach = money(reach, where, "expected_reach", allow_zero=True) if str(reach).strip() else math.nan
        records.append({"platform": platform, "handle": handle, "price": price, "expected_reach": reach, "row": n})
    return pd.DataFrame.from_records(records)
