"""The Arrow fast paths of the text cleaning give the regex's / Python's answers exactly."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from insight.data.arrowtext import PATTERNS, _chunk_mask, cleaning_mask, fix_arabic, with_rows
from insight.data.parse import _clean_text
from insight.persian import fix_arabic_chars

CELLS = ["a1", " a1", "a1 ", "a\t", "", "   ", None, "a\u00a0", "\u00a0a", "a\x0b", "۱۲", "a٢", "ab",
         "كتاب", "يک", "على", "کتاب", "a\r\nb", "a\rb", "x\u2003", "\u200ca", "\u0683", "é"]
#: by hand: empty / edge \s (\t \n \f \r space, not \v or NBSP) / Persian-Arabic digits (ids) or ي ى ك \r (text)
WANT_ID = [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
WANT_TEXT = [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0]


def test_cleaning_mask_known_answers():
    s = pd.Series(CELLS, dtype="str")
    assert cleaning_mask(s, "id").astype(int).tolist() == WANT_ID
    assert cleaning_mask(s, "text").astype(int).tolist() == WANT_TEXT


@pytest.mark.parametrize("typ", [pa.large_string(), pa.string()])
def test_cleaning_mask_is_the_regex_on_random_sliced_chunked_arrays(typ):
    rng = np.random.default_rng(0)
    alpha = list("ab1 \t\n\r\x0b\x0c") + ["\u00a0", "\u200c", "ي", "ى", "ك", "ی", "ک", "۱", "٢", "ل",
                                         "\u2003", "é", "\u0683", "\u06c3", "\u0689"]
    vals = [None if rng.random() < 0.05 else "".join(rng.choice(alpha, rng.integers(0, 5)))
            for _ in range(4000)]
    arr = pa.array(vals, type=typ)
    for start, length in [(0, 4000), (7, 1000), (2999, 1001)]:
        sub = arr.slice(start, length)
        for kind in ("id", "text"):
            want = pc.match_substring_regex(sub, PATTERNS[kind]).fill_null(False).to_numpy(zero_copy_only=False)
            assert np.array_equal(_chunk_mask(sub, kind), want)
    s = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr.slice(0, 100), arr.slice(100)])
                                             .cast(pa.large_string())), dtype="str")
    for kind in ("id", "text"):
        want = s.str.contains(PATTERNS[kind], regex=True, na=False).to_numpy()
        assert np.array_equal(cleaning_mask(s, kind), want)


def test_fix_arabic_and_with_rows_match_pandas():
    s = pd.Series(CELLS, dtype="str")
    assert fix_arabic(s).equals(fix_arabic_chars(s))
    assert fix_arabic(s).tolist()[13:16] == ["کتاب", "یک", "علی"]
    mask = np.array(WANT_TEXT, dtype=bool)
    new = s[mask].str.strip()
    expect = s.copy()
    expect[mask] = new
    got = with_rows(s, mask, new)
    assert got.equals(expect) and got.dtype == s.dtype


def test_clean_text_values():
    s = pd.Series([" C1 ", "۰۰۷", "", None, "C2"], dtype="str")
    out = _clean_text(s, "id")
    assert out.tolist()[:2] == ["C1", "007"] and out.isna().tolist() == [False, False, True, True, False]
    t = _clean_text(pd.Series(["  كتاب\r\nخوب ", "ok", "\t"], dtype="str"), "text")
    assert t.tolist()[:2] == ["کتاب\nخوب", "ok"] and t.isna().tolist() == [False, False, True]
    assert str(t.dtype) == "str"


def test_with_rows_across_chunks():
    rng = np.random.default_rng(1)
    vals = [None if rng.random() < .1 else f" {rng.integers(0, 100)}" for _ in range(1000)]
    chunks = [pa.array(v, pa.large_string()) for v in (vals[:10], vals[10:500], vals[500:])]
    s = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks)), dtype="str")
    for share in (0.0, 0.01, 0.5, 1.0):
        mask = rng.random(len(s)) < share
        new = s[mask].str.strip().where(lambda x: x != "5")
        expect = s.copy()
        expect[mask] = new
        assert with_rows(s, mask, new).equals(expect), share


def test_cleaning_mask_with_empty_strings_at_both_ends_of_an_unpadded_buffer():
    # offsets 0 0 2 3 3 3 over exactly the 3 bytes "a b": the first string's last byte and the
    # last strings' first byte would be read outside the buffer without clipping
    offsets = np.array([0, 0, 2, 3, 3, 3], dtype=np.int32)
    arr = pa.Array.from_buffers(pa.string(), 5, [None, pa.py_buffer(offsets), pa.py_buffer(b"a b")])
    assert arr.to_pylist() == ["", "a ", "b", "", ""]
    for kind in ("id", "text"):
        assert _chunk_mask(arr, kind).tolist() == [True, True, False, True, True]


def test_is_space_is_the_table_for_every_byte():
    from insight.data.arrowtext import _SPACE, _is_space
    b = np.arange(256, dtype=np.uint8)
    assert np.array_equal(_is_space(b), _SPACE[b])
    assert np.flatnonzero(_is_space(b)).tolist() == [9, 10, 12, 13, 32]
