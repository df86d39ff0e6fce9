"""insight.followup: who to call after a bad experience, and the export."""
import pandas as pd
import pytest

from insight import followup as F
from insight.contract import Dataset


def T(x):
    return pd.to_datetime(x, format="ISO8601")


@pytest.fixture
def ds():
    # as_of = 2024-03-30 (latest date in the data: t1 resolved); 14 days -> events after 03-16
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "customer_id": ["c1", "c2", "c3", "c4", "c5", "c1"],
        "order_date": T(["2024-03-20", "2024-03-10", "2024-03-01", "2024-03-25", "2023-01-01",
                         "2024-01-10"]),
        "product_id": "p", "quantity": [1.0, 2.0, 1.0, 1.0, 1.0, 3.0],
        "unit_price": [100.0, 50.0, 500.0, 10.0, 9999.0, 100.0],
        "promised_date": T(["2024-03-22", "2024-03-12", "2024-03-03", "2024-03-27", "2023-01-03",
                            "2024-01-12"]),
        "delivered_date": T(["2024-03-25", "2024-03-11", "2024-03-02", "2024-03-26", "2023-01-02",
                             "2024-01-11"]),
        "status": "delivered"})
    reviews = pd.DataFrame({
        "review_id": ["r1", "r2", "r3"], "customer_id": [None, "c3", "c4"],
        "product_id": "p", "order_id": ["o2", "o3", "o4"],
        "created_at": T(["2024-03-20 10:00", "2024-03-05", "2024-03-28"]),
        "rating": [1.0, 1.0, 5.0],
        "text": ["خیلی بد بود، با ۰۹۱۲۳۴۵۶۷۸۹ تماس بگیرید", "old", "عالی"]})
    complaints = pd.DataFrame({
        "ticket_id": ["t1", "t2"], "customer_id": ["c3", "c4"], "order_id": ["o3", "o4"],
        "opened_at": T(["2024-03-20", "2024-03-29"]),
        "resolved_at": T(["2024-03-30", None]), "text": ["کالا خراب", "هنوز جواب نداده‌اید"]})
    surveys = pd.DataFrame({"response_id": ["s1"], "customer_id": ["c3"],
                            "submitted_at": T(["2024-03-18"]), "nps": [3.0], "csat": [4.0]})
    return Dataset(orders=orders, reviews=reviews, complaints=complaints, surveys=surveys)


def test_followup_list(ds):
    out = F.followup_list(ds)
    # c1: late o1 (delivered 03-25 > promised 03-22) -> listed; spend 100 + 300 = 400
    # c2: negative review r1 on 03-20 (customer via order o2) -> listed; spend 100
    # c3: negative survey 03-18, but complaint t1 resolved 03-30 after it -> contacted, not listed
    # c4: unresolved complaint t2 opened 03-29 -> listed; spend 10
    # c5: nothing recent
    assert out["customer_id"].tolist() == ["c1", "c2", "c4"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["value"].tolist() == [400.0, 100.0, 10.0]
    assert out["reason_codes"].tolist() == ["late_delivery", "negative_review", "unresolved_complaint"]
    assert out["reasons"].iloc[0] == "تأخیر در تحویل (late_delivery)"
    assert out["days_since"].iloc[0] == 5.0            # 03-25 -> 03-30
    ex = out.set_index("customer_id")["excerpt"]
    assert "۰۹۱۲۳۴۵۶۷۸۹" not in ex["c2"] and ex["c2"].startswith("خیلی بد بود")
    assert ex["c4"] == "هنوز جواب نداده‌اید"
    assert pd.isna(ex["c1"])


def test_followup_value_window_and_sentiment(ds):
    clv = pd.Series({"c4": 5000.0, "c1": 1.0, "c2": 2.0})
    out = F.followup_list(ds, value=clv)
    assert out["customer_id"].tolist() == ["c4", "c2", "c1"] and out["value_source"].iloc[0] == "given"
    # a 3-day window keeps only c4 (03-29); c1's late delivery (03-25) is older
    assert F.followup_list(ds, days=3)["customer_id"].tolist() == ["c4"]
    # a negative sentiment column flags a 5-star review too
    rv = ds.reviews.assign(sentiment=["neutral", "neutral", "negative"])
    tables = {"orders": ds.orders, "reviews": rv.assign(rating=[5.0, 5.0, 5.0])}
    out = F.followup_list(tables, as_of="2024-03-31")
    assert set(out["customer_id"]) == {"c1", "c4"}
    assert "negative_review" in out.set_index("customer_id").loc["c4", "reason_codes"]


def test_mask_fallback_patterns():
    s = pd.Series(["ایمیل a.b@example.com", "کارت 6037-9911-2345-6789 لطفا", "شماره +98 912 345 6789",
                   "سفارش ۱۲۳ رسید"])
    out = F._fallback_mask(s)
    assert out.iloc[0] == "ایمیل [ایمیل]"
    assert out.iloc[1] == "کارت [شماره کارت] لطفا"
    assert "912" not in out.iloc[2]
    assert out.iloc[3] == "سفارش ۱۲۳ رسید"       # short numbers stay


def test_export_csv_bom_and_xlsx(ds, tmp_path):
    out = F.followup_list(ds)
    out.loc[0, "excerpt"] = "=HYPERLINK(1)"
    paths = F.export(out, tmp_path / "followup")
    assert [p.suffix for p in paths] == [".csv", ".xlsx"]
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")              # UTF-8 BOM for Excel
    back = pd.read_csv(paths[0], encoding="utf-8-sig")
    assert back["customer_id"].tolist() == ["c1", "c2", "c4"]
    assert back["excerpt"].iloc[0] == "'=HYPERLINK(1)"   # no formula injection
    assert "تأخیر در تحویل" in back["reasons"].iloc[0]
    xl = pd.read_excel(paths[1], engine="openpyxl")
    assert xl["reasons"].iloc[2] == "شکایت حل‌نشده (unresolved_complaint)"
    assert F.export(out, tmp_path / "x.csv") == [tmp_path / "x.csv"]
