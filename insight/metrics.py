"""Perception metrics — NPS, CSAT, CES and sentiment shares — each with n and a CI.

Units
-----
* NPS: points on -100..100 (% promoters − % detractors).  Shares (``promoters``,
  ``passives``, ``detractors``) are fractions in [0, 1].
* CSAT: ``value`` is the **mean** answer on the survey's own scale (1..5 by
  default); ``top2_share`` is the fraction answering in the top two boxes
  (4–5 on a 1–5 scale) with a Wilson CI.
* CES: ``value`` is the mean effort on 1..scale (lower is less effort);
  ``low_effort_share`` is the fraction in the bottom two boxes (1–2).
* Sentiment shares: fractions in [0, 1]; the positive-to-negative ratio is a
  plain ratio (e.g. 40% / 15% = 2.67).

NaN answers are ignored; an answer outside the scale raises ``ValueError``.
Confidence intervals are two-sided 95% unless ``alpha`` says otherwise.

NPS variance: promoters and detractors come from one multinomial sample, so
Var(NPS/100) = (p_p + p_d − (p_p − p_d)²) / n; the CI is the Wald interval
clipped to [-100, 100] (degenerate when every answer is in one class).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from insight import _events as _ev
from insight import stats as st
from insight.stats import ALPHA, Comparison

__all__ = ["NPSResult", "CSATResult", "CESResult", "nps", "csat", "ces", "by", "compare",
           "sentiment_shares", "period_labels", "SCALES"]

#: valid answer ranges per metric (low, high)
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 5)}

DATE_COLUMNS = ("submitted_at", "created_at", "opened_at", "order_date", "return_date")


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class NPSResult:
    """NPS in points (-100..100) with a 95% CI; shares are fractions."""
    value: float
    ci_low: float
    ci_high: float
    n: int
    promoters: float
    passives: float
    detractors: float
    se: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CSATResult:
    """CSAT: ``value`` = mean answer (t CI); ``top2_share`` = fraction in the top two boxes
    (Wilson CI)."""
    value: float
    ci_low: float
    ci_high: float
    n: int
    top2_share: float
    top2_ci_low: float
    top2_ci_high: float
    scale: int = 5

    @property
    def mean(self) -> float:
        return self.value

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CESResult:
    """CES: ``value`` = mean effort (lower is better, t CI); ``low_effort_share`` = fraction
    answering 1 or 2 (Wilson CI)."""
    value: float
    ci_low: float
    ci_high: float
    n: int
    low_effort_share: float
    low_effort_ci_low: float
    low_effort_ci_high: float
    scale: int = 5

    @property
    def mean(self) -> float:
        return self.value

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- validation

def _scores(scores, lo: float, hi: float, name: str) -> np.ndarray:
    """Non-NaN answers as float64; raise on anything outside [lo, hi] or non-numeric."""
    s = pd.Series(scores)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            raise ValueError(f"{name}: non-numeric answers, e.g. {s[bad].iloc[0]!r}")
        s = num
    x = np.asarray(s, dtype="float64")
    x = x[~np.isnan(x)]
    out = (x < lo) | (x > hi)
    if out.any():
        raise ValueError(f"{name}: {int(out.sum())} answer(s) outside {lo:g}..{hi:g}, "
                         f"e.g. {x[out][0]:g}")
    return x


def _clip(e: st.Estimate, lo: float, hi: float) -> st.Estimate:
    """A mean's t CI cannot leave the answer scale: clip it (small n)."""
    return st.Estimate(e.value, float(np.clip(e.ci_low, lo, hi)), float(np.clip(e.ci_high, lo, hi)),
                       e.n, e.method)


def _top2_threshold(scale: int) -> float:
    return scale - 1


def _check_scale(scale: int, allowed=(5, 7, 10)) -> int:
    if scale not in allowed:
        raise ValueError(f"scale must be one of {allowed}, got {scale!r}")
    return int(scale)


# ---------------------------------------------------------------- metrics

def _nps_from_counts(k_p, k_d, n, alpha=ALPHA):
    """Vectorized NPS (points), CI and SE from promoter/detractor counts."""
    k_p = np.asarray(k_p, dtype="float64")
    k_d = np.asarray(k_d, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        pp, pd_ = k_p / n, k_d / n
        val = pp - pd_
        var = (pp + pd_ - val ** 2) / n
        se = np.sqrt(np.maximum(var, 0.0))
    z = st._z(alpha)
    lo = np.clip(val - z * se, -1, 1)
    hi = np.clip(val + z * se, -1, 1)
    return 100 * val, 100 * lo, 100 * hi, 100 * se, pp, pd_


def nps(scores, alpha: float = ALPHA) -> NPSResult:
    """Net Promoter Score of 0–10 answers: % promoters (9–10) − % detractors (0–6).

    >>> nps([10, 9, 8, 7, 6, 0, 10]).value   # 3 promoters, 2 detractors, n 7
    14.285714285714285
    """
    x = _scores(scores, 0, 10, "nps")
    n = x.size
    k_p, k_d = int((x >= 9).sum()), int((x <= 6).sum())
    val, lo, hi, se, pp, pdt = (float(v) for v in _nps_from_counts(k_p, k_d, n, alpha))
    pas = (n - k_p - k_d) / n if n else float("nan")
    return NPSResult(val, lo, hi, n, pp, pas, pdt, se)


def csat(scores, scale: int = 5, alpha: float = ALPHA) -> CSATResult:
    """CSAT of 1..scale answers: mean (t CI) and top-two-box share (Wilson CI)."""
    scale = _check_scale(scale)
    x = _scores(scores, 1, scale, "csat")
    m = _clip(st.mean_ci(x, alpha), 1, scale)
    k = int((x >= _top2_threshold(scale)).sum())
    share = st.proportion(k, x.size, alpha)
    return CSATResult(m.value, m.ci_low, m.ci_high, m.n, share.value, share.ci_low,
                      share.ci_high, scale)


def ces(scores, scale: int = 5, alpha: float = ALPHA) -> CESResult:
    """Customer Effort Score of 1..scale answers (lower = less effort): mean with a t CI
    and the share answering 1–2 (Wilson CI)."""
    scale = _check_scale(scale, (5, 7))
    x = _scores(scores, 1, scale, "ces")
    m = _clip(st.mean_ci(x, alpha), 1, scale)
    share = st.proportion(int((x <= 2).sum()), x.size, alpha)
    return CESResult(m.value, m.ci_low, m.ci_high, m.n, share.value, share.ci_low,
                     share.ci_high, scale)


# ---------------------------------------------------------------- periods

def _jalali_ymd(dates: pd.Series) -> pd.DataFrame:
    """Jalali year/month/day of each (non-missing) date, vectorized via ``insight.dates``
    (falls back to jdatetime once per distinct day when that module is absent)."""
    d = pd.to_datetime(dates)
    try:
        from insight.dates import gregorian_to_jalali
    except ImportError:
        import jdatetime

        day = d.dt.normalize()
        uniq = pd.DatetimeIndex(day.dropna().unique())
        jd = [jdatetime.date.fromgregorian(date=x.date()) for x in uniq]  # per distinct day
        conv = np.array([(j.year, j.month, j.day) for j in jd], dtype="int64").reshape(-1, 3)
        table = pd.DataFrame(conv, index=uniq, columns=["year", "month", "day"])
        return table.reindex(day.to_numpy()).set_axis(dates.index)
    jy, jm, jd = gregorian_to_jalali(d.dt.year.to_numpy("int64"), d.dt.month.to_numpy("int64"),
                                     d.dt.day.to_numpy("int64"))
    return pd.DataFrame({"year": jy, "month": jm, "day": jd}, index=dates.index).astype("int64")


def _jalali_to_gregorian(y, m, d) -> pd.DatetimeIndex:
    y, m, d = (np.asarray(v, dtype="int64") for v in (y, m, d))
    try:
        from insight.dates import jalali_to_gregorian
    except ImportError:
        import jdatetime

        return pd.DatetimeIndex([pd.Timestamp(jdatetime.date(*t).togregorian())
                                 for t in zip(y, m, d)])
    gy, gm, gd = jalali_to_gregorian(y, m, d)
    return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": gy, "month": gm, "day": gd})))


def period_labels(dates, period: str = "month", calendar: str = "jalali") -> pd.DataFrame:
    """Period label and start (Gregorian Timestamp) of each date.

    Labels: Jalali month ``1403-01``, quarter ``1403-Q1`` (Q1 = Farvardin–Khordad),
    week ``1403-01-04`` (the Saturday that starts the Jalali week); Gregorian month
    ``2024-03``, quarter ``2024-Q1``, week ``2024-03-04`` (the Monday).
    Returns a frame with ``period`` (str) and ``period_start`` indexed like ``dates``.
    (:func:`by` and the other modules take the Jalali labels from
    ``insight.dates.jalali_period`` — weeks there read ``1402-W53`` — and keep
    ``period_start`` from here.)
    """
    if period not in ("month", "week", "quarter"):
        raise ValueError(f"period must be 'month', 'week' or 'quarter', got {period!r}")
    if calendar not in ("jalali", "gregorian"):
        raise ValueError(f"calendar must be 'jalali' or 'gregorian', got {calendar!r}")
    d = pd.Series(pd.to_datetime(dates)).dt.normalize()
    if calendar == "gregorian":
        if period == "week":
            start = d - pd.to_timedelta(d.dt.dayofweek, unit="D")
            label = start.dt.strftime("%Y-%m-%d")
        elif period == "month":
            start = d.dt.to_period("M").dt.start_time
            label = start.dt.strftime("%Y-%m")
        else:
            start = d.dt.to_period("Q").dt.start_time
            label = d.dt.year.astype("Int64").astype(str) + "-Q" + d.dt.quarter.astype("Int64").astype(str)
        label = label.where(d.notna())
        return pd.DataFrame({"period": label.astype("str"), "period_start": start}, index=d.index)
    ok = d.notna()
    out = pd.DataFrame({"period": pd.Series(np.nan, index=d.index, dtype="str"),
                        "period_start": pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")})
    if not ok.any():
        return out
    dd = d[ok]
    if period == "week":
        # Jalali weeks start on Saturday (dayofweek 5)
        start = dd - pd.to_timedelta((dd.dt.dayofweek - 5) % 7, unit="D")
        j = _jalali_ymd(start)
        label = (j["year"].astype(str) + "-" + j["month"].map("{:02d}".format) + "-"
                 + j["day"].map("{:02d}".format))
    else:
        j = _jalali_ymd(dd)
        if period == "month":
            start = dd - pd.to_timedelta(j["day"] - 1, unit="D")
            label = j["year"].astype(str) + "-" + j["month"].map("{:02d}".format)
        else:
            q = (j["month"] - 1) // 3 + 1
            start = pd.Series(_jalali_to_gregorian(j["year"], (q - 1) * 3 + 1, 1), index=dd.index)
            label = j["year"].astype(str) + "-Q" + q.astype(str)
    out.loc[ok, "period"] = label.astype("str")
    out.loc[ok, "period_start"] = start.astype("datetime64[ns]")
    return out


def _labels_direct(dates, period, calendar) -> pd.DataFrame:
    """Labels of each date, computed date by date (prefers ``insight.dates.jalali_period``
    for the Jalali labels when present)."""
    out = period_labels(dates, period, calendar)
    if calendar == "jalali":
        try:
            from insight.dates import jalali_period
        except ImportError:
            return out
        try:
            lab = pd.Series(jalali_period(pd.Series(pd.to_datetime(dates)), period),
                            index=out.index)
            out["period"] = lab.astype("str")
        except Exception:  # an unexpected signature: keep our own labels
            pass
    return out


def _jalali_days(days: pd.DatetimeIndex, period: str) -> pd.DataFrame | None:
    """``period`` / ``period_start`` of distinct naive midnight dates, Jalali calendar: what
    :func:`_labels_direct` gives them, by numpy day arithmetic on the few distinct days
    (no per-row pandas string work).  ``None`` when ``insight.dates`` is absent or a
    date is outside its range (the caller then uses :func:`_labels_direct`)."""
    try:
        from insight.dates import gregorian_to_jalali, jalali_period, jalali_to_gregorian
    except ImportError:
        return None
    try:
        day = np.asarray(days.values.astype("datetime64[D]"), dtype="datetime64[D]").astype(np.int64)
        if period == "week":
            day = day - (day - 2) % 7             # back to Saturday (1970-01-01 was a Thursday)
        dt = day.astype("datetime64[D]")
        month = dt.astype("datetime64[M]")
        gy = month.astype("datetime64[Y]").astype(np.int64) + 1970
        gm = month.astype(np.int64) % 12 + 1
        gd = (dt - month).astype(np.int64) + 1
        jy, jm, jd = gregorian_to_jalali(gy, gm, gd)
        if period == "month":
            start = (day - (jd - 1)).astype("datetime64[D]")
        elif period == "week":
            start = dt
        else:
            q = (jm - 1) // 3 + 1
            sy, sm, sd = jalali_to_gregorian(jy, (q - 1) * 3 + 1, np.ones_like(q))
            start = (np.asarray(sy - 1970, dtype="datetime64[Y]").astype("datetime64[M]")
                     + (sm - 1)).astype("datetime64[D]") + (sd - 1)
        label = jalali_period(pd.Series(days), period)
        return pd.DataFrame({"period": pd.Series(label, dtype="str").reset_index(drop=True),
                             "period_start": pd.Series(start.astype("datetime64[ns]"))})
    except Exception:  # out of range or unexpected input: the general path decides
        return None


_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9


def _day_codes(d: pd.Series) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """The calendar day of each naive date as a code (-1 = NaT) into the distinct days
    (a DatetimeIndex).  datetime64[ns]: days from the int64 view by floor division (=
    ``normalize``) and, when they span a modest range, distinct days from a presence
    array (no hashing; the days come out sorted -- callers use them per day only).
    Other units: ``pd.factorize(d.dt.normalize())``."""
    if d.dtype != "datetime64[ns]" or not len(d):
        return pd.factorize(d.dt.normalize())
    v = d.to_numpy().view(np.int64)
    nat = v == _NAT
    day = v // _DAY_NS
    ok_day = day[~nat] if nat.any() else day
    if not len(ok_day):
        return np.full(len(d), -1, dtype=np.int64), pd.DatetimeIndex([], dtype="datetime64[ns]")
    lo, hi = int(ok_day.min()), int(ok_day.max())
    if hi - lo > 4 * len(d) + 100_000:        # a few far-apart dates: hash them
        return pd.factorize(d.dt.normalize())
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[ok_day - lo] = True
    uniq = np.flatnonzero(present)
    slot = np.cumsum(present) - 1             # day offset -> its position among the distinct days
    if nat.any():
        code = slot[np.where(nat, 0, day - lo)]
        code[nat] = -1
    else:
        code = slot[day - lo]
    days = pd.DatetimeIndex(((uniq + lo) * _DAY_NS).view("datetime64[ns]"))
    return code, days


def _period_codes(dates, period, calendar) -> tuple[np.ndarray, pd.DataFrame]:
    """The period of each date as a code into a small table of distinct periods.

    Returns ``(code, table)``: ``code`` (int64, one per date, -1 where the date is
    missing) indexes ``table``, which has one row per distinct (``period``,
    ``period_start``) pair, sorted by period label then start -- the order
    ``groupby(["period", "period_start"], sort=True)`` gives.  A label depends only on
    the calendar day, so the labels are computed once per distinct day (a few hundred)
    rather than once per row (building 100k+ label strings is the slow part).
    """
    d = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(d.dtype):
        d = pd.Series(pd.to_datetime(dates))  # (to_datetime of datetimes scans them for nothing)
    if isinstance(d.dtype, np.dtype) and d.dtype.kind == "M":  # naive: one label per day
        day_code, days = _day_codes(d)
        lab = _jalali_days(days, period) if calendar == "jalali" and period in (
            "month", "week", "quarter") else None
        if lab is None:
            lab = _labels_direct(pd.Series(days), period, calendar)
    else:  # tz-aware or unusual input: label each date itself
        day_code = np.arange(len(d))
        lab = _labels_direct(d.reset_index(drop=True), period, calendar)
    ok = (lab["period"].notna() & lab["period_start"].notna()).to_numpy()
    pc, pu = pd.factorize(lab["period"], sort=True)
    sc, su = pd.factorize(lab["period_start"], sort=True)
    pair = pc.astype(np.int64) * max(len(su), 1) + sc
    uniq, inv = np.unique(pair[ok], return_inverse=True)
    day_pair = np.full(len(lab), -1, dtype=np.int64)
    day_pair[ok] = inv
    table = pd.DataFrame({"period": pu.take(uniq // max(len(su), 1)),
                          "period_start": su.take(uniq % max(len(su), 1))})
    code = np.where(day_code >= 0, day_pair[np.maximum(day_code, 0)] if len(day_pair) else -1, -1)
    return np.asarray(code, dtype=np.int64), table


def _labels(dates, period, calendar) -> pd.DataFrame:
    """``period`` (str) and ``period_start`` of each date, indexed like ``dates`` (Jalali
    labels from ``insight.dates.jalali_period`` when present); computed per distinct day."""
    index = dates.index if isinstance(dates, pd.Series) else pd.RangeIndex(len(dates))
    code, table = _period_codes(dates, period, calendar)
    take = np.where(code >= 0, code, -1)
    out = pd.DataFrame({c: table[c].array.take(take, allow_fill=True) for c in table.columns},
                       index=index)
    return out


def _group_ids(keys: list[tuple[np.ndarray, pd.DataFrame]], keep: np.ndarray):
    """Group rows on several keys given as integer codes.

    ``keys``: one ``(code, table)`` per key -- ``code`` per row (-1 = missing) indexes the
    rows of ``table`` (the key's column(s)), whose order is the key's sort order.  Rows
    where ``keep`` is False or any code is -1 are left out.  Returns ``(rows, gid,
    groups)``: the positions of the rows kept, their group id, and one row per observed
    key combination (columns of all tables), in sorted key order -- what
    ``groupby(keys, sort=True, observed=True)`` gives, without hashing strings.
    """
    keep = keep.copy()
    for code, _ in keys:
        keep &= code >= 0
    rows = np.flatnonzero(keep)
    if not keys:
        return rows, np.zeros(len(rows), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    sizes = [max(len(t), 1) for _, t in keys]
    if float(np.prod(sizes, dtype="float64")) < 2.0 ** 62:  # one mixed-radix int64 key
        comb = np.zeros(len(rows), dtype=np.int64)
        for (code, _), size in zip(keys, sizes):
            comb = comb * size + code[rows]
        total = int(np.prod(sizes, dtype=np.int64))
        if total <= 4 * len(rows) + 100_000:
            # few possible combinations (periods x categories): the distinct ones from a
            # count per combination, no sort -- np.unique(comb, return_inverse=True)
            present = np.bincount(comb, minlength=total) > 0
            uniq = np.flatnonzero(present)
            gid = (np.cumsum(present) - 1)[comb]
        else:
            uniq, gid = np.unique(comb, return_inverse=True)
        parts = []
        for size in sizes[::-1]:
            uniq, r = np.divmod(uniq, size)
            parts.append(r)
        parts = parts[::-1]
    else:  # too many combinations for one int64: sort the code tuples
        stacked = np.stack([code[rows] for code, _ in keys], axis=1)
        uq, gid = np.unique(stacked, axis=0, return_inverse=True)
        parts = [uq[:, j] for j in range(len(keys))]
    cols = {}
    for (_, table), part in zip(keys, parts):
        for c in table.columns:
            cols[c] = table[c].array.take(part)
    return rows, np.asarray(gid, dtype=np.int64).ravel(), pd.DataFrame(cols)


def _column_key(s: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """A group column as ``(code, table)`` for :func:`_group_ids` (sorted, -1 = missing)."""
    code, uniq = pd.factorize(s, sort=True)
    return np.asarray(code, dtype=np.int64), pd.DataFrame({s.name: uniq})


# ---------------------------------------------------------------- grouped

#: (id(frame), date column, period, calendar) -> (weakref to frame, column fingerprint,
#: (code, table)): several ``by`` calls of a report group the same answers by the same periods
_PERIODS: OrderedDict = OrderedDict()
_PERIODS_MAX = 8


def _frame_period_codes(df: pd.DataFrame, date: str, period, calendar):
    """:func:`_period_codes` of ``df[date]``, computed once per frame, column, period and
    calendar while the column is unchanged (``insight._events._content_fp``: a checksum of
    the dates).  The cached arrays are shared: read them only."""
    fp = _ev._content_fp(df[date])
    key = (id(df), date, period, calendar)
    hit = _PERIODS.get(key)
    if (fp is not None and hit is not None and hit[0]() is df and len(hit[1]) == len(fp)
            and all(a is b if isinstance(a, (pa.Array, pa.ChunkedArray)) else a == b
                    for a, b in zip(hit[1], fp))):
        _PERIODS.move_to_end(key)
        return hit[2]
    code, table = _period_codes(df[date], period, calendar)
    code.setflags(write=False)
    if fp is not None:
        _ev._remember(_PERIODS, _PERIODS_MAX, key, df, fp, (code, table))
    return code, table


def _default_date(df: pd.DataFrame) -> str | None:
    return next((c for c in DATE_COLUMNS if c in df.columns), None)


def by(df: pd.DataFrame, metric: str = "nps", *, date: str | None = None,
       period: str | None = "month", calendar: str = "jalali", by=None,
       column: str | None = None, scale: int | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """One row per period (and group) with ``value, ci_low, ci_high, n``.

    ``metric``: ``"nps"`` (points), ``"csat"`` (mean), ``"top2"`` (CSAT top-two share,
    fraction), ``"ces"`` (mean effort).  ``column`` defaults to the metric's canonical
    column (``nps``, ``csat``, ``csat`` for top2, ``ces``).  ``date`` defaults to the
    first of submitted_at / created_at / opened_at / order_date present; ``period=None``
    groups by ``by`` only.  Rows with a missing answer or group key are left out.
    Extra columns: NPS ``promoters, detractors`` (fractions); CSAT ``top2_share``.
    """
    metric = metric.lower()
    if metric not in ("nps", "csat", "top2", "ces"):
        raise ValueError(f"metric must be nps, csat, top2 or ces, got {metric!r}")
    column = column or {"top2": "csat"}.get(metric, metric)
    if column not in df.columns:
        raise KeyError(f"column {column!r} not in frame (columns: {list(df.columns)})")
    groups = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [g for g in groups if g not in df.columns]
    if missing:
        raise KeyError(f"group column(s) {missing} not in frame")
    lo_hi = {"nps": (0, 10), "ces": (1, scale or 5)}.get(metric, (1, scale or 5))
    col = df[column]
    if col.dtype == "float64":   # the answers as they are, checked without a compressed copy
        v = col.to_numpy()
        out = (v < lo_hi[0]) | (v > lo_hi[1])
        if out.any():
            raise ValueError(f"{column}: {int(out.sum())} answer(s) outside {lo_hi[0]:g}..{lo_hi[1]:g}, "
                             f"e.g. {v[out][0]:g}")
    else:
        _scores(col, *lo_hi, column)  # raises on non-numeric or out-of-range answers
        v = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)

    # group on integer codes (periods computed once per distinct day), not on strings
    keys: list[tuple[np.ndarray, pd.DataFrame]] = []
    if period is not None:
        date = date or _default_date(df)
        if date is None or date not in df.columns:
            raise KeyError(f"no date column for period grouping (give date=; looked for {DATE_COLUMNS})")
        keys.append(_frame_period_codes(df, date, period, calendar))
    keys += [_column_key(df[g]) for g in groups]
    rows, gid, res = _group_ids(keys, ~np.isnan(v))
    v = v[rows]
    ng = len(res)
    n = np.bincount(gid, minlength=ng).astype("int64")

    if metric == "nps":
        k_p = np.bincount(gid, weights=(v >= 9).astype("float64"), minlength=ng)
        k_d = np.bincount(gid, weights=(v <= 6).astype("float64"), minlength=ng)
        val, lo, hi, _, pp, pdt = _nps_from_counts(k_p, k_d, n, alpha)
        stats = {"value": val, "ci_low": lo, "ci_high": hi, "n": n, "promoters": pp,
                 "detractors": pdt}
    elif metric == "top2":
        k = np.bincount(gid, weights=(v >= _top2_threshold(scale or 5)).astype("float64"),
                        minlength=ng)
        lo, hi = st.wilson_ci(k, n, alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats = {"value": k / n, "ci_low": lo, "ci_high": hi, "n": n}
    else:
        t = (v >= _top2_threshold(scale or 5)).astype("float64")
        if keys:  # pandas' grouped mean / std (Welford) on the int group id: same digits as before
            g = pd.DataFrame({"_v": v, "_t": t}).groupby(gid, sort=True)
            mean, sd, t2 = (g["_v"].mean().to_numpy(), g["_v"].std().to_numpy(),
                            g["_t"].mean().to_numpy())
        else:
            mean, sd, t2 = (np.array([pd.Series(v).mean()]), np.array([pd.Series(v).std()]),
                            np.array([pd.Series(t).mean()]))
        lo, hi = st.t_ci_arrays(mean, sd, n, alpha)
        lo, hi = np.clip(lo, *lo_hi), np.clip(hi, *lo_hi)  # stay on the answer scale
        stats = {"value": mean, "ci_low": lo, "ci_high": hi, "n": n}
        if metric == "csat":
            stats["top2_share"] = t2
    nk = res.shape[1]
    for c, x in stats.items():
        res[c] = x
    if period is not None:
        res = res.sort_values(["period_start", *groups], kind="stable").reset_index(drop=True)
    res.insert(nk, "metric", metric)
    return res


# ---------------------------------------------------------------- comparisons

def compare(a, b, metric: str = "nps", *, scale: int = 5, alpha: float = ALPHA) -> Comparison:
    """Compare two independent groups of answers; ``difference`` = a − b.

    * ``nps``: z-test on the difference of two NPS values (points), each with the
      multinomial variance; normal CI.
    * ``csat`` / ``ces``: Welch t on the means (scale units).
    * ``top2``: two-proportion z-test on the CSAT top-two shares (fractions,
      statsmodels), Newcombe CI.
    * ``share``: ``a`` and ``b`` are booleans / 0-1 flags; two-proportion z-test.
    """
    metric = metric.lower()
    if metric == "nps":
        ra, rb = nps(a, alpha), nps(b, alpha)
        se = float(np.hypot(ra.se, rb.se))
        return st.z_test(ra.value - rb.value, se, ra.value, rb.value, ra.n, rb.n,
                         "NPS difference z", alpha)
    if metric in ("csat", "ces"):
        lo, hi = (1, scale)
        xa, xb = _scores(a, lo, hi, metric), _scores(b, lo, hi, metric)
        return st.welch_test(xa, xb, alpha)
    if metric == "top2":
        xa, xb = _scores(a, 1, scale, "csat"), _scores(b, 1, scale, "csat")
        thr = _top2_threshold(scale)
        return st.two_proportion_test((xa >= thr).sum(), xa.size, (xb >= thr).sum(), xb.size, alpha)
    if metric == "share":
        xa, xb = _scores(a, 0, 1, "share"), _scores(b, 0, 1, "share")
        return st.two_proportion_test(xa.sum(), xa.size, xb.sum(), xb.size, alpha)
    raise ValueError(f"metric must be nps, csat, ces, top2 or share, got {metric!r}")


# ---------------------------------------------------------------- sentiment

_LABELS = {"positive": "positive", "pos": "positive", "مثبت": "positive", "happy": "positive",
           "neutral": "neutral", "neu": "neutral", "خنثی": "neutral",
           "negative": "negative", "neg": "negative", "منفی": "negative", "sad": "negative"}
SENTIMENTS = ("positive", "neutral", "negative")


def _sentiment_labels(labels: pd.Series) -> pd.Series:
    s = pd.Series(labels)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.astype("float64")
        out = pd.Series(np.select([v > 0, v < 0, v == 0], SENTIMENTS, default=""), index=s.index)
        return out.where(v.notna())
    norm = s.astype("str").str.strip().str.lower()
    out = norm.map(_LABELS)
    num = pd.to_numeric(s.where(out.isna()), errors="coerce")  # numeric scores mixed in
    out = out.where(num.isna(), pd.Series(np.select([num > 0, num < 0], SENTIMENTS[::2], "neutral"),
                                          index=s.index))
    bad = out.isna() & s.notna()
    if bad.any():
        raise ValueError(f"unknown sentiment label(s): {sorted(set(s[bad].astype(str)))[:5]} "
                         f"(use positive / neutral / negative)")
    return out


def sentiment_shares(labels, by=None, *, column: str = "sentiment", alpha: float = ALPHA,
                     method: str = "wilson") -> pd.DataFrame:
    """Share of positive / neutral / negative texts with CIs and the positive:negative ratio.

    ``labels``: a Series of labels (positive/neutral/negative, Persian مثبت/خنثی/منفی, or
    numeric scores whose sign is the label) or a DataFrame with a ``column``.  ``by``: a
    column name (DataFrame input) or an aligned Series of group keys.
    ``method``: ``"wilson"`` (each share on its own) or ``"goodman"`` (simultaneous
    multinomial intervals, statsmodels ``multinomial_proportions_confint``).

    One row per group: ``n``, ``positive``, ``positive_ci_low``, ``positive_ci_high`` and the
    same for neutral and negative (fractions); ``pos_neg_ratio`` with a CI from
    Var(log ratio) = 1/k_pos + 1/k_neg (NaN when either count is zero).
    """
    if isinstance(labels, pd.DataFrame):
        if column not in labels.columns:
            raise KeyError(f"column {column!r} not in frame")
        lab = _sentiment_labels(labels[column])
        keys = labels[by] if isinstance(by, str) else (labels[list(by)] if by is not None else None)
    else:
        lab = _sentiment_labels(pd.Series(labels))
        keys = None if by is None else pd.Series(np.asarray(by), index=lab.index, name="group")
    work = pd.DataFrame({"label": lab})
    if keys is not None:
        keys = keys.to_frame() if isinstance(keys, pd.Series) else keys
        key_names = list(keys.columns)
        work = work.join(keys)
    else:
        key_names = []
    work = work.dropna()
    if key_names:
        counts = pd.crosstab([work[k] for k in key_names], work["label"])
    else:
        counts = work["label"].value_counts().to_frame().T.reset_index(drop=True)
    counts = counts.reindex(columns=list(SENTIMENTS), fill_value=0).astype("int64")
    n = counts.sum(axis=1)
    res = pd.DataFrame({"n": n}, index=counts.index)
    for lab_name in SENTIMENTS:
        k = counts[lab_name]
        lo, hi = st.wilson_ci(k, n, alpha)
        res[lab_name] = k / n
        res[f"{lab_name}_ci_low"] = lo
        res[f"{lab_name}_ci_high"] = hi
    if method == "goodman":
        from statsmodels.stats.proportion import multinomial_proportions_confint

        cis = np.stack([multinomial_proportions_confint(row, alpha=alpha, method="goodman")
                        for row in counts.to_numpy()])  # one per group, not per text
        for j, lab_name in enumerate(SENTIMENTS):
            res[f"{lab_name}_ci_low"] = cis[:, j, 0]
            res[f"{lab_name}_ci_high"] = cis[:, j, 1]
    elif method != "wilson":
        raise ValueError(f"method must be 'wilson' or 'goodman', got {method!r}")
    kp, kn = counts["positive"].astype("float64"), counts["negative"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = kp / kn
        se = np.sqrt(1 / kp + 1 / kn)
        z = st._z(alpha)
        ok = (kp > 0) & (kn > 0)
        res["pos_neg_ratio"] = ratio.where(kn > 0)
        res["ratio_ci_low"] = np.exp(np.log(ratio) - z * se).where(ok)
        res["ratio_ci_high"] = np.exp(np.log(ratio) + z * se).where(ok)
    res = res.reset_index(drop=not key_names)
    res.columns.name = None
    return res
