"""Persian texts for the sample data: reviews, complaint tickets, survey comments and
return reasons assembled from the project's own phrase bank (``insight.phrases``), varied the
way real text is (informal spelling, ZWNJ present or missing, Arabic letter forms, Persian
and Latin digits, emoji, typos) and with a small share of phone numbers, e-mails and card
numbers for masking to find.  Used by ``insight.sample``; vectorized over rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight import phrases as ph

RETURN_CODES = ph.RETURN_CODES
#: complaint category code -> phrase theme its text is written from
COMPLAINT_CATEGORIES = {
    "delivery": "delivery_time", "quality": "product_quality", "food": "food_temperature",
    "packaging": "packaging", "price": "price_value", "staff": "staff",
    "app_payment": "app_payment", "refund": "refund_return", "wrong_item": "wrong_missing",
    "description": "description",
}


def _choice(rng, n: int, p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.minimum(np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right"), len(p) - 1)


_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: what reviews praise / criticise when nothing in particular went wrong: (theme, weight)
_POS_REVIEW = (("product_quality", 0.3), ("price_value", 0.2), ("delivery_time", 0.2), ("packaging", 0.1),
               ("description", 0.1), ("staff", 0.1))
_NEG_REVIEW = (("product_quality", 0.3), ("price_value", 0.2), ("packaging", 0.15), ("description", 0.15),
               ("wrong_missing", 0.1), ("staff", 0.1))
_THEME = {t: i for i, t in enumerate(ph.THEMES)}
#: return reason_code (RETURN_CODES order) -> theme a review of that line complains about
_RETURN_THEME = np.array([_THEME[t] for t in (
    "packaging", "wrong_missing", "description", "delivery_time", "price_value", "product_quality")])


class _Bank:
    """Phrase groups flattened into arrow arrays; pick one phrase per row by group index.
    A phrase may hold one ``slot`` (``{n}`` by default), filled per row at pick time."""

    def __init__(self, groups: list[list[str]], slot: str = "{n}"):
        pre, post, has, self.start, self.count = [], [], [], [], []
        for g in groups:
            self.start.append(len(pre))
            self.count.append(len(g))
            for p in g:
                a, sep, b = p.partition(slot)
                pre.append(a), post.append(b), has.append(bool(sep))
        self.pre, self.post = pa.array(pre, type=pa.string()), pa.array(post, type=pa.string())
        self.has_slot = np.array(has)
        self.start, self.count = np.array(self.start), np.array(self.count)

    def pick(self, rng, group, num: np.ndarray | None = None, fill: pa.Array | None = None) -> pa.Array:
        """One phrase per row of ``group``; the slot gets ``num`` (1-99, Persian or Latin
        digits at random) or the strings ``fill``; phrases without a slot ignore both."""
        group = np.asarray(group)
        idx = self.start[group] + (rng.random(len(group)) * self.count[group]).astype(np.int64)
        pre, post = self.pre.take(idx), self.post.take(idx)
        if fill is None and num is None:
            return pc.binary_join_element_wise(pre, post, "")
        if fill is None:
            n = np.clip(np.asarray(num), 1, 99) + 100 * (rng.random(len(idx)) < 0.5)
            fill = _NUMS.take(pa.array(n))
        fill = pc.if_else(pa.array(self.has_slot[idx]), fill, "")
        return pc.binary_join_element_wise(pre, fill, post, "")


#: 0-99 in Latin digits, then 100 + i -> i in Persian digits
_NUMS = pa.array([str(i) for i in range(100)] + [str(i).translate(_FA_DIGITS) for i in range(100)])


def _s(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"))


class _Texts:
    """Composes Persian texts from ``insight.phrases`` and makes them look human-typed."""

    def __init__(self, rng):
        self.rng = rng
        self.phrase = _Bank([ph.PHRASES[t][s] for t in ph.THEMES for s in ph.SENTIMENTS])
        self.opener = _Bank([ph.OPENERS[s] for s in ph.SENTIMENTS])
        self.closer = _Bank([ph.CLOSERS[s] for s in ph.SENTIMENTS])
        self.emoji = _Bank([ph.EMOJI[s] for s in ph.SENTIMENTS])
        self.reason = _Bank([ph.RETURN_REASONS[c] for c in RETURN_CODES])
        self.greeting = _Bank([ph.GREETINGS])
        self.ask = _Bank([ph.ASKS])
        self.but = _Bank([ph.BUT])
        self.join = _Bank([["، ", ". ", " و ", " "]])
        self.pii = _Bank([ph.PII_TEMPLATES[k] for k in ("phone", "email", "card")], slot="{pii}")

    # -- building blocks
    def _say(self, theme, sent, num):
        return self.phrase.pick(self.rng, np.asarray(theme) * 3 + np.asarray(sent), num)

    def _maybe(self, arr: pa.Array, p) -> pa.Array:
        return pc.if_else(pa.array(self.rng.random(len(arr)) < p), arr, "")

    def _emoji(self, sent, p):
        return self._maybe(self.emoji.pick(self.rng, np.asarray(sent)), p)

    @staticmethod
    def _concat(*parts) -> pa.Array:
        """Join with spaces; empty parts leave no double space."""
        s = pc.binary_join_element_wise(*parts, " ")
        for _ in range(3):  # at most 4 parts can be empty in a row
            s = pc.replace_substring(s, "  ", " ")
        return pc.utf8_trim_whitespace(s)

    def _humanize(self, s: pa.Array, pii_share: float) -> pd.Series:
        """Informal / formal spellings, typos, ZWNJ dropped or spaced, Arabic ي/ك, and a
        sentence with a phone number, e-mail or card number in ``pii_share`` of texts.
        Each rewrite touches only the rows drawn for it (cheap at a million texts)."""
        rng, n = self.rng, len(s)
        text = s.to_numpy(zero_copy_only=False)

        def rewrite(rows: np.ndarray, *pairs, max_replacements=None):
            if rows.size:
                sub = pa.array(text[rows], type=pa.string())
                for a, b in pairs:
                    sub = pc.replace_substring(sub, a, b, max_replacements=max_replacements)
                text[rows] = sub.to_numpy(zero_copy_only=False)

        for a, b in ph.VARIANTS:
            rewrite(np.flatnonzero(rng.random(n) < 0.15), (a, b))
        for a, b in ph.TYPOS:
            rewrite(np.flatnonzero(rng.random(n) < 0.015), (a, b), max_replacements=1)
        u = rng.random(n)
        rewrite(np.flatnonzero(u < 0.30), (ph.ZWNJ, ""))
        rewrite(np.flatnonzero((u >= 0.30) & (u < 0.38)), (ph.ZWNJ, " "))
        rewrite(np.flatnonzero(rng.random(n) < 0.04), ("ی", "ي"), ("ک", "ك"))
        has = np.flatnonzero(rng.random(n) < pii_share)
        if has.size:
            kind = _choice(rng, has.size, (0.55, 0.25, 0.20))   # phone, e-mail, card
            values = pa.array(_pii_values(rng, kind), type=pa.string())
            tail = self.pii.pick(rng, kind, fill=values)
            text[has] = self._concat(pa.array(text[has], type=pa.string()), tail).to_numpy(zero_copy_only=False)
        return pd.Series(text, dtype="str")

    # -- per table
    def _themes(self, pool, n: int, avoid=None) -> np.ndarray:
        """Theme ids drawn from ``pool`` ((theme, weight), ...); where a draw equals
        ``avoid`` (per row) the next theme of the pool is used instead."""
        names, weights = zip(*pool)
        ids = np.array([_THEME[t] for t in names])
        k = _choice(self.rng, n, weights)
        if avoid is not None:
            k = np.where(ids[k] == avoid, (k + 1) % len(ids), k)
        return ids[k]

    def _pair(self, first, second, has_second, mixed) -> pa.Array:
        """``first`` + glue + ``second`` where ``has_second``; mixed rows are glued with 'but'."""
        n = len(first)
        glue = pc.if_else(pa.array(mixed), self.but.pick(self.rng, np.zeros(n, int)),
                          self.join.pick(self.rng, np.zeros(n, int)))
        has = pa.array(has_second)
        return pc.binary_join_element_wise(first, pc.if_else(has, glue, ""), pc.if_else(has, second, ""), "")

    def reviews(self, rating, late, reason, food, problem, days, pii):
        """Rating 4-5 positive, 3 neutral or mixed ('good ... but bad ...'), 1-2 negative;
        the negative theme is what went wrong (late -> delivery, a return -> its reason,
        ready food -> temperature, a problem product -> quality)."""
        rng, n, T = self.rng, len(rating), _THEME
        sent = np.where(rating >= 4, 0, np.where(rating == 3, 1, 2))
        mixed = (sent == 1) & (rng.random(n) < 0.5)
        u = rng.random(n)
        neg = self._themes(_NEG_REVIEW, n)
        neg = np.where(food & (u < 0.6), T["food_temperature"], neg)
        neg = np.where(problem & (u < 0.6), T["product_quality"], neg)
        neg = np.where(reason >= 0, _RETURN_THEME[reason.clip(0)], neg)
        neg = np.where(late & (rng.random(n) < 0.75), T["delivery_time"], neg)
        pos = self._themes(_POS_REVIEW, n)
        pos = np.where(food & (rng.random(n) < 0.4), T["food_temperature"], pos)
        pos = np.where(late & (pos == T["delivery_time"]), T["product_quality"], pos)  # no praise for a late delivery
        first = self._say(np.where(sent == 2, neg, pos), np.where(mixed, 0, sent), days)
        second_theme = np.select([mixed, sent == 2], [neg, self._themes(_NEG_REVIEW, n, avoid=neg)],
                                 self._themes(_POS_REVIEW, n, avoid=pos))
        second_theme = np.where(late & (sent == 0) & (second_theme == T["delivery_time"]), T["price_value"], second_theme)
        second = self._say(second_theme, np.where(mixed, 2, sent), days)
        body = self._pair(first, second, mixed | (rng.random(n) < 0.4), mixed)
        text = self._concat(self.opener.pick(rng, sent), body, self.closer.pick(rng, sent), self._emoji(sent, 0.25))
        return self._humanize(text, pii)

    def complaints(self, category, contacts, delay, pii):
        rng, n = self.rng, len(category)
        theme = np.array([_THEME[COMPLAINT_CATEGORIES[c]] for c in COMPLAINT_CATEGORIES])[category]
        main = self._say(theme, np.full(n, 2), delay)
        repeat = (contacts >= 2) & (rng.random(n) < 0.7)
        other = np.array([_THEME[t] for t in ("staff", "refund_return", "app_payment", "packaging")])[
            _choice(rng, n, (0.4, 0.3, 0.15, 0.15))]
        second_theme = np.where(repeat, _THEME["repeat_info"], other)
        has_second = repeat | (rng.random(n) < 0.25)
        second = self._say(second_theme, np.full(n, 2), np.where(repeat, contacts.astype(int), delay))
        body = self._pair(main, second, has_second, np.zeros(n, bool))
        text = self._concat(self.greeting.pick(rng, np.zeros(n, int)), body,
                            self.ask.pick(rng, np.zeros(n, int)), self._emoji(np.full(n, 2), 0.1))
        return self._humanize(text, pii)

    def surveys(self, nps, touchpoint, late, food, contacts, delay, pii):
        rng, n = self.rng, len(nps)
        sent = np.where(nps >= 9, 0, np.where(nps >= 7, 1, 2))
        T = _THEME
        tp = np.asarray(touchpoint)
        by_tp = {
            0: np.array([T["delivery_time"], T["staff"], T["packaging"]])[_choice(rng, n, (0.5, 0.3, 0.2))],
            1: np.array([T["staff"], T["refund_return"], T["repeat_info"]])[_choice(rng, n, (0.4, 0.3, 0.3))],
            2: np.array([T["app_payment"], T["price_value"]])[_choice(rng, n, (0.6, 0.4))],
            3: np.full(n, T["app_payment"]),
        }
        theme = np.select([tp == k for k in by_tp], list(by_tp.values()))
        theme = np.where((tp == 0) & food & (rng.random(n) < 0.5), T["food_temperature"], theme)
        theme = np.where((tp == 0) & late & (sent > 0), T["delivery_time"], theme)
        theme = np.where((tp == 0) & late & (sent == 0) & (theme == T["delivery_time"]), T["staff"], theme)
        theme = np.where((tp == 1) & (contacts >= 2) & (sent == 2), T["repeat_info"], theme)
        num = np.where(theme == T["repeat_info"], np.maximum(contacts, 2), delay)
        text = self._concat(self._say(theme, sent, num), self._maybe(self.closer.pick(rng, sent), 0.5),
                            self._emoji(sent, 0.2))
        return self._humanize(text, pii)

    def return_reasons(self, reason, days, pii):
        return self._humanize(self.reason.pick(self.rng, reason, days), pii)


def _pii_values(rng, kind: np.ndarray) -> list[str]:
    """Phone numbers, e-mail addresses and Luhn-valid card numbers in mixed formats."""
    m = len(kind)
    digits = rng.integers(0, 10, (m, 16))
    fmt = rng.integers(0, 4, m)
    out = []
    ops = ("912", "935", "901", "919", "936", "921", "990", "913")
    for i in range(m):  # small: ~2% of texts
        d = "".join(map(str, digits[i]))
        if kind[i] == 0:
            num = ops[digits[i, 0] % len(ops)] + d[1:8]
            s = ("0" + num, f"+98 {num[:3]} {num[3:6]} {num[6:]}", ("0" + num).translate(_FA_DIGITS),
                 f"0{num[:3]}-{num[3:6]}-{num[6:]}")[fmt[i]]
        elif kind[i] == 1:
            names = ph.EMAIL_NAMES
            a, b = names[(10 * digits[i, 0] + digits[i, 1]) % len(names)], names[(10 * digits[i, 2] + digits[i, 3]) % len(names)]
            s = (f"{a}.{b}{d[4:6]}@", f"{a}{d[4:8]}@", f"{a}_{b}@", f"{b}.{a}@")[fmt[i]] + \
                ph.EMAIL_DOMAINS[digits[i, 5] % len(ph.EMAIL_DOMAINS)]
        else:
            body = ph.CARD_BINS[digits[i, 0] % len(ph.CARD_BINS)] + d[6:15]
            card = body + _luhn_digit(body)
            s = (card, " ".join(card[j:j + 4] for j in range(0, 16, 4)),
                 "-".join(card[j:j + 4] for j in range(0, 16, 4)), card.translate(_FA_DIGITS))[fmt[i]]
        out.append(s)
    return out


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)
