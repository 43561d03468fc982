"""Fit the VK member classifier on the labelled profiles and measure the audience bot share it gives.

Reads ../shared/datasets/vk_bots/train.csv (never copied here), holds out ranking.bots.HELD_OUT_SHARE of
it, fits a logistic regression (standardised inputs, a hidden signal counted as absent, both classes
weighted alike) on the rest of the profiles the model judges (ranking.bots.judgeable: those showing
what a live profile shows), measures sensitivity and specificity by 5-fold cross-validation, and writes
ranking/bot_model_vk.py. It checks both rates again on the held-out profiles, then builds audiences of
140 held-out members at bot shares 5%…80% and prints, for the new estimator and for the old
two-weak-signals rule side by side: the bot share's errors and how often the 95% interval covers the
truth.

    python bench/train_bots.py [--check]   # --check: compare with the committed model (exit 1 if it differs)
"""

from __future__ import annotations

import pprint
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ranking.bots import (LIVE_PROFILE_SIGNALS, corrected_share, judgeable, labelled_split,  # noqa: E402
                          labelled_vk_signals, vk_design)
from ranking.intervals import wilson  # noqa: E402
from ranking.quality import member_flags  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "vk_bots" / "train.csv"
MODEL_FILE = ROOT / "ranking" / "bot_model_vk.py"
FRACTIONS = (0.05, 0.2, 0.4, 0.6, 0.8)
AUDIENCE = 140  # at 80%, 112 of the held-out split's 119 live bots
REPETITIONS = 300
FOLDS = 5
C = 1.0


def fit(train: pd.DataFrame) -> tuple[dict, dict]:
    """The model as ranking/bot_model_vk.py stores it, and the cross-validation figures."""
    signals = labelled_vk_signals(train)
    signals = signals[judgeable(signals)]
    design, names = vk_design(signals)
    labels = signals["bot"].to_numpy()
    # balanced: the correction gains most from the largest Se + Sp − 1, not from the highest accuracy
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=C, class_weight="balanced", max_iter=2000))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    predicted = cross_val_predict(pipeline, design, labels, cv=folds)
    per_fold_sens, per_fold_spec = [], []
    for _, test in folds.split(design, labels):
        y, p = labels[test], predicted[test]
        per_fold_sens.append(float((p[y == 1] == 1).mean()))
        per_fold_spec.append(float((p[y == 0] == 0).mean()))
    sensitivity = float((predicted[labels == 1] == 1).mean())
    specificity = float((predicted[labels == 0] == 0).mean())
    pipeline.fit(design, labels)
    scaler, regression = pipeline[0], pipeline[1]
    scales = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = {
        "platform": "vk",
        "features": tuple(names),
        "coefficients": tuple(round(float(w), 6) for w in regression.coef_[0]),
        "intercept": round(float(regression.intercept_[0]), 6),
        "means": tuple(round(float(m), 6) for m in scaler.mean_),
        "scales": tuple(round(float(s), 6) for s in scales),
        "threshold": 0.5,
        "sensitivity": round(sensitivity, 4),
        "specificity": round(specificity, 4),
        "bots_measured": int((labels == 1).sum()),
        "people_measured": int((labels == 0).sum()),
        "measured": True,
        "provenance": (f"Fitted by bench/train_bots.py (scikit-learn {sklearn.__version__}, LogisticRegression C={C}, "
                       f"balanced class weights, standardised inputs) on {len(labels):,} labelled VK profiles of "
                       f"../shared/datasets/vk_bots/train.csv (Kolomeets et al.'s users-vs-bots data via "
                       f"sim975/Users-vs-Bots-Classification): those showing every field of "
                       f"ranking.bots.LIVE_PROFILE_SIGNALS, less the share ranking.bots.HELD_OUT_SHARE held out; "
                       f"sensitivity and "
                       f"specificity from {FOLDS}-fold cross-validation, per fold sensitivity "
                       f"{min(per_fold_sens):.3f}–{max(per_fold_sens):.3f}, specificity "
                       f"{min(per_fold_spec):.3f}–{max(per_fold_spec):.3f}."),
    }
    figures = {"sens_folds": per_fold_sens, "spec_folds": per_fold_spec}
    return model, figures


def write_model(model: dict) -> None:
    text = ('"""The VK member classifier: written by bench/train_bots.py, do not edit by hand.\n\n'
            + textwrap.fill(model["provenance"], 110) + '\n"""\n\nMODEL = '
            + pprint.pformat(model, width=110, sort_dicts=False) + "\n")
    MODEL_FILE.write_text(text, encoding="utf-8")


def audiences(held_out: pd.DataFrame, rng: np.random.Generator):
    """(fraction, audience signals) for REPETITIONS audiences of AUDIENCE live held-out members per fraction,
    exactly that share of them bots, no profile twice in one audience."""
    signals = labelled_vk_signals(held_out)
    signals = signals[judgeable(signals)]
    bots, people = signals[signals["bot"] == 1], signals[signals["bot"] == 0]
    for fraction in FRACTIONS:
        n_bots = round(AUDIENCE * fraction)
        for _ in range(REPETITIONS):
            picked = pd.concat([bots.sample(n_bots, random_state=rng.integers(2**32)),
                                people.sample(AUDIENCE - n_bots, random_state=rng.integers(2**32))])
            yield n_bots / AUDIENCE, picked


def old_rule(picked: pd.DataFrame) -> tuple[float, float, float]:
    """Yesterday's estimate: the share of members with two weak signals (no avatar, not seen for 6
    months), with its Wilson interval."""
    frame = pd.DataFrame({"platform": "vk", "member_key": np.arange(len(picked)),
                          "has_avatar": picked["has_avatar"].map({1.0: True, 0.0: False}),
                          "deactivated": False})
    flags = member_flags(frame, pd.Timestamp("2026-01-01", tz="UTC"))
    known = flags[flags["known"]]
    k, n = int(known["suspicious"].sum()), len(known)
    low, high = wilson(np.array([k]), np.array([n]))
    return k / n, float(low[0]), float(high[0])


def print_populations(classifier, labelled: pd.DataFrame, held_out: pd.DataFrame) -> None:
    """How many labelled profiles the model judges, and its rates on the held-out ones."""
    signals = labelled_vk_signals(labelled)
    live = judgeable(signals)
    bot = signals["bot"].to_numpy() == 1
    print(f"\nLabelled profiles showing every live-profile field ({', '.join(LIVE_PROFILE_SIGNALS)}): "
          f"{(live & bot).sum():,} of {bot.sum():,} bots, {(live & ~bot).sum():,} of {(~bot).sum():,} people; "
          "the others show no more than a deleted or banned page and are not judged by the model.")
    signals = labelled_vk_signals(held_out)
    signals = signals[judgeable(signals)]
    flagged = classifier.is_bot(signals)
    bot = signals["bot"].to_numpy() == 1
    print(f"Held out, live: {bot.sum()} bots, sensitivity {flagged[bot].mean():.3f}; {(~bot).sum()} people, "
          f"specificity {(~flagged[~bot]).mean():.3f}")


def main() -> int:
    if not DATA.is_file():
        print(f"skipped: {DATA} is absent (the labelled VK profiles live in ../shared/datasets/vk_bots/)")
        return 0
    labelled = pd.read_csv(DATA, low_memory=False)
    train, held_out = labelled_split(labelled)
    model, figures = fit(train)
    if "--check" in sys.argv:
        from ranking.bot_model_vk import MODEL

        differ = [key for key in model if model[key] != MODEL.get(key)]
        print(f"{MODEL_FILE.relative_to(ROOT)}: " + (f"differs in {', '.join(differ)}" if differ else "as fitted"))
        if differ:
            return 1
    else:
        write_model(model)
        print(f"wrote {MODEL_FILE.relative_to(ROOT)}")
    from ranking.bots import MemberModel

    classifier = MemberModel(**model)
    print(f"VK member classifier, {FOLDS}-fold cross-validation on {model['bots_measured']:,} bots and "
          f"{model['people_measured']:,} people:")
    print(f"  sensitivity {model['sensitivity']:.3f} (folds {min(figures['sens_folds']):.3f}–"
          f"{max(figures['sens_folds']):.3f}), specificity {model['specificity']:.3f} (folds "
          f"{min(figures['spec_folds']):.3f}–{max(figures['spec_folds']):.3f})")
    print_populations(classifier, labelled, held_out)
    rng = np.random.default_rng(1)
    rows = []
    for fraction, picked in audiences(held_out, rng):
        flagged = int(classifier.is_bot(picked).sum())
        p, low, high = (float(v[0]) for v in corrected_share(
            [flagged], [len(picked)], model["sensitivity"], model["specificity"], model["bots_measured"],
            model["people_measured"]))
        truth = fraction
        old, old_low, old_high = old_rule(picked)
        rows.append({"fraction": fraction, "error": abs(p - truth), "covered": low <= truth <= high,
                     "width": high - low, "old_error": abs(old - truth), "old_covered": old_low <= truth <= old_high})
    table = pd.DataFrame(rows).groupby("fraction").agg(
        mae=("error", "mean"), p95=("error", lambda e: e.quantile(0.95)), worst=("error", "max"),
        coverage=("covered", "mean"), width=("width", "mean"),
        old_mae=("old_error", "mean"), old_coverage=("old_covered", "mean"))
    print(f"\nAudiences of {AUDIENCE} live held-out members, {REPETITIONS} per bot share: the bot share's mean, "
          "95th-percentile and worst absolute error and the 95% interval's coverage, new estimator vs. the old "
          "two-weak-signals rule (which gets one of its two signals from this data, so it flags nobody)")
    print(f"{'bot share':>9} {'MAE':>7} {'p95':>7} {'worst':>7} {'coverage':>9} {'width':>7} | {'old MAE':>8} "
          f"{'old coverage':>13}")
    for fraction, r in table.iterrows():
        print(f"{fraction:>9.0%} {r['mae']:>7.3f} {r['p95']:>7.3f} {r['worst']:>7.3f} {r['coverage']:>9.1%} "
              f"{r['width']:>7.3f} | "
              f"{r['old_mae']:>8.3f} {r['old_coverage']:>13.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
