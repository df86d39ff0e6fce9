"""retention on codes: the few-id lookup, first-experience matching through order ids,
the log-rank test on integer group codes, cohorts without sorting (hand values)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import survdiff

from insight import retention as r
from insight.contract import Dataset

T = pd.Timestamp


def _str(values):
    return pd.Series(pd.array(values, dtype="str"))


def test_lookup_few_hand_positions():
    idx = pd.Index(_str([f"o{i}" for i in range(100)]))
    got = r._lookup_few(_str(["o7", None, "o99", "nope", "o7"]), idx)
    assert got.tolist() == [7, -1, 99, -1, 7]


def _ds():
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["a", "a", "b", "b"],
        "order_date": [T("2024-01-01"), T("2024-02-01"), T("2024-01-10"), T("2024-03-01")],
        "product_id": "p", "quantity": 1.0, "unit_price": 1.0,
        "promised_date": [T("2024-01-03"), T("2024-02-03"), T("2024-01-12"), T("2024-03-03")],
        "delivered_date": [T("2024-01-03"), T("2024-02-03"), T("2024-01-12"), T("2024-03-03")]})
    complaints = pd.DataFrame({
        # t1: no customer id, tied to a's first order o1 (opened after a's second order)
        # t2: unknown customer id, order o4 (b's second order): via the order -> b, but
        #     opened after b's second order -> outside b's first window
        # t3: b's own ticket inside b's first window, never resolved
        "ticket_id": ["t1", "t2", "t3"], "customer_id": [None, "zz", "b"], "order_id": ["o1", "o4", None],
        "opened_at": [T("2024-02-20"), T("2024-03-05"), T("2024-01-20")],
        "resolved_at": [T("2024-03-01"), T("2024-03-06"), pd.NaT]})  # as_of = 2024-03-01
    frames = {"orders": orders, "complaints": complaints}
    return Dataset(**{k: v.astype({c: "str" for c in ("order_id", "customer_id") if c in v}) for k, v in frames.items()})


def test_first_experience_ticket_matching():
    fe = r.first_experience(_ds())
    assert fe["experience"].astype(str).to_dict() == {"a": "complaint_resolved", "b": "complaint_unresolved"}
    assert fe["days_to_next"].to_dict() == {"a": 31.0, "b": 51.0}
    assert fe.index.dtype == "str" and fe.index.name == "customer_id"


def test_logrank_on_ranked_codes_equals_the_labels():
    rng = np.random.default_rng(4)
    labels = np.array(["on_time", "late", "return", "unknown"])[rng.integers(0, 4, 300)]
    dur = rng.exponential(30, 300).round()
    st = (rng.random(300) < 0.7).astype(int)
    codes = np.searchsorted(np.unique(labels), labels)        # ranks in label order
    assert survdiff(dur, st, codes) == survdiff(dur, st, labels)


def test_cohorts_first_period_and_active_customers():
    o = pd.DataFrame({"order_id": ["1", "2", "3", "4", "5", "6"], "customer_id": ["a", "a", "a", "b", "b", "c"],
                      "order_date": [T("2024-01-05"), T("2024-01-20"), T("2024-03-02"), T("2024-02-10"),
                                     T("2024-02-11"), T("2024-03-30")],
                      "product_id": "p", "quantity": 1.0, "unit_price": 1.0})
    c = r.cohorts(o, calendar="gregorian").set_index(["cohort", "offset"])
    # a: Jan (two orders count once), Mar; b: Feb twice; c: Mar
    assert c.loc[("2024-01", 0), ["cohort_size", "active"]].tolist() == [1, 1]
    assert c.loc[("2024-01", 1), "active"] == 0 and c.loc[("2024-01", 2), "active"] == 1
    assert c.loc[("2024-02", 0), ["cohort_size", "active"]].tolist() == [1, 1]
    assert c.loc[("2024-02", 1), "active"] == 0
    assert c.loc[("2024-03", 0), ["cohort_size", "active"]].tolist() == [1, 1]
    assert len(c) == 6  # offsets up to the last period only


def test_lookup_few_long_ids_hash_path():
    # ids longer than 8 bytes: the few distinct values are hashed (no short-id matcher)
    idx = pd.Index(_str([f"order-{i:06d}" for i in range(100)]))
    got = r._lookup_few(_str(["order-000007", None, "order-000099", "nope", "order-000007"]), idx)
    assert got.tolist() == [7, -1, 99, -1, 7]


def test_first_experience_return_tied_to_another_customers_first_order():
    d = _ds()
    # r1: customer a's id but b's first order o3, after both windows: tied to o3 -> b
    # r2: a's second order o2, after a's window: neither tied nor inside a window
    returns = pd.DataFrame({"return_id": ["r1", "r2"], "order_id": ["o3", "o2"], "customer_id": ["a", "a"],
                            "return_date": [T("2024-03-01"), T("2024-02-25")]}).astype(
        {"order_id": "str", "customer_id": "str"})
    fe = r.first_experience(Dataset(orders=d.orders, complaints=d.complaints, returns=returns))
    assert fe["returned"].to_dict() == {"a": False, "b": True}
    assert fe["experience"].astype(str).to_dict() == {"a": "complaint_resolved", "b": "return"}


def test_curves_frame_is_the_concatenation_of_group_frames():
    curves = [("late", np.array([1.0, 4.0]), np.array([0.5, 0.25]), np.array([0.1, 0.0]), np.array([0.9, 0.7]),
               np.array([4, 2])),
              ("on_time", np.array([2.0]), np.array([0.75]), np.array([0.3]), np.array([0.95]), np.array([8]))]
    got = r._curves_frame(curves)
    want = pd.concat([pd.DataFrame({"group": g, "days": d, "survival": s, "ci_low": lo, "ci_high": hi, "at_risk": n})
                      for g, d, s, lo, hi, n in curves], ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got["group"].tolist() == ["late", "late", "on_time"] and got["at_risk"].tolist() == [4, 2, 8]


def test_km_ci_with_a_known_quantile():
    from statsmodels.duration.survfunc import SurvfuncRight

    sf = SurvfuncRight(np.array([1.0, 2, 3, 3, 5, 8]), np.array([1, 0, 1, 1, 0, 1]))
    lo, hi = r._km_ci(sf)
    lo2, hi2 = r._km_ci(sf, z=r._norm_quantile(0.975))
    assert (lo == lo2).all() and (hi == hi2).all()
    assert r._norm_quantile(0.975) == 1.959963984540054


def test_first_experience_first_order_values_by_hand():
    d = _ds()
    e = r._first_experience(d, None)
    # a: o1 on 01-01 (next o2 on 02-01), b: o3 on 01-10 (next o4 on 03-01); all on time, value 1
    assert e["fdate"].tolist() == [T("2024-01-01").value, T("2024-01-10").value]
    assert e["ndate"].tolist() == [T("2024-02-01").value, T("2024-03-01").value]
    assert e["late"].tolist() == [0, 0] and e["fval"].tolist() == [1.0, 1.0]
    from insight.journey import _first_rows
    assert _first_rows(e["ot"]).tolist() == [0, 2] and not _first_rows(e["ot"]).flags.writeable
