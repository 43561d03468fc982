"""``pagescout report``: the shortlist, its charts and the plan as one self-contained HTML file.

The file needs nothing at view time: Vega-Lite's JavaScript (through vl-convert, pinned to the Vega-Lite
version Altair writes), the styles and every chart's data are inline, so it opens from an e-mail
attachment or a USB stick. Charts are Altair specifications; the page is a Jinja2 template with
autoescaping, and each specification is embedded with Jinja's ``tojson``, which escapes ``<``, ``>``,
``&`` and ``'``, so a page called ``</script><script>…`` stays text. A Content-Security-Policy lets only
the report's own two scripts run (by their SHA-256) and forbids every request.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd

from crawler.platforms import find_account, split_accounts
from crawler.store import Store, load_frames, load_gather
from ranking.frames import Frames
from ranking.gather import gathered_pages
from ranking.overlap import Audiences, target_mask
from ranking.plan import plan_placements
from ranking.report import (REACH_BY_VIEWS, community_map, follower_points, overlap_cells, plan_curve,
                            post_points, reach_points, temperature_parts)
from ranking.shortlist import SHORTLIST_COLUMNS
from sheets.brief import load_brief
from sheets.errors import SheetError
from sheets.ranked import nothing_ranked, ranked_pages
from sheets.readers import read_prices
from sheets.report_text import GLOSSARY_RU, LABELS, LANGUAGES
from sheets.writers import write_atomic

TEMPLATE = "report.html.j2"
#: Rows of the shortlist table the page carries; the spreadsheet export has every page.
TABLE_LIMIT = 500
#: Pages drawn in the overlap heat map and the link graph.
OVERLAP_LIMIT = 15
GRAPH_LIMIT = 150
GATHER_ROWS = 20
MISSING = "—"
#: The columns the glossary explains, in the order the report shows them.
GLOSSARY_COLUMNS = ("followers", "median_views", "reach_rate", "er_views", "er_followers", "citations", "score",
                    "bot_share", "quality", "ad_share", "ads_per_week", "standout_posts", "warm", "cooling", "cold",
                    "why")
QUALITY_BANDS = (("quality_good", 70), ("quality_fair", 40), ("quality_poor", -math.inf))
QUALITY_COLOURS = {"quality_good": "#2e7d32", "quality_fair": "#f9a825", "quality_poor": "#c62828",
                   "quality_unknown": "#9e9e9e"}
STRATEGY_LABELS = {"this plan": "strategy_plan", "top by score until the budget": "strategy_score",
                   "top by followers until the budget": "strategy_followers"}
WIDTH = 640


class ReportError(SheetError):
    """A report that cannot be made from what is stored or asked: one line saying what to do."""


@dataclass(frozen=True)
class ReportOptions:
    """What ``pagescout report`` asks for."""

    platform: str | None = None
    top: int = 10
    brief: Path | None = None
    targets: tuple[str, ...] = ()
    prices: Path | None = None
    budget: float | None = None
    lang: str = "en"


@dataclass
class Report:
    """Everything the template shows, the chart data already computed."""

    lang: str
    table: pd.DataFrame
    frames: Frames
    brief_name: str | None
    top: int
    plan: object | None = None
    budget: float | None = None
    gather: pd.DataFrame | None = None
    gather_targets: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


# numbers as the terminal tables show them (sheets.terminal), "—" where not measured -----------------------
def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def whole(value) -> str:
    return MISSING if _missing(value) else f"{float(value):,.0f}"


def percent(value, digits: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value):.{digits}%}"


def decimal(value, digits: int = 1) -> str:
    return MISSING if _missing(value) else f"{float(value):,.{digits}f}"


def sort_key(value) -> str:
    """What a cell sorts by: the number, or nothing (sorted last either way) when not measured."""
    return "" if _missing(value) else repr(float(value))


def quality_band(quality) -> str:
    if _missing(quality):
        return "quality_unknown"
    return next(band for band, floor in QUALITY_BANDS if float(quality) >= floor)


def safe_url(url) -> str | None:
    """Only web links become links: a page's ``javascript:`` or ``data:`` URL is shown as nothing."""
    return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None


# the data ---------------------------------------------------------------------------------------------------
def build_report(db: str | None, options: ReportOptions) -> Report:
    """Load what is stored once, rank it as ``export`` does, and gather what every section shows."""
    if options.lang not in LANGUAGES:
        raise ReportError(f"--lang {options.lang}: the report speaks {' or '.join(LANGUAGES)}")
    brief = load_brief(options.brief) if options.brief is not None else None
    targets = list(options.targets) or (list(brief.targets) if brief is not None else [])
    prices = options.prices or (brief.prices if brief is not None else None)
    budget = options.budget if options.budget is not None else (brief.budget if brief is not None else None)
    if (prices is None) != (budget is None):
        raise ReportError("the plan needs both --prices FILE and --budget AMOUNT (or a brief with [budget])")
    if budget is not None and (not math.isfinite(budget) or budget <= 0):
        raise ReportError(f"--budget {budget:g} must be a positive amount")
    frames = load_frames(db, options.platform)
    table = ranked_pages(db, options.platform, None, targets, brief=brief, prices_path=prices, frames=frames)
    if table.empty:
        raise ReportError(nothing_ranked(table, options.platform))
    report = Report(options.lang, table, frames, brief.name if brief is not None else None, options.top,
                    budget=budget)
    if prices is not None:
        report.plan = placement_plan(frames, prices, budget, targets)
    report.gather, report.gather_targets = stored_gather(db, options.platform, targets)
    return report


def placement_plan(frames: Frames, prices: Path, budget: float, targets: list[str]):
    """``pagescout plan`` for the report: the target audience's unique members when there are targets
    with stored audiences, everyone's otherwise."""
    known = frames.known_accounts()
    placements = read_prices(prices, lambda account, where: find_account(account, known, where))
    own = [find_account(text, known, "--target: ") for text in split_accounts(targets)]
    audiences = Audiences.from_frame(frames.audience)
    with_audience = [account for account in own if account in frames.with_audience()]
    mask = target_mask(audiences, with_audience)[0] if with_audience else None
    return plan_placements(frames, audiences, placements, budget, mask, own)


def stored_gather(db: str | None, platform: str | None, targets: list[str]) -> tuple[pd.DataFrame | None, str | None]:
    """The newest finished gather for the targets (any gather when no target is named), ranked as
    ``pagescout gather`` ranks it; (None, None) when none is stored."""
    with Store(db, create=False) as store:
        runs = store.finished_gathers(platform)
    wanted = {text.split(":", 1)[1].lstrip("@").lower() for text in split_accounts(targets) if ":" in text}
    for run in runs.itertuples(index=False):
        handles = {h.lower() for h in str(run.targets).split(",") if h}
        if not wanted or wanted <= handles or handles <= wanted:
            table = gathered_pages(load_gather(db, run.platform, run.run), top=GATHER_ROWS)
            return table, ", ".join(f"{run.platform}:{h}" for h in str(run.targets).split(",") if h)
    return None, None


# the charts -------------------------------------------------------------------------------------------------
def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for a chart: timestamps as ISO text, missing values as null (never 0)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].map(lambda t: None if pd.isna(t) else pd.Timestamp(t).isoformat())
    return [{k: (None if _missing(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
            for row in out.astype(object).to_dict(orient="records")]


def _chart(spec) -> dict:
    """An Altair chart as the dict vega-embed takes, its data inline."""
    return spec.to_dict()


def scatter_chart(points: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    data = points.assign(
        page=points["name"].fillna(points["handle"]).astype(str) + " (" + points["platform"] + ":" +
        points["handle"] + ")",
        band=[words[quality_band(q)] for q in points["quality"]],
        reach_label=[words["reach_by_views" if by == REACH_BY_VIEWS else "reach_by_followers"]
                     for by in points["reach_by"]])
    bands = [words[band] for band in QUALITY_COLOURS]
    return _chart(alt.Chart(alt.Data(values=_records(data.drop(columns=["reach_by"])))).mark_circle(
        opacity=0.75, stroke="#333", strokeWidth=0.5).encode(
        x=alt.X("reach:Q", scale=alt.Scale(type="log"), title=words["axis_reach"]),
        y=alt.Y("er:Q", axis=alt.Axis(format="%"), title=words["axis_er"]),
        size=alt.Size("followers:Q", title=words["col_followers"], scale=alt.Scale(range=[30, 900])),
        color=alt.Color("band:N", title=words["legend_quality"],
                        scale=alt.Scale(domain=bands, range=list(QUALITY_COLOURS.values()))),
        tooltip=[alt.Tooltip("page:N", title=words["col_page"]),
                 alt.Tooltip("reach:Q", title=words["axis_reach"], format=",.0f"),
                 alt.Tooltip("reach_label:N", title=words["reach_by"]),
                 alt.Tooltip("er:Q", title=words["axis_er"], format=".2%"),
                 alt.Tooltip("followers:Q", title=words["col_followers"], format=",.0f"),
                 alt.Tooltip("quality:Q", title=words["col_quality"], format=".0f"),
                 alt.Tooltip("bot_share:Q", title=words["bots"], format=".0%"),
                 alt.Tooltip("score:Q", title=words["col_score"], format=".1f")],
    ).properties(width=WIDTH, height=380))


def posts_chart(points: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    by_views = points["measured_by"].eq("views").any()
    kinds = [words["post_ad"] if ad else words["post_standout"] if standout else words["post_regular"]
             for ad, standout in zip(points["ad"], points["standout"])]
    data = alt.Data(values=_records(points[["published_at", "value", "overperformance"]].assign(kind=kinds)))
    axis = words["axis_views" if by_views else "axis_interactions"]
    base = alt.Chart(data).encode(x=alt.X("published_at:T", title=words["axis_date"]),
                                  y=alt.Y("value:Q", title=axis))
    domain = [words["post_regular"], words["post_standout"], words["post_ad"]]
    marks = base.mark_point(filled=True, size=60).encode(
        color=alt.Color("kind:N", title=words["post_kind"], scale=alt.Scale(domain=domain,
                                                                            range=["#607d8b", "#e65100", "#6a1b9a"])),
        shape=alt.Shape("kind:N", scale=alt.Scale(domain=domain, range=["circle", "triangle-up", "square"])),
        tooltip=[alt.Tooltip("published_at:T", title=words["axis_date"], format="%Y-%m-%d"),
                 alt.Tooltip("value:Q", title=axis, format=",.0f"), alt.Tooltip("kind:N", title=words["post_kind"]),
                 alt.Tooltip("overperformance:Q", title="overperformance", format=".1f")])
    return _chart((base.mark_line(color="#b0bec5") + marks).properties(
        width=WIDTH // 2 - 40, height=180,
        title=words["views_over_time" if by_views else "interactions_over_time"]))


def followers_chart(points: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    data = alt.Data(values=_records(points[["date", "followers", "spike"]].assign(
        jump=[words["spike"] if s else None for s in points["spike"]])))
    base = alt.Chart(data).encode(x=alt.X("date:T", title=words["axis_date"]),
                                  y=alt.Y("followers:Q", title=words["axis_followers"], scale=alt.Scale(zero=False)))
    line = base.mark_line(point=True, color="#1565c0").encode(
        tooltip=[alt.Tooltip("date:T", title=words["axis_date"], format="%Y-%m-%d"),
                 alt.Tooltip("followers:Q", title=words["axis_followers"], format=",.0f")])
    jumps = base.transform_filter("datum.spike").mark_point(color="#c62828", size=160, shape="diamond", filled=True
                                                            ).encode(tooltip=[alt.Tooltip("jump:N", title="!")])
    drawn = line + jumps if points["spike"].any() else line  # an empty layer makes Vega warn
    return _chart(drawn.properties(width=WIDTH // 2 - 40, height=180, title=words["follower_history"]))


def temperature_chart(parts: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    names = [words[part] for part in ("warm", "cooling", "cold")]
    data = alt.Data(values=_records(parts.assign(label=[words[p] for p in parts["part"]])))
    return _chart(alt.Chart(data).mark_bar().encode(
        x=alt.X("share:Q", stack="normalize", axis=alt.Axis(format="%"), title=words["share"]),
        color=alt.Color("label:N", title=words["temperature"], sort=names,
                        scale=alt.Scale(domain=names, range=["#e53935", "#fb8c00", "#90a4ae"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("label:N", title=words["temperature"]),
                 alt.Tooltip("share:Q", title=words["share"], format=".0%")],
    ).properties(width=WIDTH // 2 - 40, height=40))


def overlap_chart(cells: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    order = list(dict.fromkeys(cells.sort_values("row_order")["row"]))
    base = alt.Chart(alt.Data(values=_records(cells))).encode(
        x=alt.X("column:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40, labelLimit=160)),
        y=alt.Y("row:N", sort=order, title=None, axis=alt.Axis(labelLimit=160)))
    heat = base.mark_rect().encode(
        color=alt.Color("overlap:Q", title=words["overlap"], scale=alt.Scale(scheme="blues", domain=[0, 1])),
        tooltip=[alt.Tooltip("row:N", title=words["axis_page"]), alt.Tooltip("column:N", title=words["axis_page"]),
                 alt.Tooltip("overlap:Q", title=words["overlap"], format=".0%"),
                 alt.Tooltip("shared:Q", title=words["shared_members"], format=",.0f")])
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("overlap:Q", format=".0%"),
        color=alt.condition("datum.overlap > 0.6", alt.value("white"), alt.value("#222")))
    size = max(220, 34 * len(order))
    return _chart((heat + text).properties(width=size, height=size))


def plan_chart(curve: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    names = [words[STRATEGY_LABELS[s]] for s in STRATEGY_LABELS]
    data = curve.assign(strategy=[words[STRATEGY_LABELS.get(s, "strategy_plan")] for s in curve["strategy"]])
    return _chart(alt.Chart(alt.Data(values=_records(data))).mark_line(point=True, interpolate="step-after").encode(
        x=alt.X("cumulative_cost:Q", title=words["axis_cost"]),
        y=alt.Y("cumulative_unique_audience:Q", title=words["axis_unique"]),
        color=alt.Color("strategy:N", title=words["strategy"], sort=names,
                        scale=alt.Scale(domain=names, range=["#2e7d32", "#1565c0", "#9e9e9e"])),
        strokeDash=alt.StrokeDash("strategy:N", sort=names, legend=None),
        tooltip=[alt.Tooltip("strategy:N", title=words["strategy"]), alt.Tooltip("page:N", title=words["col_page"]),
                 alt.Tooltip("cumulative_cost:Q", title=words["axis_cost"], format=",.2f"),
                 alt.Tooltip("cumulative_unique_audience:Q", title=words["axis_unique"], format=",.0f")],
    ).properties(width=WIDTH, height=320))


def gather_chart(table: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    data = table.assign(page=table["name"].fillna(table["handle"]).astype(str))[
        ["page", "handle", "target_share", "target_share_low", "target_share_high", "affinity"]]
    base = alt.Chart(alt.Data(values=_records(data))).encode(
        y=alt.Y("handle:N", sort=list(data["handle"]), title=None))
    bars = base.mark_bar(color="#5e35b1").encode(
        x=alt.X("target_share:Q", axis=alt.Axis(format="%"), title=words["col_target_share"]),
        tooltip=[alt.Tooltip("page:N", title=words["col_page"]),
                 alt.Tooltip("target_share:Q", title=words["col_target_share"], format=".1%"),
                 alt.Tooltip("target_share_low:Q", title="95% −", format=".1%"),
                 alt.Tooltip("target_share_high:Q", title="95% +", format=".1%"),
                 alt.Tooltip("affinity:Q", title=words["col_affinity"], format=",.0f")])
    whiskers = base.mark_rule(color="#222").encode(x="target_share_low:Q", x2="target_share_high:Q")
    return _chart((bars + whiskers).properties(width=WIDTH - 160, height=max(120, 18 * len(data))))


def community_chart(nodes: pd.DataFrame, edges: pd.DataFrame, words: dict) -> dict:
    import altair as alt

    hidden = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    lines = alt.Chart(alt.Data(values=_records(edges))).mark_rule(color="#b0bec5", opacity=0.6).encode(
        x=alt.X("x:Q", axis=hidden), y=alt.Y("y:Q", axis=hidden), x2="x2:Q", y2="y2:Q",
        strokeWidth=alt.StrokeWidth("weight:Q", legend=None, scale=alt.Scale(range=[0.5, 4])))
    data = nodes.assign(page=nodes["name"].fillna(nodes["handle"]).astype(str),
                        community=nodes["community"].fillna(MISSING).astype(str))
    points = alt.Chart(alt.Data(values=_records(data))).mark_circle(stroke="white", strokeWidth=1).encode(
        x=alt.X("x:Q", axis=hidden), y=alt.Y("y:Q", axis=hidden),
        size=alt.Size("score:Q", legend=None, scale=alt.Scale(range=[40, 400])),
        color=alt.Color("community:N", title=words["community"], legend=alt.Legend(labelLimit=260)),
        tooltip=[alt.Tooltip("page:N", title=words["col_page"]), alt.Tooltip("handle:N", title="@"),
                 alt.Tooltip("community:N", title=words["community"]),
                 alt.Tooltip("score:Q", title=words["col_score"], format=".1f")])
    return _chart((lines + points).properties(width=WIDTH, height=460))


# the page ---------------------------------------------------------------------------------------------------
def page_rows(table: pd.DataFrame, words: dict) -> list[dict]:
    """The shortlist table's rows as the template shows them: text already formatted, sort keys raw."""
    rows = []
    for row in table.head(TABLE_LIMIT).to_dict(orient="records"):
        bots = row.get("bot_share")
        interval = (f"{percent(row.get('bot_share_low'), 0)}–{percent(row.get('bot_share_high'), 0)}"
                    if not _missing(row.get("bot_share_low")) else None)
        rows.append({
            "rank": int(row["rank"]), "platform": row["platform"], "handle": row["handle"],
            "name": row.get("name") if isinstance(row.get("name"), str) and row.get("name") else row["handle"],
            "url": safe_url(row.get("url")),
            "cells": [(whole(row.get("followers")), sort_key(row.get("followers"))),
                      (whole(row.get("median_views")), sort_key(row.get("median_views"))),
                      (percent(row.get("reach_rate")), sort_key(row.get("reach_rate"))),
                      (percent(row.get("er_views"), 2), sort_key(row.get("er_views"))),
                      (percent(row.get("er_followers"), 2), sort_key(row.get("er_followers"))),
                      (whole(row.get("citations")), sort_key(row.get("citations")))],
            "score_width": 0 if _missing(row.get("score")) else max(0.0, min(100.0, float(row["score"]))),
            "score_text": decimal(row.get("score")), "score_key": sort_key(row.get("score")),
            "quality": decimal(row.get("quality"), 0), "quality_key": sort_key(row.get("quality")),
            "band": quality_band(row.get("quality")),
            "bots": None if _missing(bots) else percent(bots, 0), "interval": interval,
            "checked": whole(row.get("audience_sampled")),
            "ads": percent(row.get("ad_share"), 0), "ads_key": sort_key(row.get("ad_share")),
            "ads_per_week": decimal(row.get("ads_per_week"), 1),
            "why": row.get("why") if isinstance(row.get("why"), str) else "",
        })
    return rows


def page_cards(report: Report, words: dict) -> list[dict]:
    """The top pages' cards: posts over time, follower history, quality flags, temperature."""
    table = report.table.head(report.top)
    pages = list(zip(table["platform"].astype(str), table["handle"].astype(str)))
    posts = post_points(report.frames.posts, report.frames.accounts, pages, report.now)
    history = follower_points(report.frames.snapshots, pages)
    heat = temperature_parts(report.table, pages)
    cards = []
    for row, page in zip(table.to_dict(orient="records"), pages):
        own_posts = posts[(posts["platform"] == page[0]) & (posts["handle"] == page[1])]
        own_history = history[(history["platform"] == page[0]) & (history["handle"] == page[1])]
        own_heat = heat[(heat["platform"] == page[0]) & (heat["handle"] == page[1])]
        flags = row.get("quality_flags")
        cards.append({
            "rank": int(row["rank"]), "platform": page[0], "handle": page[1],
            "name": row.get("name") if isinstance(row.get("name"), str) and row.get("name") else page[1],
            "url": safe_url(row.get("url")), "score": decimal(row.get("score")),
            "quality": decimal(row.get("quality"), 0), "band": quality_band(row.get("quality")),
            "posts_chart": posts_chart(own_posts, words) if len(own_posts) else None,
            "followers_chart": followers_chart(own_history, words) if len(own_history) >= 2 else None,
            "temperature_chart": temperature_chart(own_heat, words) if len(own_heat) else None,
            "flags": [f.strip() for f in flags.split(";") if f.strip()] if isinstance(flags, str) else [],
        })
    return cards


def plan_rows(plan, words: dict) -> tuple[list[list[str]], list[list[str]]]:
    table = plan.table
    placements = [[str(int(r.order)), f"{r.platform}:{r.handle}", decimal(r.price, 2), whole(r.expected_reach),
                   whole(r.new_unique_audience), whole(r.cumulative_unique_audience), decimal(r.cpm, 2),
                   decimal(r.cost_per_1000_unique, 2)] for r in table.itertuples(index=False)]
    comparison = [[words[STRATEGY_LABELS.get(r.strategy, "strategy_plan")], whole(r.placements), decimal(r.cost, 2),
                   whole(r.unique_audience), decimal(r.cost_per_1000_unique, 2)]
                  for r in plan.comparison.itertuples(index=False)]
    return placements, comparison


def gather_rows(table: pd.DataFrame) -> list[list[str]]:
    return [[f"{r.platform}:{r.handle}", r.name if isinstance(r.name, str) else "", percent(r.target_share),
             f"{percent(r.target_share_low)}–{percent(r.target_share_high)}", whole(r.lists_read),
             whole(r.affinity)] for r in table.itertuples(index=False)]


def header_facts(report: Report) -> dict:
    table, posts = report.table, report.frames.posts
    ranked = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))
    if len(posts):
        keys = pd.MultiIndex.from_arrays([posts["platform"].astype(str), posts["account"].astype(str)])
        posts = posts[keys.isin(ranked)]
    published = pd.to_datetime(posts["published_at"], utc=True, errors="coerce").dropna() if len(posts) else []
    period = (f"{published.min():%Y-%m-%d} – {published.max():%Y-%m-%d}" if len(published) else MISSING)
    return {"platforms": ", ".join(sorted(table["platform"].astype(str).unique())), "pages": f"{len(table):,}",
            "posts": f"{len(posts):,}", "period": period, "generated": f"{report.now:%Y-%m-%d %H:%M} UTC"}


@lru_cache(maxsize=1)
def chart_library() -> str:
    """Vega, Vega-Lite and vega-embed in one script, at the Vega-Lite version Altair writes."""
    import altair as alt
    import vl_convert

    version = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    return vl_convert.javascript_bundle(vl_version=version)


def _script_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render_report(report: Report) -> str:
    """The whole page as text."""
    import jinja2

    words = LABELS[report.lang]
    environment = jinja2.Environment(loader=jinja2.PackageLoader("sheets", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.get_template(TEMPLATE)
    page_script = environment.get_template("report.js").render()
    library = chart_library()
    charts_script = library + "\n" + environment.get_template("charts.js").render()
    table = report.table
    points = reach_points(table)
    pages = list(zip(table["platform"].astype(str), table["handle"].astype(str)))
    cells = overlap_cells(report.frames.audience, pages, OVERLAP_LIMIT)
    nodes, edges = community_map(report.frames.links, table, GRAPH_LIMIT)
    glossary = {column: (GLOSSARY_RU.get(column) if report.lang == "ru" else None) or SHORTLIST_COLUMNS[column]
                for column in GLOSSARY_COLUMNS}
    plan_table = plan_rows(report.plan, words) if report.plan is not None and len(report.plan.table) else None
    return template.render(
        t=words, lang=report.lang, brief_name=report.brief_name, facts=header_facts(report),
        rows=page_rows(table, words), total=len(table), shown=min(len(table), TABLE_LIMIT),
        platforms=sorted(table["platform"].astype(str).unique()),
        scatter=scatter_chart(points, words) if len(points) else None,
        cards=page_cards(report, words),
        overlap=overlap_chart(cells, words) if len(cells) else None,
        plan=plan_chart(plan_curve(report.plan.curves), words) if plan_table else None,
        plan_table=plan_table, plan_notes=list(report.plan.notes) if report.plan is not None else [],
        budget=decimal(report.budget, 2) if report.budget is not None else None,
        gather=gather_chart(report.gather, words) if report.gather is not None and len(report.gather) else None,
        gather_rows=gather_rows(report.gather) if report.gather is not None else [],
        gather_targets=report.gather_targets or "",
        communities=community_chart(nodes, edges, words) if len(nodes) else None,
        glossary=glossary, page_script=page_script, charts_script=charts_script,
        policy=f"default-src 'none'; script-src {_script_hash(page_script)} {_script_hash(charts_script)} "
               "'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:",
    )


def write_report(out: Path, db: str | None, options: ReportOptions) -> Report:
    """Build the report and write it to ``out`` atomically (no half-written file on failure)."""
    if out.suffix.lower() not in (".html", ".htm"):
        raise SheetError(f"cannot write a report to '{out}': the name must end in .html")
    report = build_report(db, options)
    html = render_report(report)
    write_atomic(out, lambda text, path: path.write_text(text, encoding="utf-8"), html)
    return report
