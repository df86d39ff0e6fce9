"""Arrow fast paths for the text cleaning in ``insight.data.parse``.

``_clean_text`` trims cells, empties blank ones and fixes Persian digits (ids) or
Arabic letters (text), but only in the cells that need it.  Finding those cells
with a regex costs ~60-120 ms per million-row column; here the same cells are
found from the Arrow buffers directly: each string's first and last byte (from
the offsets) and, for text, one numpy scan of the UTF-8 bytes.  The answers are
exactly those of the regex ``^\\s|\\s$|^$|[...]`` as pandas runs it (RE2, whose
``\\s`` is ASCII ``[\\t\\n\\f\\r ]``); columns that are not Arrow strings take the
regex (``cleaning_mask`` falls back to it).
Also the dictionary encoding of a column into int codes (``encode``, ``first_appearance``)
that parse, validate and load share: the load hands those codes to the analyses.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight.contract import ID
from insight.persian import _ARABIC_CHARS

#: the regex ``_clean_text`` stands for: edge whitespace, empty, and per kind the characters it fixes
PATTERNS = {ID: r"^\s|\s$|^$|[۰-۹٠-٩]", "text": r"^\s|\s$|^$|[يىك\r]"}
#: bytes RE2's ``\s`` matches (\t \n \f \r space; not \v, and no non-ASCII space)
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[0x09, 0x0A, 0x0C, 0x0D, 0x20]] = True
#: ي ى ك in UTF-8 are D9 8A, D9 89, D9 83 (0xD9 is only ever a lead byte)
_ARABIC_SECOND = (0x8A, 0x89, 0x83)


def encode(arr) -> tuple:
    """Arrow ``dictionary_encode`` of an array or chunked array: (distinct values in
    order of first appearance, each row's code as int64 with -1 for missing).
    Short ids of one byte length take a path without hashing (``_encode_fixed``)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if chunks and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        fixed = _encode_fixed(chunks, arr.type)
        if fixed is not None:
            return fixed
    return _arrow_encode(arr)


def _arrow_encode(arr) -> tuple:
    enc = pc.dictionary_encode(arr)
    parts = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
    if not parts:
        return pa.array([], arr.type), np.zeros(0, dtype=np.int64)
    codes = np.empty(len(arr), dtype=np.int64)   # filled chunk by chunk: no per-chunk int64 copies
    at = 0
    for p in parts:
        ind = p.indices.fill_null(-1) if p.null_count else p.indices
        codes[at:at + len(p)] = ind.to_numpy(zero_copy_only=False)
        at += len(p)
    return parts[-1].dictionary, codes


#: ``_encode_fixed`` numbers ids in a table of at most this many slots per row (or 65,536)
_SLOTS_PER_ROW = 2


def _fixed_width(chunks) -> tuple[int, list, list] | None:
    """``(w, mats, valid)`` when every non-missing string of ``chunks`` is w bytes long
    (1 <= w <= 8) and missing cells hold no bytes: per chunk an (m, w) uint8 view of its
    strings' bytes and its validity mask (None: nothing missing).  Else None."""
    w, mats, valid = None, [], []
    for a in chunks:
        if not len(a):
            continue
        offsets, data = _buffers(a)
        lens = np.diff(offsets)
        ok = None
        if a.null_count:
            ok = np.asarray(a.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            if ok.any():
                w = int(lens[np.argmax(ok)]) if w is None else w
            if not np.array_equal(lens, np.where(ok, w or 0, 0)):
                return None
        else:
            w = int(lens[0]) if w is None else w
            if not (lens == w).all():
                return None
        if w is not None and not 1 <= w <= 8:
            return None
        body = data[offsets[0]:offsets[-1]]
        mats.append(body.reshape(-1, w) if w else np.zeros((0, 1), np.uint8))
        valid.append(ok)
    if w is None:
        return None
    return w, [m.reshape(-1, w) for m in mats], valid


def _column_range(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of an (m, w) uint8 matrix.  Rows are taken 64 at a
    time as one wide row: numpy reduces a wide row's columns together (a strided column
    at a time is ~5x slower)."""
    m, w = mat.shape
    bulk = m - m % 64
    parts = [mat[bulk:]]
    if bulk:
        wide = mat[:bulk].reshape(-1, 64 * w)
        parts += [wide.min(axis=0).reshape(64, w), wide.max(axis=0).reshape(64, w)]
    both = np.concatenate(parts)
    return both.min(axis=0).astype(np.int64), both.max(axis=0).astype(np.int64)


def _encode_fixed(chunks, typ, dictionary: bool = True) -> tuple | None:
    """``encode`` for ids that all have one short byte length (``O0000001``, ``C177881``):
    when byte position p only takes values in [lo_p, lo_p + span_p) and the product of
    the spans is at most ``_SLOTS_PER_ROW`` per row, each id's mixed-radix number
    sum((byte_p - lo_p) * prod(span_q, q > p)) is a slot of a table, and the first row
    of each slot gives the first-appearance numbering: no hashing (~5x faster than
    Arrow's for 1M ids).  Exact: equal numbers mean equal bytes.  None when it does not
    apply.  ``dictionary=False``: only the codes are wanted (the first item is None)."""
    fw = _fixed_width(chunks)
    if fw is None:
        return None
    w, mats, valid = fw
    n = sum(len(c) for c in chunks)
    m = sum(len(x) for x in mats)                  # the non-missing ids, part by part in row order
    ranges = [_column_range(x) for x in mats if len(x)]
    lo = np.min([r[0] for r in ranges], axis=0)
    span = [int(h) - int(lo_) + 1 for lo_, h in zip(lo, np.max([r[1] for r in ranges], axis=0))]
    size = 1
    for s in span:
        size *= s
    if size > max(_SLOTS_PER_ROW * n, 1 << 16) or size >= 1 << 31:
        return None
    mult = [1] * w
    for p in range(w - 2, -1, -1):
        mult[p] = mult[p + 1] * span[p + 1]
    used = [p for p in range(w) if span[p] > 1]
    base = sum(int(lo[p]) * mult[p] for p in used)
    # int32 numbers, tables and row numbers (size < 2**31): half the memory of int64
    key = np.zeros(m, dtype=np.int32)
    block, at = 1 << 15, 0   # blocks of rows: the temporaries stay in cache
    for x in mats:
        for b0 in range(0, len(x), block):
            mb = x[b0:b0 + block]
            kb = key[at + b0:at + b0 + len(mb)]
            for p in used:
                kb += mb[:, p].astype(np.int32) * np.int32(mult[p])
            kb -= np.int32(base)
        at += len(x)
    first = np.full(size, m, dtype=np.int32)
    at_row = np.arange(m, dtype=np.int32)
    np.minimum.at(first, key, at_row)
    rows = np.flatnonzero(first[key] == at_row)   # each id's first row, in order
    del first, at_row
    label = np.full(size, -1, dtype=np.int64)
    label[key[rows]] = np.arange(len(rows), dtype=np.int64)
    codes = label[key]
    if any(v is not None for v in valid):   # missing cells: -1
        ok = np.concatenate([v if v is not None else np.ones(len(c), bool)
                             for v, c in zip(valid, (c for c in chunks if len(c)))])
        full = np.full(n, -1, dtype=np.int64)
        full[ok] = codes
        codes = full
    if not dictionary:
        return None, codes
    # the first rows' bytes, part by part (the parts are views of the Arrow buffers)
    cuts = np.cumsum([len(x) for x in mats])
    part = np.searchsorted(cuts, rows, side="right")
    starts = cuts - np.array([len(x) for x in mats])
    data = np.concatenate([mats[i][rows[part == i] - starts[i]] for i in range(len(mats))]) if len(rows) \
        else np.zeros((0, w), np.uint8)
    otype = np.int64 if pa.types.is_large_string(typ) else np.int32
    offsets = np.arange(len(rows) + 1, dtype=otype) * w
    return pa.Array.from_buffers(typ, len(rows), [None, pa.py_buffer(offsets),
                                                  pa.py_buffer(np.ascontiguousarray(data))]), codes


def first_appearance(codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes among ``k`` keys renumbered by first appearance in ``codes`` (what
    ``pd.factorize`` of the rows gives; -1 stays -1), and the old code of each new one.
    For the codes of a table's kept rows after a quarantine: numpy on the codes, no hashing."""
    n = len(codes)
    first = np.full(k + 1, n, dtype=np.int64)          # slot k collects the -1s
    np.minimum.at(first, codes, np.arange(n, dtype=np.int64))
    used = np.flatnonzero(first[:k] < n)
    order = used[np.argsort(first[used], kind="stable")]
    remap = np.full(k + 1, -1, dtype=np.int64)
    remap[order] = np.arange(len(order), dtype=np.int64)
    return remap[codes], order


def string_chunks(s: pd.Series) -> list | None:
    """The Arrow chunks (string / large_string) behind ``s``, or None when it is not Arrow text."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None:
        return None
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return chunks


def _buffers(arr) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array as numpy views (offsets has len(arr) + 1 entries)."""
    otype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=otype, count=len(arr) + 1,
                            offset=arr.offset * np.dtype(otype).itemsize).astype(np.int64, copy=False)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets, data


def _arabic_or_cr(body: np.ndarray) -> np.ndarray:
    """Positions in the UTF-8 bytes ``body`` where a ي ى ك or a \r starts.  Scanned in
    256 KB blocks so the temporaries stay in cache; a second byte 8A/89/83 counts only
    after a D9 lead byte (elsewhere it belongs to another letter)."""
    block = 1 << 18
    found = []
    for at in range(0, len(body), block):
        b = body[at:at + block]
        m = b == 0x0D
        for second in _ARABIC_SECOND:
            m |= b == second
        if m.any():
            found.append(np.flatnonzero(m) + at)
    if not found:
        return np.zeros(0, dtype=np.int64)
    cand = np.concatenate(found)
    lead = body[np.maximum(cand - 1, 0)]
    return cand[(body[cand] == 0x0D) | ((cand > 0) & (lead == 0xD9))]


def _is_space(b: np.ndarray) -> np.ndarray:
    """``_SPACE[b]`` for uint8 bytes with comparisons (\t \n \f \r: 9-13 but not 11 (\v); space):
    a table lookup first widens the uint8 indices to int64, ~5x slower."""
    return (((b - np.uint8(9)) <= 4) & (b != 11)) | (b == 32)


def _chunk_mask(arr, kind: str) -> np.ndarray:
    offsets, data = _buffers(arr)
    start, end = offsets[:-1], offsets[1:]
    hit = end == start                       # empty strings (and missing cells: cleared below)
    if len(data) and offsets[-1] > offsets[0]:
        # first and last byte of each string; an empty string reads a neighbour's byte, but it is
        # a hit anyway (offsets only grow: the bounds are clipped only when one can be outside)
        first = start if offsets[-2] < len(data) else np.minimum(start, len(data) - 1)
        hit |= _is_space(data[first])
        last = end - 1
        if offsets[1] < 1:
            np.maximum(last, 0, out=last)
        hit |= _is_space(data[last])
        body = data[offsets[0]:offsets[-1]]
        if kind == ID:
            # Persian / Arabic-Indic digits are not ASCII: the regex runs on the non-ASCII rows only
            if body.max() >= 0x80:
                ascii_ = np.asarray(pc.string_is_ascii(arr).fill_null(True).to_numpy(zero_copy_only=False),
                                    dtype=bool)
                odd = np.flatnonzero(~ascii_ & ~hit)
                if len(odd):
                    sub = pc.match_substring_regex(arr.take(pa.array(odd)), "[۰-۹٠-٩]")
                    hit[odd[np.asarray(sub.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)]] = True
        else:
            pos = _arabic_or_cr(body)
            if len(pos):
                hit[np.searchsorted(offsets, pos + offsets[0], side="right") - 1] = True
    if arr.null_count:
        hit &= np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    return hit


def cleaning_mask(s: pd.Series, kind: str) -> np.ndarray:
    """Rows of the text column ``s`` that ``_clean_text`` changes: empty, starting or
    ending with whitespace, or holding a Persian/Arabic digit (``kind == ID``) or an
    Arabic ي ى ك or a carriage return (other kinds).  Missing cells are False.
    Same answer as ``s.str.contains(PATTERNS[kind], regex=True, na=False)``."""
    pattern = PATTERNS[ID if kind == ID else "text"]
    chunks = string_chunks(s)
    if chunks is None:
        return s.str.contains(pattern, regex=True, na=False).to_numpy(dtype=bool)
    if not chunks:
        return np.zeros(0, dtype=bool)
    return np.concatenate([_chunk_mask(c, kind) for c in chunks])


def fix_arabic(s: pd.Series) -> pd.Series:
    """``insight.persian.fix_arabic_chars`` (ي ى -> ی, ك -> ک) with Arrow's C++
    ``replace_substring``; Python's ``str.translate`` costs ~20 µs per long review."""
    chunks = string_chunks(s)
    if chunks is None:
        from insight.persian import fix_arabic_chars
        return fix_arabic_chars(s)
    arr = pa.chunked_array(chunks, type=chunks[0].type) if chunks else s.array._pa_array
    for src, dst in _ARABIC_CHARS.items():
        arr = pc.replace_substring(arr, chr(src), dst)
    return pd.Series(pd.arrays.ArrowStringArray(arr, dtype=s.dtype), index=s.index, name=s.name)


def with_rows(s: pd.Series, mask: np.ndarray, new: pd.Series) -> pd.Series:
    """``s`` with the rows under ``mask`` replaced by ``new`` (one value per True, in
    order); what ``out = s.copy(); out[mask] = new`` gives, without pandas' masked setitem.
    Chunk by chunk with Arrow's ``replace_with_mask`` (a long text column is not copied whole)."""
    chunks, nchunks = string_chunks(s), string_chunks(new)
    if chunks is None or nchunks is None or not chunks:
        out = s.copy()
        out[mask] = new
        return out
    typ = chunks[0].type
    rep = pa.chunked_array(nchunks, type=typ) if nchunks else pa.chunked_array([], type=typ)
    mask = np.asarray(mask, dtype=bool)
    parts, at, used = [], 0, 0
    for ch in chunks:
        m = mask[at:at + len(ch)]
        k = int(m.sum())
        parts.append(pc.replace_with_mask(ch, pa.array(m), rep.slice(used, k).combine_chunks().cast(typ))
                     if k else ch)
        at, used = at + len(ch), used + k
    out = pa.chunked_array(parts, type=typ)
    return pd.Series(pd.arrays.ArrowStringArray(out, dtype=s.dtype), index=s.index, name=s.name)
