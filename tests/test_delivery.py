"""insight.delivery: hand cases, and the real Olist sample (late delivery vs review score)."""
import numpy as np
import pandas as pd
import pytest

from insight import delivery as D

def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def orders():
    # six orders; o1 has two lines.  delivery days / lateness (days):
    #  o1 ordered 01-01, promised 01-03, delivered 01-02  -> 1 day, -1 (on time)
    #  o2 ordered 01-01, promised 01-03, delivered 01-03  -> 2 days, 0 (on time, same day)
    #  o3 ordered 01-01, promised 01-02, delivered 01-05  -> 4 days, +3 (late)
    #  o4 ordered 01-01 23:00, promised 01-02, delivered 01-02 -> 1 day, 0 (on time)
    #  o5 cancelled; o6 not delivered yet
    return pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o6"],
        "customer_id": ["c1", "c1", "c2", "c3", "c4", "c5", "c6"],
        "order_date": T(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01",
                         "2024-01-01 23:00", "2024-01-01", "2024-01-01"]),
        "product_id": ["p1", "p2", "p1", "p1", "p2", "p1", "p1"],
        "quantity": 1.0, "unit_price": 1.0,
        "channel": ["app", "app", "web", "web", "app", "web", "web"],
        "promised_date": T(["2024-01-03", "2024-01-03", "2024-01-03", "2024-01-02", "2024-01-02",
                            "2024-01-03", "2024-01-03"]),
        "delivered_date": T(["2024-01-02", "2024-01-02", "2024-01-03 18:00", "2024-01-05",
                             "2024-01-02", None, None]),
        "status": ["delivered"] * 5 + ["cancelled", None],
    })


def test_on_time_per_order(orders):
    r = D.on_time(orders).iloc[0]
    assert (r["k"], r["n"]) == (3, 4)         # o1, o2, o4 on time of 4 delivered orders
    assert r["value"] == 0.75
    assert r["ci_low"] == pytest.approx(0.3006, abs=1e-4)     # Wilson 3/4
    g = D.on_time(orders, by="channel").set_index("channel")
    assert g.loc["app", ["k", "n"]].tolist() == [2, 2] and g.loc["web", ["k", "n"]].tolist() == [1, 2]


def test_lateness_distribution(orders):
    r = D.lateness(orders).iloc[0]
    # lateness -1, 0, 3, 0: mean 0.5, median 0, late 1 of 4, mean late days 3
    assert r["n"] == 4 and r["mean"] == 0.5 and r["q50"] == 0.0
    assert r["k_late"] == 1 and r["late_share"] == 0.25 and r["mean_late_days"] == 3.0


def test_delivery_days_and_within(orders):
    r = D.delivery_days(orders).iloc[0]
    # days 1, 2, 4, 1 -> mean 2, median 1.5
    assert r["n"] == 4 and r["mean"] == 2.0 and r["median"] == 1.5
    w = D.within_days(orders).set_index("days")
    assert w.loc[1, ["k", "n"]].tolist() == [2, 4] and w.loc[2, "k"] == 3
    assert w.loc[1, "expected_share"] == 0.13 and w.loc[2, "expected_share"] == 0.44


def test_rating_by_delivery_hand(orders):
    reviews = pd.DataFrame({
        "review_id": ["r1", "r2", "r3", "r4", "r5"],
        "customer_id": ["c1", "c2", "c3", "c3", "c4"],
        "product_id": "p1", "order_id": ["o1", "o2", "o3", "o3", None],
        "created_at": T(["2024-01-04", "2024-01-04", "2024-01-06", "2024-01-07", "2024-01-03"]),
        "rating": [5.0, 4.0, 1.0, 2.0, 5.0], "text": "x"})
    r = D.rating_by_delivery(orders, reviews, bins=[0, 1, 2, np.inf])
    # r5 has no order_id: matched to c4's order o4 delivered 01-02 (1 day, on time)
    assert r.matched == 5 and r.unmatched == 0
    b = r.by_days.set_index("bin")
    assert list(b.index) == ["0–1", "2", "3+"]
    assert b.loc["0–1", "n"] == 2 and b.loc["0–1", "mean"] == 5.0     # r1, r5
    assert b.loc["3+", "mean"] == 1.5                                   # r3, r4 (4 days)
    late = r.by_late.set_index("timing")
    assert late.loc["on_time", "mean"] == pytest.approx(14 / 3)         # 5, 4, 5
    assert late.loc["late", "mean"] == 1.5
    # Welch: diff = 1.5 - 4.667 = -3.167; var late .5/2, on time (1/3)/3 -> se = .6009, t = -5.27
    assert r.late_vs_on_time.difference == pytest.approx(-19 / 6)
    assert r.late_vs_on_time.statistic == pytest.approx(-5.2705, abs=1e-3)


def test_repurchase_by_delivery():
    o = pd.DataFrame({
        "order_id": ["a", "b", "c", "d", "e", "f"],
        "customer_id": ["c1", "c2", "c3", "c1", "c3", "c4"],
        "order_date": T(["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-01", "2024-06-01",
                         "2024-01-01"]),
        "product_id": "p", "quantity": 1.0, "unit_price": 1.0,
        "promised_date": T(["2024-01-03", "2024-01-03", "2024-01-03", "2024-02-03", "2024-06-03",
                            "2024-01-03"]),
        "delivered_date": T(["2024-01-05", "2024-01-02", "2024-01-03", "2024-02-02", "2024-06-02",
                             "2024-01-02"]),
        "status": "delivered"})
    r = D.repurchase_by_delivery(o, window_days=60)
    rates = r.rates.set_index("group")
    # first orders: c1 late (next 02-01, 27 days after 01-05 -> yes); c2, c3, c4 on time:
    # c3's next order is in June (no), c2 and c4 none -> on time 0 of 3
    assert rates.loc["late", ["k", "n"]].tolist() == [1, 1]
    assert rates.loc["on_time", ["k", "n"]].tolist() == [0, 3]


# ------------------------------------------------------------------ real data: Olist

def _olist(root):
    p = root / "olist"
    o = pd.read_csv(p / "olist_orders_dataset.csv", dtype=str)
    items = pd.read_csv(p / "olist_order_items_dataset.csv", dtype={"order_id": str, "product_id": str})
    cust = pd.read_csv(p / "olist_customers_dataset.csv", dtype=str)
    rv = pd.read_csv(p / "olist_order_reviews_dataset.csv", dtype={"review_id": str, "order_id": str})
    o = o.merge(cust[["customer_id", "customer_unique_id"]], on="customer_id", how="left")
    ts = lambda s: pd.to_datetime(s).astype("datetime64[ns]")  # noqa: E731
    orders = pd.DataFrame({
        "order_id": o["order_id"], "customer_id": o["customer_unique_id"],
        "order_date": ts(o["order_purchase_timestamp"]),
        "promised_date": ts(o["order_estimated_delivery_date"]),
        "delivered_date": ts(o["order_delivered_customer_date"]),
        "status": o["order_status"].map({"delivered": "delivered", "canceled": "cancelled",
                                         "unavailable": "backordered"})})
    lines = orders.merge(items[["order_id", "product_id", "price"]], on="order_id", how="left")
    lines = lines.assign(product_id=lines["product_id"].fillna("unknown"), quantity=1.0,
                         unit_price=lines["price"].astype("float64")).drop(columns="price")
    reviews = pd.DataFrame({"review_id": rv["review_id"], "order_id": rv["order_id"],
                            "product_id": "unknown", "created_at": ts(rv["review_creation_date"]),
                            "rating": rv["review_score"].astype("float64"),
                            "text": rv["review_comment_message"].fillna("")})
    return lines, reviews


@pytest.mark.shared
def test_olist_late_delivery_lowers_review_score(shared_data):
    lines, reviews = _olist(shared_data)
    ot = D.on_time(lines).iloc[0]
    assert ot["n"] == 14552 and ot["k"] == 13595           # 93.4% on time (calendar day)
    r = D.rating_by_delivery(lines, reviews)
    late = r.by_late.set_index("timing")
    assert late.loc["late", "n"] == 936 and late.loc["on_time", "n"] == 13582
    assert late.loc["late", "mean"] == pytest.approx(2.271, abs=0.005)
    assert late.loc["on_time", "mean"] == pytest.approx(4.283, abs=0.005)
    assert late.loc["late", "low_share"] == pytest.approx(0.620, abs=0.005)   # 1-2 stars
    c = r.late_vs_on_time
    assert c.difference == pytest.approx(-2.011, abs=0.005)
    assert c.ci_high < -1.9 and c.p_value < 1e-100
    # ratings fall with delivery time: 4.53 (0-1 day) ... 4.03 (8+ days)
    b = r.by_days.set_index("bin")
    assert b.loc["0–1", "mean"] == pytest.approx(4.533, abs=0.005)
    assert b.loc["8+", "mean"] == pytest.approx(4.031, abs=0.005)
    assert r.trend["rho"] == pytest.approx(-0.226, abs=0.003)
    # Brazilian marketplace, not an Iranian shop: next-day delivery is rare
    w = D.within_days(lines).set_index("days")
    assert w.loc[1, "share"] == pytest.approx(0.0061, abs=5e-4)
    assert w.loc[2, "share"] == pytest.approx(0.0361, abs=5e-4)
    med = D.delivery_days(lines).iloc[0]
    assert med["median"] == 10.0 and med["mean"] == pytest.approx(12.42, abs=0.01)


# ------------------------------------------------------------------ recovery on the sample data

@pytest.fixture(scope="module")
def sample_ds():
    sample = pytest.importorskip("insight.sample")
    return sample.generate(customers=3000, seed=7)


def test_sample_late_delivery_lowers_rating(sample_ds):
    from insight.sample import EFFECTS

    assert EFFECTS.rating_late < 0
    r = D.rating_by_delivery(sample_ds.orders, sample_ds.reviews)
    c = r.late_vs_on_time
    assert c.significant and c.ci_high < 0            # the CI excludes "no difference"
    assert -2.0 < c.difference < -0.8                 # latent -1.3 stars, plus returns/complaints
    assert r.by_late.set_index("timing").loc["late", "n"] > 200


def test_sample_late_delivery_lowers_repurchase(sample_ds):
    from insight.sample import EFFECTS

    assert EFFECTS.or_repurchase_late < 1
    r = D.repurchase_by_delivery(sample_ds.orders, window_days=90)
    assert r.odds_ratio.ci_high < 1 and r.significant  # diluted toward 1 but below it
    assert r.rates.set_index("group").loc["late", "rate"] < r.rates.set_index("group").loc["on_time", "rate"]


def test_sample_on_time_matches_generator(sample_ds):
    # P(late) is 0.05-0.19 by city tier (x2.5 odds around Nowruz): overall on time ~ 85-90%
    r = D.on_time(sample_ds.orders).iloc[0]
    assert 0.83 < r["value"] < 0.92 and r["ci_high"] - r["ci_low"] < 0.02
