"""Retention and outcomes: Jalali cohorts and the retention matrix, the first-order
experience, time to the next order (Kaplan-Meier, log-rank) and the repurchase model.

Built on the order table of :mod:`insight.journey` (:func:`insight.journey.order_table`,
cached within ``journey.order_cache()``).  Everything is vectorized over orders and
customers; the only Python loops run over a handful of groups or terms.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight import _events as _ev
from insight import stats as _stats
from insight.journey import (_NAT, _NS_DAY, _as_of, _first_rows, _late, _need, _ns,
                             _search_customer_time, order_table)

FIRST_EXPERIENCES: tuple[str, ...] = ("on_time", "late", "complaint_resolved", "complaint_unresolved", "return")


# --------------------------------------------------------------------------- cohorts
def _jalali_month_index(ns: np.ndarray) -> np.ndarray:
    """Jalali year*12 + (month-1) for int64 ns timestamps (calendar arithmetic once per day)."""
    from insight.dates import gregorian_to_jalali

    # the calendar arithmetic runs once per day of the covered range (a few thousand),
    # then each timestamp takes its day's value (no sort of the timestamps)
    day = ns // _NS_DAY
    d0 = int(day.min()) if len(day) else 0
    inv = day                                 # (in place: one 0.5M-row array less)
    inv -= d0
    u = np.arange(d0, d0 + (int(inv.max()) + 1 if len(inv) else 0))
    if len(u) > 4 * len(day) + 1024:  # very sparse over a long range: the distinct days
        u, inv = np.unique(inv + d0, return_inverse=True)
    d = u.astype("datetime64[D]")
    gy = d.astype("datetime64[Y]").astype(np.int64) + 1970
    gm = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    gd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    jy, jm, _ = gregorian_to_jalali(gy, gm, gd)
    return (np.asarray(jy, np.int64) * 12 + np.asarray(jm, np.int64) - 1)[inv]


def _month_index(ns: np.ndarray, calendar: str) -> np.ndarray:
    if calendar == "jalali":
        return _jalali_month_index(ns)
    if calendar == "gregorian":
        m = ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
        return m + 1970 * 12
    raise ValueError(f"calendar must be 'jalali' or 'gregorian', not {calendar!r}")


def cohorts(orders: pd.DataFrame, period: str = "month", calendar: str = "jalali", *,
            conf: float = 0.95) -> pd.DataFrame:
    """Retention by cohort (the period of the customer's first order).

    Tidy: one row per (cohort, offset) with cohort_size, active (customers of
    the cohort ordering in period cohort+offset), retention = active /
    cohort_size with a Wilson CI.  Labels are "1402-01" (Jalali) or "2024-01".
    Periods: "month" or "quarter".  Use :func:`retention_matrix` for the
    cohort x offset matrix.
    """
    if period not in ("month", "quarter"):
        raise ValueError("period must be 'month' or 'quarter'")
    ot = order_table(orders)
    if len(ot.date) == 0:
        return pd.DataFrame(columns=["cohort", "offset", "cohort_size", "active", "retention", "ci_low", "ci_high"])
    mi = _month_index(ot.date, calendar)
    if period == "quarter":
        mi = (mi // 12) * 4 + (mi % 12) // 3
        per_year = 4
    else:
        per_year = 12
    # the order table is sorted by customer, then date, and the period index grows with
    # the date: a customer's first row holds its first period, and the distinct
    # (customer, period) pairs are the rows where either changes (no sort, no hash)
    first = np.full(ot.n_customers, np.iinfo(np.int64).max)
    head = _first_rows(ot)
    first[ot.cust[head]] = mi[head]
    pmin = first.min()
    nper = int(mi.max() - pmin + 1)
    new = np.r_[True, (ot.cust[1:] != ot.cust[:-1]) | (mi[1:] != mi[:-1])]
    c_of = ot.cust[new]
    p_of = mi[new]
    ck = first[c_of] - pmin
    ok_ = p_of - first[c_of]
    active = np.bincount(ck * nper + ok_, minlength=nper * nper).reshape(nper, nper)
    size = np.bincount(first - pmin, minlength=nper)
    ci, last_p = np.triu_indices(nper)  # observable: cohort + offset <= last period
    oi = last_p - ci
    valid = size[ci] > 0
    ci, oi = ci[valid], oi[valid]
    a = active[ci, oi]
    n = size[ci]
    lo, hi = _stats.wilson_ci(a, n, alpha=1 - conf)
    cabs = ci + pmin
    if per_year == 12:
        lab = [f"{y}-{m + 1:02d}" for y, m in zip(cabs // 12, cabs % 12)]
    else:
        lab = [f"{y}-Q{q + 1}" for y, q in zip(cabs // 4, cabs % 4)]
    out = pd.DataFrame({"cohort": pd.array(lab, dtype="str"), "offset": oi.astype(np.int64),
                        "cohort_size": n.astype(np.int64), "active": a.astype(np.int64),
                        "retention": a / n, "ci_low": lo, "ci_high": hi})
    out.attrs.update(period=period, calendar=calendar)
    if pd.Index(lab).is_monotonic_increasing:   # (4-digit years: rows already in label order)
        return out
    return out.sort_values(["cohort", "offset"], kind="stable").reset_index(drop=True)


def retention_matrix(cohort_table: pd.DataFrame, value: str = "retention") -> pd.DataFrame:
    """Cohort x offset matrix of ``value`` from :func:`cohorts`."""
    return cohort_table.pivot(index="cohort", columns="offset", values=value)


# --------------------------------------------------------------------------- first experience
#: experience categories in code order (``first_experience``'s categorical)
_EXPERIENCE_CATS = list(FIRST_EXPERIENCES) + ["unknown"]


def _first_experience(ds, as_of) -> dict:
    """The arrays behind :func:`first_experience`, one value per customer of the order
    table (``ot.customers`` order): ``code`` (into ``_EXPERIENCE_CATS``), fdate, ndate
    (int64 ns, NaT = int64 min), late (-1 unknown), complaint, resolved, unresolved,
    returned, fval; plus ``ot`` and ``asof``."""
    ot = order_table(ds.orders)
    asof = _as_of(ds, as_of)
    f = _first_rows(ot)
    nc = ot.n_customers
    fc = ot.cust[f]
    if len(fc) == nc and (fc == np.arange(nc)).all():   # one first order per customer, in code order
        fdate, ndate, late, fval = ot.date[f], ot.next_date[f], _late(ot)[f], ot.value[f]
    else:                                               # (e.g. orders without a customer id)
        fdate = np.full(nc, _NAT)
        fdate[fc] = ot.date[f]
        ndate = np.full(nc, _NAT)
        ndate[fc] = ot.next_date[f]
        late = np.full(nc, -1, np.int8)
        late[fc] = _late(ot)[f]
        fval = np.zeros(nc)
        fval[fc] = ot.value[f]
    window_end = np.where(ndate == _NAT, asof, ndate)

    # ids of the returns and complaints, looked up in batches (OrderTable.lookup: short
    # ids matched on their bytes, else one hash per index; results kept with the table,
    # e.g. from the event log): customer ids among the customers, order ids among the
    # orders; a row is tied to a first order when its order's seq is 0
    frames = {k: df for k, df in (("returns", ds.returns), ("complaints", ds.complaints)) if df is not None}
    with_c = [k for k, df in frames.items() if "customer_id" in df.columns]
    with_o = [k for k, df in frames.items() if "order_id" in df.columns]
    cpos = dict(zip(with_c, ot.lookup([frames[k]["customer_id"] for k in with_c], "customer_id")))
    opos = dict(zip(with_o, ot.lookup([frames[k]["order_id"] for k in with_o], "order_id") if with_o else []))

    def flag(k, date_col):
        """Per customer: any row in [first order, next order) or tied to the first order.
        Also the rows counted and each row's customer (a row tied to a first order
        belongs to that order's customer)."""
        hit = np.zeros(nc, bool)
        if k not in frames or date_col not in frames[k].columns:
            return hit, None, None
        df = frames[k]
        c = _own_customer(df, cpos.get(k), ot)
        t = _ns(df[date_col])
        c0 = np.maximum(c, 0)
        inwin = (c >= 0) & (t >= fdate[c0]) & (t < window_end[c0])
        if k in opos:
            oi = np.maximum(opos[k], 0)
            tied = (opos[k] >= 0) & (ot.seq[oi] == 0)
            inwin = inwin | tied
            c = np.where(tied, ot.cust[oi], c)
        hit[c[inwin]] = True
        return hit, inwin, c

    returned, _, _ = flag("returns", "return_date")
    complaint, cm, cc = flag("complaints", "opened_at")
    resolved = np.zeros(nc, bool)
    unresolved = np.zeros(nc, bool)
    if cm is not None and "resolved_at" in ds.complaints.columns:
        r = _ns(ds.complaints["resolved_at"])
        isres = (r != _NAT) & (r <= asof)
        unresolved[cc[cm & ~isres]] = True
        resolved[cc[cm & isres]] = True
        resolved &= ~unresolved  # a customer with any unresolved ticket counts as unresolved
    elif cm is not None:
        unresolved = complaint.copy()
    # codes into _EXPERIENCE_CATS, in order of precedence
    code = np.select([returned, unresolved, resolved, late == 1, late == 0], [4, 3, 2, 1, 0], 5).astype(np.int8)
    return {"ot": ot, "asof": asof, "code": code, "fdate": fdate, "ndate": ndate, "late": late,
            "complaint": complaint, "resolved": resolved, "unresolved": unresolved, "returned": returned,
            "fval": fval}


def _own_customer(df, c0, ot):
    """Customer code of each row from its customer_id (``c0``, looked up), else via its
    order_id (-1 = unknown)."""
    c = c0 if c0 is not None else np.full(len(df), -1, dtype=np.int64)
    miss = c < 0
    if "order_id" in df.columns and miss.any():
        oi = _lookup_few(df["order_id"][miss], ot.order_index())
        c = c.copy()
        c[miss] = np.where(oi >= 0, ot.cust[np.maximum(oi, 0)], -1)
    return c


def _lookup_few(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each of a few ``values`` in a large unique ``index`` (-1 = absent),
    hashing the few distinct values and probing the index with them (Arrow), instead of
    hashing the ~500k order ids for a thousand look-ups.  Short ids: the index's cached
    byte matcher of :func:`insight._events.lookup` (no hashing at all)."""
    va = getattr(values.array, "_pa_array", None)
    ia = getattr(index.array, "_pa_array", None)
    if (va is None or ia is None or va.type != ia.type or len(values) * 8 > len(index)
            or _ev._short_ids(index) is not None):
        return _ev.lookup(values, index)
    import pyarrow.compute as pc

    u = pc.unique(va)
    u = u.filter(pc.is_valid(u))
    slot = np.asarray(pc.index_in(ia, value_set=u).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    row_of = np.full(len(u) + 1, -1, dtype=np.int64)
    hit = np.flatnonzero(slot >= 0)
    row_of[slot[hit]] = hit                  # index ids are unique: one row per slot
    vs = np.asarray(pc.index_in(va, value_set=u).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return row_of[vs]                        # -1 (null) -> the spare last slot, -1


def _customer_ids(ot) -> pd.Index:
    idx = ot.customer_index()
    return (idx if idx.dtype == "str" else idx.astype("str")).rename("customer_id")


def first_experience(ds, *, as_of=None) -> pd.DataFrame:
    """One row per customer: the first order and its experience.

    ``experience`` (in order of precedence): return (a line of the first order
    returned, or a return before the second order), complaint_unresolved /
    complaint_resolved (a ticket opened between the first and the second
    order, or tied to the first order), late, on_time; "unknown" when the
    order has no delivery information.  Also: first_order_date,
    next_order_date, days_to_next (NaN when none), late, complaint, resolved,
    returned, first_value.
    """
    e = _first_experience(ds, as_of)
    fdate, ndate, late, asof = e["fdate"], e["ndate"], e["late"], e["asof"]
    nat = lambda a: np.where(a == _NAT, np.datetime64("NaT", "ns"), a.astype("datetime64[ns]"))
    out = pd.DataFrame({
        "experience": pd.Categorical.from_codes(e["code"], categories=_EXPERIENCE_CATS),
        "first_order_date": nat(fdate).astype("datetime64[ns]"),
        "next_order_date": nat(ndate).astype("datetime64[ns]"),
        "days_to_next": np.where(ndate == _NAT, np.nan, (ndate - fdate) / _NS_DAY),
        "observed_days": (asof - fdate) / _NS_DAY,
        "late": np.where(late < 0, np.nan, late.astype(float)),
        "complaint": e["complaint"], "resolved": e["resolved"], "unresolved": e["unresolved"],
        "returned": e["returned"], "first_value": e["fval"],
    }, index=_customer_ids(e["ot"]))
    out.attrs["as_of"] = pd.Timestamp(asof)
    return out


@dataclass(frozen=True, eq=False)
class SurvivalResult:
    """Kaplan-Meier curves per group: ``curves`` (group, days, survival, ci_low,
    ci_high, at_risk), ``summary`` (group, n, events, median_days, repurchase
    probability by each horizon with CI), and the log-rank test."""
    curves: pd.DataFrame
    summary: pd.DataFrame
    logrank_chi2: float
    logrank_p: float
    dof: int
    extra: dict = field(default_factory=dict)


def time_to_next_order(ds, by: str = "first_experience", *, horizons=(30, 90, 180),
                       as_of=None, min_group: int = 5) -> SurvivalResult:
    """Kaplan-Meier time from the first order to the second, per first-experience
    group (statsmodels ``SurvfuncRight``), censored at ``as_of``; log-rank test
    across groups (statsmodels ``survdiff``).  Groups smaller than
    ``min_group`` are dropped from the test (they stay in ``summary``).

    ``by="first_experience"`` uses :func:`first_experience`; any other value
    is a column of ``ds.customers`` (e.g. acquisition_channel).
    """
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    e = _first_experience(ds, as_of)
    # groups as integer codes (comparing 200k label strings per group is the slow part)
    if by == "first_experience":
        gcode = e["code"].astype(np.int64)
        labels = list(_EXPERIENCE_CATS)
    else:
        _need(ds.customers, ["customer_id", by], "customers")
        grp = (ds.customers.set_index("customer_id")[by].reindex(_customer_ids(e["ot"]))
               .astype("str").fillna("unknown"))
        gcode, uniq = pd.factorize(grp)
        order = sorted(range(len(uniq)), key=lambda i: uniq[i])
        labels = [uniq[i] for i in order]
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[order] = np.arange(len(uniq))
        gcode = rank[gcode]               # codes in label order
    fdate, ndate = e["fdate"], e["ndate"]
    has_next = ndate != _NAT
    dur = np.where(has_next, (ndate - fdate) / _NS_DAY, (e["asof"] - fdate) / _NS_DAY).astype(float)
    status = has_next.astype(int)
    dur = np.maximum(dur, 1e-9)
    counts = np.bincount(gcode, minlength=len(labels))
    curves, rows = [], []
    z = _norm_quantile(0.5 + 0.95 / 2)         # (_km_ci's default conf, once for all groups)
    for k, lab in enumerate(labels):  # one fit per group (a handful), vectorized inside
        n = int(counts[k])
        if n == 0:
            continue
        m = gcode == k
        sf = SurvfuncRight(dur[m], status[m])
        lo, hi = _km_ci(sf, z=z)
        curves.append((lab, sf.surv_times, sf.surv_prob, lo, hi, sf.n_risk))
        row = {"group": lab, "n": n, "events": int(status[m].sum())}
        try:
            row["median_days"] = float(sf.quantile(0.5))
        except Exception:
            row["median_days"] = np.nan
        for h in horizons:
            i = np.searchsorted(sf.surv_times, h, side="right") - 1
            s, l, u = (1.0, 1.0, 1.0) if i < 0 else (sf.surv_prob[i], lo[i], hi[i])
            row[f"repurchase_{h}d"] = 1 - s
            row[f"repurchase_{h}d_ci_low"] = 1 - u
            row[f"repurchase_{h}d_ci_high"] = 1 - l
        rows.append(row)
    summary = pd.DataFrame(rows)
    big = summary.loc[summary["n"] >= min_group, "group"].tolist() if len(summary) else []
    chi2, p, dof = np.nan, np.nan, 0
    if len(big) >= 2:
        # group codes ranked as the labels sort: survdiff orders its groups by np.unique,
        # so codes give the same reference group and the same arithmetic as the strings
        rank = np.full(len(labels), -1, dtype=np.int64)
        rank[[labels.index(b_) for b_ in sorted(big)]] = np.arange(len(big))
        gr = rank[gcode]
        m = gr >= 0
        if status[m].sum() > 0:
            chi2, p = survdiff(dur[m], status[m], gr[m])
            dof = len(big) - 1
    curves_df = _curves_frame(curves) if curves else pd.DataFrame(
        columns=["group", "days", "survival", "ci_low", "ci_high", "at_risk"])
    return SurvivalResult(curves_df, summary, float(chi2), float(p), dof, {"by": by, "as_of": pd.Timestamp(e["asof"])})


def _curves_frame(curves) -> pd.DataFrame:
    """The per-group curves ``(label, days, survival, ci_low, ci_high, at_risk)`` as one
    frame (what concatenating one frame per group gives, without building them)."""
    cols = list(zip(*curves))
    lens = [len(d) for d in cols[1]]
    return pd.DataFrame({
        "group": pd.array(np.repeat(np.array(cols[0], dtype=object), lens), dtype="str"),
        **{name: np.concatenate(v) for name, v in zip(("days", "survival", "ci_low", "ci_high", "at_risk"), cols[1:])}})


def _norm_quantile(q: float) -> float:
    from scipy.stats import norm

    return norm.ppf(q)


def _km_ci(sf, conf: float = 0.95, z: float | None = None):
    """Pointwise log(-log) CI of a Kaplan-Meier curve from Greenwood's SE (``z``: the
    normal quantile of ``conf``, when already known: scipy's ppf costs ~1 ms a call)."""
    if z is None:
        z = _norm_quantile(0.5 + conf / 2)
    s = np.asarray(sf.surv_prob, float)
    se = np.asarray(sf.surv_prob_se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.log(-np.log(s))
        se_ll = se / (s * np.abs(np.log(s)))
        lo = np.exp(-np.exp(ll + z * se_ll))
        hi = np.exp(-np.exp(ll - z * se_ll))
    lo = np.where(np.isfinite(lo), lo, s)
    hi = np.where(np.isfinite(hi), hi, s)
    return np.clip(lo, 0, 1), np.clip(hi, 0, 1)


# --------------------------------------------------------------------------- repurchase model
@dataclass(frozen=True, eq=False)
class RepurchaseModel:
    """Logistic regression of repurchase within ``days`` on experience flags.

    ``table``: term, odds_ratio, ci_low, ci_high, p_value, coef, se.
    ``data``: the order-level design (one row per observed order).
    """
    table: pd.DataFrame
    days: int
    n: int
    events: int
    data: pd.DataFrame = field(repr=False)
    result: object = field(repr=False, default=None)


EXPERIENCE_TERMS = ("late", "complaint", "slow_resolution", "unresolved", "returned")


def order_experience(ds, *, days: int = 90, as_of=None, slow_hours: float = 24.0) -> pd.DataFrame:
    """One row per order: customer_id, order_date, late (0/1, NaN unknown),
    complaint (a ticket with the order's id, else attached to the customer's
    latest order at or before the ticket), slow_resolution (resolved, but more
    than ``slow_hours`` after opening), unresolved (still unresolved at as_of;
    a customer with both counts as unresolved), returned, first (first order),
    order_number,
    value, repurchased (next order within ``days``), observed (the whole
    window is before ``as_of``)."""
    ot = order_table(ds.orders)
    asof = _as_of(ds, as_of)
    n = len(ot.date)
    late = _late(ot)
    oidx = ot.order_index()
    # the order ids of complaints and returns, looked up in one batch
    frames = [df for df in (ds.complaints, ds.returns) if df is not None and "order_id" in df.columns]
    looked = dict(zip(map(id, frames), ot.lookup([df["order_id"] for df in frames], "order_id")))

    def per_order(df, date_col, resolved_col=None):
        hit = np.zeros(n, bool)
        unres = np.zeros(n, bool)
        slow = np.zeros(n, bool)
        if df is None or date_col not in df.columns:
            return hit, unres, slow
        t = _ns(df[date_col])
        oi = looked[id(df)] if id(df) in looked else np.full(len(df), -1)
        miss = oi < 0
        if miss.any():  # attach to the customer's latest order at or before the event
            # customer of the rows without a known order (their order id finds nothing)
            c = np.full(len(df), -1, dtype=np.int64)
            if "customer_id" in df.columns:
                c[miss] = _ev.lookup(df["customer_id"][miss], ot.customer_index())
            okc = miss & (c >= 0) & (t != _NAT)
            # orders are sorted by (customer, date): search (customer, t) in that order
            pos = _search_customer_time(ot.cust, ot.date, c[okc], t[okc])
            good = pos >= 0
            tmp = np.full(okc.sum(), -1)
            tmp[good] = pos[good]
            oi = oi.copy()
            oi[np.flatnonzero(okc)] = tmp
        m = oi >= 0
        hit[oi[m]] = True
        if resolved_col is not None and resolved_col in df.columns:
            r = _ns(df[resolved_col])
            ur = m & ((r == _NAT) | (r > asof))
            unres[oi[ur]] = True
            sl = m & ~ur & (r - t > slow_hours * 3600 * 10 ** 9)
            slow[oi[sl]] = True
        elif resolved_col is not None:
            unres = hit.copy()
        return hit, unres, slow

    comp, unres, slow = per_order(ds.complaints, "opened_at", "resolved_at")
    slow &= ~unres
    ret, _, _ = per_order(ds.returns, "return_date")
    gap = np.where(ot.next_date == _NAT, np.inf, (ot.next_date - ot.date) / _NS_DAY)
    out = pd.DataFrame({
        "order_id": _str_array(oidx, None),
        "customer_id": _str_array(ot.customer_index(), ot.cust),
        "order_date": ot.date.astype("datetime64[ns]"),
        "late": np.where(late < 0, np.nan, late.astype(float)),
        "complaint": comp.astype(float), "slow_resolution": slow.astype(float),
        "unresolved": unres.astype(float), "returned": ret.astype(float),
        "first": (ot.seq == 0).astype(float), "order_number": ot.seq + 1, "value": ot.value,
        "repurchased": (gap <= days).astype(float),
        "observed": (ot.date + days * _NS_DAY) <= asof,
    })
    out.attrs.update(days=days, as_of=pd.Timestamp(asof))
    return out


def _str_array(idx: pd.Index, take: np.ndarray | None):
    """``idx`` values (optionally taken at ``take``) as a str array, straight from the
    Arrow-backed index (no Python strings made)."""
    arr = idx.array if take is None else idx.array.take(take)
    return arr if arr.dtype == "str" else pd.array(np.asarray(arr, dtype=object), dtype="str")


ORDER_NUMBER_BINS = (("order_2", 1, 1), ("order_3_4", 2, 3), ("order_5_8", 4, 7), ("order_9_plus", 8, 10 ** 9))


def repurchase_model(ds, *, days: int = 90, terms=EXPERIENCE_TERMS, first_only: bool = False,
                     adjust_order_number: bool = True, as_of=None, conf: float = 0.95) -> RepurchaseModel:
    """Logistic regression (statsmodels GLM, binomial) of "ordered again within
    ``days``" on order experience flags, over orders whose window is fully
    observed (and with known delivery when ``late`` is a term).

    All terms are 0/1, so the fit runs on the distinct covariate patterns with
    their success/trial counts (identical estimates, far faster than one row
    per order).  Standard errors assume independent orders; with many orders per
    customer they are optimistic -- use ``first_only=True`` for one order per
    customer.  ``adjust_order_number`` adds dummies for the order's rank in the
    customer's history (2nd, 3rd-4th, 5th-8th, 9th+; 1st = reference): frequent
    buyers repurchase more and their orders are a different mix, so without it
    the experience odds ratios are confounded.  Returns odds ratios with CIs
    and Wald p-values.
    """
    import statsmodels.api as sm

    d = order_experience(ds, days=days, as_of=as_of)
    terms = [t for t in terms if t in d.columns]
    m = d["observed"].to_numpy().copy()
    if first_only:
        m &= d["first"].to_numpy() == 1
    X = d.loc[m, terms]
    if adjust_order_number and not first_only:
        seq = d.loc[m, "order_number"].to_numpy() - 1
        for name, lo, hi in ORDER_NUMBER_BINS:
            X = X.assign(**{name: ((seq >= lo) & (seq <= hi)).astype(float)})
    keep = X.notna().all(axis=1).to_numpy()
    X = X.loc[keep]
    y = d["repurchased"].to_numpy()[m][keep]
    var = [t for t in X.columns if X[t].nunique() > 1]
    if len(X) == 0:
        raise ValueError("no orders with a fully observed repurchase window")
    Xi = X[var].to_numpy(dtype=np.int64) if var else np.zeros((len(X), 0), np.int64)
    code = (Xi * (1 << np.arange(len(var)))).sum(axis=1) if var else np.zeros(len(X), np.int64)
    u, inv = np.unique(code, return_inverse=True)
    succ = np.bincount(inv, weights=y, minlength=len(u))
    tri = np.bincount(inv, minlength=len(u)).astype(float)
    Xu = ((u[:, None] >> np.arange(len(var))) & 1).astype(float) if var else np.zeros((len(u), 0))
    exog = sm.add_constant(pd.DataFrame(Xu, columns=var), has_constant="add")
    res = sm.GLM(np.column_stack([succ, tri - succ]), exog, family=sm.families.Binomial()).fit()
    ci = res.conf_int(alpha=1 - conf)
    tab = pd.DataFrame({"term": exog.columns, "coef": res.params.to_numpy(), "se": res.bse.to_numpy(),
                        "odds_ratio": np.exp(res.params.to_numpy()),
                        "ci_low": np.exp(ci.iloc[:, 0].to_numpy()), "ci_high": np.exp(ci.iloc[:, 1].to_numpy()),
                        "p_value": res.pvalues.to_numpy()})
    tab["n_with"] = [int(len(X))] + [int(X[v].sum()) for v in var]
    return RepurchaseModel(tab, days, int(len(X)), int(y.sum()),
                           d.iloc[np.flatnonzero(m)[keep]].reset_index(drop=True), res)
