"""Batch re-implementation of ``hazm.Normalizer()`` (default settings, hazm 0.12.1).

hazm normalizes one text at a time: ~30 regex passes, two ``str.translate`` calls,
a word tokenizer and a dictionary-driven token joiner per text, which tops out at a
few thousand short texts per second.  This module gives the same output for a whole
batch at once:

1. identical texts are normalized once (``dict.fromkeys`` keeps first-seen order);
2. the unique texts are joined into one big string, each text between two copies of
   a separator ``X`` that no hazm rule produces or consumes and that behaves like a
   text boundary for every rule: each regex below is hazm's regex with ``X`` added
   to its negated character classes and ``^``/``$`` rewritten as "next to ``X``".
   Every pass then runs once, in C, over the big string.  Where Python's ``re``
   would try a match at every position (patterns that start with a look-behind or a
   large class), the pattern is rewritten to start with a rare literal and check the
   context with look-arounds; each rewrite keeps hazm's non-overlapping semantics
   (the comment next to it says why);
3. the 1:1 character tables (hazm's translation table, Persian digits, diacritics)
   and the per-line word tokenizer (punctuation/digit runs split off, spaces
   collapsed) run as numpy operations over the code points;
4. hazm's ``token_spacing`` (joins e.g. ``کتاب ها`` into ``کتاب‌ها`` with its word
   and verb lists): distinct tokens come from one pyarrow ``dictionary_encode``,
   each is looked up once as an integer id, every adjacent pair is checked against
   hazm's lists as sorted int64 codes, and only tokens right after a join are
   decided again in Python, in order, so a compound that keeps growing
   (``زمین لرزه ای``) is handled exactly as in hazm.

The hazm step order is kept.  tests/test_text_normalize.py compares with hazm
itself; docs/text.md lists the known differences.
"""
from __future__ import annotations

import re
import sys
import threading
from functools import lru_cache
from itertools import repeat

import numpy as np

ZWNJ = "\u200c"
LETTERS = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"  # hazm's Persian letter class
PUNC_AFTER = r"\.:!،؛؟»\]\)\}"
PUNC_BEFORE = r"«\[\(\{"
NCP = sys.maxunicode + 1

# character classes of the punctuation-spacing step (bit flags)
SP, PA, PB, C4, C5, DIG, LET, SEP = 1, 2, 4, 8, 16, 32, 64, 128

# Candidate separators: control / private-use characters that are neither word
# characters nor whitespace, are in no hazm table, and do not occur in real text.
_SEPARATORS = ("\x00", "\x01", "\x02", "\x03", "\ue000", "\ue001")


# Unicode has no decimal digit or whitespace character above U+1FFFF
_SCAN = 0x20000


@lru_cache(maxsize=1)
def _decimal_cps() -> np.ndarray:
    """Code points of re's ``\\d`` (= ``str.isdecimal``)."""
    return np.array([c for c in range(_SCAN) if chr(c).isdecimal()], dtype=np.int64)


@lru_cache(maxsize=1)
def _digit_class() -> str:
    """``\\d`` as an explicit character class body (ranges)."""
    cps = _decimal_cps()
    breaks = np.flatnonzero(np.diff(cps) != 1)
    starts = np.concatenate([[cps[0]], cps[breaks + 1]])
    ends = np.concatenate([cps[breaks], [cps[-1]]])
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" if a != b else re.escape(chr(a))
                   for a, b in zip(starts.tolist(), ends.tolist()))


class _Rules:
    """Compiled tables and patterns for one separator ``X`` (built once, lazily)."""

    def __init__(self, X: str) -> None:
        from hazm.constants import (
            DIACRITICS_PATTERNS,
            NUMBERS_DST,
            NUMBERS_SRC,
            SPECIAL_CHARS_PATTERNS,
            SUFFIXES,
            TRANSLATION_DST,
            TRANSLATION_SRC,
            UNICODE_REPLACEMENTS,
        )
        from hazm.utils import maketrans

        self.X = X
        self.xcp = ord(X)
        xe = re.escape(X)
        D = _digit_class()
        L = LETTERS

        # ---- character tables ---------------------------------------------------
        trans = maketrans(TRANSLATION_SRC, TRANSLATION_DST)  # same dict as hazm's
        num = maketrans(NUMBERS_SRC, NUMBERS_DST)
        lut = np.arange(NCP, dtype=np.uint32)
        for src, dst in trans.items():
            lut[src] = ord(dst)
        for src, dst in num.items():  # the numbers table applies to translated text
            lut[lut == src] = ord(dst)
        lut = lut.astype(np.uint32)
        self.lut = lut
        drop = np.zeros(NCP, dtype=bool)
        dia = re.compile(DIACRITICS_PATTERNS[0][0])  # a character class
        drop[[cp for cp in range(0x600, 0x700) if dia.fullmatch(chr(cp))]] = True
        self.drop_diacritics = drop
        specials = re.compile(SPECIAL_CHARS_PATTERNS[0][0])  # a character class
        self.drop_specials = np.zeros(NCP, dtype=bool)
        self.drop_specials[[c for c in range(_SCAN) if specials.fullmatch(chr(c))]] = True
        self.unicode_replacements = list(UNICODE_REPLACEMENTS)
        self.repl_chars = np.zeros(NCP, dtype=bool)
        self.repl_chars[[ord(c) for o, _ in UNICODE_REPLACEMENTS for c in o if ord(c) > 127]] = True
        self.suffixes = frozenset(SUFFIXES)

        # ---- persian_style: runs before the translation table, so it also accepts
        # the characters that the table maps to '"' (“ ”) and ' ' (no-break space)
        self.re_quotes = re.compile(f'["“”]([^\\n"“”{xe}]+)["“”]')
        # hazm: ([\d+])\.([\d+]) -> \1٫\2, non-overlapping: in "1.2.3" the 2 is used
        # by the first match, so only every other dot of a chain changes
        self.re_decimal_chain = re.compile(f"\\.(?<=[{D}+]\\.)[{D}+](?:\\.[{D}+])*")

        # ---- correct_spacing: EXTRA_SPACE_PATTERNS: numpy, see _extra_space ----

        # ---- per-line WordTokenizer: character kinds ----------------------------
        kind = np.zeros(NCP, dtype=np.uint8)  # 0 other, 1 ؟!? run, 2 digit/.: run, 3 single
        for c in '،؛»])}"«[({/\\':
            kind[ord(c)] = 3
        for c in "؟!?":
            kind[ord(c)] = 1
        kind[_decimal_cps()] = 2
        kind[ord(".")] = kind[ord(":")] = 2
        self.kind = kind
        self.isspace = np.zeros(NCP, dtype=bool)
        self.isspace[[c for c in range(_SCAN) if chr(c).isspace()]] = True

        # ---- correct_spacing: AFFIX_SPACING_PATTERNS ----------------------------
        self.affix = [
            # ([^ ]ه) ی  -> \1‌ی : literal-led; the char before ه is checked behind
            (re.compile(f"ه ی (?<=[^ {xe}]ه ی )"), "ه\u200cی "),
            # (^| )(ن?می)  : split in a text-start pass and a space pass (the start
            # pass turns its trailing space into ZWNJ, so the space pass cannot reuse
            # it, as in hazm's single pass)
            (re.compile(f"{xe}(ن?می) "), f"{X}\\1\u200c"),
            (re.compile(" (ن?می) "), " \\1\u200c"),
            (
                re.compile(
                    f" (?=[تگه])(?<=[^\\n\\d {PUNC_AFTER}{PUNC_BEFORE}{xe}]{{2}} )"
                    f"(تر(ین?)?|گری?|های?)(?=[ \\n{PUNC_AFTER}{PUNC_BEFORE}{xe}])"
                ),
                "\u200c\\1",
            ),
            (
                re.compile(f"ه (?<=[^ {xe}]ه )(ا(م|یم|ش|ند|ی|ید|ت))(?=[ \\n{PUNC_AFTER}{xe}])"),
                "ه\u200c\\1",
            ),
        ]
        # ---- correct_spacing: PUNCTUATION_SPACING_PATTERNS ----------------------
        # the first pass stays a regex (rare literal lead); the other seven are
        # local one-character edits done together in numpy (see _punctuation)
        self.re_quote_spaces = re.compile(f'" ([^\\n"{xe}]+) "')
        cls = np.zeros(NCP, dtype=np.uint16)
        for ch in " ":
            cls[ord(ch)] |= SP
        for ch in ".:!،؛؟»])}":
            cls[ord(ch)] |= PA
        for ch in "«[({":
            cls[ord(ch)] |= PB
        for ch in ".:!":
            cls[ord(ch)] |= C4
        for ch in "،؛؟»])}":
            cls[ord(ch)] |= C5
        cls[_decimal_cps()] |= DIG
        for ch in L:
            cls[ord(ch)] |= LET
        cls[ord(X)] |= SEP
        self.cls = cls
        # ---- decrease_repeated_chars / seperate_mi ------------------------------
        self.is_letter = np.zeros(NCP, dtype=bool)
        self.is_letter[[ord(c) for c in L]] = True
        self.re_more_than_two = re.compile(f"([{L}])\\1{{2,}}")
        # \bن?می[letters]+ led by the literal می; the ن (if any) stays outside
        self.re_mi = re.compile(f"می(?:(?<=\\bمی)|(?<=\\bنمی))[{L}]+")


class _Lexicon:
    """hazm's word and verb lists as sets (what Normalizer() loads on construction)."""

    def __init__(self) -> None:
        # the lists of a default hazm Normalizer (shared with _hazm_normalizer(), so
        # comparing with hazm does not load them twice)
        n = _hazm_normalizer()
        words, verbs = getattr(n, "_words", None), getattr(n, "_verbs", None)
        if not words or not verbs:  # another hazm version: load them as 0.12 does
            from hazm.lemmatizer import Lemmatizer
            from hazm.word_tokenizer import WordTokenizer

            words = WordTokenizer(join_verb_parts=False).words
            verbs = Lemmatizer(joined_verb_parts=False).verbs.keys()
        self.words = frozenset(w for w in words if w)
        self.words_pos = frozenset(w for w, (count, _) in words.items() if w and count > 0)
        self.verbs = frozenset(verbs)
        # hazm vetoes a join when token + "_" + next token is a verb; its verb list
        # has no "_" keys, so the veto never fires, but keep it in case a version does
        self.verbs_underscore = any("_" in v for v in self.verbs)
        self.pair_keys = self.verbs | self.words_pos
        from hazm.constants import SUFFIXES

        self.suffixes = frozenset(SUFFIXES)
        # integer ids for every string a token can be looked up as (heads and tails
        # of keys split at a ZWNJ, words, suffixes), flags per id, and every
        # (head, tail) split of a key as one int64 code: pair checks run in numpy
        gid: dict[str, int] = {}
        put = gid.setdefault
        hs: list[int] = []
        ts: list[int] = []
        for key in self.pair_keys:
            if ZWNJ not in key:
                continue
            parts = key.split(ZWNJ)
            if len(parts) == 2:
                hs.append(put(parts[0], len(gid)))
                ts.append(put(parts[1], len(gid)))
            else:
                for k in range(1, len(parts)):
                    hs.append(put(ZWNJ.join(parts[:k]), len(gid)))
                    ts.append(put(ZWNJ.join(parts[k:]), len(gid)))
        for w in self.words | self.suffixes:
            put(w, len(gid))
        self.gid = gid
        n = self.n_universe = len(gid)
        h, t = np.array(hs, dtype=np.int64), np.array(ts, dtype=np.int64)
        self.pair_codes = np.unique(h * n + t)
        # one extra slot at the end (index -1) for tokens outside the universe
        self.f_hd = np.zeros(n + 1, dtype=bool)
        self.f_hd[h] = True
        self.f_ts = np.zeros(n + 1, dtype=bool)
        self.f_ts[t] = True
        self.f_ts[[gid[w] for w in self.suffixes]] = True
        self.f_sf = np.zeros(n + 1, dtype=bool)
        self.f_sf[[gid[w] for w in self.suffixes]] = True
        self.f_wd = np.zeros(n + 1, dtype=bool)
        self.f_wd[[gid[w] for w in self.words]] = True

    @property
    def heads(self) -> frozenset[str]:
        """Every part of a known compound/verb before one of its ZWNJs."""
        ids = set(np.flatnonzero(self.f_hd).tolist())
        return frozenset(w for w, i in self.gid.items() if i in ids)

    @property
    def tails(self) -> frozenset[str]:
        """Every part of a known compound/verb after one of its ZWNJs."""
        tails = set()
        for key in self.pair_keys:
            parts = key.split(ZWNJ)
            tails.update(ZWNJ.join(parts[k:]) for k in range(1, len(parts)))
        return frozenset(tails)


_lock = threading.Lock()


@lru_cache(maxsize=None)
def _rules(X: str) -> _Rules:
    with _lock:
        return _Rules(X)


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    with _lock:
        return _Lexicon()


def _cps(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _str(a: np.ndarray) -> str:
    return a.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


# --------------------------------------------------------------------------------
CHUNK_CHARS = 1 << 19  # texts are normalized in slices of about this many characters


def normalize_batch(texts: list[str]) -> list[str]:
    """hazm ``Normalizer().normalize`` applied to each of ``texts`` (all ``str``)."""
    if not texts:
        return []
    uniq = list(dict.fromkeys(texts))
    X = _pick_separator(uniq)
    if X is None:  # every candidate separator occurs in the input: use hazm itself
        return _hazm_loop(texts)
    r = _rules(X)
    lex = lexicon()
    parts: list[str] = []
    # slices keep the working arrays small (memory, CPU cache) for big inputs
    ends = np.cumsum(np.fromiter(map(len, uniq), dtype=np.int64, count=len(uniq)) + 1)
    cuts = np.searchsorted(ends, np.arange(CHUNK_CHARS, int(ends[-1]), CHUNK_CHARS), side="right")
    bounds = [0, *sorted(set(cuts.tolist()) - {0, len(uniq)}), len(uniq)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        chunk = uniq[lo:hi]
        out = _normalize_big(X + X.join(chunk) + X, r, lex).split(X)[1:-1]
        if len(out) != len(chunk):  # cannot happen; be safe rather than wrong
            out = _hazm_loop(chunk)
        parts.extend(out)
    if len(uniq) == len(texts):
        return parts
    m = dict(zip(uniq, parts))
    return [m[t] for t in texts]


def _pick_separator(uniq: list[str]) -> str | None:
    joined = "".join(uniq)
    return next((c for c in _SEPARATORS if c not in joined), None)


def _normalize_big(big: str, r: _Rules, lex: _Lexicon) -> str:
    # persian_style
    if '"' in big or "“" in big or "”" in big:
        big = r.re_quotes.sub("«\\1»", big)
    if "." in big:
        big = r.re_decimal_chain.sub(_decimal_chain, big)
    if "..." in big:  # ' ?\.\.\.' -> ' …' (matches never overlap, see docs/text.md)
        big = big.replace(" ...", " …").replace("\u00a0...", " …").replace("...", " …")
    # translation table, persian_number, remove_diacritics
    a = _cps(big)
    a = r.lut[a]
    drop = r.drop_diacritics[a]
    if drop.any():
        a = a[~drop]
    # correct_spacing
    a = _extra_space(a, r)
    big = _tokenize_lines(a, r, lex)
    for pat, rep in r.affix:
        big = pat.sub(rep, big)
    big = big.replace("هها", "ه\u200cها")  # (ه)(ها): a literal, same matches as re
    if '" ' in big:
        big = r.re_quote_spaces.sub('"\\1"', big)
    a = _punctuation(_cps(big), r)
    # unicodes_replacement (hazm uses str.replace, so "(ﷰ|ﷹ)" is a literal)
    if r.repl_chars[a].any():  # every source has one of these (rare) characters
        big = _str(a)
        for old, new in r.unicode_replacements:
            if old in big:
                big = big.replace(old, new)
        a = _cps(big)
    # remove_specials_chars
    drop = r.drop_specials[a]
    if drop.any():
        a = a[~drop]
    big = _str(a)
    # decrease_repeated_chars
    big = _decrease_repeated(big, a, r, lex.words)
    # seperate_mi
    if "می" in big:
        verbs = lex.verbs

        def sep_mi(m: re.Match) -> str:
            w = m.group()
            s = w[:2] + ZWNJ + w[2:]
            st = m.start()
            full = "ن" + s if st and m.string[st - 1] == "ن" else s
            return s if full in verbs else w

        big = r.re_mi.sub(sep_mi, big)
    return big


def _punctuation(a: np.ndarray, r: _Rules) -> np.ndarray:
    """PUNCTUATION_SPACING_PATTERNS 2-8 of hazm on code points.

    2 ' ([.:!،؛؟»\\]\\)\\}])' and 3 '([«\\[\\(\\{]) ' drop the space before / after
    a punctuation mark; each match is a (space, mark) pair and marks are not spaces,
    so matches never overlap: drop every such space at once (3 cannot see a pair
    that 2 created).  4 '([.:!])([^ PA\\d X])', 5 '([،؛؟»\\]\\)\\}])([^ PA X])',
    6 '([^ PB X])([PB])', 7 '(\\d)([letter])' and 8 '([letter])(\\d)' each put one
    space at a character boundary; their second character can never start another
    match of the same pass, and a later pass only sees an earlier space at that
    same boundary (which then does not match), so one space per boundary where
    any of them matches gives hazm's result.
    """
    c = r.cls[a]
    drop = np.zeros(len(a), dtype=bool)
    drop[1:-1] = ((c[1:-1] & SP) != 0) & (((c[2:] & PA) != 0) | ((c[:-2] & PB) != 0))
    if drop.any():
        keep = ~drop
        a, c = a[keep], c[keep]
    left, right = c[:-1], c[1:]
    gap = (
        (((left & C4) != 0) & ((right & (SP | PA | DIG | SEP)) == 0))
        | (((left & C5) != 0) & ((right & (SP | PA | SEP)) == 0))
        | (((right & PB) != 0) & ((left & (SP | PB | SEP)) == 0))
        | (((left & DIG) != 0) & ((right & LET) != 0))
        | (((left & LET) != 0) & ((right & DIG) != 0))
    )
    pos = np.flatnonzero(gap)
    if len(pos):
        a = np.insert(a, pos + 1, 32)
    return a


def _decimal_chain(m: re.Match) -> str:
    s = m.group()  # ".2.3.4": dots 1, 3, 5, ... are replaced
    out, k = [], 0
    for ch in s:
        if ch == ".":
            out.append("٫" if k % 2 == 0 else ".")
            k += 1
        else:
            out.append(ch)
    return "".join(out)


def _compact(a: np.ndarray, drop: np.ndarray) -> np.ndarray:
    return a[~drop] if drop.any() else a


def _extra_space(a: np.ndarray, r: _Rules) -> np.ndarray:
    """hazm's EXTRA_SPACE_PATTERNS on code points (``a`` starts and ends with X).

    The nine passes run in four deletions, each computed on the result of the
    previous one where the order matters:
    1. ' {2,}' -> ' ' (keep the first space of a run);
    2. '^ +| +$': the (now single) space after X or before X, and before a final
       newline ('$' also matches before the last character if it is a newline);
       collapsing first gives the same result as hazm's strip-then-collapse;
    3. '\\n{3,}' -> '\\n\\n' and '\\u200c{2,}' -> '\\u200c' (independent characters);
    4. '\\u200c{1,} ' and ' \\u200c{1,}' (a ZWNJ next to a space), '\\b\\u200c*\\B' and
       '\\B\\u200c*\\b' (ZWNJ runs are single now: a ZWNJ with a word character on
       exactly one side), and '[ـ\\r]' -> ''.  Deleting a ZWNJ next to a space never
       changes the neighbours of another ZWNJ, and hazm removes ـ and \\r last, after
       they served as neighbours: so all of these are decided on the same array.
    """
    X = r.xcp
    sp = a == 32
    a = _compact(a, np.concatenate(([False], sp[1:] & sp[:-1])))
    sp = a == 32
    isx = a == X
    nl = a == 10
    drop = np.zeros(len(a), dtype=bool)
    drop[1:-1] = sp[1:-1] & (isx[:-2] | isx[2:])
    drop[1:-2] |= sp[1:-2] & nl[2:-1] & isx[3:]
    a = _compact(a, drop)
    zw = a == 0x200C
    nl = a == 10
    drop = np.zeros(len(a), dtype=bool)
    drop[1:] = zw[1:] & zw[:-1]
    drop[2:] |= nl[2:] & nl[1:-1] & nl[:-2]
    a = _compact(a, drop)
    zw = a == 0x200C
    sp = a == 32
    drop = (a == 0x640) | (a == 13)
    zpos = np.flatnonzero(zw[1:-1]) + 1  # a[0], a[-1] are X
    if len(zpos):
        near_space = sp[zpos - 1] | sp[zpos + 1]
        wl = _is_word(a[zpos - 1])
        wr = _is_word(a[zpos + 1])
        drop[zpos] = near_space | (wl != wr)
    return _compact(a, drop)


def _is_word(cps: np.ndarray) -> np.ndarray:
    """re's \\w (str.isalnum() or '_') for some code points."""
    u, inv = np.unique(cps, return_inverse=True)
    w = np.fromiter((chr(c).isalnum() or c == 95 for c in u.tolist()), dtype=bool, count=len(u))
    return w[inv]


def _tokenize_lines(a: np.ndarray, r: _Rules, lex: _Lexicon) -> str:
    """hazm: for each non-blank line, ' '.join(token_spacing(tokenize(line))).

    tokenize: tabs -> spaces, the regex ([؟!?]+|[\\d.:]+|[single marks]) gets a space
    on both sides, then split(" ") drops empty tokens.  So: a space at each boundary
    between two non-space characters of different kinds (or two single marks),
    runs of spaces collapsed, spaces at line ends dropped.  An inserted space never
    touches an existing one, so the drops are decided before the insertions."""
    X = r.xcp
    n = len(a)
    is_ld = (a == 10) | (a == X)  # line delimiters (text edges are line edges too)
    # a line of whitespace only is kept verbatim by hazm: mark ("blank") its chars
    ws = r.isspace[a] & ~is_ld
    starts = np.flatnonzero(is_ld[:-1] & ws[1:]) + 1  # lines that start with whitespace
    blank = None
    if len(starts):
        solid = np.flatnonzero(~ws)
        ends = solid[np.searchsorted(solid, starts)]  # first non-whitespace after
        whole = is_ld[ends]
        if whole.any():
            blank = np.zeros(n, dtype=bool)
            for s0, e0 in zip(starts[whole].tolist(), ends[whole].tolist()):
                blank[s0:e0] = True
    content = ~is_ld if blank is None else ~is_ld & ~blank
    tab = (a == 9) & content
    if tab.any():
        a = np.where(tab, 32, a).astype(np.uint32)
    sp = (a == 32) & content
    k = r.kind[a]
    gap = content[:-1] & content[1:] & ~sp[:-1] & ~sp[1:] & ((k[:-1] != k[1:]) | (k[1:] == 3))
    ins = np.flatnonzero(gap) + 1
    # drop spaces at a line start, after another space, or before a line end
    prev_block = np.empty(n, dtype=bool)
    prev_block[0] = True
    prev_block[1:] = sp[:-1] | is_ld[:-1]
    next_ld = np.empty(n, dtype=bool)
    next_ld[-1] = True
    next_ld[:-1] = is_ld[1:]
    kill = sp & (prev_block | next_ld)
    # the first space of a run of 2+ (tabs) goes too if the run reaches the line end
    for i0 in np.flatnonzero(sp[:-1] & ~prev_block[:-1] & sp[1:]).tolist():
        j0 = i0 + 1
        while sp[j0]:
            j0 += 1
        kill[i0] = is_ld[j0]
    if kill.any():
        keep = ~kill
        if len(ins):
            ins = ins - np.cumsum(kill)[ins - 1]
        a = a[keep]
        if blank is not None:
            blank = blank[keep]
    if len(ins):
        a = np.insert(a, ins, 32)
        if blank is not None:
            blank = np.insert(blank, ins, False)
    is_ld = (a == 10) | (a == X)
    tok_sp = a == 32
    if blank is not None:
        tok_sp &= ~blank
    a = _token_spacing(a, tok_sp, is_ld, r, lex)
    return _str(a)


def _token_spacing(a: np.ndarray, tok_sp: np.ndarray, is_ld: np.ndarray, r: _Rules, lex: _Lexicon) -> np.ndarray:
    """hazm ``Normalizer.token_spacing`` on every line; joins turn a space into ZWNJ."""
    import pyarrow as pa
    import pyarrow.compute as pc

    delim = tok_sp | is_ld
    dpos = np.flatnonzero(delim)  # a[0] and a[-1] are the separator
    ntok = len(dpos) + 1  # the last token (after the final separator) is empty
    # token k = a[dpos[k-1]+1 : dpos[k]] for k < ntok - 1, as UTF-32 bytes in a
    # binary array; each keeps its trailing delimiter, set to "\n" (which no token
    # contains), so the offsets are contiguous and the vocabulary decodes at once
    b = a.astype(np.uint32)  # a copy
    b[dpos] = 10
    offsets = np.empty(ntok, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = (dpos + 1) * 4
    arr = pa.Array.from_buffers(pa.large_binary(), ntok - 1, [None, pa.py_buffer(offsets), pa.py_buffer(b)])
    enc = pc.dictionary_encode(arr)
    idx = np.empty(ntok, dtype=np.int64)
    idx[:-1] = enc.indices.to_numpy(zero_copy_only=False)
    vocab = b"".join(enc.dictionary.to_pylist()).decode("utf-32-le", "surrogatepass").split("\n")
    idx[-1] = len(vocab) - 1  # the final "" after the split stands for the empty last token
    # global ids (-1: not a known string), then flags and pair codes in numpy
    g = np.fromiter(map(lex.gid.get, vocab, repeat(-1)), dtype=np.int64, count=len(vocab))
    f_ts = lex.f_ts[g]
    if not f_ts.any():
        return a
    f_hd, f_sf, f_wd = lex.f_hd[g], lex.f_sf[g], lex.f_wd[g]
    # pair (k-1, k) is separated by delimiter dpos[k-1]; it must be a token space
    sp_before = np.zeros(ntok, dtype=bool)
    sp_before[1:] = tok_sp[dpos]
    ts = f_ts[idx] & sp_before
    prev = np.empty(ntok, dtype=np.int64)
    prev[0] = 0
    prev[1:] = idx[:-1]
    cand = np.flatnonzero(ts & (f_hd[prev] | (f_sf[idx] & f_wd[prev])))
    if not len(cand):
        return a
    # hazm's two rules: "left‌right" is a known compound/verb, or right is a
    # suffix and left a word
    pair_keys, words, suffixes, verbs = lex.pair_keys, lex.words, r.suffixes, lex.verbs
    gl, gr = g[prev[cand]], g[idx[cand]]
    codes = gl * lex.n_universe + gr
    pos = np.searchsorted(lex.pair_codes, codes)
    pos[pos == len(lex.pair_codes)] = 0
    known = (gl >= 0) & (gr >= 0) & (lex.pair_codes[pos] == codes)
    join = np.zeros(ntok, dtype=bool)
    join[cand] = known | (f_sf[idx[cand]] & f_wd[prev[cand]])
    if lex.verbs_underscore:  # veto: token + "_" + next token is a verb
        for k in np.flatnonzero(join).tolist():
            if k + 1 < ntok and sp_before[k + 1] and vocab[idx[k]] + "_" + vocab[idx[k + 1]] in verbs:
                join[k] = False
    # after a join the left token is the compound, so a token right after a join
    # is decided again, in order (chains are short and rare)
    follow = np.flatnonzero(join[:-1] & ts[1:]) + 1
    if len(follow):
        fl = follow.tolist()
        comp: dict[int, str] = {}  # index of the last token of a compound -> its text
        i, pending = 0, -1
        while True:
            if pending >= 0:
                k, pending = pending, -1
            elif i < len(fl):
                k, i = fl[i], i + 1
            else:
                break
            if join[k - 1]:
                left = comp.get(k - 1)
                if left is None:
                    left = (vocab[idx[k - 2]] + ZWNJ + vocab[idx[k - 1]] if not join[k - 2]
                            else _compound(k - 1, join, idx, vocab, comp))
            else:  # un-joined by an earlier decision: the plain token
                left = vocab[idx[k - 1]]
            tok = vocab[idx[k]]
            pair = left + ZWNJ + tok
            j = pair in pair_keys
            if j and lex.verbs_underscore and k + 1 < ntok and sp_before[k + 1]:
                j = tok + "_" + vocab[idx[k + 1]] not in verbs
            j = j or (tok in suffixes and left in words)
            was = join[k]
            join[k] = j
            if j:
                comp[k] = pair
                # a new join: the next token was decided with the plain left token
                if not was and k + 1 < ntok and ts[k + 1]:
                    pending = k + 1
    jpos = np.flatnonzero(join)
    if len(jpos):
        a = a.copy()
        a[dpos[jpos - 1]] = 0x200C
    return a


def _compound(k: int, join: np.ndarray, idx: np.ndarray, vocab: list[str], comp: dict[int, str]) -> str:
    """Text of the compound ending at token k (tokens joined leftwards from k)."""
    s = k
    while join[s] and s > 0:
        s -= 1
    text = ZWNJ.join(vocab[idx[t]] for t in range(s, k + 1))
    comp[k] = text
    return text


def _decrease_repeated(big: str, a: np.ndarray, r: _Rules, words: frozenset) -> str:
    """hazm: every letter run containing a letter 3+ times in a row is looked up.

    ``a`` holds the code points of ``big``.  hazm's regex
    ``[L]*([L])\\1{2,}[L]*`` (L = Persian letters) matches whole letter runs."""
    if len(a) < 3:
        return big
    tri = (a[:-2] == a[1:-1]) & (a[1:-1] == a[2:]) & r.is_letter[a[:-2]]
    pos = np.flatnonzero(tri)
    if not len(pos):
        return big
    isl = r.is_letter
    out, last = [], 0
    for p in pos.tolist():
        if p < last:
            continue
        s = p
        while s > 0 and isl[a[s - 1]]:
            s -= 1
        e = p + 3
        while e < len(a) and isl[a[e]]:
            e += 1
        word = big[s:e]
        out.append(big[last:s])
        out.append(_fix_repeat(word, r, words))
        last = e
    out.append(big[last:])
    return "".join(out)


def _fix_repeat(word: str, r: _Rules, words: frozenset) -> str:
    if word in words:
        return word
    no_repeat = r.re_more_than_two.sub(r"\1", word)
    two_repeat = r.re_more_than_two.sub(r"\1\1", word)
    if (no_repeat in words) != (two_repeat in words):
        return no_repeat if no_repeat in words else two_repeat
    return two_repeat


@lru_cache(maxsize=1)
def _hazm_normalizer():
    from hazm import Normalizer

    return Normalizer()


def _hazm_loop(texts: list[str]) -> list[str]:
    n = _hazm_normalizer()
    return [n.normalize(t) for t in texts]
