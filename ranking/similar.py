"""Lookalikes: the accounts most like a given one, and which signal says so. Pure functions.

Three signals compare the given account ``q`` with each other usable account ``c`` of its platform:

- ``audience``: Jaccard of their stored audiences, ``|A_q ∩ A_c| / |A_q ∪ A_c|`` (every kind stored:
  followers, members, engagers; ranking/overlap.py's incidence matrix);
- ``cocitation``: Jaccard of their citers, ``|C_q ∩ C_c| / |C_q ∪ C_c|``, ``C`` = the distinct accounts
  that forwarded, reposted, quoted or mentioned it (cited by the same pages: Small's co-citation);
- ``content``: cosine of their documents (name, description, newest posts) as TF-IDF over character
  3–5-grams (ranking/relevance.py), so word forms and languages with rich morphology match.

Combined: each signal v is put on a 0–1 scale among the candidates, as its excess over the median
candidate's value relative to the best candidate's excess,

    x_s = max(0, v_s − median v_s) / (max v_s − median v_s),

(1 = the closest candidate by that signal; for the sparse Jaccards the median is 0 and this is
v / max v; for content it removes the similarity every text of one language has with another), and

    similarity = Σ_s w_s · x_s / Σ_s w_s,   w = audience 0.4, cocitation 0.3, content 0.3,

over the signals ``q`` has data for (a stored audience, at least one citer, any text) that tell some
candidates apart (max > median); a candidate without the data scores 0 on it. ``matched_by`` names
the signals with x ≥ 0.5.

References: Small, H. (1973). Co-citation in the scientific literature. JASIS 24(4), 265–269;
Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2), 37–50;
Salton & Buckley (1988) for TF-IDF and the cosine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ranking.engagement import CITING_KINDS, PAGE_COLUMNS
from ranking.overlap import Audiences
from ranking.relevance import account_texts, cosine_to

KEY = ["platform", "handle"]
#: Signal → weight in ``similarity``.
SIGNAL_WEIGHTS: dict[str, float] = {"audience": 0.4, "cocitation": 0.3, "content": 0.3}
#: A signal is named in ``matched_by`` when its scaled value x reaches this (half way from median to best).
MATCH_SHARE = 0.5

#: Column → what it means (the ``pagescout similar`` table and its export).
SIMILAR_COLUMNS: dict[str, str] = {
    "rank": "1 = most alike.",
    "platform": "Platform the page lives on (lookalikes are sought on the given account's platform).",
    **{k: PAGE_COLUMNS[k] for k in ("handle", "name", "url")},
    "followers": "Followers as the platform shows them.",
    "similarity": "0–1: Σ w·x / Σ w over the signals the given account has data for, x = max(0, v − median v) / (max "
                  "v − median v) among the candidates (1 = the closest by that signal); w = audience 0.4, "
                  "cocitation 0.3, content 0.3.",
    "audience_jaccard": "|A∩B| / |A∪B| of the stored audiences (every kind); empty when the given account has no "
                        "stored audience.",
    "cocitation": "|C∩D| / |C∪D| of the sets of pages that forwarded, reposted, quoted or mentioned each; empty "
                  "when nobody cites the given account.",
    "content": "Cosine of the TF-IDF (character 3–5-grams) of name, description and the 50 newest posts; empty when "
               "the given account has no text.",
    "matched_by": "The signals with x ≥ 0.5 (at least half way from the median candidate to the closest), "
                  "strongest first, each with its value.",
}


def citers(links: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    """(platform, handle) → the distinct other accounts that forwarded, reposted, quoted or mentioned it."""
    out: dict[tuple[str, str], set[str]] = {}
    if links is None or links.empty:
        return out
    cited = links[links["kind"].isin(CITING_KINDS) & (links["src"] != links["dst"])]
    for platform, src, dst in zip(cited["platform"].astype(str), cited["src"].astype(str), cited["dst"].astype(str)):
        out.setdefault((platform, dst), set()).add(src)
    return out


def set_jaccard(a: set, b: set) -> float:
    r"""Jaccard similarity of two sets: the share of their union that they share; 0 when both are empty.

    Used for the co-citation signal, on the sets of citers (:func:`citers`). Not to be confused with
    ``ranking.overlap.jaccard``, the pairwise matrix of stored audiences.

    .. math::

        J(a, b) = \frac{|a \cap b|}{|a \cup b|}

    Parameters
    ----------
    a, b : set
        The two sets (of citers, say).

    Returns
    -------
    float
        0–1.

    Examples
    --------
    >>> set_jaccard({"x1", "x2"}, {"x2", "x3"})
    0.3333333333333333
    >>> set_jaccard(set(), set())
    0.0

    References
    ----------
    .. [1] Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2), 37–50.
    """
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def audience_jaccard(audience: pd.DataFrame | None, account: tuple[str, str],
                     candidates: pd.MultiIndex) -> pd.Series | None:
    r"""Jaccard similarity of ``account``'s stored audience with each candidate's.

    Every kind stored counts (followers, members, engagers). ``|A∩B|`` for all candidates at once is
    one sparse product of the incidence matrix (``ranking.overlap.Audiences``) with the account's row:

    .. math::

        J(A, B) = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}{|A| + |B| - |A \cap B|}

    A candidate without a stored audience scores 0.

    Parameters
    ----------
    audience : DataFrame or None
        The store's audience (platform, account, kind, member_key).
    account : (platform, handle)
        The account the candidates are compared with.
    candidates : MultiIndex
        (platform, handle) of the candidates.

    Returns
    -------
    Series or None
        float 0–1 over ``candidates``; ``None`` when the account itself has no stored audience.

    Examples
    --------
    >>> audience = pd.DataFrame({"platform": "vk", "account": ["q"] * 4 + ["a"] * 3 + ["b"] * 2,
    ...                          "kind": "follower", "member_key": [1, 2, 3, 4, 2, 3, 4, 4, 9]})
    >>> candidates = pd.MultiIndex.from_tuples([("vk", "a"), ("vk", "b"), ("vk", "c")])
    >>> audience_jaccard(audience, ("vk", "q"), candidates).tolist()  # 3/4, 1/5, no audience
    [0.75, 0.2, 0.0]
    >>> audience_jaccard(audience, ("vk", "c"), candidates) is None
    True

    References
    ----------
    .. [1] Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2), 37–50.
    """
    if audience is None or audience.empty:
        return None
    audiences = Audiences.from_frame(audience)
    try:
        (row,) = audiences.rows([account])
    except KeyError:
        return None
    matrix = audiences.matrix
    shared = (matrix @ matrix[[row]].T).toarray().ravel().astype("float64")
    sizes = audiences.sizes.astype("float64")
    union = sizes + sizes[row] - shared
    values = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    found = pd.Series(values, index=pd.MultiIndex.from_frame(audiences.accounts.astype(str)))
    return found.reindex(candidates).fillna(0.0)


def similar(account: tuple[str, str], accounts: pd.DataFrame, posts: pd.DataFrame, links: pd.DataFrame,
            audience: pd.DataFrame | None = None, top: int | None = 20) -> pd.DataFrame:
    r"""The ``SIMILAR_COLUMNS`` table of the accounts most like ``account`` (platform, handle), best first.

    Candidates are the other accounts of the same platform with status ``ok``; those with similarity 0
    (nothing in common on any signal) are left out. Ties go to more followers, then the handle. Each
    signal's value v (``audience``: :func:`audience_jaccard`; ``cocitation``: :func:`set_jaccard` of the
    citers; ``content``: the cosine of the documents, ``ranking.relevance.cosine_to``) is scaled among
    the candidates, and the scaled signals are averaged:

    .. math::

        x_s = \frac{\max(0,\ v_s - \operatorname{median} v_s)}{\max v_s - \operatorname{median} v_s}, \qquad
        \mathrm{similarity} = \frac{\sum_s w_s x_s}{\sum_s w_s}

    with w = audience 0.4, cocitation 0.3, content 0.3 (:data:`SIGNAL_WEIGHTS`), over the signals the
    account has data for that tell some candidates apart (max > median). ``matched_by`` names the
    signals with x ≥ 0.5, strongest first, each with its raw value.

    Parameters
    ----------
    account : (platform, handle)
        The account to find lookalikes of; ``KeyError`` when it is not in ``accounts``.
    accounts, posts, links : DataFrame
        The store's frames.
    audience : DataFrame, optional
        The store's audience frame (platform, account, kind, member_key); without it the audience
        signal is left out.
    top : int, optional
        Rows to return (all when ``None``).

    Returns
    -------
    DataFrame
        The ``SIMILAR_COLUMNS``, most alike first.

    Examples
    --------
    >>> accounts = pd.DataFrame({"platform": "vk", "handle": ["q", "a", "b", "c"], "status": "ok",
    ...                          "followers": [100, 50, 60, 70],
    ...                          "name": ["Бег и марафон", "Бег и тренировки к марафону", "Вязание крючком", "Новости"]})
    >>> links = pd.DataFrame({"platform": "vk", "src": ["x", "y", "x"], "dst": ["q", "q", "b"], "kind": "mention"})
    >>> audience = pd.DataFrame({"platform": "vk", "account": ["q"] * 4 + ["a"] * 3 + ["b"] * 2,
    ...                          "kind": "follower", "member_key": [1, 2, 3, 4, 2, 3, 4, 4, 9]})
    >>> table = similar(("vk", "q"), accounts, None, links, audience)
    >>> table[["handle", "similarity", "audience_jaccard", "cocitation", "content"]].round(2)
      handle  similarity  audience_jaccard  cocitation  content
    0      a         0.7              0.75         0.0     0.49
    1      b         0.3              0.20         0.5     0.00
    >>> table["matched_by"].tolist()  # a: closest by audience and content (0.4 + 0.3); b: by its citer x
    ['audience 0.75, content 0.49', 'cocitation 0.50']

    References
    ----------
    .. [1] Small, H. (1973). Co-citation in the scientific literature: a new measure of the relationship
       between two documents. JASIS 24(4), 265–269.
    """
    account = (str(account[0]), str(account[1]))
    keys = pd.MultiIndex.from_frame(accounts[KEY].astype(str))
    if account not in keys:
        raise KeyError(account)
    platform = account[0]
    same = accounts[(accounts["platform"].astype(str) == platform).to_numpy()]
    if "status" in same.columns:
        same = same[same["status"].eq("ok") | (same["handle"].astype(str) == account[1]).to_numpy()]
    same = same.drop_duplicates(KEY).reset_index(drop=True)
    is_self = (same["handle"].astype(str) == account[1]).to_numpy()
    candidates = same[~is_self].reset_index(drop=True)
    index = pd.MultiIndex.from_frame(candidates[KEY].astype(str))
    if posts is not None and not posts.empty:
        posts = posts[posts["platform"].astype(str) == platform]

    raw: dict[str, pd.Series | None] = {}
    texts = account_texts(same, posts)
    own_text = texts.get(account, "")
    if isinstance(own_text, str) and own_text.strip() and len(candidates):
        raw["content"] = pd.Series(cosine_to([own_text], texts.reindex(index).fillna("").tolist())[0], index=index)
    else:
        raw["content"] = None
    cited_by = citers(links[links["platform"].astype(str) == platform] if links is not None and not links.empty
                      else links)
    mine = cited_by.get(account, set())
    raw["cocitation"] = pd.Series([set_jaccard(mine, cited_by.get(c, set())) for c in index], index=index,
                                  dtype="float64") if mine else None
    raw["audience"] = audience_jaccard(
        audience[audience["platform"].astype(str) == platform] if audience is not None and not audience.empty
        else audience, account, index)

    total = pd.Series(0.0, index=index)
    weight = 0.0
    scaled: dict[str, pd.Series] = {}
    for name, values in raw.items():
        if values is None or values.empty:
            continue
        middle, best = float(values.median()), float(values.max())
        if not best > middle:  # nothing tells the candidates apart
            continue
        scaled[name] = ((values - middle) / (best - middle)).clip(lower=0.0)
        total += SIGNAL_WEIGHTS[name] * scaled[name]
        weight += SIGNAL_WEIGHTS[name]
    similarity = total / weight if weight else total

    def matched(key) -> str:
        order = list(SIGNAL_WEIGHTS)  # ties: audience, then cocitation, then content
        hits = sorted((name for name, s in scaled.items() if s[key] >= MATCH_SHARE),
                      key=lambda name: (-scaled[name][key], order.index(name)))
        return ", ".join(f"{name} {raw[name][key]:.2f}" for name in hits)

    def column(name: str) -> np.ndarray:
        values = raw[name]
        return values.to_numpy(dtype="float64") if values is not None else np.full(len(index), np.nan)

    table = pd.DataFrame({
        "platform": candidates["platform"].astype(str),
        "handle": candidates["handle"].astype(str),
        "name": candidates["name"] if "name" in candidates else None,
        "url": candidates["url"] if "url" in candidates else None,
        "followers": candidates["followers"] if "followers" in candidates else np.nan,
        "similarity": similarity.to_numpy(),
        "audience_jaccard": column("audience"),
        "cocitation": column("cocitation"),
        "content": column("content"),
        "matched_by": [matched(key) for key in index],
    })
    table = table[table["similarity"] > 0]
    table = table.assign(_f=pd.to_numeric(table["followers"], errors="coerce").fillna(-1)).sort_values(
        ["similarity", "_f", "handle"], ascending=[False, False, True]).drop(columns="_f").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table = table.reindex(columns=list(SIMILAR_COLUMNS))
    return table.head(top) if top else table
