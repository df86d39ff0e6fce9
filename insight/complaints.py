"""Complaint log analysis: volume over time, time to resolution (Kaplan–Meier),
repeat contacts, satisfaction after the ticket, repurchase after a complaint and
the "silent customers" who had a bad experience but never complained.

Units: durations in hours (or days with ``unit="days"``); rates and shares are
fractions in [0, 1]; counts are tickets; windows are calendar days.  Every rate
carries ``n`` and a Wilson CI, counts an exact Poisson CI.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight import _events as _ev
from insight import stats as st
from insight._events import (_as_dates, codes, group_min_max, lookup, lookup_codes, need,
                             next_order_after, ns_int, order_customers, order_numbers,
                             repurchase_flags)
from insight.metrics import _column_key, _group_ids, _period_codes
from insight.stats import ALPHA, Estimate, RateComparison

__all__ = ["volume", "resolution_time", "ResolutionTime", "repeat_contacts", "csat_after",
           "repurchase_after", "silent_customers", "SilentCustomers",
           "QUOTED_REPURCHASE_RESOLVED", "QUOTED_SILENT_PER_VOICED"]

#: figures our users quote (DOMAIN.md): ~70% of customers whose complaint is resolved
#: buy again; ~26 silent unhappy customers for each complaint heard.
QUOTED_REPURCHASE_RESOLVED = 0.70
QUOTED_SILENT_PER_VOICED = 26.0


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int array, by one sort (numpy 2.5's ``np.unique``
    without ``return_inverse`` takes a hash path that is ~50x slower on 100k int64)."""
    s = np.sort(x)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def _match(frame: pd.DataFrame, col: str, uniques: pd.Index) -> np.ndarray:
    """Position of each ``frame[col]`` id in the orders' ids ``uniques`` (-1: missing or
    absent).  Short ids are matched on their bytes (``insight._events.lookup`` with the
    matcher cached per ``uniques``): the frame's ids are not hashed.  Other ids go through
    the frame's cached codes (``lookup_codes``)."""
    ids = frame[col]
    if _ev._arrow_text(ids) is not None and _ev._short_ids(uniques) is not None:
        return lookup(ids, uniques)
    return lookup_codes(frame, col, uniques)


def _customer_codes(tickets: pd.DataFrame, cids: pd.Index) -> np.ndarray:
    """Each ticket's customer as a position in the orders' customer ids ``cids``."""
    return _match(tickets, "customer_id", cids)


def _max_date(s: pd.Series):
    """``s.max()``; a naive datetime64[ns] column as its int64 view (NaT is int64 min, so
    the plain maximum skips it): no NaT mask and masked copy of 1M dates."""
    if s.dtype != "datetime64[ns]" or not len(s):
        return s.max()
    m = s.to_numpy().view(np.int64).max()
    return pd.NaT if m == _NAT else pd.Timestamp(np.datetime64(int(m), "ns"))


def _groups(df: pd.DataFrame, by, default=()) -> list[str]:
    if by is None:
        return []
    if by == "default":
        return [c for c in default if c in df.columns]
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"group column(s) {missing} not in the complaints table")
    return cols


# ---------------------------------------------------------------- volume

def volume(complaints: pd.DataFrame, by="default", *, period: str | None = "month",
           calendar: str = "jalali", date: str = "opened_at", alpha: float = ALPHA) -> pd.DataFrame:
    """Tickets per period and group (default groups: category and channel, those present).

    Every period × group combination seen anywhere appears (zero counts included, so
    fading themes show).  Columns: ``period, period_start, <groups>, count, count_ci_low,
    count_ci_high`` (exact Poisson), ``total`` (tickets in the period) and ``share`` of the
    period's tickets with a Wilson CI.
    """
    need(complaints, [date], "complaints")
    groups = _groups(complaints, by, ("category", "channel"))
    keys = list(groups)
    if period is None and not groups:
        counts = pd.DataFrame({"count": [len(complaints)]})
        counts["total"] = counts["count"].sum()
    else:
        # count on integer codes: period codes from one label per distinct day, group codes
        # from a sorted factorize (the order groupby(sort=True) gives)
        gkeys = [_column_key(complaints[g]) for g in groups]
        if period is None:
            _, gid, counts = _group_ids(gkeys, np.ones(len(complaints), dtype=bool))
            counts["count"] = np.bincount(gid, minlength=len(counts)).astype("int64")
        else:
            keys = ["period", "period_start", *groups]
            pcode, ptable = _period_codes(complaints[date], period, calendar)
            ok = pcode >= 0
            for code, _ in gkeys:
                ok &= code >= 0
            if groups:
                # every period seen x every group combination seen (zero counts kept)
                rows, gid, combos = _group_ids(gkeys, ok)
                seen = _unique(pcode[rows])
                cell = np.searchsorted(seen, pcode[rows]) * len(combos) + gid
                pos = np.repeat(seen, len(combos))
                ci = np.tile(np.arange(len(combos)), len(seen))
                counts = pd.DataFrame({**{c: ptable[c].array.take(pos) for c in ptable.columns},
                                       **{c: combos[c].array.take(ci) for c in combos.columns},
                                       "count": np.bincount(cell, minlength=len(pos)).astype("int64")})
            else:
                _, gid, counts = _group_ids([(pcode, ptable)], ok)
                counts["count"] = np.bincount(gid, minlength=len(counts)).astype("int64")
            counts = counts.sort_values(["period_start", *groups], kind="stable").reset_index(drop=True)
        if period is not None:
            lab, _ = pd.factorize(counts["period"])
            counts["total"] = np.bincount(lab, weights=counts["count"],
                                          minlength=lab.max() + 1 if len(lab) else 0
                                          )[lab].astype("int64")
        else:
            counts["total"] = counts["count"].sum()
    # the statistics on arrays, the result frame built once
    cnt, tot = counts["count"].to_numpy(), counts["total"].to_numpy()
    c_lo, c_hi = st.poisson_ci(cnt, alpha)
    s_lo, s_hi = st.wilson_ci(cnt, tot, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = cnt / tot
    return pd.DataFrame({**{k: counts[k].array for k in keys}, "count": cnt, "count_ci_low": c_lo,
                         "count_ci_high": c_hi, "total": tot, "share": share, "share_ci_low": s_lo,
                         "share_ci_high": s_hi})


# ---------------------------------------------------------------- resolution time

@dataclass(frozen=True, eq=False)
class ResolutionTime:
    """Kaplan–Meier of time to resolution.

    ``summary``: one row per group (or one row) with ``n`` tickets, ``resolved``,
    ``open`` (censored at ``as_of``), ``median`` and its CI (statsmodels
    ``quantile_ci``, cloglog) in ``unit`` (NaN: not reached / unbounded).  ``table``: the survival curve —
    ``time``, ``open_share`` (probability still unresolved), its pointwise CI,
    ``at_risk``, ``resolved`` at that time.
    """
    summary: pd.DataFrame
    table: pd.DataFrame
    unit: str
    as_of: pd.Timestamp
    excluded: int = 0

    def _one(self, col):
        if len(self.summary) != 1:
            raise ValueError("several groups: read .summary")
        return float(self.summary[col].iloc[0])

    @property
    def median(self) -> float:
        return self._one("median")

    @property
    def ci_low(self) -> float:
        return self._one("ci_low")

    @property
    def ci_high(self) -> float:
        return self._one("ci_high")

    @property
    def n(self) -> int:
        return int(self._one("n"))


def _km(time: np.ndarray, status: np.ndarray, alpha: float):
    from statsmodels.duration.survfunc import SurvfuncRight

    with np.errstate(divide="ignore", invalid="ignore"):
        sf = SurvfuncRight(time, status)
        med = float(sf.quantile(0.5))
        try:
            lo, hi = sf.quantile_ci(0.5, alpha=alpha)
        except Exception:  # too few events for a CI
            lo, hi = np.nan, np.nan
    # an unbounded limit (the band never crosses 0.5) is reported as NaN
    lo, hi = (np.nan if v is None or not np.isfinite(v) else float(v) for v in (lo, hi))
    med = med if np.isfinite(med) else np.nan
    z = st._z(alpha)
    s = np.asarray(sf.surv_prob, dtype="float64")
    se = np.asarray(sf.surv_prob_se, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        # log(-log) pointwise band (Kalbfleisch–Prentice)
        v = se / (s * np.log(s))
        c_lo = s ** np.exp(-z * v)
        c_hi = s ** np.exp(z * v)
    table = pd.DataFrame({"time": sf.surv_times, "open_share": s,
                          "ci_low": np.where(np.isfinite(c_lo), np.minimum(c_lo, c_hi), np.nan),
                          "ci_high": np.where(np.isfinite(c_hi), np.maximum(c_lo, c_hi), np.nan),
                          "at_risk": sf.n_risk.astype("int64"), "resolved": sf.n_events.astype("int64")})
    return (med, lo, hi), table


def resolution_time(complaints: pd.DataFrame, by=None, *, as_of=None, unit: str = "hours",
                    alpha: float = ALPHA) -> ResolutionTime:
    """Time from ``opened_at`` to ``resolved_at`` by Kaplan–Meier (statsmodels ``SurvfuncRight``).

    Open tickets (no ``resolved_at``, or resolved after ``as_of``) are censored at ``as_of``
    (default: the latest opened/resolved timestamp in the table).  Tickets opened after
    ``as_of`` and tickets resolved before they were opened are left out and counted in
    ``excluded``.  ``unit``: ``"hours"`` or ``"days"``.
    """
    need(complaints, ["opened_at", "resolved_at"], "complaints")
    if unit not in ("hours", "days"):
        raise ValueError(f"unit must be 'hours' or 'days', got {unit!r}")
    groups = _groups(complaints, by)
    opened, resolved = complaints["opened_at"], complaints["resolved_at"]
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.concat([opened, resolved]).max()
    done = resolved.notna() & (resolved <= as_of)
    end = resolved.where(done, as_of)
    dur = (end - opened) / pd.Timedelta(hours=1 if unit == "hours" else 24)
    valid = opened.notna() & (opened <= as_of) & (dur >= 0)
    work = complaints.loc[valid, groups].assign(_t=dur[valid], _e=done[valid].astype("int64"))
    if groups:
        work = work.dropna(subset=groups)
    rows, tables = [], []
    parts = work.groupby(groups, observed=True, sort=True) if groups else [((), work)]
    for key, g in parts:  # one KM per group (a handful of categories, not per ticket)
        key = key if isinstance(key, tuple) else (key,)
        (med, lo, hi), tab = _km(g["_t"].to_numpy(), g["_e"].to_numpy(), alpha)
        rows.append(dict(zip(groups, key), n=len(g), resolved=int(g["_e"].sum()),
                         open=int(len(g) - g["_e"].sum()), median=med, ci_low=lo, ci_high=hi,
                         unit=unit))
        tables.append(tab.assign(**dict(zip(groups, key))))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if groups and len(table):
        table = table[[*groups, *[c for c in table.columns if c not in groups]]]
    return ResolutionTime(pd.DataFrame(rows), table, unit, as_of, int((~valid).sum()))


# ---------------------------------------------------------------- repeat contacts

def repeat_contacts(complaints: pd.DataFrame, by=None, *, alpha: float = ALPHA) -> pd.DataFrame:
    """Share of issues that needed more than one contact, and first-contact resolution
    (exactly one contact and resolved), each with a Wilson CI.

    Uses the ``contacts`` column when present (one ticket = one issue; tickets with no
    ``contacts`` value are left out).  Without it, an issue is a (customer_id, order_id)
    pair (or the customer alone when order_id is missing) and its contacts are its
    tickets; it counts as resolved when its last ticket is.  Long format: one row per
    (group, metric) with ``k, n, value, ci_low, ci_high, source``.
    """
    need(complaints, ["ticket_id", "customer_id"], "complaints")
    groups = _groups(complaints, by)
    resolved = (complaints["resolved_at"].notna() if "resolved_at" in complaints.columns
                else pd.Series(False, index=complaints.index))
    if "contacts" in complaints.columns and complaints["contacts"].notna().any():
        issues = complaints[groups].assign(_c=complaints["contacts"], _r=resolved)
        issues = issues[issues["_c"].notna()]
        source = "contacts column"
    else:
        oid = (complaints["order_id"].astype("str").where(complaints["order_id"].notna(), "")
               if "order_id" in complaints.columns else "")
        w = complaints[groups].assign(_cust=complaints["customer_id"], _oid=oid, _r=resolved,
                                      _t=complaints["opened_at"] if "opened_at" in complaints else 0)
        w = w.sort_values("_t", kind="stable")
        agg = {g: (g, "first") for g in groups}
        issues = w.groupby(["_cust", "_oid"], sort=False).agg(
            _c=("_r", "size"), _r=("_r", "last"), **agg).reset_index(drop=True)
        source = "tickets per customer-order"
    issues = issues.assign(_rep=issues["_c"] > 1, _fcr=(issues["_c"] == 1) & issues["_r"])
    if groups:
        issues = issues.dropna(subset=groups)
        agg = issues.groupby(groups, observed=True).agg(
            n=("_c", "size"), repeat=("_rep", "sum"), fcr=("_fcr", "sum")).reset_index()
    else:
        agg = pd.DataFrame({"n": [len(issues)], "repeat": [issues["_rep"].sum()],
                            "fcr": [issues["_fcr"].sum()]})
    long = agg.melt(id_vars=[*groups, "n"], value_vars=["repeat", "fcr"], var_name="metric",
                    value_name="k")
    long["metric"] = long["metric"].map({"repeat": "repeat_contact_share",
                                         "fcr": "first_contact_resolution"})
    long["k"] = long["k"].astype("int64")
    long["value"] = long["k"] / long["n"]
    long["ci_low"], long["ci_high"] = st.wilson_ci(long["k"], long["n"], alpha)
    long["source"] = source
    return long[[*groups, "metric", "k", "n", "value", "ci_low", "ci_high", "source"]]


def csat_after(complaints: pd.DataFrame, by=None, *, period: str | None = None,
               calendar: str = "jalali", scale: int = 5, alpha: float = ALPHA) -> pd.DataFrame:
    """Satisfaction after the ticket (``csat_after``, 1..scale): mean with t CI, n and the
    top-two share, per group and/or period (see :func:`insight.metrics.by`)."""
    from insight import metrics

    need(complaints, ["csat_after"], "complaints")
    return metrics.by(complaints, "csat", column="csat_after", by=by, period=period,
                      date="opened_at", calendar=calendar, scale=scale, alpha=alpha)


# ---------------------------------------------------------------- repurchase

def repurchase_after(complaints: pd.DataFrame, orders: pd.DataFrame, window_days: int = 90, *,
                     as_of=None, alpha: float = ALPHA) -> RateComparison:
    """Do customers buy again after a complaint — resolved versus unresolved?

    Unit: the customer's first complaint in the log.  Window: ``window_days`` days from
    ``opened_at`` for both groups (same start, same length); a repurchase is any order
    placed strictly after the opening within the window.  Only complaints whose whole
    window lies before ``as_of`` (default: the last order date) count.  Resolved means
    ``resolved_at`` is set and not after ``as_of``.

    Returns a :class:`insight.stats.RateComparison` (group ``resolved`` / ``unresolved``):
    rates with Wilson CIs, difference (two-proportion z), odds ratio (Fisher p) and in
    ``extra``: the binomial-test p-value of the resolved rate against the quoted 70%
    (``quoted``, ``p_vs_quoted``) and ``unobserved`` (complaints too recent to judge).
    """
    from scipy.stats import binomtest

    need(complaints, ["customer_id", "opened_at", "resolved_at"], "complaints")
    need(orders, ["customer_id", "order_date"], "orders")
    as_of = pd.Timestamp(as_of) if as_of is not None else _max_date(orders["order_date"])
    # each customer's first ticket (earliest opened_at, missing dates last, ties: first
    # in the log; tickets without a customer count as one customer, as drop_duplicates)
    _, ocu = codes(orders, "customer_id")
    cust_all = (_customer_codes(complaints, ocu) if len(ocu)
                else np.full(len(complaints), -1, dtype=np.int64))
    # who: one number per distinct customer id -- its orders' code, ids not among the
    # orders numbered after those (only their tickets hashed), missing ids one more
    who_all = cust_all
    miss = np.flatnonzero(cust_all < 0)
    if len(miss):
        extra, extra_u = pd.factorize(complaints["customer_id"].iloc[miss])
        who_all = cust_all.copy()
        who_all[miss] = np.where(extra >= 0, len(ocu) + extra, len(ocu) + len(extra_u))
    opened = ns_int(complaints["opened_at"])
    # one stable sort on the times shifted into uint64 so that NaT (int64 min) sorts last:
    # the order of lexsort((opened, opened == NaT)); ties keep log order
    by_time = np.argsort(opened.view(np.uint64) + np.uint64(2**63 - 1), kind="stable")
    who = who_all[by_time]
    # first occurrence of each customer in time order (numbers are bounded: no unique's sort)
    first_pos = np.full(int(who.max(initial=-1)) + 1, len(who), dtype=np.int64)
    np.minimum.at(first_pos, who, np.arange(len(who)))
    rows = by_time[np.sort(first_pos[first_pos < len(who)])]
    # ... their customer codes among the orders' customers, and the next order after it
    cust = cust_all[rows]
    at = opened[rows]
    nxt = next_order_after(orders, cust, at)
    bought, observed = repurchase_flags(orders, at, nxt, window_days, as_of)
    res_t = ns_int(complaints["resolved_at"])[rows]
    resolved = ((res_t != _NAT) & (res_t <= pd.Timestamp(as_of).as_unit("ns").value)
                if pd.notna(as_of) else np.zeros(len(rows), dtype=bool))
    r, u = observed & resolved, observed & ~resolved
    k_r, n_r = int((bought & r).sum()), int(r.sum())
    res = st.compare_rates(k_r, n_r, int((bought & u).sum()), int(u.sum()),
                           labels=("resolved", "unresolved"), alpha=alpha)
    p_q = binomtest(k_r, n_r, QUOTED_REPURCHASE_RESOLVED).pvalue if n_r else float("nan")
    res.extra.update(quoted=QUOTED_REPURCHASE_RESOLVED, p_vs_quoted=float(p_q),
                     unobserved=int((~observed).sum()), window_days=window_days)
    return res


# ---------------------------------------------------------------- silent customers

@dataclass(frozen=True, eq=False)
class SilentCustomers:
    """Customers with a bad operational experience and whether they ever complained.

    ``customers``: one row per such customer (customer_id, first_bad_date, reasons,
    bad_orders, complained).  ``by_reason``: per reason, customers and the silent share
    with a Wilson CI.  ``share``: fraction silent (Wilson CI).  ``ratio``: silent per
    voiced customer (CI mapped from the share's), beside the quoted 26 (``quoted``).
    """
    customers: pd.DataFrame
    by_reason: pd.DataFrame
    share: Estimate
    ratio: Estimate
    quoted: float = QUOTED_SILENT_PER_VOICED
    extra: dict = field(default_factory=dict)


#: bad-experience reasons, in the (alphabetical) order of ``SilentCustomers.by_reason``
REASONS = ("cancelled", "late", "returned")
_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9


def _bad_events(orders: pd.DataFrame, returns: pd.DataFrame | None) -> dict:
    """Bad experiences as integer arrays (one entry per event), on the orders' cached codes.

    ``order``: order code (into ``codes(orders, "order_id")``); ``cust``: the order's
    customer code (into ``codes(orders, "customer_id")``, its first line's with one; -1
    none); ``order_t`` / ``event_t``: int64 ns (NaT = int64 min); ``reason``: index into
    :data:`REASONS`.  Events come as late orders, then cancelled orders, then returned
    orders, each in order code order.  Also
    ``event_dtype``: the dtype the event dates have together (as ``pd.concat`` gives).

    Per order from ``insight._events.order_numbers`` (what ``order_level`` shows): order
    date = earliest line's, promised / delivered = latest line's, cancelled = every line
    cancelled.
    """
    need(orders, ["order_id", "customer_id", "order_date"], "orders")
    _, oids = codes(orders, "order_id")
    no = len(oids)
    num = order_numbers(orders)          # per-order dates and status, as order_level's
    cust = order_customers(orders)
    order_t = num["order_date"]
    parts, dtypes = [], []  # (order codes, event times, reason index)
    if {"promised_date", "delivered_date"} <= set(orders.columns):
        pr, dl = num["promised_date"], num["delivered_date"]
        # delivered on a later calendar day than promised (floor to the day = normalize)
        # -- only possible when delivered after the promise (a NaT delivery, int64 min, never
        # is), so the day division runs on those orders only
        late = np.flatnonzero((pr != _NAT) & (dl > pr))
        late = late[np.floor_divide(dl[late], _DAY_NS) > np.floor_divide(pr[late], _DAY_NS)]
        parts.append((late, dl[late], REASONS.index("late")))
        dtypes.append(orders["delivered_date"].dtype)
    if "status" in orders.columns:
        canc = np.flatnonzero(num["status"] == 1)      # 1: every line cancelled
        parts.append((canc, order_t[canc], REASONS.index("cancelled")))
        dtypes.append(orders["order_date"].dtype)
    if returns is not None and len(returns):
        need(returns, ["order_id", "return_date"], "returns")
        # each return's order code (returns of orders not in the orders table: -1, dropped)
        ro = _match(returns, "order_id", oids)
        ok = ro >= 0
        first_ret = group_min_max(ns_int(returns["return_date"])[ok], ro[ok], no, "min")
        returned = np.flatnonzero(np.bincount(ro[ok], minlength=no) > 0)
        parts.append((returned, first_ret[returned], REASONS.index("returned")))
        dtypes.append(returns["return_date"].dtype)
    if not parts:
        parts, dtypes = [(np.zeros(0, np.int64), np.zeros(0, np.int64), 0)], ["datetime64[ns]"]
    order = np.concatenate([p[0] for p in parts]).astype(np.int64)
    return {"order": order, "cust": cust[order].astype(np.int64), "order_t": order_t[order],
            "event_t": np.concatenate([p[1] for p in parts]).astype(np.int64),
            "reason": np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts]),
            "n_parts": [len(p[0]) for p in parts],
            "event_dtype": pd.concat([pd.Series([], dtype=d) for d in dtypes]).dtype}


def bad_experiences(orders: pd.DataFrame, returns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Order-level bad experiences: ``late`` (delivered on a later calendar day than
    promised; dated at delivery), ``cancelled`` (every line cancelled; dated at the
    order) and ``returned`` (dated at the first return).  Columns: customer_id, order_id,
    order_date, event_date, reason; late, then cancelled orders, then returned orders by
    order_id."""
    ev = _bad_events(orders, returns)
    _, oids = codes(orders, "order_id")
    _, cids = codes(orders, "customer_id")
    rows = np.arange(len(ev["order"]))
    if returns is not None and len(returns):  # returned orders sorted by order_id
        k = ev["n_parts"][-1]
        tail = rows[len(rows) - k:]
        rank = pd.Series(oids.take(ev["order"][tail])).argsort(kind="stable").to_numpy()
        rows = np.concatenate([rows[:len(rows) - k], tail[rank]])
    cust = ev["cust"][rows]
    dtype = ev["event_dtype"]
    out = pd.DataFrame({
        "customer_id": pd.Series(cids.array.take(cust, allow_fill=True)),
        "order_id": pd.Series(oids.array.take(ev["order"][rows])),
        "order_date": _as_dates(ev["order_t"][rows], orders["order_date"]),
        "event_date": _as_dates(ev["event_t"][rows], pd.Series([], dtype=dtype)),
        "reason": pd.Series(pd.array(np.asarray(REASONS, dtype=object)[ev["reason"][rows]],
                                     dtype="str"))})
    return out


def _named(order_ids: pd.Series, ticket_orders: pd.Series) -> np.ndarray:
    """Is each order id among the tickets' (non-missing, as str) order ids?  One Arrow
    ``is_in`` when both are Arrow strings (it hashes the tickets' ids once, duplicates and
    all), else a lookup in their distinct values."""
    va = getattr(order_ids.array, "_pa_array", None)
    ta = getattr(ticket_orders.array, "_pa_array", None)
    if (va is not None and ta is not None and va.type == ta.type
            and (pa.types.is_string(va.type) or pa.types.is_large_string(va.type))):
        try:
            vs = ta.combine_chunks() if isinstance(ta, pa.ChunkedArray) else ta
            hit = pc.is_in(va, value_set=vs, skip_nulls=True)
            return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass  # the general path below
    linked = pd.Index(pd.unique(ticket_orders.dropna().astype("str")))
    return lookup(order_ids, linked) >= 0


def _reason_labels(cust: np.ndarray, reason: np.ndarray, n_customers: int) -> pd.Series:
    """Per customer row: the distinct reasons (names of :data:`REASONS`, which are sorted),
    comma-joined -- via a bit mask per customer, not a Python call per group."""
    mask = np.zeros(n_customers, dtype=np.int64)
    np.bitwise_or.at(mask, cust, np.left_shift(np.int64(1), reason))
    # one label per possible mask (8), taken per customer: no sort, no object array
    labels = [",".join(REASONS[b] for b in range(len(REASONS)) if (m >> b) & 1)
              for m in range(1 << len(REASONS))]
    return pd.Series(pd.array(labels, dtype="str").take(mask))


def silent_customers(orders: pd.DataFrame, complaints: pd.DataFrame | None,
                     returns: pd.DataFrame | None = None, *, window_days: int = 30, as_of=None,
                     alpha: float = ALPHA) -> SilentCustomers:
    """Who had a bad experience (late delivery, cancelled order, return) and never said so?

    A bad order counts as *voiced* when the customer opened a ticket about that order
    (same order_id) or any ticket between the order date and ``window_days`` days after
    the bad event.  A customer is *silent* when none of their bad orders was voiced.
    Only events whose window ends before ``as_of`` (default: the latest date in orders,
    returns and complaints) count.  The silent:voiced ratio is compared with the quoted
    26:1 (a silent share of 26/27 = 96.3%).
    """
    ev = _bad_events(orders, returns)
    comp = complaints if complaints is not None else pd.DataFrame(
        {"customer_id": pd.Series(dtype="str"), "opened_at": pd.Series(dtype="datetime64[ns]")})
    need(comp, ["customer_id", "opened_at"], "complaints")
    dates = [_max_date(orders["order_date"]), _max_date(comp["opened_at"])]
    if returns is not None and "return_date" in returns:
        dates.append(_max_date(returns["return_date"]))
    as_of = pd.Timestamp(as_of) if as_of is not None else max(d for d in dates if pd.notna(d))
    win = pd.Timedelta(days=window_days)
    win_ns = win.value
    keep = (ev["event_t"] != _NAT) & (ev["event_t"] <= pd.Timestamp(as_of).as_unit("ns").value - win_ns)
    order, cust, order_t, event_t, reason = (ev[k][keep] for k in
                                             ("order", "cust", "order_t", "event_t", "reason"))
    _, oids = codes(orders, "order_id")
    _, cids = codes(orders, "customer_id")
    # (1) a ticket naming the order
    if "order_id" in comp.columns and len(order):
        if _ev._arrow_text(comp["order_id"]) is not None and _ev._short_ids(oids) is not None:
            # the tickets' order ids matched to order codes on their bytes (no hashing,
            # no strings of the event orders)
            named = np.zeros(len(oids) + 1, dtype=bool)
            named[lookup(comp["order_id"], oids)] = True    # -1 (none) -> the spare slot
            voiced = named[:-1][order]
        else:
            voiced = _named(pd.Series(oids.array.take(order)), comp["order_id"])
    else:
        voiced = np.zeros(len(order), dtype=bool)
    # (2) any ticket by the customer from the order date until event + window: the
    # customer's first ticket at or after the order date, found by one binary search on
    # (customer, ticket time rank) keys
    q = np.flatnonzero((cust >= 0) & (order_t != _NAT))
    if len(comp) and len(q) and len(cids):
        # tickets' customers as the orders' customer codes (-1: not a customer in orders)
        tc = _customer_codes(comp, cids)
        tt = ns_int(comp["opened_at"])
        ok = (tc >= 0) & (tt != _NAT)
        tc, tt = tc[ok], tt[ok]
        times = _unique(tt)
        r = np.int64(len(times) + 1)
        tkey = np.sort(tc * r + np.searchsorted(times, tt))
        qc = cust[q]
        # first key >= (customer, rank of the first ticket time >= order date): that
        # customer's first ticket since the order, unless the search ran into the next
        # customer's block
        pos = np.searchsorted(tkey, qc * r + np.searchsorted(times, order_t[q], side="left"))
        hit = pos < len(tkey)
        hit[hit] = (tkey[pos[hit]] // r) == qc[hit]
        q, pos = q[hit], pos[hit]
        voiced[q] |= times[tkey[pos] % r] <= event_t[q] + win_ns

    # per customer (sorted by customer_id, as groupby gives): customer codes are bounded
    # by the number of ids, so the distinct ones come from a presence array (no sort)
    ok = cust >= 0
    c_ok = cust[ok]
    seen = np.zeros(len(cids), dtype=bool)
    seen[c_ok] = True
    uc = np.flatnonzero(seen)                 # distinct customer codes, increasing
    names = pd.Series(cids.array.take(uc))
    keys = _ev.short_id_keys(names)           # distinct ids: distinct keys, any sort is stable
    srt = np.argsort(keys) if keys is not None else names.argsort(kind="stable").to_numpy()
    nc = len(uc)
    rank_of = np.full(len(cids), -1, dtype=np.int64)   # customer code -> row (id order)
    rank_of[uc[srt]] = np.arange(nc)
    cr = rank_of[c_ok]
    first_bad = np.full(nc, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_bad, cr, event_t[ok])
    # distinct bad orders per customer: an event's customer is its order's, so the
    # distinct (customer, order) pairs are the distinct orders
    o_seen = np.zeros(max(len(oids), 1), dtype=bool)
    o_seen[order[ok]] = True
    uo = np.flatnonzero(o_seen)
    v_ok = voiced[ok]
    cust_df = pd.DataFrame({
        "customer_id": pd.Series(names.array.take(srt)),
        "first_bad_date": _as_dates(first_bad, pd.Series([], dtype=ev["event_dtype"])),
        "bad_orders": np.bincount(rank_of[order_customers(orders)[uo]], minlength=nc).astype("int64"),
        "complained": np.bincount(cr, weights=v_ok, minlength=nc) > 0})
    cust_df["reasons"] = _reason_labels(cr, reason[ok], nc)
    n = nc
    k_silent = int((~cust_df["complained"]).sum())
    share = st.proportion(k_silent, n, alpha) if n else Estimate(np.nan, np.nan, np.nan, 0, "wilson")
    with np.errstate(divide="ignore", invalid="ignore"):
        to_ratio = lambda p: p / (1 - p) if p < 1 else float("inf")  # noqa: E731
        ratio = Estimate(to_ratio(share.value) if n else np.nan, to_ratio(share.ci_low) if n else np.nan,
                         to_ratio(share.ci_high) if n else np.nan, n, "silent/voiced from Wilson share")
    # per reason: customers with that reason, and those who voiced any event of it
    # (reason, customer) cells: a bincount over all 3 x customers cells (no sort)
    cell = reason[ok] * np.int64(nc) + cr
    size = len(REASONS) * nc
    n_r = (np.bincount(cell, minlength=size) > 0).reshape(len(REASONS), nc).sum(axis=1).astype("int64")
    v_r = (np.bincount(cell, weights=v_ok, minlength=size) > 0).reshape(len(REASONS), nc).sum(axis=1
                                                                                              ).astype("int64")
    present = np.flatnonzero(n_r > 0)
    per = pd.DataFrame({"reason": pd.Series(pd.array(np.asarray(REASONS, dtype=object)[present],
                                                     dtype="str")),
                        "n": n_r[present], "voiced": v_r[present]})
    per["silent"] = per["n"] - per["voiced"]
    per["silent_share"] = per["silent"] / per["n"]
    per["ci_low"], per["ci_high"] = st.wilson_ci(per["silent"], per["n"], alpha)
    return SilentCustomers(cust_df, per, share, ratio,
                           extra=dict(as_of=as_of, window_days=window_days, events=len(order)))
