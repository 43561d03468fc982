r"""Bots in an audience: a member-level classifier per platform, and the audience's bot share corrected
for the classifier's errors. Pure functions over the store's member signals.

**Members.** VK members are judged by a logistic regression fitted on real labelled profiles (people
against bots bought from bot sellers; ``bench/train_bots.py`` fits it and writes
``ranking/bot_model_vk.py``) over standardised inputs: each signal a profile shows, a hidden one counting
as absent (see :func:`vk_design`), and a member showing too little is not judged. Bluesky and Mastodon have no
labelled data here: their members are judged by the documented rule of ``ranking.quality.member_flags``
(at least two weak signals), with a sensitivity and specificity that are *assumed*, not measured.

**Audiences.** A classifier that flags ``q`` of ``n`` members is not saying that ``q`` are bots: it
misses some bots (sensitivity ``Se`` < 1) and flags some people (specificity ``Sp`` < 1). The
Rogan–Gladen estimator undoes both,

.. math::

    \hat p = \frac{q + Sp - 1}{Se + Sp - 1}, \quad \text{clipped to } [0, 1],

and its variance (delta method) carries the sample of members and the uncertainty of ``Se`` and ``Sp``
(measured on ``n_{Se}`` bots and ``n_{Sp}`` people in cross-validation):

.. math::

    \operatorname{Var}(\hat p) = \frac{q(1-q)/n + \hat p^2\, Se(1-Se)/n_{Se}
    + (1-\hat p)^2\, Sp(1-Sp)/n_{Sp}}{(Se + Sp - 1)^2}.

The 95% interval is :math:`\hat p \pm 1.96 \sqrt{\operatorname{Var}}`, clipped to [0, 1], with
``q``'s part taken at least at ``0.5 / n`` so an audience where nobody was flagged still gets an interval
as wide as its sample. Deactivated members (VK's deleted or banned "dogs", Mastodon's suspended
accounts) are not people whatever the classifier says: they count as bots outright, and the estimate
covers the others.

References
----------
.. [1] Rogan, W. J. and Gladen, B. (1978). Estimating prevalence from the results of a screening test.
   American Journal of Epidemiology 107(1), 71–76.
.. [2] Lang, Z. and Reiczigel, J. (2014). Confidence limits for prevalence of disease adjusted for
   estimated sensitivity and specificity. Preventive Veterinary Medicine 113(1), 13–22.
.. [3] Kolomeets, M., Chechulin, A. et al. Detecting purchased bots in VK (SPC RAS); the labelled data of
   ``../shared/datasets/vk_bots``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ranking.bot_model_vk import MODEL

Z95 = 1.959964

#: Member signals the VK model reads (``crawler.items.AudienceMember``), booleans unless said. Not
#: ``can_be_invited_group``: the labelled data has it, but ``groups.getMembers`` cannot be asked for it.
VK_SIGNALS = ("has_avatar", "can_message", "can_post", "has_status", "has_site", "is_closed", "has_mobile",
              "has_birthday", "has_city", "has_occupation", "can_see_all_posts", "can_see_audio",
              "can_send_friend_request", "has_nickname", "has_maiden_name", "is_verified")
#: The one count it reads, as log(1 + followers).
VK_COUNTS = ("followers",)

#: Columns of the labelled VK data (``../shared/datasets/vk_bots/train.csv``) → the member signal each one
#: is, as the VK API names it on a community's member list. "Unknown" in the data means the profile hid
#: it, which is what an absent field means here. The README lists the same mapping.
LABELLED_VK_COLUMNS = {
    "has_photo": "has_avatar",
    "can_send_message": "can_message",
    "can_post_on_wall": "can_post",
    "has_status": "has_status",
    "has_website": "has_site",
    "is_profile_closed": "is_closed",
    "has_mobile": "has_mobile",
    "has_birth_date": "has_birthday",
    "city": "has_city",
    "has_occupation": "has_occupation",
    "all_posts_visible": "can_see_all_posts",
    "audio_available": "can_see_audio",
    "can_add_as_friend": "can_send_friend_request",
    "has_nickname": "has_nickname",
    "has_maiden_name": "has_maiden_name",
    "is_verified": "is_verified",
    "subscribers_count": "followers",
}
#: A member the model may judge shows at least this many of its signals; fewer (a bare id, a member list
#: asked without fields) is not checked at all.
MIN_SIGNALS_SHOWN = 3


def labelled_vk_signals(labelled: pd.DataFrame) -> pd.DataFrame:
    """The labelled VK profiles as member signals (``LABELLED_VK_COLUMNS``), with ``bot`` from ``target``.

    "Unknown" and blanks are not shown (NaN); ``city`` is shown when a city is named (the data has only
    "Unknown" or a name, never "no city"), and ``has_occupation`` likewise.

    Examples
    --------
    >>> labelled = pd.DataFrame({"has_photo": ["1.0", "Unknown"], "city": ["Moscow", "Unknown"],
    ...                          "subscribers_count": ["35.0", "Unknown"], "target": [0, 1]})
    >>> labelled_vk_signals(labelled)[["has_avatar", "has_city", "followers", "bot"]]
       has_avatar  has_city  followers  bot
    0         1.0       1.0       35.0    0
    1         NaN       NaN        NaN    1
    """
    out = pd.DataFrame(index=labelled.index)
    for column, signal in LABELLED_VK_COLUMNS.items():
        values = labelled[column] if column in labelled else pd.Series(np.nan, index=labelled.index)
        text = values.astype(str).str.strip()
        hidden = values.isna() | text.isin(["Unknown", "", "nan"])
        if column in ("city", "has_occupation"):
            out[signal] = np.where(hidden, np.nan, 1.0)
        else:
            out[signal] = pd.to_numeric(values.where(~hidden), errors="coerce").astype("float64")
    out["bot"] = labelled["target"].astype(int).to_numpy() if "target" in labelled else 0
    out.insert(0, "platform", "vk")
    return out


def vk_design(signals: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The model's inputs for each member: every boolean signal as 1 or 0, and log(1 + followers).

    A signal the platform did not show counts as absent (0): the labelled profiles mark a hidden field
    "Unknown", and which fields they hide follows how that data was collected (95% of its bots hide their
    status, 6% of its people), not how a member list answers, so a "shown" input would learn the
    collection rather than the bots. Members showing fewer than ``MIN_SIGNALS_SHOWN`` signals are not
    judged at all (:func:`signals_shown`).

    Examples
    --------
    >>> X, names = vk_design(pd.DataFrame({"has_avatar": [True, None], "followers": [99, None]}))
    >>> names[0], names[-1]
    ('has_avatar', 'followers_log')
    >>> X[:, [0, -1]].round(2).tolist()
    [[1.0, 4.61], [0.0, 0.0]]
    """
    columns, names = [], []
    for name in VK_SIGNALS:
        raw = signals[name] if name in signals else pd.Series(np.nan, index=signals.index)
        value = pd.to_numeric(raw.astype(object).where(raw.notna()), errors="coerce").astype("float64").to_numpy()
        columns.append(np.nan_to_num(value, nan=0.0))
        names.append(name)
    for name in VK_COUNTS:
        raw = signals[name] if name in signals else pd.Series(np.nan, index=signals.index)
        value = pd.to_numeric(raw, errors="coerce").astype("float64").to_numpy()
        columns.append(np.log1p(np.clip(np.nan_to_num(value, nan=0.0), 0, None)))
        names.append(f"{name}_log")
    return np.column_stack(columns), names


def signals_shown(signals: pd.DataFrame) -> np.ndarray:
    """How many of the VK model's signals each member shows."""
    present = [signals[name].notna().to_numpy() for name in (*VK_SIGNALS, *VK_COUNTS) if name in signals]
    return np.sum(present, axis=0) if present else np.zeros(len(signals), dtype=int)


@dataclass(frozen=True)
class MemberModel:
    """A member-level bot classifier: a logistic regression on standardised inputs (``vk_design``), its
    threshold, and its error rates with the number of labelled bots and people they were measured on
    (``measured=False``: assumed, for a platform without labelled data)."""

    platform: str
    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    threshold: float
    sensitivity: float
    specificity: float
    bots_measured: int
    people_measured: int
    measured: bool = True
    provenance: str = ""

    def probabilities(self, signals: pd.DataFrame) -> np.ndarray:
        r"""P(bot) of each member: :math:`\sigma(b + \sum_j w_j (x_j - \mu_j) / s_j)`."""
        design, names = vk_design(signals)
        if tuple(names) != self.features:
            raise ValueError(f"the {self.platform} model reads {len(self.features)} inputs, the design has {len(names)}")
        z = (design - np.asarray(self.means)) / np.asarray(self.scales)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coefficients) + self.intercept)))

    def is_bot(self, signals: pd.DataFrame) -> np.ndarray:
        return self.probabilities(signals) >= self.threshold


@dataclass(frozen=True)
class RuleErrors:
    """The assumed error rates of a rule on a platform without labelled data, and the pseudo-sample they
    stand for: the interval widens as if they had been measured on that many bots and people."""

    sensitivity: float
    specificity: float
    bots_measured: int
    people_measured: int
    measured: bool = False


#: The VK member classifier (``ranking/bot_model_vk.py``, written by ``bench/train_bots.py``).
VK_MODEL = MemberModel(**MODEL)

#: Bluesky and Mastodon members judged by ``ranking.quality.member_flags``. Assumed, not measured: the
#: two-weak-signals rule misses bots that are kept looking alive (Se 0.7) and seldom flags a person
#: (Sp 0.95), each as uncertain as a measurement on 30 accounts, so the interval stays wide.
ASSUMED_RULE_ERRORS = RuleErrors(sensitivity=0.7, specificity=0.95, bots_measured=30, people_measured=30)


def corrected_share(flagged, checked, sensitivity: float, specificity: float, bots_measured: int,
                    people_measured: int, z: float = Z95):
    r"""Rogan–Gladen prevalence from ``flagged`` of ``checked`` members, with its delta-method interval.

    .. math::

        \hat p = \operatorname{clip}\Bigl(\frac{q + Sp - 1}{Se + Sp - 1}\Bigr), \qquad
        \hat p \pm z \frac{\sqrt{q'(1-q')/n + \hat p^2 Se(1-Se)/n_{Se} + (1-\hat p)^2 Sp(1-Sp)/n_{Sp}}}
        {Se + Sp - 1}

    with :math:`q = k/n` and :math:`q' = \min(\max(q, 0.5/n), 1 - 0.5/n)`. NaN where ``checked`` is 0
    or the classifier is no better than chance (``Se + Sp ≤ 1``).

    Parameters
    ----------
    flagged, checked : array-like
        Members the classifier flagged, and members it judged.
    sensitivity, specificity : float
        Its error rates.
    bots_measured, people_measured : int
        Labelled bots and people the rates were measured on.

    Returns
    -------
    (estimate, low, high) : tuple of ndarray

    Examples
    --------
    >>> p, low, high = corrected_share([90], [200], 0.85, 0.95, 1000, 1000)
    >>> round(float(p[0]), 3), round(float(low[0]), 3), round(float(high[0]), 3)
    (0.5, 0.412, 0.588)
    >>> [round(float(v[0]), 3) for v in corrected_share([0], [200], 0.85, 0.95, 1000, 1000)]
    [0.0, 0.0, 0.019]

    References
    ----------
    .. [1] Rogan, W. J. and Gladen, B. (1978). Am. J. Epidemiol. 107(1), 71–76.
    .. [2] Greenland, S. (1996). Basic methods for sensitivity analysis of biases. Int. J. Epidemiol. 25(6).
    """
    k = np.asarray(flagged, dtype="float64")
    n = np.asarray(checked, dtype="float64")
    youden = sensitivity + specificity - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(n > 0, k / n, np.nan)
        estimate = np.clip((q + specificity - 1) / youden, 0, 1) if youden > 0 else np.full_like(q, np.nan)
        floor = np.where(n > 0, 0.5 / n, np.nan)
        q_var = np.clip(q, floor, 1 - floor)
        variance = (q_var * (1 - q_var) / n + estimate ** 2 * sensitivity * (1 - sensitivity) / bots_measured
                    + (1 - estimate) ** 2 * specificity * (1 - specificity) / people_measured) / youden ** 2
    half = z * np.sqrt(variance)
    return estimate, np.clip(estimate - half, 0, 1), np.clip(estimate + half, 0, 1)


#: Share of the labelled profiles held out of training, for the audiences the estimate is tested on.
HELD_OUT_SHARE = 0.3
SPLIT_SEED = 0


def labelled_split(labelled: pd.DataFrame, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, held-out rows) of the labelled profiles: a fixed random ``HELD_OUT_SHARE`` is held
    out, the same in ``bench/train_bots.py`` and the tests, so no audience is built of profiles the
    model was fitted on."""
    order = np.random.default_rng(seed).permutation(len(labelled))
    cut = int(round(len(labelled) * HELD_OUT_SHARE))
    return labelled.iloc[np.sort(order[cut:])], labelled.iloc[np.sort(order[:cut])]
