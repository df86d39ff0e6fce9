"""insight.summary: period pairs, latest-vs-previous changes, findings, attribute summary,
repurchase rate, segment shares, CLV by segment, value at risk and claim lines — on small
hand-made frames with hand-computed values."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import summary
from insight.contract import Dataset


def _orders(late_prev: int, late_last: int, n: int = 40) -> pd.DataFrame:
    """n orders on 2024-08-01 (Mordad 1403) and n on 2024-09-01 (Shahrivar 1403); the
    first ``late_*`` of each month delivered two days after the promise."""
    rows = []
    for month, day, late in (("prev", "2024-08-01", late_prev), ("last", "2024-09-01", late_last)):
        for i in range(n):
            d = pd.Timestamp(day)
            rows.append({"order_id": f"{month}{i}", "customer_id": f"C{i}", "order_date": d, "product_id": "P1",
                         "quantity": 1.0, "unit_price": 100.0, "promised_date": d + pd.Timedelta(days=1),
                         "delivered_date": d + pd.Timedelta(days=3 if i < late else 1), "status": "delivered"})
    return pd.DataFrame(rows)


def test_order_frame_collapses_lines_and_drops_cancelled():
    o = pd.DataFrame({
        "order_id": ["A", "A", "B", "C"], "customer_id": ["c1", "c1", "c2", "c3"],
        "order_date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-05", "2024-01-06"]),
        "promised_date": pd.to_datetime(["2024-01-03", "2024-01-03", "2024-01-06", "2024-01-07"]),
        "delivered_date": pd.to_datetime(["2024-01-03 20:00", "2024-01-04 00:00", "2024-01-06 00:00", None]),
        "status": ["delivered", "delivered", "delivered", "cancelled"]})
    f = summary.order_frame(o).set_index("order_id")
    assert list(f.index) == ["A", "B"]
    assert f.loc["A", "order_date"] == pd.Timestamp("2024-01-01")  # earliest line
    assert f.loc["A", "late"] == 1.0  # latest line delivered a day after the promise
    assert f.loc["B", "late"] == 0.0


def test_period_pair_jalali_months():
    pp = summary.period_pair("2024-09-20")  # 30 Shahrivar 1403; Shahrivar has 31 days
    assert (pp["latest"], pp["previous"]) == ("1403-06", "1403-05")
    assert pp["latest_start"] == pd.Timestamp("2024-08-22")   # 1 Shahrivar
    assert pp["previous_start"] == pd.Timestamp("2024-07-22")  # 1 Mordad
    assert pp["previous_end"] == pd.Timestamp("2024-08-21")
    assert pp["partial"] is True
    assert summary.period_pair("2024-09-21")["partial"] is False  # 31 Shahrivar: last day


def test_changes_flags_only_significant_moves():
    ds = Dataset(orders=_orders(late_prev=4, late_last=20))
    ch = summary.changes(ds, end="2024-09-20").set_index("metric")
    late = ch.loc["late_delivery"]
    assert (late["latest"], late["previous"]) == ("1403-06", "1403-05")
    assert late["value_previous"] == pytest.approx(0.10) and late["value_latest"] == pytest.approx(0.50)
    assert (late["n_previous"], late["n_latest"]) == (40, 40)
    assert late["difference"] == pytest.approx(0.40)
    # pooled p = 0.3, se = sqrt(0.3*0.7*(2/40)) = 0.10247 -> z = 3.904, p = 9.5e-5
    assert late["p_value"] == pytest.approx(9.5e-5, rel=0.05)
    assert late["significant"] and late["direction"] == "worse"
    assert ch.loc["nps", "missing"] == "surveys" and ch.loc["nps", "direction"] == "not compared"
    assert ch.loc["returns", "missing"] == "returns"
    assert ch.loc["negative_reviews", "missing"] == "reviews"
    # a small move is not called a change
    ch2 = summary.changes(Dataset(orders=_orders(late_prev=4, late_last=6)), end="2024-09-20").set_index("metric")
    assert not ch2.loc["late_delivery", "significant"]
    assert ch2.loc["late_delivery", "direction"] == "no change"


def test_changes_respects_min_n_and_surveys():
    o = _orders(0, 0)
    sv = pd.DataFrame({"response_id": [f"r{i}" for i in range(20)],
                       "submitted_at": pd.to_datetime(["2024-08-05"] * 10 + ["2024-09-05"] * 10),
                       "nps": [10.0] * 10 + [0.0] * 10})
    ch = summary.changes(Dataset(orders=o, surveys=sv), end="2024-09-20", min_n=30).set_index("metric")
    assert ch.loc["nps", "value_previous"] == 100 and ch.loc["nps", "value_latest"] == -100
    assert ch.loc["nps", "n_latest"] == 10
    assert ch.loc["nps", "direction"] == "not compared"  # 10 < min_n
    assert ch.loc["top2", "missing"] == "surveys.csat"


def test_explain_links_perception_to_drivers():
    ch = pd.DataFrame([
        {"metric": "nps", "name_fa": "NPS", "name_en": "NPS", "kind": "perception", "unit": "points",
         "latest": "1403-06", "previous": "1403-05", "value_latest": 10.0, "value_previous": 30.0,
         "difference": -20.0, "p_value": 0.01, "significant": True, "direction": "worse"},
        {"metric": "late_delivery", "name_fa": "تأخیر", "name_en": "late deliveries", "kind": "driver",
         "unit": "share", "latest": "1403-06", "previous": "1403-05", "value_latest": 0.3,
         "value_previous": 0.1, "difference": 0.2, "p_value": 0.001, "significant": True, "direction": "worse"},
        {"metric": "returns", "name_fa": "مرجوعی", "name_en": "returns", "kind": "driver", "unit": "share",
         "latest": "1403-06", "previous": "1403-05", "value_latest": 0.05, "value_previous": 0.06,
         "difference": -0.01, "p_value": 0.6, "significant": False, "direction": "no change"},
    ])
    out = summary.explain(ch)
    assert len(out) == 2  # the NPS change (with its driver) and the driver itself
    fa, en, kind = out[0]
    assert kind == "warn"
    assert en.startswith("NPS went from 30.0 in Mordad 1403 to 10.0 in Shahrivar 1403")
    assert "late deliveries (+20.0 pp)" in en and "returns" not in en
    assert "تأخیر" in fa and "بدتر شد" in fa
    none = summary.explain(ch.assign(significant=False, direction="no change"))
    assert len(none) == 1 and none[0][2] == "info" and "beyond chance" in none[0][1]


def _scorecard():
    return pd.DataFrame([
        {"attribute": "trust", "source": "text", "n": 100, "negative_share": 0.10, "ci_low": 0.05, "ci_high": 0.17,
         "change": 0.0, "significant": False},
        {"attribute": "reliability", "source": "late delivery", "n": 500, "negative_share": 0.12, "ci_low": 0.1,
         "ci_high": 0.15, "change": 0.05, "significant": True},
        {"attribute": "reliability", "source": "text", "n": 200, "negative_share": 0.20, "ci_low": 0.15,
         "ci_high": 0.26, "change": -0.01, "significant": False},
        {"attribute": "value", "source": "text", "n": 10, "negative_share": 0.90, "ci_low": 0.6, "ci_high": 0.98,
         "change": -0.2, "significant": True},
        {"attribute": "relevance", "source": "none", "n": 0, "negative_share": np.nan, "ci_low": np.nan,
         "ci_high": np.nan, "change": np.nan, "significant": False},
    ])


def test_attribute_summary_and_worst():
    a = summary.attribute_summary(_scorecard(), min_n=30).set_index("attribute")
    assert list(a.index) == ["trust", "reliability", "value", "relevance"]
    assert a.loc["reliability", "text_negative_share"] == 0.20 and a.loc["reliability", "text_n"] == 200
    assert a.loc["reliability", "worst_signal"] == "text" and a.loc["reliability", "signals"] == 2
    assert a.loc["reliability", "trend"] == "worse"  # late delivery rose significantly
    assert a.loc["value", "trend"] == "better" and pd.isna(a.loc["value", "worst_signal"])  # n=10 < 30
    assert a.loc["relevance", "signals"] == 0 and a.loc["relevance", "text_n"] == 0
    assert a.loc["trust", "name_fa"] == "اعتماد"
    # value has the highest share but only 10 texts: reliability wins (highest lower bound)
    assert summary.worst_attribute(a.reset_index(), min_n=30) == "reliability"
    assert summary.worst_attribute(a.reset_index(), min_n=1) == "value"
    assert summary.worst_attribute(a.reset_index(), min_n=1000) is None


def test_repurchase_rate_counts_only_observed_customers():
    fe = pd.DataFrame({"observed_days": [100, 100, 100, 50, 95], "days_to_next": [10, 95, np.nan, 5, 90]})
    e = summary.repurchase_rate(fe, 90)
    assert (e.n, e.value) == (4, 0.5)  # 10 and 90 of {10, 95, none, 90}; the 50-day customer is not observed
    assert e.ci_low == pytest.approx(0.15003, abs=1e-4) and e.ci_high == pytest.approx(0.84997, abs=1e-4)


def test_segments_clv_and_value_at_risk():
    rfm = pd.DataFrame({"segment": pd.Categorical(["champions", "loyal", "at risk", "cannot lose", "lost"])},
                       index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    e = summary.segment_share(rfm, ["champions", "loyal"])
    assert (e.value, e.n) == (0.4, 5)
    cl = pd.DataFrame({"clv": [50.0, 30.0, 10.0, 6.0, 4.0], "p_alive": [0.9, 0.8, 0.3, 0.5, 0.1]},
                      index=pd.Index(["a", "b", "c", "d", "e"], name="customer_id"))
    var = summary.value_at_risk(cl, rfm)
    assert var["value"] == 16.0 and var["share"] == pytest.approx(0.16) and var["customers"] == 2
    assert var["customer_share"] == pytest.approx(0.4)
    by = summary.clv_by_segment(cl, rfm)
    assert list(by.index) == ["champions", "loyal", "at risk", "cannot lose", "lost"]  # canonical order
    assert by.loc["champions", "clv_share"] == pytest.approx(0.5)
    assert by.loc["at risk", "segment_fa"] == "در معرض ریزش"


def test_claim_lines_and_counts():
    rows = pd.DataFrame([
        {"name": "resolved_complainers_buy_again", "estimate": 0.645161, "ci_low": 0.579482, "ci_high": 0.705791,
         "n": 217, "verdict": "supported", "missing": None},
        {"name": "silent_unhappy_per_complaint", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": 0,
         "verdict": "cannot_test", "missing": "complaints"},
        {"name": "delivery_within_2_days_rating", "estimate": 0.44, "ci_low": 0.36, "ci_high": 0.51, "n": 3154,
         "verdict": "contradicted", "missing": None},
    ])
    assert summary.claim_text(rows.iloc[0], "en") == (
        "share of resolved complainers who ordered again within a year: 64.5% (95% CI 57.9% to 70.6%, n = 217) — supported.")
    assert summary.claim_text(rows.iloc[1], "en") == "cannot be tested: the data lack complaints."
    assert summary.claim_text(rows.iloc[2], "en").startswith("difference in mean rating (stars): 0.44 (95% CI 0.36 to 0.51")
    fa = summary.claim_text(rows.iloc[0], "fa")
    assert "۶۴٫۵٪" in fa and "n = ۲۱۷" in fa and "تأیید شد" in fa
    assert summary.claim_counts(rows) == {"supported": 1, "contradicted": 1, "cannot_test": 1}
    assert set(summary.CLAIM_NAMES) >= {"sentiment_40_15_45", "retention_5pct_profit_25_95pct"}
