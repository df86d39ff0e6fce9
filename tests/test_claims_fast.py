"""claims internals restructured for speed, against hand-counted answers."""
from __future__ import annotations

import numpy as np
import pandas as pd

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
