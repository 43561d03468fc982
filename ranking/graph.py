"""Opinion leaders in the link graph: PageRank, a reach-weighted citation index, and topic communities.

Pure functions. The graph is built from the store's ``links`` frame (platform, src, dst, kind): one
node per account, keyed ``(platform, handle)``, and one directed edge ``src → dst`` whose ``weight`` is
the number of links of the kinds in :data:`GRAPH_KINDS` from src to dst (self-links are dropped).
Links never cross platforms, so each platform is a separate part of the graph.

References: Page, Brin, Motwani & Winograd (1999), "The PageRank Citation Ranking"; Blondel, Guillaume,
Lambiotte & Lefebvre (2008), "Fast unfolding of communities in large networks" (Louvain); TGStat's
citation index (mentions and forwards weighted by the citing channel); networkx's
``algorithms/link_analysis/pagerank_alg.py`` and ``algorithms/community/louvain.py``.
"""

from __future__ import annotations

import math
import networkx as nx
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from ranking.engagement import CITING_KINDS
from ranking.relevance import WORDS

KEY = ["platform", "handle"]
#: Link kinds that make an edge: every way one account points its audience at another.
GRAPH_KINDS = ("forward", "repost", "quote", "mention", "reply", "follow")
#: Words never used to label a community: the function words of every language ranking.relevance knows.
STOP_WORDS = sorted(set().union(*WORDS.values()))


def link_graph(links: pd.DataFrame, accounts: pd.DataFrame | None = None) -> nx.DiGraph:
    """DiGraph of accounts: edge ``src → dst`` weighted by the count of links of :data:`GRAPH_KINDS`.

    Nodes are ``(platform, handle)`` tuples. Every account of ``accounts`` (optional) is a node even
    without links; accounts only linked to (not crawled) are nodes too.
    """
    graph = nx.DiGraph()
    if accounts is not None and not accounts.empty:
        graph.add_nodes_from(zip(accounts["platform"].astype(str), accounts["handle"].astype(str)))
    if links is None or links.empty:
        return graph
    used = links[links["kind"].isin(GRAPH_KINDS) & (links["src"] != links["dst"])]
    counts = used.groupby([used["platform"].astype(str), used["src"].astype(str), used["dst"].astype(str)]).size()
    graph.add_weighted_edges_from(((p, s), (p, d), int(n)) for (p, s, d), n in counts.items())
    return graph


def pagerank(graph: nx.DiGraph, alpha: float = 0.85) -> pd.Series:
    r"""PageRank of every node, computed platform by platform, indexed by (platform, handle).

    .. math::

        PR(v) = \frac{1 - \alpha}{N} + \alpha \sum_{u \to v} PR(u) \frac{w_{uv}}{\sum_x w_{ux}}

    with damping ``alpha`` = 0.85, ``N`` the platform's nodes and ``w`` the edge weights (links
    counted); accounts that link nowhere spread their rank evenly (networkx's ``dangling`` default).
    Values sum to 1 within each platform, so they compare only within it.

    References
    ----------
    .. [1] Page, L., Brin, S., Motwani, R., Winograd, T. (1999). The PageRank Citation Ranking:
       Bringing Order to the Web. Stanford InfoLab.
    """
    by_platform: dict[str, list] = {}
    for node in graph.nodes:
        by_platform.setdefault(node[0], []).append(node)
    ranks: dict = {}
    for nodes in by_platform.values():
        ranks.update(nx.pagerank(graph.subgraph(nodes), alpha=alpha, weight="weight"))
    index = pd.MultiIndex.from_tuples(list(ranks), names=KEY) if ranks else pd.MultiIndex.from_tuples([], names=KEY)
    return pd.Series(list(ranks.values()), index=index, dtype="float64")


def reach_of(metrics: pd.DataFrame) -> pd.Series:
    """Each account's reach: ``median_views``, else ``followers``; indexed by (platform, handle)."""
    reach = metrics["median_views"].astype("float64").fillna(metrics["followers"].astype("float64"))
    reach.index = pd.MultiIndex.from_frame(metrics[KEY].astype(str))
    return reach


def citer_weight(reach: float) -> float:
    """``max(1, log10(1 + reach))``; 1 when the reach is unknown."""
    if reach is None or not math.isfinite(reach) or reach <= 0:
        return 1.0
    return max(1.0, math.log10(1.0 + reach))


def citation_index(links: pd.DataFrame, reach: pd.Series) -> pd.Series:
    r"""Distinct citing accounts, each weighted by the log of its reach; indexed by (platform, handle).

    .. math::

        \mathrm{citation\_index}(a) = \sum_{c \in C(a)} \max\bigl(1,\ \log_{10}(1 + \mathrm{reach}(c))\bigr)

    where ``C(a)`` are the distinct other accounts with a link of kind forward, repost, quote or mention
    to ``a`` (the citers counted by ``ranking.engagement.citations``), and ``reach(c)`` is the citer's
    median views per post, else its followers (:func:`reach_of`). A citer whose reach is unknown (not
    crawled) or below 9 counts 1, like a plain citation.

    Why the logarithm: reach spans six orders of magnitude. Counted linearly, one mention by a channel
    with a million views would outweigh ten thousand niche citers; counted plainly (``citations``) it
    equals one by a 50-view channel. ``log10`` gives each tenfold of reach one more point: a citer with
    10⁶ views counts 6, one with 100 views 2. Our definition; TGStat's citation index likewise weighs
    mentions and forwards by the citing channel, with an undisclosed formula.

    Accounts nobody cites are absent (read as 0).

    Parameters
    ----------
    links : DataFrame
        The store's links (platform, src, dst, kind).
    reach : Series
        Reach per (platform, handle), as :func:`reach_of` gives it.

    Returns
    -------
    Series
        float indexed by (platform, handle) of every cited account.

    Examples
    --------
    >>> links = pd.DataFrame({"platform": "telegram", "src": ["a", "b"], "dst": "hub", "kind": "forward"})
    >>> reach = pd.Series([99.0, None], index=pd.MultiIndex.from_tuples([("telegram", "a"), ("telegram", "b")]))
    >>> citation_index(links, reach).tolist()  # log10(100) = 2, unknown reach 1
    [3.0]

    References
    ----------
    .. [1] Garfield, E. (1972). Citation analysis as a tool in journal evaluation. Science 178, 471–479.
    .. [2] TGStat, "Индекс цитирования" (citation index of Telegram channels), tgstat.ru/docs.
    """
    cited = links[links["kind"].isin(CITING_KINDS) & (links["src"] != links["dst"])]
    pairs = cited[["platform", "src", "dst"]].astype(str).drop_duplicates()
    if pairs.empty:
        return pd.Series(dtype="float64", index=pd.MultiIndex.from_tuples([], names=KEY))
    citer_reach = reach.reindex(pd.MultiIndex.from_frame(pairs[["platform", "src"]].set_axis(KEY, axis=1)))
    weights = np.fromiter((citer_weight(r) for r in citer_reach.to_numpy(dtype="float64")), dtype="float64",
                          count=len(pairs))
    out = pd.Series(weights, index=pd.MultiIndex.from_frame(pairs[["platform", "dst"]].set_axis(KEY, axis=1)))
    return out.groupby(level=KEY).sum()


def undirected(graph: nx.DiGraph) -> nx.Graph:
    """The undirected graph with ``w(u, v) = w(u → v) + w(v → u)``: links either way tie two accounts."""
    out = nx.Graph()
    out.add_nodes_from(graph.nodes)
    for u, v, w in graph.edges(data="weight", default=1):
        if out.has_edge(u, v):
            out[u][v]["weight"] += w
        else:
            out.add_edge(u, v, weight=w)
    return out


def top_terms(documents: list[str], n: int = 3) -> list[list[str]]:
    """The ``n`` words of highest TF-IDF in each document, documents weighing each other's words down.

    Words are runs of 3+ letters, lower-cased, function words (:data:`STOP_WORDS`) left out; ties go to
    the word that comes first alphabetically.
    """
    if not any(d.strip() for d in documents):
        return [[] for _ in documents]
    vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b[^\W\d_]{3,}\b", stop_words=STOP_WORDS, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(documents).toarray()
    except ValueError:  # only stop words
        return [[] for _ in documents]
    vocab = vectorizer.get_feature_names_out()
    out = []
    for row in matrix:
        order = sorted((i for i in np.flatnonzero(row)), key=lambda i: (-row[i], vocab[i]))
        out.append([str(vocab[i]) for i in order[:n]])
    return out


def communities(graph: nx.DiGraph, texts: pd.Series | None = None, seed: int = 0, resolution: float = 1.0,
                terms: int = 3) -> pd.Series:
    """Louvain communities of the undirected weighted graph, labelled ``"3: фитнес, бег, йога"``.

    Communities are found by ``networkx.community.louvain_communities(seed=seed, weight="weight")`` on
    :func:`undirected` (modularity maximisation, Blondel et al. 2008), numbered 1, 2, … from the largest
    (ties: the smallest member first). Each is labelled by the ``terms`` words of highest TF-IDF in its
    members' texts (``texts``: name and description per (platform, handle)), one document per community
    (:func:`top_terms`), so words every community uses do not label any. Accounts alone in their
    community (no links, or links to nobody else) get NaN: one account is not a community.

    Parameters
    ----------
    graph : DiGraph
        :func:`link_graph`.
    texts : Series, optional
        Text per (platform, handle) (:func:`profile_texts`) to label communities with.
    seed : int
        Louvain's random seed: the same graph and seed give the same communities.
    resolution : float
        Louvain's resolution: above 1 favours smaller communities.
    terms : int
        Words per label.

    Returns
    -------
    Series
        Labels (object) indexed by (platform, handle) over every node.

    Examples
    --------
    >>> links = pd.DataFrame({"platform": "x", "src": ["a", "b", "c"], "dst": ["b", "c", "a"], "kind": "mention"})
    >>> communities(link_graph(links)).tolist()
    ['1', '1', '1']

    References
    ----------
    .. [1] Blondel, V. D., Guillaume, J.-L., Lambiotte, R., Lefebvre, E. (2008). Fast unfolding of
       communities in large networks. J. Stat. Mech. P10008.
    """
    nodes = list(graph.nodes)
    index = pd.MultiIndex.from_tuples(nodes, names=KEY) if nodes else pd.MultiIndex.from_tuples([], names=KEY)
    out = pd.Series(np.nan, index=index, dtype=object)
    if graph.number_of_edges() == 0:
        return out
    found = nx.community.louvain_communities(undirected(graph), weight="weight", resolution=resolution, seed=seed)
    groups = sorted((sorted(c) for c in found if len(c) > 1), key=lambda c: (-len(c), c[0]))
    docs = []
    for members in groups:
        docs.append("\n".join(str(texts.get(m, "")) if texts is not None else "" for m in members))
    labels = top_terms(docs, terms)
    for number, (members, words) in enumerate(zip(groups, labels), start=1):
        label = f"{number}: {', '.join(words)}" if words else str(number)
        out.loc[members] = label
    return out


def profile_texts(accounts: pd.DataFrame) -> pd.Series:
    """Name and description of each account, indexed by (platform, handle): what labels a community."""
    names = accounts.get("name", pd.Series(None, index=accounts.index))
    descriptions = accounts.get("description", pd.Series(None, index=accounts.index))
    text = [" ".join(t for t in (n, d) if isinstance(t, str)) for n, d in zip(names, descriptions)]
    return pd.Series(text, index=pd.MultiIndex.from_frame(accounts[KEY].astype(str)), dtype=object)


def authority(metrics: pd.DataFrame, links: pd.DataFrame, accounts: pd.DataFrame | None = None,
              seed: int = 0) -> pd.DataFrame:
    """``pagerank``, ``citation_index`` and ``community`` for each row of ``metrics`` (platform, handle, …).

    ``accounts`` (optional, with name and description) labels the communities; without it they are
    numbered only. ``citation_index`` is 0 for an account nobody cites.
    """
    graph = link_graph(links, metrics)
    index = pd.MultiIndex.from_frame(metrics[KEY].astype(str))
    labels = communities(graph, profile_texts(accounts) if accounts is not None else None, seed=seed)
    return pd.DataFrame({
        "pagerank": pagerank(graph).reindex(index).to_numpy(dtype="float64"),
        "citation_index": citation_index(links, reach_of(metrics)).reindex(index).fillna(0.0).to_numpy(),
        "community": labels.reindex(index).to_numpy(dtype=object),
    }, index=metrics.index)
