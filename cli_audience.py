"""``pagescout overlap``, ``audience`` and ``plan``: shared audiences, where a target audience gathers,
and which placements reach the most people for a budget.

Thin like cli.py, which registers these commands on the main app: parse, load from the store, call
``ranking.overlap`` / ``ranking.plan``, print or write. The main CLI's helpers (``fail``, the export
writers) are imported inside the functions, because cli.py imports this module at its end.
"""

from __future__ import annotations

import math
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import scipy.sparse as sp
import typer

from crawler.basespider import SeedError
from crawler.store import Store, StoreError
from ranking.overlap import (
    AUDIENCE_COLUMNS,
    PAIRWISE,
    Audiences,
    audience_coverage,
    is_sample,
    set_audience,
    target_from_accounts,
    target_from_keys,
    target_metrics,
)
from ranking.plan import (
    GREEDY_GUARANTEE,
    PLAN_COLUMNS,
    choose_placements,
    compare_strategies,
    expected_reach,
    fill_in_order,
    placement_table,
)

audience_app = typer.Typer(rich_markup_mode=None)

README_SECTION = 'README "Audience overlap"'


class Kind(str, Enum):
    follower = "follower"
    member = "member"
    liker = "liker"
    commenter = "commenter"
    reposter = "reposter"
    any = "any"


class Metric(str, Enum):
    shared = "shared"
    jaccard = "jaccard"
    overlap = "overlap"


class Goal(str, Enum):
    unique = "unique"
    target = "target"


DbOption = Annotated[str | None, typer.Option("--db", help="Database file or URL [default: $PAGESCOUT_DB or ./pagescout.db]",
                                              show_default=False)]
KindOption = Annotated[Kind, typer.Option("--kind", "-k", help="Whose audience counts: followers, members, likers, "
                                                               "commenters, reposters, or any of them.")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Also write the table to a .csv, .xlsx or .json file.",
                                                show_default=False)]
TargetOption = Annotated[list[str] | None, typer.Option(
    "--target", "-t", help="Target account as platform:handle; repeat it, separate with commas, or list more accounts "
                           "after it.", show_default=False)]
MoreTargets = Annotated[list[str] | None, typer.Argument(help="More target accounts (platform:handle).",
                                                         show_default=False, metavar="[ACCOUNT]...")]

METRIC_FORMULAS = {
    "shared": "shared members |A∩B|",
    "jaccard": "Jaccard |A∩B| / |A∪B|",
    "overlap": "overlap |A∩B| / min(|A|, |B|)",
}


def _fail(message: str) -> None:
    from cli import fail

    fail(message)


# accounts ---------------------------------------------------------------------------------------
def split_accounts(texts: list[str] | None) -> list[str]:
    """Accounts from repeated options, comma-separated lists and extra arguments, in order, without repeats."""
    out: list[str] = []
    for text in texts or []:
        for part in text.split(","):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _platform_of(text: str) -> str:
    platform, sep, handle = text.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        _fail(f"'{text}' is not an account: write platform:handle, e.g. telegram:durov")
    return platform.strip().lower()


def resolve_account(text: str, known: pd.DataFrame, where: str = "") -> tuple[str, str]:
    """(platform, handle) of a stored account written ``platform:handle``, or a one-line error.

    The handle is matched as written, then as the platform's crawler spells it (``@Durov`` → ``durov``),
    then case-insensitively when that names one account.
    """
    platform = _platform_of(text)
    handle = text.partition(":")[2].strip()
    handles = set(known.loc[known["platform"] == platform, "handle"])
    if not handles:
        platforms = ", ".join(sorted(set(known["platform"]))) or "none yet"
        _fail(f"{where}unknown platform '{platform}' in '{text}': the database has accounts of {platforms}")
    candidates = [handle, handle.removeprefix("@")]
    from cli import spiders

    spider = spiders().get(platform)
    if spider is not None:
        try:
            candidates.append(spider.parse_seed(handle))
        except SeedError:
            pass  # not the crawler's spelling: the case-insensitive match below may still find it
    for candidate in candidates:
        if candidate in handles:
            return platform, candidate
    folded = [h for h in handles if h.lower() == handle.removeprefix("@").lower()]
    if len(folded) == 1:
        return platform, folded[0]
    _fail(f"{where}unknown account {platform}:{handle}: it is not in the database (crawl it first, or check the "
          f"spelling)")


def _known_accounts(accounts: pd.DataFrame, audiences: Audiences) -> pd.DataFrame:
    both = pd.concat([accounts[["platform", "handle"]].astype(str), audiences.accounts.astype(str)])
    return both.drop_duplicates(ignore_index=True)


def _load(db: str | None, platforms: set[str], kind: Kind) -> tuple[pd.DataFrame, Audiences]:
    """Accounts and audiences of the given platforms (all platforms when several or none are named)."""
    only = next(iter(platforms)) if len(platforms) == 1 else None
    try:
        with Store(db, create=False) as store:
            accounts = store.load_accounts(only)
            frame = store.load_audience(only, None if kind is Kind.any else kind.value)
    except StoreError as exc:
        _fail(str(exc))
    return accounts, Audiences.from_frame(frame)


def _kind_text(kind: Kind) -> str:
    return "" if kind is Kind.any else f" of kind {kind.value}"


def _coverage_of(rows: pd.DataFrame, accounts: pd.DataFrame, sizes) -> tuple[pd.Series, np.ndarray]:
    """Followers and audience coverage of (platform, handle) rows."""
    followers = accounts.set_index(["platform", "handle"])["followers"]
    followers = followers[~followers.index.duplicated()]
    found = followers.reindex(pd.MultiIndex.from_frame(rows[["platform", "handle"]].astype(str)))
    found = pd.Series(found.to_numpy(dtype="float64"), index=rows.index)
    return found, audience_coverage(sizes, found)


def _sample_note(labels: list[str], coverage: np.ndarray, what: str) -> str | None:
    sampled = [label for label, c in zip(labels, coverage) if is_sample(c)]
    if not sampled:
        return None
    names = ", ".join(sampled[:5]) + (f" and {len(sampled) - 5} more" if len(sampled) > 5 else "")
    return (f"note: the stored audience of {names} is a sample of a larger follower count: {what} count the stored "
            f"members only; to scale them see {README_SECTION}.")


# overlap ----------------------------------------------------------------------------------------
def _percent(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def _matrix_text(matrix: pd.DataFrame, metric: Metric) -> str:
    shown = matrix.copy()
    for col in shown.columns:
        if metric is Metric.shared:
            shown[col] = shown[col].map(lambda v: f"{int(v):,}")
        else:
            shown[col] = shown[col].map(lambda v: f"{100 * v:.1f}%")
    return shown.to_string()


@audience_app.command("overlap")
def overlap_command(
    accounts: Annotated[list[str], typer.Argument(help="Accounts as platform:handle (telegram:durov), two or more.",
                                                  show_default=False)],
    kind: KindOption = Kind.any,
    metric: Annotated[Metric, typer.Option("--metric", "-m", help="shared = members in both; jaccard = shared / "
                                                                  "either; overlap = shared / the smaller audience.")]
    = Metric.overlap,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """How much the audiences of some accounts overlap, pair by pair, and how much of each is unique.

    Prints the pairwise matrix, then for each account the share of its audience that follows none of
    the others (unique %) and the rest (overlapping %), and the set's total and unique audience. The
    .csv/.json file is the square matrix (first column account); the .xlsx colours it as a heat map and
    adds the per-account figures.

    \b
    Example: pagescout overlap bluesky:alice.bsky.social bluesky:bob.bsky.social bluesky:carol.bsky.social --metric jaccard --out overlap.xlsx
    """
    from cli import WRITERS

    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            _fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    texts = split_accounts(accounts)
    if len(texts) < 2:
        _fail("name at least two accounts to compare, as platform:handle")
    stored, audiences = _load(db, {_platform_of(t) for t in texts}, kind)
    known = _known_accounts(stored, audiences)
    picked = list(dict.fromkeys(resolve_account(t, known) for t in texts))
    if len(picked) < 2:
        _fail("name at least two different accounts to compare")
    have = set(map(tuple, audiences.accounts.astype(str).to_numpy()))
    for platform, handle in picked:
        if (platform, handle) not in have:
            _fail(f"{platform}:{handle} has no stored audience{_kind_text(kind)}: nothing to compare (crawl it with "
                  f"its audience, e.g. --audience-limit, or choose another --kind)")
    matrix = PAIRWISE[metric.value](audiences, picked)
    per_account, totals = set_audience(audiences, picked)
    followers, coverage = _coverage_of(per_account, stored, per_account["audience_size"])
    per_account["followers"] = followers
    per_account["audience_coverage"] = coverage

    typer.echo(f"{METRIC_FORMULAS[metric.value]}, audiences{_kind_text(kind) or ' of any kind'}:")
    typer.echo(_matrix_text(matrix.rename_axis(None), metric))
    typer.echo("")
    typer.echo(_accounts_text(per_account))
    typer.echo(f"\ntotal audience (sum): {totals['total_audience']:,}; "
               f"unique audience (distinct members): {totals['unique_audience']:,}")
    note = _sample_note(per_account["account"].tolist(), coverage, "these figures")
    if note:
        typer.echo(note, err=True)
    if len({p for p, _ in picked}) > 1:
        typer.echo("note: accounts of different platforms never share members here: a member key identifies a "
                   "person only within its platform", err=True)
    if out is not None:
        from cli import write_atomic, write_xlsx

        table = matrix.reset_index()
        if metric is not Metric.shared:
            table[table.columns[1:]] = table[table.columns[1:]].round(6)
        if writer is write_xlsx:  # the heat map, with the per-account figures beside it
            writer = partial(write_heatmap_xlsx, metric=metric, per_account=per_account, totals=totals)
        write_atomic(out, writer, table)
        typer.echo(f"wrote the {len(picked)}×{len(picked)} {metric.value} matrix to {out}", err=True)


def _accounts_text(per_account: pd.DataFrame) -> str:
    shown = pd.DataFrame({
        "account": per_account["account"],
        "audience": per_account["audience_size"].map(lambda v: f"{int(v):,}"),
        "unique": per_account["unique"].map(lambda v: f"{int(v):,}"),
        "unique %": per_account["unique_pct"].map(_percent),
        "overlapping %": per_account["overlapping_pct"].map(_percent),
        "followers": per_account["followers"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
        "stored": [("" if pd.isna(c) else f"{c:.0%}" + (" sample" if is_sample(c) else ""))
                   for c in per_account["audience_coverage"]],
    })
    return shown.to_string(index=False)


def write_heatmap_xlsx(matrix: pd.DataFrame, path: Path, metric: Metric, per_account: pd.DataFrame,
                       totals: dict[str, int]) -> None:
    """The square matrix coloured white → red (off the diagonal), and a sheet of per-account figures."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from cli import is_formula_like

    def text_cell(cell, value):
        cell.value = value
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True

    wb = Workbook()
    ws = wb.active
    ws.title = "Overlap"
    labels = matrix["account"].tolist()
    k = len(labels)
    text_cell(ws.cell(row=1, column=1), "account")
    number_format = "#,##0" if metric is Metric.shared else "0.0%"
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
    note = ws.cell(row=k + 3, column=1, value=f"{METRIC_FORMULAS[metric.value]}; darker = more shared.")
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
            cell = about.cell(row=r, column=c, value=value.item() if hasattr(value, "item") else value)
            cell.number_format = {4: "0.0", 5: "0.0", 7: "0%"}.get(c, "#,##0")
    about.append([])
    about.append(["total audience (sum)", totals["total_audience"]])
    about.append(["unique audience (union)", totals["unique_audience"]])
    about.append(["unique_pct: share of the account's stored audience that follows none of the other accounts; "
                  "audience_coverage below 95% means the stored audience is a sample (see README)."])
    for column, width in zip("ABCDEFG", (34, 14, 10, 12, 16, 12, 18)):
        about.column_dimensions[column].width = width
    wb.save(path)


# audience ---------------------------------------------------------------------------------------
def read_member_ids(path: Path) -> list[str]:
    """Member ids from a text file or CSV: the first column of each line; a header (id, member_id, user_id) is skipped."""
    import csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"cannot read '{path}': {exc.strerror}")
    except UnicodeDecodeError:
        _fail(f"cannot read '{path}': not UTF-8 text (save it as UTF-8 CSV)")
    ids = [row[0].strip() for row in csv.reader(text.splitlines()) if row and row[0].strip()]
    if ids and ids[0].lower() in ("id", "member_id", "user_id", "member", "user"):
        ids = ids[1:]
    if not ids:
        _fail(f"'{path}' holds no member ids: one id per line, or a CSV whose first column is the id")
    return ids


def _target(audiences: Audiences, known: pd.DataFrame, targets: list[str], members: Path | None,
            platform: str | None, db: str | None) -> tuple[np.ndarray, list[tuple[str, str]], list[str]]:
    """T as a member mask, the target accounts, and notes to print."""
    notes = []
    target_accounts = [resolve_account(t, known, "--target: ") for t in targets]
    if platform and any(p != platform for p, _ in target_accounts):
        other = next(f"{p}:{h}" for p, h in target_accounts if p != platform)
        _fail(f"--platform {platform} excludes the target {other}: a member key means one person only within its "
              f"platform, so a target and the accounts ranked against it share a platform")
    have = set(map(tuple, audiences.accounts.astype(str).to_numpy()))
    empty = [f"{p}:{h}" for p, h in target_accounts if (p, h) not in have]
    if empty:
        _fail(f"--target {empty[0]} has no stored audience: it cannot define a target audience")
    mask = target_from_accounts(audiences, target_accounts) if target_accounts else np.zeros(
        audiences.matrix.shape[1], dtype=bool)
    if members is not None:
        ids = read_member_ids(members)
        with Store(db, create=False) as store:
            keys = [store.member_key(i) for i in ids]  # hashed on import: raw ids are never kept
        imported, matched = target_from_keys(audiences, platform, keys)
        mask |= imported
        notes.append(f"{members}: {matched:,} of {len(set(ids)):,} member ids are in stored {platform} audiences "
                     f"(the others cannot be found in any audience)")
    return mask, target_accounts, notes


@audience_app.command("audience")
def audience_command(
    target: TargetOption = None,
    more: MoreTargets = None,
    target_members: Annotated[Path | None, typer.Option(
        "--target-members", help="A file of member ids (one per line, or a CSV's first column) of --platform forming "
                                 "the target audience, e.g. your customers; hashed on import.", show_default=False)]
    = None,
    platform: Annotated[str | None, typer.Option("--platform", "-p", help="Only rank accounts of this platform.")]
    = None,
    top: Annotated[int | None, typer.Option("--top", "-n", min=1, help="Only the N best.")] = 20,
    kind: KindOption = Kind.any,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Where does my audience gather: every stored account ranked by affinity with a target audience.

    The target audience T is everyone in the audiences of the --target accounts (and/or the members
    listed in --target-members). For each other account A: target_overlap |A∩T|, target_share
    |A∩T|/|T|, target_density |A∩T|/|A|, affinity = target_density / (|T|/|U|) × 100 (U = every member
    stored for the platform; 100 = average) and jaccard |A∩T|/|A∪T|. The target accounts themselves
    are not ranked.

    \b
    Example: pagescout audience --target bluesky:alice.bsky.social bluesky:bob.bsky.social --top 20 --out audience.xlsx
    """
    from cli import WRITERS

    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            _fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    targets = split_accounts([*(target or []), *(more or [])])
    if not targets and target_members is None:
        _fail("name the target audience: --target platform:handle (one or more) or --target-members FILE")
    if target_members is not None and not platform:
        _fail("--target-members needs --platform: member ids mean one person only within their platform")
    platform = platform.strip().lower() if platform else None
    platforms = {platform} if platform else {_platform_of(t) for t in targets}
    stored, audiences = _load(db, platforms, kind)
    if audiences.matrix.nnz == 0:
        _fail(f"no audience{_kind_text(kind)} is stored for {', '.join(sorted(platforms))}: crawl with an audience "
              f"first (e.g. pagescout crawl bluesky … --audience-limit 1000)")
    known = _known_accounts(stored, audiences)
    mask, target_accounts, notes = _target(audiences, known, targets, target_members, platform, db)
    if not mask.any():
        _fail("the target audience is empty: none of its members is stored")
    table = target_metrics(audiences, mask)
    is_target = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str)).isin(target_accounts)
    table = table[~is_target]
    if platform:
        table = table[table["platform"].astype(str) == platform]
    followers, coverage = _coverage_of(table, stored, table["audience_size"])
    names = stored.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["name"]
    table = table.assign(
        name=names.reindex(pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))).to_numpy(),
        followers=followers.to_numpy(), audience_coverage=coverage)
    table = table.sort_values(["affinity", "target_overlap", "handle"], ascending=[False, False, True],
                              na_position="last")
    table = table.reindex(columns=list(AUDIENCE_COLUMNS)).reset_index(drop=True)
    if top:
        table = table.head(top)
    for note in notes:
        typer.echo(note, err=True)
    target_size = int(mask.sum())
    typer.echo(f"target audience: {target_size:,} stored members"
               + (f" of {', '.join(f'{p}:{h}' for p, h in target_accounts)}" if target_accounts else ""))
    if table.empty:
        typer.echo("no other account has a stored audience to rank", err=True)
    else:
        typer.echo(_audience_text(table))
    labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    note = _sample_note(labels, table["audience_coverage"].to_numpy(), "target_overlap and audience_size")
    if note:
        typer.echo(note, err=True)
    if target_accounts:
        t_rows = audiences.rows(target_accounts)
        _, t_coverage = _coverage_of(audiences.accounts.iloc[t_rows].reset_index(drop=True), stored,
                                     audiences.sizes[t_rows])
        if is_sample(t_coverage).any():
            typer.echo(f"note: the target audience is built from sampled audiences, so it is a sample too: "
                       f"target_share and target_density are of the sample (see {README_SECTION}).", err=True)
    if out is not None:
        from cli import write_atomic, write_xlsx

        if writer is write_xlsx:
            writer = _xlsx_writer("Audience", AUDIENCE_COLUMNS, {
                "target_share": "0.0%", "target_density": "0.0%", "jaccard": "0.0000", "affinity": "0",
                "audience_coverage": "0%", "audience_size": "#,##0", "target_overlap": "#,##0"})
        write_atomic(out, writer, table)
        typer.echo(f"wrote {len(table)} accounts to {out}", err=True)


def _audience_text(table: pd.DataFrame) -> str:
    shown = table.copy()
    shown["name"] = shown["name"].fillna("").astype(str).str.slice(0, 24)
    for col in ("audience_size", "target_overlap", "followers"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    for col in ("target_share", "target_density", "audience_coverage"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    shown["affinity"] = shown["affinity"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["jaccard"] = shown["jaccard"].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    return shown.to_string(index=False)


def _xlsx_writer(sheet: str, explanations: dict[str, str], formats: dict[str, str], extra=None):
    """The main export's .xlsx writer (formula-safe cells, the Metrics sheet), then this table's sheet name,
    number formats and any extra sheet (``extra(workbook)``)."""
    def writer(table: pd.DataFrame, path: Path) -> None:
        from openpyxl import load_workbook

        from cli import write_xlsx

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


def target_columns(db: str | None, targets: list[str], platform: str | None = None,
                   kind: Kind = Kind.any) -> pd.DataFrame:
    """platform, handle, target_overlap, affinity of every account with a stored audience, against the
    target accounts' audiences: what ``pagescout export --target`` adds to the shortlist."""
    targets = split_accounts(targets)
    platforms = {platform} if platform else {_platform_of(t) for t in targets}
    stored, audiences = _load(db, platforms, kind)
    known = _known_accounts(stored, audiences)
    mask, _, _ = _target(audiences, known, targets, None, platform, db)
    table = target_metrics(audiences, mask)
    table[["platform", "handle"]] = table[["platform", "handle"]].astype(str)
    return table[["platform", "handle", "target_overlap", "affinity"]]


# plan -------------------------------------------------------------------------------------------
PRICE_COLUMNS = ("platform", "handle", "price")


def _number(value: str, where: str, column: str, allow_zero: bool) -> float:
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        _fail(f"{where}, column {column}: '{value}' is not a number (write e.g. 1200 or 12.50)")
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        _fail(f"{where}, column {column}: {value} must be a {'non-negative' if allow_zero else 'positive'} number")
    return number


def read_prices(path: Path, known: pd.DataFrame) -> pd.DataFrame:
    """platform, handle, price, expected_reach (NaN when not given), row (the spreadsheet row) of a prices
    file, every value checked: an error names the file, row and column."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        _fail(f"cannot read prices from '{path}': the name must end in .csv or .xlsx")
    if not path.is_file():
        _fail(f"no prices file at '{path}'")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
        else:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        _fail(f"cannot read prices from '{path}': {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        _fail(f"{path.name} has no column {', '.join(missing)}: it needs platform, handle, price "
              f"(and optionally expected_reach); it has {', '.join(frame.columns) or 'no columns'}")
    if frame.empty:
        _fail(f"{path.name} lists no placements: one row per placement with platform, handle, price")
    records, seen = [], {}
    for n, row in enumerate(frame.to_dict(orient="records"), start=2):  # row 1 is the header
        where = f"{path.name} row {n}"
        for column in PRICE_COLUMNS:
            if not str(row[column]).strip():
                _fail(f"{where}, column {column}: empty")
        account = f"{str(row['platform']).strip()}:{str(row['handle']).strip()}"
        platform, handle = resolve_account(account, known, f"{where}: ")
        if (platform, handle) in seen:
            _fail(f"{where}: {platform}:{handle} is listed twice (also row {seen[platform, handle]}): give one price")
        seen[platform, handle] = n
        price = _number(row["price"], where, "price", allow_zero=False)
        reach = str(row.get("expected_reach", "")).strip()
        reach = _number(reach, where, "expected_reach", allow_zero=True) if reach else math.nan
        records.append({"platform": platform, "handle": handle, "price": price, "expected_reach": reach, "row": n})
    return pd.DataFrame.from_records(records)


def _candidate_matrix(audiences: Audiences, accounts: list[tuple[str, str]]) -> tuple[sp.csr_array, list[bool]]:
    """Rows of the priced accounts, an empty row for one without a stored audience."""
    index = pd.MultiIndex.from_frame(audiences.accounts.astype(str))
    rows = index.get_indexer(pd.MultiIndex.from_tuples(accounts, names=index.names))
    has = rows >= 0
    matrix = audiences.matrix
    lengths = np.where(has, np.diff(matrix.indptr)[np.where(has, rows, 0)], 0)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    pieces = [matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]] for r in rows[has]]
    indices = np.concatenate(pieces) if pieces else np.empty(0, dtype=matrix.indices.dtype)
    picked = sp.csr_array((np.ones(len(indices), dtype=np.int32), indices, indptr),
                          shape=(len(accounts), matrix.shape[1]))
    return picked, has.tolist()


@audience_app.command("plan")
def plan_command(
    budget: Annotated[float, typer.Option("--budget", "-b", help="Money to spend, in the prices' currency.",
                                          show_default=False)],
    prices: Annotated[Path, typer.Option("--prices", help="A .csv or .xlsx with platform, handle, price (and "
                                                          "optionally expected_reach) per placement.",
                                         show_default=False)],
    goal: Annotated[Goal | None, typer.Option("--goal", "-g", help="unique: the most distinct audience members; "
                                                                   "target: the most distinct members of the target "
                                                                   "audience [default: target with --target, else "
                                                                   "unique].", show_default=False)] = None,
    target: TargetOption = None,
    more: MoreTargets = None,
    kind: KindOption = Kind.any,
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Choose the placements that reach the most distinct people (or target members) within a budget.

    Greedy by new audience per price, or the single best affordable placement if that reaches more
    (at least 31.6% of the best possible plan, usually near it). The budget is never exceeded and a
    placement that adds nobody new is never bought. Compares with buying the top pages by score, and
    by followers, until the budget runs out.

    \b
    Example: pagescout plan --budget 5000 --prices prices.csv --goal target --target bluesky:alice.bsky.social --out plan.xlsx
    """
    from cli import WRITERS

    writer = None
    if out is not None:
        writer = WRITERS.get(out.suffix.lower())
        if writer is None:
            _fail(f"cannot write '{out}': the name must end in .xlsx, .csv or .json")
    if not math.isfinite(budget) or budget <= 0:
        _fail(f"--budget {budget:g} must be a positive amount")
    targets = split_accounts([*(target or []), *(more or [])])
    goal = goal or (Goal.target if targets else Goal.unique)
    if goal is Goal.target and not targets:
        _fail("--goal target needs the target audience: --target platform:handle (one or more)")
    if goal is Goal.unique and targets:
        _fail("--target is for --goal target: the unique goal counts everyone")

    from ranking.shortlist import shortlist

    try:
        with Store(db, create=False) as store:
            accounts, posts, links = store.load_accounts(), store.load_posts(), store.load_links()
    except StoreError as exc:
        _fail(str(exc))
    _, audiences = _load(db, set(), kind)
    known = _known_accounts(accounts, audiences)
    placements = read_prices(prices, known)
    keys = list(zip(placements["platform"], placements["handle"]))
    matrix, has_audience = _candidate_matrix(audiences, keys)
    weights = None
    if goal is Goal.target:
        mask, _, _ = _target(audiences, known, targets, None, None, db)
        weights = mask.astype(np.float64)
    without = [f"{p}:{h}" for (p, h), ok in zip(keys, has_audience) if not ok]
    if without:
        typer.echo(f"note: {len(without)} priced account(s) have no stored audience{_kind_text(kind)} and cannot add "
                   f"unique audience: {', '.join(without[:5])}{' …' if len(without) > 5 else ''}", err=True)

    ranked = shortlist(accounts, posts, links)
    ranked = ranked.assign(expected_reach=expected_reach(ranked).to_numpy()).set_index(["platform", "handle"])
    index = pd.MultiIndex.from_tuples(keys, names=["platform", "handle"])
    reach = ranked["expected_reach"].reindex(index).to_numpy(dtype="float64")
    placements["expected_reach"] = placements["expected_reach"].fillna(pd.Series(reach, index=placements.index))
    price_list = placements["price"].tolist()

    picks = choose_placements(matrix, price_list, budget, weights)
    plan = placement_table(picks, matrix, price_list, weights)
    chosen = placements.iloc[plan["row"].to_numpy()].reset_index(drop=True) if len(plan) else placements.iloc[:0]
    table = pd.DataFrame({
        "order": plan["order"], "platform": chosen["platform"], "handle": chosen["handle"], "price": plan["price"],
        "expected_reach": np.floor(chosen["expected_reach"].to_numpy(dtype="float64") + 0.5),  # whole people
        "new_unique_audience": plan["new_unique_audience"],
        "cumulative_unique_audience": plan["cumulative_unique_audience"], "cumulative_cost": plan["cumulative_cost"],
        "cost_per_1000_unique": plan["cost_per_1000_unique"].round(2),
    }).reindex(columns=list(PLAN_COLUMNS))

    score = ranked["score"].reindex(index).to_numpy(dtype="float64")
    followers = ranked["followers"].reindex(index).to_numpy(dtype="float64")
    stored_followers = accounts.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["followers"]
    followers = np.where(np.isnan(followers), stored_followers.reindex(index).to_numpy(dtype="float64"), followers)
    by_score = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(score[r], nan=-1), -np.nan_to_num(
        followers[r], nan=-1), r))
    by_followers = sorted(range(len(keys)), key=lambda r: (-np.nan_to_num(followers[r], nan=-1), r))
    comparison = compare_strategies({
        "this plan": picks,
        "top by score until the budget": fill_in_order(by_score, price_list, budget),
        "top by followers until the budget": fill_in_order(by_followers, price_list, budget),
    }, matrix, price_list, weights)
    what = "target audience members" if goal is Goal.target else "audience members"

    if table.empty:
        typer.echo(f"no placement fits the budget of {budget:,.2f} and reaches anyone new", err=True)
    else:
        typer.echo(_plan_text(table))
    typer.echo(f"\nbudget {budget:,.2f}: {len(table)} placement(s) costing {comparison.loc[0, 'cost']:,.2f} reach "
               f"{comparison.loc[0, 'unique_audience']:,} distinct stored {what} "
               f"(guaranteed ≥ {GREEDY_GUARANTEE:.1%} of the best possible plan)")
    typer.echo(_comparison_text(comparison))
    chosen_labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    sizes = np.diff(matrix.indptr)[plan["row"].to_numpy()] if len(plan) else np.empty(0)
    _, coverage = _coverage_of(table[["platform", "handle"]], accounts, sizes)
    note = _sample_note(chosen_labels, coverage, "new_unique_audience and the comparison")
    if note:
        typer.echo(note, err=True)
    if out is not None:
        from cli import write_atomic, write_xlsx

        if writer is write_xlsx:
            def add_comparison(wb):
                ws = wb.create_sheet("Comparison", 1)
                ws.append(list(comparison.columns))
                for row in comparison.itertuples(index=False):
                    ws.append([None if isinstance(v, float) and math.isnan(v) else v for v in row])
                ws.column_dimensions["A"].width = 36
                ws.append([])
                ws.append([f"unique_audience counts distinct stored {what}; the budget was {budget:g}."])

            writer = _xlsx_writer("Plan", PLAN_COLUMNS, {
                "price": "#,##0.00", "cumulative_cost": "#,##0.00", "cost_per_1000_unique": "#,##0.00",
                "expected_reach": "#,##0", "new_unique_audience": "#,##0", "cumulative_unique_audience": "#,##0"},
                add_comparison)
        write_atomic(out, writer, table)
        typer.echo(f"wrote {len(table)} placements to {out}", err=True)


def _plan_text(table: pd.DataFrame) -> str:
    shown = table.copy()
    for col in ("price", "cumulative_cost", "cost_per_1000_unique"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    for col in ("expected_reach", "new_unique_audience", "cumulative_unique_audience"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    return shown.to_string(index=False)


def _comparison_text(comparison: pd.DataFrame) -> str:
    shown = comparison.copy()
    shown["cost"] = shown["cost"].map(lambda v: f"{v:,.2f}")
    shown["unique_audience"] = shown["unique_audience"].map(lambda v: f"{int(v):,}")
    shown["cost_per_1000_unique"] = shown["cost_per_1000_unique"].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return shown.to_string(index=False)
