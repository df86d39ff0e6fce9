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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
