"""Read export files into raw frames, remembering each row's file and line.

Text formats are read as strings (ids keep their leading zeros; parsing is
``insight.data.parse``'s job).  Encodings are detected: a UTF-16 or UTF-8
byte-order mark decides, else UTF-8 is tried and Windows-1256 (cp1256, the
usual Iranian Windows export) is the fallback.  Lines the CSV parser cannot
split into the header's number of fields are kept as "bad lines" so they can
be quarantined rather than lost.
"""
from __future__ import annotations

import csv
import glob as _glob
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from insight.data.mapping import EXTENSIONS, JoinSpec, ReadSpec, TableSpec
from insight.data.report import DataError
from insight.persian import to_latin_digits

NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-"]
_SKIP_RE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


@dataclass
class RawTable:
    """Rows of one table as read: ``frame`` (source column names), plus per row
    ``source_file`` (``files[file_idx]``) and ``source_row`` (1-based line, header = line 1)."""
    frame: pd.DataFrame
    file_idx: np.ndarray
    source_row: np.ndarray
    files: list[str]
    bad_lines: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["source_file", "source_row", "reason", "raw_line"]))
    notes: list[str] = field(default_factory=list)

    def source_file(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.files, dtype=object)[self.file_idx[rows]]


def detect_encoding(data: bytes, encoding: str, path: Path) -> str:
    """The encoding to decode ``data`` with (BOM, then UTF-8, then cp1256)."""
    if encoding and encoding != "auto":
        try:
            data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise DataError(f"{path}: cannot be decoded as {encoding} ({e}). Remove `encoding:` from "
                            "the mapping to detect it, or save the file as UTF-8.") from None
        return encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            data.decode("utf-8-sig")
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1256")
        return "cp1256"
    except UnicodeDecodeError:
        raise DataError(f"{path}: the text is neither UTF-8, UTF-16 nor Windows-1256 (cp1256). Save it "
                        "as UTF-8 (Excel: 'CSV UTF-8'), or set `encoding:` in a mapping.") from None


def _format_of(path: Path, read: ReadSpec) -> str:
    if read.format:
        return read.format
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unknown file type {path.suffix!r}; set `format:` "
                        "(csv, tsv, whitespace, parquet, xlsx) in the mapping.")
    return fmt


def _first_lines(text: str, skip: int, n: int = 2) -> list[str]:
    lines = []
    for i, line in enumerate(io.StringIO(text)):
        if i < skip:
            continue
        if line.strip():
            lines.append(line.rstrip("\r\n"))
        if len(lines) >= n:
            break
    return lines


def _split_header(line: str, sep: str) -> list[str]:
    if sep == r"\s+":
        return line.split()
    return next(csv.reader([line], delimiter=sep))


def _check_header(names: list[str], path: Path) -> None:
    seen, dup = set(), []
    for n in names:
        n = str(n).strip()
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    if dup:
        raise DataError(f"{path}: column {', '.join(repr(d) for d in dup)} appears more than once in the "
                        "header; rename or delete the extra column so it is clear which one to use.")


def _read_arrow(data: bytes, enc: str, sep: str, read: ReadSpec, head: list[str]) -> pd.DataFrame | None:
    """Fast path: pyarrow's multi-threaded CSV reader, all columns as text.

    Used only when its result is exactly what the pandas C reader would give
    with line numbers intact: a one-character separator, a header line, no
    blank lines inside the file and no malformed lines (else None: fall back).
    """
    if len(sep) != 1 or read.header != "infer" or read.names or not head:
        return None
    body = data.rstrip(b"\r\n")
    if b"\n\n" in body or b"\n\r\n" in body or enc not in ("utf-8", "utf-8-sig", "cp1256"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover
        return None
    names = _split_header(head[0], sep)
    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(skip_rows=read.skiprows, encoding=enc if enc != "utf-8-sig" else "utf-8",
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=b'"' in data,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 null_values=NA_VALUES, strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True))
    except (pa.ArrowException, ValueError, UnicodeDecodeError):
        return None
    if invalid or table.num_columns != len(names):
        return None
    df = table.to_pandas()
    df.columns = [str(c).lstrip("\ufeff") for c in df.columns]
    for c in df.columns:
        if not pd.api.types.is_string_dtype(df[c].dtype):
            return None
    return df


def read_text(path: Path, read: ReadSpec, fmt: str) -> RawTable:
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise DataError(f"{path}: the file is empty. Export the table again (with its header line).")
    if data.startswith(b"PK\x03\x04"):
        raise DataError(f"{path}: this is an Excel workbook (or a zip), not {fmt} text. Save it with the "
                        ".xlsx extension, or set `format: xlsx` in the mapping.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{path}: looks like a binary file, not {fmt} text. Export the table as CSV "
                        "(UTF-8), Parquet or XLSX.")
    enc = detect_encoding(data, read.encoding, path)
    text_head = data[:200_000].decode(enc, errors="replace").lstrip("\ufeff")
    head = _first_lines(text_head, read.skiprows)
    if fmt == "txt":  # sniff: tab, comma, semicolon, else whitespace
        first = head[0] if head else ""
        fmt = "tsv" if "\t" in first else "csv" if "," in first else "whitespace"
    sep = read.sep or {"csv": ",", "tsv": "\t", "whitespace": r"\s+"}[fmt]
    if read.header == "infer" and head and not read.names:
        _check_header(_split_header(head[0], sep), path)
    kwargs = dict(sep=sep, dtype=str, keep_default_na=False, na_values=NA_VALUES, skiprows=read.skiprows,
                  skip_blank_lines=False, on_bad_lines="warn", engine="c",
                  encoding=enc if enc != "utf-8" else "utf-8")
    if read.header == "none":
        kwargs["header"] = None
        if read.names:
            kwargs["names"] = read.names
    elif read.names:
        kwargs.update(header=0, names=read.names)
    if fmt == "whitespace" or sep == r"\s+":
        kwargs["skipinitialspace"] = True
    df = _read_arrow(data, enc, sep, read, head)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if df is None:
                df = pd.read_csv(io.BytesIO(data), **kwargs)
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: no header line and no rows (after skipping {read.skiprows} lines). "
                            "Check `skiprows:` in the mapping.") from None
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
            raise DataError(f"{path}: cannot be read as {fmt} ({str(e).strip()}). "
                            "Check the separator (`sep:`) and `skiprows:` in the mapping.") from None
    bad = []
    for w in caught:
        for m in _SKIP_RE.finditer(str(w.message)):
            bad.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    df.columns = [str(c).strip() if not isinstance(c, (int, np.integer)) else int(c) for c in df.columns]
    header_lines = 0 if read.header == "none" else 1
    first = read.skiprows + header_lines + 1
    # blank lines came in as all-empty rows: they count for line numbers only
    blank = df.isna().all(axis=1).to_numpy()
    rec = first + np.arange(len(df), dtype=np.int64)
    for b, _, _ in sorted(bad):
        rec[rec >= b] += 1
    line = rec
    if b'"' in data and len(df):
        nl = np.zeros(len(df), dtype=np.int64)
        for c in df.columns:
            col = df[c]
            if pd.api.types.is_string_dtype(col.dtype):
                nl += col.str.count("\n").fillna(0).to_numpy(dtype=np.int64)
        if nl.any():
            shift = np.concatenate([[0], np.cumsum(nl)[:-1]])
            line = rec + shift
            bad = [(b + int(shift[np.searchsorted(rec, b)] if np.searchsorted(rec, b) < len(rec)
                               else shift[-1] + nl[-1]), e, s) for b, e, s in bad]
    keep = ~blank
    df = df.loc[keep].reset_index(drop=True)
    line = line[keep]
    raw_lines = text_lines = None
    if bad:
        text_lines = data.decode(enc, errors="replace").lstrip("\ufeff").splitlines()
        raw_lines = [text_lines[b - 1] if b - 1 < len(text_lines) else "" for b, _, _ in bad]
    bad_df = pd.DataFrame({
        "source_file": [str(path)] * len(bad),
        "source_row": [b for b, _, _ in bad],
        "reason": [f"line has {s} fields but the header has {e} (a stray separator or quote?)"
                   for _, e, s in bad],
        "raw_line": raw_lines or [],
    })
    notes = [f"{path.name}: read as {enc}"] if enc not in ("utf-8", "utf-8-sig") else []
    return RawTable(df, np.zeros(len(df), dtype=np.int32), line, [str(path)], bad_df, notes)


class FileCache:
    """Files already read during one ``load`` (a mapping often reads the same export
    for two tables or joins it twice); each caller gets its own shallow copy."""

    def __init__(self):
        self._store: dict = {}

    def get(self, path: Path, read: ReadSpec) -> RawTable:
        key = (str(Path(path).resolve()), repr(read))
        if key not in self._store:
            self._store[key] = _read_file(path, read)
        r = self._store[key]
        return RawTable(r.frame.copy(deep=False), r.file_idx, r.source_row, list(r.files),
                        r.bad_lines.copy(), list(r.notes))


def read_file(path: Path, read: ReadSpec, cache: FileCache | None = None) -> RawTable:
    """One file as a ``RawTable`` (through ``cache`` when given)."""
    return cache.get(path, read) if cache is not None else _read_file(path, read)


def _read_file(path: Path, read: ReadSpec) -> RawTable:
    if not path.is_file():
        raise DataError(f"{path}: file not found. Check `files:` in the mapping (relative to the data folder).")
    fmt = _format_of(path, read)
    if fmt in ("csv", "tsv", "whitespace", "txt"):
        return read_text(path, read, fmt)
    if fmt == "parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as e:  # noqa: BLE001 - any pyarrow failure means unreadable
            raise DataError(f"{path}: cannot be read as Parquet ({e}).") from None
        rows = np.arange(len(df), dtype=np.int64) + 2
    elif fmt == "xlsx":
        if path.stat().st_size == 0:
            raise DataError(f"{path}: the file is empty. Export the table again (with its header line).")
        kwargs = dict(sheet_name=read.sheet if read.sheet is not None else 0, dtype=object,
                      skiprows=read.skiprows or None, header=None if read.header == "none" else 0)
        if read.names:
            kwargs["names"] = read.names
        try:
            if read.header != "none" and not read.names:   # pandas renames repeated names: check first
                first = pd.read_excel(path, sheet_name=kwargs["sheet_name"], header=None, nrows=1,
                                      skiprows=read.skiprows or None)
                _check_header([str(v).strip() for v in first.iloc[0].dropna()] if len(first) else [], path)
            df = pd.read_excel(path, **kwargs)
        except ValueError as e:
            raise DataError(f"{path}: {e}. Set `sheet:` in the mapping to the sheet's name.") from None
        except Exception as e:  # noqa: BLE001
            raise DataError(f"{path}: cannot be read as an Excel workbook ({e}).") from None
        df = df.dropna(how="all").copy()
        rows = df.index.to_numpy(dtype=np.int64) + read.skiprows + (1 if read.header == "none" else 2)
        df = df.reset_index(drop=True)
    else:  # pragma: no cover - _format_of guards
        raise DataError(f"{path}: unsupported format {fmt}")
    df.columns = [str(c).strip() if not isinstance(c, (int, np.integer)) else int(c) for c in df.columns]
    _check_header([c for c in df.columns], path)
    return RawTable(df.reset_index(drop=True), np.zeros(len(df), dtype=np.int32), rows, [str(path)])


def resolve_files(patterns: list[str], base: Path, table: str) -> list[Path]:
    out = []
    for pat in patterns:
        p = Path(pat)
        full = p if p.is_absolute() else base / p
        if any(ch in pat for ch in "*?["):
            hits = sorted(Path(h) for h in _glob.glob(str(full)))
            if not hits:
                raise DataError(f"{table}: no file matches {pat!r} in {base}. Check `files:` in the mapping.")
            out.extend(hits)
        else:
            if not full.is_file():
                raise DataError(f"{table}: file {full} not found. Check `files:` in the mapping "
                                f"(names are relative to {base}).")
            out.append(full)
    return out


def _key_str(s: pd.Series) -> pd.Series:
    """Join keys compare as trimmed text with Latin digits (1 == '1' == '۱')."""
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.notna() & (s == np.floor(s))
        s = s.astype(object).where(~whole, s.fillna(0).astype(np.int64).astype(str))
    s = s.astype("str").str.strip()
    return to_latin_digits(s)


def _join(raw: RawTable, spec: JoinSpec, base: Path, table: str, cache: FileCache | None = None) -> None:
    path = resolve_files([spec.file], base, f"{table} join")[0]
    right = read_file(path, spec.read, cache)
    rdf = right.frame
    for c in spec.right_on:
        if c not in rdf.columns:
            raise DataError(f"{path}: join column {c!r} not found (columns: {', '.join(map(str, rdf.columns))}).")
    for c in spec.left_on:
        if c not in raw.frame.columns:
            raise DataError(f"{table}: join key {c!r} is not a column of {', '.join(raw.files)} "
                            f"(columns: {', '.join(map(str, raw.frame.columns))}).")
    cols = spec.columns or {c: c for c in rdf.columns if c not in spec.right_on}
    missing = [c for c in cols if c not in rdf.columns]
    if missing:
        raise DataError(f"{path}: column(s) {', '.join(missing)} not found for the join "
                        f"(columns: {', '.join(map(str, rdf.columns))}).")
    clash = [v for v in cols.values() if v in raw.frame.columns and v not in spec.left_on]
    if clash:
        raise DataError(f"{table}: joined column(s) {', '.join(clash)} from {path.name} already exist; "
                        "rename them in the join's `columns: {{source: new_name}}`.")
    keys = [f"__key{i}" for i in range(len(spec.right_on))]
    r = pd.DataFrame({k: _key_str(rdf[c]) for k, c in zip(keys, spec.right_on)})
    for src, dst in cols.items():
        r[dst] = rdf[src].to_numpy()
    dup = r.duplicated(keys, keep="first")
    if dup.any():
        raw.notes.append(f"join {path.name}: {int(dup.sum()):,} rows repeat a key of "
                         f"{', '.join(spec.right_on)}; the first is used")
        r = r.loc[~dup]
    left = pd.DataFrame({k: _key_str(raw.frame[c]) for k, c in zip(keys, spec.left_on)})
    r["__hit"] = True
    merged = left.merge(r, how="left", on=keys, sort=False, validate="many_to_one")
    hit = merged["__hit"].notna().to_numpy()
    if (~hit).any():
        raw.notes.append(f"join {path.name}: {int((~hit).sum()):,} of {len(hit):,} rows have no match on "
                         f"{', '.join(spec.left_on)}")
    for dst in cols.values():
        raw.frame[dst] = merged[dst].to_numpy()
    raw.files.append(str(path))


def read_table(spec: TableSpec, base: Path, cache: FileCache | None = None) -> RawTable:
    """All files of one table, concatenated, with joins applied."""
    paths = resolve_files(spec.files, base, spec.table)
    parts = [read_file(p, spec.read, cache) for p in paths]
    if len(parts) == 1:
        raw = parts[0]
    else:
        cols0 = list(parts[0].frame.columns)
        for p in parts[1:]:
            if list(p.frame.columns) != cols0:
                extra = set(map(str, p.frame.columns)) ^ set(map(str, cols0))
                raw_note = f"{p.files[0]} has different columns from {parts[0].files[0]} ({', '.join(sorted(extra))})"
                parts[0].notes.append(raw_note)
        raw = RawTable(pd.concat([p.frame for p in parts], ignore_index=True),
                       np.concatenate([np.full(len(p.frame), i, dtype=np.int32) for i, p in enumerate(parts)]),
                       np.concatenate([p.source_row for p in parts]),
                       [f for p in parts for f in p.files],
                       pd.concat([p.bad_lines for p in parts], ignore_index=True),
                       [n for p in parts for n in p.notes])
    for j in spec.join:
        _join(raw, j, base, spec.table, cache)
    return raw
