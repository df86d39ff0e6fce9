"""Customer lifetime value: BG/NBD purchase model + Gamma-Gamma spend model.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way")
-------------------------------------------------------------------------
Per customer the sufficient statistics are x (repeat transactions), t_x (time
of the last transaction, from the first) and T (time from the first transaction
to the end of calibration).  The likelihood is the closed form of the paper::

    L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
        + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

evaluated in logs (no hypergeometric function needed), on the distinct
(x, t_x, T) triples weighted by their counts (the terms of one x, t_x or T value
are computed once per value), and maximised with L-BFGS-B on log-parameters with
the analytic gradient.

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie 2013 note)
-------------------------------------------------------------------------------
Average repeat-transaction value m_x of a customer with x > 0 repeat
transactions: m_x | nu ~ Gamma(p x, nu x) with nu ~ Gamma(q, v).  The likelihood is
summed by distinct x: per customer only log(x m_x + v) depends on the parameters.

Time units
----------
``summary_from_orders`` merges the order lines of one customer on one calendar
day into one transaction; ``freq="W"`` measures t_x and T in (fractional)
weeks = days / 7, ``freq="D"`` in days.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import digamma, gammaln, hyp2f1

from insight import _blas, _events as _ev
from insight.segments import _line_customers, _purchase_lines

_UNIT_DAYS = {"D": 1.0, "W": 7.0}
_DAYS_PER_MONTH = 365.25 / 12


def _minimize(f, starts, bounds, options, stop_on_success: bool):
    """L-BFGS-B from each start (best result kept), with the BLAS behind scipy limited
    to one thread: the optimizer's linear algebra is on 4x4 matrices, yet a threaded
    BLAS wakes its threads on every step and they keep spinning on the cores the
    likelihood needs (3-5 ms lost per step on 2 busy cores, more than the likelihood
    itself takes)."""
    best = None
    with _blas.one_thread():
        for start in starts:
            res = optimize.minimize(f, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
            if best is None or res.fun < best.fun:
                best = res
            if stop_on_success and best.success:
                break
    return best


# --------------------------------------------------------------------------- summary
def _customer_days(ccode: np.ndarray, day: np.ndarray, ocode: np.ndarray | None):
    """Transactions (distinct customer-days) of order lines: sorted int64 keys
    ``customer * span + (day - d0)`` with ``span, d0``, and each line's transaction.

    Usually every order (``ocode``: order code per line) has one customer and one
    day: then the keys of the ~2x fewer orders are sorted instead of the lines'
    (same keys, same positions); otherwise, or without order codes, the lines'."""
    if len(day) == 0:
        return np.zeros(0, np.int64), 1, 0, np.zeros(0, np.int64)
    d0 = int(day.min())
    span = int(day.max() - d0 + 1)
    return _customer_days_of_keys(_day_keys(ccode, day, span, d0), span, d0, ocode)


def _day_keys(ccode: np.ndarray, day: np.ndarray, span: int, d0: int) -> np.ndarray:
    """``ccode * span + (day - d0)`` as a new int64 array, computed in place (one
    allocation instead of four: in a freshly forked worker every new 8 MB array costs
    ~2k page faults).  Integer arithmetic wraps modulo 2**64, so the order of the
    additions does not change any value."""
    key = ccode.astype(np.int64)   # a copy
    key *= span
    key += day
    key -= d0
    return key


def _customer_days_of_keys(key: np.ndarray, span: int, d0: int, ocode: np.ndarray | None):
    """:func:`_customer_days` from the lines' keys ``customer * span + (day - d0)``."""
    if ocode is not None and len(ocode) and ocode.min() >= 0:
        okey = np.full(int(ocode.max()) + 1, -1, dtype=np.int64)
        okey[ocode] = key
        if np.array_equal(okey[ocode], key):
            used = np.flatnonzero(okey >= 0)
            packed = _packed_sort(okey[used])
            if packed is None:
                ukey, inv = np.unique(okey[used], return_inverse=True)
                pos = np.empty(len(okey), dtype=np.int64)
                pos[used] = inv
            else:   # each used order's transaction written once (no intermediate inverse)
                ukey, order, gid = packed
                pos = np.empty(len(okey), dtype=np.int64)
                pos[used[order]] = gid
            return ukey, span, d0, pos[ocode]
    ukey, inv = _unique_inverse(key)
    return ukey, span, d0, inv


def _unique_inverse(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for int64 keys.  When key * n fits in
    63 bits the row number is packed into the low bits and the keys are sorted with
    ``np.sort`` (a vectorized sort, several times faster than the argsort inside
    ``np.unique``): the packed sort is an argsort."""
    if len(key) == 0:
        return key.copy(), np.zeros(0, np.int64)
    packed = _packed_sort(key)
    if packed is None:
        return np.unique(key, return_inverse=True)
    uniq, order, gid = packed
    inv = np.empty(len(key), dtype=np.int64)
    inv[order] = gid
    return uniq, inv


def _packed_sort(key: np.ndarray):
    """``(uniq, order, gid)`` of non-empty int64 ``key``: its distinct values (sorted),
    the stable argsort ``order`` and the group number ``gid`` of ``key[order]``
    (so ``inverse[order] = gid``); None when key * len(key) does not fit in 63 bits."""
    n = len(key)
    lo, hi = int(key.min()), int(key.max())
    bits = max(int(n - 1).bit_length(), 1)
    if lo < 0 or hi >= 1 << (62 - bits):
        return None
    packed = np.sort((key.astype(np.int64) << bits) | np.arange(n, dtype=np.int64))
    order = packed & ((1 << bits) - 1)
    sk = packed >> bits
    new = np.r_[True, sk[1:] != sk[:-1]]
    return sk[new], order, np.cumsum(new) - 1


def _cached_order_table(orders: pd.DataFrame):
    """``insight.journey.order_table(orders)`` when an earlier analysis of this process
    built it (it is kept per orders frame), else None: building it only for a summary
    costs more than the line path it would save."""
    from insight import journey

    try:
        hit = journey._TABLES.get(id(orders))
        if hit is None or hit[0]() is not orders:
            return None
    except (AttributeError, TypeError, IndexError):
        return None
    return journey.order_table(orders)   # (re-checks the columns it read)


def _tx_from_order_table(o: pd.DataFrame, keep, day: np.ndarray, val: np.ndarray):
    """:func:`_tx_from_lines` from the cached order table, whose orders are already sorted
    by customer (sorted ids) then date: when every line has an order id and a date and
    all lines of an order share its customer and day, a transaction is a run of equal
    (customer, day) in the table.  Each line's transaction is then gathered through its
    order's row, and the values summed per transaction over the kept lines in line
    order, as on the line path (non-kept lines add +0.0: the same sums, bit for bit).
    Saves sorting the customer ids and the customer-days.  None when the table is not
    cached or a condition does not hold (the line path is then used)."""
    if "order_id" not in o.columns or not len(day):
        return None
    ot = _cached_order_table(o)
    if ot is None or not len(ot.cust) or ot.cust.min() < 0:   # an order without customer id
        return None
    oc, oids = _ev.codes(o, "order_id")
    cc, _ = _ev.codes(o, "customer_id")
    d0 = int(day.min())
    if oc.min() < 0 or d0 == np.iinfo(np.int64).min:      # a line without order id or date
        return None
    span = int(day.max()) - d0 + 1
    # every line of an order has the order's customer and day (raw codes; missing id -1)
    key = _day_keys(cc, day, span, d0)
    okey = np.empty(len(oids), dtype=np.int64)
    okey[oc] = key
    if not np.array_equal(okey[oc], key):
        return None
    # row of each order code in the table (-1: every line cancelled); run starts
    rows = ot.lookup([pd.Series(oids, copy=False)], "order_id")[0]
    dday = ot.date // (86_400 * 10 ** 9)
    new = np.empty(len(dday), dtype=bool)
    new[0] = True
    np.not_equal(ot.cust[1:], ot.cust[:-1], out=new[1:])
    new[1:] |= dday[1:] != dday[:-1]
    tid = np.cumsum(new) - 1
    ntx = int(tid[-1]) + 1
    code_tx = np.where(rows >= 0, tid[rows], ntx)   # ntx: a spare bin for orders not in the table
    tx = code_tx[oc]
    if keep is not None:
        if np.max(tx, where=keep, initial=-1) >= ntx:   # a kept line outside the table
            return None
        val = np.where(keep, val, 0.0)
    elif rows.min() < 0:
        return None
    tval = np.bincount(tx, weights=val, minlength=ntx + 1)[:ntx]
    cust = ot.customer_index()
    if cust.dtype != "str":
        cust = cust.astype("str")
    return cust, ot.cust[new], dday[new], tval


def _tx_from_lines(o: pd.DataFrame, keep, day: np.ndarray, val: np.ndarray):
    """Transactions of the kept order lines as ``(customers, tc, tday, tval)``: the sorted
    customer ids (str Index), and per transaction (sorted by customer then day) its
    customer code, day and value (lines summed in line order)."""
    ccode, cust = _line_customers(o, keep)
    lines = ccode >= 0
    # transactions = distinct (customer, day), sorted by customer then day; tx = each
    # line's transaction, tval = value of each transaction (lines summed in line order).
    # The keys are computed on all lines and compressed once (not codes and days apart)
    if lines.any():
        d0 = int(np.min(day, where=lines, initial=np.iinfo(np.int64).max))
        span = int(np.max(day, where=lines, initial=np.iinfo(np.int64).min) - d0 + 1)
        key = _day_keys(ccode, day, span, d0)[lines]
    else:
        d0, span, key = 0, 1, np.zeros(0, np.int64)
    val = val[lines]
    ocode = _ev.codes(o, "order_id")[0][lines] if "order_id" in o.columns else None
    ukey, span, d0, tx = (_customer_days_of_keys(key, span, d0, ocode) if len(key)
                          else (np.zeros(0, np.int64), 1, 0, np.zeros(0, np.int64)))
    tval = np.bincount(tx, weights=val, minlength=len(ukey))
    tc = ukey // span
    tday = ukey % span + d0
    return cust, tc, tday, tval


#: (id(orders), freq) -> (weakref to the frame, fingerprint of the columns read, summary):
#: the default summaries (no calibration or observation end) of the last frames seen.  A
#: report summarizes its orders for the CLV section and again for the claims (~0.05-0.1 s
#: at 1M lines each time); the frame is the same, unless a column read was edited.
_SUMMARIES: OrderedDict = OrderedDict()
_SUMMARIES_MAX = 2
_SUMMARY_COLS = ("order_id", "customer_id", "status", "order_date", "quantity", "unit_price", "value")


def _summary_fp(orders: pd.DataFrame):
    """Changes when a column the summary reads is replaced or edited in place (as the
    order table's: ``insight._events._content_fp``); None when one cannot be checked
    cheaply (then the summary is not kept)."""
    return _ev.frame_fp(orders, _SUMMARY_COLS)


def summary_from_orders(orders: pd.DataFrame, calibration_end=None, freq: str = "W",
                        observation_end=None) -> pd.DataFrame:
    """frequency (repeat transactions), recency (t_x), T and monetary_value per customer.

    A transaction is one customer-day (lines of the same day are merged, their
    values summed).  Customers whose first transaction is after
    ``calibration_end`` are left out.  ``monetary_value`` is the mean value of
    the *repeat* transactions (NaN for frequency 0), as the Gamma-Gamma model
    expects; ``first_value`` is the value of the first transaction.  When
    transactions exist after ``calibration_end`` (up to ``observation_end``),
    ``frequency_holdout`` and ``duration_holdout`` are added.  Lines without an order
    date are in no transaction (a customer with only such lines is not in the summary).

    The default summary (no ``calibration_end`` / ``observation_end``) is kept per orders
    frame while the columns it reads are unchanged; each call returns its own (shallow,
    copy-on-write) frame.
    """
    if freq not in _UNIT_DAYS:
        raise ValueError(f"freq must be one of {sorted(_UNIT_DAYS)}, not {freq!r}")
    for c in ("customer_id", "order_date"):
        if c not in orders.columns:
            raise ValueError(f"orders needs column {c!r}")
    if calibration_end is not None or observation_end is not None:
        return _summary(orders, calibration_end, freq, observation_end)
    fp = _summary_fp(orders)
    key = (id(orders), freq)
    hit = _SUMMARIES.get(key)
    if hit is not None and fp is not None and hit[0]() is orders and _ev._same_fp(hit[1], fp):
        _SUMMARIES.move_to_end(key)
        return hit[2].copy(deep=False)   # (its own attrs and axes; data shared until written)
    out = _summary(orders, None, freq, None)
    if fp is not None:
        _ev._remember(_SUMMARIES, _SUMMARIES_MAX, key, orders, fp, out.copy(deep=False))
    return out


def _summary(orders: pd.DataFrame, calibration_end, freq: str, observation_end) -> pd.DataFrame:
    """:func:`summary_from_orders` (checked arguments), computed."""
    # line arrays of the whole frame with a keep mask; customers and orders are coded
    # once per frame (insight._events.codes), only the distinct ids are sorted
    o = orders
    keep = _purchase_lines(o)
    unit = _UNIT_DAYS[freq]
    ns = o["order_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    day = ns // (86_400 * 10 ** 9)          # days since 1970 (floor, as datetime64[D]); NaT stays NaT
    if len(ns) and ns.min() == np.iinfo(np.int64).min:   # (no NaT mask built when none)
        undated = ns == np.iinfo(np.int64).min
        day[undated] = np.iinfo(np.int64).min
        # a line without a date is in no transaction (it cannot be placed in time)
        keep = ~undated if keep is None else keep & ~undated
    if "quantity" in o.columns and "unit_price" in o.columns:
        val = np.nan_to_num(o["quantity"].to_numpy(dtype=float) * o["unit_price"].to_numpy(dtype=float),
                            copy=False)
    elif "value" in o.columns:
        val = np.nan_to_num(o["value"].to_numpy(dtype=float))
    else:
        val = np.zeros(len(o))
    fast = (_tx_from_order_table(o, keep, day, val)
            if calibration_end is None and observation_end is None else None)
    if fast is not None:   # every kept line is in a transaction: the last purchase day is theirs
        cust, tc, tday, tval = fast
        cal_end = obs_end = tday.max()
    else:
        if calibration_end is None or observation_end is None:   # the last purchase day
            last = day.max() if keep is None else np.max(day, where=keep, initial=np.iinfo(np.int64).min)
        cal_end = (last if calibration_end is None
                   else np.datetime64(pd.Timestamp(calibration_end), "D").astype(np.int64))
        obs_end = (last if observation_end is None
                   else np.datetime64(pd.Timestamp(observation_end), "D").astype(np.int64))
        if calibration_end is not None or observation_end is not None:  # else no purchase is later
            inside = day <= max(obs_end, cal_end)
            keep = inside if keep is None else keep & inside
        cust, tc, tday, tval = _tx_from_lines(o, keep, day, val)
    nc = len(cust)
    first_pos = np.flatnonzero(np.r_[True, tc[1:] != tc[:-1]])
    first_day = np.empty(nc, dtype=np.int64)
    first_day[tc[first_pos]] = tday[first_pos]
    cal = tday <= cal_end
    # calibration statistics
    all_cal = bool(cal.all())
    tcc, tdc = (tc, tday) if all_cal else (tc[cal], tday[cal])
    n_cal = np.bincount(tcc, minlength=nc)
    # transactions are sorted by customer then day: a customer's last calibration
    # day is that of their last calibration transaction (no unbuffered maximum.at)
    last_cal = np.full(nc, np.iinfo(np.int64).min)
    if len(tcc):
        ends = np.flatnonzero(np.r_[tcc[1:] != tcc[:-1], True])
        last_cal[tcc[ends]] = tdc[ends]
    is_first = np.zeros(len(tc), dtype=bool)
    is_first[first_pos] = True
    rep = cal & ~is_first
    # the other transactions weigh +0.0 (the same sums, bit for bit: a sum from +0.0 is
    # never -0.0, so adding +0.0 changes nothing), which spares two masked copies of ~0.6M
    # values with an irregular mask (~8 ms)
    rep_val = np.bincount(tc, weights=np.where(rep, tval, 0.0), minlength=nc)
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
    }, index=cust.rename("customer_id"))
    inside = n_cal > 0
    if obs_end > cal_end:
        hold = ~cal
        out["frequency_holdout"] = np.bincount(tc[hold], minlength=nc).astype(float)
        out["duration_holdout"] = (obs_end - cal_end) / unit
    if not inside.all():
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


class _BGStats(NamedTuple):
    """BG/NBD sufficient statistics: the distinct (x, t_x, T) rows with their weights,
    each row given as codes into the distinct values of x, t_x and T (a few hundred at
    most), so the terms that depend on one of them are computed once per value."""
    xs: np.ndarray   # distinct x
    txs: np.ndarray  # distinct t_x
    Ts: np.ndarray   # distinct T
    xc: np.ndarray   # per row: code into xs
    txc: np.ndarray
    Tc: np.ndarray
    w: np.ndarray    # per row: number of customers (or the given weights summed)
    nx: np.ndarray   # per distinct x: summed weight
    nT: np.ndarray   # per distinct T: summed weight
    xT: np.ndarray   # per distinct T: summed weight * x
    xn: np.ndarray   # per distinct x: number of rows (rows are sorted by x: xc = repeat(arange, xn))
    xstart: np.ndarray  # per distinct x: its first row


def _bgnbd_stats(x, tx, T, w=None) -> _BGStats:
    """Distinct (x, tx, T) rows with weights: each column is factorized (hash, no
    sort), the three codes are combined into one integer key, and its distinct values
    found by one packed sort (``_unique_inverse``).  The rows come out sorted by key,
    so by the code of x first: per-x values are spread with ``np.repeat`` and summed
    with ``np.add.reduceat`` (several times faster than a gather and a weighted
    ``np.bincount`` on ~80k rows, same values)."""
    cols = []
    for v in (x, tx, T):
        c, u = pd.factorize(np.asarray(v, dtype=float), use_na_sentinel=False)
        cols.append((c.astype(np.int64), np.asarray(u, dtype=float)))
    (xc, xs), (txc, txs), (Tc, Ts) = cols
    key = (xc * len(txs) + txc) * len(Ts) + Tc
    ku, kc = _unique_inverse(key)
    ww = np.bincount(kc, weights=w, minlength=len(ku))
    xr, rest = np.divmod(ku, len(txs) * len(Ts))
    txr, Tr = np.divmod(rest, len(Ts))
    xn = np.bincount(xr, minlength=len(xs))   # >= 1: every distinct x has a row
    return _BGStats(xs, txs, Ts, xr, txr, Tr, ww, np.bincount(xr, weights=ww, minlength=len(xs)),
                    np.bincount(Tr, weights=ww, minlength=len(Ts)),
                    np.bincount(Tr, weights=ww * xs[xr], minlength=len(Ts)),
                    xn, np.r_[0, np.cumsum(xn)[:-1]])


#: the statistics of the last summary seen by fit_bgnbd / bgnbd_covariance, with private
#: copies of its (x, t_x, T) and the fits made on it: a fit is usually followed by its
#: covariance on the same summary (insight.claims.retention_profit), and a report fits the
#: same summary for its CLV section and its claims; building the statistics takes ~10 ms
#: at 200k customers, a fit ~30 ms
_LAST_STATS: list = []


def _stats_entry(x, tx, T) -> tuple:
    """``(x, tx, T, statistics, fits)`` of the last summary, made anew unless the previous
    call had equal arrays (compared value by value, so an edited summary is never served
    stale statistics or fits).  ``fits``: (penalizer, start) -> the optimizer's result."""
    last = _LAST_STATS[0] if _LAST_STATS else None
    if (last is not None and len(last[0]) == len(x) and np.array_equal(last[0], x)
            and np.array_equal(last[1], tx) and np.array_equal(last[2], T)):
        return last
    st = _bgnbd_stats(x, tx, T)
    _LAST_STATS[:] = [(np.array(x, dtype=float), np.array(tx, dtype=float), np.array(T, dtype=float), st, {})]
    return _LAST_STATS[0]


def _summary_stats(x, tx, T) -> _BGStats:
    """:func:`_bgnbd_stats` of (x, tx, T), reused when the previous call had equal arrays."""
    return _stats_entry(x, tx, T)[3]


def _dot(a, b) -> float:
    """sum(a * b) without BLAS: on 2 busy cores a threaded BLAS dot of ~100k values can
    wait milliseconds for its threads, and its spinning threads slow the optimizer."""
    return float(np.multiply(a, b).sum())


def _bgnbd_ll_grad_stats(logp, st: _BGStats):
    """Log-likelihood and its gradient in the log-parameters, from the sufficient
    statistics.  Per customer row: ll = A1(x) + A2(x) + log(e^A3 + e^A4) with
    A3 = -(r+x) log(alpha+T), A4 = log a - log(b+x-1) - (r+x) log(alpha+t_x) (x > 0;
    -inf for x = 0), written as A3 + log(1 + e^d), d = A4 - A3; the weights
    e^A4 / (e^A3 + e^A4) = sigmoid(d) and e^A3 / (...) = 1 - sigmoid(d) enter the
    gradient.  Terms of one x or one T are summed per value (``nx``, ``nT``, ``xT``),
    so per row only what involves d is computed."""
    r, alpha, a, b = np.exp(logp)
    xs, w = st.xs, st.w
    N = w.sum()
    # tables per distinct x and per distinct t_x / T
    pos = xs > 0
    bx1 = np.where(pos, b + xs - 1, 1.0)
    with np.errstate(divide="ignore"):
        c4 = np.where(pos, np.log(a) - np.log(bx1), -np.inf)   # A4 + (r+x) log(alpha+t_x)
    A12 = (gammaln(r + xs) - gammaln(r) + gammaln(a + b) + gammaln(b + xs) - gammaln(b)
           - gammaln(a + b + xs))
    rx = r + xs
    lT, ltx = np.log(alpha + st.Ts), np.log(alpha + st.txs)
    iT, itx = 1.0 / (alpha + st.Ts), 1.0 / (alpha + st.txs)
    sum_rxlT = r * _dot(st.nT, lT) + _dot(st.xT, lT)           # sum of w (r+x) log(alpha+T)
    # per row
    rxr = np.repeat(rx, st.xn)                 # = rx[st.xc] (rows sorted by x)
    dl = lT[st.Tc] - ltx[st.txc]
    d = np.repeat(c4, st.xn) + rxr * dl
    with np.errstate(over="ignore"):
        w4 = 1.0 / (1.0 + np.exp(-d))          # sigmoid(d); 0 for x = 0 (d = -inf)
    ww4 = w * w4
    # log(1 + e^d) as max(d, 0) + log1p(e^-|d|): np.logaddexp's scalar loop took half of
    # this function's time; these are numpy's vectorized exp/log1p (same value to ~1 ulp)
    softplus = np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))
    ll = N * r * np.log(alpha) + _dot(st.nx, A12) - sum_rxlT + _dot(w, softplus)
    # d/dr of -(r+x)(w3 lT + w4 ltx) = -lT + w4 (lT - ltx); d/dalpha likewise with 1/(alpha+.)
    d_r = (_dot(st.nx, digamma(r + xs) - digamma(r)) + N * np.log(alpha)
           - _dot(st.nT, lT) + _dot(ww4, dl))
    d_alpha = (N * r / alpha - r * _dot(st.nT, iT) - _dot(st.xT, iT)
               - _dot(ww4 * rxr, itx[st.txc] - iT[st.Tc]))
    dab = digamma(a + b) - digamma(a + b + xs)
    s4 = np.add.reduceat(ww4, st.xstart)   # sum of w * sigmoid(d) per x (in row order, as bincount)
    d_a = _dot(st.nx, dab) + s4.sum() / a
    d_b = _dot(st.nx, dab + digamma(b + xs) - digamma(b)) - _dot(s4, 1.0 / bx1)
    grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return float(ll), grad


def _bgnbd_ll_grad(logp, x, tx, T, w):
    """Weighted log-likelihood and gradient (log-parameters) of rows (x, tx, T)."""
    return _bgnbd_ll_grad_stats(logp, _bgnbd_stats(x, tx, T, w))


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
    *_, st, fits = _stats_entry(x, tx, T)
    # the optimizer is deterministic: a fit of equal arrays from the same start is reused
    key = (float(penalizer), None if x0 is None else tuple(np.asarray(x0, dtype=float).ravel()))
    best = fits.get(key)
    if best is None:
        scale = max(float(np.mean(T)), 1e-9)  # alpha scales with the time unit
        if x0 is None:
            x0 = np.log([1.0, scale, 1.0, 1.0])

        def f(lp):
            ll, g = _bgnbd_ll_grad_stats(lp, st)
            p = np.exp(lp)
            pen = penalizer * np.sum(p ** 2)
            return -ll + pen, -g + 2 * penalizer * p * p

        best = _minimize(f, (x0, np.log([0.5, scale / 4, 0.5, 2.0])), [(-12, 12)] * 4,
                         {"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8}, stop_on_success=True)
        best = fits[key] = (best.x.copy(), float(best.fun))
    bx, bfun = best
    r, alpha, a, b = np.exp(bx)
    ll = float(-bfun + penalizer * np.sum(np.exp(bx) ** 2))
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


class _GGStats(NamedTuple):
    """Gamma-Gamma sufficient statistics of customers (x, m): everything but
    log(x m + v) depends on x alone (a few dozen values) or sums over customers once."""
    xs: np.ndarray    # distinct x
    xc: np.ndarray    # per customer: code into xs
    xm: np.ndarray    # per customer: x * m
    nx: np.ndarray    # customers per distinct x
    sxlogm: float     # sum of x log m
    slogm: float      # sum of log m


def _gg_stats(x, m) -> _GGStats:
    xc, xs = pd.factorize(np.asarray(x, dtype=float))
    xc = xc.astype(np.int64)
    lm = np.log(m)
    return _GGStats(np.asarray(xs, dtype=float), xc, x * m, np.bincount(xc, minlength=len(xs)).astype(float),
                    _dot(x, lm), float(lm.sum()))


def _gg_ll_grad(lp, st: _GGStats):
    """Log-likelihood and gradient (log-parameters) of the Gamma-Gamma model: per
    customer  gammaln(px+q) - gammaln(px) - gammaln(q) + q log v + (px-1) log m
    + px log x - (px+q) log(xm+v), summed by distinct x (S_x = sum of log(xm+v))."""
    p, q, v = np.exp(lp)
    xs, nx = st.xs, st.nx
    N = nx.sum()
    z = st.xm + v
    # per-x sums in customer order, as a weighted np.bincount (same sums, bit for bit:
    # both add sequentially from 0), but np.add.at is ~1.6x faster on ~100k customers
    # and ~40 bins; a pairwise np.add.reduceat would move the fit by ~1e-7
    S = np.zeros(len(xs))
    np.add.at(S, st.xc, np.log(z))
    R = np.zeros(len(xs))
    np.add.at(R, st.xc, 1.0 / z)
    px = p * xs
    lx = np.log(xs)
    ll = (_dot(nx, gammaln(px + q) - gammaln(px) + px * lx) + N * (q * np.log(v) - gammaln(q))
          + p * st.sxlogm - st.slogm - _dot(px + q, S))
    dpx = digamma(px + q)
    dp = _dot(nx, xs * (dpx - digamma(px) + lx)) + st.sxlogm - _dot(xs, S)
    dq = _dot(nx, dpx) + N * (np.log(v) - digamma(q)) - S.sum()
    dv = N * q / v - _dot(px + q, R)
    return float(ll), np.array([dp * p, dq * q, dv * v])


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
    st = _gg_stats(x, m)
    mm = float(np.mean(m))

    def f(lp):
        ll, g = _gg_ll_grad(lp, st)
        return -ll, -g

    best = _minimize(f, (np.log([1.0, 1.0, mm]), np.log([5.0, 3.0, mm * 2])), [(-12, 25)] * 3,
                     {"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-9}, stop_on_success=False)
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
    st = _summary_stats(x, tx, T)
    lp = np.log(params.as_array())
    h = 1e-5
    H = np.empty((4, 4))
    for i in range(4):  # 4 parameters: 8 gradient evaluations
        e = np.zeros(4)
        e[i] = h
        H[:, i] = (_bgnbd_ll_grad_stats(lp + e, st)[1] - _bgnbd_ll_grad_stats(lp - e, st)[1]) / (2 * h)
    H = (H + H.T) / 2
    return np.linalg.inv(-H)


def retention_lift(params: BGNBDParams, lift: float = 0.05, *, horizon_months: int = 36,
                   discount: float = 0.01) -> float:
    """Relative change in discounted expected purchases of a new customer over
    ``horizon_months`` when the per-purchase retention probability 1 - p rises by
    ``lift`` (mean dropout a/(a+b) lowered by ``lift``, a + b kept).  With a
    constant margin per purchase this is the relative profit change (a ratio, no
    unit); NaN when a/(a+b) <= ``lift``."""
    return float(_retention_lifts(params.as_array()[None, :], params.freq, lift, horizon_months, discount)[0])


def _new_customer_purchases(P: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[X(t)] of a new customer (FHL 2005 eq. 7, as :func:`expected_purchases` without
    a summary) for many parameter rows at once: ``P`` is (n, 4) of (r, alpha, a, b),
    ``t`` the times (in the parameters' time unit); returns (n, len(t)).  The same
    elementwise operations as the scalar formula, so each row equals its scalar call
    (to the last bit, except where numpy's scalar-exponent power takes a shortcut:
    r exactly 0.5 or 2 is 1 ulp apart)."""
    r, alpha, a, b = (P[:, i:i + 1] for i in range(4))
    a = np.where(np.abs(a - 1) < 1e-7, 1 + 1e-7, a)   # removable singularity at a = 1
    z = t / (alpha + t)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def _retention_lifts(P: np.ndarray, freq: str, lift: float, horizon_months: int,
                     discount: float) -> np.ndarray:
    """:func:`retention_lift` of each row (r, alpha, a, b) of ``P`` (n, 4), in one array
    evaluation (the CI of ``insight.claims.retention_profit`` needs hundreds of
    parameter draws; one call per draw spent its time in Python overhead)."""
    P = np.asarray(P, dtype=float)
    a, b = P[:, 2], P[:, 3]
    new_p = a / (a + b) - lift
    a2 = new_p * (a + b)
    P2 = np.column_stack([P[:, 0], P[:, 1], a2, (a + b) - a2])
    per_month = _DAYS_PER_MONTH / _UNIT_DAYS[freq]
    m = np.arange(0, horizon_months + 1) * per_month
    disc = (1 + discount) ** -np.arange(1, horizon_months + 1, dtype=float)
    # both scenarios stacked: one hyp2f1 call; the sum per row is over the contiguous
    # last axis (the same pairwise summation as a 1-d sum)
    cum = _new_customer_purchases(np.concatenate([P, P2]), m)
    val = (np.diff(cum, axis=1) * disc).sum(axis=1)
    base, new = val[:len(P)], val[len(P):]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(new_p > 0, new / base - 1, np.nan)
