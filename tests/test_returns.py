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
