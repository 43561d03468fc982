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

    An account ranks high when accounts that rank high link to it, each passing its rank on in
    proportion to its links. Links never cross platforms, so each platform is ranked on its own.

    .. math::

        PR(v) = \frac{1 - \alpha}{N} + \alpha \sum_{u \to v} PR(u) \frac{w_{uv}}{\sum_x w_{ux}}

    with damping ``alpha`` = 0.85, ``N`` the platform's nodes and ``w`` the edge weights (links
    counted); accounts that link nowhere spread their rank evenly (networkx's ``dangling`` default).
    Values sum to 1 within each platform, so they compare only within it.

    Parameters
    ----------
    graph : DiGraph
        :func:`link_graph`: nodes (platform, handle), edges weighted by links counted.
    alpha : float
        Damping: the chance of following a link rather than jumping to a random account.

    Returns
    -------
    Series
        float indexed by (platform, handle) over every node.

    Examples
    --------
    >>> links = pd.DataFrame({"platform": "x", "src": ["a", "b", "a"], "dst": "hub",
    ...                       "kind": ["mention", "repost", "forward"]})
    >>> pagerank(link_graph(links)).round(3).to_dict()
    {('x', 'a'): 0.213, ('x', 'hub'): 0.574, ('x', 'b'): 0.213}

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
    r"""Each account's reach: its median views per post, else its followers where views are unknown.

    .. math::

        \mathrm{reach}(a) = \begin{cases} \mathrm{median\_views}(a) & \text{if known} \\
        \mathrm{followers}(a) & \text{otherwise} \end{cases}

    Parameters
    ----------
    metrics : DataFrame
        ``ranking.engagement.account_metrics``: platform, handle, median_views, followers.

    Returns
    -------
    Series
        float indexed by (platform, handle), NaN where both are unknown.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "x", "handle": ["a", "b"], "median_views": [120.0, None],
    ...                         "followers": [1000, 5000]})
    >>> reach_of(metrics).to_dict()
    {('x', 'a'): 120.0, ('x', 'b'): 5000.0}
    """
    reach = metrics["median_views"].astype("float64").fillna(metrics["followers"].astype("float64"))
    reach.index = pd.MultiIndex.from_frame(metrics[KEY].astype(str))
    return reach


def citer_weight(reach: float) -> float:
    r"""Weight of one citer in :func:`citation_index`: one point per tenfold of its reach, at least 1.

    .. math::

        w(c) = \max\bigl(1,\ \log_{10}(1 + \mathrm{reach}(c))\bigr)

    and 1 when the reach is unknown (NaN, None) or not positive.

    Parameters
    ----------
    reach : float
        The citer's reach (:func:`reach_of`).

    Returns
    -------
    float

    Examples
    --------
    >>> citer_weight(99.0), citer_weight(999_999.0), citer_weight(5.0), citer_weight(float("nan"))
    (2.0, 6.0, 1.0, 1.0)
    """
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
    r"""The ``n`` words of highest TF-IDF in each document, documents weighing each other's words down.

    Words are runs of 3+ letters, lower-cased, function words (:data:`STOP_WORDS`) left out; ties go to
    the word that comes first alphabetically. With scikit-learn's smoothed idf and sublinear tf, over
    ``D`` documents of which ``df(t)`` contain word ``t``:

    .. math::

        \mathrm{tfidf}(t, d) = \bigl(1 + \ln \mathrm{tf}(t, d)\bigr)
        \left(\ln \frac{1 + D}{1 + \mathrm{df}(t)} + 1\right)

    (each document's vector then L2-normalised, which does not change its order), so a word every
    document uses ranks below the words only one uses.

    Parameters
    ----------
    documents : list of str
        One text per community.
    n : int
        Words per document.

    Returns
    -------
    list of list of str
        Up to ``n`` words per document, best first; ``[]`` for a document without any word.

    Examples
    --------
    >>> top_terms(["бег бег марафон утро", "йога утро дыхание"], 2)  # "утро" is in both
    [['бег', 'марафон'], ['дыхание', 'йога']]
    """
    if not any(d.strip() for d in documents):
        return [[] for _ in documents]
    from sklearn.feature_extraction.text import TfidfVectorizer  # here: scikit-learn takes a second to import

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
    r"""Louvain communities of the undirected weighted graph, labelled ``"3: фитнес, бег, йога"``.

    Communities are found by ``networkx.community.louvain_communities(seed=seed, weight="weight")`` on
    :func:`undirected` (Blondel et al. 2008), which moves accounts between communities while the
    partition's modularity grows:

    .. math::

        Q = \frac{1}{2m} \sum_{u, v} \Bigl(w_{uv} - \gamma \frac{k_u k_v}{2m}\Bigr) \delta(c_u, c_v)

    with ``w_uv`` the links either way between u and v, ``k_u = Σ_v w_uv``, ``m`` the total weight,
    ``γ`` the ``resolution`` and ``δ(c_u, c_v) = 1`` when u and v share a community. They are numbered
    1, 2, … from the largest (ties: the smallest member first). Each is labelled by the ``terms``
    words of highest TF-IDF in its members' texts (``texts``: name and description per (platform,
    handle)), one document per community (:func:`top_terms`), so words every community uses do not
    label any. Accounts alone in their community (no links, or links to nobody else) get NaN: one
    account is not a community.

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
    >>> links = pd.DataFrame({"platform": "x", "src": ["a", "b", "c", "d"], "dst": ["b", "c", "a", "e"],
    ...                       "kind": "mention"})
    >>> accounts = pd.DataFrame({"platform": "x", "handle": ["a", "b", "c", "d", "e", "f"], "description": None,
    ...                          "name": ["Бег по утрам", "Марафон бег", "Бег и трейл", "Йога дома",
    ...                                   "Йога и дыхание", "Новости"]})
    >>> communities(link_graph(links, accounts), profile_texts(accounts), terms=1).tolist()  # f: alone
    ['1: бег', '1: бег', '1: бег', '2: йога', '2: йога', nan]

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
    r"""Authority in the link graph: ``pagerank``, ``citation_index`` and ``community`` of each account.

    The graph is :func:`link_graph` of ``links`` with every account of ``metrics`` as a node;
    ``accounts`` (optional, with name and description) labels the communities, without it they are
    numbered only. ``citation_index`` is 0 for an account nobody cites.

    .. math::

        \mathrm{pagerank}(a) = PR(a), \qquad
        \mathrm{citation\_index}(a) = \sum_{c \in C(a)} \max\bigl(1,\ \log_{10}(1 + \mathrm{reach}(c))\bigr)

    (:func:`pagerank`, :func:`citation_index`, with reach from ``metrics`` by :func:`reach_of`), and
    ``community`` = :func:`communities`.

    Parameters
    ----------
    metrics : DataFrame
        ``ranking.engagement.account_metrics`` (platform, handle, median_views, followers).
    links : DataFrame
        The store's links (platform, src, dst, kind).
    accounts : DataFrame, optional
        The store's accounts, for the community labels.
    seed : int
        Louvain's random seed.

    Returns
    -------
    DataFrame
        pagerank, citation_index and community, with the index of ``metrics``.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "x", "handle": ["a", "b", "hub"], "median_views": [99.0, None, 5e3],
    ...                         "followers": [10, None, 10**5]})
    >>> links = pd.DataFrame({"platform": "x", "src": ["a", "b", "a"], "dst": "hub",
    ...                       "kind": ["mention", "repost", "forward"]})
    >>> authority(metrics, links).round(3)  # hub: cited by a (reach 99: 2 points) and b (unknown: 1)
       pagerank  citation_index community
    0     0.213             0.0         1
    1     0.213             0.0         1
    2     0.574             3.0         1
    """
    graph = link_graph(links, metrics)
    index = pd.MultiIndex.from_frame(metrics[KEY].astype(str))
    labels = communities(graph, profile_texts(accounts) if accounts is not None else None, seed=seed)
    return pd.DataFrame({
        "pagerank": pagerank(graph).reindex(index).to_numpy(dtype="float64"),
        "citation_index": citation_index(links, reach_of(metrics)).reindex(index).fillna(0.0).to_numpy(),
        "community": labels.reindex(index).to_numpy(dtype=object),
    }, index=metrics.index)
