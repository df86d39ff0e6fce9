"""Key driver analysis: relative weights, Shapley R^2, quadrant, driver table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from insight import drivers as dr
from insight.contract import Dataset

T = pd.Timestamp


def _data(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = 0.6 * x1 + rng.normal(size=n)
    x3 = (rng.random(n) < 0.3).astype(float)
    y = x1 + 0.5 * x2 - 1.0 * x3 + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "y": y})


def test_weights_sum_to_ols_r2_and_orthogonal_case():
    df = _data()
    r2 = sm.OLS(df["y"], sm.add_constant(df[["x1", "x2", "x3"]])).fit().rsquared
    for f in (dr.relative_weights, dr.shapley_r2):
        w = f(df, "y", ["x1", "x2", "x3"], n_boot=50)
        assert w["weight"].sum() == pytest.approx(r2, rel=1e-9)
        assert w["share"].sum() == pytest.approx(1.0)
        assert w.attrs["r2"] == pytest.approx(r2)
        assert (w["weight_ci_low"] <= w["weight"]).all() and (w["weight"] <= w["weight_ci_high"]).all()
        assert w.set_index("driver").loc["x3", "direction"] == "-"
        assert w["driver"].iloc[0] == "x1"
    # uncorrelated drivers: both methods give the squared correlations
    rng = np.random.default_rng(1)
    X = np.linalg.qr(rng.normal(size=(500, 2)))[0]
    X = (X - X.mean(0)) / X.std(0)
    y = 0.8 * X[:, 0] + 0.3 * X[:, 1] + rng.normal(size=500) * 0.5
    d = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y})
    rc = np.corrcoef(d.to_numpy(), rowvar=False)[:2, 2] ** 2
    for f in (dr.relative_weights, dr.shapley_r2):
        w = f(d, "y", ["a", "b"], n_boot=0).set_index("driver")
        assert w.loc[["a", "b"], "weight"].to_numpy() == pytest.approx(rc, abs=2e-3)


def test_shapley_two_drivers_closed_form():
    df = _data(n=800, seed=4)
    R = np.corrcoef(df[["x1", "x2", "y"]].to_numpy(), rowvar=False)
    r1, r2, r12 = R[0, 2], R[1, 2], R[0, 1]
    full = (r1 ** 2 + r2 ** 2 - 2 * r1 * r2 * r12) / (1 - r12 ** 2)
    w = dr.shapley_r2(df, "y", ["x1", "x2"], n_boot=0).set_index("driver")["weight"]
    assert w["x1"] == pytest.approx(0.5 * r1 ** 2 + 0.5 * (full - r2 ** 2))
    assert w["x2"] == pytest.approx(0.5 * r2 ** 2 + 0.5 * (full - r1 ** 2))


def test_bootstrap_normal_limit_matches_resampling():
    df = _data(n=5000, seed=2)
    A = df[["x1", "x2", "x3", "y"]].to_numpy()
    exact = dr._boot_corrs(A, 300, 0, max_cells=10 ** 12)
    approx = dr._boot_corrs(A, 300, 0, max_cells=1)
    se_e = exact.std(axis=0)[:3, 3]
    se_a = approx.std(axis=0)[:3, 3]
    assert se_a == pytest.approx(se_e, rel=0.2)


def test_errors():
    df = _data(n=50)
    with pytest.raises(ValueError, match="not in the table"):
        dr.relative_weights(df, "y", ["nope"])
    with pytest.raises(ValueError, match="constant"):
        dr.relative_weights(df.assign(c=1.0), "y", ["x1", "c"])


def test_quadrant_and_performance():
    imp = pd.Series({"late": 0.5, "complaint": 0.3, "returned": 0.1, "price": 0.1})
    perf = pd.Series({"late": 0.8, "complaint": 0.95, "returned": 0.97, "price": 0.7})
    q = dr.quadrant(imp, perf).set_index("driver")
    # cut points: importance mean 0.25, performance mean 0.855
    assert q.loc["late", "quadrant"] == "fix first"
    assert q.loc["complaint", "quadrant"] == "keep up"
    assert q.loc["returned", "quadrant"] == "possible overkill"
    assert q.loc["price", "quadrant"] == "low priority"
    assert q.loc["late", "quadrant_fa"] == dr.QUADRANTS["fix first"]
    t = pd.DataFrame({"late": [0, 0, 1, 0.0], "log_value": [1, 2, 3, 4.0]})
    p = dr.performance(t, ["late", "log_value"]).set_index("driver")
    assert p.loc["late", "performance"] == 0.75 and p.loc["log_value", "performance"] == 2.5
    assert p.loc["late", "ci_low"] < 0.75 < p.loc["late", "ci_high"]


def test_build_driver_table_links_feedback_to_orders():
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
        "order_date": [T("2024-01-01"), T("2024-02-01"), T("2024-01-10")],
        "product_id": "p", "quantity": 1.0, "unit_price": [100.0, 200.0, 50.0],
        "promised_date": [T("2024-01-03"), T("2024-02-03"), T("2024-01-12")],
        "delivered_date": [T("2024-01-06"), T("2024-02-02"), T("2024-01-12")]})
    surveys = pd.DataFrame({"response_id": ["s1", "s2", "s3", "s4"], "customer_id": ["a", "a", "b", "x"],
                            "submitted_at": [T("2024-01-08 10:00"), T("2024-02-05"), T("2024-01-13"),
                                             T("2024-01-13")],
                            "nps": [3.0, 9.0, 10.0, 5.0]})
    complaints = pd.DataFrame({"ticket_id": ["t1"], "customer_id": ["a"], "order_id": ["o1"],
                               "opened_at": [T("2024-01-07")], "resolved_at": [pd.NaT]})
    ds = Dataset(orders=orders, surveys=surveys, complaints=complaints)
    t = dr.build_driver_table(ds, "nps").set_index("response_id")
    assert t.attrs["dropped"] == 1  # customer x never ordered
    assert t.loc["s1", "order_id"] == "o1" and t.loc["s2", "order_id"] == "o2"
    assert t.loc["s1", ["late", "days_late", "delivery_days", "complaint", "unresolved"]].tolist() == [1, 3, 5, 1, 1]
    assert t.loc["s2", ["late", "complaint"]].tolist() == [0, 0]
    assert t.loc["s3", "log_value"] == pytest.approx(np.log1p(50))
    with pytest.raises(ValueError, match="reviews"):
        dr.build_driver_table(ds, "rating")


def test_key_drivers_on_generated_data_finds_late_delivery():
    from insight import sample

    ds = sample.generate(customers=3000, seed=11)
    kd = dr.key_drivers(ds, "nps", n_boot=100).set_index("driver")
    # NPS is built with a -2.5 point late-delivery effect and complaint effects
    assert kd.loc["late", "ols_coef"] < 0 and kd.loc["late", "ols_p_value"] < 1e-3
    assert kd.loc["late", "share_ci_low"] > 0.1
    assert kd["rank"].min() == 1 and kd.loc[["late", "unresolved"], "rank"].min() <= 2
