"""Data-quality summaries for the data_quality report (tidy DataFrames out).

All functions take the loaded :class:`insight.contract.Dataset` (or its
validation report) and return small tables ready for ``insight.show.table``:

* :func:`table_counts`      rows in / kept / quarantined per table
* :func:`quarantine_reasons` quarantined rows per table and reason
* :func:`problems`          table-level problems the loader reported
* :func:`coverage`          share of non-missing values of every optional column
* :func:`date_ranges`       first and last date of every date column
* :func:`missing`           absent tables / columns and the report sections they disable
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from insight.contract import DATE, TABLES, Dataset, columns

#: report sections that need a table: table -> [(section fa, section en)]
SECTIONS_BY_TABLE: dict[str, list[tuple[str, str]]] = {
    "customers": [("بخش‌بندی بر پایهٔ شهر و کانال جذب", "segments by city and acquisition channel"),
                  ("مسیر تا خرید دوم بر پایهٔ تاریخ ثبت‌نام", "path to second order from sign-up")],
    "products": [("نام و دستهٔ کالاها در جدول‌های مرجوعی و کسری موجودی", "product names and categories in returns and backorders")],
    "returns": [("مرجوعی‌ها و دلایل آن‌ها", "returns and their reasons"),
                ("ویژگی «ارزش» در تجربهٔ بی‌اصطکاک", "the 'value' attribute of a frictionless experience")],
    "complaints": [("شکایت‌ها، موضوعات رو به افزایش و کاهش", "complaints, rising and fading themes"),
                   ("فهرست پیگیری پس از تجربهٔ بد", "the follow-up list after a bad experience"),
                   ("تماس‌های تکراری (خدمات «ماهی قرمز»)", "repeat contacts ('goldfish' service)")],
    "reviews": [("صدای مشتری و احساسات نظرها", "voice of the customer and review sentiment"),
                ("نظرهای منفی به‌عنوان نشانهٔ زودهنگام نارضایتی", "negative reviews as an early sign")],
    "surveys": [("NPS، CSAT و CES با بازهٔ اطمینان", "NPS, CSAT and CES with confidence intervals"),
                ("عوامل مؤثر بر رضایت", "drivers of satisfaction")],
}

#: report sections that need an optional column: (table, column) -> (fa, en)
SECTIONS_BY_COLUMN: dict[tuple[str, str], tuple[str, str]] = {
    ("orders", "promised_date"): ("تحویل به‌موقع نسبت به وعده", "on-time delivery against the promise"),
    ("orders", "delivered_date"): ("زمان و تأخیر تحویل", "delivery time and lateness"),
    ("orders", "status"): ("کالاهای با کسری موجودی و لغوشده", "backordered and cancelled items"),
    ("orders", "channel"): ("مقایسهٔ کانال‌های فروش", "sales channel comparison"),
    ("customers", "acquisition_channel"): ("کانال جذب و تبدیل", "acquisition channel and conversion"),
    ("complaints", "resolved_at"): ("زمان رسیدگی به شکایت", "complaint resolution time"),
    ("complaints", "contacts"): ("تماس‌های تکراری", "repeat contacts"),
    ("surveys", "nps"): ("NPS", "NPS"),
    ("surveys", "csat"): ("CSAT", "CSAT"),
    ("surveys", "ces"): ("CES", "CES"),
    ("reviews", "rating"): ("امتیاز نظرها", "review ratings"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "fa" else pair[1]


def _report_dict(report: Any) -> dict:
    if report is None:
        return {"tables": {}}
    if isinstance(report, dict):
        return report
    return report.to_dict()


def _n(value: Any) -> int:
    if isinstance(value, (list, tuple, set, dict)):
        return len(value)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def table_counts(report: Any) -> pd.DataFrame:
    """Per table: rows_in, rows_kept, rows_quarantined, share_quarantined, balanced
    (``rows_in == rows_kept + rows_quarantined``), problems (count)."""
    tables = _report_dict(report).get("tables", {})
    order = [t for t in TABLES if t in tables] + [t for t in tables if t not in TABLES]
    df = pd.DataFrame({
        "table": order,
        "rows_in": [_n(tables[t].get("rows_in")) for t in order],
        "rows_kept": [_n(tables[t].get("rows_kept")) for t in order],
        "rows_quarantined": [_n(tables[t].get("rows_quarantined")) for t in order],
        "problems": [_n(tables[t].get("problems")) for t in order],
    })
    df["share_quarantined"] = (df["rows_quarantined"] / df["rows_in"].where(df["rows_in"] > 0)).astype("float64")
    df["balanced"] = df["rows_in"] == df["rows_kept"] + df["rows_quarantined"]
    return df[["table", "rows_in", "rows_kept", "rows_quarantined", "share_quarantined", "balanced", "problems"]]


def problems(report: Any, include_quarantine: bool = True) -> pd.DataFrame:
    """One row per table-level problem the loader reported: table, problem.

    ``include_quarantine=False`` leaves out the loader's per-reason summaries
    ("… N rows quarantined …"), which :func:`quarantine_reasons` already shows."""
    rows_t, rows_p = [], []
    for t, info in _report_dict(report).get("tables", {}).items():
        probs = info.get("problems") or []
        if isinstance(probs, dict):
            probs = [f"{k}: {v}" for k, v in probs.items()]
        elif not isinstance(probs, (list, tuple)):
            continue
        for p in probs:
            rows_t.append(t)
            rows_p.append(p if isinstance(p, str) else str(p))
    out = pd.DataFrame({"table": pd.Series(rows_t, dtype="str"), "problem": pd.Series(rows_p, dtype="str")})
    if not include_quarantine:
        out = out[~out["problem"].str.contains(r"\brows? quarantined\b", regex=True)].reset_index(drop=True)
    return out


def quarantine_reasons(quarantined: pd.DataFrame | None) -> pd.DataFrame:
    """Quarantined rows per (table, reason), most frequent first.

    The loader writes each row's reasons as ``"column: what 'value'"`` joined by
    ``"; "``; the value is cut off so equal problems group together, and the first
    value seen is kept as ``example``.  ``rows`` counts rows with that reason and
    ``share`` is their part of the table's quarantined rows (a row with two reasons
    counts in both, so shares may add up to more than 1)."""
    cols = {"table": "str", "reason": "str", "rows": "int64", "share": "float64", "example": "str"}
    if quarantined is None or len(quarantined) == 0:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in cols.items()})
    per_table = quarantined.groupby("table", sort=False).size()
    parts = quarantined[["table", "reason"]].assign(
        reason=quarantined["reason"].fillna("").astype("str").str.split("; ")).explode("reason")
    text = parts["reason"].astype("str")
    parts = parts.assign(reason=text.str.replace(r"\s*'.*'$", "", regex=True),
                         example=text.str.extract(r"'(.*)'$", expand=False))
    g = parts.groupby(["table", "reason"], sort=False)
    out = g.size().rename("rows").reset_index()
    out["example"] = g["example"].first().to_numpy()
    out["share"] = out["rows"] / out["table"].map(per_table)
    out = out.sort_values(["table", "rows"], ascending=[True, False], kind="stable").reset_index(drop=True)
    return out[list(cols)].astype(cols)


def coverage(ds: Dataset) -> pd.DataFrame:
    """Every optional column of every present table: rows, non_null, share (0..1), present
    (False when the export has no such column at all)."""
    parts = []
    for name, df in ds.tables():
        if df is None:
            continue
        opt = [c.name for c in columns(name) if not c.required]
        have = [c for c in opt if c in df.columns]
        nn = df[have].notna().sum() if have else pd.Series(dtype="int64")
        parts.append(pd.DataFrame({
            "table": name, "column": opt, "rows": len(df),
            "non_null": [int(nn.get(c, 0)) for c in opt],
            "present": [c in df.columns for c in opt],
        }))
    if not parts:
        return pd.DataFrame({"table": pd.Series(dtype="str"), "column": pd.Series(dtype="str"),
                             "rows": pd.Series(dtype="int64"), "non_null": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype="float64"), "present": pd.Series(dtype="bool")})
    out = pd.concat(parts, ignore_index=True)
    out["share"] = (out["non_null"] / out["rows"].where(out["rows"] > 0)).astype("float64")
    return out[["table", "column", "rows", "non_null", "share", "present"]]


def date_ranges(ds: Dataset) -> pd.DataFrame:
    """First and last value of every date column present: table, column, first, last, n."""
    rows = []
    for name, df in ds.tables():
        if df is None:
            continue
        for c in columns(name):
            if c.kind != DATE or c.name not in df.columns:
                continue
            s = pd.to_datetime(df[c.name], errors="coerce")
            rows.append({"table": name, "column": c.name, "first": s.min(), "last": s.max(),
                         "n": int(s.notna().sum())})
    out = pd.DataFrame(rows, columns=["table", "column", "first", "last", "n"])
    for c in ("first", "last"):
        out[c] = pd.to_datetime(out[c])
    return out.astype({"n": "int64"})


def data_period(ds: Dataset) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(first, last) order date — the period the reports describe."""
    if ds.orders is None or "order_date" not in ds.orders.columns or len(ds.orders) == 0:
        return None, None
    s = pd.to_datetime(ds.orders["order_date"], errors="coerce")
    return s.min(), s.max()


def missing(ds: Dataset, lang: str = "fa") -> pd.DataFrame:
    """What the data lacks and what that disables: kind ('table'/'column'), name, section."""
    rows = []
    for t in ds.missing():
        for pair in SECTIONS_BY_TABLE.get(t, []):
            rows.append({"kind": "table", "name": t, "section": _pick(pair, lang)})
    for (t, c), pair in SECTIONS_BY_COLUMN.items():
        df = getattr(ds, t)
        if df is None:
            continue  # the whole table is already listed
        if c not in df.columns or df[c].notna().sum() == 0:
            rows.append({"kind": "column", "name": f"{t}.{c}", "section": _pick(pair, lang)})
    return pd.DataFrame(rows, columns=["kind", "name", "section"]).astype("str")


#: display labels of the columns these functions return: column -> (fa, en)
LABELS: dict[str, tuple[str, str]] = {
    "table": ("جدول", "table"), "rows_in": ("ردیف‌های خوانده‌شده", "rows in"),
    "rows_kept": ("ردیف‌های سالم", "rows kept"), "rows_quarantined": ("ردیف‌های قرنطینه", "rows quarantined"),
    "share_quarantined": ("سهم قرنطینه", "share quarantined"), "balanced": ("ورودی = سالم + قرنطینه", "in = kept + quarantined"),
    "problems": ("مشکل‌ها", "problems"), "problem": ("مشکل", "problem"), "reason": ("دلیل", "reason"),
    "rows": ("ردیف‌ها", "rows"), "share": ("سهم", "share"), "column": ("ستون", "column"),
    "non_null": ("دارای مقدار", "non-missing"), "present": ("در داده هست", "in the export"),
    "first": ("نخستین", "first"), "last": ("آخرین", "last"), "n": ("تعداد", "n"),
    "example": ("نمونه", "example"), "kind": ("نوع", "kind"), "name": ("نام", "name"), "section": ("بخشی که محاسبه نمی‌شود", "section not computed"),
}
