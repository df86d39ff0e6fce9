"""load hands the orders' id codes it computed to the analyses (insight._events.codes):
they must be exactly pd.factorize's, with and without quarantined order lines."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import _events
from insight.data import load
from insight.data.arrowtext import first_appearance
from insight.data.parse import Issues, _status
from insight.data.validate import isin_encoded, key_index

ADOPTED = ("order_id", "customer_id", "product_id", "status")


def test_first_appearance_renumbers_by_first_row():
    # rows' old codes 2 0 -1 2 1 0 among 4 keys: 2 is seen first, then 0, then 1; 3 never
    codes, old = first_appearance(np.array([2, 0, -1, 2, 1, 0]), 4)
    assert codes.tolist() == [0, 1, -1, 0, 2, 1]
    assert old.tolist() == [2, 0, 1]
    codes, old = first_appearance(np.array([-1, -1]), 3)
    assert codes.tolist() == [-1, -1] and old.tolist() == []


def test_isin_encoded_is_isin_plus_the_codes():
    keys, _ = key_index(pd.Series(["c1", "c2"], dtype="str"))
    values = pd.Series(["c2", "c9", None, "c2", "c1"], dtype="str")
    hit, (distinct, codes) = isin_encoded(values, keys)
    assert hit.tolist() == [True, False, False, True, True]
    assert distinct.to_pylist() == ["c2", "c9", "c1"] and codes.tolist() == [0, 1, -1, 0, 2]
    hit, enc = isin_encoded(values.astype(object), keys)   # not Arrow: plain isin, no codes
    assert hit.tolist() == [True, False, False, True, True] and enc is None


@pytest.mark.parametrize("values,out,words,codes", [
    # already the contract's words: the column itself and its codes
    (["delivered", "cancelled", None, "delivered"], ["delivered", "cancelled", None, "delivered"],
     ["delivered", "cancelled"], [0, 1, -1, 0]),
    # synonyms merge (complete -> delivered, Cancelled -> cancelled), unknown words become missing
    (["Cancelled", "delivered", None, "complete", "weird", "cancelled"],
     ["cancelled", "delivered", None, "delivered", None, "cancelled"], ["cancelled", "delivered"],
     [0, 1, -1, 1, -1, 0]),
    # the first word unknown: numbering starts at the first kept word
    (["weird", "complete"], [None, "delivered"], ["delivered"], [-1, 0]),
])
def test_status_keeps_its_codes(values, out, words, codes):
    issues = Issues(len(values))
    got = _status(pd.Series(values, dtype="str"), issues, "orders")
    assert got.fillna("-").tolist() == [v or "-" for v in out]
    distinct, c = issues.codes["status"]
    assert distinct.to_pylist() == words and c.tolist() == codes
    fc, fu = pd.factorize(got)
    assert fc.tolist() == codes and fu.tolist() == words


def _sample(tmp_path, fmt, spoil):
    sample = pytest.importorskip("insight.sample")
    ds = sample.generate(customers=300, seed=3)
    sample.write(ds, tmp_path, fmt=fmt)
    o = ds.orders.copy()
    o["status"] = o["status"].replace({"cancelled": "Cancelled"})   # a synonym: the status is rewritten
    if spoil:
        # row 0 is its customer's first line: without it the customers are numbered differently
        o.loc[[0, 5, 17], "quantity"] = -1
        o.loc[[3, 40], "customer_id"] = "nobody"
        o.loc[[9], "product_id"] = "no-such-product"
    if fmt == "parquet":
        o.to_parquet(tmp_path / "orders.parquet")
    else:
        o.to_csv(tmp_path / "orders.csv", index=False)
    return o


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("spoil", [False, True], ids=["clean", "quarantined"])
def test_load_adopts_exactly_factorize(tmp_path, fmt, spoil, monkeypatch):
    raw = _sample(tmp_path, fmt, spoil)
    ds = load(tmp_path, today="2030-01-01")
    o = ds.orders
    assert ds.report.tables["orders"].rows_quarantined == (6 if spoil else 0)
    if spoil:   # the kept rows' customers are not numbered as the raw rows': renumbering is exercised
        assert list(pd.factorize(o["customer_id"])[1][:3]) != list(pd.factorize(raw["customer_id"])[1][:3])
    expected = {col: pd.factorize(o[col]) for col in ADOPTED}
    real = pd.factorize
    monkeypatch.setattr(pd, "factorize", lambda *a, **k: pytest.fail("codes() hashed again"))
    for col in ADOPTED:
        c, u = _events.codes(o, col)
        np.testing.assert_array_equal(c, expected[col][0])
        assert c.dtype == np.int64
        pd.testing.assert_index_equal(u, expected[col][1], exact=True)
        assert u.array._pa_array.type == expected[col][1].array._pa_array.type
    monkeypatch.setattr(pd, "factorize", real)
    assert "cancelled" in set(o["status"])


def test_date_checks_on_nanoseconds_match_pandas_comparisons():
    from insight.data.validate import check_values
    today = pd.Timestamp("2024-03-10")
    od = pd.to_datetime(["2024-03-10 23:59:59.999999", "2024-03-11", None, "1899-12-31 23:59", "1900-01-01",
                         "2024-01-02 10:00", "2024-01-02 10:00"], format="mixed")
    dd = pd.to_datetime(["2024-03-10", None, "2024-01-01", "1900-01-02", "1899-06-01",
                         "2024-01-02 09:00", "2024-01-01 23:59"], format="mixed")
    masks = {}
    for unit in ("ns", "us"):   # ns: int64 comparisons; us: pandas' comparisons
        df = pd.DataFrame({"order_date": od.as_unit(unit), "delivered_date": dd.as_unit(unit),
                           "promised_date": pd.Series(pd.NaT, index=range(7), dtype=f"datetime64[{unit}]")})
        issues = Issues(len(df))
        check_values("orders", df, {}, issues, today=today, ces_scale=5)
        masks[unit] = {(it.column, it.label): it.mask.tolist() for it in issues.items}
    assert masks["ns"] == masks["us"]
    assert masks["ns"] == {
        ("order_date", "after today (2024-03-10)"): [False, True, False, False, False, False, False],
        ("order_date", "before 1900"): [False, False, False, True, False, False, False],
        ("delivered_date", "before 1900"): [False, False, False, False, True, False, False],
        # same day, earlier hour: not before; the day before: before
        ("delivered_date", "before order_date"): [False, False, False, False, True, False, True],
    }

