"""insight.data.load: formats, encodings, canonical folders, DataError, round trip."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from insight import contract
from insight.data import DataError, load

ORDERS = """order_id,customer_id,order_date,product_id,quantity,unit_price,status
o1,c1,1402/01/15,p1,1,"120,000",delivered
o1,c1,1402/01/15,p2,2,50000,delivered
o2,c2,۱۴۰۲-۰۲-۰۱,p1,۳,۱۲۰ هزار تومان,Cancelled
"""
CUSTOMERS = "customer_id,signup_date,city\nc1,1401/12/01,تهران\nc2,2023-01-05,مشهد\n"
PRODUCTS = "product_id,name,category,price\np1,کتاب,books,120000\np2,قلم,stationery,50000\n"


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return folder


@pytest.fixture
def shop(tmp_path):
    return write(tmp_path / "shop", {"orders.csv": ORDERS, "customers.csv": CUSTOMERS, "products.csv": PRODUCTS})


def test_canonical_folder_types_and_values(shop):
    ds = load(shop, today="2024-01-01")
    assert ds.counts() == {"customers": 2, "products": 2, "orders": 3}
    assert ds.returns is None and ds.missing() == ["returns", "complaints", "reviews", "surveys"]
    o = ds.orders
    assert list(o.columns) == [c.name for c in contract.columns("orders")]
    for c in contract.columns("orders"):
        assert str(o[c.name].dtype) == contract.dtype_for(c.kind), c.name
    assert o["order_date"].tolist() == [pd.Timestamp("2023-04-04")] * 2 + [pd.Timestamp("2023-04-21")]
    assert o["unit_price"].tolist() == [120_000.0, 50_000.0, 1_200_000.0]   # toman words -> rial
    assert o["quantity"].tolist() == [1.0, 2.0, 3.0]
    assert o["status"].tolist() == ["delivered", "delivered", "cancelled"]
    assert ds.customers["signup_date"].tolist() == [pd.Timestamp("2023-02-20"), pd.Timestamp("2023-01-05")]
    assert ds.report.clean and ds.report.tables["orders"].rows_in == 3
    json.dumps(ds.report.to_dict())


def test_report_lists_source_files_and_missing(shop):
    rep = load(shop, today="2024-01-01").report
    assert rep.tables["orders"].source_files[0].endswith("orders.csv")
    assert rep.missing == ["returns", "complaints", "reviews", "surveys"]
    assert list(rep.summary()["table"]) == ["customers", "products", "orders"]
    assert "orders" in str(rep)


def test_cp1256_round_trip(tmp_path):
    text = "customer_id,city\nc1,تهران\nc2,کرمانشاه\n"
    folder = write(tmp_path / "w", {"orders.csv": ORDERS, "customers.csv": text.encode("cp1256")})
    ds = load(folder, today="2024-01-01")
    assert ds.customers["city"].tolist() == ["تهران", "کرمانشاه"]
    assert any("cp1256" in p for p in ds.report.tables["customers"].problems)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_encodings(tmp_path, encoding):
    folder = write(tmp_path / encoding, {"orders.csv": ORDERS.encode(encoding)})
    ds = load(folder, today="2024-01-01")
    assert ds.orders["order_id"].tolist() == ["o1", "o1", "o2"]


def test_arabic_letters_fixed_in_text_and_digits_in_ids(tmp_path):
    orders = "order_id,customer_id,order_date,product_id,quantity,unit_price\n۱۲,c1,2023-01-01,p1,1,10\n"
    reviews = "review_id,product_id,created_at,rating,text\nr1,p1,2023-01-02,۵,كتاب خوبي بود\n"
    ds = load(write(tmp_path / "a", {"orders.csv": orders, "reviews.csv": reviews}), today="2024-01-01")
    assert ds.orders["order_id"].iloc[0] == "12"
    assert ds.reviews["text"].iloc[0] == "کتاب خوبی بود"
    assert ds.reviews["rating"].iloc[0] == 5.0


def test_ids_keep_leading_zeros_and_parquet_ints_become_text(tmp_path):
    folder = write(tmp_path / "z", {"orders.csv": ORDERS.replace("c1", "007")})
    assert load(folder, today="2024-01-01").orders["customer_id"].iloc[0] == "007"
    pq = tmp_path / "pq"
    pq.mkdir()
    pd.DataFrame({"order_id": [1, 2], "customer_id": [10.0, 20.0], "order_date": pd.to_datetime(["2023-01-01"] * 2),
                  "product_id": ["p", "p"], "quantity": [1, 2], "unit_price": [5, 6]}).to_parquet(pq / "orders.parquet")
    o = load(pq, today="2024-01-01").orders
    assert o["order_id"].tolist() == ["1", "2"] and o["customer_id"].tolist() == ["10", "20"]
    assert o["quantity"].dtype == "float64"


def test_tsv_whitespace_txt_and_xlsx(tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(ORDERS), dtype=str).iloc[:2]
    t = tmp_path / "tsv"
    t.mkdir()
    df.to_csv(t / "orders.tsv", sep="\t", index=False)
    assert len(load(t, today="2024-01-01").orders) == 2
    w = tmp_path / "ws"
    w.mkdir()
    (w / "orders.txt").write_text("order_id customer_id order_date product_id quantity unit_price\n"
                                  "  o1   c1 20230101 p1 1 10.5\n o2 c2 20230102 p1 2 3\n", encoding="utf-8")
    o = load(w, today="2024-01-01").orders
    assert o["order_date"].tolist() == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-01-02")]
    x = tmp_path / "xlsx"
    x.mkdir()
    df.to_excel(x / "orders.xlsx", index=False)
    o = load(x, today="2024-01-01").orders
    assert o["order_date"].iloc[0] == pd.Timestamp("2023-04-04")
    assert load(x, today="2024-01-01").report.tables["orders"].rows_kept == 2


def test_embedded_newlines_keep_line_numbers(tmp_path):
    reviews = ('review_id,product_id,created_at,rating,text\n'
               'r1,p1,2023-01-02,5,"خط اول\nخط دوم\nخط سوم"\n'
               '\n'
               'r2,p1,2023-01-02,9,بد\n')
    ds = load(write(tmp_path / "n", {"orders.csv": ORDERS, "reviews.csv": reviews}), today="2024-01-01")
    assert ds.reviews["text"].iloc[0] == "خط اول\nخط دوم\nخط سوم"
    q = ds.report.quarantined
    assert q["source_row"].tolist() == [6]          # header 1, r1 spans 2-4, blank 5, r2 on 6


@pytest.mark.parametrize("files, words", [
    ({}, ["orders", "orders.csv"]),                                              # no orders at all
    ({"orders.csv": ""}, ["orders.csv", "empty"]),
    ({"orders.csv": "order_id,customer_id,order_date,product_id,quantity,unit_price\n"}, ["orders.csv", "no rows"]),
    ({"orders.csv": "order_id,customer_id,order_date,product_id,quantity\no1,c1,2023-01-01,p1,1\n"},
     ["orders.csv", "unit_price", "mapping"]),
    ({"orders.csv": "order_id;customer_id;order_date;product_id;quantity;unit_price\no1;c1;2023-01-01;p1;1;1\n"},
     ["unit_price", "sep: ';'"]),
    ({"orders.csv": ORDERS, "reviews.csv": "review_id,created_at,text\nr1,2023-01-01,x\n"},
     ["reviews.csv", "product_id"]),
])
def test_unusable_input_raises_data_error_naming_file_and_column(tmp_path, files, words):
    folder = write(tmp_path / "bad", files)
    (folder / "notes.md").write_text("x")
    with pytest.raises(DataError) as e:
        load(folder)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_missing_path_and_single_file(tmp_path, shop):
    with pytest.raises(DataError, match="no such folder"):
        load(tmp_path / "nope")
    with pytest.raises(DataError, match="not a single file"):
        load(shop / "orders.csv")


def test_dataset_tables_written_back_load_identically(shop, tmp_path):
    ds = load(shop, today="2024-01-01")
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"back_{fmt}"
        out.mkdir()
        for name, df in ds.tables():
            if df is not None:
                getattr(df, f"to_{fmt}")(out / f"{name}.{fmt}", index=False)
        again = load(out, today="2024-01-01")
        assert again.counts() == ds.counts()
        assert again.report.clean
        pd.testing.assert_frame_equal(again.orders, ds.orders)
        pd.testing.assert_frame_equal(again.customers, ds.customers)


def test_loaded_frames_pass_the_pandera_contract(shop):
    from insight.data.validate import pandera_schema
    ds = load(shop, today="2024-01-01")
    for name, df in ds.tables():
        if df is not None:
            pandera_schema(name).validate(df, lazy=True)


def test_binary_or_workbook_saved_as_csv(tmp_path):
    pd.DataFrame({"a": [1]}).to_excel(tmp_path / "book.xlsx", index=False)
    (tmp_path / "orders.csv").write_bytes((tmp_path / "book.xlsx").read_bytes())
    with pytest.raises(DataError, match="Excel workbook"):
        load(tmp_path)
    (tmp_path / "orders.csv").write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(DataError, match="binary"):
        load(tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_generated_sample_written_and_loaded_back(tmp_path, fmt):
    sample = pytest.importorskip("insight.sample")
    ds = sample.generate(customers=300, seed=3)
    sample.write(ds, tmp_path, fmt=fmt)
    back = load(tmp_path)
    assert back.counts() == ds.counts()
    assert back.report.rows_quarantined == 0
    text_cols = set(contract.TEXT_COLUMNS.values())
    for name, df in ds.tables():
        if df is None:
            continue
        cols = [c for c in df.columns if c in getattr(back, name).columns and c not in text_cols]
        pd.testing.assert_frame_equal(getattr(back, name)[cols].reset_index(drop=True),
                                      df[cols].reset_index(drop=True), check_dtype=False)
    # free text only differs where Arabic ي/ك became Persian ی/ک
    from insight.persian import fix_arabic_chars
    assert back.reviews["text"].fillna("").equals(fix_arabic_chars(ds.reviews["text"].astype("str")).fillna(""))


def test_two_files_for_one_table_and_repeated_xlsx_header(tmp_path):
    write(tmp_path / "two", {"orders.csv": ORDERS})
    pd.read_csv(tmp_path / "two" / "orders.csv", dtype=str).to_parquet(tmp_path / "two" / "orders.parquet")
    ds = load(tmp_path / "two", today="2024-01-01")
    assert ds.report.tables["orders"].source_files[0].endswith("orders.parquet")
    assert any("also found orders.csv" in p for p in ds.report.tables["orders"].problems)
    x = tmp_path / "x"
    x.mkdir()
    pd.DataFrame([["o1", "c1", "2023-01-01", "p1", 1, 5, 6]],
                 columns=["order_id", "customer_id", "order_date", "product_id", "quantity", "unit_price", "q"]
                 ).rename(columns={"q": "quantity"}).to_excel(x / "orders.xlsx", index=False)
    with pytest.raises(DataError, match="'quantity' appears more than once"):
        load(x)


def test_persian_status_words(tmp_path):
    orders = ("order_id,customer_id,order_date,product_id,quantity,unit_price,status\n"
              "o1,c1,2023-01-01,p1,1,5,تحویل شده\no2,c1,2023-01-01,p1,1,5,لغو‌شده\no3,c1,2023-01-01,p1,1,5,ناموجود\n")
    ds = load(write(tmp_path / "s", {"orders.csv": orders}), today="2024-01-01")
    assert ds.orders["status"].tolist() == ["delivered", "cancelled", "backordered"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_numbers_with_multiline_values_on_the_fast_reader(tmp_path, newline):
    rows = ["review_id,product_id,created_at,rating,text",
            'r1,p1,2023-01-02,5,"یک' + newline + 'دو"',
            'r2,p1,2023-01-02,4,"سه' + newline + 'چهار' + newline + 'پنج"',
            "r3,p1,2023-01-02,7,بد"]
    folder = write(tmp_path / "m", {"orders.csv": ORDERS, "reviews.csv": newline.join(rows) + newline})
    ds = load(folder, today="2024-01-01")
    assert ds.report.quarantined["source_row"].tolist() == [7]   # r1: 2-3, r2: 4-6, r3: 7
    assert ds.reviews["text"].iloc[1] == "سه\nچهار\nپنج"          # Windows line ends -> \n
