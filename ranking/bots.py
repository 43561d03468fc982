r"""Bots in an audience: a member-level classifier per platform, and the audience's bot share corrected
for the classifier's errors. Pure functions over the store's member signals.

**Members.** VK members are judged by a logistic regression fitted on real labelled profiles (people
against bots bought from bot sellers; ``bench/train_bots.py`` fits it and writes
``ranking/bot_model_vk.py``) over standardised inputs, a hidden signal counting as absent (see
:func:`vk_design`). It judges only the members that show what a live profile shows (:func:`judgeable`),
the population it was fitted and measured on; deactivated members (VK's deleted or banned "dogs",
Mastodon's suspended accounts) are not people whatever else they show, and count as bots outright.
Bluesky and Mastodon have no labelled data here: their members are judged by the documented rule of
``ranking.quality.member_flags`` (at least two weak signals), with a sensitivity and specificity that
are *assumed*, not measured.

**Audiences.** A classifier that flags ``q`` of the active members is not saying that ``q`` are bots: it
misses some bots (sensitivity ``Se`` < 1) and flags some people (specificity ``Sp`` < 1). The
Rogan–Gladen estimator undoes both,

.. math::

    \hat p = \frac{q + Sp - 1}{Se + Sp - 1}, \quad \text{clipped to } [0, 1],

and the audience's share adds the deactivated share δ: :math:`\hat B = \delta + (1 - \delta)\hat p`.
Its 95% interval (:func:`corrected_share`) carries the sample of members, the uncertainty of ``Se`` and
``Sp`` (measured on ``n_{Se}`` bots and ``n_{Sp}`` people in cross-validation) and that of δ: Lang and
Reiczigel's adjusted Wald interval for :math:`\hat p`, combined with δ's by the delta method.

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
from ranking.intervals import Z95, wilson

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
#: Fields VK answers 0 or 1 for every live profile on a member list asked for them (they are in VkNet's
#: recorded users.getFollowers answer, ``../shared/fixtures/vk``). The model judges only members that show
#: all of them: 83% of the labelled bots (and 4% of the people) lack every one and show no more than VK
#: returns for a deleted or banned page (which a crawl reads as ``deactivated``: bots outright); the model is
#: fitted, measured and applied on the others alone. (In the labelled data ``can_send_friend_request`` and
#: ``verified`` are shown on exactly the same profiles, but the recorded answer lacks them: not required.)
LIVE_PROFILE_SIGNALS = ("has_mobile", "can_see_all_posts", "can_see_audio")


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

    A signal the platform did not show counts as absent (0): VK leaves out a birthday, city or
    occupation the member did not give and sends an empty status, site or nickname, where the labelled
    profiles say "Unknown"; which of those fields the data hides follows how it was collected (72% of
    its live bots hide their status, 2% of its people), not how a member list answers, so a "shown"
    input would learn the collection rather than the bots. Only :func:`judgeable` members are judged.

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


def judgeable(signals: pd.DataFrame) -> np.ndarray:
    """Which members the VK model may judge: those showing every ``LIVE_PROFILE_SIGNALS`` field, the
    profiles it was fitted and measured on. A member list asked without fields judges nobody.

    Examples
    --------
    >>> live = dict.fromkeys(LIVE_PROFILE_SIGNALS, False)
    >>> judgeable(pd.DataFrame([live, {**live, "has_mobile": None}, {"has_avatar": True}])).tolist()
    [True, False, False]
    """
    shown = [signals[name].notna().to_numpy() if name in signals else np.zeros(len(signals), dtype=bool)
             for name in LIVE_PROFILE_SIGNALS]
    return np.logical_and.reduce(shown)


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
                    people_measured: int, deactivated=0, z: float = Z95):
    r"""Bot share of ``checked`` members: the ``deactivated`` ones as bots outright, the Rogan–Gladen
    prevalence among the active ones of which the classifier ``flagged`` some, with a 95% interval.

    Among the :math:`m = n - d` active members, :math:`q = k / m` and

    .. math::

        \hat p = \operatorname{clip}\Bigl(\frac{q + Sp - 1}{Se + Sp - 1}\Bigr), \qquad
        \hat B = \delta + (1 - \delta)\,\hat p, \qquad \delta = d / n.

    The interval is Lang and Reiczigel's (2014) adjusted Wald interval for :math:`\hat p`: add
    :math:`z^2/2` flagged and :math:`z^2/2` unflagged members to the sample, one success and one failure
    to each error rate's :math:`n_{Se}` bots and :math:`n_{Sp}` people (Agresti–Coull), then with the
    adjusted :math:`\tilde q, \widetilde{Se}, \widetilde{Sp}, \tilde p, \tilde\jmath = \widetilde{Se} +
    \widetilde{Sp} - 1`:

    .. math::

        \operatorname{Var}(\tilde p) = \frac{\tilde q(1-\tilde q)/(m + z^2)
        + \tilde p^2\,\widetilde{Se}(1-\widetilde{Se})/(n_{Se}+2)
        + (1-\tilde p)^2\,\widetilde{Sp}(1-\widetilde{Sp})/(n_{Sp}+2)}{\tilde\jmath^{\,2}},

    .. math::

        \Delta = 2z^2\Bigl(\tilde p\,\frac{\widetilde{Se}(1-\widetilde{Se})}{n_{Se}+2}
        - (1-\tilde p)\,\frac{\widetilde{Sp}(1-\widetilde{Sp})}{n_{Sp}+2}\Bigr), \qquad
        c = \tilde p + \Delta .

    The deactivated share is a sample too: with the Agresti–Coull :math:`\tilde\delta = (d + z^2/2)/(n + z^2)`,
    the delta method gives

    .. math::

        \hat B_{\mathrm{low,\,high}} = \delta + (1 - \delta)\,c \mp
        z\sqrt{(1 - c)^2\,\frac{\tilde\delta(1-\tilde\delta)}{n + z^2} + (1 - \delta)^2 \operatorname{Var}(\tilde p)},

    clipped to [0, 1] and widened to hold :math:`\hat B`. Where fewer members are flagged than the false-alarm
    rate predicts (:math:`q < 1 - Sp`) that interval collapses towards 0; since :math:`p \le q / Se` whatever
    :math:`Sp` is, the upper end is then at least :math:`\delta + (1 - \delta)\, q^{+}_{\mathrm{Wilson}} / Se`.
    NaN where nobody was checked or the classifier is
    no better than chance (:math:`Se + Sp \le 1`); where every checked member is deactivated,
    :math:`\hat B = 1` with the interval of ``d`` of ``n``.

    Parameters
    ----------
    flagged, checked : array-like
        Active members the classifier flagged, and all members it judged (deactivated ones included).
    sensitivity, specificity : float
        Its error rates.
    bots_measured, people_measured : int
        Labelled bots and people the rates were measured on.
    deactivated : array-like, default 0
        Deactivated members among ``checked``.

    Returns
    -------
    (estimate, low, high) : tuple of ndarray

    Examples
    --------
    >>> p, low, high = corrected_share([90], [200], 0.85, 0.95, 1000, 1000)
    >>> round(float(p[0]), 3), round(float(low[0]), 3), round(float(high[0]), 3)
    (0.5, 0.414, 0.589)
    >>> [round(float(v[0]), 3) for v in corrected_share([15], [200], 0.85, 0.95, 1000, 1000)]
    [0.031, 0.0, 0.092]
    >>> [round(float(v[0]), 3) for v in corrected_share([0], [200], 0.85, 0.95, 1000, 1000)]  # q < 1 − Sp
    [0.0, 0.0, 0.022]
    >>> [round(float(v[0]), 3) for v in corrected_share([45], [200], 0.85, 0.95, 1000, 1000, deactivated=[100])]
    [0.75, 0.682, 0.821]

    References
    ----------
    .. [1] Rogan, W. J. and Gladen, B. (1978). Am. J. Epidemiol. 107(1), 71–76.
    .. [2] Lang, Z. and Reiczigel, J. (2014). Confidence limits for prevalence of disease adjusted for
       estimated sensitivity and specificity. Prev. Vet. Med. 113(1), 13–22; as in R's ``asht::prevSeSp``.
    .. [3] Agresti, A. and Coull, B. A. (1998). Approximate is better than "exact" for interval estimation
       of binomial proportions. Am. Stat. 52(2), 119–126.
    """
    k = np.asarray(flagged, dtype="float64")
    n = np.asarray(checked, dtype="float64")
    d = np.broadcast_to(np.asarray(deactivated, dtype="float64"), n.shape)
    active = n - d
    z2 = z * z
    se_n, sp_n = bots_measured + 2, people_measured + 2
    se_adj = (bots_measured * sensitivity + 1) / se_n
    sp_adj = (people_measured * specificity + 1) / sp_n
    youden, youden_adj = sensitivity + specificity - 1, se_adj + sp_adj - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(active > 0, k / active, np.nan)
        p = np.clip((q + specificity - 1) / youden, 0, 1) if youden > 0 else np.full_like(q, np.nan)
        q_adj = (k + z2 / 2) / (active + z2)
        p_adj = (q_adj + sp_adj - 1) / youden_adj
        se_part, sp_part = se_adj * (1 - se_adj) / se_n, sp_adj * (1 - sp_adj) / sp_n
        p_var = ((q_adj * (1 - q_adj) / (active + z2) + p_adj ** 2 * se_part + (1 - p_adj) ** 2 * sp_part)
                 / youden_adj ** 2)
        centre = p_adj + 2 * z2 * (p_adj * se_part - (1 - p_adj) * sp_part)
        dead = np.where(n > 0, d / n, np.nan)
        dead_adj = (d + z2 / 2) / (n + z2)
        # all deactivated: no active member to classify, the share is d of n exactly
        p, centre, p_var = (np.where(active > 0, v, fill) for v, fill in ((p, 0.0), (centre, 0.0), (p_var, 0.0)))
        estimate = dead + (1 - dead) * p
        half = z * np.sqrt((1 - centre) ** 2 * dead_adj * (1 - dead_adj) / (n + z2) + (1 - dead) ** 2 * p_var)
        middle = dead + (1 - dead) * centre
        low = np.fmin(np.clip(middle - half, 0, 1), estimate)
        high = np.fmax(np.clip(middle + half, 0, 1), estimate)
        # Fewer flagged than the false-alarm rate predicts (q < 1 − Sp): the adjusted interval collapses
        # towards 0. Whatever Sp is, p ≤ q / Se, so the Wilson upper end of q over Se still bounds p.
        q_high = wilson(k, active, z)[1]
        below = (q + specificity - 1) < 0
        high = np.where(below, np.fmax(high, dead + (1 - dead) * np.clip(q_high / sensitivity, 0, 1)), high)
    if youden <= 0:
        estimate = low = high = np.full_like(n, np.nan)
    return estimate, np.where(np.isnan(estimate), np.nan, low), np.where(np.isnan(estimate), np.nan, high)


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
