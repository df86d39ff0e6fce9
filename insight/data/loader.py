"""``load``: read, type, validate and quarantine; return a ``Dataset``."""
from __future__ import annotations

import datetime as _dt
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from insight import _events
from insight.contract import TABLES, Dataset
from insight.data.arrowtext import first_appearance
from insight.data.mapping import EXTENSIONS, Mapping, discover, read_mapping
from insight.data.parse import Issues, parse_table
from insight.data.readers import FileCache, read_table
from insight.data.report import DataError, TableReport, ValidationReport
from insight.data.validate import (PARENT_KEY, REFERENCES, check_duplicates, check_references,
                                   check_return_dates, check_values, isin_encoded, isin_many, key_index,
                                   key_positions, reasons, summarize)

MAPPING_NAMES = ("mapping.yml", "mapping.yaml")
#: tables finished as soon as they are read: a later parent table (orders) refers to them
NEEDED_EARLY = {p for t in PARENT_KEY for p in REFERENCES.get(t, {}).values()}


def _resolve_inputs(path, mapping) -> tuple[Mapping, Path]:
    path = Path(path)
    if mapping is not None:
        m = read_mapping(mapping)
        if path.is_dir():
            base = path
        elif path.suffix.lower() in (".yml", ".yaml") and path.is_file():
            base = m.data_dir or path.parent
        else:
            raise DataError(f"{path}: not a folder. Pass the folder that holds the export files.")
        return m, base
    if path.is_file() and path.suffix.lower() in (".yml", ".yaml"):
        m = read_mapping(path)
        return m, m.data_dir or path.parent
    if path.is_dir():
        for name in MAPPING_NAMES:
            if (path / name).is_file():
                m = read_mapping(path / name)
                return m, path if m.data_dir == path else (m.data_dir or path)
        return discover(path), path
    if not path.exists():
        raise DataError(f"{path}: no such folder or file. Pass the folder holding orders.csv "
                        "(and customers.csv, reviews.csv, …) or a mapping .yml file.")
    raise DataError(f"{path}: pass a folder of canonical files or a mapping .yml file, not a single file.")


class _ParentKeys(dict):
    """parent table -> its distinct kept keys, computed the first time a child asks;
    ``codes[parent]``: each kept row's position among them (``key_index``)."""

    def __init__(self):
        super().__init__()
        self.frames: dict[str, pd.Series] = {}
        self.codes: dict[str, np.ndarray] = {}

    def get(self, name, default=None):
        if name not in self and name in self.frames:
            self[name], self.codes[name] = key_index(self.frames.pop(name))
        return super().get(name, default)


def _parquet_only(spec) -> bool:
    """Every file of the table (and of its joins) is Parquet.  Only those are read in
    the background: text readers record pandas' bad-line warnings, and
    ``warnings.catch_warnings`` is not thread-safe."""
    def parquet(files, read) -> bool:
        return all((read.format or EXTENSIONS.get(Path(f).suffix.lower())) == "parquet" for f in files)
    return parquet(spec.files, spec.read) and all(parquet([j.file], j.read) for j in spec.join)


def _late_references(pending, parents: _ParentKeys, found: dict, waiting: dict, order_pos: dict) -> None:
    """Look up the references of the ``pending`` tables whose parent was finished after
    them (the orders): one ``key_positions`` pass per parent gives its keys, its rows'
    codes and every child id's position.  Fills ``found`` (masks) and ``order_pos``."""
    late: dict[str, list] = {}
    for table, _, _, _, df, _ in pending:
        for col, parent in REFERENCES.get(table, {}).items():
            if col in df and (table, col) not in found and (table, col) not in waiting and parent in parents.frames:
                late.setdefault(parent, []).append((table, col, df[col]))
    for parent, cols in late.items():
        keys, codes, pos = key_positions(parents.frames.pop(parent), [c[2] for c in cols])
        parents[parent], parents.codes[parent] = keys, codes
        for (table, col, _), p in zip(cols, pos):
            found[(table, col)] = p >= 0
            if (table, col, parent) == ("returns", "order_id", "orders"):
                order_pos["returns"] = p


def _today(today) -> pd.Timestamp:
    if today is None:
        return pd.Timestamp(_dt.date.today())
    try:
        return pd.Timestamp(today).normalize()
    except (ValueError, TypeError):
        raise DataError(f"today={today!r} is not a date (use YYYY-MM-DD)") from None


def _quarantine_frame(table: str, raw, rows: np.ndarray, why: np.ndarray) -> pd.DataFrame:
    orig = raw.frame.iloc[rows].reset_index(drop=True)
    orig.columns = [c if str(c) not in ("table", "source_file", "source_row", "reason") else f"source_{c}"
                    for c in map(str, orig.columns)]
    head = pd.DataFrame({"table": table, "source_file": raw.source_file(rows),
                         "source_row": raw.source_row[rows], "reason": why})
    parts = [pd.concat([head, orig], axis=1)]
    if len(raw.bad_lines):
        b = raw.bad_lines.copy()
        b.insert(0, "table", table)
        parts.append(b)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _uniques(s: pd.Series, keys):
    """``keys`` (distinct values from ``key_index`` / ``isin_encoded``) as the Index
    ``pd.factorize(s)`` gives, or None when ``s`` is not a pandas Arrow string column."""
    if isinstance(keys, pd.Index):
        return keys
    if isinstance(keys, pa.Array) and isinstance(s.array, pd.arrays.ArrowStringArray) and keys.type == s.array._pa_array.type:
        return pd.Index(pd.arrays.ArrowStringArray(keys, dtype=s.dtype))
    return None


def _adopt(frame: pd.DataFrame, col: str, codes, keys, keep=None) -> None:
    """Hand the id codes the load computed to the analyses (``insight._events.codes``).
    ``keep``: the rows of ``codes`` that ``frame`` kept (their codes are renumbered)."""
    if keep is not None and codes is not None:
        codes, old = first_appearance(codes[keep], len(keys))
        keys = keys.take(pa.array(old))
    u = _uniques(frame[col], keys)
    if u is not None and codes is not None:
        _events.adopt_codes(frame, col, codes, u)


def load(path, mapping=None, *, quarantine_dir=None, today=None) -> Dataset:
    """Load a folder of exports (or a mapping file) into the seven canonical tables.

    ``path``: a folder with canonical file names (``orders.csv``, ``customers.parquet``,
    …; a ``mapping.yml`` inside is used when present) or a mapping ``.yml`` file.
    ``mapping``: a mapping file or dict describing the user's own export (see
    docs/data-contract.md); its files are then relative to ``path`` when ``path``
    is a folder.  ``quarantine_dir``: where ``<table>.csv`` files of set-aside rows
    are written (nothing is written when None; the rows are always in
    ``ds.report.quarantined``).  ``today``: dates after it are implausible
    (default: the real today).

    Returns a ``Dataset``: typed tables with every contract column (absent optional
    tables are None) and ``ds.report``, a ``ValidationReport``.  Raises ``DataError``
    when the input is unusable (no orders, missing file or required column,
    undecodable or empty file).
    """
    m, base = _resolve_inputs(path, mapping)
    today_ts = _today(today)
    report = ValidationReport(currency=m.currency)
    frames: dict[str, pd.DataFrame | None] = {}
    parents = _ParentKeys()
    cache = FileCache()
    qparts = []
    pending = []   # tables finished at the end, in contract order: no later table needs them sooner
    found: dict = {}     # (table, column) -> mask of the values present in the parent
    waiting: dict = {}   # (table, column) -> (Future of a list of such masks, index in it)
    order_pos = {}       # the returns' positions among the orders' ids (for check_return_dates)
    encoded: dict = {}   # (table, column) -> Future of isin_encoded: the column's codes come with its lookup
    adopting: list = []  # Futures of _adopt: the codes handed to _events.codes

    def look_up(cols, keys):
        """Look ``cols`` ([(table, column, Series)], one parent) up in ``keys`` on the lookup thread."""
        fut = lookup.submit(isin_many, [c[2] for c in cols], keys)
        for i, (t, col, _) in enumerate(cols):
            waiting[(t, col)] = (fut, i)

    def finish(table, raw, n, issues, df, pk_index=None):
        """The checks that need other tables, then quarantine and report.  ``pk_index``:
        ``key_index`` of the primary key (or its Future) when already under way."""
        pk = TABLES[table][0]
        if isinstance(pk_index, Future):
            pk_index = pk_index.result()
        elif pk_index is None and pk and table in PARENT_KEY:
            pk_index = key_index(df[pk])   # hashed once: for the duplicates and as the parent's keys
        if table == "returns":   # after check_values, before the references (the order of the reasons)
            check_return_dates(df, issues, frames.get("orders"), order_pos.get("returns"),
                               parents.codes.get("orders"))
        for key in [k for k in waiting if k[0] == table]:
            fut, i = waiting.pop(key)
            found[key] = fut.result()[i]
        check_references(table, df, issues, parents, found)
        check_duplicates(table, df, issues, raw.source_row, None if pk_index is None else pk_index[1])
        bad = issues.bad()
        rows = np.flatnonzero(bad)
        kept = df.loc[~bad].reset_index(drop=True) if len(rows) else df
        frames[table] = kept
        encs = {key[1]: encoded.pop(key).result()[1] for key in [k for k in encoded if k[0] == table]}
        for col, enc in {**encs, **issues.codes}.items():
            if enc is not None:   # checked on the lookup thread while this one goes on
                adopting.append(lookup.submit(_adopt, kept, col, enc[1], enc[0], ~bad if len(rows) else None))
        if table in PARENT_KEY:
            if pk_index is not None and not len(rows) and PARENT_KEY[table] == pk:
                parents[table], parents.codes[table] = pk_index   # every row kept: the same keys
            else:
                parents.frames[table] = kept[PARENT_KEY[table]]
        nbad = len(raw.bad_lines)
        if nbad:
            issues.notes.insert(0, f"{nbad:,} line{'s' if nbad != 1 else ''} could not be split into the "
                                   f"header's columns — quarantined (line {int(raw.bad_lines['source_row'].iloc[0])})")
        report.tables[table] = TableReport(
            table=table, source_files=raw.files, rows_in=n + nbad, rows_kept=len(kept),
            rows_quarantined=len(rows) + nbad, problems=summarize(issues, raw.source_row))
        if len(rows) or nbad:
            qparts.append(_quarantine_frame(table, raw, rows, reasons(issues, rows)))

    # Helper threads (Arrow releases the GIL): two read the Parquet files (one file
    # decodes on one core, so two at a time) while this thread types and checks the
    # tables already read; one looks ids up in the parents already complete (customers,
    # products) while this thread goes on.
    reader = ThreadPoolExecutor(max_workers=2, thread_name_prefix="insight-read")
    lookup = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insight-lookup")
    try:
        reads = {t: reader.submit(read_table, m.tables[t], base, cache) for t in TABLES
                 if t in m.tables and _parquet_only(m.tables[t])}

        def typed(table):
            """The table read, typed and checked on its own (nothing that needs another table)."""
            spec = m.tables[table]
            raw = reads.pop(table).result() if table in reads else read_table(spec, base, cache)
            n = len(raw.frame)
            if n == 0 and len(raw.bad_lines) == 0 and table == "orders":
                raise DataError(f"{', '.join(raw.files)}: orders has a header but no rows. "
                                "Export the orders again; every report needs them.")
            issues = Issues(n, notes=list(m.notes.get(table, [])) + list(raw.notes))
            df, rawtext = parse_table(raw, spec, m, issues)
            check_values(table, df, rawtext, issues, today=today_ts, ces_scale=m.ces_scale)
            return raw, n, issues, df

        ahead: dict = {}   # table -> typed(table), or the error it raised, done while a bigger read ran
        for table in TABLES:
            if table not in m.tables:
                frames[table] = None
                report.missing.append(table)
                continue
            # while this table's file is still being read, type a later one that is ready
            # (its error, if any, is raised at its own turn: errors keep the table order)
            while table in reads and not reads[table].done() and table not in NEEDED_EARLY:
                waiting_reads = [t for t in reads if t not in ahead and t not in NEEDED_EARLY]
                later = next((t for t in waiting_reads if reads[t].done()), None)
                if later is None:   # none ready yet: wait for the first (this table's included)
                    wait([reads[t] for t in waiting_reads], return_when=FIRST_COMPLETED)
                    continue
                try:
                    ahead[later] = typed(later)
                except Exception as e:  # noqa: BLE001 - re-raised in table order below
                    ahead[later] = e
            got = ahead.pop(table) if table in ahead else typed(table)
            if isinstance(got, Exception):
                raise got
            raw, n, issues, df = got
            if table in NEEDED_EARLY:
                finish(table, raw, n, issues, df)
                continue
            if table in PARENT_KEY:   # the orders: looked up now, so they can be finished first
                for col, parent in REFERENCES.get(table, {}).items():
                    if parents.get(parent) is not None and col in df:
                        fut = lookup.submit(isin_encoded, df[col], parents.get(parent))
                        waiting[(table, col)] = (fut, 0)
                        encoded[(table, col)] = fut
            pk = TABLES[table][0]
            pending.append((table, raw, n, issues, df, lookup.submit(key_index, df[pk]) if pk else None))
        # the other tables' references to complete parents: one lookup per parent
        batches: dict[str, list] = {}
        for t, _, _, _, df, _ in pending:
            for col, parent in REFERENCES.get(t, {}).items():
                if t not in PARENT_KEY and col in df and parents.get(parent) is not None:
                    batches.setdefault(parent, []).append((t, col, df[col]))
        for parent, cols in batches.items():
            look_up(cols, parents.get(parent))
        # the deferred parent (orders) first; then its children's ids are placed among its
        # ids in the same pass that lists them (meanwhile the lookups above run); then the children
        for item in pending:
            if item[0] in PARENT_KEY:
                finish(*item)
        _late_references(pending, parents, found, waiting, order_pos)
        for item in pending:
            if item[0] not in PARENT_KEY:
                finish(*item)
        # the analyses factorize the orders' ids again unless given what the load computed
        if "orders" in parents.codes and frames.get("orders") is not None:
            _adopt(frames["orders"], "order_id", parents.codes["orders"], parents.get("orders"))
        for fut in adopting:
            fut.result()
    finally:
        reader.shutdown(wait=True, cancel_futures=True)
        lookup.shutdown(wait=True, cancel_futures=True)
    if qparts:
        report.quarantined = pd.concat(qparts, ignore_index=True)
    if quarantine_dir is not None:
        report.write_quarantine(quarantine_dir)
    return Dataset(orders=frames["orders"], customers=frames["customers"], products=frames["products"],
                   returns=frames["returns"], complaints=frames["complaints"], reviews=frames["reviews"],
                   surveys=frames["surveys"], currency=m.currency, ces_scale=m.ces_scale, report=report)
