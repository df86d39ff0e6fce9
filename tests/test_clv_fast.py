"""clv.summary_from_orders from the cached order table (insight.journey.order_table):
hand-computed transactions, and the same frame as the line path when a condition fails."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import clv, journey


def _orders(**change) -> pd.DataFrame:
    # a: o1 (10 + 3) and o2 (7) on Jan 1 -> one transaction of 20 made of two orders;
    #    o3 on Jan 5: 4 kept, 100 cancelled.  b: Jan 3 (10), Jan 8 (2.5), o5 on Jan 10
    #    all cancelled (not a purchase, not the last day).  c: Jan 4 (3 x 2).
    d = {"order_id": ["o1", "o4", "o1", "o2", "o6", "o3", "o3", "o5", "o7"],
         "customer_id": ["a", "b", "a", "a", "c", "a", "a", "b", "b"],
         "order_date": ["2024-01-01 10:00", "2024-01-03", "2024-01-01 10:00", "2024-01-01 15:00",
                        "2024-01-04", "2024-01-05", "2024-01-05", "2024-01-10", "2024-01-08"],
         "quantity": [2.0, 1, 1, 1, 3, 1, 1, 1, 1],
         "unit_price": [5.0, 10, 3, 7, 2, 4, 100, 50, 2.5],
         "status": ["delivered", "delivered", "delivered", "delivered", "delivered", "delivered",
                    "cancelled", "Cancelled", "delivered"]}
    d.update(change)
    o = pd.DataFrame(d)
    o["order_date"] = pd.to_datetime(o["order_date"], format="ISO8601")
    return o.astype({c: "str" for c in ("order_id", "customer_id", "status")})


@pytest.fixture(autouse=True)
def _no_kept_summaries(monkeypatch):
    # each call computes (these tests compare the paths on one frame)
    monkeypatch.setattr(clv, "_SUMMARIES_MAX", 0)


def _line_path_only(monkeypatch):
    monkeypatch.setattr(clv, "_tx_from_order_table", lambda *a: None)


def test_summary_from_the_order_table_hand_computed(monkeypatch):
    o = _orders()
    journey.order_table(o)                      # cached, as after a report's prepare step
    calls = []
    real = clv._tx_from_order_table
    monkeypatch.setattr(clv, "_tx_from_order_table", lambda *a: calls.append(real(*a)) or calls[-1])
    s = clv.summary_from_orders(o, freq="D")
    assert calls and calls[0] is not None       # the order-table path was taken
    assert s.index.tolist() == ["a", "b", "c"] and s.index.name == "customer_id" and s.index.dtype == "str"
    cols = ["frequency", "recency", "T", "monetary_value", "first_value"]
    assert s.loc["a", cols].tolist() == [1, 4, 7, 4, 20]      # last purchase day Jan 8
    assert s.loc["b", cols].tolist() == [1, 5, 5, 2.5, 10]
    assert s.loc["c", ["frequency", "recency", "T", "first_value"]].tolist() == [0, 0, 4, 6]
    assert np.isnan(s.loc["c", "monetary_value"])
    assert s.attrs["calibration_end"] == pd.Timestamp("2024-01-08")
    monkeypatch.setattr(clv, "_tx_from_order_table", lambda *a: None)
    line = clv.summary_from_orders(o, freq="D")
    pd.testing.assert_frame_equal(s, line, check_exact=True)
    assert s.attrs == line.attrs


@pytest.mark.parametrize("change", [
    # o1's second line a day later: o1 is two transactions of a
    {"order_date": ["2024-01-01 10:00", "2024-01-03", "2024-01-02", "2024-01-01 15:00", "2024-01-04",
                    "2024-01-05", "2024-01-05", "2024-01-10", "2024-01-08"]},
    # a line without order id, a line of o7 with another customer, an order without customer id
    {"order_id": ["o1", "o4", None, "o2", "o6", "o3", "o3", "o5", "o7"]},
    {"customer_id": ["a", "b", "a", "a", "c", "a", "a", "b", "a"]},
    {"customer_id": ["a", "b", "a", "a", None, "a", "a", "b", "b"]},
])
def test_summary_order_table_conditions_fall_back_to_the_same_result(monkeypatch, change):
    o = _orders(**change)
    journey.order_table(o)
    s = clv.summary_from_orders(o, freq="W")
    _line_path_only(monkeypatch)
    line = clv.summary_from_orders(o, freq="W")
    pd.testing.assert_frame_equal(s, line, check_exact=True)
    assert s.attrs == line.attrs


def test_summary_with_a_missing_order_date_does_not_take_the_order_table(monkeypatch):
    # (the line path itself does not handle a missing order date yet: only the fast
    # path's guard is tested here)
    o = _orders(order_date=["2024-01-01 10:00", "2024-01-03", "2024-01-01 10:00", None, "2024-01-04",
                            "2024-01-05", "2024-01-05", "2024-01-10", "2024-01-08"])
    journey.order_table(o)
    ns = o["order_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    day = np.where(ns == np.iinfo(np.int64).min, ns, ns // (86_400 * 10 ** 9))
    assert clv._tx_from_order_table(o, None, day, np.ones(len(o))) is None


def test_summary_without_a_cached_order_table_takes_the_line_path(monkeypatch):
    o = _orders()
    assert clv._cached_order_table(o) is None
    s = clv.summary_from_orders(o.copy(), freq="D")
    assert s.loc["a", "first_value"] == 20 and s.loc["b", "monetary_value"] == 2.5
