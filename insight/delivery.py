"""Delivery promises: on-time share, lateness, delivery time, and what late
delivery does to ratings and to repurchase.

Conventions
-----------
* Everything is per **order** (order lines are collapsed: latest promised and
  delivered date of the order); only delivered orders count (a delivered date,
  status not cancelled/backordered).
* On time: delivered on or before the promised **calendar day**
  (``delivered_date.normalize() <= promised_date.normalize()``).
* ``lateness_days`` = delivered day − promised day (integer days, negative = early).
* ``delivery_days`` = delivered day − order day (integer calendar days; 0 = same day,
  1 = next day).
* Shares are fractions in [0, 1] with Wilson CIs; ratings are on the review scale (1–5).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight import stats as st
from insight._events import (_NAT, _ORDER_COLS, _per_frame, codes, delivered_order_rows,
                             delivered_orders, first_per_customer, lookup_codes, need,
                             next_order_after, ns, order_customers, order_numbers,
                             repurchase_flags)
from insight.stats import ALPHA, Comparison, RateComparison

__all__ = ["on_time", "lateness", "delivery_days", "rating_by_delivery", "RatingByDelivery",
           "repurchase_by_delivery", "within_days", "delivered", "QUOTED_EXPECTATIONS", "BINS"]

#: what shoppers expect (DOMAIN.md): share expecting delivery within N days
QUOTED_EXPECTATIONS = {1: 0.13, 2: 0.44}
BINS = (0, 1, 2, 3, 5, 7, np.inf)


def _groups(by) -> list[str]:
    return [] if by is None else ([by] if isinstance(by, str) else list(by))


_DAY_NS = 86_400 * 10**9


def _day_number(t: np.ndarray) -> np.ndarray:
    """int64 ns -> calendar day number (days since 1970-01-01, floored like
    ``dt.normalize()``); NaT stays NaT.  Floor division by a constant is several times
    cheaper than the remainder ``t - t % day``."""
    return np.where(t == _NAT, _NAT, t // _DAY_NS)


def _days_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Whole days from ``earlier`` to ``later`` (day numbers of :func:`_day_number`) as
    float64, NaN when either is NaT."""
    bad = (later == _NAT) | (earlier == _NAT)
    return np.where(bad, np.nan, (later - earlier).astype("float64"))


def delivered(orders: pd.DataFrame, by=None) -> pd.DataFrame:
    """Delivered orders (one row per order) with ``delivery_days`` and, when the order has
    a promised date, ``lateness_days`` and ``late`` (bool; NaN when no promise)."""
    groups = _groups(by)
    need(orders, groups, "orders")
    o = delivered_orders(orders, extra=groups)
    for c, v in _numbers(orders, groups).items():
        if c not in groups:
            o[c] = v.to_numpy()
    return o


def _numbers(orders: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """The columns of :func:`delivered` that the summaries read: the ``groups`` columns,
    ``delivery_days``, ``lateness_days`` and ``late``, same rows (not the ids: copying
    Arrow strings is most of the cost of filtering a frame).  From the per-order date
    arrays on int64 ns; computed once per orders frame and ``groups`` while the columns
    read are unchanged; each call returns its own copy-on-write frame."""
    def build():
        rows = delivered_order_rows(orders)
        num = order_numbers(orders)
        o = (delivered_orders(orders, extra=groups)[groups] if groups
             else pd.DataFrame(index=pd.RangeIndex(len(rows))))
        day = num["delivered_date"][rows] // _DAY_NS   # no NaT: these orders were delivered
        o["delivery_days"] = _days_between(day, _day_number(num["order_date"][rows]))
        if "promised_date" in num:
            o["lateness_days"] = _days_between(day, _day_number(num["promised_date"][rows]))
            o["late"] = (o["lateness_days"] > 0).where(o["lateness_days"].notna())
        return o
    need(orders, ["order_id", "customer_id", "order_date", *groups], "orders")
    return _per_frame(orders, ("delivery.numbers", tuple(groups)), [*_ORDER_COLS, *groups],
                      build).copy(deep=False)


def _share_table(df: pd.DataFrame, flag: str, groups: list[str], alpha: float) -> pd.DataFrame:
    if not groups:   # one row: counted on the array (no dropna/assign copies of the frame)
        f = df[flag].to_numpy(dtype="float64", na_value=np.nan)
        ok = ~np.isnan(f)
        g = pd.DataFrame({"k": [f[ok].sum()], "n": [int(np.count_nonzero(ok))]})
        g["k"] = g["k"].astype("int64")
        g["value"] = g["k"] / g["n"]
        g["ci_low"], g["ci_high"] = st.wilson_ci(g["k"], g["n"], alpha)
        return g
    w = df.dropna(subset=[flag, *groups])
    w = w.assign(_f=w[flag].astype("float64"))
    if groups:
        g = w.groupby(groups, observed=True)["_f"].agg(k="sum", n="size").reset_index()
    else:
        g = pd.DataFrame({"k": [w["_f"].sum()], "n": [len(w)]})
    g["k"] = g["k"].astype("int64")
    g["value"] = g["k"] / g["n"]
    g["ci_low"], g["ci_high"] = st.wilson_ci(g["k"], g["n"], alpha)
    return g


def on_time(orders: pd.DataFrame, by=None, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Share of delivered orders that arrived on or before the promised day.

    One row per group: ``k`` (on time), ``n`` (delivered orders with a promise),
    ``value`` and its Wilson CI.
    """
    need(orders, ["promised_date", "delivered_date"], "orders")
    d = _numbers(orders, _groups(by))
    if not _groups(by) and d["late"].dtype == bool:   # every order had a promise: count the flags
        late = d["late"].to_numpy()
        return _shares_all([len(late) - int(np.count_nonzero(late))], len(late), alpha)
    d["on_time"] = (~d["late"].astype("boolean")).astype("float64")
    return _share_table(d, "on_time", _groups(by), alpha)


def _shares_all(k, n: int, alpha: float) -> pd.DataFrame:
    """:func:`_share_table`'s rows without groups for counts ``k`` (one row each) out of
    ``n``: ``k``, ``n`` (int64), ``value`` and its Wilson CI, built once from arrays."""
    k = np.asarray(k, dtype=np.int64)
    nn = np.full(len(k), n, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = k / nn
    lo, hi = st.wilson_ci(k, nn, alpha)
    return pd.DataFrame({"k": k, "n": nn, "value": value, "ci_low": lo, "ci_high": hi})


def lateness(orders: pd.DataFrame, by=None, *, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9),
             alpha: float = ALPHA) -> pd.DataFrame:
    """Distribution of ``lateness_days`` (delivered day − promised day; negative = early).

    Columns: ``n``, ``mean`` with t CI, the quantiles ``q10 … q90``, ``late_share`` (Wilson
    CI) and ``mean_late_days`` (mean lateness of the late orders only).
    """
    need(orders, ["promised_date", "delivered_date"], "orders")
    groups = _groups(by)
    need(orders, groups, "orders")
    names = [f"q{int(round(q * 100)):02d}" for q in quantiles]
    if not groups and len(set(names)) == len(names):
        x = _numbers(orders, [])["lateness_days"].to_numpy()
        x = x[~np.isnan(x)]
        if len(x):
            return _lateness_all(x, quantiles, alpha)
    d = _numbers(orders, groups).dropna(subset=["lateness_days", *groups])
    d = d.assign(_late=(d["lateness_days"] > 0).astype("float64"),
                 _ld=d["lateness_days"].where(d["lateness_days"] > 0))
    gb = d.groupby(groups, observed=True) if groups else d.assign(_all=0).groupby("_all")
    out = gb.agg(n=("lateness_days", "size"), mean=("lateness_days", "mean"),
                 sd=("lateness_days", "std"), k_late=("_late", "sum"), mean_late_days=("_ld", "mean"))
    out["mean_ci_low"], out["mean_ci_high"] = st.t_ci_arrays(out["mean"], out["sd"], out["n"], alpha)
    qs = gb["lateness_days"].quantile(list(quantiles)).unstack()
    qs.columns = [f"q{int(round(q * 100)):02d}" for q in qs.columns]
    out = out.join(qs)
    out["late_share"] = out["k_late"] / out["n"]
    out["late_ci_low"], out["late_ci_high"] = st.wilson_ci(out["k_late"], out["n"], alpha)
    out["k_late"] = out["k_late"].astype("int64")
    cols = ["n", "mean", "mean_ci_low", "mean_ci_high", *qs.columns, "k_late", "late_share",
            "late_ci_low", "late_ci_high", "mean_late_days"]
    return out[cols].reset_index(drop=not groups)


def _lateness_all(x: np.ndarray, quantiles, alpha: float) -> pd.DataFrame:
    """:func:`lateness` without groups, on the array ``x`` of lateness days (no NaN, not
    empty), with the grouped path's exact numbers: the days are whole numbers, so sums
    and means are exact in any order; the SD is pandas' own (its grouped SD is a running
    one that a two-pass SD differs from in the last bits); quantiles by pandas' rule."""
    n = len(x)
    late = x > 0
    k_late = int(np.count_nonzero(late))
    mean = x.sum() / n
    # one group given as Categorical codes: pandas' running SD without hashing a key
    one = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[0])
    sd = pd.Series(x).groupby(one, observed=False).std().iloc[0]
    row = {"n": n, "mean": mean}
    row["mean_ci_low"], row["mean_ci_high"] = (v[0] for v in st.t_ci_arrays([mean], [sd], [n], alpha))
    for q, v in zip(quantiles, _pandas_quantiles(x, quantiles)):
        row[f"q{int(round(q * 100)):02d}"] = v
    row["k_late"] = k_late
    row["late_share"] = k_late / n
    row["late_ci_low"], row["late_ci_high"] = st.wilson_ci(k_late, n, alpha)
    row["mean_late_days"] = x[late].sum() / k_late if k_late else np.nan
    out = pd.DataFrame({c: [v] for c, v in row.items()})
    return out.astype({c: "float64" for c in out.columns if c not in ("n", "k_late")})


def _pandas_quantiles(x: np.ndarray, quantiles) -> np.ndarray:
    """``groupby(...).quantile(quantiles)`` (linear) of one group of non-NaN values ``x``
    from the sorted values instead of pandas' groupby: pandas takes the order statistics
    ``v[i]``, ``v[i + 1]`` with ``i = int(q * (n - 1))`` and gives ``v[i] + (v[i + 1] -
    v[i]) * frac``, ``frac = (q * (n - 1)) % 1`` (``v[i]`` when ``frac`` is 0).  numpy's
    float sort (SIMD) is several times faster than a partition at ten positions."""
    q = np.asarray(quantiles, dtype="float64")
    pos = q * np.float64(len(x) - 1)
    i = pos.astype(np.int64)
    frac = pos % 1
    j = np.minimum(i + 1, len(x) - 1)
    v = np.sort(x)
    return np.where(frac == 0, v[i], v[i] + (v[j] - v[i]) * frac)


def delivery_days(orders: pd.DataFrame, by=None, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Calendar days from order to delivery: ``n``, ``mean`` (t CI), ``median`` with a
    distribution-free order-statistic CI, ``q25``, ``q75``, ``q90``."""
    groups = _groups(by)
    need(orders, groups, "orders")
    d = _numbers(orders, groups).dropna(subset=["delivery_days", *groups])
    d = d[d["delivery_days"] >= 0]
    parts = d.groupby(groups, observed=True) if groups else [((), d)]
    rows = []
    for key, g in parts:  # one row per group (few groups), vectorized inside
        key = key if isinstance(key, tuple) else (key,)
        x = g["delivery_days"].to_numpy()
        # the quantiles depend only on the values, not their order: numpy partitions a
        # sorted array several times faster (the mean and SD keep the rows' order)
        xs = np.sort(x)
        m, med = st.mean_ci(x, alpha), st.quantile_ci(xs, 0.5, alpha)
        q25, q75, q90 = np.quantile(xs, [0.25, 0.75, 0.9]) if x.size else (np.nan,) * 3
        rows.append(dict(zip(groups, key), n=m.n, mean=m.value, mean_ci_low=m.ci_low,
                         mean_ci_high=m.ci_high, median=med.value, median_ci_low=med.ci_low,
                         median_ci_high=med.ci_high, q25=q25, q75=q75, q90=q90))
    return pd.DataFrame(rows)


def within_days(orders: pd.DataFrame, days=(1, 2), by=None, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Share of delivered orders that arrived within ``d`` calendar days of the order, for
    each ``d`` in ``days``, beside what shoppers say they expect (``expected_share``: 13%
    next day, 44% within two days — the figures our users quote; NaN for other d)."""
    groups = _groups(by)
    need(orders, groups, "orders")
    d = _numbers(orders, groups)
    if groups:
        d = d.dropna(subset=["delivery_days", *groups])
    else:   # only the days: no copy of the other columns
        x = d["delivery_days"].to_numpy()
        x = x[~np.isnan(x)]
        days = list(days)
        if days and all(type(day) is int for day in days):
            # one count per threshold; the frame built once (int days: an int64 column)
            t = _shares_all([np.count_nonzero(x <= day) for day in days], len(x), alpha)
            t.insert(0, "days", np.array(days, dtype=np.int64))
            t = t.rename(columns={"value": "share"})
            t["expected_share"] = t["days"].map(QUOTED_EXPECTATIONS).astype("float64")
            return t
        d = pd.DataFrame({"delivery_days": x})
    frames = []
    for day in days:  # a handful of thresholds
        t = _share_table(d.assign(_w=(d["delivery_days"] <= day)), "_w", groups, alpha)
        t.insert(len(groups), "days", day)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True).rename(columns={"value": "share"})
    out["expected_share"] = out["days"].map(QUOTED_EXPECTATIONS).astype("float64")
    return out


# ---------------------------------------------------------------- ratings

@dataclass(frozen=True, eq=False)
class RatingByDelivery:
    """Mean review rating by delivery time and by late / on time.

    ``by_days``: one row per delivery-days bin (``bin`` label, ``n``, ``mean``, t CI,
    ``low_share`` = share of ratings ≤ 2 with Wilson CI).  ``by_late``: rows ``on_time``
    and ``late``.  ``late_vs_on_time``: Welch t, difference = late − on time (rating
    points).  ``trend``: Spearman correlation of delivery days with rating (``rho``,
    ``p_value``).  ``matched``: reviews joined to a delivered order.
    """
    by_days: pd.DataFrame
    by_late: pd.DataFrame
    late_vs_on_time: Comparison | None
    trend: dict = field(default_factory=dict)
    matched: int = 0
    unmatched: int = 0


def _bin_labels(bins) -> list[str]:
    """Integer-day labels for right-closed bins: (0,1] with the lowest included -> '0–1'."""
    labels = []
    for i, (lo, hi) in enumerate(zip(bins[:-1], bins[1:])):
        a = int(lo) if i == 0 else int(lo) + 1
        if np.isinf(hi):
            labels.append(f"{a}+")
        elif a == int(hi):
            labels.append(f"{a}")
        else:
            labels.append(f"{a}–{int(hi)}")
    return labels


def _reviews_with_orders(orders: pd.DataFrame, reviews: pd.DataFrame, match_days: int = 60):
    """Attach each rated review to its delivered order: by order_id when given, else the
    customer's latest order delivered on or before the review (within ``match_days``).
    Returns the matched reviews' ``rating`` with the order's ``delivery_days``, ``late``
    and ``lateness_days`` (reviews matched by order_id first, in their order), and the
    number left unmatched.  No id columns: copying strings is the costly part and the
    summaries only read these numbers."""
    rated = reviews["rating"].notna().to_numpy()
    n_rated = int(np.count_nonzero(rated))
    has_oid = (reviews["order_id"].notna().to_numpy() & rated if "order_id" in reviews.columns
               else np.zeros(len(reviews), bool))
    a = pd.DataFrame()
    if "order_id" in reviews.columns:
        # the inner join on order_id as integer positions: each review's order code (its
        # ids matched once per orders frame), then that order's row among the delivered ones
        num = _numbers(orders, [])
        _, oids = codes(orders, "order_id")
        r = _delivered_row_of(orders)[lookup_codes(reviews, "order_id", oids)]
        take = np.flatnonzero(has_oid & (r >= 0))
        at = r[take]
        # one frame from the taken columns (float/bool ones as arrays, others as Series
        # to keep their dtype)
        a = pd.DataFrame({c: (v.to_numpy()[i] if isinstance(v.dtype, np.dtype) and v.dtype.kind in "fb" else v.take(i).reset_index(drop=True))
                          for c, v, i in [("rating", reviews["rating"], take),
                                          *((c, num[c], at) for c in ("delivery_days", "late", "lateness_days")
                                            if c in num.columns)]})
    b = pd.DataFrame()
    rest = rated & ~has_oid
    if rest.any() and "customer_id" in reviews.columns and reviews["customer_id"][rest].notna().any():
        own = [c for c in ("customer_id", "created_at", "rating") if c in reviews.columns]
        rv = reviews.loc[rest, own]
        d = delivered(orders)
        cols = ["order_id", "customer_id", "delivered_date", "delivery_days", "late", "lateness_days"]
        cols = [c for c in cols if c in d.columns]
        left = (rv.dropna(subset=["customer_id"])
                .assign(_t=lambda x: ns(x["created_at"])).sort_values("_t"))
        right = (d[cols].dropna(subset=["delivered_date"])
                 .assign(_t=lambda x: ns(x["delivered_date"])).sort_values("_t"))
        b = pd.merge_asof(left, right, on="_t", by="customer_id", direction="backward",
                          tolerance=pd.Timedelta(days=match_days)).dropna(subset=["order_id"])
        b = b[[c for c in ("rating", "delivery_days", "late", "lateness_days") if c in b.columns]]
    m = pd.concat([a, b], ignore_index=True)
    return m, n_rated - len(m)


def _delivered_row_of(orders: pd.DataFrame) -> np.ndarray:
    """Each order code's row among the delivered orders (``delivered_order_rows``), -1
    when not delivered, with a spare -1 at the end (for code -1).  Cached per frame."""
    def build():
        rows = delivered_order_rows(orders)
        row_of = np.full(len(codes(orders, "order_id")[1]) + 1, -1, dtype=np.int64)
        row_of[rows] = np.arange(len(rows))
        row_of.setflags(write=False)
        return row_of
    return _per_frame(orders, "delivery.row_of", [c for c in _ORDER_COLS if c != "customer_id"], build)


def rating_by_delivery(orders: pd.DataFrame, reviews: pd.DataFrame, bins=BINS, *,
                       alpha: float = ALPHA) -> RatingByDelivery:
    """Mean rating (with t CI and n) per delivery-days bin (default 0–1, 2, 3, 4–5, 6–7,
    8+ days) and for late versus on-time orders, with a Welch t-test of the difference and
    a Spearman trend test over delivery days."""
    from scipy.stats import spearmanr

    need(reviews, ["rating"], "reviews")
    need(orders, ["delivered_date"], "orders")
    m, unmatched = _reviews_with_orders(orders, reviews)
    bins = list(bins)
    m = m[m["delivery_days"] >= 0]
    rating = m["rating"].to_numpy()
    # whole-number ratings (the usual 1–5 stars): group sums are exact in any order, so
    # the tables come from bincounts on integer codes (pandas' compensated sums give the
    # same means); other ratings go through pandas' groupby
    if not (rating.dtype == np.float64 and len(rating) and np.isfinite(rating).all()
            and (rating == np.round(rating)).all() and np.abs(rating).max() * len(rating) < 2.0**53):
        return _rating_by_delivery_frame(m, int(unmatched), bins, alpha)
    cut = _cut_days(m["delivery_days"].to_numpy(), bins)

    def table(g, index):
        """The rating table of groups ``index`` (codes ``g``, -1 = none), as
        :func:`_rating_by_delivery_frame`'s ``table`` gives it."""
        agg = _rating_groups(rating, g, index)
        agg["ci_low"], agg["ci_high"] = st.t_ci_arrays(agg["mean"], agg["sd"], agg["n"], alpha)
        agg["low_share"] = agg["k_low"] / agg["n"]
        agg["low_ci_low"], agg["low_ci_high"] = st.wilson_ci(agg["k_low"], agg["n"], alpha)
        agg["k_low"] = agg["k_low"].astype("int64")
        return agg.drop(columns="sd").reset_index()

    # groupby on a categorical (observed=False): every category, in order
    by_days = table(np.asarray(cut.codes, dtype=np.int64),
                    pd.CategoricalIndex(cut.categories, dtype=cut.dtype, name="bin"))
    cmp, by_late = None, pd.DataFrame()
    if "late" in m.columns and m["late"].notna().any():
        lv = m["late"]
        if lv.dtype == bool:
            tc = np.where(lv.to_numpy(), 0, 1)        # 0 late, 1 on time
        else:
            t = lv.map({True: "late", False: "on_time"})
            tc = np.where(t.eq("late").to_numpy(), 0, np.where(t.eq("on_time").to_numpy(), 1, -1))
        # groupby on the labels: the groups seen, sorted ("late" < "on_time")
        seen = np.flatnonzero(np.bincount(tc[tc >= 0], minlength=2))
        code = np.full(3, -1)
        code[seen] = np.arange(len(seen))
        labels = pd.Index(np.array(["late", "on_time"])[seen], dtype="str", name="timing")
        by_late = (table(code[tc], labels).set_index("timing").reindex(["on_time", "late"])
                   .reset_index())
        late, ontime = rating[tc == 0], rating[tc == 1]
        if len(late) >= 2 and len(ontime) >= 2:
            cmp = st.welch_test(late, ontime, alpha)
    rho = spearmanr(*_small_ints(m["delivery_days"].to_numpy(), rating)) if len(m) > 2 else None
    trend = ({"rho": float(rho.statistic), "p_value": float(rho.pvalue), "n": len(m)} if rho is not None
             else {})
    return RatingByDelivery(by_days, by_late, cmp, trend, len(m), int(unmatched))


def _rating_by_delivery_frame(m: pd.DataFrame, unmatched: int, bins, alpha: float) -> RatingByDelivery:
    """:func:`rating_by_delivery` of the matched reviews ``m`` (delivery_days >= 0) by
    pandas' groupby: any ratings."""
    from scipy.stats import spearmanr

    m = m.copy()
    m["bin"] = pd.cut(m["delivery_days"], bins, right=True, include_lowest=True,
                      labels=_bin_labels(bins))
    m["_low"] = (m["rating"] <= 2).astype("float64")

    def table(key):
        g = m.dropna(subset=[key]).groupby(key, observed=False).agg(
            n=("rating", "size"), mean=("rating", "mean"), sd=("rating", "std"), k_low=("_low", "sum"))
        g["ci_low"], g["ci_high"] = st.t_ci_arrays(g["mean"], g["sd"], g["n"], alpha)
        g["low_share"] = g["k_low"] / g["n"]
        g["low_ci_low"], g["low_ci_high"] = st.wilson_ci(g["k_low"], g["n"], alpha)
        g["k_low"] = g["k_low"].astype("int64")
        return g.drop(columns="sd").reset_index()

    by_days = table("bin")
    cmp, by_late = None, pd.DataFrame()
    if "late" in m.columns and m["late"].notna().any():
        m["timing"] = m["late"].map({True: "late", False: "on_time"})
        by_late = table("timing").set_index("timing").reindex(["on_time", "late"]).reset_index()
        late = m.loc[m["timing"].eq("late"), "rating"]
        ontime = m.loc[m["timing"].eq("on_time"), "rating"]
        if len(late) >= 2 and len(ontime) >= 2:
            cmp = st.welch_test(late, ontime, alpha)
    rho = spearmanr(m["delivery_days"], m["rating"]) if len(m) > 2 else None
    trend = ({"rho": float(rho.statistic), "p_value": float(rho.pvalue), "n": len(m)} if rho is not None
             else {})
    return RatingByDelivery(by_days, by_late, cmp, trend, len(m), unmatched)


def _cut_days(x: np.ndarray, bins) -> pd.Categorical:
    """``pd.cut(x, bins, right=True, include_lowest=True, labels=_bin_labels(bins))`` of
    the days ``x`` (>= 0).  Whole days over a modest range are cut once per distinct day
    (each value's bin depends only on the value) and the codes gathered."""
    labels = _bin_labels(bins)
    with np.errstate(invalid="ignore"):
        xi = x.astype(np.int64)
    top = int(xi.max()) if len(xi) else 0
    if not len(x) or top > 4 * len(x) + 1024 or xi.min() < 0 or not (xi == x).all():
        return pd.Categorical(pd.cut(x, bins, right=True, include_lowest=True, labels=labels))
    per_day = pd.cut(np.arange(top + 1, dtype=np.float64), bins, right=True, include_lowest=True,
                     labels=labels)
    return pd.Categorical.from_codes(np.asarray(per_day.codes)[xi], dtype=per_day.dtype)


def _rating_groups(rating: np.ndarray, g: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """``groupby(g).agg(n=size, mean, sd=std, k_low=sum of rating <= 2)`` of whole-number
    float ratings ``rating`` by group codes ``g`` (-1 = left out) into the groups of
    ``index``: counts and exact sums by bincount, the SD pandas' own (its running SD
    differs from a two-pass one in the last bits), on the codes as a Categorical (no
    hashing)."""
    ok = g >= 0
    c, r = g[ok], rating[ok]
    k = len(index)
    n = np.bincount(c, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(c, weights=r, minlength=k) / n
    sd = (pd.Series(r).groupby(pd.Categorical.from_codes(c, categories=np.arange(k)), observed=False)
          .std().to_numpy())
    k_low = np.bincount(c, weights=(r <= 2), minlength=k).astype("float64")
    return pd.DataFrame({"n": n.astype("int64"), "mean": mean, "sd": sd, "k_low": k_low}, index=index)


def _small_ints(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The float arrays as int16 when every value is a whole number that fits (ranks and
    so Spearman's rho and p are the same: ranking only compares values, and numpy sorts
    16-bit integers by radix, several times faster), else unchanged."""
    out = []
    for a in arrays:
        if a.dtype != np.float64 or not len(a):
            return arrays
        with np.errstate(invalid="ignore"):   # NaN and out-of-range values do not come back
            ai = a.astype(np.int16)
        if not (ai == a).all():
            return arrays
        out.append(ai)
    return tuple(out)


# ---------------------------------------------------------------- repurchase

def repurchase_by_delivery(orders: pd.DataFrame, window_days: int = 90, *, as_of=None,
                           alpha: float = ALPHA) -> RateComparison:
    """Do customers whose first delivered order came late order again less often?

    Unit: each customer's first delivered order that had a promised date.  Outcome:
    another order placed strictly after its delivery, within ``window_days`` days of the
    delivery; only windows ending before ``as_of`` (default: last order date) count.
    Groups ``late`` / ``on_time`` (difference = late − on time), Wilson CIs, two-proportion
    z-test, odds ratio with Fisher p.
    """
    rows = delivered_order_rows(orders)
    num, late = order_numbers(orders), _numbers(orders, [])["late"]
    valid = late.notna().to_numpy()
    # each customer's first of these orders by order date, on customer codes
    cust = order_customers(orders)[rows][valid]
    first = first_per_customer(cust, num["order_date"][rows][valid])
    at = num["delivered_date"][rows][valid][first]
    late = late[valid].astype(bool).to_numpy()[first]
    nxt = next_order_after(orders, cust[first], at)
    rep, observed = repurchase_flags(orders, at, nxt, window_days, as_of)
    kl, nl = int((rep & observed & late).sum()), int((observed & late).sum())
    ko, no = int((rep & observed & ~late).sum()), int((observed & ~late).sum())
    res = st.compare_rates(kl, nl, ko, no, labels=("late", "on_time"), alpha=alpha)
    res.extra.update(unobserved=int((~observed).sum()), window_days=window_days)
    return res
