"""insight against the libraries people would otherwise use, on the same data in one run.

* journey: ``insight.journey.transitions`` + ``variants`` (and the engine's
  DuckDB versions) vs pm4py's ``discover_dfg`` + ``get_variants``; the
  directly-follows counts are checked equal.
* survival: the Kaplan-Meier curve of days to the next order (the curve
  ``insight.retention.time_to_next_order`` draws), insight's KM vs lifelines'
  ``KaplanMeierFitter``; survival probabilities checked equal.
* BG/NBD: ``insight.clv.fit_bgnbd`` vs lifetimes' ``BetaGeoFitter`` on the same
  summary (no penalizer), parameters compared to 3 decimals.

Peers are timed on inputs already in their own format (pm4py's formatted
frame), so conversion is not counted against them.  Each timing is the best
of ``repeat`` runs.  pm4py is AGPL: a benchmark peer only, never imported by
the package.
"""
from __future__ import annotations

import time
import warnings
from typing import Callable

import numpy as np
import pandas as pd


def best(fn: Callable, repeat: int = 2):
    out, secs = None, float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        secs = min(secs, time.perf_counter() - t0)
    return out, round(secs, 4)


def journey(ds, repeat: int = 2) -> dict:
    from insight import engine
    from insight import journey as J

    log = J.event_log(ds)
    log = log.assign(event=log["event"].astype("str"))
    res: dict = {"events": len(log), "cases": int(log.customer_id.nunique())}
    (jt, _), res["insight_s"] = best(lambda: (J.transitions(log), J.variants(log, stop_at=())), repeat)
    con = engine.connect(threads=2)
    tie = list(J.EVENTS)
    (tr, _), res["engine_duckdb_s"] = best(
        lambda: (engine.execute(engine.transitions(log, tie_order=tie), con),
                 engine.execute(engine.variants(log, tie_order=tie), con)), repeat)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pm4py
    except ImportError as e:
        res["pm4py"] = f"not installed: {e}"
        return res
    df = pm4py.format_dataframe(log.copy(), case_id="customer_id", activity_key="event", timestamp_key="timestamp")
    (dfg, var), res["pm4py_s"] = best(lambda: (pm4py.discover_dfg(df)[0], pm4py.get_variants(df)), repeat)
    theirs = {k: int(v) for k, v in dfg.items()}
    ends = {getattr(J, "START", None), getattr(J, "END", None)}
    mine = {(f, t): int(c) for f, t, c in zip(jt["from"], jt["to"], jt["count"]) if f not in ends and t not in ends}
    res["dfg_pairs"] = len(dfg)
    res["dfg_equal_journey"] = mine == theirs
    eng = {(r.source, r.target): int(r.n) for r in tr.itertuples()}
    res["dfg_equal_engine"] = eng == theirs
    res["variants"] = len(var)
    return res


def survival(ds, repeat: int = 2) -> dict:
    from insight import retention as R

    fe = R.first_experience(ds)
    dur = np.where(fe["days_to_next"].notna(), fe["days_to_next"], fe["observed_days"]).astype(float)
    dur = np.maximum(dur, 1e-9)
    status = fe["days_to_next"].notna().to_numpy().astype(int)
    res: dict = {"customers": len(dur), "events": int(status.sum())}
    km = _insight_km()
    (tab, res["insight_s"]) = best(lambda: km(dur, status), repeat)
    _, res["time_to_next_order_s"] = best(lambda: R.time_to_next_order(ds), 1)
    try:
        from lifelines import KaplanMeierFitter
    except ImportError as e:
        res["lifelines"] = f"not installed: {e}"
        return res
    kmf = KaplanMeierFitter()
    _, res["lifelines_s"] = best(lambda: kmf.fit(dur, status), repeat)
    sf = kmf.survival_function_.iloc[:, 0]
    mine = pd.Series(np.asarray(tab[1]), index=np.asarray(tab[0]))
    theirs = sf.reindex(mine.index, method="ffill")
    res["max_abs_diff"] = float(np.nanmax(np.abs(mine.to_numpy() - theirs.to_numpy()))) if len(mine) else None
    return res


def _insight_km():
    """insight's Kaplan-Meier as (times, survival) -- the retention module's if it has one."""
    from insight import retention as R

    for name in ("kaplan_meier", "km", "survival_curve"):
        if hasattr(R, name):
            fn = getattr(R, name)
            return lambda d, s: _times_surv(fn(d, s))
    from insight import complaints as C

    def via_complaints(d, s):
        _, table = C._km(d, s, 0.05)
        return table["time"].to_numpy(), table["open_share"].to_numpy()
    return via_complaints


def _times_surv(out):
    if isinstance(out, tuple) and len(out) == 2 and not isinstance(out[1], pd.DataFrame):
        return out
    t = out[1] if isinstance(out, tuple) else out
    cols = [c for c in t.columns if c in ("time", "t", "days")]
    scol = [c for c in t.columns if c in ("survival", "surv", "open_share", "s")]
    return t[cols[0]].to_numpy(), t[scol[0]].to_numpy()


def bgnbd(ds, repeat: int = 2) -> dict:
    from insight import clv

    s = clv.summary_from_orders(ds.orders)
    res: dict = {"customers": len(s)}
    def cold_fit():
        # a fit from scratch: clv keeps the last summary's statistics and fits (a report
        # fits one summary twice), which would time a cache hit from the second call on
        clv._LAST_STATS.clear()
        return clv.fit_bgnbd(s)
    p, res["insight_s"] = best(cold_fit, repeat)
    res["insight_params"] = {k: round(getattr(p, k), 6) for k in ("r", "alpha", "a", "b")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from lifetimes import BetaGeoFitter
    except ImportError as e:
        res["lifetimes"] = f"not installed: {e}"
        return res

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bg = BetaGeoFitter(penalizer_coef=0.0)
            return bg.fit(s["frequency"], s["recency"], s["T"])
    try:
        bg, res["lifetimes_s"] = best(fit, repeat)
    except Exception as e:  # lifetimes 0.11 on new numpy/scipy can fail to converge
        res["lifetimes"] = f"{type(e).__name__}: {str(e).strip()[:200]}"
        return res
    theirs = {k: float(bg.params_[k]) for k in ("r", "alpha", "a", "b")}
    res["lifetimes_params"] = {k: round(v, 6) for k, v in theirs.items()}
    res["params_equal_3dp"] = all(round(theirs[k], 3) == round(getattr(p, k), 3) for k in theirs)
    res["max_rel_diff"] = max(abs(theirs[k] - getattr(p, k)) / abs(theirs[k]) for k in theirs)
    res["loglik_insight"] = round(p.loglik, 4)
    return res


def run_all(ds, log=print) -> dict:
    out = {}
    for name, fn in (("journey", journey), ("survival", survival), ("bgnbd", bgnbd)):
        try:
            out[name] = fn(ds)
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}"[:400]}
        log(f"  {name}: {out[name]}")
    return out


def ratios(p: dict) -> dict:
    """insight time / peer time (below 1 = insight faster)."""
    def r(sec, a, b):
        x = p.get(sec, {})
        return round(x[a] / x[b], 3) if x.get(a) and x.get(b) else None
    return {
        "journey_over_pm4py": r("journey", "insight_s", "pm4py_s"),
        "engine_journey_over_pm4py": r("journey", "engine_duckdb_s", "pm4py_s"),
        "km_over_lifelines": r("survival", "insight_s", "lifelines_s"),
        "bgnbd_over_lifetimes": r("bgnbd", "insight_s", "lifetimes_s"),
    }


if __name__ == "__main__":  # python benchmarks/peers.py [order_lines]
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import synth

    ds, gen = synth.generate(int(sys.argv[1]) // 5 if len(sys.argv) > 1 else 2000, 7)
    res = run_all(ds)
    res["ratios"] = ratios(res)
    print(json.dumps(res, indent=1, default=str))
