"""RFM scores, named segments, profiles and migration."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import segments as sg


def _orders(rows):
    """rows: (order_id, customer_id, date, quantity, unit_price)."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "quantity", "unit_price"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["product_id"] = "p"
    df["quantity"] = df["quantity"].astype(float)
    df["unit_price"] = df["unit_price"].astype(float)
    return df.astype({"order_id": "str", "customer_id": "str"})


def test_quantile_score_hand_computed():
    # 10 distinct values: quintiles of two each
    assert sg.quantile_score(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties share a score: six 1s (0 worse -> 1), two 2s (6 worse -> 1 + 30 // 8 = 4)
    s = sg.quantile_score([1, 1, 1, 1, 1, 1, 2, 2])
    assert s.tolist() == [1] * 6 + [4, 4]
    # lower is better (recency): smallest gets 5
    assert sg.quantile_score([0, 10, 20, 30, 40], higher_is_better=False).tolist() == [5, 4, 3, 2, 1]
    # tiny data: one customer, two customers, all equal
    assert sg.quantile_score([7]).tolist() == [1]
    assert sg.quantile_score([1, 2]).tolist() == [1, 3]
    assert sg.quantile_score([3, 3, 3]).tolist() == [1, 1, 1]
    assert sg.quantile_score([]).size == 0


def test_grid_mapping_is_complete_and_standard():
    assert len(sg.SEGMENTS) == 11 and set(sg.SEGMENTS) == set(sg.SEGMENTS_FA)
    got = {s for s in sg.segment_of(np.repeat(np.arange(1, 6), 5), np.tile(np.arange(1, 6), 5))}
    assert got == set(sg.SEGMENTS)
    assert sg.segment_of([5, 5, 5, 4, 3, 3, 2, 1, 1, 1], [5, 1, 2, 1, 3, 1, 1, 1, 3, 5]).tolist() == [
        "champions", "new", "potential loyalist", "promising", "need attention", "about to sleep",
        "hibernating", "lost", "at risk", "cannot lose"]
    assert sg.segment_of([4], [4]).tolist() == ["loyal"]


def test_rfm_hand_computed():
    o = _orders([
        ("o1", "a", "2024-01-01", 2, 100),   # a: 2 orders, 3 lines, 200+50+300
        ("o1", "a", "2024-01-01", 1, 50),
        ("o2", "a", "2024-01-31", 1, 300),
        ("o3", "b", "2024-01-21", 1, 10),    # b: 1 order
        ("o4", "c", "2024-01-11", 1, 40),    # c: 2 orders
        ("o5", "c", "2024-01-30", 1, 40),
        ("o6", "d", "2023-12-01", 5, 100),   # d: old, big
        ("o7", "e", "2024-01-31", 1, 5),     # e: cancelled line does not count
        ("o8", "e", "2024-01-31", 1, 999),
    ])
    o["status"] = ["delivered"] * 8 + ["cancelled"]
    r = sg.rfm(o)
    assert r.attrs["as_of"] == pd.Timestamp("2024-01-31")
    assert r.loc["a", ["recency_days", "frequency", "monetary"]].tolist() == [0, 2, 550.0]
    assert r.loc["b", ["recency_days", "frequency", "monetary"]].tolist() == [10, 1, 10.0]
    assert r.loc["c", ["recency_days", "frequency", "monetary"]].tolist() == [1, 2, 80.0]
    assert r.loc["d", ["recency_days", "frequency", "monetary"]].tolist() == [61, 1, 500.0]
    assert r.loc["e", ["recency_days", "frequency", "monetary"]].tolist() == [0, 1, 5.0]
    # R: worse = longer recency; a, e (0 days) have 3 worse -> 1 + 15 // 5 = 4
    assert r["R"].to_dict() == {"a": 4, "b": 2, "c": 3, "d": 1, "e": 4}
    assert r["F"].to_dict() == {"a": 4, "b": 1, "c": 4, "d": 1, "e": 1}
    assert r["M"].to_dict() == {"a": 5, "b": 2, "c": 3, "d": 4, "e": 1}
    assert r.loc["a", "rfm_score"] == "445"
    assert r["segment"].astype(str).to_dict() == {
        "a": "loyal", "b": "hibernating", "c": "loyal", "d": "lost", "e": "promising"}
    assert r.loc["a", "segment_fa"] == sg.SEGMENTS_FA["loyal"]
    # as_of in the past ignores later orders
    r2 = sg.rfm(o, as_of="2024-01-15")
    assert sorted(r2.index) == ["a", "c", "d"] and r2.loc["c", "recency_days"] == 4
    assert r2.loc["a", ["frequency", "monetary"]].tolist() == [1, 250.0]


def test_rfm_errors_and_empty():
    with pytest.raises(ValueError, match="unit_price"):
        sg.rfm(pd.DataFrame({"order_id": ["1"], "customer_id": ["a"], "order_date": [pd.Timestamp(0)],
                             "quantity": [1.0]}))
    o = _orders([("o1", "a", "2024-01-01", 1, 1)])
    assert len(sg.rfm(o, as_of="2023-01-01")) == 0
    one = sg.rfm(o)
    assert one[["R", "F", "M"]].iloc[0].tolist() == [1, 1, 1]


def test_profile_rates_and_nps():
    o = _orders([("o1", "a", "2024-01-31", 1, 100), ("o2", "a", "2024-01-30", 1, 100),
                 ("o3", "b", "2023-06-01", 1, 100), ("o4", "c", "2023-06-01", 1, 200)])
    r = sg.rfm(o)
    seg = r["segment"].astype(str).to_dict()
    assert seg == {"a": "loyal", "b": "lost", "c": "lost"}  # R=4: 2 of 3 worse -> 1 + 10 // 3
    surveys = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"], "nps": [10, 9, 0, 8, 10.0]})
    complaints = pd.DataFrame({"ticket_id": ["t1", "t2"], "customer_id": ["b", "b"]})
    returns = pd.DataFrame({"return_id": ["r1"], "order_id": ["o2"], "product_id": ["p"]})
    p = sg.profile(r, surveys=surveys, complaints=complaints, returns=returns, orders=o)
    assert p.loc["loyal", "customers"] == 1 and p.loc["lost", "customers"] == 2
    assert p.loc["loyal", "revenue_share"] == pytest.approx(200 / 500)
    assert p.loc["loyal", "nps"] == pytest.approx(100.0)
    # lost: answers 0, 8, 10 -> 1/3 promoters - 1/3 detractors = 0
    assert p.loc["lost", "nps"] == pytest.approx(0.0) and p.loc["lost", "n_nps"] == 3
    assert p.loc["lost", "nps_ci_low"] < 0 < p.loc["lost", "nps_ci_high"]
    assert p.loc["lost", "complaint_rate"] == pytest.approx(0.5)  # 1 of 2 customers
    assert p.loc["loyal", "complaint_rate"] == 0.0
    assert p.loc["loyal", "return_rate"] == pytest.approx(0.5)  # 1 of 2 orders
    # Wilson 95 % CI for 1 of 2 (hand value)
    assert p.loc["lost", "complaint_ci_low"] == pytest.approx(0.0945, abs=1e-4)
    assert p.loc["lost", "complaint_ci_high"] == pytest.approx(0.9055, abs=1e-4)
    assert np.isnan(p.loc["new", "complaint_rate"])
    assert "complaint_chi2" in p.attrs["tests"]


def test_migration_counts_and_shares():
    o = _orders([("o1", "a", "2024-01-01", 1, 1), ("o2", "b", "2024-01-02", 1, 1),
                 ("o3", "a", "2024-02-01", 1, 1), ("o4", "c", "2024-02-02", 1, 1)])
    m = sg.migration(o, "2024-01-15")
    assert m.counts.to_numpy().sum() == 3
    assert m.counts.loc[sg.NEW_ROW].sum() == 1
    before = sg.rfm(o, as_of="2024-01-15")["segment"].astype(str)
    after = sg.rfm(o)["segment"].astype(str)
    assert m.counts.loc[before["a"], after["a"]] >= 1
    rows = m.shares.dropna()
    assert np.allclose(rows.sum(axis=1), 1.0)


@pytest.mark.shared
def test_real_iranian_orders_segment_distribution(shared_data):
    raw = pd.read_csv(shared_data / "iran-ecommerce" / "orders.csv",
                      dtype={"order_id": "str", "customer_id": "str"})
    o = pd.DataFrame({
        "order_id": raw["order_id"], "customer_id": raw["customer_id"],
        "order_date": pd.to_datetime(raw["created_ts"], format="%m/%d/%Y %H:%M"),
        "product_id": "x", "quantity": 1.0, "unit_price": raw["total_purchase"].astype(float)})
    r = sg.rfm(o)
    assert len(r) == 14964 and r["frequency"].sum() == 40537
    assert r.attrs["as_of"] == pd.Timestamp("2019-07-22 23:44")
    counts = sg.segment_counts(r)
    assert counts["customers"].to_dict() == REAL_COUNTS
    # 52 % of customers ordered once: they all share F = 1
    assert (r["F"] == 1).sum() == 7825 == (r["frequency"] == 1).sum()
    assert counts["customers"].sum() == 14964


REAL_COUNTS = {
    "champions": 1430, "loyal": 2169, "potential loyalist": 1138, "new": 868, "promising": 1199,
    "need attention": 615, "about to sleep": 1542, "at risk": 1526, "cannot lose": 261,
    "hibernating": 1868, "lost": 2348,
}
