"""Returns and backorders: which products (or categories) are returned or out of
stock most, with empirical-Bayes shrinkage so small products do not top the list by
chance, funnel-plot control limits, return reasons, and repurchase after a return.

Units: rates are fractions in [0, 1] of order lines; ``n`` is order lines;
windows are calendar days.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from insight import stats as st
from insight._events import (_per_frame, codes, first_of_each, first_per_customer, group_first,
                             lookup_codes, need, next_order_after, order_customers,
                             order_numbers, repurchase_flags)
from insight.stats import ALPHA, RateComparison

__all__ = ["rates", "reasons", "repurchase_after_return"]


def _lines(orders: pd.DataFrame, by: str, products: pd.DataFrame | None) -> pd.DataFrame:
    need(orders, ["order_id", "product_id"], "orders")
    o = orders
    if by not in o.columns:
        if products is not None and by in products.columns:
            o = o.merge(products[["product_id", by]].drop_duplicates("product_id"), on="product_id",
                        how="left")
        else:
            raise KeyError(f"orders have no {by!r} column (pass products= to look it up)")
    return o


def _pairs(o: pd.DataFrame, fac, status_is):
    """Lines that count for return rates: not cancelled/backordered, each (order_id,
    product_id) pair once, at its first line.  Returns those rows, their pair keys
    ``(order code + 1) * span + (product code + 1)`` (missing ids are a value of their own,
    as in drop_duplicates/merge) and ``span``."""
    kept = np.flatnonzero(~status_is("cancelled", "backordered"))
    oc, _ = fac("order_id")
    pc, pu = fac("product_id")
    span = np.int64(len(pu) + 2)
    ok = oc[kept]
    lk = (ok + 1) * span + (pc[kept] + 1)
    first = _first_in_blocks(ok, lk)
    if first is None:
        first = first_of_each(lk)
    return kept[first], lk[first], span


def _first_in_blocks(g: np.ndarray, keys: np.ndarray, max_lag: int = 16) -> np.ndarray | None:
    """``first_of_each(keys)`` when equal keys can only occur within a run of equal,
    non-decreasing ``g`` (the lines of an order, listed together): each line is compared
    with the lines before it in its run, lag by lag (runs are short: a few gathers, no
    sort of all keys).  None when ``g`` decreases somewhere or a run is longer than
    ``max_lag`` + 1 lines."""
    n = len(g)
    if n == 0 or (g[1:] < g[:-1]).any():
        return None
    start = np.empty(n, dtype=bool)              # a run starts here
    start[0] = True
    np.not_equal(g[1:], g[:-1], out=start[1:])
    dup = np.zeros(n, dtype=bool)
    cand = np.flatnonzero(~start)                # lines with j or more lines before them in the run
    for j in range(1, max_lag + 1):
        if not len(cand):
            return np.flatnonzero(~dup)
        dup[cand[keys[cand] == keys[cand - j]]] = True
        cand = cand[~start[cand - j]]
    return None if len(cand) else np.flatnonzero(~dup)


def rates(orders: pd.DataFrame, returns: pd.DataFrame | None = None, by: str = "product_id", *,
          kind: str = "return", products: pd.DataFrame | None = None, alpha: float = ALPHA,
          prior_method: str = "ml", within: str | None = None) -> pd.DataFrame:
    """Return (or backorder) rate per product or category, shrunk and checked against
    funnel limits.

    ``kind="return"``: ``n`` = order lines not cancelled/backordered, ``k`` = those lines
    with a return (matched on order_id + product_id).  ``kind="backorder"``: ``n`` = all
    lines, ``k`` = lines with status ``backordered``.

    Columns: ``<by>, k, n, rate, ci_low, ci_high`` (Wilson), ``shrunk`` (posterior mean
    under a beta prior fitted to all groups by maximum likelihood — empirical Bayes),
    ``pooled`` (all lines), ``limit95_low/high`` and ``limit998_low/high`` (binomial
    funnel limits around the pooled rate), ``flag`` (rate above the 99.8% limit), sorted
    by ``shrunk`` descending.  ``attrs["prior"]`` holds the fitted Beta(a, b).

    ``within`` (e.g. ``"category"``, looked up in ``products`` when the orders lack it):
    compare each group with its own ``within`` group instead of all lines — ``pooled``,
    the funnel limits and the beta prior of the shrinkage are computed per ``within``
    value (so a high-return category does not flag its ordinary products).  The output
    gets a ``<within>`` column (a ``<by>`` seen with several values takes the first
    non-missing one; missing is a group of its own) and ``attrs["prior"]`` is a dict
    ``{within value: Beta(a, b)}``.
    """
    if kind not in ("return", "backorder"):
        raise ValueError(f"kind must be 'return' or 'backorder', got {kind!r}")
    if within is not None and within == by:
        raise ValueError(f"within must differ from by (both {by!r})")
    o = _lines(orders, by, products)
    if within is not None:
        o = _lines(o, within, products)
    # integer codes of the id and label columns (factorized once per frame when ``o`` is
    # the caller's orders frame, see insight._events.codes)
    fac = (lambda c: codes(o, c)) if o is orders else (lambda c: pd.factorize(o[c]))
    def status_is(*values):   # per line: lower-cased status among ``values`` (missing: no)
        if "status" not in o.columns:
            return np.zeros(len(o), bool)
        sc, su = fac("status")
        return np.append(np.asarray(pd.Index(su).astype("str").str.lower().isin(values)), False)[sc]

    if kind == "return":
        need(returns, ["order_id", "product_id"], "returns")
        rows, lk, span = _pairs(o, fac, status_is) if o is not orders else _per_frame(
            orders, "returns.pairs", ["order_id", "product_id", "status"],
            lambda: _pairs(o, fac, status_is))
        _, ou = fac("order_id")
        _, pu = fac("product_id")

        def rcode(col, uniq):   # -1 missing (matches missing), -2 absent from orders
            c = lookup_codes(returns, col, uniq)
            return np.where(c >= 0, c, np.where(returns[col].isna().to_numpy(), -1, -2))
        ro, rp = rcode("order_id", ou), rcode("product_id", pu)
        absent = (ro == -2) | (rp == -2)
        rk = np.sort((ro[~absent] + 1) * span + (rp[~absent] + 1))
        rk = rk[np.r_[True, rk[1:] != rk[:-1]]] if len(rk) else rk
        n_ret = len(rk) + (len(returns.loc[absent, ["order_id", "product_id"]].drop_duplicates())
                           if absent.any() else 0)
        # membership of each pair in the returned ones, checked only for the lines of
        # orders with a return (few): binary search in the sorted returned keys
        has = np.zeros(len(ou) + 1, bool)
        has[ro[~absent]] = True                  # -1 (missing order id) -> spare slot
        cand = np.flatnonzero(has[lk // span - 1])
        hit = np.zeros(len(rows), bool)
        if len(rk):
            at = np.minimum(np.searchsorted(rk, lk[cand]), len(rk) - 1)
            hit[cand] = rk[at] == lk[cand]
        unmatched = n_ret - int(np.count_nonzero(hit))
    else:
        if "status" not in o.columns:
            raise KeyError("orders: status is needed for backorder rates")
        rows = np.arange(len(o))
        hit = status_is("backordered")
        unmatched = 0
    # k and n per ``by`` value by bincount on its codes; the few groups then come out in
    # pandas' groupby order and dtypes
    bc, bu = fac(by)
    gb = bc[rows]
    ok = gb >= 0
    # k: the flagged lines counted (as the float sums of 0/1 flags were), only those gathered
    kg = np.bincount(gb[hit & ok], minlength=len(bu)).astype("float64")
    ng = np.bincount(gb if ok.all() else gb[ok], minlength=len(bu))
    seen = np.flatnonzero(ng > 0)
    g = _group_table(by, pd.Series(bu.take(seen), copy=False).reset_index(drop=True), kg[seen],
                     ng[seen].astype("int64"))
    g["rate"] = g["k"] / g["n"]
    g["ci_low"], g["ci_high"] = st.wilson_ci(g["k"], g["n"], alpha)
    if g.empty:
        return g
    if within is None:
        g["shrunk"], prior = st.shrink(g["k"], g["n"], st.beta_binomial_fit(g["k"], g["n"], prior_method))
        p0 = g["k"].sum() / g["n"].sum()
    else:
        # first non-missing ``within`` of each ``by`` value, in line order
        first_w = group_first(o[within].take(rows[ok]), gb[ok], len(bu))
        first_w.index = bu
        g.insert(1, within, g[by].map(first_w).to_numpy())
        gc, gu = pd.factorize(g[within], use_na_sentinel=False)
        kk, nn = g["k"].to_numpy(float), g["n"].to_numpy(float)
        p0 = (np.bincount(gc, kk, len(gu)) / np.bincount(gc, nn, len(gu)))[gc]
        shrunk, prior = np.empty(len(g)), {}
        for j, w in enumerate(gu):          # one prior per within group (few groups)
            m = gc == j
            prior[w] = st.beta_binomial_fit(kk[m], nn[m], prior_method)
            shrunk[m] = st.shrink(kk[m], nn[m], prior[w])[0]
        g["shrunk"] = shrunk
    g["pooled"] = p0
    g["limit95_low"], g["limit95_high"] = st.funnel_limits(p0, g["n"], 0.95)
    g["limit998_low"], g["limit998_high"] = st.funnel_limits(p0, g["n"], 0.998)
    g["flag"] = g["rate"] > g["limit998_high"]
    g = _by_shrunk(g)
    g.attrs.update(prior=prior, kind=kind, unmatched_returns=unmatched)
    return g


def _group_table(by: str, keys: pd.Series, k: np.ndarray, n: np.ndarray) -> pd.DataFrame:
    """``DataFrame({by: keys, "_k": k, "_n": n}).groupby(by).agg(k=sum, n=sum).reset_index()``
    with ``k`` as int64, for distinct non-missing ``keys``: str and number keys are put in
    their sort order directly (groupby's sorted groups; no groupby machinery for a few
    thousand rows), other dtypes (categorical, ...) go through groupby."""
    if len(keys) and by not in ("k", "n") and (isinstance(keys.dtype, pd.StringDtype)
                                               or keys.dtype.kind in "iuf"):
        order = np.asarray(keys.argsort(kind="stable"))
        return pd.DataFrame({by: keys.take(order).reset_index(drop=True),
                             "k": k[order].astype("int64"), "n": n[order]})
    small = pd.DataFrame({by: keys, "_k": k, "_n": n})
    g = small.groupby(by, observed=True).agg(k=("_k", "sum"), n=("_n", "sum")).reset_index()
    g["k"] = g["k"].astype("int64")
    return g


def _by_shrunk(g: pd.DataFrame) -> pd.DataFrame:
    """``g.sort_values(["shrunk", "n"], ascending=False, kind="stable")`` with a fresh
    index: one lexsort of the negated keys when ``shrunk`` has no NaN (pandas' multi-key
    sort builds a Categorical per key)."""
    sh = g["shrunk"].to_numpy()
    if sh.dtype == np.float64 and g["n"].dtype == np.int64 and not np.isnan(sh).any():
        return g.take(np.lexsort((-g["n"].to_numpy(), -sh))).reset_index(drop=True)
    return g.sort_values(["shrunk", "n"], ascending=[False, False], kind="stable").reset_index(drop=True)


def reasons(returns: pd.DataFrame, by=None, *, column: str = "reason_code",
            alpha: float = ALPHA) -> pd.DataFrame:
    """Return reasons: ``count``, ``n`` (returns in the group), ``share`` with a Wilson CI,
    most frequent first.  A missing reason is counted as ``"unknown"``."""
    need(returns, [column], "returns")
    groups = [] if by is None else ([by] if isinstance(by, str) else list(by))
    need(returns, groups, "returns")
    w = returns[groups].assign(reason=returns[column].astype("str").where(returns[column].notna(),
                                                                          "unknown"))
    keys = [*groups, "reason"]
    out = w.groupby(keys, observed=True).size().rename("count").reset_index()
    out["n"] = out.groupby(groups)["count"].transform("sum") if groups else out["count"].sum()
    out["share"] = out["count"] / out["n"]
    out["ci_low"], out["ci_high"] = st.wilson_ci(out["count"], out["n"], alpha)
    return out.sort_values([*groups, "count"], ascending=[True] * len(groups) + [False],
                           kind="stable").reset_index(drop=True)


def repurchase_after_return(orders: pd.DataFrame, returns: pd.DataFrame, window_days: int = 90, *,
                            as_of=None, alpha: float = ALPHA) -> RateComparison:
    """Do customers whose first order was (partly) returned order again as often as
    those whose first order was kept?

    Unit: each customer's first order.  Outcome: another order placed strictly after it
    within ``window_days`` days of its order date (same window for both groups); only
    first orders whose window ends before ``as_of`` (default: last order date) count.
    Groups ``returned`` / ``kept``: rates with Wilson CIs, difference (two-proportion z),
    odds ratio (Fisher p).  ``extra["unobserved"]``: first orders too recent to judge.
    """
    need(returns, ["order_id"], "returns")
    need(orders, ["order_id", "customer_id", "order_date"], "orders")
    # per order (code of codes(orders, "order_id")): first order date (the cached
    # order_numbers) and customer code
    _, oids = codes(orders, "order_id")
    od = order_numbers(orders)["order_date"]
    cust = order_customers(orders)
    first = first_per_customer(cust, od)    # each customer's first order (order code)
    ret = np.zeros(len(oids) + 1, bool)
    ret[lookup_codes(returns, "order_id", oids)] = True   # -1 (missing/unknown) -> spare slot
    returned = ret[first]
    at = od[first]
    nxt = next_order_after(orders, cust[first], at)
    rep, observed = repurchase_flags(orders, at, nxt, window_days, as_of)
    r, k = observed & returned, observed & ~returned
    res = st.compare_rates(int((rep & r).sum()), int(r.sum()), int((rep & k).sum()), int(k.sum()),
                           labels=("returned", "kept"), alpha=alpha)
    res.extra.update(unobserved=int((~observed).sum()), window_days=window_days)
    return res
