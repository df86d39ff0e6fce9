"""Private helpers shared by complaints / returns / delivery / followup:
order-level views of the order-line table and "did the customer order again
within N days", on integer codes (string ids are factorized once per frame and
column, see :func:`codes`; no per-customer loops, no merges on string keys).
The id lookups (:func:`lookup`, :func:`lookup_many`; also used by segments, journey
and retention) match short ids on their bytes (:class:`_ShortIds`), others by hash.
What depends only on the orders frame (the per-order arrays, the order-level table,
the sorted customer timeline) is computed once per frame while the columns it reads
are unchanged (see :func:`_per_frame`)."""
from __future__ import annotations

import weakref
from collections import OrderedDict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DAY = pd.Timedelta(days=1)
_NAT = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max


def ns(s: pd.Series) -> pd.Series:
    """Datetimes at nanosecond resolution (pandas 3 may parse to us; merge_asof needs equal units)."""
    return pd.to_datetime(s).astype("datetime64[ns]")


def ns_int(s: pd.Series) -> np.ndarray:
    """Datetimes as int64 nanoseconds (NaT -> int64 min)."""
    if getattr(s.dtype, "kind", "") == "M" and getattr(s.dtype, "tz", None) is None:
        return np.asarray(s, dtype="datetime64[ns]").view(np.int64)
    return np.asarray(ns(s), dtype="datetime64[ns]").view(np.int64)


def need(df: pd.DataFrame | None, cols, table: str) -> pd.DataFrame:
    """Raise a clear error when ``df`` is missing or lacks the columns ``cols``."""
    if df is None:
        raise ValueError(f"the {table} table is needed here but was not given")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{table}: missing column(s) {missing} (have {list(df.columns)})")
    return df


# ---------------------------------------------------------------- cached factorization
#: (id(frame), column) -> (weakref to frame, column fingerprint, codes, uniques)
_CODES: OrderedDict = OrderedDict()
_CODES_MAX = 16


def _fingerprint(s: pd.Series):
    """Objects that change when the column's data is replaced or modified in place."""
    arr = s.array
    inner = getattr(arr, "_pa_array", None)
    if inner is None:
        inner = getattr(arr, "_ndarray", None)
    return (len(s), arr if inner is None else inner)


def codes(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(frame[col])`` (first-appearance order, -1 = missing), computed once
    per frame and column while the frame lives and the column is unchanged: hashing 1M
    string ids is the costly part of most analyses, and several of them need the same ids.
    The returned arrays are shared; do not modify them."""
    s = frame[col]
    key = (id(frame), col)
    hit = _cached_codes(frame, col)
    if hit is not None:
        return hit
    fp = _fingerprint(s)
    c, u = pd.factorize(s)
    c = c.astype(np.int64, copy=False)
    c.setflags(write=False)
    try:
        ref = weakref.ref(frame)
    except TypeError:  # not weak-referenceable: do not cache
        return c, u
    _CODES[key] = (ref, fp, c, u)
    while len(_CODES) > _CODES_MAX:
        _CODES.popitem(last=False)
    return c, u


def _cached_codes(frame: pd.DataFrame, col: str):
    """:func:`codes` of ``frame[col]`` when already computed (and still valid), else None."""
    key = (id(frame), col)
    hit = _CODES.get(key)
    if hit is None or hit[0]() is not frame:
        return None
    fp = _fingerprint(frame[col])
    if hit[1][0] != fp[0] or hit[1][1] is not fp[1]:
        return None
    _CODES.move_to_end(key)
    return hit[2], hit[3]


def adopt_codes(frame: pd.DataFrame, col: str, codes_: np.ndarray, uniques) -> bool:
    """Remember ``(codes_, uniques)`` as :func:`codes` of ``frame[col]`` when they were
    already computed elsewhere (``insight.data.load`` hashes the ids to check keys and
    references; this spares the analyses hashing them again).  They must be exactly what
    ``pd.factorize(frame[col])`` gives: codes one per row (-1 for missing) numbered by
    first appearance, ``uniques`` an unnamed Index of the column's dtype.  Checked
    without hashing (lengths, dtype, the numbering, missing cells, the values of a sample
    of rows); anything off is not adopted and ``False`` is returned.  An int64
    ``codes_`` is kept as it is (made read-only): do not modify it afterwards."""
    s = frame[col]
    if not isinstance(uniques, pd.Index) or uniques.dtype != s.dtype or uniques.name is not None:
        return False
    c = np.asarray(codes_)
    if c.dtype != np.int64 or c.ndim != 1 or len(c) != len(s):
        return False
    k = len(uniques)
    if len(c):
        # first-appearance numbering: the running maximum of the codes starts at -1 or 0,
        # grows by at most one per row and ends at k - 1 (each code first seen after all
        # smaller ones); O(n), no sort and no hashing
        top = np.maximum.accumulate(c)
        rise = np.flatnonzero(top[1:] != top[:-1]) + 1   # rows where the running maximum grows
        # it starts at -1 or 0 and climbs k - 1 (or k) in as many rises: each rise is one
        cmin = c.min()
        if cmin < -1 or top[0] > 0 or top[-1] != k - 1 or len(rise) != k - 1 - top[0]:
            return False
        missing = s.isna().to_numpy()
        if not (np.array_equal(c < 0, missing) if cmin < 0 else not missing.any()):   # -1 exactly where missing
            return False
        if k:
            firsts = rise if top[0] < 0 else np.concatenate([[0], rise])   # the first row of each code
            rows = np.concatenate([firsts[:: max(1, k // 64)], np.linspace(0, len(c) - 1, 64).astype(np.int64)])
            rows = rows[c[rows] >= 0]                      # and 64 rows spread over the column
            if not (np.asarray(s.iloc[rows], dtype=object) == np.asarray(uniques[c[rows]], dtype=object)).all():
                return False
    elif k:
        return False
    c.setflags(write=False)
    try:
        ref = weakref.ref(frame)
    except TypeError:
        return False
    _CODES[(id(frame), col)] = (ref, _fingerprint(s), c, uniques)
    _CODES.move_to_end((id(frame), col))
    while len(_CODES) > _CODES_MAX:
        _CODES.popitem(last=False)
    return True


def _content_fp(s: pd.Series):
    """Like :func:`_fingerprint`, but also catches values edited in place: Arrow (str)
    columns are immutable, so the array's identity is enough; numpy columns get a content
    checksum (wrapping sums of the integer view: any single edited value changes it).
    ``None`` when the column cannot be checked cheaply (then nothing is cached)."""
    n, arr = _fingerprint(s)
    if not isinstance(arr, np.ndarray):
        return (n, arr)
    if arr.dtype.kind not in "fiumMb" or arr.dtype.itemsize not in (1, 2, 4, 8):
        return None
    v = arr.view(f"i{arr.dtype.itemsize}")
    with np.errstate(over="ignore"):   # two sums: ~0.3 ms for 1M values, on every cache hit
        return (n, arr.dtype.str, int(v.sum(dtype=np.int64)), int(v[::7].sum(dtype=np.int64)))


#: (id(frame), what) -> (weakref to frame, fingerprints of the columns read, value)
_FRAMES: OrderedDict = OrderedDict()
_FRAMES_MAX = 12


def frame_fp(frame: pd.DataFrame, cols):
    """Fingerprint of ``frame``'s columns ``cols`` (those present; :func:`_content_fp`
    each), its column names and length: changes when one of those columns is replaced or
    edited in place.  None when a column cannot be checked cheaply (then nothing that
    depends on it should be kept).  Compare two with :func:`_same_fp`."""
    cols = [c for c in dict.fromkeys(cols) if c in frame.columns]
    fps = [_content_fp(frame[c]) for c in cols]
    if any(fp is None for fp in fps):
        return None
    return (tuple(frame.columns), len(frame), tuple(cols), fps)


def _per_frame(frame: pd.DataFrame, what, cols, build):
    """``build()`` computed once per frame while the columns ``cols`` (those present) are
    unchanged, for results that depend only on those columns.  Several analyses of one
    report collapse the same 1M order lines; this does it once."""
    fp = frame_fp(frame, cols)
    if fp is None:
        return build()
    key = (id(frame), what)
    hit = _FRAMES.get(key)
    if hit is not None and hit[0]() is frame and _same_fp(hit[1], fp):
        _FRAMES.move_to_end(key)
        return hit[2]
    value = build()
    # the entry goes when the frame does (it may hold several 1M-row arrays)
    _remember(_FRAMES, _FRAMES_MAX, key, frame, fp, value)
    return value


def _remember(cache: OrderedDict, limit: int, key, owner, *entry) -> None:
    """Keep ``(weakref to owner, *entry)`` under ``key`` in the LRU ``cache`` (at most
    ``limit`` entries) until ``owner`` is collected; nothing is kept for an owner that
    cannot be weakly referenced."""
    try:
        # _forget is bound now: at interpreter exit the module's globals may already be None
        ref = weakref.ref(owner, lambda r, key=key, forget=_forget: forget(cache, key, r))
    except TypeError:
        return
    cache[key] = (ref, *entry)
    while len(cache) > limit:
        cache.popitem(last=False)


def _forget(cache: OrderedDict, key, ref) -> None:
    """Drop ``key`` when it still belongs to the collected owner ``ref`` (``id()`` keys
    are reused by later objects)."""
    hit = cache.get(key)
    if hit is not None and hit[0] is ref:
        cache.pop(key, None)


def _same_fp(a, b) -> bool:
    if a[:3] != b[:3]:
        return False
    for x, y in zip(a[3], b[3]):
        if len(x) != len(y) or x[0] != y[0]:
            return False
        if len(x) == 2:                       # (n, Arrow array): identity
            if x[1] is not y[1]:
                return False
        elif x != y:                          # (n, dtype, checksums)
            return False
    return True


# ---------------------------------------------------------------- short-id matching
def _id_bytes(ids) -> tuple[np.ndarray, np.ndarray] | None:
    """``(b, ok)``: each id's UTF-8 bytes zero-padded on the right to 8, as an (n, 8)
    uint8 matrix, and whether the id fits (not missing, at most 8 bytes, no NUL byte:
    then two ids have equal rows only when they are equal).  ``None`` when ``ids`` is
    not Arrow strings.  Rows where ``ok`` is False mean nothing."""
    arr = getattr(getattr(ids, "array", ids), "_pa_array", None)
    if arr is None and isinstance(ids, (pa.Array, pa.ChunkedArray)):
        arr = ids
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    n = len(arr)
    b = np.zeros((n, 8), dtype=np.uint8)
    if n == 0:                       # (an empty array may have no offsets buffer)
        return b, np.zeros(0, bool)
    bufs = arr.buffers()
    off_t = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offs = np.frombuffer(bufs[1], dtype=off_t)[arr.offset:arr.offset + n + 1].astype(np.int64)
    lens = np.diff(offs)
    ok = lens <= 8
    if arr.null_count:
        ok &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    w = int(min(lens.max(), 8))
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None and w else np.zeros(1, np.uint8)
    # a NUL byte anywhere in the ids' bytes is rare: one scan, per-id checks only then
    nul = w > 0 and not data[offs[0]:offs[-1]].all()
    if w == 0:
        pass                       # only empty strings (all-zero row) and missing values
    elif int(lens.min()) == w and ok.all():   # one length, no gaps: one contiguous block
        b[:, :w] = data[offs[0]:offs[0] + n * w].reshape(n, w)
        if nul:
            ok &= b[:, :w].all(axis=1)
    else:
        j = np.arange(w)
        inside = j < lens[:, None]
        vals = np.where(inside, data[np.minimum(offs[:-1, None] + j, len(data) - 1)], 0)
        if nul:
            ok &= ~(inside & (vals == 0)).any(axis=1)
        b[:, :w] = vals
    return b, ok


def _id_keys(ids) -> tuple[np.ndarray, np.ndarray] | None:
    """Order-preserving uint64 keys of short string ids: ``(keys, ok)``, or None for
    data that is not Arrow strings.

    An id of at most 8 UTF-8 bytes without NUL bytes, zero-padded on the right and read
    big-endian, is a number that sorts as the string does (byte order = code-point
    order; the padding sorts a prefix first) and equals another id's number only when
    the strings are equal.  ``ok`` is False where that does not hold (missing, longer
    than 8 bytes, NUL bytes); their keys mean nothing."""
    r = _id_bytes(ids)
    if r is None:
        return None
    return r[0].view(">u8").ravel().astype(np.uint64), r[1]


def short_id_keys(ids) -> np.ndarray | None:
    """:func:`_id_keys` when every id has a key (else None): sorting 200k such numbers
    is several times faster than sorting the strings."""
    k = _id_keys(ids)
    return None if k is None or not k[1].all() else k[0]


class _ShortIds:
    """Matcher for unique ids of at most 8 bytes each (see :func:`_id_bytes`).

    When byte position p of the ids only takes values in [lo_p, lo_p + span_p) and the
    product of the spans is small (ids like a prefix plus a counter: ``O0000001`` ..
    ``O0520000`` give 6 * 10**5 codes), an id's mixed-radix number
    sum((byte_p - lo_p) * prod(span_q, q > p)) indexes a table of positions: one array
    lookup per value.  Otherwise the 8 bytes are one uint64 key and values are found by
    a sorted search.  Both are exact: equal codes/keys mean equal bytes, and a value
    that does not fit in 8 bytes (or has a NUL byte) cannot equal any id here."""

    MAX_TABLE = 1 << 26

    def __init__(self, lo=None, span=None, table=None, sorted_keys=None, order=None):
        self.lo, self.span, self.table = lo, span, table
        self.sorted_keys, self.order = sorted_keys, order

    @classmethod
    def build(cls, uniques) -> "_ShortIds | None":
        """The matcher for ``uniques``, or None when an id does not fit, the ids repeat
        (the general lookup decides then) or there are none."""
        r = _id_bytes(uniques)
        if r is None or not len(r[1]) or not r[1].all():
            return None
        mat = r[0]
        n = len(mat)
        cols = np.ascontiguousarray(mat.T)       # per-position reductions: ~10x faster
        lo, hi = cols.min(axis=1), cols.max(axis=1)
        span = hi.astype(np.int64) - lo + 1
        size = int(np.prod([int(x) for x in span], dtype=object))
        if size <= max(4 * n, 1 << 16) and size <= cls.MAX_TABLE:
            m = cls(lo, span)
            code, _ = m._codes(mat)
            table = np.full(size, -1, dtype=np.int64)
            table[code] = np.arange(n)
            if np.count_nonzero(table >= 0) != n:    # repeated ids
                return None
            m.table = table
            return m
        keys = mat.view(np.uint64).ravel()       # any bijective key will do here
        order = np.argsort(keys)
        sk = keys[order]
        if n > 1 and not (sk[1:] > sk[:-1]).all():   # repeated ids
            return None
        return cls(sorted_keys=sk, order=order)

    def _codes(self, mat):
        """Mixed-radix code of each byte row and whether every byte is in range."""
        code = np.zeros(len(mat), dtype=np.int64)
        ok = np.ones(len(mat), dtype=bool)
        cols = np.ascontiguousarray(mat.T)       # contiguous byte positions
        for p in range(8):
            d = cols[p] - self.lo[p]              # uint8: below lo wraps to >= span
            if self.span[p] == 1:
                ok &= d == 0
                continue
            ok &= d < self.span[p]
            code *= self.span[p]
            code += d
        return code, ok

    def find(self, values) -> np.ndarray:
        """Position of each value (Arrow strings) among the ids, -1 = absent or missing."""
        mat, ok = _id_bytes(values)
        if self.table is not None:
            code, inrange = self._codes(mat)
            ok &= inrange
            return np.where(ok, self.table[np.where(ok, code, 0)], -1)
        sk = self.sorted_keys
        keys = mat.view(np.uint64).ravel()
        pos = np.minimum(np.searchsorted(sk, keys), len(sk) - 1)
        return np.where(ok & (sk[pos] == keys), self.order[pos], -1).astype(np.int64)


#: id(uniques) -> (weakref to uniques, its Arrow array, matcher or None)
_SHORT: OrderedDict = OrderedDict()
_SHORT_MAX = 16


def _short_ids(uniques) -> _ShortIds | None:
    """The :class:`_ShortIds` matcher of ``uniques`` (None when it does not apply), built
    once per uniques Index while it lives: several analyses look ids up in the same
    order / customer index."""
    ua = getattr(getattr(uniques, "array", None), "_pa_array", None)
    if ua is None or not (pa.types.is_string(ua.type) or pa.types.is_large_string(ua.type)):
        return None
    key = id(uniques)
    hit = _SHORT.get(key)
    if hit is not None and hit[0]() is uniques and hit[1] is ua:
        try:
            _SHORT.move_to_end(key)
        except KeyError:
            pass
        return hit[2]
    m = _ShortIds.build(ua)
    _remember(_SHORT, _SHORT_MAX, key, uniques, ua, m)   # goes with the Index (a few MB)
    return m


def _arrow_text(x):
    """The Arrow (large_)string array behind ``x``, else None."""
    a = getattr(getattr(x, "array", None), "_pa_array", None)
    if a is not None and (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
        return a
    return None


#: (id(values' uniques), id(uniques)) -> (weakrefs to both, lookup result)
_MAPS: OrderedDict = OrderedDict()
_MAPS_MAX = 16


def lookup_codes(frame: pd.DataFrame, col: str, uniques: pd.Index) -> np.ndarray:
    """``lookup(frame[col], uniques)`` through the column's cached codes: only the
    column's distinct values are looked up, once per (frame column, uniques) pair (the
    hash lookup of 500k ids is the costly part; several analyses repeat it).  When the
    column has no codes yet and ``uniques`` are short ids (:class:`_ShortIds`), the
    column is matched on its bytes instead: cheaper than hashing it to get its codes
    (the same answer: each value goes through the same matcher either way)."""
    if _cached_codes(frame, col) is None:
        ids = frame[col]
        if _arrow_text(ids) is not None and _short_ids(uniques) is not None:
            return lookup(ids, uniques)
    c, u = codes(frame, col)
    key = (id(u), id(uniques))
    hit = _MAPS.get(key)
    if hit is not None and hit[0]() is u and hit[1]() is uniques:
        _MAPS.move_to_end(key)
        m = hit[2]
    else:
        m = _lookup_unique(u, uniques)
        try:
            _MAPS[key] = (weakref.ref(u), weakref.ref(uniques), m)
        except TypeError:
            pass
        while len(_MAPS) > _MAPS_MAX:
            _MAPS.popitem(last=False)
    return np.append(m, -1)[c]   # code -1 (missing) -> -1


def _lookup_unique(values: pd.Index, uniques: pd.Index) -> np.ndarray:
    """``lookup(values, uniques)`` for distinct ``values``; when there are fewer of them
    than ``uniques`` (Arrow strings both), hash ``values`` instead and look ``uniques``
    up in them: building the hash set is the costly part of Arrow's lookup.  Short ids
    (:class:`_ShortIds`) are matched forward on their bytes: no hashing at all."""
    if _arrow_text(values) is not None and _short_ids(uniques) is not None:
        return lookup(values, uniques)
    va = getattr(values.array, "_pa_array", None)
    ua = getattr(getattr(uniques, "array", None), "_pa_array", None)
    if (va is not None and ua is not None and len(values) < len(uniques)
            and (pa.types.is_string(va.type) or pa.types.is_large_string(va.type))
            and va.type == ua.type):
        try:
            vs = va.combine_chunks() if isinstance(va, pa.ChunkedArray) else va
            r = pc.index_in(ua, value_set=vs).fill_null(-1).to_numpy(zero_copy_only=False)
            r = np.asarray(r, dtype=np.int64)
            hit = np.flatnonzero(r >= 0)
            out = np.full(len(values), len(uniques), dtype=np.int64)
            np.minimum.at(out, r[hit], hit)          # first position, as index_in gives
            out[out == len(uniques)] = -1
            return out
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass  # fall back to the forward lookup
    return lookup(values, uniques)


def lookup(values, uniques: pd.Index) -> np.ndarray:
    """Position of each value in ``uniques`` (-1 = absent or missing), like
    ``uniques.get_indexer(values)``.  Arrow strings: when every id of ``uniques`` has
    at most 8 bytes (ids like ``O0000123``), a match on their bytes (:class:`_ShortIds`,
    built once per ``uniques`` Index: 3-6x faster than hashing), else Arrow's hash
    lookup (several times faster than pandas' on 1M pyarrow-backed ids)."""
    m = _short_ids(uniques) if _arrow_text(values) is not None else None
    if m is not None:
        return m.find(values)
    va = getattr(getattr(values, "array", None), "_pa_array", None)
    ua = getattr(getattr(uniques, "array", None), "_pa_array", None)
    if va is not None and ua is not None and pa.types.is_string(va.type) == pa.types.is_string(ua.type):
        try:
            vs = ua.combine_chunks() if isinstance(ua, pa.ChunkedArray) else ua
            r = pc.index_in(va, value_set=vs)
            return np.asarray(r.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass  # Arrow cannot match these two types: pandas' get_indexer below does
    return np.asarray(uniques.get_indexer(values), dtype=np.int64)


def lookup_many(values_list, uniques: pd.Index) -> list[np.ndarray]:
    """``[lookup(v, uniques) for v in values_list]`` with one Arrow hash lookup for all of
    them: ``index_in`` hashes its value set on every call (~0.07 s for 500k order ids),
    so looking several columns up in the same ``uniques`` at once hashes it once.  Short
    ids are matched on their bytes as in :func:`lookup` (with an empty ``values_list``
    this only prepares that matcher)."""
    values_list = list(values_list)
    m = _short_ids(uniques)
    if m is not None and all(_arrow_text(v) is not None for v in values_list):
        return [m.find(v) for v in values_list]
    ua = getattr(getattr(uniques, "array", None), "_pa_array", None)
    vas = [getattr(getattr(v, "array", None), "_pa_array", None) for v in values_list]
    if (len(values_list) > 1 and ua is not None and all(va is not None for va in vas)
            and len({va.type for va in vas}) == 1
            and pa.types.is_string(vas[0].type) == pa.types.is_string(ua.type)):
        try:
            vs = ua.combine_chunks() if isinstance(ua, pa.ChunkedArray) else ua
            chunks = [c for va in vas for c in (va.chunks if isinstance(va, pa.ChunkedArray) else [va])]
            r = pc.index_in(pa.chunked_array(chunks, type=vas[0].type), value_set=vs)
            out = np.asarray(r.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
            return np.split(out, np.cumsum([len(va) for va in vas])[:-1])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass  # Arrow cannot match these types in one batch: look each frame up on its own
    return [lookup(v, uniques) for v in values_list]


def _first_rows(g: np.ndarray, n_groups: int) -> np.ndarray | None:
    """Row of each group's first line when ``g`` numbers the groups in order of first
    appearance (as :func:`codes` does), else ``None``.  A group's first line is where
    its code exceeds every code before it: one running max, no scatter."""
    if not len(g):
        return np.zeros(0, np.int64) if n_groups == 0 else None
    before = np.empty(len(g), dtype=g.dtype)
    before[0] = -1
    np.maximum.accumulate(g[:-1], out=before[1:])
    rows = np.flatnonzero(g > before)
    # strictly increasing codes in 0..n_groups-1 at n_groups rows: exactly 0, 1, 2, ...
    return rows if len(rows) == n_groups and (not n_groups or g[rows[-1]] == n_groups - 1) else None


def first_of_each(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each distinct value of the int64 ``keys``, in
    increasing order (``np.unique(keys, return_index=True)[1]``, sorted).  One sort finds
    the duplicated values; only their (few) occurrences are hashed."""
    s = np.sort(keys)
    dup = s[1:] == s[:-1]
    if not dup.any():
        return np.arange(len(keys))
    dv = s[1:][dup]
    dv = dv[np.r_[True, dv[1:] != dv[:-1]]]
    # only keys whose low bits are those of a repeated value can be one: a bitmap of
    # those bits picks the candidates in one gather, and only they are binary-searched
    mask = np.int64((1 << max(16, (8 * len(dv)).bit_length())) - 1)
    maybe = np.zeros(int(mask) + 1, bool)
    maybe[dv & mask] = True
    cand = np.flatnonzero(maybe[keys & mask])
    at = np.minimum(np.searchsorted(dv, keys[cand]), len(dv) - 1)
    repeated = cand[dv[at] == keys[cand]]
    c, u = pd.factorize(keys[repeated])
    keep = np.ones(len(keys), bool)
    keep[repeated] = False
    keep[repeated[_first_rows(c.astype(np.int64, copy=False), len(u))]] = True
    return np.flatnonzero(keep)


def first_per_customer(cust: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Positions of each customer's first row by time, in time order: like
    ``frame.sort_values(t, kind="stable").drop_duplicates(customer)``.  ``cust``: customer
    codes (-1 = no customer id, one customer of its own, as drop_duplicates treats NaN);
    ``t``: int64 ns (NaT = int64 min sorts last, as in sort_values); ties: earlier row."""
    srt = np.argsort(t, kind="stable")
    srt = np.r_[srt[t[srt] != _NAT], np.flatnonzero(t == _NAT)]
    first = np.full(cust.max(initial=-1) + 2, len(srt), dtype=np.int64)
    np.minimum.at(first, cust[srt] + 1, np.arange(len(srt)))
    return srt[np.sort(first[first < len(srt)])]


def group_first(values: pd.Series, g: np.ndarray, n_groups: int) -> pd.Series:
    """First non-missing value of ``values`` per group code ``g`` (-1 = no group), like
    ``groupby(...).first()``; groups without a value get NA.  Keeps the dtype."""
    n = len(values)
    notna = values.notna().to_numpy()
    first = _first_rows(g, n_groups)
    if first is None or not notna[first].all():   # some group starts with a missing value
        valid = (g >= 0) & notna
        idx = np.flatnonzero(valid)
        first = np.full(n_groups, n, dtype=np.int64)
        np.minimum.at(first, g[idx], idx)
    miss = first == n
    out = values.iloc[np.where(miss, 0, first) if n else first].reset_index(drop=True)
    if miss.any():
        out = out.where(~miss)
    return out


def group_min_max(t: np.ndarray, g: np.ndarray, n_groups: int, how: str) -> np.ndarray:
    """Per-group min or max of int64 ns times (NaT = int64 min skipped; all-NaT -> NaT)."""
    ok = (g >= 0) & (t != _NAT)
    if how == "min":
        out = np.full(n_groups, _MAX, dtype=np.int64)
        np.minimum.at(out, g[ok], t[ok])
        out[out == _MAX] = _NAT
    else:
        out = np.full(n_groups, _NAT, dtype=np.int64)
        np.maximum.at(out, g[ok], t[ok])
    return out


def _as_dates(x: np.ndarray, like: pd.Series) -> pd.Series:
    """int64 ns (NaT = int64 min) back to a datetime Series of ``like``'s dtype."""
    out = pd.Series(x.view("datetime64[ns]"))
    return out if out.dtype == like.dtype else out.astype(like.dtype)


_ORDER_COLS = ("order_id", "customer_id", "order_date", "promised_date", "delivered_date",
               "status")


def order_level(orders: pd.DataFrame, extra=()) -> pd.DataFrame:
    """One row per order_id: customer_id, order_date (first), promised_date and
    delivered_date (latest line), status (cancelled/backordered only when every line
    is), and the first value of each ``extra`` column.  Rows in order of first
    appearance of the order_id.

    Computed once per orders frame and ``extra`` while the columns read are unchanged
    (several analyses of a report need it); each call returns its own (shallow,
    copy-on-write) frame."""
    need(orders, ["order_id", "customer_id", "order_date"], "orders")
    extra = tuple(extra)
    o = _per_frame(orders, ("order_level", extra), [*_ORDER_COLS, *extra],
                   lambda: _order_level(orders, extra))
    return o.copy(deep=False)


def order_numbers(orders: pd.DataFrame) -> dict:
    """Per order (index ``i`` = order code ``i`` of ``codes(orders, "order_id")``, the rows
    of :func:`order_level`), as numpy arrays: ``order_date`` (first line),
    ``promised_date`` and ``delivered_date`` (latest line; only when the column exists)
    as int64 ns with NaT = int64 min, and ``status`` (only when the column exists): 0
    delivered (any line), 1 cancelled (every line), 2 backordered (any line), -1 none of
    these.  Cached per frame; do not modify."""
    def build():
        g, oids = codes(orders, "order_id")
        ng = len(oids)
        out = {"order_date": group_min_max(ns_int(orders["order_date"]), g, ng, "min")}
        for c in ("promised_date", "delivered_date"):
            if c in orders.columns:
                out[c] = group_min_max(ns_int(orders[c]), g, ng, "max")
        if "status" in orders.columns:
            sc, su = codes(orders, "status")
            low = pd.Index(su).astype("str").str.lower()
            # line kind 0 delivered, 1 cancelled, 2 backordered, 3 other/missing; one
            # count per (order, kind)
            kind = np.full(len(su) + 1, 3, dtype=np.int64)
            for k, value in enumerate(("delivered", "cancelled", "backordered")):
                kind[:-1][np.asarray(low == value)] = k
            keep = g >= 0
            cnt = np.bincount(g[keep] * 4 + kind[sc[keep]], minlength=4 * ng).reshape(ng, 4)
            # first rule that holds: any delivered -> 0, all cancelled -> 1, any
            # backordered -> 2 (assigned in reverse so the earlier rule wins)
            which = np.full(ng, -1, dtype=np.int64)
            which[cnt[:, 2] > 0] = 2
            which[(cnt[:, 0] == 0) & (cnt[:, 2] == 0) & (cnt[:, 3] == 0)] = 1
            which[cnt[:, 0] > 0] = 0
            out["status"] = which
        for a in out.values():
            a.setflags(write=False)
        return out
    need(orders, ["order_id", "order_date"], "orders")
    return _per_frame(orders, "order_numbers", [c for c in _ORDER_COLS if c != "customer_id"],
                      build)


def _order_level(orders: pd.DataFrame, extra: tuple) -> pd.DataFrame:
    g, oids = codes(orders, "order_id")
    ng = len(oids)
    num = order_numbers(orders)
    out = {"order_id": pd.Series(oids, copy=False).reset_index(drop=True),
           "customer_id": group_first(orders["customer_id"], g, ng)}
    for c in ("order_date", "promised_date", "delivered_date"):
        if c in num:
            out[c] = _as_dates(num[c], orders[c])
    for c in extra:
        if c in orders.columns and c not in out:
            out[c] = group_first(orders[c], g, ng)
    o = pd.DataFrame(out)
    if "status" in num:
        labels = pd.array(["delivered", "cancelled", "backordered"], dtype="str")
        o["status"] = pd.Series(labels.take(num["status"], allow_fill=True))
    return o


def order_customers(orders: pd.DataFrame) -> np.ndarray:
    """Customer of each order (row ``i`` = order code ``i`` of ``codes(orders,
    "order_id")``, as the rows of :func:`order_level`) as a code of ``codes(orders,
    "customer_id")``: the first line's with a customer id, -1 when none has one.
    Cached per frame; do not modify."""
    def build():
        g, oids = codes(orders, "order_id")
        cc, _ = codes(orders, "customer_id")
        ng = len(oids)
        first = _first_rows(g, ng)
        if first is None or (cc[first] < 0).any():
            idx = np.flatnonzero((g >= 0) & (cc >= 0))
            first = np.full(ng, len(g), dtype=np.int64)
            np.minimum.at(first, g[idx], idx)
        out = np.append(cc, -1)[np.minimum(first, len(g))]
        out.setflags(write=False)
        return out
    need(orders, ["order_id", "customer_id"], "orders")
    return _per_frame(orders, "order_customers", ["order_id", "customer_id"], build)


def delivered_orders(orders: pd.DataFrame, extra=()) -> pd.DataFrame:
    """Order-level rows that were delivered: delivered_date present and status (when
    given) not cancelled/backordered.  Cached like :func:`order_level`."""
    return _delivered(orders, tuple(extra)).copy(deep=False)


def delivered_order_rows(orders: pd.DataFrame) -> np.ndarray:
    """Order codes (rows of :func:`order_level`) of the rows of :func:`delivered_orders`,
    in its order: delivered_date present and status not cancelled/backordered."""
    num = order_numbers(orders)
    if "delivered_date" not in num:
        raise KeyError("orders: delivered_date is needed for delivery analysis")
    keep = num["delivered_date"] != _NAT
    if "status" in num:
        keep &= (num["status"] != 1) & (num["status"] != 2)
    return np.flatnonzero(keep)


def _delivered(orders: pd.DataFrame, extra: tuple):
    need(orders, ["order_id", "customer_id", "order_date"], "orders")

    def build():
        rows = delivered_order_rows(orders)
        o = order_level(orders, extra)
        return o.take(rows).reset_index(drop=True)
    return _per_frame(orders, ("delivered_orders", extra), [*_ORDER_COLS, *extra], build)


def _timeline(orders: pd.DataFrame):
    """The customers' distinct (customer, order time) pairs as one sorted int64 key
    ``customer code * R + rank of the time among the distinct order times`` (lines
    without customer or date left out), with those distinct times ``ut``, ``R = len(ut)
    + 1``, each customer's first position in the keys ``start`` (customer code ``c``'s
    keys are ``start[c]:start[c + 1]``), the keys' time ranks ``kr`` (with one spare
    rank ``R`` at the end; ``ut`` has two NaT after the times, so ``ut[R]`` is NaT) and
    ``days``: when every order time is a midnight (dates), ``(d0, le)`` with ``le[d -
    d0]`` the number of times on or before day number ``d``, else None.  Per orders
    frame, cached."""
    def build():
        cc, cu = codes(orders, "customer_id")
        ot = ns_int(orders["order_date"])
        keep = (cc >= 0) & (ot != _NAT)
        oc, ot = cc[keep], ot[keep]
        ut, rank, days = _time_ranks(ot)
        r = np.int64(len(ut) + 1)
        # one key per (customer, time): the lines of an order repeat theirs, next to
        # each other, so most repeats go before the sort
        key = oc * r + rank
        key = np.sort(key[_changes(key)])
        key = key[_changes(key)]
        start = np.zeros(len(cu) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key // r, minlength=len(cu)), out=start[1:])
        kr = np.append(key % r, r)
        ut = np.append(ut, [_NAT, _NAT])
        for a in (key, ut, start, kr, *(days or ())):
            if isinstance(a, np.ndarray):
                a.setflags(write=False)
        return key, ut, r, start, kr, days
    return _per_frame(orders, "timeline", ["customer_id", "order_date"], build)


_DAY_NS = 86_400 * 10**9


def _changes(a: np.ndarray) -> np.ndarray:
    """Rows of ``a`` that differ from the row before (the first row counts)."""
    m = np.empty(len(a), dtype=bool)
    if len(a):
        m[0] = True
        np.not_equal(a[1:], a[:-1], out=m[1:])
    return m


def _time_ranks(t: np.ndarray):
    """``(ut, rank, days)``: the sorted distinct int64 ns times ``ut`` of ``t`` (no NaT),
    each time's position in them, and ``days`` as :func:`_timeline` describes it.  Dates
    (every time a midnight, over a modest span of days) are counted per day number: no
    sort and no binary search."""
    if len(t):
        d = t // _DAY_NS
        if (d * _DAY_NS == t).all():
            d0 = int(d.min())
            span = int(d.max()) - d0 + 1
            if span <= max(4 * len(t), 1 << 16):
                d -= d0
                le = np.cumsum(np.bincount(d, minlength=span) > 0)
                ut = (np.flatnonzero(np.diff(le, prepend=0)) + d0) * _DAY_NS
                return ut, le[d] - 1, (d0, le)
    st = np.sort(t)
    ut = st[_changes(st)]
    return ut, np.searchsorted(ut, t), None


def next_order_after(orders: pd.DataFrame, cust: np.ndarray, at: np.ndarray) -> np.ndarray:
    """int64 ns time of each customer's first order placed strictly after ``at`` (int64
    ns), NaT (int64 min) when none; ``cust`` = customer codes of ``codes(orders,
    "customer_id")`` (-1 = unknown customer, gets NaT, as does a NaT ``at``)."""
    key, ut, r, start, kr, days = _timeline(orders)
    nxt = np.full(len(at), _NAT, dtype=np.int64)
    look = np.flatnonzero((cust >= 0) & (at != _NAT))
    if len(look) and len(key):
        c = cust[look]
        # ranks of the first times after ``at`` (= how many are on or before it)
        if days is not None:   # dates: count by ``at``'s day number (floored)
            d = at[look] // _DAY_NS - days[0]
            ra = np.where(d < 0, 0, days[1][np.clip(d, 0, len(days[1]) - 1)])
        else:
            ra = np.searchsorted(ut[:-2], at[look], side="right")
        # walk each customer's (few) times from the first while they are not after
        # ``at``: a handful of gathers instead of a binary search over all the keys
        p, end = start[c], start[c + 1]
        act = np.flatnonzero((p < end) & (kr[p] < ra))
        for _ in range(_WALK):
            if not len(act):
                break
            p[act] += 1
            pa = p[act]
            act = act[(pa < end[act]) & (kr[pa] < ra[act])]
        else:   # long histories left: the first key >= (customer, rank) by binary search
            p[act] = np.searchsorted(key, c[act] * r + ra[act])
        p[p >= end] = len(key)             # none after ``at``: the spare rank, NaT
        nxt[look] = ut[kr[p]]
    return nxt


#: steps of next_order_after's walk before the binary search takes over
_WALK = 8


def repurchase_flags(orders: pd.DataFrame, at: np.ndarray, nxt: np.ndarray, window_days: float,
                     as_of=None) -> tuple[np.ndarray, np.ndarray]:
    """``(repurchased, observed)`` for anchor times ``at`` and next-order times ``nxt``
    (int64 ns, NaT = int64 min): next order within ``window_days`` days of the anchor, and
    the whole window lies before ``as_of`` (default: the last order date)."""
    as_of = pd.Timestamp(as_of) if as_of is not None else orders["order_date"].max()
    win = pd.Timedelta(days=window_days).value
    has_t, has_n = at != _NAT, nxt != _NAT
    repurchased = has_t & has_n & ((nxt - np.where(has_t, at, 0)) <= win)
    if pd.isna(as_of):
        observed = np.zeros(len(at), bool)
    else:
        lim = pd.Timestamp(as_of).as_unit("ns").value
        observed = has_t & (np.where(has_t, at, 0) <= lim - win)
    return repurchased, observed


def next_order_within(anchors: pd.DataFrame, orders: pd.DataFrame, window_days: float, *,
                      anchor: str = "anchor_date", as_of=None) -> pd.DataFrame:
    """For each anchor row (customer_id, ``anchor``) find the customer's first order
    placed strictly after the anchor.  Adds ``next_order_date``, ``repurchased``
    (next order within ``window_days`` days) and ``observed`` (the whole window lies
    before ``as_of``, default the last order date).  Rows keep the anchors' order."""
    need(orders, ["customer_id", "order_date"], "orders")
    _, cu = codes(orders, "customer_id")
    a = anchors.reset_index(drop=True)
    at = ns_int(a[anchor])
    ac = lookup(a["customer_id"], cu) if len(cu) else np.full(len(a), -1)
    nxt = next_order_after(orders, ac, at)
    out = a.drop(columns=[anchor])
    out[anchor] = at.view("datetime64[ns]")
    out["next_order_date"] = nxt.view("datetime64[ns]")
    out["repurchased"], out["observed"] = repurchase_flags(orders, at, nxt, window_days, as_of)
    return out


def warm(orders: pd.DataFrame) -> None:
    """Build now the per-frame structures that several analyses of one report share
    (id codes, per-order numbers and customers, the customer timeline), so that each
    analysis finds them cached instead of the first one paying for all.  Optional:
    every function builds what it needs on first use."""
    for col in ("order_id", "customer_id", "status", "product_id"):
        if col in orders.columns:
            codes(orders, col)
    if {"order_id", "order_date"} <= set(orders.columns):
        order_numbers(orders)
        if "customer_id" in orders.columns:
            order_customers(orders)
            _timeline(orders)
