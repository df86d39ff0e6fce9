"""Text features of the sentiment model: char n-gram hashes written out from the formula,
columns made in place, the lexicon's emoji and modifier look-ups, and the lexicon tables
loaded with a model."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from insight import _hashing as hx
from insight import _lexicon as lx
from insight import sentiment as S

M64 = (1 << 64) - 1
P = 0x100000001B3


def _window_hash(cps: list[int], a: int, b: int, k: int) -> int:
    # H(a, b) = sum_{a <= j < b} (c_j + 1) P^(b-1-j) mod 2**64, plus the per-length salt
    h = sum((c + 1) * pow(P, b - 1 - j, 1 << 64) for j, c in zip(range(a, b), cps[a:b])) & M64
    return (h + int(hx._SALT[k])) & M64


@pytest.mark.parametrize("lengths", [(1, 5), (2, 3), (1, 1), (4, 9)])
def test_char_ngrams_hand_computed(lengths):
    texts = ["ab", "", "cde"]
    cps = [ord(c) for c in "\x00 ab \x00  \x00 cde \x00"]     # each text padded with spaces
    doc = [cps[:i + 1].count(0) - 1 for i in range(len(cps))]   # a separator starts its doc
    want_d, want_h = [], []
    for k in range(lengths[0], lengths[1] + 1):              # length-major, then position
        for a in range(len(cps) - k + 1):
            w = cps[a:a + k]
            if 0 in w or (k == 1 and w == [32]):
                continue
            want_d.append(doc[a])
            want_h.append(_window_hash(cps, a, a + k, k))
    d, h = hx.char_ngrams(hx.batch(texts), *lengths)
    assert d.dtype == np.int64 and h.dtype == np.uint64
    assert d.tolist() == want_d and h.tolist() == want_h
    if lengths == (1, 5):
        # e.g. the first 1-gram is "a" of text 0, the last 5-gram " cde " of text 2
        assert (d[0], h[0]) == (0, (ord("a") + 1 + int(hx._SALT[1])) & M64) and d[-1] == 2


def test_char_ngrams_of_no_text():
    d, h = hx.char_ngrams(hx.batch([]), 1, 5)
    assert d.tolist() == [] and h.tolist() == []


def test_column_inplace_hand_computed():
    h = np.array([0, 1, M64, 12345], dtype=np.uint64)
    want = [0, 0x9E3779B97F4A7C15 >> 60, ((-0x9E3779B97F4A7C15) & M64) >> 60, ((12345 * 0x9E3779B97F4A7C15) & M64) >> 60]
    assert want[1:3] == [9, 6]
    assert hx.column(h, 4).tolist() == want
    c = hx.column_inplace(h, 4)
    assert c.dtype == np.int64 and c.tolist() == want and np.shares_memory(c, h)


def _contrib(text, lex=None):
    return {k: v.tolist() for k, v in lx.contributions(hx.batch(S.fold([text])), lex).items()}


def test_lexicon_emoji_and_modifiers_hand_computed():
    # emoji.tsv: 😍 1.6, 💯 1.3, 😡 -1.6; letters and digits are below every emoji code point
    assert _contrib("خوب 😍 x")["emoji"] == [1.6] and _contrib("💯💯")["emoji"] == [2.6]
    assert _contrib("😡")["emoji"] == [-1.6] and _contrib("سلام 123")["emoji"] == [0]
    # خیلی: intensifier 1.5; نیست: negator after (a negated positive keeps 0.8)
    assert _contrib("خیلی خوب")["pos"] == [1.5]
    assert _contrib("خوب نیست")["neg"] == [pytest.approx(0.8)]
    assert _contrib("خیلی خوب نیست")["neg"] == [pytest.approx(1.2)]
    # without emoji or modifier tables
    bare = dataclasses.replace(lx.load(), emoji_cp=np.zeros(0, np.uint64), emoji_w=np.zeros(0),
                               mod_keys=np.zeros(0, np.uint64), mod_kind=np.zeros(0, np.int64),
                               mod_factor=np.zeros(0))
    c = _contrib("خیلی خوب نیست 😍", bare)
    assert c["emoji"] == [0] and c["pos"] == [1.0] and c["neg"] == [0.0]


def test_loading_a_model_loads_the_lexicon_tables(tmp_path):
    m = S.SentimentModel(("negative", "positive"), np.ones((1, 8), np.float32), np.zeros(1), bits=1)
    path = m.save(tmp_path / "m.npz")
    lx.load.cache_clear()
    S.load_model(path)
    assert lx.load.cache_info().currsize == 1
