"""insight.sentiment: lexicon rules, label mapping, metrics, training, the default model.

The sentences here are written for these tests (none come from ../shared/data)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import sentiment as se

# ---------------------------------------------------------------- lexicon rules (rules only)

# (text, expected sign of the lexicon score: +1, -1, 0 or ">=0"), one comment per case
LEXICON_CASES = [
    ("خوب", 1),                  # plain positive word
    ("بد", -1),                  # plain negative word
    ("خوب نبود", -1),            # copula negation after the word flips it
    ("راضی نیستم", -1),          # نیستم negates the adjective before it
    ("بد نبود", ">=0"),          # "not bad" is never negative (negated negative -> mild positive)
    ("نه خوب", -1),              # negator before the word
    ("هیچ مشکلی نداشت", 1),      # two negators around مشکل flip once: "had no problem" is positive
    ("دوست نداشتم", -1),         # a phrase with its own negation keeps its (negative) sign
    ("عالیه", 1),                # informal suffix ه stripped -> عالی
    ("بدترین", -1),              # suffix ترین stripped -> بد
    ("خوشمزس", 1),               # informal spelling of خوشمزه است listed in the lexicon
    ("گرونه", -1),               # informal گرون + ه
    ("عااااالی", 1),             # elongated letters are collapsed before look-up
    ("كيفيت عالي", 1),           # Arabic ك/ي are folded to Persian ک/ی
    ("بی‌کیفیت", -1),            # ZWNJ compound (two words after folding) matched as a phrase
    ("کمی", 0),                  # blocker: "a little" must not be stripped to کم "too little"
    ("😍", 1),                   # positive emoji
    ("😡😡", -1),                # negative emoji
    ("سلام", 0),                 # no sentiment word at all
    ("", 0),                     # empty text
]


@pytest.mark.parametrize("text,expected", LEXICON_CASES)
def test_lexicon_rules(text, expected):
    score = se.lexicon_score([text])["score"].iloc[0]
    if expected == ">=0":
        assert score >= 0
    elif expected == 0:
        assert score == 0
    else:
        assert np.sign(score) == expected, score


# (weaker, stronger): |score| must grow, one comment per case
INTENSITY_CASES = [
    ("خوب", "خیلی خوب"),                 # خیلی intensifies
    ("خوب", "بسیار خوب"),                # بسیار intensifies
    ("بد", "واقعا بد"),                  # واقعا intensifies
    ("خوب نبود", "اصلا خوب نبود"),       # اصلا strengthens a negation
    ("نسبتا خوب", "خوب"),                # نسبتا damps
    ("خوب", "خوب 😍"),                   # emoji adds to the words
]


@pytest.mark.parametrize("weak,strong", INTENSITY_CASES)
def test_intensity(weak, strong):
    s = se.lexicon_score([weak, strong])["score"].abs().to_numpy()
    assert s[1] > s[0] > 0


def test_negated_positive_weaker_than_plain_negative_is_not_required_but_sign_is():
    # negation keeps 0.8 of a positive's weight: خوب نبود is clearly negative, but milder than خوب is positive
    s = se.lexicon_score(["خوب", "خوب نبود"])["score"].to_numpy()
    assert s[1] < 0 < s[0] and abs(s[1]) < abs(s[0])


def test_fold():
    assert se.fold(["كيك  عاااالي\u200cه ۱۲٣", None]) == ["کیک عالی ه 123", ""]


# ---------------------------------------------------------------- label mapping
def test_map_labels_ratings():
    # 1-2 negative, 3 neutral, 4-5 positive; NaN stays missing
    out = se.map_labels(pd.Series([1, 2, 3, 4, 5, np.nan]))
    assert out.iloc[:5].tolist() == ["negative", "negative", "neutral", "positive", "positive"]
    assert pd.isna(out.iloc[5])


def test_map_labels_words_and_signs():
    assert se.map_labels(["HAPPY", "SAD", "happy"]).tolist() == ["positive", "negative", "positive"]
    assert se.map_labels(["Positive", "neutral", "NEG", "مثبت", "منفی"]).tolist() == [
        "positive", "neutral", "negative", "positive", "negative"]
    assert se.map_labels([-1, 0, 1]).tolist() == ["negative", "neutral", "positive"]
    assert se.map_labels([-2, -1, 0, 1, 2]).tolist() == ["negative", "negative", "neutral", "positive", "positive"]
    # 1 and 2 only are ambiguous between ratings and signs: say which
    assert se.map_labels([1, 2], scale="sign").tolist() == ["positive", "positive"]
    assert se.map_labels([1, 2]).tolist() == ["negative", "negative"]  # inferred as ratings


def test_map_labels_errors():
    with pytest.raises(ValueError, match="unknown sentiment label"):
        se.map_labels(["good", "positive"])
    with pytest.raises(ValueError, match="numeric labels"):
        se.map_labels([0, 7, 10])


# ---------------------------------------------------------------- metrics
def test_classification_summary_hand_computed():
    # confusion (rows true, cols predicted):      pos neg neu
    #   pos  2 1 0   -> F1 pos = 2*2/(3+3) = 0.6667
    #   neg  1 1 0   -> F1 neg = 2*1/(2+2) = 0.5
    #   neu  0 0 1   -> F1 neu = 2*1/(1+1) = 1.0      macro = 0.7222, accuracy = 4/6
    y_true = ["positive", "positive", "positive", "negative", "negative", "neutral"]
    y_pred = ["positive", "positive", "negative", "negative", "positive", "neutral"]
    r = se.classification_summary(y_true, y_pred, n_boot=200)
    assert r.macro_f1 == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.confusion.loc["positive", "negative"] == 1
    assert r.confusion.loc["negative", "positive"] == 1
    assert r.confusion.to_numpy().sum() == 6
    assert r.per_class.loc["neutral", "f1"] == 1.0
    assert r.macro_f1_ci[0] <= r.macro_f1 <= r.macro_f1_ci[1]
    from sklearn.metrics import f1_score
    assert r.macro_f1 == pytest.approx(f1_score(y_true, y_pred, average="macro"))


def test_evaluate_binary_uses_sign_of_score():
    texts = ["غذا خیلی خوشمزه و داغ بود", "افتضاح بود، سرد و بی مزه", "عالی بود ممنون", "خیلی بد بود"]
    r = se.evaluate(None, texts, ["HAPPY", "SAD", "HAPPY", "SAD"], n_boot=50)
    assert r.mode == "binary" and r.n == 4
    assert list(r.confusion.index) == ["positive", "negative"]
    assert r.accuracy == 1.0


# ---------------------------------------------------------------- default model
def test_predict_default_model_shape_and_values():
    texts = pd.Series(["غذا خیلی خوشمزه بود، ممنون", "اصلا خوب نبود، غذا سرد رسید", None, "عالی 😍"],
                      index=[10, 20, 30, 40])
    out = se.predict(texts)
    assert list(out.index) == [10, 20, 30, 40]
    assert {"label", "score"} <= set(out.columns)
    assert out.loc[10, "label"] == "positive" and out.loc[10, "score"] > 0.3
    assert out.loc[20, "label"] == "negative" and out.loc[20, "score"] < -0.3
    assert out.loc[40, "label"] == "positive"
    assert pd.isna(out.loc[30, "label"]) and pd.isna(out.loc[30, "score"])
    assert out["score"].dropna().between(-1, 1).all()


def test_predict_duplicates_and_empty():
    out = se.predict(["خوب بود", "خوب بود", ""])
    assert out["score"].iloc[0] == out["score"].iloc[1]
    assert pd.isna(out["label"].iloc[2])
    assert len(se.predict([])) == 0
    with pytest.raises(TypeError):
        se.predict("یک متن")


def test_default_model_is_small_and_has_provenance():
    assert se.DEFAULT_MODEL.stat().st_size < 5e6
    m = se.default_model()
    assert set(m.classes) == {"positive", "neutral", "negative"}
    assert "snappfood" in " ".join(m.meta["data"]).lower()


# ---------------------------------------------------------------- training on own labels
POS = ["غذا خوشمزه بود", "ارسال سریع بود", "کیفیت عالی داشت", "خیلی راضی بودم", "پیک مودب بود",
       "بسته بندی تمیز بود", "داغ و تازه رسید", "قیمت مناسب بود"]
NEG = ["غذا سرد بود", "خیلی دیر رسید", "کیفیت پایین بود", "اصلا راضی نبودم", "پیک بی ادب بود",
       "بسته بندی پاره بود", "بی مزه و مونده بود", "خیلی گرون بود"]


def _toy(n_per: int = 160, seed: int = 1):
    rng = np.random.default_rng(seed)
    fill = ["امروز", "دیشب", "این بار", "", "سفارش دوم", "برای ناهار"]
    texts, labels = [], []
    for lab, bank in ((5, POS), (1, NEG)):
        for _ in range(n_per):
            a, b = rng.choice(bank, 2, replace=False)
            texts.append(f"{rng.choice(fill)} {a} و {b}")
            labels.append(lab)
    return texts, labels


def test_train_save_load_roundtrip(tmp_path):
    texts, labels = _toy(40)
    m = se.train(texts, labels, bits=14)
    assert m.classes == ("negative", "positive")
    p = se.predict(["غذا خوشمزه بود و ارسال سریع بود", "غذا سرد بود و خیلی دیر رسید"], m)
    assert p["label"].tolist() == ["positive", "negative"]
    path = m.save(tmp_path / "m.npz")
    m2 = se.load_model(path)
    p2 = se.predict(["غذا خوشمزه بود و ارسال سریع بود", "غذا سرد بود و خیلی دیر رسید"], m2)
    np.testing.assert_allclose(p["score"], p2["score"], rtol=1e-5)


def test_cross_validate_and_choose_model():
    texts, labels = _toy(160)
    cv = se.cross_validate(texts, labels, k=3, bits=14, n_boot=50)
    assert len(cv.folds) == 3 and cv.folds["n_test"].sum() == len(texts)
    assert cv.accuracy > 0.9
    model, info = se.choose_model(texts, labels, k=3)
    assert info["n"] == 320 and info["n_by_class"]["positive"] == 160
    assert info["model"] in ("own", "default") and info["cv_accuracy"] > 0.9
    assert isinstance(info["text"], str) and "accuracy" in info["text"]
    # too few labels -> default model, and it says why
    model, info = se.choose_model(texts[:50], labels[:50])
    assert info["model"] == "default" and "fewer than 300" in info["reason"]
    assert model is se.default_model()


def test_choose_model_own_on_synthetic_set():
    # a vocabulary the default model has never seen as polar: the user's own model must win
    rng = np.random.default_rng(3)
    good, bad = ["زرپ", "قلنگ", "مویان"], ["فسک", "دروم", "تیلان"]
    filler = ["سفارش", "امروز", "غذا", "پیک", "رسید", "بود"]
    texts, labels = [], []
    for i in range(400):
        lab = i % 2
        words = list(rng.choice(filler, 3)) + [rng.choice(good if lab else bad)]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append("positive" if lab else "negative")
    model, info = se.choose_model(texts, labels, bits=14)
    assert info["model"] == "own" and model is not se.default_model()
    for key in ("n", "n_by_class", "cv_accuracy", "cv_accuracy_ci", "cv_macro_f1", "cv_n", "n_train",
                "default_accuracy", "default_macro_f1", "reason", "text", "seconds"):
        assert key in info, key
    assert info["n"] == info["cv_n"] == info["n_train"] == 400
    assert info["cv_macro_f1"] > 0.95 and info["cv_macro_f1"] >= info["default_macro_f1"]
    assert info["cv_accuracy_ci"][0] <= info["cv_accuracy"] <= info["cv_accuracy_ci"][1] + 1e-9
    assert "3-fold" in info["text"]
    assert model.bits == 14  # train kwargs pass through
    assert se.predict(["امروز زرپ بود", "امروز فسک بود"], model)["label"].tolist() == ["positive", "negative"]
    # the size rule: CV on a stratified sample of max_cv texts, final fit on max_train
    _, capped = se.choose_model(texts, labels, bits=14, max_cv=300, max_train=350)
    assert capped["cv_n"] == 300 and capped["n_train"] == 350
    assert "300 of your 400" in capped["text"]


def test_train_needs_both_classes():
    with pytest.raises(ValueError, match="both positive and negative"):
        se.train(["خوب", "عالی"], ["positive", "positive"])


# ---------------------------------------------------------------- real public data (CI)
@pytest.mark.shared
def test_evaluation_floors_on_public_data(shared_data):
    """Held-out floors (see docs/evaluation.md for the achieved values and the script)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import train_sentiment as ts

    s_tr, s_te, p_tr, p_te = ts.splits(shared_data)
    # shipped default: trained on the train parts only, so these are held-out numbers
    snap = se.evaluate(None, s_te["text"], s_te["label"], n_boot=100)
    senti = se.evaluate(None, ts.polar(p_te)["text"], ts.polar(p_te)["label"], n_boot=100)
    assert snap.macro_f1 >= 0.80, snap.as_dict()
    assert senti.macro_f1 >= 0.78, senti.as_dict()
    # in-domain: a model trained on the SnappFood train split only
    m = se.train(s_tr["text"], s_tr["label"])
    inside = se.evaluate(m, s_te["text"], s_te["label"], n_boot=100)
    assert inside.macro_f1 >= 0.84, inside.as_dict()
    # the lexicon rules alone are well above chance on unseen SnappFood comments
    lex = se.evaluate("lexicon", s_te["text"], s_te["label"], n_boot=100)
    assert lex.macro_f1 >= 0.68, lex.as_dict()


def test_fold_keeps_one_row_per_text_when_neighbours_fold_to_empty():
    # tatweel and a lone diacritic fold to "": three separators in a row must not collapse
    from insight import sentiment as se
    texts = ["عالی بود", "ـ", "\u064e", "افتضاح بود", "بد"]
    assert len(se.fold(texts)) == 5
    out = se.predict(texts)
    assert len(out) == 5 and out.loc[3, "label"] == "negative"


def test_fold_batches_give_the_same_predictions(monkeypatch):
    # _prepare folds FOLD_BATCH texts at a time (bounds memory); each text's fold is its own,
    # so batches of 3 must give exactly what one batch gives (repeats, ZWNJ, Arabic letters, empty)
    from insight import sentiment as S
    texts = pd.Series(["خيلي خوبببب بود", "", "بد بود!!!", "كيفيت عالي", "نه\u200cخوب", None,
                       "ارسال دیر بود", "😍😍😍", "معمولی", "  سلام  ", "۱۲۳ تومان"])
    whole = S.predict(texts)
    monkeypatch.setattr(S, "FOLD_BATCH", 3)
    assert S._prepare(["a", "b", "c", "d"]) == S.fold(["a", "b", "c", "d"])
    pd.testing.assert_frame_equal(S.predict(texts), whole, check_exact=True)
