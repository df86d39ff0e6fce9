"""The heavy aggregations, written once as Ibis expressions.

Every builder here takes ibis tables (or anything :func:`table` accepts: a
pandas DataFrame, a Parquet/CSV path or folder) and returns a *lazy* ibis
table expression.  Nothing runs until :func:`execute` (or ``to_parquet``), so
the same expression runs

* on DuckDB (the default): in memory on pandas frames, or straight on Parquet
  / CSV files, out of core (DuckDB streams and spills to disk), and
* on Spark (``connect("pyspark")``, local mode or a cluster).

``benchmarks/spark_equivalence.py`` runs every builder on both and asserts
equal results.  Only constructs both engines compile are used: window
functions, ``rank`` (not ``ntile``: ``ntile`` splits ties arbitrarily,
so two engines -- or two runs -- could score the same customer differently),
and for ordered sequences a sorted array of structs (Spark's SQL has no
ordered ``collect_list``).

    from insight import engine
    con = engine.connect()                       # DuckDB, in memory
    orders = engine.table("data/big/orders.parquet", con)
    feats = engine.execute(engine.customer_features(orders), con)

Columns are the canonical ones of ``insight.contract``.  Rates come with
``n`` and a 95% Wilson interval.
"""
from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

__all__ = [
    "connect", "local_spark", "table", "execute", "customer_features", "rfm_scores",
    "cohorts", "product_rates", "transitions", "variants", "jalali_calendar", "aggregate_all",
]

Z95 = 1.959963984540054
_ids = itertools.count()


# --------------------------------------------------------------------------- backends
def connect(backend: str = "duckdb", *, threads: int | None = None, memory_limit: str | None = None,
            temp_directory: str | Path | None = None, spark: Any = None):
    """An ibis backend.  ``"duckdb"`` (default; ``memory_limit`` like ``"2GB"``
    makes DuckDB spill to ``temp_directory`` rather than grow) or ``"pyspark"``
    (``spark`` = an existing SparkSession, else a local one from :func:`local_spark`)."""
    if backend == "duckdb":
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = int(threads)
        if memory_limit:
            config["memory_limit"] = str(memory_limit)
        if temp_directory:
            config["temp_directory"] = str(temp_directory)
        return ibis.duckdb.connect(**config)
    if backend == "pyspark":
        return ibis.pyspark.connect(spark if spark is not None else local_spark())
    raise ValueError(f"unknown backend {backend!r}: use 'duckdb' or 'pyspark'")


def local_spark(cores: int = 2, driver_memory: str = "2g"):
    """A local-mode SparkSession set up for these expressions: UTC session time
    zone (timestamps are naive local time; UTC makes Spark leave them alone),
    few shuffle partitions, no UI."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(f"local[{cores}]").appName("insight")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


def table(source: Any, con: Any = None, name: str | None = None) -> ir.Table:
    """An ibis table from an ibis table (returned as is), a pandas DataFrame
    (an in-memory table), or a path: ``*.parquet``, ``*.csv`` or a folder of
    Parquet files.  Paths are read lazily by ``con`` (DuckDB by default), so a
    file larger than memory is fine."""
    if isinstance(source, ir.Table):
        return source
    if isinstance(source, pd.DataFrame):
        if source.attrs:  # attrs (e.g. a Timestamp) need not survive and may not serialize
            source = source.copy(deep=False)
            source.attrs = {}
        return ibis.memtable(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        con = con if con is not None else ibis.get_backend()
        if path.is_dir():
            files = sorted(path.glob("*.parquet"))
            if not files:
                raise FileNotFoundError(f"{path}: a folder given as a table needs *.parquet files in it")
            return con.read_parquet([str(f) for f in files], table_name=name or _fresh())
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            return con.read_parquet(str(path), table_name=name or _fresh())
        if suffix in (".csv", ".tsv", ".txt"):
            return con.read_csv(str(path), table_name=name or _fresh())
        raise ValueError(f"{path}: unknown table format {suffix!r} (use .parquet or .csv)")
    raise TypeError(f"cannot make a table of {type(source).__name__}: give a DataFrame, a path or an ibis table")


def execute(expr: ir.Expr, con: Any = None, *, sort: bool = True) -> pd.DataFrame:
    """Run ``expr`` on ``con`` (the backend its tables are bound to, else DuckDB)
    and return a pandas DataFrame, rows sorted by all columns when ``sort``
    (engines return groups in any order)."""
    df = con.execute(expr) if con is not None else expr.execute()
    if sort and isinstance(df, pd.DataFrame) and len(df.columns):
        keys = [c for c in df.columns if not isinstance(df[c].iloc[0] if len(df) else None, (list, dict))]
        df = df.sort_values(keys, kind="stable", ignore_index=True)
    return df


def _fresh() -> str:
    return f"insight_t{next(_ids)}"


def _tables(*sources: Any) -> list[ir.Table]:
    return [table(s) if s is not None else None for s in sources]


def _has(t: ir.Table, col: str) -> bool:
    return col in t.columns


def _days(later: ir.Value, earlier: ir.Value) -> ir.IntegerValue:
    """Whole calendar days from ``earlier`` to ``later`` (dates or timestamps)."""
    return _date(later).delta(_date(earlier), unit="day")


def _date(x: ir.Value) -> ir.DateValue:
    return x if x.type().is_date() else x.date()


def _as_of(orders: ir.Table, as_of: Any) -> ir.Value:
    """The reference time: ``as_of`` or, by default, the last order time in the data
    (as ``insight.segments.rfm`` does)."""
    if as_of is None:
        return orders.order_date.max().as_scalar()
    return ibis.literal(pd.Timestamp(as_of).to_pydatetime()).cast("timestamp")


def _whole_days(later: ir.Value, earlier: ir.Value) -> ir.IntegerValue:
    """floor((later - earlier) / 1 day), timestamps in, like numpy's ``// 86400``."""
    return ((later.epoch_seconds() - earlier.epoch_seconds()) / 86400).floor().cast("int64")


def _wilson(k: ir.NumericValue, n: ir.NumericValue, prefix: str) -> dict[str, ir.Value]:
    """95% Wilson score interval of k successes in n trials, as expressions."""
    n_ = n.cast("float64")
    p = k.cast("float64") / n_
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n_)) / (1 + z2 / n_)
    half = Z95 * ((p * (1 - p) / n_ + z2 / (4 * n_ * n_)).sqrt()) / (1 + z2 / n_)
    ok = n > 0
    return {
        prefix: ibis.ifelse(ok, p, ibis.null("float64")),
        f"{prefix}_lo": ibis.ifelse(ok, ibis.greatest(centre - half, 0.0), ibis.null("float64")),
        f"{prefix}_hi": ibis.ifelse(ok, ibis.least(centre + half, 1.0), ibis.null("float64")),
    }


def _valid_lines(orders: ir.Table, include_cancelled: bool) -> ir.Table:
    if include_cancelled or not _has(orders, "status"):
        return orders
    return orders.filter(orders.status.isnull() | (orders.status != "cancelled"))


# --------------------------------------------------------------------------- customers
def customer_features(orders: Any, as_of: Any = None, *, include_cancelled: bool = False) -> ir.Table:
    """Order lines -> one row per customer.

    Columns: ``customer_id, first_order, last_order, n_orders`` (distinct
    order ids), ``n_lines, units, revenue`` (sum of quantity x unit_price),
    ``n_order_days`` (distinct calendar days with an order; a BG/NBD
    "transaction" is a customer-day, so ``repeat_days = n_order_days - 1`` is
    its frequency), ``recency_days`` (whole days from the last order to
    ``as_of``), ``tenure_days`` (from the first order to ``as_of``) and
    ``span_days`` (calendar days from the first to the last order day).

    ``as_of`` defaults to the last order time in the data; lines after it are
    left out, and so are cancelled lines unless ``include_cancelled``.  The
    same conventions as ``insight.segments.rfm``.
    """
    (orders,) = _tables(orders)
    ref = _as_of(orders, as_of)
    o = _valid_lines(orders, include_cancelled)
    if as_of is not None:
        o = o.filter(o.order_date <= ref)
    o = o.mutate(_amount=o.quantity * o.unit_price, _day=o.order_date.date())
    g = o.group_by("customer_id").agg(
        first_order=o.order_date.min(),
        last_order=o.order_date.max(),
        n_orders=o.order_id.nunique(),
        n_lines=o.count(),
        units=o.quantity.sum(),
        revenue=o._amount.sum(),
        n_order_days=o._day.nunique(),
    )
    return g.mutate(
        recency_days=_whole_days(ref, g.last_order),
        tenure_days=_whole_days(ref, g.first_order),
        span_days=_days(g.last_order, g.first_order),
        repeat_days=g.n_order_days - 1,
    )


def _rfm_grid() -> dict[str, list[tuple[int, int]]]:
    from insight.segments import _GRID_NAMES  # the one R x F grid of the project

    grid: dict[str, list[tuple[int, int]]] = {}
    for r, row in enumerate(_GRID_NAMES, start=1):
        for f, name in enumerate(row, start=1):
            grid.setdefault(name, []).append((r, f))
    return grid


def _score(col: ir.Value, *, higher_is_better: bool) -> ir.IntegerValue:
    """``1 + floor(5 x (#strictly worse) / n)``: ties share a score, deterministic on
    every engine (``ntile`` is not), identical to ``insight.segments.quantile_score``."""
    order = col if higher_is_better else col.desc()
    worse = ibis.rank().over(ibis.window(order_by=order))  # 0-based min rank
    n = col.count().over(ibis.window())
    return ((worse * 5) // n + 1).cast("int64")


def rfm_scores(orders_or_features: Any, as_of: Any = None) -> ir.Table:
    """RFM scores 1-5 per customer and the named segment, as ``insight.segments.rfm``.

    Takes order lines (features are computed with ``as_of``) or the output of
    :func:`customer_features`.  R ranks ``recency_days`` (more recent is
    better), F ``n_orders``, M ``revenue``; score = 1 + floor(5 x share of
    customers strictly worse), so equal values share a score.  Adds ``R, F,
    M``, ``rfm_score`` ("545") and ``segment`` (the project's R x F grid).
    """
    (t,) = _tables(orders_or_features)
    if "recency_days" not in t.columns:
        t = customer_features(t, as_of)
    t = t.mutate(
        R=_score(t.recency_days, higher_is_better=False),
        F=_score(t.n_orders, higher_is_better=True),
        M=_score(t.revenue, higher_is_better=True),
    )
    rf = t.R * 10 + t.F
    branches = [(rf.isin([r * 10 + f for r, f in cells]), name) for name, cells in _rfm_grid().items()]
    return t.mutate(
        rfm_score=t.R.cast("string").concat(t.F.cast("string"), t.M.cast("string")),
        segment=ibis.cases(*branches, else_=ibis.null("string")),
    )


# --------------------------------------------------------------------------- cohorts
@functools.lru_cache(maxsize=4)
def _jalali_frame(start: str, end: str) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    try:
        from insight.dates import gregorian_to_jalali  # vectorized
        jy, jm, _ = gregorian_to_jalali(days.year.to_numpy(), days.month.to_numpy(), days.day.to_numpy())
    except ImportError:  # pragma: no cover - insight.dates is part of the package
        import jdatetime

        jd = [jdatetime.date.fromgregorian(date=d.date()) for d in days]
        jy, jm = [d.year for d in jd], [d.month for d in jd]
    return pd.DataFrame({
        "day": days.date,
        "j_year": pd.array(jy, dtype="int64"),
        "j_month": pd.array(jm, dtype="int64"),
    })


def jalali_calendar(start: str = "1990-01-01", end: str = "2060-12-31") -> ir.Table:
    """A day -> Jalali (year, month) table as an in-memory ibis table (25k rows
    for the default span).  A join on it is how the Jalali calendar reaches
    any engine: neither DuckDB nor Spark knows it, and this keeps the rule in
    one place (``insight.dates``, checked against ``jdatetime`` in the tests)."""
    return ibis.memtable(_jalali_frame(start, end))


def _month_key(o: ir.Table, calendar: str) -> ir.Table:
    """Add ``_key`` = year x 12 + month - 1 of ``order_date`` in ``calendar``."""
    if calendar == "gregorian":
        return o.mutate(_key=o.order_date.year().cast("int64") * 12 + o.order_date.month().cast("int64") - 1)
    if calendar == "jalali":
        cal = jalali_calendar()
        o = o.mutate(_day=o.order_date.date())
        j = o.left_join(cal, o._day == cal.day)
        return j.mutate(_key=j.j_year * 12 + j.j_month - 1).drop("day", "j_year", "j_month", "_day")
    raise ValueError(f"calendar must be 'gregorian' or 'jalali', not {calendar!r}")


def _label(key: ir.IntegerValue) -> ir.StringValue:
    year = (key // 12).cast("string")
    month = (key % 12 + 1).cast("string").lpad(2, "0")
    return year.concat("-", month)


def cohorts(orders: Any, *, calendar: str = "gregorian", include_cancelled: bool = False) -> ir.Table:
    """Monthly acquisition cohorts: one row per (cohort, months since first order).

    ``calendar`` is ``"gregorian"`` or ``"jalali"`` (months of the Persian
    calendar, e.g. ``1403-01`` is Farvardin 1403).  Columns: ``cohort``
    (label ``YYYY-MM``), ``period`` (0 = the first month), ``customers``
    (distinct customers ordering that month), ``orders``, ``revenue``,
    ``cohort_size`` (customers in period 0) and ``retention`` =
    customers / cohort_size.
    """
    (orders,) = _tables(orders)
    o = _valid_lines(orders, include_cancelled)
    o = _month_key(o, calendar).mutate(_amount=o.quantity * o.unit_price)
    o = o.mutate(_first=o._key.min().over(ibis.window(group_by="customer_id")))
    g = o.group_by(_cohort=o._first, period=o._key - o._first).agg(
        customers=o.customer_id.nunique(),
        orders=o.order_id.nunique(),
        revenue=o._amount.sum(),
    )
    size = g.filter(g.period == 0).select(_c=g._cohort, cohort_size=g.customers)
    j = g.inner_join(size, g._cohort == size._c)
    return j.select(
        cohort=_label(j._cohort), period=j.period.cast("int64"), customers=j.customers,
        orders=j.orders, revenue=j.revenue, cohort_size=j.cohort_size,
        retention=j.customers.cast("float64") / j.cohort_size.cast("float64"),
    )


# --------------------------------------------------------------------------- products
def product_rates(orders: Any, returns: Any = None) -> ir.Table:
    """Per product: how often it is returned, backordered, cancelled, late.

    A line counts as returned when ``returns`` has its (order_id, product_id).
    Each rate comes with its denominator and a 95% Wilson interval:
    ``return_rate`` over ``n_lines``, ``backorder_rate`` and ``cancel_rate``
    over ``n_lines``, ``late_rate`` over ``n_promised`` (lines with both a
    promised and a delivered date).  Also ``n_orders, units, revenue``
    (non-cancelled lines).
    """
    orders, returns = _tables(orders, returns)
    o = orders
    status = o.status if _has(o, "status") else ibis.null("string")
    if returns is not None:
        r = returns.select("order_id", "product_id").distinct().mutate(_ret=ibis.literal(1))
        o = o.left_join(r, ["order_id", "product_id"])
        status = o.status if _has(o, "status") else ibis.null("string")
        returned = o._ret.notnull().cast("int64")
    else:
        returned = ibis.literal(0)
    cancelled = (status == "cancelled").fill_null(False)
    if _has(o, "promised_date") and _has(o, "delivered_date"):
        promised = (o.promised_date.notnull() & o.delivered_date.notnull())
        late = promised & (o.delivered_date.date() > o.promised_date.date())
    else:
        promised = late = ibis.literal(False)
    o = o.mutate(
        _returned=returned, _back=(status == "backordered").fill_null(False).cast("int64"),
        _cancel=cancelled.cast("int64"), _promised=promised.cast("int64"), _late=late.cast("int64"),
        _amount=ibis.ifelse(cancelled, 0.0, o.quantity * o.unit_price),
        _units=ibis.ifelse(cancelled, 0.0, o.quantity.cast("float64")),
    )
    g = o.group_by("product_id").agg(
        n_lines=o.count(), n_orders=o.order_id.nunique(), units=o._units.sum(), revenue=o._amount.sum(),
        n_returned=o._returned.sum(), n_backordered=o._back.sum(), n_cancelled=o._cancel.sum(),
        n_promised=o._promised.sum(), n_late=o._late.sum(),
    )
    return g.mutate(
        **_wilson(g.n_returned, g.n_lines, "return_rate"),
        **_wilson(g.n_backordered, g.n_lines, "backorder_rate"),
        **_wilson(g.n_cancelled, g.n_lines, "cancel_rate"),
        **_wilson(g.n_late, g.n_promised, "late_rate"),
    )


# --------------------------------------------------------------------------- journeys
def _ordered(events: ir.Table, case: str, activity: str, timestamp: str, tie_order) -> ir.Table:
    e = events.select(_case=events[case], _act=events[activity].cast("string"), _ts=events[timestamp])
    if tie_order:
        rank = ibis.cases(*((e._act == a, i) for i, a in enumerate(tie_order)), else_=len(tie_order))
    else:
        rank = ibis.literal(0)
    return e.mutate(_rank=rank.cast("int64"))


def transitions(events: Any, *, case: str = "customer_id", activity: str = "event",
                timestamp: str = "timestamp", tie_order=None) -> ir.Table:
    """Directly-follows pairs of an event log: one row per (source, target).

    Within each case events are ordered by time, then by position in
    ``tie_order`` (e.g. ``insight.journey.EVENTS``; unlisted activities last),
    then by activity name -- a deterministic tie-break for events at the same
    instant.  Columns: ``source, target, n`` (times the pair
    follows directly), ``n_cases`` (cases with it at least once),
    ``mean_hours`` and ``median_hours`` between the two events.
    """
    (events,) = _tables(events)
    e = _ordered(events, case, activity, timestamp, tie_order)
    w = ibis.window(group_by=e._case, order_by=[e._ts, e._rank, e._act])
    e = e.mutate(target=e._act.lead().over(w), _next=e._ts.lead().over(w))
    e = e.filter(e.target.notnull())
    hours = (e._next.epoch_seconds() - e._ts.epoch_seconds()).cast("float64") / 3600.0
    e = e.mutate(_h=hours)
    return e.group_by(source=e._act, target=e.target).agg(
        n=e.count(), n_cases=e._case.nunique(), mean_hours=e._h.mean(), median_hours=e._h.median(),
    )


def variants(events: Any, *, case: str = "customer_id", activity: str = "event",
             timestamp: str = "timestamp", sep: str = " > ", tie_order=None) -> ir.Table:
    """Process variants: each case's ordered activity sequence and how many cases follow it.

    Columns: ``variant`` (activities joined by ``sep``), ``n_events``
    (length), ``n_cases`` and ``share`` of all cases.  Events are ordered as
    in :func:`transitions`.  Sequences are built by
    sorting an array of (time, tie rank, activity) structs, which both DuckDB and Spark
    compile (Spark's SQL cannot order ``collect_list``).
    """
    (events,) = _tables(events)
    e = _ordered(events, case, activity, timestamp, tie_order)
    seq = ibis.struct({"t": e._ts, "r": e._rank, "a": e._act}).collect().sort().map(lambda s: s.a)
    per_case = e.group_by("_case").agg(_seq=seq)
    per_case = per_case.mutate(variant=per_case._seq.join(sep), n_events=per_case._seq.length().cast("int64"))
    v = per_case.group_by(["variant", "n_events"]).agg(n_cases=per_case.count())
    return v.mutate(share=v.n_cases.cast("float64") / v.n_cases.sum().over(ibis.window()).cast("float64"))


def aggregate_all(orders: Any, returns: Any = None, events: Any = None, con: Any = None,
                  **event_cols: str) -> dict[str, pd.DataFrame]:
    """Run every builder and return {name: DataFrame} (a convenience for reports and benchmarks)."""
    orders, returns, events = (table(s, con) if s is not None else None for s in (orders, returns, events))
    exprs = {
        "customer_features": customer_features(orders),
        "rfm": rfm_scores(orders),
        "cohorts": cohorts(orders),
        "cohorts_jalali": cohorts(orders, calendar="jalali"),
        "product_rates": product_rates(orders, returns),
    }
    if events is not None:
        exprs["transitions"] = transitions(events, **event_cols)
        exprs["variants"] = variants(events, **event_cols)
    return {k: execute(e, con) for k, e in exprs.items()}
