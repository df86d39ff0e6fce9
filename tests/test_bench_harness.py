"""The benchmark harness runs end to end at a tiny size, so it cannot rot.
No timing assertions: speed is measured by ``make bench``, not by the tests."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_harness_runs_tiny(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "500", "1000", "--quick",
                        "--data", str(tmp_path / "data"), "--out", str(tmp_path / "results")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    files = list((tmp_path / "results").glob("*.json"))
    assert len(files) == 1
    res = json.loads(files[0].read_text())
    for key in ("rows", "read_s", "tabular_s", "text_s", "peak_rss_mb", "stages", "ratios", "scaling", "exponents"):
        assert key in res, key
    assert res["order_lines"] >= 900 and res["rows"]["orders"] == res["order_lines"]
    assert {"tabular_over_read", "normalize_over_hazm", "suite_over_naive"} <= set(res["ratios"])
    assert [s["order_lines"] for s in res["scaling"]] == sorted(s["order_lines"] for s in res["scaling"])
    for name, st in res["stages"].items():
        assert st["status"] in ("ok", "missing", "error"), name
        assert st["seconds"] >= 0 and st["peak_rss_mb"] > 0
    # stages whose modules exist must run, not fail
    assert res["stages"]["engine_aggregations"]["status"] == "ok"
    assert res["stages"]["rfm"]["status"] == "ok"
    assert res["peak_rss_mb"] >= max(s["peak_rss_mb"] for s in res["stages"].values())


def test_stage_failure_is_recorded_not_raised(monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run

    def boom():
        raise RuntimeError("kaput")

    monkeypatch.setitem(run.STAGES, "boom", ("tabular", boom))
    res = run.run_stage("boom")
    assert res["status"] == "error" and "kaput" in res["error"]


def test_synth_fallback_follows_the_contract():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synth
    from insight.contract import TABLES, dtype_for

    ds = synth.fallback(200, seed=1)
    for name, df in ds.tables():
        cols = {c.name: c for c in TABLES[name][1]}
        assert set(df.columns) <= set(cols), name
        for c in df.columns:
            assert str(df[c].dtype) == dtype_for(cols[c].kind), (name, c, df[c].dtype)
    assert 3 <= len(ds.orders) / 200 <= 7
    assert set(ds.returns.order_id) <= set(ds.orders.order_id)
