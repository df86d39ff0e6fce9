"""Persian text and number helpers: digits, Arabic letters, numbers with unit words.

Everything here works on a single string *and* on a pandas Series.  Series are
handled vectorized: the work is done once per *unique* value (or only on the
rows that need it, found with a C-level regex) and mapped back, so a
million-row column costs about as much as its few thousand distinct values.

    >>> to_latin_digits("۱۴۰۲/۰۱/۱۵")
    '1402/01/15'
    >>> parse_number(pd.Series(["۱۲۰ هزار", "1,200,000", "٣٫٥"])).tolist()
    [120000.0, 1200000.0, 3.5]
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pandas as pd

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"

_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)
#: Arabic letters that Persian keyboards/exports often carry -> Persian letters
_ARABIC_CHARS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})

_NON_LATIN_DIGIT_RE = "[۰-۹٠-٩]"
_NON_PERSIAN_DIGIT_RE = "[0-9٠-٩]"
_ARABIC_CHAR_RE = "[يىك]"

#: multiplier words (after digit/letter normalisation, lower case)
MULTIPLIERS = {
    "هزار": 1e3, "هزارتا": 1e3, "k": 1e3, "thousand": 1e3,
    "میلیون": 1e6, "ملیون": 1e6, "m": 1e6, "million": 1e6,
    "میلیارد": 1e9, "ملیارد": 1e9, "billion": 1e9,
}
#: currency words -> unit
CURRENCY_WORDS = {
    "تومان": "toman", "تومن": "toman", "toman": "toman", "tomans": "toman", "irt": "toman",
    "ریال": "rial", "rial": "rial", "rials": "rial", "irr": "rial",
}
#: value of one unit in rial
RIAL_PER = {"rial": 1.0, "toman": 10.0}


# --------------------------------------------------------------------------- helpers
def _map_strings(values, func: Callable[[str], str], needs: str):
    """Apply ``func`` to a str, or to a Series/array via its unique values.

    Only rows matching the regex ``needs`` are touched (a C-level pre-filter,
    so e.g. an all-ASCII id column costs ~nothing).  Non-strings pass through.
    """
    if isinstance(values, str):
        return func(values)
    if values is None or np.ndim(values) == 0:
        return values
    if not isinstance(values, pd.Series):
        return _map_strings(pd.Series(values, dtype="str"), func, needs).to_numpy()
    if values.dtype == object:
        values = values.astype("str")
    elif not pd.api.types.is_string_dtype(values.dtype):
        return values
    hit = values.str.contains(needs, regex=True, na=False)
    if not hit.any():
        return values
    codes, uniques = pd.factorize(values[hit])
    mapped = np.array([func(u) for u in uniques], dtype=object)
    out = values.copy()
    out[hit] = mapped[codes]
    return out


def to_latin_digits(values):
    """Persian ۰-۹ and Arabic-Indic ٠-٩ digits -> 0-9 (str or Series)."""
    return _map_strings(values, lambda v: v.translate(_TO_LATIN), _NON_LATIN_DIGIT_RE)


def to_persian_digits(values):
    """0-9 and Arabic-Indic digits -> Persian ۰-۹ (str, number or Series)."""
    if isinstance(values, (int, float, np.integer, np.floating)) and not isinstance(values, bool):
        values = str(values)
    return _map_strings(values, lambda v: v.translate(_TO_PERSIAN), _NON_PERSIAN_DIGIT_RE)


def fix_arabic_chars(values):
    """Arabic ي ى ك -> Persian ی ک (str or Series); other text unchanged."""
    return _map_strings(values, lambda v: v.translate(_ARABIC_CHARS), _ARABIC_CHAR_RE)


def normalize_text(values):
    """Digits to Latin is *not* done here: only Arabic letters fixed and spaces trimmed."""
    out = fix_arabic_chars(values)
    if isinstance(out, pd.Series):
        return out.str.strip()
    return out.strip() if isinstance(out, str) else out


def is_jalali_leap(year):
    """True for Jalali leap years (33-year rule; agrees with the astronomical
    calendar for 1178-1633 AP).  Works on ints and arrays."""
    r = np.mod(year, 33)
    out = np.isin(r, (1, 5, 9, 13, 17, 22, 26, 30))
    return bool(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- numbers
_NUM_CORE = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_SLASH_DECIMAL = re.compile(r"^([-+]?\d+)/(\d+)$")
_PLAIN = re.compile(rf"^{_NUM_CORE}$")
_TOKEN = re.compile(r"[^\W\d_]+|[-+]?[\d.,/]+(?:e[-+]?\d+)?", re.UNICODE)


def _parse_one(text: str) -> tuple[float, str | None]:
    """(value, currency unit or None) for one raw string; NaN when not a number."""
    t = text.translate(_TO_LATIN).translate(_ARABIC_CHARS).strip().lower()
    if not t:
        return np.nan, None
    # Persian decimal / thousands separators; Arabic comma; nbsp and ZWNJ
    t = (t.replace("٫", ".").replace("٬", ",").replace("،", ",")
         .replace("\u00a0", " ").replace("\u200c", " ").replace("\u066c", ","))
    unit = None
    mult = 1.0
    number = None
    for tok in _TOKEN.findall(t):
        if tok[0].isdigit() or tok[0] in "-+.":
            if number is not None:
                return np.nan, None  # two numbers: ambiguous
            number = tok
        elif tok in MULTIPLIERS:
            mult *= MULTIPLIERS[tok]
        elif tok in CURRENCY_WORDS:
            unit = CURRENCY_WORDS[tok]
        elif tok in ("و", "and"):
            continue
        else:
            return np.nan, None
    if number is None:
        return np.nan, None
    number = number.replace(" ", "")
    if "," in number:
        if _GROUPED.match(number):
            number = number.replace(",", "")
        elif re.fullmatch(r"[-+]?\d+,\d+", number):  # decimal comma, e.g. "3,5"
            number = number.replace(",", ".")
        else:
            return np.nan, None
    m = _SLASH_DECIMAL.match(number)
    if m:  # Persian writing uses "/" as the decimal point: ۲/۵ = 2.5
        number = f"{m.group(1)}.{m.group(2)}"
    if not _PLAIN.match(number):
        return np.nan, None
    return float(number) * mult, unit


def parse_number_units(values) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written any common way; return (value, unit) Series.

    ``unit`` is "rial"/"toman" where the text named a currency, else NaN.
    Numeric dtypes pass straight through (unit all NaN).
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64"), pd.Series(np.nan, index=s.index, dtype="object")
    if s.dtype == object:
        s = s.map(lambda v: v if isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v))
                  else str(v), na_action="ignore").astype("str")
    # fast path: plain numbers convert in C
    try:
        return s.astype("float64"), pd.Series(np.nan, index=s.index, dtype="object")
    except (ValueError, TypeError):
        pass
    plain = s.str.fullmatch(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*", na=False)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    out[plain] = s[plain].astype("float64")
    rest = s.notna() & ~plain
    units = pd.Series(np.nan, index=s.index, dtype="object")
    if rest.any():
        codes, uniques = pd.factorize(s[rest])
        parsed = [_parse_one(u) for u in uniques]
        vals = np.array([p[0] for p in parsed], dtype="float64")
        us = np.array([p[1] for p in parsed], dtype=object)
        out[rest] = vals[codes]
        units[rest] = us[codes]
    return out, units


def parse_number(values, unit: str | None = None):
    """Numbers with Persian/Arabic digits, separators (``٬ , ،``), ``٫``/``/`` decimal
    points and multiplier words (هزار ×1e3, میلیون ×1e6, میلیارد ×1e9) -> float64.

    Unparseable non-empty values become NaN (compare with ``values.notna()`` to
    find them).  Currency words (تومان, ریال) are accepted; pass ``unit="rial"``
    or ``"toman"`` to convert values that name a currency into that unit
    (1 toman = 10 rial); without ``unit`` they are ignored.
    Works on a scalar too.
    """
    scalar = not isinstance(values, (pd.Series, pd.Index, np.ndarray, list, tuple))
    s = pd.Series([values]) if scalar else values
    num, units = parse_number_units(s)
    if unit is not None:
        num = num * convert_factor(units, unit)
    if scalar:
        return float(num.iloc[0])
    return num if isinstance(values, pd.Series) else num.to_numpy()


def convert_factor(units: pd.Series, target: str, default: str | None = None) -> np.ndarray:
    """Multiplier per row turning an amount in ``units`` (rial/toman/NaN) into ``target``.
    Rows without a unit are taken to be in ``default`` (or already in ``target``)."""
    if target not in RIAL_PER:
        raise ValueError(f"unknown currency {target!r}; use 'rial' or 'toman'")
    src = units.fillna(default or target)
    per = src.map(RIAL_PER).to_numpy(dtype="float64")
    return per / RIAL_PER[target]
