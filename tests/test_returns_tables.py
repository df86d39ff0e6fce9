"""insight.returns' small-table helpers: the group table in sorted key order and the
sort by shrunk rate, equal to the pandas groupby / sort_values they replace."""
import numpy as np
import pandas as pd

from insight import returns as R


def _groupby(by, keys, k, n):
    small = pd.DataFrame({by: keys, "_k": k, "_n": n})
    g = small.groupby(by, observed=True).agg(k=("_k", "sum"), n=("_n", "sum")).reset_index()
    g["k"] = g["k"].astype("int64")
    return g


def test_group_table_sorted_like_groupby():
    k = np.array([1.0, 0.0, 3.0, 2.0, 0.0, 5.0])
    n = np.array([4, 1, 9, 2, 7, 5], dtype=np.int64)
    cases = [
        pd.Series(["b", "B", "ä", "a", "پ", "a2"], dtype="str"),     # case, non-ASCII, prefix
        pd.Series([30, -2, 7, 0, 11, 5], dtype="int64"),
        pd.Series([0.5, -1.0, 2.0, 0.0, 1e9, 3.25]),
        pd.Series(pd.Categorical(["x", "y", "z", "w", "v", "u"], categories=list("zyxwvu"))),
    ]
    for keys in cases:
        got = R._group_table("product_id", keys, k, n)
        pd.testing.assert_frame_equal(got, _groupby("product_id", keys, k, n), check_exact=True)
    got = R._group_table("category", cases[0], k, n)
    assert got["category"].tolist() == ["B", "a", "a2", "b", "ä", "پ"]    # code-point order
    assert got["k"].tolist() == [0, 2, 5, 1, 3, 0] and got["k"].dtype == np.int64
    assert got["n"].tolist() == [1, 2, 5, 4, 9, 7]
    empty = R._group_table("product_id", pd.Series([], dtype="str"), np.zeros(0), np.zeros(0, np.int64))
    pd.testing.assert_frame_equal(empty, _groupby("product_id", pd.Series([], dtype="str"), np.zeros(0),
                                                  np.zeros(0, np.int64)))


def test_by_shrunk_like_sort_values():
    g = pd.DataFrame({"product_id": list("abcdefg"),
                      "n": np.array([5, 9, 5, 9, 2, 5, 9], dtype=np.int64),
                      "shrunk": [0.1, 0.3, 0.3, 0.3, 0.0, 0.1, -0.0]})
    got = R._by_shrunk(g)
    # shrunk descending, then n descending, ties (b, d: 0.3 and 9) in their order; 0.0 == -0.0
    assert got["product_id"].tolist() == ["b", "d", "c", "a", "f", "g", "e"]
    want = g.sort_values(["shrunk", "n"], ascending=[False, False], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    rng = np.random.default_rng(2)
    r = pd.DataFrame({"n": rng.integers(1, 4, 500).astype(np.int64),
                      "shrunk": rng.integers(0, 6, 500) / 5})
    pd.testing.assert_frame_equal(R._by_shrunk(r), r.sort_values(["shrunk", "n"], ascending=False,
                                                                 kind="stable").reset_index(drop=True))
    g.loc[2, "shrunk"] = np.nan                     # NaN: sort_values itself (NaN last)
    assert R._by_shrunk(g)["product_id"].tolist()[-1] == "c"


def test_first_in_blocks_like_first_of_each():
    from insight._events import first_of_each

    # runs of g: [0 0 0] [1 1] [3 3 3 3]; keys repeat within runs only
    g = np.array([0, 0, 0, 1, 1, 3, 3, 3, 3])
    keys = np.array([10, 11, 10, 20, 20, 30, 31, 31, 30])
    assert R._first_in_blocks(g, keys).tolist() == [0, 1, 3, 5, 6]
    rng = np.random.default_rng(6)
    for _ in range(20):
        g = np.sort(rng.integers(0, 300, 1000))
        keys = g * 1000 + rng.integers(0, 4, 1000)
        assert R._first_in_blocks(g, keys).tolist() == first_of_each(keys).tolist()
    assert R._first_in_blocks(np.array([1, 0]), np.array([5, 6])) is None          # g decreases
    long = np.zeros(30, np.int64)
    assert R._first_in_blocks(long, np.arange(30) % 3) is None                     # run > 17 lines
    assert R._first_in_blocks(long, np.arange(30) % 3, max_lag=29).tolist() == [0, 1, 2]
    assert R._first_in_blocks(np.zeros(0, np.int64), np.zeros(0, np.int64)) is None
