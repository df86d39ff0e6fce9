"""``insight validate PATH [--mapping FILE] [--json] [--quarantine DIR] [--today YYYY-MM-DD]``.

Exit codes: 0 every row kept, 1 some rows quarantined, 2 the input is unusable
(the ``DataError`` message goes to stderr).
"""
from __future__ import annotations

import argparse
import json
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="insight validate",
        description="Load a folder of exports (or a mapping file), check it against the data contract "
                    "and report rows in / kept / quarantined per table.")
    p.add_argument("path", help="folder with orders.csv etc., or a mapping .yml file")
    p.add_argument("--mapping", help="mapping .yml describing your export's columns (docs/data-contract.md)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--quarantine", metavar="DIR", help="write quarantined rows to DIR/<table>.csv")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="dates after this day are implausible (default: today)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from insight.data import DataError, load

    try:
        ds = load(args.path, args.mapping, quarantine_dir=args.quarantine, today=args.today)
    except DataError as e:
        print(f"insight validate: {e}", file=sys.stderr)
        return 2
    rep = ds.report
    broken = contract_check(ds)
    if broken:  # kept rows must satisfy the contract; if not, that is our bug, said plainly
        for line in broken:
            print(f"insight validate: contract check failed: {line}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rep.to_dict(), ensure_ascii=False))
    else:
        print(rep)
        n = rep.rows_quarantined
        if n:
            where = f" (written to {rep.quarantine_dir})" if rep.quarantine_dir else \
                " (use --quarantine DIR to write them out)"
            print(f"\n{n:,} rows quarantined{where}; rows in = kept + quarantined for every table.")
        else:
            print("\nall rows kept.")
    return 1 if rep.rows_quarantined else 0


def contract_check(ds) -> list[str]:
    """Validate every kept table against its pandera schema (dtypes, ranges, unique
    keys): the final, independent check that what ``load`` kept honours the contract.
    Returns one line per failed check (empty when all pass)."""
    import warnings

    from insight.data.validate import pandera_schema

    with warnings.catch_warnings():   # pandera imports pyspark's pandas shim when installed
        warnings.simplefilter("ignore", FutureWarning)
        import pandera.errors as pe

    problems = []
    for name, df in ds.tables():
        if df is None:
            continue
        try:
            pandera_schema(name, ds.ces_scale).validate(df, lazy=True)
        except pe.SchemaErrors as e:
            fc = e.failure_cases
            for _, row in fc.head(5).iterrows():
                problems.append(f"{name}.{row.get('column')}: {row.get('check')} (e.g. {row.get('failure_case')!r})")
    return problems


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
