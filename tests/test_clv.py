"""BG/NBD + Gamma-Gamma: hand-computed summaries, likelihood, CDNOW known answers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, gammaln

from insight import clv


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "unit_price"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["order_id"] = [f"o{i}" for i in range(len(df))]
    df["product_id"] = "p"
    df["quantity"] = 1.0
    df["unit_price"] = df["unit_price"].astype(float)
    return df.astype({"customer_id": "str", "order_id": "str"})


def test_summary_hand_computed():
    o = _orders([
        ("a", "2024-01-01", 10), ("a", "2024-01-01", 5),  # same day: one transaction of 15
        ("a", "2024-01-08", 20), ("a", "2024-01-15", 40),
        ("b", "2024-01-10", 7),
        ("c", "2024-01-20", 1), ("c", "2024-02-10", 3),  # second one after calibration end
        ("d", "2024-02-05", 9),                           # first order after calibration: left out
    ])
    s = clv.summary_from_orders(o, calibration_end="2024-01-29", freq="D")
    assert list(s.index) == ["a", "b", "c"]
    assert s.loc["a", ["frequency", "recency", "T"]].tolist() == [2, 14, 28]
    assert s.loc["a", "monetary_value"] == 30.0 and s.loc["a", "first_value"] == 15.0
    assert s.loc["b", ["frequency", "recency", "T"]].tolist() == [0, 0, 19]
    assert np.isnan(s.loc["b", "monetary_value"])
    assert s.loc["c", ["frequency", "recency", "T", "frequency_holdout"]].tolist() == [0, 0, 9, 1]
    assert s["duration_holdout"].iloc[0] == 12  # Jan 29 -> Feb 10
    w = clv.summary_from_orders(o, calibration_end="2024-01-29", freq="W")
    assert w.loc["a", ["recency", "T"]].tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="freq"):
        clv.summary_from_orders(o, freq="M")


def _ll_direct(r, alpha, a, b, x, tx, T):
    """The paper's likelihood written literally (betaln / gammaln)."""
    A = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    l1 = np.exp(betaln(a, b + x) - betaln(a, b) + A - (r + x) * np.log(alpha + T))
    l2 = np.where(x > 0, np.exp(betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) + A
                                - (r + x) * np.log(alpha + tx)), 0.0)
    return np.log(l1 + l2)


def test_loglik_matches_literal_formula_and_gradient():
    s = pd.DataFrame({"frequency": [0, 1, 2, 5, 0.0], "recency": [0, 3, 10, 30, 0.0], "T": [5, 20, 30, 35, 40.0]})
    p = (0.5, 3.0, 0.8, 2.5)
    got = clv.bgnbd_loglik(p, s)
    want = _ll_direct(*p, *(s[c].to_numpy() for c in ("frequency", "recency", "T")))
    assert np.allclose(got, want, rtol=1e-12)
    # analytic gradient vs finite differences (log-parameters)
    x, tx, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    lp = np.log(p)
    _, g = clv._bgnbd_ll_grad(lp, x, tx, T, np.ones(5))
    eps = 1e-6
    num = [(clv._bgnbd_ll_grad(lp + eps * e, x, tx, T, np.ones(5))[0]
            - clv._bgnbd_ll_grad(lp - eps * e, x, tx, T, np.ones(5))[0]) / (2 * eps) for e in np.eye(4)]
    assert np.allclose(g, num, rtol=1e-5)


def test_p_alive_and_expected_hand_values():
    params = clv.BGNBDParams(r=1.0, alpha=1.0, a=1.0, b=3.0, loglik=0.0, n=0)
    s = pd.DataFrame({"frequency": [0.0, 1.0], "recency": [0.0, 1.0], "T": [3.0, 3.0]})
    pa = clv.p_alive(params, s)
    # x = 1: 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+tx))^(r+x)) = 1 / (1 + 1/3 * 2^2) = 3/7
    assert pa.tolist() == pytest.approx([1.0, 3 / 7])
    # unconditional E[X(t)] with r=1, alpha=1, a=2, b=3 at t=1: 4 * (1 - 1/2 * 2F1(1, 3; 4; 1/2)),
    # 2F1(1, 3; 4; z) = 3 / z^3 * (-ln(1 - z) - z - z^2 / 2)
    p2 = clv.BGNBDParams(r=1.0, alpha=1.0, a=2.0, b=3.0, loglik=0.0, n=0)
    f = 3 / 0.125 * (np.log(2) - 0.5 - 0.125)
    e = clv.expected_purchases(p2, np.array([0.0, 1.0, 10.0]))
    assert e[0] == pytest.approx(0.0) and e[1] == pytest.approx(4 * (1 - 0.5 * f)) and e[1] < e[2]
    # a = 1 is a removable singularity
    assert np.isfinite(clv.expected_purchases(params, np.array([1.0, 10.0]))).all()
    cond = clv.expected_purchases(params, 5.0, s)
    assert cond.iloc[0] > 0 and cond.index.equals(s.index)


def test_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(7)
    n, T = 20000, 52.0
    r, alpha, a, b = 0.8, 6.0, 0.9, 3.0
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    alive = np.ones(n, bool)
    t = np.zeros(n)
    # simulate: after each purchase the customer may drop out with prob p
    for _ in range(200):  # vectorized over customers, loop over purchase count
        gap = rng.exponential(1 / lam)
        nxt = t + gap
        buy = alive & (nxt <= T)
        x[buy] += 1
        tx[buy] = nxt[buy]
        t = np.where(buy, nxt, t)
        alive = buy & (rng.random(n) > p)
    s = pd.DataFrame({"frequency": x, "recency": tx, "T": np.full(n, T)})
    f = clv.fit_bgnbd(s)
    assert f.r == pytest.approx(r, rel=0.15) and f.alpha == pytest.approx(alpha, rel=0.2)
    assert f.a == pytest.approx(a, rel=0.3) and f.b == pytest.approx(b, rel=0.3)


def _cdnow(shared_data):
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["cid", "cohort_id", "date", "cds", "value"], dtype={"cid": "str", "date": "str"})
    return pd.DataFrame({"order_id": np.arange(len(raw)).astype(str), "customer_id": raw["cid"],
                         "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
                         "product_id": "cd", "quantity": 1.0, "unit_price": raw["value"].astype(float)})


@pytest.mark.shared
def test_cdnow_bgnbd_known_answer(shared_data):
    s = clv.summary_from_orders(_cdnow(shared_data), calibration_end="1997-09-30", freq="W")
    assert len(s) == 2357 and s["frequency"].sum() == 2457
    assert s["T"].max() == pytest.approx(272 / 7)
    p = clv.fit_bgnbd(s)
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    assert p.r == pytest.approx(0.243, abs=1e-3)
    assert p.alpha == pytest.approx(4.414, abs=2e-3)
    assert p.a == pytest.approx(0.793, abs=1e-3)
    assert p.b == pytest.approx(2.426, abs=2e-3)
    assert p.loglik == pytest.approx(-9582.4, abs=0.1)
    assert p.n == 2357
    # a customer with no repeat purchase in 39 weeks: expected 39-week count (paper Fig. 2 region)
    assert clv.expected_purchases(p, 39.0) == pytest.approx(1.195, abs=2e-3)


@pytest.mark.shared
def test_cdnow_gamma_gamma_known_answer(shared_data):
    s = clv.summary_from_orders(_cdnow(shared_data), calibration_end="1997-09-30", freq="W")
    g = clv.fit_gamma_gamma(s)
    # Fader & Hardie, "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, v = 15.44 (946 repeaters)
    assert g.n == 946
    assert g.p == pytest.approx(6.25, abs=0.01)
    assert g.q == pytest.approx(3.74, abs=0.01)
    assert g.v == pytest.approx(15.44, abs=0.02)
    e = clv.expected_spend(g, s)
    assert e[s["frequency"] == 0].iloc[0] == pytest.approx(g.p * g.v / (g.q - 1))


@pytest.mark.shared
def test_cdnow_clv_table(shared_data):
    c = clv.clv(_cdnow(shared_data), horizon_months=12, discount=0.01, calibration_end="1997-09-30")
    assert len(c) == 2357 and (c["clv"] >= 0).all()
    assert c["p_alive"].between(0, 1).all()
    # longer horizon, more value; heavier discount, less value
    c24 = clv.clv(_cdnow(shared_data), horizon_months=24, calibration_end="1997-09-30",
                  bgnbd=c.attrs["bgnbd"], gamma_gamma=c.attrs["gamma_gamma"])
    assert (c24["clv"] >= c["clv"] - 1e-9).all()
    assert c["clv"].sum() == pytest.approx(c["clv"].sum())  # finite
    assert np.isfinite(c["clv"]).all()


@pytest.mark.shared
def test_cdnow_standard_errors_and_retention_lift(shared_data):
    s = clv.summary_from_orders(_cdnow(shared_data), calibration_end="1997-09-30", freq="W")
    p = clv.fit_bgnbd(s)
    se = np.sqrt(np.diag(clv.bgnbd_covariance(p, s))) * p.as_array()  # delta method to natural scale
    # the standard errors reported by the `lifetimes` package for this fit
    assert se == pytest.approx([0.0126, 0.378, 0.186, 0.705], abs=2e-3)
    lift = clv.retention_lift(p, 0.05, horizon_months=36)
    assert 0.1 < lift < 0.4
    assert clv.retention_lift(p, 0.0) == pytest.approx(0.0, abs=1e-12)


def test_summary_leaves_undated_lines_out():
    # a line without an order date is in no transaction (it used to reach np.bincount as
    # a negative index and raise); z has only an undated line, so z is not summarized.
    # x: Jan 1 and Feb 1 -> frequency 1, recency 31 days, T = Jan 1 .. Mar 1 2024 = 60 days
    o = pd.DataFrame({"order_id": ["a", "b", "c", "d", "e"], "customer_id": ["x", "x", "y", "y", "z"],
                      "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01", None]),
                      "quantity": [1.0, 1, 1, 1, 1], "unit_price": [10.0, 20, 30, 40, 50]})
    s = clv.summary_from_orders(o, freq="D")
    assert list(s.index) == ["x", "y"]
    assert s.loc["x", ["frequency", "recency", "T", "monetary_value", "first_value"]].tolist() == [1, 31, 60, 20, 10]
    assert s.loc["y", ["frequency", "recency", "T", "first_value"]].tolist() == [0, 0, 0, 40]
