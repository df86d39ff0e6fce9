"""The tabular stages as one report process runs them: load, then every analysis in turn.

    python benchmarks/report_process.py FOLDER [--stages a b ...]   # prints one JSON line

``run.py`` times each stage alone, in a fork of a parent that holds the tables
(``stages``: its own seconds and peak RSS).  A forked child pays for its first
writes to inherited memory (copy-on-write) and starts with none of the
allocator's freed pages, so stages measured that way cost ~25% more than the
same calls in a report.  A report (one notebook under papermill, or a researcher's
kernel) is one fresh process that imports insight, calls ``insight.data.load``
and runs its analyses on the Dataset that load returns.  This script is that
process: imports and the sentiment model are loaded first (untimed, as in the
fork parent), then ``load`` and ``prepare`` (``run.prepare_ids``) and each tabular
stage are timed in order, with the peak RSS after each.  ``measure`` runs it
``repeat`` times in fresh interpreters and keeps each stage's fastest run.

Caveat, stated in the results: the stages share one process, so a per-frame
cache one analysis builds (``insight._events``, ``journey.order_table``) is found
by the next.  ``prepare`` builds the shared ones before any stage, as in the fork
harness; what a stage builds for itself it pays for in its own time.
"""
from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(folder: Path, stages: list[str]) -> dict:
    """One report process: returns ``{"stages": {name: {seconds, rss_after_mb}}, "peak_rss_mb"}``."""
    import run as R

    for mod in ("insight.metrics", "insight.segments", "insight.clv", "insight.journey", "insight.retention",
                "insight.data", "insight.complaints", "insight.returns", "insight.delivery", "insight.followup",
                "insight.claims", "statsmodels.api", "statsmodels.duration.survfunc"):
        try:
            importlib.import_module(mod)
        except Exception:
            pass
    try:
        from insight import _blas, sentiment

        with _blas.one_thread():
            pass
        R.DATA["sentiment_model"] = sentiment.default_model()
    except Exception:
        pass
    from insight.data import load

    out: dict = {}
    t0 = time.perf_counter()
    ds = load(folder)
    out["load_validate"] = {"status": "ok", "seconds": round(time.perf_counter() - t0, 4),
                            "rss_after_mb": round(_rss_mb(), 1), "n": len(ds.orders)}
    R.DATA.update(ds=ds, folder=folder)
    prep = R.prepare_ids(ds)
    out["prepare"] = {"status": "ok", "seconds": prep["seconds"], "rss_after_mb": round(_rss_mb(), 1)}
    for name in stages:
        if name == "load_validate":
            continue
        t0 = time.perf_counter()
        try:
            R.STAGES[name][1]()
            res = {"status": "ok"}
        except R.Missing as e:
            res = {"status": "missing", "error": str(e)}
        except Exception as e:  # a failing stage is recorded, the others still run
            res = {"status": "error", "error": f"{type(e).__name__}: {e}"[:300]}
        res["seconds"] = round(time.perf_counter() - t0, 4)
        res["rss_after_mb"] = round(_rss_mb(), 1)
        out[name] = res
    return {"stages": out, "peak_rss_mb": round(_rss_mb(), 1)}


def measure(folder: Path, stages: list[str], repeat: int = 3, timeout: float = 1800,
            with_read: bool = False) -> dict:
    """``child`` run ``repeat`` times, each in a fresh interpreter; per stage the fastest
    seconds (``seconds_all`` keeps every run) and the largest RSS after it.  ``total_s``:
    the sum of the fastest times (``totals_all``: each run's own total).

    ``with_read``: before each process, :func:`fresh_read` once, so the two interleave and
    sample the same moments of a machine whose speed drifts; adds ``read_fresh`` (best
    of the reads) and ``paired_ratios`` (each process's total over the read just before it)."""
    runs, reads = [], []
    for _ in range(max(1, repeat)):
        if with_read:
            r = fresh_read(folder, repeat=1, timeout=timeout)
            if r["status"] != "ok":
                return r
            reads.append(r["seconds"])
        p = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(folder), "--stages", *stages],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return {"status": "error", "error": (p.stderr or p.stdout)[-800:]}
        runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    merged: dict = {}
    for name in runs[0]["stages"]:
        every = [r["stages"][name] for r in runs]
        best = dict(min(every, key=lambda s: s["seconds"]))
        best["rss_after_mb"] = max(s["rss_after_mb"] for s in every)
        if len(every) > 1:
            best["seconds_all"] = [s["seconds"] for s in every]
        merged[name] = best
    ok = [s for s in merged.values() if s["status"] == "ok"]
    return {"status": "ok" if len(ok) == len(merged) else "error", "stages": merged,
            "total_s": round(sum(s["seconds"] for s in ok), 4),
            "totals_all": [round(sum(s["seconds"] for s in r["stages"].values() if s["status"] == "ok"), 4)
                           for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "repeat": len(runs),
            **({"read_fresh": {"status": "ok", "seconds": round(min(reads), 4), "seconds_all": reads},
                "paired_ratios": [round(sum(s["seconds"] for s in r["stages"].values() if s["status"] == "ok") / x, 2)
                                  for r, x in zip(runs, reads)]} if with_read else {})}


_READ = """
import sys, time
from pathlib import Path
import pandas as pd
import pyarrow.parquet
sys.path.insert(0, {root!r})
from insight.contract import TABLES
folder = Path({folder!r})
t0 = time.perf_counter()
frames = {{n: pd.read_parquet(folder / f"{{n}}.parquet") for n in TABLES if (folder / f"{{n}}.parquet").exists()}}
print(time.perf_counter() - t0)
"""


def fresh_read(folder: Path, repeat: int = 5, timeout: float = 600) -> dict:
    """``pandas.read_parquet`` of the same tables in a fresh interpreter (imports untimed),
    best of ``repeat``: the read under the conditions of the report process.  ``run.py``'s
    ``read_s`` is the read in its long-lived parent after warm-up reads, whose allocator
    already holds the pages; both are reported."""
    secs = []
    for _ in range(max(1, repeat)):
        p = subprocess.run([sys.executable, "-c", _READ.format(root=str(HERE.parent), folder=str(folder))],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return {"status": "error", "error": (p.stderr or p.stdout)[-500:]}
        secs.append(float(p.stdout.strip().splitlines()[-1]))
    return {"status": "ok", "seconds": round(min(secs), 4), "seconds_all": [round(x, 4) for x in secs]}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--stages", nargs="*", default=[])
    a = ap.parse_args()
    print(json.dumps(child(a.folder, a.stages)))
