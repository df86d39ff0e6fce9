"""insight.show (escaping, masking, numbers, dates, headlines) and insight.quality tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import quality, show
from insight.contract import Dataset

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture(autouse=True)
def _fa():
    show.setup(lang="fa")
    yield
    show.setup(lang="fa")


def test_table_escapes_and_masks_data_text():
    df = pd.DataFrame({"text": [XSS[0] + " بد", XSS[1] + " تماس 09121234567", "$x^2$ a@b.com"],
                       "n": [1234567, 2, 3]})
    html = show.table(df)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "09121234567" not in html and "a@b.com" not in html
    assert "$" not in html and "&#36;x^2&#36;" in html
    assert html._repr_html_() == str(html)


def test_table_numbers_units_percent_and_digits():
    df = pd.DataFrame({"revenue": [1234567.0, np.nan], "share": [0.256, 0.5], "when": pd.to_datetime(["2024-03-20", None])})
    fa = show.table(df, units={"revenue": "rial"}, percent=["share"])
    assert "۱٬۲۳۴٬۵۶۷" in fa and "ریال" in fa and "۲۵٫۶٪" in fa and "—" in fa
    assert "۱ فروردین ۱۴۰۳ (\u20662024-03-20\u2069)" in fa
    en = show.table(df, lang="en", units={"revenue": "rial"}, percent=["share"])
    assert "1,234,567" in en and "(rial)" in en and "25.6%" in en and "2024-03-20 (1403/01/01)" in en
    assert 'dir="rtl"' in fa and 'dir="ltr"' in en
    latin = show.table(df, digits="latin")
    assert "1,234,567" in latin


def test_table_limits_rows_and_shows_index():
    df = pd.DataFrame({"x": range(300)}, index=pd.Index([f"k{i}" for i in range(300)], name="key"))
    html = show.table(df, index=True, max_rows=10, lang="en")
    assert html.count("<tr>") == 11 and "290 more rows not shown" in html and "<th>key</th>" in html


@pytest.mark.parametrize("x, kw, want", [
    (1234, {}, "۱٬۲۳۴"), (-5.5, {}, "−۵٫۵۰"), (0.0003, {"percent": True}, "۰٫۰۳٪"),
    (None, {}, "—"), (float("nan"), {}, "—"), (12.345, {"decimals": 1}, "۱۲٫۳"),
])
def test_number_fa(x, kw, want):
    assert show.number(x, **kw) == want


def test_number_en():
    assert show.number(1234.5, lang="en") == "1,234"  # >= 100: no decimals
    assert show.number(0.256, lang="en", percent=True) == "25.6%"


def test_date_jalali_with_gregorian():
    assert show.date("2024-03-20", "fa") == "۱ فروردین ۱۴۰۳ (\u20662024-03-20\u2069)"
    assert show.date(pd.Timestamp("2023-03-21 10:00"), "en") == "2023-03-21 (1402/01/01)"
    assert show.date(None) == "—" and show.date(pd.NaT) == "—"


def test_text_blocks_escape():
    for fn in (lambda t: show.finding(t, t), show.quote, lambda t: show.missing_section("x", t),
               lambda t: show.text(t), lambda t: show.heading(t)):
        out = fn(XSS[0])
        assert "<script>" not in out and "&lt;script&gt;" in out
    assert "این بخش محاسبه نشد" in show.missing_section("بازگشت", "جدول returns نیست", "fa")
    assert "could not be computed" in show.missing_section("returns", "no returns table", "en")
    assert show.finding("فا", "en", lang="en").count("en") >= 1


def test_mask_fallback_patterns():
    masked = show._fallback_mask("call +98 912 123 4567 or ۰۹۱۲۱۲۳۴۵۶۷, card 6037-9911-2345-6789, x@y.ir")
    assert "912 123" not in masked and "۰۹۱۲" not in masked and "6037" not in masked and "x@y.ir" not in masked
    assert show._fallback_mask("order O0000012 and 2024") == "order O0000012 and 2024"


def test_headline_bundle_and_collect():
    b = show.headline_bundle("nps", 42.5, label=("نمره", "NPS score"), better="higher", n=120, lang="en")
    rec = b[show.HEADLINE_MIME]
    assert rec == {"name": "nps", "value": 42.5, "label": "NPS score", "unit": None, "better": "higher",
                   "percent": False, "decimals": None, "n": 120}
    assert "n = 120" in b["text/html"]
    with pytest.raises(ValueError):
        show.headline_bundle("bad name", 1)
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": b},
        {"output_type": "display_data", "data": {show.META_MIME: {"period": ["2024-01-01", "2024-02-01"]}}},
    ]}]}
    heads, meta = show.collect(nb)
    assert heads == [rec] and meta == {"period": ["2024-01-01", "2024-02-01"]}


# ---------------------------------------------------------------- insight.quality

def _ds():
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3"], "customer_id": ["c1", "c1", "c2"],
        "order_date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-03-01"]),
        "product_id": ["p1", "p2", "p1"], "quantity": [1.0, 2.0, 1.0], "unit_price": [10.0, 5.0, 10.0],
        "promised_date": pd.to_datetime(["2024-01-07", None, None]),
        "delivered_date": pd.to_datetime([None, None, None]),
    })
    reviews = pd.DataFrame({"review_id": ["r1", "r2"], "product_id": ["p1", "p1"],
                            "created_at": pd.to_datetime(["2024-01-09", "2024-03-03"]),
                            "rating": [5.0, np.nan], "text": ["خوب", "بد"]})
    return Dataset(orders=orders, reviews=reviews)


def test_table_counts_and_reasons():
    rep = {"tables": {"reviews": {"rows_in": 4, "rows_kept": 2, "rows_quarantined": 2, "problems": ["p"]},
                      "orders": {"rows_in": 3, "rows_kept": 3, "rows_quarantined": 0, "problems": []}}}
    c = quality.table_counts(rep)
    assert c["table"].tolist() == ["orders", "reviews"]  # contract order
    assert c["share_quarantined"].tolist() == [0.0, 0.5] and c["balanced"].all()
    assert c["problems"].tolist() == [0, 1]
    assert quality.problems(rep).to_dict("records") == [{"table": "reviews", "problem": "p"}]
    rep["tables"]["orders"]["problems"] = ["qty: negative — 2 rows quarantined e.g. '-1'", "status: unknown values"]
    assert quality.problems(rep, include_quarantine=False)["problem"].tolist() == ["p", "status: unknown values"]
    q = pd.DataFrame({"table": ["reviews", "reviews", "reviews", "orders"],
                      "source_file": "f", "source_row": [1, 2, 3, 4],
                      "reason": ["created_at: not a date 'x1'", "created_at: not a date 'x2'; rating: out of range '9'",
                                 "review_id: missing", "quantity: negative '-1'"]})
    r = quality.quarantine_reasons(q)
    assert r.drop(columns="example").to_dict("records") == [
        {"table": "orders", "reason": "quantity: negative", "rows": 1, "share": 1.0},
        {"table": "reviews", "reason": "created_at: not a date", "rows": 2, "share": 2 / 3},
        {"table": "reviews", "reason": "rating: out of range", "rows": 1, "share": 1 / 3},
        {"table": "reviews", "reason": "review_id: missing", "rows": 1, "share": 1 / 3}]
    assert r["example"].fillna("").tolist() == ["-1", "x1", "9", ""]
    assert len(quality.quarantine_reasons(None)) == 0


def test_coverage_date_ranges_missing():
    ds = _ds()
    cov = quality.coverage(ds).set_index(["table", "column"])
    assert cov.loc[("orders", "promised_date"), "share"] == pytest.approx(1 / 3)
    assert cov.loc[("orders", "delivered_date"), "non_null"] == 0
    assert not cov.loc[("orders", "status"), "present"]
    assert cov.loc[("reviews", "rating"), "share"] == 0.5
    dr = quality.date_ranges(ds).set_index(["table", "column"])
    assert dr.loc[("orders", "order_date"), "first"] == pd.Timestamp("2024-01-05")
    assert dr.loc[("reviews", "created_at"), "last"] == pd.Timestamp("2024-03-03")
    assert dr.loc[("orders", "promised_date"), "n"] == 1
    assert quality.data_period(ds) == (pd.Timestamp("2024-01-05"), pd.Timestamp("2024-03-01"))
    m = quality.missing(ds, "en")
    assert {"customers", "products", "returns", "complaints", "surveys"} == set(m.loc[m["kind"] == "table", "name"])
    cols = set(m.loc[m["kind"] == "column", "name"])
    assert {"orders.delivered_date", "orders.status"} <= cols and "orders.promised_date" not in cols
    assert "the follow-up list after a bad experience" in m["section"].tolist()


def test_headline_carries_its_confidence_interval():
    # NPS 14.3 with CI [-40, 68]: both limits shown on the card and kept in the record
    b = show.headline_bundle("nps", 14.3, label="NPS", ci=(-40.0, 68.0), n=7, lang="en", decimals=1)
    rec = b[show.HEADLINE_MIME]
    assert (rec["ci_low"], rec["ci_high"]) == (-40.0, 68.0)
    assert "[−40.0 – 68.0]" in b["text/html"]  # a true minus sign


# hostile data text, one case a row: what safe() must make of it
HOSTILE = [
    ("<script>alert(1)</script>", "&lt;script&gt;"),          # HTML payload is escaped
    ("$\\frac{1}{2}$", "&#36;\\frac{1}{2}&#36;"),               # LaTeX delimiters are inert
    ("`rm -rf`", "&#96;rm -rf&#96;"),                           # markdown code fences are inert
    ("\u202eخوب\u202c", "خوب"),                                 # right-to-left override removed
    ("\u2067خوب\u2069", "خوب"),                                 # isolate controls from data removed
]


@pytest.mark.parametrize("raw, want", HOSTILE)
def test_hostile_text_is_inert(raw, want):
    out = show.safe(raw)
    assert want in out
    assert "\u202e" not in out and "<script" not in out
