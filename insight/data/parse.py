"""Raw columns -> canonical typed columns, recording every value that fails.

All work is per column and vectorized (unique values for dates, C-level
regexes for numbers with units; the few text cells that need trimming or
Persian-digit / Arabic-letter fixes are found from the Arrow buffers, see
``insight.data.arrowtext``).  Columns that arrive typed (Parquet datetimes and
floats) pass through without a text round trip.
Problems are recorded in an ``Issues`` collector as boolean row masks; the
reason text is only built for rows that end up quarantined.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from insight.contract import DATE, ID, MONEY, ORDER_STATUSES, TEXT, TABLES, dtype_for
from insight.data.arrowtext import cleaning_mask, encode, first_appearance, fix_arabic, string_chunks, with_rows
from insight.data.mapping import Mapping, TableSpec
from insight.data.readers import RawTable
from insight.data.report import DataError
from insight.dates import parse_dates_detail
from insight.persian import RIAL_PER, convert_factor, parse_number_units, to_latin_digits


@dataclass
class Issue:
    mask: np.ndarray            # rows with the problem
    column: str
    label: str                  # e.g. "impossible date"
    values: object = None       # Series or array naming each row's value; text is built only
                                # for the rows that need it (see ``text_at``)
    quarantine: bool = True


@dataclass
class Issues:
    n: int
    items: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: column -> (distinct values, int64 codes) when parsing already dictionary-encoded it
    #: (the load hands them to the analyses, see ``insight._events.adopt_codes``)
    codes: dict = field(default_factory=dict)

    def add(self, mask, column: str, label: str, values=None, quarantine: bool = True) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.items.append(Issue(mask, column, label, values, quarantine))

    def bad(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for it in self.items:
            if it.quarantine:
                out |= it.mask
        return out


def text_at(values, rows: np.ndarray) -> np.ndarray:
    """Text of ``values`` (Series or array) at positions ``rows``; "" where missing."""
    if values is None:
        return np.full(len(rows), "", dtype=object)
    if isinstance(values, pd.Series):
        return _as_text(values.iloc[rows]).to_numpy(dtype=object, na_value="")
    return np.asarray(values, dtype=object)[rows]


def _norm_name(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower().lstrip("\ufeff"))


def _resolve(frame: pd.DataFrame, key, files: list[str]):
    """Column of ``frame`` a mapping key refers to (name, or 0-based position)."""
    cols = list(frame.columns)
    if isinstance(key, int) and not isinstance(key, bool):
        if key in cols:
            return key
        if 0 <= key < len(cols):
            return cols[key]
        raise DataError(f"{', '.join(files)}: column position {key} does not exist (the file has "
                        f"{len(cols)} columns).")
    if key in cols:
        return key
    norm = {_norm_name(c): c for c in cols}
    if _norm_name(key) in norm:
        return norm[_norm_name(key)]
    raise DataError(f"{', '.join(files)}: column {key!r} named in the mapping is not in the file. "
                    f"Columns found: {', '.join(map(str, cols))}.")


def _as_text(s: pd.Series) -> pd.Series:
    """Any column -> pandas str (numbers without a trailing .0)."""
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.notna() & (s == np.floor(s)) & (s.abs() < 1e15)
        txt = s.astype("str")
        ints = s.where(whole, 0).fillna(0).astype(np.int64).astype("str")
        return txt.where(~whole, ints).where(s.notna())
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("str")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.astype("str").where(s.notna())
    # object: mixed cells (Excel); floats like 12.0 -> "12"
    def conv(v):
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    return s.map(conv, na_action="ignore").astype("str")


def _clean_text(s: pd.Series, kind: str) -> pd.Series:
    """Trim, empty -> missing, and Latin digits (ids) or Persian letters (text).
    Only the cells that need any of it are touched; ``cleaning_mask`` finds them
    from the Arrow buffers (no per-row regex over a clean million-row column)."""
    txt = _as_text(s)
    hit = cleaning_mask(txt, kind)
    if not hit.any():
        return txt
    sub = txt[hit].str.strip()
    if kind != ID:
        sub = sub.str.replace("\r\n", "\n", regex=False)
    sub = sub.where(sub != "")
    sub = to_latin_digits(sub) if kind == ID else fix_arabic(sub)
    return with_rows(txt, hit, sub)


def _apply_values(s: pd.Series, vmap: dict) -> pd.Series:
    """Replace raw values through a mapping's ``values:`` table (exact, then case-insensitive)."""
    txt = _as_text(s).str.strip()
    codes, uniq = pd.factorize(txt)
    lower = {str(k).strip().lower(): v for k, v in vmap.items()}
    out = []
    for u in uniq:
        if u in vmap:
            out.append(vmap[u])
        elif u.lower() in lower:
            out.append(lower[u.lower()])
        else:
            out.append(u)
    arr = np.array([None if v is None else str(v) for v in out] + [None], dtype=object)
    return pd.Series(arr[codes], index=s.index, dtype="str")


def _derive(template: str, cols: dict[str, pd.Series], frame: pd.DataFrame, files) -> pd.Series:
    parts = re.split(r"(\{[^{}]+\})", template)
    out = None
    for p in parts:
        if not p:
            continue
        if p.startswith("{") and p.endswith("}"):
            name = p[1:-1]
            s = cols[name] if name in cols else frame[_resolve(frame, name, files)]
            piece = _as_text(s).str.strip()
        else:
            piece = p
        out = piece if out is None else out + piece
    if isinstance(out, str):
        out = pd.Series(out, index=frame.index, dtype="str")
    return out


def gather_columns(raw: RawTable, spec: TableSpec) -> dict[str, pd.Series]:
    """canonical column -> raw Series, from renames, canonical names, constants, derive, values."""
    table = spec.table
    frame = raw.frame
    canon = [c.name for c in TABLES[table][1]]
    cols: dict[str, pd.Series] = {}
    used_sources = set()
    for key, targets in spec.columns.items():
        src = _resolve(frame, key, raw.files)
        used_sources.add(src)
        for t in targets:
            if t in cols:
                raise DataError(f"{table}: two source columns are mapped to {t!r}; keep one in `columns:`.")
            cols[t] = frame[src]
    norm = {_norm_name(c): c for c in frame.columns if not isinstance(c, int)}
    for c in canon:
        if c in cols:
            continue
        src = c if c in frame.columns else norm.get(c)
        if src is not None and src not in used_sources:
            cols[c] = frame[src]
    for c, v in spec.constants.items():
        if c in cols:
            raise DataError(f"{table}: {c!r} is both a column of the file and a constant in the mapping; "
                            "drop one of them.")
        cols[c] = pd.Series([v] * len(frame), index=frame.index,
                            dtype="str" if isinstance(v, str) else None)
    for c, tmpl in spec.derive.items():
        cols[c] = _derive(tmpl, cols, frame, raw.files)
    for c, vmap in spec.values.items():
        if c in cols:
            cols[c] = _apply_values(cols[c], vmap)
    return cols


def _missing_column_error(table: str, col: str, raw: RawTable, spec: TableSpec) -> DataError:
    files = ", ".join(raw.files[:1]) if raw.files else table
    found = [str(c) for c in raw.frame.columns]
    hint = ""
    if len(found) == 1:
        for sep, name in ((";", "semicolons"), ("|", "pipes"), ("\t", "tabs"), (",", "commas")):
            if sep in found[0]:
                hint = (f" The header looks separated by {name}: set `sep: '{sep}'` for {table} in a "
                        "mapping file.")
                break
    return DataError(
        f"{files}: required column {col!r} of {table} is missing (columns found: {', '.join(found[:20])}"
        f"{' …' if len(found) > 20 else ''}).{hint} Rename the column in the export, or map it in a "
        f"mapping file: `{table}: columns: {{your_column: {col}}}` (see docs/data-contract.md).")


def parse_table(raw: RawTable, spec: TableSpec, mapping: Mapping, issues: Issues) -> tuple[pd.DataFrame, dict]:
    """Typed canonical frame (all contract columns, contract dtypes) and the raw
    text of each canonical column (for reasons)."""
    table = spec.table
    n = len(raw.frame)
    cols = gather_columns(raw, spec)
    for c in TABLES[table][1]:
        if c.required and c.name not in cols:
            raise _missing_column_error(table, c.name, raw, spec)
    out = {}
    rawtext = {}
    index = pd.RangeIndex(n)
    for c in TABLES[table][1]:
        if c.name not in cols:
            out[c.name] = pd.Series(np.nan if c.kind != ID and c.kind != TEXT else None,
                                    index=index, dtype=dtype_for(c.kind))
            continue
        s = cols[c.name].reset_index(drop=True)
        if c.kind in (ID, TEXT):
            txt = _clean_text(s, c.kind)
            if c.name == "status":
                txt = _status(txt, issues, table)
            out[c.name] = txt.astype("str")
            if c.required and c.kind == ID:
                issues.add(txt.isna().to_numpy(), c.name, "missing value")
            continue
        rawtext[c.name] = s
        present = s.notna().to_numpy()
        if c.kind == DATE:
            dcfg = spec.date_columns.get(c.name, {})
            cal = dcfg.get("calendar") or spec.calendar or mapping.calendar
            fmt = dcfg.get("format") or spec.date_format
            res = parse_dates_detail(s, calendar=cal, format=fmt)
            out[c.name] = res.dates.reset_index(drop=True)
            issues.add(res.unparseable.to_numpy(), c.name, "not a date", rawtext[c.name])
            issues.add(res.impossible.to_numpy(), c.name, "impossible date", rawtext[c.name])
            if c.required:
                issues.add(~present | (res.dates.isna().to_numpy() & ~res.invalid.to_numpy()),
                           c.name, "missing value")
        else:
            if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
                val, units = s.astype("float64"), None   # what parse_number_units gives, without 1M NaN units
            else:
                val, units = parse_number_units(s)
                val = val.reset_index(drop=True)
                units = units.reset_index(drop=True)
            if c.kind == MONEY:
                src = spec.currency or mapping.currency
                if units is not None and units.notna().any():
                    val = val * convert_factor(units, mapping.currency, default=src)
                elif src != mapping.currency:
                    val = val * (RIAL_PER[src] / RIAL_PER[mapping.currency])
            if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
                nonempty = present & (_as_text(s).str.strip().fillna("") != "").to_numpy()
            else:
                nonempty = present
            bad = nonempty & val.isna().to_numpy()
            issues.add(bad, c.name, "not a number", rawtext[c.name])
            if c.required:
                issues.add(~nonempty, c.name, "missing value")
            out[c.name] = val.astype("float64")
    if spec.line_total and "unit_price" in cols:
        q = out["quantity"]
        out["unit_price"] = out["unit_price"].where(~(q > 0), out["unit_price"] / q)
    df = pd.DataFrame(out, index=index, copy=False)   # the columns are fresh (or copy-on-write): no second copy
    return df, rawtext


#: common spellings of the contract's order statuses (English and Persian), compared
#: lower-cased without spaces, hyphens or ZWNJ
STATUS_SYNONYMS = {
    "delivered": "delivered", "complete": "delivered", "completed": "delivered", "done": "delivered",
    "تحویلشده": "delivered", "تحویلدادهشده": "delivered", "تحویل": "delivered", "دریافتشده": "delivered",
    "cancelled": "cancelled", "canceled": "cancelled", "cancel": "cancelled",
    "لغوشده": "cancelled", "لغو": "cancelled", "کنسل": "cancelled", "کنسلشده": "cancelled",
    "backordered": "backordered", "backorder": "backordered", "outofstock": "backordered",
    "ناموجود": "backordered", "پیشسفارش": "backordered",
}


def _status(txt: pd.Series, issues: Issues, table: str) -> pd.Series:
    """Order status -> delivered / cancelled / backordered; anything else is emptied
    and reported (map it with ``values:``)."""
    def canonical(u: str):
        return STATUS_SYNONYMS.get(re.sub(r"[\s\-_\u200c]+", "", u.lower()))

    chunks = string_chunks(txt)
    if chunks:   # Arrow: map the few distinct words, then one take (no 1M Python strings)
        words_arr, codes = encode(pa.chunked_array(chunks, type=chunks[0].type))
        words = words_arr.to_pylist()
        mapped = [canonical(u) for u in words]
        if mapped == words:   # already the contract's words: the column as it is
            out = txt
        else:   # the words' codes mapped: synonyms merge, unknown words become missing
            names = list(dict.fromkeys(w for w in mapped if w is not None))
            lut = np.array([names.index(w) if w is not None else -1 for w in mapped] + [-1], dtype=np.int64)
            codes, old = first_appearance(lut[codes], len(names))
            words_arr = pa.array([names[i] for i in old], type=pa.large_string())
            out = pd.Series(pd.arrays.ArrowStringArray(words_arr.take(pa.array(codes, mask=codes < 0)),
                                                       dtype=txt.dtype), index=txt.index, name=txt.name)
        issues.codes["status"] = (words_arr, codes)
    else:
        codes, uniq = pd.factorize(txt)
        mapped = np.array([canonical(u) for u in uniq] + [None], dtype=object)
        out = pd.Series(mapped[codes], index=txt.index, dtype="str")
    unknown = out.isna() & txt.notna()
    if unknown.any():
        counts = txt[unknown].value_counts()
        shown = ", ".join(f"{k!r} ({v:,})" for k, v in counts.head(6).items())
        issues.notes.append(f"status: {int(unknown.sum()):,} rows with values outside "
                            f"{', '.join(ORDER_STATUSES)} ({shown}) were left empty; map them with "
                            "`values: {status: {...}}` in the mapping")
    return out
