"""insight.complaints on tiny hand-built logs (expected numbers worked out in comments)."""
import numpy as np
import pandas as pd
import pytest

from insight import complaints as C

def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def comp():
    return pd.DataFrame({
        "ticket_id": ["t1", "t2", "t3", "t4", "t5"],
        "customer_id": ["c1", "c2", "c3", "c1", "c4"],
        "order_id": ["o1", None, "o3", "o1", None],
        "opened_at": T(["2024-01-01 00:00", "2024-01-02 00:00", "2024-01-03 00:00",
                        "2024-01-05 00:00", "2024-02-01 00:00"]),
        "resolved_at": T(["2024-01-01 02:00", "2024-01-02 04:00", None,
                          "2024-01-05 04:00", "2024-02-01 08:00"]),
        "category": ["late", "price", "late", "late", "price"],
        "channel": ["call", "chat", "call", "call", "chat"],
        "contacts": [1.0, 2.0, 1.0, 3.0, 1.0],
        "csat_after": [5.0, 3.0, 1.0, 4.0, np.nan],
    })


@pytest.fixture
def orders():
    return pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["c1", "c1", "c3", "c2", "c9"],
        "order_date": T(["2023-12-20", "2024-02-01", "2023-12-25", "2024-06-01", "2024-07-01"]),
        "product_id": "p", "quantity": 1.0, "unit_price": 1.0,
        "promised_date": T(["2023-12-25", "2024-02-05", "2023-12-28", "2024-06-03", "2024-07-03"]),
        "delivered_date": T(["2023-12-27", "2024-02-04", "2024-01-02", "2024-06-03", None]),
        "status": ["delivered", "delivered", "delivered", "delivered", "cancelled"],
    })


def test_volume_fills_zero_cells(comp):
    v = C.volume(comp, by="category", calendar="gregorian")
    # January: late 3 (t1, t3, t4), price 1 (t2); February: late 0, price 1 (t5)
    assert v["period"].tolist() == ["2024-01", "2024-01", "2024-02", "2024-02"]
    assert v["count"].tolist() == [3, 1, 0, 1]
    assert v["total"].tolist() == [4, 4, 1, 1]
    assert v["share"].tolist() == [0.75, 0.25, 0.0, 1.0]
    # exact Poisson upper limit for 0 events: chi2(.975, 2)/2 = 3.6889
    assert v["count_ci_high"].iloc[2] == pytest.approx(3.6889, abs=1e-4)


def test_volume_default_groups_and_jalali(comp):
    v = C.volume(comp)
    assert {"category", "channel"} <= set(v.columns)
    assert v["period"].iloc[0] == "1402-10"   # 1 Jan 2024 is 11 Dey 1402


def test_resolution_time_km_with_censoring(comp):
    r = C.resolution_time(comp)
    # durations (h): 2, 4, 4, 8 resolved; t3 open, censored at as_of = 2024-02-01 08:00 (704 h)
    # KM: t=2: 5 at risk, 1 -> .8; t=4: 4 at risk, 2 -> .8*.5 = .4; t=8: 2 at risk, 1 -> .2
    assert r.table["time"].tolist() == [2.0, 4.0, 8.0]
    assert r.table["open_share"].tolist() == pytest.approx([0.8, 0.4, 0.2])
    assert r.table["at_risk"].tolist() == [5, 4, 2]
    assert r.median == 4.0 and r.n == 5
    assert r.summary["open"].iloc[0] == 1 and r.summary["resolved"].iloc[0] == 4
    # Greenwood at t=2: var = .64 * 1/(5*4) = .032; log-log band lower = .8**exp(1.96*1.0022)
    assert r.table["ci_low"].iloc[0] == pytest.approx(0.2038, abs=1e-3)
    days = C.resolution_time(comp, unit="days")
    assert days.median == pytest.approx(4 / 24)


def test_resolution_time_by_group_and_as_of(comp):
    r = C.resolution_time(comp, by="category")
    s = r.summary.set_index("category")
    # price: 4 h and 8 h -> S(4) = .5 exactly, S(8) = 0; statsmodels takes the first time
    # with S < .5 (strict), so the median is 8 h (R would say 6, lifelines 4)
    assert s.loc["price", "median"] == 8.0
    assert s.loc["late", "n"] == 3
    early = C.resolution_time(comp, as_of="2024-01-05 02:00")
    # t5 opened after as_of -> excluded; t4 still open at as_of (censored at 2 h)
    assert early.excluded == 1 and early.summary["open"].iloc[0] == 2


def test_resolution_time_drops_negative_durations(comp):
    bad = comp.assign(resolved_at=comp["resolved_at"].where(comp.ticket_id != "t1", T("2023-12-31")))
    assert C.resolution_time(bad).excluded == 1


def test_repeat_contacts_from_column(comp):
    out = C.repeat_contacts(comp).set_index("metric")
    # contacts [1,2,1,3,1]: >1 -> 2 of 5; one contact and resolved: t1, t5 -> 2 of 5 (t3 open)
    assert out.loc["repeat_contact_share", ["k", "n"]].tolist() == [2, 5]
    assert out.loc["first_contact_resolution", ["k", "n"]].tolist() == [2, 5]
    assert out.loc["repeat_contact_share", "ci_low"] == pytest.approx(0.1176, abs=1e-4)


def test_repeat_contacts_derived_from_tickets(comp):
    out = C.repeat_contacts(comp.drop(columns="contacts")).set_index("metric")
    # issues: (c1,o1) 2 tickets, (c2,-), (c3,o3) open, (c4,-) -> repeat 1/4; FCR c2, c4 -> 2/4
    assert out.loc["repeat_contact_share", ["k", "n"]].tolist() == [1, 4]
    assert out.loc["first_contact_resolution", ["k", "n"]].tolist() == [2, 4]
    assert out["source"].iloc[0] == "tickets per customer-order"


def test_csat_after_by_category(comp):
    out = C.csat_after(comp, by="category").set_index("category")
    assert out.loc["late", "value"] == pytest.approx(10 / 3) and out.loc["late", "n"] == 3
    assert out.loc["price", "n"] == 1   # t5 has no answer


def test_repurchase_after_resolved_vs_unresolved(comp, orders):
    r = C.repurchase_after(comp, orders, window_days=90)
    rates = r.rates.set_index("group")
    # first tickets: c1 (resolved, next order 2024-02-01 = 31 days later -> yes),
    # c2 (resolved, next order June -> no), c4 (resolved, no orders), c3 (open, none)
    assert rates.loc["resolved", ["k", "n"]].tolist() == [1, 3]
    assert rates.loc["unresolved", ["k", "n"]].tolist() == [0, 1]
    assert r.difference.difference == pytest.approx(1 / 3)
    assert r.odds_ratio.value == pytest.approx((1.5 * 1.5) / (2.5 * 0.5))  # Haldane +0.5
    assert r.extra["quoted"] == 0.70
    # binomial 1 of 3 vs .7, two-sided: P(0) + P(1) = .027 + .189 = .216
    assert r.extra["p_vs_quoted"] == pytest.approx(0.216)
    short = C.repurchase_after(comp, orders, window_days=30)
    assert short.rates.set_index("group").loc["resolved", "k"] == 0   # 31 days > 30


def test_silent_customers(orders):
    comp = pd.DataFrame({"ticket_id": ["t1"], "customer_id": ["c1"], "order_id": [None],
                         "opened_at": T(["2023-12-26"])})
    extra = pd.DataFrame({"order_id": ["o6", "o7"], "customer_id": ["c5", "c6"],
                          "order_date": T(["2024-03-01", "2024-03-02"]), "product_id": "p",
                          "quantity": 1.0, "unit_price": 1.0,
                          "promised_date": T(["2024-03-05", "2024-03-05"]),
                          "delivered_date": T(["2024-03-09", "2024-03-04"]),
                          "status": ["delivered", "delivered"]})
    rets = pd.DataFrame({"return_id": ["r1"], "order_id": ["o7"], "product_id": ["p"],
                         "return_date": T(["2024-03-10"])})
    s = C.silent_customers(pd.concat([orders, extra]), comp, rets)
    # bad: c1 late o1 (ticket 12-26 between order 12-20 and delivery+30 -> voiced),
    # c3 late o3 (silent), c5 late o6 (silent), c6 returned o7 (silent);
    # c9 cancelled 07-01 is too recent (window ends after as_of 07-01)
    cust = s.customers.set_index("customer_id")
    assert sorted(cust.index) == ["c1", "c3", "c5", "c6"]
    assert cust["complained"].tolist() == [True, False, False, False]
    assert s.share.value == 0.75 and s.share.n == 4
    assert s.ratio.value == pytest.approx(3.0) and s.quoted == 26
    br = s.by_reason.set_index("reason")
    assert br.loc["late", "silent"] == 2 and br.loc["returned", "silent"] == 1
    # with no complaints at all every bad customer is silent
    assert C.silent_customers(orders, None).share.value == 1.0


# ------------------------------------------------------------------ recovery on the sample data

@pytest.fixture(scope="module")
def sample_ds():
    sample = pytest.importorskip("insight.sample")
    return sample.generate(customers=3000, seed=7)


def test_sample_resolved_complaints_buy_again_more(sample_ds):
    from insight.sample import EFFECTS

    # generator: repurchase odds x1.2 (fast) / x0.7 (slow) vs x0.35 when unresolved
    assert EFFECTS.or_repurchase_complaint["unresolved"] < EFFECTS.or_repurchase_complaint["slow"]
    r = C.repurchase_after(sample_ds.complaints, sample_ds.orders, window_days=90)
    assert r.odds_ratio.ci_low > 1 and r.significant
    assert r.rates.set_index("group").loc["resolved", "rate"] > 0.5


def test_sample_resolution_and_contacts(sample_ds):
    rt = C.resolution_time(sample_ds.complaints)
    # 45% resolved within 24 h, 40% in 1-14 days, 15% never: median between 1 and 3 days
    assert 24 < rt.median < 72 and rt.ci_low < rt.median < rt.ci_high
    rc = C.repeat_contacts(sample_ds.complaints).set_index("metric")
    assert 0.3 < rc.loc["repeat_contact_share", "value"] < 0.65
    s = C.silent_customers(sample_ds.orders, sample_ds.complaints, sample_ds.returns)
    assert s.share.n > 500 and 0 < s.share.value < 1
