"""YAML mappings: renames, positions, constants, derive, values, join, currency, dates."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from insight.data import DataError, load, read_mapping

TODAY = "2024-06-01"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


EXPORT = """شماره سفارش,مشتری,تاریخ,کالا,تعداد,مبلغ کل
1001,C-1,۱۴۰۲/۰۱/۱۵ ۱۴:۳۰,K1,2,"۲۴۰٬۰۰۰"
1002,C-2,1402/1/16,K2,1,۵۰ هزار
"""
MAPPING = """
currency: toman
orders:
  files: export*.csv
  columns:
    شماره سفارش: order_id
    مشتری: customer_id
    تاریخ: order_date
    کالا: product_id
    تعداد: quantity
    مبلغ کل: unit_price
  line_total: true
  currency: toman
  dates: {calendar: jalali}
  constants: {channel: instagram}
"""


def test_persian_export_through_a_mapping(tmp_path):
    folder = write(tmp_path / "shop", {"export_1.csv": EXPORT, "export_2.csv": EXPORT.replace("1001", "2001")
                                       .replace("1002", "2002"), "m.yml": MAPPING})
    ds = load(folder / "m.yml", today=TODAY)
    o = ds.orders
    assert ds.currency == "toman"
    assert o["order_id"].tolist() == ["1001", "1002", "2001", "2002"]
    assert o["order_date"].iloc[0] == pd.Timestamp("2023-04-04 14:30")
    assert o["unit_price"].tolist()[:2] == [120_000.0, 50_000.0]      # line total / quantity, in toman
    assert (o["channel"] == "instagram").all()
    q = ds.report.tables["orders"]
    assert len(q.source_files) == 2 and q.rows_in == 4
    # the same files through load(folder, mapping=...)
    assert load(folder, mapping=folder / "m.yml", today=TODAY).counts() == {"orders": 4}


def test_currency_conversion_source_rial_to_dataset_toman(tmp_path):
    folder = write(tmp_path / "c", {"o.csv": "order_id,customer_id,order_date,product_id,quantity,unit_price\n"
                                              "1,c,2023-01-01,p,1,10000\n2,c,2023-01-01,p,1,۵ هزار تومان\n"})
    m = {"currency": "toman", "orders": {"files": "o.csv", "currency": "rial"}}
    ds = load(folder, mapping=m, today=TODAY)
    assert ds.orders["unit_price"].tolist() == [1000.0, 5000.0]


def test_headerless_whitespace_positions_derive_and_values(tmp_path):
    folder = write(tmp_path / "w", {"d.txt": " 0001 19970101 2 20.00 HAPPY\n 0002 19970102 1 5.5 SAD\n"})
    m = {"orders": {"files": "d.txt", "format": "whitespace", "header": "none",
                    "columns": {0: "customer_id", 1: "order_date", 2: "quantity", 3: "unit_price"},
                    "line_total": True, "dates": {"format": "%Y%m%d"},
                    "derive": {"order_id": "{customer_id}-{1}"}, "constants": {"product_id": "cd"}},
         "reviews": {"files": "d.txt", "format": "whitespace", "header": "none",
                     "names": ["cid", "day", "n", "amount", "label"],
                     "columns": {"cid": ["review_id", "customer_id"], "day": "created_at", "label": "rating"},
                     "values": {"rating": {"HAPPY": 5, "sad": 1}}, "constants": {"product_id": "cd", "text": ""}}}
    ds = load(folder, mapping=m, today=TODAY)
    assert ds.orders["order_id"].tolist() == ["0001-19970101", "0002-19970102"]
    assert ds.orders["unit_price"].tolist() == [10.0, 5.5]
    assert ds.reviews["rating"].tolist() == [5.0, 1.0]              # values: exact, then case-insensitive
    assert ds.reviews["customer_id"].tolist() == ["0001", "0002"]
    assert ds.report.quarantined.empty


def test_join_status_values_and_skiprows(tmp_path):
    folder = write(tmp_path / "j", {
        "items.csv": "junk line\norder_id,product_id,price\nA,p1,10\nA,p2,5\nB,p1,10\nZ,p1,1\n",
        "orders.csv": "order_id,customer_id,order_status,ts\nA,c1,canceled,2023-01-01 10:00\n"
                      "B,c2,delivered,2023-01-02 11:00\nB,c2,delivered,2023-01-02 11:00\n"})
    m = {"orders": {"files": "items.csv", "skiprows": 1,
                    "join": [{"file": "orders.csv", "on": "order_id",
                              "columns": {"customer_id": "customer_id", "order_status": "status", "ts": "ts"}}],
                    "columns": {"price": "unit_price", "ts": "order_date"}, "constants": {"quantity": 1},
                    "values": {"status": {"canceled": "cancelled"}}}}
    ds = load(folder, mapping=m, today=TODAY)
    o = ds.orders
    assert o["customer_id"].tolist() == ["c1", "c1", "c2"]
    assert o["status"].tolist() == ["cancelled", "cancelled", "delivered"]
    q = ds.report.quarantined
    assert q["source_row"].tolist() == [6]                       # Z has no order: line 6 of items.csv
    assert "customer_id: missing value" in q["reason"].iloc[0]
    probs = " ".join(ds.report.tables["orders"].problems)
    assert "1 of 4 rows have no match" in probs and "repeat a key" in probs


@pytest.mark.parametrize("mapping, words", [
    ({"orders": {"files": "nope.csv"}}, ["nope.csv", "not found"]),
    ({"orders": {"files": "o.csv", "columns": {"x": "order_id"}}}, ["'x'", "Columns found"]),
    ({"orders": {"files": "o.csv", "columns": {"order_id": "order_no"}}}, ["order_no", "not a column"]),
    ({"orders": {"files": "o.csv", "colums": {}}}, ["colums", "allowed"]),
    ({"orders": {"files": "o.csv"}, "currency": "dollar"}, ["currency"]),
    ({"orders": {"files": "o.csv"}, "ces_scale": 10}, ["ces_scale"]),
    ({"customers": {"files": "o.csv"}}, ["orders"]),
    ({"orders": {"files": "o.csv", "encoding": "ascii"}}, ["ascii", "encoding"]),
    ({"orders": {"files": "o.csv", "constants": {"order_id": 1}}}, ["order_id", "constant"]),
])
def test_mapping_mistakes_are_data_errors(tmp_path, mapping, words):
    folder = write(tmp_path / "m", {"o.csv": "order_id,customer_id,order_date,product_id,quantity,unit_price\n"
                                             "1,c,2023-01-01,p,1,سلام\n"})
    with pytest.raises(DataError) as e:
        load(folder, mapping=mapping, today=TODAY)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_bare_on_key_in_yaml_and_data_dir(tmp_path):
    data = write(tmp_path / "data", {"a.csv": "order_id,customer_id,order_date,product_id,quantity,unit_price\n"
                                              "1,c,2023-01-01,p,1,5\n",
                                     "b.csv": "order_id,channel\n1,web\n"})
    mf = tmp_path / "maps" / "shop.yml"
    mf.parent.mkdir()
    mf.write_text("data_dir: ../data\norders:\n  files: a.csv\n  join:\n    - file: b.csv\n      on: order_id\n",
                  encoding="utf-8")
    m = read_mapping(mf)
    assert m.tables["orders"].join[0].left_on == ["order_id"]
    ds = load(mf, today=TODAY)
    assert ds.orders["channel"].tolist() == ["web"]


def test_example_mappings_parse():
    root = Path(__file__).resolve().parents[1] / "examples" / "mappings"
    files = sorted(root.glob("*.yml"))
    assert len(files) >= 6
    for f in files:
        assert "orders" in read_mapping(f).tables, f
