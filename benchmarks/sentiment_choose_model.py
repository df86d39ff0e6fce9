"""Wall time of ``sentiment.choose_model`` on rated reviews (what a report pays).

    .venv/bin/python benchmarks/sentiment_choose_model.py

Texts: SnappFood comments and SentiPers sentences from ../shared/data (3,154 and
20,000 texts, binary; 20,000 with neutral too).  The shipped default model saw the
train parts of both sets, so it usually wins the comparison here; the final fit of
the user's own model is timed separately (``train`` on the capped rows)."""
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
sys.path.insert(0, str(ROOT / "scripts"))
import train_sentiment as ts  # noqa: E402
from insight import sentiment as se  # noqa: E402


def main() -> int:
    se.predict(["خوب بود"])  # load model, lexicon, scikit-learn once (as a report process has)
    se.choose_model(["خوب"] * 5, ["positive"] * 5)
    sf, sp = ts.load_snappfood(), ts.load_sentipers()
    binary = pd.concat([sf, ts.polar(sp)]).sample(frac=1, random_state=0)
    cases = [("3,154 binary", sf.sample(3154, random_state=1)),
             ("20,000 binary", pd.concat([binary, binary]).iloc[:20000]),
             ("20,000 three classes", pd.concat([sf, sp]).sample(n=20000, random_state=0))]
    for name, d in cases:
        t, c = time.perf_counter(), time.process_time()
        _, info = se.choose_model(d["text"], d["label"])
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        fit = 0.0
        idx = se._stratified_cap(d["label"].reset_index(drop=True), 12000, 0)
        if info["model"] == "default":  # time the final fit it skipped
            t = time.perf_counter()
            se.train(d["text"].iloc[idx], d["label"].iloc[idx])
            fit = time.perf_counter() - t
        print(f"{name:22s} choose_model {wall:5.1f} s wall ({cpu:5.1f} s CPU), chose {info['model']}, "
              f"CV on {info['cv_n']:,}; final fit on {len(idx):,} (skipped when the default won): "
              f"{fit:5.1f} s; worst case (own model kept) ~{wall + fit:5.1f} s", flush=True)
    print(f"load average : {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
