"""Private helpers shared by complaints / returns / delivery / followup:
order-level views of the order-line table and "did the customer order again
within N days" computed with ``merge_asof`` (no per-customer loops)."""
from __future__ import annotations

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)


def ns(s: pd.Series) -> pd.Series:
    """Datetimes at nanosecond resolution (pandas 3 may parse to us; merge_asof needs equal units)."""
    return pd.to_datetime(s).astype("datetime64[ns]")


def need(df: pd.DataFrame | None, cols, table: str) -> pd.DataFrame:
    """Raise a clear error when ``df`` is missing or lacks the columns ``cols``."""
    if df is None:
        raise ValueError(f"the {table} table is needed here but was not given")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{table}: missing column(s) {missing} (have {list(df.columns)})")
    return df


def order_level(orders: pd.DataFrame, extra=()) -> pd.DataFrame:
    """One row per order_id: customer_id, order_date (first), promised_date and
    delivered_date (latest line), status (cancelled/backordered only when every line
    is), and the first value of each ``extra`` column."""
    need(orders, ["order_id", "customer_id", "order_date"], "orders")
    agg = {"customer_id": ("customer_id", "first"), "order_date": ("order_date", "min")}
    for c in ("promised_date", "delivered_date"):
        if c in orders.columns:
            agg[c] = (c, "max")
    for c in extra:
        if c in orders.columns and c not in agg:
            agg[c] = (c, "first")
    out = orders.groupby("order_id", sort=False).agg(**agg)
    if "status" in orders.columns:
        st = orders["status"].astype("str").str.lower()
        s = pd.DataFrame({"order_id": orders["order_id"], "d": st.eq("delivered"),
                          "c": st.eq("cancelled"), "b": st.eq("backordered")})
        g = s.groupby("order_id", sort=False)[["d", "c", "b"]].agg(["any", "all"])
        status = np.select([g[("d", "any")], g[("c", "all")], g[("b", "any")]],
                           ["delivered", "cancelled", "backordered"], default="")
        out["status"] = pd.Series(status, index=g.index).replace("", np.nan).reindex(out.index)
    return out.reset_index()


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
    od = (orders[["customer_id", "order_date"]].dropna().drop_duplicates()
          .assign(order_date=lambda d: ns(d["order_date"])).sort_values("order_date", kind="stable"))
    od = od.rename(columns={"order_date": "_t"}).assign(next_order_date=lambda d: d["_t"])
    a = anchors.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    a[anchor] = ns(a[anchor])
    ok = a[anchor].notna()
    left = a[ok].rename(columns={anchor: "_t"}).assign(_anchor=lambda d: d["_t"])
    left = left.sort_values("_t", kind="stable")
    merged = pd.merge_asof(left, od, on="_t", by="customer_id", direction="forward",
                           allow_exact_matches=False)
    merged = merged.rename(columns={"_anchor": anchor}).drop(columns="_t")
    merged = pd.concat([merged, a[~ok]]).sort_values("_row").drop(columns="_row")
    win = pd.Timedelta(days=window_days)
    merged["repurchased"] = (merged["next_order_date"] - merged[anchor]).le(win).fillna(False)
    merged["observed"] = (merged[anchor] + win).le(as_of).fillna(False)
    return merged.reset_index(drop=True)
