"""The data each chart of ``pagescout report`` is drawn from: pure functions over the shortlist table and
the stored frames, so what a chart shows can be checked by hand on a small database (the drawing itself
is ``sheets/report.py``'s).

Every function returns plain rows, one per mark: a missing figure leaves its row out of a chart (a
log-scale axis has no place for 0), never turns into 0.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from ranking.graph import link_graph, undirected
from ranking.growth import follower_series, spikes
from ranking.overlap import Audiences, overlap, shared
from ranking.standout import overperformance

KEY = ["platform", "handle"]
#: Which reach a page is placed by on the scatter, and the engagement rate that goes with it.
REACH_BY_VIEWS = "median views"
REACH_BY_FOLLOWERS = "followers"


def _floats(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")


def reach_points(table: pd.DataFrame) -> pd.DataFrame:
    """One point per shortlisted page: reach (median views, or followers where the page shows no views)
    against the engagement rate measured on the same base (er_views with views, er_followers with
    followers). Pages lacking either figure, or with no reach above 0, are left out.

    Examples
    --------
    >>> table = pd.DataFrame({"rank": [1, 2, 3], "platform": "vk", "handle": ["a", "b", "c"], "name": "x",
    ...                       "followers": [1000, 500, 80], "median_views": [300, None, 0],
    ...                       "er_views": [0.05, None, 0.1], "er_followers": [0.01, 0.02, 0.3],
    ...                       "quality": [80, None, 50], "bot_share": None, "score": [70.0, 50.0, 20.0]})
    >>> reach_points(table)[["handle", "reach", "reach_by", "er"]]
      handle   reach      reach_by    er
    0      a   300.0  median views  0.05
    1      b   500.0     followers  0.02
    """
    if table.empty:
        return pd.DataFrame(columns=["rank", *KEY, "name", "reach", "reach_by", "er", "followers", "quality",
                                     "bot_share", "score"])
    views, followers = _floats(table["median_views"]), _floats(table["followers"])
    by_views = ~np.isnan(views)
    reach = np.where(by_views, views, followers)
    er = np.where(by_views, _floats(table["er_views"]), _floats(table["er_followers"]))
    out = pd.DataFrame({
        "rank": table["rank"].to_numpy(), "platform": table["platform"].to_numpy(),
        "handle": table["handle"].to_numpy(), "name": table["name"].to_numpy(), "reach": reach,
        "reach_by": np.where(by_views, REACH_BY_VIEWS, REACH_BY_FOLLOWERS), "er": er, "followers": followers,
        "quality": _floats(table["quality"]), "bot_share": _floats(table["bot_share"]),
        "score": _floats(table["score"])})
    keep = ~np.isnan(reach) & (reach > 0) & ~np.isnan(er)
    return out[keep].reset_index(drop=True)


def post_points(posts: pd.DataFrame, accounts: pd.DataFrame, pages: list[tuple[str, str]], now) -> pd.DataFrame:
    """Each post of ``pages`` as a point in time: its views (interactions where the page shows no views,
    as ``measured_by`` says), and whether it stands out (CrowdTangle's overperformance ≥ 2,
    ``ranking.standout``) or is an ad. Posts under 48 hours old at their page's crawl are left out, as
    the standout figures leave them out: their views are still growing."""
    columns = [*KEY, "published_at", "value", "measured_by", "overperformance", "standout", "ad", "url"]
    if posts is None or posts.empty or not pages:
        return pd.DataFrame(columns=columns)
    wanted = pd.MultiIndex.from_tuples(pages)
    keys = pd.MultiIndex.from_arrays([posts["platform"].astype(str), posts["account"].astype(str)])
    scored = overperformance(posts[keys.isin(wanted)], now, accounts)
    if scored.empty:
        return pd.DataFrame(columns=columns)
    value = np.where(scored["measured_by"].eq("views"), _floats(scored["views"]), _floats(scored["interactions"]))
    out = pd.DataFrame({
        "platform": scored["platform"], "handle": scored["account"], "published_at": scored["published_at"],
        "value": value, "measured_by": scored["measured_by"], "overperformance": _floats(scored["overperformance"]),
        "standout": scored["standout"].fillna(False).astype(bool),
        "ad": scored["ad"].astype("boolean").fillna(False).astype(bool), "url": scored["url"]})
    return out[~np.isnan(out["value"].to_numpy(dtype="float64"))].reset_index(drop=True)


def follower_points(snapshots: pd.DataFrame | None, pages: list[tuple[str, str]]) -> pd.DataFrame:
    """The follower snapshots of ``pages`` (date, followers) with ``spike`` set on the snapshot that ends
    a follower jump (``ranking.growth.spikes``)."""
    columns = [*KEY, "date", "followers", "spike"]
    if snapshots is None or snapshots.empty or not pages:
        return pd.DataFrame(columns=columns)
    series = follower_series(snapshots)
    keys = pd.MultiIndex.from_arrays([series["platform"].astype(str), series["handle"].astype(str)])
    series = series[keys.isin(pd.MultiIndex.from_tuples(pages))].copy()
    jumps = spikes(snapshots)
    ends = set(zip(jumps["platform"].astype(str), jumps["handle"].astype(str),
                   pd.to_datetime(jumps["date"], utc=True).dt.tz_localize(None).dt.normalize())) if len(jumps) else set()
    series["spike"] = [(p, h, d) in ends for p, h, d in zip(series["platform"], series["handle"], series["date"])]
    return series.reindex(columns=columns).reset_index(drop=True)


def temperature_parts(table: pd.DataFrame, pages: list[tuple[str, str]]) -> pd.DataFrame:
    """The warm, cooling and cold shares of each page's stored audience, long form, for a stacked bar;
    a page whose temperature was not measured has no rows."""
    columns = [*KEY, "part", "share", "order"]
    indexed = table.set_index(KEY)
    rows = []
    for page in pages:
        if page not in indexed.index:
            continue
        found = indexed.loc[page]
        found = found.iloc[0] if isinstance(found, pd.DataFrame) else found
        shares = [pd.to_numeric(found.get(part), errors="coerce") for part in ("warm", "cooling", "cold")]
        if any(pd.isna(share) for share in shares):
            continue
        rows += [(*page, part, float(share), order)
                 for order, (part, share) in enumerate(zip(("warm", "cooling", "cold"), shares))]
    return pd.DataFrame(rows, columns=columns)


def overlap_cells(audience: pd.DataFrame | None, pages: list[tuple[str, str]], limit: int = 15) -> pd.DataFrame:
    """The heat map of the first ``limit`` of ``pages`` (in their order) with a stored audience: for each
    ordered pair, ``overlap`` = |A∩B| / min(|A|, |B|) (``ranking.overlap.overlap``) and ``shared`` = |A∩B|.

    Examples
    --------
    >>> audience = pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 2, "kind": "follower",
    ...                          "member_key": [1, 2, 3, 4, 3, 9]})
    >>> cells = overlap_cells(audience, [("vk", "a"), ("vk", "b"), ("vk", "c")])
    >>> cells[cells["row"] == "vk:a"][["column", "overlap", "shared"]]
      column  overlap  shared
    0   vk:a      1.0       4
    1   vk:b      0.5       1
    """
    columns = ["row", "column", "overlap", "shared", "row_order", "column_order"]
    if audience is None or audience.empty:
        return pd.DataFrame(columns=columns)
    stored = set(zip(audience["platform"].astype(str), audience["account"].astype(str)))
    chosen = [page for page in dict.fromkeys(pages) if page in stored][:limit]
    if len(chosen) < 2:
        return pd.DataFrame(columns=columns)
    audiences = Audiences.from_frame(audience)
    share, counts = overlap(audiences, chosen), shared(audiences, chosen)
    labels = list(share.index)
    rows = [(a, b, float(share.loc[a, b]), int(counts.loc[a, b]), i, j)
            for i, a in enumerate(labels) for j, b in enumerate(labels)]
    return pd.DataFrame(rows, columns=columns)


def plan_curve(curves: pd.DataFrame | None) -> pd.DataFrame:
    """Cumulative unique audience against cumulative cost, one line per strategy (the plan and its two
    baselines, ``ranking.plan.Plan.curves``), each from (0, 0); a page's name on each purchase."""
    columns = ["strategy", "order", "page", "cumulative_cost", "cumulative_unique_audience"]
    if curves is None or curves.empty:
        return pd.DataFrame(columns=columns)
    page = [None if pd.isna(h) else f"{p}:{h}" for p, h in zip(curves["platform"], curves["handle"])]
    return curves.assign(page=page).reindex(columns=columns).reset_index(drop=True)


def community_map(links: pd.DataFrame, table: pd.DataFrame, limit: int = 150, seed: int = 0
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Positions for the link graph of the best ``limit`` shortlisted pages that link to or are linked by
    another of them: nodes (platform, handle, name, community, score, x, y) and edges (x, y, x2, y2,
    weight). The layout is networkx's spring layout with a fixed seed, over the undirected graph (a link
    either way ties two pages), scaled to [-1, 1], so the page does no layout work and the same data
    gives the same picture."""
    node_columns = [*KEY, "name", "community", "score", "x", "y"]
    edge_columns = ["x", "y", "x2", "y2", "weight"]
    if table.empty or links is None or links.empty:
        return pd.DataFrame(columns=node_columns), pd.DataFrame(columns=edge_columns)
    best = table.head(limit)
    pages = list(zip(best["platform"].astype(str), best["handle"].astype(str)))
    graph = undirected(link_graph(links)).subgraph(pages).copy()
    graph.remove_nodes_from([n for n, degree in dict(graph.degree()).items() if degree == 0])
    if graph.number_of_nodes() == 0:
        return pd.DataFrame(columns=node_columns), pd.DataFrame(columns=edge_columns)
    positions = nx.spring_layout(graph, seed=seed, weight="weight")
    found = best.set_index(KEY)
    nodes = pd.DataFrame([{
        "platform": p, "handle": h, "name": found.loc[(p, h), "name"], "community": found.loc[(p, h), "community"],
        "score": found.loc[(p, h), "score"], "x": float(positions[(p, h)][0]), "y": float(positions[(p, h)][1])}
        for p, h in pages if (p, h) in graph], columns=node_columns)
    edges = pd.DataFrame([(*positions[u], *positions[v], int(w)) for u, v, w in graph.edges(data="weight", default=1)],
                         columns=edge_columns)
    return nodes, edges
