"""Markdown tables of one ``make bench`` result, for ``benchmarks/README.md``.

    python benchmarks/tables.py benchmarks/results/2026-11-23.json

Prints the stage table at the largest size (report process and isolated forks side by
side) and the scaling table (seconds per stage at every size, log-log slope between
the two largest).  The numbers are copied from the JSON, nothing is recomputed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _s(x, nd=2) -> str:
    return "" if x is None else f"{x:.{nd}f}"


def stage_table(res: dict) -> str:
    """Per tabular stage at the largest size: seconds in the report process, seconds alone
    in a fork, and the peak RSS of the fork."""
    rp = (res.get("report_process") or {}).get("stages", {})
    st = res["stages"]
    names = [n for n, v in st.items() if v.get("kind") == "tabular"]
    names = (["load_validate"] if "load_validate" in names else []) + \
            (["prepare"] if "prepare" in names or "prepare" in rp else []) + \
            [n for n in names if n not in ("load_validate", "prepare")]
    lines = ["| stage | report process (s) | alone in a fork (s) | fork peak RSS (MB) |", "|---|---:|---:|---:|"]
    for n in names:
        a, b = rp.get(n, {}), st.get(n, {})
        lines.append(f"| {n} | {_s(a.get('seconds'), 3)} | {_s(b.get('seconds'), 3)} | {_s(b.get('peak_rss_mb'), 0)} |")
    lines.append(f"| **tabular** | **{_s(res.get('tabular_s'), 3)}** | **{_s(res.get('tabular_isolated_s'), 3)}** | |")
    lines.append(f"| read_s (pandas.read_parquet, best of ≥ 5) | {_s(res['read_s'], 3)} | | |")
    r = res.get("ratios", {})
    lines.append(f"| **ratio to the read** | **{_s(r.get('tabular_over_read'))}** | "
                 f"**{_s(r.get('tabular_isolated_over_read'))}** | |")
    return "\n".join(lines)


def scaling_table(res: dict) -> str:
    """Seconds per stage at every size, and the log-log slope between the two largest."""
    runs = res.get("scaling", [])
    exps = res.get("exponents", {})
    names = list(dict.fromkeys(n for r in runs for n in r.get("stages", {})))
    head = "| stage | " + " | ".join(f"{r['order_lines']:,} lines (s)" for r in runs) + " | slope |"
    lines = [head, "|---|" + "---:|" * (len(runs) + 1)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(_s(r["stages"].get(n)) for r in runs) + f" | {_s(exps.get(n))} |")
    for key in ("read_s", "tabular_s", "tabular_isolated_s", "text_s"):
        lines.append(f"| **{key}** | " + " | ".join(_s(r.get(key)) for r in runs) + f" | {_s(exps.get(key))} |")
    lines.append("| **peak RSS (MB)** | " + " | ".join(_s(r.get("peak_rss_mb"), 0) for r in runs) + " | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    res = json.loads(Path(argv[0]).read_text())
    print(stage_table(res))
    print()
    print(scaling_table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
