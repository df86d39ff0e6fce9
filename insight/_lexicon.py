"""The project's own Persian sentiment lexicon and its rules (negation, intensifiers, emoji).

Data files (written for insight, MIT; nothing copied from a corpus) live in
``insight/lexicon/``:

* ``sentiment_fa.tsv`` — term (1-3 words) and weight in [-2, 2]; weight 0 marks a
  known neutral word so the suffix stripper never maps it onto a polar stem;
* ``modifiers_fa.tsv`` — negators before (نه، هیچ، نمی) and after (نبود، نیست،
  نداشت…) the sentiment word, intensifiers (خیلی، بسیار، واقعا، اصلا…) and
  diminishers (نسبتا، یکم…);
* ``emoji.tsv`` — emoji / symbol weights (per code point, never negated);
* ``themes_fa.yml`` — theme keyword lists (used by ``insight.themes``).

Rules, applied to the word tokens of folded text (``insight.sentiment.fold``):

1. phrases first: a matched 3-word, then 2-word term takes its words (its own
   internal negation, e.g. دوست نداشتم, is part of the phrase);
2. single words: exact match, else the word minus one allowed suffix (ه ی ش م ست
   تر ترین اش ها) — عالیه → عالی, بدترین → بد;
3. negation: a negator up to two words before (نه خوب) or after (خوب نبود, خوب هم
   نبود) flips the sign once (several negators do not flip back).  A negated
   positive keeps 0.8 of its weight (خوب نبود → negative); a negated negative keeps
   only 0.4 (بد نبود → mildly positive: "not bad" is never negative);
4. an intensifier up to two words before multiplies the weight (خیلی خوب = 1.5 ×,
   اصلا خوب نبود = strongly negative); a diminisher damps it (نسبتا خوب = 0.6 ×);
5. emoji add their weight; the text's score is ``tanh(sum / 2)`` in [-1, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from insight import _hashing as hx

LEXICON_DIR = Path(__file__).with_name("lexicon")
SUFFIXES = ("ه", "ی", "ش", "م", "ست", "تر", "ترین", "اش", "ها", "یه", "ای")
NEG_POS_KEEP = 0.8   # a negated positive word keeps this share of its weight (sign flipped)
NEG_NEG_KEEP = 0.4   # a negated negative word keeps this share (sign flipped): بد نبود
WINDOW = 2           # modifiers act on words up to this many tokens away


def _read_tsv(name: str) -> list[list[str]]:
    rows = []
    for line in (LEXICON_DIR / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


@dataclass(frozen=True)
class Lexicon:
    """Hashed look-up tables built from the data files (see :func:`load`)."""
    keys1: np.ndarray    # sorted word hashes -> w1
    w1: np.ndarray
    keys2: np.ndarray    # bigram hashes -> w2
    w2: np.ndarray
    keys3: np.ndarray    # trigram hashes -> w3
    w3: np.ndarray
    mod_keys: np.ndarray  # modifier word hashes -> kind code, factor
    mod_kind: np.ndarray  # 1 pre_neg, 2 post_neg, 3 intens/dimin
    mod_factor: np.ndarray
    suffix_keys: dict     # suffix length (chars) -> sorted hashes of allowed suffixes
    emoji_cp: np.ndarray  # sorted code points -> emoji_w
    emoji_w: np.ndarray
    terms: dict           # folded term -> weight (for inspection and tests)


def _find(keys: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found mask, position in the sorted non-empty ``keys``) of each hash."""
    pos = np.searchsorted(keys, h).clip(0, keys.size - 1)
    return keys[pos] == h, pos


def _lookup(keys: np.ndarray, values: np.ndarray, h: np.ndarray, default=0.0) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized dict look-up: (found mask, value)."""
    if keys.size == 0:
        return np.zeros(h.size, bool), np.full(h.size, default, dtype=values.dtype)
    found, pos = _find(keys, h)
    return found, np.where(found, values[pos], default)


def _table(hashes: list, weights: list) -> tuple[np.ndarray, np.ndarray]:
    if not hashes:
        return np.empty(0, np.uint64), np.empty(0, float)
    h = np.asarray(hashes, dtype=np.uint64)
    w = np.asarray(weights, dtype=float)
    h, first = np.unique(h, return_index=True)  # first listed wins on duplicates
    return h, w[first]


@lru_cache(maxsize=1)
def load() -> Lexicon:
    """Read and hash the lexicon files (once per process)."""
    from insight.sentiment import fold

    rows = _read_tsv("sentiment_fa.tsv")
    terms = fold([r[0] for r in rows])
    weights = [float(r[1]) for r in rows]
    b = hx.batch(terms)
    # token hashes per term (terms are 1-3 words)
    per_doc = np.split(b.tok_hash, np.cumsum(np.bincount(b.tok_doc, minlength=len(terms)))[:-1])
    by_n: dict[int, tuple[list, list]] = {1: ([], []), 2: ([], []), 3: ([], [])}
    term_map = {}
    for term, w, toks in zip(terms, weights, per_doc):
        if not 1 <= toks.size <= 3:
            continue
        h = toks[0:1]
        for t in toks[1:]:
            h = hx.combine(h, t[None])
        by_n[toks.size][0].append(h[0])
        by_n[toks.size][1].append(w)
        term_map.setdefault(term, w)
    k1, w1 = _table(*by_n[1])
    k2, w2 = _table(*by_n[2])
    k3, w3 = _table(*by_n[3])

    mods = _read_tsv("modifiers_fa.tsv")
    mb = hx.batch(fold([m[0] for m in mods]))
    kind_code = {"pre_neg": 1, "post_neg": 2, "intens": 3, "dimin": 3}
    mh, mk, mf = [], [], []
    starts = np.bincount(mb.tok_doc, minlength=len(mods))
    first_tok = np.concatenate(([0], np.cumsum(starts)[:-1]))
    for i, m in enumerate(mods):
        if starts[i] != 1:  # multi-word modifiers (یه کم): only the last word is used
            j = first_tok[i] + starts[i] - 1
        else:
            j = first_tok[i]
        mh.append(mb.tok_hash[j]); mk.append(kind_code[m[1]]); mf.append(float(m[2]))
    mh_arr = np.asarray(mh, dtype=np.uint64)
    mh_arr, first = np.unique(mh_arr, return_index=True)
    mk_arr = np.asarray(mk)[first]
    mf_arr = np.asarray(mf)[first]

    sb = hx.batch(list(SUFFIXES))
    suffix_keys: dict[int, list] = {}
    for s, h in zip(SUFFIXES, sb.tok_hash):
        suffix_keys.setdefault(len(s), []).append(h)
    suffix_keys = {k: np.unique(np.asarray(v, dtype=np.uint64)) for k, v in suffix_keys.items()}

    emo = _read_tsv("emoji.tsv")
    ecp = [ord(e[0][0]) for e in emo]
    ecp_arr, first = np.unique(np.asarray(ecp, dtype=np.uint64), return_index=True)
    ew = np.asarray([float(e[1]) for e in emo])[first]
    return Lexicon(k1, w1, k2, w2, k3, w3, mh_arr, mk_arr, mf_arr, suffix_keys, ecp_arr, ew, term_map)


def contributions(b: hx.Batch, lex: Lexicon | None = None) -> dict[str, np.ndarray]:
    """Per-document lexicon sums for a hashed batch (see the module rules).

    Returns arrays of length ``b.n_docs``: ``pos`` and ``neg`` (sums of positive and of
    the absolute negative contributions after the rules), ``emoji`` (sum of emoji
    weights), ``n_tok`` (word count) and ``n_hits`` (polar words/phrases matched)."""
    lex = lex or load()
    nd = b.n_docs
    h = b.tok_hash
    d = b.tok_doc
    n = h.size
    w = np.zeros(n)
    covered = np.zeros(n, bool)
    if n:
        same1 = np.zeros(n, bool); same1[:-1] = d[1:] == d[:-1]
        same2 = np.zeros(n, bool); same2[:-2] = d[2:] == d[:-2]
        # phrases: trigrams then bigrams (start position carries the weight)
        if n > 2 and lex.keys3.size:
            tri = hx.combine(hx.combine(h[:-2], h[1:-1]), h[2:])
            f3, v3 = _lookup(lex.keys3, lex.w3, tri)
            f3 &= same2[:-2]
            idx = np.flatnonzero(f3)
            w[idx] = v3[idx]
            covered[idx] = covered[idx + 1] = covered[idx + 2] = True
        if n > 1 and lex.keys2.size:
            bi = hx.combine(h[:-1], h[1:])
            f2, v2 = _lookup(lex.keys2, lex.w2, bi)
            f2 &= same1[:-1] & ~covered[:-1] & ~covered[1:]
            idx = np.flatnonzero(f2)
            w[idx] = v2[idx]
            covered[idx] = covered[idx + 1] = True
        # single words: exact, else minus one allowed suffix
        f1, v1 = _lookup(lex.keys1, lex.w1, h)
        f1 &= ~covered
        length = b.tok_end - b.tok_start
        todo = ~covered & ~f1
        for k in sorted(lex.suffix_keys):
            cand = np.flatnonzero(todo & (length > k + 1))
            if not cand.size:
                continue
            suf = b.substring_hash(b.tok_end[cand] - k, b.tok_end[cand])
            pos = np.searchsorted(lex.suffix_keys[k], suf).clip(0, lex.suffix_keys[k].size - 1)
            ok = lex.suffix_keys[k][pos] == suf
            cand = cand[ok]
            stem = b.substring_hash(b.tok_start[cand], b.tok_end[cand] - k)
            fs, vs = _lookup(lex.keys1, lex.w1, stem)
            hit = cand[fs]
            v1[hit] = vs[fs]
            f1[hit] = True
            todo[hit] = False
        single = np.flatnonzero(f1)
        w[single] = v1[single]
        polar = (w != 0)
        # modifiers (not inside a matched phrase)
        if lex.mod_keys.size:   # one search for the kind and the factor
            fm, mpos = _find(lex.mod_keys, h)
            kind = np.where(fm, lex.mod_kind[mpos], 0)
            factor = np.where(fm, lex.mod_factor[mpos], 1.0)
        else:
            fm, kind = _lookup(lex.mod_keys, lex.mod_kind, h, default=0)
            _, factor = _lookup(lex.mod_keys, lex.mod_factor, h, default=1.0)
        kind = np.where(covered | polar, 0, kind)
        pre_neg = kind == 1
        post_neg = kind == 2
        scale = kind == 3
        negated = np.zeros(n, bool)
        mult = np.ones(n)
        for k in range(1, WINDOW + 1):
            same = np.zeros(n, bool)
            same[k:] = d[k:] == d[:-k]        # token i and i-k in one doc
            # modifier k tokens BEFORE token i
            negated[k:] |= pre_neg[:-k] & same[k:]
            m = scale[:-k] & same[k:]
            mult[k:] = np.where(m, mult[k:] * factor[:-k], mult[k:])
            # negator k tokens AFTER token i
            negated[:-k] |= post_neg[k:] & same[k:]
        w = w * mult
        flip = np.where(w > 0, -NEG_POS_KEEP, np.where(covered, 1.0, -NEG_NEG_KEEP))
        w = np.where(negated, w * flip, w)  # negative phrases (دوست نداشتم) keep their sign
        wp = np.where(w > 0, w, 0.0)
        wn = np.where(w < 0, -w, 0.0)
        pos = np.bincount(d, weights=wp, minlength=nd)
        neg = np.bincount(d, weights=wn, minlength=nd)
        hits = np.bincount(d, weights=polar.astype(float), minlength=nd)
        ntok = np.bincount(d, minlength=nd).astype(float)
    else:
        pos = neg = hits = ntok = np.zeros(nd)
    # emoji by code point (ignore variation selectors: they are not in the table)
    # only code points from the table's first one up are searched (letters, digits and
    # spaces are below it: ~2.5 ms of searching 300k code points for 5,000 reviews)
    cand = np.flatnonzero(b.cp >= lex.emoji_cp[0]) if lex.emoji_cp.size else np.zeros(0, np.int64)
    ef, ev = _lookup(lex.emoji_cp, lex.emoji_w, b.cp[cand])
    emoji = np.bincount(b.doc[cand[ef]], weights=ev[ef], minlength=nd)
    return {"pos": pos, "neg": neg, "emoji": emoji, "n_tok": ntok, "n_hits": hits}


def score_from(c: dict[str, np.ndarray]) -> np.ndarray:
    """Lexicon score in [-1, 1] from :func:`contributions`."""
    return np.tanh((c["pos"] - c["neg"] + c["emoji"]) / 2.0)
