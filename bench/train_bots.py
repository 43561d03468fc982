"""Fit the VK member classifier on the labelled profiles and measure the audience bot share it gives.

Reads ../shared/datasets/vk_bots/train.csv (never copied here), holds out ranking.bots.HELD_OUT_SHARE of
it, fits a logistic regression (standardised inputs, a hidden signal counted as absent) on the rest,
measures sensitivity and specificity by 5-fold cross-validation, and writes ranking/bot_model_vk.py.
Then it builds audiences of 200 held-out members at bot shares 5%…80% and prints, for the new estimator
and for the old two-weak-signals rule side by side: mean absolute error of the bot share and how often
the 95% interval covers the truth.

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

from ranking.bots import (MIN_SIGNALS_SHOWN, corrected_share, labelled_split, labelled_vk_signals,  # noqa: E402
                          signals_shown, vk_design)
from ranking.quality import member_flags, wilson  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "vk_bots" / "train.csv"
MODEL_FILE = ROOT / "ranking" / "bot_model_vk.py"
FRACTIONS = (0.05, 0.2, 0.4, 0.6, 0.8)
AUDIENCE = 200
REPETITIONS = 300
FOLDS = 5
C = 0.03  # strong enough that collinear signals keep the sign their own evidence gives them


def fit(train: pd.DataFrame) -> tuple[dict, dict]:
    """The model as ranking/bot_model_vk.py stores it, and the cross-validation figures."""
    signals = labelled_vk_signals(train)
    usable = signals_shown(signals) >= MIN_SIGNALS_SHOWN
    signals = signals[usable]
    design, names = vk_design(signals)
    labels = signals["bot"].to_numpy()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
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
                       f"standardised inputs) on {len(labels):,} labelled VK profiles of ../shared/datasets/vk_bots/"
                       f"train.csv (Kolomeets et al.'s users-vs-bots data via sim975/Users-vs-Bots-Classification) "
                       f"less the share ranking.bots.HELD_OUT_SHARE held out; sensitivity and "
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
    """(fraction, audience signals) for REPETITIONS audiences of AUDIENCE members per fraction, each member
    a bot with probability ``fraction``."""
    signals = labelled_vk_signals(held_out)
    bots, people = signals[signals["bot"] == 1], signals[signals["bot"] == 0]
    for fraction in FRACTIONS:
        for _ in range(REPETITIONS):
            n_bots = int(rng.binomial(AUDIENCE, fraction))  # an audience drawn at random, not an exact mix
            picked = pd.concat([bots.sample(n_bots, random_state=rng.integers(2**32)),
                                people.sample(AUDIENCE - n_bots, random_state=rng.integers(2**32))])
            yield fraction, picked


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


def print_hidden_fields(classifier, held_out: pd.DataFrame) -> None:
    """Sensitivity and specificity on held-out profiles that show a field a member list always returns
    (can_see_all_posts) and on those that hide it: in the labelled data, hiding it marks most bots."""
    signals = labelled_vk_signals(held_out)
    signals = signals[signals_shown(signals) >= MIN_SIGNALS_SHOWN]
    flagged = classifier.is_bot(signals)
    bot = signals["bot"].to_numpy() == 1
    print("\nHeld-out profiles by whether they show can_see_all_posts (a live member list always does):")
    for name, rows in (("shown", signals["can_see_all_posts"].notna().to_numpy()),
                       ("hidden", signals["can_see_all_posts"].isna().to_numpy())):
        sens = flagged[rows & bot].mean() if (rows & bot).any() else float("nan")
        spec = (~flagged[rows & ~bot]).mean() if (rows & ~bot).any() else float("nan")
        print(f"  {name:>6}: {(rows & bot).sum():>4} bots, sensitivity {sens:.3f}; {(rows & ~bot).sum():>4} people, "
              f"specificity {spec:.3f}")


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
    print_hidden_fields(classifier, held_out)
    rng = np.random.default_rng(1)
    rows = []
    for fraction, picked in audiences(held_out, rng):
        judged = picked[signals_shown(picked) >= MIN_SIGNALS_SHOWN]
        flagged = int(classifier.is_bot(judged).sum())
        p, low, high = (float(v[0]) for v in corrected_share(
            [flagged], [len(judged)], model["sensitivity"], model["specificity"], model["bots_measured"],
            model["people_measured"]))
        truth = fraction  # the share of bots in the audience the stored members were drawn from
        old, old_low, old_high = old_rule(picked)
        rows.append({"fraction": fraction, "error": abs(p - truth), "covered": low <= truth <= high,
                     "width": high - low, "old_error": abs(old - truth), "old_covered": old_low <= truth <= old_high})
    table = pd.DataFrame(rows).groupby("fraction").agg(
        mae=("error", "mean"), worst=("error", "max"), coverage=("covered", "mean"), width=("width", "mean"),
        old_mae=("old_error", "mean"), old_coverage=("old_covered", "mean"))
    print(f"\nAudiences of {AUDIENCE} held-out members drawn at random, {REPETITIONS} per bot share: the bot share's "
          "mean absolute error and the 95% interval's coverage, new estimator vs. the old two-weak-signals rule "
          "(which gets one of its two signals from this data, so it flags nobody)")
    print(f"{'bot share':>9} {'MAE':>7} {'worst':>7} {'coverage':>9} {'width':>7} | {'old MAE':>8} {'old coverage':>13}")
    for fraction, r in table.iterrows():
        print(f"{fraction:>9.0%} {r['mae']:>7.3f} {r['worst']:>7.3f} {r['coverage']:>9.1%} {r['width']:>7.3f} | "
              f"{r['old_mae']:>8.3f} {r['old_coverage']:>13.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
