"""Known answers for the vectorized helpers of insight.followup."""
import numpy as np
import pandas as pd

from insight import followup as F


def test_reason_codes_sorted_distinct_per_customer():
    cust = pd.Series(["b", "a", "b", "b", "a"], dtype="str")
    reason = pd.Series(["return", "late_delivery", "negative_review", "return", "late_delivery"], dtype="str")
    out = F._reason_codes(cust, reason, pd.Index(["b", "a"], dtype="str"))
    assert out.to_dict() == {"b": "negative_review,return", "a": "late_delivery"}
    assert F._reason_labels("negative_review,return") == "نظر منفی (negative_review)؛ مرجوعی (return)"


def test_spend_window_cancelled_and_unknown():
    orders = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", "b", "a", None, "b"],
        "order_date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-02-01", "2023-01-01",
                                      "2024-03-01", "2024-03-02"]),
        "quantity": [1.0, 2.0, 1.0, 5.0, 1.0, np.nan],
        "unit_price": [10.0, 5.0, 7.0, 100.0, 3.0, 8.0],
        "status": ["delivered", "delivered", "Cancelled", "delivered", "delivered", "delivered"]})
    # a: 10 + 10 (o3 is older than 365 days); b: o2 cancelled, o5 has no quantity -> 0; z: no orders
    got = F._spend(orders, pd.Index(["b", "z", "a"], dtype="str"), pd.Timestamp("2024-03-30"))
    assert got.to_dict() == {"b": 0.0, "z": 0.0, "a": 20.0}


def test_mask_distinct_keeps_missing():
    s = pd.Series(["تماس ۰۹۱۲۳۴۵۶۷۸۹", np.nan, "تماس ۰۹۱۲۳۴۵۶۷۸۹", "خوب"], dtype="str")
    out = F._mask_distinct(s)
    assert pd.isna(out.iloc[1]) and out.iloc[0] == out.iloc[2] and "۰۹۱۲" not in out.iloc[0]
    assert out.iloc[3] == "خوب"


def test_followup_list_empty_keeps_columns():
    T = pd.to_datetime
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "order_date": T(["2024-03-20"]),
                           "quantity": [1.0], "unit_price": [100.0], "promised_date": T(["2024-03-22"]),
                           "delivered_date": T(["2024-03-21"]), "status": "delivered"})
    out = F.followup_list({"orders": orders})
    assert len(out) == 0
    assert list(out.columns) == ["rank", "customer_id", "value", "value_source", "signals", "reasons",
                                 "reason_codes", "first_event", "last_event", "days_since", "last_contact",
                                 "excerpt"]
