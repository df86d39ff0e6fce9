"""Each public dataset in ../shared/data loads through its mapping alone, with known counts."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from insight.data import load

pytestmark = pytest.mark.shared
MAPS = Path(__file__).resolve().parents[1] / "examples" / "mappings"
TODAY = "2025-01-01"


def _load(shared, folder, name):
    return load(shared / folder, mapping=MAPS / f"{name}.yml", today=TODAY)


def test_iran_ecommerce_gregorian_and_jalali_agree(shared_data):
    g = _load(shared_data, "iran-ecommerce", "iran-ecommerce")
    assert len(g.orders) == 40_537 and g.orders["customer_id"].nunique() == 14_964
    assert g.report.clean
    assert g.orders["order_date"].min() == pd.Timestamp("2019-03-21 00:04")
    assert g.orders["order_date"].max() == pd.Timestamp("2019-07-22 23:44")
    assert g.orders["unit_price"].iloc[0] == 240_000.0                     # rial
    j = _load(shared_data, "iran-ecommerce", "iran-ecommerce-jalali")   # shamsy_date: 1398-Farvardin-1
    assert len(j.orders) == 40_537 and j.report.clean
    assert (j.orders["order_date"] == g.orders["order_date"].dt.normalize()).all()
    assert j.currency == "toman" and j.orders["unit_price"].iloc[0] == 24_000.0


def test_cdnow_master_and_sample(shared_data):
    m = _load(shared_data, "cdnow", "cdnow")
    assert len(m.orders) == 69_659 and m.orders["customer_id"].nunique() == 23_570
    assert m.orders["customer_id"].iloc[0] == "00001"                    # leading zeros kept
    assert m.orders["order_date"].min() == pd.Timestamp("1997-01-01")
    assert m.orders["order_date"].max() == pd.Timestamp("1998-06-30")
    assert round((m.orders["unit_price"] * m.orders["quantity"]).sum(), 2) == 2_500_315.63
    s = _load(shared_data, "cdnow", "cdnow-sample")
    assert len(s.orders) == 6_919 and s.orders["customer_id"].nunique() == 2_357
    assert m.report.clean and s.report.clean


def test_cfpb_complaints(shared_data):
    ds = _load(shared_data, "cfpb", "cfpb")
    c = ds.complaints
    assert len(c) == 6_623 and ds.report.clean
    assert c["text"].notna().sum() == 1_532                              # narratives
    assert c["opened_at"].notna().all()


def test_snappfood_reviews(shared_data):
    ds = _load(shared_data, "snappfood", "snappfood")
    r = ds.reviews
    assert len(r) == 6_300 and ds.report.clean
    assert r["rating"].value_counts().to_dict() == {1.0: 3_150, 5.0: 3_150}
    assert r["text"].notna().all()


def test_olist(shared_data):
    ds = _load(shared_data, "olist", "olist")
    assert ds.counts() == {"customers": 15_000, "products": 9_255, "orders": 17_071, "reviews": 14_813}
    o = ds.orders
    assert o["order_id"].nunique() == 14_885
    assert o["status"].value_counts().to_dict() == {"delivered": 16_685, "cancelled": 108, "backordered": 2}
    assert (o["delivered_date"].dt.normalize() > o["promised_date"]).sum() == 1_082   # late lines
    rev = ds.report.tables["reviews"]
    assert (rev.rows_in, rev.rows_quarantined) == (14_944, 131)
    q = ds.report.quarantined
    # 112 reviews of orders that have no items (so no product), 19 repeated review ids
    assert q["reason"].str.contains("product_id: missing value").sum() == 112
    assert q["reason"].str.contains("review_id: duplicate").sum() == 19


def test_sentipers_sentences_from_xlsx(shared_data):
    ds = _load(shared_data, "sentipers", "sentipers")
    r = ds.reviews
    assert len(r) == 15_683 and ds.report.clean
    # polarity -2..+2 -> rating 1..5
    assert r["rating"].value_counts().to_dict() == {3.0: 5_938, 4.0: 5_019, 5.0: 2_940, 2.0: 1_574, 1.0: 212}
    assert r["product_id"].nunique() == 290 and r["review_id"].is_unique
