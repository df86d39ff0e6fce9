"""insight.complaints: the code-based paths (bad experiences per order, the ticket search,
first ticket per customer) on tiny hand-built logs."""
import numpy as np
import pandas as pd
import pytest

from insight import complaints as C


def T(x):
    return pd.to_datetime(x, format="ISO8601")


def _orders():
    # o1: two lines, latest delivery 01-09 > promised 01-05 -> late (dated 01-09)
    # o2: both lines cancelled -> cancelled (dated at the order, 01-02)
    # o3: one line cancelled, one delivered on time -> not bad; o4: on time
    return pd.DataFrame({
        "order_id": ["o1", "o1", "o2", "o2", "o3", "o3", "o4"],
        "customer_id": ["c1", "c1", "c2", "c2", None, "c3", "c4"],
        "order_date": T(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03",
                         "2024-01-03", "2024-01-04"]),
        "promised_date": T(["2024-01-05", "2024-01-05", "2024-01-06", "2024-01-06", "2024-01-07",
                            "2024-01-07", "2024-01-08"]),
        "delivered_date": T(["2024-01-05", "2024-01-09", None, None, None, "2024-01-07 23:00",
                             "2024-01-08"]),
        "status": ["delivered", "delivered", "cancelled", "Cancelled", "cancelled", "delivered",
                   "delivered"],
    })


def test_bad_experiences_per_order_and_no_rows_without_ids():
    rets = pd.DataFrame({"order_id": ["o4", "o3", "o4", "o9"],
                         "return_date": T(["2024-01-20", "2024-01-15", "2024-01-12", "2024-01-13"])})
    ev = C.bad_experiences(_orders(), rets)
    # late o1, cancelled o2, returned o3 (01-15; customer c3, the first line with one) and
    # o4 (first return 01-12), by order_id; o9 is not an order
    assert ev["order_id"].tolist() == ["o1", "o2", "o3", "o4"]
    assert ev["reason"].tolist() == ["late", "cancelled", "returned", "returned"]
    assert ev["customer_id"].tolist() == ["c1", "c2", "c3", "c4"]
    assert ev["event_date"].tolist() == list(T(["2024-01-09", "2024-01-02", "2024-01-15",
                                                "2024-01-12"]))
    # no cancelled order: no cancelled rows (and none without ids)
    ev = C.bad_experiences(_orders().assign(status="delivered"))
    assert ev["reason"].tolist() == ["late"] and ev["order_id"].notna().all()


def test_silent_customers_same_when_lines_are_not_adjacent():
    orders = _orders()
    comp = pd.DataFrame({"customer_id": ["c2", "c1", "c1"], "order_id": [None, None, None],
                         "opened_at": T(["2023-12-31", "2024-02-20", "2024-03-30"])})
    as_of = T("2024-06-01")
    a = C.silent_customers(orders, comp, as_of=as_of)
    b = C.silent_customers(orders.iloc[[6, 2, 0, 4, 3, 1, 5]], comp, as_of=as_of)
    # c1 late o1: first ticket since the order is 02-20 > 01-09 + 30 days -> silent;
    # c2 cancelled o2: its ticket (12-31) is before the order -> silent
    for s in (a, b):
        assert s.customers["customer_id"].tolist() == ["c1", "c2"]
        assert s.customers["complained"].tolist() == [False, False]
        assert s.customers["reasons"].tolist() == ["late", "cancelled"]
        assert s.by_reason["reason"].tolist() == ["cancelled", "late"]
    # a ticket on 02-08 (= 01-09 + 30 days) voices o1
    c = C.silent_customers(orders, comp.assign(opened_at=T(["2023-12-31", "2024-02-08", "2024-03-30"])),
                           as_of=as_of)
    assert c.customers["complained"].tolist() == [True, False]
    assert c.share.value == 0.5


def test_repurchase_after_takes_each_customers_first_ticket():
    orders = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "customer_id": ["c1", "c1", "c2"],
                           "order_date": T(["2024-01-01", "2024-01-20", "2024-06-30"])})
    # c1: tickets 01-10 (resolved) and 01-05 (open): the first is 01-05, open, and o2 on
    # 01-20 is within 90 days -> unresolved, repurchased.  c2: one ticket without a date
    # (never observed).  c3: resolved, no orders -> resolved, not repurchased
    comp = pd.DataFrame({"customer_id": ["c1", "c1", "c2", "c3"],
                         "opened_at": T(["2024-01-10", "2024-01-05", None, "2024-02-01"]),
                         "resolved_at": T(["2024-01-11", None, None, "2024-02-02"])})
    r = C.repurchase_after(comp, orders, window_days=90)
    rates = r.rates.set_index("group")
    assert rates.loc["unresolved", ["k", "n"]].tolist() == [1, 1]
    assert rates.loc["resolved", ["k", "n"]].tolist() == [0, 1]
    assert r.extra["unobserved"] == 1


def test_silent_customers_long_ids_distinct_orders_and_reason_cells():
    # customer order by first appearance (zz, aa, b) differs from id order (b, aa, zz); ids
    # longer than 8 bytes take the string sort.  o1 is late and returned (one bad order),
    # o3 late; aa's ticket voices the cancelled o2, zz's names o3 (not o1: too late)
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4"],
        "customer_id": ["customer-zz", "customer-aa", "customer-zz", "b"],
        "order_date": T(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
        "promised_date": T(["2024-01-05", "2024-01-06", "2024-01-06", "2024-01-08"]),
        "delivered_date": T(["2024-01-09", None, "2024-01-10", "2024-01-08"]),
        "status": ["delivered", "cancelled", "delivered", "delivered"]})
    rets = pd.DataFrame({"order_id": ["o1", "o4"], "return_date": T(["2024-01-12", "2024-01-20"])})
    comp = pd.DataFrame({"customer_id": ["customer-aa", "customer-zz"], "order_id": [None, "o3"],
                         "opened_at": T(["2024-01-03", "2024-03-30"])})
    s = C.silent_customers(orders, comp, rets, as_of=T("2024-06-01"))
    cu = s.customers
    assert cu["customer_id"].tolist() == ["b", "customer-aa", "customer-zz"]
    assert cu["first_bad_date"].tolist() == list(T(["2024-01-20", "2024-01-02", "2024-01-09"]))
    assert cu["bad_orders"].tolist() == [1, 1, 2]
    assert cu["complained"].tolist() == [False, True, True]
    assert cu["reasons"].tolist() == ["returned", "cancelled", "late,returned"]
    br = s.by_reason.set_index("reason")
    # per (reason, customer) cell: late zz voiced through o3; returned: zz (o1) and b silent
    assert br["n"].to_dict() == {"cancelled": 1, "late": 1, "returned": 2}
    assert br["voiced"].to_dict() == {"cancelled": 1, "late": 1, "returned": 0}
    assert s.share.value == pytest.approx(1 / 3) and s.share.n == 3


def test_repurchase_after_first_ticket_nat_last_ties_in_log_order():
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"],
                           "order_date": T(["2024-01-15", "2024-06-30"])})
    # c1: a ticket without a date (sorts last) and two on 01-10: the first of those in the
    # log (open) is c1's first ticket -> unresolved, o1 within 30 days.  Two tickets without
    # a customer count as one customer: its first is 01-12 (resolved), no orders
    comp = pd.DataFrame({"customer_id": ["c1", None, "c1", "c1", None],
                         "opened_at": T([None, "2024-01-20", "2024-01-10", "2024-01-10", "2024-01-12"]),
                         "resolved_at": T([None, None, None, "2024-01-11", "2024-01-13"])})
    r = C.repurchase_after(comp, orders, window_days=30)
    rates = r.rates.set_index("group")
    assert rates.loc["unresolved", ["k", "n"]].tolist() == [1, 1]
    assert rates.loc["resolved", ["k", "n"]].tolist() == [0, 1]
    assert r.extra["unobserved"] == 0
    assert C._max_date(orders["order_date"].astype("datetime64[ns]")) == pd.Timestamp("2024-06-30")


@pytest.mark.parametrize("prefix", ["", "customer-number-"])   # short ids (byte matcher) / long ids
def test_repurchase_after_tickets_of_non_customers_are_distinct_customers(prefix):
    p = prefix
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": [p + "c1"], "order_date": T(["2024-01-15"])})
    # x (two tickets) and y (resolved) are not customers: two customers, each first ticket
    # counted; the ticket without a customer is a third; c1's first ticket (01-02) is
    # followed by o1
    comp = pd.DataFrame({"customer_id": [p + "x", p + "c1", p + "y", None, p + "x", p + "c1"],
                         "opened_at": T(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
                                         "2024-01-05", "2024-01-06"]),
                         "resolved_at": T([None, None, "2024-01-03", None, None, None])})
    r = C.repurchase_after(comp, orders, window_days=30, as_of=T("2024-06-01"))
    rates = r.rates.set_index("group")
    assert rates.loc["unresolved", ["k", "n"]].tolist() == [1, 3]
    assert rates.loc["resolved", ["k", "n"]].tolist() == [0, 1]
    assert C._customer_codes(comp, pd.Index([p + "c1", p + "y"], dtype="str")).tolist() == [-1, 0, 1, -1, -1, 0]


def test_returns_matched_to_long_order_ids():
    # order ids longer than 8 bytes: no byte matcher, the returns' cached codes are used
    o = _orders().assign(order_id=lambda d: "order-number-" + d["order_id"])
    rets = pd.DataFrame({"order_id": ["order-number-o4", "order-number-o3", "order-number-o9"],
                         "return_date": T(["2024-01-20", "2024-01-15", "2024-01-13"])})
    ev = C.bad_experiences(o, rets)
    assert ev["order_id"].tolist() == ["order-number-o1", "order-number-o2", "order-number-o3",
                                       "order-number-o4"]
    assert ev["reason"].tolist() == ["late", "cancelled", "returned", "returned"]
    assert C._match(rets, "order_id", pd.Index(["order-number-o3"], dtype="str")).tolist() == [-1, 0, -1]


@pytest.mark.parametrize("prefix", ["", "order-number-"])   # byte matcher / Arrow is_in
def test_silent_customers_ticket_naming_the_order(prefix):
    o = _orders().assign(order_id=lambda d: prefix + d["order_id"])
    # c1's ticket names o1 (late), long after the window; c2's names another order
    comp = pd.DataFrame({"customer_id": ["c1", "c2"], "order_id": [prefix + "o1", prefix + "o4"],
                         "opened_at": T(["2024-05-01", "2024-05-01"])})
    s = C.silent_customers(o, comp, as_of=T("2024-06-01"))
    assert s.customers["customer_id"].tolist() == ["c1", "c2"]
    assert s.customers["complained"].tolist() == [True, False]
