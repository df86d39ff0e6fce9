"""Short Persian / English findings from analysis results, and the few small
figures the report notebooks need that no analysis module returns.

Every sentence function returns ``(fa, en, kind)`` — ready for
``show.finding(*x[:2], kind=x[2])`` — where ``kind`` is ``good``, ``warn`` or
``info``.  The rule the reports follow: a difference is called a change only when
its test says so (``p < alpha``); otherwise the sentence says it is within chance.
Numbers are formatted with :func:`insight.show.number` (Persian digits on the
Persian page); periods are Jalali month names with the Gregorian dates beside.

    from insight import narrative, show
    ch = narrative.period_change(ds.surveys, "nps", min_n=30)
    fa, en, kind = ch.finding()
    show.finding(fa, en, kind=kind)

Figures: :func:`complaint_rate` (share of orders that drew a ticket),
:func:`share_shifts` (which complaint categories rose or faded between two windows,
two-proportion z with Benjamini–Hochberg), :func:`total_rate` (pooled rate of a
``returns.rates`` table with a Wilson CI), :func:`reason_counts` (reasons on the
follow-up list).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from insight import show
from insight import stats as st
from insight.stats import ALPHA, Comparison, Estimate, RateComparison

__all__ = ["CODE_LABELS", "code_label", "code_labels", "period_name", "period_text", "p_text",
           "ci_text", "PeriodChange", "period_change", "vs_quoted", "rate_comparison",
           "sentiment_profile", "complaint_rate", "share_shifts", "total_rate", "reason_counts",
           "METRIC_NAMES", "SENTIMENT_EXAMPLE", "customer_texts", "attempt"]

_MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
              "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
_MONTHS_EN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
              "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand")
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

#: the example sentiment profile our users quote (DOMAIN.md): 40% / 45% / 15%
SENTIMENT_EXAMPLE = {"positive": 0.40, "neutral": 0.45, "negative": 0.15}

#: metric -> ((fa name, en name), unit kind, better)
METRIC_NAMES = {
    "nps": (("امتیاز خالص ترویج‌کنندگان (NPS)", "NPS"), "points", "higher"),
    "csat": (("میانگین رضایت (CSAT)", "mean CSAT"), "mean", "higher"),
    "top2": (("سهم راضی‌ها (CSAT ۴ و ۵)", "share satisfied (CSAT 4-5)"), "share", "higher"),
    "ces": (("میانگین تلاش مشتری (CES)", "mean customer effort (CES)"), "mean", "lower"),
}

#: common codes in exports (complaint categories, return reasons, channels, touchpoints,
#: follow-up reasons) -> (fa, en) display names; unknown codes are shown as they are
CODE_LABELS = {
    # complaint categories
    "delivery": ("تحویل", "delivery"), "quality": ("کیفیت کالا", "product quality"),
    "food": ("غذا", "food"), "packaging": ("بسته‌بندی", "packaging"), "price": ("قیمت", "price"),
    "staff": ("برخورد کارکنان", "staff"), "app_payment": ("اپ و پرداخت", "app & payment"),
    "refund": ("بازپرداخت وجه", "refund"), "wrong_item": ("کالای اشتباه", "wrong item"),
    "description": ("توضیحات نادرست کالا", "product description"),
    # return reasons
    "damaged": ("آسیب‌دیده", "damaged"), "not_as_described": ("مغایر با توضیحات", "not as described"),
    "late": ("تأخیر", "late"), "changed_mind": ("پشیمانی از خرید", "changed mind"),
    "unknown": ("نامشخص", "unknown"), "cancelled": ("لغوشده", "cancelled"),
    "returned": ("مرجوعی", "returned"),
    # channels and touchpoints
    "app": ("اپلیکیشن", "app"), "web": ("وب‌سایت", "web"), "phone": ("تلفن", "phone"),
    "chat": ("گفتگوی آنلاین", "chat"), "email": ("ایمیل", "e-mail"),
    "checkout": ("پرداخت و ثبت سفارش", "checkout"), "support": ("پشتیبانی", "support"),
    # follow-up reasons
    "negative_review": ("نظر منفی", "negative review"),
    "negative_survey": ("نظرسنجی منفی", "negative survey"),
    "unresolved_complaint": ("شکایت حل‌نشده", "unresolved complaint"),
    "late_delivery": ("تأخیر در تحویل", "late delivery"), "return": ("مرجوعی", "return"),
    # groups of the two-rate comparisons
    "resolved": ("حل‌شده", "resolved"), "unresolved": ("حل‌نشده", "unresolved"),
    "kept": ("بدون مرجوعی", "kept"), "on_time": ("به‌موقع", "on time"),
    "review": ("نظرها", "reviews"), "survey": ("توضیح نظرسنجی", "survey comments"),
    # share_shifts directions
    "rising": ("رو به افزایش", "rising"), "fading": ("رو به کاهش", "fading"), "steady": ("بدون تغییر معنادار", "steady"),
}


def _lang(lang: str | None) -> str:
    return show._lang(lang)


def code_label(code, lang: str | None = None) -> str:
    """Display name of a code (``"app_payment"`` -> ``"اپ و پرداخت"``); unknown codes unchanged."""
    lang = _lang(lang)
    pair = CODE_LABELS.get(str(code))
    return (pair[0] if lang == "fa" else pair[1]) if pair else str(code)


def code_labels(values: pd.Series, lang: str | None = None) -> pd.Series:
    """:func:`code_label` over a Series (one lookup per distinct value); NaN stays NaN."""
    lang = _lang(lang)
    s = pd.Series(values)
    table = {k: (v[0] if lang == "fa" else v[1]) for k, v in CODE_LABELS.items()}
    out = s.astype("str").map(table)
    return out.where(out.notna(), s.astype("str")).where(s.notna())


# ---------------------------------------------------------------- formatting

def _fa(s: str, lang: str) -> str:
    return s.translate(_FA_DIGITS) if lang == "fa" else s


def period_name(label, lang: str | None = None) -> str:
    """``1403-06`` -> ``شهریور ۱۴۰۳`` / ``Shahrivar 1403``; ``1403-Q2`` -> ``فصل ۲ ۱۴۰۳`` /
    ``Q2 1403``; ``1403-W05`` -> ``هفتهٔ ۵ ۱۴۰۳`` / ``week 5 of 1403``; other labels unchanged."""
    lang = _lang(lang)
    s = str(label)
    m = re.fullmatch(r"(\d{4})-(\d{2})", s)
    if m and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) < 1700:
        y, mo = m.group(1), int(m.group(2))
        return f"{_MONTHS_FA[mo - 1]} {_fa(y, lang)}" if lang == "fa" else f"{_MONTHS_EN[mo - 1]} {y}"
    m = re.fullmatch(r"(\d{4})-Q([1-4])", s)
    if m:
        return (f"فصل {_fa(m.group(2), lang)} {_fa(m.group(1), lang)}" if lang == "fa"
                else f"Q{m.group(2)} {m.group(1)}")
    m = re.fullmatch(r"(\d{4})-W(\d{1,2})", s)
    if m:
        w = str(int(m.group(2)))
        return (f"هفتهٔ {_fa(w, lang)} {_fa(m.group(1), lang)}" if lang == "fa"
                else f"week {w} of {m.group(1)}")
    return s


def period_text(label, start, end, lang: str | None = None, *, partial: bool = False) -> str:
    """Period name with its Gregorian dates: ``شهریور ۱۴۰۳ (2024-08-22 تا 2024-09-20)``;
    ``partial=True`` adds that the period is not over yet."""
    lang = _lang(lang)
    s, e = show._to_date(start), show._to_date(end)
    more = ""
    if partial:
        more = "، دوره هنوز تمام نشده" if lang == "fa" else ", period not over yet"
    if s is None or e is None:
        return period_name(label, lang)
    if lang == "fa":  # isolate the Latin dates so right-to-left text does not reorder them
        return f"{period_name(label, lang)} (\u2066{s.isoformat()}\u2069 تا \u2066{e.isoformat()}\u2069{more})"
    return f"{period_name(label, lang)} ({s.isoformat()} to {e.isoformat()}{more})"


#: test names in Persian
_TESTS_FA = {"NPS difference z": "z تفاضل NPS", "Welch t": "t ولچ", "two-proportion z": "z دو نسبت",
             "fisher exact": "دقیق فیشر"}


def _test(name: str, lang: str) -> str:
    return _TESTS_FA.get(name, name) if lang == "fa" else name


def _num(x, lang, *, percent=False, decimals=None) -> str:
    return show.number(x, decimals, lang=lang, percent=percent)


def p_text(p: float, lang: str | None = None) -> str:
    """``p = 0.03`` / ``p < 0.001`` (Persian digits on the Persian page)."""
    lang = _lang(lang)
    if p is None or not np.isfinite(p):
        return "p = —"
    if p < 0.001:
        return "p < " + _num(0.001, lang, decimals=3)
    return "p = " + _num(p, lang, decimals=3 if p < 0.01 else 2)


def ci_text(low, high, lang: str | None = None, *, percent=False, decimals=None) -> str:
    """``95% CI 3.1 to 4.2`` / ``بازهٔ اطمینان ۹۵٪: ۳٫۱ تا ۴٫۲``."""
    lang = _lang(lang)
    a, b = _num(low, lang, percent=percent, decimals=decimals), _num(high, lang, percent=percent,
                                                                      decimals=decimals)
    return f"بازهٔ اطمینان ۹۵٪: {a} تا {b}" if lang == "fa" else f"95% CI {a} to {b}"


def _value(x, unit: str, lang: str, signed=False) -> str:
    """A metric value in its unit: points (1 decimal), mean (2 decimals), share (%)."""
    if unit == "share":
        s = _num(abs(x) if signed else x, lang, percent=True, decimals=1)
    else:
        s = _num(abs(x) if signed else x, lang, decimals=1 if unit == "points" else 2)
    if signed:
        s = ("+" if x > 0 else "−" if x < 0 else "") + s
    return s


def _diff_unit(unit: str, lang: str) -> str:
    if unit == "share":
        return " واحد درصد" if lang == "fa" else " percentage points"
    if unit == "points":
        return " امتیاز" if lang == "fa" else " points"
    return ""


def _diff(x, unit: str, lang: str) -> str:
    """A signed difference: shares in percentage points."""
    if unit == "share":
        s = _num(abs(x) * 100, lang, decimals=1)
    else:
        s = _num(abs(x), lang, decimals=1 if unit == "points" else 2)
    return ("+" if x > 0 else "−" if x < 0 else "") + s + _diff_unit(unit, lang)


def _diff_ci(c: Comparison, unit: str, lang: str) -> str:
    k = 100 if unit == "share" else 1
    dec = 1 if unit in ("share", "points") else 2
    return ci_text(c.ci_low * k, c.ci_high * k, lang, decimals=dec)


# ---------------------------------------------------------------- latest vs previous period

@dataclass(frozen=True, eq=False)
class PeriodChange:
    """The latest period against the one before it.

    ``comparison`` is None when either period has fewer than ``min_n`` answers (or
    there is only one period).  ``partial``: the data end before the latest period does.
    """
    metric: str
    latest: str
    previous: str | None
    latest_range: tuple
    previous_range: tuple | None
    n_latest: int
    n_previous: int
    value_latest: float
    value_previous: float
    comparison: Comparison | None
    min_n: int
    partial: bool = False
    better: str = "higher"

    @property
    def significant(self) -> bool:
        return bool(self.comparison is not None and self.comparison.significant)

    def finding(self, lang: str | None = None) -> tuple[str, str, str]:
        """(fa, en, kind): 'rose/fell … (test, p)' only when significant."""
        (name_fa, name_en), unit, _ = METRIC_NAMES[self.metric]
        fa = self._sentence("fa", name_fa, unit)
        en = self._sentence("en", name_en, unit)
        en = en[:1].upper() + en[1:]
        kind = "info"
        if self.significant:
            up = self.comparison.difference > 0
            kind = "good" if up == (self.better == "higher") else "warn"
        return fa, en, kind

    def _sentence(self, lang: str, name: str, unit: str) -> str:
        late = period_text(self.latest, *self.latest_range, lang, partial=self.partial)
        v_late = _value(self.value_latest, unit, lang)
        n_late = _num(self.n_latest, lang)
        part = ""
        if self.previous is None:
            return (f"{name} در {late}{part}: {v_late} (n = {n_late}). دورهٔ پیشینی برای مقایسه نیست."
                    if lang == "fa" else
                    f"{name} in {late}{part}: {v_late} (n = {n_late}). There is no earlier period to compare.")
        prev = period_name(self.previous, lang)
        v_prev = _value(self.value_previous, unit, lang)
        n_prev = _num(self.n_previous, lang)
        c = self.comparison
        if c is None:
            need = _num(self.min_n, lang)
            return (f"{name} در {late}{part}: {v_late} (n = {n_late}) و در {prev}: {v_prev} (n = {n_prev}). "
                    f"پاسخ‌ها برای مقایسه کم است (دست‌کم {need} پاسخ در هر دوره لازم است)."
                    if lang == "fa" else
                    f"{name} in {late}{part}: {v_late} (n = {n_late}); in {prev}: {v_prev} (n = {n_prev}). "
                    f"Too few answers to compare (at least {need} per period are needed).")
        d, ci, p = _diff(c.difference, unit, lang), _diff_ci(c, unit, lang), p_text(c.p_value, lang)
        test = _test(c.test, lang)
        if c.significant:
            verb = ("بالا رفت" if c.difference > 0 else "پایین آمد") if lang == "fa" else (
                "rose" if c.difference > 0 else "fell")
            return (f"{name} از {v_prev} در {prev} (n = {n_prev}) به {v_late} در {late}{part} "
                    f"(n = {n_late}) {verb}: تغییر {d}، {ci}؛ آزمون {test}، {p}."
                    if lang == "fa" else
                    f"{name} {verb} from {v_prev} in {prev} (n = {n_prev}) to {v_late} in {late}{part} "
                    f"(n = {n_late}): a change of {d}, {ci}; {test} test, {p}.")
        return (f"{name} در {late}{part} {v_late} (n = {n_late}) و در {prev} {v_prev} (n = {n_prev}) بود. "
                f"این تفاوت ({d}، {ci}) از دامنهٔ تصادف بیرون نیست (آزمون {test}، {p})؛ پس تغییری گزارش نمی‌شود."
                if lang == "fa" else
                f"{name} was {v_late} in {late}{part} (n = {n_late}) and {v_prev} in {prev} (n = {n_prev}). "
                f"The difference ({d}, {ci}) is within chance ({test} test, {p}), so it is not reported "
                f"as a change.")


def _answers(df: pd.DataFrame, metric: str, column: str | None) -> tuple[str, pd.Series]:
    column = column or {"top2": "csat"}.get(metric, metric)
    if column not in df.columns:
        raise KeyError(f"column {column!r} not in frame")
    return column, pd.to_numeric(df[column], errors="coerce").astype("float64")


def period_change(df: pd.DataFrame, metric: str = "nps", *, date: str | None = None,
                  column: str | None = None, period: str = "month", calendar: str = "jalali",
                  scale: int = 5, min_n: int = 30, alpha: float = ALPHA) -> PeriodChange:
    """Compare the latest period with the previous one with ``insight.metrics.compare``
    (NPS: z on the difference; CSAT/CES: Welch t; top2: two-proportion z).

    Periods are those of ``insight.metrics.by`` (Jalali months by default); only
    periods with at least one answer count.  The comparison is made only when both
    periods have ``min_n`` answers or more.
    """
    from insight import metrics

    if metric not in METRIC_NAMES:
        raise ValueError(f"metric must be one of {sorted(METRIC_NAMES)}, got {metric!r}")
    column, vals = _answers(df, metric, column)
    date = date or metrics._default_date(df)
    if date is None or date not in df.columns:
        raise KeyError("no date column: give date=")
    ok = vals.notna() & df[date].notna()
    if not ok.any():
        raise ValueError(f"no {column} answers with a date")
    lab = metrics._labels(df.loc[ok, date], period, calendar)
    work = pd.DataFrame({"v": vals[ok], "d": df.loc[ok, date], "period": lab["period"],
                         "start": lab["period_start"]})
    order = (work.groupby("period", sort=False)
             .agg(start=("start", "min"), first=("d", "min"), last=("d", "max"), n=("v", "size"))
             .sort_values("start"))
    last = order.index[-1]
    # partial: the day after the data's last date still falls in the latest period
    end_next = pd.Series([pd.Timestamp(work["d"].max()).normalize() + pd.Timedelta(days=1)])
    partial = bool(metrics._labels(end_next, period, calendar)["period"].iloc[0] == last)
    agg = "mean" if metric in ("csat", "ces") else None

    def value(x: pd.Series) -> float:
        if metric == "nps":
            return float(metrics.nps(x).value)
        if metric == "top2":
            return float((x >= scale - 1).mean())
        return float(getattr(x, agg)())

    cur = work.loc[work["period"] == last, "v"]
    better = METRIC_NAMES[metric][2]
    rng = (order.loc[last, "start"], order.loc[last, "last"])
    if len(order) < 2:
        return PeriodChange(metric, last, None, rng, None, len(cur), 0, value(cur), float("nan"),
                            None, min_n, partial, better)
    prev = order.index[-2]
    old = work.loc[work["period"] == prev, "v"]
    cmp = None
    if len(cur) >= min_n and len(old) >= min_n and len(cur) >= 2 and len(old) >= 2:
        cmp = metrics.compare(cur, old, metric, scale=scale, alpha=alpha)
    prng = (order.loc[prev, "start"], order.loc[prev, "last"])
    return PeriodChange(metric, last, prev, rng, prng, len(cur), len(old), value(cur), value(old),
                        cmp, min_n, partial, better)


# ---------------------------------------------------------------- against a quoted figure

def vs_quoted(est: Estimate, quoted: float, what: tuple[str, str], *, percent: bool = True,
              decimals: int | None = None, better: str | None = None) -> tuple[str, str, str]:
    """``est`` (value, CI, n) beside a figure users quote: above, below or consistent
    depending on whether the CI contains ``quoted``.  ``what`` = (fa, en) name."""
    def one(lg):
        v = _num(est.value, lg, percent=percent, decimals=decimals)
        qd = 0 if percent and decimals is None and round(quoted * 100, 6) == round(quoted * 100) else decimals
        q = _num(quoted, lg, percent=percent, decimals=qd)
        ci = ci_text(est.ci_low, est.ci_high, lg, percent=percent, decimals=decimals)
        n = _num(est.n, lg)
        if not np.isfinite(est.ci_low) or not np.isfinite(est.ci_high):
            rel = ("قابل مقایسه نیست" if lg == "fa" else "cannot be compared")
        elif est.ci_high < quoted:
            rel = "کمتر از رقم رایج است" if lg == "fa" else "is below the quoted figure"
        elif est.ci_low > quoted:
            rel = "بیشتر از رقم رایج است" if lg == "fa" else "is above the quoted figure"
        else:
            rel = ("با رقم رایج سازگار است" if lg == "fa" else "is consistent with the quoted figure")
        name = what[0] if lg == "fa" else what[1]
        return (f"{name}: {v} ({ci}، n = {n})؛ رقمی که معمولاً نقل می‌شود حدود {q} است و نتیجهٔ ما {rel}."
                if lg == "fa" else
                f"{name[:1].upper() + name[1:]}: {v} ({ci}, n = {n}); the figure usually quoted is "
                f"about {q}, and ours {rel}.")
    kind = "info"
    if better in ("higher", "lower") and np.isfinite(est.ci_low) and np.isfinite(est.ci_high):
        if est.ci_high < quoted:
            kind = "warn" if better == "higher" else "good"
        elif est.ci_low > quoted:
            kind = "good" if better == "higher" else "warn"
    return one("fa"), one("en"), kind


# ---------------------------------------------------------------- two rates

def rate_comparison(rc: RateComparison, what: tuple[str, str], *,
                    better: str = "higher") -> tuple[str, str, str]:
    """Two rates of a :class:`RateComparison` (group a vs b) with the odds ratio and the
    test; a difference is claimed only when significant.  ``what`` names the rate
    (e.g. ('خرید دوباره در ۹۰ روز', 'repurchase within 90 days')); ``better`` says
    whether a higher rate in group a is good."""
    r = rc.rates
    a, b = r.iloc[0], r.iloc[1]
    c, orr = rc.difference, rc.odds_ratio

    def one(lg):
        name = what[0] if lg == "fa" else what[1]
        ga, gb = code_label(a.iloc[0], lg), code_label(b.iloc[0], lg)
        ra = f"{_num(a['rate'], lg, percent=True, decimals=1)} (n = {_num(int(a['n']), lg)})"
        rb = f"{_num(b['rate'], lg, percent=True, decimals=1)} (n = {_num(int(b['n']), lg)})"
        o = _num(orr.value, lg, decimals=2)
        oci = ci_text(orr.ci_low, orr.ci_high, lg, decimals=2)
        d = _diff(c.difference, "share", lg)
        p = p_text(c.p_value, lg)
        test = _test(c.test, lg)
        if lg == "fa":
            head = f"{name}: {ga} {ra} در برابر {gb} {rb}؛ نسبت شانس {o} ({oci})."
            tail = (f" تفاوت {d} معنادار است (آزمون {test}، {p})." if c.significant else
                    f" تفاوت {d} از دامنهٔ تصادف بیرون نیست (آزمون {test}، {p})؛ نمی‌توان گفت دو گروه فرق دارند.")
        else:
            head = f"{name}: {ga} {ra} against {gb} {rb}; odds ratio {o} ({oci})."
            tail = (f" The difference of {d} is significant ({test} test, {p})." if c.significant else
                    f" The difference of {d} is within chance ({test} test, {p}); the groups cannot be "
                    f"said to differ.")
        out = head + tail
        return out[:1].upper() + out[1:]
    kind = "info"
    if c.significant:
        kind = "good" if (c.difference > 0) == (better == "higher") else "warn"
    return one("fa"), one("en"), kind


# ---------------------------------------------------------------- sentiment

def sentiment_profile(row, reference: dict | None = None) -> tuple[str, str, str]:
    """One row of ``metrics.sentiment_shares`` beside the example profile (40% positive,
    15% negative, 45% neutral): each share with its CI, whether the CI contains the
    example's figure, and the positive:negative ratio against the example's 2.7."""
    ref = dict(SENTIMENT_EXAMPLE if reference is None else reference)
    ratio_ref = ref["positive"] / ref["negative"]
    names = {"positive": ("مثبت", "positive"), "neutral": ("خنثی", "neutral"),
             "negative": ("منفی", "negative")}

    def rel(k, lg):
        lo, hi = float(row[f"{k}_ci_low"]), float(row[f"{k}_ci_high"])
        if hi < ref[k]:
            return "کمتر" if lg == "fa" else "below"
        if lo > ref[k]:
            return "بیشتر" if lg == "fa" else "above"
        return "هم‌اندازه" if lg == "fa" else "in line"

    def one(lg):
        parts = []
        for k in ("positive", "neutral", "negative"):
            v = _num(float(row[k]), lg, percent=True, decimals=1)
            q = _num(ref[k], lg, percent=True, decimals=0)
            nm = names[k][0] if lg == "fa" else names[k][1]
            ex = "نمونهٔ رایج" if lg == "fa" else "example"
            sep = "؛" if lg == "fa" else ";"
            parts.append(f"{nm} {v} ({ex} {q}{sep} {rel(k, lg)})")
        n = _num(int(row["n"]), lg)
        ratio = float(row["pos_neg_ratio"])
        r = _num(ratio, lg, decimals=1) if np.isfinite(ratio) else "—"
        rr = _num(ratio_ref, lg, decimals=1)
        if lg == "fa":
            return (f"از {n} متن: " + "، ".join(parts) + f". نسبت مثبت به منفی {r} است "
                    f"(در نمونهٔ رایج {rr})؛ هرچه این نسبت بالاتر باشد رضایت بیشتر است.")
        return (f"Of {n} texts: " + ", ".join(parts) + f". Positive-to-negative ratio {r} "
                f"(the example profile: {rr}); the higher it is, the more satisfied customers are.")
    kind = "info"
    lo, hi = row.get("ratio_ci_low", np.nan), row.get("ratio_ci_high", np.nan)
    if np.isfinite(lo) and lo > ratio_ref:
        kind = "good"
    elif np.isfinite(hi) and hi < ratio_ref:
        kind = "warn"
    return one("fa"), one("en"), kind


# ---------------------------------------------------------------- small figures

def complaint_rate(complaints: pd.DataFrame, orders: pd.DataFrame, *,
                   alpha: float = ALPHA) -> Estimate:
    """Share of orders that drew at least one complaint ticket (Wilson CI).

    With ``order_id`` in the complaints: orders named by a ticket / orders placed up to
    the last ticket date (``method="orders with a ticket"``).  Without it: customers
    with a ticket / customers who ordered (``method="customers with a ticket"``).
    """
    if complaints is None or orders is None:
        raise ValueError("complaint_rate needs the complaints and orders tables")
    last = complaints["opened_at"].max() if "opened_at" in complaints.columns else None
    o = orders if last is None or pd.isna(last) else orders[orders["order_date"] <= last]
    if "order_id" in complaints.columns and complaints["order_id"].notna().any():
        ids = pd.Index(o["order_id"].dropna().unique())
        k = int(ids.isin(complaints["order_id"].dropna().unique()).sum())
        n, method = len(ids), "orders with a ticket"
    else:
        ids = pd.Index(o["customer_id"].dropna().unique())
        k = int(ids.isin(complaints["customer_id"].dropna().unique()).sum())
        n, method = len(ids), "customers with a ticket"
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, method)
    e = st.proportion(k, n, alpha)
    return Estimate(e.value, e.ci_low, e.ci_high, n, method)


def total_rate(rates: pd.DataFrame, alpha: float = ALPHA) -> Estimate:
    """Pooled rate of an ``insight.returns.rates`` table (sum k / sum n, Wilson CI)."""
    k, n = int(rates["k"].sum()), int(rates["n"].sum())
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, "wilson")
    return st.proportion(k, n, alpha)


def share_shifts(volume: pd.DataFrame, group: str = "category", *, periods: int = 3,
                 alpha: float = ALPHA) -> pd.DataFrame:
    """Which groups rose or faded: each group's share of tickets in the last ``periods``
    periods against the ``periods`` before (``insight.complaints.volume`` output).

    Two-proportion z-test per group, Benjamini–Hochberg adjusted across groups.
    Columns: ``<group>, k_recent, n_recent, share_recent, k_before, n_before,
    share_before, difference, ci_low, ci_high, p_value, p_adjusted, direction``
    (``rising`` / ``fading`` when the adjusted p < alpha, else ``steady``); sorted by
    difference, rising first.  ``attrs`` hold the two windows' first/last period labels.
    """
    from statsmodels.stats.multitest import multipletests

    need = {"period", "period_start", group, "count"}
    if not need <= set(volume.columns):
        raise KeyError(f"volume needs columns {sorted(need)}")
    per = (volume[["period", "period_start"]].drop_duplicates().sort_values("period_start")["period"]
           .tolist())
    if len(per) < 2 * periods:
        raise ValueError(f"need at least {2 * periods} periods, have {len(per)}")
    recent, before = per[-periods:], per[-2 * periods:-periods]
    g = volume.groupby([group, volume["period"].isin(recent).map({True: "r", False: "b"}),
                        volume["period"].isin(recent + before)], observed=True)["count"].sum()
    g = g.xs(True, level=2).unstack(fill_value=0).reindex(columns=["r", "b"], fill_value=0)
    n_r, n_b = int(g["r"].sum()), int(g["b"].sum())
    rows = []
    for key, r in g.iterrows():  # one test per group (a handful of categories)
        c = st.two_proportion_test(int(r["r"]), n_r, int(r["b"]), n_b, alpha)
        rows.append({group: key, "k_recent": int(r["r"]), "n_recent": n_r, "share_recent": c.value_a,
                     "k_before": int(r["b"]), "n_before": n_b, "share_before": c.value_b,
                     "difference": c.difference, "ci_low": c.ci_low, "ci_high": c.ci_high,
                     "p_value": c.p_value})
    out = pd.DataFrame(rows)
    out["p_adjusted"] = multipletests(out["p_value"], alpha=alpha, method="fdr_bh")[1]
    sig = out["p_adjusted"] < alpha
    out["direction"] = np.where(sig & (out["difference"] > 0), "rising",
                                np.where(sig & (out["difference"] < 0), "fading", "steady"))
    out = out.sort_values("difference", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(recent=(recent[0], recent[-1]), before=(before[0], before[-1]))
    return out


def reason_counts(followup: pd.DataFrame, *, lang: str | None = None) -> pd.DataFrame:
    """Customers on the follow-up list per reason (a customer can have several):
    ``reason_code, reason, customers, share`` (of the listed customers), most first."""
    lang = _lang(lang)
    n = len(followup)
    codes = followup["reason_codes"].astype("str").str.split(",").explode()
    codes = codes[codes.notna() & codes.ne("") & codes.ne("nan")]
    out = codes.value_counts().rename_axis("reason_code").rename("customers").reset_index()
    out.insert(1, "reason", code_labels(out["reason_code"], lang))
    out["share"] = out["customers"] / n if n else np.nan
    return out


def customer_texts(ds) -> pd.DataFrame:
    """Customers' own words from a Dataset: review ``text`` and survey ``comment``
    (non-empty), one row each with ``source`` (review / survey), ``date`` and ``text``."""
    parts = []
    for table, col, date, source in (("reviews", "text", "created_at", "review"),
                                     ("surveys", "comment", "submitted_at", "survey")):
        df = getattr(ds, table, None)
        if df is None or col not in df.columns:
            continue
        t = df[col]
        keep = t.notna() & t.astype("str").str.strip().ne("")
        d = df[date] if date in df.columns else pd.Series(pd.NaT, index=df.index)
        parts.append(pd.DataFrame({"source": source, "date": d[keep].astype("datetime64[ns]"),
                                   "text": t[keep].astype("str")}))
    if not parts:
        return pd.DataFrame({"source": pd.Series(dtype="str"), "date": pd.Series(dtype="datetime64[ns]"),
                             "text": pd.Series(dtype="str")})
    return pd.concat(parts, ignore_index=True)


def attempt(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), None)``, or ``(None, "ErrorType: message")`` when it raises
    ``ValueError`` / ``KeyError`` / ``TypeError`` (too little data, a missing column): a
    report shows the reason with ``show.missing_section`` instead of failing."""
    try:
        return fn(*args, **kwargs), None
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as e:
        msg = str(e).strip("'\"") or type(e).__name__
        return None, msg
