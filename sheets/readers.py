"""Files people hand pagescout: the prices of placements (``pagescout plan --prices``) and the member ids
of a target audience (``pagescout audience --target-members``), read through the bounded reader of
sheets.tables, every value checked by sheets.cells. Errors are ``SheetError``s naming the file, row and
column."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pandas as pd

from sheets import cells
from sheets.errors import SheetError
from sheets.tables import ID_MAX, MAX_ROWS, check_file_size, csv_rows, read_rows

PRICE_COLUMNS = ("platform", "handle", "price")
#: A first line naming the member id column, skipped.
MEMBER_ID_HEADERS = ("id", "member_id", "user_id", "member", "user")


def read_prices(path: Path, resolve: Callable[[str, str], tuple[str, str]]) -> pd.DataFrame:
    """platform, handle, price, expected_reach (NaN when not given), row (the spreadsheet row) of a prices
    file, every value checked: an error (``SheetError``) names the file, row and column. CSV with , ; or
    tab, or XLSX. ``resolve(platform:handle, where)`` names the stored account a row means."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise SheetError(f"cannot read prices from '{path}': the name must end in .csv or .xlsx")
    if not path.is_file():
        raise SheetError(f"no prices file at '{path}'")
    header, body = read_rows(path)
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

    def amount(values: list, where: str, column: str, allow_zero: bool) -> float:
        try:
            number = cells.money(cell(values, column), allow_zero)
        except cells.CellError as exc:
            raise SheetError(f"{where}, column {column}: {exc}") from None
        return math.nan if number is None else number

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
        price = amount(values, where, "price", allow_zero=False)
        reach = amount(values, where, "expected_reach", allow_zero=True)
        records.append({"platform": platform, "handle": handle, "price": price, "expected_reach": reach, "row": n})
    return pd.DataFrame.from_records(records)


def read_member_ids(path: Path) -> list[str]:
    """Member ids from a text file or CSV (``pagescout audience --target-members``): the first column of
    each line; a first line naming the column (``MEMBER_ID_HEADERS``) is skipped. Within the same limits
    as ``read_rows``: ``MAX_FILE_BYTES``, ``MAX_ROWS`` lines, ids of at most ``ID_MAX`` characters."""
    path = Path(path)
    check_file_size(path)
    ids = []
    with closing(csv_rows(path, csv.excel)) as rows:
        for number, values in rows:
            if number > MAX_ROWS:
                raise SheetError(f"{path.name}: more than {MAX_ROWS:,} lines: split it into files of at most "
                                 f"{MAX_ROWS:,} ids")
            member = values[0].strip() if values else ""
            if len(member) > ID_MAX:
                raise SheetError(f"{path.name}, line {number}: {len(member):,} characters, more than the "
                                 f"{ID_MAX:,} a member id may have")
            if member:
                ids.append(member)
    if ids and ids[0].lower() in MEMBER_ID_HEADERS:
        ids = ids[1:]
    if not ids:
        raise SheetError(f"'{path}' holds no member ids: one id per line, or a CSV whose first column is the id")
    return ids
