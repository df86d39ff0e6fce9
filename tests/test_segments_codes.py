"""segments on id codes: line -> customer codes, quantile
scores from order statistics, order counting and the per-order return rate (hand values)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from insight import segments as sg


def _str(values):
    return pd.Series(pd.array(values, dtype="str"))


def test_line_customers_codes_into_sorted_kept_ids():
    o = pd.DataFrame({"customer_id": pd.array(["c", "a", "b", "c", "a"], dtype="str")})
    keep = np.array([True, True, False, True, True])
    code, ids = sg._line_customers(o, keep)
    assert ids.tolist() == ["a", "c"] and ids.name == "customer_id"
    assert code.tolist() == [1, 0, -1, 1, 0]


def test_quantile_score_order_statistics_match_the_definition():
    # n = 3: 0, 1, 2 worse -> 1 + 0, 1 + 5 // 3, 1 + 10 // 3
    assert sg.quantile_score([10.0, 20.0, 30.0]).tolist() == [1, 2, 4]
    assert sg.quantile_score([30.0, 10.0, 20.0], higher_is_better=False).tolist() == [1, 4, 2]
    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 11, 100, 1003):
        for v in (rng.integers(0, 4, n).astype(float), rng.exponential(size=n).round(2)):
            srt = np.sort(v)
            want = 1 + (5 * np.searchsorted(srt, v, side="left")) // n
            assert sg.quantile_score(v).tolist() == want.tolist()
    # missing values keep the sort-based definition (NaN counts as the largest)
    assert sg.quantile_score([np.nan, 1.0, 2.0]).tolist() == [4, 1, 2]


def _orders(rows, status=None):
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "quantity", "unit_price"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["quantity"] = df["quantity"].astype(float)
    df["unit_price"] = df["unit_price"].astype(float)
    if status is not None:
        df["status"] = status
    return df.astype({"order_id": "str", "customer_id": "str"})


def test_rfm_frequency_when_an_order_has_two_customers_or_no_id():
    o = _orders([
        ("o1", "a", "2024-01-01", 1, 10),
        ("o1", "b", "2024-01-01", 1, 20),   # the same order id for b: one order for each
        ("o2", "a", "2024-01-05", 1, 30),
        (None, "b", "2024-01-06", 1, 40),   # lines without an order id: one order for b
        (None, "b", "2024-01-07", 1, 50),
    ])
    r = sg.rfm(o)
    assert r["frequency"].to_dict() == {"a": 2, "b": 2}
    assert r["monetary"].to_dict() == {"a": 40.0, "b": 110.0}
    assert r["recency_days"].to_dict() == {"a": 2, "b": 0}


def test_profile_return_rate_per_order_uses_purchase_lines():
    o = _orders([
        ("o1", "a", "2024-01-01", 1, 10),
        ("o1", "a", "2024-01-01", 1, 10),
        ("o2", "a", "2024-01-20", 1, 10),
        ("o3", "b", "2024-01-10", 1, 10),   # cancelled only: not an order
        ("o4", "b", "2024-01-15", 1, 10),
    ], status=["delivered", "delivered", "cancelled", "cancelled", "delivered"])
    r = sg.rfm(o)
    # as_of = 2024-01-15 (o2 is cancelled); a: recency 14 -> R 1, F 1 "lost"; b: R 3, F 1
    assert r["segment"].astype(str).to_dict() == {"a": "lost", "b": "about to sleep"}
    returns = pd.DataFrame({"order_id": pd.array(["o1", "o3"], dtype="str")})
    p = sg.profile(r, returns=returns, orders=o)
    # a's order o1 was returned; b's only order is o4 (o3 was cancelled)
    assert p.loc["lost", ["n_return", "return_rate"]].tolist() == [1, 1.0]
    assert p.loc["about to sleep", ["n_return", "return_rate"]].tolist() == [1, 0.0]
    assert p["n_return"].sum() == 2 and p.attrs["return_rate_unit"] == "orders"


def test_last_kept_date_and_purchase_lines():
    d = pd.to_datetime(["2024-01-03", "2024-01-09", "2024-01-05", "2024-01-09"]).to_numpy("datetime64[ns]")
    T = pd.Timestamp
    assert sg._last_kept_date(d, None) == T("2024-01-09")
    # one of the two latest lines kept: its date; both dropped: the latest kept (masked path)
    assert sg._last_kept_date(d, np.array([True, False, True, True])) == T("2024-01-09")
    assert sg._last_kept_date(d, np.array([True, False, True, False])) == T("2024-01-05")
    assert sg._last_kept_date(d, np.zeros(4, bool)) > T("2024-06-01")        # none kept: now
    nat = d.copy()
    nat[0] = np.datetime64("NaT", "ns")
    assert sg._last_kept_date(nat, np.array([False, True, True, True])) == T("2024-01-09")
    assert pd.isna(sg._last_kept_date(nat, np.array([True, True, True, True])))  # numpy's max: NaT
    o = pd.DataFrame({"status": pd.array(["delivered", "cancelled", None, "Cancelled", "returned"], dtype="str")})
    assert sg._purchase_lines(o).tolist() == [True, False, True, False, True]   # two cancelled labels
    assert sg._purchase_lines(o.iloc[[0, 1, 2]]).tolist() == [True, False, True]  # one label
    assert sg._purchase_lines(o.iloc[[0, 2, 4]]) is None
    # rfm's as_of: the latest purchase line (the cancelled 01-09 line does not count)
    orders = pd.DataFrame({"customer_id": _str(["a", "b", "a"]), "order_id": _str(["o1", "o2", "o3"]),
                           "order_date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-04"]),
                           "quantity": [1.0, 1.0, np.nan], "unit_price": [5.0, 7.0, 3.0],
                           "status": _str(["delivered", "cancelled", "delivered"])})
    t = sg.rfm(orders)
    assert t.attrs["as_of"] == T("2024-01-04") and t.index.tolist() == ["a"]
    assert t["monetary"].tolist() == [5.0] and t["recency_days"].tolist() == [0]


def test_quantile_score_counting_path_for_whole_numbers():
    # 10 values; m_s = 2, 4, 6, 8 -> order statistics 2nd, 4th, 6th, 8th smallest
    v = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    # sorted 1 1 2 3 3 4 5 5 6 9: thresholds 1, 3, 4, 5 -> score 1 + #(v > t)
    assert sg.quantile_score(v).tolist() == [2, 1, 3, 1, 4, 5, 2, 5, 4, 2]
    # lower is better: #strictly worse = #larger (v=2: 7 larger -> 1 + 35 // 10 = 4)
    assert sg.quantile_score(v, higher_is_better=False).tolist() == [3, 5, 3, 5, 2, 1, 4, 1, 2, 3]
    # same scores as the float (partition) path
    for hib in (True, False):
        assert sg.quantile_score(v, hib).tolist() == sg.quantile_score(v.astype(float), hib).tolist()
    wide = np.array([0, 10**9, 5, 5])      # range too wide for counts: the partition path
    assert sg.quantile_score(wide).tolist() == sg.quantile_score(wide.astype(float)).tolist() == [1, 4, 2, 2]


def test_profile_same_for_str_and_object_index():
    orders = pd.DataFrame({"customer_id": _str(["a", "b", "c", "a"]), "order_id": _str(["o1", "o2", "o3", "o4"]),
                           "order_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-09"]),
                           "quantity": [1.0, 2.0, 1.0, 1.0], "unit_price": [10.0, 5.0, 7.0, 3.0]})
    t = sg.rfm(orders)
    surveys = pd.DataFrame({"customer_id": _str(["a", "c", "c", "z"]), "nps": [10.0, 0.0, 9.0, 10.0]})
    complaints = pd.DataFrame({"customer_id": _str(["b", "b"])})
    a = sg.profile(t, surveys=surveys, complaints=complaints)
    b = sg.profile(t.set_axis(t.index.astype(object)), surveys=surveys, complaints=complaints)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # 3 customers, 3 answers of customers (z is none), one customer with tickets
    assert a["customers"].sum() == 3 and a["n_nps"].sum() == 3 and a["complaint_rate"].mul(a["customers"]).sum() == 1
    assert list(a.columns[:5]) == ["segment_fa", "customers", "customer_share", "revenue", "revenue_share"]
