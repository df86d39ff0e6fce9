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


def test_lookup_codes_short_ids_without_codes(lines):
    # short ids and no codes of the column yet: matched on their bytes, the column is
    # not factorized (nothing cached); the same answer as through its codes
    other = pd.DataFrame({"order_id": pd.Series(["o3", None, "zz", "o1", "o3", "o2x"], dtype="str")})
    _, u = E.codes(lines, "order_id")
    got = E.lookup_codes(other, "order_id", u)
    assert got.tolist() == [2, -1, -1, 0, 2, -1]
    assert E._cached_codes(other, "order_id") is None
    E.codes(other, "order_id")                   # now cached: the codes path, same answer
    assert E._cached_codes(other, "order_id") is not None
    assert E.lookup_codes(other, "order_id", u).tolist() == got.tolist()


def test_first_of_each_matches_unique():
    rng = np.random.default_rng(3)
    for keys in (np.array([5, 3, 5, 7, 3, 3, -1]), np.arange(10), rng.integers(0, 50, 400),
                 np.zeros(0, np.int64)):
        keys = keys.astype(np.int64)
        want = np.sort(np.unique(keys, return_index=True)[1])
        assert E.first_of_each(keys).tolist() == want.tolist()
    assert E.first_of_each(np.array([5, 3, 5, 7, 3, 3, -1])).tolist() == [0, 1, 3, 6]


def test_first_of_each_low_bit_collisions():
    # 5 repeats; 5 + 2**16 and 5 + 2**20 share its low 16 bits (the candidates' bitmap)
    # but occur once, as does the negative -2**16 + 5: only the repeats are dropped
    k = np.array([5, 5 + 2**16, 5, 5 + 2**20, -(2**16) + 5, 5, 7, 7], dtype=np.int64)
    assert E.first_of_each(k).tolist() == [0, 1, 3, 4, 6]
    big = np.r_[np.arange(0, 2**40, 2**24), np.arange(0, 2**40, 2**24)[::3]].astype(np.int64)
    assert E.first_of_each(big).tolist() == list(range(2**16))


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


# ---------------------------------------------------------------- short-id lookups
def _str(values):
    return pd.Series(pd.array(values, dtype="str"))


def test_id_keys_sort_like_the_strings_and_flag_what_they_cannot_hold():
    ids = _str(["b", "a", "ab", "", "ba", "é", "z", "aaé", "C000010", "C000009"])
    keys, ok = E._id_keys(ids)
    assert ok.all()
    got = ids.to_numpy()[np.argsort(keys, kind="stable")].tolist()
    assert got == sorted(ids.tolist())  # "", "C000009", "C000010", "a", "aaé", "ab", "b", "ba", "z", "é"
    assert len(set(keys.tolist())) == len(ids)
    # missing, longer than 8 bytes (UTF-8: "ééééé" is 10 bytes), NUL byte: no key
    keys, ok = E._id_keys(_str(["a", None, "123456789", "ééééé", "a\x00", "12345678"]))
    assert ok.tolist() == [True, False, False, False, False, True]
    assert E._id_keys(pd.Series([1, 2])) is None          # not Arrow strings
    assert E.short_id_keys(pd.Index(_str(["a", None]))) is None
    assert E.short_id_keys(_str(["b", "a"])).tolist() == [ord("b") << 56, ord("a") << 56]


def test_lookup_short_ids_table_path_known_answer():
    import pyarrow as pa
    uniq = pd.Index(["O03", "O01", "O10", "O02"], dtype="str")
    vals = pd.Series(["O10", None, "O1", "O01", "O0100", "O02", "X99", "O03"], dtype="str")
    got = E.lookup_many([vals, vals.iloc[2:5]], uniq)
    assert got[0].tolist() == [2, -1, -1, 1, -1, 3, -1, 0]
    assert got[1].tolist() == [-1, 1, -1]            # a sliced Arrow array (non-zero offset)
    m = E._short_ids(uniq)
    assert m is not None and m.table is not None     # the table path was taken
    assert E._short_ids(uniq) is m                   # built once per uniques Index
    # several chunks, regular string type
    arr = pa.chunked_array([pa.array(["O02", None]), pa.array(["O03", "O9"])])
    s = pd.Series(pd.arrays.ArrowStringArray(arr))
    assert E.lookup(s, uniq).tolist() == [3, -1, 0, -1]


def test_lookup_short_ids_sorted_search_path():
    # ids whose bytes vary too much for a table: the uint64 sorted search
    uniq = pd.Index(["zA9~~k", "a0B!!z", "Q7q#$%", "mm00mm"], dtype="str")
    vals = pd.Series(["mm00mm", "zA9~~k", "zA9~~K", None, "a0B!!z", "Q7q#$%", "Q7q#$"], dtype="str")
    assert E.lookup(vals, uniq).tolist() == [3, 0, -1, -1, 1, 2, -1]
    assert E._short_ids(uniq).table is None


def test_lookup_mixed_lengths_and_persian_short_ids():
    # mixed lengths <= 8 bytes, not sorted: keys distinct, so still matched on bytes;
    # "علی" is 6 UTF-8 bytes, "ب۱" 4; "a\x00" must not match "a" (same padded bytes)
    uniq = pd.Index(_str(["c2", "a1", "b3", "علی", "ب۱", "a"]))
    assert E._short_ids(uniq) is not None
    vals = [_str(["b3", None, "zz", "a1", "a-much-longer-id", "علی", "a\x00", "ب۱", "a"]),
            _str(["c2", "c2"])]
    got = E.lookup_many(vals, uniq)
    assert [g.tolist() for g in got] == [[2, -1, -1, 1, -1, 3, -1, 4, 5], [0, 0]]


def test_lookup_fallbacks_give_the_same_answers():
    cases = [
        pd.Index(_str(["customer-000002", "customer-000001"])),          # > 8 bytes
        pd.Index(_str(["مشتری-۱", "مشتری-۲"])),                          # Persian, > 8 bytes
        pd.Index(_str(["a", "b\x00", "b"])),                             # NUL byte in an id
        pd.Index(["a", "bb", "ccc"], dtype=object),                      # not Arrow
    ]
    for uniq in cases:
        assert E._short_ids(uniq) is None
        vals = pd.Series([*uniq[::-1], "zz", None], dtype=uniq.dtype)
        want = [*range(len(uniq) - 1, -1, -1), -1, -1]
        assert E.lookup(vals, uniq).tolist() == want
        assert [g.tolist() for g in E.lookup_many([vals, vals.iloc[:1]], uniq)] == [want, want[:1]]
        assert uniq.get_indexer(vals).tolist() == want
    # a missing id or a repeated id in uniques: the general lookup decides (as before)
    assert E._short_ids(pd.Index(_str(["a", None]))) is None
    rep = pd.Index(_str(["a", "b", "a"]))
    assert E._short_ids(rep) is None and E.lookup(_str(["a", "b"]), rep).tolist() == [0, 1]
    # object-dtype values against short Arrow ids: pandas' get_indexer
    uniq = pd.Index(_str(["O1", "O2"]))
    obj = pd.Series(["O2", None, "O3"], dtype=object)
    assert E.lookup(obj, uniq).tolist() == [1, -1, -1]
    assert [g.tolist() for g in E.lookup_many([obj, _str(["O1"])], uniq)] == [[1, -1, -1], [0]]


def test_lookup_empty_inputs():
    uniq = pd.Index(_str(["O1", "O2"]))
    assert E.lookup(_str([]), uniq).tolist() == []
    assert E.lookup_many([], uniq) == []
    assert [g.tolist() for g in E.lookup_many([_str([]), _str(["O2"])], uniq)] == [[], [1]]
    assert E.lookup(_str(["O1", None]), pd.Index(_str([]))).tolist() == [-1, -1]
    assert E.lookup(_str([None, None]), uniq).tolist() == [-1, -1]


def test_lookup_short_paths_agree_with_get_indexer():
    rng = np.random.default_rng(7)
    for fmt, n in (("O{:07d}", 3000), ("C{:06d}", 500), ("{:x}", 2000), ("k{}", 800)):
        ids = [fmt.format(i) for i in rng.choice(10 ** 6, n, replace=False)]
        uniq = pd.Index(_str(ids))
        vals = _str([*rng.choice(ids, 4000), *[fmt.format(i) for i in rng.integers(0, 10 ** 6, 500)],
                     None, "O" * 9])
        assert E._short_ids(uniq) is not None
        assert E.lookup(vals, uniq).tolist() == uniq.get_indexer(vals).tolist()
    uniq = pd.Index(_str([f"O{i:07d}" for i in rng.permutation(5000)]))    # a counter: table
    vals = _str([f"O{i:07d}" for i in rng.integers(0, 6000, 3000)] + ["P0000001", "O000001"])
    assert E._short_ids(uniq).table is not None
    assert E.lookup(vals, uniq).tolist() == uniq.get_indexer(vals).tolist()


def test_short_id_matcher_goes_with_the_index():
    import gc

    uniq = pd.Index(_str(["O1", "O2"]))
    E.lookup(_str(["O1"]), uniq)
    key = id(uniq)
    assert key in E._SHORT
    del uniq
    gc.collect()
    assert key not in E._SHORT


def test_cache_callbacks_survive_interpreter_exit(monkeypatch):
    # at interpreter exit a module's globals are set to None before the last frames are
    # collected; the weakref callback must not look `_forget` up then (it printed
    # "Exception ignored ... 'NoneType' object is not callable" at the end of reports)
    import gc
    import sys
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))
    o = pd.DataFrame({"order_id": ["a", "b", "a"], "customer_id": ["x", "y", "x"],
                      "order_date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"])})
    E.warm(o)
    monkeypatch.setattr(E, "_forget", None)    # as module teardown leaves it
    del o
    gc.collect()
    assert seen == []


def _next_after_brute(orders, cust, at):
    """Each query's next order time strictly after ``at``, by a scan of the lines."""
    cc, _ = E.codes(orders, "customer_id")
    t = E.ns_int(orders["order_date"])
    out = []
    for c, a in zip(cust, at):
        if c < 0 or a == E._NAT:
            out.append(E._NAT)
            continue
        later = t[(cc == c) & (t != E._NAT) & (t > a)]
        out.append(later.min() if len(later) else E._NAT)
    return np.array(out, dtype=np.int64)


def test_next_order_after_walk_and_long_histories():
    # c0 has 20 orders (more than the walk's steps: the binary search finishes), c1 one,
    # c2 only undated lines, c3 orders on repeated dates (several lines per time)
    rng = np.random.default_rng(4)
    days = np.r_[np.arange(20) * 3, [5], [np.nan] * 2, [1, 1, 4, 4, 4, 9]]
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(days))],
        "customer_id": ["c0"] * 20 + ["c1"] + ["c2"] * 2 + ["c3"] * 6,
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")})
    orders = orders.sample(frac=1, random_state=1).reset_index(drop=True)   # lines in any order
    cu = E.codes(orders, "customer_id")[1].tolist()
    code = {c: cu.index(c) for c in ("c0", "c1", "c2", "c3")}
    base = pd.Timestamp("2024-01-01").value
    day = 86_400 * 10**9
    cust = np.array([code["c0"]] * 6 + [code["c1"], code["c1"], code["c2"], code["c3"], code["c3"],
                     code["c3"], -1, code["c0"]], dtype=np.int64)
    at = base + day * np.array([-1, 0, 2, 30, 56, 57, 4, 5, 0, 1, 3, 9, 0, 0], dtype=np.int64)
    at[-1] = E._NAT
    got = E.next_order_after(orders, cust, at)
    want_days = [0, 3, 3, 33, 57, None, 5, None, None, 4, 4, None, None, None]
    assert got.tolist() == [E._NAT if d is None else base + d * day for d in want_days]
    assert got.tolist() == _next_after_brute(orders, cust, at).tolist()
    # random queries, every customer, times around their orders
    q = rng.integers(-1, 4, 300)
    qa = base + rng.integers(-2, 62, 300) * day + rng.integers(0, 2, 300) * (day // 2)
    assert E.next_order_after(orders, q, qa).tolist() == _next_after_brute(orders, q, qa).tolist()


def test_time_ranks_dates_and_times():
    day = 86_400 * 10**9
    # dates (midnights), some before 1970 and repeated: counted per day number
    t = np.array([3, -2, 3, 0, 10, -2], dtype=np.int64) * day
    ut, rank, days = E._time_ranks(t)
    assert ut.tolist() == [-2 * day, 0, 3 * day, 10 * day] and rank.tolist() == [2, 0, 2, 1, 3, 0]
    d0, le = days
    assert d0 == -2 and le.tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4]
    # a time of day anywhere: sorted distinct times and a binary search, no day table
    t2 = np.r_[t, [day + 5]]
    ut2, rank2, days2 = E._time_ranks(t2)
    assert days2 is None and ut2.tolist() == sorted(set(t2.tolist()))
    assert (ut2[rank2] == t2).all()
    # dates too far apart for a day table: the general path
    far = np.array([0, 10**5], dtype=np.int64) * day
    assert E._time_ranks(far)[2] is None and E._time_ranks(far)[1].tolist() == [0, 1]
    assert E._time_ranks(np.zeros(0, np.int64))[0].tolist() == []


def test_next_order_after_with_times_of_day():
    # order times with a time of day: the general rank path gives the same answers
    rng = np.random.default_rng(8)
    n = 400
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "customer_id": [f"c{i}" for i in rng.integers(0, 40, n)],
        "order_date": pd.Timestamp("1969-12-20") + pd.to_timedelta(rng.integers(0, 60 * 24, n) * 60, unit="s")})
    q = rng.integers(-1, 40, 500)
    at = pd.Timestamp("1969-12-19").value + rng.integers(0, 62 * 86_400, 500) * 10**9
    assert E._timeline(orders)[5] is None
    assert E.next_order_after(orders, q, at).tolist() == _next_after_brute(orders, q, at).tolist()
    dates = orders.assign(order_date=orders["order_date"].dt.normalize())
    assert E._timeline(dates)[5] is not None
    assert E.next_order_after(dates, q, at).tolist() == _next_after_brute(dates, q, at).tolist()
