"""_events.adopt_codes: only pd.factorize's exact answer is remembered as codes()."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import _events

VALUES = ["b", "a", None, "b", "c", "a"]
GOOD = (np.array([0, 1, -1, 0, 2, 1], dtype=np.int64), pd.Index(["b", "a", "c"], dtype="str"))


def frame():
    return pd.DataFrame({"id": pd.Series(VALUES, dtype="str")})


def test_the_expected_answer_is_pd_factorize():
    c, u = pd.factorize(frame()["id"])
    np.testing.assert_array_equal(c, GOOD[0])
    pd.testing.assert_index_equal(u, GOOD[1], exact=True)


CASES = [
    # pd.factorize's own answer: adopted
    ("factorize", GOOD[0], GOOD[1], True),
    # sorted uniques (pd.factorize(sort=True)): not first-appearance order
    ("sorted", np.array([1, 0, -1, 1, 2, 0]), pd.Index(["a", "b", "c"], dtype="str"), False),
    # codes right but the uniques renamed: the sampled values do not match
    ("wrong values", GOOD[0], pd.Index(["b", "x", "c"], dtype="str"), False),
    # a missing cell coded as a value
    ("missing coded", np.array([0, 1, 1, 0, 2, 1]), GOOD[1], False),
    # a present cell coded -1
    ("present as -1", np.array([0, 1, -1, -1, 2, 1]), GOOD[1], False),
    # a repeat coded as another value (structure right, the row's value wrong)
    ("repeat wrong", np.array([0, 1, -1, 0, 2, 0]), GOOD[1], False),
    # one row short
    ("short", GOOD[0][:-1], GOOD[1], False),
    # a code beyond the uniques
    ("code too big", np.array([0, 1, -1, 0, 3, 1]), GOOD[1], False),
    # a code below -1
    ("code below -1", np.array([0, 1, -2, 0, 2, 1]), GOOD[1], False),
    # one unique never used
    ("unused unique", GOOD[0], pd.Index(["b", "a", "c", "d"], dtype="str"), False),
    # int32 codes (pd.factorize gives int64)
    ("int32", GOOD[0].astype(np.int32), GOOD[1], False),
    # object uniques (pd.factorize of a str column gives dtype str)
    ("object dtype", GOOD[0], pd.Index(["b", "a", "c"], dtype=object), False),
    # a named Index (pd.factorize's is unnamed)
    ("named", GOOD[0], pd.Index(["b", "a", "c"], dtype="str", name="id"), False),
    # uniques as a list, not an Index
    ("list", GOOD[0], ["b", "a", "c"], False),
]


@pytest.mark.parametrize("name,codes,uniques,ok", CASES, ids=[c[0] for c in CASES])
def test_adopt_codes_accepts_only_factorize(name, codes, uniques, ok, monkeypatch):
    df = frame()
    codes = np.array(codes)   # a private copy: adopted arrays become read-only
    assert _events.adopt_codes(df, "id", codes, uniques) is ok
    calls = []
    real = pd.factorize
    monkeypatch.setattr(pd, "factorize", lambda *a, **k: calls.append(1) or real(*a, **k))
    c, u = _events.codes(df, "id")
    assert calls == ([] if ok else [1])       # adopted: a cache hit, no hashing
    np.testing.assert_array_equal(c, GOOD[0])
    pd.testing.assert_index_equal(u, GOOD[1], exact=True)
    assert not c.flags.writeable


def test_adopted_codes_are_dropped_when_the_column_is_replaced():
    df = frame()
    assert _events.adopt_codes(df, "id", GOOD[0].copy(), GOOD[1])
    df["id"] = pd.Series(["z", "z", "y", None, "y", "z"], dtype="str")
    c, u = _events.codes(df, "id")
    assert c.tolist() == [0, 0, 1, -1, 1, 0] and list(u) == ["z", "y"]


def test_empty_and_all_missing_columns():
    empty = pd.DataFrame({"id": pd.Series([], dtype="str")})
    c, u = pd.factorize(empty["id"])
    assert _events.adopt_codes(empty, "id", c, u)
    missing = pd.DataFrame({"id": pd.Series([None, None], dtype="str")})
    c, u = pd.factorize(missing["id"])
    assert c.tolist() == [-1, -1] and len(u) == 0
    assert _events.adopt_codes(missing, "id", c, u)
    assert not _events.adopt_codes(missing, "id", np.array([0, -1]), pd.Index(["x"], dtype="str"))
