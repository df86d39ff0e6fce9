"""Known answers for the integer fast paths of insight.journey (sort key, group medians)."""
import numpy as np
import pandas as pd

from insight import journey as J

_MIN = 60 * 10 ** 9


def test_sort_order_matches_lexsort_with_ties():
    c = np.array([2, 0, 2, 1, 0, 2, 0])
    t = np.array([5, 3, 5, 1, 3, 4, 2]) * _MIN
    e = np.array([4, 1, 2, 0, 1, 9, 7], dtype=np.int8)
    # hand-sorted: customer 0 -> (t2,e7) row 6, (t3,e1) rows 1 and 4 in input order;
    # customer 1 -> row 3; customer 2 -> (t4) row 5, (t5,e2) row 2, (t5,e4) row 0
    want = [6, 1, 4, 3, 5, 2, 0]
    assert J._sort_order(c, t, e).tolist() == want
    assert np.lexsort((e, t, c)).tolist() == want


def test_sort_order_fallbacks_agree_with_lexsort():
    rng = np.random.default_rng(3)
    n = 5000
    c = rng.integers(0, 300, n)
    e = rng.integers(0, len(J.EVENTS), n).astype(np.int8)
    for t in (rng.integers(0, 50, n) * _MIN + 1_700_000_000 * 10 ** 9,   # minute stamps
              rng.integers(0, 10 ** 12, n),                              # too wide for the row: argsort
              rng.integers(0, 10 ** 18, n),                              # too wide for one key: lexsort
              np.where(rng.random(n) < 0.1, np.iinfo(np.int64).min, rng.integers(0, 99, n))):  # NaT
        assert (J._sort_order(c, t, e) == np.lexsort((e, t, c))).all()
    assert J._sort_order(c[:0], c[:0], e[:0]).tolist() == []


def test_group_medians_known_answer():
    x = np.array([1.0, np.nan, 3.0, 10.0, 2.0, np.nan, 4.0])
    key = np.array([0, 5, 0, 7, 0, 7, 0])
    # key 0: 1, 3, 2, 4 -> 2.5; key 5: only NaN -> NaN; key 7: 10
    got = J._group_medians(x, key, np.array([0, 5, 7]))
    assert got[0] == 2.5 and np.isnan(got[1]) and got[2] == 10.0
    ref = pd.Series(x).groupby(key).median()
    np.testing.assert_array_equal(got, ref.to_numpy())


def test_is_event_table():
    e = np.array([0, 1, 9, 3, 1])
    assert J._is_event(e, ("next_order", "churned")).tolist() == [False, True, True, False, True]


def test_group_medians_ns_known_answer_and_fallback():
    day = J._NS_DAY
    d = np.array([1, 3, 2, 4, 10, 7], dtype=np.int64) * day // 2     # half days
    key = np.array([3, 3, 3, 3, 9, 9])
    # key 3: 0.5, 1.5, 1.0, 2.0 -> (1.0 + 1.5) / 2 = 1.25; key 9: 5.0, 3.5 -> 4.25; key 4: none
    got = J._group_medians_ns(d, key, np.array([3, 4, 9]))
    assert got[0] == 1.25 and np.isnan(got[1]) and got[2] == 4.25
    rng = np.random.default_rng(5)
    for d in (rng.integers(0, 10 ** 6, 3000) * 60 * 10 ** 9, rng.integers(0, 2 ** 62, 3000)):  # packed / fallback
        key = rng.integers(0, 144, 3000)
        groups = np.unique(key)
        ref = pd.Series(d / day).groupby(key).median().reindex(groups).to_numpy()
        np.testing.assert_array_equal(J._group_medians_ns(d, key, groups), ref)


def test_argsort_str_short_ids_sort_as_strings():
    from insight.journey import _argsort_str
    # short ids (numbers) and one id > 8 bytes (Arrow sort) give the string order
    ids = ["C10", "C2", "C1", "B", "C100", "آ1"]
    want = sorted(range(len(ids)), key=lambda i: ids[i])
    assert list(_argsort_str(pd.Index(ids, dtype="str"))) == want
    longer = ids + ["C1000000000"]
    want = sorted(range(len(longer)), key=lambda i: longer[i])
    assert list(_argsort_str(pd.Index(longer, dtype="str"))) == want


def test_sort_order_values_read_back_from_the_key():
    rng = np.random.default_rng(11)
    n = 4000
    c = rng.integers(0, 200, n)
    e = rng.integers(0, len(J.EVENTS), n).astype(np.int8)
    for t in (rng.integers(0, 40, n) * _MIN + 1_700_000_000 * 10 ** 9,   # one key (minute unit)
              rng.integers(0, 10 ** 12, n),                              # argsort
              np.where(rng.random(n) < 0.1, np.iinfo(np.int64).min, rng.integers(0, 99, n))):  # NaT: lexsort
        o, cs, ts, es = J._sort_order(c, t, e, values=True)
        want = np.lexsort((e, t, c))
        assert (o == want).all() and (cs == c[want]).all() and (ts == t[want]).all() and (es == e[want]).all()
        assert cs.dtype == c.dtype and ts.dtype == t.dtype and es.dtype == e.dtype
    # by hand: customer 1 at minute 2 (event 3), customer 0 at minutes 5 and 1
    o, cs, ts, es = J._sort_order(np.array([1, 0, 0]), np.array([2, 5, 1]) * _MIN,
                                  np.array([3, 0, 9], dtype=np.int8), values=True)
    assert o.tolist() == [2, 1, 0] and cs.tolist() == [0, 0, 1]
    assert ts.tolist() == [_MIN, 5 * _MIN, 2 * _MIN] and es.tolist() == [9, 0, 3]


def test_sorted_codes_checks_order_of_a_log():
    T = pd.Timestamp
    log = pd.DataFrame({"customer_id": pd.Categorical(["b", "a", "a", "b"], categories=["a", "b"]),
                        "event": pd.Categorical(["review", "next_order", "order_placed", "survey"],
                                                categories=list(J.EVENTS)),
                        "timestamp": [T("2024-01-03"), T("2024-01-02"), T("2024-01-01"), T("2024-01-04")]})
    # customers not grouped in code order and a's times decreasing: sorted here
    cc, new, e, t = J._sorted_codes(log)
    assert cc.tolist() == [0, 0, 1, 1] and new.tolist() == [True, False, True, False]
    assert [J.EVENTS[i] for i in e] == ["order_placed", "next_order", "review", "survey"]
    # already sorted: the log's own codes (int8 events, no int64 copies)
    cc2, new2, e2, t2 = J._sorted_codes(log.iloc[[2, 1, 0, 3]].reset_index(drop=True))
    assert cc2.tolist() == [0, 0, 1, 1] and e2.dtype == np.int8 and (t2 == t).all()
    # grouped, but b before a (codes decrease): still grouped, kept as is
    cc3, new3, _, _ = J._sorted_codes(log.iloc[[0, 3, 2, 1]].reset_index(drop=True))
    assert cc3.tolist() == [1, 1, 0, 0] and new3.tolist() == [True, False, True, False]
    # a NaT after a time of the same customer: the wrapping difference is not negative (as before)
    nat = log.iloc[[2, 1, 0, 3]].reset_index(drop=True)
    nat.loc[1, "timestamp"] = pd.NaT
    _, _, e4, _ = J._sorted_codes(nat)
    assert [J.EVENTS[i] for i in e4] == ["order_placed", "next_order", "review", "survey"]


def test_variants_paths_by_hand():
    T = pd.Timestamp
    rows = [("a", "order_placed"), ("a", "review"), ("a", "review"), ("a", "delivered_on_time"),
            ("a", "next_order"), ("a", "review"), ("b", "order_placed"), ("b", "survey"),
            ("c", "order_placed"), ("c", "churned"), ("d", "order_placed"), ("d", "review")]
    log = pd.DataFrame({"customer_id": pd.Categorical([r[0] for r in rows]),
                        "event": pd.Categorical([r[1] for r in rows], categories=list(J.EVENTS)),
                        "timestamp": [T("2024-01-01") + pd.Timedelta(days=i) for i in range(len(rows))]})
    v = J.variants(log)
    # a: repeats collapsed, cut at its next order; d and b, c: two events each
    got = dict(zip(v["path"], v["customers"]))
    assert got == {"order_placed → review → delivered_on_time → next_order": 1, "order_placed → survey": 1,
                   "order_placed → churned": 1, "order_placed → review": 1}
    v2 = J.variants(log, max_len=2)
    # a's path cut to two events joins d's; ties of one customer in path-key order (survey < churned)
    assert v2["path"].tolist() == ["order_placed → review", "order_placed → survey", "order_placed → churned"]
    assert v2["customers"].tolist() == [2, 1, 1] and v2["repurchase_share"].tolist() == [0.5, 0.0, 0.0]
    assert v2["churn_share"].tolist() == [0.0, 0.0, 1.0] and (v2["n_customers"] == 4).all()
    v3 = J.variants(log, stop_at=(), collapse_repeats=False)
    assert "order_placed → review → review → delivered_on_time → next_order → review" in set(v3["path"])


def _random_log(rng, n, ncust, stamp):
    c = np.sort(rng.integers(0, ncust, n))
    t = stamp(n)
    log = pd.DataFrame({"customer_id": pd.Categorical.from_codes(c, categories=[f"c{i}" for i in range(ncust)]),
                        "event": pd.Categorical.from_codes(rng.integers(0, len(J.EVENTS), n), categories=list(J.EVENTS)),
                        "timestamp": t.view("datetime64[ns]")})
    return log.sort_values(["customer_id", "timestamp"], kind="stable").reset_index(drop=True)


def test_inner_pairs_match_pandas_on_both_paths():
    rng = np.random.default_rng(8)
    day = J._NS_DAY
    for stamp in (lambda n: 1_700_000_000 * 10 ** 9 + rng.integers(0, 10 ** 5, n) * _MIN,   # packed
                  lambda n: rng.integers(0, 2 ** 62, n)):                                   # > 2**55 ns: fallback
        log = _random_log(rng, 3000, 120, stamp)
        cc, new, e, t = J._sorted_codes(log)
        W = len(J.EVENTS) + 2
        cnt, medians = J._inner_pairs(e, new, t, W)
        inner = ~new[1:]
        key = (e[:-1].astype(np.int64) * W + e[1:])[inner]
        d = (t[1:] - t[:-1])[inner] / day
        ref = pd.Series(d).groupby(key).agg(["size", "median"])
        assert cnt.tolist() == np.bincount(key, minlength=W * W).tolist()
        groups = np.arange(W * W)
        np.testing.assert_array_equal(medians(groups), ref["median"].reindex(groups).to_numpy())


def test_transitions_by_hand():
    T = pd.Timestamp
    rows = [("a", "order_placed", "2024-01-01"), ("a", "review", "2024-01-03"), ("a", "next_order", "2024-01-04"),
            ("b", "order_placed", "2024-01-01"), ("b", "review", "2024-01-02")]
    log = pd.DataFrame({"customer_id": pd.Categorical([r[0] for r in rows]),
                        "event": pd.Categorical([r[1] for r in rows], categories=list(J.EVENTS)),
                        "timestamp": [T(r[2]) for r in rows]})
    raw = J.transitions(log)
    # n_from, then count, descending; ties in pair-code order (order_placed -> review before (start) -> ...)
    assert list(zip(raw["from"], raw["to"])) == [("order_placed", "review"), (J.START, "order_placed"),
                                                 ("review", "next_order"), ("review", J.END), ("next_order", J.END)]
    assert raw.index.tolist() == [0, 1, 2, 3, 4]
    tr = raw.set_index(["from", "to"])
    # order_placed -> review twice (2 and 1 days: median 1.5); review -> next_order once (1 day)
    assert tr.loc[("order_placed", "review"), "count"] == 2
    assert tr.loc[("order_placed", "review"), "median_days"] == 1.5
    assert tr.loc[("review", "next_order"), ["count", "median_days"]].tolist() == [1, 1.0]
    assert tr.loc[(J.START, "order_placed"), "count"] == 2 and np.isnan(tr.loc[(J.START, "order_placed"), "median_days"])
    assert tr.loc[("review", J.END), "count"] == 1 and tr.loc[("next_order", J.END), "count"] == 1
    assert tr.loc[("review", "next_order"), "probability"] == 0.5    # review: once to next_order, once to (end)
    assert len(tr) == 5


def test_stage_times_by_hand():
    T = pd.Timestamp
    rows = [("a", "order_placed", "2024-01-01"), ("a", "delivered_late", "2024-01-04"),
            ("a", "complaint_opened", "2024-01-05"), ("a", "next_order", "2024-01-11"),
            ("b", "order_placed", "2024-01-01"), ("b", "delivered_on_time", "2024-01-03"),
            ("c", "complaint_opened", "2024-01-02")]
    log = pd.DataFrame({"customer_id": pd.Categorical([r[0] for r in rows]),
                        "event": pd.Categorical([r[1] for r in rows], categories=list(J.EVENTS)),
                        "timestamp": [T(r[2]) for r in rows]})
    st = J.stage_times(log).set_index(["from", "to"])
    # delivery 3 (late) and 2 days after the order; a's next order 10 days after; c's complaint
    # opened and never resolved; a's late delivery followed by a complaint a day later
    assert st.loc[("order_placed", "delivered_on_time | delivered_late"), ["n", "n_from", "mean_days"]].tolist() == [2, 2, 2.5]
    assert st.loc[("order_placed", "next_order"), ["n", "n_from", "median_days"]].tolist() == [1, 2, 10.0]
    assert st.loc[("complaint_opened", "complaint_resolved"), ["n", "n_from"]].tolist() == [0, 2]
    assert st.loc[("delivered_late", "complaint_opened"), ["n", "mean_days"]].tolist() == [1, 1.0]
    assert st.loc[("next_order", "next_order"), "n"] == 0


def test_sort_order_scratch_gives_the_same_and_restores_t_off_the_one_key_path():
    rng = np.random.default_rng(12)
    n = 3000
    c = rng.integers(0, 150, n)
    e = rng.integers(0, len(J.EVENTS), n).astype(np.int8)
    for t in (rng.integers(0, 30, n) * _MIN + 1_700_000_000 * 10 ** 9,   # one key: built in c's and t's memory
              rng.integers(0, 10 ** 12, n) * 7,                          # argsort (unit 7): t restored
              rng.integers(0, 10 ** 18, n)):                             # lexsort: t restored
        want = np.lexsort((e, t, c))
        wc, wt, we = c[want], t[want], e[want]
        c2, t2 = c.copy(), t.copy()
        o, cs, ts, es = J._sort_order(c2, t2, e, values=True, scratch=True)
        assert (o == want).all() and (cs == wc).all() and (ts == wt).all() and (es == we).all()
    # int32 codes are not used as scratch (the key needs 64 bits): left as they were
    c32, t1 = c.astype(np.int32), rng.integers(0, 30, n) * _MIN
    o, cs, _, _ = J._sort_order(c32, t1.copy(), e, values=True, scratch=True)
    assert (c32 == c).all() and (cs == c[np.lexsort((e, t1, c))]).all()


def test_stage_times_skips_to_rows_of_the_next_customer_and_quartiles_by_hand():
    """A from-row whose next to-row in log order belongs to the next customer counts
    nothing; quartiles of the delivery days 1, 2, 3, 5 (linear interpolation)."""
    T = pd.Timestamp
    rows = [("a", "order_placed", "2024-01-01"), ("a", "delivered_on_time", "2024-01-02"),
            ("b", "order_placed", "2024-01-01"), ("b", "delivered_late", "2024-01-03"),
            ("c", "order_placed", "2024-01-01"), ("c", "delivered_on_time", "2024-01-04"),
            ("d", "order_placed", "2024-01-01"), ("d", "delivered_on_time", "2024-01-06"),
            ("e", "order_placed", "2024-01-01"),                    # no delivery, no next order
            ("f", "next_order", "2024-01-09"), ("f", "next_order", "2024-01-10")]
    log = pd.DataFrame({"customer_id": pd.Categorical([r[0] for r in rows]),
                        "event": pd.Categorical([r[1] for r in rows], categories=list(J.EVENTS)),
                        "timestamp": [T(r[2]) for r in rows]})
    st = J.stage_times(log).set_index(["from", "to"])
    dl = st.loc[("order_placed", "delivered_on_time | delivered_late")]
    assert dl[["n", "n_from", "median_days", "q25_days", "q75_days", "mean_days"]].tolist() == [4, 5, 2.5, 1.75, 3.5, 2.75]
    # e's order: the next next_order row in log order is f's (another customer)
    assert st.loc[("order_placed", "next_order"), ["n", "n_from"]].tolist() == [0, 5]
    assert np.isnan(st.loc[("order_placed", "next_order"), "q25_days"])
    assert st.loc[("next_order", "next_order"), ["n", "n_from", "median_days", "q75_days"]].tolist() == [1, 2, 1.0, 1.0]
