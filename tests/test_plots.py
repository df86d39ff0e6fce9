"""insight.plots: every helper returns an Axes, keeps Persian strings as given, renders."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from plotting import render  # noqa: E402

from insight import complaints, delivery, metrics, plots, returns  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


_render = render  # tests/plotting.py


@pytest.fixture(scope="module")
def ds():
    sample = pytest.importorskip("insight.sample")
    return sample.generate(customers=800, seed=3)


def test_style_uses_a_persian_capable_font():
    rc = plots.style()
    assert rc["font.sans-serif"][0] in ("Vazirmatn", "DejaVu Sans")


def test_trend_persian_labels_not_reshaped(ds):
    df = metrics.by(ds.surveys, "nps")
    ax = plots.trend(df, title="روند NPS")
    assert isinstance(ax, plt.Axes)
    assert ax.get_title() == "روند NPS"                       # plain string, not reshaped
    assert ax.get_ylabel() == plots.LABELS["fa"]["nps"]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == df["period"].iloc[0]
    assert len(ax.collections) == 1                           # the CI band
    _render(ax)
    ax2 = plots.trend(metrics.by(ds.surveys, "csat", by="touchpoint"), hue="touchpoint", lang="en")
    assert ax2.get_ylabel() == "CSAT (mean)" and len(ax2.get_lines()) == ds.surveys["touchpoint"].nunique()
    _render(ax2)


def test_ci_points_and_rate_comparison(ds):
    df = delivery.on_time(ds.orders, by="channel")
    ax = plots.ci_points(df, "channel", reference=0.9, title="تحویل به‌موقع")
    assert len(ax.get_yticklabels()) == len(df)
    _render(ax)
    rc = delivery.repurchase_by_delivery(ds.orders)
    ax = plots.rate_comparison(rc)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["با تأخیر", "به‌موقع"]
    assert "p =" in ax.get_title()
    _render(ax)


def test_funnel(ds):
    r = returns.rates(ds.orders, ds.returns)
    ax = plots.funnel(r, title="مرجوعی کالاها")
    assert ax.get_xscale() == "log"
    assert ax.get_ylabel() == "نرخ مرجوعی"
    assert len(ax.texts) == min(5, int(r["flag"].sum()))
    _render(ax)


def test_survival(ds):
    res = complaints.resolution_time(ds.complaints, by="category")
    ax = plots.survival(res)
    assert len(ax.get_lines()) == res.summary.shape[0]
    assert ax.get_xlabel() == "زمان تا حل شکایت (ساعت)"
    _render(ax)


def test_rating_by_delivery_and_within_days(ds):
    r = delivery.rating_by_delivery(ds.orders, ds.reviews)
    ax = plots.rating_by_delivery(r)
    assert ax.get_ylabel() == "میانگین امتیاز"
    _render(ax)
    ax = plots.within_days(delivery.within_days(ds.orders))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["تحویل‌شده تا 1 روز", "تحویل‌شده تا 2 روز"]
    _render(ax)


def test_sentiment_and_volume(ds):
    s = metrics.sentiment_shares(["positive"] * 40 + ["negative"] * 15 + ["neutral"] * 45,
                                 by=["الف"] * 50 + ["ب"] * 50)
    ax = plots.sentiment_shares(s)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["الف", "ب"]   # first group on top
    _render(ax)
    ax = plots.volume(complaints.volume(ds.complaints))
    assert ax.get_ylabel() == "تعداد"
    _render(ax)
