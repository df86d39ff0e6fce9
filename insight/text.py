"""Persian text helpers: hazm-identical normalization (fast, batched), tokens, PII masking.

    from insight import text
    text.normalize(df["comment"])        # Series in, Series out (index kept); = hazm.Normalizer()
    text.tokenize("غذا سرد بود!")        # ['غذا', 'سرد', 'بود', '!']  (hazm WordTokenizer)
    text.sentences("خوب بود. ممنون!")    # ['خوب بود.', 'ممنون!']
    "بود" in text.stopwords()            # hazm's stop-word list as a frozenset
    text.mask_pii("شماره من ۰۹۱۲ ۳۴۵ ۶۷۸۹") # 'شماره من [تلفن]'
    text.find_pii(html)                  # [('phone', '0912...'), ...] for report checks

``normalize`` and ``mask_pii`` accept a single ``str``, a list, a tuple, a numpy
array or a pandas Series and return the same kind of container (a Series keeps its
index and name).  Missing values (None, NaN, pd.NA) and other non-strings are
returned unchanged.  Both are vectorized: identical texts are processed once and
the regex passes run over all texts at once (see insight/_normalize_rules.py and
docs/text.md for the speed and the agreement with hazm).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = [
    "normalize", "tokenize", "word_tokenize", "sentences", "stopwords",
    "mask_pii", "find_pii", "has_pii", "mask_pii_found", "PII_PLACEHOLDERS",
]

T = TypeVar("T")


# --------------------------------------------------------------------------------
# container handling
def _apply(texts: T, batch: Callable[[list[str]], list[str]], name: str) -> T:
    """Run ``batch`` over the strings in ``texts``; give back the same container."""
    if isinstance(texts, str):
        return batch([texts])[0]
    if texts is None or (not isinstance(texts, Iterable | pd.Series) and pd.isna(texts)):
        return texts
    if isinstance(texts, pd.Series):
        values = texts.tolist()
        out = _apply_list(values, batch)
        try:
            return pd.Series(out, index=texts.index, name=texts.name, dtype=texts.dtype)
        except (TypeError, ValueError):
            return pd.Series(out, index=texts.index, name=texts.name)
    if isinstance(texts, np.ndarray):
        out = np.empty(len(texts), dtype=object)
        out[:] = _apply_list(texts.tolist(), batch)
        return out
    if isinstance(texts, list | tuple):
        out = _apply_list(list(texts), batch)
        return tuple(out) if isinstance(texts, tuple) else out
    raise TypeError(
        f"{name}() takes a str, a list/tuple/array of str or a pandas Series; "
        f"got {type(texts).__name__}"
    )


def _apply_list(values: list[Any], batch: Callable[[list[str]], list[str]]) -> list[Any]:
    pos = [i for i, v in enumerate(values) if isinstance(v, str) and v]
    if not pos:
        return values
    if len(pos) == len(values):
        return batch(values)
    done = batch([values[i] for i in pos])
    out = list(values)
    for i, v in zip(pos, done):
        out[i] = v
    return out


# --------------------------------------------------------------------------------
# normalization
def normalize(texts: T) -> T:
    """Normalize Persian text exactly like ``hazm.Normalizer().normalize`` (defaults).

    Arabic letters → Persian (ي→ی, ك→ک, …), digits → Persian digits, diacritics and
    kashida removed, spacing of punctuation / affixes / «می» fixed with ZWNJ using
    hazm's word and verb lists, quotes → «», ``...`` → ``…``, letters repeated 3+
    times shortened.  Works on a whole batch at once (10× and more faster than
    hazm's per-text loop); the rare known differences are listed in docs/text.md.

    >>> normalize("اِعلاممممم کَرد : « زمین لرزه ای به بُزرگیِ 6 دهم ریشتر ...»")
    'اعلام کرد: «زمین‌لرزه‌ای به بزرگی ۶ دهم ریشتر …»'
    """
    from insight._normalize_rules import normalize_batch

    return _apply(texts, normalize_batch, "normalize")


@lru_cache(maxsize=1)
def _word_tokenizer():
    from hazm import WordTokenizer

    return WordTokenizer()


@lru_cache(maxsize=1)
def _sentence_tokenizer():
    from hazm import SentenceTokenizer

    return SentenceTokenizer()


def tokenize(text: str) -> list[str]:
    """Words and punctuation of one text (hazm ``WordTokenizer()``, multi-part verbs
    joined with ``_`` as in hazm).  Normalize first for best results:
    ``tokenize(normalize(t))``.  Missing values give ``[]``."""
    if not isinstance(text, str):
        if text is None or pd.isna(text):
            return []
        raise TypeError(f"tokenize() takes a str, got {type(text).__name__}")
    return _word_tokenizer().tokenize(text)


word_tokenize = tokenize


def sentences(text: str) -> list[str]:
    """Split one text into sentences at . ! ? ؟ followed by a space or newline
    (hazm ``SentenceTokenizer``).  Missing values give ``[]``."""
    if not isinstance(text, str):
        if text is None or pd.isna(text):
            return []
        raise TypeError(f"sentences() takes a str, got {type(text).__name__}")
    return _sentence_tokenizer().tokenize(text)


@lru_cache(maxsize=1)
def _lemmatizer():
    from hazm import Lemmatizer

    return Lemmatizer()


def lemmas(words) -> list[str]:
    """hazm's lemma of each word (``کتاب‌ها`` -> ``کتاب``; verbs give hazm's ``past#present``
    stem pair, e.g. ``می‌روم`` -> ``رفت#رو``).  Vocabularies repeat, so each distinct word is
    lemmatized once per call.  Takes the tokens of :func:`tokenize`."""
    words = list(words)
    lem = _lemmatizer()
    cache = {w: lem.lemmatize(w) for w in dict.fromkeys(words)}
    return [cache[w] for w in words]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """hazm's Persian stop-word list (normalized spelling, with ZWNJ)."""
    from hazm.utils import stopwords_list

    return frozenset(stopwords_list())


# --------------------------------------------------------------------------------
# PII masking
PII_PLACEHOLDERS = {
    "email": "[ایمیل]",
    "iban": "[شبا]",
    "card": "[شماره کارت]",
    "national_id": "[کد ملی]",
    "phone": "[تلفن]",
}

_D = "0-9۰-۹٠-٩"  # Latin, Persian and Arabic-Indic digits
_d = f"[{_D}]"
# between digit groups: nothing, a space, or a dash with optional spaces around it
# (normalize() writes "0912-345" as "۰۹۱۲ - ۳۴۵")
_S = "(?:[ \u00a0]?[\\-‐‑–][ \u00a0]?|[ \u00a0])?"
_NO_D_BEFORE = f"(?<![{_D}])"
_NO_D_AFTER = f"(?![{_D}])"
_ZERO, _NINE, _EIGHT = "[0۰٠]", "[9۹٩]", "[8۸٨]"
_PLUS98 = f"(?:\\+|{_ZERO}{_ZERO}){_NINE}{_EIGHT}"  # +98 or 0098
_AREA = f"{_ZERO}[1-8۱-۸١-٨]{_d}"  # landline area code 0XX (not 09)

# (kind, pattern, replacement); applied in this order over all texts at once
_PII_RULES: list[tuple[str, str, str]] = [
    ("email", r"(?<![\w.+-])[A-Za-z0-9_][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])",
     PII_PLACEHOLDERS["email"]),
    # Sheba: IR + 24 digits, spaces allowed (IR06 0170 0000 0012 3456 7890 01)
    ("iban", f"(?<![A-Za-z])[Ii][Rr] ?{_d}{{2}}(?:{_S}{_d}){{22}}{_NO_D_AFTER}", PII_PLACEHOLDERS["iban"]),
    # labelled Sheba without the IR prefix
    ("iban", f"(?<=شبا)([^{_D}\\n\\x00]{{0,12}}?){_NO_D_BEFORE}{_d}{{2}}(?:{_S}{_d}){{22}}{_NO_D_AFTER}",
     "\\1" + PII_PLACEHOLDERS["iban"]),
    # bank card: 16 digits, as 4 groups of 4 with optional space/dash
    ("card", f"{_NO_D_BEFORE}{_d}{{4}}{_S}{_d}{{4}}{_S}{_d}{{4}}{_S}{_d}{{4}}{_NO_D_AFTER}", PII_PLACEHOLDERS["card"]),
    # national id: 10 digits, only right after a label (کد ملی / کدملی / national id)
    ("national_id",
     f"((?:کد|شماره)[ \u200c]?ملی|(?i:national[ _-]?(?:id|code)))([^{_D}\\n\\x00]{{0,15}}?)"
     f"{_NO_D_BEFORE}{_d}{{3}}{_S}{_d}{{6}}{_S}{_d}{_NO_D_AFTER}",
     "\\1\\2" + PII_PLACEHOLDERS["national_id"]),
    # mobile: 09xx xxx xxxx, +98 9xx…, 0098 9xx… (+98 0912… too); one optional
    # space/dash between any two digits
    ("phone", f"(?:{_PLUS98}{_S}\\(?{_ZERO}?\\)?|{_NO_D_BEFORE}{_ZERO}){_NINE}(?:{_S}{_d}){{9}}{_NO_D_AFTER}",
     PII_PLACEHOLDERS["phone"]),
    # landline: 021-12345678, (021) 1234 5678, +98 21 12345678
    ("phone",
     f"(?:{_PLUS98}{_S}\\(?{_ZERO}?|{_NO_D_BEFORE}\\(?{_ZERO})[1-8۱-۸١-٨]{_d}\\)?{_S}{_d}(?:{_S}{_d}){{7}}{_NO_D_AFTER}",
     PII_PLACEHOLDERS["phone"]),
]
_PII_COMPILED = [(kind, re.compile(p), rep) for kind, p, rep in _PII_RULES]
# Only texts that can hold a match are masked: every rule needs an "@" (e-mail) or at
# least 10 digits (national id 10, phones 11+, card 16, Sheba 24), and a replacement
# never adds digits, so a text with neither is returned unchanged by all the rules
# (most texts with a digit hold a price or an order number: ~10x fewer to run through)
_TEN_DIGITS = re.compile(f"(?:[^{_D}]*+[{_D}]){{10}}")   # (anchored: use .match)


def _may_hold_pii(t: str) -> bool:
    return "@" in t or _TEN_DIGITS.match(t) is not None


_SEP = "\x00"


def _mask_batch(texts: list[str]) -> list[str]:
    uniq = list(dict.fromkeys(texts))
    todo = [t for t in uniq if _SEP not in t and _may_hold_pii(t)]
    if todo:
        big = _SEP.join(todo)
        for _, pat, rep in _PII_COMPILED:
            big = pat.sub(rep, big)
        done = dict(zip(todo, big.split(_SEP)))
    else:
        done = {}
    # texts that contain the separator itself (never in real text) go one by one
    for t in uniq:
        if _SEP in t:
            s = t
            for _, pat, rep in _PII_COMPILED:
                s = pat.sub(rep, s)
            done[t] = s
    return [done.get(t, t) for t in texts]


def mask_pii(texts: T) -> T:
    """Replace personal data with readable placeholders.

    Masked: Iranian mobile numbers (09xx…, +98 9xx…, 0098…) and landlines
    (021-xxxxxxxx) → ``[تلفن]``; e-mail → ``[ایمیل]``; 16-digit card numbers →
    ``[شماره کارت]``; Sheba/IBAN (IR + 24 digits) → ``[شبا]``; 10-digit national
    ids only right after a label (کد ملی, کدملی, national id) → ``[کد ملی]``.
    Latin, Persian (۰-۹) and Arabic-Indic (٠-٩) digits, with spaces or dashes.
    Not masked: order numbers and postal codes (unlabelled 10 digits), prices
    (۱۲۰٬۰۰۰ تومان, 1,200,000), dates (1402/05/12), other short numbers.

    >>> mask_pii("با ۰۹۱۲-۳۴۵-۶۷۸۹ تماس بگیرید، سفارش 1402123456")
    'با [تلفن] تماس بگیرید، سفارش 1402123456'
    """
    return _apply(texts, _mask_batch, "mask_pii")


def find_pii(text: str) -> list[tuple[str, str]]:
    """All personal data ``mask_pii`` would mask in ``text``, as (kind, match) pairs
    in masking order; kinds are the keys of ``PII_PLACEHOLDERS``.  Use it to check
    that rendered output (HTML, CSV) contains no unmasked PII."""
    if not isinstance(text, str):
        return []
    found = []
    s = text
    for kind, pat, rep in _PII_COMPILED:
        for m in pat.finditer(s):
            found.append((kind, m.group()))
        s = pat.sub(rep, s)
    return found


def has_pii(texts):
    """True where a text contains personal data (``bool`` for a str, a numpy bool
    array for a list/array, a bool Series with the same index for a Series)."""
    if isinstance(texts, str):
        return mask_pii(texts) != texts
    if isinstance(texts, pd.Series):
        masked = mask_pii(texts)
        return pd.Series(
            [isinstance(a, str) and a != b for a, b in zip(texts.tolist(), masked.tolist())],
            index=texts.index, name=texts.name, dtype=bool,
        )
    values = list(texts)
    masked = mask_pii(values)
    return np.array([isinstance(a, str) and a != b for a, b in zip(values, masked)], dtype=bool)


mask_pii_found = has_pii
