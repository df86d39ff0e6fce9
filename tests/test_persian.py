"""insight.persian: digits, Arabic letters, numbers with separators and unit words."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from insight.persian import (fix_arabic_chars, is_jalali_leap, parse_number, parse_number_units,
                             to_latin_digits, to_persian_digits)


def test_each_digit_set_to_latin():
    assert to_latin_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"      # Persian
    assert to_latin_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"      # Arabic-Indic
    assert to_latin_digits("سفارش ۱۲ و ٣٤") == "سفارش 12 و 34"


def test_to_persian_digits_str_number_and_series():
    assert to_persian_digits("1402/01/15") == "۱۴۰۲/۰۱/۱۵"
    assert to_persian_digits(1402) == "۱۴۰۲"
    s = to_persian_digits(pd.Series(["12", None, "٣"]))
    assert s.iloc[0] == "۱۲" and pd.isna(s.iloc[1]) and s.iloc[2] == "۳"


def test_series_keeps_index_missing_and_untouched_rows():
    s = pd.Series(["۱۲", "ab", None, "٣"], index=[10, 11, 12, 13])
    out = to_latin_digits(s)
    assert list(out.index) == [10, 11, 12, 13]
    assert out.iloc[0] == "12" and out.iloc[1] == "ab" and pd.isna(out.iloc[2]) and out.iloc[3] == "3"


def test_fix_arabic_chars():
    assert fix_arabic_chars("كيك") == "کیک"
    assert fix_arabic_chars("علي") == "علی"
    assert fix_arabic_chars(pd.Series(["يك", "ok"])).tolist() == ["یک", "ok"]


@pytest.mark.parametrize("raw, value", [
    ("1,200,000", 1_200_000.0),
    ("۱۲۰٬۰۰۰", 120_000.0),            # Persian thousands separator
    ("۱۲۰،۰۰۰", 120_000.0),            # Arabic comma
    ("٣٫٥", 3.5),                      # Arabic decimal separator
    ("۲/۵", 2.5),                      # Persian writing: slash as decimal point
    ("۱۲۰ هزار", 120_000.0),
    ("1.5 میلیون", 1_500_000.0),
    ("2 میلیارد", 2e9),
    ("  42 ", 42.0),
    ("-7", -7.0),
    ("abc", np.nan),
    ("1,2,3", np.nan),
    ("12 سیب", np.nan),
])
def test_parse_number_hand_computed(raw, value):
    got = parse_number(raw)
    assert (np.isnan(got) and np.isnan(value)) or got == value


def test_money_unit_words_convert_to_the_target_unit():
    s = pd.Series(["۱۲۰ هزار تومان", "1,200,000 ریال", "5000", None])
    rial = parse_number(s, unit="rial")
    assert rial.tolist()[:3] == [1_200_000.0, 1_200_000.0, 5000.0] and np.isnan(rial.iloc[3])
    toman = parse_number(s, unit="toman")
    assert toman.tolist()[:3] == [120_000.0, 120_000.0, 5000.0]
    _, units = parse_number_units(s)
    assert units.tolist()[:3] == ["toman", "rial", None] or units.iloc[:2].tolist() == ["toman", "rial"]


def test_numeric_dtype_passes_through():
    out = parse_number(pd.Series([1, 2, 3]))
    assert out.dtype == "float64" and out.tolist() == [1.0, 2.0, 3.0]


def test_is_jalali_leap_known_years():
    assert [is_jalali_leap(y) for y in (1395, 1399, 1403, 1408)] == [True, True, True, True]
    assert [is_jalali_leap(y) for y in (1400, 1401, 1402, 1404)] == [False, False, False, False]
    assert is_jalali_leap(np.array([1399, 1402])).tolist() == [True, False]


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_digit_round_trip(s):
    assert to_latin_digits(to_persian_digits(s)) == s
    assert set(to_persian_digits(s)) <= set("۰۱۲۳۴۵۶۷۸۹")


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_persian_numbers_parse_back(n):
    text = to_persian_digits(f"{n:,}".replace(",", "٬"))
    assert parse_number(text) == float(n)
