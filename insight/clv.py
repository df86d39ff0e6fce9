"""Customer lifetime value: BG/NBD purchase model + Gamma-Gamma spend model.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way")
-------------------------------------------------------------------------
Per customer the sufficient statistics are x (repeat transactions), t_x (time
of the last transaction, from the first) and T (time from the first transaction
to the end of calibration).  The likelihood is the closed form of the paper::

    L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
        + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

evaluated in logs with ``logaddexp`` (no hypergeometric function needed), on the
distinct (x, t_x, T) triples weighted by their counts, and maximised with
L-BFGS-B on log-parameters with the analytic gradient.

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013 note)
-------------------------------------------------------------------------------
Average repeat-transaction value m_x of a customer with x > 0 repeat
transactions: m_x | nu ~ Gamma(p x, nu x) with nu ~ Gamma(q, v).

Time units
----------
``summary_from_orders`` merges the order lines of one customer on one calendar
day into one transaction; ``freq="W"`` measures t_x and T in (fractional)
weeks = days / 7, ``freq="D"`` in days.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import digamma, gammaln, hyp2f1

_UNIT_DAYS = {"D": 1.0, "W": 7.0}
_DAYS_PER_MONTH = 365.25 / 12


# --------------------------------------------------------------------------- summary
def summary_from_orders(orders: pd.DataFrame, calibration_end=None, freq: str = "W",
                        observation_end=None) -> pd.DataFrame:
    """frequency (repeat transactions), recency (t_x), T and monetary_value per customer.

    A transaction is one customer-day (lines of the same day are merged, their
    values summed).  Customers whose first transaction is after
    ``calibration_end`` are left out.  ``monetary_value`` is the mean value of
    the *repeat* transactions (NaN for frequency 0), as the Gamma-Gamma model
    expects; ``first_value`` is the value of the first transaction.  When
    transactions exist after ``calibration_end`` (up to ``observation_end``),
    ``frequency_holdout`` and ``duration_holdout`` are added.
    """
    if freq not in _UNIT_DAYS:
        raise ValueError(f"freq must be one of {sorted(_UNIT_DAYS)}, not {freq!r}")
    for c in ("customer_id", "order_date"):
        if c not in orders.columns:
            raise ValueError(f"orders needs column {c!r}")
    o = orders
    if "status" in o.columns:
        keep = ~o["status"].astype("str").str.lower().eq("cancelled").to_numpy()
        if not keep.all():
            o = o.loc[keep]
    unit = _UNIT_DAYS[freq]
    day = o["order_date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    if "quantity" in o.columns and "unit_price" in o.columns:
        val = np.nan_to_num(o["quantity"].to_numpy(dtype=float) * o["unit_price"].to_numpy(dtype=float))
    elif "value" in o.columns:
        val = np.nan_to_num(o["value"].to_numpy(dtype=float))
    else:
        val = np.zeros(len(o))
    cal_end = (day.max() if calibration_end is None
               else np.datetime64(pd.Timestamp(calibration_end), "D").astype(np.int64))
    obs_end = (day.max() if observation_end is None
               else np.datetime64(pd.Timestamp(observation_end), "D").astype(np.int64))
    keep = day <= max(obs_end, cal_end)
    ccode, cust = pd.factorize(o["customer_id"].to_numpy()[keep] if not keep.all() else o["customer_id"], sort=True)
    day, val = day[keep], val[keep]
    nc = len(cust)
    d0 = day.min() if len(day) else 0
    span = int(day.max() - d0 + 1) if len(day) else 1
    key = ccode.astype(np.int64) * span + (day - d0)
    ukey, inv = np.unique(key, return_inverse=True)  # sorted: by customer, then day
    tval = np.bincount(inv, weights=val, minlength=len(ukey))
    tc = ukey // span
    tday = ukey % span + d0
    first_pos = np.flatnonzero(np.r_[True, tc[1:] != tc[:-1]])
    first_day = np.empty(nc, dtype=np.int64)
    first_day[tc[first_pos]] = tday[first_pos]
    cal = tday <= cal_end
    # calibration statistics
    n_cal = np.bincount(tc[cal], minlength=nc)
    last_cal = np.full(nc, np.iinfo(np.int64).min)
    np.maximum.at(last_cal, tc[cal], tday[cal])
    is_first = np.zeros(len(tc), dtype=bool)
    is_first[first_pos] = True
    rep = cal & ~is_first
    rep_val = np.bincount(tc[rep], weights=tval[rep], minlength=nc)
    first_val = np.zeros(nc)
    first_val[tc[first_pos]] = tval[first_pos]
    x = np.maximum(n_cal - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mval = np.where(x > 0, rep_val / np.maximum(x, 1), np.nan)
    out = pd.DataFrame({
        "frequency": x.astype(float),
        "recency": (last_cal - first_day) / unit,
        "T": (cal_end - first_day) / unit,
        "monetary_value": mval,
        "first_value": first_val,
    }, index=pd.Index(np.asarray(cust, dtype=object), name="customer_id").astype("str"))
    inside = n_cal > 0
    if obs_end > cal_end:
        hold = ~cal
        out["frequency_holdout"] = np.bincount(tc[hold], minlength=nc).astype(float)
        out["duration_holdout"] = (obs_end - cal_end) / unit
    out = out.loc[inside]
    out.attrs.update(freq=freq, calibration_end=pd.Timestamp(np.datetime64(int(cal_end), "D")),
                     observation_end=pd.Timestamp(np.datetime64(int(max(obs_end, cal_end)), "D")))
    return out


# --------------------------------------------------------------------------- BG/NBD
@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n: int
    freq: str = "W"

    def as_array(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])


def _compress(x, tx, T, w=None):
    """Distinct (x, tx, T) rows with weights (sufficient statistics)."""
    arr = np.column_stack([x, tx, T])
    if len(arr) == 0 or not np.isfinite(arr).all():
        u, inv = np.unique(arr, axis=0, return_inverse=True)
        ww = np.bincount(inv.ravel(), weights=w, minlength=len(u))
        return u[:, 0], u[:, 1], u[:, 2], ww
    # rows sorted by (x, tx, T) with one lexsort (what np.unique(axis=0) returns, ~5x faster)
    srt = np.lexsort((arr[:, 2], arr[:, 1], arr[:, 0]))
    a = arr[srt]
    new = np.r_[True, (a[1:] != a[:-1]).any(axis=1)]
    inv = np.empty(len(a), dtype=np.int64)
    inv[srt] = np.cumsum(new) - 1
    u = a[new]
    ww = np.bincount(inv, weights=w, minlength=len(u))
    return u[:, 0], u[:, 1], u[:, 2], ww


def _bgnbd_ll_grad(logp, x, tx, T, w):
    r, alpha, a, b = np.exp(logp)
    pos = x > 0
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    lT = np.log(alpha + T)
    ltx = np.log(alpha + tx)
    A3 = -(r + x) * lT
    bx1 = np.where(pos, b + x - 1, 1.0)
    A4 = np.where(pos, np.log(a) - np.log(bx1) - (r + x) * ltx, -np.inf)
    lse = np.logaddexp(A3, A4)
    ll = A1 + A2 + lse
    w3 = np.exp(A3 - lse)
    w4 = np.exp(A4 - lse)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * lT - w4 * ltx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    dab = digamma(a + b) - digamma(a + b + x)
    d_a = dab + w4 / a
    d_b = dab + digamma(b + x) - digamma(b) - w4 / bx1
    grad = np.array([(w * d_r).sum() * r, (w * d_alpha).sum() * alpha,
                     (w * d_a).sum() * a, (w * d_b).sum() * b])
    return float((w * ll).sum()), grad


def bgnbd_loglik(params, summary: pd.DataFrame) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood for (r, alpha, a, b)."""
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    r, alpha, a, b = (params.as_array() if isinstance(params, BGNBDParams) else np.asarray(params, float))
    pos = x > 0
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.where(pos, np.log(a) - np.log(np.where(pos, b + x - 1, 1.0)) - (r + x) * np.log(alpha + tx), -np.inf)
    return A1 + A2 + np.logaddexp(A3, A4)


def _check_summary(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    for c in ("frequency", "recency", "T"):
        if c not in summary.columns:
            raise ValueError(f"summary needs column {c!r} (see summary_from_orders)")
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    if len(x) == 0:
        raise ValueError("summary is empty: no customers to fit")
    if np.any(tx > T + 1e-9) or np.any(x < 0) or np.any(tx < 0):
        raise ValueError("summary has recency > T or negative values")
    return x, tx, T


def fit_bgnbd(summary: pd.DataFrame, *, penalizer: float = 0.0, x0=None) -> BGNBDParams:
    """Maximum-likelihood BG/NBD fit.  Returns BGNBDParams(r, alpha, a, b, loglik, n).

    ``penalizer`` adds ``penalizer * sum(params**2)`` to the negative
    log-likelihood (0 = plain MLE, as in the paper).
    """
    x, tx, T = _check_summary(summary)
    ux, utx, uT, w = _compress(x, tx, T)
    scale = max(float(np.mean(T)), 1e-9)  # alpha scales with the time unit
    if x0 is None:
        x0 = np.log([1.0, scale, 1.0, 1.0])

    def f(lp):
        ll, g = _bgnbd_ll_grad(lp, ux, utx, uT, w)
        p = np.exp(lp)
        pen = penalizer * np.sum(p ** 2)
        return -ll + pen, -g + 2 * penalizer * p * p

    best = None
    for start in (x0, np.log([0.5, scale / 4, 0.5, 2.0])):
        res = optimize.minimize(f, start, jac=True, method="L-BFGS-B",
                                bounds=[(-12, 12)] * 4, options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8})
        if best is None or res.fun < best.fun:
            best = res
        if best.success:
            break
    r, alpha, a, b = np.exp(best.x)
    ll = float(-best.fun + penalizer * np.sum(np.exp(best.x) ** 2))
    return BGNBDParams(float(r), float(alpha), float(a), float(b), ll, int(len(x)),
                       summary.attrs.get("freq", "W"))


def p_alive(params: BGNBDParams, summary: pd.DataFrame) -> pd.Series:
    """P(customer still active | x, t_x, T) (FHL 2005 eq. 11; 1 when x = 0)."""
    x, tx, T = _check_summary(summary)
    r, alpha, a, b = params.as_array()
    pos = x > 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        lodds = np.log(a) - np.log(np.where(pos, b + x - 1, 1.0)) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        p = np.where(pos, 1.0 / (1.0 + np.exp(lodds)), 1.0)
    return pd.Series(p, index=summary.index, name="p_alive")


def expected_purchases(params: BGNBDParams, t, summary: pd.DataFrame | None = None):
    """Expected purchases in the next ``t`` time units.

    With ``summary``: conditional on each customer's history (FHL 2005 eq. 10),
    returns a Series.  Without: E[X(t)] for a new customer (eq. 7), a float or
    array.
    """
    r, alpha, a, b = params.as_array()
    if abs(a - 1) < 1e-7:  # removable singularity of the closed form at a = 1
        a = 1 + 1e-7
    t = np.asarray(t, dtype=float)
    if summary is None:
        z = t / (alpha + t)
        with np.errstate(invalid="ignore"):
            return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
    x, tx, T = _check_summary(summary)
    pos = x > 0
    z = t / (alpha + T + t)
    h = hyp2f1(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * h)
    with np.errstate(over="ignore"):
        den = 1 + np.where(pos, a / np.where(pos, b + x - 1, 1.0) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
    return pd.Series(num / den, index=summary.index, name="expected_purchases")


# --------------------------------------------------------------------------- Gamma-Gamma
@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float
    loglik: float
    n: int

    def as_array(self) -> np.ndarray:
        return np.array([self.p, self.q, self.v])


def _gg_ll_grad(lp, x, m, w):
    p, q, v = np.exp(lp)
    px = p * x
    lxm = np.log(x * m + v)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * lxm)
    dp = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - lxm)
    dq = digamma(px + q) - digamma(q) + np.log(v) - lxm
    dv = q / v - (px + q) / (x * m + v)
    g = np.array([(w * dp).sum() * p, (w * dq).sum() * q, (w * dv).sum() * v])
    return float((w * ll).sum()), g


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaParams:
    """Fit the Gamma-Gamma spend model on customers with frequency > 0.

    Uses ``frequency`` (repeat transactions) and ``monetary_value`` (their mean
    value).  The model assumes spend is independent of frequency; check with
    ``summary[['frequency','monetary_value']].corr()``.
    """
    for c in ("frequency", "monetary_value"):
        if c not in summary.columns:
            raise ValueError(f"summary needs column {c!r}")
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    ok = (x > 0) & np.isfinite(m) & (m > 0)
    if ok.sum() < 3:
        raise ValueError(f"Gamma-Gamma needs repeat customers with positive spend; found {int(ok.sum())}")
    x, m = x[ok], m[ok]
    u, inv = np.unique(np.column_stack([x, m]), axis=0, return_inverse=True)
    w = np.bincount(inv.ravel(), minlength=len(u)).astype(float)
    ux, um = u[:, 0], u[:, 1]
    mm = float(np.mean(m))

    def f(lp):
        ll, g = _gg_ll_grad(lp, ux, um, w)
        return -ll, -g

    best = None
    for start in (np.log([1.0, 1.0, mm]), np.log([5.0, 3.0, mm * 2])):
        res = optimize.minimize(f, start, jac=True, method="L-BFGS-B", bounds=[(-12, 25)] * 3,
                                options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-9})
        if best is None or res.fun < best.fun:
            best = res
    p, q, v = np.exp(best.x)
    return GammaGammaParams(float(p), float(q), float(v), float(-best.fun), int(ok.sum()))


def expected_spend(params: GammaGammaParams, summary: pd.DataFrame) -> pd.Series:
    """E[average transaction value | x, m_x]; the population mean p v / (q - 1) when x = 0."""
    p, q, v = params.as_array()
    x = summary["frequency"].to_numpy(dtype=float)
    m = np.nan_to_num(summary["monetary_value"].to_numpy(dtype=float))
    pop = p * v / (q - 1) if q > 1 else np.nan
    e = np.where(x > 0, p * (v + x * m) / (p * x + q - 1), pop)
    return pd.Series(e, index=summary.index, name="expected_spend")


# --------------------------------------------------------------------------- CLV
def clv(orders: pd.DataFrame, horizon_months: int = 12, discount: float = 0.01, *,
        freq: str = "W", calibration_end=None, bgnbd: BGNBDParams | None = None,
        gamma_gamma: GammaGammaParams | None = None) -> pd.DataFrame:
    """Per-customer CLV over ``horizon_months``: discounted expected purchases x expected spend.

    ``discount`` is the *monthly* discount rate.  Month m contributes
    (E[X(m)] - E[X(m-1)]) * E[spend] / (1 + discount)^m.  Models are fitted on
    ``orders`` unless given.  Returns frequency, recency, T, monetary_value,
    p_alive, expected_purchases (whole horizon), expected_spend, clv; the fitted
    parameters are in ``attrs``.
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    s = summary_from_orders(orders, calibration_end=calibration_end, freq=freq)
    bg = bgnbd or fit_bgnbd(s)
    try:
        gg = gamma_gamma or fit_gamma_gamma(s)
        spend = expected_spend(gg, s)
    except ValueError:
        gg = None
        spend = pd.Series(np.nanmean(np.where(s["monetary_value"].notna(), s["monetary_value"], s["first_value"])),
                          index=s.index)
    per_month = _DAYS_PER_MONTH / _UNIT_DAYS[freq]
    months = np.arange(1, horizon_months + 1)
    cum = np.column_stack([expected_purchases(bg, m * per_month, s).to_numpy() for m in months])
    inc = np.diff(np.column_stack([np.zeros(len(s)), cum]), axis=1)
    disc = (1 + discount) ** -months.astype(float)
    out = s[["frequency", "recency", "T", "monetary_value"]].copy()
    out["p_alive"] = p_alive(bg, s).to_numpy()
    out["expected_purchases"] = cum[:, -1]
    out["expected_spend"] = spend.to_numpy()
    out["clv"] = (inc * disc).sum(axis=1) * out["expected_spend"].to_numpy()
    out.attrs.update(bgnbd=bg, gamma_gamma=gg, horizon_months=horizon_months, discount=discount, freq=freq)
    return out


def bgnbd_covariance(params: BGNBDParams, summary: pd.DataFrame) -> np.ndarray:
    """Asymptotic covariance of the log-parameters (log r, log alpha, log a, log b):
    the inverse observed information, by central differences of the analytic gradient."""
    x, tx, T = _check_summary(summary)
    ux, utx, uT, w = _compress(x, tx, T)
    lp = np.log(params.as_array())
    h = 1e-5
    H = np.empty((4, 4))
    for i in range(4):  # 4 parameters: 8 gradient evaluations
        e = np.zeros(4)
        e[i] = h
        H[:, i] = (_bgnbd_ll_grad(lp + e, ux, utx, uT, w)[1] - _bgnbd_ll_grad(lp - e, ux, utx, uT, w)[1]) / (2 * h)
    H = (H + H.T) / 2
    return np.linalg.inv(-H)


def retention_lift(params: BGNBDParams, lift: float = 0.05, *, horizon_months: int = 36,
                   discount: float = 0.01) -> float:
    """Relative change in discounted expected purchases of a new customer over
    ``horizon_months`` when the per-purchase retention probability 1 - p rises by
    ``lift`` (mean dropout a/(a+b) lowered by ``lift``, a + b kept).  With a
    constant margin per purchase this is the relative profit change."""
    r, alpha, a, b = params.as_array()
    mean_p = a / (a + b)
    new_p = mean_p - lift
    if new_p <= 0:
        return float("nan")
    a2 = new_p * (a + b)
    b2 = (a + b) - a2
    per_month = _DAYS_PER_MONTH / _UNIT_DAYS[params.freq]
    m = np.arange(0, horizon_months + 1) * per_month
    disc = (1 + discount) ** -np.arange(1, horizon_months + 1, dtype=float)

    def value(pp):
        cum = expected_purchases(pp, m)
        return float((np.diff(cum) * disc).sum())

    base = value(params)
    new = value(BGNBDParams(r, alpha, a2, b2, np.nan, params.n, params.freq))
    return new / base - 1
