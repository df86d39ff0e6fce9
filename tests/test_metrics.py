"""insight.metrics and insight.stats: hand-computed small cases."""
import math

import numpy as np
import pandas as pd
import pytest

from insight import metrics, stats


# ------------------------------------------------------------------ NPS

def test_nps_known_answer():
    r = metrics.nps([10, 9, 8, 7, 6, 0, 10])
    # promoters 10, 9, 10 -> 3; detractors 6, 0 -> 2; n 7; NPS = (3 - 2) / 7 = 14.29
    assert r.n == 7
    assert r.value == pytest.approx(14.2857, abs=1e-3)
    assert r.promoters == pytest.approx(3 / 7)
    assert r.detractors == pytest.approx(2 / 7)
    assert r.passives == pytest.approx(2 / 7)
    # var = (3/7 + 2/7 - (1/7)^2) / 7 = 34/343; se = 0.31484 -> 31.484 points
    assert r.se == pytest.approx(100 * math.sqrt(34 / 343))
    assert r.ci_low == pytest.approx(14.2857 - 1.959964 * 31.4842, abs=1e-3)   # -47.42
    assert r.ci_high == pytest.approx(14.2857 + 1.959964 * 31.4842, abs=1e-3)  # 75.99


def test_nps_ignores_nan_and_rejects_out_of_range():
    assert metrics.nps([10, np.nan, 0]).n == 2
    assert metrics.nps(pd.Series([10, None, 0], dtype="float64")).value == 0.0
    with pytest.raises(ValueError, match="outside 0..10"):
        metrics.nps([3, 11])
    with pytest.raises(ValueError, match="outside"):
        metrics.nps([-1])
    with pytest.raises(ValueError, match="non-numeric"):
        metrics.nps(["ten"])


def test_nps_all_promoters_is_degenerate_but_bounded():
    r = metrics.nps([9, 10, 10])
    assert r.value == 100.0 and r.ci_low == 100.0 and r.ci_high == 100.0


# ------------------------------------------------------------------ CSAT / CES

def test_csat_mean_and_top2():
    r = metrics.csat([5, 4, 3, np.nan, 1])
    # mean (5+4+3+1)/4 = 3.25; top-2 (4-5) = 2/4
    assert r.n == 4 and r.value == pytest.approx(3.25) and r.mean == r.value
    assert r.top2_share == pytest.approx(0.5)
    # Wilson 2/4: centre 0.5, half = 1.96/(1+1.96^2/4) * sqrt(.25/4 + 1.96^2/64) = 0.34997
    assert r.top2_ci_low == pytest.approx(0.15004, abs=1e-4)
    assert r.top2_ci_high == pytest.approx(0.84996, abs=1e-4)
    # t CI: sd = 1.7078, se = 0.8539, t(3) = 3.1824 -> [0.53, 5.97] clipped to [1, 5]
    assert r.ci_low == 1.0 and r.ci_high == 5.0
    with pytest.raises(ValueError):
        metrics.csat([0, 3])


def test_csat_seven_point_top2_is_6_and_7():
    assert metrics.csat([7, 6, 5, 1], scale=7).top2_share == pytest.approx(0.5)


def test_ces_mean_and_low_effort():
    r = metrics.ces([1, 2, 5, 2])
    assert r.value == pytest.approx(2.5) and r.n == 4
    assert r.low_effort_share == pytest.approx(0.75)
    with pytest.raises(ValueError):
        metrics.ces([6])
    assert metrics.ces([6, 7], scale=7).value == 6.5


# ------------------------------------------------------------------ by()

@pytest.fixture
def surveys():
    return pd.DataFrame({
        "submitted_at": pd.to_datetime(["2024-03-19", "2024-03-20", "2024-03-21",
                                        "2024-04-25", "2024-06-21", "2024-06-22"]),
        "nps": [10, 0, 9, 7, 10, 3],
        "csat": [5, 4, 1, 2, 5, 5],
        "touchpoint": ["a", "a", "b", "b", "a", "b"],
    })


def test_by_jalali_month(surveys):
    out = metrics.by(surveys, "nps")   # Jalali months by default
    # 2024-03-19 is 29 Esfand 1402; 20 March 2024 is 1 Farvardin 1403; 25 April is 6 Ordibehesht;
    # 21-22 June are 1-2 Tir 1403
    assert out["period"].tolist() == ["1402-12", "1403-01", "1403-02", "1403-04"]
    assert out["period_start"].tolist() == list(pd.to_datetime(
        ["2024-02-20", "2024-03-20", "2024-04-20", "2024-06-21"]))
    assert out["n"].tolist() == [1, 2, 1, 2]
    # 1403-01: [0, 9] -> 1 promoter, 1 detractor -> 0; 1402-12: [10] -> 100
    assert out["value"].tolist() == [100.0, 0.0, 0.0, 0.0]
    assert {"ci_low", "ci_high", "promoters", "detractors"} <= set(out.columns)


def test_by_gregorian_quarter_and_group(surveys):
    out = metrics.by(surveys, "csat", period="quarter", calendar="gregorian", by="touchpoint")
    q1a = out[(out.period == "2024-Q1") & (out.touchpoint == "a")].iloc[0]
    assert q1a["n"] == 2 and q1a["value"] == pytest.approx(4.5)  # [5, 4]
    q2b = out[(out.period == "2024-Q2") & (out.touchpoint == "b")].iloc[0]
    assert q2b["n"] == 2 and q2b["value"] == pytest.approx(3.5)  # [2, 5]
    assert q2b["top2_share"] == pytest.approx(0.5)


def test_by_jalali_week_starts_saturday(surveys):
    out = metrics.by(surveys, "nps", period="week")
    assert out["period_start"].dt.dayofweek.eq(5).all()
    # Saturday 16 March 2024 (26 Esfand 1402); the label comes from insight.dates when present
    try:
        from insight.dates import jalali_period
        want = jalali_period(pd.Series(pd.to_datetime(["2024-03-16"])), "week").iloc[0]
    except ImportError:
        want = "1402-12-26"
    assert out["period"].iloc[0] == want


def test_by_without_period_and_top2(surveys):
    out = metrics.by(surveys, "top2", period=None)
    assert len(out) == 1 and out["n"].iloc[0] == 6
    assert out["value"].iloc[0] == pytest.approx(4 / 6)   # 5,4,5,5 of 6


def test_by_errors(surveys):
    with pytest.raises(KeyError):
        metrics.by(surveys, "ces")
    with pytest.raises(ValueError):
        metrics.by(surveys.assign(nps=[11, 0, 0, 0, 0, 0]), "nps")
    with pytest.raises(ValueError):
        metrics.by(surveys, "nps", period="year")


# ------------------------------------------------------------------ compare

def test_compare_nps_z():
    r = metrics.compare([10, 10, 9, 0], [0, 1, 9, 10, 5], "nps")
    # a: NPS 50, var (1 - .25)/4 = .1875; b: NPS -20, var (1 - .04)/5 = .192
    # se = sqrt(.3795) = .61604 -> 61.604 points; z = 70 / 61.604 = 1.1363
    assert r.difference == pytest.approx(70.0)
    assert r.statistic == pytest.approx(1.1363, abs=1e-4)
    assert r.p_value == pytest.approx(0.2558, abs=1e-3)
    assert not r.significant and r.n_a == 4 and r.n_b == 5


def test_compare_csat_welch():
    r = metrics.compare([5, 4, 3], [1, 2, 2, 3], "csat")
    # means 4 and 2; se = sqrt(1/3 + (2/3)/4) = .7071; t = 2.8284
    assert r.difference == 2.0 and r.test == "Welch t"
    assert r.statistic == pytest.approx(2.8284, abs=1e-4)
    assert r.significant  # p = 0.049


def test_compare_top2_two_proportions():
    r = metrics.compare([5, 4, 3], [1, 2, 2, 3], "top2")
    # 2/3 vs 0/4; pooled p = 2/7, se = sqrt(2/7*5/7*(1/3+1/4)) = .3450, z = .6667/.3450 = 1.932
    assert r.difference == pytest.approx(2 / 3)
    assert r.statistic == pytest.approx(1.9322, abs=1e-3)
    with pytest.raises(ValueError):
        metrics.compare([1], [2], "median")


# ------------------------------------------------------------------ sentiment

def test_sentiment_shares_domain_profile():
    labels = ["positive"] * 40 + ["negative"] * 15 + ["neutral"] * 45
    r = metrics.sentiment_shares(labels).iloc[0]
    assert r["n"] == 100 and r["positive"] == 0.4 and r["negative"] == 0.15
    assert r["pos_neg_ratio"] == pytest.approx(40 / 15)
    # se(log ratio) = sqrt(1/40 + 1/15) = .30277 -> 2.667 * exp(-+1.96*.30277)
    assert r["ratio_ci_low"] == pytest.approx(1.4732, abs=1e-3)
    assert r["ratio_ci_high"] == pytest.approx(4.8271, abs=1e-3)
    assert r["positive_ci_low"] == pytest.approx(0.3094, abs=1e-3)  # Wilson 40/100


def test_sentiment_shares_groups_persian_and_numeric():
    df = pd.DataFrame({"sentiment": ["مثبت", "منفی", "neutral", 0.7, -0.5], "g": list("aabbb")})
    out = metrics.sentiment_shares(df, by="g", method="goodman").set_index("g")
    assert out.loc["a", "n"] == 2 and out.loc["a", "positive"] == 0.5
    assert out.loc["b", ["positive", "neutral", "negative"]].tolist() == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="unknown sentiment"):
        metrics.sentiment_shares(["great"])


# ------------------------------------------------------------------ stats helpers

def test_wilson_and_two_proportion():
    lo, hi = stats.wilson_ci(3, 10)
    assert (lo, hi) == pytest.approx((0.1078, 0.6032), abs=1e-4)
    lo, hi = stats.wilson_ci([0, 5], [10, 0])
    assert lo[0] == 0 and math.isnan(lo[1])
    r = stats.two_proportion_test(30, 100, 20, 100)
    # pooled .25, se = sqrt(.25*.75*.02) = .061237, z = .1/.061237 = 1.633
    assert r.statistic == pytest.approx(1.63299, abs=1e-4)
    assert r.p_value == pytest.approx(0.10247, abs=1e-4)


def test_odds_ratio_and_haldane():
    r = stats.odds_ratio(30, 100, 20, 100)
    # (30*80)/(70*20) = 1.7143; se(log) = sqrt(1/30+1/70+1/20+1/80) = .3313
    assert r.value == pytest.approx(1.7143, abs=1e-4)
    assert r.ci_low == pytest.approx(1.7143 * math.exp(-1.96 * 0.33131), abs=1e-3)
    z = stats.odds_ratio(0, 10, 5, 10)   # zero cell: +0.5 everywhere -> (0.5*5.5)/(10.5*5.5)
    assert z.value == pytest.approx(0.5 / 10.5)


def test_beta_binomial_shrinkage_sanity():
    rng = np.random.default_rng(1)
    n = rng.integers(20, 500, 300)
    p = rng.beta(2, 38, 300)                 # true prior mean 0.05, strength 40
    k = rng.binomial(n, p)
    prior = stats.beta_binomial_fit(k, n)
    assert prior.mean == pytest.approx(0.05, abs=0.006)
    assert 25 < prior.strength < 65
    shrunk, _ = stats.shrink(k, n, prior)
    raw = k / n
    # shrinkage pulls towards the mean, and small groups move more
    assert np.all(np.abs(shrunk - prior.mean) <= np.abs(raw - prior.mean) + 1e-12)
    assert np.mean((shrunk - p) ** 2) < np.mean((raw - p) ** 2)
    # no overdispersion -> (almost) complete pooling
    k0 = rng.binomial(n, 0.05)
    assert stats.beta_binomial_fit(k0, n).strength > 1e4


def test_funnel_limits_and_quantile_ci():
    lo, hi = stats.funnel_limits(0.05, [10, 100, 1000], 0.998)
    assert hi[0] > hi[1] > hi[2] > 0.05 > lo[2] >= lo[1] >= lo[0] >= 0
    q = stats.quantile_ci(np.arange(100.0))
    assert q.value == 49.5 and (q.ci_low, q.ci_high) == (39.0, 60.0)
