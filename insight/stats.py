"""Small shared statistics helpers: confidence intervals and two-group tests.

Everything here is vectorized over numpy arrays where that makes sense and
returns plain floats, arrays or small frozen dataclasses.  Proportions are
fractions in [0, 1] (not percent) unless a name says otherwise.

* :func:`wilson_ci` — Wilson score interval for k successes in n trials.
* :func:`proportion` — a rate with its Wilson CI as an :class:`Estimate`.
* :func:`mean_ci` — mean with a Student-t CI.
* :func:`poisson_ci` — exact (Garwood) CI for a count.
* :func:`bootstrap_ci` — percentile bootstrap for any statistic.
* :func:`quantile_ci` — distribution-free CI of a quantile (order statistics).
* :func:`two_proportion_test` — difference of two independent proportions (z-test).
* :func:`welch_test` — difference of two means (Welch t).
* :func:`odds_ratio` — 2x2 odds ratio with a Woolf (log) CI and Fisher p-value.
* :func:`compare_rates` — both of the above in one result with a tidy rates table.
* :func:`funnel_limits` — binomial funnel-plot control limits (Spiegelhalter 2005).
* :func:`beta_binomial_fit` / :func:`shrink` — empirical-Bayes beta-binomial shrinkage.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats as sps

from insight import _blas

ALPHA = 0.05


def _z(alpha: float = ALPHA) -> float:
    return float(sps.norm.ppf(1 - alpha / 2))


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided (1 - alpha) confidence interval and its n."""
    value: float
    ci_low: float
    ci_high: float
    n: int
    method: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """Group a versus group b: ``difference`` = a - b with its CI and a test.

    ``value_a``/``value_b`` are the two group estimates in the same unit as
    ``difference``; ``significant`` is ``p_value < alpha``.
    """
    difference: float
    ci_low: float
    ci_high: float
    test: str
    statistic: float
    p_value: float
    significant: bool
    value_a: float
    value_b: float
    n_a: int
    n_b: int
    alpha: float = ALPHA

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class OddsRatio:
    """Odds ratio of group a versus group b (>1: the event is more likely in a)."""
    value: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str = "fisher exact"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class RateComparison:
    """Two rates side by side: ``rates`` (one row per group: group, k, n, rate,
    ci_low, ci_high), the difference test and the odds ratio."""
    rates: pd.DataFrame
    difference: Comparison
    odds_ratio: OddsRatio
    extra: dict = field(default_factory=dict)

    @property
    def p_value(self) -> float:
        return self.difference.p_value

    @property
    def significant(self) -> bool:
        return self.difference.significant


# ---------------------------------------------------------------- intervals

def wilson_ci(k, n, alpha: float = ALPHA):
    """Wilson score interval for ``k`` successes out of ``n`` (scalars or arrays).

    Returns ``(low, high)`` as fractions; NaN where ``n == 0``.
    """
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    z = _z(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    bad = ~(n > 0)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def proportion(k, n, alpha: float = ALPHA) -> Estimate:
    """``k / n`` with a Wilson CI (fractions)."""
    k, n = int(k), int(n)
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    lo, hi = wilson_ci(k, n, alpha)
    return Estimate(k / n if n else float("nan"), lo, hi, n, "wilson")


def mean_ci(values, alpha: float = ALPHA) -> Estimate:
    """Mean of the non-NaN ``values`` with a Student-t CI (NaN CI when n < 2)."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, "t")
    m = float(x.mean())
    if n < 2:
        return Estimate(m, float("nan"), float("nan"), 1, "t")
    se = float(x.std(ddof=1)) / np.sqrt(n)
    t = float(sps.t.ppf(1 - alpha / 2, n - 1))
    return Estimate(m, float(m - t * se), float(m + t * se), n, "t")


def t_ci_arrays(mean, sd, n, alpha: float = ALPHA):
    """Vectorized Student-t CI from group means, sample SDs (ddof=1) and sizes."""
    mean = np.asarray(mean, dtype="float64")
    sd = np.asarray(sd, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        t = sps.t.ppf(1 - alpha / 2, np.where(n > 1, n - 1, np.nan))
        half = t * sd / np.sqrt(n)
    return mean - half, mean + half


def poisson_ci(count, alpha: float = ALPHA):
    """Exact (Garwood) CI of a Poisson count (scalar or array) -> ``(low, high)``."""
    c = np.asarray(count, dtype="float64")
    low = np.where(c > 0, sps.chi2.ppf(alpha / 2, 2 * c) / 2, 0.0)
    high = sps.chi2.ppf(1 - alpha / 2, 2 * (c + 1)) / 2
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def bootstrap_ci(values, statistic=np.mean, *, n_boot: int = 2000, alpha: float = ALPHA,
                 seed: int = 0) -> Estimate:
    """Percentile bootstrap CI of ``statistic`` (a numpy reducer taking ``axis``).

    Resamples in chunks so memory stays below ~8 MB of indices at a time.
    """
    x = np.asarray(values, dtype="float64")
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, "bootstrap")
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, 1_000_000 // n))
    out = []
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        out.append(statistic(x[idx], axis=1))
        done += b
    boots = np.concatenate(out)
    lo, hi = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return Estimate(float(statistic(x)), float(lo), float(hi), n, "bootstrap percentile")


def quantile_ci(values, q: float = 0.5, alpha: float = ALPHA) -> Estimate:
    """Quantile ``q`` of ``values`` with a distribution-free CI from order statistics
    (binomial ranks; conservative, NaN bound when n is too small)."""
    x = np.sort(np.asarray(values, dtype="float64"))
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, "order statistics")
    lo_rank = int(sps.binom.ppf(alpha / 2, n, q))          # 0-based index of lower bound
    hi_rank = int(sps.binom.ppf(1 - alpha / 2, n, q))      # 0-based index of upper bound
    lo = float(x[lo_rank - 1]) if lo_rank >= 1 else float("nan")
    hi = float(x[hi_rank]) if hi_rank < n else float("nan")
    return Estimate(float(np.quantile(x, q)), lo, hi, n, "order statistics")


# ---------------------------------------------------------------- tests

def two_proportion_test(k_a, n_a, k_b, n_b, alpha: float = ALPHA) -> Comparison:
    """Difference of two independent proportions, a - b (fractions).

    Test: pooled two-proportion z-test (statsmodels ``proportions_ztest``);
    CI of the difference: Newcombe's hybrid score interval (statsmodels
    ``confint_proportions_2indep(method="newcomb")``).
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    k_a, n_a, k_b, n_b = int(k_a), int(n_a), int(k_b), int(n_b)
    if min(n_a, n_b) <= 0:
        raise ValueError(f"both groups need n > 0 (got n_a={n_a}, n_b={n_b})")
    pa, pb = k_a / n_a, k_b / n_b
    if k_a + k_b in (0, n_a + n_b):  # no variation at all: nothing to test
        stat, p = 0.0, 1.0
    else:
        stat, p = proportions_ztest([k_a, k_b], [n_a, n_b])
    lo, hi = confint_proportions_2indep(k_a, n_a, k_b, n_b, method="newcomb", alpha=alpha)
    return Comparison(pa - pb, float(lo), float(hi), "two-proportion z", float(stat), float(p),
                      bool(p < alpha), pa, pb, n_a, n_b, alpha)


def welch_test(a, b, alpha: float = ALPHA) -> Comparison:
    """Difference of two means, mean(a) - mean(b), by Welch's unequal-variance t-test
    (scipy ``ttest_ind(equal_var=False)``) with its Welch CI.  NaNs are dropped."""
    a = np.asarray(a, dtype="float64"); a = a[~np.isnan(a)]
    b = np.asarray(b, dtype="float64"); b = b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        raise ValueError(f"Welch t needs at least 2 values per group (got {a.size}, {b.size})")
    res = sps.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(1 - alpha)
    return Comparison(float(a.mean() - b.mean()), float(ci.low), float(ci.high), "Welch t",
                      float(res.statistic), float(res.pvalue), bool(res.pvalue < alpha),
                      float(a.mean()), float(b.mean()), int(a.size), int(b.size), alpha)


def z_test(diff: float, se: float, value_a: float, value_b: float, n_a: int, n_b: int,
           test: str = "z", alpha: float = ALPHA) -> Comparison:
    """A Wald z-test of ``diff`` with standard error ``se`` (normal CI)."""
    z = _z(alpha)
    if not se > 0:
        stat, p = (0.0, 1.0) if diff == 0 else (float("inf"), 0.0)
    else:
        stat = diff / se
        p = float(2 * sps.norm.sf(abs(stat)))
    return Comparison(float(diff), float(diff - z * se), float(diff + z * se), test, float(stat),
                      float(p), bool(p < alpha), float(value_a), float(value_b), int(n_a), int(n_b),
                      alpha)


def odds_ratio(k_a, n_a, k_b, n_b, alpha: float = ALPHA) -> OddsRatio:
    """Odds ratio of the event in group a versus b.

    Point estimate and Woolf log CI from statsmodels ``Table2x2``; when a cell is
    zero, 0.5 is added to every cell (Haldane-Anscombe) for the estimate and CI.
    p-value: Fisher's exact test (scipy).
    """
    from statsmodels.stats.contingency_tables import Table2x2

    t = np.array([[k_a, n_a - k_a], [k_b, n_b - k_b]], dtype="float64")
    if (t < 0).any():
        raise ValueError("need 0 <= k <= n in both groups")
    p = float(sps.fisher_exact(t.astype(int)).pvalue)
    tab = Table2x2(t + 0.5 if (t == 0).any() else t)
    lo, hi = tab.oddsratio_confint(alpha=alpha)
    return OddsRatio(float(tab.oddsratio), float(lo), float(hi), p)


def compare_rates(k_a, n_a, k_b, n_b, labels=("a", "b"), alpha: float = ALPHA,
                  group_name: str = "group") -> RateComparison:
    """Two rates with Wilson CIs, their difference (z-test, Newcombe CI) and odds ratio."""
    k = np.array([k_a, k_b], dtype="int64")
    n = np.array([n_a, n_b], dtype="int64")
    lo, hi = wilson_ci(k, n, alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = k / n
    rates = pd.DataFrame({group_name: list(labels), "k": k, "n": n, "rate": rate,
                          "ci_low": lo, "ci_high": hi})
    return RateComparison(rates, two_proportion_test(k_a, n_a, k_b, n_b, alpha),
                          odds_ratio(k_a, n_a, k_b, n_b, alpha))


# ---------------------------------------------------------------- funnel & shrinkage

def funnel_limits(p0: float, n, level: float = 0.95):
    """Binomial funnel-plot control limits around the pooled rate ``p0`` for group
    sizes ``n`` (array) at two-sided ``level`` (0.95, 0.998).

    Exact binomial quantiles with Spiegelhalter's (2005) interpolation, so the
    limits are smooth in ``n``.  Returns ``(low, high)`` as fractions.
    """
    n = np.asarray(n, dtype="float64")
    out = []
    for q in ((1 - level) / 2, 1 - (1 - level) / 2):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = sps.binom.ppf(q, n, p0)
            f_r = sps.binom.cdf(r, n, p0)
            f_r1 = sps.binom.cdf(r - 1, n, p0)
            a = np.where(f_r - f_r1 > 0, (f_r - q) / (f_r - f_r1), 0.0)
            lim = np.clip((r - a) / n, 0.0, 1.0)
        out.append(np.where(n > 0, lim, np.nan))
    return out[0], out[1]


@dataclass(frozen=True)
class BetaBinomial:
    """Prior Beta(a, b) of the group rates; ``mean = a/(a+b)``; ``a + b`` is the
    prior strength in pseudo-trials (inf: no between-group variation found)."""
    a: float
    b: float
    method: str

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b) if np.isfinite(self.a + self.b) else self.a

    @property
    def strength(self) -> float:
        return self.a + self.b


_MAX_STRENGTH = 1e7


def beta_binomial_fit(k, n, method: str = "ml") -> BetaBinomial:
    """Fit the beta prior of group rates from counts ``k`` out of ``n``.

    ``method="mom"``: method of moments on the rates (n-weighted, binomial noise
    removed).  ``method="ml"`` (default): maximum likelihood of the beta-binomial,
    started from the moments.  When the rates vary no more than binomial noise,
    the prior strength is capped at 1e7 (i.e. everything shrinks to the pooled rate).
    """
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    keep = n > 0
    k, n = k[keep], n[keep]
    if k.size == 0:
        raise ValueError("no groups with n > 0")
    p0 = k.sum() / n.sum()
    if p0 <= 0 or p0 >= 1:
        # all zero or all events: a degenerate prior at p0
        eps = 1e-9
        m = min(max(p0, eps), 1 - eps)
        return BetaBinomial(m * _MAX_STRENGTH, (1 - m) * _MAX_STRENGTH, "degenerate")
    # method of moments: Var(r_i) = p(1-p) [1/n_i + rho (1 - 1/n_i)] with
    # rho = 1/(a+b+1); match the n-weighted spread of the rates around p0.
    r = k / n
    w = n / n.sum()
    s2 = float(np.sum(w * (r - p0) ** 2)) / (p0 * (1 - p0))
    c = w * (1 - w)
    rho = (s2 - np.sum(c / n)) / max(float(np.sum(c * (1 - 1 / n))), 1e-12)
    strength = _MAX_STRENGTH if rho <= 1 / (_MAX_STRENGTH + 1) else min(max(1 / rho - 1, 1e-3), _MAX_STRENGTH)
    mom = BetaBinomial(float(p0 * strength), float((1 - p0) * strength), "moments")
    if method == "mom" or k.size < 3:
        return mom
    if method != "ml":
        raise ValueError(f"method must be 'ml' or 'mom', got {method!r}")

    # scipy's betabinom.logpmf written out (same terms, same order, so the same
    # floating-point values): the distribution wrapper's argument checks cost ~1 ms
    # a call and L-BFGS-B's finite differences call it ~40 times per fit
    kf = np.floor(k)
    combiln = -np.log(n + 1) - special.betaln(n - kf + 1, kf + 1)

    def nll(theta):
        m = 1 / (1 + np.exp(-theta[0]))
        s = np.exp(theta[1])
        a, b = m * s, (1 - m) * s
        return -np.sum(combiln + special.betaln(kf + a, n - kf + b) - special.betaln(a, b))

    x0 = [np.log(p0 / (1 - p0)), np.log(min(strength, 1e6))]
    with _blas.one_thread():  # 2 parameters: a threaded BLAS only adds wake-ups
        res = optimize.minimize(nll, x0, method="L-BFGS-B",
                                bounds=[(-20, 20), (np.log(1e-3), np.log(_MAX_STRENGTH))])
    if not res.success and not np.isfinite(res.fun):
        return mom
    m = 1 / (1 + np.exp(-res.x[0]))
    s = float(np.exp(res.x[1]))
    return BetaBinomial(float(m * s), float((1 - m) * s), "ml")


def shrink(k, n, prior: BetaBinomial | None = None):
    """Posterior-mean rates ``(k + a) / (n + a + b)`` under a beta prior fitted to
    all groups (empirical Bayes).  Returns ``(shrunk, prior)``."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    prior = prior or beta_binomial_fit(k, n)
    return (k + prior.a) / (n + prior.a + prior.b), prior
