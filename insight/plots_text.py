"""Plots for sentiment and theme results (``insight.sentiment`` / ``insight.themes``).

Each helper takes the DataFrame the analysis returned, draws on ``ax`` (a new
figure when None) and returns the ``Axes``.  Labels are plain Persian strings
(``lang="fa"``, default) or English (``lang="en"``): matplotlib >= 3.11 shapes
Arabic-script text itself, so nothing is reshaped or reordered.  Style and font
(Vazirmatn if installed, else DejaVu Sans) come from :func:`insight.plots.style`.

* :func:`sentiment_bars` — share of positive / neutral / negative with Wilson CIs;
* :func:`theme_sentiment` — mentions per theme split by aspect sentiment;
* :func:`attribute_scorecard` — negative share per attribute and signal with CIs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from insight.plots import PALETTE, _ax, _ctx, _err, _t

__all__ = ["sentiment_bars", "theme_sentiment", "attribute_scorecard", "ATTRIBUTE_LABELS", "SOURCE_LABELS"]

SENTIMENTS = ("positive", "neutral", "negative")
ATTRIBUTE_LABELS = {
    "fa": {"trust": "اعتماد", "reliability": "قابلیت اطمینان", "value": "ارزش", "relevance": "مرتبط بودن"},
    "en": {"trust": "trust", "reliability": "reliability", "value": "value", "relevance": "relevance"},
}
SOURCE_LABELS = {
    "fa": {"text": "نظرات مشتریان", "late delivery": "تأخیر در تحویل", "returns": "مرجوعی",
           "returns: not as described": "مرجوعی: مغایر با توضیحات", "repeat contacts": "تماس مکرر",
           "none": "بدون داده"},
    "en": {},
}
WORDS = {
    "fa": {"share": "سهم", "mentions": "تعداد اشاره", "negative_share": "سهم منفی", "theme": "موضوع"},
    "en": {"share": "share", "mentions": "mentions", "negative_share": "negative share", "theme": "theme"},
}


def _w(key: str, lang: str) -> str:
    return WORDS.get(lang, WORDS["en"]).get(key, key)


def sentiment_bars(df: pd.DataFrame, *, ax=None, title: str | None = None, lang: str = "fa"):
    """Bars of the positive / neutral / negative shares with 95% Wilson CIs.

    ``df``: :func:`insight.sentiment.predict` output (a ``label`` column: shares are computed
    here) or one row of :func:`insight.metrics.sentiment_shares` output."""
    from matplotlib.ticker import PercentFormatter

    if "label" in df.columns:
        from insight.metrics import sentiment_shares

        df = sentiment_shares(df["label"].dropna())
    row = df.iloc[0]
    vals = np.array([row[s] for s in SENTIMENTS], dtype="float64")
    err = _err(pd.DataFrame({"value": vals, "ci_low": [row[f"{s}_ci_low"] for s in SENTIMENTS],
                             "ci_high": [row[f"{s}_ci_high"] for s in SENTIMENTS]}))
    with _ctx():
        ax = _ax(ax, (6, 3.5))
        x = np.arange(3)
        ax.bar(x, vals, yerr=err, capsize=4, color=[PALETTE[s] for s in SENTIMENTS])
        for xi, v in zip(x, vals):
            ax.text(xi, v / 2, f"{v:.0%}", ha="center", va="center", fontsize=9, color="white")
        ax.set_xticks(x, [_t(s, lang) for s in SENTIMENTS])
        ax.set_ylim(0, min(1.0, float(np.nanmax(vals + err[1])) * 1.15 + 0.02))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel(_w("share", lang))
        ax.set_title(title if title is not None else f"n = {int(row['n']):,}")
    return ax


def theme_sentiment(tags: pd.DataFrame, *, top: int = 12, share: bool = False, ax=None,
                    title: str | None = None, lang: str = "fa"):
    """Horizontal stacked bars: mentions of each theme (:func:`insight.themes.tag` output) by
    aspect sentiment, most mentioned first; ``share=True`` draws shares instead of counts.
    The negative share is written at the end of each bar."""
    from matplotlib.ticker import PercentFormatter

    from insight.themes import themes_table

    names = themes_table().set_index("theme")["label_fa" if lang == "fa" else "label_en"]
    counts = (pd.crosstab(tags["theme"], tags["sentiment"]).reindex(columns=list(SENTIMENTS), fill_value=0)
              if len(tags) else pd.DataFrame(columns=list(SENTIMENTS), dtype="int64"))
    total = counts.sum(axis=1)
    counts = counts.loc[total.sort_values(ascending=False).index[:top]]
    total = counts.sum(axis=1)
    vals = counts.div(total, axis=0) if share else counts
    with _ctx():
        ax = _ax(ax, (7.5, max(2.0, 0.45 * len(counts) + 1.2)))
        ys = np.arange(len(counts))[::-1]
        left = np.zeros(len(counts))
        for s in SENTIMENTS:
            v = vals[s].to_numpy(dtype="float64")
            ax.barh(ys, v, left=left, color=PALETTE[s], label=_t(s, lang))
            left += v
        neg = (counts["negative"] / total).to_numpy()
        for y, end, p in zip(ys, left, neg):
            ax.text(end, y, f" {p:.0%}", va="center", fontsize=8, color=PALETTE["negative"])
        ax.set_yticks(ys, [names.get(t, t) for t in counts.index])
        if share:
            ax.set_xlim(0, 1.12)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_xlabel(_w("share", lang))
        else:
            ax.set_xlim(0, (left.max() if len(left) else 1) * 1.12)
            ax.set_xlabel(_w("mentions", lang))
        ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15))
        if title:
            ax.set_title(title)
    return ax


def attribute_scorecard(sc: pd.DataFrame, *, ax=None, title: str | None = None, lang: str = "fa"):
    """Point-and-interval chart of :func:`insight.themes.scorecard`: negative share with its
    95% CI for every attribute and signal, grouped by attribute (n on the right)."""
    from matplotlib.ticker import PercentFormatter

    from insight.themes import ATTRIBUTES

    alab = ATTRIBUTE_LABELS.get(lang, ATTRIBUTE_LABELS["en"])
    slab = SOURCE_LABELS.get(lang, {})
    d = sc[sc["n"] > 0].copy()
    d["_a"] = d["attribute"].map({a: i for i, a in enumerate(ATTRIBUTES)})
    d = d.sort_values(["_a", "source"]).reset_index(drop=True)
    colors = {"trust": "#264653", "reliability": "#2a9d8f", "value": "#e9c46a", "relevance": "#e76f51"}
    with _ctx():
        ax = _ax(ax, (7.5, max(2.0, 0.45 * len(d) + 1.2)))
        ys = np.arange(len(d))[::-1]
        err = _err(d, value="negative_share")
        for a in ATTRIBUTES:
            m = (d["attribute"] == a).to_numpy()
            if m.any():
                ax.errorbar(d.loc[m, "negative_share"], ys[m], xerr=err[:, m], fmt="o", capsize=3,
                            color=colors[a], label=alab[a])
        for y, n in zip(ys, d["n"]):
            ax.text(1.01, y, f"n={int(n):,}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
        ax.set_yticks(ys, [f"{alab.get(a, a)} · {slab.get(s, s)}" for a, s in zip(d["attribute"], d["source"])])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(_w("negative_share", lang))
        if len(d):
            ax.legend(ncol=4, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3))
        if title:
            ax.set_title(title)
    return ax
