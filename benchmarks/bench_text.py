"""Benchmark insight.text.normalize against hazm's per-text loop, and mask_pii.

    .venv/bin/python benchmarks/bench_text.py                 # real texts + 1M repeated
    .venv/bin/python benchmarks/bench_text.py --hazm-full     # also run hazm on the 1M
    .venv/bin/python benchmarks/bench_text.py --quick         # 3,000 texts, no 1M

Texts: SnappFood ``dev.csv`` comments + SentiPers sentences from ../shared/data
(21,983 texts).  Both sides run in the same process on the same texts; model/word
list loading is timed separately (``init_s``) and not counted in the throughput.
Prints one JSON object.  ``bench(texts)`` is what the main harness calls.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"


def load_texts(shared: Path = SHARED) -> list[str]:
    """SnappFood dev comments + SentiPers sentences (strings only)."""
    import pandas as pd

    sf = pd.read_csv(shared / "snappfood" / "dev.csv", sep="\t")
    sp = pd.read_excel(shared / "sentipers" / "sentipers.xlsx")
    texts = sf["comment"].tolist() + sp["text"].tolist()
    return [t for t in texts if isinstance(t, str)]


def _timed(fn, *args, repeat: int = 1):
    """Best wall time (and its CPU time) of ``repeat`` runs, with the last result."""
    best = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if best is None or w < best[0]:
            best = (w, c)
    return best[0], best[1], out


def bench(texts: list[str], synthetic_n: int = 1_000_000, hazm_full: bool = False,
          repeat: int = 5) -> dict:
    """Throughput of normalize (vs hazm's loop, same texts, same run) and mask_pii.

    Returns a dict with texts/s for each, the speed ratio, the share of texts where
    the output equals hazm's, and the same on ``synthetic_n`` texts made by repeating
    ``texts`` (identical texts are normalized once, so this measures the
    deduplication too; hazm's loop is linear, its time there is extrapolated unless
    ``hazm_full``)."""
    from hazm import Normalizer

    from insight import text
    from insight._normalize_rules import lexicon, normalize_batch

    res: dict = {"n_texts": len(texts), "chars": sum(map(len, texts)),
                 "python": platform.python_version(), "cpus": os.cpu_count()}
    w0 = time.perf_counter()
    hz = Normalizer()
    res["hazm_init_s"] = round(time.perf_counter() - w0, 3)
    w0 = time.perf_counter()
    lexicon()
    normalize_batch(texts[:50])
    res["insight_init_s"] = round(time.perf_counter() - w0, 3)

    # hazm's loop once (it is slow and has no cache), insight's best of `repeat`
    hw, hc, hz_out = _timed(lambda t: [hz.normalize(x) for x in t], texts)
    iw, ic, in_out = _timed(text.normalize, texts, repeat=repeat)
    same = sum(a == b for a, b in zip(hz_out, in_out))
    res["normalize"] = {
        "hazm_texts_per_s": round(len(texts) / hw),
        "insight_texts_per_s": round(len(texts) / iw),
        "ratio_wall": round(hw / iw, 1),
        "ratio_cpu": round(hc / ic, 1),
        "hazm_s": round(hw, 3), "insight_s": round(iw, 3),
        "unique_share": round(len(set(texts)) / len(texts), 4),
        "agreement": round(same / len(texts), 6),
        "n_different": len(texts) - same,
    }

    if synthetic_n:
        big = (texts * (synthetic_n // len(texts) + 1))[:synthetic_n]
        sw, sc, s_out = _timed(text.normalize, big)
        if hazm_full:
            bw, _, _ = _timed(lambda t: [hz.normalize(x) for x in t], big)
            hazm_kind = "measured"
        else:
            bw, hazm_kind = hw * synthetic_n / len(texts), "extrapolated from the real texts"
        res["normalize_synthetic"] = {
            "n_texts": synthetic_n, "unique": len(set(texts)),
            "insight_texts_per_s": round(synthetic_n / sw),
            "hazm_texts_per_s": round(synthetic_n / bw), "hazm": hazm_kind,
            "ratio_wall": round(bw / sw, 1), "insight_s": round(sw, 3),
        }
        del big, s_out

    # mask_pii: batched vs the same compiled patterns applied text by text
    from insight.text import _PII_COMPILED

    def loop_mask(t):
        out = []
        for s in t:
            for _, pat, rep in _PII_COMPILED:
                s = pat.sub(rep, s)
            out.append(s)
        return out

    mw, _, m_out = _timed(text.mask_pii, texts, repeat=repeat)
    lw, _, l_out = _timed(loop_mask, texts)
    res["mask_pii"] = {
        "insight_texts_per_s": round(len(texts) / mw),
        "per_text_loop_texts_per_s": round(len(texts) / lw),
        "ratio_wall": round(lw / mw, 1),
        "same_as_loop": m_out == l_out,
        "texts_masked": sum(a != b for a, b in zip(texts, m_out)),
    }
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3,000 texts, no synthetic run")
    ap.add_argument("--hazm-full", action="store_true", help="run hazm on the 1M texts too (minutes)")
    ap.add_argument("--synthetic", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        print(json.dumps({"skipped": f"{SHARED} is absent"}))
        return 0
    texts = load_texts()
    if args.quick:
        texts, args.synthetic = texts[::7][:3000], 0
    print(json.dumps(bench(texts, args.synthetic, args.hazm_full), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
