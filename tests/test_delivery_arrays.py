"""insight.delivery's array paths without groups (lateness, on-time and within-N-days
shares, day numbers): hand-computed values, and the same numbers as the grouped pandas
path they replace."""
import numpy as np
import pandas as pd
import pytest

from insight import delivery as D


def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def orders():
    # lateness (delivered day - promised day): o1 -1, o2 0, o3 +3, o4 0, o5 no promise;
    # o6 has no order date (no delivery days); o7 ordered and delivered before 1970
    return pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
        "order_date": T(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01 23:00",
                         "2024-01-01", None, "1969-12-30 23:00"]),
        "promised_date": T(["2024-01-03", "2024-01-03", "2024-01-02", "2024-01-02", None,
                            "2024-01-03", "1969-12-31 01:00"]),
        "delivered_date": T(["2024-01-02", "2024-01-03 18:00", "2024-01-05", "2024-01-02",
                             "2024-01-04", "2024-01-03", "1969-12-31 22:00"]),
        "status": "delivered",
    })


def _grouped(orders, fn, **kw):
    """The grouped pandas path on one group, as the one-row result of ``fn``."""
    out = fn(orders.assign(g="all"), by="g", **kw).drop(columns="g")
    return out


def test_day_numbers_floor_before_1970(orders):
    d = D.delivered(orders)
    # o7: ordered 12-30 23:00, delivered 12-31 22:00 -> 1 day; promised 12-31 -> on the day
    assert d["delivery_days"].tolist()[:5] == [1.0, 2.0, 4.0, 1.0, 3.0]
    assert np.isnan(d["delivery_days"][5]) and d["delivery_days"][6] == 1.0
    assert d["lateness_days"].tolist()[:4] == [-1.0, 0.0, 3.0, 0.0]
    assert np.isnan(d["lateness_days"][4]) and d["lateness_days"].tolist()[5:] == [0.0, 0.0]
    assert (D._day_number(np.array([-1, 0, D._DAY_NS, D._NAT])).tolist()
            == [-1, 0, 1, D._NAT])


def test_lateness_without_groups_hand(orders):
    r = D.lateness(orders).iloc[0]
    # lateness -1, 0, 3, 0, 0, 0 (o5 has no promise): sorted -1 0 0 0 0 3, n = 6
    assert r["n"] == 6 and r["mean"] == pytest.approx(2 / 6)
    # q10: position 0.5 -> -1 + 1 * 0.5; q75: 3.75 -> 0; q90: 4.5 -> 0 + 3 * 0.5
    assert r["q10"] == -0.5 and r["q25"] == 0.0 and r["q50"] == 0.0 and r["q75"] == 0.0
    assert r["q90"] == 1.5
    assert r["k_late"] == 1 and r["late_share"] == pytest.approx(1 / 6)
    assert r["mean_late_days"] == 3.0
    # SD: squares 1 + 9 = 10, about the mean 10 - 6 / 9 = 28/3, over 5 -> sqrt(28/15); t(.975, 5)
    half = 2.5705818 * np.sqrt(28 / 15) / np.sqrt(6)
    assert r["mean_ci_low"] == pytest.approx(1 / 3 - half) and r["mean_ci_high"] == pytest.approx(1 / 3 + half)
    pd.testing.assert_frame_equal(D.lateness(orders), _grouped(orders, D.lateness), check_exact=True)


def test_lateness_quantiles_like_pandas():
    rng = np.random.default_rng(3)
    qs = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.77, 0.9, 0.999, 1.0]
    for n in (1, 2, 3, 7, 100, 1001):
        x = rng.integers(-5, 30, n).astype("float64")
        want = pd.Series(x).groupby(np.zeros(n, dtype=np.intp)).quantile(qs).to_numpy()
        assert np.array_equal(D._pandas_quantiles(x, qs), want)
    # hand: 0 10 20 30 -> q 0.5 at position 1.5 -> 15; q 0.9 at 2.7 -> 20 + 10 * 0.7
    got = D._pandas_quantiles(np.array([30.0, 0.0, 20.0, 10.0]), [0.5, 0.9])
    assert got[0] == 15.0 and got[1] == pytest.approx(27.0)


def test_lateness_no_late_order_and_clashing_names(orders):
    o = orders[orders["order_id"].isin(["o1", "o2"])]
    r = D.lateness(o).iloc[0]
    assert r["n"] == 2 and r["k_late"] == 0 and np.isnan(r["mean_late_days"])
    pd.testing.assert_frame_equal(D.lateness(o), _grouped(o, D.lateness), check_exact=True)
    # 0.999 and 1 are both named q100: the grouped path's output is kept as it was
    qs = (0.5, 0.999, 1.0)
    pd.testing.assert_frame_equal(D.lateness(orders, quantiles=qs),
                                  _grouped(orders, D.lateness, quantiles=qs), check_exact=True)


def test_shares_without_groups(orders):
    r = D.on_time(orders).iloc[0]
    # promised orders o1 o2 o3 o4 o6 o7: on time all but o3
    assert (r["k"], r["n"], r["value"]) == (5, 6, 5 / 6)
    pd.testing.assert_frame_equal(D.on_time(orders), _grouped(orders, D.on_time), check_exact=True)
    w = D.within_days(orders, days=(1, 2)).set_index("days")
    # delivery days 1 2 4 1 3 1 (o6 has none): within 1 -> 3 of 6, within 2 -> 4 of 6
    assert w.loc[1, ["k", "n"]].tolist() == [3, 6] and w.loc[2, ["k", "n"]].tolist() == [4, 6]
    g = _grouped(orders, D.within_days, days=(1, 2))
    pd.testing.assert_frame_equal(D.within_days(orders, days=(1, 2)), g, check_exact=True)


def test_shares_counted_on_flags(orders):
    # every order promised: late is a bool column and on_time counts the flags
    o = orders[orders["promised_date"].notna()]
    assert D.delivered(o)["late"].dtype == bool
    r = D.on_time(o).iloc[0]
    assert (r["k"], r["n"], r["value"]) == (5, 6, 5 / 6)          # o3 late
    pd.testing.assert_frame_equal(D.on_time(o), _grouped(o, D.on_time), check_exact=True)
    # thresholds that are not Python ints keep the frame path (their own column dtype)
    for days in ((1, 2), (1.5, 3), (np.int64(1), 2), (0,)):
        pd.testing.assert_frame_equal(D.within_days(orders, days=days),
                                      _grouped(orders, D.within_days, days=days), check_exact=True)
    w = D.within_days(orders, days=(0, 5))
    assert w["days"].dtype == np.int64 and w["k"].tolist() == [0, 6] and w["n"].tolist() == [6, 6]
    assert w["expected_share"].isna().all()
    # no delivery days at all: one row per threshold, n = 0, NaN share and CI (as before)
    w = D.within_days(orders.assign(order_date=pd.NaT))
    assert w["k"].tolist() == [0, 0] and w["n"].tolist() == [0, 0] and w["n"].dtype == np.int64
    assert w[["share", "ci_low", "ci_high"]].isna().all().all()


def test_delivery_days_quantiles_from_sorted_days(orders):
    r = D.delivery_days(orders).iloc[0]
    # days 1 2 4 1 3 1 (o6 none): sorted 1 1 1 2 3 4; q25 at 1.25 -> 1, q75 at 3.75 -> 2 + .75,
    # q90 at 4.5 -> 3.5; median at 2.5 -> 1.5
    assert (r["n"], r["median"], r["q25"], r["q75"], r["q90"]) == (6, 1.5, 1.0, 2.75, 3.5)
    assert r["mean"] == 2.0
    pd.testing.assert_frame_equal(D.delivery_days(orders), _grouped(orders, D.delivery_days),
                                  check_exact=True)
