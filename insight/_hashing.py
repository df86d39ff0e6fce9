"""Vectorized feature hashing for Persian text (used by ``insight.sentiment``).

Why not ``sklearn.feature_extraction.text.HashingVectorizer``?  Its char n-gram
analyzer runs in Python per document and tops out at ~8k short texts/s for
char 1-5 grams on one core; the sentiment target is >= 20k texts/s including
normalization.  Here a whole batch is one numpy pipeline:

1. the (folded) texts are joined with a ``\\x00`` separator, each padded with a
   space, and turned into one array of code points (``str.encode("utf-32-le")``);
2. a polynomial rolling hash over that array gives the hash of *any* substring
   ``[a, b)`` in O(1) from prefix sums: with an odd base ``P`` (invertible mod
   2**64) ``S[i] = sum_{j<i} c_j * P**-j`` and ``H(a, b) = (S[b] - S[a]) * P**(b-1)``;
   uint64 arithmetic wraps, which *is* the mod 2**64;
3. char n-grams (n = 1..5) are all windows ``[i, i+n)`` that do not cross a
   separator; words are the runs between spaces; word bigrams combine two
   neighbouring word hashes;
4. Fibonacci hashing (multiply by a 64-bit golden-ratio constant, keep the top
   ``bits`` bits) gives the column in a 2**bits table.

The hashes depend only on the code points, so the same text always gives the
same columns in every numpy / scikit-learn version: the trained coefficients can
be stored as a plain array (``insight/models/*.npz``) without pickles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_P = np.uint64(0x100000001B3)                      # odd base (FNV prime)
_PINV = np.uint64(pow(0x100000001B3, -1, 1 << 64))  # its inverse mod 2**64
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEP = "\x00"
_SPACE = np.uint64(32)

_POW_CACHE: dict[str, np.ndarray] = {}
#: per-n salt so that n-grams of different lengths do not share columns by construction
_SALT = {k: np.uint64((0x2545F4914F6CDD1D * (k + 11)) & ((1 << 64) - 1)) for k in range(0, 16)}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i mod 2**64 for i < n (cached, grown on demand)."""
    have = _POW_CACHE.get("p")
    if have is None or have.size < n:
        size = max(n, 1 << 16, 0 if have is None else 2 * have.size)
        with np.errstate(over="ignore"):
            p = np.cumprod(np.full(size, _P, dtype=np.uint64))
            q = np.cumprod(np.full(size, _PINV, dtype=np.uint64))
        _POW_CACHE["p"] = np.concatenate(([np.uint64(1)], p[:-1]))
        _POW_CACHE["q"] = np.concatenate(([np.uint64(1)], q[:-1]))
    return _POW_CACHE["p"][:n], _POW_CACHE["q"][:n]


def _avalanche(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(29))
        h = h * _MIX
        return h ^ (h >> np.uint64(32))


@dataclass
class Batch:
    """Code points of a batch of texts and the word tokens in it."""
    n_docs: int
    cp: np.ndarray          # uint64 code points (with separators and padding spaces)
    doc: np.ndarray         # doc id per position (int64)
    sx: np.ndarray          # prefix sums S (length len(cp) + 1)
    p_pow: np.ndarray
    csep: np.ndarray        # number of separators in [0, i)
    tok_start: np.ndarray   # word tokens: [start, end) positions
    tok_end: np.ndarray
    tok_doc: np.ndarray
    tok_hash: np.ndarray    # uint64 (before masking)

    def substring_hash(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """64-bit polynomial hash of cp[a:b] for arrays of starts/ends (b > a).
        Exact-match keys (lexicon look-ups) use it as is; :func:`column` mixes it."""
        with np.errstate(over="ignore"):
            return (self.sx[b] - self.sx[a]) * self.p_pow[b - 1]


def batch(texts: list[str]) -> Batch:
    """Encode already folded texts (see ``insight.sentiment.fold``)."""
    joined = _SEP + _SEP.join(" " + t + " " for t in texts) + _SEP
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = cp.size
    p_pow, q_pow = _powers(n)
    with np.errstate(over="ignore"):
        s = np.cumsum((cp + np.uint64(1)) * q_pow, dtype=np.uint64)
    sx = np.empty(n + 1, dtype=np.uint64)
    sx[0] = 0
    sx[1:] = s
    sep = cp == 0
    csep = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sep, out=csep[1:])
    doc = csep[1:] - 1  # a separator position belongs to the doc that follows it
    # word tokens: runs of non-space, non-separator code points
    brk = np.flatnonzero(sep | (cp == _SPACE))
    a = brk[:-1] + 1
    b = brk[1:]
    ok = b > a
    a, b = a[ok], b[ok]
    out = Batch(len(texts), cp, doc, sx, p_pow, csep, a, b, doc[a], np.empty(0, np.uint64))
    out.tok_hash = out.substring_hash(a, b)
    return out


def combine(h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
    """Order-dependent hash of two word hashes (bigrams; applied twice for trigrams)."""
    with np.errstate(over="ignore"):
        return _avalanche(h1 * _P + h2 * _MIX + np.uint64(0x51ED27))


def char_ngrams(b: Batch, n_min: int = 1, n_max: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """(doc, hash) of every char n-gram, n_min <= n <= n_max, not crossing a separator.

    Single spaces are dropped (they are in every text).  Per length the hashes of all
    windows are computed on contiguous slices of the prefix sums and the kept ones
    compressed into the preallocated output (gathers at computed positions, then a
    concatenation, cost ~2x more)."""
    m = b.cp.size
    seps = np.flatnonzero(b.cp == 0)
    bad = np.zeros(m + 1, dtype=bool)
    oks = []
    for k in range(n_min, n_max + 1):
        # windows [a, a+k) that contain a separator start at sep-k+1 .. sep
        for j in range(k):
            bad[np.maximum(seps - j, 0)] = True
        ok = ~bad[: max(m - k + 1, 0)]
        if k == 1:
            ok &= b.cp != _SPACE
        oks.append(ok)
    counts = [int(np.count_nonzero(ok)) for ok in oks]
    docs = np.empty(sum(counts), dtype=b.doc.dtype)
    hashes = np.empty(sum(counts), dtype=np.uint64)
    at = 0
    for k, ok, c in zip(range(n_min, n_max + 1), oks, counts):
        w = len(ok)                      # windows [a, a+k), a < w
        with np.errstate(over="ignore"):
            h = b.sx[k:k + w] - b.sx[:w]
            h *= b.p_pow[k - 1:k - 1 + w]
            h += _SALT[k]
        np.compress(ok, h, out=hashes[at:at + c])
        np.compress(ok, b.doc[:w], out=docs[at:at + c])
        at += c
    return docs, hashes


def word_ngrams(b: Batch, n_max: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(doc, hash) of word unigrams, (n_max >= 2) bigrams and (n_max >= 3) trigrams
    within a text (a trigram hash is ``combine(combine(w1, w2), w3)``, as the lexicon's
    phrase keys)."""
    docs, hashes = [b.tok_doc], [b.tok_hash]
    if n_max >= 2 and b.tok_hash.size > 1:
        same = b.tok_doc[1:] == b.tok_doc[:-1]
        bi = combine(b.tok_hash[:-1], b.tok_hash[1:])
        docs.append(b.tok_doc[:-1][same])
        hashes.append(bi[same])
        if n_max >= 3 and b.tok_hash.size > 2:
            same3 = same[1:] & same[:-1]
            docs.append(b.tok_doc[:-2][same3])
            hashes.append(combine(bi[:-1], b.tok_hash[2:])[same3])
    with np.errstate(over="ignore"):
        return np.concatenate(docs), np.concatenate(hashes) + np.uint64(7) * _MIX


def column_inplace(h: np.ndarray, bits: int) -> np.ndarray:
    """:func:`column` computed in the uint64 array ``h`` itself (overwritten), returned as
    an int64 view of it: one array of ~1M n-grams less to allocate and fault in."""
    with np.errstate(over="ignore"):
        h *= _MIX
        h >>= np.uint64(64 - bits)
    return h.view(np.int64)   # values < 2**bits: the same numbers as int64


def column(h: np.ndarray, bits: int) -> np.ndarray:
    """Hash -> column index in a 2**bits table (Fibonacci hashing: the top ``bits`` bits of
    ``h * golden-ratio constant``, which mixes every input bit into them)."""
    with np.errstate(over="ignore"):
        return ((h * _MIX) >> np.uint64(64 - bits)).astype(np.int64)
