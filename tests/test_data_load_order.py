"""Tables typed ahead of their turn (while a bigger file is still being read) give the same
Dataset, and errors still surface in table order."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from insight.data import DataError, load, loader

ORDERS = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3"], "customer_id": ["c1", "c1", "c2", "c9"],
                       "order_date": pd.to_datetime(["2023-04-01", "2023-04-01", "2023-04-02", "2023-04-03"]),
                       "product_id": ["p1", "p2", "p1", "p1"], "quantity": [1.0, 2.0, 1.0, 1.0],
                       "unit_price": [10.0, 20.0, 10.0, 10.0]})
TABLES = {
    "customers": pd.DataFrame({"customer_id": ["c1", "c2"]}),
    "products": pd.DataFrame({"product_id": ["p1", "p2"], "category": ["a", "b"]}),
    "returns": pd.DataFrame({"return_id": ["r1", "r2", "r2"], "order_id": ["o1", "o3", "o2"],
                             "product_id": ["p1", "p1", "p1"],
                             "return_date": pd.to_datetime(["2023-03-01", "2023-04-05", "2023-04-05"])}),
    "reviews": pd.DataFrame({"review_id": ["v1", "v2"], "customer_id": ["c1", "c7"], "product_id": ["p1", "p1"],
                             "order_id": ["o2", "o9"], "created_at": pd.to_datetime(["2023-04-05", "2023-04-05"]),
                             "rating": [5.0, 4.0], "text": [" خوب ", "كتاب"]}),
}


def _write(folder, orders=ORDERS, **tables):
    orders.to_parquet(folder / "orders.parquet", index=False)
    for name, df in {**TABLES, **tables}.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)


def _slow_orders(monkeypatch):
    real = loader.read_table

    def read(spec, base, cache=None):
        if spec.table == "orders":
            time.sleep(0.3)   # the other files are ready first: they are typed ahead
        return real(spec, base, cache)
    monkeypatch.setattr(loader, "read_table", read)


def test_typed_ahead_gives_the_same_dataset(tmp_path, monkeypatch):
    _write(tmp_path)
    plain = load(tmp_path, today="2024-01-01")
    _slow_orders(monkeypatch)
    ahead = load(tmp_path, today="2024-01-01")
    for name in ("orders", "customers", "products", "returns", "reviews"):
        pd.testing.assert_frame_equal(getattr(plain, name), getattr(ahead, name))
    assert plain.report.to_dict() == ahead.report.to_dict()
    pd.testing.assert_frame_equal(plain.report.quarantined, ahead.report.quarantined)
    # by hand: o3's customer c9 is unknown (so o3 is no order); r1 precedes o1; the first r2 names
    # o3, so the second r2 is the first valid one (no duplicate); v2 names no known customer or order
    q = ahead.report.quarantined
    assert dict(zip(q["table"] + ":" + q["source_row"].astype(str), q["reason"])) == {
        "orders:5": "customer_id: not in customers 'c9'",
        "returns:2": "return_date: before order_date '2023-03-01 < order_date 2023-04-01'",
        "returns:3": "order_id: not in orders 'o3'",
        "reviews:3": "customer_id: not in customers 'c7'; order_id: not in orders 'o9'"}
    assert ahead.reviews["text"].tolist() == ["خوب"]


def test_errors_keep_the_table_order(tmp_path, monkeypatch):
    _write(tmp_path, orders=ORDERS.drop(columns=["customer_id"]),
           reviews=TABLES["reviews"].drop(columns=["review_id"]))
    _slow_orders(monkeypatch)
    with pytest.raises(DataError, match="'customer_id' of orders"):
        load(tmp_path)
