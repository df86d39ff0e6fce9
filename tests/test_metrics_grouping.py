"""insight.metrics: period codes and grouping on integer codes (hand-computed)."""
import numpy as np
import pandas as pd
import pytest

from insight import metrics


def test_period_codes_one_label_per_day_and_missing_dates():
    d = pd.Series(pd.to_datetime(["2024-03-20 23:00", None, "2024-03-19 08:00",
                                  "2024-04-19 10:00", "2024-03-20 01:00"]))
    code, table = metrics._period_codes(d, "month", "jalali")
    # 19 March 2024 = 29 Esfand 1402; 20 March .. 19 April 2024 = Farvardin 1403 (1..31)
    assert table["period"].tolist() == ["1402-12", "1403-01"]
    assert table["period_start"].tolist() == list(pd.to_datetime(["2024-02-20", "2024-03-20"]))
    assert code.tolist() == [1, -1, 0, 1, 1]
    lab = metrics._labels(d.set_axis([5, 4, 3, 2, 1]), "month", "jalali")
    assert lab.index.tolist() == [5, 4, 3, 2, 1]
    assert lab["period"].tolist()[::2] == ["1403-01", "1402-12", "1403-01"]
    assert lab["period"].isna().tolist() == [False, True, False, False, False]
    assert lab["period_start"].iloc[3] == pd.Timestamp("2024-03-20")


def test_by_groups_sorted_and_rows_with_missing_keys_left_out():
    df = pd.DataFrame({
        "submitted_at": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-02-01", None,
                                        "2024-01-07", "2024-02-02", "2024-01-08"]),
        "touchpoint": ["web", "app", "app", "app", None, "web", "web"],
        "csat": [5, 3, 4, 1, 2, np.nan, 1],
    })
    out = metrics.by(df, "csat", calendar="gregorian", by="touchpoint")
    # kept: (Jan, web) 5 and 1; (Jan, app) 3; (Feb, app) 4 -- row 3 has no date, row 4 no
    # touchpoint, row 5 no answer
    assert out[["period", "touchpoint", "n"]].values.tolist() == [
        ["2024-01", "app", 1], ["2024-01", "web", 2], ["2024-02", "app", 1]]
    assert list(out.columns[:4]) == ["period", "period_start", "touchpoint", "metric"]
    assert out["value"].tolist() == [3.0, 3.0, 4.0]
    assert out["top2_share"].tolist() == [0.0, 0.5, 1.0]
    # sd of [5, 1] = 2.8284; t(1) = 12.706 -> half width 25.4, clipped to the 1..5 scale
    assert (out["ci_low"].iloc[1], out["ci_high"].iloc[1]) == (1.0, 5.0)
    assert np.isnan(out["ci_low"].iloc[0])  # one answer: no CI
    nps = metrics.by(df.assign(nps=[10, 9, 0, 5, 10, 7, 6]), "nps", period=None, by="touchpoint")
    # app: 9, 0, 5 -> 1 promoter, 2 detractors of 3 = -33.3; web: 10, 7, 6 -> 1 - 1 = 0
    assert nps["touchpoint"].tolist() == ["app", "web"]
    assert nps["value"].tolist() == pytest.approx([-100 / 3, 0.0])
    assert nps["n"].tolist() == [3, 3]


@pytest.mark.parametrize("period", ["month", "week", "quarter"])
def test_jalali_day_table_matches_the_general_labels(period):
    # 1403 is a Jalali leap year (Esfand has 30 days); 20 March 2025 = 30 Esfand 1403
    days = pd.DatetimeIndex(pd.date_range("2024-03-01", "2025-04-10", freq="D"))
    fast = metrics._jalali_days(days, period)
    pd.testing.assert_frame_equal(fast, metrics._labels_direct(pd.Series(days), period, "jalali"))
    row = fast.iloc[days.get_loc(pd.Timestamp("2025-03-20"))]
    want = {"month": ("1403-12", "2025-02-19"), "quarter": ("1403-Q4", "2024-12-21"),
            "week": (None, "2025-03-15")}[period]
    if want[0]:
        assert row["period"] == want[0]
    assert row["period_start"] == pd.Timestamp(want[1])


def test_day_codes_floor_days_presence_and_far_dates():
    d = pd.Series(pd.to_datetime(["2024-03-20 23:00", None, "1969-12-31 23:59", "2024-03-19 08:00",
                                  "2024-03-20 01:00"])).astype("datetime64[ns]")
    code, days = metrics._day_codes(d)
    # distinct days sorted (1969-12-31 before 1970: floor, not truncation), NaT -> -1
    assert days.tolist() == list(pd.to_datetime(["1969-12-31", "2024-03-19", "2024-03-20"]))
    assert code.tolist() == [2, -1, 0, 1, 2]
    # far-apart days (span > 4 n + 100k days): hashed, in order of appearance
    far = pd.Series(pd.to_datetime(["2200-01-01 05:00", "1700-01-01 00:00", "2200-01-01 00:00"])).astype("datetime64[ns]")
    code, days = metrics._day_codes(far)
    assert days.tolist() == list(pd.to_datetime(["2200-01-01", "1700-01-01"])) and code.tolist() == [0, 1, 0]
    code, days = metrics._day_codes(pd.Series(pd.to_datetime([None, None])).astype("datetime64[ns]"))
    assert code.tolist() == [-1, -1] and len(days) == 0


def test_group_ids_counted_combinations_equal_unique():
    a = (np.array([2, 0, 2, -1, 1, 0]), pd.DataFrame({"a": ["x", "y", "z"]}))
    b = (np.array([1, 1, 0, 0, 1, 1]), pd.DataFrame({"b": [10, 20]}))
    rows, gid, groups = metrics._group_ids([a, b], np.array([True, True, True, True, True, False]))
    # kept rows 0, 1, 2, 4 (row 3: missing a, row 5: not kept); combinations (z,20) (x,20) (z,10) (y,20)
    assert rows.tolist() == [0, 1, 2, 4]
    assert groups.to_dict("list") == {"a": ["x", "y", "z", "z"], "b": [20, 20, 10, 20]}
    assert gid.tolist() == [3, 0, 2, 1]


def test_by_periods_cached_per_frame_until_the_dates_change():
    df = pd.DataFrame({"submitted_at": pd.to_datetime(["2024-03-19", "2024-03-20", "2024-04-25"]),
                       "nps": [10.0, 0.0, 9.0]})
    first = metrics.by(df, "nps")
    assert first["period"].tolist() == ["1402-12", "1403-01", "1403-02"]
    assert metrics.by(df, "nps").equals(first)
    df.loc[0, "submitted_at"] = pd.Timestamp("2024-04-26")     # edited in place: not the cached periods
    again = metrics.by(df, "nps")
    assert again["period"].tolist() == ["1403-01", "1403-02"] and again["n"].tolist() == [1, 2]
    assert again["value"].tolist() == [-100.0, 100.0]
    with pytest.raises(ValueError, match=r"nps: 1 answer\(s\) outside 0..10, e.g. 11"):
        metrics.by(df.assign(nps=[10.0, np.nan, 11.0]), "nps")
