"""insight.returns: hand-computed rates, shrinkage, funnel flags, reasons, repurchase."""
import numpy as np
import pandas as pd
import pytest

from insight import returns as R
from insight import stats

def T(x):
    return pd.to_datetime(x, format="ISO8601")


def _orders(n_by_product: dict, status=None):
    """One line per order: product -> number of lines."""
    pids = [p for p, n in n_by_product.items() for _ in range(n)]
    m = len(pids)
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(m)], "customer_id": [f"c{i}" for i in range(m)],
        "order_date": pd.Timestamp("2024-01-01"), "product_id": pids, "quantity": 1.0,
        "unit_price": 10.0, "category": [p[0] for p in pids],
        "status": status if status is not None else "delivered"})


def test_rates_hand_case():
    o = _orders({"a1": 10, "a2": 10, "b1": 20})
    # returns: a1 -> 2 of 10 lines, a2 -> 0, b1 -> 5 of 20 (one line returned twice counts once)
    ret_orders = ["o0", "o1", "o20", "o21", "o22", "o23", "o24", "o24"]
    ret = pd.DataFrame({"return_id": [f"r{i}" for i in range(8)], "order_id": ret_orders,
                        "product_id": o.set_index("order_id").loc[ret_orders, "product_id"].tolist(),
                        "return_date": pd.Timestamp("2024-01-10")})
    out = R.rates(o, ret).set_index("product_id")
    assert out.loc["a1", ["k", "n"]].tolist() == [2, 10]
    assert out.loc["b1", ["k", "n"]].tolist() == [5, 20]
    assert out.loc["a2", "rate"] == 0.0
    assert out["pooled"].iloc[0] == pytest.approx(7 / 40)
    # Wilson 2/10
    assert out.loc["a1", "ci_low"] == pytest.approx(0.0567, abs=1e-4)
    # shrunk lies between the raw rate and the prior mean (close to the pooled rate)
    m = out.attrs["prior"].mean
    assert m == pytest.approx(7 / 40, abs=0.02)
    for p in out.index:
        lo, hi = sorted([out.loc[p, "rate"], m])
        assert lo - 1e-12 <= out.loc[p, "shrunk"] <= hi + 1e-12
    assert not out["flag"].any()
    by_cat = R.rates(o, ret, by="category").set_index("category")
    assert by_cat.loc["a", ["k", "n"]].tolist() == [2, 20]


def test_rates_flags_an_outlier_and_shrinks_small_groups():
    rng = np.random.default_rng(0)
    sizes = {f"p{i:02d}": 200 for i in range(30)} | {"bad": 200, "tiny": 2}
    o = _orders(sizes)
    p = {k: 0.05 for k in sizes} | {"bad": 0.30, "tiny": 0.05}
    returned = rng.random(len(o)) < o["product_id"].map(p).to_numpy()
    returned[o.index[o.product_id == "tiny"]] = [True, False]     # 1 of 2: raw 50%
    rr = o[returned]
    ret = pd.DataFrame({"return_id": rr["order_id"] + "r", "order_id": rr["order_id"],
                        "product_id": rr["product_id"], "return_date": pd.Timestamp("2024-02-01")})
    out = R.rates(o, ret).set_index("product_id")
    assert out["flag"].sum() == 1 and out.loc["bad", "flag"]
    assert out.index[0] == "bad"                         # highest shrunk rate
    assert out.loc["tiny", "rate"] == 0.5
    assert out.loc["tiny", "shrunk"] < 0.12              # pulled to the pool
    assert not out.loc["tiny", "flag"]                   # 1 of 2 is within the funnel
    assert isinstance(out.attrs["prior"], stats.BetaBinomial)


def test_backorder_rates():
    st = ["backordered"] * 3 + ["delivered"] * 7 + ["delivered"] * 10
    o = _orders({"x": 10, "y": 10}, status=st)
    out = R.rates(o, kind="backorder").set_index("product_id")
    assert out.loc["x", ["k", "n"]].tolist() == [3, 10] and out.loc["y", "k"] == 0
    with pytest.raises(ValueError):
        R.rates(o, kind="refund")
    with pytest.raises(ValueError, match="returns table"):
        R.rates(o, None)


def test_reasons_shares():
    ret = pd.DataFrame({"return_id": list("abcde"), "order_id": list("abcde"), "product_id": "p",
                        "return_date": pd.Timestamp("2024-01-01"),
                        "reason_code": ["damaged", "damaged", "size", None, "damaged"]})
    out = R.reasons(ret)
    assert out["reason"].tolist() == ["damaged", "size", "unknown"]
    assert out["count"].tolist() == [3, 1, 1] and out["n"].tolist() == [5, 5, 5]
    assert out["share"].iloc[0] == 0.6
    assert out["ci_low"].iloc[0] == pytest.approx(0.2307, abs=1e-4)   # Wilson 3/5


def test_repurchase_after_return():
    # 4 customers; first orders o1 (c1, returned), o2 (c2, returned), o3 (c3), o4 (c4)
    o = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "customer_id": ["c1", "c2", "c3", "c4", "c1", "c3", "c4"],
        "order_date": T(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01",
                         "2024-05-01", "2024-02-01", "2024-03-01"]),
        "product_id": "p", "quantity": 1.0, "unit_price": 1.0})
    ret = pd.DataFrame({"return_id": ["r1", "r2"], "order_id": ["o1", "o2"], "product_id": "p",
                        "return_date": T(["2024-01-10", "2024-01-12"])})
    r = R.repurchase_after_return(o, ret, window_days=90)
    rates = r.rates.set_index("group")
    # returned: c1 next order 121 days later (no), c2 none -> 0/2; kept: c3 31 d (yes), c4 60 d (yes)
    assert rates.loc["returned", ["k", "n"]].tolist() == [0, 2]
    assert rates.loc["kept", ["k", "n"]].tolist() == [2, 2]
    assert r.difference.difference == -1.0
    assert r.odds_ratio.p_value == pytest.approx(1 / 3)   # Fisher 2x2 [[0,2],[2,0]]


# ------------------------------------------------------------------ recovery on the sample data

@pytest.fixture(scope="module")
def sample_ds():
    sample = pytest.importorskip("insight.sample")
    return sample.generate(customers=3000, seed=7)


def test_sample_problem_products_flagged(sample_ds):
    from insight.sample import EFFECTS

    out = R.rates(sample_ds.orders, sample_ds.returns)
    top3 = set(out["product_id"].head(3))
    assert top3 == set(EFFECTS.problem_products)            # highest shrunk return rates
    assert out.set_index("product_id").loc[list(EFFECTS.problem_products), "flag"].all()
    back = R.rates(sample_ds.orders, kind="backorder")
    # the air fryer (backordered 30% vs 1.5%) tops the backorder list and is flagged
    assert back["product_id"].iloc[0] in EFFECTS.problem_products and back["flag"].iloc[0]


def test_sample_returners_reorder_less(sample_ds):
    r = R.repurchase_after_return(sample_ds.orders, sample_ds.returns, window_days=90)
    assert r.difference.difference < 0 and r.odds_ratio.ci_high < 1


def _returns_for(o, k_by_product: dict):
    """The first k lines of each product are returned."""
    first = o.groupby("product_id").cumcount()
    hit = o[first < o["product_id"].map(k_by_product).fillna(0)]
    return pd.DataFrame({"return_id": [f"r{i}" for i in range(len(hit))], "order_id": hit["order_id"].tolist(),
                         "product_id": hit["product_id"].tolist(), "return_date": pd.Timestamp("2024-01-10")})


def test_rates_within_category_flags_only_the_odd_product():
    # low category "l": 5% returns; high category "h": 30%; "hx" (in h) returns 60%
    n = {**{f"l{i}": 400 for i in range(6)}, **{f"h{i}": 400 for i in range(6)}, "hx": 400}
    k = {**{f"l{i}": 20 for i in range(6)}, **{f"h{i}": 120 for i in range(6)}, "hx": 240}
    o = _orders(n)
    ret = _returns_for(o, k)
    pooled = R.rates(o, ret).set_index("product_id")
    assert pooled["pooled"].iloc[0] == pytest.approx(1080 / 5200)
    assert set(pooled.index[pooled["flag"]]) == {"hx", *(f"h{i}" for i in range(6))}   # the whole category

    out = R.rates(o, ret, within="category").set_index("product_id")
    assert out.index[out["flag"]].tolist() == ["hx"]
    assert out.loc["h0", "category"] == "h" and out.loc["l0", "category"] == "l"
    assert out.loc["h0", "pooled"] == pytest.approx(960 / 2800)
    assert out.loc["l0", "pooled"] == pytest.approx(0.05)
    assert out.loc["l0", "limit998_high"] == pytest.approx(stats.funnel_limits(0.05, [400], 0.998)[1][0])
    # per-category priors: the low products shrink towards 5%, not towards the overall ~21%
    assert set(out.attrs["prior"]) == {"l", "h"}
    assert out.attrs["prior"]["l"].mean == pytest.approx(0.05, abs=0.005)
    assert out.loc["l0", "shrunk"] == pytest.approx(0.05, abs=0.005)
    assert out.loc["hx", "shrunk"] > out.loc["h0", "shrunk"]


def test_rates_within_looks_up_products_and_rejects_by():
    o = _orders({"a1": 50, "b1": 50}).drop(columns="category")
    ret = _returns_for(o, {"a1": 5, "b1": 10})
    prods = pd.DataFrame({"product_id": ["a1", "b1"], "category": ["x", "y"]})
    out = R.rates(o, ret, within="category", products=prods).set_index("product_id")
    assert out.loc["a1", "pooled"] == pytest.approx(0.1) and out.loc["b1", "pooled"] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="within"):
        R.rates(o, ret, by="product_id", within="product_id")
