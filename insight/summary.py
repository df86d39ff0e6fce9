"""Small figures the summary-style reports assemble from the analysis modules.

* :func:`changes` — the headline metrics in the latest period against the one
  before (Jalali months by default).  Perception metrics (NPS, CSAT top-2 share,
  CES, share of negative reviews) and operational drivers (late deliveries,
  complaints, returns) are compared with ``insight.metrics.compare``; a row is
  called a change (``direction`` better / worse) only when the test rejects "no
  difference" at ``alpha``.
* :func:`explain` — plain findings (fa, en, kind) linking each perception change
  to the drivers that moved in the same period.
* :func:`attribute_summary` / :func:`worst_attribute` — one row per attribute of
  a frictionless experience from ``insight.themes.scorecard``.
* :func:`repurchase_rate`, :func:`segment_share`, :func:`clv_by_segment`,
  :func:`value_at_risk` — the headline figures of the segment and journey reports.
* :func:`claim_text` / :func:`claim_counts` — one plain line per rule-of-thumb
  check of ``insight.claims.check_all``.

Everything takes and returns tidy DataFrames (or small dicts / Estimates).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from insight import stats as st
from insight.stats import ALPHA, Estimate

__all__ = ["METRICS", "ATTRIBUTE_NAMES", "AT_RISK_SEGMENTS", "order_frame", "period_pair", "changes",
           "explain", "attribute_summary", "worst_attribute", "repurchase_rate", "segment_share",
           "clv_by_segment", "value_at_risk", "claim_text", "claim_counts", "CLAIM_NAMES"]

#: metric -> (fa name, en name, kind, unit, better)
METRICS = {
    "nps": ("امتیاز خالص ترویج‌کنندگان (NPS)", "NPS", "perception", "points", "higher"),
    "top2": ("سهم راضی‌ها (CSAT ۴ و ۵)", "share satisfied (CSAT 4-5)", "perception", "share", "higher"),
    "ces": ("میانگین تلاش مشتری (CES)", "mean customer effort (CES)", "perception", "mean", "lower"),
    "negative_reviews": ("سهم نظرهای منفی (امتیاز ۱ و ۲)", "share of negative reviews (rating 1-2)",
                         "perception", "share", "lower"),
    "late_delivery": ("سهم سفارش‌های دیررسیده", "share of orders delivered late", "driver", "share", "lower"),
    "complaints": ("سهم سفارش‌های دارای شکایت", "share of orders with a complaint", "driver", "share", "lower"),
    "returns": ("سهم سفارش‌های مرجوعی", "share of orders with a return", "driver", "share", "lower"),
}

ATTRIBUTE_NAMES = {"trust": ("اعتماد", "trust"), "reliability": ("قابلیت اطمینان", "reliability"),
                   "value": ("ارزش", "value"), "relevance": ("مرتبط بودن", "relevance")}

#: segments whose customers are slipping away (value at risk)
AT_RISK_SEGMENTS = ("at risk", "cannot lose")


# ---------------------------------------------------------------- orders and periods

def order_frame(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per order (cancelled lines dropped when ``status`` is given): order_id,
    customer_id, order_date (earliest line), promised_date / delivered_date (latest line,
    when the columns exist) and ``late`` (1.0 delivered on a later calendar day than
    promised, 0.0 on time, NaN unknown)."""
    o = orders
    if "status" in o.columns:
        keep = ~o["status"].astype("str").str.lower().eq("cancelled").to_numpy()
        if not keep.all():
            o = o.loc[keep]
    agg = {"customer_id": ("customer_id", "first"), "order_date": ("order_date", "min")}
    for c in ("promised_date", "delivered_date"):
        if c in o.columns:
            agg[c] = (c, "max")
    out = o.groupby("order_id", sort=False).agg(**agg).reset_index()
    if {"promised_date", "delivered_date"} <= set(out.columns):
        p, d = out["promised_date"].dt.normalize(), out["delivered_date"].dt.normalize()
        out["late"] = np.where(p.isna() | d.isna(), np.nan, (d > p).astype("float64"))
    else:
        out["late"] = np.nan
    return out


def period_pair(end, period: str = "month", calendar: str = "jalali") -> dict:
    """The period containing ``end`` (latest) and the one before it: labels and
    [start, end) Gregorian bounds.  ``partial`` is True when ``end`` is not the last
    day of its period."""
    from insight.metrics import period_labels

    end = pd.Timestamp(end).normalize()
    lab = period_labels(pd.Series([end]), period, calendar).iloc[0]
    start = pd.Timestamp(lab["period_start"])
    prev = period_labels(pd.Series([start - pd.Timedelta(days=1)]), period, calendar).iloc[0]
    nxt = period_labels(pd.Series([end + pd.Timedelta(days=1)]), period, calendar).iloc[0]
    return {"latest": str(lab["period"]), "latest_start": start, "latest_end": end,
            "previous": str(prev["period"]), "previous_start": pd.Timestamp(prev["period_start"]),
            "previous_end": start - pd.Timedelta(days=1), "partial": nxt["period"] == lab["period"]}


def _split(dates: pd.Series, pp: dict) -> tuple[np.ndarray, np.ndarray]:
    d = pd.to_datetime(dates).dt.normalize()
    late = ((d >= pp["latest_start"]) & (d <= pp["latest_end"])).to_numpy()
    prev = ((d >= pp["previous_start"]) & (d <= pp["previous_end"])).to_numpy()
    return late, prev


def _row(metric: str, pp: dict, a, b, test_metric: str, min_n: int, alpha: float,
         scale: int = 5, missing: str | None = None) -> dict:
    from insight import metrics

    fa, en, kind, unit, better = METRICS[metric]
    r = {"metric": metric, "name_fa": fa, "name_en": en, "kind": kind, "unit": unit, "better": better,
         "latest": pp["latest"], "previous": pp["previous"], "value_latest": np.nan,
         "value_previous": np.nan, "n_latest": 0, "n_previous": 0, "difference": np.nan,
         "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "test": "", "significant": False,
         "direction": "not compared", "missing": missing}
    if missing is not None:
        return r
    a = pd.Series(a, dtype="float64").dropna()
    b = pd.Series(b, dtype="float64").dropna()
    r["n_latest"], r["n_previous"] = int(a.size), int(b.size)

    def value(x):
        if not len(x):
            return np.nan
        if test_metric == "nps":
            return float(metrics.nps(x).value)
        if test_metric == "top2":
            return float((x >= scale - 1).mean())
        return float(x.mean())

    r["value_latest"], r["value_previous"] = value(a), value(b)
    if min(a.size, b.size) < max(min_n, 2):
        return r
    c = metrics.compare(a, b, test_metric, scale=scale, alpha=alpha)
    r.update(difference=float(c.difference), ci_low=float(c.ci_low), ci_high=float(c.ci_high),
             p_value=float(c.p_value), test=c.test, significant=bool(c.significant))
    if c.significant:
        up = c.difference > 0
        r["direction"] = "better" if up == (better == "higher") else "worse"
    else:
        r["direction"] = "no change"
    return r


def changes(ds, *, end=None, period: str = "month", calendar: str = "jalali", min_n: int = 30,
            alpha: float = ALPHA) -> pd.DataFrame:
    """Each headline metric in the latest period (the one containing ``end``, default the
    last order date) against the period before.

    Perception: ``nps`` (surveys.nps, z-test on the NPS difference), ``top2`` (share of
    CSAT 4-5, two-proportion z), ``ces`` (mean effort, Welch t; lower is better),
    ``negative_reviews`` (share of reviews rated 1-2).  Drivers, per order placed in the
    period: ``late_delivery`` (of delivered orders with a promise), ``complaints`` (orders
    named by a ticket; without ``order_id`` in the tickets: ordering customers with a ticket
    opened in the period) and ``returns`` (orders with a returned line).

    One row per metric: metric, name_fa, name_en, kind (perception/driver), unit (points,
    share, mean), better, latest, previous, value_latest, value_previous, n_latest,
    n_previous, difference (latest - previous), ci_low, ci_high, p_value, test, significant,
    direction (better / worse / no change / not compared) and missing (the table or
    column lacking, else None).  Periods with fewer than ``min_n`` units are not compared.
    """
    orders = order_frame(ds.orders)
    if end is None:
        end = orders["order_date"].max()
    pp = period_pair(end, period, calendar)
    rows = []
    sv = ds.surveys
    for m, col in (("nps", "nps"), ("top2", "csat"), ("ces", "ces")):
        if sv is None or col not in sv.columns or not sv[col].notna().any():
            rows.append(_row(m, pp, [], [], m, min_n, alpha, missing="surveys" if sv is None else f"surveys.{col}"))
            continue
        la, pr = _split(sv["submitted_at"], pp)
        scale = ds.ces_scale if m == "ces" else 5
        rows.append(_row(m, pp, sv.loc[la, col], sv.loc[pr, col], m, min_n, alpha, scale=scale))
    rv = ds.reviews
    if rv is None or "rating" not in rv.columns or not rv["rating"].notna().any():
        rows.append(_row("negative_reviews", pp, [], [], "share", min_n, alpha,
                         missing="reviews" if rv is None else "reviews.rating"))
    else:
        r = rv[rv["rating"].notna()]
        la, pr = _split(r["created_at"], pp)
        neg = (r["rating"] <= 2).astype("float64")
        rows.append(_row("negative_reviews", pp, neg[la], neg[pr], "share", min_n, alpha))
    la, pr = _split(orders["order_date"], pp)
    if orders["late"].notna().any():
        rows.append(_row("late_delivery", pp, orders.loc[la, "late"], orders.loc[pr, "late"], "share",
                         min_n, alpha))
    else:
        rows.append(_row("late_delivery", pp, [], [], "share", min_n, alpha,
                         missing="orders.promised_date/delivered_date"))
    cp = ds.complaints
    if cp is None:
        rows.append(_row("complaints", pp, [], [], "share", min_n, alpha, missing="complaints"))
    elif "order_id" in cp.columns and cp["order_id"].notna().any():
        flag = orders["order_id"].isin(cp["order_id"].dropna()).astype("float64")
        rows.append(_row("complaints", pp, flag[la], flag[pr], "share", min_n, alpha))
    else:
        cla, cpr = _split(cp["opened_at"], pp)
        vals = []
        for om, cm in ((la, cla), (pr, cpr)):
            cust = pd.Index(orders.loc[om, "customer_id"].unique())
            vals.append(cust.isin(cp.loc[cm, "customer_id"].dropna()).astype("float64"))
        rows.append(_row("complaints", pp, vals[0], vals[1], "share", min_n, alpha))
    rt = ds.returns
    if rt is None:
        rows.append(_row("returns", pp, [], [], "share", min_n, alpha, missing="returns"))
    else:
        flag = orders["order_id"].isin(rt["order_id"].dropna()).astype("float64")
        rows.append(_row("returns", pp, flag[la], flag[pr], "share", min_n, alpha))
    out = pd.DataFrame(rows)
    out.attrs.update(pp)
    out.attrs.update(period=period, calendar=calendar, min_n=min_n, alpha=alpha)
    return out


# ---------------------------------------------------------------- findings

def _fmt(x, unit: str, lang: str, signed: bool = False) -> str:
    from insight import show

    if x is None or not np.isfinite(x):
        return "—"
    if unit == "share":
        s = show.number(x, 1, lang=lang, percent=True)
        if signed:
            pts = show.number(abs(x) * 100, 1, lang=lang)
            sign = "+" if x > 0 else "−" if x < 0 else ""
            return f"{sign}{pts} " + ("واحد درصد" if lang == "fa" else "pp")
        return s
    s = show.number(abs(x) if signed else x, 1 if unit == "points" else 2, lang=lang)
    if signed:
        s = ("+" if x > 0 else "−" if x < 0 else "") + s
    return s


def _sentence(r, lang: str) -> str:
    from insight.narrative import p_text, period_name

    name = r["name_fa"] if lang == "fa" else r["name_en"]
    late, prev = period_name(r["latest"], lang), period_name(r["previous"], lang)
    v1, v0 = _fmt(r["value_latest"], r["unit"], lang), _fmt(r["value_previous"], r["unit"], lang)
    d = _fmt(r["difference"], r["unit"], lang, signed=True)
    p = p_text(r["p_value"], lang)
    if lang == "fa":
        verb = "بهتر شد" if r["direction"] == "better" else "بدتر شد"
        return f"{name} از {v0} در {prev} به {v1} در {late} رسید ({d}، {p}): {verb}."
    verb = "improved" if r["direction"] == "better" else "worsened"
    name = name[:1].upper() + name[1:]
    return f"{name} went from {v0} in {prev} to {v1} in {late} ({d}, {p}): it {verb}."


def explain(ch: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Findings ``(fa, en, kind)`` from :func:`changes`: each significant change, and for
    a perception change the drivers that changed significantly in the same period (their
    direction); a single 'nothing changed beyond chance' finding otherwise."""
    sig = ch[ch["significant"]]
    drivers = sig[sig["kind"] == "driver"]
    out = []
    for _, r in sig[sig["kind"] == "perception"].iterrows():
        fa, en = _sentence(r, "fa"), _sentence(r, "en")
        same = drivers[drivers["direction"] == r["direction"]]
        if len(same):
            names_fa = "، ".join(f"{d['name_fa']} ({_fmt(d['difference'], d['unit'], 'fa', True)})"
                                for _, d in same.iterrows())
            names_en = ", ".join(f"{d['name_en']} ({_fmt(d['difference'], d['unit'], 'en', True)})"
                                 for _, d in same.iterrows())
            fa += f" در همین دوره این عامل‌ها هم {'بهتر' if r['direction'] == 'better' else 'بدتر'} شدند: {names_fa}."
            en += f" In the same period these drivers also {'improved' if r['direction'] == 'better' else 'worsened'}: {names_en}."
        else:
            fa += " هیچ‌یک از عامل‌های عملیاتی (تأخیر، شکایت، مرجوعی) در همین جهت تغییر معنادار نکرد."
            en += " None of the operational drivers (late delivery, complaints, returns) moved the same way."
        out.append((fa, en, "good" if r["direction"] == "better" else "warn"))
    for _, d in drivers.iterrows():
        out.append((_sentence(d, "fa"), _sentence(d, "en"), "good" if d["direction"] == "better" else "warn"))
    if not out:
        late = ch.attrs.get("latest", "")
        from insight.narrative import period_name
        out.append((f"هیچ‌یک از شاخص‌ها در {period_name(late, 'fa')} نسبت به ماه قبل تغییری فراتر از دامنهٔ تصادف نداشت.",
                    f"No metric in {period_name(late, 'en')} differs from the period before beyond chance.",
                    "info"))
    return out


# ---------------------------------------------------------------- four attributes

def attribute_summary(sc: pd.DataFrame, *, min_n: int = 30) -> pd.DataFrame:
    """One row per attribute (trust, reliability, value, relevance) from
    ``insight.themes.scorecard``: name_fa, name_en, text_negative_share (+ CI, text_n) from
    customers' words, worst_signal / worst_share / worst_n (the signal with the highest
    negative share among those with at least ``min_n`` units), signals (how many had
    data) and trend: worse / better when a signal's latest-vs-previous change is
    significant (worse wins), else steady."""
    from insight.themes import ATTRIBUTES

    rows = []
    for a in ATTRIBUTES:
        g = sc[(sc["attribute"] == a) & (sc["n"] > 0)]
        t = g[g["source"] == "text"]
        r = {"attribute": a, "name_fa": ATTRIBUTE_NAMES[a][0], "name_en": ATTRIBUTE_NAMES[a][1],
             "text_negative_share": np.nan, "text_ci_low": np.nan, "text_ci_high": np.nan, "text_n": 0,
             "worst_signal": None, "worst_share": np.nan, "worst_n": 0, "signals": int(len(g)),
             "trend": "steady"}
        if len(t):
            tt = t.iloc[0]
            r.update(text_negative_share=float(tt["negative_share"]), text_ci_low=float(tt["ci_low"]),
                     text_ci_high=float(tt["ci_high"]), text_n=int(tt["n"]))
        big = g[g["n"] >= min_n]
        if len(big):
            w = big.loc[big["negative_share"].idxmax()]
            r.update(worst_signal=w["source"], worst_share=float(w["negative_share"]), worst_n=int(w["n"]))
        s = g[g["significant"].astype(bool)]
        if len(s):
            r["trend"] = "worse" if (s["change"] > 0).any() else "better"
        rows.append(r)
    return pd.DataFrame(rows)


def worst_attribute(summary: pd.DataFrame, *, min_n: int = 30) -> str | None:
    """The attribute customers' words are most negative about: the highest *lower*
    CI bound of the text negative share among attributes with ``text_n >= min_n``
    (a conservative ranking: a few angry texts do not win); None when none qualifies."""
    ok = summary[(summary["text_n"] >= min_n) & summary["text_ci_low"].notna()]
    if not len(ok):
        return None
    return str(ok.loc[ok["text_ci_low"].idxmax(), "attribute"])


# ---------------------------------------------------------------- segments, CLV, journey

def repurchase_rate(first_exp: pd.DataFrame, days: int = 90, alpha: float = ALPHA) -> Estimate:
    """Share of first-time customers who ordered again within ``days`` of their first
    order, among those observed for at least ``days`` (``insight.retention.first_experience``
    output: days_to_next, observed_days).  Wilson CI."""
    obs = first_exp["observed_days"].to_numpy(dtype=float) >= days
    nxt = first_exp["days_to_next"].to_numpy(dtype=float)
    k = int((obs & (nxt <= days)).sum())
    n = int(obs.sum())
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, "wilson")
    return st.proportion(k, n, alpha)


def segment_share(rfm_table: pd.DataFrame, segments, alpha: float = ALPHA) -> Estimate:
    """Share of customers in any of ``segments`` (Wilson CI)."""
    segs = [segments] if isinstance(segments, str) else list(segments)
    k = int(rfm_table["segment"].astype("str").isin(segs).sum())
    return st.proportion(k, len(rfm_table), alpha)


def clv_by_segment(clv_table: pd.DataFrame, rfm_table: pd.DataFrame) -> pd.DataFrame:
    """CLV per RFM segment: customers, clv (total), clv_share (of all CLV), clv_mean,
    p_alive_mean; all eleven segments in their canonical order (empty ones dropped)."""
    from insight.segments import SEGMENTS, SEGMENTS_FA

    seg = rfm_table["segment"].astype("str").reindex(clv_table.index)
    g = pd.DataFrame({"segment": seg, "clv": clv_table["clv"], "p_alive": clv_table["p_alive"]}).dropna(
        subset=["segment"])
    out = g.groupby("segment").agg(customers=("clv", "size"), clv=("clv", "sum"), clv_mean=("clv", "mean"),
                                   p_alive_mean=("p_alive", "mean"))
    out = out.reindex([s for s in SEGMENTS if s in out.index])
    tot = out["clv"].sum()
    out["clv_share"] = out["clv"] / tot if tot else np.nan
    out.insert(0, "segment_fa", [SEGMENTS_FA[s] for s in out.index])
    out.index.name = "segment"
    return out[["segment_fa", "customers", "clv", "clv_share", "clv_mean", "p_alive_mean"]]


def value_at_risk(clv_table: pd.DataFrame, rfm_table: pd.DataFrame, segments=AT_RISK_SEGMENTS) -> dict:
    """Value at risk over the CLV horizon: the expected value (``clv``) of customers in
    the slipping ``segments`` — what is lost if they lapse.  Returns value, share (of all
    expected value), customers, customer_share and the segments counted."""
    seg = rfm_table["segment"].astype("str").reindex(clv_table.index)
    m = seg.isin(list(segments)).to_numpy()
    v = clv_table["clv"].to_numpy(dtype=float)
    tot = float(np.nansum(v))
    val = float(np.nansum(v[m]))
    return {"value": val, "share": val / tot if tot else np.nan, "customers": int(m.sum()),
            "customer_share": float(m.mean()) if len(m) else np.nan, "segments": tuple(segments)}


# ---------------------------------------------------------------- claims

#: claim name -> (fa, en) statement in plain words
CLAIM_NAMES = {
    "contact_after_negative_reduces_churn": (
        "تماس با مشتری پس از تجربهٔ بد، حدود ۱۱٪ از ریزش را جلوگیری می‌کند",
        "Contacting customers after a bad experience prevents about 11% of churn"),
    "resolved_complainers_buy_again": (
        "حدود ۷۰٪ مشتریانی که شکایتشان حل شده دوباره می‌خرند",
        "About 70% of customers whose complaint was resolved buy again"),
    "unresolved_negative_equals_12_positive": (
        "یک تجربهٔ منفیِ حل‌نشده به اندازهٔ حدود ۱۲ تجربهٔ مثبت وزن دارد",
        "One unresolved bad experience weighs as much as about 12 good ones"),
    "silent_unhappy_per_complaint": (
        "به ازای هر شکایت، حدود ۲۶ مشتری ناراضی سکوت می‌کنند",
        "For every complaint, about 26 unhappy customers stay silent"),
    "retention_5pct_profit_25_95pct": (
        "۵٪ نگهداشت بیشتر، ۲۵ تا ۹۵٪ سود بیشتر می‌آورد",
        "5% more retention brings 25-95% more profit"),
    "delivery_within_2_days_rating": (
        "تحویل تا دو روز مهم است (امتیاز نظرها)",
        "Delivery within two days matters (review ratings)"),
    "delivery_within_2_days_repurchase": (
        "تحویل تا دو روز مهم است (خرید دوباره)",
        "Delivery within two days matters (repurchase)"),
    "sentiment_40_15_45": (
        "نمونهٔ رایج احساسات: ۴۰٪ مثبت، ۱۵٪ منفی، ۴۵٪ خنثی",
        "The usual sentiment profile: 40% positive, 15% negative, 45% neutral"),
}

#: claim name -> (fa, en) what the estimate measures, and whether it is a share
_MEASURES = {
    "contact_after_negative_reduces_churn": ("سهم ریزشی که با پاسخ به شکایت کمتر دیده شد",
                                             "share of churn avoided where the complaint was resolved", True),
    "resolved_complainers_buy_again": ("سهم شاکیانِ حل‌شده که تا یک سال دوباره خریدند",
                                       "share of resolved complainers who ordered again within a year", True),
    "unresolved_negative_equals_12_positive": ("تعداد تجربهٔ مثبت هم‌وزن یک شکایت حل‌نشده",
                                               "good experiences that offset one unresolved complaint", False),
    "silent_unhappy_per_complaint": ("ناراضیِ ساکت به ازای هر شاکی", "silent unhappy customers per complainer",
                                     False),
    "retention_5pct_profit_25_95pct": ("افزایش ارزش مورد انتظار با ۵٪ نگهداشت بیشتر",
                                       "rise in expected value with 5% more retention", True),
    "delivery_within_2_days_rating": ("تفاوت میانگین امتیاز (ستاره)", "difference in mean rating (stars)", False),
    "delivery_within_2_days_repurchase": ("تفاوت سهم خرید دوباره در ۹۰ روز",
                                          "difference in the 90-day repurchase share", True),
    "sentiment_40_15_45": ("سهم متن‌های مثبت", "share of positive texts", True),
}

_VERDICTS = {"supported": ("تأیید شد", "supported"), "contradicted": ("رد شد", "contradicted"),
             "cannot_test": ("قابل آزمون نیست", "cannot be tested")}


def claim_text(row, lang: str = "fa") -> str:
    """One plain line for a row of ``insight.claims.check_all``: what was measured, the
    estimate with its 95% CI and n, and the verdict (or the missing table/column)."""
    from insight import show

    name = row["name"]
    fa_en = _MEASURES.get(name, (name, name, False))
    what = fa_en[0] if lang == "fa" else fa_en[1]
    pct = fa_en[2]
    v_fa, v_en = _VERDICTS.get(row["verdict"], (row["verdict"], row["verdict"]))
    verdict = v_fa if lang == "fa" else v_en
    est = row["estimate"]
    if row["verdict"] == "cannot_test" or est is None or not np.isfinite(est):
        miss = row.get("missing")
        if isinstance(miss, str) and miss:
            return (f"{verdict}: داده لازم نیست ({miss})." if lang == "fa"
                    else f"{verdict}: the data lack {miss}.")
        return (f"{verdict}: داده برای داوری کافی نیست." if lang == "fa"
                else f"{verdict}: too little data to judge.")
    dec = 1 if pct else 2
    num = lambda x: show.number(x, dec, lang=lang, percent=pct)  # noqa: E731
    n = show.number(int(row["n"]), lang=lang)
    if lang == "fa":
        return (f"{what}: {num(est)} (بازهٔ اطمینان ۹۵٪: {num(row['ci_low'])} تا {num(row['ci_high'])}، "
                f"n = {n}) — {verdict}.")
    return f"{what}: {num(est)} (95% CI {num(row['ci_low'])} to {num(row['ci_high'])}, n = {n}) — {verdict}."


def claim_counts(table: pd.DataFrame) -> dict:
    """Number of claims per verdict (supported, contradicted, cannot_test; zeros kept)."""
    vc = table["verdict"].value_counts()
    return {v: int(vc.get(v, 0)) for v in ("supported", "contradicted", "cannot_test")}
