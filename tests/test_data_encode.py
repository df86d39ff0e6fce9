"""arrowtext.encode: the hashing-free path for short ids of one byte length gives exactly
what Arrow's dictionary_encode gives."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from insight.data.arrowtext import _arrow_encode, _encode_fixed, encode


def _fixed(arr):
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return _encode_fixed(chunks, arr.type)


def test_short_ids_by_hand():
    arr = pa.chunked_array([pa.array(["O02", "O01", None], pa.large_string()),
                            pa.array(["O02", "O10", None, "O01"], pa.large_string())])
    d, c = _fixed(arr)   # the fast path applies: 3 bytes, spans 1 * 2 * 3 = 6 slots
    assert d.type == pa.large_string() and d.to_pylist() == ["O02", "O01", "O10"]
    assert c.dtype == np.int64 and c.tolist() == [0, 1, -1, 0, 2, -1, 1]
    d2, c2 = encode(arr)
    assert d2.equals(d) and c2.tolist() == c.tolist()


@pytest.mark.parametrize("values,fast", [
    (["ab", "a", "ab"], False),                    # two lengths: Arrow's path
    (["123456789", "123456788"], False),           # longer than 8 bytes
    ([None, None], False),                         # nothing but missing cells
    (["", ""], False),                             # empty strings (zero bytes)
    (["\x00a", "a\x00", "\x00a"], True),           # NUL bytes are bytes like any other
    (["ک۱", "ک۲", "ک۱"], True),                    # UTF-8 (4 bytes each)
    ([chr(65 + i % 26) + chr(48 + i % 7) + "xyz" + chr(97 + i % 5) + "q" + chr(33 + i % 90)
      for i in range(100)], False),                # spans 26*7*5*90 = 81,900 > 65,536 slots
])
def test_fallback_and_fast_cases_agree_with_arrow(values, fast):
    arr = pa.array(values, pa.string())
    assert (_fixed(arr) is not None) == fast
    d1, c1 = _arrow_encode(arr)
    d2, c2 = encode(arr)
    assert d1.equals(d2) and c1.tolist() == c2.tolist()


def test_random_ids_agree_with_arrow():
    rng = np.random.default_rng(5)
    taken = 0
    for _ in range(300):
        w, n, alpha = int(rng.integers(1, 10)), int(rng.integers(0, 200)), int(rng.choice([2, 5, 10, 40]))
        vals = ["".join(chr(48 + int(x)) for x in rng.integers(0, alpha, w)) for _ in range(n)]
        if n and rng.random() < 0.3:
            vals = [v if rng.random() > 0.2 else None for v in vals]
        if n and rng.random() < 0.1:
            vals[int(rng.integers(0, n))] = "x" * (w + 1)
        typ = pa.large_string() if rng.random() < 0.5 else pa.string()
        cuts = sorted(rng.integers(0, n + 1, int(rng.integers(0, 4)))) if n else []
        pieces = np.split(np.array(vals, dtype=object), cuts) if n else [np.array([], dtype=object)]
        arr = pa.chunked_array([pa.array(list(p), type=typ) for p in pieces], type=typ)
        if len(arr) > 3 and rng.random() < 0.3:
            arr = arr.slice(1, len(arr) - 2)       # chunks with an offset
        d1, c1 = _arrow_encode(arr)
        d2, c2 = encode(arr)
        assert d1.equals(d2) and c1.dtype == c2.dtype and np.array_equal(c1, c2)
        taken += _fixed(arr) is not None
    assert taken > 50   # the fast path was exercised


@pytest.mark.parametrize("values,keys,expected", [
    # short ids: the path without hashing; a missing value is not in
    (["C01", None, "C09", "C02", "C01"], ["C02", "C01"], [True, False, False, True, True]),
    # a value of another length: Arrow's is_in, same answer
    (["C01", "C0100", None], ["C01"], [True, False, False]),
    # keys holding a missing value: Arrow's is_in (a missing value then matches)
    (["C01", None], ["C02", None], [False, True]),
    # plain str keys (string) against large_string values
    (["C01", "C03"], pa.array(["C03"], pa.string()), [False, True]),
])
def test_isin_short_ids(values, keys, expected):
    import pandas as pd

    from insight.data.validate import _isin_fixed, isin
    s = pd.Series(values, dtype="str")
    ks = keys if isinstance(keys, pa.Array) else pa.array(keys, pa.large_string())
    assert isin(s, ks).tolist() == expected
    arrow = pc_is_in(s, ks)
    assert arrow == expected
    assert (_isin_fixed(s.array._pa_array, ks) is not None) == (len(set(map(len, filter(None, values)))) == 1
                                                                  and not ks.null_count)


def pc_is_in(s, ks):
    import pyarrow.compute as pc
    return pc.is_in(s.array._pa_array, value_set=ks).to_pylist()
