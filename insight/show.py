"""Display helpers for report notebooks.

Everything a notebook shows that comes from *data* (customer text, names,
reasons, ids) goes through these helpers: text is PII-masked with
``insight.text.mask_pii`` and HTML-escaped (``$`` too, so no math renderer can
ever pick it up), numbers get thousands separators and, for Persian, Persian
digits.  The helpers return :class:`Html` (a ``str`` with ``_repr_html_``), so
the last expression of a cell displays as HTML and never as markdown.

    from insight import show
    show.setup(lang=lang)
    show.table(counts, units={"revenue": "rial"}, percent=["share"])
    show.finding("نرخ مرجوعی ۳٪ است", "Return rate is 3%")
    show.headline("nps", 42.0, label="NPS", better="higher")

``headline`` records a figure for the run's index page and manifest: it emits a
cell output with the MIME type :data:`HEADLINE_MIME` that ``insight run``
collects from the executed notebook (and a visible card).
"""
from __future__ import annotations

import datetime as _dt
import html as _html
import json
import math
import numbers
import re
import sys
from typing import Any, Iterable, Mapping

HEADLINE_MIME = "application/vnd.insight.headline+json"
META_MIME = "application/vnd.insight.meta+json"

_STATE = {"lang": "fa", "digits": None}  # digits None -> persian for fa, latin for en

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_UNIT_NAMES = {
    "rial": ("ریال", "rial"), "toman": ("تومان", "toman"), "%": ("٪", "%"),
    "days": ("روز", "days"), "hours": ("ساعت", "hours"), "orders": ("سفارش", "orders"),
    "customers": ("مشتری", "customers"), "rows": ("ردیف", "rows"),
}
_JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                  "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


class Html(str):
    """A string of safe HTML that Jupyter displays as HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:  # the text/plain fallback, never shown in reports
        return "<insight.show.Html>"


def setup(lang: str = "fa", digits: str | None = None) -> None:
    """Set the notebook's defaults: ``lang`` 'fa' or 'en'; ``digits`` 'persian'/'latin'."""
    if lang not in ("fa", "en"):
        raise ValueError(f"lang must be 'fa' or 'en', not {lang!r}")
    if digits not in (None, "persian", "latin"):
        raise ValueError(f"digits must be 'persian' or 'latin', not {digits!r}")
    _STATE["lang"], _STATE["digits"] = lang, digits


def _lang(lang: str | None) -> str:
    lang = lang or _STATE["lang"]
    if lang not in ("fa", "en"):
        raise ValueError(f"lang must be 'fa' or 'en', not {lang!r}")
    return lang


def _persian(lang: str, digits: str | None) -> bool:
    digits = digits or _STATE["digits"]
    return digits == "persian" if digits else lang == "fa"


# ---------------------------------------------------------------- escaping

_FALLBACK_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # card numbers: 16 digits, optionally grouped by 4 with space/dash (Latin or Persian digits)
    (re.compile(r"(?<![\d۰-۹])(?:[\d۰-۹]{4}[ -]?){3}[\d۰-۹]{4}(?![\d۰-۹])"), "[card]"),
    # Iranian mobiles: 09xx…, +989xx…, 00989xx… (Latin or Persian digits, separators allowed)
    (re.compile(r"(?<![\d۰-۹])(?:\+98[ -]?|0098[ -]?|0|۰)[9۹][\d۰-۹](?:[ -]?[\d۰-۹]){8}(?![\d۰-۹])"), "[phone]"),
]


def _fallback_mask(text: str) -> str:
    for pattern, repl in _FALLBACK_PATTERNS:
        text = pattern.sub(repl, text)
    return text


#: bidirectional embedding/override/isolate controls: in data text they can make a
#: quote read backwards or reorder the cells around it ("trojan source"), so they go
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


_OVERRIDES = dict.fromkeys(range(0x202A, 0x202F))  # LRE RLE PDF LRO RLO


def mask(text: Any) -> str:
    """PII-mask a value as text: ``insight.text.mask_pii`` when available,
    else a minimal regex mask for e-mail addresses, card and phone numbers.
    Bidi override and isolate characters from the data are removed."""
    s = ("" if text is None else str(text)).translate(_BIDI_CONTROLS)
    try:
        from insight.text import mask_pii
    except Exception:  # the text module is not there (yet) or cannot import
        return _fallback_mask(s)
    out = mask_pii(s)
    return out if isinstance(out, str) else str(out)


def mask_many(values: list) -> list[str]:
    """:func:`mask` over many values at once (``mask_pii`` batches a Series)."""
    strs = ["" if v is None else str(v).translate(_BIDI_CONTROLS) for v in values]
    try:
        from insight.text import mask_pii
    except Exception:
        return [_fallback_mask(v) for v in strs]
    import pandas as pd
    out = mask_pii(pd.Series(strs, dtype="str"))
    return [str(v) for v in (out.tolist() if hasattr(out, "tolist") else out)]


def escape(text: Any) -> str:
    """HTML-escape (quotes, ``$`` and backticks included, so no markdown or LaTeX
    renderer can pick the text up) without masking; bidi overrides are dropped."""
    s = "" if text is None else str(text)
    s = s.translate(_OVERRIDES)
    return _html.escape(s, quote=True).replace("$", "&#36;").replace("`", "&#96;")


def safe(text: Any) -> str:
    """Mask then escape: the only way data text reaches a page."""
    return escape(mask(text))


# ---------------------------------------------------------------- numbers and dates

def number(x: Any, decimals: int | None = None, *, lang: str | None = None,
           digits: str | None = None, percent: bool = False) -> str:
    """Format a number with thousands separators (Persian digits and separators for fa).

    ``percent=True`` multiplies a share by 100 and adds a percent sign.
    Missing values are an em dash."""
    lang = _lang(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    pd = sys.modules.get("pandas")  # pd.NA / NaT only exist when pandas is in use
    if pd is not None:
        try:
            if pd.isna(x):
                return "—"
        except (TypeError, ValueError):
            pass
    if isinstance(x, bool) or not isinstance(x, numbers.Number):
        return str(x)
    v = float(x) * (100 if percent else 1)
    if decimals is None:
        if v == 0 or (v == int(v) and not percent and abs(v) < 1e15):
            decimals = 0
        else:
            decimals = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 or (percent and abs(v) >= 1) else 2
    s = f"{v:,.{decimals}f}"
    if s.startswith("-"):
        s = "−" + s[1:]
    if percent:
        s += "%"
    if _persian(lang, digits):
        s = s.replace(",", "٬").replace(".", "٫").replace("%", "٪").translate(_FA_DIGITS)
    return s


def _to_date(d: Any) -> _dt.date | None:
    if d is None:
        return None
    try:
        if d != d:  # NaN, NaT
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    if isinstance(d, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
        return _dt.date.fromisoformat(d)
    try:
        import pandas as pd
        if pd.isna(d):
            return None
        d = pd.Timestamp(d)
        return d.date()
    except (TypeError, ValueError):
        return None


def date(d: Any, lang: str | None = None, *, digits: str | None = None) -> str:
    """A date in Jalali with the Gregorian beside it.

    fa: ``۱۵ اردیبهشت ۱۴۰۳ (2024-05-04)``; en: ``2024-05-04 (1403/02/15)``."""
    import jdatetime

    lang = _lang(lang)
    g = _to_date(d)
    if g is None:
        return "—"
    j = jdatetime.date.fromgregorian(date=g)
    if lang == "fa":
        s = f"{j.day} {_JALALI_MONTHS[j.month - 1]} {j.year}"
        if _persian(lang, digits):
            s = s.translate(_FA_DIGITS)
        # the Latin date is isolated (LRI … PDI) so right-to-left text does not reverse it
        return f"{s} (\u2066{g.isoformat()}\u2069)"
    return f"{g.isoformat()} ({j.year}/{j.month:02d}/{j.day:02d})"


def period(start: Any, end: Any, lang: str | None = None) -> str:
    """'start – end' with both dates in Jalali and Gregorian."""
    lang = _lang(lang)
    return f"{date(start, lang)} – {date(end, lang)}"


def _unit_label(unit: str, lang: str) -> str:
    fa, en = _UNIT_NAMES.get(unit, (unit, unit))
    return fa if lang == "fa" else en


# ---------------------------------------------------------------- tables

def table(df, *, lang: str | None = None, units: Mapping[str, str] | None = None,
          percent: Iterable[str] = (), decimals: Mapping[str, int] | int | None = None,
          labels: Mapping[str, str] | None = None, index: bool = False,
          caption: str | None = None, max_rows: int = 200, digits: str | None = None) -> Html:
    """Render a DataFrame as an escaped, PII-masked HTML table.

    ``units`` maps column -> unit shown in the header (``{"revenue": "rial"}``);
    ``percent`` names share columns (0..1) shown as percentages; ``decimals``
    fixes decimals (one int for all numeric columns or per column); ``labels``
    renames headers for display; ``index=True`` shows the index as first
    column(s).  At most ``max_rows`` rows are shown, with a note of how many
    were left out.  Dates are shown in Jalali with Gregorian.
    """
    import pandas as pd

    lang = _lang(lang)
    units, labels, percent = dict(units or {}), dict(labels or {}), set(percent)
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if index:
        df = df.reset_index()
    n = len(df)
    shown = df.head(max_rows)
    head = []
    for col in shown.columns:
        label = labels.get(col, col if not isinstance(col, tuple) else " / ".join(map(str, col)))
        unit = units.get(col) or ("%" if col in percent else None)
        text = safe(label) + (f' <span class="unit">({escape(_unit_label(unit, lang))})</span>' if unit else "")
        head.append(f"<th>{text}</th>")
    body = []
    kinds = {}
    for col in shown.columns:
        s = shown[col]
        if pd.api.types.is_bool_dtype(s):
            kinds[col] = "text"
        elif pd.api.types.is_numeric_dtype(s):
            kinds[col] = "num"
        elif pd.api.types.is_datetime64_any_dtype(s):
            kinds[col] = "date"
        else:
            kinds[col] = "text"
    cols = list(shown.columns)
    # one formatted column at a time (small frames: display only)
    formatted = {}
    for i, col in enumerate(cols):
        s = shown.iloc[:, i]
        if kinds[col] == "num":
            dec = decimals.get(col) if isinstance(decimals, Mapping) else decimals
            formatted[i] = [number(v, dec, lang=lang, digits=digits, percent=col in percent)
                            for v in s.tolist()]
        elif kinds[col] == "date":
            formatted[i] = [date(v, lang, digits=digits) for v in s.tolist()]
        elif pd.api.types.is_bool_dtype(s):
            formatted[i] = ["—" if _isna(v) else ("✓" if v else "✗") for v in s.tolist()]
        else:
            vals = s.tolist()
            masked = mask_many(vals)
            formatted[i] = ["—" if _isna(v) else escape(m) for v, m in zip(vals, masked)]
    for r in range(len(shown)):
        cells = []
        for i, col in enumerate(cols):
            cls = ' class="num"' if kinds[col] == "num" else ' dir="auto"' if kinds[col] == "text" else ""
            cells.append(f"<td{cls}>{formatted[i][r]}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{safe(caption)}</caption>" if caption else ""
    more = ""
    if n > len(shown):
        left = number(n - len(shown), lang=lang, digits=digits)
        more = ('<p class="note">' + (f"{left} ردیف دیگر نشان داده نشده است." if lang == "fa"
                                      else f"{left} more rows not shown.") + "</p>")
    return Html(f'<div class="table-wrap" dir="{_dir(lang)}"><table class="insight-table">{cap}'
                f'<thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(body)}</tbody></table></div>{more}')


def _isna(v: Any) -> bool:
    try:
        import pandas as pd
        r = pd.isna(v)
        return bool(r) if not hasattr(r, "__len__") else False
    except (TypeError, ValueError):
        return False


def _dir(lang: str) -> str:
    return "rtl" if lang == "fa" else "ltr"


# ---------------------------------------------------------------- text blocks

def _pick(text_fa: str | None, text_en: str | None, lang: str) -> str:
    if lang == "en" and text_en:
        return text_en
    return text_fa if text_fa else (text_en or "")


def labels(pairs: Mapping[str, tuple[str, str]], lang: str | None = None) -> dict[str, str]:
    """``{column: (fa, en)}`` -> ``{column: label in the report language}`` for ``table(labels=…)``."""
    lang = _lang(lang)
    return {k: _pick(v[0], v[1], lang) for k, v in pairs.items()}


def finding(text_fa: str, text_en: str | None = None, lang: str | None = None,
            kind: str = "info") -> Html:
    """A highlighted finding (callout); ``kind`` is info, good or warn."""
    lang = _lang(lang)
    kind = kind if kind in ("info", "good", "warn") else "info"
    return Html(f'<div class="finding {kind}" dir="{_dir(lang)}">{safe(_pick(text_fa, text_en, lang))}</div>')


def quote(text: Any, lang: str | None = None) -> Html:
    """A customer's words (review, complaint, comment): masked and escaped."""
    _lang(lang)
    return Html(f'<blockquote class="quote" dir="auto">{safe(text)}</blockquote>')


def missing_section(name: str, why: str, lang: str | None = None) -> Html:
    """Say that a section could not be computed and why (e.g. a table is absent)."""
    lang = _lang(lang)
    head = (f"این بخش محاسبه نشد: {name}" if lang == "fa" else f"This section could not be computed: {name}")
    return Html(f'<div class="finding missing" dir="{_dir(lang)}"><strong>{safe(head)}</strong>'
                f"<br>{safe(why)}</div>")


def heading(text_fa: str, text_en: str | None = None, lang: str | None = None, level: int = 2) -> Html:
    """A section heading in the report language (escaped)."""
    lang = _lang(lang)
    level = min(max(int(level), 2), 4)
    return Html(f'<h{level} dir="{_dir(lang)}">{safe(_pick(text_fa, text_en, lang))}</h{level}>')


def text(text_fa: str, text_en: str | None = None, lang: str | None = None) -> Html:
    """A plain paragraph in the report language (escaped)."""
    lang = _lang(lang)
    return Html(f'<p dir="{_dir(lang)}">{safe(_pick(text_fa, text_en, lang))}</p>')


# ---------------------------------------------------------------- headline figures

def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return None if math.isnan(f) else f
    return str(value)


def headline_bundle(name: str, value: Any, *, label: str | tuple | None = None, unit: str | None = None,
                    better: str | None = None, lang: str | None = None, percent: bool = False,
                    decimals: int | None = None, n: int | None = None,
                    ci: tuple[float, float] | None = None) -> dict:
    """The MIME bundle :func:`headline` displays (visible card + machine-readable record).

    ``ci`` is the (low, high) confidence interval of ``value``, in the same units."""
    lang = _lang(lang)
    if isinstance(label, (tuple, list)):
        label = _pick(label[0], label[1] if len(label) > 1 else None, lang)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"headline name must be an identifier, not {name!r}")
    if better not in (None, "higher", "lower"):
        raise ValueError("better must be 'higher', 'lower' or None")
    record = {"name": name, "value": _jsonable(value), "label": label or name, "unit": unit,
              "better": better, "percent": bool(percent), "decimals": decimals, "n": n}
    if ci is not None:
        record.update(ci_low=_jsonable(ci[0]), ci_high=_jsonable(ci[1]))
    shown = number(value, decimals, lang=lang, percent=percent)
    unit_html = f' <span class="unit">{escape(_unit_label(unit, lang))}</span>' if unit else ""
    n_html = ""
    if n is not None:
        n_html = f'<div class="n">n = {number(n, lang=lang)}</div>'
    if ci is not None and not any(_isna(c) for c in ci):
        lo, hi = (number(c, decimals, lang=lang, percent=percent) for c in ci)
        n_html = f'<div class="n">[{lo} – {hi}]</div>' + n_html
    card = (f'<div class="headline" dir="{_dir(lang)}"><div class="label">{safe(label or name)}</div>'
            f'<div class="value">{shown}{unit_html}</div>{n_html}</div>')
    return {"text/html": card, HEADLINE_MIME: record, "text/plain": f"{name} = {value}"}


_RECORDED: list[dict] = []  # when not running inside IPython


def headline(name: str, value: Any, **kwargs) -> None:
    """Record a headline figure for the run's index and manifest, and show it as a card.

    ``name`` is a stable identifier (compared with the previous run), ``label``
    the text shown (a str, or a (fa, en) pair picked by language), ``unit`` e.g. 'rial' or '%', ``better`` 'higher'/'lower'
    (colours the change), ``percent=True`` for a share in 0..1, ``n`` the
    sample size behind the figure."""
    bundle = headline_bundle(name, value, **kwargs)
    _display(bundle)


def meta(**fields: Any) -> None:
    """Record report metadata for the page header (``period=(start, end)``)."""
    record = {}
    if "period" in fields and fields["period"] is not None:
        start, end = fields.pop("period")
        s, e = _to_date(start), _to_date(end)
        record["period"] = [s.isoformat() if s else None, e.isoformat() if e else None]
    record.update({k: _jsonable(v) for k, v in fields.items()})
    _display({META_MIME: record, "text/plain": ""})


def _display(bundle: dict) -> None:
    try:
        from IPython import get_ipython
        ip = get_ipython()
    except ImportError:
        ip = None
    if ip is None:
        _RECORDED.append(bundle)
        return
    from IPython.display import display
    display(bundle, raw=True)


def collect(nb) -> tuple[list[dict], dict]:
    """(headline records, meta) found in an executed notebook's outputs."""
    heads: list[dict] = []
    meta_: dict = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if HEADLINE_MIME in data:
                rec = data[HEADLINE_MIME]
                heads.append(json.loads(rec) if isinstance(rec, str) else dict(rec))
            if META_MIME in data:
                rec = data[META_MIME]
                meta_.update(json.loads(rec) if isinstance(rec, str) else dict(rec))
    return heads, meta_
