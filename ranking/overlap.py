"""Audience overlap: who shares whose audience, and where a target audience gathers. Pure functions.

Audiences are a sparse accounts × members incidence matrix ``M`` (``M[a, m] = 1`` when member m is in
account a's audience), built from the store's audience frame (platform, account, kind, member_key).
Every set operation below is a sparse product or a count over it, so all-pairs overlap of a thousand
accounts with millions of members takes a fraction of a second instead of minutes of set intersections.

Notation: ``A``, ``B`` are the member sets of two accounts, ``|A|`` their audience sizes (members
stored); ``T`` is a target audience; ``U`` is every member stored for an account's platform. A member
key identifies a person only within its platform, so members of different platforms never overlap.

References: influData's overlap (|A∩B| / min(|A|, |B|)); Modash's unique and overlapping audience
percentages; Influencity's total (sum) and unique (union) audience; affinity as in audience-affinity
tools (100 = as likely as the average stored member, 200 = twice as likely).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ranking.engagement import PAGE_COLUMNS

#: An audience counts as a sample when it holds fewer stored members than this share of the account's
#: follower count. Not 100%: platforms round follower counts (Telegram shows 109K, VK 1.2M).
SAMPLE_BELOW = 0.95

#: Columns of the ``pagescout audience`` table → what each means and how it is computed.
AUDIENCE_COLUMNS: dict[str, str] = {
    **{k: PAGE_COLUMNS[k] for k in ("platform", "handle", "name")},
    "audience_size": "|A|: members of the page's audience stored in the database (followers, members or engagers).",
    "target_overlap": "|A∩T|: stored members of the page's audience who are in the target audience T.",
    "target_share": "|A∩T| / |T|: share of the target audience found in the page's audience.",
    "target_density": "|A∩T| / |A|: share of the page's audience that belongs to the target audience.",
    "affinity": "target_density / (|T| / |U|) × 100, U = every member stored for the platform: 100 = as many "
                "target members as an average page, 200 = twice as many.",
    "jaccard": "|A∩T| / |A∪T|: similarity of the page's audience and the target audience, 0–1.",
    "followers": "Followers as the platform shows them.",
    "audience_coverage": "audience_size / followers (at most 1). Below 95% the stored audience is a sample: "
                         "counts are of the sample, see README 'Audience overlap' to scale them.",
}


@dataclass(frozen=True, eq=False)
class Audiences:
    """Who is in whose audience: a sparse accounts × members incidence matrix.

    ``matrix[i, j] = 1`` when member j is in the audience of account ``accounts.iloc[i]`` (platform,
    handle), for the kinds loaded (a member who both follows and comments counts once). Columns are
    the stored member keys factorised to 0…n−1 platform by platform: ``member_keys[j]`` is column j's
    key and ``platform_columns[p]`` the column range (start, stop) of platform p, so ``U`` of p is
    that range.
    """

    accounts: pd.DataFrame
    matrix: sp.csr_array
    member_keys: np.ndarray
    platform_columns: dict[str, tuple[int, int]]

    @classmethod
    def from_frame(cls, audience: pd.DataFrame) -> Audiences:
        """Build from the store's audience frame (platform, account, kind, member_key), any row order.

        Several kinds of one account (``--kind any``) merge into one row; a repeated
        (account, member) pair counts once.
        """
        audience = audience[["platform", "account", "member_key"]]
        if audience.isna().to_numpy().any():  # a row without an account or member says nothing
            audience = audience.dropna()
        platform = pd.Categorical(audience["platform"])
        account = pd.Categorical(audience["account"])
        keys = audience["member_key"].to_numpy(dtype=np.int64)
        n_handles = max(1, len(account.categories))
        row_key = platform.codes.astype(np.int64) * n_handles + account.codes
        # The (platform, handle) code space is small: a lookup table numbers the rows without hashing.
        row_labels = np.flatnonzero(np.bincount(row_key, minlength=1))
        lookup = np.zeros(row_labels[-1] + 1 if len(row_labels) else 1, dtype=np.int64)
        lookup[row_labels] = np.arange(len(row_labels))
        rows = lookup[row_key]
        del row_key, lookup
        accounts = pd.DataFrame({
            "platform": np.asarray(platform.categories, dtype=object)[row_labels // n_handles],
            "handle": np.asarray(account.categories, dtype=object)[row_labels % n_handles],
        })
        columns = np.empty(len(keys), dtype=np.int32)
        member_keys, platform_columns, start = [], {}, 0
        for code, name in enumerate(platform.categories):
            on_platform = platform.codes == code
            # Factorised per platform: the same key on two platforms is two different people.
            codes, uniques = pd.factorize(keys[on_platform])
            columns[on_platform] = codes + start
            member_keys.append(uniques)
            platform_columns[str(name)] = (start, start + len(uniques))
            start += len(uniques)
        member_keys = np.concatenate(member_keys) if member_keys else np.empty(0, dtype=np.int64)
        matrix = _incidence(rows, columns, (len(accounts), start))
        return cls(accounts, matrix, member_keys, platform_columns)

    @property
    def sizes(self) -> np.ndarray:
        """``|A|`` of every row: members stored in each account's audience."""
        return np.diff(self.matrix.indptr).astype(np.int64)

    def rows(self, accounts: Iterable[tuple[str, str]]) -> np.ndarray:
        """Row numbers of (platform, handle) pairs; ``KeyError`` names the first without a stored audience."""
        index = pd.MultiIndex.from_frame(self.accounts)
        wanted = list(accounts)
        found = index.get_indexer(pd.MultiIndex.from_tuples(wanted, names=index.names)) if wanted else np.empty(0, int)
        missing = [account for account, row in zip(wanted, found) if row < 0]
        if missing:
            raise KeyError(missing[0])
        return found.astype(np.int64)

    def labels(self, rows: Sequence[int] | None = None) -> list[str]:
        """``platform:handle`` of each row."""
        picked = self.accounts if rows is None else self.accounts.iloc[np.asarray(rows, dtype=np.int64)]
        return [f"{p}:{h}" for p, h in zip(picked["platform"], picked["handle"])]

    def platform_members(self, platform: str) -> int:
        """``|U|`` of a platform: every member stored for it."""
        start, stop = self.platform_columns.get(platform, (0, 0))
        return stop - start


def _incidence(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sp.csr_array:
    """0/1 CSR matrix with a 1 at each (row, column), duplicates counted once."""
    if len(rows) and np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        rows, columns = rows[order], columns[order]
    index_type = np.int32 if max(len(columns), shape[1]) < 2**31 - 1 else np.int64
    indptr = np.zeros(shape[0] + 1, dtype=index_type)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    matrix = sp.csr_array((np.ones(len(columns), dtype=np.int32), columns.astype(index_type, copy=False), indptr),
                          shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


# pairwise ---------------------------------------------------------------------------------------
#: Pair indices buffered per ``bincount`` in :func:`shared_counts`: bounds its memory (32 MB).
_PAIR_BATCH = 4_000_000
#: Up to this many audiences per member, pairs are written one pair position at a time (contiguous
#: vectorised adds); above it one fancy-indexed add per degree group is cheaper.
_FEW_AUDIENCES = 24


def shared_counts(matrix: sp.csr_array) -> np.ndarray:
    r"""``S[i, j] = |Aᵢ ∩ Aⱼ|`` for every pair of rows of a 0/1 matrix (``S[i, i] = |Aᵢ|``), dense int64.

    .. math::

        S = M M^\top, \qquad S_{ij} = \sum_m M_{im} M_{jm} = |A_i \cap A_j|, \qquad S_{ii} = |A_i|

    Computed member by member: a member in d of the k audiences adds 1 to each of its
    d(d−1)/2 pairs of audiences. Members are grouped by d, so one gather yields a whole group's pairs as
    flat indices ``i·k + j`` (i < j), which ``bincount`` adds into a dense k×k array. That is the same
    Σ d² work as a sparse product, with a dense accumulator instead of a sparse one: several times
    faster than scipy's ``M @ M.T``. Memory: the k×k result (8·k² bytes, 8 MB for k = 1,000) plus a
    buffer of pair indices (32 MB, more only for a member in over 2,800 of the audiences).

    Parameters
    ----------
    matrix : csr_array
        0/1 incidence matrix, k audiences × members (``Audiences.matrix`` or some of its rows).

    Returns
    -------
    ndarray
        k × k int64, symmetric, the audience sizes on the diagonal.

    Examples
    --------
    >>> # columns: members 1, 2, 3, 4, 5, 9
    >>> M = sp.csr_array(np.array([[1, 1, 1, 1, 0, 0],    # A = {1, 2, 3, 4}
    ...                            [0, 0, 1, 1, 1, 0],    # B = {3, 4, 5}
    ...                            [0, 0, 0, 1, 0, 1]]))  # C = {4, 9}
    >>> shared_counts(M)
    array([[4, 2, 1],
           [2, 3, 1],
           [1, 1, 2]])
    """
    k = matrix.shape[0]
    by_member = sp.csc_array(matrix)
    by_member.sort_indices()  # rows ascending within each member, so every pair has i < j
    degree = np.diff(by_member.indptr)
    counts = np.zeros(k * k, dtype=np.int64)
    most = int(degree.max(initial=0))
    key_type = np.int16 if most < 2**15 else np.int64  # numpy's stable sort is a radix sort for 16 bits
    members = np.argsort(degree.astype(key_type), kind="stable")
    # members[bounds[d − 2]:bounds[d − 1]] are the members in exactly d audiences
    bounds = np.searchsorted(degree[members], np.arange(2, most + 2))
    # A member in more audiences than the batch has pairs still needs all of its pairs at once.
    capacity = max(_PAIR_BATCH, most * (most - 1) // 2)
    buffer = np.empty(capacity, dtype=np.int64)
    fill = 0
    for d, start, stop in zip(range(2, most + 1), bounds[:-1], bounds[1:]):
        if start == stop:
            continue
        first, second = np.triu_indices(d, 1)
        pairs_each = len(first)
        step = max(1, capacity // pairs_each)
        for chunk in range(start, stop, step):
            group = members[chunk:min(stop, chunk + step)]
            n = len(group)
            # rows[p, m]: the p-th audience (in row order) of the group's m-th member
            rows = by_member.indices[np.arange(d)[:, None] + by_member.indptr[group][None, :]].astype(np.int64)
            scaled = rows * k
            if fill + n * pairs_each > capacity:
                counts += np.bincount(buffer[:fill], minlength=k * k)
                fill = 0
            out = buffer[fill:fill + n * pairs_each].reshape(pairs_each, n)
            if d <= _FEW_AUDIENCES:
                for q, (i, j) in enumerate(zip(first, second)):
                    np.add(scaled[i], rows[j], out=out[q])
            else:
                np.add(scaled[first], rows[second], out=out)
            fill += n * pairs_each
    counts += np.bincount(buffer[:fill], minlength=k * k)
    upper = counts.reshape(k, k)
    shared = upper + upper.T
    shared[np.diag_indices(k)] = np.diff(matrix.indptr)
    return shared


def jaccard_from_shared(shared: np.ndarray) -> np.ndarray:
    r"""Jaccard similarity of every pair of audiences from their shared counts; 0 where both are empty.

    The sizes are the diagonal of ``shared`` (:func:`shared_counts`), so the union needs no second pass:

    .. math::

        J(A, B) = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}{|A| + |B| - |A \cap B|}

    Parameters
    ----------
    shared : ndarray
        k × k ``|Aᵢ ∩ Aⱼ|`` with ``|Aᵢ|`` on the diagonal (:func:`shared_counts`).

    Returns
    -------
    ndarray
        k × k float, 0–1, 1 on the diagonal of a non-empty audience.

    Examples
    --------
    >>> S = np.array([[4, 2, 1], [2, 3, 1], [1, 1, 2]])  # |A| = 4, |B| = 3, |C| = 2
    >>> jaccard_from_shared(S).round(2)  # J(A, B) = 2 / (4 + 3 − 2)
    array([[1.  , 0.4 , 0.2 ],
           [0.4 , 1.  , 0.25],
           [0.2 , 0.25, 1.  ]])
    >>> jaccard_from_shared(np.array([[0, 0], [0, 3]]))  # an empty audience
    array([[0., 0.],
           [0., 1.]])

    References
    ----------
    .. [1] Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2), 37–50.
    """
    sizes = np.diag(shared).astype(np.float64)
    union = sizes[:, None] + sizes[None, :] - shared
    return np.divide(shared, union, out=np.zeros(shared.shape), where=union > 0)


def overlap_from_shared(shared: np.ndarray) -> np.ndarray:
    r"""influData's overlap of every pair of audiences: 1 when one audience contains the other.

    The share of the smaller audience that the larger one also reaches (the overlap coefficient),
    from the shared counts with the sizes on their diagonal; 0 where either audience is empty:

    .. math::

        O(A, B) = \frac{|A \cap B|}{\min(|A|, |B|)}

    Parameters
    ----------
    shared : ndarray
        k × k ``|Aᵢ ∩ Aⱼ|`` with ``|Aᵢ|`` on the diagonal (:func:`shared_counts`).

    Returns
    -------
    ndarray
        k × k float, 0–1.

    Examples
    --------
    >>> S = np.array([[4, 2, 1], [2, 3, 1], [1, 1, 2]])  # |A| = 4, |B| = 3, |C| = 2
    >>> overlap_from_shared(S).round(2)  # O(A, B) = 2 / min(4, 3)
    array([[1.  , 0.67, 0.5 ],
           [0.67, 1.  , 0.5 ],
           [0.5 , 0.5 , 1.  ]])

    References
    ----------
    .. [1] influData, audience overlap of influencers: the share of the smaller audience that is also in
       the other.
    .. [2] Szymkiewicz, D. (1934). Une contribution statistique à la géographie floristique. Acta Societatis
       Botanicorum Poloniae 11(3), 249–265 (the overlap coefficient).
    """
    sizes = np.diag(shared).astype(np.float64)
    smaller = np.minimum(sizes[:, None], sizes[None, :])
    return np.divide(shared, smaller, out=np.zeros(shared.shape), where=smaller > 0)


def _square(audiences: Audiences, rows, values: np.ndarray) -> pd.DataFrame:
    labels = audiences.labels(rows)
    frame = pd.DataFrame(values, index=labels, columns=labels)
    frame.index.name = "account"
    return frame


def _rows(audiences: Audiences, accounts) -> np.ndarray:
    return np.arange(len(audiences.accounts)) if accounts is None else audiences.rows(accounts)


def shared(audiences: Audiences, accounts: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    r"""Stored members shared by every pair of the given accounts, labelled ``platform:handle``.

    .. math::

        \mathrm{shared}(A, B) = |A \cap B|, \qquad \mathrm{shared}(A, A) = |A|

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : sequence of (platform, handle), optional
        The accounts to compare, in this order (all when None); ``KeyError`` for one without a stored
        audience.

    Returns
    -------
    DataFrame
        accounts × accounts, int, index named ``account``.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> shared(audiences)
             vk:a  vk:b  vk:c
    account
    vk:a        4     2     1
    vk:b        2     3     1
    vk:c        1     1     2
    """
    rows = _rows(audiences, accounts)
    return _square(audiences, rows, shared_counts(audiences.matrix[rows]))


def jaccard(audiences: Audiences, accounts: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    r"""Jaccard similarity of the stored audiences of every pair of the given accounts (0–1, 1 on the diagonal).

    .. math::

        J(A, B) = \frac{|A \cap B|}{|A \cup B|}

    (:func:`jaccard_from_shared` of :func:`shared_counts`).

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : sequence of (platform, handle), optional
        The accounts to compare, in this order (all when None); ``KeyError`` for one without a stored
        audience.

    Returns
    -------
    DataFrame
        accounts × accounts, float, labelled ``platform:handle``.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> jaccard(audiences).round(2)  # a, b share {3, 4} of {1, 2, 3, 4, 5}
             vk:a  vk:b  vk:c
    account
    vk:a      1.0  0.40  0.20
    vk:b      0.4  1.00  0.25
    vk:c      0.2  0.25  1.00

    References
    ----------
    .. [1] Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2), 37–50.
    """
    rows = _rows(audiences, accounts)
    return _square(audiences, rows, jaccard_from_shared(shared_counts(audiences.matrix[rows])))


def overlap(audiences: Audiences, accounts: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    r"""influData's overlap of the stored audiences of every pair of the given accounts (0–1).

    .. math::

        O(A, B) = \frac{|A \cap B|}{\min(|A|, |B|)}

    (:func:`overlap_from_shared` of :func:`shared_counts`): 1 when one audience contains the other.

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : sequence of (platform, handle), optional
        The accounts to compare, in this order (all when None); ``KeyError`` for one without a stored
        audience.

    Returns
    -------
    DataFrame
        accounts × accounts, float, labelled ``platform:handle``.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> overlap(audiences, [("vk", "a"), ("vk", "b")]).round(2)  # 2 of b's 3 members follow a
             vk:a  vk:b
    account
    vk:a     1.00  0.67
    vk:b     0.67  1.00

    References
    ----------
    .. [1] influData, audience overlap of influencers: the share of the smaller audience that is also in
       the other.
    """
    rows = _rows(audiences, accounts)
    return _square(audiences, rows, overlap_from_shared(shared_counts(audiences.matrix[rows])))


PAIRWISE = {"shared": shared, "jaccard": jaccard, "overlap": overlap}


# within a set of accounts -----------------------------------------------------------------------
def set_audience(audiences: Audiences, accounts: Sequence[tuple[str, str]]) -> tuple[pd.DataFrame, dict[str, int]]:
    r"""Each account's audience against the rest of a set S (Modash), and the set's totals (Influencity).

    Per account A of S: ``unique`` (members who are in no other audience of S), ``unique_pct`` and
    ``overlapping_pct`` (NaN for an empty audience); totals of S: ``total_audience`` (people reached
    counting repeats) and ``unique_audience`` (distinct people):

    .. math::

        \mathrm{unique}(A) = \Big|A \setminus \bigcup_{B \in S,\ B \ne A} B\Big|, \qquad
        \mathrm{unique\_pct}(A) = 100 \cdot \frac{\mathrm{unique}(A)}{|A|}, \qquad
        \mathrm{overlapping\_pct}(A) = 100 - \mathrm{unique\_pct}(A)

        \mathrm{total\_audience} = \sum_{A \in S} |A|, \qquad
        \mathrm{unique\_audience} = \Big|\bigcup_{A \in S} A\Big|

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : sequence of (platform, handle)
        The set S; ``KeyError`` for an account without a stored audience.

    Returns
    -------
    (DataFrame, dict)
        A frame with platform, handle, account (``platform:handle``), audience_size, unique, unique_pct
        and overlapping_pct, one row per account of S in its order; and the totals
        ``{"total_audience": …, "unique_audience": …}``.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> per_account, totals = set_audience(audiences, [("vk", "a"), ("vk", "b")])
    >>> per_account[["account", "audience_size", "unique", "unique_pct", "overlapping_pct"]].round(1)
      account  audience_size  unique  unique_pct  overlapping_pct
    0    vk:a              4       2        50.0             50.0
    1    vk:b              3       1        33.3             66.7
    >>> totals  # 4 + 3 members, 5 distinct: {1, 2, 3, 4, 5}
    {'total_audience': 7, 'unique_audience': 5}

    References
    ----------
    .. [1] Modash, audience overlap: unique and overlapping audience percentages of each influencer.
    .. [2] Influencity, total audience (sum of the audiences) and unique audience (distinct people) of a
       campaign's influencers.
    """
    rows = audiences.rows(accounts)
    sub = audiences.matrix[rows]
    degree = np.bincount(sub.indices, minlength=sub.shape[1])  # audiences of S each member is in
    only_here = (degree == 1).astype(np.int64)
    sizes = np.diff(sub.indptr).astype(np.int64)
    unique = sub @ only_here
    with np.errstate(invalid="ignore", divide="ignore"):
        unique_pct = np.where(sizes > 0, 100.0 * unique / sizes, np.nan)
    frame = audiences.accounts.iloc[rows].reset_index(drop=True)
    frame.insert(2, "account", audiences.labels(rows))
    frame["audience_size"] = sizes
    frame["unique"] = unique.astype(np.int64)
    frame["unique_pct"] = unique_pct
    frame["overlapping_pct"] = 100.0 - unique_pct
    totals = {"total_audience": int(sizes.sum()), "unique_audience": int(np.count_nonzero(degree))}
    return frame, totals


# against a target audience ----------------------------------------------------------------------
def target_from_accounts(audiences: Audiences, accounts: Sequence[tuple[str, str]]) -> np.ndarray:
    r"""The target audience ``T``: everyone in the stored audiences of the target accounts.

    .. math::

        T = \bigcup_{A \in \mathrm{targets}} A

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : sequence of (platform, handle)
        The target accounts; ``KeyError`` for one without a stored audience.

    Returns
    -------
    ndarray
        bool, one per member column (``audiences.member_keys``): True for the members of T.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> target = target_from_accounts(audiences, [("vk", "b"), ("vk", "c")])
    >>> audiences.member_keys[target].tolist()  # {3, 4, 5} ∪ {4, 9}
    [3, 4, 5, 9]
    """
    sub = audiences.matrix[audiences.rows(accounts)]
    mask = np.zeros(audiences.matrix.shape[1], dtype=bool)
    mask[sub.indices] = True
    return mask


def target_from_keys(audiences: Audiences, platform: str, keys: Iterable[int]) -> tuple[np.ndarray, int]:
    """``T`` = the stored members of ``platform`` whose keys are in ``keys`` (an imported, hashed list).

    Returns (mask over member columns, how many of the distinct keys matched a stored member):
    members nobody stored cannot be found in any audience, so they are left out of ``T``.
    """
    mask = np.zeros(audiences.matrix.shape[1], dtype=bool)
    start, stop = audiences.platform_columns.get(platform, (0, 0))
    wanted = pd.unique(np.fromiter(keys, dtype=np.int64))
    found = pd.Index(audiences.member_keys[start:stop]).get_indexer(wanted)
    found = found[found >= 0]
    mask[start + found] = True
    return mask, int(len(found))


def target_metrics(audiences: Audiences, target: np.ndarray) -> pd.DataFrame:
    r"""Every account's audience against a target audience T (a boolean mask over member columns).

    Columns platform, handle, ``audience_size = |A|``, ``target_overlap = |A∩T|`` and, with U every
    member stored for A's platform (affinity 100 = the platform's base rate, 200 = twice it):

    .. math::

        \mathrm{target\_share} = \frac{|A \cap T|}{|T|}, \qquad
        \mathrm{target\_density} = \frac{|A \cap T|}{|A|}, \qquad
        \mathrm{affinity} = 100 \cdot \frac{|A \cap T| / |A|}{|T \cap U| / |U|}, \qquad
        \mathrm{jaccard} = \frac{|A \cap T|}{|A| + |T| - |A \cap T|}

    A ratio with a zero denominator is NaN.

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    target : array_like of bool
        One per member column: True for the members of T (:func:`target_mask`).

    Returns
    -------
    DataFrame
        One row per row of ``audiences.accounts``: platform, handle, audience_size, target_overlap,
        target_share, target_density, affinity, jaccard.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> target = target_from_accounts(audiences, [("vk", "c")])  # T = {4, 9}: 2 of the 6 members stored
    >>> table = target_metrics(audiences, target)
    >>> table[["handle", "target_overlap", "target_share", "target_density", "affinity", "jaccard"]].round(2)
      handle  target_overlap  target_share  target_density  affinity  jaccard
    0      a               1           0.5            0.25      75.0     0.20
    1      b               1           0.5            0.33     100.0     0.25
    2      c               2           1.0            1.00     300.0     1.00

    a: density 1/4 against the base rate 2/6, affinity 100 · (1/4) / (1/3) = 75.

    References
    ----------
    .. [1] Affinity index (аффинити-индекс) as VK's advertising audience tools report it: a segment's share
       of an audience over its share of the whole population, × 100 (above 100 = over-represented).
    .. [2] Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist 11(2), 37–50.
    """
    target = np.asarray(target, dtype=bool)
    sizes = audiences.sizes
    hits = audiences.matrix @ target.astype(np.int32)
    target_size = int(target.sum())
    base_rate = {}
    for platform, (start, stop) in audiences.platform_columns.items():
        base_rate[platform] = target[start:stop].sum() / (stop - start) if stop > start else np.nan
    rate = audiences.accounts["platform"].map(base_rate).astype("float64").to_numpy()
    out = audiences.accounts.copy()
    out["audience_size"] = sizes
    out["target_overlap"] = hits.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["target_share"] = hits / target_size if target_size else np.nan
        density = np.where(sizes > 0, hits / np.where(sizes > 0, sizes, 1), np.nan)
        out["target_density"] = density
        out["affinity"] = np.where(rate > 0, density / np.where(rate > 0, rate, 1) * 100.0, np.nan)
        union = sizes + target_size - hits
        out["jaccard"] = np.where(union > 0, hits / np.where(union > 0, union, 1), np.nan)
    return out


def audience_coverage(audience_size, followers) -> np.ndarray:
    r"""How much of the follower count the stored audience holds, at most 1.

    .. math::

        \mathrm{audience\_coverage} = \min\Big(1, \frac{\mathrm{audience\_size}}{\mathrm{followers}}\Big)

    NaN where followers are unknown or 0. Below :data:`SAMPLE_BELOW` (0.95: platforms round follower
    counts) the audience is a sample (:func:`is_sample`).

    Parameters
    ----------
    audience_size, followers : array_like
        Stored members ``|A|`` and the follower count the platform shows (broadcast together).

    Returns
    -------
    ndarray
        float, 0–1 or NaN.

    Examples
    --------
    >>> audience_coverage([50, 200, 10], [100, 150, 0])  # a sample; more stored than shown; unknown
    array([0.5, 1. , nan])
    """
    size = np.asarray(audience_size, dtype=np.float64)
    follow = np.asarray(followers, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(follow > 0, np.minimum(1.0, size / np.where(follow > 0, follow, 1)), np.nan)


def is_sample(coverage) -> np.ndarray:
    """True where a stored audience is a sample of a larger follower count (coverage < SAMPLE_BELOW)."""
    return np.asarray(coverage, dtype=np.float64) < SAMPLE_BELOW


def followers_and_coverage(rows: pd.DataFrame, accounts: pd.DataFrame, sizes) -> tuple[pd.Series, np.ndarray]:
    """Followers and audience coverage of (platform, handle) rows: the accounts' follower counts
    (NaN where not stored) and ``audience_coverage(sizes, followers)``."""
    followers = accounts.set_index(["platform", "handle"])["followers"]
    followers = followers[~followers.index.duplicated()]
    found = followers.reindex(pd.MultiIndex.from_frame(rows[["platform", "handle"]].astype(str)))
    found = pd.Series(found.to_numpy(dtype="float64"), index=rows.index)
    return found, audience_coverage(sizes, found)


def candidate_matrix(audiences: Audiences, accounts: list[tuple[str, str]]) -> tuple[sp.csr_array, list[bool]]:
    """The audience rows of ``accounts`` ((platform, handle) pairs, e.g. the priced placements of a plan),
    in their order, an empty row for one without a stored audience; and which of them have one."""
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


# what the commands ask of an audience -------------------------------------------------------------
#: Where the README explains samples and how to scale them (notes point there).
README_SECTION = 'README "Audience overlap"'


class AudienceError(ValueError):
    """A target audience that cannot be formed from what is stored; the message is one line."""


def target_mask(audiences: Audiences, targets: Sequence[tuple[str, str]], platform: str | None = None,
                member_keys: Iterable[int] | None = None) -> tuple[np.ndarray, int]:
    r"""The target audience ``T``: everyone in the stored audiences of the ``targets`` accounts, and the
    stored members of ``platform`` whose keys are in ``member_keys`` (hashed ids a user listed).

    .. math::

        T = \bigcup_{A \in \mathrm{targets}} A \ \cup\ \{m \in U_p : \mathrm{key}(m) \in K\}

    with ``U_p`` every member stored for ``platform`` and ``K`` the ``member_keys``: a listed key that no
    stored member has cannot be found in any audience, so it is left out of T.

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    targets : sequence of (platform, handle)
        Accounts whose stored audiences make up T.
    platform : str, optional
        The platform of ``member_keys`` and of every target.
    member_keys : iterable of int, optional
        Hashed member ids (an imported list) whose stored members join T.

    Returns
    -------
    (ndarray, int)
        The mask over member columns (True for T), and how many distinct ``member_keys`` matched a stored
        member.

    Raises
    ------
    AudienceError
        When a target has no stored audience, or is of another platform than ``platform`` (a member key
        means one person only within its platform).

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> target, matched = target_mask(audiences, [("vk", "c")], "vk", member_keys=[5, 7])
    >>> audiences.member_keys[target].tolist(), matched  # {4, 9} ∪ {5}; nobody stored has key 7
    ([4, 5, 9], 1)
    >>> target_mask(audiences, [("vk", "z")])
    Traceback (most recent call last):
    ...
    ranking.overlap.AudienceError: --target vk:z has no stored audience: it cannot define a target audience
    """
    if platform and any(p != platform for p, _ in targets):
        other = next(f"{p}:{h}" for p, h in targets if p != platform)
        raise AudienceError(f"--platform {platform} excludes the target {other}: a member key means one person only "
                            "within its platform, so a target and the accounts ranked against it share a platform")
    have = set(map(tuple, audiences.accounts.astype(str).to_numpy()))
    empty = [f"{p}:{h}" for p, h in targets if (p, h) not in have]
    if empty:
        raise AudienceError(f"--target {empty[0]} has no stored audience: it cannot define a target audience")
    mask = target_from_accounts(audiences, targets) if targets else np.zeros(audiences.matrix.shape[1], dtype=bool)
    matched = 0
    if member_keys is not None:
        imported, matched = target_from_keys(audiences, platform, member_keys)
        mask |= imported
    return mask, matched


def target_columns(audience: pd.DataFrame, targets: Sequence[tuple[str, str]],
                   platform: str | None = None) -> pd.DataFrame:
    r"""platform, handle, target_overlap and affinity of every account with a stored audience against the
    target accounts' audiences: what ``pagescout export --target`` adds to the shortlist.

    With T the union of the targets' audiences (:func:`target_mask`) and U every member stored for the
    targets' platform (:func:`target_metrics`):

    .. math::

        \mathrm{target\_overlap} = |A \cap T|, \qquad
        \mathrm{affinity} = 100 \cdot \frac{|A \cap T| / |A|}{|T \cap U| / |U|}

    Parameters
    ----------
    audience : DataFrame
        The store's audience frame (platform, account, kind, member_key).
    targets : sequence of (platform, handle)
        The target accounts (a brief's, or ``--target``).
    platform : str, optional
        Only this platform's audiences (default: the targets' platform, when they share one).

    Returns
    -------
    DataFrame
        platform, handle (str), target_overlap and affinity; the targets' own rows included.

    Examples
    --------
    >>> audience = pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                          "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]})
    >>> target_columns(audience, [("vk", "c")]).round(1)  # T = {4, 9}, 2 of the 6 members stored
      platform handle  target_overlap  affinity
    0       vk      a               1      75.0
    1       vk      b               1     100.0
    2       vk      c               2     300.0

    References
    ----------
    .. [1] Affinity index (аффинити-индекс) as VK's advertising audience tools report it: a segment's share
       of an audience over its share of the whole population, × 100.
    """
    platforms = {platform} if platform else {p for p, _ in targets}
    if len(platforms) == 1:
        audience = audience[audience["platform"].astype(str) == next(iter(platforms))]
    audiences = Audiences.from_frame(audience)
    mask, _ = target_mask(audiences, targets, platform)
    table = target_metrics(audiences, mask)
    table[["platform", "handle"]] = table[["platform", "handle"]].astype(str)
    return table[["platform", "handle", "target_overlap", "affinity"]]


def sample_note(labels: Sequence[str], coverage, what: str) -> str | None:
    """A note naming the accounts whose stored audience is a sample, and which figures count only it."""
    sampled = [label for label, c in zip(labels, coverage) if is_sample(c)]
    if not sampled:
        return None
    names = ", ".join(sampled[:5]) + (f" and {len(sampled) - 5} more" if len(sampled) > 5 else "")
    return (f"note: the stored audience of {names} is a sample of a larger follower count: {what} count the stored "
            f"members only; to scale them see {README_SECTION}.")


@dataclass(frozen=True)
class AudienceComparison:
    """What ``pagescout overlap`` shows: the pairwise ``matrix`` (accounts × accounts, labelled
    platform:handle), each account's audience against the rest (``per_account``, with followers and
    audience_coverage), the set's ``totals`` and the notes to print."""

    matrix: pd.DataFrame
    per_account: pd.DataFrame
    totals: dict[str, int]
    notes: list[str]


def compare_audiences(audiences: Audiences, accounts: pd.DataFrame, picked: Sequence[tuple[str, str]],
                      metric: str) -> AudienceComparison:
    r"""The ``metric`` (a ``PAIRWISE`` key: shared, jaccard, overlap) for every pair of ``picked``
    accounts, each one's unique and overlapping share (``set_audience``), and their follower coverage
    (``accounts`` is the store's accounts frame, for follower counts).

    For A, B in the set S of ``picked`` accounts:

    .. math::

        \mathrm{shared} = |A \cap B|, \quad
        \mathrm{jaccard} = \frac{|A \cap B|}{|A \cup B|}, \quad
        \mathrm{overlap} = \frac{|A \cap B|}{\min(|A|, |B|)}, \quad
        \mathrm{unique\_pct}(A) = 100 \cdot \frac{|A \setminus \bigcup_{B \ne A} B|}{|A|}, \quad
        \mathrm{audience\_coverage}(A) = \min\Big(1, \frac{|A|}{\mathrm{followers}(A)}\Big)

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : DataFrame
        The store's accounts frame (platform, handle, followers).
    picked : sequence of (platform, handle)
        The set S, in the order of the matrix; ``KeyError`` for one without a stored audience.
    metric : {"shared", "jaccard", "overlap"}
        The pairwise figure.

    Returns
    -------
    AudienceComparison
        ``matrix`` (S × S), ``per_account`` (:func:`set_audience`'s frame with followers and
        audience_coverage), ``totals`` and ``notes`` (sampled audiences, mixed platforms).

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> accounts = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...                          "followers": [4, 30, 2]})
    >>> comparison = compare_audiences(audiences, accounts, [("vk", "a"), ("vk", "b")], "overlap")
    >>> comparison.matrix.round(2)
             vk:a  vk:b
    account
    vk:a     1.00  0.67
    vk:b     0.67  1.00
    >>> comparison.per_account[["account", "unique_pct", "followers", "audience_coverage"]].round(1)
      account  unique_pct  followers  audience_coverage
    0    vk:a        50.0        4.0                1.0
    1    vk:b        33.3       30.0                0.1
    >>> comparison.totals
    {'total_audience': 7, 'unique_audience': 5}
    >>> comparison.notes  # b stores 3 of its 30 followers
    ['note: the stored audience of vk:b is a sample of a larger follower count: these figures count ...']

    References
    ----------
    .. [1] influData, audience overlap of influencers (|A∩B| / min(|A|, |B|)).
    .. [2] Modash, unique and overlapping audience percentages; Influencity, total and unique audience.
    """
    matrix = PAIRWISE[metric](audiences, picked)
    per_account, totals = set_audience(audiences, picked)
    followers, coverage = followers_and_coverage(per_account, accounts, per_account["audience_size"])
    per_account["followers"] = followers
    per_account["audience_coverage"] = coverage
    notes = [note] if (note := sample_note(per_account["account"].tolist(), coverage, "these figures")) else []
    if len({p for p, _ in picked}) > 1:
        notes.append("note: accounts of different platforms never share members here: a member key identifies a "
                     "person only within its platform")
    return AudienceComparison(matrix, per_account, totals, notes)


def affinity_table(audiences: Audiences, accounts: pd.DataFrame, target: np.ndarray,
                   targets: Sequence[tuple[str, str]] = (), platform: str | None = None,
                   top: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    r"""Every stored account but the ``targets``, ranked by affinity with the target audience ``target``
    (a mask, see ``target_mask``), then target_overlap and handle: the ``AUDIENCE_COLUMNS`` table, and
    notes on sampled audiences. ``accounts`` is the store's accounts frame (names, follower counts).

    The figures are :func:`target_metrics`' (U every member stored for A's platform) and
    :func:`audience_coverage`:

    .. math::

        \mathrm{affinity}(A) = 100 \cdot \frac{|A \cap T| / |A|}{|T \cap U| / |U|}, \qquad
        \mathrm{audience\_coverage}(A) = \min\Big(1, \frac{|A|}{\mathrm{followers}(A)}\Big)

    Parameters
    ----------
    audiences : Audiences
        The stored audiences.
    accounts : DataFrame
        The store's accounts frame (platform, handle, name, followers).
    target : ndarray of bool
        The target audience T, one per member column (:func:`target_mask`).
    targets : sequence of (platform, handle)
        The accounts T was built from: left out of the table.
    platform : str, optional
        Only this platform's accounts.
    top : int, optional
        Rows to return (all when None).

    Returns
    -------
    (DataFrame, list of str)
        The ``AUDIENCE_COLUMNS`` table, highest affinity first; and the notes to print.

    Examples
    --------
    >>> audiences = Audiences.from_frame(pd.DataFrame({"platform": "vk", "account": ["a"] * 4 + ["b"] * 3 + ["c"] * 2,
    ...                                                "kind": "follower", "member_key": [1, 2, 3, 4, 3, 4, 5, 4, 9]}))
    >>> accounts = pd.DataFrame({"platform": "vk", "handle": ["a", "b", "c"], "name": ["A", "B", "C"],
    ...                          "followers": [4, 30, 2]})
    >>> target, _ = target_mask(audiences, [("vk", "c")])  # T = {4, 9}
    >>> table, notes = affinity_table(audiences, accounts, target, [("vk", "c")])
    >>> table[["handle", "audience_size", "target_overlap", "affinity", "audience_coverage"]].round(2)
      handle  audience_size  target_overlap  affinity  audience_coverage
    0      b              3               1     100.0                0.1
    1      a              4               1      75.0                1.0
    >>> notes  # b stores 3 of its 30 followers
    ['note: the stored audience of vk:b is a sample of a larger follower count: target_overlap and ...']

    References
    ----------
    .. [1] Affinity index (аффинити-индекс) as VK's advertising audience tools report it: a segment's share
       of an audience over its share of the whole population, × 100.
    """
    table = target_metrics(audiences, target)
    is_target = pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str)).isin(list(targets))
    table = table[~is_target]
    if platform:
        table = table[table["platform"].astype(str) == platform]
    followers, coverage = followers_and_coverage(table, accounts, table["audience_size"])
    names = accounts.drop_duplicates(["platform", "handle"]).set_index(["platform", "handle"])["name"]
    table = table.assign(
        name=names.reindex(pd.MultiIndex.from_frame(table[["platform", "handle"]].astype(str))).to_numpy(),
        followers=followers.to_numpy(), audience_coverage=coverage)
    table = table.sort_values(["affinity", "target_overlap", "handle"], ascending=[False, False, True],
                              na_position="last")
    table = table.reindex(columns=list(AUDIENCE_COLUMNS)).reset_index(drop=True)
    if top:
        table = table.head(top)
    notes = []
    labels = [f"{p}:{h}" for p, h in zip(table["platform"], table["handle"])]
    note = sample_note(labels, table["audience_coverage"].to_numpy(), "target_overlap and audience_size")
    if note:
        notes.append(note)
    if targets:
        rows = audiences.rows(list(targets))
        _, target_coverage = followers_and_coverage(audiences.accounts.iloc[rows].reset_index(drop=True), accounts,
                                                    audiences.sizes[rows])
        if is_sample(target_coverage).any():
            notes.append(f"note: the target audience is built from sampled audiences, so it is a sample too: "
                         f"target_share and target_density are of the sample (see {README_SECTION}).")
    return table, notes
