"""insight.engine: the Ibis aggregations on DuckDB, against hand-computed answers
(a tiny hand-built shop) and against plain pandas on a generated sample."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from insight import engine as E


@pytest.fixture(scope="module")
def shop():
    """Three customers, five orders, three products -- small enough to work out by hand."""
    orders = pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o3", "o4", "o5"],
        "customer_id": ["a", "a", "a", "b", "c", "c"],
        "order_date": pd.to_datetime(["2024-01-10 09:00", "2024-01-10 09:00", "2024-03-05 00:00", "2024-02-01 00:00",
                                      "2024-03-20 00:00", "2024-03-31 00:00"]),
        "product_id": ["p1", "p2", "p1", "p2", "p1", "p3"],
        "quantity": [1.0, 2, 1, 1, 3, 1],
        "unit_price": [100.0, 50, 100, 50, 100, 10],
        "status": ["delivered", "delivered", "delivered", "cancelled", "backordered", "delivered"],
        "promised_date": pd.to_datetime(["2024-01-12", "2024-01-12", "2024-03-07", None, None, "2024-04-02"]),
        "delivered_date": pd.to_datetime(["2024-01-11", "2024-01-13", "2024-03-08", None, None, "2024-04-02"]),
    })
    returns = pd.DataFrame({"return_id": ["r1", "r2"], "order_id": ["o1", "o1"], "product_id": ["p2", "p2"],
                            "return_date": pd.to_datetime(["2024-01-20", "2024-01-21"])})
    events = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "event": ["order_placed", "review", "delivered", "order_placed", "complaint_opened", "order_placed",
                  "order_placed", "complaint_opened"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-03", "2024-01-01", "2024-01-02",
                                     "2024-01-05", "2024-02-01", "2024-02-01 12:00"], format="ISO8601"),
    })
    return orders, returns, events


def rows(df, key):
    return df.set_index(key).to_dict("index")


def test_customer_features_by_hand(shop):
    orders, _, _ = shop
    f = rows(E.execute(E.customer_features(orders)), "customer_id")
    assert set(f) == {"a", "c"}  # b's only line was cancelled
    a, c = f["a"], f["c"]
    assert (a["n_orders"], a["n_lines"], a["units"], a["revenue"]) == (2, 3, 4.0, 300.0)
    assert (c["n_orders"], c["n_lines"], c["units"], c["revenue"]) == (2, 2, 4.0, 310.0)
    # as_of = the last order time, 2024-03-31 00:00; a's first order 2024-01-10 09:00 is 80.6 days before
    assert (a["recency_days"], a["tenure_days"], a["span_days"], a["repeat_days"]) == (26, 80, 55, 1)
    assert (c["recency_days"], c["tenure_days"], c["span_days"], c["repeat_days"]) == (0, 11, 11, 1)
    assert pd.Timestamp(a["first_order"]) == pd.Timestamp("2024-01-10 09:00")


def test_customer_features_as_of_and_cancelled(shop):
    orders, _, _ = shop
    f = rows(E.execute(E.customer_features(orders, as_of="2024-06-30", include_cancelled=True)), "customer_id")
    assert f["b"]["recency_days"] == (pd.Timestamp("2024-06-30") - pd.Timestamp("2024-02-01")).days
    assert f["b"]["revenue"] == 50.0 and f["b"]["repeat_days"] == 0
    early = rows(E.execute(E.customer_features(orders, as_of="2024-03-01")), "customer_id")
    assert set(early) == {"a"} and early["a"]["n_orders"] == 1  # later lines are left out


def test_rfm_scores_ties_share_a_score():
    n = 10
    feats = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "recency_days": np.arange(n) * 10,          # c0 most recent
        "n_orders": [1] * 6 + [2, 2, 3, 5],          # six one-time buyers tie
        "revenue": np.arange(n, dtype=float) * 100,  # c9 spends most
    })
    r = rows(E.execute(E.rfm_scores(feats)), "customer_id")
    # score = 1 + floor(5 * (#strictly worse) / n)
    assert [r[f"c{i}"]["R"] for i in range(n)] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [r[f"c{i}"]["M"] for i in range(n)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # ties: every one-time buyer has 0 worse -> 1; 2 orders: 6 worse -> 4; 3: 8 -> 5; 5: 9 -> 5
    assert [r[f"c{i}"]["F"] for i in range(n)] == [1] * 6 + [4, 4, 5, 5]
    assert r["c0"]["segment"] == "new" and r["c0"]["rfm_score"] == "511"
    assert r["c9"]["segment"] == "cannot lose"       # R1 F5
    assert r["c6"]["segment"] == "at risk"           # R2 F4
    assert r["c4"]["segment"] == "about to sleep"    # R3 F1


def test_rfm_segment_grid_is_complete():
    cells = [cell for cs in E._rfm_grid().values() for cell in cs]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]


def test_rfm_from_orders(shop):
    orders, _, _ = shop
    r = rows(E.execute(E.rfm_scores(orders)), "customer_id")
    assert (r["a"]["R"], r["c"]["R"]) == (1, 3)  # c ordered more recently; a has 0 worse, c 1 of 2
    assert (r["a"]["M"], r["c"]["M"]) == (1, 3)  # 300 < 310


@pytest.mark.parametrize("calendar, expect", [
    # a: first 2024-01 (Dey 1402), again 2024-03-05 (Esfand 1402, 2 months on); c: 2024-03-20 is 1 Farvardin 1403
    ("gregorian", {("2024-01", 0): (1, 1, 200.0), ("2024-01", 2): (1, 1, 100.0), ("2024-03", 0): (1, 2, 310.0)}),
    ("jalali", {("1402-10", 0): (1, 1, 200.0), ("1402-10", 2): (1, 1, 100.0), ("1403-01", 0): (1, 2, 310.0)}),
])
def test_cohorts_by_hand(shop, calendar, expect):
    orders, _, _ = shop
    c = E.execute(E.cohorts(orders, calendar=calendar))
    got = {(r.cohort, r.period): (r.customers, r.orders, r.revenue) for r in c.itertuples()}
    assert got == expect
    assert (c.cohort_size == 1).all() and (c.retention == 1.0).all()


def test_cohorts_rejects_unknown_calendar(shop):
    with pytest.raises(ValueError, match="calendar"):
        E.cohorts(shop[0], calendar="lunar")


def test_jalali_calendar_matches_jdatetime():
    import jdatetime

    cal = E._jalali_frame("2023-03-19", "2023-03-23")
    assert list(zip(cal.j_year, cal.j_month)) == [(1401, 12), (1401, 12), (1402, 1), (1402, 1), (1402, 1)]
    d = jdatetime.date.fromgregorian(date=pd.Timestamp("2023-03-21").date())
    assert (d.year, d.month, d.day) == (1402, 1, 1)


def test_product_rates_by_hand(shop):
    orders, returns, _ = shop
    p = rows(E.execute(E.product_rates(orders, returns)), "product_id")
    # p2: lines o1 (returned twice -> counted once) and o3 (cancelled)
    assert (p["p2"]["n_lines"], p["p2"]["n_returned"], p["p2"]["n_cancelled"]) == (2, 1, 1)
    assert p["p2"]["return_rate"] == 0.5 and p["p2"]["revenue"] == 100.0
    # p1: o1 on time, o2 late (3-08 > 3-07), o4 backordered with no dates
    assert (p["p1"]["n_lines"], p["p1"]["n_backordered"], p["p1"]["n_promised"], p["p1"]["n_late"]) == (3, 1, 2, 1)
    assert p["p1"]["late_rate"] == 0.5 and p["p1"]["units"] == 5.0
    # Wilson 95% interval for 1 of 2 (scipy-free closed form)
    z = 1.959963984540054
    centre, half = (0.5 + z * z / 4) / (1 + z * z / 2), z * math.sqrt(0.125 + z * z / 16) / (1 + z * z / 2)
    assert p["p2"]["return_rate_lo"] == pytest.approx(centre - half)
    assert p["p2"]["return_rate_hi"] == pytest.approx(centre + half)
    assert p["p3"]["return_rate"] == 0.0 and p["p3"]["return_rate_lo"] == 0.0


def test_product_rates_without_returns(shop):
    p = E.execute(E.product_rates(shop[0]))
    assert (p.n_returned == 0).all() and len(p) == 3


def test_transitions_and_variants_by_hand(shop):
    _, _, events = shop
    t = E.execute(E.transitions(events))
    got = {(r.source, r.target): (r.n, r.n_cases, r.mean_hours) for r in t.itertuples()}
    # a: review and delivered share a timestamp -> ordered by name: delivered, review
    assert got == {
        ("order_placed", "delivered"): (1, 1, 48.0),
        ("delivered", "review"): (1, 1, 0.0),
        ("order_placed", "complaint_opened"): (2, 2, 18.0),  # b: 24 h, d: 12 h
    }
    v = rows(E.execute(E.variants(events)), "variant")
    assert v["order_placed > complaint_opened"]["n_cases"] == 2
    assert v["order_placed > complaint_opened"]["share"] == pytest.approx(0.5)
    assert v["order_placed > delivered > review"]["n_events"] == 3
    assert v["order_placed"]["n_cases"] == 1


def test_transitions_custom_columns(shop):
    ev = shop[2].rename(columns={"customer_id": "case", "event": "act", "timestamp": "ts"})
    t = E.execute(E.transitions(ev, case="case", activity="act", timestamp="ts"))
    assert t.n.sum() == 4


# --------------------------------------------------------------------------- generated sample vs pandas
@pytest.fixture(scope="module")
def generated():
    rng = np.random.default_rng(11)
    n = 4000
    cust = rng.integers(0, 600, n)
    day = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    order_no = cust * 1000 + rng.integers(0, 8, n)  # a customer's lines share up to 8 order ids
    return pd.DataFrame({
        "order_id": [f"o{k}" for k in order_no],
        "customer_id": [f"c{k:04d}" for k in cust],
        "order_date": day,
        "product_id": [f"p{k}" for k in rng.integers(0, 40, n)],
        "quantity": rng.integers(1, 4, n).astype(float),
        "unit_price": rng.choice([1000.0, 2500.0, 9900.0], n),
        "status": rng.choice(["delivered", "cancelled", "backordered"], n, p=[0.85, 0.1, 0.05]),
    })


def test_features_match_pandas_on_generated_sample(generated, tmp_path):
    o = generated
    path = tmp_path / "orders.parquet"
    o.to_parquet(path)
    con = E.connect(threads=1, memory_limit="256MB", temp_directory=tmp_path / "spill")
    got = E.execute(E.customer_features(E.table(path, con)), con).set_index("customer_id")
    v = o[o.status != "cancelled"].assign(amount=o.quantity * o.unit_price, day=o.order_date.dt.normalize())
    g = v.groupby("customer_id")
    as_of = v.order_date.max()
    want = pd.DataFrame({
        "n_orders": g.order_id.nunique(), "n_lines": g.size(), "revenue": g.amount.sum(),
        "repeat_days": g.day.nunique() - 1,
        "recency_days": (as_of - g.order_date.max()).dt.days,
        "tenure_days": (as_of - g.order_date.min()).dt.days,
    })
    got = got.loc[want.index, want.columns]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_cohorts_match_pandas_on_generated_sample(generated):
    o = generated[generated.status != "cancelled"]
    got = E.execute(E.cohorts(o))
    key = o.order_date.dt.year * 12 + o.order_date.dt.month - 1
    first = key.groupby(o.customer_id).transform("min")
    g = o.assign(_c=first, period=key - first).groupby(["_c", "period"])
    want = g.customer_id.nunique()
    assert len(got) == len(want)
    assert got.customers.sum() == want.sum()
    sizes = want.xs(0, level="period")
    assert sorted(got[got.period == 0].cohort_size) == sorted(sizes)


def test_rfm_matches_segments_module_on_generated_sample(generated):
    from insight import segments

    got = E.execute(E.rfm_scores(generated)).set_index("customer_id")
    want = segments.rfm(generated)
    got = got.loc[want.index]
    assert (got.recency_days.to_numpy() == want.recency_days.to_numpy()).all()
    assert (got.n_orders.to_numpy() == want.frequency.to_numpy()).all()
    np.testing.assert_allclose(got.revenue.to_numpy(), want.monetary.to_numpy())
    for col in ("R", "F", "M"):
        assert (got[col].to_numpy() == want[col].to_numpy().astype(int)).all(), col
    assert (got.segment.to_numpy() == want.segment.astype(str).to_numpy()).all()
    assert set(got.R) == {1, 2, 3, 4, 5}


def test_variants_match_pandas_on_generated_sample():
    rng = np.random.default_rng(3)
    n = 3000
    ev = pd.DataFrame({
        "customer_id": rng.integers(0, 400, n).astype(str),
        "event": rng.choice(["order_placed", "delivered", "review", "complaint_opened", "return"], n),
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="min"),
    })
    s = ev.sort_values(["customer_id", "timestamp", "event"])
    want = s.groupby("customer_id").event.agg(" > ".join).value_counts()
    got = E.execute(E.variants(ev)).set_index("variant").n_cases
    assert got.sort_index().to_dict() == want.sort_index().to_dict()
    nxt = s.groupby("customer_id").event.shift(-1)
    pairs = pd.DataFrame({"source": s.event, "target": nxt}).dropna().value_counts()
    t = E.execute(E.transitions(ev)).set_index(["source", "target"]).n
    assert t.sort_index().to_dict() == pairs.sort_index().to_dict()


def test_table_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        E.table(tmp_path / "nope.parquet")
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(ValueError, match="format"):
        E.table(tmp_path / "x.xlsx")
    with pytest.raises(TypeError):
        E.table(42)
    with pytest.raises(ValueError, match="backend"):
        E.connect("oracle")


def test_folder_of_parquet_and_csv(generated, tmp_path):
    d = tmp_path / "parts"
    d.mkdir()
    generated.iloc[:2000].to_parquet(d / "a.parquet")
    generated.iloc[2000:].to_parquet(d / "b.parquet")
    con = E.connect()
    n = E.execute(E.product_rates(E.table(d, con)), con).n_lines.sum()
    assert n == len(generated)


def test_jalali_calendar_agrees_with_jdatetime_over_decades():
    import jdatetime

    cal = E._jalali_frame("1990-01-01", "2060-12-31")
    rng = np.random.default_rng(5)
    for i in rng.integers(0, len(cal), 300):
        d = jdatetime.date.fromgregorian(date=cal.day.iloc[i])
        assert (d.year, d.month) == (cal.j_year.iloc[i], cal.j_month.iloc[i])


def test_tie_order_breaks_same_instant_ties(shop):
    ev = shop[2]
    order = ["order_placed", "review", "delivered"]   # review before delivered at the same instant
    t = E.execute(E.transitions(ev, tie_order=order))
    assert {(r.source, r.target) for r in t.itertuples()} >= {("order_placed", "review"), ("review", "delivered")}
    v = E.execute(E.variants(ev, tie_order=order))
    assert "order_placed > review > delivered" in set(v.variant)
