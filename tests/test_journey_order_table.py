"""journey.order_table by hand: the per-order values taken from insight._events' per-frame
arrays (every line with an order id and date, orders cancelled whole, one customer per
order) and the line reductions used otherwise (partly cancelled orders, two customers in
one order, a missing order date or order id) give the table the line rules define."""
from __future__ import annotations

import numpy as np
import pandas as pd

from insight import journey as J

T = pd.Timestamp
NAT = np.iinfo(np.int64).min


def ns(*days):
    return [NAT if d is None else T(d).value for d in days]


def lines(**edit):
    """O1 (C2, two lines, the second dated earlier), O2 (C1, cancelled), O3 (C1), O4 (C2,
    price unknown), O5 (C3, cancelled): C3 orders nothing kept."""
    d = {"order_id": ["O1", "O1", "O2", "O3", "O4", "O5"],
         "customer_id": ["C2", "C2", "C1", "C1", "C2", "C3"],
         "order_date": [T("2024-01-05"), T("2024-01-04"), T("2024-01-03"), T("2024-01-04"), T("2024-01-02"),
                        T("2024-01-01")],
         "quantity": [1.0, 2.0, 1.0, 3.0, 1.0, 1.0],
         "unit_price": [10.0, 5.0, 7.0, 1.0, np.nan, 2.0],
         "promised_date": [T("2024-01-08"), T("2024-01-09"), pd.NaT, T("2024-01-06"), pd.NaT, pd.NaT],
         "delivered_date": [T("2024-01-07"), pd.NaT, pd.NaT, T("2024-01-05"), pd.NaT, pd.NaT],
         "status": ["delivered", "delivered", "Cancelled", "delivered", "delivered", "cancelled"]}
    for k, (i, v) in edit.items():
        d[k] = list(d[k])
        d[k][i] = v
    df = pd.DataFrame(d)
    for c in ("order_id", "customer_id", "status"):
        df[c] = df[c].astype("str")
    return df


def table(df, fast: bool):
    oc, _ = J._ev.codes(df, "order_id")
    cc, _ = J._ev.codes(df, "customer_id")
    assert (J._orders_from_frame_cache(df, oc, cc, _drop(df)) is not None) == fast
    return J._order_table(df)


def _drop(df):
    low = df["status"].str.lower().to_numpy()
    return np.asarray(low == "cancelled") if (low == "cancelled").any() else None


def test_order_table_from_the_frame_cache_by_hand():
    ot = table(lines(), fast=True)
    # C1: O3 (01-04); C2: O4 (01-02), O1 (earliest line 01-04); O2 and O5 cancelled, C3 gone
    assert ot.order_index().tolist() == ["O3", "O4", "O1"]
    assert ot.customer_index().tolist() == ["C1", "C2"] and ot.n_customers == 2
    assert ot.cust.tolist() == [0, 1, 1] and ot.seq.tolist() == [0, 0, 1]
    assert ot.date.tolist() == ns("2024-01-04", "2024-01-02", "2024-01-04")
    assert ot.next_date.tolist() == ns(None, "2024-01-04", None)
    assert ot.promised.tolist() == ns("2024-01-06", None, "2024-01-09")     # latest line
    assert ot.delivered.tolist() == ns("2024-01-05", None, "2024-01-07")
    assert ot.value.tolist() == [3.0, 0.0, 20.0]                            # NaN price -> 0
    # the id strings are made on first use, then kept
    assert "order_id" not in ot._idx and "customers" not in ot._idx
    assert ot.order_id.tolist() == ["O3", "O4", "O1"] and ot.order_id.dtype == object
    assert ot.customers.tolist() == ["C1", "C2"] and ot.customers is ot.customers
    f = ot.frame()
    assert f["customer_id"].tolist() == ["C1", "C2", "C2"] and f["seq"].tolist() == [0, 0, 1]


def test_order_table_partly_cancelled_order_reduces_kept_lines():
    ot = table(lines(status=(1, "cancelled")), fast=False)
    # O1 keeps its first line only: value 10, promised 01-08, date 01-05
    assert ot.order_index().tolist() == ["O3", "O4", "O1"]
    assert ot.value.tolist() == [3.0, 0.0, 10.0] and ot.date[2] == T("2024-01-05").value
    assert ot.promised.tolist() == ns("2024-01-06", None, "2024-01-08")


def test_order_table_order_with_two_customers_takes_its_last_line():
    ot = table(lines(customer_id=(1, "C9")), fast=False)
    # C2 keeps O4; O1 belongs to C9 (its last kept line); C2 stays a customer
    assert ot.customer_index().tolist() == ["C1", "C2", "C9"]
    assert ot.order_index().tolist() == ["O3", "O4", "O1"]
    assert ot.cust.tolist() == [0, 1, 2] and ot.seq.tolist() == [0, 0, 0]


def test_order_table_missing_order_date_or_id():
    ot = table(lines(order_date=(1, pd.NaT)), fast=False)
    # O1's earliest date is NaT: first among C2's orders, followed by O4
    assert ot.order_index().tolist() == ["O3", "O1", "O4"]
    assert ot.date.tolist() == ns("2024-01-04", None, "2024-01-02")
    assert ot.seq.tolist() == [0, 0, 1] and ot.next_date.tolist() == ns(None, "2024-01-02", None)
    ot = table(lines(order_id=(1, None)), fast=False)
    # the line without an order id counts nowhere
    assert ot.order_index().tolist() == ["O3", "O4", "O1"] and ot.value.tolist() == [3.0, 0.0, 10.0]


def test_order_table_given_customers():
    ot = J.order_table(lines(), customers=np.array(["C2", "C1", "C7"], dtype=object))
    assert ot.customers.tolist() == ["C2", "C1", "C7"] and ot.n_customers == 3
    assert ot.order_index().tolist() == ["O4", "O1", "O3"] and ot.cust.tolist() == [0, 0, 1]
    try:
        J.order_table(lines(), customers=np.array(["C2"], dtype=object))
    except ValueError as e:
        assert "outside the given customers" in str(e)
    else:
        raise AssertionError("C1 is not among the given customers")


def test_argsort_ids_of_a_subset():
    ids = pd.Index(["C10", "C2", "C1", "B", "C100"], dtype="str")
    rows = np.array([0, 2, 4])
    # C10, C1, C100 -> C1 < C10 < C100
    assert rows[J._argsort_ids(ids, rows)].tolist() == [2, 0, 4]
    assert J._argsort_ids(ids, np.arange(5)).tolist() == [3, 2, 0, 4, 1]
    long = pd.Index(["C10000000000", "C2", "C1"], dtype="str")     # no short-id keys
    assert J._argsort_ids(long, np.array([0, 1, 2])).tolist() == [2, 0, 1]


def test_order_table_kept_per_frame_until_a_column_changes():
    df = lines()
    ot = J.order_table(df)
    assert J.order_table(df) is ot
    df["order_date"] = df["order_date"] + pd.Timedelta(days=1)          # replaced
    ot2 = J.order_table(df)
    assert ot2 is not ot and ot2.date.tolist() == ns("2024-01-05", "2024-01-03", "2024-01-05")
    df.loc[3, "unit_price"] = 2.0                 # edited (in place when pandas can)
    ot3 = J.order_table(df)
    assert ot3 is not ot2 and ot3.value.tolist() == [6.0, 0.0, 20.0]
    df["quantity"] = df["quantity"].astype(object)                      # cannot be checked: not kept
    assert J.order_table(df) is not J.order_table(df)


def test_lookup_results_kept_per_arrow_array():
    """OrderTable.lookup: hand positions; a second lookup of the same Arrow-backed values
    returns the kept (read-only) result, object values and new arrays are looked up."""
    ot = J.order_table(lines())           # rows by customer, date: O3 (C1), O4, O1 (C2)
    assert list(ot.order_index()) == ["O3", "O4", "O1"] and list(ot.customer_index()) == ["C1", "C2"]
    ids = pd.Series(["O1", "O9", None, "O4"], dtype="str")
    cus = pd.Series(["C2", "C3", "C1"], dtype="str")
    first = ot.lookup([ids], "order_id")[0]
    assert first.tolist() == [2, -1, -1, 1] and not first.flags.writeable
    again, other = ot.lookup([ids, pd.Series(["O3"], dtype="str")], "order_id")
    assert again is first and other.tolist() == [0]
    assert ot.lookup([cus], "customer_id")[0].tolist() == [1, -1, 0]
    assert ot.lookup([cus], "customer_id")[0] is ot.lookup([cus], "customer_id")[0]
    # the same ids in a new array (a copy of the column): looked up again, same positions
    copy = pd.Series(list(ids), dtype="str")
    assert ot.lookup([copy], "order_id")[0] is not first
    assert ot.lookup([copy], "order_id")[0].tolist() == first.tolist()
    obj = pd.Series(["O3", "O1"], dtype=object)   # not Arrow: not kept
    assert ot.lookup([obj], "order_id")[0].tolist() == [0, 2]
    assert ot.lookup([obj], "order_id")[0] is not ot.lookup([obj], "order_id")[0]
    # at most _LOOKED_MAX kept per column, the oldest dropped first
    many = [pd.Series(["O1"], dtype="str") for _ in range(J._LOOKED_MAX + 1)]
    got = [ot.lookup([s], "order_id")[0] for s in many]
    assert ot.lookup([many[-1]], "order_id")[0] is got[-1]
    assert ot.lookup([many[0]], "order_id")[0] is not got[0]
    assert len(ot._idx[("looked", "order_id")]) == J._LOOKED_MAX
