"""insight.delivery.rating_by_delivery: the array path for whole-number ratings (bincount
sums, pandas' SD on Categorical codes, int16 ranks for Spearman) gives exactly what the
pandas groupby path (_rating_by_delivery_frame) gives; hand-computed tables."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from insight import delivery as D


def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def orders():
    # delivery days / lateness: o1 3 / +2 (late), o2 1 / -1, o3 1 / -1, o4 4 / +1 (late),
    # o5 0 / no promise (late unknown), o6 9 / -1
    return pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "customer_id": ["c1", "c1", "c2", "c3", "c4", "c5"],
        "order_date": T(["2024-01-01", "2024-02-01", "2024-01-10", "2024-01-01", "2024-01-05",
                         "2024-01-01"]),
        "promised_date": T(["2024-01-02", "2024-02-03", "2024-01-12", "2024-01-04", None,
                            "2024-01-11"]),
        "delivered_date": T(["2024-01-04", "2024-02-02", "2024-01-11", "2024-01-05", "2024-01-05",
                             "2024-01-10"]),
        "status": "delivered",
    })


def _reviews(oids, ratings):
    n = len(oids)
    return pd.DataFrame({"review_id": [f"r{i}" for i in range(n)], "customer_id": "c1",
                         "order_id": oids, "created_at": T(["2024-03-01"] * n),
                         "rating": ratings})


def _same(a, b):
    pd.testing.assert_frame_equal(a.by_days, b.by_days, check_exact=True)
    pd.testing.assert_frame_equal(a.by_late, b.by_late, check_exact=True)
    assert (a.late_vs_on_time is None) == (b.late_vs_on_time is None)
    if a.late_vs_on_time is not None:
        assert vars(a.late_vs_on_time) == vars(b.late_vs_on_time)
    assert a.trend == b.trend and (a.matched, a.unmatched) == (b.matched, b.unmatched)


def _frame_path(orders, reviews, bins=D.BINS):
    m, unmatched = D._reviews_with_orders(orders, reviews)
    return D._rating_by_delivery_frame(m[m["delivery_days"] >= 0], int(unmatched), list(bins), D.ALPHA)


def test_rating_tables_hand(orders):
    rv = _reviews(["o1", "o1", "o2", "o3", "o4", "o5", "o6", "zz"], [1.0, 2.0, 5.0, 4.0, 2.0, 5.0, 3.0, 4.0])
    r = D.rating_by_delivery(orders, rv, bins=[0, 1, 3, 5, np.inf])
    assert (r.matched, r.unmatched) == (7, 1)
    b = r.by_days.set_index("bin")
    assert list(b.index) == ["0–1", "2–3", "4–5", "6+"]
    # 0-1 days: o2 5, o3 4, o5 5; 2-3: o1 1, 2; 4-5: o4 2; 6+: o6 3
    assert b["n"].tolist() == [3, 2, 1, 1] and b["mean"].tolist() == [14 / 3, 1.5, 2.0, 3.0]
    assert b["k_low"].tolist() == [0, 2, 1, 0] and b["k_low"].dtype == np.int64
    assert b.loc["2–3", "ci_low"] == pytest.approx(1.5 - 12.7062 * np.sqrt(0.5) / np.sqrt(2), abs=1e-3)   # t(1) * sd / sqrt(n)
    assert np.isnan(b.loc["4–5", "ci_low"])                    # one rating: no SD
    t = r.by_late.set_index("timing")
    assert t.index.tolist() == ["on_time", "late"]            # o5 (no promise) in neither
    assert t["n"].tolist() == [3, 3] and t["mean"].tolist() == [4.0, 5 / 3]
    assert r.late_vs_on_time.difference == pytest.approx(5 / 3 - 4.0)
    rho = spearmanr([3, 3, 1, 1, 4, 0, 9], [1, 2, 5, 4, 2, 5, 3]).statistic
    assert r.trend["rho"] == rho and r.trend["n"] == 7
    _same(r, _frame_path(orders, rv, [0, 1, 3, 5, np.inf]))


def test_rating_array_path_equals_frame_path(orders):
    cases = [
        (["o1", "o2", "o3", "o6"], [1.0, 5.0, 4.0, 3.0]),         # no late group with >= 2 ratings
        (["o2", "o3", "o6", "o2"], [5.0, 4.0, 3.0, 2.0]),          # no late reviews: NaN row
        (["o5", "o5", "o2"], [1.0, 2.0, 3.0]),                     # mostly no promise
        (["o1", "o4", "o1", "o4", "o2"], [1.0, 1.0, 1.0, 1.0, 5.0]),   # constant late ratings
    ]
    promised = orders[orders["order_id"] != "o5"].reset_index(drop=True)   # late: bool, not object
    assert D.delivered(promised)["late"].dtype == bool
    for o in (orders, promised):
        for oids, ratings in cases:
            rv = _reviews(oids, ratings)
            for bins in (D.BINS, [0, 1, 2]):                      # 4 and 9 days outside [0, 2]
                _same(D.rating_by_delivery(o, rv, bins=bins), _frame_path(o, rv, bins))
    # half stars take the pandas path itself
    rv = _reviews(["o1", "o2", "o3", "o4"], [1.5, 5.0, 4.0, 2.0])
    _same(D.rating_by_delivery(orders, rv), _frame_path(orders, rv))


def test_rating_random_equals_frame_path(orders):
    rng = np.random.default_rng(5)
    lines = pd.concat([orders.assign(order_id=orders["order_id"] + f"_{k}") for k in range(40)],
                      ignore_index=True)
    oids = rng.choice(lines["order_id"].to_numpy(), 900)
    rv = _reviews(list(oids), rng.integers(1, 6, 900).astype(float))
    rv.loc[::11, "rating"] = np.nan
    rv.loc[::13, "order_id"] = None                             # matched by customer and date
    _same(D.rating_by_delivery(lines, rv), _frame_path(lines, rv))


def test_small_ints():
    x, y = np.array([0.0, 3.0, 12.0]), np.array([5.0, -2.0, 1.0])
    a, b = D._small_ints(x, y)
    assert a.dtype == np.int16 and a.tolist() == [0, 3, 12] and b.tolist() == [5, -2, 1]
    for bad in (np.array([0.5, 1.0, 2.0]), np.array([1.0, np.nan, 2.0]), np.array([1.0, 40000.0, 2.0])):
        a, b = D._small_ints(x, bad)
        assert a is x and b is bad                              # left as they are
    r = np.random.default_rng(1).integers(0, 30, (2, 5000)).astype(float)
    assert spearmanr(*D._small_ints(*r)) == spearmanr(*r)


def test_cut_days_like_pd_cut():
    labels_of = D._bin_labels
    rng = np.random.default_rng(9)
    xs = [np.array([0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 0.0, 40.0]),      # whole days: cut per day
          rng.integers(0, 30, 1000).astype(float),
          np.array([0.0, 0.5, 1.5, 7.25]),                           # not whole: pd.cut itself
          np.array([0.0, 1e7]),                                      # too wide a range
          np.zeros(0)]
    for x in xs:
        for bins in (list(D.BINS), [0, 1, 2], [0, 3, 10, 20]):
            want = pd.cut(x, bins, right=True, include_lowest=True, labels=labels_of(bins))
            got = D._cut_days(x, bins)
            assert got.dtype == want.dtype and np.asarray(got.codes).tolist() == np.asarray(want.codes).tolist()
    got = D._cut_days(np.array([0.0, 1.0, 2.0, 3.0, 5.0, 8.0]), list(D.BINS))
    assert list(got.astype(str)) == ["0–1", "0–1", "2", "3", "4–5", "8+"]
    with pytest.raises(ValueError):                                  # bins are checked as pd.cut does
        D._cut_days(np.array([1.0, 2.0]), [0, 2, 1])
