"""The engine's expressions on local Spark give the same results as on DuckDB.

    python benchmarks/spark_equivalence.py [--lines 20000] [--parquet]

Generates a seeded sample (``synth.generate``), builds every ``insight.engine``
expression once per backend -- from the same Parquet files, read by each
engine itself -- and asserts the results are equal (integers exactly, floats
to 1e-9 relative).  Exit code 0 when all match.  Needs pyspark and a JDK
(the ``bench`` extra; openjdk-17 here).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from insight import engine  # noqa: E402


def exprs(orders, returns, events, tie):
    return {
        "customer_features": engine.customer_features(orders),
        "customer_features_as_of": engine.customer_features(orders, as_of="2023-06-30"),
        "rfm": engine.rfm_scores(orders),
        "cohorts_gregorian": engine.cohorts(orders),
        "cohorts_jalali": engine.cohorts(orders, calendar="jalali"),
        "product_rates": engine.product_rates(orders, returns),
        "transitions": engine.transitions(events, tie_order=tie),
        "variants": engine.variants(events, tie_order=tie),
    }


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if str(s.dtype).startswith("datetime"):
            out[c] = s.astype("datetime64[ns]")
        elif s.dtype == object or str(s.dtype) in ("str", "string"):
            out[c] = s.astype("str")
        elif str(s.dtype).startswith(("int", "Int", "uint")):
            out[c] = s.astype("int64")
        elif str(s.dtype).startswith(("float", "Float")):
            out[c] = s.astype("float64")
    keys = [c for c in out.columns if not str(out[c].dtype).startswith("float")]
    return out.sort_values(keys, kind="stable", ignore_index=True)


def compare(name: str, a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    problems = []
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns differ {list(a.columns)} vs {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows on duckdb vs {len(b)} on spark"]
    a, b = normalize(a), normalize(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if str(x.dtype).startswith("float"):
            ok = np.isclose(x.to_numpy(), y.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            ok = (x.astype("str").to_numpy() == y.astype("str").to_numpy())
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            problems.append(f"{name}.{c}: {int((~ok).sum())} rows differ, e.g. {x.iloc[i]!r} vs {y.iloc[i]!r}")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=20_000, help="order lines in the sample")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    import synth
    from insight import journey as J

    ds, gen = synth.generate(max(1, a.lines // 5), a.seed)
    log = J.event_log(ds)
    log = log.assign(event=log["event"].astype("str"))[["customer_id", "event", "timestamp"]]
    tie = list(J.EVENTS)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, df in (("orders", ds.orders), ("returns", ds.returns), ("events", log)):
            paths[name] = Path(tmp) / f"{name}.parquet"
            df = df.copy(deep=False)
            df.attrs = {}
            df.to_parquet(paths[name], index=False, coerce_timestamps="us")  # Spark reads no ns
        results = {}
        for backend in ("duckdb", "pyspark"):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                con = engine.connect(backend)
                tabs = {k: engine.table(p, con) for k, p in paths.items()}
                results[backend] = {k: engine.execute(e, con) for k, e in
                                    exprs(tabs["orders"], tabs["returns"], tabs["events"], tie).items()}
            print(f"{backend}: {time.perf_counter() - t0:.1f}s for {len(results[backend])} expressions "
                  f"on {len(ds.orders):,} order lines ({gen})")
    problems = []
    for name in results["duckdb"]:
        p = compare(name, results["duckdb"][name], results["pyspark"][name])
        print(f"  {name:<26} {len(results['duckdb'][name]):>7} rows  {'equal' if not p else 'DIFFERENT'}")
        problems += p
    for p in problems:
        print("  !", p)
    print("all equal" if not problems else f"{len(problems)} differences")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
