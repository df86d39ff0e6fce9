"""The follow-up list: customers who had a bad experience recently and have not
heard from us since, ranked by what is at stake.

Contacting a customer after a bad experience is the cheapest retention lever our
users know (about one churn in ten prevented).  :func:`followup_list` finds them;
:func:`export` writes the list for the support team (CSV with a UTF-8 BOM so
Excel shows Persian, and XLSX).

Signals (codes, with Persian labels in :data:`REASONS`):

* ``negative_review`` — review rating ≤ 2 (or ``sentiment`` negative when the
  reviews carry a ``sentiment`` column)
* ``negative_survey`` — NPS ≤ 6 or CSAT ≤ 2 (or a negative ``sentiment``)
* ``unresolved_complaint`` — a ticket with no resolution by ``as_of``
* ``late_delivery`` — delivered on a later calendar day than promised
* ``return`` — a returned item

Contact: a complaint resolved after the bad event counts as contact; a
customer stays on the list when their latest bad event in the window came after
their latest contact.  Value at risk: the ``value`` Series (e.g. CLV, indexed by
customer_id) or else the customer's spend in the last 365 days (dataset currency).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from insight import _events as _ev
from insight._events import order_level

__all__ = ["followup_list", "export", "REASONS", "mask"]

#: reason code -> Persian label shown in the list
REASONS = {
    "negative_review": "نظر منفی",
    "negative_survey": "نظرسنجی منفی",
    "unresolved_complaint": "شکایت حل‌نشده",
    "late_delivery": "تأخیر در تحویل",
    "return": "مرجوعی",
}
EXCERPT_CHARS = 140

_D = r"[0-9۰-۹٠-٩]"
_FALLBACK_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[ایمیل]"),
    (re.compile(rf"(?<!{_D})(?:{_D}{{4}}[ -]?){{3}}{_D}{{4}}(?!{_D})"), "[شماره کارت]"),
    (re.compile(rf"(?<!{_D})(?:\+|00)?{_D}(?:[ -]?{_D}){{6,13}}(?!{_D})"), "[تلفن]"),
]


def _fallback_mask(s: pd.Series) -> pd.Series:
    out = s.astype("str")
    for pat, repl in _FALLBACK_PATTERNS:
        out = out.str.replace(pat, repl, regex=True)
    return out


def mask(texts: pd.Series) -> pd.Series:
    """Mask phone numbers, e-mails and card numbers with ``insight.text.mask_pii``
    (a colleague's module); a regex fallback is used while it is absent."""
    s = pd.Series(texts, dtype="str")
    try:
        from insight.text import mask_pii
    except ImportError:
        return _fallback_mask(s)
    try:
        out = mask_pii(s)
        if isinstance(out, pd.Series) and len(out) == len(s):
            return out.set_axis(s.index).astype("str")
    except (TypeError, AttributeError):
        pass
    return s.map(lambda t: mask_pii(t) if isinstance(t, str) else t)  # one call per listed customer


def _tables(ds) -> dict:
    names = ("orders", "customers", "products", "returns", "complaints", "reviews", "surveys")
    if isinstance(ds, dict):
        return {n: ds.get(n) for n in names}
    return {n: getattr(ds, n, None) for n in names}


def _negative_sentiment(df: pd.DataFrame) -> pd.Series:
    if "sentiment" not in df.columns:
        return pd.Series(False, index=df.index)
    s = df["sentiment"]
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.lt(0).fillna(False)
    return s.astype("str").str.strip().str.lower().isin(["negative", "neg", "منفی", "sad"])


def _in_window(dates: pd.Series, start, as_of) -> pd.Series:
    return (dates > start) & (dates <= as_of)


def _orders_delivered_after(orders: pd.DataFrame, start) -> pd.DataFrame:
    """The lines of the orders with a line delivered after ``start`` (all their lines, so
    order-level values are those of the whole order; the line order is kept).  The order
    ids are coded once per frame (``insight._events.codes``), so this is integer work."""
    g, _ = _ev.codes(orders, "order_id")
    hit = (_ev.ns_int(orders["delivered_date"]) > pd.Timestamp(start).as_unit("ns").value) & (g >= 0)
    recent = np.zeros(int(g.max()) + 2 if len(g) else 1, bool)   # index -1 (no id) stays False
    recent[g[hit]] = True
    cols = [c for c in ("order_id", "customer_id", "order_date", "promised_date", "delivered_date",
                        "status") if c in orders.columns]
    rows = np.flatnonzero(recent[g])
    return pd.DataFrame({c: orders[c].iloc[rows] for c in cols})   # only the columns used


def _take(s: pd.Series, rows: np.ndarray) -> pd.Series:
    """``s.iloc[rows]`` for increasing ``rows``.  A str column of several Arrow chunks is
    taken chunk by chunk: Arrow's take on a chunked string array first concatenates the
    chunks (a copy of the whole column, ~25 MB for the review texts, page faults and
    all) to pick a few thousand rows."""
    arr = s.array
    ca = getattr(arr, "_pa_array", None)
    if (not isinstance(arr, pd.arrays.ArrowStringArray) or not isinstance(ca, pa.ChunkedArray)
            or ca.num_chunks < 2 or (len(rows) > 1 and (np.diff(rows) <= 0).any())):
        return s.iloc[rows]
    bounds = np.cumsum([0] + [len(c) for c in ca.chunks])
    cut = np.searchsorted(rows, bounds)          # rows of chunk i: rows[cut[i]:cut[i + 1]]
    parts = [c.take(pa.array(rows[cut[i]:cut[i + 1]] - bounds[i]))
             for i, c in enumerate(ca.chunks) if cut[i + 1] > cut[i]]
    out = pa.chunked_array(parts, type=ca.type)
    return pd.Series(type(arr)(out, dtype=s.dtype), index=s.index[rows], name=s.name, copy=False)


def _naive(*xs) -> bool:
    """Every date column / Timestamp is tz-naive datetime64 (the int64 ns paths apply)."""
    return all(getattr(getattr(x, "dtype", x), "tz", None) is None
               and (isinstance(x, pd.Timestamp) or getattr(x.dtype, "kind", "") == "M") for x in xs)


def _late_orders(orders: pd.DataFrame, start, as_of) -> pd.DataFrame:
    """The late orders (delivered on a later calendar day than promised) delivered in
    (``start``, ``as_of``], as :func:`order_level` rows of the orders delivered after
    ``start`` give them (customer of the first line with one, latest line's dates):
    ``customer_id`` (NaN when no line has one) and ``delivered_date``.  From the cached
    per-order numbers (``insight._events.order_numbers``): no frame of the recent lines."""
    num = _ev.order_numbers(orders)
    _, cu = _ev.codes(orders, "customer_id")
    dl, pr = num["delivered_date"], num["promised_date"]
    lo, hi = pd.Timestamp(start).as_unit("ns").value, pd.Timestamp(as_of).as_unit("ns").value
    day = _ev.DAY.value
    # NaT (int64 min) is never after ``start``; floor division by a day = normalize
    late = np.flatnonzero((dl > lo) & (dl <= hi))      # delivered in the window: a few thousand
    late = late[(pr[late] != _ev._NAT) & (dl[late] // day > pr[late] // day)]
    return pd.DataFrame({"customer_id": pd.Series(cu.array.take(_ev.order_customers(orders)[late],
                                                                allow_fill=True)),
                         "delivered_date": pd.Series(dl[late].view("datetime64[ns]"))})


def _signals(t: dict, as_of: pd.Timestamp, start=None) -> pd.DataFrame:
    """All bad events: customer_id, event_date, reason, text.  With ``start``, only the
    events with ``start < event_date <= as_of`` (the rest are never built)."""
    orders = t["orders"]
    o2c_cache = []

    def o2c():   # order -> customer of its first line, built only when an id is missing
        if not o2c_cache:
            o2c_cache.append(orders[["order_id", "customer_id"]].drop_duplicates("order_id")
                             .set_index("order_id")["customer_id"] if orders is not None
                             else pd.Series(dtype="str"))
        return o2c_cache[0]

    def cust(df):
        c = df["customer_id"] if "customer_id" in df.columns else pd.Series(np.nan, index=df.index)
        if "order_id" in df.columns:
            miss = c.isna().to_numpy()
            if miss.any():
                c = c.where(~miss, df["order_id"].where(miss).map(o2c()))
        return c

    parts = []

    def add(df, mask_, date, reason, text=None):
        if df is None:
            return
        if start is not None:
            mask_ = mask_ & _in_window(df[date], start, as_of)
        if not mask_.any():
            return
        rows = np.flatnonzero(np.asarray(mask_, dtype=bool))
        # only the columns used, of the flagged rows (order_id only to fill missing customers)
        d = pd.DataFrame({c: _take(df[c], rows) for c in dict.fromkeys(("customer_id", date))
                          if c in df.columns}, index=df.index[rows])
        if "order_id" in df.columns and ("customer_id" not in d.columns or d["customer_id"].isna().any()):
            d["order_id"] = _take(df["order_id"], rows)
        cd = cust(d)
        tx = _take(df[text], rows) if text and text in df.columns else None
        parts.append(pd.DataFrame({
            "customer_id": cd.astype("str").where(cd.notna()),
            "event_date": d[date].astype("datetime64[ns]"), "reason": reason,
            "text": tx.astype("str").where(tx.notna()) if tx is not None
            else pd.Series(np.nan, index=d.index, dtype="str")}))

    rv = t["reviews"]
    if rv is not None and len(rv):
        bad = _negative_sentiment(rv)
        if "rating" in rv.columns:
            bad |= rv["rating"].le(2).fillna(False)
        add(rv, bad, "created_at", "negative_review", "text")
    sv = t["surveys"]
    if sv is not None and len(sv):
        bad = _negative_sentiment(sv)
        if "nps" in sv.columns:
            bad |= sv["nps"].le(6).fillna(False)
        if "csat" in sv.columns:
            bad |= sv["csat"].le(2).fillna(False)
        add(sv, bad, "submitted_at", "negative_survey", "comment")
    cp = t["complaints"]
    if cp is not None and len(cp):
        open_ = cp["resolved_at"].isna() | (cp["resolved_at"] > as_of) if "resolved_at" in cp else \
            pd.Series(True, index=cp.index)
        add(cp, open_, "opened_at", "unresolved_complaint", "text")
    if orders is not None and {"promised_date", "delivered_date"} <= set(orders.columns):
        if start is not None and _naive(orders["delivered_date"], orders["promised_date"],
                                        pd.Timestamp(start), pd.Timestamp(as_of)):
            o = _late_orders(orders, start, as_of)
            add(o, pd.Series(True, index=o.index), "delivered_date", "late_delivery")
        else:
            o = order_level(orders if start is None else _orders_delivered_after(orders, start))
            late = (o["delivered_date"].dt.normalize() > o["promised_date"].dt.normalize())
            add(o, late, "delivered_date", "late_delivery")
    rt = t["returns"]
    if rt is not None and len(rt):
        add(rt, pd.Series(True, index=rt.index), "return_date", "return", "reason_text")
    if not parts:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"),
                             "event_date": pd.Series(dtype="datetime64[ns]"),
                             "reason": pd.Series(dtype="str"), "text": pd.Series(dtype="str")})
    return pd.concat(parts, ignore_index=True).dropna(subset=["customer_id", "event_date"])


def _reason_codes(cust: pd.Series, reason: pd.Series, customers: pd.Index) -> pd.Series:
    """Per customer of ``customers`` the sorted distinct reason codes, comma-joined (as
    ``",".join(sorted(set(...)))`` per group): a bit per reason, OR-ed per customer, and one
    string per distinct combination."""
    return _reason_codes_of(pd.Index(customers).get_indexer(cust.to_numpy()), reason, customers)


def _reason_codes_of(g: np.ndarray, reason: pd.Series, customers: pd.Index) -> pd.Series:
    """:func:`_reason_codes` with each row's position ``g`` in ``customers`` given."""
    codes = sorted(pd.unique(reason.to_numpy()))
    bit = 1 << pd.Index(codes).get_indexer(reason.to_numpy()).astype(np.int64)
    mask_ = np.zeros(len(customers), dtype=np.int64)
    np.bitwise_or.at(mask_, g, bit)
    combos = {m: ",".join(c for i, c in enumerate(codes) if m >> i & 1) for m in np.unique(mask_).tolist()}
    return pd.Series([combos[m] for m in mask_.tolist()], index=customers, dtype="str")


def _reason_labels(codes: str) -> str:
    """"code1,code2" -> "label1 (code1)؛ label2 (code2)" (Persian labels of REASONS)."""
    return "؛ ".join(f"{REASONS[c]} ({c})" for c in codes.split(","))


def _mask_distinct(texts: pd.Series) -> pd.Series:
    """:func:`mask` of the non-missing texts (NaN stays NaN), each distinct text masked
    once: masking is per text, and listed excerpts repeat (template answers)."""
    ok = texts.notna().to_numpy()
    codes, uniq = pd.factorize(texts[ok])
    out = pd.Series(np.nan, index=texts.index, dtype="str")
    if len(uniq):
        m = mask(pd.Series(uniq, dtype="str")).to_numpy()
        out[ok] = m[codes]
    return out


def _spend(orders: pd.DataFrame, customers: pd.Index, as_of: pd.Timestamp) -> pd.Series:
    """Spend (quantity x unit_price, summed per customer as a pandas groupby sum) over the
    365 days up to ``as_of``, cancelled lines excluded, for ``customers`` (0.0 when none).
    Only the lines of those customers are summed; ids are matched on the cached codes of
    the orders' customer_id and status (``insight._events.codes``), not on strings."""
    cc, cu = _ev.codes(orders, "customer_id")
    od = _ev.ns_int(orders["order_date"])
    hi = as_of.as_unit("ns").value
    lo = (as_of - pd.Timedelta(days=365)).as_unit("ns").value
    # position in ``customers`` of each coded id; the appended -1 is for lines without an
    # id.  Distinct customers: the few listed ids are looked up among the coded ones (whose
    # matcher the other analyses of the orders already built) and the positions inverted,
    # instead of matching all ~200k coded ids against the listed ones
    listed = pd.Index(customers, dtype="str")
    if listed.is_unique:
        at = _ev.lookup(pd.Series(listed, dtype="str"), cu)
        where = np.full(len(cu) + 1, -1, dtype=np.int64)
        where[at[at >= 0]] = np.flatnonzero(at >= 0)
    else:
        where = np.r_[_ev.lookup(pd.Series(cu, dtype="str"), listed), -1]
    # the listed customers' lines first (one boolean gather over all lines), then the
    # date and status tests on those few lines only (same rows, same order)
    rows = np.flatnonzero((where >= 0)[cc])
    d = od[rows]
    m = (d > lo) & (d <= hi)
    if "status" in orders.columns:
        sc, su = _ev.codes(orders, "status")
        canc = np.r_[np.asarray(pd.Index(su).astype("str").str.lower() == "cancelled"), False]
        m &= ~canc[sc[rows]]
    rows = rows[m]
    q = orders["quantity"].to_numpy(dtype=float)[rows]
    p = orders["unit_price"].to_numpy(dtype=float)[rows]
    spend = pd.Series(q * p).groupby(where[cc[rows]]).sum()
    return pd.Series(spend.reindex(np.arange(len(customers))).fillna(0.0).to_numpy(), index=customers)


def _max_date(s: pd.Series):
    """``s.max()``; a naive datetime64[ns] column as its int64 view (NaT is int64 min, so
    the plain maximum skips it): no NaT mask and masked copy of 1M dates."""
    if s.dtype != "datetime64[ns]" or not len(s):
        return s.max()
    m = s.to_numpy().view(np.int64).max()
    return pd.NaT if m == _ev._NAT else pd.Timestamp(np.datetime64(int(m), "ns"))


def _latest_date(t: dict) -> pd.Timestamp:
    cols = {"orders": ["order_date", "delivered_date"], "returns": ["return_date"],
            "complaints": ["opened_at", "resolved_at"], "reviews": ["created_at"],
            "surveys": ["submitted_at"]}
    found = [_max_date(t[n][c]) for n, cs in cols.items() if t[n] is not None for c in cs
             if c in t[n].columns]
    found = [d for d in found if pd.notna(d)]
    if not found:
        raise ValueError("no dates in the tables: give as_of=")
    return max(found)


def followup_list(ds_or_tables, *, as_of=None, days: int = 14, value: pd.Series | None = None,
                  excerpt_chars: int = EXCERPT_CHARS) -> pd.DataFrame:
    """Customers with a bad experience in the last ``days`` days (up to ``as_of``,
    default the latest date in the data) and no contact since, highest value first.

    ``ds_or_tables``: an ``insight.contract.Dataset`` or a dict of canonical tables.
    ``value``: a Series indexed by customer_id (e.g. CLV); default: spend (quantity ×
    unit_price) over the 365 days up to ``as_of``, cancelled orders excluded.

    Columns: ``rank, customer_id, value, value_source, signals`` (number of bad events in
    the window), ``reasons`` (Persian label with the code in brackets, "؛ "-joined),
    ``reason_codes`` (comma-joined), ``first_event``, ``last_event``, ``days_since``
    (days from the last event to ``as_of``), ``last_contact`` and ``excerpt`` (the latest
    text among the signals, PII-masked, at most ``excerpt_chars`` characters).
    """
    t = _tables(ds_or_tables)
    as_of = pd.Timestamp(as_of) if as_of is not None else _latest_date(t)
    start = as_of - pd.Timedelta(days=days)
    # only the events in the window are built: a few thousand rows instead of ~1M
    ev = _signals(t, as_of, start)
    ev = ev[(ev["event_date"] > start) & (ev["event_date"] <= as_of)]
    # contact: a complaint resolved after the event (and by as_of), for the customers with events
    cp = t["complaints"]
    if cp is not None and "resolved_at" in cp.columns and len(cp):
        listed = pd.Index(ev["customer_id"].unique(), dtype="str")
        rows = np.flatnonzero((cp["resolved_at"].notna() & (cp["resolved_at"] <= as_of)).to_numpy()
                              & (_ev.lookup(cp["customer_id"], listed) >= 0))
        # the two columns used, not every column of the tickets (their texts)
        r = pd.DataFrame({"customer_id": _take(cp["customer_id"], rows),
                          "resolved_at": cp["resolved_at"].iloc[rows]})
        last_contact = r.groupby("customer_id")["resolved_at"].max().astype("datetime64[ns]")
    else:
        last_contact = pd.Series(dtype="datetime64[ns]")
    # per customer on integer codes (a few thousand events): customers sorted by id and
    # events by (customer, date), stable -- the rows sort_values + groupby(sort=False) gave
    g, ids = pd.factorize(ev["customer_id"], sort=True)
    et = ev["event_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    srt = np.lexsort((et, g))
    ev, g, et = ev.iloc[srt], g[srt], et[srt]
    start_ = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, np.int64)
    end_ = np.r_[start_[1:], len(g)][:len(start_)] - 1
    ids = pd.Index(ids, dtype="str", name="customer_id")
    per = pd.DataFrame({"signals": np.diff(np.r_[start_, len(g)]).astype(np.int64),
                        "first_event": et[start_].view("datetime64[ns]"),
                        "last_event": et[end_].view("datetime64[ns]"),
                        "last_contact": last_contact.reindex(ids).to_numpy(dtype="datetime64[ns]")},
                       index=ids)
    per["reason_codes"] = _reason_codes_of(g, ev["reason"], per.index)
    per = per[per["last_contact"].isna() | (per["last_contact"] < per["last_event"])]
    # latest non-empty text per customer
    txt = ev[ev["text"].notna() & ev["text"].str.strip().ne("")]
    latest = txt.drop_duplicates("customer_id", keep="last").set_index("customer_id")["text"]
    per["excerpt"] = latest.reindex(per.index)
    # value at risk
    if value is not None:
        v = pd.Series(value, dtype="float64")
        v.index = v.index.astype("str")
        per["value"] = v.reindex(per.index)
        per["value_source"] = "given"
    else:
        per["value"] = _spend(t["orders"], per.index, as_of)
        per["value_source"] = "spend_365d"
    per = per.reset_index()
    if len(per):   # labels per distinct combination of reasons (a few), not per customer
        codes, combos = pd.factorize(per["reason_codes"])
        labels = np.array([_reason_labels(c) for c in combos], dtype=object)
        per["reasons"] = pd.Series(labels[codes], index=per.index, dtype="str")
    else:          # an empty object column, as the per-customer map always gave
        per["reasons"] = pd.Series(index=per.index, dtype=object)
    ex = per["excerpt"]
    masked = _mask_distinct(ex)
    long = masked.str.len() > excerpt_chars
    per["excerpt"] = masked.where(~long, masked.str.slice(0, excerpt_chars - 1) + "…")
    per["days_since"] = (as_of - per["last_event"]) / pd.Timedelta(days=1)
    per = per.sort_values(["value", "signals", "last_event"], ascending=[False, False, False],
                          kind="stable", na_position="last").reset_index(drop=True)
    per.insert(0, "rank", np.arange(1, len(per) + 1))
    per.attrs.update(as_of=as_of, days=days)
    return per[["rank", "customer_id", "value", "value_source", "signals", "reasons", "reason_codes",
                "first_event", "last_event", "days_since", "last_contact", "excerpt"]]


_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _safe_for_excel(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with = + - @ would run as formulas in Excel: prefix a quote."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_string_dtype(out[c].dtype) or out[c].dtype == object:
            s = out[c]
            hit = s.astype("str").str.match(_FORMULA) & s.notna()
            out[c] = s.where(~hit, "'" + s.astype("str"))
    return out


def export(df: pd.DataFrame, path, *, formats=None) -> list[Path]:
    """Write the list for the support team.  ``path`` ending in ``.csv`` -> CSV in UTF-8
    with a BOM (Excel then shows Persian); ``.xlsx`` -> Excel (openpyxl); any other
    suffix (or none) -> both ``<path>.csv`` and ``<path>.xlsx``.  Returns the paths."""
    path = Path(path)
    if formats is None:
        formats = [path.suffix.lower().lstrip(".")] if path.suffix.lower() in (".csv", ".xlsx") \
            else ["csv", "xlsx"]
    safe = _safe_for_excel(df)
    written = []
    for fmt in formats:
        p = path if path.suffix.lower() == f".{fmt}" else path.with_suffix(f".{fmt}")
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            safe.to_csv(p, index=False, encoding="utf-8-sig")
        elif fmt == "xlsx":
            xl = safe.copy()
            for c in xl.columns:  # Excel has no timezone-naive ns issue, but keep dates as dates
                if pd.api.types.is_datetime64_any_dtype(xl[c].dtype):
                    xl[c] = xl[c].dt.tz_localize(None)
            xl.to_excel(p, index=False, engine="openpyxl")
        else:
            raise ValueError(f"format must be csv or xlsx, got {fmt!r}")
        written.append(p)
    return written
