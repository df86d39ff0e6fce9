"""insight._events: order-level collapse, next order after an anchor, and the per-frame
caches (hand-computed answers)."""
import numpy as np
import pandas as pd
import pytest

from insight import _events as E


def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def lines():
    # o1: two lines, the first without customer -> customer c1 from the second line;
    #     order date = earliest, promised/delivered = latest; one line cancelled -> delivered
    # o2: all lines cancelled -> cancelled;  o3: backordered + missing status -> backordered
    # o4: a line without order id (dropped);  o5: status "DELIVERED" (case-insensitive)
    return pd.DataFrame({
        "order_id": ["o1", "o2", "o1", "o3", None, "o3", "o2", "o5"],
        "customer_id": [None, "c2", "c1", "c1", "c9", "c1", "c2", "c3"],
        "order_date": T(["2024-01-02", "2024-01-05", "2024-01-01", "2024-01-10", "2024-01-01",
                         "2024-01-10", "2024-01-05", "2024-03-01"]),
        "promised_date": T(["2024-01-04", "2024-01-07", "2024-01-06", "2024-01-12", None,
                            "2024-01-13", "2024-01-07", "2024-03-03"]),
        "delivered_date": T(["2024-01-03", None, "2024-01-05", None, None, None, None,
                             "2024-03-02"]),
        "status": ["delivered", "cancelled", "cancelled", "backordered", "delivered", None,
                   "Cancelled", "DELIVERED"],
        "channel": [None, "web", "app", "web", "app", "app", "web", "app"],
    })


def test_order_level_known_answer(lines):
    o = E.order_level(lines, extra=["channel"])
    assert o["order_id"].tolist() == ["o1", "o2", "o3", "o5"]
    assert o["customer_id"].tolist() == ["c1", "c2", "c1", "c3"]
    assert o["order_date"].tolist() == list(T(["2024-01-01", "2024-01-05", "2024-01-10",
                                               "2024-03-01"]))
    assert o["promised_date"].tolist() == list(T(["2024-01-06", "2024-01-07", "2024-01-13",
                                                  "2024-03-03"]))
    assert o["delivered_date"].iloc[0] == T("2024-01-05") and o["delivered_date"].iloc[1:3].isna().all()
    assert o["status"].tolist() == ["delivered", "cancelled", "backordered", "delivered"]
    assert o["channel"].tolist() == ["app", "web", "web", "app"]    # first non-missing
    d = E.delivered_orders(lines)
    assert d["order_id"].tolist() == ["o1", "o5"]


def test_order_level_cache_follows_edits(lines):
    a = E.order_level(lines)
    a["order_date"] = pd.NaT                    # the caller's copy only
    b = E.order_level(lines)
    b.loc[0, "customer_id"] = "zz"              # edited in place: copy-on-write
    assert E.order_level(lines)["order_date"].iloc[0] == T("2024-01-01")
    assert E.order_level(lines)["customer_id"].iloc[0] == "c1"
    lines.loc[2, "order_date"] = T("2023-12-31")  # edited in place: recomputed
    assert E.order_level(lines)["order_date"].iloc[0] == T("2023-12-31")
    lines["status"] = "delivered"                 # column replaced
    assert (E.order_level(lines)["status"] == "delivered").all()


def test_group_first_codes_not_in_first_appearance_order():
    v = pd.Series(["a", "b", None, "c"], dtype="str")
    g = np.array([1, 0, 2, 1])
    assert E.group_first(v, g, 3).tolist()[:2] == ["b", "a"] and pd.isna(E.group_first(v, g, 3)[2])


def test_next_order_within_known_answer(lines):
    anchors = pd.DataFrame({
        "customer_id": ["c1", "c1", "c1", "c2", "zz", "c3"],
        "t": T(["2024-01-01", "2024-01-02", "2024-01-10", "2024-01-04", "2024-01-01", None]),
    })
    nx = E.next_order_within(anchors, lines, 5, anchor="t", as_of="2024-02-01")
    # c1's lines are dated 01-01 and 01-10 (the 01-02 line has no customer): the first
    # strictly after each anchor
    assert nx["next_order_date"].tolist()[:4] == list(T(["2024-01-10", "2024-01-10", None,
                                                         "2024-01-05"]))
    assert nx["next_order_date"].iloc[4:].isna().all()
    assert nx["repurchased"].tolist() == [False, False, False, True, False, False]
    # window of 5 days must end by 02-01: all dated anchors observed
    assert nx["observed"].tolist() == [True, True, True, True, True, False]
    assert nx.columns.tolist() == ["customer_id", "t", "next_order_date", "repurchased", "observed"]


def test_lookup_codes(lines):
    other = pd.DataFrame({"order_id": pd.Series(["o3", None, "zz", "o1", "o3"], dtype="str")})
    _, u = E.codes(lines, "order_id")
    got = E.lookup_codes(other, "order_id", u)
    assert got.tolist() == [2, -1, -1, 0, 2]
    assert got.tolist() == E.lookup(other["order_id"], u).tolist()


def test_first_of_each_matches_unique():
    rng = np.random.default_rng(3)
    for keys in (np.array([5, 3, 5, 7, 3, 3, -1]), np.arange(10), rng.integers(0, 50, 400),
                 np.zeros(0, np.int64)):
        keys = keys.astype(np.int64)
        want = np.sort(np.unique(keys, return_index=True)[1])
        assert E.first_of_each(keys).tolist() == want.tolist()
    assert E.first_of_each(np.array([5, 3, 5, 7, 3, 3, -1])).tolist() == [0, 1, 3, 6]


def test_cache_entries_go_with_the_frame(lines):
    import gc

    frame = lines.copy()                         # the fixture keeps ``lines`` alive
    E.order_level(frame)
    key = (id(frame), ("order_level", ()))
    assert key in E._FRAMES
    del frame
    gc.collect()
    assert key not in E._FRAMES


def test_first_per_customer():
    # customers 1, 0, 1, -1 (no id), 0, -1 at times 5, 3, 2, NaT, 3, 1
    cust = np.array([1, 0, 1, -1, 0, -1])
    t = np.array([5, 3, 2, E._NAT, 3, 1])
    # sorted by time (NaT last): rows 5 (t1, -1), 2 (t2, c1), 1 (t3, c0), 4, 0, 3
    assert E.first_per_customer(cust, t).tolist() == [5, 2, 1]


def test_warm_builds_what_the_analyses_then_find_cached(lines):
    E.warm(lines)
    num = E.order_numbers(lines)
    assert E.order_numbers(lines) is num            # cached, not rebuilt
    assert E.order_customers(lines) is E.order_customers(lines)
    # warming changes nothing: same answer as a cold frame
    cold = lines.copy(deep=True)
    pd.testing.assert_frame_equal(E.order_level(cold), E.order_level(lines))
    E.warm(lines[["order_id"]])                     # too few columns: nothing to build, no error
