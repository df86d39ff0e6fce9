"""Sentiment predict throughput on one core (texts/s), preparation (fold) included.

    .venv/bin/python benchmarks/sentiment_throughput.py

Texts: the SnappFood comments and SentiPers sentences in ../shared/data, repeated
with a unique numeric suffix per copy so that *every text is distinct* (no help from
de-duplication), plus one run on the plain repeated corpus (realistic duplicates).
Threads are pinned to 1 (OMP/BLAS) — the work is numpy in the calling thread anyway.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from insight import sentiment as se  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def corpus() -> list[str]:
    a = pd.read_csv(SHARED / "snappfood" / "dev.csv", sep="\t")["comment"].astype("str").tolist()
    b = pd.read_excel(SHARED / "sentipers" / "sentipers.xlsx")["text"].astype("str").tolist()
    return a + b


def rate(texts: list[str], repeat: int = 3) -> tuple[float, float]:
    """(wall-clock, CPU-time) texts/s, best of ``repeat`` (CPU time is what one core can do
    when the machine is shared; wall clock is what you get here and now)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        se.predict(texts)
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return len(texts) / wall, len(texts) / cpu


def main() -> int:
    base = corpus()
    se.predict(base[:100])  # load the model and lexicon once
    unique = [f"{t} {i // len(base)}" for i, t in enumerate(base * 5)]
    dup = base * 5
    mean_len = sum(map(len, base)) / len(base)
    print(f"texts: {len(unique):,} (mean {mean_len:.0f} chars)")
    w, c = rate(unique)
    print(f"all distinct : {w:,.0f} texts/s wall, {c:,.0f} texts/s CPU")
    w, c = rate(dup)
    print(f"with repeats : {w:,.0f} texts/s wall, {c:,.0f} texts/s CPU "
          f"({len(set(dup)):,} distinct of {len(dup):,})")
    c = time.process_time()
    se.fold(unique)
    print(f"fold alone   : {len(unique) / (time.process_time() - c):,.0f} texts/s CPU")
    print(f"load average : {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
