"""Bots: the VK member classifier on hand-made profiles, the Rogan–Gladen estimate with its interval, and
both measured on audiences built from real labelled profiles held out of training."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, shared_dir
from ranking.bots import (HELD_OUT_SHARE, LABELLED_VK_COLUMNS, LIVE_PROFILE_SIGNALS, VK_COUNTS, VK_MODEL, VK_SIGNALS,
                          corrected_share, judgeable, labelled_split, labelled_vk_signals, vk_design)
from ranking.quality import bot_share

NOW = pd.Timestamp("2026-11-26", tz="UTC")
PERSON = {"has_avatar": True, "can_message": True, "can_post": False, "has_status": True, "has_site": False,
          "is_closed": False, "has_mobile": True, "has_birthday": True, "has_city": True, "has_occupation": True,
          "can_see_all_posts": True, "can_see_audio": True, "can_send_friend_request": True,
          "has_nickname": False, "has_maiden_name": False, "is_verified": False,
          "followers": 420}
#: As the labelled live bots look: a photo and an open wall like people's, but no status, city or
#: occupation, and a handful of followers (their median is 44, people's 865).
BOT = {**PERSON, "has_status": False, "has_city": False, "has_occupation": False, "followers": 3}


def members(*profiles: dict) -> pd.DataFrame:
    return pd.DataFrame([{"platform": "vk", "member_key": i, **p} for i, p in enumerate(profiles)])


# the classifier ----------------------------------------------------------------------------------------
def test_a_person_like_profile_is_not_a_bot():
    assert not VK_MODEL.is_bot(members(PERSON))[0]


def test_a_bought_bot_profile_is_a_bot():
    assert VK_MODEL.is_bot(members(BOT))[0]


def test_probabilities_rise_as_a_profile_loses_what_people_have():
    fewer_followers = {**PERSON, "followers": 40}
    no_status = {**fewer_followers, "has_status": False}
    steps = [PERSON, fewer_followers, no_status, {**no_status, "has_occupation": False}, BOT]
    probabilities = VK_MODEL.probabilities(members(*steps))
    assert list(probabilities) == sorted(probabilities)


def test_a_hidden_field_reads_as_absent_as_in_the_labelled_data():
    """'Unknown' in the labelled profiles is a hidden field; the API leaves a hidden field out: both absent."""
    said_no, _ = vk_design(members({**PERSON, "has_site": False}))
    hidden, _ = vk_design(members({**PERSON, "has_site": None}))
    assert (said_no == hidden).all()


def test_the_model_reads_every_signal():
    assert VK_MODEL.features == tuple(vk_design(members(PERSON))[1])
    assert len(VK_MODEL.features) == len(VK_SIGNALS) + len(VK_COUNTS)
    assert 0.5 < VK_MODEL.sensitivity <= 1 and 0.5 < VK_MODEL.specificity <= 1
    assert VK_MODEL.bots_measured > 200 and VK_MODEL.people_measured > 1000 and VK_MODEL.measured


def test_members_not_showing_a_live_profile_are_not_judged():
    """A member list fetched without fields, or a profile missing a field VK gives every live profile: not
    checked, rather than counted as people or as bots."""
    bare = members({"has_avatar": True}, {**PERSON, "can_see_audio": None}, {"has_avatar": False, "followers": 5})
    assert not judgeable(bare).any()
    assert judgeable(members(PERSON, BOT)).all()
    audience = pd.DataFrame({"platform": "vk", "account": "club", "kind": "member", "member_key": [0, 1]})
    assert bot_share(audience, bare, NOW).empty


def test_deactivated_members_count_as_bots_whatever_they_show():
    signals = members(PERSON, PERSON, {"deactivated": True})
    audience = pd.DataFrame({"platform": "vk", "account": "club", "kind": "member", "member_key": [0, 1, 2]})
    row = bot_share(audience, signals, NOW).iloc[0]
    assert row["checked"] == 3 and row["deactivated"] == 1
    assert row["bot_share"] >= 1 / 3 - 1e-9
    assert row["bot_share_low"] < 1 / 3 < row["bot_share_high"]  # three members are a small sample
    assert "measured" in row["bot_errors"]


# the estimate ------------------------------------------------------------------------------------------
def test_rogan_gladen_by_hand():
    # q = 0.45, Se 0.9, Sp 0.8: (0.45 + 0.8 − 1) / (0.9 + 0.8 − 1) = 0.25 / 0.7
    estimate, low, high = corrected_share([90], [200], 0.9, 0.8, 10**9, 10**9)
    assert estimate[0] == pytest.approx(0.25 / 0.7)
    # with error rates known exactly: the Agresti–Coull interval of q mapped through Rogan–Gladen, and
    # the sampling error of a deactivated share of 0 of 200 (Agresti–Coull: 1.92 of 203.84)
    z = 1.959964
    q = (90 + z**2 / 2) / (200 + z**2)
    centre = (q + 0.8 - 1) / 0.7
    dead = (z**2 / 2) / (200 + z**2)
    variance = q * (1 - q) / (200 + z**2) / 0.7**2 + (1 - centre) ** 2 * dead * (1 - dead) / (200 + z**2)
    assert high[0] - low[0] == pytest.approx(2 * z * np.sqrt(variance))
    assert (low[0] + high[0]) / 2 == pytest.approx(centre)


def test_deactivated_members_add_to_the_share_and_its_uncertainty():
    # 50 of 200 deactivated; of the 150 active, q = 45/150 = 0.3 → p̂ = (0.3 + 0.8 − 1) / 0.7 = 1/7
    estimate, low, high = corrected_share([45], [200], 0.9, 0.8, 10**9, 10**9, deactivated=[50])
    assert estimate[0] == pytest.approx(0.25 + 0.75 / 7)
    _, low_active, high_active = corrected_share([45], [150], 0.9, 0.8, 10**9, 10**9)
    # the active part's width, scaled by the active share, plus the deactivated share's own uncertainty
    assert high[0] - low[0] > 0.75 * (high_active[0] - low_active[0])
    assert low[0] < estimate[0] < high[0]


def test_fewer_flags_than_false_alarms_still_give_an_upper_bound():
    """0 of 200 flagged where Sp 0.95 predicts 10 false alarms: the estimate is 0, and the interval is
    not [0, 0]: whatever Sp is, p ≤ q / Se, so the upper end is Wilson's for q over Se."""
    estimate, low, high = corrected_share([0], [200], 0.85, 0.95, 1000, 1000)
    z = 1.959964
    wilson_high = (z * z / 400) / (1 + z * z / 200) + z / (1 + z * z / 200) * np.sqrt(z * z / (4 * 200**2))
    assert estimate[0] == low[0] == 0
    assert high[0] == pytest.approx(wilson_high / 0.85)


def test_an_audience_all_deactivated_is_all_bots():
    estimate, low, high = corrected_share([0], [30], 0.9, 0.8, 100, 100, deactivated=[30])
    assert estimate[0] == 1 and high[0] == 1 and 0.8 < low[0] < 1


def test_the_interval_widens_with_uncertain_error_rates_and_small_samples():
    _, low_sure, high_sure = corrected_share([40], [200], 0.9, 0.9, 10**6, 10**6)
    _, low_unsure, high_unsure = corrected_share([40], [200], 0.9, 0.9, 30, 30)
    _, low_small, high_small = corrected_share([4], [20], 0.9, 0.9, 10**6, 10**6)
    assert high_unsure[0] - low_unsure[0] > high_sure[0] - low_sure[0]
    assert high_small[0] - low_small[0] > high_sure[0] - low_sure[0]


def test_no_estimate_without_members_or_from_a_useless_classifier():
    assert np.isnan(corrected_share([0], [0], 0.9, 0.9, 100, 100)[0][0])
    assert np.isnan(corrected_share([5], [10], 0.5, 0.5, 100, 100)[0][0])


# on real labelled profiles -----------------------------------------------------------------------------
FRACTIONS = (0.05, 0.2, 0.4, 0.6, 0.8)
REPETITIONS = 40
AUDIENCE = 140  # at 80%, 112 of the held-out split's 119 live bots


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(shared_dir("datasets", "vk_bots") / "train.csv", low_memory=False)


def test_the_labelled_columns_map_onto_every_signal_the_model_reads(labelled):
    assert set(LABELLED_VK_COLUMNS) <= set(labelled.columns)
    assert set(LABELLED_VK_COLUMNS.values()) == set(VK_SIGNALS) | set(VK_COUNTS)


def test_the_model_is_fitted_on_live_profiles_only(labelled):
    """Most labelled bots show no more than a deleted page; the model is measured on the rest."""
    train_live = judgeable(labelled_vk_signals(labelled_split(labelled)[0]))
    bots = labelled_split(labelled)[0]["target"].to_numpy() == 1
    assert VK_MODEL.bots_measured == (train_live & bots).sum()
    assert VK_MODEL.people_measured == (train_live & ~bots).sum()
    assert set(LIVE_PROFILE_SIGNALS) <= set(VK_SIGNALS)


def test_the_held_out_split_is_disjoint_and_fixed(labelled):
    train, held_out = labelled_split(labelled)
    assert not set(train.index) & set(held_out.index)
    assert len(held_out) == round(len(labelled) * HELD_OUT_SHARE)
    assert labelled_split(labelled)[1].index.equals(held_out.index)


def live_held_out(labelled: pd.DataFrame) -> pd.DataFrame:
    signals = labelled_vk_signals(labelled_split(labelled)[1])
    return signals[judgeable(signals)]


def audience_of(signals: pd.DataFrame, fraction: float, rng) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    bots, people = signals[signals["bot"] == 1], signals[signals["bot"] == 0]
    n_bots = round(AUDIENCE * fraction)
    picked = pd.concat([bots.sample(n_bots, random_state=rng.integers(2**32)),
                        people.sample(AUDIENCE - n_bots, random_state=rng.integers(2**32))])
    picked = picked.assign(member_key=np.arange(len(picked), dtype="int64"))
    audience = pd.DataFrame({"platform": "vk", "account": "club", "kind": "member", "member_key": picked["member_key"]})
    return audience, picked.drop(columns="bot"), n_bots / AUDIENCE


@pytest.mark.parametrize("fraction", FRACTIONS)
def test_held_out_audiences_bot_share_within_010_and_covered_90_percent(labelled, fraction):
    signals = live_held_out(labelled)
    rng = np.random.default_rng(int(fraction * 100))
    errors, covered = [], []
    for _ in range(REPETITIONS):
        audience, members_signals, truth = audience_of(signals, fraction, rng)
        row = bot_share(audience, members_signals, NOW).iloc[0]
        errors.append(abs(row["bot_share"] - truth))
        covered.append(row["bot_share_low"] <= truth <= row["bot_share_high"])
    assert max(errors) <= 0.10
    assert np.mean(covered) >= 0.90


def test_held_out_audiences_come_out_in_the_right_order(labelled):
    signals = live_held_out(labelled)
    rng = np.random.default_rng(3)
    estimates = [bot_share(*audience_of(signals, f, rng)[:2], NOW).iloc[0]["bot_share"] for f in FRACTIONS]
    assert estimates == sorted(estimates)


def test_the_committed_model_is_what_the_bench_fits(labelled):
    """ranking/bot_model_vk.py is reproduced by bench/train_bots.py from the labelled data."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import train_bots
    finally:
        sys.path.remove(str(REPO / "bench"))
    from ranking.bot_model_vk import MODEL

    model, _ = train_bots.fit(labelled_split(labelled)[0])
    assert model.keys() == MODEL.keys()
    for key, committed in MODEL.items():
        if key == "provenance":  # names the scikit-learn version that fitted it
            assert model[key].split(", LogisticRegression")[1] == committed.split(", LogisticRegression")[1]
        elif isinstance(committed, (tuple, float)):
            assert model[key] == pytest.approx(committed, abs=1e-4), key
        else:
            assert model[key] == committed, key
