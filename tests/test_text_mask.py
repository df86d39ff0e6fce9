"""insight.text.mask_pii: what is masked, what must not be, containers, batch = one by one."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from insight import text

PHONE, EMAIL, CARD, IBAN, NID = "[تلفن]", "[ایمیل]", "[شماره کارت]", "[شبا]", "[کد ملی]"

MASKED = [
    # mobile, Latin digits, no separators
    ("شماره من 09123456789 است", f"شماره من {PHONE} است"),
    # mobile grouped 4-3-4 with spaces
    ("تماس: 0912 345 6789", f"تماس: {PHONE}"),
    # mobile with dashes, Persian digits
    ("با ۰۹۱۲-۳۴۵-۶۷۸۹ تماس بگیرید", f"با {PHONE} تماس بگیرید"),
    # mobile in Arabic-Indic digits
    ("رقم ٠٩١٢٣٤٥٦٧٨٩", f"رقم {PHONE}"),
    # +98 without the leading 0
    ("+989123456789", PHONE),
    # +98 grouped
    ("زنگ بزنید +98 912 345 6789 ممنون", f"زنگ بزنید {PHONE} ممنون"),
    # 0098 prefix
    ("0098 912 345 6789", PHONE),
    # 0098 in Persian digits
    ("۰۰۹۸۹۱۲۳۴۵۶۷۸۹", PHONE),
    # +98 (0)912 … as some people write it
    ("+98 (0)912 345 6789", PHONE),
    # Tehran landline with a dash
    ("دفتر 021-88776655", f"دفتر {PHONE}"),
    # landline written without separators
    ("02188776655", PHONE),
    # landline with the area code in brackets and grouped digits
    ("(021) 8877 6655", PHONE),
    # landline of another province, Persian digits
    ("۰۳۱ ۳۲۲۲ ۱۲۳۴", PHONE),
    # landline after +98
    ("+98 21 8877 6655", PHONE),
    # e-mail between Persian words
    ("ایمیلم ali.rezaei@gmail.com هست", f"ایمیلم {EMAIL} هست"),
    # e-mail with underscore, digits and a country domain
    ("reza_1370@chmail.ir", EMAIL),
    # e-mail glued to a Persian word after it
    ("mail: Sara.K+shop@Yahoo.co.uk لطفا", f"mail: {EMAIL} لطفا"),
    # card in four groups with dashes
    ("کارت 6037-9912-3456-7890 برای واریز", f"کارت {CARD} برای واریز"),
    # card with spaces
    ("6037 9912 3456 7890", CARD),
    # card without separators
    ("6037991234567890", CARD),
    # card in Persian digits
    ("شماره کارتم ۶۰۳۷۹۹۱۲۳۴۵۶۷۸۹۰", f"شماره کارتم {CARD}"),
    # Sheba with spaces
    ("شبا IR06 0170 0000 0012 3456 7890 01", f"شبا {IBAN}"),
    # Sheba without spaces, lower-case ir
    ("ir060170000000123456789001", IBAN),
    # Sheba without IR but labelled, Persian digits
    ("شماره شبا: ۰۶۰۱۷۰۰۰۰۰۰۰۱۲۳۴۵۶۷۸۹۰۰۱", f"شماره شبا: {IBAN}"),
    # national id after «کد ملی:»
    ("کد ملی: ۰۰۱۲۳۴۵۶۷۸", f"کد ملی: {NID}"),
    # national id after «کدملی» (no space)
    ("کدملی 0012345678", f"کدملی {NID}"),
    # label with ZWNJ and a word in between
    ("کد\u200cملی من ۰۰۱۲۳۴۵۶۷۸ است", f"کد\u200cملی من {NID} است"),
    # national id with dashes 3-6-1
    ("شماره ملی 001-234567-8", f"شماره ملی {NID}"),
    # English label
    ("National ID: 0012345678", f"National ID: {NID}"),
    # two kinds in one text
    ("09123456789 یا ali@gmail.com", f"{PHONE} یا {EMAIL}"),
]

NOT_MASKED = [
    # order number: 10 digits, no label
    "سفارش 1402123456 هنوز نرسیده",
    # postal code: 10 digits, no label
    "کد پستی 1234567890",
    # national id without a label is left alone
    "0012345678",
    # price with Persian thousands separator
    "قیمت ۱۲۰٬۰۰۰ تومان بود",
    # price with commas
    "1,200,000 ریال",
    # long price without separators
    "120000000 ریال",
    # Jalali date
    "تحویل 1402/05/12",
    # Jalali date in Persian digits
    "۱۴۰۲/۰۵/۱۲ ساعت ۱۴:۳۰",
    # time and small numbers
    "ساعت 12:30 و 3 عدد",
    # a short number starting with 09
    "کد تخفیف 09123",
    # mobile-length number starting with 9 but without +98
    "شماره پیگیری 9123456789",
    # 17-digit tracking number (no card inside it)
    "12345678901234567",
    # 15 digits
    "123456789012345",
    # IR with too few digits
    "IR1234 5678",
    # not an e-mail: no top-level domain
    "user@localhost",
    # decimal and version numbers
    "نسخه 1.2.3 و ۴٫۵",
    # empty
    "",
]


@pytest.mark.parametrize(("raw", "expected"), MASKED, ids=[f"pii{i}" for i in range(len(MASKED))])
def test_masked(raw, expected):
    assert text.mask_pii(raw) == expected
    assert text.has_pii(raw) is True
    assert text.find_pii(raw)


@pytest.mark.parametrize("raw", NOT_MASKED, ids=[f"keep{i}" for i in range(len(NOT_MASKED))])
def test_near_misses_are_kept(raw):
    assert text.mask_pii(raw) == raw
    assert text.has_pii(raw) is False
    assert text.find_pii(raw) == []


def test_batch_equals_one_by_one():
    raws = [r for r, _ in MASKED] + NOT_MASKED
    expected = [e for _, e in MASKED] + NOT_MASKED
    assert text.mask_pii(raws) == expected
    assert text.mask_pii(raws[::-1] * 2) == expected[::-1] * 2


def test_find_pii_kinds():
    found = text.find_pii("09123456789 و ali@gmail.com و 6037991234567890 و کد ملی 0012345678")
    assert [k for k, _ in found] == ["email", "card", "national_id", "phone"]
    assert ("phone", "09123456789") in found
    assert set(text.PII_PLACEHOLDERS) == {"email", "iban", "card", "national_id", "phone"}


def test_mask_after_normalize_still_finds_numbers():
    # normalize() turns digits Persian; phone and card numbers are still found
    raw = "شماره 0912 345 6789 و کارت 6037-9912-3456-7890"
    assert text.mask_pii(text.normalize(raw)) == f"شماره {PHONE} و کارت {CARD}"


# ---- containers, missing values -------------------------------------------------
def test_containers_round_trip():
    assert text.mask_pii(["09123456789", None]) == [PHONE, None]
    assert text.mask_pii(("09123456789",)) == (PHONE,)
    s = pd.Series(["09123456789", np.nan, "سلام"], index=["a", "b", "c"], name="t", dtype="str")
    out = text.mask_pii(s)
    assert out.index.tolist() == ["a", "b", "c"] and out.name == "t" and out.dtype == s.dtype
    assert out["a"] == PHONE and pd.isna(out["b"]) and out["c"] == "سلام"
    arr = text.mask_pii(np.array(["09123456789", None], dtype=object))
    assert arr.tolist() == [PHONE, None]


def test_missing_values_returned_as_is():
    assert text.mask_pii(None) is None
    assert math.isnan(text.mask_pii(float("nan")))
    assert text.mask_pii("") == ""
    assert text.find_pii(None) == []


def test_has_pii_vectorized():
    s = pd.Series(["09123456789", "سلام", None], index=[3, 1, 2])
    flags = text.has_pii(s)
    assert flags.index.tolist() == [3, 1, 2] and flags.tolist() == [True, False, False]
    assert text.has_pii(["a@b.com", "x"]).tolist() == [True, False]
    assert text.mask_pii_found is text.has_pii


def test_separator_inside_a_text():
    # a NUL char (used to batch the texts) inside a text is handled one by one
    assert text.mask_pii(["a\x0009123456789", "09123456789"]) == [f"a\x00{PHONE}", PHONE]


# ---- which texts are run through the rules ----------------------------------------
def _every_rule(t: str) -> str:
    for _, pat, rep in text._PII_COMPILED:
        t = pat.sub(rep, t)
    return t


def test_hint_needs_an_at_sign_or_ten_digits():
    # 9 digits (any script, any separators) and no "@": skipped; 10: looked at
    assert not text._may_hold_pii("سفارش ۱۲۳ به مبلغ 45,600 - ۹")
    assert text._may_hold_pii("کد ملی ۰۰۱-۲۳۴۵۶۷-۸")          # 10 digits
    assert text._may_hold_pii("x@y") and text._may_hold_pii("1234567890")
    # the shortest masked number of each kind has at least 10 digits
    for raw, masked in [("کد ملی 0012345678", f"کد ملی {NID}"), ("09123456789", PHONE),
                        ("02112345678", PHONE), ("a@b.co", EMAIL)]:
        assert text._may_hold_pii(raw) and text.mask_pii(raw) == masked


def test_batch_equals_every_rule_on_each_text():
    # random texts of digits (three scripts), separators and words: the batch (hint
    # filter, joined texts) gives what every rule run on each text on its own gives
    rng = np.random.default_rng(5)
    parts = ["0", "9", "1", "8", "۰", "۹", "۲", "٠", "٣", " ", "-", " - ", "+98", "0098", "IR",
             "کد ملی ", "شبا ", "@", "a", "x.com", "سفارش ", "\n", "(021) "]
    texts = ["".join(rng.choice(parts, size=rng.integers(0, 40))) for _ in range(3000)]
    assert text.mask_pii(texts) == [_every_rule(t) for t in texts]
    assert sum(m != t for m, t in zip(text.mask_pii(texts), texts)) > 30   # masks happened
    assert sum(not text._may_hold_pii(t) for t in texts) > 300   # and texts skipped
