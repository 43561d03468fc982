"""Spreadsheets and files for people: the XLSX, CSV and JSON writers, the overlap heat map, formula
neutralising, and atomic writes.

Everything written here may hold text from strangers (page names, descriptions), so every text cell is
neutralised as a spreadsheet would read it, and control characters the XLSX format cannot hold are
dropped. Writers take a DataFrame and a path; ``write_atomic`` puts any of them behind a temporary file.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ranking.shortlist import RATE_COLUMNS, SHORTLIST_COLUMNS, TARGET_COLUMNS
from sheets.errors import SheetError  # raised here, and imported from here by the CLI


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A separator, then a trigger: Excel splits a CSV on "," or, in Russian and most European locales, on
# ";", and pasted text on tabs, so a trigger after any of them can start a cell of its own.
_TRIGGER_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n]\s*)([=+\-@])")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with ' (OWASP's advice for CSV), and do the
    same after every separator inside it, so the text is safe however a spreadsheet splits it."""
    if not isinstance(value, str):
        return value
    value = _TRIGGER_AFTER_SEPARATOR.sub(r"\1'\2", value)
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def xlsx_text_cell(cell, value: str) -> None:
    """A text cell that neither Excel nor LibreOffice evaluates (not even after it is edited), without
    the control characters the XLSX format cannot hold (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"
    if is_formula_like(cell.value):
        cell.quotePrefix = True


def json_text(table: pd.DataFrame) -> str:
    records = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
               for row in table.astype(object).where(table.notna(), None).to_dict(orient="records")]
    return json.dumps(records, ensure_ascii=False, indent=2, default=str)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    # BOM: Excel only reads a CSV as UTF-8 (and shows Cyrillic) when it starts with one. Every text field
    # is quoted, so no ",", ";" or tab inside a name can start a new cell.
    neutralise_frame(table).to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)


def write_json(table: pd.DataFrame, path: Path) -> None:
    path.write_text(json_text(table) + "\n", encoding="utf-8")


def write_xlsx(table: pd.DataFrame, path: Path, explanations: dict[str, str] = SHORTLIST_COLUMNS) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Shortlist"
    columns = list(table.columns)
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(c) for c in columns]
    for r, row in enumerate(table.itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
                continue
            name = columns[c - 1]
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                xlsx_text_cell(cell, value)
                if name == "url" and value.startswith(("https://", "http://")):
                    cell.hyperlink = value
                    cell.style = "Hyperlink"
            elif isinstance(value, datetime):  # pd.Timestamp too; Excel has no time zones: UTC, written as such
                cell.value = (value.astimezone(timezone.utc) if value.tzinfo else value).replace(tzinfo=None)
                cell.number_format = "yyyy-mm-dd hh:mm"
            else:
                cell.value = value.item() if hasattr(value, "item") else value
                if name in RATE_COLUMNS:
                    cell.number_format = "0.00%"
                elif name in ("followers", "median_views", "citations", "posts", "audience_sampled"):
                    cell.number_format = "#,##0"
                elif name in ("pagerank", "relevance", "similarity", "audience_jaccard", "cocitation", "content"):
                    cell.number_format = "0.0000" if name == "pagerank" else "0.00"
                elif isinstance(cell.value, float):
                    cell.number_format = "0.0"
            widths[c - 1] = max(widths[c - 1], min(len(str(value)), 60))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width + 2
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(table) + 1)}"

    about = wb.create_sheet("Metrics")
    about.append(["column", "meaning"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for name in columns:
        about.append([name, explanations.get(name, "")])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 110
    wb.save(path)


WRITERS = {".csv": write_csv, ".xlsx": write_xlsx, ".json": write_json}


def write_atomic(out: Path, writer, table: pd.DataFrame) -> None:
    """Write to a temporary file beside ``out`` and rename it: a failed export leaves no half file, nor
    the temporary one. Raises ``SheetError`` (one line) when ``out`` cannot be written."""
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise SheetError(f"cannot write '{out}': {folder} {'is not a folder' if folder.exists() else 'does not exist'}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=folder)
    except OSError as exc:
        raise SheetError(f"cannot write '{out}': {exc.strerror}") from None
    os.close(fd)
    # mkstemp makes the file private (0600); an export is for sharing, so take the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        writer(table, Path(tmp))
        os.replace(tmp, out)
    except OSError as exc:
        raise SheetError(f"cannot write '{out}': {exc.strerror}") from None
    finally:  # whatever failed, no half-written temporary file stays behind
        Path(tmp).unlink(missing_ok=True)


def write_heatmap_xlsx(matrix: pd.DataFrame, path: Path, formula: str, counts: bool, per_account: pd.DataFrame,
                       totals: dict[str, int]) -> None:
    """The square matrix coloured white → red (off the diagonal), and a sheet of per-account figures.

    ``formula`` says what a cell holds (it is written under the matrix); ``counts`` formats the cells as
    whole numbers rather than percentages."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    text_cell = xlsx_text_cell
    wb = Workbook()
    ws = wb.active
    ws.title = "Overlap"
    labels = matrix["account"].tolist()
    k = len(labels)
    text_cell(ws.cell(row=1, column=1), "account")
    number_format = "#,##0" if counts else "0.0%"
    grey = PatternFill("solid", fgColor="DDDDDD")
    for j, label in enumerate(labels, start=2):
        text_cell(ws.cell(row=1, column=j), label)
        ws.cell(row=1, column=j).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(len(label), 30) + 2)
    for i, label in enumerate(labels, start=2):
        text_cell(ws.cell(row=i, column=1), label)
        ws.cell(row=i, column=1).font = Font(bold=True)
        for j, value in enumerate(matrix.iloc[i - 2, 1:], start=2):
            cell = ws.cell(row=i, column=j, value=value.item() if hasattr(value, "item") else value)
            cell.number_format = number_format
            if i == j:
                cell.fill = grey  # an audience against itself: left out of the colour scale
    ws.column_dimensions["A"].width = max(10, min(max(map(len, labels)), 40) + 2)
    ws.freeze_panes = "B2"
    off_diagonal = []
    for j in range(2, k + 2):
        column = get_column_letter(j)
        if j > 2:
            off_diagonal.append(f"{column}2:{column}{j - 1}")
        if j < k + 1:
            off_diagonal.append(f"{column}{j + 1}:{column}{k + 1}")
    if off_diagonal:
        ws.conditional_formatting.add(" ".join(off_diagonal), ColorScaleRule(
            start_type="min", start_color="FFFFFF", mid_type="percentile", mid_value=50, mid_color="FCBF7B",
            end_type="max", end_color="E0533D"))
    note = ws.cell(row=k + 3, column=1, value=f"{formula}; darker = more shared.")
    note.font = Font(italic=True)

    about = wb.create_sheet("Accounts")
    columns = ["account", "audience_size", "unique", "unique_pct", "overlapping_pct", "followers", "audience_coverage"]
    about.append(columns)
    for cell in about[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(per_account[columns].itertuples(index=False), start=2):
        text_cell(about.cell(row=r, column=1), row[0])
        for c, value in enumerate(row[1:], start=2):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            value = value.item() if hasattr(value, "item") else value
            if c in (4, 5):  # unique_pct, overlapping_pct come in percent; a % cell holds the fraction
                value = value / 100
            cell = about.cell(row=r, column=c, value=value)
            cell.number_format = {4: "0.0%", 5: "0.0%", 7: "0%"}.get(c, "#,##0")
    about.append([])
    about.append(["total audience (sum)", totals["total_audience"]])
    about.append(["unique audience (union)", totals["unique_audience"]])
    about.append(["unique_pct: share of the account's stored audience that follows none of the other accounts; "
                  "audience_coverage below 95% means the stored audience is a sample (see README)."])
    for column, width in zip("ABCDEFG", (34, 14, 10, 12, 16, 12, 18)):
        about.column_dimensions[column].width = width
    about.freeze_panes = "A2"
    wb.save(path)


def xlsx_writer(sheet: str, explanations: dict[str, str], formats: dict[str, str], extra=None):
    """The main export's .xlsx writer (formula-safe cells, the Metrics sheet), then this table's sheet name,
    number formats and any extra sheet (``extra(workbook)``)."""
    def writer(table: pd.DataFrame, path: Path) -> None:
        from openpyxl import load_workbook

        write_xlsx(table, path, explanations)
        with path.open("rb") as f:  # a file object: the temporary name has no .xlsx for openpyxl to check
            wb = load_workbook(f)
        ws = wb.worksheets[0]
        ws.title = sheet
        for c, name in enumerate(table.columns, start=1):
            if name in formats:
                for r in range(2, len(table) + 2):
                    ws.cell(row=r, column=c).number_format = formats[name]
        if extra is not None:
            extra(wb)
        wb.save(path)

    return writer


# one writer per table a command writes ----------------------------------------------------------
OUTPUT_SUFFIXES = ".xlsx, .csv or .json"


def check_output(out: Path) -> Path:
    """``out`` if pagescout can write a file of its type; else ``SheetError``, before any work is done."""
    if out.suffix.lower() not in WRITERS:
        raise SheetError(f"cannot write '{out}': the name must end in {OUTPUT_SUFFIXES}")
    return out


def write_table(out: Path, table: pd.DataFrame, sheet: str | None = None, explanations: dict[str, str] | None = None,
                formats: dict[str, str] | None = None, extra=None) -> None:
    """Write ``table`` to ``out`` by its suffix, atomically. An .xlsx gets the ``explanations`` sheet and,
    with ``sheet``, that sheet name, the ``formats`` per column and any ``extra(workbook)`` sheet."""
    writer = WRITERS[check_output(out).suffix.lower()]
    if writer is write_xlsx and sheet is not None:
        writer = xlsx_writer(sheet, explanations or {}, formats or {}, extra)
    elif writer is write_xlsx and explanations is not None:
        def writer(frame: pd.DataFrame, path: Path) -> None:
            write_xlsx(frame, path, explanations)
    write_atomic(out, writer, table)


def write_shortlist(out: Path, table: pd.DataFrame) -> None:
    """The shortlist, with the target and money columns explained when ``--target`` and ``--prices``
    added them; an .xlsx adds a *Top posts* sheet: each page's three best posts by overperformance
    (``table.attrs["top_posts"]``, ``ranking.standout.top_posts``), and a *Chart* sheet of reach against
    engagement (``add_reach_chart``)."""
    from ranking.money import MONEY_COLUMNS

    explanations = {**SHORTLIST_COLUMNS, **TARGET_COLUMNS, **MONEY_COLUMNS}
    posts = table.attrs.get("top_posts")

    def add_top_posts(wb) -> None:
        ws = wb.create_sheet("Top posts", 1)
        ws.append(["platform", "handle", "url", "published_at", "views", "interactions", "overperformance", "ad"])
        for row in ([] if posts is None else posts.itertuples(index=False)):
            values = [row.platform, row.account, row.url,
                      None if pd.isna(row.published_at) else pd.Timestamp(row.published_at).strftime("%Y-%m-%d %H:%M"),
                      None if pd.isna(row.views) else float(row.views),
                      None if pd.isna(row.interactions) else float(row.interactions),
                      None if pd.isna(row.overperformance) else float(row.overperformance),
                      None if row.ad is None or pd.isna(row.ad) else ("yes" if row.ad else "no")]
            ws.append([None] * len(values))
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=ws.max_row, column=c)
                if isinstance(value, str):
                    xlsx_text_cell(cell, value)
                else:
                    cell.value = value
            if isinstance(row.url, str) and row.url.startswith(("https://", "http://")):
                ws.cell(row=ws.max_row, column=3).hyperlink = row.url
        ws.column_dimensions["C"].width = 50
        ws.column_dimensions["D"].width = 18

    def add_sheets(wb) -> None:
        add_top_posts(wb)
        add_reach_chart(wb, table, 2)

    write_table(out, table, "Shortlist", explanations if set(table.columns) - set(SHORTLIST_COLUMNS)
                else SHORTLIST_COLUMNS, {}, add_sheets)


CHART_COLUMNS = ["rank", "platform", "handle", "name", "x", "y", "series"]


def add_reach_chart(wb, table: pd.DataFrame, index: int) -> None:
    """A *Chart* sheet at ``index``: a native Excel scatter of each page's reach (log scale) against its
    engagement rate, drawn from a table of the points on the same sheet. Reach is median views, or
    followers where the page shows no views (a series of its own), and the rate is measured on the same
    base (``ranking.report.reach_points``, as the report's scatter); a page lacking either is left out."""
    from openpyxl.styles import Font

    from ranking.report import REACH_BY_FOLLOWERS, REACH_BY_VIEWS, reach_points

    titles = {REACH_BY_VIEWS: "median views", REACH_BY_FOLLOWERS: "followers (no views shown)"}  # one series each
    ws = wb.create_sheet("Chart", index)
    points = reach_points(table)
    if points.empty:
        ws["A1"] = ("Nothing to plot: no shortlisted page has both a reach above 0 (median views, or followers) and "
                    "an engagement rate.")
        return
    points = points.sort_values("reach_by", key=lambda by: by.map(list(titles).index), kind="stable")
    write_chart_points(ws, [[p.rank, p.platform, p.handle, p.name, p.reach, p.er, titles[p.reach_by]]
                            for p in points.itertuples(index=False)])
    left_out = len(table) - len(points)
    ws["I1"] = ("x: median views per post, or followers where the page shows no views; y: the engagement rate on "
                "the same base (er_views, er_followers)" + (f"; {left_out} of {len(table)} pages left out, lacking "
                "a reach above 0 or an engagement rate" if left_out else "") + ".")
    ws["I1"].font = Font(italic=True)
    counts, runs, first = points["reach_by"].value_counts(), [], 2
    for by, title in titles.items():
        if counts.get(by, 0):
            runs.append((title, first, first + int(counts[by]) - 1))
            first += int(counts[by])
    ws.add_chart(reach_scatter(ws, runs), "I3")


def write_chart_points(ws, rows: list[list]) -> None:
    """The chart's data under a bold ``CHART_COLUMNS`` header: text through ``xlsx_text_cell``, x as a
    count, y as a percentage, a missing value as an empty cell."""
    from openpyxl.styles import Font

    ws.append(CHART_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                xlsx_text_cell(cell, value)
            elif value is not None and not pd.isna(value):
                cell.value = value.item() if hasattr(value, "item") else value
        ws.cell(row=r, column=5).number_format = "#,##0"
        ws.cell(row=r, column=6).number_format = "0.00%"
    for column, width in zip("ABCDEFG", (6, 10, 20, 30, 12, 9, 26)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"


def reach_scatter(ws, runs: list[tuple[str, int, int]]):
    """A markers-only scatter, x (column E) on a log scale, y (column F) in percent: one series per
    ``(title, first row, last row)`` of ``ws``."""
    from openpyxl.chart import Reference, ScatterChart, Series

    chart = ScatterChart()
    chart.title = "Reach against engagement"
    chart.scatterStyle = "marker"
    chart.x_axis.title = "reach: median views per post (followers where no views are shown), log scale"
    chart.y_axis.title = "engagement rate"
    chart.x_axis.scaling.logBase = 10
    chart.x_axis.number_format = "#,##0"
    chart.y_axis.number_format = "0.0%"
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides the axes unless told
    chart.x_axis.axPos = "b"
    chart.legend.position = "b"
    chart.width, chart.height = 24, 14  # cm
    for title, first, last in runs:
        series = Series(Reference(ws, min_col=6, min_row=first, max_row=last),
                        Reference(ws, min_col=5, min_row=first, max_row=last), title=title)
        series.marker.symbol = "circle"
        series.marker.size = 7
        series.graphicalProperties.line.noFill = True  # markers only: no line joins the pages
        chart.series.append(series)
    return chart


def write_similar(out: Path, table: pd.DataFrame) -> None:
    from ranking.similar import SIMILAR_COLUMNS

    write_table(out, table, "Similar", SIMILAR_COLUMNS)


def write_audience(out: Path, table: pd.DataFrame) -> None:
    from ranking.overlap import AUDIENCE_COLUMNS

    write_table(out, table, "Audience", AUDIENCE_COLUMNS, {
        "target_share": "0.0%", "target_density": "0.0%", "jaccard": "0.0000", "affinity": "0",
        "audience_coverage": "0%", "audience_size": "#,##0", "target_overlap": "#,##0"})


def write_gather(out: Path, table: pd.DataFrame) -> None:
    from ranking.gather import GATHER_COLUMNS

    write_table(out, table, "Gather", GATHER_COLUMNS, {
        "target_share": "0.0%", "target_share_low": "0.0%", "target_share_high": "0.0%", "affinity": "#,##0",
        "affinity_low": "#,##0", "followers": "#,##0", "target_members": "#,##0", "lists_read": "#,##0"})


def write_ad_posts(out: Path, table: pd.DataFrame) -> None:
    from ranking.ads import AD_POST_COLUMNS

    write_table(out, table, "Ad posts", AD_POST_COLUMNS, {"views": "#,##0"})


def write_advertisers(out: Path, table: pd.DataFrame) -> None:
    from ranking.ads import ADVERTISER_COLUMNS

    write_table(out, table, "Advertisers", ADVERTISER_COLUMNS, {"page_count": "#,##0", "ad_posts": "#,##0"})


def write_posts(out: Path, table: pd.DataFrame) -> None:
    from ranking.standout import POSTS_EXPLAINED

    table = table.assign(published_at=table["published_at"].map(
        lambda t: None if pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")))
    write_table(out, table, "Posts", POSTS_EXPLAINED, {"views": "#,##0", "interactions": "#,##0", "expected": "#,##0",
                                                       "overperformance": "0.00"})


def write_overlap(out: Path, comparison, formula: str, counts: bool) -> None:
    """The pairwise matrix (``ranking.overlap.AudienceComparison``): square, first column ``account``; an
    .xlsx is a heat map with the per-account figures beside it. ``counts``: shared members, not shares."""
    table = comparison.matrix.reset_index()
    if not counts:
        table[table.columns[1:]] = table[table.columns[1:]].round(6)
    if out.suffix.lower() == ".xlsx":
        def heatmap(frame: pd.DataFrame, path: Path) -> None:
            write_heatmap_xlsx(frame, path, formula=formula, counts=counts, per_account=comparison.per_account,
                               totals=comparison.totals)
        check_output(out)
        write_atomic(out, heatmap, table)
    else:
        write_table(out, table)


def write_plan(out: Path, plan, what: str, budget: float) -> None:
    """The plan (``ranking.plan.Plan``); an .xlsx adds its comparison with the baselines as a sheet."""
    from ranking.plan import PLAN_COLUMNS

    def add_comparison(wb) -> None:
        ws = wb.create_sheet("Comparison", 1)
        ws.append(list(plan.comparison.columns))
        for row in plan.comparison.itertuples(index=False):
            ws.append([None if isinstance(v, float) and math.isnan(v) else v for v in row])
        ws.column_dimensions["A"].width = 36
        ws.append([])
        ws.append([f"unique_audience counts distinct stored {what}; the budget was {budget:g}."])

    write_table(out, plan.table, "Plan", PLAN_COLUMNS, {
        "price": "#,##0.00", "cumulative_cost": "#,##0.00", "cost_per_1000_unique": "#,##0.00",
        "expected_reach": "#,##0", "new_unique_audience": "#,##0", "cumulative_unique_audience": "#,##0"},
        add_comparison)


def csv_text(table: pd.DataFrame) -> str:
    """The table as CSV text (``--format csv``), neutralised and with every text field quoted, as ``write_csv``."""
    return neutralise_frame(table).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC)
