"""Audience quality: the suspicious-member rule, the corrected bot share with its interval, engagement anomalies,
the quality figure and its flags, and audience temperature — on small inputs with known answers."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cli import app
from crawler.store import Store
from ranking.bots import ASSUMED_RULE_ERRORS
from ranking.engagement import account_metrics
from ranking.quality import (
    FEATURES,
    QUALITY_OUTPUT_COLUMNS,
    audience_flags,
    bot_share,
    engagement_rules,
    isolation_anomalies,
    member_flags,
    quality_columns,
    quality_score,
    temperature,
    views_text,
    wilson,
)
from ranking.frames import Frames
from ranking.shortlist import RATE_COLUMNS, SHORTLIST_COLUMNS, ShortlistOptions, shortlist

NOW = pd.Timestamp("2026-11-26 12:00", tz="UTC")
DAY = pd.Timedelta(days=1)
SIGNALS = ["has_avatar", "has_description", "created_at", "follows", "followers", "posts", "deactivated", "last_seen"]


def signals_frame(rows: list[dict], platform: str = "mastodon") -> pd.DataFrame:
    frame = pd.DataFrame([{"platform": platform, "member_key": i, **{s: None for s in SIGNALS}, **row}
                          for i, row in enumerate(rows)])
    for col in ("created_at", "last_seen"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


# the suspicious-member rule ---------------------------------------------------------------------------
def test_member_rule_deactivated_or_two_weak_signals():
    flags = member_flags(signals_frame([
        {"deactivated": True, "has_avatar": True},                        # 0: deactivated alone suffices
        {"has_avatar": False},                                            # 1: one weak signal: not suspicious
        {"has_avatar": False, "has_description": False},                  # 2: two weak signals
        {"created_at": NOW - 29 * DAY, "posts": 0},                       # 3: new and silent
        {"created_at": NOW - 31 * DAY, "posts": 3},                       # 4: neither
        {"follows": 1501, "last_seen": NOW - 200 * DAY},                  # 5: mass-following and inactive
        {"follows": 1500, "last_seen": NOW - 100 * DAY},                  # 6: at the limits: neither
        {"has_avatar": True, "has_description": True, "deactivated": False},  # 7: clean
        {},                                                               # 8: no signal at all
    ]), NOW)
    assert flags["suspicious"].tolist() == [True, False, True, True, False, True, False, False, False]
    assert flags["weak"].tolist() == [0, 1, 2, 2, 0, 2, 0, 0, 0]
    assert flags["known"].tolist() == [True] * 8 + [False]


def test_wilson_interval_hand_computed():
    low, high = wilson([0, 5, 155], [10, 10, 500])
    z2 = 1.959964 ** 2
    assert low[0] == 0 and high[0] == pytest.approx(z2 / (10 + z2))  # k = 0: (0, z²/(n + z²))
    assert (low[1], high[1]) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert (low[2], high[2]) == pytest.approx((0.27104, 0.35186), abs=1e-5)
    assert np.isnan(wilson([0], [0])[0][0])


# bot share --------------------------------------------------------------------------------------------
POPULATION = 20_000


def population(platform: str, bot_fraction: float, rng: np.random.Generator) -> pd.DataFrame:
    """Members as Bluesky or Mastodon shows them, judged by the two-weak-signals rule with exactly the
    error rates pagescout assumes for it (ASSUMED_RULE_ERRORS): a bot shows two weak signals with
    probability Se, a person with probability 1 − Sp; everyone else shows at most one."""
    n = POPULATION
    bot = np.zeros(n, dtype=bool)
    bot[rng.choice(n, size=round(bot_fraction * n), replace=False)] = True
    marked = np.where(bot, rng.random(n) < ASSUMED_RULE_ERRORS.sensitivity,
                      rng.random(n) < 1 - ASSUMED_RULE_ERRORS.specificity)
    one_weak = rng.random(n) < 0.3
    rows = pd.DataFrame({"platform": platform, "member_key": np.arange(n, dtype="int64")})
    for s in SIGNALS:
        rows[s] = None
    rows["has_avatar"] = ~marked
    rows["has_description"] = ~marked & ~one_weak if platform == "bluesky" else ~(marked | one_weak)
    if platform == "mastodon":
        rows["follows"] = 300
        rows["posts"] = 150
        rows["deactivated"] = False
        rows["last_seen"] = NOW - 3 * DAY
    rows["created_at"] = NOW - 900 * DAY
    for col in ("created_at", "last_seen"):
        rows[col] = pd.to_datetime(rows[col], utc=True)
    return rows


def sampled_audience(platform: str, members: pd.DataFrame, n: int, rng) -> pd.DataFrame:
    keys = rng.choice(members["member_key"].to_numpy(), size=n, replace=False)
    return pd.DataFrame({"platform": platform, "account": "page", "kind": "follower", "member_key": keys})


@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.6])
def test_interval_covers_the_injected_bot_fraction(platform, fraction):
    """The correction's algebra: where the rule errs at exactly the assumed rates, the corrected share finds
    the truth. It cannot check the assumption itself (no labelled Bluesky or Mastodon data); the VK model
    is checked on real labelled profiles, tests/test_bots.py."""
    rng = np.random.default_rng(7)
    members = population(platform, fraction, rng)
    result = bot_share(sampled_audience(platform, members, 500, rng), members, NOW).loc[(platform, "page")]
    assert result["checked"] == 500
    assert result["bot_share_low"] <= fraction <= result["bot_share_high"]
    assert result["bot_share_high"] - result["bot_share_low"] < 0.5  # wide: the error rates are only assumed
    assert "assumed" in result["bot_errors"]


def test_interval_coverage_over_many_samples_is_at_least_90_percent():
    rng = np.random.default_rng(11)
    members = population("mastodon", 0.2, rng)
    pages = pd.concat([sampled_audience("mastodon", members, 80, rng).assign(account=f"page{i}") for i in range(200)])
    shares = bot_share(pages, members, NOW)  # 200 pages, each an independent sample of 80 members
    assert len(shares) == 200
    covered = ((shares["bot_share_low"] <= 0.2) & (0.2 <= shares["bot_share_high"])).mean()
    assert covered >= 0.90
    assert abs(shares["bot_share"].mean() - 0.2) < 0.03  # corrected: not the flagged share (≈ 0.18)


def test_the_raw_flagged_share_is_corrected():
    """Without the correction 20% bots read as 0.2 × 0.7 + 0.8 × 0.05 = 18% flagged."""
    rng = np.random.default_rng(5)
    members = population("mastodon", 0.2, rng)
    result = bot_share(sampled_audience("mastodon", members, 5000, rng), members, NOW).iloc[0]
    assert result["suspicious"] / result["checked"] == pytest.approx(0.18, abs=0.015)
    assert result["bot_share"] == pytest.approx(0.2, abs=0.03)


def test_small_sample_shows_as_wide_interval_and_a_flag():
    rng = np.random.default_rng(3)
    members = population("bluesky", 0.3, rng)
    r = bot_share(sampled_audience("bluesky", members, 20, rng), members, NOW).iloc[0]
    assert r["bot_share_high"] - r["bot_share_low"] > 0.3
    assert "small sample: 20 members checked" in audience_flags(r)


def test_members_without_signals_are_not_in_the_denominator():
    signals = signals_frame([{"deactivated": True}, {"has_avatar": True, "has_description": True}, {}])
    audience = pd.DataFrame({"platform": "mastodon", "account": "page", "kind": "follower",
                             "member_key": [0, 1, 2, 3]})  # 2: all signals empty; 3: no row at all
    r = bot_share(audience, signals, NOW).loc[("mastodon", "page")]
    assert r["checked"] == 2 and r["bot_share"] == 0.5


def test_engagers_stand_in_only_where_no_followers_are_stored():
    signals = signals_frame([{"deactivated": True}, {"deactivated": False}, {"deactivated": False}])
    audience = pd.DataFrame({
        "platform": "mastodon", "account": ["club", "club", "club", "tube"],
        "kind": ["follower", "liker", "follower", "liker"], "member_key": [1, 0, 2, 0]})
    shares = bot_share(audience, signals, NOW)["bot_share"]
    assert shares[("mastodon", "club")] == 0.0  # its followers only: the deactivated liker is not one
    assert shares[("mastodon", "tube")] == 1.0  # no followers stored: its likers stand in


def test_platforms_never_share_member_signals():
    signals = signals_frame([{"deactivated": True}], platform="mastodon")
    audience = pd.DataFrame({"platform": "vk", "account": "club", "kind": "member", "member_key": [0]})
    assert bot_share(audience, signals, NOW).empty


# engagement anomalies ----------------------------------------------------------------------------------
def realistic_accounts(n: int, rng: np.random.Generator, platform: str = "vk") -> pd.DataFrame:
    """Pages as a platform has them: sizes and rates log-normal around typical values (20K followers,
    30% reach, 2.5% ER by views, a comment per 20 likes, a post a day)."""
    followers = 10 ** rng.normal(4.3, 0.6, n)
    reach = np.exp(rng.normal(np.log(0.3), 0.3, n))
    er_views = np.exp(rng.normal(np.log(0.025), 0.35, n))
    return pd.DataFrame({
        "platform": platform, "handle": [f"{platform}{i}" for i in range(n)], "followers": followers,
        "reach_rate": reach, "er_views": er_views, "er_followers": er_views * reach,
        "comments_per_like": np.exp(rng.normal(np.log(0.05), 0.4, n)),
        "posts_per_week": np.exp(rng.normal(np.log(7), 0.5, n)),
    })


OUTLIERS = pd.DataFrame([
    # bought views: views 30× the followers' usual share, hardly anyone reacts
    {"platform": "vk", "handle": "bought_views", "followers": 100_000, "reach_rate": 4.0, "er_views": 0.0004,
     "er_followers": 0.0016, "comments_per_like": 0.05, "posts_per_week": 10},
    # bought followers: a big page nobody reads
    {"platform": "vk", "handle": "dead_page", "followers": 500_000, "reach_rate": 0.004, "er_views": 0.03,
     "er_followers": 0.00012, "comments_per_like": 0.05, "posts_per_week": 10},
])


def features_of(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.set_index(["platform", "handle"])
    out["log_followers"] = np.log10(1 + out["followers"])
    return out[FEATURES]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_isolation_forest_flags_the_injected_outliers_and_leaves_the_rest(seed):
    accounts = pd.concat([realistic_accounts(60, np.random.default_rng(seed)), OUTLIERS], ignore_index=True)
    result = isolation_anomalies(features_of(accounts))
    flagged = sorted(result.index[result["anomaly"].fillna(False).astype(bool)].get_level_values("handle"))
    assert flagged == ["bought_views", "dead_page"]
    assert result.attrs["notes"] == []


def test_isolation_forest_is_reproducible():
    features = features_of(pd.concat([realistic_accounts(40, np.random.default_rng(5)), OUTLIERS]))
    first, second = isolation_anomalies(features), isolation_anomalies(features)
    pd.testing.assert_frame_equal(first, second)


def test_a_platform_with_too_few_accounts_is_skipped_and_says_so():
    features = features_of(pd.concat([realistic_accounts(30, np.random.default_rng(1), "vk"),
                                      realistic_accounts(12, np.random.default_rng(2), "bluesky")]))
    result = isolation_anomalies(features)
    assert result.xs("bluesky", level="platform")["anomaly_score"].isna().all()
    assert result.xs("vk", level="platform")["anomaly_score"].notna().all()
    assert result.attrs["notes"] == [
        "engagement anomaly model skipped for bluesky: 12 accounts, needs 20 (the plain rules still ran)"]


def test_rules_compare_with_the_platform_median():
    frame = pd.DataFrame({
        "platform": "telegram", "handle": list("abcdef"), "followers": 1000,
        "reach_rate": [0.30, 0.25, 0.20, 0.35, 0.30, 0.05],
        "er_views": [0.04, 0.04, 0.05, 0.03, 0.005, 0.04],
        "er_followers": np.nan, "comments_per_like": np.nan, "posts_per_week": 7.0,
    })
    rules = engagement_rules(features_of(frame)).droplevel("platform")
    # norm er_views = median(.04,.04,.05,.03,.005,.04) = .04 → e: .04 / .005 = 8×
    assert rules.loc["e", "views_ratio"] == pytest.approx(8.0)
    assert rules["views_flag"].tolist() == [False, False, False, False, True, False]
    # norm reach = median(.30,.25,.20,.35,.30,.05) = .275 → f: .05/.275 < 1/4
    assert rules.loc["f", "reach_ratio"] == pytest.approx(0.05 / 0.275)
    assert rules["reach_flag"].tolist() == [False] * 5 + [True]
    assert views_text(rules.loc["e", "views_ratio"]) == "views 8× the engagement norm"


def test_rules_need_peers():
    frame = pd.DataFrame({"platform": "telegram", "handle": list("abc"), "followers": 1000,
                          "reach_rate": [0.3, 0.01, 0.3], "er_views": [0.04, 0.04, 0.001], "er_followers": np.nan,
                          "comments_per_like": np.nan, "posts_per_week": 7.0})
    rules = engagement_rules(features_of(frame))
    assert not rules["views_flag"].any() and not rules["reach_flag"].any() and not rules["checked"].any()


# flags and the quality figure ----------------------------------------------------------------------------
def test_flag_wording_with_numbers():
    low, high = wilson([155, 40], [500, 500])
    row = pd.Series({"checked": 500, "bot_share": 0.31, "bot_share_low": low[0], "bot_share_high": high[0],
                     "deactivated_share": 0.31, "deactivated_low": low[0], "deactivated_high": high[0]})
    assert audience_flags(row) == ["31% deactivated members (±4%)", "31% likely bots (27–35%), from 500 members"]
    assumed = pd.concat([row, pd.Series({"bot_errors": "sensitivity 70%, specificity 95% (assumed, not measured)"})])
    assert audience_flags(assumed)[1] == "31% likely bots (27–35%), from 500 members (error rates assumed)"
    clean = row.copy()
    clean[["bot_share", "deactivated_share"]] = 0.08
    clean[["bot_share_low", "deactivated_low"]] = low[1]
    clean[["bot_share_high", "deactivated_high"]] = high[1]
    assert audience_flags(clean) == []


def test_quality_is_the_weighted_mean_of_the_known_parts():
    index = pd.MultiIndex.from_tuples([("vk", h) for h in "abcd"], names=["platform", "handle"])
    bots = pd.DataFrame({"bot_share": [0.2, np.nan, 0.0, np.nan]}, index=index)
    rules = pd.DataFrame({"views_flag": [True, False, False, False], "reach_flag": [False, False, False, False],
                          "checked": [True, True, False, False]}, index=index)
    anomalies = pd.DataFrame({"anomaly_score": np.nan, "anomaly": pd.array([pd.NA] * 4, dtype="boolean")}, index=index)
    spikes = pd.Series([1], index=pd.MultiIndex.from_tuples([("vk", "b")], names=["platform", "handle"]))
    checked = pd.Series([True, True], index=pd.MultiIndex.from_tuples([("vk", "a"), ("vk", "b")]))
    q = quality_score(bots, rules, anomalies, spikes, checked, index)
    assert q.iloc[0] == pytest.approx(100 * (0.5 * 0.8 + 0.3 * 0.5 + 0.2 * 1) / 1.0, abs=0.05)  # 75
    assert q.iloc[1] == pytest.approx(100 * (0.3 * 1 + 0.2 * 0.5) / 0.5, abs=0.05)  # 80: no audience part
    assert q.iloc[2] == pytest.approx(100.0)  # the audience part alone
    assert math.isnan(q.iloc[3])  # nothing known


# temperature ------------------------------------------------------------------------------------------
def test_temperature_hand_computed():
    followers = pd.DataFrame({"platform": "bluesky", "account": "a", "kind": "follower", "member_key": range(1, 11)})
    other = pd.DataFrame({"platform": "bluesky", "account": "b", "kind": "follower", "member_key": [1, 2]})
    engagers = pd.DataFrame([
        ("liker", 1, NOW - 2 * DAY),
        ("commenter", 2, NOW - 10 * DAY), ("liker", 2, NOW - 3 * DAY),  # latest counts: warm
        ("liker", 3, NOW - 30 * DAY),                                    # cooling
        ("reposter", 4, NOW - 100 * DAY),                                # cold
        ("liker", 5, NOW - 7 * DAY),                                     # exactly 7 days: still warm
        ("liker", 6, NOW - 60 * DAY),                                    # exactly 60 days: still cooling
        ("liker", 11, NOW - 1 * DAY),                                    # not a follower: joins the audience
        ("follower", 7, NOW - 1 * DAY),                                  # following is not engaging
    ], columns=["kind", "member_key", "at"]).assign(platform="bluesky", account="a")
    audience = pd.concat([followers, other, engagers[["platform", "account", "kind", "member_key"]]])
    t = temperature(audience, engagers, NOW)
    a = t.loc[("bluesky", "a")]
    assert a["warm"] == pytest.approx(4 / 11)  # 1, 2, 5, 11
    assert a["cooling"] == pytest.approx(2 / 11)  # 3, 6
    assert a["cold"] == pytest.approx(5 / 11)  # 4, 7, 8, 9, 10
    assert ("bluesky", "b") not in t.index  # no dated engagers: unknown, not cold


def test_temperature_without_dated_engagers_is_empty():
    audience = pd.DataFrame({"platform": "vk", "account": "a", "kind": "liker", "member_key": [1]})
    engagers = pd.DataFrame({"platform": "vk", "account": "a", "kind": "liker", "member_key": [1], "at": [pd.NaT]})
    assert temperature(audience, engagers, NOW).empty
    assert temperature(audience, None, NOW).empty


# the shortlist and the CLI ----------------------------------------------------------------------------------
def tiny_frames():
    accounts = pd.DataFrame({
        "platform": "mastodon", "handle": ["clean", "botty", "unknown"], "name": ["C", "B", "U"],
        "url": None, "followers": [1000, 1000, 1000], "status": "ok",
        "fetched_at": pd.to_datetime(["2026-11-26"] * 3, utc=True),
    })
    posts = pd.DataFrame({"platform": "mastodon", "account": ["clean", "botty", "unknown"], "post_id": "1",
                          "published_at": pd.to_datetime("2026-11-20", utc=True), "views": None,
                          "likes": [10, 10, 10], "comments": [1, 1, 1], "reposts": [0, 0, 0]})
    links = pd.DataFrame(columns=["platform", "src", "dst", "kind"])
    signals = signals_frame([{"has_avatar": True}] * 6 + [{"deactivated": True}] * 4)
    audience = pd.DataFrame({"platform": "mastodon", "account": ["clean"] * 5 + ["botty"] * 5,
                             "kind": "follower", "member_key": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]})
    return accounts, posts, links, audience, signals


def test_shortlist_adds_the_quality_columns_after_the_existing_ones():
    accounts, posts, links, audience, signals = tiny_frames()
    table = shortlist(Frames(accounts, posts, links, audience=audience, signals=signals), ShortlistOptions(now=NOW))
    start = list(table.columns).index("bot_share")
    assert list(table.columns)[start:start + len(QUALITY_OUTPUT_COLUMNS)] == QUALITY_OUTPUT_COLUMNS
    assert start > list(table.columns).index("audience_sampled")  # after the existing ones
    assert all(col in SHORTLIST_COLUMNS and SHORTLIST_COLUMNS[col] for col in QUALITY_OUTPUT_COLUMNS)
    assert {"bot_share", "growth_30d", "warm", "cooling", "cold"} <= set(RATE_COLUMNS)
    rows = table.set_index("handle")
    assert rows.loc["botty", "bot_share"] == pytest.approx(0.8)  # member 5 has an avatar, 6–9 deactivated
    assert rows.loc["botty", "quality_flags"].startswith("80% deactivated members (±")
    assert rows.loc["clean", "bot_share"] == 0 and rows.loc["clean", "quality"] == 100
    assert math.isnan(rows.loc["unknown", "bot_share"]) and math.isnan(rows.loc["unknown", "quality"])
    # quality lifts the clean page above the botty one, all else being equal
    assert rows.loc["clean", "rank"] < rows.loc["botty", "rank"]


def test_max_bot_share_drops_known_bad_pages_only():
    accounts, posts, links, audience, signals = tiny_frames()
    table = shortlist(Frames(accounts, posts, links, audience=audience, signals=signals),
                      ShortlistOptions(now=NOW, max_bot_share=0.3))
    assert sorted(table["handle"]) == ["clean", "unknown"]
    assert table["rank"].tolist() == [1, 2]


def test_quality_columns_without_any_extra_frame_are_empty_not_zero():
    accounts, posts, links, *_ = tiny_frames()
    out = quality_columns(account_metrics(accounts, posts, links), posts)
    assert out[["bot_share", "growth_30d", "warm"]].isna().all().all()
    assert out["quality_flags"].isna().all()


def test_export_writes_quality_columns_as_percentages(tmp_path):
    db = tmp_path / "q.db"
    accounts, posts, links, audience, signals = tiny_frames()
    batch = {
        "Account": accounts.drop(columns=["fetched_at"]).to_dict("records"),
        "Post": posts.assign(published_at=posts["published_at"].dt.to_pydatetime()).to_dict("records"),
        "AudienceMember": [{"platform": "mastodon", "account": a, "kind": "follower", "member_key": k,
                            **({"deactivated": True} if k >= 6 else {"has_avatar": True})}
                           for a, k in zip(audience["account"], audience["member_key"])],
    }
    with Store(str(db)) as store:
        store.write(batch)
    runner = CliRunner()
    out = tmp_path / "x.xlsx"
    result = runner.invoke(app, ["export", str(out), "--db", str(db), "--max-bot-share", "0.5"])
    assert result.exit_code == 0, result.output
    assert "note: engagement anomaly model skipped for mastodon: 3 accounts, needs 20" in result.output
    wb = load_workbook(out)
    ws = wb["Shortlist"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert sorted(r["handle"] for r in rows) == ["clean", "unknown"]
    assert ws.cell(row=2, column=header.index("bot_share") + 1).number_format == "0.00%"
    explained = {r[0]: r[1] for r in wb["Metrics"].iter_rows(min_row=2, values_only=True)}
    assert "interval" in explained["bot_share_low"] and "delta method" in explained["bot_share_low"]
    assert "quality_checked" in explained
    bad = runner.invoke(app, ["rank", "--db", str(db), "--max-bot-share", "2"])
    assert bad.exit_code == 2


def test_shortlist_flags_a_follower_spike_and_fills_growth():
    accounts, posts, links, audience, signals = tiny_frames()
    days = pd.date_range("2026-09-01", periods=40).date
    followers = [1000 + 5 * i for i in range(40)]
    followers[30:] = [f + 400 for f in followers[30:]]  # +40% from day 29 to day 30 … over one day
    snapshots = pd.DataFrame({"platform": "mastodon", "account": "clean", "date": days, "followers": followers})
    snapshots = snapshots.drop(index=29)  # … so over two days: 1140 → 1550
    rows = shortlist(Frames(accounts, posts, links, audience=audience, signals=signals, snapshots=snapshots),
                     ShortlistOptions(now=NOW)).set_index("handle")
    assert rows.loc["clean", "quality_flags"] == "small sample: 5 members checked; +36% followers in 2 days"
    # audience 0.5 × 1 + growth 0.2 × (1 − 0.5), over the 0.7 known
    assert rows.loc["clean", "quality"] == pytest.approx(100 * (0.5 + 0.1) / 0.7, abs=0.05)
    assert rows.loc["clean", "growth_30d"] == pytest.approx((1595 - 1045) / 1045)
    assert math.isnan(rows.loc["botty", "growth_30d"])


def test_store_loads_dated_engagers_only(tmp_path):
    at = NOW.to_pydatetime()
    member = {"platform": "bluesky", "account": "a"}
    with Store(str(tmp_path / "e.db")) as store:
        store.write({"AudienceMember": [
            {**member, "kind": "liker", "member_key": 1, "at": at},
            {**member, "kind": "reposter", "member_key": 2, "at": at - timedelta(days=9)},
            {**member, "kind": "liker", "member_key": 3, "at": None},       # no time: cannot say when
            {**member, "kind": "follower", "member_key": 4, "at": at},      # following is not engaging
        ]})
        engagers = store.load_engagers("bluesky")
    assert sorted(engagers["member_key"]) == [1, 2]
    assert engagers["at"].dt.tz is not None and engagers["at"].max() == NOW
    followers = pd.DataFrame({**member, "kind": "follower", "member_key": [1, 2, 3, 4]})
    t = temperature(followers, engagers, NOW).iloc[0]
    assert (t["warm"], t["cooling"], t["cold"]) == pytest.approx((0.25, 0.25, 0.5))


def test_quality_without_an_audience_check_says_so():
    handles = [f"ch{i}" for i in range(6)]
    accounts = pd.DataFrame({"platform": "telegram", "handle": handles, "name": handles, "url": None,
                             "followers": 1000, "status": "ok"})
    posts = pd.DataFrame({"platform": "telegram", "account": handles, "post_id": "1",
                          "published_at": pd.to_datetime("2026-11-20", utc=True), "views": 300,
                          "likes": 10, "comments": None, "reposts": None})
    links = pd.DataFrame(columns=["platform", "src", "dst", "kind"])
    out = quality_columns(account_metrics(accounts, posts, links), posts)
    assert out["quality"].notna().all()  # the engagement rules ran against 5 peers each
    assert (out["quality_flags"] == "audience not checked for bots (no member signals stored)").all()
