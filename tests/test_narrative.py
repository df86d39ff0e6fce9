"""insight.narrative: findings only call a change significant when the test says so; small figures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import narrative as nv, show
from insight.stats import Estimate, compare_rates


@pytest.fixture(autouse=True)
def _fa():
    show.setup(lang="fa")
    yield
    show.setup(lang="fa")


def _surveys(a, b):
    """Answers ``a`` in Jalali month 1403-05 (Mordad), ``b`` in 1403-06 (Shahrivar, full)."""
    d1 = pd.date_range("2024-07-23", periods=len(a), freq="h")
    d2 = pd.date_range("2024-08-23", periods=len(b), freq="h")
    last = pd.Timestamp("2024-09-21 12:00")  # the last day of Shahrivar: period complete
    dates = list(d1) + list(d2[:-1]) + [last]
    return pd.DataFrame({"submitted_at": dates, "nps": np.r_[a, b].astype(float)})


def test_period_names():
    assert nv.period_name("1403-06", "fa") == "شهریور ۱۴۰۳"
    assert nv.period_name("1403-06", "en") == "Shahrivar 1403"
    assert nv.period_name("1403-Q2", "en") == "Q2 1403"
    assert nv.period_name("1402-W53", "en") == "week 53 of 1402"
    assert nv.period_name("2024-03", "en") == "2024-03"  # not Jalali: unchanged
    t = nv.period_text("1403-06", "2024-08-22", "2024-09-21", "en", partial=True)
    assert t == "Shahrivar 1403 (2024-08-22 to 2024-09-21, period not over yet)"


def test_p_and_ci_text():
    assert nv.p_text(0.0004, "en") == "p < 0.001"
    assert nv.p_text(0.034, "en") == "p = 0.03"
    assert nv.p_text(0.0042, "en") == "p = 0.004"
    assert nv.p_text(0.31, "fa") == "p = ۰٫۳۱"
    assert nv.ci_text(0.1, 0.2, "en", percent=True, decimals=1) == "95% CI 10.0% to 20.0%"


def test_period_change_significant_fall():
    ch = nv.period_change(_surveys([10] * 60, [0] * 60), "nps", min_n=30)
    assert (ch.latest, ch.previous) == ("1403-06", "1403-05")
    assert ch.value_latest == -100 and ch.value_previous == 100
    assert ch.significant and not ch.partial
    fa, en, kind = ch.finding()
    assert kind == "warn" and " fell from 100.0 in Mordad 1403 " in en and "NPS difference z" in en
    assert "پایین آمد" in fa


def test_period_change_not_significant_is_not_a_change():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 11, 80)
    ch = nv.period_change(_surveys(a, rng.permutation(a)), "nps", min_n=30)
    assert ch.comparison is not None and not ch.significant
    fa, en, kind = ch.finding()
    assert kind == "info" and "within chance" in en and "not reported as a change" in en
    assert "تصادف" in fa


def test_period_change_too_few_and_partial():
    df = _surveys([9] * 10, [9] * 10)
    df.loc[df.index[-1], "submitted_at"] = pd.Timestamp("2024-09-01")  # Shahrivar not over
    ch = nv.period_change(df, "nps", min_n=30)
    assert ch.comparison is None and ch.partial
    assert "Too few answers" in ch.finding()[1] and "period not over yet" in ch.finding()[1]


def test_period_change_ces_lower_is_better():
    df = pd.concat([_surveys([0] * 40, [0] * 40)])
    df["ces"] = np.r_[[4.0, 5.0] * 20, [1.0, 2.0] * 20]
    fa, en, kind = nv.period_change(df, "ces", min_n=30).finding()
    assert kind == "good" and "fell" in en and "Welch t" in en


def test_vs_quoted_uses_the_interval():
    fa, en, kind = nv.vs_quoted(Estimate(0.59, 0.55, 0.63, 776), 0.70, ("x", "repurchase"), better="higher")
    assert kind == "warn" and "below the quoted figure" in en and "about 70%" in en
    _, en, kind = nv.vs_quoted(Estimate(0.68, 0.60, 0.76, 100), 0.70, ("x", "repurchase"), better="higher")
    assert kind == "info" and "consistent" in en


def test_rate_comparison_sentence():
    rc = compare_rates(60, 100, 30, 100, labels=("resolved", "unresolved"))
    fa, en, kind = nv.rate_comparison(rc, ("خرید دوباره", "repurchase"))
    assert kind == "good" and en.startswith("Repurchase: resolved 60.0% (n = 100) against unresolved 30.0%")
    assert "is significant" in en and "حل‌شده" in fa
    rc = compare_rates(31, 100, 30, 100, labels=("late", "on_time"))
    _, en, kind = nv.rate_comparison(rc, ("x", "repurchase"))
    assert kind == "info" and "within chance" in en


def test_sentiment_profile_against_example():
    row = {"n": 1000, "positive": 0.70, "positive_ci_low": 0.67, "positive_ci_high": 0.73,
           "neutral": 0.20, "neutral_ci_low": 0.18, "neutral_ci_high": 0.23,
           "negative": 0.10, "negative_ci_low": 0.08, "negative_ci_high": 0.12,
           "pos_neg_ratio": 7.0, "ratio_ci_low": 5.7, "ratio_ci_high": 8.6}
    fa, en, kind = nv.sentiment_profile(pd.Series(row))
    assert kind == "good"
    assert "positive 70.0% (example 40%; above)" in en and "negative 10.0% (example 15%; below)" in en


def test_complaint_rate_by_order_and_by_customer():
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "customer_id": ["a", "a", "b", "c"],
                           "order_date": pd.to_datetime(["2024-01-01"] * 3 + ["2024-03-01"])})
    comp = pd.DataFrame({"ticket_id": ["t1", "t2"], "customer_id": ["a", "a"], "order_id": ["o1", "o1"],
                         "opened_at": pd.to_datetime(["2024-01-05", "2024-01-06"])})
    e = nv.complaint_rate(comp, orders)  # o4 is after the last ticket: left out
    assert (e.value, e.n, e.method) == (pytest.approx(1 / 3), 3, "orders with a ticket")
    e = nv.complaint_rate(comp.drop(columns="order_id"), orders)
    assert (e.value, e.n, e.method) == (pytest.approx(1 / 2), 2, "customers with a ticket")


def test_share_shifts_finds_a_fading_category():
    per = [f"1403-0{i}" for i in range(1, 7)]
    starts = pd.date_range("2024-03-21", periods=6, freq="31D")
    rows = []
    for i, (p, s) in enumerate(zip(per, starts)):
        late = i >= 3
        rows += [{"period": p, "period_start": s, "category": "delivery", "count": 10 if late else 60},
                 {"period": p, "period_start": s, "category": "quality", "count": 40}]
    out = nv.share_shifts(pd.DataFrame(rows), periods=3)
    d = out.set_index("category")
    assert d.loc["delivery", "direction"] == "fading" and d.loc["quality", "direction"] == "rising"
    assert d.loc["delivery", "share_recent"] == pytest.approx(30 / 150)
    assert out.attrs["recent"] == ("1403-04", "1403-06")
    with pytest.raises(ValueError, match="at least 8 periods"):
        nv.share_shifts(pd.DataFrame(rows), periods=4)


def test_total_rate_reason_counts_and_labels():
    e = nv.total_rate(pd.DataFrame({"k": [1, 3], "n": [10, 30]}))
    assert (e.value, e.n) == (pytest.approx(0.1), 40)
    fl = pd.DataFrame({"reason_codes": ["late_delivery,return", "return", "negative_review"]})
    rc = nv.reason_counts(fl, lang="en")
    assert rc.iloc[0].to_dict() == {"reason_code": "return", "reason": "return", "customers": 2,
                                    "share": pytest.approx(2 / 3)}
    assert nv.code_labels(pd.Series(["app_payment", "mine", None]), "fa").tolist()[:2] == ["اپ و پرداخت", "mine"]


def test_customer_texts_and_attempt():
    class DS:
        reviews = pd.DataFrame({"text": ["خوب بود", " ", None], "created_at": pd.to_datetime(["2024-01-01"] * 3)})
        surveys = pd.DataFrame({"comment": ["بد"], "submitted_at": pd.to_datetime(["2024-01-02"])})
    t = nv.customer_texts(DS())
    assert t["source"].tolist() == ["review", "survey"] and t["text"].tolist() == ["خوب بود", "بد"]
    assert nv.attempt(int, "3") == (3, None)
    res, why = nv.attempt(int, "x")
    assert res is None and "invalid literal" in why
