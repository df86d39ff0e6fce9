"""insight.returns on integer codes: hand cases with duplicate lines, mixed-case and
missing status, missing ids and returns that match no line."""
import numpy as np
import pandas as pd
import pytest

from insight import returns as R


def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def lines():
    # o1: p1 twice (one pair), p2;  o2: p1 "CANCELLED" (not counted);  o3: p2, status
    # missing (counted);  o4: p1 without category;  o5: no product id
    return pd.DataFrame({
        "order_id": ["o1", "o1", "o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["c1", "c1", "c1", "c2", "c2", "c3", "c3"],
        "order_date": T(["2024-01-01"] * 3 + ["2024-01-02", "2024-01-20", "2024-01-03",
                                              "2024-03-01"]),
        "product_id": ["p1", "p1", "p2", "p1", "p2", "p1", None],
        "category": ["a", "a", "b", "a", "b", None, "b"],
        "status": ["delivered", "delivered", "delivered", "CANCELLED", None, "Backordered",
                   "delivered"],
    })


@pytest.fixture
def rets():
    # (o1, p1) twice = one returned pair; (o3, p2); (o9, p1) matches no line
    return pd.DataFrame({"return_id": ["r1", "r2", "r3", "r4"],
                         "order_id": ["o1", "o1", "o3", "o9"],
                         "product_id": ["p1", "p1", "p2", "p1"],
                         "customer_id": ["c1", "c1", "c2", "c9"],
                         "return_date": T(["2024-01-05"] * 4),
                         "reason_code": ["size", "size", None, "late"]})


def test_return_rates_per_pair(lines, rets):
    out = R.rates(lines, rets).set_index("product_id")
    # kept lines: o1-p1 (once), o1-p2, o3-p2 (o4 is backordered, o2 cancelled)
    assert out.loc["p1", ["k", "n"]].tolist() == [1, 1]
    assert out.loc["p2", ["k", "n"]].tolist() == [1, 2]
    assert out.attrs["unmatched_returns"] == 1                     # (o9, p1)
    cat = R.rates(lines, rets, by="category").set_index("category")
    assert cat.loc["a", ["k", "n"]].tolist() == [1, 1] and cat.loc["b", ["k", "n"]].tolist() == [1, 3]
    assert cat.index.tolist() == ["a", "b"]


def test_backorder_rates_case_insensitive(lines):
    out = R.rates(lines, kind="backorder").set_index("product_id")
    assert out.loc["p1", ["k", "n"]].tolist() == [1, 4] and out.loc["p2", ["k", "n"]].tolist() == [0, 2]


def test_within_takes_first_category(lines, rets):
    out = R.rates(lines, rets, within="category").set_index("product_id")
    assert out.loc["p1", "category"] == "a" and out.loc["p2", "category"] == "b"


def test_repurchase_after_return_first_orders(lines, rets):
    r = R.repurchase_after_return(lines, rets, window_days=30, as_of="2024-12-31")
    rates = r.rates.set_index("group")
    # first orders: c1 o1 (returned, no later order), c2 o2 (kept: o3 on 01-20 is 18 days
    # later -> yes), c3 o4 (kept: o5 on 03-01 is 58 days later -> no)
    assert rates.loc["returned", ["k", "n"]].tolist() == [0, 1]
    assert rates.loc["kept", ["k", "n"]].tolist() == [1, 2]


def test_repurchase_after_return_counts_from_each_orders_first_line():
    # o1's lines 01-10 and 01-01: it was placed 01-01, the earliest line; o3 has a line
    # without a date: it was placed 01-05.  Window 20 days, as_of 01-25: only orders
    # placed by 01-05 are observed (o1 would not be, dated 01-10)
    lines = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o3", "o4"],
        "customer_id": ["c1", "c1", "c1", "c2", "c2", "c2"],
        "order_date": T(["2024-01-10", "2024-01-01", "2024-01-25", None, "2024-01-05",
                         "2024-01-20"]),
        "product_id": "p1"})
    rets = pd.DataFrame({"return_id": ["r1"], "order_id": ["o1"], "product_id": ["p1"]})
    r = R.repurchase_after_return(lines, rets, window_days=20, as_of="2024-01-25")
    rates = r.rates.set_index("group")
    # c1: next line after 01-01 is o1's own 01-10 line (9 days); c2: o4, 15 days after 01-05
    assert rates.loc["returned", ["k", "n"]].tolist() == [1, 1]
    assert rates.loc["kept", ["k", "n"]].tolist() == [1, 1]
    assert r.extra["unobserved"] == 0
