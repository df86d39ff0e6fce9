"""Customer-journey analysis: the order table, event log, transitions, path variants
and stage times.  Retention and outcomes (Jalali cohorts, first experience, time to
the next order, the repurchase model) live in :mod:`insight.retention`.

Event vocabulary (``EVENTS``, in tie-break order for events at the same instant)::

    order_placed        the customer's first order (order-level, earliest line)
    next_order          every later order of the customer
    delivered_on_time   delivered_date <= promised_date (calendar days), or no promise known
    delivered_late      delivered_date  > promised_date
    return              a returned line (return_date)
    complaint_opened    a ticket (opened_at)
    complaint_resolved  the ticket's resolved_at
    review              a review (created_at)
    survey              a survey answer (submitted_at)
    churned             no order for ``churn_days`` after the customer's last order,
                        stamped at last order + churn_days (only when that is <= as_of)

Everything is vectorized: one frame per source table, concatenated, customer
ids factorized once and the log sorted on one integer key (customer, time, event).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insight import _events as _ev
from insight import stats as _stats

EVENTS: tuple[str, ...] = (
    "order_placed", "next_order", "delivered_on_time", "delivered_late", "return",
    "complaint_opened", "complaint_resolved", "review", "survey", "churned",
)
EVENTS_FA: dict[str, str] = {
    "order_placed": "ثبت سفارش", "next_order": "سفارش بعدی", "delivered_on_time": "تحویل به‌موقع",
    "delivered_late": "تحویل با تأخیر", "return": "مرجوعی", "complaint_opened": "ثبت شکایت",
    "complaint_resolved": "حل شکایت", "review": "نظر", "survey": "نظرسنجی", "churned": "ریزش",
}
START, END = "(start)", "(end)"
_NS_DAY = 86_400 * 10 ** 9


# --------------------------------------------------------------------------- helpers
def _need(df, cols, table):
    if df is None:
        raise ValueError(f"the {table} table is needed here but was not given")
    miss = [c for c in cols if c not in df.columns]
    if miss:
        raise ValueError(f"{table} needs column(s) {miss}; has {list(df.columns)}")
    return df


def _ns(s) -> np.ndarray:
    """datetime-like -> int64 nanoseconds (NaT -> int64 min)."""
    if getattr(s, "dtype", None) is not None and getattr(s.dtype, "kind", "") == "M" and getattr(s.dtype, "tz", None) is None:
        return np.asarray(s, dtype="datetime64[ns]").view(np.int64)
    return np.asarray(pd.to_datetime(s, cache=False), dtype="datetime64[ns]").view(np.int64)


_NAT = np.iinfo(np.int64).min
_LOOKED_MAX = 8   # id lookups kept per order table and id column (OrderTable.lookup)


@dataclass(frozen=True, eq=False)
class OrderTable:
    """Order-level arrays (one row per order), sorted by customer then date.

    The ids are kept as Arrow-backed indexes (:meth:`order_index`, :meth:`customer_index`);
    ``order_id`` and ``customers`` (numpy object arrays of the same ids) are made on first
    use: 0.6M Python strings cost ~0.05 s and most analyses only need the codes."""
    cust: np.ndarray          # customer code (into ``customers``)
    date: np.ndarray          # int64 ns
    promised: np.ndarray      # int64 ns (NaT = min int)
    delivered: np.ndarray     # int64 ns
    value: np.ndarray
    seq: np.ndarray           # 0 = first order of the customer
    next_date: np.ndarray     # next order date of the same customer (NaT when none)
    _idx: dict = field(default_factory=dict, repr=False)

    @property
    def order_id(self) -> np.ndarray:
        """Order ids (str objects), one per row."""
        if "order_id" not in self._idx:
            self._idx["order_id"] = np.asarray(self.order_index(), dtype=object)
        return self._idx["order_id"]

    @property
    def customers(self) -> np.ndarray:
        """Customer ids (str objects), sorted; ``cust`` codes index them."""
        if "customers" not in self._idx:
            self._idx["customers"] = np.asarray(self.customer_index(), dtype=object)
        return self._idx["customers"]

    @property
    def n_customers(self) -> int:
        """``len(self.customers)`` without making the id strings."""
        return len(self.customer_index())

    def order_index(self) -> pd.Index:
        """pd.Index of order ids (the Arrow strings of the orders frame)."""
        return self._idx["o"]

    def customer_index(self) -> pd.Index:
        return self._idx["c"]

    def lookup(self, values_list, col: str) -> list[np.ndarray]:
        """Position of each value of each Series in ``values_list`` in the order ids
        (``col="order_id"``, rows of this table) or the customer ids (``"customer_id"``,
        customer codes); -1 = unknown or missing: :func:`insight._events.lookup_many`
        in :meth:`order_index` / :meth:`customer_index` (whose short-id matchers it
        keeps while this table lives).

        Results for Arrow-backed values are kept with the table (the last
        ``_LOOKED_MAX`` per column, read-only; Arrow arrays are immutable, so the array's
        identity names the values): the analyses of one report look up the same
        returns / complaints / reviews ids again (event log, first experience, claims)."""
        idx = self.order_index() if col == "order_id" else self.customer_index()
        values_list = list(values_list)
        kept = self._idx.setdefault(("looked", col), {})
        arrs = [_ev._arrow_text(v) for v in values_list]
        out = [None] * len(values_list)
        for i, a in enumerate(arrs):
            hit = kept.get(id(a)) if a is not None else None
            if hit is not None and hit[0] is a:
                out[i] = hit[1]
        todo = [i for i, r in enumerate(out) if r is None]
        if todo or not values_list:
            for i, r in zip(todo, _ev.lookup_many([values_list[i] for i in todo], idx)):
                out[i] = r
                if arrs[i] is not None:
                    r.setflags(write=False)
                    kept.pop(id(arrs[i]), None)        # (re-inserted last: oldest first out)
                    kept[id(arrs[i])] = (arrs[i], r)   # (holds the array: its id stays its own)
                    while len(kept) > _LOOKED_MAX:
                        kept.pop(next(iter(kept)))
        return out

    def frame(self) -> pd.DataFrame:
        nat = lambda a: pd.to_datetime(np.where(a == _NAT, np.datetime64("NaT", "ns"), a.astype("datetime64[ns]")))
        return pd.DataFrame({
            "order_id": pd.array(self.order_id, dtype="str"),
            "customer_id": pd.array(self.customers[self.cust], dtype="str"),
            "order_date": self.date.astype("datetime64[ns]"),
            "promised_date": nat(self.promised), "delivered_date": nat(self.delivered),
            "value": self.value, "seq": self.seq, "next_order_date": nat(self.next_date)})


_CACHE: dict | None = None


class order_cache:
    """Within ``with order_cache():`` :func:`order_table` is computed once per
    orders frame (the frame must not be modified inside the block)."""

    def __enter__(self):
        global _CACHE
        self._outer = _CACHE
        if _CACHE is None:
            _CACHE = {}
        return self

    def __exit__(self, *exc):
        global _CACHE
        _CACHE = self._outer
        return False


#: process-wide: id(orders) -> (weakref to the frame, fingerprint of the used columns, OrderTable)
_TABLES: dict = {}
_TABLES_MAX = 4
_OT_COLS = ("order_id", "customer_id", "status", "order_date", "promised_date", "delivered_date",
            "quantity", "unit_price")


def _ot_fingerprint(orders: pd.DataFrame):
    """Changes when a column the order table reads is replaced or edited in place
    (:func:`insight._events._content_fp`: Arrow (str) columns are immutable, so their
    array identity is enough; numpy columns get two wrapping sums of their integer view,
    which any single edited value changes).  None when a column cannot be checked
    cheaply (then the table is not kept)."""
    return _ev.frame_fp(orders, _OT_COLS)


def order_table(orders: pd.DataFrame, customers=None) -> OrderTable:
    """Collapse order lines to orders (cancelled lines dropped when ``status`` is given).

    ``customers``: an array of customer ids to code against; by default the
    sorted unique ids of ``orders``.  The default table is kept per orders frame
    for the life of the process (several analyses of one report need it, with its
    id lookups: see :meth:`OrderTable.lookup`, prepared here) and rebuilt when a
    column it reads is replaced or edited; the returned arrays are shared, do not
    modify them.
    """
    if customers is not None:
        return _order_table(orders, customers)
    if _CACHE is not None:
        hit = _CACHE.get(id(orders))
        if hit is not None and hit[0] is orders:
            return hit[1]
    fp = _ot_fingerprint(orders)
    hit = _TABLES.get(id(orders))
    if hit is not None and fp is not None and hit[0]() is orders and _ev._same_fp(hit[1], fp):
        ot = hit[2]
    else:
        ot = _order_table(orders, None)
        ot.lookup([], "order_id")      # build the id matchers now, shared by later analyses
        ot.lookup([], "customer_id")
        _late(ot)                      # (as are the late flag and the first orders' rows)
        _first_rows(ot)
        try:
            ref = weakref.ref(orders)
        except TypeError:
            ref = None
        if ref is not None and fp is not None:
            _TABLES[id(orders)] = (ref, fp, ot)
            while len(_TABLES) > _TABLES_MAX:
                _TABLES.pop(next(iter(_TABLES)))
    if _CACHE is not None:
        _CACHE[id(orders)] = (orders, ot)
    return ot


def _order_table(orders: pd.DataFrame, customers=None) -> OrderTable:
    _need(orders, ["order_id", "customer_id", "order_date"], "orders")
    # string ids are factorized once per frame (insight._events.codes, cached): the
    # rest is integer work on the line arrays
    oc_all, oids_all = _ev.codes(orders, "order_id")
    cc_all, cids_all = _ev.codes(orders, "customer_id")
    drop = None
    if "status" in orders.columns:
        sc, su = _ev.codes(orders, "status")
        canc = np.r_[np.asarray(pd.Index(su).astype("str").str.lower() == "cancelled"), False]
        if canc.any():
            drop = canc[sc]
            if not drop.any():
                drop = None
    # per order: its code in oids_all, customer code in cids_all (-1 = none), date,
    # promised, delivered (int64 ns), value; ``sub`` picks the table's orders from them;
    # ``cline``: the customer codes of the kept lines (None: those of the orders)
    per = _orders_from_frame_cache(orders, oc_all, cc_all, drop)
    if per is None:
        per = _orders_from_lines(orders, oc_all, len(oids_all), cc_all, drop)
    rows, sub, ocust, date, prom, deliv, value, cline = per
    pick = (lambda a: a) if sub is None else (lambda a: a[sub])
    ocust_k = pick(ocust)
    if cline is None:                         # each order's lines have its customer
        cline = ocust_k
    if customers is None:   # sorted ids of the customers on kept lines
        used = np.zeros(len(cids_all) + 1, bool)
        used[cline] = True                    # -1 (no customer id) -> the spare slot
        uc = np.flatnonzero(used[:-1])
        uc = uc[_argsort_ids(cids_all, uc)]
        cidx = cids_all if len(uc) == len(cids_all) and (uc[1:] > uc[:-1]).all() else cids_all.take(uc)
        cmap = np.full(len(cids_all) + 1, -1, dtype=np.int64)
        cmap[uc] = np.arange(len(uc))
        extra = {}
    else:
        cust_ids = np.asarray(customers, dtype=object)
        cidx = pd.Index(cust_ids)
        cmap = np.r_[_ev.lookup(cids_all, cidx), -1]
        if (cmap[cline] < 0).any():
            raise ValueError("orders has customer ids outside the given customers")
        extra = {"customers": cust_ids}
    cust_k = cmap[ocust_k]                    # -1 (missing id) -> cmap[-1] = -1
    date_k = pick(date)
    no = len(rows)
    srt = _sort_order(cust_k, date_k, np.zeros(no, dtype=np.int8))   # = np.lexsort((date, cust))
    p = srt if sub is None else sub[srt]      # one gather per array from the per-order values
    cust, date = cust_k[srt], date_k[srt]
    prom, deliv, value = prom[p], deliv[p], value[p]
    oidx = oids_all.take(rows[srt])
    brk = cust[1:] != cust[:-1]               # a new customer starts at i + 1
    start = np.flatnonzero(np.r_[True, brk])
    seq = np.arange(no) - np.repeat(start, np.diff(np.r_[start, no]))
    nxt = np.empty(no, dtype=np.int64)        # the next row's date within the customer
    nxt[:-1] = date[1:]
    nxt[-1:] = _NAT
    nxt[:-1][brk] = _NAT
    idx = {"o": pd.Index(oidx, copy=False), "c": pd.Index(cidx, copy=False), **extra}
    return OrderTable(cust, date, prom, deliv, value, seq, nxt, idx)


def _line_values(orders: pd.DataFrame) -> np.ndarray | None:
    """quantity * unit_price per line (NaN -> 0), None without those columns."""
    if "quantity" not in orders.columns or "unit_price" not in orders.columns:
        return None
    v = orders["quantity"].to_numpy(dtype=float) * orders["unit_price"].to_numpy(dtype=float)
    return np.nan_to_num(v, copy=False)


def _orders_from_frame_cache(orders, oc, cc, drop):
    """The per-order values of :func:`_order_table` from what :mod:`insight._events`
    keeps per orders frame (``order_numbers``: earliest order date, latest promised and
    delivered dates; ``order_customers``: over all lines, in order-code order), when
    they equal the reductions over the kept lines: every line has an order id and an
    order date (those skip NaT, the table's earliest date does not), an order's lines
    are all cancelled or none is, and all lines of an order have its customer (the last
    two checked here on the lines).  Then the kept orders, in code order, are also in
    order of first kept line.  None otherwise."""
    if not len(oc) or oc.min() < 0 or _ns(orders["order_date"]).min() == _NAT:
        return None
    num = _ev.order_numbers(orders)
    occ = _ev.order_customers(orders)
    if not np.array_equal(occ[oc], cc):
        return None
    sub = None
    if drop is not None:
        gone = np.zeros(len(occ), bool)           # orders with a cancelled line
        gone[oc[drop]] = True
        if np.count_nonzero(gone[oc]) != np.count_nonzero(drop):   # some of their lines kept
            return None
        sub = np.flatnonzero(~gone)
    rows = np.arange(len(occ)) if sub is None else sub
    nat = np.full(len(occ), _NAT)
    v = _line_values(orders)
    value = np.full(len(occ), np.nan) if v is None else np.bincount(oc, weights=v, minlength=len(occ))
    # (the sums add the same lines in the same order as over the kept lines)
    return (rows, sub, occ, num["order_date"], num.get("promised_date", nat),
            num.get("delivered_date", nat), value, None)


def _orders_from_lines(orders, oc_all, n_codes, cc_all, drop):
    """The per-order values of :func:`_order_table` reduced from the kept lines: orders
    numbered by first appearance among them (as pd.factorize on them), each order's
    customer from its last kept line, earliest order date, latest promised / delivered
    date and summed value."""
    keep = None if drop is None else ~drop
    sel = (lambda a: a) if keep is None else (lambda a: a[keep])
    ocode_k = sel(oc_all)
    first = np.full(n_codes, len(oc_all), dtype=np.int64)
    ok_line = ocode_k >= 0
    rws = np.flatnonzero(ok_line)
    np.minimum.at(first, ocode_k[rws], rws)
    present = np.flatnonzero(first < len(oc_all))
    present = present[np.argsort(first[present], kind="stable")]
    remap = np.full(len(first), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    ocode = remap[ocode_k[ok_line]]
    no = len(present)
    line = lambda a: sel(a)[ok_line]
    cline = line(cc_all)
    ocust = np.empty(no, dtype=np.int64)
    ocust[ocode] = cline
    date = np.full(no, np.iinfo(np.int64).max)
    np.minimum.at(date, ocode, line(_ns(orders["order_date"])))
    prom = np.full(no, _NAT)
    deliv = np.full(no, _NAT)
    if "promised_date" in orders.columns:
        np.maximum.at(prom, ocode, line(_ns(orders["promised_date"])))
    if "delivered_date" in orders.columns:
        np.maximum.at(deliv, ocode, line(_ns(orders["delivered_date"])))
    v = _line_values(orders)
    value = np.full(no, np.nan) if v is None else np.bincount(ocode, weights=line(v), minlength=no)
    return present, None, ocust, date, prom, deliv, value, cline


def _argsort_ids(ids: pd.Index, rows: np.ndarray) -> np.ndarray:
    """The order of ``ids[rows]`` (distinct string ids) as strings: the short ids' uint64
    numbers of all ``ids`` (made once, no take of the strings) when they have them;
    distinct keys need no stable sort."""
    keys = _ev.short_id_keys(ids)
    if keys is not None:
        return np.argsort(keys if len(rows) == len(ids) else keys[rows])
    return _argsort_str(ids.take(rows))


def _argsort_str(idx: pd.Index) -> np.ndarray:
    """Stable argsort of string ids; Arrow's sort on Arrow strings (UTF-8 byte order is
    code-point order, the same as sorting the Python str objects)."""
    keys = _ev.short_id_keys(idx)     # short ids: their order-preserving uint64 numbers
    if keys is not None:
        return np.argsort(keys, kind="stable")
    pa_arr = getattr(idx.array, "_pa_array", None)
    if pa_arr is not None and idx.notna().all():
        import pyarrow.compute as pc
        return np.asarray(pc.sort_indices(pa_arr).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.argsort(np.asarray(idx, dtype=object), kind="stable")


def _late(ot: OrderTable) -> np.ndarray:
    """+1 late, 0 on time, -1 unknown (not delivered / no promise), per order of ``ot``.
    Computed once per order table (read-only, shared by the analyses)."""
    late = ot._idx.get("late")
    if late is None:
        has = (ot.delivered != _NAT)
        hasp = has & (ot.promised != _NAT)
        late = np.where(hasp, (ot.delivered // _NS_DAY > ot.promised // _NS_DAY).astype(np.int8), 0)
        late = np.where(has, late, -1).astype(np.int8)
        late.setflags(write=False)
        ot._idx["late"] = late
    return late


def _first_rows(ot: OrderTable) -> np.ndarray:
    """Rows of ``ot`` holding each customer's first order (``seq == 0``), in table order.
    Computed once per order table (read-only, shared by the analyses)."""
    head = ot._idx.get("first")
    if head is None:
        head = np.flatnonzero(ot.seq == 0)
        head.setflags(write=False)
        ot._idx["first"] = head
    return head


def _as_of(ds, as_of) -> int:
    if as_of is not None:
        return int(np.datetime64(pd.Timestamp(as_of), "ns").astype(np.int64))
    return int(_ns(ds.orders["order_date"]).max())


def _cust_col(df: pd.DataFrame, ot: OrderTable, looked: dict | None = None) -> np.ndarray:
    """Customer code of each row of ``df``: its customer_id, else via order_id.  -1 = unknown.
    ``looked``: precomputed lookups from ``_lookup_frames`` (else looked up here)."""
    idx = ot.customer_index()
    code = np.full(len(df), -1, dtype=np.int64)
    if "customer_id" in df.columns:
        code = looked[(id(df), "customer_id")] if looked else _ev.lookup(df["customer_id"], idx)
    if "order_id" in df.columns and (code < 0).any():
        oi = looked[(id(df), "order_id")] if looked else _ev.lookup(df["order_id"], ot.order_index())
        via = np.where(oi >= 0, ot.cust[np.maximum(oi, 0)], -1)
        code = np.where(code >= 0, code, via)
    return code


def _lookup_frames(frames, ot: OrderTable) -> dict:
    """(id(frame), column) -> codes of the frames' customer_id (in ``ot.customer_index()``)
    and order_id (in ``ot.order_index()``): one batched Arrow lookup per index instead of
    one per frame and column (each lookup re-hashes the ~500k order ids at 1M lines)."""
    frames = list({id(f): f for f in frames if f is not None}.values())
    out = {}
    for col, idx in (("customer_id", ot.customer_index), ("order_id", ot.order_index)):
        fs = [f for f in frames if col in f.columns]
        if fs:
            for f, r in zip(fs, ot.lookup([f[col] for f in fs], col)):
                out[(id(f), col)] = r
    return out


def _search_customer_time(cust_sorted, date_sorted, c, t):
    """Index of the last order of customer ``c`` at or before ``t`` (-1 when none).
    Orders are sorted by (customer, date)."""
    if len(c) == 0:
        return np.zeros(0, np.int64)
    dmin = min(date_sorted.min(), t.min())
    span = int(max(date_sorted.max(), t.max()) - dmin) + 1
    scale = span // (10 ** 9) + 2  # seconds resolution keeps the key inside int64
    ko = cust_sorted.astype(np.int64) * scale + (date_sorted - dmin) // 10 ** 9
    kq = c.astype(np.int64) * scale + (t - dmin) // 10 ** 9
    pos = np.searchsorted(ko, kq, side="right") - 1
    ok = (pos >= 0) & (cust_sorted[np.maximum(pos, 0)] == c)
    return np.where(ok, pos, -1)


def order_of_events(ot, df, t, order_rows=None):
    """Row of ``ot`` (the order table) each event row of ``df`` belongs to: its ``order_id``
    when given and known, else the customer's last order at or before the event time ``t``
    (int64 ns); -1 when neither applies.  ``order_rows``: ``df["order_id"]`` already
    looked up in ``ot.order_index()`` (e.g. batched with other frames' ids)."""
    if order_rows is not None:
        o = order_rows
    else:
        o = ot.lookup([df["order_id"]], "order_id")[0] if "order_id" in df.columns else np.full(len(df), -1)
    miss = (o < 0) & (t != _NAT)
    if miss.any() and "customer_id" in df.columns:
        cc = ot.lookup([df["customer_id"][miss]], "customer_id")[0]
        pos = np.full(miss.sum(), -1)
        ok = cc >= 0
        pos[ok] = _search_customer_time(ot.cust, ot.date, cc[ok], t[miss][ok])
        o = o.copy()
        o[np.flatnonzero(miss)] = pos
    return o


# --------------------------------------------------------------------------- event log
def event_log(ds, *, churn_days: int = 180, as_of=None) -> pd.DataFrame:
    """The journey as a tidy event log: customer_id, event (categorical, ``EVENTS``),
    timestamp, order_id (when the event belongs to an order).  customer_id and
    order_id are categoricals of ``str`` ids (codes are free for the analyses;
    ``.astype("str")`` gives plain strings).

    Rows are sorted by customer, timestamp and event order.  Events of
    customers who never ordered (e.g. a survey of a prospect) are kept.
    ``attrs``: as_of, churn_days.
    """
    ot = order_table(ds.orders)
    asof = _as_of(ds, as_of)
    codes, ts, ev, oix = [], [], [], []   # oix = row into ot (or -1)
    E = {e: i for i, e in enumerate(EVENTS)}
    n = len(ot.date)
    ok = ot.date <= asof
    every = ok.all()                      # (then no masked copies)
    codes.append(ot.cust if every else ot.cust[ok]); ts.append(ot.date if every else ot.date[ok])
    ev.append(np.where((ot.seq if every else ot.seq[ok]) == 0, np.int8(E["order_placed"]), np.int8(E["next_order"])))
    oix.append(np.arange(n, dtype=np.int32) if every and n < 2 ** 31 else np.flatnonzero(ok))
    late = _late(ot)
    dv = (late >= 0) & (ot.delivered <= asof)
    codes.append(ot.cust[dv]); ts.append(ot.delivered[dv])
    ev.append(np.where(late[dv] == 1, np.int8(E["delivered_late"]), np.int8(E["delivered_on_time"])))
    oix.append(np.flatnonzero(dv))
    unknown_ids: list[np.ndarray] = []  # customers with events but no orders (e.g. prospects)
    looked = _lookup_frames((ds.returns, ds.complaints, ds.reviews, ds.surveys), ot)

    def add(df, name, date_col):
        if df is None or date_col not in df.columns:
            return
        c = _cust_col(df, ot, looked)
        t = _ns(df[date_col])
        m = (t != _NAT) & (t <= asof)
        if "customer_id" in df.columns:
            unk = m & (c < 0)
            if unk.any():
                unk &= df["customer_id"].notna().to_numpy()
            if unk.any():
                c = c.copy()
                c[unk] = -2 - sum(len(u) for u in unknown_ids) - np.arange(unk.sum())
                # only the unknown ids become Python strings, not the whole column
                unknown_ids.append(df["customer_id"][unk].to_numpy().astype(str))
        m &= c != -1
        codes.append(c[m]); ts.append(t[m]); ev.append(np.full(int(m.sum()), E[name], np.int8))
        if "order_id" in df.columns:
            oix.append(looked[(id(df), "order_id")][m])
        else:
            oix.append(np.full(int(m.sum()), -1))

    add(ds.returns, "return", "return_date")
    add(ds.complaints, "complaint_opened", "opened_at")
    add(ds.complaints, "complaint_resolved", "resolved_at")
    add(ds.reviews, "review", "created_at")
    add(ds.surveys, "survey", "submitted_at")
    # churn: last order of each customer + churn_days <= as_of
    last = np.r_[ot.cust[1:] != ot.cust[:-1], True] & ok
    if not ok.all():  # last order on or before as_of
        sub = np.flatnonzero(ok)
        cs = ot.cust[sub]
        last = np.zeros(n, bool)
        last[sub[np.r_[cs[1:] != cs[:-1], True]]] = True
    ch_t = ot.date[last] + churn_days * _NS_DAY
    chm = ch_t <= asof
    codes.append(ot.cust[last][chm]); ts.append(ch_t[chm])
    ev.append(np.full(chm.sum(), E["churned"], np.int8)); oix.append(np.full(chm.sum(), -1))

    c = np.concatenate(codes).astype(np.int64, copy=False)
    if unknown_ids:  # -2, -3, ... -> codes after the ordering customers
        raw = np.concatenate(unknown_ids)
        u, inv = np.unique(raw, return_inverse=True)
        neg = c <= -2
        c[neg] = ot.n_customers + inv[-2 - c[neg]]
    t = np.concatenate(ts)
    e = np.concatenate(ev)
    oi = np.concatenate(oix, dtype=np.int32 if len(ot.date) < 2 ** 31 else np.int64)  # (the categorical's code type)
    for pieces in (codes, ts, ev, oix):   # freed before the sort: a lower peak, fewer page faults
        pieces.clear()
    order, c, t, e = _sort_order(c, t, e, values=True, scratch=True)   # (c, t: our own arrays)
    oi = oi[order]
    cidx = ot.customer_index()
    if unknown_ids:
        cidx = cidx.append(pd.Index(u.astype(object), dtype="str"))
    log = pd.DataFrame({
        "customer_id": pd.Categorical.from_codes(c, dtype=_unique_cat(cidx)),
        "event": pd.Categorical.from_codes(e, categories=list(EVENTS)),
        "timestamp": t.view("datetime64[ns]"),
        "order_id": pd.Categorical.from_codes(oi, dtype=_unique_cat(ot.order_index())),
    }, copy=False)   # the arrays are new and owned by the log: no copy needed
    log.attrs.update(as_of=pd.Timestamp(asof), churn_days=churn_days)
    return log


def _sort_order(c: np.ndarray, t: np.ndarray, e: np.ndarray, *, values: bool = False,
                scratch: bool = False):
    """``np.lexsort((e, t, c))`` (a stable sort by customer code, then int64 ns time, then
    event code), computed faster when the three fit one integer key.

    Times are counted in their largest common unit (minutes for minute-stamped data),
    so customer, time and event (and the row number, which makes every key unique and
    the sort stable) usually fit one uint64: one ``np.sort`` of plain integers is many
    times faster than a three-key lexsort.  Codes are >= 0 and ``e`` < ``len(EVENTS)``.

    ``values=True``: ``(order, c[order], t[order], e[order])``; with the one key, the
    three are read back from the sorted key (a few passes over it instead of three
    random gathers of up to 2M values).  ``scratch=True``: ``c`` (int64) and ``t`` are the
    caller's own arrays, free to be overwritten (the key is built in their memory: no
    fresh 1.8M-row arrays, whose page faults cost more than the arithmetic)."""
    n = len(c)
    gather = lambda o: (o, c[o], t[o], e[o]) if values else o
    if n == 0:
        return gather(np.zeros(0, dtype=np.int64))
    t0 = int(t.min())
    if int(t.max()) - t0 >= 2 ** 62:               # e.g. NaT (int64 min) among the times
        return gather(np.lexsort((e, t, c)))
    scratch = scratch and c.dtype == np.int64 and t.dtype == np.int64
    if scratch:
        rel = t
        rel -= t0
    else:
        rel = t - t0
    unit = int(np.gcd.reduce(rel)) or 1
    if unit > 1:
        rel //= unit
    nt, nc, ne = int(rel.max()) + 1, int(c.max()) + 1, len(EVENTS)
    b = (n - 1).bit_length()                     # the row number takes the low b bits
    if scratch and not nc * nt * ne << b <= 2 ** 64:   # t back as it was for the other sorts
        rel = rel.copy()
        t *= unit
        t += t0
    if nc * nt * ne << b <= 2 ** 64:             # customer, time, event and row in one key
        key = c.view(np.uint64) if scratch else c.astype(np.uint64)   # built in place
        key *= np.uint64(nt)
        key += rel.view(np.uint64)
        key *= np.uint64(ne)
        key += e.astype(np.uint8, copy=False)
        key <<= np.uint64(b)
        key |= np.arange(n, dtype=np.uint64)
        key.sort()
        # (c * nt + rel) * ne + e; with scratch in t's memory (rel is no longer needed)
        hi = np.right_shift(key, np.uint64(b), out=rel.view(np.uint64) if scratch else None) if values else None
        key &= np.uint64((1 << b) - 1)
        if not values:
            return key.view(np.int64)
        q = hi // np.uint64(ne)
        hi -= q * np.uint64(ne)
        es = hi.astype(e.dtype)
        np.floor_divide(q, np.uint64(nt), out=hi)    # hi: customer, q: customer * nt + rel
        q -= hi * np.uint64(nt)
        ts = q.view(np.int64)
        if unit > 1:
            ts *= unit
        ts += t0
        return key.view(np.int64), hi.view(np.int64).astype(c.dtype, copy=False), ts, es
    if nc * nt * ne < 2 ** 63:                  # customer, time and event: a stable argsort
        return gather(np.argsort((c * nt + rel) * ne + e, kind="stable"))
    return gather(np.lexsort((e, t, c)))


def _unique_cat(categories: pd.Index) -> pd.CategoricalDtype:
    """CategoricalDtype of ids known to be unique and non-missing (factorize uniques),
    without the uniqueness re-check: hashing ~500k order ids again costs ~0.1 s."""
    return pd.CategoricalDtype._from_fastpath(categories, ordered=False)


def _sorted_codes(log: pd.DataFrame):
    """(customer codes, customer group start flags, event codes, ns timestamps) of a log
    sorted by customer/time (sorted here when it is not).  The codes keep the log's
    categorical code dtypes (int8 events, int32 customers: no 1.8M-row int64 copies);
    they may be the log's own arrays: do not modify them."""
    _need(log, ["customer_id", "event", "timestamp"], "event log")
    ev = log["event"]
    if not isinstance(ev.dtype, pd.CategoricalDtype) or list(ev.cat.categories) != list(EVENTS):
        ev = pd.Categorical(ev.astype("str"), categories=list(EVENTS))
        if (ev.codes < 0).any():
            raise ValueError(f"unknown events in log; known: {EVENTS}")
        ev = pd.Series(ev, index=log.index)
    e = (ev.array if hasattr(ev, "array") else ev).codes     # (read-only views: .cat.codes copies)
    t = _ns(log["timestamp"])
    cid = log["customer_id"]
    if isinstance(cid.dtype, pd.CategoricalDtype):
        cc = cid.array.codes
    else:
        cc, _ = pd.factorize(cid)
    new = np.r_[True, cc[1:] != cc[:-1]] if len(cc) else np.zeros(0, bool)
    # is the log grouped by customer and sorted by time within customer?  Codes that never
    # decrease are grouped (event_log's order: no count of the groups needed)
    if len(cc) and cc[0] >= 0 and (cc[1:] >= cc[:-1]).all():
        grouped = True
    else:
        grouped = new.sum() == (np.count_nonzero(np.bincount(cc)) if len(cc) else 0)
    if not grouped:
        sorted_ok = False
    elif len(t) and int(t.max()) - int(t.min()) < 2 ** 63:   # no time difference wraps
        sorted_ok = not ((t[1:] < t[:-1]) & ~new[1:]).any()
    else:                                       # (NaT among times: the wrapping differences)
        sorted_ok = not np.any((np.diff(t) < 0) & ~new[1:])
    if not sorted_ok:
        o = np.lexsort((e, t, cc))
        cc, e, t = cc[o], e[o], t[o]
        new = np.r_[True, cc[1:] != cc[:-1]]
    return cc, new, e, t


# --------------------------------------------------------------------------- transitions
def transitions(log: pd.DataFrame, *, conf: float = 0.95) -> pd.DataFrame:
    """Directly-follows counts within customers, with ``(start)``/``(end)`` states.

    Columns: from, to, count, n_from, probability (= count / n_from, the share
    of ``from`` events followed next by ``to``) with a Wilson CI, and
    median_days between the two events.
    """
    cc, new, e, t = _sorted_codes(log)
    K = len(EVENTS)
    W = K + 2
    S, En = K, K + 1  # start / end codes
    # pair key from * W + to: (start, first event) and (last event, (end)) once per
    # customer, and the pairs of consecutive rows of one customer (_inner_pairs: counts
    # and median days from one sort)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:] - 1, len(e) - 1] if len(e) else starts
    inner_cnt, medians = _inner_pairs(e, new, t, W)
    cnt = inner_cnt.reshape(W, W).copy()      # (medians reads inner_cnt)
    cnt[S, :K] += np.bincount(e[starts], minlength=K)[:K]
    cnt[:K, En] += np.bincount(e[ends], minlength=K)[:K]
    cnt = cnt.ravel()
    nz = np.flatnonzero(cnt)
    f_, t_ = nz // W, nz % W
    names = np.array(list(EVENTS) + [START, END], dtype=object)
    n_from = np.bincount(f_, weights=cnt[nz], minlength=W)[f_]
    lo, hi = _stats.wilson_ci(cnt[nz], n_from, alpha=1 - conf)
    med = medians(nz)   # (start)/(end) pairs: NaN
    count, nf = cnt[nz].astype(np.int64), n_from.astype(np.int64)
    # rows by n_from, then count, both descending, ties in pair order (what a stable
    # sort_values gives; sorted here before the frame is built)
    o = np.lexsort((-count, -nf))
    return pd.DataFrame({"from": names[f_][o], "to": names[t_][o], "count": count[o], "n_from": nf[o],
                         "probability": (cnt[nz] / n_from)[o], "ci_low": lo[o], "ci_high": hi[o],
                         "median_days": med[o]})


def _inner_pairs(e: np.ndarray, new: np.ndarray, t: np.ndarray, W: int):
    """For the pairs of consecutive rows of one customer: the count of each pair key
    ``e[i-1] * W + e[i]`` (length W * W) and ``medians(keys)``, the median days from
    ``t[i-1]`` to ``t[i]`` per key (NaN without pairs), as :func:`_group_medians_ns` on the
    compressed pairs.

    Packed in place in the full-length differences instead (1.8M rows: each fresh array
    costs page faults): a pair across customers gets duration 0 and key 255, sorting after
    every real key (< W * W <= 255)."""
    inner = ~new[1:]
    d = t[1:] - t[:-1]                          # (wrapping as the compressed differences)
    key = e[:-1].astype(np.int64)
    key *= W
    key += e[1:]
    d[new[1:]] = 0                              # no effect on the gcd, min, max checks below
    if not inner.any() or W * W > 255 or d.min() < 0:
        dd, kk = d[inner], key[inner]
        return np.bincount(kk, minlength=W * W), lambda groups: _group_medians_ns(dd, kk, groups)
    unit = int(np.gcd.reduce(d)) or 1
    if int(d.max()) // unit >= 2 ** 55:
        dd, kk = d[inner], key[inner]
        return np.bincount(kk, minlength=W * W), lambda groups: _group_medians_ns(dd, kk, groups)
    if unit > 1:
        d //= unit
    key[new[1:]] = 255
    key <<= 55
    d |= key
    del key
    d.sort()
    bounds = np.searchsorted(d, np.arange(W * W + 1, dtype=np.int64) << 55)
    cnt = np.diff(bounds)

    def medians(groups):
        lo, n = bounds[groups], cnt[groups]
        value = lambda i: ((d[np.minimum(i, len(d) - 1)] & ((1 << 55) - 1)) * unit) / _NS_DAY
        a, b = value(lo + (n - 1) // 2), value(lo + n // 2)   # the same row when n is odd
        med = np.where(n % 2 == 1, b, (a + b) / 2)
        return np.where(n > 0, med, np.nan)
    return cnt, medians


def _group_medians(x: np.ndarray, key: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Median of the non-NaN ``x`` per small non-negative int ``key``, for each key in
    ``groups`` (NaN when a group has no value), as ``Series(x).groupby(key).median()``:
    one stable sort of the keys, then a median per slice (a few hundred keys at most)."""
    if len(key) and 0 <= key.min() and key.max() < 2 ** 15:
        key = key.astype(np.int16)               # numpy's stable sort is a radix sort for int16
    order = np.argsort(key, kind="stable")
    ks, xs = key[order], x[order]
    lo = np.searchsorted(ks, groups, side="left")
    hi = np.searchsorted(ks, groups, side="right")
    out = np.full(len(groups), np.nan)
    for i, (a, b) in enumerate(zip(lo, hi)):
        v = xs[a:b]
        v = v[~np.isnan(v)]
        if len(v):
            out[i] = np.median(v)
    return out


def _group_medians_ns(d: np.ndarray, key: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Median in days of the int64 ns durations ``d`` (>= 0) per key in ``groups`` (keys
    0..255), as ``Series(d / _NS_DAY).groupby(key).median()``; NaN for keys without rows.

    Durations counted in their common unit (minutes for minute stamps) and the key share
    one int64, so a single ``np.sort`` orders the values within each key; the medians are
    then read at the middle positions."""
    if len(d) == 0:
        return np.full(len(groups), np.nan)
    if d.min() < 0 or key.min() < 0 or key.max() > 255:
        return _group_medians(d / _NS_DAY, key, groups)
    unit = int(np.gcd.reduce(d)) or 1
    du = d // unit if unit > 1 else d
    if int(du.max()) >= 2 ** 55:
        return _group_medians(d / _NS_DAY, key, groups)
    packed = key.astype(np.int64)                 # built in place
    packed <<= 55
    packed |= du
    packed.sort()
    lo = np.searchsorted(packed, groups.astype(np.int64) << 55)
    n = np.searchsorted(packed, (groups.astype(np.int64) + 1) << 55) - lo
    value = lambda i: ((packed[np.minimum(i, len(packed) - 1)] & ((1 << 55) - 1)) * unit) / _NS_DAY
    a, b = value(lo + (n - 1) // 2), value(lo + n // 2)   # the same row when n is odd
    med = np.where(n % 2 == 1, b, (a + b) / 2)
    return np.where(n > 0, med, np.nan)


def _is_event(e: np.ndarray, names) -> np.ndarray:
    """``np.isin(e, codes of names)`` for event codes, by a table lookup."""
    tbl = np.zeros(len(EVENTS), bool)
    tbl[[EVENTS.index(x) for x in names]] = True
    return tbl[e]


# --------------------------------------------------------------------------- variants
def variants(log: pd.DataFrame, k: int = 10, max_len: int = 8, *,
             stop_at=("next_order", "churned"), collapse_repeats: bool = True,
             conf: float = 0.95) -> pd.DataFrame:
    """The ``k`` most common paths (event sequences per customer) with outcomes.

    Each customer's path starts at their first event and ends at the first
    ``stop_at`` event (inclusive; ``stop_at=()`` keeps the whole history), cut
    to ``max_len`` events (<= 15).  ``collapse_repeats`` merges immediate
    repeats (``review, review`` -> ``review``).  Outcome columns per path:
    customers, share (of all customers, Wilson CI), repurchase_share and
    churn_share (share of the path's customers who ordered again / churned
    ever, Wilson CIs).  Path keys are built with base-16 arithmetic on event
    codes (no per-customer Python).
    """
    if not 1 <= max_len <= 15:
        raise ValueError("max_len must be in 1..15")
    cc, new, e, t = _sorted_codes(log)
    nrows = len(e)
    starts = np.flatnonzero(new)             # each customer's first row (log order)
    ncust = len(starts)
    # outcomes over the whole history: any next_order / churned row in the customer's rows
    has = lambda name: (np.logical_or.reduceat(e == EVENTS.index(name), starts) if nrows
                        else np.zeros(0, bool))
    rep, chn = has("next_order"), has("churned")
    keep = np.ones(nrows, bool)
    if stop_at and nrows:
        # rows with no stop event strictly before them in the customer's rows: the stops
        # counted before each row (int32 running count) equal the count at the customer's
        # first row
        stop = _is_event(e, stop_at)
        before = np.cumsum(stop, dtype=np.int32 if nrows < 2 ** 31 else np.int64)
        before -= stop
        keep = before == np.repeat(before[starts], np.diff(np.r_[starts, nrows]))
    if collapse_repeats and nrows:
        keep[1:] &= new[1:] | (e[1:] != e[:-1])
    # each customer's first row is kept: the kept rows are the paths, in customer order
    e2 = e[keep]
    s2 = np.flatnonzero(new[keep])
    plen = np.diff(np.r_[s2, len(e2)])
    # path key: event code + 1 in the 4 bits of each position, one position at a time over
    # the customers whose path is that long (max_len passes over ncust values, no per-row
    # position array)
    key = np.zeros(ncust, dtype=np.int64)
    for p in range(max_len):
        at = np.flatnonzero(plen > p)
        if not len(at):
            break
        key[at] += (e2[s2[at] + p].astype(np.int64) + 1) << (4 * p)
    ukey, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    order = np.argsort(-cnt, kind="stable")[:k]
    reps = np.bincount(inv, weights=rep, minlength=len(ukey))[order]
    chs = np.bincount(inv, weights=chn, minlength=len(ukey))[order]
    n = cnt[order]
    names = np.array(EVENTS, dtype=object)

    def decode(kk):
        out = []
        while kk:
            out.append(names[(kk & 15) - 1])
            kk >>= 4
        return out

    paths = [decode(int(kk)) for kk in ukey[order]]  # k paths only
    slo, shi = _stats.wilson_ci(n, np.full(len(n), ncust), alpha=1 - conf)
    rlo, rhi = _stats.wilson_ci(reps, n, alpha=1 - conf)
    clo, chi = _stats.wilson_ci(chs, n, alpha=1 - conf)
    return pd.DataFrame({
        "path": [" → ".join(p) for p in paths], "length": [len(p) for p in paths],
        "customers": n.astype(np.int64), "share": n / ncust, "share_ci_low": slo, "share_ci_high": shi,
        "repurchase_share": reps / n, "repurchase_ci_low": rlo, "repurchase_ci_high": rhi,
        "churn_share": chs / n, "churn_ci_low": clo, "churn_ci_high": chi,
        "n_customers": ncust,
    })


# --------------------------------------------------------------------------- stage times
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("order_placed", ("delivered_on_time", "delivered_late")),
    ("complaint_opened", ("complaint_resolved",)),
    ("order_placed", ("next_order",)),
    ("next_order", ("next_order",)),
    ("delivered_late", ("complaint_opened",)),
)


def stage_times(log: pd.DataFrame, stages=STAGES) -> pd.DataFrame:
    """Days from a stage to the next following stage of the same customer.

    ``stages``: (from event, to events) pairs; for every ``from`` event the
    time to the first later ``to`` event of the same customer counts (found
    with a sorted search, no loops over customers).  Returns per stage: n,
    median (distribution-free CI), q25, q75, mean.
    """
    cc, new, e, t = _sorted_codes(log)
    # the rows of the events the stages name, in log order, with their customer codes and
    # times (once per event set: the later gathers read these short arrays, not the log's)
    found: dict = {}

    def rows_of(names):
        if names not in found:
            r = np.flatnonzero(e == EVENTS.index(names[0]) if len(names) == 1 else _is_event(e, names))
            found[names] = r, cc[r], t[r]
        return found[names]
    rows = []
    for frm, tos in stages:
        rf, cf, tf = rows_of((frm,))
        rt, ct, tt = rows_of(tuple(tos))
        # the log is sorted by (customer, time, event order), each customer's rows together:
        # the first to-row after each from-row in log order, if it belongs to the same
        # customer, is the answer
        j = np.searchsorted(rt, rf, side="right")  # next to-row after the from-row in log order
        if len(rt):
            same = j < len(rt)
            jj = np.minimum(j, len(rt) - 1, out=j)
            same &= ct[jj] == cf
            d = (tt[jj[same]] - tf[same]) / _NS_DAY
        else:
            d = np.zeros(0)
        ds = np.sort(d)  # quantiles from the sorted copy (same values), the mean from d itself
        med = _stats.quantile_ci(ds, 0.5) if len(d) else None
        q25, q75 = np.quantile(ds, [0.25, 0.75]) if len(d) else (np.nan, np.nan)   # (one partition)
        to_label = " | ".join(tos)
        rows.append({"from": frm, "to": to_label, "n": int(len(d)), "n_from": int(len(rf)),
                     "median_days": med.value if med else np.nan,
                     "median_ci_low": med.ci_low if med else np.nan,
                     "median_ci_high": med.ci_high if med else np.nan,
                     "q25_days": float(q25), "q75_days": float(q75),
                     "mean_days": float(d.mean()) if len(d) else np.nan})
    return pd.DataFrame(rows)


# moved to insight.retention (cohorts, first experience, KM, repurchase model); re-exported lazily here
_RETENTION = frozenset({
    "FIRST_EXPERIENCES", "EXPERIENCE_TERMS", "ORDER_NUMBER_BINS", "cohorts", "retention_matrix",
    "first_experience", "SurvivalResult", "time_to_next_order", "RepurchaseModel", "order_experience",
    "repurchase_model",
})


def __getattr__(name: str):
    if name in _RETENTION:
        from insight import retention
        return getattr(retention, name)
    raise AttributeError(f"module 'insight.journey' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_RETENTION))
