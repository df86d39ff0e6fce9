"""Jalali (Solar Hijri) and Gregorian dates, vectorized.

Conversions are table lookups: the epoch day of 1 Farvardin of every Jalali
year 1000-1700 is precomputed once (33-year leap rule, which matches the
astronomical calendar for 1178-1633 AP and ``jdatetime``), so converting a
million dates is a few numpy operations.

Parsing (``parse_dates``) works on the *unique* values of a column: ISO
Gregorian strings go through pandas' C parser, everything else (Jalali
``1402/01/15``, ``۱۴۰۲-۰۱-۱۵``, ``1402/1/5 14:30``, ``1398-Farvardin-1``,
``۱۵ فروردین ۱۴۰۲``, ``3/21/2019 0:04``, ``20190321``) through a few regular
expressions, then the results are mapped back to every row.

    >>> parse_dates(pd.Series(["1402/01/15", "۱۵ فروردین ۱۴۰۲", "2023-04-04"])).dt.date.tolist()
    [datetime.date(2023, 4, 4), datetime.date(2023, 4, 4), datetime.date(2023, 4, 4)]
    >>> to_jalali_str(pd.Series(pd.to_datetime(["2023-04-04"]))).tolist()
    ['1402/01/15']
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight.persian import _ARABIC_CHARS, _TO_LATIN, is_jalali_leap, to_persian_digits

__all__ = [
    "parse_dates", "parse_dates_detail", "DateParse", "to_jalali_str", "jalali_period",
    "format_both", "format_both_series", "gregorian_to_jalali", "jalali_to_gregorian",
    "jalali_month_length", "is_valid_jalali", "JALALI_MONTHS_FA", "JALALI_MONTHS_LATIN",
]

JALALI_MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
JALALI_MONTHS_LATIN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
                       "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand")
WEEKDAYS_FA = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")  # Monday first

_J_MONTH_WORDS = {
    1: "farvardin farvardeen farvadin farv far فروردین",
    2: "ordibehesht ordibehesht ordibehest ordibehesht ordibeheshat ordibehesht ord اردیبهشت",
    3: "khordad khordaad khurdad kho خرداد",
    4: "tir teer تیر",
    5: "mordad mordaad amordad murdad mor مرداد امرداد",
    6: "shahrivar shahrivar sharivar shahrivar shahrivar sha شهریور",
    7: "mehr mihr meh مهر",
    8: "aban aaban abaan aba آبان ابان",
    9: "azar aazar adhar aza آذر اذر",
    10: "dey dei day دی",
    11: "bahman bah بهمن",
    12: "esfand esfand isfand espand esf اسفند",
}
_G_MONTH_WORDS = {
    1: "january jan", 2: "february feb", 3: "march mar", 4: "april apr", 5: "may",
    6: "june jun", 7: "july jul", 8: "august aug", 9: "september sep sept",
    10: "october oct", 11: "november nov", 12: "december dec",
}
#: normalised month word -> (calendar, month); calendar "j" or "g"
MONTH_NAMES: dict[str, tuple[str, int]] = {}
for _m, _w in _G_MONTH_WORDS.items():
    MONTH_NAMES.update({w: ("g", _m) for w in _w.split()})
for _m, _w in _J_MONTH_WORDS.items():
    MONTH_NAMES.update({w: ("j", _m) for w in _w.split()})

# ----------------------------------------------------------------------------- tables
_Y0, _Y1 = 1000, 1700                       # Jalali years covered
_ANCHOR_YEAR = 1300                         # 1 Farvardin 1300 = 1921-03-21
_ANCHOR_DAY = (np.datetime64("1921-03-21") - np.datetime64("1970-01-01")).astype(int)
_YEARS = np.arange(_Y0, _Y1 + 1)
_YLEN = 365 + is_jalali_leap(_YEARS).astype(np.int64)
_starts = np.concatenate([[0], np.cumsum(_YLEN)])
_JSTART = _starts[:-1] - _starts[_ANCHOR_YEAR - _Y0] + _ANCHOR_DAY   # epoch day of 1 Farvardin
_JEND = _JSTART[-1] + _YLEN[-1]

_NS_PER_DAY = 86_400 * 10**9
_MIN_DAY = -106_751   # 1677-09-22: datetime64[ns] range
_MAX_DAY = 106_750    # 2262-04-10


def jalali_month_length(jy, jm):
    """Days in Jalali month ``jm`` of year ``jy`` (arrays ok)."""
    jy, jm = np.asarray(jy), np.asarray(jm)
    out = np.where(jm <= 6, 31, np.where(jm <= 11, 30, 29 + is_jalali_leap(jy)))
    return out if out.ndim else int(out)


def is_valid_jalali(jy, jm, jd):
    """Mask of real Jalali dates (1402/12/30 is not: 1402 is not a leap year)."""
    jy, jm, jd = (np.asarray(a) for a in (jy, jm, jd))
    ok = (jm >= 1) & (jm <= 12) & (jd >= 1) & (jy >= _Y0) & (jy <= _Y1)
    ml = jalali_month_length(jy, np.clip(jm, 1, 12))
    return ok & (jd <= ml)


def _jalali_to_days(jy, jm, jd) -> tuple[np.ndarray, np.ndarray]:
    """(epoch days, valid mask) for Jalali y/m/d arrays (invalid -> 0)."""
    jy, jm, jd = (np.asarray(a, dtype=np.int64) for a in (jy, jm, jd))
    ok = is_valid_jalali(jy, jm, jd)
    yi = np.clip(jy - _Y0, 0, _Y1 - _Y0)
    doy = np.where(jm <= 7, (jm - 1) * 31, 186 + (jm - 7) * 30) + jd - 1
    days = np.where(ok, _JSTART[yi] + doy, 0)
    return days, ok


def _days_to_jalali(days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    days = np.asarray(days, dtype=np.int64)
    if days.size and ((days < _JSTART[0]).any() or (days >= _JEND).any()):
        raise ValueError("date outside the supported Jalali years 1000-1700")
    idx = np.searchsorted(_JSTART, days, side="right") - 1
    jy = _Y0 + idx
    doy = days - _JSTART[idx]
    first_half = doy < 186
    jm = np.where(first_half, doy // 31 + 1, (doy - 186) // 30 + 7)
    jd = np.where(first_half, doy % 31 + 1, (doy - 186) % 30 + 1)
    return jy, jm, jd


def _days_from_civil(y, m, d) -> np.ndarray:
    """Epoch days of proleptic Gregorian y/m/d arrays (H. Hinnant's algorithm)."""
    y = np.asarray(y, dtype=np.int64) - (np.asarray(m) <= 2)
    m = np.asarray(m, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_G_MLEN = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _valid_gregorian(y, m, d) -> np.ndarray:
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (y, m, d))
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    ml = _G_MLEN[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)
    return (m >= 1) & (m <= 12) & (d >= 1) & (d <= ml) & (y >= 1)


def _civil_from_days(days):
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


def gregorian_to_jalali(gy, gm, gd):
    """Gregorian y/m/d (ints or arrays) -> Jalali (jy, jm, jd) arrays.

    >>> gregorian_to_jalali(2023, 4, 4)
    (1402, 1, 15)
    """
    scalar = np.ndim(gy) == 0
    if not _valid_gregorian(gy, gm, gd).all():
        raise ValueError("not a valid Gregorian date")
    out = _days_to_jalali(_days_from_civil(gy, gm, gd))
    return tuple(int(a) for a in out) if scalar else out


def jalali_to_gregorian(jy, jm, jd):
    """Jalali y/m/d (ints or arrays) -> Gregorian (gy, gm, gd); ValueError on an
    impossible date such as 1402/12/30.

    >>> jalali_to_gregorian(1402, 1, 15)
    (2023, 4, 4)
    """
    scalar = np.ndim(jy) == 0
    days, ok = _jalali_to_days(jy, jm, jd)
    if not np.all(ok):
        bad = np.flatnonzero(~np.atleast_1d(ok))[0]
        vals = [np.atleast_1d(a)[bad] for a in (jy, jm, jd)]
        raise ValueError(f"impossible Jalali date {vals[0]}/{vals[1]:02d}/{vals[2]:02d}")
    out = _civil_from_days(days)
    return tuple(int(a) for a in out) if scalar else out


# ----------------------------------------------------------------------------- parsing
_TIME = (r"(?:(?:[ t]+|[ ]*(?:ساعت)[ ]*)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
         r"[ ]*(?P<ampm>am|pm|a\.m\.|p\.m\.|ق\.?ظ|ب\.?ظ)?)?$")
_WORD = "(?P<mn>[a-z\u0600-\u06ff\u200c]+\\.?)"
_SEP = r"[-/.]"
_PATTERNS = {
    "ymd": re.compile(rf"^(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})" + _TIME),
    "xxy": re.compile(rf"^(?P<a>\d{{1,2}}){_SEP}(?P<b>\d{{1,2}}){_SEP}(?P<y>\d{{4}})" + _TIME),
    "compact": re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})" + _TIME),
    "ynd": re.compile(rf"^(?P<y>\d{{4}})[-/ ]+{_WORD}[-/ ]+(?P<d>\d{{1,2}})" + _TIME),
    "dny": re.compile(rf"^(?P<d>\d{{1,2}})[-/ ]+{_WORD}[-/ ,]+(?P<y>\d{{4}})" + _TIME),
    "ndy": re.compile(rf"^{_WORD}[-/ ]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[ ]*,?[-/ ]+(?P<y>\d{{4}})" + _TIME),
}
_ISO_STRICT = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$"
_ISO_TZ = re.compile(r"^\d{4}-\d{2}-\d{2}[ t]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})$")
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}([ t]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")

OK, UNPARSEABLE, IMPOSSIBLE, MISSING = 0, 1, 2, 3


class DateParse(NamedTuple):
    """Result of ``parse_dates_detail``: parsed values and why some failed."""
    dates: pd.Series          # datetime64[ns], NaT where missing or invalid
    unparseable: pd.Series    # bool: non-empty value that is not a date at all
    impossible: pd.Series     # bool: looks like a date but cannot exist (1402/13/40, 2023-02-30)

    @property
    def invalid(self) -> pd.Series:
        return self.unparseable | self.impossible


def _format_regex(fmt: str) -> re.Pattern:
    """strftime-like format -> regex with the named groups the parser uses."""
    parts = {"%Y": r"(?P<y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})",
             "%H": r"(?P<H>\d{1,2})", "%I": r"(?P<H>\d{1,2})", "%M": r"(?P<M>\d{2})",
             "%S": r"(?P<S>\d{2})", "%f": r"(?P<f>\d{1,9})", "%B": _WORD, "%b": _WORD,
             "%p": r"(?P<ampm>am|pm|a\.m\.|p\.m\.|ق\.?ظ|ب\.?ظ)", "%%": "%"}
    out, i = [], 0
    while i < len(fmt):
        tok = fmt[i:i + 2]
        if tok in parts:
            out.append(parts[tok])
            i += 2
        elif fmt[i] == "%":
            raise ValueError(f"date format {fmt!r}: {tok} is not supported "
                             "(use %Y %m %d %H %M %S %f %B %b %p)")
        elif fmt[i].isspace():
            out.append(r"\s+")
            i += 1
        else:
            out.append(re.escape(fmt[i].lower()))
            i += 1
    return re.compile("^" + "".join(out) + r"\s*$")


def _normalize_strings(s: pd.Series) -> pd.Series:
    s = s.str.strip().str.lower()
    if s.str.contains("[^\x00-\x7f]", regex=True, na=False).any():
        s = s.str.translate({**_TO_LATIN, **_ARABIC_CHARS})
        s = (s.str.replace("اردی بهشت", "اردیبهشت", regex=False)
              .str.replace("اردی\u200cبهشت", "اردیبهشت", regex=False)
              .str.replace("\u200c", "", regex=False)
              .str.replace("،", ",", regex=False))
    if s.str.contains(r"\s\s|[\t\n\r\f\v]", regex=True, na=False).any():
        s = s.str.replace(r"\s+", " ", regex=True)
    return s


_NUM_FIELDS = ("y", "m", "d", "a", "b", "H", "M", "S")
_STR_FIELDS = ("mn", "f", "ampm")


def _to_arrow(values: pd.Series) -> pa.Array:
    try:
        return values.array._pa_array.combine_chunks()   # zero-copy for pandas' str dtype
    except AttributeError:  # pragma: no cover - other string backends
        return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def _regex_fields(arr: pa.Array, regex: re.Pattern) -> pd.DataFrame:
    """Match every string with RE2 (pyarrow, C++); a frame of the named groups
    for the matching positions: numbers as int64 (-1 when absent), words as str."""
    if len(arr) < 256:  # small inputs: Python's re is cheaper than building arrow results
        found = [(i, m.groupdict()) for i, v in enumerate(arr.to_pylist())
                 if v is not None and (m := regex.match(v))]
        idx = np.array([i for i, _ in found], dtype=np.int64)
        cols = {}
        for name in regex.groupindex:
            vals = [g[name] for _, g in found]
            if name in _NUM_FIELDS:
                cols[name] = np.array([int(v) if v else -1 for v in vals], dtype=np.int64)
            else:
                cols[name] = np.array([v or "" for v in vals], dtype=object)
        return pd.DataFrame(cols, index=idx)
    res = pc.extract_regex(arr, regex.pattern)
    hit = np.asarray(res.is_valid().to_numpy(zero_copy_only=False), bool)
    idx = np.flatnonzero(hit)
    if len(idx) == 0:
        return pd.DataFrame(index=idx)
    res = res.filter(pa.array(hit))
    cols = {}
    for i in range(res.type.num_fields):
        name = res.type.field(i).name
        field = res.field(i)
        if name in _NUM_FIELDS:
            num = pc.cast(pc.if_else(pc.equal(field, ""), None, field), pa.int64())
            cols[name] = pc.fill_null(num, -1).to_numpy()
        else:
            cols[name] = np.asarray(field.to_numpy(zero_copy_only=False), dtype=object)
    return pd.DataFrame(cols, index=idx)


def _num(col: pd.Series, default=0) -> np.ndarray:
    v = col.to_numpy(dtype=np.int64)
    return np.where(v < 0, default, v)


_SPLIT_MIN = 20_000
_DATE_TIME = re.compile(r"^(?P<date>[^ ]+) (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?$")


def _split_date_time(u: pd.Series, rest: np.ndarray, calendar: str, ns, status, todo) -> None:
    """Fill ns/status for values of ``u[rest]`` shaped "<date> H:MM[:SS]"."""
    arr = _to_arrow(u).take(pa.array(rest))
    res = pc.extract_regex(arr, _DATE_TIME.pattern)
    hit = np.asarray(res.is_valid().to_numpy(zero_copy_only=False), bool)
    if hit.sum() < _SPLIT_MIN // 2:
        return
    res = res.filter(pa.array(hit))
    pos = rest[hit]
    dates = res.field("date").dictionary_encode()
    if isinstance(dates, pa.ChunkedArray):
        dates = dates.combine_chunks()
    dcodes = dates.indices.to_numpy(zero_copy_only=False)
    d_ns, d_status = _parse_unique(pd.Series(dates.dictionary.to_pylist(), dtype="str"), calendar, None)
    H, M = (pc.cast(res.field(f), pa.int64()).to_numpy(zero_copy_only=False) for f in ("H", "M"))
    S = pc.cast(pc.if_else(pc.equal(res.field("S"), ""), "0", res.field("S")), pa.int64()).to_numpy(
        zero_copy_only=False)
    time_ok = (H < 24) & (M < 60) & (S < 60)
    day_ok = d_status[dcodes] == OK
    # a date part that already carried a time ("2023-01-01T10:00 10:00") is not this shape
    whole_day = (d_ns[dcodes] % _NS_PER_DAY) == 0
    ok = day_ok & time_ok & whole_day
    ns[pos] = np.where(ok, d_ns[dcodes] + ((H * 60 + M) * 60 + S) * 10**9, 0)
    status[pos] = np.where(ok, OK, np.where(day_ok & whole_day, IMPOSSIBLE, d_status[dcodes]))
    todo[pos] = False
    # values whose date part was not understood go through the full patterns
    todo[pos[~day_ok]] = True
    status[pos[~day_ok]] = UNPARSEABLE


def _parse_unique(u: pd.Series, calendar: str, fmt: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Parse normalized unique strings -> (int64 epoch ns, status codes)."""
    n = len(u)
    ns = np.zeros(n, dtype=np.int64)
    status = np.full(n, UNPARSEABLE, dtype=np.int8)
    todo = np.ones(n, dtype=bool)

    # 1. ISO Gregorian through pandas' C parser (skipped for explicit Jalali / formats)
    if fmt is None and calendar != "jalali" and n:
        iso = u.str.match(_ISO_LIKE.pattern, na=False).to_numpy()
        if iso.any():
            try:
                dt = pd.to_datetime(u[iso], format="ISO8601", errors="coerce")
                us = np.asarray(dt.to_numpy(), dtype="datetime64[us]")
            except (ValueError, TypeError):   # e.g. mixed time zones: leave to the patterns
                us = np.full(int(iso.sum()), np.datetime64("NaT"), dtype="datetime64[us]")
            lo = np.datetime64("1700-01-01" if calendar == "auto" else "1677-09-22", "us")
            good = ~np.isnat(us) & (us >= lo) & (us <= np.datetime64("2262-04-10", "us"))
            pos = np.flatnonzero(iso)[good]
            ns[pos] = us[good].astype(np.int64) * 1000
            status[pos] = OK
            todo[pos] = False

    # 1b. ISO timestamps with a UTC offset: converted to Tehran local time
    if fmt is None and calendar != "jalali" and todo.any():
        tz = todo & u.str.match(_ISO_TZ.pattern, na=False).to_numpy()
        if tz.any():
            dt = pd.to_datetime(u[tz].str.upper(), format="ISO8601", errors="coerce", utc=True)
            local = np.asarray(dt.dt.tz_convert("Asia/Tehran").dt.tz_localize(None).to_numpy(),
                               dtype="datetime64[us]")
            good = ~np.isnat(local) & (local >= np.datetime64("1677-09-22", "us")) \
                & (local <= np.datetime64("2262-04-10", "us"))
            pos = np.flatnonzero(tz)[good]
            ns[pos] = local[good].astype(np.int64) * 1000
            status[pos] = OK
            todo[pos] = False

    # 2. many distinct "date time" values (timestamps): parse the date and the
    #    time parts separately, each once per distinct value
    rest = np.flatnonzero(todo)
    if fmt is None and len(rest) > _SPLIT_MIN:
        _split_date_time(u, rest, calendar, ns, status, todo)
        rest = np.flatnonzero(todo)

    # 3. regular expressions for the rest
    if len(rest) == 0:
        return ns, status
    arr = _to_arrow(u).take(pa.array(rest))
    regexes = {"format": _format_regex(fmt)} if fmt else _PATTERNS
    frames = []
    left = np.arange(len(rest))
    for name, rx in regexes.items():
        if len(left) == 0:
            break
        f = _regex_fields(arr.take(pa.array(left)), rx)
        if len(f):
            f.index = left[f.index.to_numpy()]
            f["kind"] = name
            frames.append(f)
            keep = np.ones(len(left), bool)
            keep[np.searchsorted(left, f.index.to_numpy())] = False
            left = left[keep]
    if not frames:
        return ns, status
    f = pd.concat(frames)
    pos = rest[f.index.to_numpy()]
    for c in _NUM_FIELDS:
        f[c] = f[c].fillna(-1).astype(np.int64) if c in f else -1
    for c in _STR_FIELDS:
        f[c] = f[c].fillna("").astype(object) if c in f else ""
    y = _num(f["y"], -1)
    # month words decide month and calendar
    wcodes, words = pd.factorize(f["mn"].to_numpy())
    looked = [MONTH_NAMES.get(w.rstrip("."), ("?", 0)) if w else ("", 0) for w in words]
    word_cal = np.array([c for c, _ in looked] or [""], dtype=object)[wcodes]
    word_m = np.array([m for _, m in looked] or [0], dtype=np.int64)[wcodes]
    m = np.where(word_cal != "", word_m, _num(f["m"], -1))
    d = _num(f["d"], -1)
    # day/month order of "a/b/YYYY": decided per column from the evidence
    xxy = (f["kind"] == "xxy").to_numpy()
    if xxy.any():
        a, b = _num(f["a"]), _num(f["b"])
        jal_guess = (y < 1700) if calendar == "auto" else np.full(len(y), calendar == "jalali")
        dayfirst = np.asarray(jal_guess, bool).copy()
        for group in (jal_guess, ~jal_guess):   # evidence per calendar
            sel = xxy & group
            a_big, b_big = (a[sel] > 12).any(), (b[sel] > 12).any()
            if a_big != b_big:
                dayfirst[group] = a_big
            # else: Iranian (Jalali) writing is day-first, US exports month-first
        # a value only one reading fits overrides the column's habit
        dayfirst = np.where((a > 12) & (b <= 12), True, np.where((b > 12) & (a <= 12), False, dayfirst))
        m = np.where(xxy, np.where(dayfirst, b, a), m)
        d = np.where(xxy, np.where(dayfirst, a, b), d)
    # calendar per value
    if calendar == "jalali":
        is_j = np.ones(len(y), bool)
    elif calendar == "gregorian":
        is_j = np.zeros(len(y), bool)
    else:
        is_j = y < 1700
    is_j = np.where(word_cal == "j", True, np.where(word_cal == "g", False, is_j))
    bad_word = (word_cal == "?")
    # time of day
    H, M, S = _num(f["H"]), _num(f["M"]), _num(f["S"])
    has_frac = (f["f"] != "").to_numpy()
    fr = np.zeros(len(f), dtype=np.int64)
    if has_frac.any():
        fr[has_frac] = f["f"][has_frac].str.ljust(9, "0").astype(np.int64).to_numpy()
    ampm = f["ampm"].to_numpy()
    pm = np.isin(ampm, ["pm", "p.m.", "ب.ظ", "بظ"])
    am = np.isin(ampm, ["am", "a.m.", "ق.ظ", "قظ"])
    time_ok = (H < 24) & (M < 60) & (S < 60) & ~((am | pm) & ((H > 12) | (H == 0)))
    H = np.where(pm & (H < 12), H + 12, np.where(am & (H == 12), 0, H))

    jdays, jok = _jalali_to_days(np.where(is_j, y, _ANCHOR_YEAR), np.where(is_j, m, 1), np.where(is_j, d, 1))
    gok = _valid_gregorian(y, m, d)
    gdays = _days_from_civil(np.where(gok, y, 1970), np.where(gok, m, 1), np.where(gok, d, 1))
    days = np.where(is_j, jdays, gdays)
    ok = np.where(is_j, jok, gok) & time_ok & ~bad_word & (days >= _MIN_DAY) & (days <= _MAX_DAY)
    total = days * _NS_PER_DAY + ((H * 60 + M) * 60 + S) * 10**9 + fr
    ns[pos] = np.where(ok, total, 0)
    status[pos] = np.where(ok, OK, np.where(bad_word, UNPARSEABLE, IMPOSSIBLE))
    return ns, status


def _as_datetime_ns(s: pd.Series) -> pd.Series:
    """datetime-like Series -> naive datetime64[ns] (tz-aware: Tehran local time)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("Asia/Tehran").dt.tz_localize(None)
    return s.astype("datetime64[ns]")


def _iso_column(s: pd.Series, calendar: str):
    """A column of ISO Gregorian text parsed in one C pass (Arrow's cast, else
    pandas' ISO parser), or None when its first values are not ISO.
    Returns (dates, mask of rows left for the general parser)."""
    head = s.iloc[:500].dropna()
    if len(head) == 0 or not pd.api.types.is_string_dtype(s.dtype):
        return None
    if head.str.match(_ISO_LIKE.pattern, case=False).mean() < 0.9:
        return None
    try:
        arr = _to_arrow(s)
        try:
            us = pc.cast(arr, pa.timestamp("us")).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:   # a few odd values: cast the strictly ISO ones only
            strict = pc.match_substring_regex(arr, _ISO_STRICT)
            us = pc.cast(pc.if_else(strict, arr, None), pa.timestamp("us")).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, AttributeError, TypeError):
        try:
            us = pd.to_datetime(s, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            return None
        if isinstance(us.dtype, pd.DatetimeTZDtype):
            return None
        us = us.to_numpy().astype("datetime64[us]")
    us = np.asarray(us, dtype="datetime64[us]")
    nat = np.isnat(us)
    lo = np.datetime64("1700-01-01" if calendar == "auto" else "1677-09-22", "us")
    rest = (nat & s.notna().to_numpy()) | (~nat & ((us < lo) | (us > np.datetime64("2262-04-10", "us"))))
    keep = ~nat & ~rest
    ns = np.where(keep, us.astype(np.int64) * 1000, np.iinfo(np.int64).min)
    return pd.Series(ns.view("datetime64[ns]"), index=s.index, name=s.name), rest


def parse_dates_detail(values, calendar: str = "auto", format: str | None = None) -> DateParse:
    """Parse a column of dates; see ``parse_dates``.  Returns ``DateParse`` with
    ``dates`` and boolean masks ``unparseable`` and ``impossible``."""
    if calendar not in ("auto", "jalali", "gregorian"):
        raise ValueError(f"calendar must be 'auto', 'jalali' or 'gregorian', not {calendar!r}")
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    index = s.index
    false = pd.Series(False, index=index)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return DateParse(_as_datetime_ns(s).rename(s.name), false, false.copy())
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.astype("float64")
        # Excel serial day numbers (20000-80000 = 1954-2119; the fraction is the time of day)
        serial = ((num >= 20_000) & (num < 80_000)).to_numpy()
        if serial.any():
            excel = pd.Timestamp("1899-12-30") + pd.to_timedelta(num.where(serial).round(6), unit="D")
            rest = parse_dates_detail(num.where(~serial), calendar, format)
            dates = rest.dates.where(~serial, excel.dt.round("s").astype("datetime64[ns]"))
            return DateParse(dates.rename(s.name), rest.unparseable, rest.impossible)
        # e.g. 20190321 read as a number: integers -> text
        whole = num.notna() & (num == np.floor(num))
        bad = num.notna() & ~whole
        s = pd.Series(np.where(whole, num.fillna(0).astype(np.int64).astype(str), None),
                      index=index, dtype="str").where(whole)
        if bad.any():   # fractions that are not Excel days: not dates
            res = parse_dates_detail(s, calendar, format)
            return DateParse(res.dates, res.unparseable | bad, res.impossible)
    elif s.dtype == object:
        # mixed cells (Excel): datetime objects stay, everything else becomes text
        is_dt = s.map(lambda v: isinstance(v, (_dt.date, np.datetime64)), na_action="ignore")
        is_dt = is_dt.fillna(False).astype(bool)
        if is_dt.any():
            direct = pd.to_datetime(s.where(is_dt), errors="coerce")
            rest = parse_dates_detail(s.where(~is_dt).map(
                lambda v: v if isinstance(v, str) else str(v), na_action="ignore").astype("str"),
                calendar, format)
            dates = rest.dates.where(~is_dt, _as_datetime_ns(direct))
            return DateParse(dates.rename(s.name), rest.unparseable, rest.impossible)
        s = s.map(lambda v: v if isinstance(v, str) else str(v), na_action="ignore").astype("str")
    if calendar != "jalali" and format is None and len(s) > 5_000:
        fast = _iso_column(s, calendar)
        if fast is not None:
            dates, rest = fast
            if not rest.any():
                return DateParse(dates, false, false.copy())
            sub = parse_dates_detail(s[rest], calendar, format)
            dates[rest] = sub.dates
            return DateParse(dates, sub.unparseable.reindex(index, fill_value=False),
                             sub.impossible.reindex(index, fill_value=False))
    codes, uniques = pd.factorize(s)
    u = _normalize_strings(pd.Series(uniques, dtype="str"))
    empty = (u == "").to_numpy()
    ns, status = _parse_unique(u, calendar, format)
    status[empty] = MISSING
    ns = np.where(status == OK, ns, np.iinfo(np.int64).min)  # NaT
    nat = np.iinfo(np.int64).min
    out_ns = np.where(codes >= 0, ns[np.maximum(codes, 0)] if len(ns) else nat, nat)
    st = np.where(codes >= 0, status[np.maximum(codes, 0)] if len(status) else MISSING, MISSING)
    dates = pd.Series(out_ns.view("datetime64[ns]"), index=index, name=s.name)
    return DateParse(dates, pd.Series(st == UNPARSEABLE, index=index),
                     pd.Series(st == IMPOSSIBLE, index=index))


def parse_dates(values, calendar: str = "auto", format: str | None = None, *,
                return_invalid: bool = False):
    """Parse a column of dates written any common Iranian or international way.

    ``calendar``: ``"jalali"``, ``"gregorian"`` or ``"auto"`` (a year below 1700
    is Jalali; month names decide by themselves).  ``format``: optional
    strftime-like pattern (``%Y %m %d %H %M %S %f %B %b %p``) applied to either
    calendar, e.g. ``"%d/%m/%Y"``.  Persian and Arabic-Indic digits are fine.

    Returns a ``datetime64[ns]`` Series (NaT where missing or not a real date).
    With ``return_invalid=True`` returns ``(dates, invalid)`` where ``invalid``
    marks non-empty values that could not be parsed or cannot exist; use
    ``parse_dates_detail`` to tell those two apart.
    """
    res = parse_dates_detail(values, calendar, format)
    if return_invalid:
        return res.dates, res.invalid
    return res.dates


# ----------------------------------------------------------------------------- formatting
def _to_ns(dates) -> tuple[np.ndarray, np.ndarray, object]:
    """(int64 ns, NaT mask, index or None) from a Series / array / scalar."""
    if isinstance(dates, pd.Series):
        index = dates.index
        arr = _as_datetime_ns(dates if pd.api.types.is_datetime64_any_dtype(dates.dtype)
                              else pd.to_datetime(dates)).to_numpy()
    else:
        index = None
        arr = np.asarray(pd.to_datetime(np.atleast_1d(dates))).astype("datetime64[ns]")
    nat = np.isnat(arr)
    return arr.astype(np.int64), nat, index


def _fmt_jalali(fmt: str, jy, jm, jd, H, M, S, wd, persian: bool) -> str:
    rep = {"%Y": f"{jy:04d}", "%m": f"{jm:02d}", "%d": f"{jd:02d}", "%e": str(jd),
           "%n": str(jm), "%B": JALALI_MONTHS_FA[jm - 1], "%b": JALALI_MONTHS_LATIN[jm - 1],
           "%H": f"{H:02d}", "%M": f"{M:02d}", "%S": f"{S:02d}", "%A": WEEKDAYS_FA[wd], "%%": "%"}
    out = re.sub(r"%[YmdenBbHMSA%]", lambda mo: rep[mo.group(0)], fmt)
    return to_persian_digits(out) if persian else out


def to_jalali_str(dates, fmt: str = "%Y/%m/%d", persian_digits: bool = False):
    """Format dates as Jalali text, vectorized over unique values.

    ``fmt`` codes: ``%Y %m %d`` (zero-padded), ``%e`` day and ``%n`` month without
    padding, ``%B`` Persian month name, ``%b`` Latin month name, ``%A`` Persian
    weekday, ``%H %M %S``.  NaT -> NaN.  A Series in gives a Series out (same
    index); a scalar gives a str.
    """
    scalar = not isinstance(dates, (pd.Series, pd.Index, np.ndarray, list, tuple))
    ns, nat, index = _to_ns(dates)
    has_time = any(c in fmt for c in ("%H", "%M", "%S"))
    key = ns if has_time else np.floor_divide(ns, _NS_PER_DAY)
    key = np.where(nat, 0, key)
    uniq, inv = np.unique(key, return_inverse=True)
    days = uniq if not has_time else np.floor_divide(uniq, _NS_PER_DAY)
    secs = (uniq - days * _NS_PER_DAY) // 10**9 if has_time else np.zeros_like(uniq)
    jy, jm, jd = _days_to_jalali(days)
    wd = (days + 3) % 7  # 1970-01-01 was a Thursday -> Monday-first index
    texts = np.array([_fmt_jalali(fmt, int(a), int(b), int(c), int(s // 3600), int(s // 60 % 60),
                                  int(s % 60), int(w), persian_digits)
                      for a, b, c, s, w in zip(jy, jm, jd, secs, wd)], dtype=object)
    out = np.where(nat, None, texts[inv] if len(texts) else None)
    if scalar:
        return None if nat[0] else out[0]
    if index is not None:
        return pd.Series(out, index=index, dtype="str", name=getattr(dates, "name", None))
    return pd.array(out, dtype="str")


def jalali_period(dates, freq: str = "month"):
    """Jalali period labels that sort correctly as text.

    ``"day"`` -> ``1402-01-15``, ``"week"`` -> ``1402-W03`` (weeks start on
    Saturday; week 1 is the one holding 1 Farvardin, labelled by the year its
    Saturday falls in), ``"month"`` -> ``1402-01``, ``"quarter"`` -> ``1402-Q1``
    (Q1 = Farvardin-Khordad), ``"year"`` -> ``1402``.
    """
    if freq not in ("day", "week", "month", "quarter", "year"):
        raise ValueError(f"freq must be day, week, month, quarter or year, not {freq!r}")
    scalar = not isinstance(dates, (pd.Series, pd.Index, np.ndarray, list, tuple))
    ns, nat, index = _to_ns(dates)
    days = np.where(nat, 0, np.floor_divide(ns, _NS_PER_DAY))
    if freq == "week":
        days = days - (days + 5) % 7   # back to Saturday (1970-01-01 was a Thursday)
    uniq, inv = np.unique(days, return_inverse=True)
    jy, jm, jd = _days_to_jalali(uniq)
    if freq == "day":
        labels = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(jy, jm, jd)]
    elif freq == "month":
        labels = [f"{a:04d}-{b:02d}" for a, b in zip(jy, jm)]
    elif freq == "quarter":
        labels = [f"{a:04d}-Q{(b - 1) // 3 + 1}" for a, b in zip(jy, jm)]
    elif freq == "year":
        labels = [f"{a:04d}" for a in jy]
    else:
        start = _JSTART[jy - _Y0]
        first_sat = start - (start + 5) % 7          # Saturday on/before 1 Farvardin
        week = (uniq - first_sat) // 7 + 1
        labels = [f"{a:04d}-W{w:02d}" for a, w in zip(jy, week)]
    labels = np.array(labels, dtype=object)
    out = np.where(nat, None, labels[inv] if len(labels) else None)
    if scalar:
        return None if nat[0] else out[0]
    if index is not None:
        return pd.Series(out, index=index, dtype="str", name=getattr(dates, "name", None))
    return pd.array(out, dtype="str")


def format_both_series(dates, persian_digits: bool = True, time: bool = False):
    """``۱۵ فروردین ۱۴۰۲ (2023-04-04)`` for every date (NaN for NaT), for reports."""
    jal = to_jalali_str(dates, "%e %B %Y" + (" %H:%M" if time else ""), persian_digits=persian_digits)
    ns, nat, index = _to_ns(dates)
    greg = pd.Series(ns.view("datetime64[ns]")).dt.strftime("%Y-%m-%d" + (" %H:%M" if time else ""))
    jal_s = pd.Series(np.asarray(jal, dtype=object))
    out = (jal_s + " (" + greg.astype(object) + ")").where(~nat, None)
    if index is not None:
        return pd.Series(out.to_numpy(), index=index, dtype="str", name=getattr(dates, "name", None))
    return pd.array(out.to_numpy(), dtype="str")


def format_both(date, persian_digits: bool = True, time: bool = False) -> str | None:
    """One date as ``۱۵ فروردین ۱۴۰۲ (2023-04-04)`` (None for NaT/None)."""
    if date is None or (not isinstance(date, str) and pd.isna(date)):
        return None
    return format_both_series([pd.Timestamp(date)], persian_digits, time)[0]
