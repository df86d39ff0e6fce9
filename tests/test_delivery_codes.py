"""insight.delivery on integer codes: hand cases for the review -> order match and the
first-order choice of repurchase_by_delivery (missing ids, NaT dates, cached frames)."""
import numpy as np
import pandas as pd
import pytest

from insight import delivery as D


def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def orders():
    # o1 c1 late (promised 01-02, delivered 01-04); o2 c1 02-01 on time; o3 c2 on time;
    # o4 c2 has no order date (NaT: sorts last, so c2's first order is o3);
    # o5 cancelled (not delivered); o6 has no customer id
    return pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "customer_id": ["c1", "c1", "c2", "c2", "c3", None],
        "order_date": T(["2024-01-01", "2024-02-01", "2024-01-10", None, "2024-01-01",
                         "2024-01-05"]),
        "promised_date": T(["2024-01-02", "2024-02-03", "2024-01-12", "2024-01-20", "2024-01-03",
                            "2024-01-07"]),
        "delivered_date": T(["2024-01-04", "2024-02-02", "2024-01-11", "2024-01-19", None,
                             "2024-01-06"]),
        "status": ["delivered", "delivered", "delivered", "delivered", "cancelled", "delivered"],
    })


def test_delivered_days(orders):
    d = D.delivered(orders)
    assert d["order_id"].tolist() == ["o1", "o2", "o3", "o4", "o6"]
    assert d["delivery_days"].tolist()[:3] == [3.0, 1.0, 1.0] and np.isnan(d["delivery_days"][3])
    assert d["lateness_days"].tolist() == [2.0, -1.0, -1.0, -1.0, -1.0]
    assert d["late"].tolist() == [True, False, False, False, False]
    d["late"] = False                                  # the caller's copy only
    assert D.delivered(orders)["late"].iloc[0]


def test_reviews_matched_by_order_id(orders):
    reviews = pd.DataFrame({
        "review_id": ["r1", "r2", "r3", "r4", "r5"],
        "customer_id": ["c1", "c2", "c3", "c1", "zz"],
        "product_id": "p", "order_id": ["o1", "o3", "o5", "o1", "nope"],
        "created_at": T(["2024-01-05"] * 5), "rating": [1.0, 5.0, 3.0, np.nan, 4.0], "text": "x"})
    r = D.rating_by_delivery(orders, reviews, bins=[0, 1, 2, np.inf])
    # r4 has no rating; r3's order was cancelled and r5's order is unknown: unmatched
    assert (r.matched, r.unmatched) == (2, 2)
    b = r.by_days.set_index("bin")
    assert b.loc["0–1", "mean"] == 5.0 and b.loc["3+", "mean"] == 1.0
    t = r.by_late.set_index("timing")
    assert t.loc["late", "n"] == 1 and t.loc["on_time", "mean"] == 5.0


def test_repurchase_first_orders(orders):
    r = D.repurchase_by_delivery(orders, window_days=40, as_of="2024-12-31")
    rates = r.rates.set_index("group")
    # first delivered orders: c1 o1 (late; next order 02-01, 28 days after 01-04 -> yes),
    # c2 o3 (on time; o4 has no order date, so no next order), and the orders without
    # a customer id as one customer: o6 (on time, no next order)
    assert rates.loc["late", ["k", "n"]].tolist() == [1, 1]
    assert rates.loc["on_time", ["k", "n"]].tolist() == [0, 2]
    assert r.extra["unobserved"] == 0
