"""Known answers for the key lookups behind the reference and return-date checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from insight.data.parse import Issues
from insight.data.validate import _day_before, check_return_dates, key_index, positions


def test_key_index_keys_in_first_appearance_order_and_positions():
    keys, codes = key_index(pd.Series(["o2", "o1", None, "o2", "o3"], dtype="str"))
    assert keys.to_pylist() == ["o2", "o1", "o3"]
    assert codes.tolist() == [0, 1, -1, 0, 2]
    assert positions(pd.Series(["o3", "o9", None, "o2"], dtype="str"), keys).tolist() == [2, -1, -1, 0]
    # object (non-Arrow) values take the pandas path with the same answer
    assert positions(pd.Series(["o3", "o9", None, "o2"], dtype=object), keys).tolist() == [2, -1, -1, 0]


def test_day_before_compares_calendar_days_and_ignores_missing():
    a = pd.Series(pd.to_datetime(["2023-04-01 23:59", "2023-04-02 00:00", None, "1899-12-31 10:00",
                                  "2023-04-01 01:00"]))
    b = pd.Series(pd.to_datetime(["2023-04-02 00:01", "2023-04-02 23:00", "2023-04-02 00:00", "1900-01-01 00:00",
                                  None]))
    assert _day_before(a, b).tolist() == [True, False, False, True, False]


def _returns_and_orders():
    orders = pd.DataFrame({
        "order_id": pd.Series(["o1", "o2", "o1", "o3"], dtype="str"),
        "order_date": pd.to_datetime(["2023-04-05 10:00", "2023-04-01 00:00", "2023-04-03 18:00", None]),
    })
    returns = pd.DataFrame({
        "order_id": pd.Series(["o1", "o1", "o2", "o9", None, "o3"], dtype="str"),
        "return_date": pd.to_datetime(["2023-04-02", "2023-04-03", "2023-03-31", "2000-01-01",
                                       "2000-01-01", "2000-01-01"]),
    })
    return returns, orders


def test_return_before_its_orders_first_date():
    # o1's earliest line is 2023-04-03 (not its first line's 04-05); o3 has no date; o9 is unknown
    returns, orders = _returns_and_orders()
    issues = Issues(len(returns))
    check_return_dates(returns, issues, orders)
    (it,) = issues.items
    assert it.mask.tolist() == [True, False, True, False, False, False]
    assert it.values[0] == "2023-04-02 < order_date 2023-04-03"
    assert it.values[2] == "2023-03-31 < order_date 2023-04-01"


def test_return_dates_with_precomputed_positions_agree():
    returns, orders = _returns_and_orders()
    keys, codes = key_index(orders["order_id"])
    a, b = Issues(len(returns)), Issues(len(returns))
    check_return_dates(returns, a, orders)
    check_return_dates(returns, b, orders, positions(returns["order_id"], keys), codes)
    assert np.array_equal(a.items[0].mask, b.items[0].mask)
    assert list(a.items[0].values) == list(b.items[0].values)


def test_key_positions_places_other_ids_among_the_keys_in_one_pass():
    from insight.data.validate import key_positions
    keys, codes, (a, b) = key_positions(pd.Series(["o2", "o1", None, "o2"], dtype="str"),
                                        [pd.Series(["o1", "o7", None], dtype="str"),
                                         pd.Series(["o7", "o2"], dtype="str")])
    assert keys.to_pylist() == ["o2", "o1"] and codes.tolist() == [0, 1, -1, 0]
    assert a.tolist() == [1, -1, -1] and b.tolist() == [-1, 0]   # o7 is no order: -1, not a new code
    # object columns take the slower path with the same answer
    keys2, codes2, (a2,) = key_positions(pd.Series(["o2", "o1", None, "o2"], dtype=object),
                                         [pd.Series(["o1", "o7", None], dtype=object)])
    assert list(keys2) == ["o2", "o1"] and codes2.tolist() == [0, 1, -1, 0] and a2.tolist() == [1, -1, -1]


def test_key_positions_on_arrow_text_is_one_pass(monkeypatch):
    from insight.data import validate

    def no_fallback(s):
        raise AssertionError("key_positions fell back to key_index + positions")
    monkeypatch.setattr(validate, "key_index", no_fallback)
    two_chunks = pd.Series(pd.arrays.ArrowStringArray(
        pa.chunked_array([["o2", "o1"], [None, "o2"]], type=pa.large_string())), dtype="str")
    keys, codes, (a,) = validate.key_positions(two_chunks, [pd.Series(["o1", "o7"], dtype="str")])
    assert keys.to_pylist() == ["o2", "o1"] and codes.tolist() == [0, 1, -1, 0] and a.tolist() == [1, -1]


def test_isin_many_is_isin_per_column():
    from insight.data.validate import isin, isin_many
    keys = pa.array(["c1", "c3"], type=pa.large_string())
    cols = [pd.Series(["c1", "c2", None], dtype="str"), pd.Series(["c3", "c1"], dtype="str"),
            pd.Series(["c3", "x"], dtype=object)]
    assert [m.tolist() for m in isin_many(cols[:2], keys)] == [[True, False, False], [True, True]]
    assert [m.tolist() for m in isin_many(cols, keys)] == [isin(c, keys).tolist() for c in cols]


def test_duplicates_count_from_the_first_valid_row():
    from insight.data.validate import check_duplicates
    df = pd.DataFrame({"review_id": pd.Series(["v1", "v2", "v1", "v1", None, "v2"], dtype="str")})
    lines = np.array([2, 3, 4, 5, 6, 7])
    for codes in (None, key_index(df["review_id"])[1]):
        issues = Issues(len(df))
        issues.add(np.array([True, False, False, False, False, False]), "rating", "outside 1-5")
        check_duplicates("reviews", df, issues, lines, codes)
        dup = issues.items[-1]
        # line 2 is already quarantined: v1 is first valid on line 4, so only line 5 repeats it
        assert dup.mask.tolist() == [False, False, False, True, False, True]
        assert dup.values[3] == "v1 (first on line 4)" and dup.values[5] == "v2 (first on line 3)"


def test_status_already_canonical_is_kept_and_synonyms_mapped():
    from insight.data.parse import _status
    clean = pd.Series(["delivered", None, "cancelled", "delivered"], dtype="str")
    issues = Issues(len(clean))
    out = _status(clean, issues, "orders")
    assert out.tolist()[::2] == ["delivered", "cancelled"] and out.isna().tolist() == [False, True, False, False]
    assert not issues.notes
    mixed = pd.Series(["Canceled", "لغو شده", "weird", None], dtype="str")
    out = _status(mixed, issues, "orders")
    assert out.tolist()[:2] == ["cancelled", "cancelled"] and out.isna().tolist() == [False, False, True, True]
    assert issues.notes and "'weird' (1)" in issues.notes[0]
