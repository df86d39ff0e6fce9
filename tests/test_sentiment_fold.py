"""sentiment.fold's numpy translation and repeat collapsing against str.translate and the
regex they replace, with hand-written expectations."""
from __future__ import annotations

import numpy as np

from insight import sentiment as S


def _reference(texts):
    big = "\x00".join(texts).translate(S._FOLD).lower()
    big = S._REPEAT.sub(r"\1", big)
    big = S._SPACES.sub(" ", big)
    return [t.strip() for t in big.split("\x00")]


def test_fold_hand_computed():
    texts = ["عاااالی!!!", "ك۱۲٣", "a\u200cb", "😀😀😀 ok", "   ", "", "", "aa bbb\u3000\u3000\u3000c",
             "ااَا", "Ｉｌｌ ÀÀÀ"]
    want = ["عالی!", "ک123", "a b", "😀 ok", "", "", "", "aa b\u3000\u3000\u3000c", "ا", "ｉｌｌ à"]
    assert S.fold(texts) == want
    assert S.fold(texts) == _reference(texts)


def test_fold_surrogate_code_points_keep_str_translate_and_the_regex():
    texts = ["x\ud800\ud800\ud800y", "ي\udfff"]
    assert S.fold(texts) == ["x\ud800y", "ی\udfff"] == _reference(texts)


def test_translate_and_collapse_match_str_methods_on_random_text():
    rng = np.random.default_rng(4)
    keys = [chr(k) for k in S._FOLD] + list("aAb !\t\n\x00") + ["😀", "\u3000", "\u2028", "\x1c", "ـ"]
    for _ in range(200):
        # runs of 1-5 equal characters, so that repeats (and repeats made by dropped
        # characters between them) occur
        s = "".join(str(c) * int(k) for c, k in zip(rng.choice(keys, size=rng.integers(0, 15)),
                                                   rng.integers(1, 6, size=15)))
        assert S._translate_fold(s) == s.translate(S._FOLD)
        s = S._translate_fold(s).lower()
        assert S._collapse_repeats(s) == S._REPEAT.sub(r"\1", s)
