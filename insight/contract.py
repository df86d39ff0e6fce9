"""The data contract: canonical tables, their columns and dtypes, and the Dataset.

Every analysis module takes the canonical columns named here; a YAML mapping
(see ``insight.data.mapping``) renames a user's export onto them.  The dtypes
after loading are:

* ids (``*_id``)            -> pandas ``str`` (never numbers: leading zeros matter)
* dates (``*_date``, ``*_at``) -> ``datetime64[ns]``, timezone-naive local time
* money                     -> ``float64`` in the dataset's currency unit (rial by default)
* counts and scores         -> ``float64`` (NaN when missing; scores keep their scale)
* other text/categories     -> ``str``
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Iterator

import pandas as pd

ID, DATE, MONEY, NUM, TEXT = "id", "date", "money", "num", "text"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of ID, DATE, MONEY, NUM, TEXT
    required: bool = False


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse 'name:kind[!]' words; '!' marks a required column."""
    out = []
    for word in spec.split():
        name, kind = word.split(":")
        out.append(Column(name, kind.rstrip("!"), kind.endswith("!")))
    return tuple(out)


#: table name -> (primary key, columns).  Order of tables is load order
#: (parents before children) so referential checks can run in one pass.
TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "customers": ("customer_id", _cols(
        "customer_id:id! signup_date:date city:text province:text acquisition_channel:text")),
    "products": ("product_id", _cols(
        "product_id:id! name:text category:text! price:money")),
    "orders": ("", _cols(  # one row per order line: order_id repeats
        "order_id:id! customer_id:id! order_date:date! product_id:id! category:text "
        "quantity:num! unit_price:money! channel:text promised_date:date delivered_date:date status:text")),
    "returns": ("return_id", _cols(
        "return_id:id! order_id:id! product_id:id! customer_id:id return_date:date! "
        "reason_code:text reason_text:text refund_amount:money")),
    "complaints": ("ticket_id", _cols(
        "ticket_id:id! customer_id:id! order_id:id opened_at:date! resolved_at:date channel:text "
        "category:text text:text contacts:num csat_after:num")),
    "reviews": ("review_id", _cols(
        "review_id:id! customer_id:id product_id:id! order_id:id created_at:date! rating:num text:text!")),
    "surveys": ("response_id", _cols(
        "response_id:id! customer_id:id submitted_at:date! touchpoint:text nps:num csat:num ces:num comment:text")),
}

#: order statuses the contract knows
ORDER_STATUSES = ("delivered", "cancelled", "backordered")
#: free-text columns (Persian): shown in reports only after masking and escaping
TEXT_COLUMNS = {"returns": "reason_text", "complaints": "text", "reviews": "text", "surveys": "comment"}


def columns(table: str) -> tuple[Column, ...]:
    return TABLES[table][1]


def required(table: str) -> list[str]:
    return [c.name for c in columns(table) if c.required]


def dtype_for(kind: str) -> str:
    return {ID: "str", DATE: "datetime64[ns]", MONEY: "float64", NUM: "float64", TEXT: "str"}[kind]


@dataclass
class Dataset:
    """The seven canonical tables; a table the data lacks is ``None``.

    ``currency`` is the unit money columns are in (``"rial"`` or ``"toman"``);
    ``ces_scale`` is 5 or 7 (declared in the mapping); ``report`` is the
    ``ValidationReport`` of the load (None for generated data).
    """
    orders: pd.DataFrame
    customers: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    returns: pd.DataFrame | None = None
    complaints: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    currency: str = "rial"
    ces_scale: int = 5
    report: object | None = field(default=None, repr=False)

    def tables(self) -> Iterator[tuple[str, pd.DataFrame | None]]:
        """(name, frame) for the seven tables in contract order."""
        for name in TABLES:
            yield name, getattr(self, name)

    def present(self) -> list[str]:
        return [n for n, df in self.tables() if df is not None]

    def missing(self) -> list[str]:
        return [n for n, df in self.tables() if df is None]

    def counts(self) -> dict[str, int]:
        return {n: len(df) for n, df in self.tables() if df is not None}

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(df):,}" for n, df in self.tables() if df is not None)
        return f"Dataset({parts}, currency={self.currency!r})"


def empty(table: str) -> pd.DataFrame:
    """A zero-row frame of ``table`` with every canonical column and dtype."""
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_for(c.kind)) for c in columns(table)})


def conform(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Cast the canonical columns present in ``df`` to their contract dtypes
    (already-parsed values only; parsing of raw text is ``insight.data``'s job)."""
    out = df.copy()
    for c in columns(table):
        if c.name in out.columns:
            want = dtype_for(c.kind)
            if str(out[c.name].dtype) != want:
                out[c.name] = out[c.name].astype(want)
    return out
