"""SentimentModel's scoring weights: relative to the last class, float64, made once while
the coefficient arrays are the same (and when a model is loaded)."""
from __future__ import annotations

import numpy as np

from insight import sentiment as S


def _model(k: int) -> S.SentimentModel:
    coef = np.arange(k * 8, dtype=np.float32).reshape(k, 8) / 4     # bits=1: 2 * 2 + 4 columns
    classes = ("negative", "neutral", "positive")[:k] if k == 3 else ("negative", "positive")
    return S.SentimentModel(classes, coef, np.array([0.5, -1.0, 2.0][:k]), bits=1)


def test_scoring_weights_hand_computed_and_kept():
    m = _model(3)
    W, b = m._scoring_weights()
    # rows 0 and 1 minus row 2: (i*8 + c)/4 - (16 + c)/4 = (i*8 - 16)/4
    assert W.dtype == np.float64 and W.flags.c_contiguous
    assert W.tolist() == [[-4.0] * 8, [-2.0] * 8] and b.tolist() == [-1.5, -3.0]
    assert m._scoring_weights()[0] is W                              # kept
    m.coef = m.coef * 2                                              # a new array: made again
    assert m._scoring_weights()[0].tolist() == [[-8.0] * 8, [-4.0] * 8]
    m2 = _model(2)
    W2, b2 = m2._scoring_weights()
    assert W2.tolist() == (np.arange(16).reshape(2, 8) / 4).tolist() and b2.tolist() == [0.5, -1.0]


def test_loaded_model_has_its_weights_and_scores_as_before(tmp_path):
    m = _model(3)
    path = m.save(tmp_path / "m.npz")
    loaded = S.load_model(path)
    assert "_scoring" in loaded.__dict__
    texts = ["خوب بود", "بد", ""]
    a = m.predict_folded(S.fold(texts))
    b = loaded.predict_folded(S.fold(texts))
    assert np.array_equal(a["score"].to_numpy(), b["score"].to_numpy())
    # logits = the hand-computed weights applied to the features, last class 0
    f = S._features(S.fold(texts), 1, (1, 5))
    w = np.array([[-4.0] * 8, [-2.0] * 8])
    z = np.column_stack([np.bincount(f.char_doc, weights=w[j][f.char_col], minlength=3) * f.char_inv
                         + np.bincount(f.word_doc, weights=w[j][2 + f.word_col], minlength=3) * f.word_inv
                         + f.lex @ w[j][4:] + [-1.5, -3.0][j] for j in range(2)] + [np.zeros(3)])
    assert np.array_equal(loaded._logits(S.fold(texts)), z)
