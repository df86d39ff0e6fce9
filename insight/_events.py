"""Private helpers shared by complaints / returns / delivery / followup:
order-level views of the order-line table and "did the customer order again
within N days", on integer codes (string ids are factorized once per frame and
column, see :func:`codes`; no per-customer loops, no merges on string keys)."""
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
    fp = _fingerprint(s)
    hit = _CODES.get(key)
    if hit is not None and hit[0]() is frame and hit[1][0] == fp[0] and hit[1][1] is fp[1]:
        _CODES.move_to_end(key)
        return hit[2], hit[3]
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


def lookup(values, uniques: pd.Index) -> np.ndarray:
    """Position of each value in ``uniques`` (-1 = absent or missing), like
    ``uniques.get_indexer(values)``; Arrow's hash lookup when both are Arrow strings
    (several times faster than pandas' on 1M pyarrow-backed ids)."""
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
    so looking several columns up in the same ``uniques`` at once hashes it once."""
    values_list = list(values_list)
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


def group_first(values: pd.Series, g: np.ndarray, n_groups: int) -> pd.Series:
    """First non-missing value of ``values`` per group code ``g`` (-1 = no group), like
    ``groupby(...).first()``; groups without a value get NA.  Keeps the dtype."""
    n = len(values)
    valid = (g >= 0) & values.notna().to_numpy()
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


def order_level(orders: pd.DataFrame, extra=()) -> pd.DataFrame:
    """One row per order_id: customer_id, order_date (first), promised_date and
    delivered_date (latest line), status (cancelled/backordered only when every line
    is), and the first value of each ``extra`` column."""
    need(orders, ["order_id", "customer_id", "order_date"], "orders")
    g, oids = codes(orders, "order_id")
    ng = len(oids)
    out = {"order_id": pd.Series(oids, copy=False).reset_index(drop=True),
           "customer_id": group_first(orders["customer_id"], g, ng),
           "order_date": _as_dates(group_min_max(ns_int(orders["order_date"]), g, ng, "min"),
                                   orders["order_date"])}
    for c in ("promised_date", "delivered_date"):
        if c in orders.columns:
            out[c] = _as_dates(group_min_max(ns_int(orders[c]), g, ng, "max"), orders[c])
    for c in extra:
        if c in orders.columns and c not in out:
            out[c] = group_first(orders[c], g, ng)
    o = pd.DataFrame(out)
    if "status" in orders.columns:
        sc, su = codes(orders, "status")
        low = pd.Index(su).astype("str").str.lower()
        keep = g >= 0
        gk, sk = g[keep], sc[keep]
        def per_group(value):
            flag = np.r_[np.asarray(low == value, dtype=np.float64), 0.0][sk]  # -1 (NaN) -> 0
            return np.bincount(gk, weights=flag, minlength=ng)
        size = np.bincount(gk, minlength=ng)
        d_any, c_n, b_any = per_group("delivered") > 0, per_group("cancelled"), per_group("backordered") > 0
        which = np.select([d_any, c_n == size, b_any], [0, 1, 2], default=-1)
        labels = pd.array(["delivered", "cancelled", "backordered"], dtype="str")
        o["status"] = pd.Series(labels.take(which, allow_fill=True))
    return o


def delivered_orders(orders: pd.DataFrame, extra=()) -> pd.DataFrame:
    """Order-level rows that were delivered: delivered_date present and status (when
    given) not cancelled/backordered."""
    o = order_level(orders, extra)
    if "delivered_date" not in o.columns:
        raise KeyError("orders: delivered_date is needed for delivery analysis")
    keep = o["delivered_date"].notna()
    if "status" in o.columns:
        keep &= ~o["status"].isin(["cancelled", "backordered"])
    return o[keep].reset_index(drop=True)


def next_order_within(anchors: pd.DataFrame, orders: pd.DataFrame, window_days: float, *,
                      anchor: str = "anchor_date", as_of=None) -> pd.DataFrame:
    """For each anchor row (customer_id, ``anchor``) find the customer's first order
    placed strictly after the anchor.  Adds ``next_order_date``, ``repurchased``
    (next order within ``window_days`` days) and ``observed`` (the whole window lies
    before ``as_of``, default the last order date).  Rows keep the anchors' order."""
    need(orders, ["customer_id", "order_date"], "orders")
    as_of = pd.Timestamp(as_of) if as_of is not None else orders["order_date"].max()
    cc, cu = codes(orders, "customer_id")
    ot = ns_int(orders["order_date"])
    keep = (cc >= 0) & (ot != _NAT)
    oc, ot = cc[keep], ot[keep]
    a = anchors.reset_index(drop=True)
    at = ns_int(a[anchor])
    ac = lookup(a["customer_id"], cu) if len(cu) else np.full(len(a), -1)
    look = np.flatnonzero((ac >= 0) & (at != _NAT))
    nxt = np.full(len(a), _NAT, dtype=np.int64)
    if len(look) and len(ot):
        # (customer, time) pairs as one int64 key: customer code * R + dense time rank
        times, inv = np.unique(np.concatenate([ot, at[look]]), return_inverse=True)
        r = np.int64(len(times))
        ko = oc * r + inv[:len(ot)]
        srt = np.argsort(ko, kind="stable")
        ko, ot_s = ko[srt], ot[srt]
        ka = ac[look] * r + inv[len(ot):]
        pos = np.searchsorted(ko, ka, side="right")      # first order strictly after
        hit = pos < len(ko)
        hit[hit] &= (ko[pos[hit]] // r) == ac[look][hit]  # ... of the same customer
        nxt[look[hit]] = ot_s[pos[hit]]
    win = pd.Timedelta(days=window_days).value
    has_t, has_n = at != _NAT, nxt != _NAT
    out = a.drop(columns=[anchor])
    out[anchor] = at.view("datetime64[ns]")
    out["next_order_date"] = nxt.view("datetime64[ns]")
    out["repurchased"] = has_t & has_n & ((nxt - np.where(has_t, at, 0)) <= win)
    if pd.isna(as_of):
        out["observed"] = np.zeros(len(a), bool)
    else:
        lim = pd.Timestamp(as_of).as_unit("ns").value
        out["observed"] = has_t & (np.where(has_t, at, 0) <= lim - win)
    return out
