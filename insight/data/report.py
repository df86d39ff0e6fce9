"""``DataError`` (an unusable input) and ``ValidationReport`` (what a load did)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


class DataError(ValueError):
    """The input cannot be used at all (missing file or column, undecodable,
    empty orders).  The message names the file, the column and what to do."""


@dataclass
class TableReport:
    """Counts and problems of one table.  Invariant: rows_in = rows_kept + rows_quarantined."""
    table: str
    source_files: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"rows_in": self.rows_in, "rows_kept": self.rows_kept,
                "rows_quarantined": self.rows_quarantined, "problems": list(self.problems),
                "source_files": list(self.source_files)}


@dataclass
class ValidationReport:
    """What ``insight.data.load`` read, kept and set aside.

    ``tables``: name -> ``TableReport`` for every table that was loaded;
    ``missing``: optional tables the data does not have;
    ``quarantined``: one DataFrame of every quarantined row (columns ``table,
    source_file, source_row, reason`` then the row's original values).
    """
    tables: dict[str, TableReport] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    quarantined: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["table", "source_file", "source_row", "reason"]))
    currency: str = "rial"
    quarantine_dir: str | None = None

    @property
    def clean(self) -> bool:
        return all(t.rows_quarantined == 0 for t in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables.values())

    def to_dict(self) -> dict:
        return {"tables": {n: t.to_dict() for n, t in self.tables.items()},
                "missing_tables": list(self.missing), "currency": self.currency,
                "quarantine_dir": self.quarantine_dir}

    def to_json(self, **kw) -> str:
        kw.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kw)

    def summary(self) -> pd.DataFrame:
        """One row per table: rows_in, rows_kept, rows_quarantined, problems (count)."""
        return pd.DataFrame([{"table": n, "rows_in": t.rows_in, "rows_kept": t.rows_kept,
                              "rows_quarantined": t.rows_quarantined, "problems": len(t.problems)}
                             for n, t in self.tables.items()])

    def write_quarantine(self, folder) -> list[Path]:
        """Write ``<folder>/<table>.csv`` for every table with quarantined rows
        (UTF-8 with BOM so Excel shows Persian).  Returns the files written."""
        folder = Path(folder)
        written = []
        if len(self.quarantined) == 0:
            return written
        folder.mkdir(parents=True, exist_ok=True)
        for name, part in self.quarantined.groupby("table", sort=False):
            part = part.dropna(axis=1, how="all")
            for col in ("table", "source_file", "source_row", "reason"):
                if col not in part:
                    part[col] = None
            path = folder / f"{name}.csv"
            part.to_csv(path, index=False, encoding="utf-8-sig")
            written.append(path)
        self.quarantine_dir = str(folder)
        return written

    def __str__(self) -> str:
        lines = [f"{'table':<11} {'rows in':>10} {'kept':>10} {'quarantined':>12}"]
        for n, t in self.tables.items():
            lines.append(f"{n:<11} {t.rows_in:>10,} {t.rows_kept:>10,} {t.rows_quarantined:>12,}")
        for n, t in self.tables.items():
            for p in t.problems:
                lines.append(f"  {n}: {p}")
        if self.missing:
            lines.append("not in the data (reports skip what needs them): " + ", ".join(self.missing))
        return "\n".join(lines)
