"""The bounded reader of the spreadsheets people hand pagescout (CSV or XLSX): ``pagescout import``'s
files (sheets.imports), the prices of ``pagescout plan`` and the member ids of ``pagescout audience``
(sheets.readers) all come through here. It gives the rows; the cells are read by ``sheets.cells``.

Nothing a file holds can make reading it unbounded; the limits, each refused with a ``SheetError`` of one
line naming the file (and the row and column where there is one), the limit and what to do:

- a file is at most ``MAX_FILE_BYTES`` (100 MB) as stored;
- an XLSX unpacks to at most ``MAX_UNPACKED_BYTES`` (100 MB), no part of it unpacks to more than
  ``MAX_ZIP_RATIO`` (100) times its packed size (sheets pack 10–15 times), and its zip directory is at
  most ``MAX_ZIP_DIRECTORY_BYTES`` (1 MB); all three are checked from the zip's directory before
  openpyxl parses anything, and the sheet is read in openpyxl's streaming (read-only) mode;
- at most ``MAX_ROWS`` (1,000,000) rows, counting blank ones; at most ``MAX_COLUMNS`` (200) columns,
  cells right of column 201 of an XLSX are not read; at most ``MAX_CELLS`` (20,000,000) cells, rows
  times the header's columns;
- a cell holds at most ``CELL_MAX`` (50,000) characters, the longest text the store keeps
  (``crawler.fields.TEXT_MAX``).
"""

from __future__ import annotations

import csv
import re
import zipfile
from contextlib import closing
from pathlib import Path

from crawler.fields import NAME_MAX, TEXT_MAX
from sheets.errors import SheetError, shown

#: A file as stored (CSV, or the XLSX zip): three times a million-row audience CSV (31 MB).
MAX_FILE_BYTES = 100_000_000
#: All parts of an XLSX unpacked: some 500,000 rows of three columns as openpyxl writes them (39 MB per
#: 200,000); openpyxl reads about 15,000 rows a second, so a larger table is better given as CSV.
MAX_UNPACKED_BYTES = 100_000_000
#: Unpacked size over packed size that no real sheet reaches (they pack 10–15 times); a zip bomb does.
MAX_ZIP_RATIO = 100
#: Parts smaller than this are not judged by their ratio: a small part cannot blow up.
RATIO_FLOOR_BYTES = 1_000_000
#: The zip's directory, which zipfile reads whole before anything else (an XLSX's is a few KB).
MAX_ZIP_DIRECTORY_BYTES = 1_000_000
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
#: Rows times the header's columns: what the rows read take in memory, whatever their shape.
MAX_CELLS = 20_000_000
#: Characters in one cell: the longest text the store keeps.
CELL_MAX = TEXT_MAX
#: Characters of an id (a post's, a member's) or a kind: refused past it, since a cut id names something else.
ID_MAX = NAME_MAX
XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def column_key(name) -> str:
    """A header cell as a column key: lower case, spaces and hyphens read as ``_``, no BOM."""
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lstrip("\ufeff").lower())


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    """Header keys and ``(row number, values)`` of the first sheet / the CSV; row numbers as a spreadsheet
    shows them. Blank rows are left out; each row is cut to the header's width.

    Refuses (``SheetError``) a file beyond any limit in the module docstring, reading no further
    than the limit. The largest files allowed take about 5 s (a CSV of 920,000 rows) and 75 s (an XLSX
    of 100 MB unpacked, 920,000 rows: openpyxl's pace) on a busy two-core machine.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in XLSX_SUFFIXES + CSV_SUFFIXES:
        raise SheetError(f"{path.name}: give a .csv or .xlsx file")
    check_file_size(path)
    xlsx = suffix in XLSX_SUFFIXES
    with closing(_xlsx_rows(path) if xlsx else csv_rows(path)) as rows:
        return _table(path, rows, xlsx)


def _blank(values) -> bool:
    empty = values.count(None)  # first, on its own: comparing with None is by identity, fast over 201 cells
    return empty == len(values) or empty + values.count("") == len(values)


def _table(path: Path, rows, xlsx: bool) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the checked body rows of ``(row number, values)``, refusing past the limits."""
    keys: list[str] | None = None
    width = 0
    body = []
    for number, values in rows:
        if number > MAX_ROWS:
            raise SheetError(f"{path.name}: more than {MAX_ROWS:,} rows: split it into files of at most "
                             f"{MAX_ROWS:,} rows")
        if _blank(values):
            continue
        if keys is None:
            header = list(values)
            while _blank(header[-1:]):
                header.pop()
            if len(header) > MAX_COLUMNS:
                raise SheetError(f"{path.name}, row {number}: more than {MAX_COLUMNS} columns: keep the "
                                 "columns to import (see README) and delete the others")
            keys = [column_key(h) for h in header]
            named = [k for k in keys if k]
            for key in named:
                if named.count(key) > 1:
                    raise SheetError(f"{path.name}, row {number}: column '{shown(key)}' appears twice: keep one")
            width = len(header)
            continue
        if len(values) > width and not _blank(values[width:]):
            filled = len(values)
            while _blank(values[filled - 1:filled]):
                filled -= 1
            hint = "" if xlsx else " (an unquoted decimal comma, such as 12,5K? quote it or use a dot)"
            raise SheetError(f"{path.name}, row {number}: {filled} values but the header has {width} "
                             f"columns{hint}")
        row = list(values[:width])
        for index, value in enumerate(row):
            if isinstance(value, str) and len(value) > CELL_MAX:
                raise SheetError(
                    f"{path.name}, row {number}, column '{shown(keys[index]) or index + 1}': {len(value):,} "
                    f"characters, more than the {CELL_MAX:,} a cell may hold: shorten the text")
        body.append((number, row))
        if len(body) * width > MAX_CELLS:
            raise SheetError(f"{path.name}, row {number}: more than {MAX_CELLS:,} cells (rows × {width} "
                             "columns): delete the columns not imported, or split the file")
    if keys is None:
        raise SheetError(f"{path.name}: the file is empty")
    return keys, body


def csv_rows(path: Path, dialect=None):
    """``(record number, values)`` of a UTF-8 CSV, streamed; no cell longer than ``CELL_MAX``. The dialect
    is sniffed (``,`` ``;`` or tab) unless given. Close it (``contextlib.closing``) if not read to the end."""
    number = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            if dialect is None:
                try:
                    dialect = csv.Sniffer().sniff(f.read(4096), delimiters=",;\t")
                except csv.Error:
                    dialect = csv.excel
                f.seek(0)
            # The limit is the csv module's, for the whole process: restored as soon as this file is read.
            previous = csv.field_size_limit(CELL_MAX)
            try:
                for number, values in enumerate(csv.reader(f, dialect), start=1):
                    yield number, values
            finally:
                csv.field_size_limit(previous)
    except UnicodeDecodeError:
        raise SheetError(f"{path.name}: not UTF-8 text; save the CSV as UTF-8") from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise SheetError(f"{path.name}, row {number + 1}: a cell holds more than {CELL_MAX:,} "
                             "characters: shorten the text (or is a quote left open?)") from None
        raise SheetError(f"{path.name}, row {number + 1}: not readable as CSV ({shown(exc, 80)})") from None



def check_file_size(path: Path) -> None:
    """A readable file of at most ``MAX_FILE_BYTES``, checked before a byte of it is read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SheetError(f"cannot read '{path}': {exc.strerror}") from None
    if not path.is_file():
        raise SheetError(f"cannot read '{path}': not a file")
    if size > MAX_FILE_BYTES:
        raise SheetError(f"{path.name}: {size:,} bytes, more than the {MAX_FILE_BYTES:,} a file may have: "
                         "split it into smaller files")


def _check_zip(path: Path) -> None:
    """Refuse an XLSX whose zip would unpack past the limits, from its directory alone (nothing unpacked)."""
    try:
        with path.open("rb") as f:
            # zipfile reads the whole directory into memory before anything can be checked; its end
            # record, found here as zipfile itself finds it, says how large that directory is.
            end = zipfile._EndRecData(f)
        if end is None:
            raise zipfile.BadZipFile
        if end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
            raise SheetError(f"{path.name}: its zip directory is {end[zipfile._ECD_SIZE]:,} bytes, more than "
                             f"the {MAX_ZIP_DIRECTORY_BYTES:,} of any spreadsheet: open it in a spreadsheet "
                             "program and save it again")
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except SheetError:
        raise
    except Exception as exc:  # zipfile raises several kinds for a broken file
        raise SheetError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError(f"{path.name}: unpacks to {unpacked:,} bytes, more than the {MAX_UNPACKED_BYTES:,} "
                         "an XLSX may: split it into smaller files, or save it as CSV")
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR_BYTES and ratio > MAX_ZIP_RATIO:
            raise SheetError(
                f"{path.name}: its part {shown(part.filename)} unpacks to {ratio:,} times its packed size, more "
                f"than the {MAX_ZIP_RATIO} of any spreadsheet (a zip bomb?): open it in a spreadsheet program "
                "and save it again")


def _xlsx_rows(path: Path):
    """``(row number, values)`` of an XLSX's first sheet, streamed, at most ``MAX_COLUMNS + 1`` values a row
    and ``MAX_ROWS + 1`` rows (one past each limit, so that going past it shows)."""
    _check_zip(path)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise SheetError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
    try:
        sheet = wb.worksheets[0]
        rows = sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True)
        yield from enumerate(rows, start=1)
    except Exception as exc:  # a sheet broken past its first rows, or a part failing its CRC
        raise SheetError(f"{path.name}: not a readable XLSX file ({type(exc).__name__})") from None
    finally:
        wb.close()
