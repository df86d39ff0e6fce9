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

from insight import _events as _ev
from insight import stats as _stats
from insight.journey import _argsort_str

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


def _purchase_lines(orders: pd.DataFrame) -> np.ndarray | None:
    """Boolean mask of the order lines that count as purchases (``status`` not
    "cancelled", any case), or None when every line counts.  Works on the cached
    status codes (``insight._events.codes``): a handful of distinct labels is lowered,
    not 1M strings."""
    if "status" not in orders.columns:
        return None
    sc, su = _ev.codes(orders, "status")
    canc = np.r_[np.asarray(pd.Index(su).astype("str").str.lower() == "cancelled", dtype=bool), False]
    k = np.flatnonzero(canc)
    # one cancelled label (the usual case): one comparison instead of a gather
    drop = sc == k[0] if len(k) == 1 else canc[sc]  # code -1 (missing status) -> the trailing False
    return ~drop if drop.any() else None


def _last_kept_date(dates: np.ndarray, keep: np.ndarray | None) -> pd.Timestamp:
    """``pd.Timestamp(dates[keep].max())`` (numpy's max: NaT when a kept date is NaT; now
    when no line is kept).  When no date is NaT and a line with the latest date is kept,
    that date, without a masked copy of the 1M dates."""
    iv = dates.view(np.int64)
    if keep is not None and len(iv) and iv.min() != np.iinfo(np.int64).min:
        m = iv.max()
        if keep[iv == m].any():
            return pd.Timestamp(np.datetime64(int(m), "ns"))
    dk = dates if keep is None else dates[keep]
    return pd.Timestamp(dk.max()) if len(dk) else pd.Timestamp("now")


def _line_customers(orders: pd.DataFrame, keep: np.ndarray | None = None,
                    col: str = "customer_id") -> tuple[np.ndarray, pd.Index]:
    """Customer of each order line as a code into the *sorted* distinct ids of the kept
    lines (-1 = line not kept or id missing), and those ids (a str Index).

    Same codes as ``pd.factorize(orders.loc[keep, col], sort=True)``, from the cached
    factorization of the whole column (``insight._events.codes``): only the ~200k
    distinct ids are sorted (Arrow's sort, code-point order), no 1M strings are hashed."""
    cc, cu = _ev.codes(orders, col)
    ck = cc if keep is None else np.where(keep, cc, -1)
    used = np.zeros(len(cu) + 1, dtype=bool)
    used[ck] = True                  # -1 marks the spare last slot
    uc = np.flatnonzero(used[:-1])
    keys = _ev.short_id_keys(cu)
    # distinct ids have distinct keys: any argsort is the stable one
    srt = _argsort_str(cu.take(uc)) if keys is None else np.argsort(keys[uc])
    cmap = np.full(len(cu) + 1, -1, dtype=np.int64)
    cmap[uc[srt]] = np.arange(len(uc))
    out = cu.take(uc[srt])
    if out.dtype != "str":
        out = out.astype("str")
    return cmap[ck], out.rename(col)


def quantile_score(values, higher_is_better: bool = True) -> np.ndarray:
    """1..5 scores: ``1 + floor(5 * (#strictly worse) / n)`` (ties share a score).

    The score passes s + 1 exactly when at least m_s = ceil(s n / 5) values are
    strictly worse, i.e. when the value beats the m_s-th worst value: four order
    statistics (``np.partition``, linear time) and four comparisons, no sort."""
    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    key = v if higher_is_better else -v
    if not np.isfinite(key).all():
        srt = np.sort(key)
        worse = np.searchsorted(srt, key, side="left")  # number strictly below (NaN last)
        return (1 + (5 * worse) // n).astype(np.int8)
    m = [-(-s * n // 5) for s in range(1, 5)]           # ceil(s n / 5), s = 1..4
    kth = sorted({k - 1 for k in m if k >= 1})
    raw = np.asarray(values)
    if kth and raw.dtype.kind in "iu" and np.abs(key).max() < 2.0 ** 53:
        # whole numbers (days, order counts) over a modest range: the order statistics
        # from a count per value (cumulative counts), no partition of the floats
        ik = key.astype(np.int64)
        lo = int(ik.min())
        span = int(ik.max()) - lo + 1
        if span <= 4 * n + 1000:
            cum = np.cumsum(np.bincount(ik - lo, minlength=span))
            stat = {k: float(lo + np.searchsorted(cum, k + 1)) for k in kth}   # (k+1)-th smallest
            score = np.ones(n, dtype=np.int8)
            for k in m:
                score += (key > stat[k - 1]) if k >= 1 else 1
            return score
    part = np.partition(key, kth) if kth else key
    score = np.ones(n, dtype=np.int8)
    for k in m:
        score += (key > part[k - 1]) if k >= 1 else 1
    return score


#: "RFM" score labels "111".."555" by (R-1)*25 + (F-1)*5 + (M-1)
_SCORE_LABELS = pd.array([f"{r}{f}{m}" for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
                         dtype="str")


def _orders_per_customer(ccode: np.ndarray, ocode: np.ndarray, nc: int) -> np.ndarray:
    """Distinct orders per customer from line codes (customer codes >= 0; order code -1 =
    missing order id: a customer's lines without an order id count as one order)."""
    if len(ocode) and ocode.min() >= 0:
        # usual case: each order belongs to one customer -> count orders, not pairs
        ocust = np.full(int(ocode.max()) + 1, -1, dtype=np.int64)
        ocust[ocode] = ccode
        if np.array_equal(ocust[ocode], ccode):
            return np.bincount(ocust[ocust >= 0], minlength=nc)
    # distinct (customer, order) pairs; missing order ids get the spare code m - 1
    m = int(ocode.max()) + 2 if len(ocode) else 1
    upair = pd.unique(ccode * m + np.where(ocode < 0, m - 1, ocode))
    return np.bincount(upair // m, minlength=nc)


# --------------------------------------------------------------------------- RFM
def rfm(orders: pd.DataFrame, as_of=None, *, customer_col: str = "customer_id") -> pd.DataFrame:
    """Per-customer recency, frequency, monetary value, R/F/M scores and segment.

    ``as_of`` defaults to the last order date in ``orders``; orders after it are
    ignored.  recency_days = whole days from the last order to ``as_of``;
    frequency = distinct orders; monetary = sum(quantity * unit_price).
    Cancelled lines (``status == "cancelled"``) are not purchases; lines without a
    customer id belong to no customer.

    Returns one row per customer (index ``customer_id``, sorted) with columns
    recency_days, frequency, monetary, first_order, last_order, R, F, M,
    rfm_score ("545"), segment, segment_fa.
    """
    _check_cols(orders, [customer_col, "order_id", "order_date", "quantity", "unit_price"], "orders")
    # all work is on line arrays of the whole frame with a keep mask: the string ids
    # are coded once per frame (insight._events.codes), no filtered copies of the frame
    keep = _purchase_lines(orders)
    dates = orders["order_date"].to_numpy(dtype="datetime64[ns]")
    if as_of is None:
        as_of_ts = _last_kept_date(dates, keep)
    else:
        as_of_ts = pd.Timestamp(as_of)
        inside = dates <= np.datetime64(as_of_ts, "ns")
        if not inside.all():
            keep = inside if keep is None else keep & inside
    ccode, cust = _line_customers(orders, keep, customer_col)
    if len(cust) == 0:
        cols = ["recency_days", "frequency", "monetary", "first_order", "last_order",
                "R", "F", "M", "rfm_score", "segment", "segment_fa"]
        return pd.DataFrame(columns=cols, index=pd.Index([], name="customer_id", dtype="str"))
    used = ccode >= 0
    sub = (lambda a: a) if used.all() else (lambda a: a[used])   # line arrays of the kept lines
    cl = sub(ccode)
    nc = len(cust)
    # the product on all lines, then one masked copy, NaN -> 0 in place (fewer 1M temporaries)
    value = np.nan_to_num(sub(orders["quantity"].to_numpy(dtype=float) * orders["unit_price"].to_numpy(dtype=float)),
                          copy=False)
    monetary = np.bincount(cl, weights=value, minlength=nc)
    frequency = _orders_per_customer(cl, sub(_ev.codes(orders, "order_id")[0]), nc)

    di = sub(dates.view(np.int64))
    nat = di == np.iinfo(np.int64).min
    di = di // 10 ** 9                      # whole seconds (floor, as datetime64[s]); NaT stays NaT
    if nat.any():
        di[nat] = np.iinfo(np.int64).min
    last = np.full(nc, np.iinfo(np.int64).min)
    np.maximum.at(last, cl, di)
    first = np.full(nc, np.iinfo(np.int64).max)
    np.minimum.at(first, cl, di)
    as_s = np.datetime64(as_of_ts, "s").astype(np.int64)
    recency = (as_s - last) // 86400

    R = quantile_score(recency, higher_is_better=False)
    F = quantile_score(frequency)
    M = quantile_score(monetary)
    seg = GRID[R - 1, F - 1]
    out = pd.DataFrame({
        "recency_days": recency.astype(np.int64),
        "frequency": frequency.astype(np.int64),
        "monetary": monetary,
        "first_order": first.astype("datetime64[s]").astype("datetime64[ns]"),
        "last_order": last.astype("datetime64[s]").astype("datetime64[ns]"),
        "R": R, "F": F, "M": M,
        # categoricals and labels from codes: no 200k strings are built or hashed
        "rfm_score": _SCORE_LABELS.take((R.astype(np.int64) - 1) * 25 + (F - 1) * 5 + (M - 1)),
        "segment": pd.Categorical.from_codes(seg, categories=list(SEGMENTS)),
        "segment_fa": pd.Categorical.from_codes(seg, categories=[SEGMENTS_FA[s] for s in SEGMENTS]),
    }, index=cust.rename("customer_id"))
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


def _as_str(ids: pd.Series) -> pd.Series:
    return ids if ids.dtype == "str" else ids.astype("str")


def _return_rate_by_order(orders: pd.DataFrame, returns: pd.DataFrame, seg_of_id):
    """(returned orders, orders) per segment: each order (its first purchase line's
    customer decides the segment) counts once, returned when its id is among the
    returns' order ids.  ``seg_of_id(customer id Index) -> segment code or -1``."""
    K = len(SEGMENTS)
    keep = _purchase_lines(orders)
    oc, ou = _ev.codes(orders, "order_id")
    kl = np.flatnonzero(keep) if keep is not None else np.arange(len(oc))
    okl = oc[kl]
    if len(okl) and okl.min() < 0:
        # missing order ids form one "order" in drop_duplicates: the general path
        o = orders.iloc[kl][["order_id", "customer_id"]].drop_duplicates("order_id")
        osc = seg_of_id(pd.Index(_as_str(o["customer_id"])))
        ids = pd.Index(o["order_id"])
    else:
        first = np.full(len(ou), len(oc), dtype=np.int64)
        np.minimum.at(first, okl, kl)        # first purchase line of each order
        present = np.flatnonzero(first < len(oc))
        cc, cu = _ev.codes(orders, "customer_id")
        cseg = np.r_[seg_of_id(cu), -1]      # customer code -1 (missing id) -> -1
        osc = cseg[cc[first[present]]]
        ids = ou.take(present)
    ok = osc >= 0
    if ids.dtype == returns["order_id"].dtype:
        returned = _isin_ids(ids, returns["order_id"], nulls_match=True)
    else:
        returned = np.asarray(ids.isin(returns["order_id"]), dtype=bool)
    return (np.bincount(osc[ok], weights=returned[ok], minlength=K).astype(np.int64),
            np.bincount(osc[ok], minlength=K))


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
    if isinstance(seg.dtype, pd.CategoricalDtype) and list(seg.cat.categories) == list(SEGMENTS):
        sc = seg.cat.codes.to_numpy().astype(np.int64)
    else:
        sc = pd.Categorical(seg, categories=list(SEGMENTS)).codes.astype(np.int64)
    # the table's own index when it is already str: the id matcher cached for it
    # (insight._events) then serves every profile of this table
    idx = rfm_table.index if rfm_table.index.dtype == "str" else rfm_table.index.astype("str")
    K = len(SEGMENTS)
    size = np.bincount(sc, minlength=K)
    rev = np.bincount(sc, weights=rfm_table["monetary"].to_numpy(dtype=float), minlength=K)
    tot = rev.sum()
    # the columns are collected and the frame built once at the end (a dozen column
    # insertions into a DataFrame cost more than the statistics here)
    out = {
        "segment_fa": [SEGMENTS_FA[s] for s in SEGMENTS],
        "customers": size,
        "customer_share": size / max(size.sum(), 1),
        "revenue": rev,
        "revenue_share": rev / tot if tot else np.full(K, np.nan),
    }
    attrs = {}
    tests = {}

    # every customer id column is looked up in the rfm index in one batch (one hash of
    # the ~200k ids, or binary search on short-id keys), then integer work on segment codes
    use_nps = surveys is not None and {"customer_id", "nps"} <= set(surveys.columns)
    by_order = returns is not None and "order_id" in returns.columns and orders is not None
    wanted = {"surveys": surveys if use_nps else None,
              "complaints": complaints if complaints is not None and "customer_id" in complaints.columns else None,
              "returns": returns if (returns is not None and not by_order and "customer_id" in returns.columns)
              else None}
    names = [k for k, v in wanted.items() if v is not None]
    pos = dict(zip(names, _ev.lookup_many([_as_str(wanted[k]["customer_id"]) for k in names], idx)))

    def seg_of(p):
        return np.where(p >= 0, sc[np.maximum(p, 0)], -1)

    def has_row(p):
        """Customers per segment with >= 1 row."""
        has = np.zeros(len(idx), dtype=bool)
        has[p[p >= 0]] = True
        return np.bincount(sc[has], minlength=K)

    if use_nps:
        v_all = surveys["nps"].to_numpy(dtype=float)
        ok = (pos["surveys"] >= 0) & ~np.isnan(v_all)
        c = sc[pos["surveys"][ok]]
        v = v_all[ok]
        nn = np.bincount(c, minlength=K)
        pro = np.bincount(c, weights=(v >= 9), minlength=K)
        det = np.bincount(c, weights=(v <= 6), minlength=K)
        out["nps"], out["nps_ci_low"], out["nps_ci_high"] = _nps_ci(pro, det, nn, conf)
        out["n_nps"] = nn
        srt = np.argsort(c.astype(np.uint8), kind="stable")   # by segment, in answer order (radix sort)
        bounds = np.r_[0, np.cumsum(nn)]
        groups = [v[srt[bounds[k]:bounds[k + 1]]] for k in range(K) if nn[k] > 0]
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

    if "complaints" in pos:
        _rate("complaint", has_row(pos["complaints"]), size)
    if by_order:
        _rate("return", *_return_rate_by_order(
            orders, returns, lambda ids: seg_of(_ev.lookup(_as_str(pd.Series(ids, copy=False)), idx))))
        attrs["return_rate_unit"] = "orders"
    elif "returns" in pos:
        _rate("return", has_row(pos["returns"]), size)
        attrs["return_rate_unit"] = "customers"
    out = pd.DataFrame(out, index=pd.Index(list(SEGMENTS), name="segment"))
    out.attrs.update(attrs)
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
