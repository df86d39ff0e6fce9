"""Executed notebook -> one self-contained HTML page for management.

nbconvert's ``basic`` template renders the cells (no code, no prompts); this
module cleans the notebook first and wraps the result in our own page:

* ``<html dir="rtl" lang="fa">`` for Persian (ltr/en for English), the
  Vazirmatn font embedded as base64 ``@font-face`` with a DejaVu Sans /
  Tahoma fallback, our CSS (phone width, print) inline — no external
  resources at all: no require.js, no MathJax, no CDN fonts;
* error outputs become a plain-words note (never a traceback), stderr
  streams (warnings) are dropped, JavaScript and widget outputs are dropped,
  markdown/LaTeX outputs are shown as escaped plain text (data text must
  never be rendered as markdown);
* cells tagged ``lang-fa`` / ``lang-en`` appear only in that language's page
  (write the narrative twice, tag each markdown cell);
* headline figures (``insight.show.headline``) are lifted into a summary
  strip at the top of the page, under the title, the generation date
  (Jalali + Gregorian) and the data period.
"""
from __future__ import annotations

import base64
import copy
import datetime as _dt
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from insight import show

#: cells with these tags are not exported at all
REMOVE_CELL_TAGS = {"remove-cell", "remove_cell", "hide-cell", "injected-parameters", "parameters"}
#: cells with these tags keep no outputs
REMOVE_OUTPUT_TAGS = {"remove-output", "remove_output", "hide-output"}
_DROP_MIMES = {"application/javascript", "text/javascript",
               "application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"}
FONT_STACK = "Vazirmatn, 'DejaVu Sans', Tahoma, sans-serif"

_T = {
    "generated": ("تهیه‌شده در", "Generated"),
    "period": ("بازهٔ داده‌ها", "Data period"),
    "summary": ("خلاصه", "Summary"),
    "error": ("این بخش اجرا نشد: {what}", "This step did not run: {what}"),
    "footer": ("تهیه‌شده با insight", "Made with insight"),
}


def t(key: str, lang: str) -> str:
    fa, en = _T[key]
    return fa if lang == "fa" else en


@lru_cache(maxsize=1)
def _font_face() -> str:
    faces = []
    for weight, fname in ((400, "Vazirmatn-Regular.woff2"), (700, "Vazirmatn-Bold.woff2")):
        try:
            data = resources.files("insight").joinpath("assets", "fonts", fname).read_bytes()
        except (FileNotFoundError, ModuleNotFoundError, OSError):
            continue
        b64 = base64.b64encode(data).decode("ascii")
        faces.append(f"@font-face{{font-family:Vazirmatn;font-style:normal;font-weight:{weight};"
                     f"font-display:swap;src:url(data:font/woff2;base64,{b64}) format('woff2');}}")
    return "\n".join(faces)


@lru_cache(maxsize=1)
def _css() -> str:
    return resources.files("insight").joinpath("assets", "report.css").read_text(encoding="utf-8")


def now_text(lang: str, when: _dt.datetime | None = None) -> str:
    """'date HH:MM' with the date in Jalali and Gregorian."""
    when = when or _dt.datetime.now()
    return f"{show.date(when, lang)} {when:%H:%M}"


def page(title: str, body: str, *, lang: str = "fa", meta_lines: list[str] | None = None,
         footer: str | None = None) -> str:
    """A complete self-contained page: ``title`` is plain text (escaped here),
    ``body`` and ``meta_lines`` are HTML made by this package."""
    lang = "en" if lang == "en" else "fa"
    direction = "rtl" if lang == "fa" else "ltr"
    metas = "".join(f'<p class="meta">{m}</p>' for m in (meta_lines or []))
    foot = footer if footer is not None else show.escape(t("footer", lang))
    return (
        f'<!DOCTYPE html>\n<html dir="{direction}" lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="insight">\n'
        f"<title>{show.escape(title)}</title>\n<style>\n{_font_face()}\n{_css()}\n</style>\n</head>\n"
        f'<body>\n<main>\n<header class="page"><h1>{show.escape(title)}</h1>{metas}</header>\n'
        f'{body}\n<footer class="page">{foot}</footer>\n</main>\n</body>\n</html>\n'
    )


# ------------------------------------------------------------------ cleaning

def _error_note(ename: str, lang: str) -> dict:
    msg = t("error", lang).format(what=ename or "error")
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/html": f'<div class="finding error">{show.safe(msg)}</div>'}}


def _plain(text: Any) -> str:
    if isinstance(text, list):
        text = "".join(text)
    return f'<div class="plain-text" dir="auto">{show.safe(text)}</div>'


def clean(nb, lang: str = "fa"):
    """A copy of ``nb`` fit for management: see the module docstring."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set((cell.get("metadata") or {}).get("tags") or [])
        if tags & REMOVE_CELL_TAGS:
            continue
        if f"lang-{'en' if lang == 'fa' else 'fa'}" in tags:
            continue  # narrative written for the other language
        if cell.cell_type == "raw":
            continue  # raw cells pass through nbconvert unescaped: never export them
        if cell.cell_type == "code":
            outs = []
            if not tags & REMOVE_OUTPUT_TAGS:
                for out in cell.get("outputs", []):
                    kind = out.get("output_type")
                    if kind == "error":
                        outs.append(_error_note(str(out.get("ename", "")), lang))
                        continue
                    if kind == "stream":
                        if out.get("name") == "stderr":
                            continue
                        outs.append(out)
                        continue
                    data = out.get("data") or {}
                    if show.HEADLINE_MIME in data or show.META_MIME in data:
                        continue  # headlines go to the summary strip; meta to the header
                    for mime in list(data):
                        if mime in _DROP_MIMES or mime.startswith("application/vnd.jupyter.widget"):
                            del data[mime]
                    if "text/html" not in data and not any(m.startswith("image/") for m in data):
                        for mime in ("text/markdown", "text/latex"):
                            if mime in data:
                                data["text/html"] = _plain(data[mime])
                                break
                    data.pop("text/markdown", None)
                    data.pop("text/latex", None)
                    if not data:
                        continue
                    outs.append(out)
            cell.outputs = outs
            cell.source = ""
        cells.append(cell)
    nb.cells = cells
    return nb


_EXTERNAL = re.compile(r"""\s(?:src|href|xlink:href|srcset|poster|data|action)\s*=\s*(["']?)\s*(?:https?:)?//[^"'\s>]*\1""",
                       re.I)
_TAG = re.compile(r"<(?!a[\s>])(?!/)([a-zA-Z][\w:-]*)([^<>]*)>")


def strip_external(body: str) -> str:
    """Remove scripts, <link>s, CSS @imports and any http(s) src/href outside plain <a> links."""
    body = re.sub(r"<script\b.*?</script\s*>", "", body, flags=re.I | re.S)
    body = re.sub(r"<script\b[^>]*>", "", body, flags=re.I)
    body = re.sub(r"<link\b[^>]*>", "", body, flags=re.I)
    body = re.sub(r"@import\s+url\([^)]*\)\s*;?", "", body, flags=re.I)
    body = re.sub(r"url\(\s*(['\"]?)\s*(?:https?:)?//[^)]*\)", "none", body, flags=re.I)
    return _TAG.sub(lambda m: "<" + m.group(1) + _EXTERNAL.sub("", m.group(2)) + ">", body)


# ------------------------------------------------------------------ export

@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    ex = HTMLExporter(template_name="basic")
    ex.exclude_input = True
    ex.exclude_input_prompt = True
    ex.exclude_output_prompt = True
    ex.exclude_raw = True
    ex.anchor_link_text = ""
    return ex


def headlines_html(heads: list[dict], lang: str, previous: dict[str, dict] | None = None) -> str:
    """The summary strip of headline cards (with the change vs ``previous`` by name)."""
    cards = []
    for h in heads:
        value = h.get("value")
        shown = show.number(value, h.get("decimals"), lang=lang, percent=bool(h.get("percent")))
        unit = h.get("unit")
        unit_html = f' <span class="unit">{show.escape(show._unit_label(unit, lang))}</span>' if unit else ""
        extra = ""
        if h.get("n") is not None:
            extra += f'<div class="n">n = {show.number(h["n"], lang=lang)}</div>'
        if previous is not None:
            extra += change_html(h, previous.get(h.get("name")), lang)
        # labels are authored text (escaped); values are numbers
        cards.append(f'<div class="headline"><div class="label">{show.escape(h.get("label") or h.get("name"))}</div>'
                     f'<div class="value">{shown}{unit_html}</div>{extra}</div>')
    return f'<section class="headlines">{"".join(cards)}</section>' if cards else ""


def change_html(now: dict, before: dict | None, lang: str) -> str:
    """'▲ +2.0 vs previous run' coloured by ``better``; '' when not comparable."""
    if not before:
        return ""
    a, b = before.get("value"), now.get("value")
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool):
        return ""
    diff = b - a
    pct = bool(now.get("percent"))
    if diff == 0:
        text = "بدون تغییر نسبت به اجرای قبل" if lang == "fa" else "no change vs previous run"
        return f'<div class="change">{text}</div>'
    arrow = "▲" if diff > 0 else "▼"
    dec = now.get("decimals")
    if pct:  # a change of a share is in percentage points
        num = show.number(abs(diff) * 100, 1 if dec is None else dec, lang=lang)
        num += " واحد درصد" if lang == "fa" else " pp"
    else:
        if dec is None and not (isinstance(a, int) and isinstance(b, int)):
            dec = 0 if abs(diff) >= 100 else 1 if abs(diff) >= 1 else 2
        num = show.number(abs(diff), dec, lang=lang)
    sign = "+" if diff > 0 else "−"
    better = now.get("better")
    cls = ""
    if better in ("higher", "lower"):
        cls = " better" if (diff > 0) == (better == "higher") else " worse"
    vs = "نسبت به اجرای قبل" if lang == "fa" else "vs previous run"
    return f'<div class="change{cls}">{arrow} {sign}{num} {vs}</div>'


def export(nb, *, title: str, lang: str = "fa", generated_at: _dt.datetime | None = None,
           heads: list[dict] | None = None, meta: dict | None = None) -> str:
    """Executed notebook -> complete HTML page (a string)."""
    lang = "en" if lang == "en" else "fa"
    if heads is None or meta is None:
        h2, m2 = show.collect(nb)
        heads = h2 if heads is None else heads
        meta = m2 if meta is None else meta
    cleaned = clean(nb, lang)
    body, _ = _exporter().from_notebook_node(cleaned)
    # nbconvert re-serialises output HTML (entities decoded where not needed): escape
    # every dollar again so no math renderer can ever pick data text up
    body = strip_external(body).replace("$", "&#36;")
    lines = [f"{show.escape(t('generated', lang))}: {show.escape(now_text(lang, generated_at))}"]
    period = (meta or {}).get("period")
    if period and any(period):
        lines.append(f"{show.escape(t('period', lang))}: {show.escape(show.period(period[0], period[1], lang))}")
    summary = headlines_html(heads or [], lang)
    return page(title, summary + f'<div class="report-body">{body}</div>', lang=lang, meta_lines=lines)
