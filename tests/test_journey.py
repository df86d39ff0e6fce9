"""Journey: event log, transitions, variants, stage times (retention: tests/test_retention.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight import journey as j
from insight import retention as r
from journey_data import tiny_dataset

T = pd.Timestamp


@pytest.fixture()
def ds():
    return tiny_dataset()


def test_event_log_hand_built(ds):
    log = j.event_log(ds)
    assert log.attrs["as_of"] == T("2024-12-01")
    assert isinstance(log["event"].dtype, pd.CategoricalDtype)
    a = log[log["customer_id"] == "a"]
    # o1's latest line was delivered a day after the promise -> late; churned 180 days after o2
    assert a["event"].astype(str).tolist() == [
        "order_placed", "delivered_late", "next_order", "delivered_late", "churned"]
    assert a["timestamp"].iloc[-1] == T("2024-03-01") + pd.Timedelta(days=180)
    c = log[log["customer_id"] == "c"]["event"].astype(str).tolist()
    assert c == ["order_placed", "delivered_late", "complaint_opened", "complaint_resolved", "next_order"]
    # a prospect's survey is kept; c is not churned (ordered again at as_of)
    assert log[log["customer_id"] == "z"]["event"].astype(str).tolist() == ["survey"]
    assert len(log) == 15
    assert log.loc[log["event"] == "complaint_opened", "order_id"].tolist() == ["o4"]
    # shorter churn window: c churns before the Dec order? no: churn needs no order within it
    log2 = j.event_log(ds, churn_days=30)
    assert (log2["event"] == "churned").sum() == 2  # a and b; c's last order is at as_of


def test_transitions_counts_and_probabilities(ds):
    tr = j.transitions(j.event_log(ds)).set_index(["from", "to"])
    assert tr.loc[("(start)", "order_placed"), "count"] == 3
    assert tr.loc[("(start)", "survey"), "count"] == 1
    assert tr.loc[("(start)", "order_placed"), "probability"] == pytest.approx(0.75)
    assert tr.loc[("order_placed", "delivered_late"), "count"] == 2
    # delivered_late (3 events) -> next_order, complaint_opened, churned: a third each
    dl = tr.xs("delivered_late", level="from")
    assert dl["count"].sum() == 3 and np.allclose(dl["probability"], 1 / 3)
    assert tr.loc[("complaint_opened", "complaint_resolved"), "median_days"] == 2.0
    # every from-state's probabilities sum to 1
    assert np.allclose(tr.groupby(level="from")["probability"].sum(), 1.0)


def test_variants_paths_and_outcomes(ds):
    v = j.variants(j.event_log(ds), k=10)
    assert v["n_customers"].iloc[0] == 4 and v["customers"].sum() == 4
    paths = dict(zip(v["path"], v["repurchase_share"]))
    assert paths["order_placed → delivered_late → next_order"] == 1.0
    assert paths["order_placed → delivered_on_time → survey → churned"] == 0.0
    assert "order_placed → delivered_late → complaint_opened → complaint_resolved → next_order" in paths
    full = j.variants(j.event_log(ds), stop_at=(), max_len=3)
    assert "order_placed → delivered_late → next_order" in set(full["path"])
    with pytest.raises(ValueError):
        j.variants(j.event_log(ds), max_len=16)


def test_variants_unsorted_log_gives_same_answer(ds):
    log = j.event_log(ds)
    shuffled = log.sample(frac=1.0, random_state=1)
    a = j.variants(log).sort_values("path").reset_index(drop=True)
    b = j.variants(shuffled).sort_values("path").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_stage_times(ds):
    st = j.stage_times(j.event_log(ds)).set_index(["from", "to"])
    d = st.loc[("order_placed", "delivered_on_time | delivered_late")]
    assert d["n"] == 3 and d["median_days"] == 3.0  # 3, 2, 5 days
    assert st.loc[("complaint_opened", "complaint_resolved"), "median_days"] == 2.0
    nx = st.loc[("order_placed", "next_order")]
    assert nx["n"] == 2 and nx["mean_days"] == pytest.approx((60 + 326) / 2)


def test_plots_smoke(ds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from insight import plots_journey as pj
    from insight import segments as sg

    log = j.event_log(ds)
    axes = [pj.sankey(j.transitions(log), log=log, steps=3), pj.sankey(j.transitions(log), steps=3),
            pj.variants_bars(j.variants(log)), pj.retention_heatmap(r.cohorts(ds.orders)),
            pj.km_curves(r.time_to_next_order(ds, min_group=1)),
            pj.segment_bars(sg.segment_counts(sg.rfm(ds.orders))), pj.rfm_grid(sg.rfm(ds.orders))]
    for ax in axes:
        assert isinstance(ax, plt.Axes)
    # Persian labels are plain strings (matplotlib shapes them)
    texts = [t.get_text() for t in axes[0].texts]
    assert any("ثبت سفارش" in t for t in texts)
    plt.close("all")


def test_moved_names_still_resolve_from_journey():
    """retention's public names stay reachable as insight.journey.<name> (same objects)."""
    for name in ("cohorts", "retention_matrix", "first_experience", "time_to_next_order", "SurvivalResult",
                 "order_experience", "repurchase_model", "RepurchaseModel", "FIRST_EXPERIENCES",
                 "EXPERIENCE_TERMS", "ORDER_NUMBER_BINS"):
        assert getattr(j, name) is getattr(r, name)
        assert name in dir(j)
    from insight.journey import repurchase_model  # noqa: F401 -- from-import works too
    with pytest.raises(AttributeError):
        j.no_such_name  # noqa: B018
