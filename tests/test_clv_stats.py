"""clv internals: customer-day transactions, the packed unique, and the likelihoods on
sufficient statistics against the per-customer formulas written out."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

from insight import clv


def test_customer_days_by_order_and_by_line_give_the_same_transactions():
    # customer 0: days 3, 3, 5 (orders 0, 1, 2); customer 1: day 3 (order 3)
    cc = np.array([0, 0, 0, 1, 0])
    day = np.array([3, 3, 5, 3, 5])
    oc = np.array([0, 1, 2, 3, 2])
    for codes in (oc, None, np.array([0, 1, 2, 3, 0])):  # by order; no order ids; order 0 on two days
        keys, span, d0, tx = clv._customer_days(cc, day, codes)
        assert (span, d0) == (3, 3)
        assert keys.tolist() == [0 * 3 + 0, 0 * 3 + 2, 1 * 3 + 0]
        assert tx.tolist() == [0, 0, 1, 2, 1]


def test_unique_inverse_matches_numpy():
    rng = np.random.default_rng(2)
    for key in (rng.integers(0, 50, 1000), rng.integers(0, 2 ** 40, 500), np.array([-3, 5, -3, 7]),
                np.array([5]), np.zeros(0, np.int64)):
        u, inv = clv._unique_inverse(key.astype(np.int64))
        u0, inv0 = np.unique(key.astype(np.int64), return_inverse=True)
        assert u.tolist() == u0.tolist() and inv.tolist() == inv0.ravel().tolist()


def test_summary_line_values_summed_per_day_with_an_order_over_two_days():
    o = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3"], "customer_id": ["a", "a", "a", "b"],
                      "order_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"]),
                      "quantity": 1.0, "unit_price": [1.0, 2.0, 4.0, 8.0]}).astype({"order_id": "str",
                                                                                      "customer_id": "str"})
    s = clv.summary_from_orders(o, freq="D")
    # a: day 1 (1), day 2 (2 + 4): one repeat of value 6, T = 2 days
    assert s.loc["a", ["frequency", "recency", "T", "monetary_value", "first_value"]].tolist() == [1, 1, 2, 6, 1]
    assert s.loc["b", ["frequency", "T", "first_value"]].tolist() == [0, 0, 8]


def _gg_literal(p, q, v, x, m):
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
            + p * x * np.log(x) - (p * x + q) * np.log(x * m + v)).sum()


def test_gamma_gamma_likelihood_and_gradient_from_sufficient_statistics():
    x = np.array([1, 1, 2, 3, 3, 3, 7.0])
    m = np.array([10, 12.5, 8, 30, 20, 20, 15.0])
    st = clv._gg_stats(x, m)
    lp = np.log([2.0, 3.0, 15.0])
    ll, g = clv._gg_ll_grad(lp, st)
    assert ll == pytest.approx(_gg_literal(2.0, 3.0, 15.0, x, m), rel=1e-12)
    eps = 1e-6
    num = [(clv._gg_ll_grad(lp + eps * e, st)[0] - clv._gg_ll_grad(lp - eps * e, st)[0]) / (2 * eps)
           for e in np.eye(3)]
    assert np.allclose(g, num, rtol=1e-6)


def test_bgnbd_likelihood_from_counts_equals_the_sum_over_customers():
    s = pd.DataFrame({"frequency": [0, 0, 1, 1, 2, 5, 5, 0.0], "recency": [0, 0, 3, 3, 10, 30, 30, 0.0],
                      "T": [5, 5, 20, 20, 30, 35, 35, 40.0]})
    x, tx, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))
    st = clv._bgnbd_stats(x, tx, T)
    assert len(st.w) == 5 and st.w.sum() == 8          # distinct rows, with counts
    p = (0.5, 3.0, 0.8, 2.5)
    ll, _ = clv._bgnbd_ll_grad_stats(np.log(p), st)
    assert ll == pytest.approx(clv.bgnbd_loglik(p, s).sum(), rel=1e-12)


def test_new_customer_purchases_known_answer_and_lifts_per_row():
    # r = b = 1, a = 2: hyp2f1(1, 1, 2, z) = -log(1 - z) / z, so
    # E[X(t)] = (a + b - 1) / (a - 1) * (1 - alpha / t * log((alpha + t) / alpha)) = 2 (1 - alpha/t log(1 + t/alpha))
    P = np.array([[1.0, 1.0, 2.0, 1.0], [1.0, 3.0, 2.0, 1.0]])
    t = np.array([1.0, 2.0])
    e = clv._new_customer_purchases(P, t)
    want = [[2 * (1 - np.log(2)), 2 * (1 - np.log(3) / 2)], [2 * (1 - 3 * np.log(4 / 3)), 2 * (1 - 1.5 * np.log(5 / 3))]]
    assert np.allclose(e, want, rtol=1e-12)
    # many draws at once == one retention_lift call per draw, exactly; NaN when a/(a+b) <= lift
    # (r = 0.55, not 0.5: numpy computes q ** 0.5 with a scalar exponent as sqrt(q), 1 ulp off pow)
    P = np.array([[0.24, 4.4, 0.79, 2.4], [0.55, 10.0, 0.3, 5.0], [1.0, 2.0, 0.01, 3.0]])
    many = clv._retention_lifts(P, "W", 0.05, 36, 0.01)
    m = np.arange(37) * (365.25 / 12 / 7)
    disc = 1.01 ** -np.arange(1, 37, dtype=float)

    def scalar(row):   # the per-draw computation written with the scalar expected_purchases
        r, alpha, a, b = row
        a2 = (a / (a + b) - 0.05) * (a + b)
        if a2 <= 0:
            return np.nan
        val = [(np.diff(clv.expected_purchases(clv.BGNBDParams(*q, np.nan, 1), m)) * disc).sum()
               for q in ((r, alpha, a, b), (r, alpha, a2, a + b - a2))]
        return val[1] / val[0] - 1

    one = [scalar(row) for row in P]
    assert np.isnan(many[2]) and np.isnan(one[2])
    assert many[:2].tolist() == one[:2]
    assert clv.retention_lift(clv.BGNBDParams(*P[0], np.nan, 1), 0.05) == one[0]
    assert clv._retention_lifts(P[:2], "W", 0.0, 36, 0.01).tolist() == [0.0, 0.0]


def test_bgnbd_likelihood_with_extreme_dropout_odds_matches_the_per_customer_formula():
    # d = log(a/(b+x-1)) + (r+x) log((alpha+T)/(alpha+t_x)) from about -300 (x = 1, t_x = T: log(1e-130))
    # to about +350 (x = 50, t_x << T): log(1 + e^d) must stay finite and equal d or e^d there
    s = pd.DataFrame({"frequency": [50, 1, 3, 0.0], "recency": [0.1, 1000, 20, 0],
                      "T": [1000, 1000, 40, 1000.0]})
    st = clv._bgnbd_stats(*(s[c].to_numpy() for c in ("frequency", "recency", "T")))
    for p in ((0.5, 3.0, 0.8, 2.5), (0.5, 3.0, 1e-130, 2.5)):
        ll, g = clv._bgnbd_ll_grad_stats(np.log(p), st)
        assert np.isfinite(ll) and np.isfinite(g).all()
        assert ll == pytest.approx(clv.bgnbd_loglik(p, s).sum(), rel=1e-12)


def test_bgnbd_gradient_from_sorted_rows_matches_differences_of_the_per_customer_formula():
    s = pd.DataFrame({"frequency": [0, 0, 1, 1, 2, 5, 5, 0.0], "recency": [0, 0, 3, 3, 10, 30, 30, 0.0],
                      "T": [5, 5, 20, 20, 30, 35, 35, 40.0]})
    st = clv._bgnbd_stats(*(s[c].to_numpy() for c in ("frequency", "recency", "T")))
    # rows sorted by x: x = 0 (T 5, 40), 1, 2, 5 -> 2, 1, 1, 1 rows starting at 0, 2, 3, 4
    assert st.xs[st.xc].tolist() == [0, 0, 1, 2, 5]
    assert st.xn.tolist() == [2, 1, 1, 1] and st.xstart.tolist() == [0, 2, 3, 4]
    lp = np.log([0.5, 3.0, 0.8, 2.5])
    _, g = clv._bgnbd_ll_grad_stats(lp, st)
    eps = 1e-6
    num = [(clv.bgnbd_loglik(np.exp(lp + eps * e), s).sum() - clv.bgnbd_loglik(np.exp(lp - eps * e), s).sum())
           / (2 * eps) for e in np.eye(4)]
    assert np.allclose(g, num, rtol=1e-6)


def test_summary_recency_is_the_last_calibration_day_per_customer():
    # a: days 1, 3, 10 (cut at day 5: x = 1, t_x = 2, T = 4, one holdout purchase);
    # b: days 2, 4 (x = 1, t_x = 2, T = 3); c: day 7 only (after the cut: left out)
    o = pd.DataFrame({"order_id": ["1", "2", "3", "4", "5", "6"], "customer_id": ["a", "a", "a", "b", "b", "c"],
                      "order_date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-10", "2024-01-02",
                                                    "2024-01-04", "2024-01-07"]),
                      "quantity": 1.0, "unit_price": 1.0}).astype({"order_id": "str", "customer_id": "str"})
    s = clv.summary_from_orders(o, calibration_end="2024-01-05", observation_end="2024-01-12", freq="D")
    assert s.index.tolist() == ["a", "b"]
    assert s[["frequency", "recency", "T", "frequency_holdout"]].to_numpy().tolist() == [[1, 2, 4, 1], [1, 2, 3, 0]]
    u, order, gid = clv._packed_sort(np.array([7, 3, 7, 1, 3], dtype=np.int64))
    assert u.tolist() == [1, 3, 7] and order.tolist() == [3, 1, 4, 0, 2] and gid.tolist() == [0, 1, 1, 2, 2]


def test_summary_stats_reused_only_for_equal_arrays():
    x, tx, T = np.array([0, 1, 2.0]), np.array([0, 3, 5.0]), np.array([6, 6, 9.0])
    st = clv._summary_stats(x, tx, T)
    assert clv._summary_stats(x.copy(), tx.copy(), T.copy()) is st
    tx[1] = 4.0                                    # edited in place: new statistics
    st2 = clv._summary_stats(x, tx, T)
    assert st2 is not st and sorted(st2.txs.tolist()) == [0, 4, 5]
    # covariance after a fit on the same summary uses the same (correct) statistics
    s = pd.DataFrame({"frequency": [0, 1, 1, 2, 5, 0.0], "recency": [0, 3, 4, 10, 30, 0.0],
                      "T": [5, 20, 20, 30, 35, 40.0]})
    p = clv.BGNBDParams(0.5, 3.0, 0.8, 2.5, np.nan, 6)
    c1 = clv.bgnbd_covariance(p, s)
    clv._LAST_STATS.clear()
    assert np.array_equal(clv.bgnbd_covariance(p, s), c1)


def _small_orders():
    o = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "c", "c"],
                      "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-10",
                                                    "2024-01-03", "2024-01-15"]),
                      "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
                      "quantity": [1.0, 2, 1, 1, 1, 1], "unit_price": [10.0, 5, 20, 7, 1, 3]})
    return o.astype({"customer_id": "str", "order_id": "str"})


def test_default_summary_is_kept_per_frame_until_a_column_read_changes(monkeypatch):
    o = _small_orders()
    calls = []
    real = clv._summary
    monkeypatch.setattr(clv, "_summary", lambda *a: calls.append(a[1:]) or real(*a))
    s = clv.summary_from_orders(o, freq="D")
    # a: Jan 1 (10 + 2 x 5 = 20), Jan 8 (20); b: Jan 10 (7); c: Jan 3 (1), Jan 15 (3); last day Jan 15
    assert s[["frequency", "recency", "T", "monetary_value", "first_value"]].fillna(-1).to_numpy().tolist() == [
        [1, 7, 14, 20, 20], [0, 0, 5, -1, 7], [1, 12, 12, 3, 1]]
    again = clv.summary_from_orders(o, freq="D")
    assert len(calls) == 1 and again is not s
    pd.testing.assert_frame_equal(again, s, check_exact=True)
    assert again.attrs == s.attrs
    # each caller's frame is its own: values, index name and attrs edited on one copy
    again.loc["a", "frequency"] = 99.0
    again.index.name = "x"
    again.attrs["freq"] = "?"
    third = clv.summary_from_orders(o, freq="D")
    assert len(calls) == 1 and third.loc["a", "frequency"] == 1 and third.index.name == "customer_id"
    assert third.attrs["freq"] == "D" and s.loc["a", "frequency"] == 1
    # another unit, an end date, another frame: computed
    assert clv.summary_from_orders(o, freq="W").loc["a", "recency"] == 1.0
    clv.summary_from_orders(o, calibration_end="2024-01-12", freq="D")
    clv.summary_from_orders(o.copy(), freq="D")
    assert len(calls) == 4 and calls[2] == ("2024-01-12", "D", None)
    # a price edited in place: computed again (a's first transaction is now 10 + 2 x 6)
    o.loc[1, "unit_price"] = 6.0
    s2 = clv.summary_from_orders(o, freq="D")
    assert len(calls) == 5 and s2.loc["a", "first_value"] == 22.0


def test_bgnbd_fit_reused_for_equal_summaries_only(monkeypatch):
    s = pd.DataFrame({"frequency": [0, 1, 1, 2, 5, 0, 3.0], "recency": [0, 3, 4, 10, 30, 0, 12.0],
                      "T": [5, 20, 20, 30, 35, 40, 15.0]})
    clv._LAST_STATS.clear()
    runs = []
    real = clv._minimize
    monkeypatch.setattr(clv, "_minimize", lambda *a, **k: runs.append(1) or real(*a, **k))
    p = clv.fit_bgnbd(s)
    assert clv.fit_bgnbd(s.copy()) == p and len(runs) == 1
    pen = clv.fit_bgnbd(s, penalizer=0.1)
    assert len(runs) == 2 and pen != p
    assert clv.fit_bgnbd(s, x0=np.log([1.0, 2.0, 1.0, 1.0])) is not None and len(runs) == 3
    clv._LAST_STATS.clear()
    assert clv.fit_bgnbd(s) == p and len(runs) == 4        # computed again: the same fit
    s2 = s.copy()
    s2.loc[6, "recency"] = 11.0                             # an edited summary: a new fit
    assert clv.fit_bgnbd(s2) != p and len(runs) == 5
