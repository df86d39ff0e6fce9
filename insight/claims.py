"""The domain's rules of thumb, tested on the user's own data.

Each check returns a frozen :class:`Claim` with an estimate, its CI, n and a
verdict in {supported, contradicted, cannot_test}.  ``missing`` names the
table/column that was lacking when a claim cannot be tested.

Verdict rules (documented per check below)
------------------------------------------
* **Value claims** ("about 70 %", "about 26", "about 12"): the quoted value is
  widened to a tolerance band (``TOLERANCE``: +-25 % relative, +-5 points for
  shares).  supported when the CI overlaps the band, contradicted when the CI
  lies entirely outside it.
* **Direction claims** ("contacting reduces churn", "delivery within 2 days
  matters"): supported when the CI lies entirely on the claimed side of "no
  effect"; contradicted when the CI excludes the claimed effect size (or lies
  on the other side) while including or crossing "no effect"; otherwise the
  data are too imprecise: cannot_test.
* Too little data (fewer than ``MIN_N`` units in a group) -> cannot_test.

All estimates are observational associations in the user's data, not causal
effects; ``detail`` says what was compared.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from insight import _blas, stats as _stats
from insight.journey import (_NAT, _NS_DAY, _as_of, _late, _ns, _search_customer_time, order_cache,
                             order_of_events, order_table)

VERDICTS = ("supported", "contradicted", "cannot_test")
MIN_N = 30
TOLERANCE = 0.25       # relative band around quoted values
SHARE_BAND = 0.05      # absolute band around quoted shares
MIN_RATING_EFFECT = 0.1       # stars: smallest rating difference that "matters"
MIN_REPURCHASE_EFFECT = 0.01  # smallest repurchase-rate difference that "matters"


@dataclass(frozen=True)
class Claim:
    name: str
    quoted: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    verdict: str
    missing: str | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _cannot(name, quoted, missing=None, detail="", n=0) -> Claim:
    return Claim(name, quoted, np.nan, np.nan, np.nan, int(n), "cannot_test", missing, detail)


def _value_verdict(lo, hi, band_lo, band_hi) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "cannot_test"
    return "supported" if (hi >= band_lo and lo <= band_hi) else "contradicted"


def _direction_verdict(lo, hi, *, positive: bool, quoted_effect: float | None = None) -> str:
    """Claimed effect > 0 (``positive``) or < 0."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "cannot_test"
    if positive and lo > 0 or (not positive) and hi < 0:
        return "supported"
    if positive and hi < 0 or (not positive) and lo > 0:
        return "contradicted"
    if quoted_effect is not None and not (lo <= quoted_effect <= hi):
        return "contradicted"
    return "cannot_test"


# --------------------------------------------------------------------------- shared views
#: within check_all: views shared by several checks (one dict per call, else None)
_SHARED: dict | None = None


def _asof(ds, as_of) -> int:
    """``journey._as_of``; within :func:`check_all` the default (the last order date, a
    maximum over all order lines) is found once, not by each of the four checks."""
    if as_of is not None or _SHARED is None:
        return _as_of(ds, as_of)
    key = ("as_of", id(ds))
    if key not in _SHARED:
        _SHARED[key] = _as_of(ds, None)
    return _SHARED[key]


def _order_rows(ds, ot, table: str) -> np.ndarray:
    """Row of ``ot`` of each ``ds.<table>["order_id"]`` (-1 = unknown).  Within :func:`check_all` the
    order ids of complaints, returns and reviews are looked up together once: each
    lookup hashes all ~500k order ids at 1M lines, and three checks need them."""
    df = getattr(ds, table)
    if _SHARED is None:
        return ot.lookup([df["order_id"]], "order_id")[0]
    key = ("order_rows", id(ds), id(ot))
    if key not in _SHARED:
        frames = {n: getattr(ds, n) for n in ("complaints", "returns", "reviews")}
        frames = {n: f for n, f in frames.items() if f is not None and "order_id" in f.columns}
        _SHARED[key] = dict(zip(frames, ot.lookup([f["order_id"] for f in frames.values()], "order_id")))
    return _SHARED[key][table]


def _orders_view(ds, churn_days: int, as_of):
    """Order table + experience flags + next-order gaps (arrays, sorted by customer/date).
    ``churn_days`` is not used (the flags do not depend on it); within :func:`check_all`
    the view is built once per ``as_of`` (the returned arrays are shared: do not modify)."""
    if _SHARED is None:
        return _build_orders_view(ds, as_of)
    key = ("view", id(ds), _asof(ds, as_of))
    if key not in _SHARED:
        _SHARED[key] = _build_orders_view(ds, as_of)
    return _SHARED[key]


def _build_orders_view(ds, as_of):
    ot = order_table(ds.orders)
    asof = _asof(ds, as_of)
    n = len(ot.date)
    late = _late(ot)
    comp = np.zeros(n, bool)
    resolved_t = np.full(n, _NAT)
    unres = np.zeros(n, bool)
    c = ds.complaints
    if c is not None and "opened_at" in c.columns:
        t = _ns(c["opened_at"])
        oi = order_of_events(ot, c, t, _order_rows(ds, ot, "complaints") if "order_id" in c.columns else None)
        m = oi >= 0
        comp[oi[m]] = True
        if "resolved_at" in c.columns:
            r = _ns(c["resolved_at"])
            r = np.where(r > asof, _NAT, r)
            np.maximum.at(resolved_t, oi[m], r[m])
            unres[oi[m & (r == _NAT)]] = True
        else:
            unres[oi[m]] = True
    ret = np.zeros(n, bool)
    rt = ds.returns
    if rt is not None and "order_id" in rt.columns:
        oi = _order_rows(ds, ot, "returns")
        ret[oi[oi >= 0]] = True
    return ot, asof, late, comp, unres, resolved_t, ret, _next_order_gap(ot)


def _next_order_gap(ot) -> np.ndarray:
    """Days (float) from each order of ``ot`` to the customer's next order, inf when
    none; computed once per order table within :func:`check_all` (two checks use it)."""
    if _SHARED is None:
        return np.where(ot.next_date == _NAT, np.inf, (ot.next_date - ot.date) / _NS_DAY)
    key = ("gap", id(ot))
    if key not in _SHARED:
        _SHARED[key] = np.where(ot.next_date == _NAT, np.inf, (ot.next_date - ot.date) / _NS_DAY)
    return _SHARED[key]


# --------------------------------------------------------------------------- (a)
def contact_reduces_churn(ds, *, churn_days: int = 180, as_of=None) -> Claim:
    """(a) "About 11 % of churn can be prevented by contacting the customer after a
    negative experience."

    Orders with a negative experience (late delivery or a complaint) whose
    ``churn_days`` window is observed.  "Contacted" = the complaint on that order
    was resolved (the company got back to the customer); others = no resolved
    ticket.  Churn = no further order within ``churn_days``.  estimate = share
    of churn avoided = 1 - churn(contacted) / churn(not contacted), Katz log-RR
    CI.  Direction rule with the quoted 11 %.
    """
    name, quoted = "contact_after_negative_reduces_churn", "about 11% of churn preventable by contacting"
    if ds.complaints is None:
        return _cannot(name, quoted, "complaints", "needs tickets to tell who was contacted")
    if "resolved_at" not in ds.complaints.columns:
        return _cannot(name, quoted, "complaints.resolved_at", "needs resolution dates")
    ot, asof, late, comp, unres, res_t, ret, gap = _orders_view(ds, churn_days, as_of)
    neg = (late == 1) | comp
    observed = ot.date + churn_days * _NS_DAY <= asof
    m = neg & observed
    contacted = comp & ~unres
    churn = gap > churn_days
    mc, mn = m & contacted, m & ~contacted
    k1, n1 = np.count_nonzero(churn & mc), np.count_nonzero(mc)
    k0, n0 = np.count_nonzero(churn & mn), np.count_nonzero(mn)
    if min(n1, n0) < MIN_N or min(k1, k0) == 0:
        return _cannot(name, quoted, None, f"too few negative-experience orders (contacted {n1}, not {n0})",
                       n1 + n0)
    p1, p0 = k1 / n1, k0 / n0
    lrr = np.log(p1 / p0)
    se = np.sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0)
    z = sps.norm.ppf(0.975)
    est, lo, hi = 1 - np.exp(lrr), 1 - np.exp(lrr + z * se), 1 - np.exp(lrr - z * se)
    v = _direction_verdict(lo, hi, positive=True, quoted_effect=0.11)
    det = (f"churn within {churn_days} d after a negative experience: contacted {p1:.1%} (n={n1}) vs "
           f"not contacted {p0:.1%} (n={n0}); 11% {'inside' if lo <= 0.11 <= hi else 'outside'} the CI; "
           "observational (who gets a resolution is not random)")
    return Claim(name, quoted, float(est), float(lo), float(hi), n1 + n0, v, None, det)


# --------------------------------------------------------------------------- (b)
def resolved_complainers_return(ds, *, window_days: int = 365, as_of=None) -> Claim:
    """(b) "About 70 % of customers whose complaint is resolved buy again."

    Customers with a resolved ticket whose ``window_days`` after the
    (first) resolution are observed; bought again = an order after the resolution
    within the window.  Wilson CI; value rule with the band 65-75 %.
    """
    name, quoted = "resolved_complainers_buy_again", "about 70% of resolved complainers buy again"
    c = ds.complaints
    if c is None:
        return _cannot(name, quoted, "complaints")
    if "resolved_at" not in c.columns:
        return _cannot(name, quoted, "complaints.resolved_at")
    ot = order_table(ds.orders)
    asof = _asof(ds, as_of)
    r = _ns(c["resolved_at"])
    cc = ot.lookup([c["customer_id"]], "customer_id")[0]
    m = (r != _NAT) & (r <= asof) & (cc >= 0)
    if not m.any():
        return _cannot(name, quoted, None, "no resolved tickets of ordering customers")
    nc = ot.n_customers
    first_res = np.full(nc, np.iinfo(np.int64).max)
    np.minimum.at(first_res, cc[m], r[m])
    has = first_res < np.iinfo(np.int64).max
    observed = has & (first_res + window_days * _NS_DAY <= asof)
    # first order strictly after the resolution: search (customer, resolution time)
    who, when = np.flatnonzero(observed), first_res[observed]
    pos = _search_customer_time(ot.cust, ot.date, who, when)
    nxt = np.where(pos >= 0, pos + 1, np.searchsorted(ot.cust, who, side="left"))
    nxt = np.minimum(nxt, len(ot.date) - 1)
    same = ot.cust[nxt] == who
    after = same & (ot.date[nxt] > when) & (ot.date[nxt] <= when + window_days * _NS_DAY)
    n, k = len(who), np.count_nonzero(after)
    if n < MIN_N:
        return _cannot(name, quoted, None, f"only {n} resolved complainers with a full {window_days}-day window", n)
    lo, hi = _stats.wilson_ci(k, n)
    v = _value_verdict(lo, hi, 0.70 - SHARE_BAND, 0.70 + SHARE_BAND)
    det = f"{k} of {n} customers ordered within {window_days} days after their complaint was resolved"
    return Claim(name, quoted, k / n, float(lo), float(hi), n, v, None, det)


# --------------------------------------------------------------------------- (c)
def negative_vs_positive_weight(ds, *, window_days: int = 180, as_of=None, cap: int = 20) -> Claim:
    """(c) "One unresolved negative experience weighs as much as ~12 positive ones."

    Per order (window observed): logistic regression of "orders again within
    ``window_days``" on the number of positive experiences so far (orders
    delivered on time, no complaint, no return; capped at ``cap``) and the
    number of unresolved complaints so far.  estimate = -b_unresolved /
    b_positive (how many positive experiences offset one unresolved one),
    delta-method CI.  Value rule with the band 9-15.  Positive history also
    marks loyal customers, so this ratio is a rough, observational check.
    """
    import statsmodels.api as sm

    name, quoted = "unresolved_negative_equals_12_positive", "1 unresolved negative ~ 12 positive experiences"
    if ds.complaints is None:
        return _cannot(name, quoted, "complaints")
    if "promised_date" not in ds.orders.columns or "delivered_date" not in ds.orders.columns:
        return _cannot(name, quoted, "orders.promised_date/delivered_date", "positive experience = on-time delivery")
    ot, asof, late, comp, unres, res_t, ret, gap = _orders_view(ds, window_days, as_of)
    good = (late == 0) & ~comp & ~ret
    bad = comp & unres
    # row of each order's customer's first order: ot.seq numbers the orders within a
    # customer from 0 (rows sorted by customer), so it is row - seq
    first_idx = np.arange(len(ot.seq)) - ot.seq

    def cum_within(flag):
        cs = np.cumsum(flag)
        return cs - (cs - flag)[first_idx]

    pos = np.minimum(cum_within(good.astype(np.int64)), cap)
    neg = np.minimum(cum_within(bad.astype(np.int64)), 5)
    observed = ot.date + window_days * _NS_DAY <= asof
    # cell (positive, negative) of each order, codes at most cap * 6 + 5; orders whose
    # window is not observed go to a spare cell (no masked copies of the ~0.6M orders)
    spare = int(pos.max(initial=0)) * 6 + 6
    code = pos * 6 + neg
    code[~observed] = spare
    tri_all = np.bincount(code, minlength=spare + 1)[:spare]
    # repurchases per cell: sums of 1.0 and 0.0, exact in any order
    succ_all = np.bincount(code, weights=gap <= window_days, minlength=spare + 1)[:spare]
    n_obs = int(tri_all.sum())
    if n_obs < MIN_N or int(tri_all @ (np.arange(spare) % 6)) < 10:   # (sum of neg over observed)
        return _cannot(name, quoted, None, "too few orders after an unresolved complaint", n_obs)
    # the distinct cells in code order (as np.unique)
    uc = np.flatnonzero(tri_all > 0)
    u = np.column_stack([uc // 6, uc % 6])
    succ = succ_all[uc]
    tri = tri_all[uc].astype(float)
    # one BLAS thread: the design has at most (cap + 1) * 6 rows, too small for threads,
    # and a threaded BLAS leaves its threads spinning on the 2 cores after the fit (the
    # BG/NBD likelihood of retention_profit ran ~1.7x slower right after this)
    with _blas.one_thread():
        res = sm.GLM(np.column_stack([succ, tri - succ]), sm.add_constant(u.astype(float)),
                     family=sm.families.Binomial()).fit()
    bp, bn = res.params[1], res.params[2]
    V = res.cov_params()[1:, 1:]
    if bp <= 0:
        return Claim(name, quoted, np.nan, np.nan, np.nan, n_obs, "cannot_test", None,
                     f"positive experiences show no positive effect on repurchase (coef {bp:.3f})")
    ratio = -bn / bp
    g = np.array([bn / bp ** 2, -1 / bp])
    se = float(np.sqrt(g @ V @ g))
    lo, hi = ratio - 1.96 * se, ratio + 1.96 * se
    v = _value_verdict(lo, hi, 12 * (1 - TOLERANCE), 12 * (1 + TOLERANCE))
    det = (f"log-odds per positive experience {bp:.3f}, per unresolved complaint {bn:.3f} "
           f"(n={n_obs} orders, window {window_days} d)")
    return Claim(name, quoted, float(ratio), float(lo), float(hi), n_obs, v, None, det)


# --------------------------------------------------------------------------- (d)
def _distinct_customers(ds, parts) -> int:
    """Number of distinct non-missing customer ids over the Series ``parts`` (as
    ``pd.concat(parts).dropna().nunique()``).  Ids of ordering customers are matched to
    the order table's customer codes (its cached id matcher) and counted on a boolean
    array; only the ids not found there (prospects) are compared as strings: hashing
    the ~400k survey/review/ticket ids as strings took 3-4x longer."""
    parts = [p.dropna().astype("str") for p in parts]
    o = ds.orders
    ot = (order_table(o) if o is not None and {"order_id", "customer_id", "order_date"} <= set(o.columns)
          else None)
    if ot is None or not ot.n_customers:
        return int(pd.concat(parts, ignore_index=True).nunique()) if parts else 0
    seen = np.zeros(ot.n_customers, dtype=bool)
    rest = []
    for p, c in zip(parts, ot.lookup(parts, "customer_id")):
        seen[c[c >= 0]] = True
        if (c < 0).any():
            rest.append(p[c < 0])
    return int(seen.sum()) + (int(pd.concat(rest, ignore_index=True).nunique()) if rest else 0)


def silent_unhappy_per_complaint(ds) -> Claim:
    """(d) "For every complaint heard, about 26 unhappy customers stay silent."

    Unhappy customers = those with a negative answer (NPS 0-6, CSAT 1-2, review
    rating 1-2) or a ticket.  p = share of them who filed a ticket (Wilson CI);
    estimate = silent per complainer = (1 - p) / p with the CI transformed.
    Only customers who answered a survey or wrote a review can show up as
    silent-but-unhappy, so this undercounts silence.  Value rule, band 19.5-32.5.
    """
    name, quoted = "silent_unhappy_per_complaint", "26 silent unhappy customers per complaint"
    if ds.complaints is None:
        return _cannot(name, quoted, "complaints")
    neg_ids = []
    s = ds.surveys
    if s is not None and "customer_id" in s.columns:
        m = np.zeros(len(s), bool)
        if "nps" in s.columns:
            m |= (s["nps"] <= 6).to_numpy()
        if "csat" in s.columns:
            m |= (s["csat"] <= 2).to_numpy()
        neg_ids.append(s["customer_id"][m])
    r = ds.reviews
    if r is not None and "customer_id" in r.columns and "rating" in r.columns:
        neg_ids.append(r["customer_id"][(r["rating"] <= 2).to_numpy()])
    if not neg_ids:
        return _cannot(name, quoted, "surveys (nps/csat) or reviews (rating) with customer_id")
    comp = ds.complaints["customer_id"]
    k = _distinct_customers(ds, [comp])
    n = _distinct_customers(ds, [*neg_ids, comp])
    if k == 0 or n < MIN_N:
        return _cannot(name, quoted, None, "too few unhappy customers", n)
    lo_p, hi_p = _stats.wilson_ci(k, n)
    est = (n - k) / k
    lo, hi = (1 - hi_p) / hi_p, (1 - lo_p) / lo_p
    v = _value_verdict(lo, hi, 26 * (1 - TOLERANCE), 26 * (1 + TOLERANCE))
    det = f"{n - k} unhappy customers without a ticket vs {k} with one (unhappy n={n})"
    return Claim(name, quoted, float(est), float(lo), float(hi), n, v, None, det)


# --------------------------------------------------------------------------- (e)
def retention_profit(ds, *, lift: float = 0.05, horizon_months: int = 36, discount: float = 0.01,
                     n_draws: int = 200, seed: int = 0) -> Claim:
    """(e) "5 % more retention brings 25-95 % more profit."

    BG/NBD fitted to the orders (``insight.clv``); per-purchase retention
    1 - p raised by ``lift``; estimate = relative change of discounted expected
    purchases of a new customer over ``horizon_months`` (profit with a
    constant margin per purchase).  CI: parameter draws from the MLE's
    asymptotic normal (log scale).  Value rule with the band 25-95 %.
    """
    from insight import clv

    name, quoted = "retention_5pct_profit_25_95pct", "5% more retention -> 25-95% more profit"
    s = clv.summary_from_orders(ds.orders, freq="W")
    if (s["frequency"] > 0).sum() < MIN_N:
        return _cannot(name, quoted, None, "too few repeat customers to fit BG/NBD", len(s))
    try:
        p = clv.fit_bgnbd(s)
        C = clv.bgnbd_covariance(p, s)
    except (ValueError, np.linalg.LinAlgError) as e:
        return _cannot(name, quoted, None, f"BG/NBD could not be fitted: {e}")
    est = clv.retention_lift(p, lift, horizon_months=horizon_months, discount=discount)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(np.log(p.as_array()), C, size=n_draws)
    # every draw in one array evaluation (same values as retention_lift per draw)
    vals = clv._retention_lifts(np.exp(draws), p.freq, lift, horizon_months, discount)
    vals = vals[np.isfinite(vals)]
    lo, hi = np.quantile(vals, [0.025, 0.975]) if len(vals) > 10 else (np.nan, np.nan)
    v = _value_verdict(lo, hi, 0.25, 0.95)
    det = (f"BG/NBD r={p.r:.3f} alpha={p.alpha:.2f} a={p.a:.3f} b={p.b:.3f}; mean dropout per purchase "
           f"{p.a / (p.a + p.b):.1%} lowered by {lift:.0%}; {horizon_months} months, {discount:.0%}/month discount")
    return Claim(name, quoted, float(est), float(lo), float(hi), p.n, v, None, det)


# --------------------------------------------------------------------------- (f)
def _delivery_days(ds):
    o = ds.orders
    if "delivered_date" not in o.columns:
        return None
    ot = order_table(o)
    key = ("delivery_days", id(ot))
    if _SHARED is not None and key in _SHARED:   # (both delivery checks need them)
        return ot, _SHARED[key]
    d = np.where(ot.delivered != _NAT, ot.delivered // _NS_DAY - ot.date // _NS_DAY, -1)
    if _SHARED is not None:
        _SHARED[key] = d
    return ot, d


def fast_delivery_rating(ds, *, within_days: int = 2) -> Claim:
    """(f1) "Delivery within two days matters" -- review ratings.

    Mean review rating of orders delivered within ``within_days`` days minus
    later ones (Welch t-test and CI).  Direction rule (claimed > 0) with 0.1
    star as the smallest difference that matters: a CI inside (-0.1, 0.1) or
    below it contradicts the claim."""
    name, quoted = "delivery_within_2_days_rating", "delivery within 2 days matters (ratings)"
    r = ds.reviews
    if r is None or "rating" not in r.columns:
        return _cannot(name, quoted, "reviews.rating")
    if "order_id" not in r.columns:
        return _cannot(name, quoted, "reviews.order_id")
    dd = _delivery_days(ds)
    if dd is None:
        return _cannot(name, quoted, "orders.delivered_date")
    ot, d = dd
    oi = _order_rows(ds, ot, "reviews")
    rating = r["rating"].to_numpy(dtype=float)
    ok = (oi >= 0) & np.isfinite(rating)
    days = np.where(ok, d[np.maximum(oi, 0)], -1)
    ok &= days >= 0
    fast, slow = rating[ok & (days <= within_days)], rating[ok & (days > within_days)]
    if min(len(fast), len(slow)) < MIN_N:
        return _cannot(name, quoted, None, f"too few rated deliveries (fast {len(fast)}, slow {len(slow)})",
                       len(fast) + len(slow))
    c = _stats.welch_test(fast, slow)
    v = _direction_verdict(c.ci_low, c.ci_high, positive=True, quoted_effect=MIN_RATING_EFFECT)
    det = (f"mean rating {c.value_a:.2f} within {within_days} d (n={c.n_a}) vs {c.value_b:.2f} later "
           f"(n={c.n_b}), Welch p={c.p_value:.2g}")
    return Claim(name, quoted, c.difference, c.ci_low, c.ci_high, c.n_a + c.n_b, v, None, det)


def fast_delivery_repurchase(ds, *, within_days: int = 2, window_days: int = 90, as_of=None) -> Claim:
    """(f2) "Delivery within two days matters" -- repurchase.

    Repurchase within ``window_days`` (observed windows) of orders delivered
    within ``within_days`` days minus later ones (two-proportion z-test,
    Newcombe CI).  Direction rule (claimed > 0) with 1 percentage point as
    the smallest difference that matters."""
    name, quoted = "delivery_within_2_days_repurchase", "delivery within 2 days matters (repurchase)"
    dd = _delivery_days(ds)
    if dd is None:
        return _cannot(name, quoted, "orders.delivered_date")
    ot, d = dd
    asof = _asof(ds, as_of)
    gap = _next_order_gap(ot)
    obs = (d >= 0) & (ot.date + window_days * _NS_DAY <= asof)
    rep = gap <= window_days
    f, s_ = obs & (d <= within_days), obs & (d > within_days)
    nf, ns_ = np.count_nonzero(f), np.count_nonzero(s_)   # (counts, not masked copies)
    if min(nf, ns_) < MIN_N:
        return _cannot(name, quoted, None, f"too few deliveries (fast {nf}, slow {ns_})", nf + ns_)
    c = _stats.two_proportion_test(np.count_nonzero(rep & f), nf, np.count_nonzero(rep & s_), ns_)
    v = _direction_verdict(c.ci_low, c.ci_high, positive=True, quoted_effect=MIN_REPURCHASE_EFFECT)
    det = (f"ordered again within {window_days} d: {c.value_a:.1%} after delivery within {within_days} d "
           f"(n={c.n_a}) vs {c.value_b:.1%} after slower delivery (n={c.n_b}), p={c.p_value:.2g}")
    return Claim(name, quoted, c.difference, c.ci_low, c.ci_high, c.n_a + c.n_b, v, None, det)


# --------------------------------------------------------------------------- (g)
def sentiment_profile(ds, *, sentiment=None, max_texts: int = 5000, seed: int = 0) -> Claim:
    """(g) The example social-sentiment profile 40 % positive / 15 % negative /
    45 % neutral.

    Labels: ``sentiment`` (a Series of labels) if given, else a ``sentiment``
    column of reviews, else ``insight.sentiment.predict`` on up to
    ``max_texts`` review texts (a random sample).  estimate = positive share
    (Wilson CI); supported when each of the three shares' CIs overlaps
    quoted +- 5 points, contradicted otherwise.  A chi-square goodness-of-fit
    test against 40/15/45 is in ``detail``.
    """
    from insight import metrics

    name, quoted = "sentiment_40_15_45", "40% positive / 15% negative / 45% neutral"
    if sentiment is None:
        r = ds.reviews
        if r is not None and "sentiment" in r.columns:
            sentiment = r["sentiment"]
        elif r is not None and "text" in r.columns and len(r):
            from insight import sentiment as sent

            texts = r["text"].dropna()
            if len(texts) > max_texts:
                texts = texts.sample(max_texts, random_state=seed)
            sentiment = sent.predict(texts)["label"]
        else:
            return _cannot(name, quoted, "reviews.text or sentiment labels")
    sh = metrics.sentiment_shares(sentiment)
    row = sh.iloc[0]
    n = int(row["n"])
    if n < MIN_N:
        return _cannot(name, quoted, None, "too few texts", n)
    quoted_sh = {"positive": 0.40, "negative": 0.15, "neutral": 0.45}
    ok = all(row[f"{k}_ci_high"] >= q - SHARE_BAND and row[f"{k}_ci_low"] <= q + SHARE_BAND
             for k, q in quoted_sh.items())
    counts = np.array([row[k] * n for k in quoted_sh])
    chi = sps.chisquare(counts, np.array(list(quoted_sh.values())) * n)
    det = ("shares " + ", ".join(f"{k} {row[k]:.1%} [{row[f'{k}_ci_low']:.1%}, {row[f'{k}_ci_high']:.1%}]"
                                  for k in quoted_sh)
           + f"; goodness of fit vs 40/15/45 p={chi.pvalue:.2g}; positive:negative {row['pos_neg_ratio']:.2f}")
    return Claim(name, quoted, float(row["positive"]), float(row["positive_ci_low"]),
                 float(row["positive_ci_high"]), n, "supported" if ok else "contradicted", None, det)


# --------------------------------------------------------------------------- all
CHECKS = (contact_reduces_churn, resolved_complainers_return, negative_vs_positive_weight,
          silent_unhappy_per_complaint, retention_profit, fast_delivery_rating, fast_delivery_repurchase,
          sentiment_profile)


def check_all(ds, *, sentiment=None) -> pd.DataFrame:
    """Every claim as one row (name, quoted, estimate, ci_low, ci_high, n, verdict,
    missing, detail).  A check that fails unexpectedly is reported as
    cannot_test with the error in ``detail`` rather than stopping the report."""
    global _SHARED
    rows = []
    outer, _SHARED = _SHARED, {}   # views shared by the checks of this call only
    try:
        with order_cache():  # one order table for all checks
            for f in CHECKS:
                try:
                    c = f(ds, sentiment=sentiment) if f is sentiment_profile else f(ds)
                except Exception as e:  # report, never crash the whole table
                    c = _cannot(f.__name__, "", None, f"error: {type(e).__name__}: {e}")
                rows.append(c.as_dict())
    finally:
        _SHARED = outer
    return pd.DataFrame(rows)
