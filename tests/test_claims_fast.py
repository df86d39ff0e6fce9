"""claims internals restructured for speed, against hand-counted answers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import claims as cl
from insight.contract import Dataset


def _ds(orders):
    return Dataset(orders=orders.astype({"order_id": "str", "customer_id": "str"}))


def test_distinct_customers_counts_ordering_customers_and_prospects_once():
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["a", "b", "c", "d"],
                           "order_date": pd.to_datetime(["2024-01-01"] * 4), "quantity": 1.0,
                           "unit_price": 1.0, "status": ["delivered", "delivered", "delivered", "cancelled"]})
    ds = _ds(orders)
    s1 = pd.Series(["a", "b", None, "x", "a"], dtype="str")       # x: a prospect (never ordered)
    s2 = pd.Series(["b", "y", "x", "d", np.nan], dtype="str")     # d: only a cancelled order
    s3 = pd.Series([], dtype="str")
    # distinct non-missing ids: a, b, x, y, d -> 5; s1 alone: a, b, x -> 3
    assert cl._distinct_customers(ds, [s1, s2, s3]) == 5
    assert cl._distinct_customers(ds, [s1]) == 3
    assert cl._distinct_customers(ds, [s3]) == 0
    for parts in ([s1, s2, s3], [s1], [s2]):
        assert cl._distinct_customers(ds, parts) == pd.concat(parts).dropna().nunique()


def test_negative_vs_positive_weight_equals_the_per_order_regression_written_out():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    rows, comp = [], []
    for c in range(40):
        day = 0
        for k in range(12):
            late = rng.random() < (0.6 if k < 6 else 0.1)   # deliveries improve over time
            oid = f"o{c}_{k}"
            rows.append((oid, f"c{c:02d}", day, late))
            ticket = rng.random() < 0.25   # a ticket on this order, unresolved half of the time
            if ticket:
                comp.append((f"t{oid}", oid, f"c{c:02d}", day + 1, rng.random() < 0.5))
            # a bad experience makes a long gap (no order within 180 days) likelier
            day += int(rng.choice([20, 250, 250] if late or ticket else [20, 100, 100, 250]))
    t0 = pd.Timestamp("2020-01-01")
    d = lambda days: t0 + pd.to_timedelta(np.asarray(days), unit="D")
    orders = pd.DataFrame({"order_id": [r[0] for r in rows], "customer_id": [r[1] for r in rows],
                           "order_date": d([r[2] for r in rows]), "quantity": 1.0, "unit_price": 1.0,
                           "promised_date": d([r[2] + 5 for r in rows]),
                           "delivered_date": d([r[2] + (9 if r[3] else 3) for r in rows])})
    complaints = pd.DataFrame({"ticket_id": [x[0] for x in comp], "order_id": [x[1] for x in comp],
                               "customer_id": [x[2] for x in comp], "opened_at": d([x[3] for x in comp]),
                               "resolved_at": [pd.NaT if x[4] else t0 + pd.Timedelta(days=x[3] + 2) for x in comp]})
    orders = orders.astype({"order_id": "str", "customer_id": "str"})
    complaints = complaints.astype({"ticket_id": "str", "order_id": "str", "customer_id": "str"})
    claim = cl.negative_vs_positive_weight(Dataset(orders=orders, complaints=complaints))
    # the same regression, one row per order, counts by a plain cumulative sum per customer
    o = orders.sort_values(["customer_id", "order_date"]).reset_index(drop=True)
    tk = complaints.set_index("order_id")
    has = o["order_id"].isin(tk.index)
    unres = has & o["order_id"].map(tk["resolved_at"]).isna()
    good = ((o["delivered_date"] <= o["promised_date"]) & ~has).astype(int)
    pos = good.groupby(o["customer_id"]).cumsum().clip(upper=20)
    neg = unres.astype(int).groupby(o["customer_id"]).cumsum().clip(upper=5)
    nxt = o.groupby("customer_id")["order_date"].shift(-1)
    y = ((nxt - o["order_date"]).dt.days <= 180).astype(float)
    obs = o["order_date"] + pd.Timedelta(days=180) <= o["order_date"].max()
    X = sm.add_constant(np.column_stack([pos[obs], neg[obs]]).astype(float))
    b = sm.GLM(y[obs].to_numpy(), X, family=sm.families.Binomial()).fit().params
    assert claim.n == int(obs.sum())
    assert claim.estimate == pytest.approx(-b[2] / b[1], rel=1e-6)


def _delivery_ds():
    # 80 customers, first order on Jan 1: c00-c39 delivered the next day (fast), c40-c79
    # after 5 days (slow).  Ordered again 30 days later: 30 fast and 10 slow customers;
    # 200 days later: the others.  Second orders carry no delivery date (not counted).
    ids = [f"c{i:02d}" for i in range(80)]
    again = [30 if (i < 30 or 40 <= i < 50) else 200 for i in range(80)]
    t0 = pd.Timestamp("2024-01-01")
    orders = pd.DataFrame({
        "order_id": [f"a{i}" for i in range(80)] + [f"b{i}" for i in range(80)],
        "customer_id": ids + ids,
        "order_date": [t0] * 80 + [t0 + pd.Timedelta(days=g) for g in again],
        "delivered_date": [t0 + pd.Timedelta(days=1 if i < 40 else 5) for i in range(80)] + [pd.NaT] * 80,
        "quantity": 1.0, "unit_price": 1.0})
    reviews = pd.DataFrame({"review_id": [f"r{i}" for i in range(80)], "order_id": [f"a{i}" for i in range(80)],
                            "customer_id": ids, "rating": [4.0, 5.0] * 20 + [2.0, 3.0] * 20})
    return Dataset(orders=orders.astype({"order_id": "str", "customer_id": "str"}),
                   reviews=reviews.astype({"review_id": "str", "order_id": "str", "customer_id": "str"}))


def test_fast_delivery_checks_hand_counted_with_shared_delivery_days():
    ds = _delivery_ds()
    rep = cl.fast_delivery_repurchase(ds, as_of="2024-12-31")
    assert rep.n == 80 and rep.estimate == pytest.approx(30 / 40 - 10 / 40) and rep.verdict == "supported"
    assert "75.0%" in rep.detail and "25.0%" in rep.detail
    rat = cl.fast_delivery_rating(ds)
    assert rat.n == 80 and rat.estimate == pytest.approx(4.5 - 2.5)
    # within check_all the delivery days are computed once and shared: same claims (the
    # default as_of, the last order date, still observes every first order's window)
    with np.errstate(all="ignore"):
        out = cl.check_all(ds).set_index("name")
    assert out.loc[rep.name, "estimate"] == rep.estimate and out.loc[rep.name, "n"] == 80
    assert out.loc[rat.name, "estimate"] == rat.estimate and out.loc[rat.name, "n"] == 80


def test_check_all_finds_the_default_as_of_once(monkeypatch):
    ds = _delivery_ds()
    calls = []
    real = cl._as_of
    monkeypatch.setattr(cl, "_as_of", lambda d, a: calls.append(a) or real(d, a))
    with np.errstate(all="ignore"):
        out = cl.check_all(ds)
    assert calls == [None]                                   # the last order date, once
    assert cl._asof(ds, None) == pd.Timestamp("2024-07-19").value   # (outside check_all: computed)
    assert cl._asof(ds, "2024-12-31") == pd.Timestamp("2024-12-31").value
    rep = out.set_index("name").loc["delivery_within_2_days_repurchase"]
    assert rep["n"] == 80 and rep["estimate"] == pytest.approx(0.5)
