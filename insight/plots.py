"""Plots for the perception, complaint, return and delivery results.

Each helper takes the result DataFrame (or result object) a function in
``insight.metrics / complaints / returns / delivery`` returned, draws on ``ax``
(a new figure when None) in a seaborn style and returns the ``Axes``.

Persian: labels are plain Persian strings (``lang="fa"``, the default) — matplotlib
≥ 3.11 shapes Arabic-script text itself, so nothing is reshaped or reordered here
(reshaping libraries would reverse it).  Font: Vazirmatn when installed as a system
font, else DejaVu Sans (covers Persian).  Numbers on axes stay Latin digits.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = ["style", "trend", "ci_points", "funnel", "survival", "rating_by_delivery",
           "sentiment_shares", "within_days", "volume", "rate_comparison", "LABELS"]

#: axis and legend words, Persian and English
LABELS = {
    "fa": {"period": "دوره", "value": "مقدار", "nps": "امتیاز خالص ترویج‌کنندگان (NPS)",
           "csat": "رضایت (CSAT، میانگین)", "top2": "سهم راضی‌ها (۴ و ۵)", "ces": "تلاش مشتری (CES)",
           "share": "سهم", "count": "تعداد", "rate": "نرخ", "n": "تعداد سفارش‌ها",
           "return_rate": "نرخ مرجوعی", "backorder_rate": "نرخ ناموجودی", "pooled": "میانگین کل",
           "limit95": "حد ۹۵٪", "limit998": "حد ۹۹٫۸٪", "flagged": "غیرعادی",
           "hours": "ساعت", "days": "روز", "open_share": "سهم تیکت‌های باز",
           "time_to_resolution": "زمان تا حل شکایت", "delivery_days": "روزهای تحویل",
           "rating": "میانگین امتیاز", "on_time": "به‌موقع", "late": "با تأخیر",
           "positive": "مثبت", "neutral": "خنثی", "negative": "منفی",
           "delivered_within": "تحویل‌شده تا {d} روز", "expected": "انتظار مشتریان",
           "actual": "واقعی", "reason": "دلیل", "all": "همه",
           "resolved": "حل‌شده", "unresolved": "حل‌نشده", "returned": "مرجوعی داشته",
           "kept": "بدون مرجوعی", "repurchase": "خرید دوباره"},
    "en": {"period": "period", "value": "value", "nps": "NPS", "csat": "CSAT (mean)",
           "top2": "top-2 share", "ces": "CES", "share": "share", "count": "count", "rate": "rate",
           "n": "order lines", "return_rate": "return rate", "backorder_rate": "backorder rate",
           "pooled": "pooled", "limit95": "95% limit", "limit998": "99.8% limit",
           "flagged": "flagged", "hours": "hours", "days": "days", "open_share": "share still open",
           "time_to_resolution": "time to resolution", "delivery_days": "delivery days",
           "rating": "mean rating", "on_time": "on time", "late": "late", "positive": "positive",
           "neutral": "neutral", "negative": "negative", "delivered_within": "delivered within {d} d",
           "expected": "customers expect", "actual": "actual", "reason": "reason", "all": "all",
           "resolved": "resolved", "unresolved": "unresolved", "returned": "returned",
           "kept": "kept", "repurchase": "repurchase"},
}

PALETTE = {"positive": "#2a9d8f", "neutral": "#b0b7bf", "negative": "#e76f51"}


def _t(key: str, lang: str) -> str:
    return LABELS.get(lang, LABELS["en"]).get(key, LABELS["en"].get(key, key))


def _fonts() -> list[str]:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in ("Vazirmatn", "DejaVu Sans") if f in names] or ["sans-serif"]


def style() -> dict:
    """The rc parameters the helpers draw with (seaborn whitegrid + a Persian-capable font).
    Use ``with matplotlib.rc_context(insight.plots.style()):`` for your own figures."""
    import seaborn as sns

    rc = dict(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook"))
    rc.update({"font.family": "sans-serif", "font.sans-serif": _fonts(),
               "axes.unicode_minus": False, "figure.dpi": 100})
    return rc


@contextmanager
def _ctx():
    import matplotlib as mpl

    with mpl.rc_context(style()):
        yield


def _ax(ax, size=(7, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _err(df, value="value", low="ci_low", high="ci_high"):
    v = df[value].to_numpy(dtype="float64")
    lo = np.nan_to_num(v - df[low].to_numpy(dtype="float64"), nan=0.0)
    hi = np.nan_to_num(df[high].to_numpy(dtype="float64") - v, nan=0.0)
    return np.vstack([np.maximum(lo, 0), np.maximum(hi, 0)])


# ---------------------------------------------------------------- generic

def trend(df: pd.DataFrame, *, x: str = "period", value: str = "value", hue: str | None = None,
          ax=None, title: str | None = None, ylabel: str | None = None, lang: str = "fa"):
    """A metric over periods (``insight.metrics.by`` output) with its CI as a band;
    one line per ``hue`` group."""
    with _ctx():
        ax = _ax(ax)
        order = list(dict.fromkeys(df.sort_values("period_start")[x] if "period_start" in df else df[x]))
        pos = {p: i for i, p in enumerate(order)}
        groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=True))
        for name, g in groups:  # one line per group
            xs = g[x].map(pos).to_numpy()
            o = np.argsort(xs)
            line, = ax.plot(xs[o], g[value].to_numpy()[o], marker="o",
                            label=None if name is None else str(name))
            if {"ci_low", "ci_high"} <= set(g.columns):
                ax.fill_between(xs[o], g["ci_low"].to_numpy()[o], g["ci_high"].to_numpy()[o],
                                alpha=0.18, color=line.get_color(), linewidth=0)
        ax.set_xticks(range(len(order)), order, rotation=45 if len(order) > 6 else 0)
        metric = df["metric"].iloc[0] if "metric" in df.columns and len(df) else value
        ax.set_xlabel(_t("period", lang))
        ax.set_ylabel(ylabel or _t(metric, lang))
        if title:
            ax.set_title(title)
        if hue is not None:
            ax.legend(title=hue)
    return ax


def ci_points(df: pd.DataFrame, label: str, *, value: str = "value", low: str = "ci_low",
              high: str = "ci_high", reference: float | None = None, ax=None, title: str | None = None,
              xlabel: str | None = None, lang: str = "fa", percent: bool | None = None):
    """Horizontal point-and-interval chart: one row per ``label`` (e.g. on-time share by
    channel, return reasons, NPS by touchpoint); ``reference`` draws a dashed line."""
    from matplotlib.ticker import PercentFormatter

    with _ctx():
        ax = _ax(ax, (7, max(2.5, 0.45 * len(df) + 1)))
        d = df.reset_index(drop=True)
        ys = np.arange(len(d))[::-1]
        ax.errorbar(d[value], ys, xerr=_err(d, value, low, high), fmt="o", capsize=3)
        ax.set_yticks(ys, d[label].astype("str").map(lambda s: _t(s, lang)))
        if reference is not None:
            ax.axvline(reference, ls="--", color="0.4", lw=1)
        share = percent if percent is not None else bool(d[high].max() <= 1 and d[low].min() >= 0)
        if share:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(xlabel or _t(value, lang))
        if title:
            ax.set_title(title)
    return ax


def rate_comparison(result, *, ax=None, title: str | None = None, lang: str = "fa"):
    """Two rates of a ``RateComparison`` (repurchase after complaint / return / late
    delivery) as points with CIs; the p-value goes in the title."""
    r = result.rates.rename(columns={"rate": "value"})
    label = r.columns[0]
    p = result.difference.p_value
    ax = ci_points(r, label, ax=ax, xlabel=_t("repurchase", lang), lang=lang)
    ax.set_title((title + "\n" if title else "") + f"p = {p:.2g}, OR = {result.odds_ratio.value:.2f}")
    return ax


# ---------------------------------------------------------------- specific

def funnel(rates: pd.DataFrame, *, label: str | None = None, ax=None, title: str | None = None,
           lang: str = "fa", annotate: int = 5):
    """Funnel plot of ``insight.returns.rates`` output: raw rate against n with the
    95% and 99.8% binomial limits around the pooled rate; flagged groups in red and
    the top ``annotate`` flagged ones labelled."""
    from matplotlib.ticker import PercentFormatter

    label = label or rates.columns[0]
    with _ctx():
        ax = _ax(ax)
        d = rates.sort_values("n")
        flag = d["flag"].to_numpy(dtype=bool)
        ax.scatter(d.loc[~flag, "n"], d.loc[~flag, "rate"], s=18, alpha=0.6, color="#457b9d")
        ax.scatter(d.loc[flag, "n"], d.loc[flag, "rate"], s=30, color="#e63946", label=_t("flagged", lang))
        ax.plot(d["n"], d["limit95_high"], ls="--", color="0.5", lw=1, label=_t("limit95", lang))
        ax.plot(d["n"], d["limit95_low"], ls="--", color="0.5", lw=1)
        ax.plot(d["n"], d["limit998_high"], ls="-", color="0.3", lw=1, label=_t("limit998", lang))
        ax.plot(d["n"], d["limit998_low"], ls="-", color="0.3", lw=1)
        ax.axhline(d["pooled"].iloc[0], color="0.2", lw=0.8, label=_t("pooled", lang))
        for _, r in d[flag].sort_values("shrunk", ascending=False).head(annotate).iterrows():
            ax.annotate(str(r[label]), (r["n"], r["rate"]), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)  # a handful of flagged products
        ax.set_xscale("log")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        kind = rates.attrs.get("kind", "return")
        ax.set_ylabel(_t(f"{kind}_rate", lang))
        ax.set_xlabel(_t("n", lang))
        ax.legend(fontsize=8)
        if title:
            ax.set_title(title)
    return ax


def survival(result, *, group: str | None = None, ax=None, title: str | None = None, lang: str = "fa"):
    """Kaplan–Meier curve(s) of time to resolution (``insight.complaints.resolution_time``
    result or its ``table``): share of tickets still open, with the pointwise band."""
    table = result.table if hasattr(result, "table") else result
    unit = getattr(result, "unit", "hours")
    groups_cols = [c for c in table.columns if c not in
                   ("time", "open_share", "ci_low", "ci_high", "at_risk", "resolved")]
    group = group or (groups_cols[0] if groups_cols else None)
    with _ctx():
        ax = _ax(ax)
        parts = [(None, table)] if group is None else list(table.groupby(group, sort=True))
        for name, g in parts:  # one curve per group
            t = np.r_[0.0, g["time"].to_numpy()]
            s = np.r_[1.0, g["open_share"].to_numpy()]
            line, = ax.step(t, s, where="post", label=None if name is None else str(name))
            lo = np.r_[1.0, g["ci_low"].to_numpy()]
            hi = np.r_[1.0, g["ci_high"].to_numpy()]
            ax.fill_between(t, lo, hi, step="post", alpha=0.15, color=line.get_color(), linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(f"{_t('time_to_resolution', lang)} ({_t(unit, lang)})")
        ax.set_ylabel(_t("open_share", lang))
        if group is not None:
            ax.legend(fontsize=8)
        if title:
            ax.set_title(title)
    return ax


def rating_by_delivery(result, *, ax=None, title: str | None = None, lang: str = "fa"):
    """Mean rating with CI per delivery-days bin (``insight.delivery.rating_by_delivery``),
    with the late and on-time means as horizontal lines."""
    with _ctx():
        ax = _ax(ax)
        d = result.by_days[result.by_days["n"] > 0].reset_index(drop=True)
        x = np.arange(len(d))
        ax.errorbar(x, d["mean"], yerr=_err(d, "mean"), fmt="o-", capsize=3, color="#264653")
        ax.set_xticks(x, d["bin"].astype("str"))
        if len(result.by_late):
            bl = result.by_late.set_index("timing")
            for key, color in (("on_time", "#2a9d8f"), ("late", "#e76f51")):
                if key in bl.index and bl.loc[key, "n"] > 0:
                    ax.axhline(bl.loc[key, "mean"], ls="--", color=color, lw=1,
                               label=f"{_t(key, lang)} ({bl.loc[key, 'mean']:.2f})")
            ax.legend(fontsize=8)
        ax.set_xlabel(_t("delivery_days", lang))
        ax.set_ylabel(_t("rating", lang))
        if title:
            ax.set_title(title)
    return ax


def sentiment_shares(df: pd.DataFrame, *, label: str | None = None, ax=None, title: str | None = None,
                     lang: str = "fa"):
    """Stacked horizontal bars of positive / neutral / negative shares per group
    (``insight.metrics.sentiment_shares`` output), with the positive:negative ratio."""
    from matplotlib.ticker import PercentFormatter

    stats_cols = {"n", "pos_neg_ratio", "ratio_ci_low", "ratio_ci_high"} | {
        f"{s}{suf}" for s in ("positive", "neutral", "negative") for suf in ("", "_ci_low", "_ci_high")}
    keys = [c for c in df.columns if c not in stats_cols]
    label = label or (keys[0] if keys else None)
    with _ctx():
        ax = _ax(ax, (7, max(2.0, 0.5 * len(df) + 1)))
        names = df[label].astype("str").tolist() if label else [_t("all", lang)]
        ys = np.arange(len(df))[::-1]
        left = np.zeros(len(df))
        for s in ("positive", "neutral", "negative"):
            v = df[s].to_numpy(dtype="float64")
            ax.barh(ys, v, left=left, color=PALETTE[s], label=_t(s, lang))
            left += v
        for y, r in zip(ys, df["pos_neg_ratio"]):
            if np.isfinite(r):
                ax.text(1.01, y, f"{r:.1f}×", va="center", fontsize=8)
        ax.set_yticks(ys, names)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(_t("share", lang))
        ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
        if title:
            ax.set_title(title)
    return ax


def within_days(df: pd.DataFrame, *, ax=None, title: str | None = None, lang: str = "fa"):
    """Share delivered within N days (``insight.delivery.within_days``) as bars with CIs,
    beside what customers expect (the quoted 13% / 44%)."""
    from matplotlib.ticker import PercentFormatter

    with _ctx():
        ax = _ax(ax)
        x = np.arange(len(df))
        w = 0.38
        ax.bar(x - w / 2, df["share"], w, yerr=_err(df, "share"), capsize=3, color="#457b9d",
               label=_t("actual", lang))
        ax.bar(x + w / 2, df["expected_share"].fillna(0), w, color="#e9c46a", label=_t("expected", lang))
        ax.set_xticks(x, [_t("delivered_within", lang).format(d=d) for d in df["days"]])
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel(_t("share", lang))
        ax.legend(fontsize=8)
        if title:
            ax.set_title(title)
    return ax


def volume(df: pd.DataFrame, *, hue: str | None = "category", ax=None, title: str | None = None,
           lang: str = "fa"):
    """Complaint counts per period (``insight.complaints.volume``), one line per ``hue``
    value (summed over other groups), with exact Poisson bands when not summed."""
    with _ctx():
        ax = _ax(ax)
        if hue is not None and hue in df.columns:
            g = df.groupby(["period", "period_start", hue], observed=True)["count"].sum().reset_index()
        else:
            g = df.groupby(["period", "period_start"], observed=True)["count"].sum().reset_index()
            hue = None
        from insight.stats import poisson_ci

        g["value"] = g["count"]
        g["ci_low"], g["ci_high"] = poisson_ci(g["count"])
        trend(g, hue=hue, ax=ax, ylabel=_t("count", lang), title=title, lang=lang)
    return ax
