"""RFM segmentation: scores, named segments, segment profiles and migration.

Scores
------
Each customer gets R, F and M scores 1-5 from the empirical distribution of
the customer base (quantile scoring with ties kept together)::

    score = 1 + floor(5 * (number of customers strictly worse) / n)

"Worse" means a longer recency, fewer orders or less money.  Equal values get
equal scores (so 60 % one-order customers all get F = 1 instead of being
spread over arbitrary bins), every score is in 1..5 for any n >= 1, and with
all-distinct values the scores are the usual quintiles.

Named segments (R/F grid)
-------------------------
The standard R x F grid (rows R, columns F)::

            F=1           F=2            F=3            F=4        F=5
    R=5     new           potential l.   potential l.   champions  champions
    R=4     promising     potential l.   potential l.   loyal      loyal
    R=3     about to sl.  about to sl.   need attention loyal      loyal
    R=2     hibernating   hibernating    at risk        at risk    cannot lose
    R=1     lost          lost           at risk        at risk    cannot lose

This is the widely used ten-segment R/F map with its "hibernating" cell split:
customers in the lowest recency quintile with few orders are "lost".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from insight import stats as _stats

SEGMENTS: tuple[str, ...] = (
    "champions", "loyal", "potential loyalist", "new", "promising", "need attention",
    "about to sleep", "at risk", "cannot lose", "hibernating", "lost",
)

SEGMENTS_FA: dict[str, str] = {
    "champions": "قهرمانان",
    "loyal": "وفادار",
    "potential loyalist": "وفادار بالقوه",
    "new": "مشتری جدید",
    "promising": "امیدوارکننده",
    "need attention": "نیازمند توجه",
    "about to sleep": "در آستانه خواب",
    "at risk": "در معرض ریزش",
    "cannot lose": "نباید از دست داد",
    "hibernating": "در خواب",
    "lost": "از دست رفته",
}

#: GRID[r-1, f-1] -> index into SEGMENTS
_GRID_NAMES = [
    # F=1            F=2                   F=3                   F=4          F=5
    ["lost",         "lost",               "at risk",            "at risk",   "cannot lose"],  # R=1
    ["hibernating",  "hibernating",        "at risk",            "at risk",   "cannot lose"],  # R=2
    ["about to sleep", "about to sleep",   "need attention",     "loyal",     "loyal"],        # R=3
    ["promising",    "potential loyalist", "potential loyalist", "loyal",     "loyal"],        # R=4
    ["new",          "potential loyalist", "potential loyalist", "champions", "champions"],    # R=5
]
GRID = np.array([[SEGMENTS.index(s) for s in row] for row in _GRID_NAMES], dtype=np.int8)


def segment_of(r, f) -> np.ndarray:
    """Segment names for R and F scores (arrays of 1..5)."""
    r = np.asarray(r, dtype=np.int64)
    f = np.asarray(f, dtype=np.int64)
    return np.asarray(SEGMENTS, dtype=object)[GRID[r - 1, f - 1]]


# --------------------------------------------------------------------------- helpers
def _wilson(k, n, conf: float = 0.95):
    """(rate, Wilson low, Wilson high), vectorized; NaN when n == 0 (``insight.stats.wilson_ci``)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
    lo, hi = _stats.wilson_ci(k, n, alpha=1 - conf)
    return p, lo, hi


def _nps_ci(promoters, detractors, n, conf: float = 0.95):
    """NPS (points, -100..100) with a normal-approximation CI from the trinomial variance."""
    pro = np.asarray(promoters, dtype=float)
    det = np.asarray(detractors, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _st.norm.ppf(0.5 + conf / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pp, pd_ = pro / n, det / n
        nps = pp - pd_
        se = np.sqrt(np.maximum(pp + pd_ - nps ** 2, 0) / n)
    return 100 * nps, 100 * np.clip(nps - z * se, -1, 1), 100 * np.clip(nps + z * se, -1, 1)


def _check_cols(df: pd.DataFrame, cols, table: str) -> None:
    miss = [c for c in cols if c not in df.columns]
    if miss:
        raise ValueError(f"{table} needs column(s) {miss}; has {list(df.columns)}")


def _valid_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Order lines that count as purchases (cancelled lines are dropped when status is known)."""
    if "status" in orders.columns:
        st = orders["status"]
        keep = ~(st.astype("str").str.lower().eq("cancelled")).to_numpy()
        if not keep.all():
            return orders.loc[keep]
    return orders


def quantile_score(values, higher_is_better: bool = True) -> np.ndarray:
    """1..5 scores: ``1 + floor(5 * (#strictly worse) / n)`` (ties share a score)."""
    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    key = v if higher_is_better else -v
    srt = np.sort(key)
    worse = np.searchsorted(srt, key, side="left")  # number strictly below
    return (1 + (5 * worse) // n).astype(np.int8)


# --------------------------------------------------------------------------- RFM
def rfm(orders: pd.DataFrame, as_of=None, *, customer_col: str = "customer_id") -> pd.DataFrame:
    """Per-customer recency, frequency, monetary value, R/F/M scores and segment.

    ``as_of`` defaults to the last order date in ``orders``; orders after it are
    ignored.  recency_days = whole days from the last order to ``as_of``;
    frequency = distinct orders; monetary = sum(quantity * unit_price).
    Cancelled lines (``status == "cancelled"``) are not purchases.

    Returns one row per customer (index ``customer_id``) with columns
    recency_days, frequency, monetary, first_order, last_order, R, F, M,
    rfm_score ("545"), segment, segment_fa.
    """
    _check_cols(orders, [customer_col, "order_id", "order_date", "quantity", "unit_price"], "orders")
    o = _valid_orders(orders)
    dates = o["order_date"].to_numpy(dtype="datetime64[ns]")
    if as_of is None:
        as_of_ts = pd.Timestamp(dates.max()) if len(dates) else pd.Timestamp("now")
    else:
        as_of_ts = pd.Timestamp(as_of)
        keep = dates <= np.datetime64(as_of_ts, "ns")
        if not keep.all():
            o = o.loc[keep]
            dates = dates[keep]
    if len(o) == 0:
        cols = ["recency_days", "frequency", "monetary", "first_order", "last_order",
                "R", "F", "M", "rfm_score", "segment", "segment_fa"]
        return pd.DataFrame(columns=cols, index=pd.Index([], name="customer_id", dtype="str"))

    ccode, cust = pd.factorize(o[customer_col], sort=True)
    ocode, _ = pd.factorize(o["order_id"])
    nc = len(cust)
    value = (o["quantity"].to_numpy(dtype=float) * o["unit_price"].to_numpy(dtype=float))
    value = np.nan_to_num(value)
    monetary = np.bincount(ccode, weights=value, minlength=nc)
    # distinct (customer, order) pairs
    pair = ccode.astype(np.int64) * (int(ocode.max()) + 1) + ocode
    upair = pd.unique(pair)
    frequency = np.bincount(upair // (int(ocode.max()) + 1), minlength=nc)

    di = dates.astype("datetime64[s]").astype(np.int64)
    last = np.full(nc, np.iinfo(np.int64).min)
    np.maximum.at(last, ccode, di)
    first = np.full(nc, np.iinfo(np.int64).max)
    np.minimum.at(first, ccode, di)
    as_s = np.datetime64(as_of_ts, "s").astype(np.int64)
    recency = (as_s - last) // 86400

    R = quantile_score(recency, higher_is_better=False)
    F = quantile_score(frequency)
    M = quantile_score(monetary)
    seg = segment_of(R, F)
    out = pd.DataFrame({
        "recency_days": recency.astype(np.int64),
        "frequency": frequency.astype(np.int64),
        "monetary": monetary,
        "first_order": first.astype("datetime64[s]").astype("datetime64[ns]"),
        "last_order": last.astype("datetime64[s]").astype("datetime64[ns]"),
        "R": R, "F": F, "M": M,
    }, index=pd.Index(np.asarray(cust, dtype=object), name="customer_id").astype("str"))
    out["rfm_score"] = (R.astype(np.int64) * 100 + F * 10 + M).astype(str)
    out["segment"] = pd.Categorical(seg, categories=list(SEGMENTS))
    out["segment_fa"] = pd.Categorical(pd.Series(seg).map(SEGMENTS_FA).to_numpy(),
                                       categories=[SEGMENTS_FA[s] for s in SEGMENTS])
    out.attrs["as_of"] = as_of_ts
    return out


def segment_counts(rfm_table: pd.DataFrame) -> pd.DataFrame:
    """Customers per segment (all eleven, zero included) with share and Wilson CI."""
    n = rfm_table["segment"].value_counts().reindex(list(SEGMENTS), fill_value=0)
    total = int(n.sum())
    p, lo, hi = _wilson(n.to_numpy(), np.full(len(n), total))
    return pd.DataFrame({"segment_fa": [SEGMENTS_FA[s] for s in SEGMENTS], "customers": n.to_numpy(),
                         "share": p, "ci_low": lo, "ci_high": hi, "n": total},
                        index=pd.Index(list(SEGMENTS), name="segment"))


# --------------------------------------------------------------------------- profile
def _isin_ids(index: pd.Index, ids: pd.Series, *, nulls_match: bool = False) -> np.ndarray:
    """``index.isin(ids as str)``; Arrow's hash lookup when both are Arrow strings
    (pandas' isin on pyarrow str is several times slower).  ``nulls_match``: a missing
    id matches a missing id (pandas ``isin`` without dropping NA)."""
    ia = getattr(index.array, "_pa_array", None)
    va = getattr(ids.array, "_pa_array", None)
    if ia is not None and va is not None:
        import pyarrow as pa
        import pyarrow.compute as pc
        text = lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)
        if text(ia.type) and text(va.type):
            vs = va.combine_chunks() if isinstance(va, pa.ChunkedArray) else va
            if vs.type != ia.type:
                vs = vs.cast(ia.type)
            return np.asarray(pc.is_in(ia, value_set=vs, skip_nulls=not nulls_match)
                              .to_numpy(zero_copy_only=False), dtype=bool)
    if nulls_match:
        return np.asarray(index.isin(ids), dtype=bool)
    return index.isin(pd.unique(ids.dropna().astype("str")))


def _per_customer_flag(table: pd.DataFrame | None, seg_codes: pd.Series, col: str = "customer_id"):
    """Count customers per segment having >= 1 row in ``table``."""
    if table is None or col not in table.columns:
        return None
    has = _isin_ids(seg_codes.index, table[col])
    return np.bincount(seg_codes.to_numpy()[has], minlength=len(SEGMENTS))


def profile(rfm_table: pd.DataFrame, *, surveys: pd.DataFrame | None = None,
            complaints: pd.DataFrame | None = None, returns: pd.DataFrame | None = None,
            orders: pd.DataFrame | None = None, conf: float = 0.95) -> pd.DataFrame:
    """Per segment: customers, revenue share, NPS (CI), complaint rate (CI), return rate (CI).

    * NPS uses the survey answers of the segment's customers (``nps`` column);
      n_nps is the number of answers.
    * complaint_rate = share of the segment's customers with at least one ticket.
    * return_rate = share of the segment's orders with at least one returned line
      when ``orders`` is given, else the share of customers with a return.

    ``attrs["tests"]`` holds chi-square tests of independence (segment x
    complained, segment x returned) and a Kruskal-Wallis test of NPS answers
    across segments.
    """
    _check_cols(rfm_table, ["segment", "monetary"], "rfm table")
    seg = rfm_table["segment"]
    codes = pd.Series(pd.Categorical(seg, categories=list(SEGMENTS)).codes, index=rfm_table.index.astype("str"))
    K = len(SEGMENTS)
    size = np.bincount(codes.to_numpy(), minlength=K)
    rev = np.bincount(codes.to_numpy(), weights=rfm_table["monetary"].to_numpy(dtype=float), minlength=K)
    tot = rev.sum()
    out = pd.DataFrame({
        "segment_fa": [SEGMENTS_FA[s] for s in SEGMENTS],
        "customers": size,
        "customer_share": size / max(size.sum(), 1),
        "revenue": rev,
        "revenue_share": rev / tot if tot else np.nan,
    }, index=pd.Index(list(SEGMENTS), name="segment"))
    tests = {}

    if surveys is not None and {"customer_id", "nps"} <= set(surveys.columns):
        s = surveys[["customer_id", "nps"]].dropna()
        sc = codes.reindex(s["customer_id"].astype("str").to_numpy())
        ok = sc.notna().to_numpy()
        c = sc.to_numpy()[ok].astype(np.int64)
        v = s["nps"].to_numpy(dtype=float)[ok]
        nn = np.bincount(c, minlength=K)
        pro = np.bincount(c, weights=(v >= 9), minlength=K)
        det = np.bincount(c, weights=(v <= 6), minlength=K)
        out["nps"], out["nps_ci_low"], out["nps_ci_high"] = _nps_ci(pro, det, nn, conf)
        out["n_nps"] = nn
        groups = [v[c == k] for k in range(K) if (c == k).sum() > 0]
        if len(groups) > 1 and len(np.unique(v)) > 1:
            h = _st.kruskal(*groups)
            tests["nps_kruskal"] = {"statistic": float(h.statistic), "pvalue": float(h.pvalue)}

    def _rate(name, k, n):
        p, lo, hi = _wilson(k, n, conf)
        out[f"{name}_rate"], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = p, lo, hi
        out[f"n_{name}"] = n
        tab = np.vstack([k, n - k])[:, n > 0]
        if tab.shape[1] > 1 and tab.sum(axis=1).min() > 0:
            chi = _st.chi2_contingency(tab)
            tests[f"{name}_chi2"] = {"statistic": float(chi.statistic), "pvalue": float(chi.pvalue),
                                     "dof": int(chi.dof)}

    k = _per_customer_flag(complaints, codes)
    if k is not None:
        _rate("complaint", k, size)
    if returns is not None and "order_id" in returns.columns and orders is not None:
        o = _valid_orders(orders)
        oc = o[["order_id", "customer_id"]].drop_duplicates("order_id")
        oseg = codes.reindex(oc["customer_id"].astype("str").to_numpy())
        ok = oseg.notna().to_numpy()
        osc = oseg.to_numpy()[ok].astype(np.int64)
        returned = _isin_ids(pd.Index(oc["order_id"]), returns["order_id"], nulls_match=True)[ok] \
            if oc["order_id"].dtype == returns["order_id"].dtype else \
            oc["order_id"].isin(returns["order_id"]).to_numpy()[ok]
        _rate("return", np.bincount(osc, weights=returned, minlength=K).astype(np.int64),
              np.bincount(osc, minlength=K))
        out.attrs["return_rate_unit"] = "orders"
    elif returns is not None:
        k = _per_customer_flag(returns, codes)
        if k is not None:
            _rate("return", k, size)
            out.attrs["return_rate_unit"] = "customers"
    out.attrs["tests"] = tests
    return out


# --------------------------------------------------------------------------- migration
@dataclass(frozen=True)
class Migration:
    """Segment before x segment after: ``counts`` and ``shares`` (row shares)."""
    counts: pd.DataFrame
    shares: pd.DataFrame
    split_date: pd.Timestamp
    as_of: pd.Timestamp


NEW_ROW = "(not yet a customer)"


def migration(orders: pd.DataFrame, split_date, as_of=None) -> Migration:
    """Segments at ``split_date`` (orders up to it) vs at ``as_of`` (all orders).

    Rows: the segment before (plus ``"(not yet a customer)"`` for customers whose
    first order is after the split); columns: the segment after.
    """
    split = pd.Timestamp(split_date)
    before = rfm(orders, as_of=split)
    after = rfm(orders, as_of=as_of)
    rows = list(SEGMENTS) + [NEW_ROW]
    b = before["segment"].reindex(after.index)
    bcode = pd.Categorical(b, categories=list(SEGMENTS)).codes.astype(np.int64)
    bcode[bcode < 0] = len(SEGMENTS)
    acode = pd.Categorical(after["segment"], categories=list(SEGMENTS)).codes.astype(np.int64)
    K = len(SEGMENTS)
    cnt = np.bincount(bcode * K + acode, minlength=(K + 1) * K).reshape(K + 1, K)
    counts = pd.DataFrame(cnt, index=pd.Index(rows, name="before"), columns=pd.Index(list(SEGMENTS), name="after"))
    tot = cnt.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = pd.DataFrame(cnt / tot, index=counts.index, columns=counts.columns)
    return Migration(counts, shares, split, after.attrs["as_of"])
