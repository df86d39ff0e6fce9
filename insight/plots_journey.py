"""Plots for segments, CLV, journey, drivers and claims (matplotlib + seaborn style).

Every function takes the result table of the matching analysis, draws on
``ax`` (a new figure when None) and returns the Axes.  Persian labels are
plain strings: matplotlib >= 3.11 shapes them itself (never reshape them).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from insight.journey import EVENTS_FA, END, START
from insight.segments import GRID, SEGMENTS, SEGMENTS_FA
from insight.summary import CLAIM_NAMES

#: repurchase-model term (``retention.repurchase_model``) -> (fa, en) display label
TERMS = {"late": ("تحویل با تأخیر", "late delivery"), "complaint": ("شکایت", "complaint"),
         "slow_resolution": ("حل کند شکایت (بیش از ۲۴ ساعت)", "slow resolution (> 24 h)"),
         "unresolved": ("شکایت حل‌نشده", "unresolved complaint"), "returned": ("مرجوعی", "return"),
         "order_2": ("سفارش دوم", "2nd order"), "order_3_4": ("سفارش ۳ و ۴", "3rd-4th order"),
         "order_5_8": ("سفارش ۵ تا ۸", "5th-8th order"), "order_9_plus": ("سفارش ۹ به بعد", "9th+ order")}
TERMS_FA = {k: v[0] for k, v in TERMS.items()}
TERMS_EN = {k: v[1] for k, v in TERMS.items()}
#: claim id (``claims.check_all``) -> display name, from ``summary.CLAIM_NAMES``
CLAIMS_FA = {k: v[0] for k, v in CLAIM_NAMES.items()}
CLAIMS_EN = {k: v[1] for k, v in CLAIM_NAMES.items()}


def _ax(ax, size=(7, 4.5)):
    if ax is None:
        sns.set_theme(style="whitegrid", font="DejaVu Sans")
        _, ax = plt.subplots(figsize=size)
    return ax


def _label(name: str, lang: str) -> str:
    if lang == "fa":
        return SEGMENTS_FA.get(name) or EVENTS_FA.get(name) or name
    return name


# --------------------------------------------------------------------------- segments
def segment_bars(counts: pd.DataFrame, *, lang: str = "fa", ax=None):
    """Customers per segment with Wilson CIs (``segments.segment_counts`` output)."""
    ax = _ax(ax)
    c = counts.reset_index()
    labels = [_label(s, lang) for s in c["segment"]]
    y = np.arange(len(c))
    ax.barh(y, c["share"], color=sns.color_palette("crest", len(c)))
    ax.errorbar(c["share"], y, xerr=[c["share"] - c["ci_low"], c["ci_high"] - c["share"]],
                fmt="none", ecolor="black", capsize=2, lw=1)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("سهم مشتریان" if lang == "fa" else "share of customers")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    return ax


def rfm_grid(rfm_table: pd.DataFrame, *, lang: str = "fa", ax=None):
    """R x F heat map of customer counts, each cell labelled with its segment."""
    ax = _ax(ax, (7, 5.5))
    cnt = np.zeros((5, 5), dtype=int)
    np.add.at(cnt, (rfm_table["R"].to_numpy(int) - 1, rfm_table["F"].to_numpy(int) - 1), 1)
    sns.heatmap(cnt[::-1], ax=ax, cmap="crest", cbar=True, annot=False,
                xticklabels=range(1, 6), yticklabels=range(5, 0, -1))
    for r in range(5):
        for f in range(5):
            seg = SEGMENTS[GRID[r, f]]
            ax.text(f + 0.5, 4 - r + 0.5, f"{_label(seg, lang)}\n{cnt[r, f]:,}", ha="center", va="center",
                    fontsize=7, color="white" if cnt[r, f] > cnt.max() / 2 else "black")
    ax.set_xlabel("F")
    ax.set_ylabel("R")
    return ax


def migration_heatmap(migration, *, shares: bool = True, lang: str = "fa", ax=None):
    """Segment-before x segment-after matrix (``segments.migration`` result)."""
    ax = _ax(ax, (9, 7))
    m = migration.shares if shares else migration.counts
    m = m.loc[migration.counts.sum(axis=1) > 0]
    sns.heatmap(m, ax=ax, cmap="rocket_r", annot=True, fmt=".0%" if shares else "d", annot_kws={"size": 7},
                xticklabels=[_label(c, lang) for c in m.columns],
                yticklabels=[_label(c, lang) if c in SEGMENTS_FA else ("مشتری جدید" if lang == "fa" else c)
                             for c in m.index])
    ax.set_xlabel("بعد" if lang == "fa" else "after")
    ax.set_ylabel("قبل" if lang == "fa" else "before")
    return ax


# --------------------------------------------------------------------------- CLV
def clv_distribution(clv_table: pd.DataFrame, *, lang: str = "fa", ax=None):
    """Histogram of per-customer CLV (log scale when it spans decades)."""
    ax = _ax(ax)
    v = clv_table["clv"].to_numpy(float)
    v = v[np.isfinite(v) & (v > 0)]
    log = len(v) and v.max() / max(np.median(v), 1e-12) > 100
    sns.histplot(v, ax=ax, log_scale=bool(log), bins=40, color="#4C72B0")
    ax.set_xlabel("ارزش طول عمر مشتری" if lang == "fa" else "customer lifetime value")
    ax.set_ylabel("تعداد مشتری" if lang == "fa" else "customers")
    return ax


# --------------------------------------------------------------------------- journey
def sankey(transitions: pd.DataFrame, *, steps: int = 4, min_share: float = 0.02, lang: str = "fa",
           log: pd.DataFrame | None = None, ax=None):
    """A simple alluvial diagram of the first ``steps`` journey steps.

    With ``log`` (an event log) the flows are exact per step position; with
    only ``transitions`` the step-k flows are approximated by chaining the
    directly-follows probabilities from ``(start)`` (a Markov view).  Flows
    below ``min_share`` of customers are not drawn.
    """
    ax = _ax(ax, (11, 6))
    flows = _step_flows(transitions, steps, log)
    total = flows.loc[flows["step"] == 0, "n"].sum() or 1
    flows = flows[flows["n"] / total >= min_share]
    nodes = {}
    pal = dict(zip(list(EVENTS_FA) + [END], sns.color_palette("tab10", len(EVENTS_FA) + 1)))
    gap = 0.02
    for k in range(steps + 1):
        col = flows.loc[flows["step"] == k - 1, ["to", "n"]].groupby("to")["n"].sum() if k else \
            flows.loc[flows["step"] == 0, ["from", "n"]].groupby("from")["n"].sum()
        y = 0.0
        for name, n in col.sort_values(ascending=False).items():
            h = n / total
            nodes[(k, name)] = [y, h, 0.0, 0.0]  # top, height, used-out, used-in
            ax.add_patch(plt.Rectangle((k - 0.04, y), 0.08, h, color=pal.get(name, "grey"), lw=0))
            if h > 0.03:
                ax.text(k + 0.06, y + h / 2, f"{_label(name, lang)} ({n:,.0f})", va="center", fontsize=8)
            y += h + gap
    for _, f in flows.iterrows():
        a, b = nodes.get((f["step"], f["from"])), nodes.get((f["step"] + 1, f["to"]))
        if a is None or b is None:
            continue
        h = f["n"] / total
        y0, y1 = a[0] + a[2], b[0] + b[3]
        a[2] += h
        b[3] += h
        xs = np.linspace(f["step"] + 0.04, f["step"] + 0.96, 30)
        s = (1 - np.cos(np.linspace(0, np.pi, 30))) / 2
        ax.fill_between(xs, y0 + (y1 - y0) * s, y0 + h + (y1 - y0) * s, color=pal.get(f["to"], "grey"),
                        alpha=0.35, lw=0)
    ax.set_xlim(-0.2, steps + 0.8)
    ax.set_ylim(max((v[0] + v[1] for v in nodes.values()), default=1) + 0.02, -0.02)
    ax.set_xticks(range(steps + 1), [f"{'گام' if lang == 'fa' else 'step'} {k + 1}" for k in range(steps + 1)])
    ax.set_yticks([])
    ax.grid(False)
    return ax


def _step_flows(transitions, steps, log):
    """(step, from, to, n) flows between step k and k+1."""
    if log is not None:
        from insight.journey import EVENTS, _sorted_codes

        cc, new, e, t = _sorted_codes(log)
        starts = np.flatnonzero(new)
        pos = np.arange(len(e)) - np.repeat(starts, np.diff(np.r_[starts, len(e)]))
        nxt = np.r_[e[1:], -1]
        last = np.r_[new[1:], True]
        nxt = np.where(last, len(EVENTS), nxt)
        m = pos < steps
        names = np.array(list(EVENTS) + [END], dtype=object)
        df = pd.DataFrame({"step": pos[m], "from": names[e[m]], "to": names[nxt[m]]})
        df = df[df["from"] != END]
        return df.value_counts().rename("n").reset_index()
    tr = transitions
    P = tr.pivot_table(index="from", columns="to", values="probability", fill_value=0.0)
    n0 = tr.loc[tr["from"] == START].set_index("to")["count"]
    cur = n0.astype(float)
    rows = []
    for k in range(steps):
        for a, na in cur.items():
            if a == END or a not in P.index:
                continue
            for b, p in P.loc[a].items():
                if p > 0:
                    rows.append({"step": k, "from": a, "to": b, "n": na * p})
        nxt = pd.DataFrame(rows)
        nxt = nxt[nxt["step"] == k].groupby("to")["n"].sum() if len(nxt) else pd.Series(dtype=float)
        cur = nxt
    return pd.DataFrame(rows, columns=["step", "from", "to", "n"])


def variants_bars(variants: pd.DataFrame, *, lang: str = "fa", ax=None):
    """The most common paths: share of customers, coloured by repurchase share."""
    ax = _ax(ax, (9, 5))
    v = variants.iloc[::-1]
    labels = [" → ".join(_label(s, lang) for s in p.split(" → ")) for p in v["path"]]
    col = plt.cm.RdYlGn(v["repurchase_share"].fillna(0).to_numpy())
    y = np.arange(len(v))
    ax.barh(y, v["share"], color=col)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlabel("سهم مشتریان" if lang == "fa" else "share of customers")
    for yi, (s, r) in enumerate(zip(v["share"], v["repurchase_share"])):
        ax.text(s, yi, f" {r:.0%}", va="center", fontsize=7)
    return ax


def retention_heatmap(cohort_table: pd.DataFrame, *, lang: str = "fa", ax=None):
    """Cohort x months-since-first-order retention (``retention.cohorts`` output)."""
    ax = _ax(ax, (10, 6))
    m = cohort_table.pivot(index="cohort", columns="offset", values="retention")
    sns.heatmap(m, ax=ax, cmap="YlGnBu", annot=m.shape[1] <= 14, fmt=".0%", annot_kws={"size": 7},
                cbar_kws={"format": plt.FuncFormatter(lambda v, _: f"{v:.0%}")})
    ax.set_xlabel("ماه پس از اولین خرید" if lang == "fa" else "periods since first order")
    ax.set_ylabel("گروه (ماه اولین خرید)" if lang == "fa" else "cohort")
    return ax


def km_curves(result, *, lang: str = "fa", ax=None):
    """Kaplan-Meier 'share who ordered again' curves per group with CI bands
    (``retention.time_to_next_order`` result); log-rank p in the title."""
    ax = _ax(ax)
    names_fa = {"on_time": "تحویل به‌موقع", "late": "تحویل با تأخیر", "complaint_resolved": "شکایت حل‌شده",
                "complaint_unresolved": "شکایت حل‌نشده", "return": "مرجوعی", "unknown": "نامشخص"}
    for g, d in result.curves.groupby("group", sort=False):
        lab = names_fa.get(g, g) if lang == "fa" else g
        x = np.r_[0, d["days"].to_numpy()]
        ax.step(x, 1 - np.r_[1, d["survival"].to_numpy()], where="post", label=lab)
        ax.fill_between(x, 1 - np.r_[1, d["ci_high"].to_numpy()], 1 - np.r_[1, d["ci_low"].to_numpy()],
                        step="post", alpha=0.15)
    ax.set_xlabel("روز پس از اولین خرید" if lang == "fa" else "days since first order")
    ax.set_ylabel("سهم خرید دوباره" if lang == "fa" else "share ordered again")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    if np.isfinite(result.logrank_p):
        ax.set_title(f"log-rank p = {result.logrank_p:.2g}", fontsize=9)
    ax.legend(fontsize=8)
    return ax


def odds_ratios(model, *, lang: str = "fa", labels: dict[str, str] | None = None, ax=None):
    """Forest plot of odds ratios with CIs (``retention.repurchase_model`` result).

    ``labels``: term -> display label (default ``TERMS_FA`` / ``TERMS_EN`` by ``lang``);
    a term not in it is shown as is."""
    ax = _ax(ax)
    t = model.table[model.table["term"] != "const"].iloc[::-1]
    y = np.arange(len(t))
    ax.errorbar(t["odds_ratio"], y, xerr=[t["odds_ratio"] - t["ci_low"], t["ci_high"] - t["odds_ratio"]],
                fmt="o", color="#C44E52", capsize=3)
    ax.axvline(1, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    names = labels if labels is not None else (TERMS_FA if lang == "fa" else TERMS_EN)
    ax.set_yticks(y, [names.get(x, x) for x in t["term"]])
    ax.set_xlabel("نسبت شانس خرید دوباره" if lang == "fa" else f"odds ratio of ordering again within {model.days} d")
    return ax


# --------------------------------------------------------------------------- drivers
def driver_importance(weights: pd.DataFrame, *, lang: str = "fa", ax=None):
    """Share of explained variance per driver with bootstrap CIs."""
    ax = _ax(ax)
    w = weights.iloc[::-1]
    y = np.arange(len(w))
    col = ["#C44E52" if d == "-" else "#55A868" for d in w["direction"]]
    ax.barh(y, w["share"], color=col)
    if "share_ci_low" in w:
        ax.errorbar(w["share"], y, xerr=[w["share"] - w["share_ci_low"], w["share_ci_high"] - w["share"]],
                    fmt="none", ecolor="black", capsize=2, lw=1)
    ax.set_yticks(y, w["driver"])
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("سهم از واریانس توضیح‌داده‌شده" if lang == "fa" else "share of explained variance")
    return ax


def quadrant_plot(quadrant_table: pd.DataFrame, *, lang: str = "fa", ax=None):
    """Importance x performance scatter with the cut lines."""
    ax = _ax(ax, (7, 6))
    q = quadrant_table
    sns.scatterplot(data=q, x="performance", y="importance",
                    hue="quadrant_fa" if lang == "fa" else "quadrant", s=80, ax=ax)
    for _, r in q.iterrows():
        ax.annotate(r["driver"], (r["performance"], r["importance"]), fontsize=8, xytext=(4, 4),
                    textcoords="offset points")
    ax.axhline(q.attrs.get("importance_cut", q["importance"].mean()), color="grey", ls="--", lw=1)
    ax.axvline(q.attrs.get("performance_cut", q["performance"].mean()), color="grey", ls="--", lw=1)
    ax.set_xlabel("عملکرد" if lang == "fa" else "performance")
    ax.set_ylabel("اهمیت" if lang == "fa" else "importance")
    return ax


# --------------------------------------------------------------------------- claims
def claims_table(claims: pd.DataFrame, *, lang: str = "fa", labels: dict[str, str] | None = None, ax=None):
    """Verdict per claim as coloured markers with the estimate and its CI (each
    claim on its own scale, so only the verdicts are comparable).

    ``labels``: claim id -> display name (default ``CLAIMS_FA`` / ``CLAIMS_EN`` by
    ``lang``); an id not in it is shown as is."""
    ax = _ax(ax, (8, 0.5 * len(claims) + 1))
    colors = {"supported": "#55A868", "contradicted": "#C44E52", "cannot_test": "#8C8C8C"}
    fa = {"supported": "تأیید", "contradicted": "رد", "cannot_test": "قابل آزمون نیست"}
    names = labels if labels is not None else (CLAIMS_FA if lang == "fa" else CLAIMS_EN)
    y = np.arange(len(claims))[::-1]
    ax.scatter(np.zeros(len(claims)), y, c=[colors[v] for v in claims["verdict"]], s=120)
    for yi, (_, r) in zip(y, claims.iterrows()):
        est = "" if not np.isfinite(r["estimate"]) else f"  {r['estimate']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
        ax.text(0.05, yi, f"{names.get(r['name'], r['name'])}: {fa[r['verdict']] if lang == 'fa' else r['verdict']}{est}",
                va="center", fontsize=8)
    ax.set_xlim(-0.1, 2)
    ax.axis("off")
    return ax
