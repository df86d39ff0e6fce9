"""segments on id codes: short-id keys, id lookups, line -> customer codes, quantile
scores from order statistics, order counting and the per-order return rate (hand values)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from insight import segments as sg


def _str(values):
    return pd.Series(pd.array(values, dtype="str"))


def test_id_keys_sort_like_the_strings_and_flag_what_they_cannot_hold():
    ids = _str(["b", "a", "ab", "", "ba", "é", "z", "aaé", "C000010", "C000009"])
    keys, ok = sg._id_keys(ids)
    assert ok.all()
    got = ids.to_numpy()[np.argsort(keys, kind="stable")].tolist()
    assert got == sorted(ids.tolist())  # "", "C000009", "C000010", "a", "aaé", "ab", "b", "ba", "z", "é"
    assert len(set(keys.tolist())) == len(ids)
    # missing, longer than 8 bytes (UTF-8: "ééééé" is 10 bytes), NUL byte: no key
    keys, ok = sg._id_keys(_str(["a", None, "123456789", "ééééé", "a\x00", "12345678"]))
    assert ok.tolist() == [True, False, False, False, False, True]
    assert sg._id_keys(pd.Series([1, 2])) is None          # not Arrow strings
    assert sg._short_id_keys(pd.Index(_str(["a", None]))) is None


def test_lookup_ids_hand_positions():
    idx = pd.Index(_str(["c2", "a1", "b3"]))                 # not sorted
    vals = [_str(["b3", None, "zz", "a1", "a-much-longer-id"]), _str(["c2", "c2"])]
    got = sg._lookup_ids(vals, idx)
    assert [g.tolist() for g in got] == [[2, -1, -1, 1, -1], [0, 0]]
    # ids the keys cannot hold: the general lookup gives the same answer
    long_idx = pd.Index(_str(["customer-000002", "customer-000001"]))
    assert sg._lookup_ids([_str(["customer-000001", "x"])], long_idx)[0].tolist() == [1, -1]


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
