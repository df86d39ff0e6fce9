"""Every quarantine reason, the quarantine files, and rows in = kept + quarantined."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from insight.data import load

TODAY = "2024-06-01"
H = "order_id,customer_id,order_date,product_id,quantity,unit_price,promised_date,delivered_date"
ORDERS = "\n".join([
    H,
    "o1,c1,2023-04-01,p1,1,1000,2023-04-03,2023-04-02",        # line 2 ok
    "o2,c404,2023-04-01,p1,1,1000,,",                          # 3 customer not in customers
    "o3,c1,yesterday,p1,1,1000,,",                             # 4 not a date
    "o4,c1,1402/13/40,p1,1,1000,,",                            # 5 impossible Jalali date
    "o5,c1,1402/12/30,p1,1,1000,,",                            # 6 1402 is not a leap year
    "o6,c1,2099-01-01,p1,1,1000,,",                            # 7 after today
    "o7,c1,2023-04-01,p1,-2,1000,,",                           # 8 negative quantity
    "o8,c1,2023-04-01,p1,99999,1000,,",                        # 9 implausible quantity
    "o9,c1,2023-04-01,p1,1,-5,,",                              # 10 negative price
    "o10,c1,2023-04-01,p1,1,abc,,",                            # 11 not a number
    "o11,,2023-04-01,p1,1,1000,,",                             # 12 missing customer_id
    "o12,c1,2023-04-05,p1,1,1000,2023-04-07,2023-04-01",       # 13 delivered before ordered
    "o13,c1,2023-04-05,p1,1,1000,2023-04-01,",                 # 14 promised before ordered
    "o14,c1,1890-01-01,p9,-1,1000,,",                          # 15 before 1900; p9 unknown; negative qty
    "o1,c1,2023-04-01,p1,1,1000,,",                            # 16 repeated order line: kept (lines repeat)
    "o15,c1,2023-04-01,p1,1,,,",                               # 17 missing unit_price
]) + "\n"
CUSTOMERS = "customer_id,signup_date\nc1,2023-01-01\nc1,2023-01-02\nc2,2023-01-03\n"
PRODUCTS = "product_id,category\np1,books\n"
RETURNS = ("return_id,order_id,product_id,return_date,refund_amount\n"
           "r1,o1,p1,2023-04-10,100\nr2,o999,p1,2023-04-10,100\nr3,o1,p1,2023-03-01,100\nr4,o1,p1,2023-04-10,-1\n")
COMPLAINTS = ("ticket_id,customer_id,order_id,opened_at,resolved_at,contacts,csat_after\n"
              "t1,c1,o1,2023-04-05,2023-04-06,2,5\nt2,c1,,2023-04-05,2023-04-01,1,\nt3,c2,o404,2023-04-05,,1,6\n"
              "t4,c1,,2023-04-05,,5000,\n")
REVIEWS = ("review_id,customer_id,product_id,order_id,created_at,rating,text\n"
           "v1,c1,p1,o1,2023-04-05,5,خوب\nv2,c1,p1,o1,2023-04-05,6,عالی\nv3,c1,p1,o1,2023-04-05,0,بد\n"
           "v1,c1,p1,o1,2023-04-06,4,تکراری\n")
SURVEYS = ("response_id,customer_id,submitted_at,nps,csat,ces\n"
           "s1,c1,2023-04-05,10,5,7\ns2,c1,2023-04-05,11,5,1\ns3,c1,2023-04-05,0,0,8\n")


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    for name, text in {"orders.csv": ORDERS, "customers.csv": CUSTOMERS, "products.csv": PRODUCTS,
                       "returns.csv": RETURNS, "complaints.csv": COMPLAINTS, "reviews.csv": REVIEWS,
                       "surveys.csv": SURVEYS}.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "mapping.yml").write_text(
        "ces_scale: 7\n" + "".join(f"{t}: {t}.csv\n" for t in
                                   ("orders", "customers", "products", "returns", "complaints", "reviews", "surveys")),
        encoding="utf-8")
    return load(folder, quarantine_dir=folder / "q", today=TODAY)


def reasons(ds, table) -> dict[int, str]:
    q = ds.report.quarantined
    q = q[q["table"] == table]
    return dict(zip(q["source_row"].astype(int), q["reason"]))


def test_order_reasons_name_column_and_value(ds):
    r = reasons(ds, "orders")
    assert r[3] == "customer_id: not in customers 'c404'"
    assert r[4] == "order_date: not a date 'yesterday'"
    assert r[5] == "order_date: impossible date '1402/13/40'"
    assert r[6] == "order_date: impossible date '1402/12/30'"
    assert r[7] == "order_date: after today (2024-06-01) '2099-01-01'"
    assert r[8] == "quantity: negative '-2'"
    assert r[9] == "quantity: implausibly large (> 10,000) '99999'"
    assert r[10] == "unit_price: negative '-5'"
    assert r[11] == "unit_price: not a number 'abc'"
    assert r[12] == "customer_id: missing value"
    assert r[13] == "delivered_date: before order_date '2023-04-01 < order_date 2023-04-05'"
    assert r[14] == "promised_date: before order_date '2023-04-01 < order_date 2023-04-05'"
    assert r[17] == "unit_price: missing value"
    # several problems: every reason, joined by "; "
    assert r[15].split("; ") == ["quantity: negative '-1'", "order_date: before 1900 '1890-01-01'",
                                 "product_id: not in products 'p9'"]
    assert set(r) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17}
    t = ds.report.tables["orders"]
    assert (t.rows_in, t.rows_kept, t.rows_quarantined) == (16, 2, 14)
    assert ds.orders["order_id"].tolist() == ["o1", "o1"]   # order lines may repeat


def test_duplicate_keys_keep_the_first(ds):
    assert reasons(ds, "customers") == {3: "customer_id: duplicate 'c1 (first on line 2)'"}
    assert ds.customers["signup_date"].tolist() == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-03")]
    assert reasons(ds, "reviews")[5] == "review_id: duplicate 'v1 (first on line 2)'"


def test_child_tables(ds):
    assert reasons(ds, "returns") == {
        3: "order_id: not in orders 'o999'",
        4: "return_date: before order_date '2023-03-01 < order_date 2023-04-01'",
        5: "refund_amount: negative '-1'"}
    assert reasons(ds, "complaints") == {
        3: "resolved_at: before opened_at '2023-04-01 < opened_at 2023-04-05'",
        4: "csat_after: outside 1-5 '6'; order_id: not in orders 'o404'",
        5: "contacts: implausibly large (> 1,000) '5000'"}
    r = reasons(ds, "reviews")
    assert r[3] == "rating: outside 1-5 '6'" and r[4] == "rating: outside 1-5 '0'"
    assert reasons(ds, "surveys") == {3: "nps: outside 0-10 '11'",
                                      4: "csat: outside 1-5 '0'; ces: outside 1-7 '8'"}
    assert ds.ces_scale == 7


def test_counts_add_up_and_problems_summarize(ds):
    for name, t in ds.report.tables.items():
        assert t.rows_in == t.rows_kept + t.rows_quarantined, name
        assert len(getattr(ds, name)) == t.rows_kept
    probs = ds.report.tables["orders"].problems
    assert any(p.startswith("order_date: impossible date — 2 rows quarantined e.g. '1402/13/40' (line 5)")
               for p in probs), probs


def test_quarantine_files_carry_source_row_reason_and_original_values(ds):
    folder = Path(ds.report.quarantine_dir)
    q = pd.read_csv(folder / "orders.csv", dtype=str, encoding="utf-8-sig")
    assert list(q.columns[:4]) == ["table", "source_file", "source_row", "reason"]
    row = q[q["source_row"] == "5"].iloc[0]
    assert row["order_date"] == "1402/13/40" and row["order_id"] == "o4"
    assert row["source_file"].endswith("orders.csv")
    assert sorted(p.name for p in folder.glob("*.csv")) == [
        "complaints.csv", "customers.csv", "orders.csv", "returns.csv", "reviews.csv", "surveys.csv"]
    all_q = ds.report.quarantined
    assert len(all_q) == sum(t.rows_quarantined for t in ds.report.tables.values())


def test_ragged_line_is_quarantined_with_its_text(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,product_id,quantity,unit_price\n"
        "o1,c1,2023-04-01,p1,1,5\no2,c1,2023-04-01,p1,1,5,EXTRA\no3,c1,2023-04-01,p1,1,5\n", encoding="utf-8")
    ds = load(tmp_path, today=TODAY)
    t = ds.report.tables["orders"]
    assert (t.rows_in, t.rows_kept, t.rows_quarantined) == (3, 2, 1)
    q = ds.report.quarantined.iloc[0]
    assert q["source_row"] == 3 and "7 fields" in q["reason"] and q["raw_line"].endswith("EXTRA")


def test_status_outside_the_contract_is_emptied_and_reported(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,product_id,quantity,unit_price,status\n"
        "o1,c1,2023-04-01,p1,1,5,shipped\no2,c1,2023-04-01,p1,1,5,DELIVERED\n", encoding="utf-8")
    ds = load(tmp_path, today=TODAY)
    assert ds.orders["status"].isna().tolist() == [True, False]
    assert ds.orders["status"].iloc[1] == "delivered"
    assert any("'shipped'" in p for p in ds.report.tables["orders"].problems)
    assert ds.report.clean


VALUES = st.sampled_from(["1", "2", "-1", "abc", "", "20000", "۳", "1,000"])
DATES = st.sampled_from(["2023-01-01", "1402/01/15", "1402/13/40", "2099-01-01", "x", "", "۱۴۰۲/۰۲/۰۱"])
IDS = st.sampled_from(["c1", "c2", "c9", ""])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(IDS, DATES, VALUES, VALUES), min_size=1, max_size=30))
def test_rows_in_equals_kept_plus_quarantined(tmp_path, rows):
    lines = ["order_id,customer_id,order_date,product_id,quantity,unit_price"]
    lines += [f"o{i},{c},{d},p1,{q},{p}".replace(",1,000", ',"1,000"') for i, (c, d, q, p) in enumerate(rows)]
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "customers.csv").write_text("customer_id\nc1\nc2\nc2\n", encoding="utf-8")
    ds = load(tmp_path, today=TODAY)
    for name, t in ds.report.tables.items():
        assert t.rows_in == t.rows_kept + t.rows_quarantined
        assert t.rows_quarantined == int((ds.report.quarantined["table"] == name).sum())
    assert ds.report.tables["orders"].rows_in == len(rows)
    kept = ds.orders
    assert kept["customer_id"].isin(["c1", "c2"]).all()
    assert (kept["quantity"] >= 0).all() and kept["order_date"].notna().all()
