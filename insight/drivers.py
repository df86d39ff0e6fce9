"""Key driver analysis: which experiences move NPS / ratings the most.

* :func:`build_driver_table` — one row per survey answer or review with the
  experience of the order it is about (the review's order, else the
  customer's latest order at or before the answer): late, days_late,
  delivery_days, complaint, unresolved, returned, log_value, plus any
  ``sentiment_score`` / ``theme_*`` columns the feedback table carries.
  Flags are 1 = the bad experience.
* :func:`relative_weights` — Johnson's (2000) relative weights: the share of
  R^2 each driver carries, robust to correlated drivers, with bootstrap CIs.
* :func:`shapley_r2` — the exact Shapley decomposition of R^2 (LMG), same output.
* :func:`quadrant` — importance x performance ("fix first", "keep up", ...).

Weights are computed from (weighted) correlation matrices; the bootstrap
resamples rows by multinomial counts and gets all replicate moment matrices
with one matrix product, so no Python loop runs over rows.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from insight import stats as _stats
from insight.journey import _NAT, _NS_DAY, _late, _ns, _search_customer_time, order_of_events, order_table

QUADRANTS = {
    "fix first": "اولویت اصلاح",
    "keep up": "حفظ وضعیت",
    "low priority": "اولویت پایین",
    "possible overkill": "سرمایه‌گذاری بیش از نیاز",
}


# --------------------------------------------------------------------------- table
def build_driver_table(ds, target: str = "nps", *, source: str | None = None) -> pd.DataFrame:
    """One row per feedback answer with the target and the experience variables.

    ``target``: "nps", "csat" or "ces" (from ``surveys``) or "rating" (from
    ``reviews``); ``source`` overrides the table.  Rows without the target or
    without a linked order are dropped (their count is in ``attrs["dropped"]``).
    """
    src = source or ("reviews" if target == "rating" else "surveys")
    fb = getattr(ds, src, None)
    if fb is None:
        raise ValueError(f"driver analysis of {target!r} needs the {src} table")
    date_col = {"reviews": "created_at", "surveys": "submitted_at"}[src]
    id_col = {"reviews": "review_id", "surveys": "response_id"}[src]
    for c in (target, date_col):
        if c not in fb.columns:
            raise ValueError(f"{src} needs column {c!r}")
    ot = order_table(ds.orders)
    n_ord = len(ot.date)
    y = fb[target].to_numpy(dtype=float)
    t = _ns(fb[date_col])
    oi = np.full(len(fb), -1, dtype=np.int64)
    if "order_id" in fb.columns:
        oi = ot.order_index().get_indexer(fb["order_id"])
    if "customer_id" in fb.columns:
        miss = (oi < 0) & (t != _NAT)
        c = ot.customer_index().get_indexer(fb["customer_id"].to_numpy()[miss])
        pos = np.full(miss.sum(), -1)
        okc = c >= 0
        pos[okc] = _search_customer_time(ot.cust, ot.date, c[okc], t[miss][okc])
        oi[np.flatnonzero(miss)] = pos
    keep = (oi >= 0) & np.isfinite(y)
    oi_k = oi[keep]

    late = _late(ot)
    days_late = np.where((ot.delivered != _NAT) & (ot.promised != _NAT),
                         np.maximum(ot.delivered // _NS_DAY - ot.promised // _NS_DAY, 0), np.nan)
    deliv_days = np.where(ot.delivered != _NAT, ot.delivered // _NS_DAY - ot.date // _NS_DAY, np.nan)
    # complaints / returns tied to an order (order_id, else latest order at or before the event)

    def per_order(df, dcol, rcol=None):
        hit = np.zeros(n_ord, bool)
        unres = np.zeros(n_ord, bool)
        if df is None or dcol not in df.columns:
            return hit, unres, False
        tt = _ns(df[dcol])
        o = order_of_events(ot, df, tt)
        m = o >= 0
        hit[o[m]] = True
        if rcol is not None:
            r = _ns(df[rcol]) if rcol in df.columns else np.full(len(df), _NAT)
            unres[o[m & (r == _NAT)]] = True
        return hit, unres, True

    comp, unres, has_c = per_order(ds.complaints, "opened_at", "resolved_at")
    ret, _, has_r = per_order(ds.returns, "return_date")
    out = pd.DataFrame({
        id_col: pd.array(fb[id_col].to_numpy()[keep] if id_col in fb.columns else np.arange(keep.sum()).astype(str),
                         dtype="str"),
        "order_id": pd.array(ot.order_id[oi_k], dtype="str"),
        "customer_id": pd.array(ot.customers[ot.cust[oi_k]], dtype="str"),
        target: y[keep],
    })
    if (late >= 0).any():
        lk = late[oi_k]
        out["late"] = np.where(lk < 0, np.nan, lk.astype(float))
        out["days_late"] = days_late[oi_k]
        out["delivery_days"] = deliv_days[oi_k]
    if has_c:
        out["complaint"] = comp[oi_k].astype(float)
        out["unresolved"] = unres[oi_k].astype(float)
    if has_r:
        out["returned"] = ret[oi_k].astype(float)
    if np.isfinite(ot.value).any():
        out["log_value"] = np.log1p(np.maximum(ot.value[oi_k], 0))
    for c in fb.columns:
        if c == "sentiment_score" or c.startswith("theme_"):
            out[c] = pd.to_numeric(fb[c], errors="coerce").to_numpy(dtype=float)[keep]
    out.attrs.update(target=target, source=src, dropped=int((~keep).sum()))
    return out


def default_drivers(table: pd.DataFrame) -> list[str]:
    """The experience columns of a driver table that vary (days_late is left out
    when ``late`` is present: the two carry the same signal)."""
    cand = ["late", "delivery_days", "complaint", "unresolved", "returned", "log_value", "sentiment_score"]
    cand += [c for c in table.columns if c.startswith("theme_")]
    out = [c for c in cand if c in table.columns and table[c].nunique(dropna=True) > 1]
    return out


# --------------------------------------------------------------------------- weights
def _prep(df, target, drivers):
    drivers = list(drivers)
    miss = [c for c in [target, *drivers] if c not in df.columns]
    if miss:
        raise ValueError(f"columns {miss} not in the table")
    if len(drivers) < 1:
        raise ValueError("need at least one driver")
    A = df[[*drivers, target]].to_numpy(dtype=float)
    A = A[np.isfinite(A).all(axis=1)]
    if len(A) <= len(drivers) + 2:
        raise ValueError(f"too few complete rows ({len(A)}) for {len(drivers)} drivers")
    sd = A.std(axis=0)
    const = [d for d, s in zip(drivers, sd[:-1]) if s == 0]
    if const or sd[-1] == 0:
        raise ValueError(f"constant column(s): {const or [target]}")
    return A, drivers


def _corr_from_moments(S: np.ndarray, p1: int) -> np.ndarray:
    """Correlation matrices from stacked raw moments [w, sum x, sum x x^T] (B x ...)."""
    w = S[:, 0]
    mean = S[:, 1:1 + p1] / w[:, None]
    xx = S[:, 1 + p1:].reshape(-1, p1, p1) / w[:, None, None]
    cov = xx - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 1e-300, None))
    return cov / sd[:, :, None] / sd[:, None, :]


def _boot_corrs(A: np.ndarray, n_boot: int, seed: int, max_cells: int = 5_000_000) -> np.ndarray:
    """Correlation matrices of ``n_boot`` bootstrap replicates of the rows of A.

    Small data (n * n_boot <= ``max_cells``): the ordinary bootstrap -- multinomial
    resampling counts W (replicates x rows), all replicate moments as W @ M.
    Large data: the replicate moment sums are drawn from their normal limit
    N(n mean(M), n Cov(M)) (the CLT the bootstrap itself relies on; exact to
    O(1/sqrt(n)) and costs one pass over the rows).
    """
    n, p1 = A.shape
    M = np.concatenate([np.ones((n, 1)), A, (A[:, :, None] * A[:, None, :]).reshape(n, -1)], axis=1)
    rng = np.random.default_rng(seed)
    if n * n_boot > max_cells:
        mu = M.mean(axis=0)
        C = (M.T @ M) / n - np.outer(mu, mu)
        ev, V = np.linalg.eigh(C)
        L = V * np.sqrt(np.clip(ev, 0, None))
        S = n * mu + np.sqrt(n) * rng.standard_normal((n_boot, len(mu))) @ L.T
        S[:, 0] = n
        return _corr_from_moments(S, p1)
    chunk = max(1, min(n_boot, max_cells // max(n, 1)))
    out = []
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        # multinomial resampling counts, one bincount per replicate (loop over replicates only)
        W = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)]).astype(float)
        out.append(W @ M)
        done += b
    return _corr_from_moments(np.concatenate(out), p1)


def _rw_from_corr(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Johnson's raw relative weights and R^2 from correlation matrices (B, p+1, p+1)."""
    Rxx = R[:, :-1, :-1]
    rxy = R[:, :-1, -1]
    ev, V = np.linalg.eigh(Rxx)
    ev = np.clip(ev, 1e-12, None)
    Lam = V @ (np.sqrt(ev)[:, :, None] * np.swapaxes(V, 1, 2))  # Rxx^(1/2)
    beta = np.linalg.solve(Lam, rxy[:, :, None])[:, :, 0]
    raw = (Lam ** 2) @ (beta ** 2)[:, :, None]
    raw = raw[:, :, 0]
    return raw, raw.sum(axis=1)


def _r2_subsets(R: np.ndarray, p: int) -> np.ndarray:
    """R^2 of every subset (bitmask 0..2^p-1) of drivers, for each matrix in R (B, p+1, p+1)."""
    B = R.shape[0]
    r2 = np.zeros((B, 1 << p))
    for k in range(1, p + 1):
        subs = list(combinations(range(p), k))
        idx = np.array(subs)
        Rss = R[:, idx[:, :, None], idx[:, None, :]]           # B, m, k, k
        rs = R[:, idx, p]                                       # B, m, k
        sol = np.linalg.solve(Rss, rs[..., None])[..., 0]
        masks = (1 << idx).sum(axis=1)
        r2[:, masks] = (rs * sol).sum(axis=-1)
    return r2


def _shapley_from_r2(r2: np.ndarray, p: int) -> np.ndarray:
    from math import factorial

    masks = np.arange(1 << p)
    size = np.array([bin(m).count("1") for m in masks])
    out = np.zeros((r2.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        s = size[without]
        w = np.array([factorial(k) * factorial(p - k - 1) / factorial(p) for k in s])
        out[:, j] = ((r2[:, without | (1 << j)] - r2[:, without]) * w).sum(axis=1)
    return out


def _weights_table(A, drivers, point, point_r2, boots, boot_r2, conf, method, target):
    lo_q, hi_q = (1 - conf) / 2, 1 - (1 - conf) / 2
    R = np.corrcoef(A, rowvar=False)
    out = pd.DataFrame({
        "driver": drivers,
        "weight": point,
        "share": point / point_r2,
        "correlation": R[:-1, -1],
        "direction": np.where(R[:-1, -1] >= 0, "+", "-"),
    })
    if boots is not None and len(boots):
        share_b = boots / boot_r2[:, None]
        out["weight_ci_low"] = np.quantile(boots, lo_q, axis=0)
        out["weight_ci_high"] = np.quantile(boots, hi_q, axis=0)
        out["share_ci_low"] = np.quantile(share_b, lo_q, axis=0)
        out["share_ci_high"] = np.quantile(share_b, hi_q, axis=0)
        r2_ci = (float(np.quantile(boot_r2, lo_q)), float(np.quantile(boot_r2, hi_q)))
    else:
        r2_ci = (np.nan, np.nan)
    # OLS coefficients and p-values (statsmodels) for the sign and significance of each driver
    import statsmodels.api as sm

    ols = sm.OLS(A[:, -1], sm.add_constant(A[:, :-1], has_constant="add")).fit()
    out["ols_coef"] = ols.params[1:]
    out["ols_p_value"] = ols.pvalues[1:]
    out["n"] = len(A)
    out = out.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs.update(r2=float(point_r2), r2_ci=r2_ci, method=method, target=target, n=len(A))
    return out


def relative_weights(df: pd.DataFrame, target: str, drivers=None, *, n_boot: int = 200,
                     conf: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Johnson's relative weights of ``drivers`` for ``target``.

    Returns per driver: weight (its part of R^2), share (weight / R^2) with
    bootstrap percentile CIs (``n_boot`` resamples; 0 = none), the simple
    correlation and its sign, the OLS coefficient and p-value, n and rank.
    ``attrs``: r2 and its CI.
    """
    drivers = default_drivers(df) if drivers is None else drivers
    A, drivers = _prep(df, target, drivers)
    R = np.corrcoef(A, rowvar=False)[None]
    raw, r2 = _rw_from_corr(R)
    braw = br2 = None
    if n_boot:
        Rb = _boot_corrs(A, n_boot, seed)
        ok = np.isfinite(Rb).all(axis=(1, 2))
        braw, br2 = _rw_from_corr(Rb[ok])
    return _weights_table(A, drivers, raw[0], r2[0], braw, br2, conf, "relative weights", target)


def shapley_r2(df: pd.DataFrame, target: str, drivers=None, *, n_boot: int = 100,
               conf: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Exact Shapley (LMG) decomposition of R^2; same columns as :func:`relative_weights`.
    Up to 12 drivers (2^p subset regressions on the correlation matrix)."""
    drivers = default_drivers(df) if drivers is None else drivers
    A, drivers = _prep(df, target, drivers)
    p = len(drivers)
    if p > 12:
        raise ValueError("shapley_r2 handles up to 12 drivers; use relative_weights")
    R = np.corrcoef(A, rowvar=False)[None]
    r2 = _r2_subsets(R, p)
    sh = _shapley_from_r2(r2, p)
    bsh = br2 = None
    if n_boot:
        Rb = _boot_corrs(A, n_boot, seed)
        Rb = Rb[np.isfinite(Rb).all(axis=(1, 2))]
        r2b = _r2_subsets(Rb, p)
        bsh, br2 = _shapley_from_r2(r2b, p), r2b[:, -1]
    return _weights_table(A, drivers, sh[0], r2[0, -1], bsh, br2, conf, "shapley r2", target)


# --------------------------------------------------------------------------- quadrant
def performance(table: pd.DataFrame, drivers=None, *, conf: float = 0.95) -> pd.DataFrame:
    """How well each driver is delivered: for 0/1 flags (1 = bad) the share of
    answers *without* the bad experience (Wilson CI); for other columns the mean
    (t CI).  Returns driver, performance, ci_low, ci_high, n, kind."""
    drivers = default_drivers(table) if drivers is None else drivers
    rows = []
    for d in drivers:  # one row per driver (a handful), vectorized inside
        x = table[d].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if len(x) and np.isin(x, (0.0, 1.0)).all():
            k = int((x == 0).sum())
            lo, hi = _stats.wilson_ci(k, len(x), alpha=1 - conf)
            rows.append({"driver": d, "performance": k / len(x), "ci_low": lo, "ci_high": hi,
                         "n": len(x), "kind": "share without the problem"})
        else:
            e = _stats.mean_ci(x, alpha=1 - conf)
            rows.append({"driver": d, "performance": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high,
                         "n": e.n, "kind": "mean"})
    return pd.DataFrame(rows)


def quadrant(importance, performance, *, split: str = "mean") -> pd.DataFrame:
    """Importance x performance table.

    ``importance``: a driver table from :func:`relative_weights` /
    :func:`shapley_r2` (uses ``share``) or a Series driver -> importance;
    ``performance``: :func:`performance` output or a Series driver -> score
    (higher = better; from a :func:`performance` table only the 0/1 problem
    flags are placed when there are any, since shares and means do not share
    a scale).  Cut points are the mean (or median) of each axis.
    Quadrants: fix first (important, poorly delivered), keep up (important,
    well delivered), low priority, possible overkill; ``quadrant_fa`` in Persian.
    """
    imp = (importance.set_index("driver")["share"] if isinstance(importance, pd.DataFrame)
           else pd.Series(importance, dtype=float))
    if isinstance(performance, pd.DataFrame):
        perf_t = performance
        if "kind" in perf_t.columns and perf_t["kind"].eq("share without the problem").any():
            # shares and means are not on one scale: place only the 0/1 problem flags
            perf_t = perf_t[perf_t["kind"].eq("share without the problem")]
        perf = perf_t.set_index("driver")["performance"]
    else:
        perf = pd.Series(performance, dtype=float)
    both = pd.DataFrame({"importance": imp, "performance": perf}).dropna()
    if both.empty:
        raise ValueError("no driver has both importance and performance")
    f = np.median if split == "median" else np.mean
    ci, cp = f(both["importance"]), f(both["performance"])
    hi_i = both["importance"] >= ci
    hi_p = both["performance"] >= cp
    q = np.select([hi_i & ~hi_p, hi_i & hi_p, ~hi_i & ~hi_p], ["fix first", "keep up", "low priority"],
                  "possible overkill")
    both["quadrant"] = q
    both["quadrant_fa"] = pd.Series(q, index=both.index).map(QUADRANTS)
    both.index.name = "driver"
    both.attrs.update(importance_cut=float(ci), performance_cut=float(cp))
    return both.reset_index().sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def key_drivers(ds, target: str = "nps", *, method: str = "relative_weights", n_boot: int = 200,
                seed: int = 0) -> pd.DataFrame:
    """build_driver_table -> weights -> quadrant in one call (the report's table)."""
    tab = build_driver_table(ds, target)
    drv = default_drivers(tab)
    f = relative_weights if method == "relative_weights" else shapley_r2
    w = f(tab, target, drv, n_boot=n_boot, seed=seed)
    q = quadrant(w, performance(tab, drv))
    out = w.merge(q[["driver", "performance", "quadrant", "quadrant_fa"]], on="driver", how="left")
    out.attrs.update(w.attrs)
    return out
