"""``pagescout overlap``, ``audience`` and ``plan``: how audiences overlap, where a target audience
gathers, and which placements reach the most distinct people within a budget (``ranking.overlap``,
``ranking.plan``)."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from commands.common import (DbOption, Kind, KindOption, MoreTargets, OutOption, TargetOption, echo_table, fail,
                             platform_option, say)
from sheets.brief import load_brief
from crawler.platforms import find_account, parse_account, platform, split_accounts
from crawler.store import Store, load_frames
from ranking.overlap import PAIRWISE, Audiences, affinity_table, compare_audiences, target_mask
from ranking.plan import GREEDY_GUARANTEE, plan_placements
from sheets.readers import read_member_ids, read_prices
from sheets.terminal import (audience_text, comparison_text, matrix_text, overlap_accounts_text, plan_summary,
                             plan_text)
from sheets.writers import write_audience, write_overlap, write_plan


#: The pairwise measures ranking.overlap computes, as the --metric choices.
Metric = Enum("Metric", {name: name for name in PAIRWISE}, type=str)


class Goal(str, Enum):
    unique = "unique"
    target = "target"


METRIC_FORMULAS = {
    "shared": "shared members |A∩B|",
    "jaccard": "Jaccard |A∩B| / |A∪B|",
    "overlap": "overlap |A∩B| / min(|A|, |B|)",
}


def require_audiences(accounts, frames, kind: Kind) -> None:
    """Every account named has a stored audience of ``kind``, or one line says how to get one."""
    have = frames.with_audience()
    for name, handle in accounts:
        if (name, handle) not in have:
            how = platform(name).no_audience or ("crawl it with its audience (--audience-limit) or import one, or "
                                                 "choose another --kind")
            fail(f"{name}:{handle} has no stored audience{kind.text}: nothing to compare ({how})")


def overlap(
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
    Example: pagescout overlap bluesky:alice.bsky.social bluesky:bob.bsky.social \\
               bluesky:carol.bsky.social --metric jaccard --out overlap.xlsx
    """
    texts = split_accounts(accounts)
    if len(texts) < 2:
        fail("name at least two accounts to compare, as platform:handle")
    platforms = {parse_account(text)[0] for text in texts}
    frames = load_frames(db, next(iter(platforms)) if len(platforms) == 1 else None, parts=("accounts", "audience"),
                         audience_kind=kind.stored)
    known = frames.known_accounts()
    picked = list(dict.fromkeys(find_account(text, known, stored_platforms=frames.stored_platforms) for text in texts))
    if len(picked) < 2:
        fail("name at least two different accounts to compare")
    require_audiences(picked, frames, kind)
    result = compare_audiences(Audiences.from_frame(frames.audience), frames.accounts, picked, metric.value)

    typer.echo(f"{METRIC_FORMULAS[metric.value]}, audiences{kind.text or ' of any kind'}:")
    echo_table(matrix_text(result.matrix, counts=metric is Metric.shared))
    typer.echo("")
    echo_table(overlap_accounts_text(result.per_account))
    typer.echo(f"\ntotal audience (sum): {result.totals['total_audience']:,}; "
               f"unique audience (distinct members): {result.totals['unique_audience']:,}")
    for note in result.notes:
        say(note)
    if out is not None:
        write_overlap(out, result, METRIC_FORMULAS[metric.value], counts=metric is Metric.shared)
        say(f"wrote the {len(picked)}×{len(picked)} {metric.value} matrix to {out}")


def audience(
    target: TargetOption = None,
    more: MoreTargets = None,
    target_members: Annotated[Path | None, typer.Option(
        "--target-members", help="A file of member ids (one per line, or a CSV's first column) of --platform forming "
                                 "the target audience, e.g. your customers; hashed on import.", show_default=False)]
    = None,
    only: Annotated[str | None, platform_option("Only rank accounts of this platform.")] = None,
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
    Example: pagescout audience --target bluesky:alice.bsky.social bluesky:bob.bsky.social \\
               --top 20 --out audience.xlsx
    """
    targets = split_accounts([*(target or []), *(more or [])])
    if not targets and target_members is None:
        fail("name the target audience: --target platform:handle (one or more) or --target-members FILE")
    if target_members is not None and not only:
        fail("--target-members needs --platform: member ids mean one person only within their platform")
    platforms = {only} if only else {parse_account(text)[0] for text in targets}
    frames = load_frames(db, next(iter(platforms)) if len(platforms) == 1 else None, parts=("accounts", "audience"),
                         audience_kind=kind.stored)
    audiences = Audiences.from_frame(frames.audience)
    if audiences.matrix.nnz == 0:
        fail(f"no audience{kind.text} is stored for {', '.join(sorted(platforms))}: crawl with an audience "
             f"first (e.g. pagescout crawl bluesky … --audience-limit 1000)")
    known = frames.known_accounts()
    target_accounts = [find_account(text, known, "--target: ", frames.stored_platforms) for text in targets]
    member_ids = read_member_ids(target_members) if target_members is not None else None
    keys = None
    if member_ids is not None:
        with Store(db, create=False) as store:
            keys = store.member_keys(member_ids)  # hashed on import: raw ids are never kept
    mask, matched = target_mask(audiences, target_accounts, only, keys)
    if member_ids is not None:
        say(f"{target_members}: {matched:,} of {len(set(member_ids)):,} member ids are in stored {only} audiences "
            f"(the others cannot be found in any audience)")
    if not mask.any():
        fail("the target audience is empty: none of its members is stored")
    table, notes = affinity_table(audiences, frames.accounts, mask, target_accounts, only, top)
    typer.echo(f"target audience: {int(mask.sum()):,} stored members"
               + (f" of {', '.join(f'{p}:{h}' for p, h in target_accounts)}" if target_accounts else ""))
    if table.empty:
        say("no other account has a stored audience to rank")
    else:
        echo_table(audience_text(table))
    for note in notes:
        say(note)
    if out is not None:
        write_audience(out, table)
        say(f"wrote {len(table)} accounts to {out}")


def plan(
    budget: Annotated[float | None, typer.Option("--budget", "-b", help="Money to spend, in the prices' currency "
                                                                      "[default: the brief's budget.amount].",
                                                 show_default=False)] = None,
    prices: Annotated[Path | None, typer.Option("--prices", help="A .csv or .xlsx with platform, handle, price (and "
                                                                 "optionally expected_reach) per placement "
                                                                 "[default: the brief's budget.prices].",
                                                show_default=False)] = None,
    goal: Annotated[Goal | None, typer.Option("--goal", "-g", help="unique: the most distinct audience members; "
                                                                   "target: the most distinct members of the target "
                                                                   "audience [default: target with --target, else "
                                                                   "unique].", show_default=False)] = None,
    target: TargetOption = None,
    more: MoreTargets = None,
    kind: KindOption = Kind.any,
    out: OutOption = None,
    db: DbOption = None,
    brief: Annotated[Path | None, typer.Option("--brief", help="Take the budget, the prices file and the targets "
                                                               "from a brief's [budget] and targets.",
                                               show_default=False)] = None,
) -> None:
    """Choose the placements that reach the most distinct people (or target members) within a budget.

    Greedy by new audience per price, or the single best affordable placement if that reaches more
    (at least 31.6% of the best possible plan, usually near it). The budget is never exceeded and a
    placement that adds nobody new is never bought. Compares with buying the top pages by score, and
    by followers, until the budget runs out.

    \b
    Example: pagescout plan --budget 5000 --prices prices.csv --goal target \\
               --target bluesky:alice.bsky.social --out plan.xlsx
    """
    targets = split_accounts([*(target or []), *(more or [])])
    if brief is not None:
        loaded = load_brief(brief)
        budget = budget if budget is not None else loaded.budget
        prices = prices if prices is not None else loaded.prices
        targets = targets or list(loaded.targets)
    if budget is None:
        fail("no budget: give --budget, or a brief with [budget] amount")
    if prices is None:
        fail("no prices: give --prices FILE, or a brief with [budget] prices")
    if not math.isfinite(budget) or budget <= 0:
        fail(f"--budget {budget:g} must be a positive amount")
    goal = goal or (Goal.target if targets else Goal.unique)
    if goal is Goal.target and not targets:
        fail("--goal target needs the target audience: --target platform:handle (one or more)")
    if goal is Goal.unique and targets:
        fail("--target is for --goal target: the unique goal counts everyone")

    frames = load_frames(db, parts=("accounts", "posts", "links", "audience"), audience_kind=kind.stored)
    audiences = Audiences.from_frame(frames.audience)
    known = frames.known_accounts()
    placements = read_prices(prices, lambda account, where: find_account(account, known, where))
    own = [find_account(text, known, "--target: ") for text in targets]
    mask = target_mask(audiences, own)[0] if goal is Goal.target else None
    result = plan_placements(frames, audiences, placements, budget, mask, own, kind.text)
    what = "target audience members" if goal is Goal.target else "audience members"

    for note in result.notes:
        say(note)
    if result.table.empty:
        say(f"no placement fits the budget of {budget:,.2f} and reaches anyone new")
    else:
        echo_table(plan_text(result.table))
    typer.echo(plan_summary(result, budget, what, GREEDY_GUARANTEE))
    echo_table(comparison_text(result.comparison))
    if result.sample_note:
        say(result.sample_note)
    if out is not None:
        write_plan(out, result, what, budget)
        say(f"wrote {len(result.table)} placements to {out}")
