"""The contract's row checks, as boolean masks over whole columns.

Each check adds an ``Issue`` (mask + reason) to the table's ``Issues``; the
quarantine is the union of the masks, and a row with several problems gets
every reason joined by ``"; "``.  Measured at 1M order lines the checks take
a small fraction of the load (they are numpy comparisons and ``isin``), so no
row-level schema library runs in the hot path; ``pandera_schema`` gives the
same contract as a pandera ``DataFrameSchema`` (columns, dtypes, ranges) for
anyone who wants to validate a frame they built themselves.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight.contract import DATE, MONEY, NUM, TABLES, dtype_for
from insight.data.arrowtext import _encode_fixed, encode
from insight.data.parse import Issues, text_at

#: value ranges (inclusive) of score columns; ``ces`` upper bound is the dataset's scale
RANGES = {"rating": (1, 5), "nps": (0, 10), "csat": (1, 5), "csat_after": (1, 5), "ces": (1, None)}
NON_NEGATIVE = ("quantity", "unit_price", "price", "refund_amount", "contacts")
#: values above these are implausible for one row
ABSURD = {"quantity": 10_000, "contacts": 1_000}
#: dates that may legitimately lie in the future
FUTURE_OK = ("promised_date",)
EARLIEST = pd.Timestamp("1900-01-01")
#: (later, earlier) date pairs within one row, compared by calendar day
ORDERED = {"orders": [("delivered_date", "order_date"), ("promised_date", "order_date")],
           "complaints": [("resolved_at", "opened_at")]}
#: child column -> parent table (checked when the parent table is loaded)
REFERENCES = {
    "orders": {"customer_id": "customers", "product_id": "products"},
    "returns": {"order_id": "orders", "customer_id": "customers", "product_id": "products"},
    "complaints": {"customer_id": "customers", "order_id": "orders"},
    "reviews": {"customer_id": "customers", "order_id": "orders", "product_id": "products"},
    "surveys": {"customer_id": "customers"},
}
PARENT_KEY = {"customers": "customer_id", "products": "product_id", "orders": "order_id"}


def isin(values: pd.Series, keys) -> np.ndarray:
    """``values.isin(keys)`` for text columns via pyarrow (pandas' isin on str is ~10x slower)."""
    try:
        arr = values.array._pa_array
        if isinstance(keys, (pa.Array, pa.ChunkedArray)):
            ks = keys
        elif isinstance(keys, pd.Series):
            ks = keys.array._pa_array
        else:
            ks = pa.array(np.asarray(keys, dtype=object))
        fixed = _isin_fixed(arr, ks)
        if fixed is not None:
            return fixed
        if isinstance(ks, pa.ChunkedArray):
            ks = ks.combine_chunks()
        return np.asarray(pc.is_in(arr, value_set=ks).to_numpy(zero_copy_only=False), dtype=bool)
    except (AttributeError, pa.ArrowException):
        if isinstance(keys, (pa.Array, pa.ChunkedArray)):
            keys = keys.to_pylist()
        return values.isin(keys).to_numpy()


def _isin_fixed(arr, ks) -> np.ndarray | None:
    """``is_in`` for short ids of one byte length (``arrowtext._encode_fixed``): keys and
    values numbered together without hashing; a value is in when a key has its number.
    None when that path does not apply (then Arrow's ``is_in``)."""
    text = (pa.types.is_string, pa.types.is_large_string)
    if ks.null_count or not any(t(arr.type) for t in text) or not any(t(ks.type) for t in text):
        return None
    if arr.type != ks.type:
        arr = arr.cast(ks.type)
    chunks = [c for a in (ks, arr) for c in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
    res = _encode_fixed(chunks, ks.type, dictionary=False)
    if res is None:
        return None
    codes = res[1]
    mark = np.zeros(int(codes.max(initial=-1)) + 2, dtype=bool)   # last slot: code -1 (missing value)
    mark[codes[:len(ks)]] = True
    return mark[codes[len(ks):]]


def isin_many(columns: list[pd.Series], keys) -> list[np.ndarray]:
    """``isin(c, keys)`` for each column, with one Arrow ``is_in`` over all of them when
    they are Arrow strings of one type: ``is_in`` hashes its value set on every call
    (~12 ms for 200k customer ids), so one parent's children are looked up together."""
    arrs = [getattr(c.array, "_pa_array", None) for c in columns]
    if len(columns) > 1 and all(a is not None for a in arrs) and len({a.type for a in arrs}) == 1:
        chunks = [ch for a in arrs for ch in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
        both = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=arrs[0].type)
                                                    .cast(pa.large_string())))
        return np.split(isin(both, keys), np.cumsum([len(c) for c in columns])[:-1])
    return [isin(c, keys) for c in columns]


_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9


def _ns(s) -> np.ndarray:
    """Datetimes as int64 nanoseconds (NaT -> int64 min)."""
    return np.asarray(s, dtype="datetime64[ns]").view(np.int64)


def _day_before(a, b) -> np.ndarray:
    """``a.dt.normalize() < b.dt.normalize()`` (False where either is NaT) on int64
    nanoseconds: an earlier day is an earlier time, so day numbers are computed only
    for the (few) rows where ``a < b`` (pandas' normalize costs ~8 ms per million dates)."""
    na, nb = _ns(a), _ns(b)
    rows = np.flatnonzero((na < nb) & (na != _NAT))        # NaT in b is int64 min: never above a
    out = np.zeros(len(na), dtype=bool)
    out[rows] = na[rows] // _DAY_NS < nb[rows] // _DAY_NS
    return out


def check_values(table: str, df: pd.DataFrame, raw: dict, issues: Issues, *, today: pd.Timestamp,
                 ces_scale: int) -> None:
    """Ranges, signs, implausible sizes, dates in the future / before 1900, date order."""
    kinds = {c.name: c.kind for c in TABLES[table][1]}
    for col, (lo, hi) in RANGES.items():
        if col in df and kinds.get(col) == NUM:
            hi = ces_scale if col == "ces" else hi
            v = df[col]
            bad = ((v < lo) | (v > hi)).to_numpy()
            issues.add(bad, col, f"outside {lo}-{hi}", raw.get(col, v))
    for col in NON_NEGATIVE:
        if col in df and col in kinds:
            v = df[col]
            issues.add((v < 0).to_numpy(), col, "negative", raw.get(col, v))
    for col, limit in ABSURD.items():
        if col in df and col in kinds:
            v = df[col]
            issues.add((v > limit).to_numpy(), col, f"implausibly large (> {limit:,})",
                       raw.get(col, v))
    end_of_today = today.normalize() + pd.Timedelta(days=1)
    for col, kind in kinds.items():
        if kind != DATE:
            continue
        v = df[col]
        txt = raw.get(col)
        if v.dtype == "datetime64[ns]":   # int64 comparisons; NaT (int64 min) is below every bound
            ns = _ns(v)
            if col not in FUTURE_OK:
                issues.add(ns >= end_of_today.value, col, f"after today ({today:%Y-%m-%d})", txt)
            issues.add((ns < EARLIEST.value) & (ns != _NAT), col, "before 1900", txt)
            continue
        if col not in FUTURE_OK:
            issues.add((v >= end_of_today).to_numpy(), col, f"after today ({today:%Y-%m-%d})", txt)
        issues.add((v < EARLIEST).to_numpy(), col, "before 1900", txt)
    for later, earlier in ORDERED.get(table, []):
        a, b = df[later], df[earlier]
        bad = _day_before(a, b)
        if bad.any():
            vals = np.full(len(df), "", dtype=object)
            vals[bad] = (a[bad].dt.strftime("%Y-%m-%d").astype(object) + f" < {earlier} "
                         + b[bad].dt.strftime("%Y-%m-%d").astype(object)).to_numpy(dtype=object)
            issues.add(bad, later, f"before {earlier}", vals)


def check_duplicates(table: str, df: pd.DataFrame, issues: Issues, source_row: np.ndarray,
                     codes: np.ndarray | None = None) -> None:
    """Repeated primary keys: the first valid row is kept, later ones quarantined.
    ``codes``: the primary key's ``key_index`` codes when already computed (the
    hashing is the costly part; the rest is numpy on the codes)."""
    pk = TABLES[table][0]
    if not pk:
        return
    ok = ~issues.bad() & df[pk].notna().to_numpy()
    if not ok.any():
        return
    if codes is None:
        _, codes = key_index(df[pk])
    rows = np.flatnonzero(ok)
    first = np.full(int(codes[rows].max()) + 1, len(df), dtype=np.int64)
    np.minimum.at(first, codes[rows], rows)         # each key's first valid row
    dup = np.zeros(len(df), dtype=bool)
    dup[rows] = first[codes[rows]] < rows
    if dup.any():
        firsts = np.asarray(source_row)[first[codes[dup]]]
        vals = np.full(len(df), "", dtype=object)
        vals[dup] = (df[pk][dup].astype(object) + " (first on line "
                     + pd.Series(firsts, index=df.index[dup]).astype(int).astype(str).astype(object) + ")").to_numpy()
        issues.add(dup, pk, "duplicate", vals)


def key_index(s: pd.Series):
    """The distinct non-missing values of ``s`` (in order of first appearance; an Arrow
    array when ``s`` is Arrow text) and each row's position among them (-1: missing).
    One Arrow ``dictionary_encode``: the positions cost nothing more than the keys."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is not None:
        try:
            return encode(arr)
        except pa.ArrowException:  # pragma: no cover - not plain strings
            pass
    codes, uniq = pd.factorize(s)
    return uniq, np.asarray(codes, dtype=np.int64)


def isin_encoded(values: pd.Series, keys) -> tuple[np.ndarray, tuple | None]:
    """``isin(values, keys)`` and ``key_index(values)`` from one hashing of ``values``:
    the column is dictionary-encoded and only its distinct values are looked up in
    ``keys`` (200k distinct customer ids instead of 1M order lines), so the codes the
    analyses need (``insight._events.codes``) come with the check.  The second item is
    ``(distinct values, codes)``, or None when ``values`` is not Arrow text (plain ``isin``)."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        try:
            dictionary, codes = encode(arr)
            inside = np.append(isin(pd.Series(pd.arrays.ArrowStringArray(dictionary)), keys), False)
            return inside[codes], (dictionary, codes)   # code -1 (missing) -> the appended False
        except pa.ArrowException:  # pragma: no cover - not plain strings
            pass
    return isin(values, keys), None


def positions(values: pd.Series, keys) -> np.ndarray:
    """Position of each value among the distinct ``keys`` (from ``key_index``); -1 when absent or missing."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and isinstance(keys, (pa.Array, pa.ChunkedArray)):
        try:
            pos = pc.index_in(arr, value_set=keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys)
            return np.asarray(pos.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        except pa.ArrowException:
            pass
    keys = keys.to_pylist() if isinstance(keys, (pa.Array, pa.ChunkedArray)) else keys
    pos = pd.Index(keys).get_indexer(values)
    return np.where(values.notna().to_numpy(), pos, -1).astype(np.int64)


def key_positions(keys_col: pd.Series, others: list[pd.Series]):
    """``key_index(keys_col)`` and, for each Series in ``others``, the position of its
    values among those keys (-1: absent or missing), from one Arrow ``dictionary_encode``
    over all of them.  The keys come first, so they take codes 0..k-1 and a value found
    nowhere among them a code >= k: the parent's ids are hashed once, not once to list
    them and again as a lookup set (~0.07 s per million order ids each)."""
    arrs = [getattr(s.array, "_pa_array", None) for s in [keys_col, *others]]
    if all(a is not None for a in arrs) and len({a.type for a in arrs}) == 1:
        try:
            chunks = [ch for a in arrs for ch in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
            dictionary, codes = encode(pa.chunked_array(chunks, type=arrs[0].type))
            n = len(keys_col)
            k = int(codes[:n].max()) + 1 if n else 0
            rest = codes[n:]
            rest = np.where(rest < k, rest, -1)
            cuts = np.cumsum([len(o) for o in others])[:-1]
            return dictionary.slice(0, k), codes[:n], np.split(rest, cuts) if len(others) else []
        except pa.ArrowException:  # pragma: no cover - not plain strings
            pass
    keys, codes = key_index(keys_col)
    return keys, codes, [positions(o, keys) for o in others]


def check_references(table: str, df: pd.DataFrame, issues: Issues, parents: dict[str, pd.Series],
                     found: dict | None = None) -> None:
    """Ids that must exist in a loaded parent table (customers, products, orders).
    ``found``: ``(table, column) -> mask of the values present in the parent`` when
    already looked up (``isin`` / ``key_positions``), else looked up here."""
    for col, parent in REFERENCES.get(table, {}).items():
        keys = parents.get(parent)
        if keys is None or col not in df:
            continue
        v = df[col]
        hit = found[(table, col)] if found is not None and (table, col) in found else isin(v, keys)
        bad = v.notna().to_numpy() & ~hit
        issues.add(bad, col, f"not in {parent}", v)


def check_return_dates(df: pd.DataFrame, issues: Issues, orders: pd.DataFrame | None,
                       order_pos: np.ndarray | None = None, order_codes: np.ndarray | None = None) -> None:
    """A return cannot precede the (first) order date of its order.

    ``order_pos`` (each return's position in the distinct order ids, -1: none) and
    ``order_codes`` (each order line's position in them), from ``key_positions``,
    spare hashing the order ids again; without them the orders are looked up here."""
    if orders is None or len(df) == 0:
        return
    if order_pos is None or order_codes is None:
        keys, order_codes = key_index(orders["order_id"])
        order_pos = positions(df["order_id"], keys)
    dates = np.asarray(orders["order_date"], dtype="datetime64[ns]").view(np.int64)
    first = np.full(int(order_codes.max()) + 1 if len(order_codes) else 0, np.iinfo(np.int64).max)
    needed = np.zeros(len(first) + 1, dtype=bool)   # only the orders some return names (last slot: -1)
    needed[order_pos[order_pos >= 0]] = True
    rows = np.flatnonzero(needed[order_codes] & (dates != _NAT))
    np.minimum.at(first, order_codes[rows], dates[rows])
    first[first == np.iinfo(np.int64).max] = _NAT
    od_ns = np.where(order_pos >= 0, first[np.maximum(order_pos, 0)] if len(first) else _NAT, _NAT)
    od = pd.Series(od_ns.view("datetime64[ns]"), index=df.index)
    bad = _day_before(df["return_date"], od)
    if bad.any():
        vals = np.full(len(df), "", dtype=object)
        vals[bad] = (df["return_date"][bad].dt.strftime("%Y-%m-%d").astype(object) + " < order_date "
                     + od[bad].dt.strftime("%Y-%m-%d").astype(object)).to_numpy(dtype=object)
        issues.add(bad, "return_date", "before order_date", vals)


def reasons(issues: Issues, rows: np.ndarray) -> np.ndarray:
    """'; '-joined reasons for the positions ``rows`` (quarantined rows only)."""
    out = np.full(len(rows), "", dtype=object)
    for it in issues.items:
        if not it.quarantine:
            continue
        hit = it.mask[rows]
        if not hit.any():
            continue
        label = f"{it.column}: {it.label}"
        if it.values is not None:
            vals = text_at(it.values, rows[hit])
            text = np.where(vals != "", label + " '" + vals.astype(str).astype(object) + "'", label)
        else:
            text = np.full(int(hit.sum()), label, dtype=object)
        cur = out[hit]
        out[hit] = np.where(cur == "", text, cur + "; " + text)
    return out


def summarize(issues: Issues, source_row: np.ndarray) -> list[str]:
    """One line per problem: count, column, what, an example and its line."""
    lines = []
    for it in issues.items:
        n = int(it.mask.sum())
        first = int(np.flatnonzero(it.mask)[0])
        ex = ""
        val = text_at(it.values, np.array([first]))[0]
        if val != "":
            ex = f" e.g. '{val}'"
        action = "quarantined" if it.quarantine else "kept"
        lines.append(f"{it.column}: {it.label} — {n:,} row{'s' if n != 1 else ''} {action}"
                     f"{ex} (line {int(source_row[first])})")
    return lines + list(issues.notes)


def pandera_schema(table: str, ces_scale: int = 5):
    """The contract of ``table`` as a pandera ``DataFrameSchema`` (dtypes, ranges,
    non-negative amounts, unique primary key).  Imported lazily: pandera's import
    costs ~1 s.  ``insight.data.load`` output always passes it."""
    import warnings
    with warnings.catch_warnings():   # pandera imports pyspark's pandas shim when installed
        warnings.simplefilter("ignore", FutureWarning)
        import pandera.pandas as pa

    pk = TABLES[table][0]
    columns = {}
    for c in TABLES[table][1]:
        checks = []
        if c.name in RANGES:
            lo, hi = RANGES[c.name]
            checks.append(pa.Check.in_range(lo, ces_scale if c.name == "ces" else hi))
        if c.name in NON_NEGATIVE:
            checks.append(pa.Check.ge(0))
        if c.name in ABSURD:
            checks.append(pa.Check.le(ABSURD[c.name]))
        nullable = not (c.required and c.kind in ("id", DATE, MONEY, NUM))
        columns[c.name] = pa.Column(dtype_for(c.kind), checks=checks, nullable=nullable,
                                    unique=(c.name == pk), required=True)
    return pa.DataFrameSchema(columns, strict=False, coerce=False)
