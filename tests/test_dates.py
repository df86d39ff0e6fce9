"""insight.dates: Jalali conversion, parsing of every common form, formatting."""
import datetime as dt

import jdatetime
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from insight.dates import (format_both, format_both_series, gregorian_to_jalali, is_valid_jalali,
                           jalali_month_length, jalali_period, jalali_to_gregorian, parse_dates,
                           parse_dates_detail, to_jalali_str)

T = pd.Timestamp


@pytest.mark.parametrize("raw, expected", [
    ("1402/01/15", T("2023-04-04")),
    ("۱۴۰۲-۰۱-۱۵", T("2023-04-04")),              # Persian digits
    ("١٤٠٢/٠١/١٥", T("2023-04-04")),              # Arabic-Indic digits
    ("1402/1/5 14:30", T("2023-03-25 14:30")),
    ("1402/01/15 02:30 ب.ظ", T("2023-04-04 14:30")),
    ("1398-Farvardin-1", T("2019-03-21")),        # Latin month names
    ("1398-Ordibehesht-31", T("2019-05-21")),
    ("1398-Khordad-1", T("2019-05-22")),
    ("1398-Tir-1", T("2019-06-22")),
    ("1398-Mordad-1", T("2019-07-23")),
    ("1398-Shahrivar-1", T("2019-08-23")),
    ("1398-Mehr-1", T("2019-09-23")),
    ("1398-Aban-1", T("2019-10-23")),
    ("1398-Azar-1", T("2019-11-22")),
    ("1398-Dey-1", T("2019-12-22")),
    ("1398-Bahman-1", T("2020-01-21")),
    ("1398-Esfand-1", T("2020-02-20")),
    ("۱۵ فروردین ۱۴۰۲", T("2023-04-04")),         # Persian month names
    ("15 اردی‌بهشت 1402", T("2023-05-05")),
    ("1 اسفند 1402", T("2024-02-20")),
    ("2023-04-04", T("2023-04-04")),              # Gregorian ISO
    ("2023-04-04T10:11:12", T("2023-04-04 10:11:12")),
    ("3/21/2019 0:04", T("2019-03-21 00:04")),    # M/D/YYYY H:MM
    ("20190321", T("2019-03-21")),                # YYYYMMDD
    ("April 4, 2023", T("2023-04-04")),
])
def test_each_date_form(raw, expected):
    assert parse_dates(pd.Series([raw])).iloc[0] == expected


def test_result_dtype_and_missing():
    out = parse_dates(pd.Series(["1402/01/15", None, ""]))
    assert out.dtype == "datetime64[ns]"
    assert out.isna().tolist() == [False, True, True]


@pytest.mark.parametrize("raw", ["1402/13/40", "1403/12/31", "1402/12/30", "2023-02-30", "1402/01/15 25:00"])
def test_impossible_dates_are_flagged_not_guessed(raw):
    res = parse_dates_detail(pd.Series([raw, "1402/01/15"]))
    assert res.impossible.tolist() == [True, False]
    assert pd.isna(res.dates.iloc[0])


def test_leap_day_exists_only_in_leap_years():
    res = parse_dates_detail(pd.Series(["1403/12/30", "1402/12/30", "1399/12/30"]))
    assert res.impossible.tolist() == [False, True, False]
    assert res.dates.iloc[0] == T("2025-03-20")


def test_unparseable_versus_missing_mask():
    dates, invalid = parse_dates(pd.Series(["yesterday", None, "1402/01/15", "1398-Foo-1"]),
                                 return_invalid=True)
    assert invalid.tolist() == [True, False, False, True]
    assert dates.isna().tolist() == [True, True, False, True]


def test_calendar_auto_is_per_value_and_explicit_calendar_wins():
    s = pd.Series(["1402/01/15", "2023-04-05"])
    assert parse_dates(s).tolist() == [T("2023-04-04"), T("2023-04-05")]
    # read as Gregorian, year 1402 is outside what datetime64[ns] holds: flagged, not shifted
    assert parse_dates_detail(pd.Series(["1402/01/15"]), calendar="gregorian").impossible.all()
    assert parse_dates(pd.Series(["2023/01/15"]), calendar="jalali").isna().all()  # year 2023 AP: out of range


def test_day_month_order_from_the_column():
    assert parse_dates(pd.Series(["21/03/2019", "05/03/2019"])).tolist() == [T("2019-03-21"), T("2019-03-05")]
    assert parse_dates(pd.Series(["3/21/2019", "3/5/2019"])).tolist() == [T("2019-03-21"), T("2019-03-05")]
    assert parse_dates(pd.Series(["15/01/1402"])).iloc[0] == T("2023-04-04")   # Jalali: day first


def test_explicit_format_for_either_calendar():
    assert parse_dates(pd.Series(["15|01|1402"]), format="%d|%m|%Y").iloc[0] == T("2023-04-04")
    assert parse_dates(pd.Series(["04.04.2023 10:00"]), format="%d.%m.%Y %H:%M").iloc[0] == T("2023-04-04 10:00")


def test_numbers_and_datetime_objects():
    assert parse_dates(pd.Series([20190321])).iloc[0] == T("2019-03-21")
    assert parse_dates(pd.Series([13980101.0, np.nan])).iloc[0] == T("2019-03-21")
    mixed = pd.Series([dt.datetime(2020, 1, 1), "1402/01/15", None], dtype=object)
    assert parse_dates(mixed).tolist()[:2] == [T("2020-01-01"), T("2023-04-04")]
    tz = pd.Series(pd.to_datetime(["2023-04-04 06:00"]).tz_localize("UTC"))
    assert parse_dates(tz).iloc[0] == T("2023-04-04 09:30")   # Tehran local time


def test_many_rows_map_back_from_uniques():
    s = pd.Series(["1402/01/15", "1402/01/16"] * 50_000)
    out = parse_dates(s)
    assert len(out) == 100_000 and out.iloc[-1] == T("2023-04-05")


def test_scalar_conversions_and_month_lengths():
    assert gregorian_to_jalali(2023, 4, 4) == (1402, 1, 15)
    assert jalali_to_gregorian(1402, 1, 15) == (2023, 4, 4)
    assert jalali_to_gregorian(1403, 12, 30) == (2025, 3, 20)
    with pytest.raises(ValueError, match="1402/12/30"):
        jalali_to_gregorian(1402, 12, 30)
    assert [jalali_month_length(1402, m) for m in (1, 6, 7, 11, 12)] == [31, 31, 30, 30, 29]
    assert jalali_month_length(1403, 12) == 30
    assert is_valid_jalali([1402, 1402], [13, 1], [1, 31]).tolist() == [False, True]


def test_array_conversions():
    jy, jm, jd = gregorian_to_jalali(np.array([2023, 2024]), np.array([4, 3]), np.array([4, 20]))
    assert jy.tolist() == [1402, 1403] and jm.tolist() == [1, 1] and jd.tolist() == [15, 1]


@settings(max_examples=300, deadline=None)
@given(st.integers(1300, 1500), st.integers(1, 12), st.integers(1, 31))
def test_jalali_round_trip_matches_jdatetime(jy, jm, jd):
    if jd > jalali_month_length(jy, jm):
        with pytest.raises(ValueError):
            jalali_to_gregorian(jy, jm, jd)
        return
    g = jalali_to_gregorian(jy, jm, jd)
    assert g == jdatetime.date(jy, jm, jd).togregorian().timetuple()[:3]
    assert gregorian_to_jalali(*g) == (jy, jm, jd)


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=dt.date(1921, 3, 21), max_value=dt.date(2121, 3, 20)))
def test_format_then_parse_round_trip(d):
    s = pd.Series([pd.Timestamp(d)])
    texts = pd.concat([to_jalali_str(s, fmt) for fmt in ("%Y/%m/%d", "%e %B %Y", "%Y-%b-%e")]
                      + [to_jalali_str(s, persian_digits=True)], ignore_index=True)
    assert (parse_dates(texts) == pd.Timestamp(d)).all()


def test_to_jalali_str_formats():
    s = pd.Series([T("2023-04-04 14:05"), pd.NaT])
    assert to_jalali_str(s).tolist()[0] == "1402/01/15" and pd.isna(to_jalali_str(s).iloc[1])
    assert to_jalali_str(s, "%Y-%m-%d %H:%M").iloc[0] == "1402-01-15 14:05"
    assert to_jalali_str(s, "%e %B %Y", persian_digits=True).iloc[0] == "۱۵ فروردین ۱۴۰۲"
    assert to_jalali_str(T("2023-04-04")) == "1402/01/15"


def test_jalali_period_labels():
    s = pd.Series([T("2023-04-04"), T("2024-03-20"), T("2024-03-16"), T("2024-03-15"), pd.NaT])
    # 2024-03-20 is Nowruz 1403 (1402 is not a leap year: Esfand has 29 days)
    assert jalali_period(s, "month").tolist()[:3] == ["1402-01", "1403-01", "1402-12"]
    assert jalali_period(s, "quarter").tolist()[:3] == ["1402-Q1", "1403-Q1", "1402-Q4"]
    assert jalali_period(s, "year").tolist()[:3] == ["1402", "1403", "1402"]
    assert jalali_period(s, "day").iloc[0] == "1402-01-15"
    weeks = jalali_period(s, "week").tolist()
    # 2024-03-16 is a Saturday (26 Esfand 1402): a new week starts; the Friday before is the previous week
    assert weeks[1] == weeks[2] == "1402-W53" and weeks[3] == "1402-W52"
    assert pd.isna(weeks[4])
    with pytest.raises(ValueError):
        jalali_period(s, "fortnight")


def test_format_both():
    assert format_both(T("2023-04-04")) == "۱۵ فروردین ۱۴۰۲ (2023-04-04)"
    assert format_both(T("2023-04-04"), persian_digits=False) == "15 فروردین 1402 (2023-04-04)"
    assert format_both(None) is None
    out = format_both_series(pd.Series([T("2023-04-04"), pd.NaT]))
    assert out.iloc[0] == "۱۵ فروردین ۱۴۰۲ (2023-04-04)" and pd.isna(out.iloc[1])


def test_timestamp_split_path_agrees_with_full_patterns(monkeypatch):
    import insight.dates as D
    vals = [f"1402/{m:02d}/{d:02d} {h}:{mi:02d}" for m in (1, 12, 13) for d in (1, 29, 30, 31)
            for h in (0, 9, 23, 24) for mi in (0, 59)]
    vals += ["2023-04-04 10:00", "3/21/2019 0:04", "yesterday 10:00", "15 فروردین 1402 10:00", "1402/01/01 10:00:30"]
    s = pd.Series(vals * 3)
    monkeypatch.setattr(D, "_SPLIT_MIN", 10**9)
    full = parse_dates_detail(s)
    monkeypatch.setattr(D, "_SPLIT_MIN", 10)
    split = parse_dates_detail(s)
    pd.testing.assert_series_equal(split.dates, full.dates)
    assert split.impossible.equals(full.impossible) and split.unparseable.equals(full.unparseable)
    assert full.impossible.sum() > 0 and full.unparseable.sum() > 0


def test_iso_offsets_become_tehran_local_time():
    out = parse_dates(pd.Series(["2023-01-01T10:00:00+03:30", "2023-01-01T10:00:00Z", "2999-01-01"]))
    assert out.tolist()[:2] == [T("2023-01-01 10:00"), T("2023-01-01 13:30")]
    assert pd.isna(out.iloc[2])                              # beyond datetime64[ns]: flagged, not wrapped


def test_long_iso_column_with_a_few_odd_values():
    s = pd.Series(pd.date_range("2020-01-01", periods=6000, freq="h").strftime("%Y-%m-%d %H:%M:%S"))
    s.iloc[[5, 6, 7]] = ["1402/13/01", "1402-01-15", " 2023-02-30"]
    res = parse_dates_detail(s)
    assert res.impossible.iloc[[5, 7]].all() and res.dates.iloc[6] == T("2023-04-04")
    assert res.dates.iloc[8] == T("2020-01-01 08:00") and res.invalid.sum() == 2


def test_excel_serial_days_and_numeric_dates():
    res = parse_dates_detail(pd.Series([45020.5, 20190321, np.nan, 1.5]))
    assert res.dates.tolist()[:2] == [T("2023-04-04 12:00"), T("2019-03-21")]
    assert res.unparseable.tolist() == [False, False, False, True]
