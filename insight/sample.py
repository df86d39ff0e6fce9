"""Built-in sample data: a synthetic Persian online shop with all seven canonical tables.

    ds = insight.sample.generate(customers=3000, seed=7)      # -> contract.Dataset
    insight sample --out data/sample --customers 3000 --seed 7

Deterministic per seed (one ``numpy.random.Generator``), fully vectorized: the
only Python loop runs over *order rank* (1st, 2nd, ... order of each customer,
a few dozen iterations), each iteration vectorized over all customers still
buying.  ~5 order lines per customer; 200k customers ~ 1M order lines.

The causal structure the reports must find
------------------------------------------
All sizes live in :data:`EFFECTS` (a frozen :class:`Effects`); pass
``effects=dataclasses.replace(EFFECTS, ...)`` to ``generate`` to switch an
effect off (e.g. ``or_repurchase_late=1.0``) and check an analysis does not
find what is not there.  Values below are the defaults.

* **Customers** sign up over the window (growth + seasonality).  Hidden
  segments (shares depend on acquisition channel): ``loyal`` (orders again with
  p=0.93, every ~16 days), ``regular`` (0.80, ~40 d), ``bargain`` (0.72, ~55 d,
  buys mostly in promotions: Nowruz / Yalda / Black Friday intensity squared,
  coupons), ``one_time`` (p=0.10 after the first order) and ``churner`` (orders
  often, every ~22 d, then stops for good 45-240 days after signup).  RFM sees
  champions, at-risk / cannot-lose, hibernating and one-off customers.
* **Acquisition channel** changes conversion to the second order: odds ratio
  on "orders again after the first order" ``or_second_order_channel``
  (referral 1.6, organic_search 1.0, google_ads 0.9, instagram 0.8, sms 0.7,
  coupon_sites 0.5) on top of the channel's segment mix.
* **Delivery**: promised in 1 day in Tehran, 2 in Karaj / Isfahan / Qom, 4
  elsewhere; ready food the same day.  P(late) = 0.07 Tehran, 0.13 near/large
  cities, 0.19 elsewhere, 0.05 ready food; odds x2.5 in the Nowruz rush
  (Mar 5 - Apr 3).  Late = ``delivered_date > promised_date``; delay 1+ days
  (geometric, mean ~2.2).
* **Late delivery raises complaints** (per order 0.13 on time -> 0.50 late; 0.35
  after a cancellation), **raises returns** (odds ratio 2.0 per line),
  **lowers ratings** (-1.3 stars on the latent rating), **lowers NPS** (-2.5
  points on the latent 0-10 score, so CSAT ~ -1.0 point) and **raises CES**
  (+0.9), and **lowers repurchase**: odds ratio ``or_repurchase_late = 0.5`` on
  the probability of ever ordering again (direct effect, holding the complaint
  outcome fixed; the total effect is stronger because late orders also draw
  complaints).  The observed odds ratio on "next order within H days" is
  diluted toward 1 by censoring and by mixing of segments.
* **Complaints**: resolved within 24 h (p=0.45), resolved slowly in 1-14 days
  (0.40) or never (0.15; ``resolved_at`` NaT, as are tickets still open at
  ``today`` -- censored).  Repurchase odds ratios vs no complaint:
  fast 1.2, slow 0.7, unresolved 0.35.  ``contacts`` (1-5) ~1.2 fast, ~2.2 slow,
  ~3.4 unresolved; ``csat_after`` ~4.3 fast vs ~3.0 slow (NaN unresolved).
  Texts mention having to repeat information mostly when contacts >= 2.
* **Problem products** (3 of 120, ``EFFECTS.problem_products``): Bluetooth
  earbuds and women's sneakers are returned with odds x8 (quality /
  not-as-described), the air fryer is backordered 30% of the time (vs 1.5%)
  and returned with odds x8 (damaged).  Their ratings are 1 star lower.
* **Seasonality**: order intensity x2.0 on Mar 10-19 (Nowruz shopping, late
  Esfand), x0.75 during the Nowruz holidays (Mar 21 - Apr 2), x1.5 on
  Dec 15-21 (Yalda), x1.4 on Nov 22-30 (Black Friday), x0.85 on Fridays, +40%
  growth over the window.  Prices rise 2.5% a month (inflation); promotions
  and coupons discount 15-20%.
* **Texts** (reviews, complaints, survey comments, return reasons) come from
  ``insight.phrases``: theme and sentiment follow the experience (late ->
  delivery complaints, returns -> their reason, ready food -> temperature,
  rating 1-2 negative, 3 mixed/neutral, 4-5 positive).  They vary like real
  text: ZWNJ present / missing / a space, Arabic ي/ك, Persian or Latin
  digits, informal spellings, typos, emoji; ~2% carry a phone number, e-mail
  or (Luhn-valid) card number for ``insight.text.mask_pii`` to find.

Values: ids ``C000001`` (customers), ``P001`` (products), ``O0000001`` (orders),
``R``/``T``/``V``/``S`` + 6 digits (returns, tickets, reviews, surveys); cities,
provinces, categories and product names in Persian; channels, touchpoints,
statuses, complaint categories and reason codes are English codes.  Money in
rial.  :func:`simulate` also returns the hidden truth (segments, the late /
complaint outcome / "orders again" draw per order) for recovery tests.

Dates: orders, deliveries, returns and signups are dates; tickets, reviews and
surveys carry a time of day.  Every event is strictly before ``today``
(default: ``start`` + ``months``); ``promised_date`` may lie after it.  Orders
still in transit at ``today`` have no ``delivered_date`` and no ``status``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight import contract, phrases as ph
from insight._sample_texts import COMPLAINT_CATEGORIES, _choice, _Texts
from insight.contract import Dataset

__all__ = ["EFFECTS", "Effects", "generate", "simulate", "write", "cli",
           "SEGMENTS", "CHANNELS", "TOUCHPOINTS", "COMPLAINT_CATEGORIES"]

# --------------------------------------------------------------------------- vocabulary
SEGMENTS = ("loyal", "regular", "bargain", "one_time", "churner")
CHANNELS = ("organic_search", "instagram", "referral", "google_ads", "sms", "coupon_sites")
CHANNEL_SHARE = (0.25, 0.25, 0.12, 0.14, 0.08, 0.16)
#: P(segment | acquisition channel), rows follow CHANNELS, columns SEGMENTS
SEGMENT_BY_CHANNEL = np.array([
    [0.12, 0.30, 0.15, 0.28, 0.15],
    [0.08, 0.25, 0.20, 0.32, 0.15],
    [0.18, 0.35, 0.12, 0.20, 0.15],
    [0.10, 0.28, 0.17, 0.30, 0.15],
    [0.07, 0.22, 0.25, 0.31, 0.15],
    [0.05, 0.15, 0.40, 0.30, 0.10],
])
ORDER_CHANNELS = ("app", "web", "phone")
COMPLAINT_CHANNELS = ("phone", "chat", "app", "email")
TOUCHPOINTS = ("delivery", "support", "checkout", "app")
RETURN_CODES = ph.RETURN_CODES  # damaged, wrong_item, not_as_described, late, changed_mind, quality
CATEGORY_CODES = tuple(ph.CATEGORIES)
_FOOD = CATEGORY_CODES.index("ready_food")
_NONFOOD = [i for i, c in enumerate(CATEGORY_CODES) if c != "ready_food"]
#: P(category | segment) for non-food orders, columns follow _NONFOOD
#: (grocery, electronics, fashion, home, beauty, books, sports)
CATEGORY_BY_SEGMENT = np.array([
    [0.40, 0.07, 0.12, 0.12, 0.14, 0.08, 0.07],
    [0.30, 0.10, 0.16, 0.14, 0.14, 0.08, 0.08],
    [0.34, 0.06, 0.20, 0.10, 0.18, 0.06, 0.06],
    [0.20, 0.18, 0.20, 0.16, 0.10, 0.08, 0.08],
    [0.28, 0.10, 0.18, 0.14, 0.14, 0.08, 0.08],
])
# segment behaviour (columns follow SEGMENTS)
_P_NEXT_FIRST = np.array([0.92, 0.75, 0.65, 0.10, 0.88])  # P(order again) after the 1st order
_P_NEXT_LATER = np.array([0.93, 0.80, 0.72, 0.35, 0.88])  # ... after later orders
_GAP_DAYS = np.array([16.0, 40.0, 55.0, 60.0, 22.0])       # mean gap between orders (intensity days)
_LINES_LAMBDA = np.array([0.65, 0.8, 1.1, 0.6, 0.8])      # extra lines per order ~ Poisson
_P_FOOD_ORDER = np.array([0.35, 0.25, 0.15, 0.20, 0.30])  # order is a ready-food order
_NPS_BASE = np.array([9.6, 8.8, 8.1, 7.7, 7.4])            # latent 0-10 satisfaction
_RATING_SEG = np.array([0.2, 0.05, -0.05, -0.1, -0.1])


def _product_index(category: str, name: str) -> int:
    names = ph.CATEGORIES[category][1]
    return CATEGORY_CODES.index(category) * len(names) + names.index(ph._z(name))


def _product_ids(n: int) -> list[str]:
    return [f"P{i + 1:03d}" for i in range(n)]


_N_PRODUCTS = sum(len(v[1]) for v in ph.CATEGORIES.values())
_PROBLEM = (  # (product index, kind)
    (_product_index("electronics", "هندزفری بلوتوثی"), "returns"),
    (_product_index("fashion", "کفش کتانی زنانه"), "returns"),
    (_product_index("home", "سرخ_کن بدون روغن"), "backorders"),
)


def _ro(d: dict) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Effects:
    """True effect sizes built into the sample data (see the module docstring)."""
    # delivery: Tehran / near-or-large cities / elsewhere
    promised_days_by_tier: tuple[int, int, int] = (1, 2, 4)
    p_late_by_tier: tuple[float, float, float] = (0.07, 0.13, 0.19)
    p_late_ready_food: float = 0.05
    late_odds_nowruz_rush: float = 2.5          # Mar 5 - Apr 3
    p_cancel: float = 0.03
    # complaints (per order)
    p_complaint_on_time: float = 0.13
    p_complaint_late: float = 0.50
    p_complaint_cancelled: float = 0.35
    resolution_mix: Mapping = field(default_factory=lambda: _ro(
        {"fast": 0.45, "slow": 0.40, "unresolved": 0.15}))
    fast_resolution_hours: float = 24.0
    # repurchase: odds ratios on P(customer orders again after this order)
    or_repurchase_late: float = 0.5
    or_repurchase_complaint: Mapping = field(default_factory=lambda: _ro(
        {"none": 1.0, "fast": 1.2, "slow": 0.7, "unresolved": 0.35}))
    or_second_order_channel: Mapping = field(default_factory=lambda: _ro(
        {"organic_search": 1.0, "instagram": 0.8, "referral": 1.6, "google_ads": 0.9,
         "sms": 0.7, "coupon_sites": 0.5}))
    # returns (per delivered line)
    p_return_base: float = 0.048
    or_return_late: float = 2.0
    or_return_problem: float = 8.0
    or_return_fashion: float = 2.0
    or_return_ready_food: float = 0.1
    # backorders (per line)
    p_backorder_base: float = 0.015
    p_backorder_problem: float = 0.30
    problem_products: tuple[str, ...] = tuple(_product_ids(_N_PRODUCTS)[i] for i, _ in _PROBLEM)
    # ratings and surveys (shifts on latent scales)
    rating_late: float = -1.3
    rating_returned: float = -1.8
    rating_complaint: float = -0.6
    rating_problem_product: float = -1.0
    nps_late: float = -2.5
    nps_complaint: Mapping = field(default_factory=lambda: _ro(
        {"fast": -0.3, "slow": -1.6, "unresolved": -3.5}))
    nps_cancelled: float = -1.5
    ces_late: float = 0.9
    # complaint handling outcomes
    csat_after_mean: Mapping = field(default_factory=lambda: _ro({"fast": 4.3, "slow": 3.0}))
    contacts_mean: Mapping = field(default_factory=lambda: _ro(
        {"fast": 1.15, "slow": 2.2, "unresolved": 3.5}))
    # seasonality (order-intensity multipliers) and prices
    nowruz_peak: float = 2.0                    # Mar 10-19
    nowruz_holidays: float = 0.75               # Mar 21 - Apr 2
    yalda: float = 1.5                          # Dec 15-21
    black_friday: float = 1.4                   # Nov 22-30
    friday: float = 0.85
    growth: float = 0.4                         # over the whole window
    inflation_per_month: float = 0.025
    # volumes
    p_review: float = 0.215                     # per delivered line
    p_survey: float = 0.185                     # per order
    pii_share: Mapping = field(default_factory=lambda: _ro(
        {"reviews": 0.01, "complaints": 0.045, "surveys": 0.015, "returns": 0.02}))

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = dict(v) if isinstance(v, Mapping) else (list(v) if isinstance(v, tuple) else v)
        return out


EFFECTS = Effects()


# --------------------------------------------------------------------------- public API
def generate(customers: int = 3000, seed: int = 7, start: str = "2023-03-21", months: int = 18,
             today: str | pd.Timestamp | None = None, effects: Effects | None = None) -> Dataset:
    """The seven canonical tables of a synthetic shop (see the module docstring)."""
    return simulate(customers, seed, start, months, today, effects)[0]


def simulate(customers: int = 3000, seed: int = 7, start: str = "2023-03-21", months: int = 18,
             today: str | pd.Timestamp | None = None, effects: Effects | None = None
             ) -> tuple[Dataset, dict[str, pd.DataFrame]]:
    """Like :func:`generate`, plus the hidden truth for recovery checks:

    * ``"customers"``: customer_id, segment, churn_date (churners only)
    * ``"orders"`` (one row per order, time order): order_id, customer_id, segment,
      rank (1 = first order), late, complaint (none / fast / slow / unresolved: the
      outcome drawn, even if still open at ``today``), orders_again (the continuation
      drawn, whether or not the next order falls before ``today``).
    """
    fx = effects or EFFECTS
    if customers < 1:
        raise ValueError(f"customers must be >= 1, got {customers}")
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    start_ts = pd.Timestamp(start).normalize()
    end = start_ts + pd.DateOffset(months=months)
    today_ts = end if today is None else pd.Timestamp(today).normalize()
    if today_ts <= start_ts:
        raise ValueError(f"today ({today_ts.date()}) must be after start ({start_ts.date()})")
    horizon = int((min(end, today_ts) - start_ts).days)   # order window, days
    limit = float((today_ts - start_ts).days)             # every event strictly before this
    g = _Gen(np.random.default_rng(seed), fx, start_ts, horizon, limit)
    return g.run(customers)


# --------------------------------------------------------------------------- calendar
class _Warp:
    """Maps real days <-> 'intensity time' so a renewal process runs at rate ~ ``rate``."""

    def __init__(self, rate: np.ndarray):
        self.rate = rate / rate.mean()
        self.cum = np.concatenate([[0.0], np.cumsum(self.rate)])

    def forward(self, t: np.ndarray) -> np.ndarray:
        d = np.clip(t.astype(np.int64), 0, len(self.rate) - 1)
        return self.cum[d] + (t - d) * self.rate[d]

    def inverse(self, u: np.ndarray) -> np.ndarray:
        d = np.clip(np.searchsorted(self.cum, u, side="right") - 1, 0, len(self.rate) - 1)
        return d + (u - self.cum[d]) / self.rate[d]


def _calendar(start: pd.Timestamp, horizon: int, fx: Effects):
    days = pd.date_range(start, periods=horizon)
    md = np.asarray(days.month * 100 + days.day)
    promo = np.ones(horizon)
    promo[(md >= 310) & (md <= 319)] = fx.nowruz_peak
    promo[(md >= 1215) & (md <= 1221)] = fx.yalda
    promo[(md >= 1122) & (md <= 1130)] = fx.black_friday
    base = (1 + fx.growth * np.arange(horizon) / horizon)
    base = base * np.where((md >= 321) & (md <= 402), fx.nowruz_holidays, 1.0)
    base = base * np.where(np.asarray(days.dayofweek) == 4, fx.friday, 1.0)
    rush = (md >= 305) & (md <= 403)
    return _Warp(base * promo), _Warp(base * promo ** 2), promo > 1, rush


# --------------------------------------------------------------------------- helpers
def _logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)  # an effect switched off (p = 0) stays finite
    return np.log(p / (1 - p))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _pick(rng, cdf_rows: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) cumulative-probability matrix."""
    u = rng.random(len(cdf_rows))
    return np.minimum((u[:, None] > cdf_rows).sum(axis=1), cdf_rows.shape[1] - 1)


def _ids(prefix: str, n: int, width: int | None = None) -> pd.Series:
    width = width or max(len(str(n)), 1)
    arr = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width, "0")
    return pd.Series(pd.array(pc.binary_join_element_wise(prefix, arr, ""), dtype="str"))


def _take(labels, idx: np.ndarray) -> pd.Series:
    """Labels (strings) by integer index; -1 -> missing."""
    arr = pa.array(list(labels) + [None], type=pa.string())
    idx = np.where(idx < 0, len(labels), idx)
    return pd.Series(pd.array(arr.take(pa.array(idx)), dtype="str"))


def _stamp(start: pd.Timestamp, t: np.ndarray, unit: str = "m") -> np.ndarray:
    """Days since ``start`` (float, NaN = missing) -> datetime64[ns] rounded to ``unit``."""
    t = np.asarray(t, dtype=float)
    bad = ~np.isfinite(t)
    per_day = {"D": 1, "m": 1440}[unit]
    k = np.where(bad, 0, np.floor(t * per_day + (0 if unit == "D" else 0.5))).astype(np.int64)
    out = (np.datetime64(start.to_datetime64(), unit) + k.astype(f"timedelta64[{unit}]")).astype("datetime64[ns]")
    out[bad] = np.datetime64("NaT", "ns")
    return out


# --------------------------------------------------------------------------- the simulation
class _Gen:
    def __init__(self, rng, fx: Effects, start, horizon: int, limit: float):
        self.rng, self.fx, self.start, self.horizon, self.limit = rng, fx, start, horizon, limit
        self.warp, self.warp_bargain, self.promo_day, self.rush_day = _calendar(start, horizon, fx)
        self.texts = _Texts(rng)

    # ---- customers
    def customers(self, n: int):
        rng = self.rng
        channel = _choice(rng, n, CHANNEL_SHARE)
        seg = _pick(rng, np.cumsum(SEGMENT_BY_CHANNEL, axis=1)[channel])
        city = _choice(rng, n, [c[2] for c in ph.CITIES])
        signup = self.warp.inverse(rng.uniform(0, self.warp.cum[-1], n))
        first = signup + np.where(rng.random(n) < 0.55, 0.0, rng.exponential(10.0, n))
        first = np.maximum(first, np.floor(signup))
        churn_at = np.where(seg == SEGMENTS.index("churner"), signup + rng.uniform(45, 240, n), np.inf)
        return dict(channel=channel, seg=seg, city=city, signup=signup, first=first, churn_at=churn_at)

    # ---- orders: one vectorized step per order rank
    def orders(self, cu: dict) -> dict:
        rng, fx, H = self.rng, self.fx, self.horizon
        tier_of_city = np.array([c[3] for c in ph.CITIES])
        promised_tier = np.array(fx.promised_days_by_tier)
        p_late_tier = np.array(fx.p_late_by_tier)
        mix = fx.resolution_mix
        res_p = [mix["fast"], mix["slow"], mix["unresolved"]]
        or_out = np.log([fx.or_repurchase_complaint[k] for k in ("fast", "slow", "unresolved")])
        or_chan = np.log([fx.or_second_order_channel[c] for c in CHANNELS])
        bargain = SEGMENTS.index("bargain")

        cid = np.flatnonzero(cu["first"] < H)
        t = cu["first"][cid]
        rank, out = 1, []
        while cid.size:
            n = cid.size
            seg = cu["seg"][cid]
            day = np.floor(t)
            food = rng.random(n) < _P_FOOD_ORDER[seg]
            cancelled = rng.random(n) < fx.p_cancel
            tier = tier_of_city[cu["city"][cid]]
            promised = np.where(food, 0, promised_tier[tier])
            p_late = np.where(food, fx.p_late_ready_food, p_late_tier[tier])
            rush = self.rush_day[day.astype(np.int64)]
            p_late = np.where(rush, _sigmoid(_logit(p_late) + np.log(fx.late_odds_nowruz_rush)), p_late)
            late = ~cancelled & (rng.random(n) < p_late)
            delay = np.where(late, rng.geometric(0.45, n), 0)
            early = (~late) & (promised >= 2) & (rng.random(n) < 0.35)
            lag = promised + delay - early
            p_c = np.where(cancelled, fx.p_complaint_cancelled,
                           np.where(late, fx.p_complaint_late, fx.p_complaint_on_time))
            complaint = rng.random(n) < p_c
            outcome = np.where(complaint, _choice(rng, n, res_p), -1)  # 0 fast, 1 slow, 2 unresolved
            lo = _logit(np.where(rank == 1, _P_NEXT_FIRST[seg], _P_NEXT_LATER[seg]))
            lo = lo + np.log(fx.or_repurchase_late) * late + np.where(outcome >= 0, or_out[outcome.clip(0)], 0)
            if rank == 1:
                lo = lo + or_chan[cu["channel"][cid]]
            again = rng.random(n) < _sigmoid(lo)
            out.append(dict(cid=cid, t=t, rank=np.full(n, rank), food=food, cancelled=cancelled,
                            promised=promised, late=late, delay=delay, lag=lag, complaint=complaint,
                            outcome=outcome, again=again))
            # next order time: a gamma gap in intensity time (bargain hunters on their own clock)
            gap = rng.gamma(2.0, _GAP_DAYS[seg] / 2.0) + 0.5
            nxt = np.empty(n)
            for is_b, w in ((False, self.warp), (True, self.warp_bargain)):
                m = (seg == bargain) == is_b
                nxt[m] = w.inverse(w.forward(t[m]) + gap[m])
            keep = again & (nxt < H) & (nxt < cu["churn_at"][cid])
            cid, t, rank = cid[keep], nxt[keep], rank + 1
        if not out:  # nobody ordered before `today`
            out = [dict(cid=np.zeros(0, int), t=np.zeros(0), rank=np.zeros(0, int), food=np.zeros(0, bool),
                        cancelled=np.zeros(0, bool), promised=np.zeros(0, int), late=np.zeros(0, bool),
                        delay=np.zeros(0, int), lag=np.zeros(0, int), complaint=np.zeros(0, bool),
                        outcome=np.zeros(0, int), again=np.zeros(0, bool))]
        o = {k: np.concatenate([d[k] for d in out]) for k in out[0]}
        order = np.argsort(o["t"], kind="stable")
        return {k: v[order] for k, v in o.items()}

    # ---- the whole dataset
    def run(self, n_customers: int):
        start = self.start
        cu = self.customers(n_customers)
        od = self.orders(cu)
        od["seg"] = cu["seg"][od["cid"]]
        od["day"] = np.floor(od["t"])
        od["deliver"] = od["day"] + od["lag"]
        od["in_transit"] = ~od["cancelled"] & (od["deliver"] >= self.limit)
        cat = self.catalog()
        ids = SimpleNamespace(order=_ids("O", len(od["t"]), 7), cust=_ids("C", n_customers, 6),
                              prod=pd.Series(_product_ids(_N_PRODUCTS), dtype="str"))
        ln, orders = self.lines(od, cat, ids)
        returns = self.returns(od, ln, ids)
        complaints = self._complaints(od, cu, ids)
        reviews = self._reviews(od, ln, cat, ids)
        surveys = self._surveys(od, ids)
        customers = pd.DataFrame({
            "customer_id": ids.cust,
            "signup_date": _stamp(start, np.floor(cu["signup"]), "D"),
            "city": _take([c[0] for c in ph.CITIES], cu["city"]),
            "province": _take([c[1] for c in ph.CITIES], cu["city"]),
            "acquisition_channel": _take(CHANNELS, cu["channel"]),
        })
        products = pd.DataFrame({
            "product_id": ids.prod,
            "name": pd.Series([n for v in ph.CATEGORIES.values() for n in v[1]], dtype="str"),
            "category": _take([v[0] for v in ph.CATEGORIES.values()], cat.category),
            "price": np.round(cat.price * self.inflation(self.horizon) / 1000) * 1000,
        })
        tables = dict(customers=customers, products=products, orders=orders, returns=returns,
                      complaints=complaints, reviews=reviews, surveys=surveys)
        ds = Dataset(**{k: contract.conform(k, v) for k, v in tables.items()})
        churn = np.where(np.isfinite(cu["churn_at"]), np.floor(cu["churn_at"]), np.nan)
        truth = {
            "customers": pd.DataFrame({
                "customer_id": ids.cust, "segment": _take(SEGMENTS, cu["seg"]),
                "churn_date": _stamp(start, churn, "D")}),
            "orders": pd.DataFrame({
                "order_id": ids.order, "customer_id": ids.cust.take(od["cid"]).reset_index(drop=True),
                "segment": _take(SEGMENTS, od["seg"]), "rank": od["rank"], "late": od["late"],
                "complaint": _take(("fast", "slow", "unresolved", "none"),
                                   np.where(od["outcome"] < 0, 3, od["outcome"])),
                "orders_again": od["again"]}),
        }
        return ds, truth

    def inflation(self, t):
        """Price level at day ``t`` relative to ``start``."""
        return (1 + self.fx.inflation_per_month) ** (np.asarray(t) / 30.44)

    # ---- products: price, popularity, quality, backorder risk
    def catalog(self) -> SimpleNamespace:
        rng, fx = self.rng, self.fx
        per_cat = len(next(iter(ph.CATEGORIES.values()))[1])
        category = np.repeat(np.arange(len(CATEGORY_CODES)), per_cat)
        lo, hi = np.array([v[2] for v in ph.CATEGORIES.values()], dtype=float).T
        price = np.round(np.exp(rng.uniform(np.log(lo[category]), np.log(hi[category]))) / 10_000) * 10_000
        rank = rng.permuted(np.tile(np.arange(per_cat), (len(CATEGORY_CODES), 1)), axis=1)
        popularity = 1.0 / (1 + rank) ** 0.8                     # Zipf-like within each category
        problem = np.array([i for i, _ in _PROBLEM])
        popularity.ravel()[problem] = np.median(popularity)      # sold often enough to be seen
        quality = rng.normal(0, 0.25, _N_PRODUCTS)
        quality[problem] += fx.rating_problem_product
        backorders = np.isin(np.arange(_N_PRODUCTS), [i for i, k in _PROBLEM if k == "backorders"])
        return SimpleNamespace(
            per_cat=per_cat, category=category, price=price, problem=problem, quality=quality,
            pop_cdf=np.cumsum(popularity / popularity.sum(axis=1, keepdims=True), axis=1),
            p_backorder=np.where(backorders, fx.p_backorder_problem, fx.p_backorder_base))

    # ---- order lines
    def lines(self, od, cat, ids):
        rng = self.rng
        n_lines = 1 + rng.poisson(np.where(od["food"], 0.7, _LINES_LAMBDA[od["seg"]]))
        o = np.repeat(np.arange(len(od["t"])), n_lines)             # line -> order
        N = len(o)
        seg = od["seg"][o]
        category = np.array(_NONFOOD)[_pick(rng, np.cumsum(CATEGORY_BY_SEGMENT, axis=1)[seg])]
        category = np.where(od["food"][o], _FOOD, category)
        prod = category * cat.per_cat + _pick(rng, cat.pop_cdf[category])
        qty = 1 + np.select([category == CATEGORY_CODES.index("grocery"), category == _FOOD],
                            [rng.poisson(0.5, N), rng.poisson(0.25, N)], (rng.random(N) < 0.08).astype(int))
        promo = self.promo_day[od["day"][o].astype(np.int64)]
        disc = np.where(promo & (rng.random(N) < 0.5), 0.85, 1.0)
        disc = disc * np.where((seg == SEGMENTS.index("bargain")) & (rng.random(N) < 0.5), 0.8, 1.0)
        price = np.round(cat.price[prod] * self.inflation(od["t"][o]) * disc / 1000) * 1000
        cancelled = od["cancelled"][o]
        backordered = ~cancelled & (rng.random(N) < cat.p_backorder[prod])
        delivered = ~cancelled & ~backordered & ~od["in_transit"][o]
        status = np.select([cancelled, backordered, delivered], [1, 2, 0], -1)   # -1: in transit
        deliver = np.where(delivered, od["deliver"][o], np.nan)
        ln = SimpleNamespace(order=o, seg=seg, category=category, prod=prod, qty=qty, price=price,
                             late=od["late"][o], delivered=delivered, deliver=deliver,
                             order_id=ids.order.take(o).reset_index(drop=True),
                             cust_id=ids.cust.take(od["cid"][o]).reset_index(drop=True),
                             prod_id=ids.prod.take(prod).reset_index(drop=True))
        orders = pd.DataFrame({
            "order_id": ln.order_id,
            "customer_id": ln.cust_id,
            "order_date": _stamp(self.start, od["day"][o], "D"),
            "product_id": ln.prod_id,
            "category": _take([v[0] for v in ph.CATEGORIES.values()], category),
            "quantity": qty.astype(float),
            "unit_price": price,
            "channel": _take(ORDER_CHANNELS, _choice(rng, len(od["t"]), (0.55, 0.35, 0.10))[o]),
            "promised_date": _stamp(self.start, (od["day"] + od["promised"])[o], "D"),
            "delivered_date": _stamp(self.start, deliver, "D"),
            "status": _take(contract.ORDER_STATUSES, status),
        })
        return ln, orders

    # ---- returns (delivered lines); sets ln.reason and od["return_reason"]
    def returns(self, od, ln, ids) -> pd.DataFrame:
        rng, fx = self.rng, self.fx
        N = len(ln.order)
        logit = (_logit(fx.p_return_base) + np.log(fx.or_return_late) * ln.late
                 + np.log(fx.or_return_problem) * np.isin(ln.prod, [i for i, _ in _PROBLEM])
                 + np.log(fx.or_return_fashion) * (ln.category == CATEGORY_CODES.index("fashion"))
                 + np.log(fx.or_return_ready_food) * (ln.category == _FOOD))
        day = ln.deliver + 1 + np.minimum(np.floor(rng.gamma(2.0, 2.0, N)), 13)
        rl = np.flatnonzero(ln.delivered & (rng.random(N) < _sigmoid(logit)) & (day < self.limit))
        reason = self._return_reasons(ln.prod[rl], ln.category[rl], ln.late[rl])
        refund = ln.qty[rl] * ln.price[rl] * np.where(reason == RETURN_CODES.index("changed_mind"), 0.9, 1.0)
        refund = np.where(rng.random(rl.size) < 0.1, np.nan, np.round(refund / 1000) * 1000)  # not yet refunded
        text = self.texts.return_reasons(reason, self._days(od["delay"][ln.order[rl]]), fx.pii_share["returns"])
        text = text.where(pd.Series(rng.random(rl.size) < 0.75), None)
        ln.reason = np.full(N, -1)
        ln.reason[rl] = reason
        od["return_reason"] = np.full(len(od["t"]), -1)          # first returned line's reason per order
        ro, first = np.unique(ln.order[rl], return_index=True)
        od["return_reason"][ro] = reason[first]
        return pd.DataFrame({
            "return_id": _ids("R", rl.size, 6),
            "order_id": ln.order_id.take(rl).reset_index(drop=True),
            "product_id": ln.prod_id.take(rl).reset_index(drop=True),
            "customer_id": ln.cust_id.take(rl).reset_index(drop=True),
            "return_date": _stamp(self.start, day[rl], "D"),
            "reason_code": _take(RETURN_CODES, reason),
            "reason_text": text,
            "refund_amount": refund,
        })

    def _days(self, delay):
        """Number for a text's {n} slot: the days late when late, else a plausible 2-9."""
        return np.where(delay > 0, delay, self.rng.integers(2, 10, len(delay)))

    # ---- returns
    def _return_reasons(self, prod, cat, late):
        """reason_code index per returned line, by context (problem product > late > fashion > other)."""
        R = {c: i for i, c in enumerate(RETURN_CODES)}

        def row(**p):
            v = np.zeros(len(RETURN_CODES))
            for k, x in p.items():
                v[R[k]] = x
            return np.cumsum(v / v.sum())

        table = np.array([
            row(damaged=0.2, wrong_item=0.15, not_as_described=0.15, changed_mind=0.3, quality=0.2),    # other
            row(not_as_described=0.3, wrong_item=0.25, changed_mind=0.3, quality=0.15),                 # fashion
            row(late=0.55, damaged=0.1, changed_mind=0.2, quality=0.15),                                # late
            row(quality=0.5, damaged=0.2, not_as_described=0.3),                                        # earbuds
            row(not_as_described=0.5, wrong_item=0.3, quality=0.2),                                     # sneakers
            row(damaged=0.6, quality=0.3, changed_mind=0.1),                                            # air fryer
        ])
        ctx = np.select([prod == _PROBLEM[0][0], prod == _PROBLEM[1][0], prod == _PROBLEM[2][0], late,
                         cat == CATEGORY_CODES.index("fashion")], [3, 4, 5, 2, 1], 0)
        return _pick(self.rng, table[ctx])

    # ---- complaints (one per complaining order, plus a few not tied to an order)
    def _complaints(self, od, cu, ids):
        rng, fx, L = self.rng, self.fx, self.limit
        oday, deliver = od["day"], od["deliver"]
        co = np.flatnonzero(od["complaint"])
        n = co.size
        late, canc = od["late"][co], od["cancelled"][co]
        hour = rng.uniform(8 / 24, 23 / 24, n)
        opened = np.select(
            [late, canc],
            [oday[co] + od["promised"][co] + np.floor(rng.uniform(0, od["delay"][co] + 1)),
             oday[co] + np.floor(rng.uniform(0, 3, n))],
            deliver[co] + np.floor(rng.uniform(0, 6, n))) + hour
        outcome = od["outcome"][co]
        # categories: context first, random otherwise
        cats = list(COMPLAINT_CATEGORIES)
        C = {c: i for i, c in enumerate(cats)}
        other = np.array([C[c] for c in ("quality", "wrong_item", "refund", "app_payment", "staff", "packaging",
                                          "price", "description")])
        category = other[_choice(rng, n, (0.23, 0.18, 0.1, 0.15, 0.14, 0.1, 0.05, 0.05))]
        reason_to_cat = np.array([C[c] for c in ("packaging", "wrong_item", "description", "delivery", "refund", "quality")])
        rr = od["return_reason"][co]
        u = rng.random(n)
        category = np.where(od["food"][co] & (u < 0.6), C["food"], category)
        category = np.where(canc & (u < 0.6), C["refund"], np.where(canc & (u >= 0.6), C["app_payment"], category))
        category = np.where((rr >= 0) & (u < 0.8), reason_to_cat[rr.clip(0)], category)
        category = np.where(late & (u < 0.8), C["delivery"], category)
        # a few tickets not about one order (app, payment, staff): no effect on repurchase
        k = max(int(round(0.06 * n)), 1 if n else 0)
        pick = rng.integers(0, len(od["t"]), k)
        g_open = od["t"][pick] + rng.uniform(0, 20, k)
        category = np.concatenate([category, np.array([C["app_payment"], C["staff"], C["price"]])[_choice(rng, k, (0.6, 0.25, 0.15))]])
        opened = np.concatenate([opened, g_open])
        outcome = np.concatenate([outcome, _choice(rng, k, [fx.resolution_mix[x] for x in ("fast", "slow", "unresolved")])])
        owner = np.concatenate([od["cid"][co], od["cid"][pick]])
        oid = np.concatenate([co, np.full(k, -1)])
        m = len(opened)
        # resolution, contacts, csat_after
        fast_h = fx.fast_resolution_hours / 24
        resolved = np.select([outcome == 0, outcome == 1],
                             [opened + rng.uniform(0.02, fast_h * 0.98, m),
                              opened + 1 + np.minimum(rng.gamma(1.5, 2.5, m), 13)], np.nan)
        resolved = np.where(resolved < L, resolved, np.nan)     # still open at `today`: censored
        cm = fx.contacts_mean
        contacts = np.select([outcome == 0, outcome == 1],
                             [1 + (rng.random(m) < cm["fast"] - 1),
                              1 + rng.poisson(cm["slow"] - 1, m)], 2 + rng.poisson(cm["unresolved"] - 2, m))
        contacts = np.clip(contacts, 1, 5).astype(float)
        ca = fx.csat_after_mean
        csat_after = np.clip(np.round(np.where(outcome == 0, rng.normal(ca["fast"], 0.8, m),
                                               rng.normal(ca["slow"], 1.0, m))), 1, 5)
        csat_after = np.where(np.isnan(resolved) | (rng.random(m) < 0.25), np.nan, csat_after)
        channel = _choice(rng, m, (0.35, 0.3, 0.25, 0.1))
        # keep tickets opened before `today`, in time order
        idx = np.flatnonzero(opened < L)
        idx = idx[np.argsort(opened[idx], kind="stable")]
        days = self._days(np.where(oid >= 0, od["delay"][oid.clip(0)], 0))
        oid, owner, opened, resolved, category, contacts, csat_after, channel, days = (
            a[idx] for a in (oid, owner, opened, resolved, category, contacts, csat_after, channel, days))
        text = self.texts.complaints(category, contacts, days, fx.pii_share["complaints"])
        order_id = ids.order.take(oid.clip(0)).reset_index(drop=True).where(pd.Series(oid >= 0), None)
        return pd.DataFrame({
            "ticket_id": _ids("T", idx.size, 6),
            "customer_id": ids.cust.take(owner).reset_index(drop=True),
            "order_id": order_id,
            "opened_at": _stamp(self.start, opened),
            "resolved_at": _stamp(self.start, resolved),
            "channel": _take(COMPLAINT_CHANNELS, channel),
            "category": _take(cats, category),
            "text": text,
            "contacts": contacts,
            "csat_after": csat_after,
        })

    # ---- reviews (per delivered line)
    def _reviews(self, od, ln, cat, ids):
        rng, fx, L = self.rng, self.fx, self.limit
        N = len(ln.order)
        created = ln.deliver + rng.exponential(3.0, N) + rng.uniform(8 / 24, 23.9 / 24, N)
        li = np.flatnonzero(ln.delivered & (rng.random(N) < fx.p_review) & (created < L))
        li = li[np.argsort(created[li], kind="stable")]
        o, prod = ln.order[li], ln.prod[li]
        late, returned, complained = od["late"][o], ln.reason[li] >= 0, od["complaint"][o]
        latent = (4.6 + cat.quality[prod] + _RATING_SEG[ln.seg[li]] + fx.rating_late * late
                  + fx.rating_returned * returned + fx.rating_complaint * complained
                  + rng.normal(0, 0.95, li.size))
        rating = np.clip(np.round(latent), 1, 5)
        text = self.texts.reviews(rating, late, ln.reason[li], ln.category[li] == _FOOD,
                                  np.isin(prod, cat.problem), self._days(od["delay"][o]), fx.pii_share["reviews"])
        return pd.DataFrame({
            "review_id": _ids("V", li.size, 6),
            "customer_id": ln.cust_id.take(li).reset_index(drop=True),
            "product_id": ln.prod_id.take(li).reset_index(drop=True),
            "order_id": ln.order_id.take(li).reset_index(drop=True),
            "created_at": _stamp(self.start, created[li]),
            "rating": rating,
            "text": text,
        })

    # ---- surveys (per order)
    def _surveys(self, od, ids):
        rng, fx, L = self.rng, self.fx, self.limit
        oday, deliver, seg = od["day"], od["deliver"], od["seg"]
        O = len(oday)
        oi = np.flatnonzero(rng.random(O) < fx.p_survey)
        n = oi.size
        comp, canc, late = od["complaint"][oi], od["cancelled"][oi], od["late"][oi]
        outcome = od["outcome"][oi]
        T = {t: i for i, t in enumerate(TOUCHPOINTS)}
        tp = np.array([T["delivery"], T["checkout"], T["app"]])[_choice(rng, n, (0.6, 0.22, 0.18))]
        tp = np.where(comp & (rng.random(n) < 0.6), T["support"], tp)
        tp = np.where(canc & (tp == T["delivery"]), T["checkout"], tp)
        hour = rng.uniform(8 / 24, 23.9 / 24, n)
        support_t = oday[oi] + od["promised"][oi] + od["delay"][oi] + 2 + np.where(outcome == 1, 6, 1)
        submitted = np.select([tp == T["delivery"], tp == T["support"]],
                              [deliver[oi] + np.floor(rng.uniform(0, 3, n)), support_t],
                              oday[oi] + np.floor(rng.uniform(0, 2, n))) + hour
        keep = (submitted < L) & ~((tp == T["delivery"]) & od["in_transit"][oi])
        pen = np.select([outcome == 0, outcome == 1, outcome == 2],
                        [fx.nps_complaint["fast"], fx.nps_complaint["slow"], fx.nps_complaint["unresolved"]], 0.0)
        z = (_NPS_BASE[seg[oi]] + fx.nps_late * late + pen + fx.nps_cancelled * canc
             - 1.0 * (od["return_reason"][oi] >= 0) + rng.normal(0, 1.6, n))
        nps = np.clip(np.round(z), 0, 10)
        csat = np.clip(np.round(1 + 4 * (z + rng.normal(0, 1.0, n)) / 10), 1, 5)
        contacts_proxy = np.where(outcome == 2, 3, np.where(outcome == 1, 2, 1))
        ces = np.clip(np.round(1.6 + fx.ces_late * late + 0.5 * (contacts_proxy - 1) * comp
                               + 0.6 * ((tp == T["checkout"]) & (rng.random(n) < 0.3))
                               + rng.normal(0, 0.7, n)), 1, 5)
        csat = np.where(rng.random(n) < 0.12, np.nan, csat)
        ces = np.where(rng.random(n) < 0.30, np.nan, ces)
        has_comment = rng.random(n) < np.where(nps <= 6, 0.55, 0.3)
        text = self.texts.surveys(nps, tp, late, od["food"][oi], contacts_proxy * comp, self._days(od["delay"][oi]),
                                  fx.pii_share["surveys"])
        text = text.where(pd.Series(has_comment), None)
        order = np.argsort(submitted, kind="stable")
        order = order[keep[order]]
        df = pd.DataFrame({
            "response_id": _ids("S", order.size, 6),
            "customer_id": ids.cust.take(od["cid"][oi][order]).reset_index(drop=True),
            "submitted_at": _stamp(self.start, submitted[order]),
            "touchpoint": _take(TOUCHPOINTS, tp[order]),
            "nps": nps[order], "csat": csat[order], "ces": ces[order],
            "comment": text.take(order).reset_index(drop=True),
        })
        return df


# --------------------------------------------------------------------------- texts
# the text assembly lives in insight/_sample_texts.py


# --------------------------------------------------------------------------- output
def write(ds: Dataset, out: str | os.PathLike, fmt: str = "csv", meta: dict | None = None) -> dict[str, Path]:
    """Write each table as ``<table>.csv`` (UTF-8, ISO dates) or ``<table>.parquet`` into
    ``out``, each file atomically (temporary file, then rename), plus ``sample.json`` with
    ``meta``.  In a folder holding an earlier sample (it has ``sample.json``) the tables in
    the other format are removed, so a loader never sees two versions of one table."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    other = "parquet" if fmt == "csv" else "csv"
    regenerated = (out / "sample.json").exists()
    written = {}
    for name, df in ds.tables():
        if df is None:
            continue
        final = out / f"{name}.{fmt}"
        tmp = out / f".{name}.{fmt}.tmp-{os.getpid()}"
        try:
            if fmt == "csv":
                df.to_csv(tmp, index=False, encoding="utf-8", float_format="%.12g")
            else:
                df.to_parquet(tmp, index=False)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        stale = out / f"{name}.{other}"
        if regenerated and stale.exists():  # an earlier sample in the other format: would be ambiguous
            stale.unlink()
        written[name] = final
    if meta is not None:
        tmp = out / f".sample.json.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, out / "sample.json")
        written["sample.json"] = out / "sample.json"
    return written


def cli(argv: list[str] | None = None) -> int:
    """``insight sample --out DIR [--customers N] [--seed S] [--format csv|parquet] [--months M]``"""
    p = argparse.ArgumentParser(prog="insight sample", description="Generate the built-in sample data "
                                "(seven canonical tables) with known effects, see insight/sample.py.")
    p.add_argument("--out", required=True, help="output folder (created if absent)")
    p.add_argument("--customers", type=int, default=3000, help="number of customers (default 3000; ~5 order lines each)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--months", type=int, default=18, help="length of the order window (default 18)")
    p.add_argument("--start", default="2023-03-21", help="first day, ISO Gregorian (default 2023-03-21 = 1 Farvardin 1402)")
    p.add_argument("--today", default=None, help="extraction date; nothing happens on or after it (default start+months)")
    a = p.parse_args(argv)
    if a.customers < 1 or a.months < 1:
        p.error("--customers and --months must be >= 1")
    t0 = time.perf_counter()
    try:
        ds = generate(a.customers, a.seed, a.start, a.months, a.today)
    except ValueError as e:  # bad dates
        print(f"insight sample: {e}", file=sys.stderr)
        return 2
    took = time.perf_counter() - t0
    start = pd.Timestamp(a.start)
    today = pd.Timestamp(a.today) if a.today else start + pd.DateOffset(months=a.months)
    meta = {
        "generator": "insight.sample", "seed": a.seed,
        "parameters": {"customers": a.customers, "start": str(start.date()), "months": a.months,
                       "today": str(today.date()), "format": a.format, "currency": ds.currency},
        "counts": ds.counts(), "effects": EFFECTS.to_dict(),
        "segments": list(SEGMENTS), "seconds": round(took, 2),
    }
    write(ds, a.out, a.format, meta)
    width = max(map(len, ds.counts()))
    for name, count in ds.counts().items():
        print(f"{name:<{width}} {count:>10,}")
    print(f"-> {a.out} ({a.format}, seed {a.seed}, generated in {took:.1f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
