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

from insight import stats as _stats
from insight.journey import (_NAT, _NS_DAY, _as_of, _cust_col, _late, _need, _ns, _search_customer_time,
                             order_table)

FIRST_EXPERIENCES: tuple[str, ...] = ("on_time", "late", "complaint_resolved", "complaint_unresolved", "return")


# --------------------------------------------------------------------------- cohorts
def _jalali_month_index(ns: np.ndarray) -> np.ndarray:
    """Jalali year*12 + (month-1) for int64 ns timestamps (arithmetic on unique days)."""
    from insight.dates import gregorian_to_jalali

    u, inv = np.unique(ns // _NS_DAY, return_inverse=True)
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
    first = np.full(len(ot.customers), np.iinfo(np.int64).max)
    np.minimum.at(first, ot.cust, mi)
    pmin = first.min()
    nper = int(mi.max() - pmin + 1)
    # distinct (customer, period)
    pair = ot.cust * nper + (mi - pmin)
    up = np.unique(pair)
    c_of = up // nper
    p_of = up % nper + pmin
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
    return out.sort_values(["cohort", "offset"], kind="stable").reset_index(drop=True)


def retention_matrix(cohort_table: pd.DataFrame, value: str = "retention") -> pd.DataFrame:
    """Cohort x offset matrix of ``value`` from :func:`cohorts`."""
    return cohort_table.pivot(index="cohort", columns="offset", values=value)


# --------------------------------------------------------------------------- first experience
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
    ot = order_table(ds.orders)
    asof = _as_of(ds, as_of)
    f = ot.seq == 0
    nc = len(ot.customers)
    fc = ot.cust[f]
    fdate = np.full(nc, _NAT)
    fdate[fc] = ot.date[f]
    ndate = np.full(nc, _NAT)
    ndate[fc] = ot.next_date[f]
    late = np.full(nc, -1, np.int8)
    late[fc] = _late(ot)[f]
    fval = np.zeros(nc)
    fval[fc] = ot.value[f]
    first_oid = pd.Index(ot.order_id[f])
    first_cust = fc
    window_end = np.where(ndate == _NAT, asof, ndate)

    def flag(df, date_col):
        """Per customer: any row in [first order, next order) or tied to the first order."""
        hit = np.zeros(nc, bool)
        if df is None or date_col not in df.columns:
            return hit, None
        c = _cust_col(df, ot)
        t = _ns(df[date_col])
        m = c >= 0
        inwin = m & (t >= fdate[np.maximum(c, 0)]) & (t < window_end[np.maximum(c, 0)])
        if "order_id" in df.columns:
            fi = first_oid.get_indexer(df["order_id"])
            tied = fi >= 0
            inwin = inwin | tied
            c = np.where(tied, first_cust[np.maximum(fi, 0)], c)
        hit[c[inwin]] = True
        return hit, inwin

    returned, _ = flag(ds.returns, "return_date")
    complaint, cm = flag(ds.complaints, "opened_at")
    resolved = np.zeros(nc, bool)
    unresolved = np.zeros(nc, bool)
    if cm is not None and "resolved_at" in ds.complaints.columns:
        c = _cust_col(ds.complaints, ot)
        if "order_id" in ds.complaints.columns:
            fi = first_oid.get_indexer(ds.complaints["order_id"])
            c = np.where(fi >= 0, first_cust[np.maximum(fi, 0)], c)
        r = _ns(ds.complaints["resolved_at"])
        isres = (r != _NAT) & (r <= asof)
        unresolved[c[cm & ~isres]] = True
        resolved[c[cm & isres]] = True
        resolved &= ~unresolved  # a customer with any unresolved ticket counts as unresolved
    elif cm is not None:
        unresolved = complaint.copy()
    exp = np.select([returned, unresolved, resolved, late == 1, late == 0],
                    ["return", "complaint_unresolved", "complaint_resolved", "late", "on_time"], "unknown")
    nat = lambda a: np.where(a == _NAT, np.datetime64("NaT", "ns"), a.astype("datetime64[ns]"))
    out = pd.DataFrame({
        "experience": pd.Categorical(exp, categories=list(FIRST_EXPERIENCES) + ["unknown"]),
        "first_order_date": nat(fdate).astype("datetime64[ns]"),
        "next_order_date": nat(ndate).astype("datetime64[ns]"),
        "days_to_next": np.where(ndate == _NAT, np.nan, (ndate - fdate) / _NS_DAY),
        "observed_days": (asof - fdate) / _NS_DAY,
        "late": np.where(late < 0, np.nan, late.astype(float)),
        "complaint": complaint, "resolved": resolved, "unresolved": unresolved, "returned": returned,
        "first_value": fval,
    }, index=pd.Index(ot.customers, name="customer_id").astype("str"))
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

    fe = first_experience(ds, as_of=as_of)
    if by == "first_experience":
        grp = fe["experience"].astype("str")
    else:
        _need(ds.customers, ["customer_id", by], "customers")
        grp = ds.customers.set_index("customer_id")[by].reindex(fe.index).astype("str").fillna("unknown")
    dur = np.where(fe["days_to_next"].notna(), fe["days_to_next"], fe["observed_days"]).astype(float)
    status = fe["days_to_next"].notna().to_numpy().astype(int)
    dur = np.maximum(dur, 1e-9)
    g = grp.to_numpy()
    curves, rows = [], []
    labels = [x for x in (list(FIRST_EXPERIENCES) + ["unknown"] if by == "first_experience"
                          else sorted(pd.unique(g)))]
    for lab in labels:  # one fit per group (a handful), vectorized inside
        m = g == lab
        n = int(m.sum())
        if n == 0:
            continue
        sf = SurvfuncRight(dur[m], status[m])
        lo, hi = _km_ci(sf)
        curves.append(pd.DataFrame({"group": lab, "days": sf.surv_times, "survival": sf.surv_prob,
                                    "ci_low": lo, "ci_high": hi, "at_risk": sf.n_risk}))
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
        m = np.isin(g, big)
        if status[m].sum() > 0:
            chi2, p = survdiff(dur[m], status[m], g[m])
            dof = len(big) - 1
    curves_df = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
        columns=["group", "days", "survival", "ci_low", "ci_high", "at_risk"])
    return SurvivalResult(curves_df, summary, float(chi2), float(p), dof, {"by": by, "as_of": fe.attrs["as_of"]})


def _km_ci(sf, conf: float = 0.95):
    """Pointwise log(-log) CI of a Kaplan-Meier curve from Greenwood's SE."""
    from scipy.stats import norm

    z = norm.ppf(0.5 + conf / 2)
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

    def per_order(df, date_col, resolved_col=None):
        hit = np.zeros(n, bool)
        unres = np.zeros(n, bool)
        slow = np.zeros(n, bool)
        if df is None or date_col not in df.columns:
            return hit, unres, slow
        t = _ns(df[date_col])
        oi = oidx.get_indexer(df["order_id"]) if "order_id" in df.columns else np.full(len(df), -1)
        miss = oi < 0
        if miss.any():  # attach to the customer's latest order at or before the event
            c = _cust_col(df, ot)
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
        "order_id": pd.array(ot.order_id, dtype="str"),
        "customer_id": pd.array(ot.customers[ot.cust], dtype="str"),
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
