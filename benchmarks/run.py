"""The benchmark harness behind ``make bench``.

    python benchmarks/run.py                      # 10k, 100k, 1M order lines + peers + 10M out-of-core
    python benchmarks/run.py --sizes 2000 --quick # tiny, no peers / suite / 10M (the test suite does this)

For each size: generate the seven tables (seeded; ``insight.sample`` or the
fallback in ``synth.py``) as Parquet under ``benchmarks/data/``, time
``pandas.read_parquet`` of the same tables (``read_s``), then run every analysis
the reports use as library calls, each stage in a forked child so its time
and peak RSS are its own (the child inherits the loaded tables, so its peak
RSS is what a report process holding the data would reach); each stage and the
read run ``--repeat`` times (default 3) and the fastest is reported, the others
kept in ``seconds_all``.  Text stages are
pinned to one core.  The tabular stages are also run as one report process runs
them (``report_process.py``: a fresh interpreter that calls ``insight.data.load``
and then each analysis in turn, best of ``--repeat`` processes): that sum is
``tabular_s``; the sum of the isolated forks is ``tabular_isolated_s``.  A stage whose module is not there is recorded as
``missing``; one that fails as ``error`` with the message.

Writes ``benchmarks/results/<date>.json``: the top-level keys describe the
largest size (``rows, read_s, tabular_s, text_s, peak_rss_mb, stages,
ratios``); ``scaling`` holds every size and ``exponents`` the log-log slope of
each stage's time against order lines (1 = linear).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import math
import multiprocessing as mp
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402

from insight.contract import Dataset, TABLES  # noqa: E402

DATA: dict = {}          # set in the parent before forking; children read it
TEXT_SAMPLE = 20_000     # texts for the normalize-vs-hazm comparison


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- stages
class Missing(Exception):
    """The module (or function) a stage needs is not in the package yet."""


def need(module: str, *names: str):
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name)):
            raise Missing(f"{module} not found") from e
        raise
    out = []
    for n in names:
        if not hasattr(mod, n):
            raise Missing(f"{module}.{n} not found")
        out.append(getattr(mod, n))
    return out[0] if len(out) == 1 else (out or mod)


def _ds() -> Dataset:
    return DATA["ds"]


def _texts() -> pd.Series:
    ds = _ds()
    parts = [ds.reviews["text"]]
    for name, col in (("complaints", "text"), ("surveys", "comment")):
        df = getattr(ds, name)
        if df is not None and col in df.columns:
            parts.append(df[col])
    return pd.concat(parts, ignore_index=True).dropna().astype("str")


def st_load_validate():
    load = need("insight.data", "load")
    ds = load(DATA["folder"])
    ds = ds[0] if isinstance(ds, tuple) else ds
    return len(ds.orders)


def st_metrics():
    m = importlib.import_module("insight.metrics")
    s = _ds().surveys
    m.nps(s["nps"]), m.csat(s["csat"]), m.ces(s["ces"])
    m.by(s, "nps", date="submitted_at")
    m.by(s, "csat", date="submitted_at", by="touchpoint")
    return len(s)


def st_complaints():
    c = importlib.import_module("insight.complaints")
    ds = _ds()
    c.volume(ds.complaints)
    c.resolution_time(ds.complaints)
    c.repeat_contacts(ds.complaints)
    c.csat_after(ds.complaints)
    c.repurchase_after(ds.complaints, ds.orders)
    c.silent_customers(ds.orders, ds.complaints, ds.returns)
    return len(ds.complaints)


def st_returns():
    r = need("insight.returns")
    ds = _ds()
    r.rates(ds.orders, ds.returns)
    r.rates(ds.orders, ds.returns, by="category")
    r.reasons(ds.returns)
    r.repurchase_after_return(ds.orders, ds.returns)
    return len(ds.orders)


def st_delivery():
    d = need("insight.delivery")
    o, rv = _ds().orders, _ds().reviews
    d.on_time(o), d.lateness(o), d.delivery_days(o), d.within_days(o)
    d.rating_by_delivery(o, rv)
    d.repurchase_by_delivery(o)
    return len(o)


def st_rfm():
    seg = importlib.import_module("insight.segments")
    ds = _ds()
    t = seg.rfm(ds.orders)
    seg.segment_counts(t)
    seg.profile(t, surveys=ds.surveys, complaints=ds.complaints, returns=ds.returns) \
        if "complaints" in seg.profile.__code__.co_varnames else seg.profile(t, surveys=ds.surveys)
    return len(t)


def st_clv():
    clv = importlib.import_module("insight.clv")
    s = clv.summary_from_orders(_ds().orders)
    p = clv.fit_bgnbd(s)
    clv.p_alive(p, s)
    rep = s[s["frequency"] > 0]
    if len(rep):
        clv.fit_gamma_gamma(rep)
    return len(s)


def st_journey():
    j = importlib.import_module("insight.journey")
    ds = _ds()
    log = j.event_log(ds)
    j.transitions(log)
    j.variants(log)
    j.stage_times(log)
    importlib.import_module("insight.retention").cohorts(ds.orders)
    return len(log)


def st_survival():
    r = importlib.import_module("insight.retention")
    r.time_to_next_order(_ds())
    return len(_ds().orders)


def st_engine():
    from insight import engine

    ds = _ds()
    con = engine.connect(threads=2)
    out = engine.aggregate_all(ds.orders, ds.returns, con=con)
    return sum(len(v) for v in out.values())


def st_followup():
    f = need("insight.followup", "followup_list")
    return len(f(_ds()))


def st_claims():
    check_all = need("insight.claims", "check_all")
    return len(check_all(_ds()))


def st_normalize():
    normalize = need("insight.text", "normalize")
    t = _texts()
    normalize(t)
    return len(t)


def st_normalize_sample():
    normalize = need("insight.text", "normalize")
    t = _texts().iloc[:TEXT_SAMPLE]
    normalize(t)
    return len(t)


def st_hazm_loop():
    norm = DATA.get("hazm")
    if norm is None:
        raise Missing("hazm not installed")
    t = _texts().iloc[:TEXT_SAMPLE]
    [norm.normalize(x) for x in t]
    return len(t)


def st_sentiment():
    predict = need("insight.sentiment", "predict")
    t = _texts()
    predict(t, DATA.get("sentiment_model"))
    return len(t)


def st_themes():
    tag = need("insight.themes", "tag")
    t = _texts()
    tag(t)
    return len(t)


#: name -> (kind, function).  kind: "tabular" | "text" | "engine" (the out-of-core
#: forms of aggregations the tabular stages already compute: reported, in no total) |
#: "ref" (a reference, in no total)
STAGES: dict[str, tuple[str, object]] = {
    "load_validate": ("tabular", st_load_validate),
    "metrics": ("tabular", st_metrics),
    "complaints": ("tabular", st_complaints),
    "returns": ("tabular", st_returns),
    "delivery": ("tabular", st_delivery),
    "rfm": ("tabular", st_rfm),
    "clv_fit": ("tabular", st_clv),
    "journey": ("tabular", st_journey),
    "survival": ("tabular", st_survival),
    "engine_aggregations": ("engine", st_engine),
    "followup": ("tabular", st_followup),
    "claims": ("tabular", st_claims),
    "text_normalize": ("text", st_normalize),
    "sentiment": ("text", st_sentiment),
    "themes": ("text", st_themes),
    "normalize_20k": ("ref", st_normalize_sample),
    "hazm_loop_20k": ("ref", st_hazm_loop),
}
ONE_CORE = {"text_normalize", "sentiment", "themes", "normalize_20k", "hazm_loop_20k"}


def _child(name: str, conn) -> None:
    kind, fn = STAGES[name]
    if name in ONE_CORE and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    t0 = time.perf_counter()
    try:
        n = fn()
        res = {"status": "ok", "n": int(n) if n is not None else None}
    except Missing as e:
        res = {"status": "missing", "error": str(e)}
    except Exception as e:  # a stage failing must not stop the run
        res = {"status": "error", "error": f"{type(e).__name__}: {e}"[:500],
               "trace": traceback.format_exc(limit=4)[-1500:]}
    res["seconds"] = round(time.perf_counter() - t0, 4)
    res["peak_rss_mb"] = round(rss_mb(), 1)
    conn.send(res)
    conn.close()


def prepare_ids(ds) -> dict:
    """What a report process does once before its analyses: code the orders' string ids
    and build the per-order arrays and customer timeline (``insight._events.warm``,
    cached per frame) and the order table
    (``insight.journey.order_table``, cached per frame).  Timed here, in the parent, and
    counted in ``tabular_s``; the forked stages inherit the warm caches, as the analyses of
    one report process share them."""
    from insight import _events, journey

    t0 = time.perf_counter()
    _events.warm(ds.orders)
    journey.order_table(ds.orders)
    return {"status": "ok", "n": len(ds.orders), "seconds": round(time.perf_counter() - t0, 4),
            "peak_rss_mb": round(rss_mb(), 1), "kind": "tabular"}


def _prepare_child(conn) -> None:
    conn.send(prepare_ids(DATA["ds"]))
    conn.close()


def prepare_best_of(ds, repeat: int) -> dict:
    """``prepare_ids`` timed ``repeat`` times, like every stage: ``repeat - 1`` times in
    forks of the parent (whose caches are still cold), then in the parent itself, whose
    warm caches the stages' forks inherit; the fastest is reported."""
    ctx = mp.get_context("fork")
    runs = []
    for _ in range(max(1, repeat) - 1):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_prepare_child, args=(w,))
        p.start()
        w.close()
        if r.poll(1800):
            runs.append(r.recv())
        p.join(5)
    runs.append(prepare_ids(ds))
    best = dict(min(runs, key=lambda x: x["seconds"]))
    best["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
    if len(runs) > 1:
        best["seconds_all"] = [x["seconds"] for x in runs]
    return best


def run_stage(name: str, timeout: float = 1800) -> dict:
    ctx = mp.get_context("fork")
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(name, w))
    p.start()
    w.close()
    res = r.recv() if r.poll(timeout) else {"status": "error", "error": f"timed out after {timeout}s"}
    p.join(5)
    if p.is_alive():
        p.kill()
    kind = STAGES[name][0]
    res["kind"] = kind
    if res["status"] == "ok" and res.get("n") and name in ONE_CORE and res["seconds"] > 0:
        res["items_per_s"] = round(res["n"] / res["seconds"], 1)
    return res


def best_of(name: str, repeat: int) -> dict:
    """The stage run ``repeat`` times, each in a fresh fork of the same parent: the
    fastest run's result (``seconds`` = the minimum, as timeit reports; the machine's
    noise only ever adds time), every run's seconds in ``seconds_all`` and the largest
    peak RSS.  A failure is reported as soon as it happens."""
    runs = []
    for _ in range(max(1, repeat)):
        res = run_stage(name)
        runs.append(res)
        if res["status"] != "ok":
            return res
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    if len(runs) > 1:
        best["seconds_all"] = [r["seconds"] for r in runs]
    return best


# --------------------------------------------------------------------------- one size
def prepare(order_lines: int, seed: int, data_root: Path) -> tuple[Path, str]:
    import synth

    folder = data_root / f"lines{order_lines}_seed{seed}"
    stamp = folder / "generator.txt"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        ds, gen = synth.generate(max(1, order_lines // 5), seed)
        synth.write_parquet(ds, folder)
        stamp.write_text(gen)
    return folder, stamp.read_text().strip()


def read_tables(folder: Path) -> tuple[Dataset, float]:
    t0 = time.perf_counter()
    frames = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in TABLES if (folder / f"{name}.parquet").exists()}
    return Dataset(**frames), time.perf_counter() - t0


def run_size(order_lines: int, seed: int, data_root: Path, stages: list[str], log=print,
             repeat: int = 1) -> dict:
    folder, gen = prepare(order_lines, seed, data_root)
    read_tables(folder)                      # warm the page cache: read_s is a warm read
    ds, read_s = read_tables(folder)
    for _ in range(max(repeat, 5) - 1):      # best of 5 or more: the read is short, so its noise is large
        read_s = min(read_s, read_tables(folder)[1])
    DATA.clear()
    DATA.update(ds=ds, folder=folder)
    for mod in ("insight.metrics", "insight.segments", "insight.clv", "insight.journey", "insight.retention",
                "insight.data", "insight.complaints", "insight.returns", "insight.delivery", "insight.followup",
                "insight.claims", "insight.engine", "statsmodels.api", "statsmodels.duration.survfunc", "hazm"):
        try:
            importlib.import_module(mod)     # imports happen once, not in each stage's time
        except Exception:
            pass
    try:  # like an import: the BLAS library scan behind insight._blas, once per process
        from insight import _blas
        with _blas.one_thread():
            pass
    except Exception:
        pass
    try:
        from hazm import Normalizer

        DATA["hazm"] = Normalizer()          # built once: the loop is what is compared
    except ImportError:
        pass
    try:                                     # models and lexicons load once, as in a report process
        from insight import sentiment, text, themes

        DATA["sentiment_model"] = sentiment.default_model()
        text.normalize(pd.Series(["آزمایش"]))
        themes.tag(pd.Series(["ارسال دیر بود"]))
    except Exception:
        pass
    out: dict = {"order_lines": len(ds.orders), "rows": ds.counts(), "generator": gen,
                 "read_s": round(read_s, 4), "stages": {}, "peak_rss_mb": round(rss_mb(), 1)}
    if any(STAGES[n][0] == "tabular" and n != "load_validate" for n in stages):
        out["stages"]["prepare"] = prepare_best_of(ds, repeat)
        log(f"  {order_lines:>9,} {'prepare':<20} ok       {out['stages']['prepare']['seconds']:>8.2f}s")
    for name in stages:
        res = best_of(name, repeat)
        out["stages"][name] = res
        log(f"  {order_lines:>9,} {name:<20} {res['status']:<8} {res['seconds']:>8.2f}s "
            f"{res['peak_rss_mb']:>8.0f} MB {res.get('error', '')[:80]}")
    tabular = [n for n in stages if STAGES[n][0] == "tabular"]
    if tabular:
        import report_process

        # best of 5 or more processes, as for the read: a whole process is short and the
        # first allocations of a fresh one vary most (seen: 1.5-2.8 s totals at 1M lines)
        # the read in fresh interpreters interleaved with the report processes (same drift)
        rp = report_process.measure(folder, tabular, repeat=max(repeat, 5), with_read=True)
        out["report_process"] = rp
        if "read_fresh" in rp:
            out["read_fresh"] = rp.pop("read_fresh")
        if rp["status"] == "ok":
            log(f"  {order_lines:>9,} {'report process':<20} ok       {rp['total_s']:>8.2f}s "
                f"{rp['peak_rss_mb']:>8.0f} MB  (load, prepare and {len(tabular) - 1} stages in one process)")
        else:
            log(f"  {order_lines:>9,} {'report process':<20} error    {rp.get('error', '')[-200:]}")
    return summarize(out)


def summarize(out: dict) -> dict:
    """Totals and ratios of one size's stages (re-run on a saved result when the kinds change)."""
    read_s = out["read_s"]
    ok = {k: v for k, v in out["stages"].items() if v["status"] == "ok"}
    for k, v in out["stages"].items():
        if k in STAGES:
            v["kind"] = STAGES[k][0]
    # tabular_isolated_s: each stage alone in a fork of the parent; tabular_s: the same stages as
    # one report process runs them (benchmarks/report_process.py), when that run is there
    out["tabular_isolated_s"] = round(sum(v["seconds"] for v in ok.values() if v["kind"] == "tabular"), 4)
    rp = out.get("report_process") or {}
    out["tabular_s"] = rp["total_s"] if rp.get("status") == "ok" else out["tabular_isolated_s"]
    out["text_s"] = round(sum(v["seconds"] for v in ok.values() if v["kind"] == "text"), 4)
    out["peak_rss_mb"] = round(max([out.get("peak_rss_mb") or 0, rp.get("peak_rss_mb") or 0]
                                   + [v["peak_rss_mb"] for v in out["stages"].values()]), 1)
    st = out["stages"]
    ratios = dict(out.get("ratios") or {})
    ratios["tabular_over_read"] = round(out["tabular_s"] / read_s, 2) if read_s else None
    ratios["tabular_isolated_over_read"] = round(out["tabular_isolated_s"] / read_s, 2) if read_s else None
    fr = (out.get("read_fresh") or {})
    if fr.get("status") == "ok" and fr["seconds"] > 0:   # both in fresh interpreters (report_process.py)
        ratios["tabular_over_fresh_read"] = round(out["tabular_s"] / fr["seconds"], 2)
    pr = sorted(rp.get("paired_ratios") or [])
    if pr:   # median of (process total / the fresh read just before it): robust to drift
        ratios["tabular_over_fresh_read_paired_median"] = pr[len(pr) // 2] if len(pr) % 2 \
            else round((pr[len(pr) // 2 - 1] + pr[len(pr) // 2]) / 2, 2)
    if st.get("normalize_20k", {}).get("status") == "ok" and st.get("hazm_loop_20k", {}).get("status") == "ok":
        # speed-up of insight's normalizer over a hazm Normalizer loop on the same texts (target >= 10)
        ratios["normalize_over_hazm"] = round(st["hazm_loop_20k"]["seconds"] / st["normalize_20k"]["seconds"], 2)
    else:
        ratios["normalize_over_hazm"] = None
    out["ratios"] = ratios
    out["missing"] = sorted(k for k, v in st.items() if v["status"] == "missing")
    out["errors"] = sorted(k for k, v in st.items() if v["status"] == "error")
    return out


def exponents(runs: list[dict]) -> dict:
    """Slope of log(seconds) on log(order lines) between the two largest sizes, per stage."""
    if len(runs) < 2:
        return {}
    a, b = runs[-2], runs[-1]
    out = {}
    for name, sb in b["stages"].items():
        sa = a["stages"].get(name, {})
        if sa.get("status") == sb.get("status") == "ok" and sa["seconds"] > 0 and sb["seconds"] > 0:
            out[name] = round(math.log(sb["seconds"] / sa["seconds"]) /
                              math.log(b["order_lines"] / a["order_lines"]), 2)
    ra, rb = (a.get("report_process") or {}).get("stages", {}), (b.get("report_process") or {}).get("stages", {})
    for name, sb in rb.items():
        sa = ra.get(name, {})
        if sa.get("status") == sb.get("status") == "ok" and sa["seconds"] > 0 and sb["seconds"] > 0:
            out[f"report_process.{name}"] = round(math.log(sb["seconds"] / sa["seconds"]) /
                                                  math.log(b["order_lines"] / a["order_lines"]), 2)
    for key in ("tabular_s", "tabular_isolated_s", "text_s", "read_s"):
        if a.get(key) and b.get(key):
            out[key] = round(math.log(b[key] / a[key]) / math.log(b["order_lines"] / a["order_lines"]), 2)
    return out


# --------------------------------------------------------------------------- suite vs naive
def suite_vs_naive(data_root: Path, seed: int, log=print) -> dict:
    """``insight run --jobs 2`` on the sample against papermill CLI + nbconvert CLI per notebook."""
    nbs = sorted((ROOT / "notebooks").glob("*.ipynb"))
    try:
        importlib.import_module("insight.report.cli")
    except ImportError:
        return {"status": "missing", "error": "insight.report.cli not found"}
    if not nbs:
        return {"status": "missing", "error": "no notebooks/*.ipynb"}
    bindir = Path(sys.executable).parent
    data = data_root / "suite_sample"
    if not (data / "orders.csv").exists():
        subprocess.run([str(bindir / "insight"), "sample", "--out", str(data), "--customers", "3000",
                        "--seed", str(seed)], check=True, capture_output=True)
    work = data_root / "suite_out"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    t0 = time.perf_counter()
    r = subprocess.run([str(bindir / "insight"), "run", "--data", str(data), "--out", str(work / "suite"),
                        "--jobs", "2"], capture_output=True, text=True)
    suite_s = time.perf_counter() - t0
    if r.returncode != 0:
        return {"status": "error", "error": (r.stderr or r.stdout)[-800:], "suite_s": suite_s}
    from insight.report import params as P

    t0 = time.perf_counter()
    for nb in nbs:
        names = {p.name for p in P.read(nb)}
        extra = ["-p", "data_dir", str(data.resolve())] if "data_dir" in names else []
        out_nb = work / "naive" / nb.name
        out_nb.parent.mkdir(exist_ok=True)
        subprocess.run([str(bindir / "papermill"), str(nb), str(out_nb), "-k", "insight", *extra],
                       check=True, capture_output=True, cwd=nb.parent)
        subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out_nb)],
                       check=True, capture_output=True)
    naive_s = time.perf_counter() - t0
    log(f"  suite {suite_s:.1f}s vs naive {naive_s:.1f}s over {len(nbs)} notebooks")
    return {"status": "ok", "notebooks": len(nbs), "suite_s": round(suite_s, 2), "naive_s": round(naive_s, 2),
            "suite_over_naive": round(suite_s / naive_s, 3)}


# --------------------------------------------------------------------------- out of core
def _ooc_child(folder: str, ret_folder: str, mem: str, tmp: str, conn) -> None:
    from insight import engine

    t0 = time.perf_counter()
    try:
        con = engine.connect(threads=2, memory_limit=mem, temp_directory=tmp)
        orders = engine.table(folder, con)
        returns = engine.table(ret_folder, con) if Path(ret_folder).exists() else None
        timings = {}
        for name, expr in (("customer_features", engine.customer_features(orders)),
                           ("rfm", engine.rfm_scores(orders)),
                           ("cohorts", engine.cohorts(orders)),
                           ("cohorts_jalali", engine.cohorts(orders, calendar="jalali")),
                           ("product_rates", engine.product_rates(orders, returns))):
            t = time.perf_counter()
            out = Path(tmp) / f"{name}.parquet"
            con.to_parquet(expr, out)    # results stream to disk: nothing large comes back to Python
            timings[name] = round(time.perf_counter() - t, 2)
        res = {"status": "ok", "stages": timings}
    except Exception as e:
        res = {"status": "error", "error": f"{type(e).__name__}: {e}"[:500]}
    res["seconds"] = round(time.perf_counter() - t0, 2)
    res["peak_rss_mb"] = round(rss_mb(), 1)
    conn.send(res)


def out_of_core(order_lines: int, seed: int, data_root: Path, memory_limit: str = "2GB", log=print) -> dict:
    import synth

    folder = data_root / f"ooc_lines{order_lines}_seed{seed}"
    stamp = folder / "_done"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(folder.parent / (folder.name + "_returns"), ignore_errors=True)
        t0 = time.perf_counter()
        n = synth.write_chunks(order_lines, folder, seed)
        stamp.write_text(str(n))
        log(f"  generated {n:,} order lines in {time.perf_counter() - t0:.0f}s")
    tmp = data_root / "ooc_tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ctx = mp.get_context("spawn")           # a clean process: its peak RSS is the engine's alone
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_ooc_child, args=(str(folder), str(folder.parent / (folder.name + "_returns")),
                                             memory_limit, str(tmp), w))
    p.start()
    w.close()
    res = r.recv() if r.poll(3600) else {"status": "error", "error": "timed out"}
    p.join(5)
    res.update(order_lines=int(stamp.read_text()), memory_limit=memory_limit, backend="duckdb",
               source="parquet folder (read out of core)")
    log(f"  out-of-core {res['order_lines']:,} lines: {res.get('seconds')}s, peak RSS {res.get('peak_rss_mb')} MB")
    return res


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                    help="order-line counts to run (the largest is the headline)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, default=HERE / "data", help="where generated Parquet goes")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    ap.add_argument("--quick", action="store_true", help="no peers, no suite, no out-of-core run")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-suite", action="store_true")
    ap.add_argument("--ooc-lines", type=int, default=10_000_000, help="out-of-core run size (0: skip)")
    ap.add_argument("--stages", nargs="*", default=None, help="only these stages")
    ap.add_argument("--tag", default="", help="suffix of the results file name")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each stage (and of the read) per size; the fastest is reported")
    a = ap.parse_args(argv)
    stages = a.stages or list(STAGES)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        ap.error(f"unknown stage(s) {unknown}; known: {list(STAGES)}")
    t_all = time.perf_counter()
    runs = []
    for n in sorted(a.sizes):
        print(f"== {n:,} order lines")
        runs.append(run_size(n, a.seed, a.data, stages, repeat=a.repeat))
    head = dict(runs[-1])
    result = {
        "date": _dt.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
        **head,
        "scaling": [{k: r.get(k) for k in ("order_lines", "rows", "read_s", "tabular_s", "tabular_isolated_s",
                                           "text_s", "peak_rss_mb")}
                    | {"stages": {s: v["seconds"] for s, v in r["stages"].items() if v["status"] == "ok"}}
                    for r in runs],
        "exponents": exponents(runs),
    }
    if not (a.quick or a.no_peers):
        import peers

        print("== peers")
        # DATA still holds the largest size's tables
        result["peers"] = peers.run_all(DATA["ds"], log=print)
        result["ratios"].update(peers.ratios(result["peers"]))
    if not (a.quick or a.no_suite):
        print("== suite vs naive")
        result["suite"] = suite_vs_naive(a.data, a.seed)
        result["ratios"]["suite_over_naive"] = result["suite"].get("suite_over_naive")
    else:
        result["ratios"].setdefault("suite_over_naive", None)
    if not a.quick and a.ooc_lines:
        print(f"== out of core, {a.ooc_lines:,} order lines")
        result["out_of_core"] = out_of_core(a.ooc_lines, a.seed, a.data)
    result["total_s"] = round(time.perf_counter() - t_all, 1)
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / f"{result['date']}{('-' + a.tag) if a.tag else ''}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
