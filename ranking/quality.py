"""Audience quality (bots), engagement anomalies, the 0–100 quality figure and audience temperature.

Pure functions over the store's frames: no file, network, database or clock access (functions that
need the present take ``now``). A figure that cannot be computed is NaN, never 0.

References: HypeAuditor's Audience Quality Score (AQS: share of "quality" followers, suspicious
accounts, engagement authenticity, follower-growth anomalies); Modash's follower credibility (share of
followers that look like real people: avatar, bio, posts, following/followers balance); Upfluence's
audience confidence (how far the audience estimate can be trusted from the sample it stands on).

**Suspicious member** (documented rule, :func:`member_flags`): deactivated (VK "dogs": deleted or
banned; Mastodon: suspended, moved or memorialised), or at least ``WEAK_SIGNALS`` (2) of the weak
signals the platform shows:

==================  =================================================  ==============================
weak signal         when                                               platforms that show it
==================  =================================================  ==============================
no avatar           default or missing profile picture                 VK, Bluesky, Mastodon
no description      empty bio                                          Bluesky, Mastodon
new account         created less than ``NEW_ACCOUNT_DAYS`` (30) ago     Bluesky, Mastodon
mass following      follows more than ``MASS_FOLLOWING`` (1,500)        Mastodon (where known)
no posts            zero posts                                         Mastodon
inactive            last seen / last post over ``INACTIVE_DAYS`` ago    VK, Mastodon
==================  =================================================  ==============================

A signal the platform does not show counts as absent, never as a weak signal; a member without any
signal is not in the denominator at all.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ranking.bots import ASSUMED_RULE_ERRORS, VK_MODEL, corrected_share, judgeable
from ranking.growth import SPIKE_MAX_GAP_DAYS, follower_series, growth_table, spikes
from ranking.intervals import wilson

KEY = ["platform", "handle"]
MASS_FOLLOWING = 1500
NEW_ACCOUNT_DAYS = 30
INACTIVE_DAYS = 183  # six months
WEAK_SIGNALS = 2
#: Below this many members with signals the bot share is flagged as a small sample.
SMALL_SAMPLE = 100
#: Flag thresholds for the audience.
BOT_SHARE_FLAG = 0.25
DEACTIVATED_FLAG = 0.10
#: Kinds that make up an account's audience for the bot share; engagers stand in where none is stored.
AUDIENCE_KINDS = ("follower", "member")
ENGAGER_KINDS = ("liker", "commenter", "reposter")
#: Engagement rules: a platform norm (median) needs this many accounts with the value.
MIN_PEERS = 5
#: Views per interaction this many times the platform norm → "bought views".
VIEWS_FLAG = 4.0
#: Reach rate at or below norm / this → "dead audience".
REACH_FLAG = 4.0
#: Isolation forest: accounts a platform needs before the model is fitted, trees, seed, threshold.
MIN_ACCOUNTS = 20
N_ESTIMATORS = 200
RANDOM_STATE = 0
ANOMALY_THRESHOLD = 0.62
ANOMALY_MADS = 3.0
LOG_FLOOR = 1e-4
FEATURES = ["log_followers", "reach_rate", "er_views", "er_followers", "comments_per_like", "posts_per_week"]
#: Weights of the quality parts (renormalised over the parts known for the account).
QUALITY_WEIGHTS = {"audience": 0.5, "engagement": 0.3, "growth": 0.2}
WARM_DAYS = 7
COOLING_DAYS = 60
#: The columns :func:`quality_columns` returns, in export order.
QUALITY_OUTPUT_COLUMNS = ["bot_share", "bot_share_low", "bot_share_high", "quality", "quality_checked",
                          "quality_flags", "growth_30d", "growth_90d", "warm", "cooling", "cold"]


def _index(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([frame["platform"].astype(str), frame["handle"].astype(str)], names=KEY)


def _num(col: pd.Series) -> pd.Series:
    """Booleans and counts as float: True → 1, None → NaN."""
    return pd.to_numeric(col.astype(object).where(col.notna()), errors="coerce").astype("float64")


def _when(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, utc=True, errors="coerce")


def _now(now) -> pd.Timestamp:
    stamp = pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


# bots -------------------------------------------------------------------------------------------
def member_flags(signals: pd.DataFrame, now) -> pd.DataFrame:
    r"""Which members look like bots: deactivated, or showing at least two weak signals.

    Per member (platform, member_key): ``known`` (any signal shown), ``deactivated``, ``weak`` (weak
    signals present, see the module docstring) and ``suspicious``. A signal the platform does not show
    (None) is never a weak signal.

    .. math::

        \mathrm{weak}(m) = \sum_{s \in \mathrm{weak\ signals}} [\,s \text{ shown and present for } m\,],
        \qquad
        \mathrm{suspicious}(m) = \mathrm{deactivated}(m) \lor \mathrm{weak}(m) \ge 2

    Parameters
    ----------
    signals : DataFrame
        ``Store.load_member_signals()``: platform, member_key, has_avatar, has_description, created_at,
        follows, followers, posts, deactivated, last_seen (None where the platform does not show it).
    now : Timestamp
        The moment "new account" and "inactive" refer to.

    Returns
    -------
    DataFrame
        platform, member_key, known, deactivated, weak (int), suspicious; one row per row of ``signals``.

    Examples
    --------
    >>> signals = pd.DataFrame({"platform": "mastodon", "member_key": [1, 2, 3, 4],
    ...                         "has_avatar": [True, False, False, None],
    ...                         "has_description": [True, False, True, None],
    ...                         "created_at": [None, None, "2026-05-20", None],
    ...                         "deactivated": [False, False, False, True]})
    >>> member_flags(signals, pd.Timestamp("2026-06-01", tz="UTC"))
       platform  member_key  known  deactivated  weak  suspicious
    0  mastodon           1   True        False     0       False
    1  mastodon           2   True        False     2        True
    2  mastodon           3   True        False     2        True
    3  mastodon           4   True         True     0        True

    References
    ----------
    .. [1] HypeAuditor, Audience Quality Score (suspicious accounts); Modash, follower credibility.
    """
    now = _now(now)
    names = ["has_avatar", "has_description", "created_at", "follows", "followers", "posts", "deactivated", "last_seen"]
    frame = signals.reindex(columns=["platform", "member_key", *names])
    known = frame[names].notna().any(axis=1)
    created = _when(frame["created_at"])
    last_seen = _when(frame["last_seen"])
    weak = pd.DataFrame({
        "no_avatar": _num(frame["has_avatar"]).eq(0),
        "no_description": _num(frame["has_description"]).eq(0),
        "new_account": created > now - pd.Timedelta(days=NEW_ACCOUNT_DAYS),
        "mass_following": _num(frame["follows"]) > MASS_FOLLOWING,
        "no_posts": _num(frame["posts"]).eq(0),
        "inactive": last_seen < now - pd.Timedelta(days=INACTIVE_DAYS),
    })
    deactivated = _num(frame["deactivated"]).eq(1)
    count = weak.sum(axis=1)
    return pd.DataFrame({
        "platform": frame["platform"].astype(str),
        "member_key": frame["member_key"].astype("int64"),
        "known": known,
        "deactivated": deactivated,
        "weak": count.astype("int64"),
        "suspicious": deactivated | (count >= WEAK_SIGNALS),
    })


def _account_codes(platform, account) -> tuple[np.ndarray, pd.MultiIndex]:
    """An integer code per row for its (platform, account), and the (platform, handle) of each code.

    Factorising the store's categoricals keeps a 10M-row audience out of Python strings."""
    p_codes, p_uniques = pd.factorize(platform)
    a_codes, a_uniques = pd.factorize(account)
    width = max(len(a_uniques), 1)
    codes, pairs = pd.factorize(p_codes.astype(np.int64) * width + a_codes)
    labels = pd.MultiIndex.from_arrays([np.asarray(p_uniques, dtype=object)[pairs // width].astype(str),
                                        np.asarray(a_uniques, dtype=object)[pairs % width].astype(str)], names=KEY)
    return codes.astype(np.int64), labels


def audience_members(audience: pd.DataFrame, keys=None) -> pd.DataFrame:
    """Distinct (platform, handle, member_key) of each account's audience for the bot share: its followers
    and members (``AUDIENCE_KINDS``); where none is stored for the account, its engagers instead.
    ``keys`` (optional) keeps only those member keys."""
    if audience is None or audience.empty:
        return pd.DataFrame({"platform": pd.Series(dtype=object), "handle": pd.Series(dtype=object),
                             "member_key": pd.Series(dtype="int64")})
    codes, labels = _account_codes(audience["platform"], audience["account"])
    base = audience["kind"].isin(AUDIENCE_KINDS).to_numpy()
    chosen = base | ~np.isin(codes, np.unique(codes[base]), kind="table")
    members = audience["member_key"].to_numpy(dtype=np.int64)
    if keys is not None:
        chosen &= pd.Series(members).isin(np.asarray(keys, dtype=np.int64)).to_numpy()  # hashed: fast at 10M
    rows = pd.DataFrame({"code": codes[chosen], "member_key": members[chosen]}).drop_duplicates()
    code = rows["code"].to_numpy()
    return pd.DataFrame({"platform": labels.get_level_values(0)[code], "handle": labels.get_level_values(1)[code],
                         "member_key": rows["member_key"].to_numpy()})


def bot_share(audience: pd.DataFrame, signals: pd.DataFrame, now) -> pd.DataFrame:
    r"""The share of bots in each account's stored audience, corrected for the classifier's errors, with its
    95% interval.

    n = audience members (see :func:`audience_members`) the platform's classifier could judge
    (:func:`member_verdicts`), d = those deactivated (bots outright), k = the active ones it flags.
    ``ranking.bots.corrected_share`` turns them into the bot share: the deactivated share plus the
    Rogan–Gladen estimate among the n − d active members, with the classifier's sensitivity and
    specificity (measured for VK's model, assumed for the Bluesky and Mastodon rule,
    ``ranking.bots.ASSUMED_RULE_ERRORS``; ``bot_errors`` says which) and a 95% interval that carries the
    sample, both error rates and the deactivated share. Also ``deactivated_share`` with its Wilson
    interval, ``checked`` = n and ``suspicious`` = k + d (the raw verdicts).

    .. math::

        \mathrm{bot\_share} = \delta + (1 - \delta)\,\hat p\Bigl(\frac{k}{n - d}\Bigr), \qquad
        \hat p(q) = \frac{q + Sp - 1}{Se + Sp - 1}, \qquad \delta = \mathrm{deactivated\_share} = \frac{d}{n}

    Parameters
    ----------
    audience : DataFrame
        The store's audience (platform, account, kind, member_key).
    signals : DataFrame
        ``Store.load_member_signals()``.
    now : Timestamp
        The moment "new account" and "inactive" refer to.

    Returns
    -------
    DataFrame
        checked, suspicious, deactivated, bot_share, bot_share_low, bot_share_high, deactivated_share,
        deactivated_low, deactivated_high; indexed by (platform, handle); accounts with n = 0 are absent.

    Examples
    --------
    >>> signals = pd.DataFrame({"platform": "mastodon", "member_key": [1, 2, 3, 4],
    ...                         "has_avatar": [True, False, False, None],
    ...                         "has_description": [True, False, True, None],
    ...                         "created_at": [None, None, "2026-05-20", None],
    ...                         "deactivated": [False, False, False, True]})
    >>> audience = pd.DataFrame({"platform": "mastodon", "account": "news", "kind": "follower",
    ...                          "member_key": [1, 2, 3, 4, 5]})  # member 5 shows no signal: not checked
    >>> bot_share(audience, signals, pd.Timestamp("2026-06-01", tz="UTC"))[
    ...     ["checked", "suspicious", "bot_share", "bot_share_low", "bot_share_high"]].round(3)
                     checked  suspicious  bot_share  bot_share_low  bot_share_high
    platform handle
    mastodon news        4.0         3.0      0.962          0.401             1.0

    References
    ----------
    .. [1] HypeAuditor, Audience Quality Score (share of suspicious accounts); Modash, follower
       credibility; Upfluence, audience confidence from the sample size.
    """
    columns = ["checked", "suspicious", "deactivated", "bot_share", "bot_share_low", "bot_share_high",
               "deactivated_share", "deactivated_low", "deactivated_high", "bot_errors"]
    empty = pd.DataFrame({c: pd.Series(dtype=object if c == "bot_errors" else "float64") for c in columns},
                         index=pd.MultiIndex.from_tuples([], names=KEY))
    if signals is None or signals.empty or audience is None or audience.empty:
        return empty
    flags = member_verdicts(signals, now)
    flags = flags[flags["known"]].drop_duplicates(["platform", "member_key"])
    joined = audience_members(audience, keys=flags["member_key"].to_numpy()).merge(
        flags, on=["platform", "member_key"], how="inner")
    if joined.empty:
        return empty
    joined["flagged_active"] = joined["suspicious"] & ~joined["deactivated"]
    grouped = joined.groupby(KEY)
    out = pd.DataFrame({
        "checked": grouped["member_key"].size().astype("float64"),
        "suspicious": grouped["suspicious"].sum().astype("float64"),
        "deactivated": grouped["deactivated"].sum().astype("float64"),
        "flagged_active": grouped["flagged_active"].sum().astype("float64"),
    })
    platforms = out.index.get_level_values("platform")
    out["bot_share"] = out["bot_share_low"] = out["bot_share_high"] = np.nan
    out["bot_errors"] = None
    for platform in pd.unique(platforms):
        errors = VK_MODEL if platform == "vk" else ASSUMED_RULE_ERRORS
        rows = platforms == platform
        n, d, k = (out.loc[rows, c].to_numpy() for c in ("checked", "deactivated", "flagged_active"))
        estimate = corrected_share(k, n, errors.sensitivity, errors.specificity, errors.bots_measured,
                                   errors.people_measured, deactivated=d)
        for col, values in zip(("bot_share", "bot_share_low", "bot_share_high"), estimate):
            out.loc[rows, col] = values
        out.loc[rows, "bot_errors"] = errors_text(errors)
    out["deactivated_share"] = out["deactivated"] / out["checked"]
    out["deactivated_low"], out["deactivated_high"] = wilson(out["deactivated"], out["checked"])
    return out[columns]


def errors_text(errors) -> str:
    """How far a classifier's verdicts are trusted: "sensitivity 89%, specificity 94% (measured on 288
    bots and 1,617 people)", or the same "assumed" for a platform without labelled data."""
    how = (f"measured on {errors.bots_measured:,} bots and {errors.people_measured:,} people" if errors.measured
           else "assumed, not measured")
    return f"sensitivity {errors.sensitivity:.0%}, specificity {errors.specificity:.0%} ({how})"


def member_verdicts(signals: pd.DataFrame, now) -> pd.DataFrame:
    """Which members the platform's classifier calls bots: the columns of :func:`member_flags`, with VK's
    members judged by the VK model (``ranking.bots.VK_MODEL``) instead of the rule.

    A VK member is ``known`` (judged) when deactivated or ``ranking.bots.judgeable`` (it shows what a live
    profile shows, as the model's labelled profiles did); a member list fetched without fields
    judges nobody rather than everybody.
    """
    flags = member_flags(signals, now)
    vk = (signals["platform"].astype(str) == "vk").to_numpy()
    if vk.any():
        own = signals[vk]
        gone = flags.loc[vk, "deactivated"].to_numpy()
        flags.loc[vk, "known"] = gone | judgeable(own)
        flags.loc[vk, "suspicious"] = gone | VK_MODEL.is_bot(own)
    return flags


# engagement anomalies -------------------------------------------------------------------------------
def comments_per_like(posts: pd.DataFrame) -> pd.Series:
    r"""Comments per like of each account, over its posts where both are known.

    .. math::

        \mathrm{comments\_per\_like}(a) = \frac{\sum_{p} \mathrm{comments}(p)}{\sum_{p} \mathrm{likes}(p)}

    NaN where the likes sum to 0.

    Parameters
    ----------
    posts : DataFrame
        The store's posts (platform, account, likes, comments).

    Returns
    -------
    Series
        float indexed by (platform, handle).

    Examples
    --------
    >>> posts = pd.DataFrame({"platform": "vk", "account": ["a", "a", "b"], "likes": [100, 50, 0],
    ...                       "comments": [10, None, 4]})
    >>> comments_per_like(posts).to_dict()  # a's second post has no comment count: left out
    {('vk', 'a'): 0.1, ('vk', 'b'): nan}
    """
    both = posts[posts["comments"].notna() & posts["likes"].notna()]
    sums = both.groupby([both["platform"].astype(str), both["account"].astype(str)])[["comments", "likes"]].sum()
    sums.index = sums.index.set_names(KEY)
    likes = sums["likes"].astype("float64")
    return sums["comments"].astype("float64") / likes.where(likes > 0)


def engagement_features(metrics: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    r"""The engagement figures the checks use per account, indexed by (platform, handle).

    ``log_followers``, ``reach_rate``, ``er_views``, ``er_followers``, ``comments_per_like``
    (:func:`comments_per_like`), ``posts_per_week`` (see ranking.engagement.account_metrics). Raw values
    but for followers: :func:`isolation_anomalies` takes the rates' logarithms itself.

    .. math::

        \mathrm{log\_followers} = \log_{10}\bigl(1 + \max(0, \mathrm{followers})\bigr)

    Parameters
    ----------
    metrics : DataFrame
        ranking.engagement.account_metrics.
    posts : DataFrame
        The store's posts (for comments per like).

    Returns
    -------
    DataFrame
        The :data:`FEATURES` columns, one row per row of ``metrics``.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "vk", "handle": ["a"], "followers": [999], "reach_rate": [0.2],
    ...                         "er_views": [0.05], "er_followers": [0.01], "posts_per_week": [3.0]})
    >>> posts = pd.DataFrame({"platform": "vk", "account": "a", "likes": [100, 50], "comments": [10, 5]})
    >>> engagement_features(metrics, posts).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'log_followers': 3.0, 'reach_rate': 0.2, 'er_views': 0.05, 'er_followers': 0.01,
     'comments_per_like': 0.1, 'posts_per_week': 3.0}
    """
    index = _index(metrics)

    def floats(name: str) -> np.ndarray:
        col = metrics[name]
        if pd.api.types.is_datetime64_any_dtype(col):  # an empty group-by's dtype: no values anyway
            return np.full(len(col), np.nan)
        return pd.to_numeric(col, errors="coerce").astype("float64").to_numpy()

    features = pd.DataFrame({
        "log_followers": np.log10(1 + np.clip(floats("followers"), 0, None)),
        "reach_rate": floats("reach_rate"),
        "er_views": floats("er_views"),
        "er_followers": floats("er_followers"),
        "posts_per_week": floats("posts_per_week"),
    }, index=index)
    features["comments_per_like"] = comments_per_like(posts).reindex(index).to_numpy() if len(posts) else np.nan
    return features[FEATURES]


def isolation_anomalies(features: pd.DataFrame, min_accounts: int = MIN_ACCOUNTS,
                        random_state: int = RANDOM_STATE) -> pd.DataFrame:
    r"""Accounts whose engagement is unlike their platform's: an isolation forest fitted per platform.

    The forest (Liu, Ting & Zhou 2008; scikit-learn) is fitted on ``features``. Rates and posts per
    week enter as ``log10(max(x, 10⁻⁴))``, so ten times too low weighs like ten times too high
    (followers are already ``log_followers``). Features no account of the platform has are dropped; a
    missing value takes the platform's median. ``anomaly_score`` = the paper's s(x) (``−score_samples``):
    below 0.5 for ordinary accounts, towards 1 for accounts isolated in few splits. ``anomaly`` = s ≥
    ``ANOMALY_THRESHOLD`` (0.62) and s at least ``ANOMALY_MADS`` (3) robust deviations above the
    platform's median score, so a big platform's long tail is not flagged wholesale:

    .. math::

        s(x) = 2^{-E[h(x)] / c(n)}, \qquad
        \mathrm{anomaly}(x) = s(x) \ge 0.62 \ \wedge\
        s(x) \ge \operatorname{median} s
        + 3 \cdot 1.4826 \operatorname{median} \lvert s - \operatorname{median} s \rvert

    with ``h(x)`` the path length isolating x in a tree and ``c(n)`` the average path length of an
    unsuccessful search in a binary tree of n points. A platform with fewer than ``min_accounts``
    accounts is skipped (NaN), and ``attrs["notes"]`` says so. Fixed ``random_state``: the same data,
    the same flags.

    Parameters
    ----------
    features : DataFrame
        :func:`engagement_features`, indexed by (platform, handle).
    min_accounts : int
        Accounts a platform needs before its model is fitted.
    random_state : int
        The forest's seed.

    Returns
    -------
    DataFrame
        anomaly_score (float) and anomaly (nullable boolean), with the index of ``features``.

    Examples
    --------
    >>> index = pd.MultiIndex.from_product([["vk"], [f"p{i}" for i in range(24)]], names=["platform", "handle"])
    >>> steps = np.arange(24) % 6
    >>> features = pd.DataFrame({"log_followers": 4 + 0.1 * steps, "reach_rate": 0.2 + 0.01 * steps,
    ...                          "er_views": 0.05 + 0.002 * steps}, index=index)
    >>> features.loc[("vk", "p23"), ["reach_rate", "er_views"]] = [0.001, 0.9]  # no readers, huge engagement
    >>> found = isolation_anomalies(features)
    >>> found.index[found["anomaly"]].tolist(), round(float(found["anomaly_score"].max()), 2)
    ([('vk', 'p23')], 0.83)
    >>> isolation_anomalies(features.head(5)).attrs["notes"]
    ['engagement anomaly model skipped for vk: 5 accounts, needs 20 (the plain rules still ran)']

    References
    ----------
    .. [1] Liu, F. T., Ting, K. M., Zhou, Z.-H. (2008). Isolation Forest. ICDM 2008, 413–422.
    """
    from sklearn.ensemble import IsolationForest

    out = pd.DataFrame({"anomaly_score": np.nan, "anomaly": pd.array([pd.NA] * len(features), dtype="boolean")},
                       index=features.index)
    notes = []
    platforms = features.index.get_level_values("platform")
    for platform in pd.unique(platforms):
        rows = platforms == platform
        block = features[rows]
        block = block.loc[:, block.notna().any()]
        if len(block) < min_accounts:
            notes.append(f"engagement anomaly model skipped for {platform}: {len(block)} accounts, needs "
                         f"{min_accounts} (the plain rules still ran)")
            continue
        if block.shape[1] == 0:
            notes.append(f"engagement anomaly model skipped for {platform}: no engagement figures")
            continue
        logged = block.copy()
        for col in logged.columns.difference(["log_followers"]):
            logged[col] = np.log10(logged[col].clip(lower=LOG_FLOOR))
        filled = logged.fillna(logged.median()).to_numpy()
        model = IsolationForest(n_estimators=N_ESTIMATORS, random_state=random_state).fit(filled)
        scores = -model.score_samples(filled)
        centre = np.median(scores)
        spread = 1.4826 * np.median(np.abs(scores - centre))
        out.loc[rows, "anomaly_score"] = scores
        out.loc[rows, "anomaly"] = (scores >= ANOMALY_THRESHOLD) & (scores >= centre + ANOMALY_MADS * spread)
    out.attrs["notes"] = notes
    return out


def platform_norms(features: pd.DataFrame, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    r"""The platform's norm: median ``er_views`` and ``reach_rate`` over the accounts that have them.

    NaN with fewer than ``min_peers`` such accounts (no norm to compare against).

    .. math::

        \mathrm{norm}(x)_P = \operatorname{median}_{a \in P,\ x(a) \text{ known}} x(a)
        \quad \text{if } \bigl|\{a \in P : x(a) \text{ known}\}\bigr| \ge \mathrm{min\_peers}

    Parameters
    ----------
    features : DataFrame
        :func:`engagement_features`, indexed by (platform, handle).
    min_peers : int
        Accounts with the value a platform needs for a norm.

    Returns
    -------
    DataFrame
        er_views and reach_rate, indexed by platform.

    Examples
    --------
    >>> index = pd.MultiIndex.from_product([["vk"], list("abcdef")], names=["platform", "handle"])
    >>> features = pd.DataFrame({"er_views": [0.05, 0.04, 0.06, 0.05, 0.05, 0.01],
    ...                          "reach_rate": [0.3, 0.2, 0.25, 0.3, 0.2, 0.05]}, index=index)
    >>> platform_norms(features)
              er_views  reach_rate
    platform
    vk            0.05       0.225
    >>> platform_norms(features, min_peers=7)
              er_views  reach_rate
    platform
    vk             NaN         NaN
    """
    platforms = features.index.get_level_values("platform")
    cols = features[["er_views", "reach_rate"]]
    medians = cols.groupby(platforms).median()
    counts = cols.notna().groupby(platforms).sum()
    return medians.where(counts >= min_peers)


def engagement_rules(features: pd.DataFrame, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    r"""The plain checks a targetologist trusts, per account (index of ``features``):

    - ``views_ratio = norm(er_views) / er_views``: views per interaction against the platform's median
      account; ≥ ``VIEWS_FLAG`` (4×) → ``views_flag`` (bought views: views the engagement does not back);
    - ``reach_ratio = reach_rate / norm(reach_rate)``; ≤ 1 / ``REACH_FLAG`` (a quarter of the norm) →
      ``reach_flag`` (a dead audience: followers who no longer read).

    .. math::

        \mathrm{views\_flag} = \frac{\mathrm{norm}(\mathrm{er\_views})}{\mathrm{er\_views}} \ge 4, \qquad
        \mathrm{reach\_flag} = \frac{\mathrm{reach\_rate}}{\mathrm{norm}(\mathrm{reach\_rate})} \le \frac{1}{4}

    with the norms of :func:`platform_norms`; an ``er_views`` of 0 gives an infinite ``views_ratio``.
    NaN / False where the value or the platform norm (``min_peers`` accounts) is missing; ``checked``
    says whether either rule could run.

    Parameters
    ----------
    features : DataFrame
        :func:`engagement_features`, indexed by (platform, handle).
    min_peers : int
        Accounts with the value a platform needs for a norm.

    Returns
    -------
    DataFrame
        views_ratio, views_flag, reach_norm, reach_ratio, reach_flag, checked; index of ``features``.

    Examples
    --------
    >>> index = pd.MultiIndex.from_product([["vk"], list("abcdef")], names=["platform", "handle"])
    >>> features = pd.DataFrame({"er_views": [0.05, 0.04, 0.06, 0.05, 0.05, 0.01],
    ...                          "reach_rate": [0.3, 0.2, 0.25, 0.3, 0.2, 0.05]}, index=index)
    >>> engagement_rules(features)[["views_ratio", "views_flag", "reach_ratio", "reach_flag"]].round(2)
                     views_ratio  views_flag  reach_ratio  reach_flag
    platform handle
    vk       a              1.00       False         1.33       False
             b              1.25       False         0.89       False
             c              0.83       False         1.11       False
             d              1.00       False         1.33       False
             e              1.00       False         0.89       False
             f              5.00        True         0.22        True
    """
    norms = platform_norms(features, min_peers)
    platforms = features.index.get_level_values("platform")
    norm_er = norms["er_views"].reindex(platforms).to_numpy()
    norm_reach = norms["reach_rate"].reindex(platforms).to_numpy()
    er = features["er_views"].to_numpy(dtype="float64")
    reach = features["reach_rate"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        views_ratio = np.where(er > 0, norm_er / er, np.where(er == 0, np.inf, np.nan))
        views_ratio = np.where(np.isnan(norm_er) | (norm_er <= 0), np.nan, views_ratio)
        reach_ratio = np.where(norm_reach > 0, reach / norm_reach, np.nan)
    out = pd.DataFrame({
        "views_ratio": views_ratio, "views_flag": views_ratio >= VIEWS_FLAG,
        "reach_norm": norm_reach, "reach_ratio": reach_ratio, "reach_flag": reach_ratio <= 1 / REACH_FLAG,
    }, index=features.index)
    out["checked"] = ~np.isnan(views_ratio) | ~np.isnan(reach_ratio)
    return out


# the quality figure and its flags ---------------------------------------------------------------------
def _pct(value: float) -> str:
    return f"{value:.0%}"


def _plus_minus(share: float, low: float, high: float) -> str:
    return f"±{max(share - low, high - share):.0%}"


def audience_flags(row) -> list[str]:
    """Words for the audience part: '31% deactivated members (±4%)', '38% likely bots (29–47%), from 180
    members', 'small sample: 40 members checked'; an estimate on assumed error rates says so."""
    flags = []
    if pd.isna(row.get("checked")) or not row.get("checked"):
        return flags
    if row["deactivated_share"] >= DEACTIVATED_FLAG:
        flags.append(f"{_pct(row['deactivated_share'])} deactivated members "
                     f"({_plus_minus(row['deactivated_share'], row['deactivated_low'], row['deactivated_high'])})")
    if row["bot_share"] >= BOT_SHARE_FLAG:
        assumed = " (error rates assumed)" if "assumed" in str(row.get("bot_errors") or "") else ""
        flags.append(f"{_pct(row['bot_share'])} likely bots ({_pct(row['bot_share_low']).rstrip('%')}–"
                     f"{_pct(row['bot_share_high'])}), from {int(row['checked']):,} members{assumed}")
    if row["checked"] < SMALL_SAMPLE:
        flags.append(f"small sample: {int(row['checked'])} members checked")
    return flags


def views_text(ratio: float) -> str:
    """'views 8× the engagement norm' (views per interaction against the platform median)."""
    return "views with no engagement at all" if math.isinf(ratio) else f"views {ratio:.0f}× the engagement norm"


def reach_text(reach: float, norm: float) -> str:
    """'reach rate 3% vs 18% platform median'."""
    return f"reach rate {reach:.0%} vs {norm:.0%} platform median"


def anomaly_text(score: float, platform: str) -> str:
    return f"engagement unlike other {platform} pages (anomaly score {score:.2f})"


def quality_score(bots: pd.DataFrame, rules: pd.DataFrame, anomalies: pd.DataFrame, spike_counts: pd.Series,
                  growth_checked: pd.Series, index: pd.MultiIndex) -> pd.Series:
    r"""The 0–100 quality figure: a weighted mean of the audience, engagement and growth parts known.

    The parts and their weights (``QUALITY_WEIGHTS``):

    - audience (0.5): ``q = 1 − bot_share``;
    - engagement (0.3): ``q = max(0, 1 − 0.5 × flags)``, flags = bought views, dead audience, model
      outlier; known when a rule or the model could run;
    - growth (0.2): ``q = max(0, 1 − 0.5 × spikes)``; known when two snapshots lie at most
      ``SPIKE_MAX_GAP_DAYS`` apart.

    .. math::

        \mathrm{quality} = 100 \cdot \frac{\sum_{i \in K} w_i q_i}{\sum_{i \in K} w_i}

    over the parts ``K`` known for the account, rounded to 0.1; NaN when no part is known.

    Parameters
    ----------
    bots : DataFrame
        :func:`bot_share`.
    rules : DataFrame
        :func:`engagement_rules`.
    anomalies : DataFrame
        :func:`isolation_anomalies`.
    spike_counts : Series
        Spikes (``ranking.growth.spikes``) per (platform, handle).
    growth_checked : Series
        Per (platform, handle): whether two snapshots lie close enough for a spike to be seen.
    index : MultiIndex
        The (platform, handle) to score.

    Returns
    -------
    Series
        float named ``quality``, over ``index``.

    Examples
    --------
    >>> index = pd.MultiIndex.from_tuples([("vk", "a"), ("vk", "b")], names=["platform", "handle"])
    >>> bots = pd.DataFrame({"bot_share": [0.2]}, index=index[:1])
    >>> rules = pd.DataFrame({"views_flag": [False, True], "reach_flag": False, "checked": True}, index=index)
    >>> anomalies = pd.DataFrame({"anomaly_score": np.nan, "anomaly": pd.array([pd.NA, pd.NA], dtype="boolean")},
    ...                          index=index)
    >>> spike_counts, growth_checked = pd.Series([1], index=index[1:]), pd.Series([False, True], index=index)
    >>> quality_score(bots, rules, anomalies, spike_counts, growth_checked, index).to_dict()
    {('vk', 'a'): 87.5, ('vk', 'b'): 50.0}

    a: 100 · (0.5 · 0.8 + 0.3 · 1) / 0.8 = 87.5; b, with bought views and a spike:
    100 · (0.3 · 0.5 + 0.2 · 0.5) / 0.5 = 50.

    References
    ----------
    .. [1] HypeAuditor, Audience Quality Score (audience quality, engagement authenticity, growth anomalies).
    """
    return quality_from_parts(quality_parts(bots, rules, anomalies, spike_counts, growth_checked, index), index)


def quality_from_parts(parts: np.ndarray, index: pd.MultiIndex) -> pd.Series:
    """:func:`quality_score` of the parts :func:`quality_parts` gives (NaN where a part was not checked)."""
    weights = np.array([QUALITY_WEIGHTS[part] for part in QUALITY_WEIGHTS])
    known = ~np.isnan(parts)
    total = (known * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 100 * (np.nan_to_num(parts) * weights).sum(axis=1) / np.where(total > 0, total, np.nan)
    return pd.Series(np.round(value, 1), index=index, name="quality")


def quality_parts(bots: pd.DataFrame, rules: pd.DataFrame, anomalies: pd.DataFrame, spike_counts: pd.Series,
                  growth_checked: pd.Series, index: pd.MultiIndex) -> np.ndarray:
    """The audience, engagement and growth parts of :func:`quality_score` (columns in ``QUALITY_WEIGHTS``
    order), each 0–1, NaN where that part was not checked for the account."""
    audience_q = 1 - bots["bot_share"].reindex(index).to_numpy(dtype="float64")
    r = rules.reindex(index)
    a = anomalies.reindex(index)
    model_ran = a["anomaly_score"].notna().to_numpy()
    n_flags = (r["views_flag"].fillna(False).astype(bool).to_numpy().astype(int)
               + r["reach_flag"].fillna(False).astype(bool).to_numpy().astype(int)
               + a["anomaly"].fillna(False).astype(bool).to_numpy().astype(int))
    engaged_known = r["checked"].fillna(False).astype(bool).to_numpy() | model_ran
    engagement_q = np.where(engaged_known, np.maximum(0, 1 - 0.5 * n_flags), np.nan)
    spikes_n = spike_counts.reindex(index).fillna(0).to_numpy(dtype="float64")
    growth_known = growth_checked.reindex(index).fillna(False).astype(bool).to_numpy()
    growth_q = np.where(growth_known, np.maximum(0, 1 - 0.5 * spikes_n), np.nan)
    return np.column_stack([audience_q, engagement_q, growth_q])


def checked_parts(parts: np.ndarray) -> list[str | None]:
    """The names of the quality parts checked per account ("audience, engagement"), ``None`` for none."""
    names = np.array(list(QUALITY_WEIGHTS))
    return [", ".join(names[~np.isnan(row)]) or None for row in parts]


# temperature ---------------------------------------------------------------------------------------------
def temperature(audience: pd.DataFrame, engagers: pd.DataFrame | None, now) -> pd.DataFrame:
    r"""Audience temperature, an estimate from the stored engagers (warm / cooling / cold leads).

    A = the account's stored audience (distinct members of any kind: followers, members, likers,
    commenters, reposters). For each member, ``last`` = their latest dated like, comment or repost of
    the account (``engagers``: platform, account, kind, member_key, at). Then

    .. math::

        \mathrm{warm} = \frac{|\{m \in A : \mathrm{last}(m) \ge t - 7\,\mathrm{d}\}|}{|A|}, \quad
        \mathrm{cooling} = \frac{|\{m \in A : t - 60\,\mathrm{d} \le \mathrm{last}(m) < t - 7\,\mathrm{d}\}|}{|A|},
        \quad \mathrm{cold} = 1 - \mathrm{warm} - \mathrm{cooling}

    with ``t`` = ``now``; cold = no engagement stored in 60 days. Only for accounts with at least one
    dated engager; NaN elsewhere. Engagers are sampled from recent posts only, so warm and cooling are
    lower bounds.

    Parameters
    ----------
    audience : DataFrame
        The store's audience (platform, account, kind, member_key).
    engagers : DataFrame
        ``Store.load_engagers()``: platform, account, kind, member_key, at.
    now : Timestamp
        The present the ages refer to.

    Returns
    -------
    DataFrame
        warm, cooling, cold (fractions), indexed by (platform, handle) of the accounts with a dated engager.

    Examples
    --------
    >>> audience = pd.DataFrame({"platform": "vk", "account": "a", "kind": "follower", "member_key": [1, 2, 3, 4]})
    >>> engagers = pd.DataFrame({"platform": "vk", "account": "a", "kind": ["liker", "commenter", "liker"],
    ...                          "member_key": [1, 2, 3], "at": ["2026-05-30", "2026-05-02", "2026-02-20"]})
    >>> temperature(audience, engagers, pd.Timestamp("2026-06-01", tz="UTC"))  # 2, 30 and 101 days ago
                     warm  cooling  cold
    platform handle
    vk       a       0.25     0.25   0.5
    """
    columns = ["warm", "cooling", "cold"]
    empty = pd.DataFrame(columns=columns, index=pd.MultiIndex.from_tuples([], names=KEY), dtype="float64")
    if engagers is None or engagers.empty:
        return empty
    now = _now(now)
    dated = pd.DataFrame({"platform": engagers["platform"].astype(str), "handle": engagers["account"].astype(str),
                          "kind": engagers["kind"].astype(str), "member_key": engagers["member_key"].astype("int64"),
                          "at": _when(engagers["at"])})
    dated = dated[dated["kind"].isin(ENGAGER_KINDS) & dated["at"].notna()]
    if dated.empty:
        return empty
    # every account with a dated engager, coded alongside the audience's accounts
    if audience is not None and not audience.empty:
        codes, labels = _account_codes(audience["platform"], audience["account"])
        keys = audience["member_key"].to_numpy(dtype=np.int64)
    else:
        codes, keys = np.empty(0, np.int64), np.empty(0, np.int64)
        labels = pd.MultiIndex.from_arrays([[], []], names=KEY)
    engaged = pd.MultiIndex.from_arrays([dated["platform"], dated["handle"]], names=KEY)
    labels = labels.append(engaged.unique().difference(labels)) if len(labels) else engaged.unique()
    engaged_code = labels.get_indexer(engaged)
    wanted = np.isin(codes, np.unique(engaged_code), kind="table")
    members = pd.DataFrame({"code": np.concatenate([codes[wanted], engaged_code]),
                            "member_key": np.concatenate([keys[wanted], dated["member_key"].to_numpy()])})
    size = members.drop_duplicates().groupby("code").size()
    last = pd.DataFrame({"code": engaged_code, "member_key": dated["member_key"].to_numpy(),
                         "at": dated["at"].to_numpy()}).groupby(["code", "member_key"])["at"].max()
    last = pd.to_datetime(last, utc=True)
    warm = last >= now - pd.Timedelta(days=WARM_DAYS)
    cooling = (last >= now - pd.Timedelta(days=COOLING_DAYS)) & ~warm
    counts = pd.DataFrame({"warm": warm, "cooling": cooling}).groupby(level="code").sum().reindex(size.index)
    out = counts.div(size, axis=0).astype("float64")
    out.index = labels[size.index.to_numpy()]
    out["cold"] = (1 - out["warm"] - out["cooling"]).clip(lower=0)
    return out


# everything for the shortlist ---------------------------------------------------------------------------
def quality_columns(metrics: pd.DataFrame, posts: pd.DataFrame, *, audience: pd.DataFrame | None = None,
                    signals: pd.DataFrame | None = None, snapshots: pd.DataFrame | None = None,
                    engagers: pd.DataFrame | None = None, now=None,
                    min_accounts: int = MIN_ACCOUNTS) -> pd.DataFrame:
    r"""Audience quality, growth and temperature of each row of ``metrics``: the ``QUALITY_OUTPUT_COLUMNS``.

    ``quality_flags`` joins the flags in plain words, each with its number, by "; ". Without ``now``
    the time-based parts (new / inactive members, temperature) are left out. ``attrs["notes"]`` carries
    what could not be checked (a platform too small for the anomaly model). The figures:

    .. math::

        \mathrm{bot\_share} = \frac{k}{n}, \qquad
        \mathrm{quality} = 100 \cdot \frac{\sum_{i \in K} w_i q_i}{\sum_{i \in K} w_i}, \qquad
        \mathrm{growth}_{d} = \frac{f_{\mathrm{latest}} - f_{\mathrm{ref}(d)}}{f_{\mathrm{ref}(d)}}

    (:func:`bot_share` with its :func:`wilson` interval, :func:`quality_score`,
    ``ranking.growth.growth``) and ``warm``, ``cooling``, ``cold`` (:func:`temperature`).

    Parameters
    ----------
    metrics : DataFrame
        ranking.engagement.account_metrics.
    posts : DataFrame
        The store's posts.
    audience, signals, snapshots, engagers : DataFrame, optional
        The store's audience, member signals, follower snapshots and dated engagers; a figure whose
        input is missing stays empty.
    now : Timestamp, optional
        The moment ages refer to.
    min_accounts : int
        Accounts a platform needs for the anomaly model.

    Returns
    -------
    DataFrame
        The ``QUALITY_OUTPUT_COLUMNS``, one row per row of ``metrics``, same order.

    Examples
    --------
    >>> metrics = pd.DataFrame({"platform": "mastodon", "handle": ["news"], "followers": [5000],
    ...                         "reach_rate": np.nan, "er_views": np.nan, "er_followers": [0.01],
    ...                         "posts_per_week": [3.0]})
    >>> posts = pd.DataFrame({"platform": "mastodon", "account": ["news"], "likes": [50], "comments": [5]})
    >>> signals = pd.DataFrame({"platform": "mastodon", "member_key": [1, 2, 3, 4],
    ...                         "has_avatar": [True, False, False, None],
    ...                         "has_description": [True, False, True, None],
    ...                         "created_at": [None, None, "2026-05-20", None],
    ...                         "deactivated": [False, False, False, True]})
    >>> audience = pd.DataFrame({"platform": "mastodon", "account": "news", "kind": "follower",
    ...                          "member_key": [1, 2, 3, 4, 5]})
    >>> table = quality_columns(metrics, posts, audience=audience, signals=signals,
    ...                         now=pd.Timestamp("2026-06-01", tz="UTC"))
    >>> table[["bot_share", "quality", "quality_checked", "growth_30d"]].round(3)  # the audience part alone
       bot_share  quality quality_checked  growth_30d
    0      0.962      3.8        audience         NaN
    >>> table.loc[0, "quality_flags"]
    '25% deactivated members (±45%); 96% likely bots (40–100%), from 4 members (error rates assumed); small sample: 4 members checked'
    """
    index = _index(metrics)
    out = pd.DataFrame(index=index)
    have_now = now is not None and not pd.isna(now)
    if not have_now and signals is not None:
        # without a "now" the time-based signals cannot be judged: leave them out rather than guess
        signals = signals.assign(created_at=pd.NaT, last_seen=pd.NaT)
    bots = bot_share(audience, signals, now if have_now else pd.Timestamp(0, tz="UTC"))
    b = bots.reindex(index)
    for col in ("bot_share", "bot_share_low", "bot_share_high"):
        out[col] = b[col].to_numpy(dtype="float64")

    features = engagement_features(metrics, posts)
    rules = engagement_rules(features)
    anomalies = isolation_anomalies(features, min_accounts=min_accounts)
    found = spikes(snapshots)
    found_index = _index(found)
    spike_counts = (pd.Series(1, index=found_index).groupby(level=KEY).sum() if len(found)
                    else pd.Series(dtype="float64"))
    series = follower_series(snapshots)
    gaps = series.groupby(KEY)["date"].diff().dt.days
    growth_checked = (gaps <= SPIKE_MAX_GAP_DAYS).groupby([series["platform"], series["handle"]]).any()
    parts = quality_parts(bots, rules, anomalies, spike_counts, growth_checked, index)
    out["quality"] = quality_from_parts(parts, index).to_numpy()
    out["quality_checked"] = pd.Series(checked_parts(parts), index=index, dtype=object)

    biggest = found.sort_values("rise", ascending=False).drop_duplicates(KEY).set_index(KEY) if len(found) else None
    texts = []
    for i, key in enumerate(index):
        flags = audience_flags(b.iloc[i]) if len(bots) else []
        rule = rules.iloc[i]
        if rule["views_flag"]:
            flags.append(views_text(rule["views_ratio"]))
        if rule["reach_flag"]:
            flags.append(reach_text(features.iloc[i]["reach_rate"], rule["reach_norm"]))
        outlier = anomalies["anomaly"].iloc[i]
        if outlier is not pd.NA and bool(outlier):
            flags.append(anomaly_text(anomalies["anomaly_score"].iloc[i], key[0]))
        if biggest is not None and key in biggest.index:
            n = int(spike_counts.get(key, 1))
            flags.append(biggest.loc[key, "text"] + (f" ({n} such jumps)" if n > 1 else ""))
        if pd.isna(out["bot_share"].iloc[i]) and not pd.isna(out["quality"].iloc[i]):
            # A quality figure without an audience check must not read as a clean bill of health.
            flags.append("audience not checked for bots (no member signals stored)")
        texts.append("; ".join(flags) if flags else None)
    out["quality_flags"] = pd.Series(texts, index=index, dtype=object)

    g = growth_table(snapshots).reindex(index) if snapshots is not None else None
    out["growth_30d"] = g["growth_30d"].to_numpy(dtype="float64") if g is not None else np.nan
    out["growth_90d"] = g["growth_90d"].to_numpy(dtype="float64") if g is not None else np.nan
    temp = temperature(audience, engagers, now).reindex(index) if have_now else None
    for col in ("warm", "cooling", "cold"):
        out[col] = temp[col].to_numpy(dtype="float64") if temp is not None else np.nan
    out = out[QUALITY_OUTPUT_COLUMNS].reset_index(drop=True)
    out.attrs["notes"] = anomalies.attrs.get("notes", [])
    return out
