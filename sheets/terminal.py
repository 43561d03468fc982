"""Tables and messages as the terminal shows them.

Names, descriptions and handles come from strangers, so every text bound for the terminal passes
through ``terminal_safe``: no control, escape or bidi character reaches it. Each ``*_text`` function
turns one command's table into the fixed-width text that command prints (``--format csv/json`` and
``--out`` files carry the full figures instead).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from crawler.fields import UNSAFE_IN_MESSAGE, quoted
from crawler.items import SAMPLING_TEXTS
from ranking.overlap import is_sample



def terminal_safe(text: str, keep_newlines: bool = False) -> str:
    """``text`` with control, escape and bidi characters replaced by ``?`` (newlines kept if asked)."""
    if keep_newlines:
        return "\n".join(UNSAFE_IN_MESSAGE.sub("?", line) for line in text.split("\n"))
    return UNSAFE_IN_MESSAGE.sub("?", text)


def cut(text, limit: int = 80) -> str:
    """User input as an error message echoes it: at most ``limit`` characters, control characters shown
    as ``?`` so a pasted escape sequence cannot act on the terminal."""
    return quoted(terminal_safe(str(text)), limit)


def cut_echoes(message: str) -> str:
    """``message`` with quoted input cut to about 80 characters, and any unbroken run of text to 120 (a
    path stays readable; a 10,000-character argument is not worth echoing whole)."""
    message = re.sub(r"'([^'\n]{81,})'", lambda m: f"'{cut(m.group(1))}'", message)
    return re.sub(r"\S{121,}", lambda m: cut(m.group(), 120), message)


def _formatted(values: pd.Series, fmt: str) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else fmt.format(v))


def _whole(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")


def _names(values: pd.Series, width: int) -> pd.Series:
    return values.fillna("").astype(str).str.slice(0, width)


#: The columns a shortlist is judged by; ``--format csv/json`` and export carry all of them.
SHORTLIST_TERMINAL_COLUMNS = ["rank", "platform", "handle", "name", "followers", "median_views", "reach_rate",
                              "er_views", "citations", "relevance", "bot_share", "quality", "quality_checked",
                              "score", "why"]


def shortlist_text(table: pd.DataFrame) -> str:
    """The shortlist's telling columns; a column empty for every page is left out."""
    out = table[[c for c in SHORTLIST_TERMINAL_COLUMNS if c in table.columns]].copy()
    out = out.loc[:, out.notna().any() | out.columns.isin(["rank", "handle", "score"])]
    formats = {"reach_rate": "{:.1%}", "er_views": "{:.1%}", "bot_share": "{:.0%}", "followers": "{:,.0f}",
               "median_views": "{:,.0f}", "relevance": "{:.2f}", "quality": "{:.0f}", "score": "{:.1f}"}
    for col, fmt in formats.items():
        if col in out:
            out[col] = _formatted(out[col], fmt)
    if "name" in out:
        out["name"] = out["name"].fillna("").str.slice(0, 28)
    if "why" in out:
        out["why"] = out["why"].fillna("").str.slice(0, 60)
    if "quality_checked" in out:  # "audience, engagement" → "aud+eng": which parts the quality figure stands on
        out["quality_checked"] = out["quality_checked"].map(
            lambda parts: "+".join(part.strip()[:3] for part in parts.split(",")) if isinstance(parts, str) else "")
        out = out.rename(columns={"quality_checked": "of"})
    return out.fillna("").to_string(index=False)


def similar_text(table: pd.DataFrame) -> str:
    out = table.drop(columns=["url"]).copy()
    for col in ("similarity", "audience_jaccard", "cocitation", "content"):
        out[col] = _formatted(out[col], "{:.3f}")
    out["followers"] = _whole(out["followers"])
    out["name"] = _names(out["name"], 28)
    return out.fillna("").to_string(index=False)


def _percent(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}%"


def matrix_text(matrix: pd.DataFrame, counts: bool) -> str:
    """The pairwise matrix: whole numbers for shared members (``counts``), else percentages."""
    out = matrix.rename_axis(None).copy()
    for col in out.columns:
        out[col] = out[col].map((lambda v: f"{int(v):,}") if counts else (lambda v: f"{100 * v:.1f}%"))
    return out.to_string()


def overlap_accounts_text(per_account: pd.DataFrame) -> str:
    """Each account's audience against the rest of the set (``ranking.overlap.compare_audiences``)."""
    out = pd.DataFrame({
        "account": per_account["account"],
        "audience": _whole(per_account["audience_size"]),
        "unique": _whole(per_account["unique"]),
        "unique %": per_account["unique_pct"].map(_percent),
        "overlapping %": per_account["overlapping_pct"].map(_percent),
        "followers": _whole(per_account["followers"]),
        "stored": [("" if pd.isna(c) else f"{c:.0%}" + (" sample" if is_sample(c) else ""))
                   for c in per_account["audience_coverage"]],
    })
    return out.to_string(index=False)


def audience_text(table: pd.DataFrame) -> str:
    out = table.copy()
    out["name"] = _names(out["name"], 24)
    for col in ("audience_size", "target_overlap", "followers"):
        out[col] = _whole(out[col])
    for col in ("target_share", "target_density", "audience_coverage"):
        out[col] = _formatted(out[col], "{:.1%}")
    out["affinity"] = _formatted(out["affinity"], "{:,.0f}")
    out["jaccard"] = _formatted(out["jaccard"], "{:.4f}")
    return out.to_string(index=False)


def ad_posts_text(table: pd.DataFrame) -> str:
    out = table[["platform", "account", "published_at", "views", "ad_marker", "url"]].copy()
    out["published_at"] = out["published_at"].map(
        lambda t: "—" if pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d"))
    out["views"] = _whole(out["views"])
    out["ad_marker"] = _names(out["ad_marker"], 36)
    return out.to_string(index=False)


def advertisers_text(table: pd.DataFrame) -> str:
    out = table[["advertiser", "page_count", "ad_posts", "last_ad_at", "pages"]].copy()
    out["advertiser"] = _names(out["advertiser"], 36)
    out["pages"] = _names(out["pages"], 60)
    out["last_ad_at"] = out["last_ad_at"].map(lambda t: "—" if pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d"))
    return out.to_string(index=False)


def posts_text(table: pd.DataFrame) -> str:
    out = table[["post_id", "published_at", "measured_by", "views", "interactions", "expected", "overperformance",
                 "ad", "url"]].copy()
    out["published_at"] = out["published_at"].map(
        lambda t: "—" if pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d"))
    for col in ("views", "interactions", "expected"):
        out[col] = _whole(out[col])
    out["overperformance"] = _formatted(out["overperformance"], "{:+.2f}")
    out["ad"] = out["ad"].map(lambda v: "—" if v is None or pd.isna(v) else ("ad" if v else ""))
    return out.to_string(index=False)


def gather_text(table: pd.DataFrame) -> str:
    out = table.drop(columns=["platform", "url", "lists_read"]).copy()
    out["name"] = _names(out["name"], 24)
    for col in ("target_members", "followers"):
        out[col] = _whole(out[col])
    out["target_share"] = [f"{s:.1%} ({lo:.1%}–{hi:.1%})" for s, lo, hi in
                           zip(out["target_share"], out["target_share_low"], out["target_share_high"])]
    out = out.drop(columns=["target_share_low", "target_share_high"])
    for col in ("affinity", "affinity_low"):
        out[col] = _formatted(out[col], "{:,.0f}")
    return out.to_string(index=False)


def gather_summary(summary: dict) -> list[str]:
    """The lines under the gather table: the sample, the lists, the pages, the margin of error."""
    sampled = summary.get("members_sampled")
    how = SAMPLING_TEXTS.get(summary.get("sampling"), "—")
    lines = [f"members sampled: {sampled if sampled is not None else '—'} ({how})",
             f"follow lists read {summary['lists_read']:,}, hidden or empty {summary['lists_hidden']:,}, "
             f"failed or not asked {summary['lists_failed']:,}",
             f"pages found: {summary['pages_found'] if summary.get('pages_found') is not None else '—'}"]
    margin = summary.get("margin_at_min_share")
    if margin == margin and margin is not None:
        lines.append(f"margin of error at --min-share {summary['min_share']:.0%}: ±{margin:.1%} "
                     f"(95%, from {summary['lists_read']:,} lists)")
    lines.append(f"affinity against a platform of {summary['platform_size']:,.0f} accounts (--platform-size)")
    return lines


def plan_text(table: pd.DataFrame) -> str:
    out = table.copy()
    for col in ("price", "cumulative_cost", "cost_per_1000_unique", "cpm"):
        out[col] = _formatted(out[col], "{:,.2f}")
    for col in ("expected_reach", "new_unique_audience", "cumulative_unique_audience"):
        out[col] = _whole(out[col])
    return out.to_string(index=False)


def comparison_text(comparison: pd.DataFrame) -> str:
    out = comparison.copy()
    out["cost"] = out["cost"].map(lambda v: f"{v:,.2f}")
    out["unique_audience"] = out["unique_audience"].map(lambda v: f"{int(v):,}")
    out["cost_per_1000_unique"] = _formatted(out["cost_per_1000_unique"], "{:,.2f}")
    return out.to_string(index=False)


def plan_summary(plan, budget: float, what: str, guarantee: float) -> str:
    """The line under the plan: what the chosen placements cost and reach, and the planner's guarantee."""
    first = plan.comparison.iloc[0]
    return (f"\nbudget {budget:,.2f}: {len(plan.table)} placement(s) costing {first['cost']:,.2f} reach "
            f"{first['unique_audience']:,} distinct stored {what} (guaranteed ≥ {guarantee:.1%} of the best "
            "possible plan)")


def history_lines(account: str, history) -> list[str]:
    """A page's follower history (``ranking.growth.follower_history``) as the lines ``pagescout history``
    prints: the range, a sparkline, one line per snapshot, growth and spikes."""
    from ranking.growth import sparkline

    series = history.series
    if series.empty:
        return [f"{account}: no follower snapshots stored yet"]
    first, last = series["date"].iloc[0].date(), series["date"].iloc[-1].date()
    lines = [f"{account} followers, {len(series)} snapshots {first} … {last}", sparkline(series["followers"])]
    lines += [f"{day.date()}  {int(followers):>12,}" for day, followers in zip(series["date"], series["followers"])]
    growth = {col: "" if pd.isna(v) else f"{v:+.1%}" for col, v in history.growth.items()}
    lines.append(f"growth 30d: {growth['growth_30d'] or '(no snapshot ~30 days back)'}   "
                 f"90d: {growth['growth_90d'] or '(no snapshot ~90 days back)'}")
    if history.spikes.empty:
        lines.append("spikes: none")
    for spike in history.spikes.itertuples():
        lines.append(f"spike {spike.date}: {spike.text} ({spike.before:,} → {spike.after:,}; trend "
                     f"{spike.trend:+,.0f} a day)")
    return lines


def crawl_status_text(crawls, csv: bool = False) -> str:
    """``pagescout crawl-status``: a line per crawl on the queue (``crawler.distributed.CrawlStatus``), then
    a line per worker that took part; as CSV, one row per crawl and worker (worker empty for the crawl)."""
    if csv:
        import csv as csv_module
        import io

        out = io.StringIO()
        writer = csv_module.writer(out, lineterminator="\n")
        writer.writerow(["crawl", "platform", "status", "worker", "alive", "requests", "items", "errors", "queued",
                         "in_flight"])
        for crawl in crawls:
            spec = crawl.spec
            writer.writerow([spec.crawl_id, spec.platform, spec.status, "", "", crawl.requests, crawl.items,
                             crawl.errors, crawl.queued, crawl.in_flight])
            for w in crawl.workers:
                writer.writerow([spec.crawl_id, spec.platform, spec.status, w.worker, w.alive, w.requests, w.items,
                                 w.errors, "", w.in_flight])
        return out.getvalue().rstrip("\n")
    if not crawls:
        return "no crawl on this queue"
    lines = []
    for crawl in crawls:
        spec = crawl.spec
        seeds = spec.spider_args.get("seeds") or []
        lines.append(f"{spec.crawl_id}  {spec.platform}, {spec.status}  ({len(seeds)} seeds, depth "
                     f"{spec.spider_args.get('depth', 0)}, started {spec.created_at or '—'}"
                     + (f", ended {spec.finished_at}" if spec.finished_at else "") + ")")
        lines.append(f"  queued {crawl.queued:,}  in flight {crawl.in_flight:,}  requests {crawl.requests:,}  "
                     f"items {crawl.items:,}  errors {crawl.errors:,}"
                     + (f"  budget {crawl.sent:,}/{spec.max_requests:,}" if spec.max_requests else ""))
        for w in crawl.workers:
            lines.append(f"    {w.worker:<32} {'working' if w.alive else 'gone':<8} requests {w.requests:,}  "
                         f"items {w.items:,}  errors {w.errors:,}  in flight {w.in_flight:,}")
    return "\n".join(lines)
