"""insight.text.normalize must give hazm.Normalizer()'s output (hazm 0.12.1, defaults),
for a batch at once.  Each case states the expected text (what hazm returns) and is
also checked against hazm itself, so a hazm upgrade that changes behaviour shows up."""
from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest

from insight import text
from insight._normalize_rules import _decimal_cps, _hazm_normalizer, lexicon, normalize_batch

Z = "\u200c"  # ZWNJ

CASES = [
    # hazm's own docstring example: diacritics, repeats, spacing, compound, digits, …
    ("اِعلاممممم کَرد : « زمین لرزه ای به بُزرگیِ 6 دهم ریشتر ...»",
     f"اعلام کرد: «زمین{Z}لرزه{Z}ای به بزرگی ۶ دهم ریشتر …»"),
    # Arabic kaf / yeh -> Persian
    ("كتاب عربي", "کتاب عربی"),
    # Latin and Arabic-Indic digits -> Persian digits
    ("سفارش 123 و ٤٥٦", "سفارش ۱۲۳ و ۴۵۶"),
    # % -> ٪, and the tokenizer splits the number from it
    ("تخفیف 10%", "تخفیف ۱۰ ٪"),
    # straight quotes -> guillemets
    ('"نرمال‌سازی"', "«نرمال‌سازی»"),
    # decimal point -> ٫ ; hazm's tokenizer then puts spaces around it (hazm quirk)
    ("10.450", "۱۰ ٫ ۴۵۰"),
    # non-overlapping matches: in 1.2.3.4 only every other dot becomes ٫
    ("نسخه 1.2.3.4", "نسخه ۱ ٫ ۲.۳ ٫ ۴"),
    # three dots -> ellipsis with a space before
    ("و ...", "و …"),
    # six dots -> two ellipses
    ("عالی......", "عالی … …"),
    # ZWNJ at word edges and next to spaces removed
    (f"{Z}سلام{Z} به {Z}همه{Z}", "سلام به همه"),
    # repeated ZWNJ collapsed
    (f"کاروان{Z}{Z}سرا", f"کاروان{Z}سرا"),
    # kashida removed
    ("دنیـــا", "دنیا"),
    # plural suffix joined with ZWNJ (hazm word list)
    ("کتاب ها", f"کتاب{Z}ها"),
    # ه+ها split, and می / نمی joined to the verb
    ("جمعهها که کار نمی کنم مطالعه می کنم", f"جمعه{Z}ها که کار نمی{Z}کنم مطالعه می{Z}کنم"),
    # hazm joins a lone «می» to the next word even when it is the month (hazm quirk)
    ("ماه می سال جدید", f"ماه می{Z}سال جدید"),
    # known compound from the word list
    ("اخلال گر", f"اخلال{Z}گر"),
    # a compound that keeps growing: زمین‌لرزه then + ای
    ("زمین لرزه ای", f"زمین{Z}لرزه{Z}ای"),
    # 3+ repeated letters shortened using the word list (سلام is a word)
    ("سلامممم به همه", "سلام به همه"),
    # a double letter is left alone
    ("سلامم به همه", "سلامم به همه"),
    # informal elongation: خیلی is a word, بوود is not, so two letters are kept
    ("خیلیییی خوشمزه بووووود", "خیلی خوشمزه بوود"),
    # seperate_mi with the verb list
    ("نمیدانم چه میگفت", f"نمی{Z}دانم چه می{Z}گفت"),
    # not a verb: unchanged
    ("میز", "میز"),
    # special ligature removed (hazm keeps the space before it)
    ("پیامبر اکرم ﷺ", "پیامبر اکرم "),
    # rial sign spelled out
    ("۱۰۰ ﷼", "۱۰۰ ریال"),
    # no space before ! ؟ . :
    ("خوب بود !", "خوب بود!"),
    # spaces around brackets
    ("غذا(پیتزا)سرد بود", "غذا (پیتزا) سرد بود"),
    # space between a digit and a letter
    ("۳عدد پیتزا", "۳ عدد پیتزا"),
    # 3+ newlines -> 2
    ("خط اول\n\n\n\nخط دوم", "خط اول\n\nخط دوم"),
    # a whitespace-only line is kept as is (hazm skips it)
    ("الف\n \nب", "الف\n \nب"),
    # a tab inside a line becomes a space
    ("الف\tب", "الف ب"),
    # emoji untouched
    ("عالی بود😍😍", "عالی بود😍😍"),
    # empty and blank texts
    ("", ""),
    ("   ", ""),
    # ه + ی (ezafe) joined
    ("خانه ی من", f"خانه{Z}ی من"),
    # ه + ام joined
    ("خانه ام", f"خانه{Z}ام"),
    # comparative suffix joined
    ("بزرگ تر", f"بزرگ{Z}تر"),
    # NUL inside a text (the batch separator candidate) falls back to another one
    ("سلام\x00دنیا", "سلام\x00دنیا"),
    # diacritics removed
    ("حَذفِ اِعراب", "حذف اعراب"),
    # leading / trailing spaces stripped
    ("  سلام  ", "سلام"),
    # space after . ؟ when a letter follows
    ("سلام.خوبی؟ممنون", "سلام. خوبی؟ ممنون"),
    # a time keeps its colon, digits become Persian
    ("ساعت 12:30", "ساعت ۱۲:۳۰"),
    # a lone surrogate (broken UTF-16 input) passes through as in hazm
    ("سلام \ud800 ي", "سلام \ud800 ی"),
]


@pytest.fixture(scope="module")
def hazm_norm():
    return _hazm_normalizer()


@pytest.mark.parametrize(("raw", "expected"), CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_normalize_cases(raw, expected, hazm_norm):
    assert hazm_norm.normalize(raw) == expected  # the table is hazm's behaviour
    assert text.normalize(raw) == expected


def test_cases_as_one_batch_match_one_by_one():
    raws = [r for r, _ in CASES]
    assert text.normalize(raws) == [e for _, e in CASES]
    # reversed order and duplicates give the same per-text answers
    assert text.normalize(raws[::-1] * 2) == [e for _, e in CASES][::-1] * 2


def _random_texts(n: int, seed: int) -> list[str]:
    """Strings mixing the characters and words every hazm rule reacts to."""
    lex = lexicon()
    rng = random.Random(seed)
    frags = [
        "می", "نمی", "ها", "های", "تر", "ترین", "گر", "ای", "ام", "ی", "ه", "کتاب", "خانه", "زمین", "لرزه",
        "رود", "دانم", "خیلی", "بود", "است", "شد", "کن", "ي", "ك", "ة", "ۀ", "ـ", "\u064e", "\u0651", "\u0670",
        "ﷲ", "ﻻ", "﷼", "1", "12", "3.5", "۱.۲.۳", "٣", "10%", ".", "...", "....", ":", "!!", "؟", "،", "»", "«",
        "(", ")", "[", "}", '"', "“", "”", "/", "\\", "@", "a", "😂", Z, Z + Z, "ییی", "ممم", "ههه", "ﺑ",
        "\u00a0", "\u2009", "\t", "\r", "+", "ه ی ", "خانه ام", " " + Z,
    ] + sorted(lex.heads)[::400] + sorted(lex.tails)[::400]
    seps = [" ", " ", "", "  ", "\n", "\n\n\n", " \n ", Z, "\t", "\xa0", "\r\n"]
    return ["".join(rng.choice(frags) + rng.choice(seps) for _ in range(rng.randint(0, 12)))
            for _ in range(n)]


def test_generated_texts_equal_hazm(hazm_norm):
    texts = _random_texts(1500, seed=7)
    got = normalize_batch(texts)
    bad = [(t, g) for t, g in zip(texts, got) if g != hazm_norm.normalize(t)]
    assert not bad, f"{len(bad)} differ, first: {bad[0]!r}"


def test_growing_compounds_equal_hazm(hazm_norm):
    # multi-part entries of hazm's word/verb lists written with spaces: hazm joins
    # them left to right, each join deciding the next.  The first texts are those
    # where a join that only a compound allows must then be extended by «ای».
    lex = lexicon()
    texts = ["آب میوه گیری ای", "دی ان آ ای", "می زیده اند ای", "نمی می زیده ایم ای",
             "داشته اید می می زیده اید ای", "زمین لرزه ای ها"]
    parts = sorted(k.split(Z) for k in lex.pair_keys if k.count(Z) >= 2 and all(k.split(Z)))
    texts += [" ".join(p) for p in parts[::40]]
    texts += ["و " + t + " ای" for t in texts[6::3]]
    got = normalize_batch(texts)
    bad = [(t, g) for t, g in zip(texts, got) if g != hazm_norm.normalize(t)]
    assert not bad, f"{len(bad)} of {len(texts)} differ, first: {bad[0]!r}"


@pytest.mark.shared
def test_agreement_with_hazm_on_real_texts(shared_data, hazm_norm):
    sf = pd.read_csv(shared_data / "snappfood" / "dev.csv", sep="\t")
    sp = pd.read_excel(shared_data / "sentipers" / "sentipers.xlsx")
    texts = [t for t in sf["comment"].tolist()[::4] + sp["text"].tolist()[::6] if isinstance(t, str)]
    assert len(texts) > 4000
    got = text.normalize(texts)
    same = sum(g == hazm_norm.normalize(t) for t, g in zip(texts, got))
    assert same / len(texts) >= 0.999, f"{len(texts) - same} of {len(texts)} differ"


# ---- containers, missing values -------------------------------------------------
def test_str_in_str_out():
    assert text.normalize("كتاب ها") == f"کتاب{Z}ها"


def test_list_and_tuple_round_trip():
    assert text.normalize(["كتاب", "1"]) == ["کتاب", "۱"]
    assert text.normalize(("كتاب", "1")) == ("کتاب", "۱")
    assert text.normalize([]) == []


def test_series_keeps_index_name_and_dtype():
    s = pd.Series(["كتاب", None, "2"], index=[10, 5, 7], name="comment", dtype="str")
    out = text.normalize(s)
    assert isinstance(out, pd.Series)
    assert out.index.tolist() == [10, 5, 7] and out.name == "comment"
    assert out.dtype == s.dtype
    assert out[10] == "کتاب" and out[7] == "۲" and pd.isna(out[5])


def test_object_series_and_array():
    s = pd.Series(["ي", np.nan, None, ""], dtype=object)
    out = text.normalize(s)
    assert out[0] == "ی" and math.isnan(out[1]) and out[2] is None and out[3] == ""
    arr = text.normalize(np.array(["ك", None], dtype=object))
    assert isinstance(arr, np.ndarray) and arr.tolist() == ["ک", None]


def test_missing_values_returned_as_is():
    assert text.normalize(None) is None
    assert math.isnan(text.normalize(float("nan")))
    assert text.normalize(pd.NA) is pd.NA
    assert text.normalize(["", None]) == ["", None]


def test_wrong_type_is_a_clear_error():
    with pytest.raises(TypeError, match="normalize"):
        text.normalize(42)


# ---- helpers --------------------------------------------------------------------
def test_digit_class_is_re_digit():
    # the explicit \d class and the scan limit cover every decimal digit
    full = [c for c in range(0x110000) if chr(c).isdecimal()]
    assert _decimal_cps().tolist() == full
    assert not any(chr(c).isspace() for c in range(0x20000, 0x110000, 7))


def test_tokenize_sentences_stopwords():
    assert text.tokenize("این جمله (خیلی) پیچیده نیست!!!") == [
        "این", "جمله", "(", "خیلی", ")", "پیچیده", "نیست", "!!!"]
    assert text.word_tokenize is text.tokenize
    assert text.tokenize(None) == []
    assert text.sentences("جدا کردن ساده است. تقریبا البته!") == ["جدا کردن ساده است.", "تقریبا البته!"]
    assert text.sentences(float("nan")) == []
    sw = text.stopwords()
    assert isinstance(sw, frozenset) and "و" in sw and "از" in sw and len(sw) > 300


# lemmas: hazm's Lemmatizer, one row a case
LEMMAS = [
    ("کتاب‌ها", "کتاب"),      # plural suffix -ها removed
    ("می‌روم", "رفت#رو"),     # a verb gives hazm's past#present stem pair
    ("رفتند", "رفت#رو"),      # same verb, another person and tense
    ("خوب", "خوب"),           # an adjective is its own lemma
]


def test_lemmas_match_hazm_and_keep_order():
    from insight.text import lemmas
    words = [w for w, _ in LEMMAS] * 2
    assert lemmas(words) == [lem for _, lem in LEMMAS] * 2
