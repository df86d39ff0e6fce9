"""Claims: verdict rules, hand-built cases, missing data, and the generated shop."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import claims as cl
from insight.contract import Dataset

T = pd.Timestamp


def test_verdict_rules():
    assert cl._value_verdict(0.6, 0.72, 0.65, 0.75) == "supported"
    assert cl._value_verdict(0.5, 0.6, 0.65, 0.75) == "contradicted"
    assert cl._value_verdict(np.nan, 0.6, 0.65, 0.75) == "cannot_test"
    assert cl._direction_verdict(0.01, 0.2, positive=True) == "supported"
    assert cl._direction_verdict(-0.2, -0.01, positive=True) == "contradicted"
    # null-compatible, and the quoted effect is ruled out -> contradicted
    assert cl._direction_verdict(-0.02, 0.05, positive=True, quoted_effect=0.11) == "contradicted"
    # null-compatible but the quoted effect is compatible too -> too imprecise
    assert cl._direction_verdict(-0.05, 0.3, positive=True, quoted_effect=0.11) == "cannot_test"


def _orders(ids, dates):
    return pd.DataFrame({"order_id": [f"o{i}" for i in range(len(ids))], "customer_id": ids,
                         "order_date": pd.to_datetime(dates), "product_id": "p", "quantity": 1.0,
                         "unit_price": 10.0})


def test_silent_unhappy_hand_computed():
    ids = [f"c{i}" for i in range(60)]
    orders = _orders(ids, ["2024-01-01"] * 60)
    surveys = pd.DataFrame({"response_id": ids[:50], "customer_id": ids[:50],
                            "submitted_at": T("2024-01-05"), "nps": 3.0})
    complaints = pd.DataFrame({"ticket_id": ids[40:], "customer_id": ids[40:], "opened_at": T("2024-01-03")})
    c = cl.silent_unhappy_per_complaint(Dataset(orders=orders, surveys=surveys, complaints=complaints))
    # unhappy = 60 (50 detractors + 10 complainers who did not answer), complainers 20, silent 40
    assert c.n == 60 and c.estimate == pytest.approx(2.0)
    assert c.ci_low < 2.0 < c.ci_high and c.verdict == "contradicted"


def test_resolved_complainers_hand_computed():
    n = 40
    ids = [f"c{i}" for i in range(n)]
    back = 28  # 70 % order again after resolution
    o = _orders(ids + ids[:back] + ["late"], ["2024-01-01"] * n + ["2024-03-01"] * back + ["2025-06-01"])
    tickets = pd.DataFrame({"ticket_id": ids, "customer_id": ids, "opened_at": T("2024-01-05"),
                            "resolved_at": T("2024-01-06")})
    c = cl.resolved_complainers_return(Dataset(orders=o, complaints=tickets))
    assert c.n == 40 and c.estimate == pytest.approx(0.7) and c.verdict == "supported"
    lo, hi = cl._stats.wilson_ci(28, 40)
    assert (c.ci_low, c.ci_high) == pytest.approx((lo, hi))


def test_missing_tables_cannot_test():
    o = _orders(["a", "b"], ["2024-01-01", "2024-02-01"])
    ds = Dataset(orders=o)
    out = cl.check_all(ds).set_index("name")
    assert set(out["verdict"]) <= set(cl.VERDICTS)
    assert out.loc["contact_after_negative_reduces_churn", "missing"] == "complaints"
    assert out.loc["delivery_within_2_days_rating", "missing"] == "reviews.rating"
    assert out.loc["delivery_within_2_days_repurchase", "missing"] == "orders.delivered_date"
    assert (out["verdict"] == "cannot_test").all()
    assert len(out) == len(cl.CHECKS)


@pytest.fixture(scope="module")
def shop():
    from insight import sample

    return sample.generate(customers=6000, seed=5)


def test_claims_on_generated_shop(shop):
    labels = pd.Series(["positive"] * 40 + ["negative"] * 15 + ["neutral"] * 45)
    out = cl.check_all(shop, sentiment=labels).set_index("name")
    assert list(out.columns) == ["quoted", "estimate", "ci_low", "ci_high", "n", "verdict", "missing", "detail"]
    # late delivery lowers ratings and repurchase in the generator: fast delivery matters
    assert out.loc["delivery_within_2_days_rating", "verdict"] == "supported"
    assert out.loc["delivery_within_2_days_rating", "estimate"] > 0.2
    assert out.loc["delivery_within_2_days_repurchase", "ci_low"] > 0
    # resolved tickets repurchase more than unresolved/no-ticket negative experiences
    assert out.loc["contact_after_negative_reduces_churn", "estimate"] > 0
    # the exact 40/15/45 labels support the profile
    assert out.loc["sentiment_40_15_45", "verdict"] == "supported"
    assert out.loc["sentiment_40_15_45", "estimate"] == pytest.approx(0.40)
    # the generator's complaint rate is high: far fewer than 26 silent per complaint
    assert out.loc["silent_unhappy_per_complaint", "verdict"] == "contradicted"
    e = out.loc["retention_5pct_profit_25_95pct"]
    assert e["ci_low"] < e["estimate"] < e["ci_high"] and e["verdict"] in cl.VERDICTS
    for _, r in out.iterrows():
        if r["verdict"] != "cannot_test":
            assert r["ci_low"] <= r["estimate"] <= r["ci_high"] and r["n"] > 0


def test_no_effect_no_support():
    """With the late-delivery effects switched off, fast delivery should not look like it matters."""
    from dataclasses import replace

    from insight import sample

    fx = replace(sample.EFFECTS, rating_late=0.0, rating_returned=0.0, or_repurchase_late=1.0,
                 p_complaint_late=sample.EFFECTS.p_complaint_on_time, or_return_late=1.0)
    ds = sample.generate(customers=6000, seed=5, effects=fx)
    c = cl.fast_delivery_rating(ds)
    # CI about [-0.06, 0.02]: no difference, and 0.1 star is ruled out
    assert c.verdict == "contradicted" and c.ci_high < cl.MIN_RATING_EFFECT
