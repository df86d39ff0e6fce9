"""The YAML mapping: how a user's export maps onto the data contract, without code.

See docs/data-contract.md for the format.  ``read_mapping`` turns a file or a
dict into a ``Mapping``; ``discover`` builds one for a folder of canonical files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from insight.contract import TABLES
from insight.data.report import DataError

FORMATS = ("csv", "tsv", "whitespace", "parquet", "xlsx")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "txt", ".parquet": "parquet",
              ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx"}
#: order in which canonical file names are looked for in a folder
CANONICAL_EXTS = (".parquet", ".csv", ".tsv", ".txt", ".xlsx")
CURRENCIES = ("rial", "toman")

_READ_KEYS = {"format", "sep", "encoding", "skiprows", "sheet", "header", "names"}
_TABLE_KEYS = _READ_KEYS | {"files", "columns", "constants", "dates", "currency", "values",
                            "derive", "join", "line_total"}
_JOIN_KEYS = _READ_KEYS | {"file", "on", "columns"}
_TOP_KEYS = {"currency", "ces_scale", "calendar", "data_dir", "tables"}


@dataclass
class ReadSpec:
    """How to read one file."""
    format: str | None = None          # None: by extension
    sep: str | None = None
    encoding: str = "auto"
    skiprows: int = 0
    sheet: str | int | None = None
    header: str = "infer"              # "infer" (first line) or "none"
    names: list[str] | None = None


@dataclass
class JoinSpec:
    """Merge columns of another file onto a table's rows (left join, first match)."""
    file: str
    left_on: list[str]
    right_on: list[str]
    columns: dict[str, str] | None     # right column -> name in the merged frame (None: all)
    read: ReadSpec = field(default_factory=ReadSpec)


@dataclass
class TableSpec:
    """One canonical table: where its rows come from and how columns map."""
    table: str
    files: list[str]
    read: ReadSpec = field(default_factory=ReadSpec)
    columns: dict[Any, list[str]] = field(default_factory=dict)   # source (name or position) -> canonical
    constants: dict[str, Any] = field(default_factory=dict)
    calendar: str | None = None
    date_format: str | None = None
    date_columns: dict[str, dict] = field(default_factory=dict)    # per-column calendar/format
    currency: str | None = None        # unit of the source money values
    values: dict[str, dict] = field(default_factory=dict)          # canonical column -> {raw: value}
    derive: dict[str, str] = field(default_factory=dict)           # canonical column -> "{a}-{b}"
    join: list[JoinSpec] = field(default_factory=list)
    line_total: bool = False           # unit_price holds the line total: divide by quantity


@dataclass
class Mapping:
    tables: dict[str, TableSpec]
    currency: str = "rial"
    ces_scale: int = 5
    calendar: str = "auto"
    data_dir: Path | None = None
    source: Path | None = None         # the YAML file, if any
    notes: dict[str, list[str]] = field(default_factory=dict)   # table -> remarks for the report


class _YamlLoader(yaml.SafeLoader):
    """YAML 1.2-style booleans: only true/false.  YAML 1.1 would read column names
    like ``no``, ``on``, ``yes`` or ``off`` as booleans."""


_YamlLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_YamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def _err(where: str, msg: str) -> DataError:
    return DataError(f"mapping {where}: {msg}")


def _check_keys(d: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(map(str, d)) - allowed)
    if unknown:
        raise _err(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _read_spec(d: dict, where: str) -> ReadSpec:
    fmt = d.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise _err(where, f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    header = d.get("header", "infer")
    if header in (None, False, "none", "None", "no"):
        header = "none"
    elif header not in ("infer", True, 0):
        raise _err(where, f"header must be 'none' or left out, not {header!r}")
    else:
        header = "infer"
    names = d.get("names")
    if names is not None and not isinstance(names, list):
        raise _err(where, "names must be a list of column names")
    if header == "none" and names is None:
        names = None  # positional columns 0, 1, 2 ... (refer to them as integers in columns:)
    skip = d.get("skiprows", 0) or 0
    if not isinstance(skip, int) or skip < 0:
        raise _err(where, f"skiprows must be a whole number >= 0, not {skip!r}")
    return ReadSpec(format=fmt, sep=d.get("sep"), encoding=d.get("encoding", "auto") or "auto",
                    skiprows=skip, sheet=d.get("sheet"), header=header,
                    names=[str(n) for n in names] if names else None)


def _listify(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _columns(d, table: str, where: str) -> dict:
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise _err(where, "columns must map source column -> canonical column")
    canon = {c.name for c in TABLES[table][1]}
    out = {}
    for src, dst in d.items():
        targets = [str(t) for t in _listify(dst)]
        for t in targets:
            if t not in canon:
                raise _err(where, f"columns: {src!r} -> {t!r}: {t!r} is not a column of {table} "
                                  f"(canonical: {', '.join(sorted(canon))})")
        out[src] = targets
    return out


def _table_spec(table: str, d: dict, m: dict) -> TableSpec:
    where = f"{table}"
    if isinstance(d, (str, list)):
        d = {"files": d}
    if not isinstance(d, dict):
        raise _err(where, "must be a mapping with at least `files:`")
    _check_keys(d, _TABLE_KEYS, where)
    files = [str(f) for f in _listify(d.get("files"))]
    if not files:
        raise _err(where, "no `files:` given (a file name, glob or list)")
    canon = {c.name for c in TABLES[table][1]}
    dates = d.get("dates") or {}
    if isinstance(dates, str):
        dates = {"calendar": dates}
    calendar = dates.get("calendar")
    if calendar is not None and calendar not in ("auto", "jalali", "gregorian"):
        raise _err(where, f"dates.calendar must be jalali, gregorian or auto, not {calendar!r}")
    date_cols = {}
    for k, v in (dates.get("columns") or {}).items():
        date_cols[str(k)] = v if isinstance(v, dict) else {"format": v}
    for key in ("constants", "values", "derive"):
        for col in (d.get(key) or {}):
            if col not in canon:
                raise _err(where, f"{key}: {col!r} is not a column of {table}")
    currency = d.get("currency")
    if currency is not None and currency not in CURRENCIES:
        raise _err(where, f"currency must be rial or toman, not {currency!r}")
    joins = []
    for j, jd in enumerate(_listify(d.get("join"))):
        jw = f"{table}.join[{j}]"
        if isinstance(jd, dict):  # YAML 1.1 reads a bare `on:` key as True
            jd = {("on" if k is True else k): v for k, v in jd.items()}
        if not isinstance(jd, dict) or "file" not in jd or "on" not in jd:
            raise _err(jw, "each join needs `file:` and `on:` (a column, a list, or {left: right})")
        _check_keys(jd, _JOIN_KEYS, jw)
        on = jd["on"]
        if isinstance(on, dict):
            left_on, right_on = [str(k) for k in on], [str(v) for v in on.values()]
        else:
            left_on = right_on = [str(k) for k in _listify(on)]
        cols = jd.get("columns")
        if isinstance(cols, list):
            cols = {str(c): str(c) for c in cols}
        elif isinstance(cols, dict):
            cols = {str(k): str(v) for k, v in cols.items()}
        joins.append(JoinSpec(str(jd["file"]), left_on, right_on, cols, _read_spec(jd, jw)))
    values = {}
    for col, vm in (d.get("values") or {}).items():
        if not isinstance(vm, dict):
            raise _err(where, f"values: {col} must map raw value -> value")
        values[col] = {str(k): v for k, v in vm.items()}
    return TableSpec(
        table=table, files=files, read=_read_spec(d, where), columns=_columns(d.get("columns"), table, where),
        constants=dict(d.get("constants") or {}), calendar=calendar, date_format=dates.get("format"),
        date_columns=date_cols, currency=currency, values=values,
        derive={k: str(v) for k, v in (d.get("derive") or {}).items()}, join=joins,
        line_total=bool(d.get("line_total", False)))


def read_mapping(mapping, base: Path | None = None) -> Mapping:
    """A ``Mapping`` from a YAML file path or an already-parsed dict."""
    source = None
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, (str, Path)):
        source = Path(mapping)
        if not source.is_file():
            raise DataError(f"mapping file {source} does not exist")
        try:
            m = yaml.load(source.read_text(encoding="utf-8-sig"), Loader=_YamlLoader)
        except yaml.YAMLError as e:
            raise DataError(f"mapping file {source} is not valid YAML: {e}") from None
        base = source.parent
    else:
        m = mapping
    if not isinstance(m, dict):
        raise DataError(f"mapping {source or ''} must be a YAML mapping of tables")
    where = str(source or "mapping")
    allowed = _TOP_KEYS | set(TABLES)
    _check_keys(m, allowed, "top level")
    tables_d = dict(m.get("tables") or {})
    for name in TABLES:
        if name in m:
            tables_d[name] = m[name]
    for name in tables_d:
        if name not in TABLES:
            raise _err(where, f"{name!r} is not a table of the contract ({', '.join(TABLES)})")
    if "orders" not in tables_d:
        raise _err(where, "no `orders:` table: orders are required")
    currency = m.get("currency", "rial")
    if currency not in CURRENCIES:
        raise _err(where, f"currency must be rial or toman, not {currency!r}")
    ces = m.get("ces_scale", 5)
    if ces not in (5, 7):
        raise _err(where, f"ces_scale must be 5 or 7, not {ces!r}")
    calendar = m.get("calendar", "auto")
    if calendar not in ("auto", "jalali", "gregorian"):
        raise _err(where, f"calendar must be jalali, gregorian or auto, not {calendar!r}")
    data_dir = m.get("data_dir")
    if data_dir is not None:
        data_dir = Path(data_dir)
        if not data_dir.is_absolute() and base is not None:
            data_dir = base / data_dir
    elif base is not None:
        data_dir = base
    tables = {n: _table_spec(n, tables_d[n], m) for n in TABLES if n in tables_d}
    return Mapping(tables=tables, currency=currency, ces_scale=int(ces), calendar=calendar,
                   data_dir=data_dir, source=source)


def discover(folder: Path) -> Mapping:
    """Mapping for a folder of canonical files ``<table>.<ext>`` (columns already canonical)."""
    tables, notes = {}, {}
    for name in TABLES:
        found = [folder / f"{name}{ext}" for ext in CANONICAL_EXTS if (folder / f"{name}{ext}").is_file()]
        if found:
            tables[name] = TableSpec(table=name, files=[found[0].name])
            if len(found) > 1:
                notes[name] = [f"read {found[0].name}; also found {', '.join(p.name for p in found[1:])} "
                               "(not read)"]
    if "orders" not in tables:
        present = sorted(p.name for p in folder.iterdir() if p.is_file())[:12] if folder.is_dir() else []
        raise DataError(
            f"no orders file in {folder}: expected one of "
            + ", ".join(f"orders{e}" for e in CANONICAL_EXTS)
            + (f" (found: {', '.join(present)})" if present else " (the folder is empty)")
            + ". Rename your export to orders.csv or describe it in a mapping file "
              "(see docs/data-contract.md).")
    return Mapping(tables=tables, data_dir=folder, notes=notes)
