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
from insight._events import codes, lookup, need, next_order_within, order_level
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
    cols = [by] if within is None else [by, within]
    status = (o["status"].astype("str").str.lower() if "status" in o.columns
              else pd.Series("", index=o.index))
    if kind == "return":
        need(returns, ["order_id", "product_id"], "returns")
        keep = ~status.isin(["cancelled", "backordered"]).to_numpy()
        # (order_id, product_id) pairs as integer keys (ids factorized once per frame);
        # missing ids are a value of their own (as in drop_duplicates/merge)
        oc, ou = codes(o, "order_id") if o is orders else pd.factorize(o["order_id"])
        pc, pu = codes(o, "product_id") if o is orders else pd.factorize(o["product_id"])
        span = np.int64(len(pu) + 2)
        lk = (oc[keep] + 1) * span + (pc[keep] + 1)
        _, first = np.unique(lk, return_index=True)
        first.sort()
        lines = o.loc[keep, cols].iloc[first]

        def rcode(col, uniq):   # -1 missing (matches missing), -2 absent from orders
            c = lookup(returns[col], uniq)
            return np.where(c >= 0, c, np.where(returns[col].isna().to_numpy(), -1, -2))
        ro, rp = rcode("order_id", ou), rcode("product_id", pu)
        absent = (ro == -2) | (rp == -2)
        rk = np.unique((ro[~absent] + 1) * span + (rp[~absent] + 1))
        n_ret = len(rk) + len(returns.loc[absent, ["order_id", "product_id"]].drop_duplicates())
        hit = np.isin(lk[first], rk)
        lines = lines.assign(_k=hit.astype("float64"))
        unmatched = n_ret - int(hit.sum())
    else:
        if "status" not in o.columns:
            raise KeyError("orders: status is needed for backorder rates")
        lines = o[cols].assign(_k=status.eq("backordered").astype("float64"))
        unmatched = 0
    g = lines.dropna(subset=[by]).groupby(by, observed=True)["_k"].agg(k="sum", n="size").reset_index()
    g["k"] = g["k"].astype("int64")
    g["rate"] = g["k"] / g["n"]
    g["ci_low"], g["ci_high"] = st.wilson_ci(g["k"], g["n"], alpha)
    if g.empty:
        return g
    if within is None:
        g["shrunk"], prior = st.shrink(g["k"], g["n"], st.beta_binomial_fit(g["k"], g["n"], prior_method))
        p0 = g["k"].sum() / g["n"].sum()
    else:
        first_w = lines.dropna(subset=[by]).groupby(by, observed=True)[within].first()
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
    g = g.sort_values(["shrunk", "n"], ascending=[False, False], kind="stable").reset_index(drop=True)
    g.attrs.update(prior=prior, kind=kind, unmatched_returns=unmatched)
    return g


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
    o = order_level(orders)
    first = o.sort_values("order_date", kind="stable").drop_duplicates("customer_id")
    first = first.assign(returned=pd.Series(lookup(first["order_id"], pd.Index(pd.unique(returns["order_id"].dropna().astype("str")))) >= 0, index=first.index))
    nx = next_order_within(first[["customer_id", "order_date", "returned"]], orders, window_days,
                           anchor="order_date", as_of=as_of)
    obs = nx[nx["observed"]]
    r, k = obs[obs["returned"]], obs[~obs["returned"]]
    res = st.compare_rates(int(r["repurchased"].sum()), len(r), int(k["repurchased"].sum()), len(k),
                           labels=("returned", "kept"), alpha=alpha)
    res.extra.update(unobserved=int((~nx["observed"]).sum()), window_days=window_days)
    return res
