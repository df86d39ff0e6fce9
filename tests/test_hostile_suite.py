"""Issue 7: the whole suite on data full of hostile text and personal details.

One `insight run` of every report on a small generated sample into which HTML/JS
payloads, markdown and LaTeX, right-to-left override characters, an enormous word and
phone numbers / e-mails / card numbers / IBANs were written in every free-text column
(reviews, complaints, survey comments, return reasons) and in names.  Every published
page and the index must show them inert (escaped), readable, and with the personal
details masked.
"""
from __future__ import annotations

import csv
import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_report_html import check_page

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

# one payload a row, with what must never appear raw on a page
PII = {
    "09127654321": "mobile, Latin digits",
    "۰۹۱۲۷۶۵۴۳۲۱": "mobile, Persian digits",
    "+98 912 765 4321": "mobile, international",
    "ali.rezaei@example.com": "e-mail",
    "6037-9912-3456-7890": "card number, grouped",
    "IR820540102680020817909002": "IBAN (Sheba)",
}
HOSTILE = [
    "<script>alert('xss')</script> خیلی بد بود",          # script tag
    "<img src=x onerror=alert(1)> بسته باز شده بود",        # event-handler attribute
    "$\\frac{1}{0}$ و **پررنگ** و `code` و [link](javascript:alert(1))",  # markdown / LaTeX / js link
    "\u202eبد بود\u202c و \u2067جالب\u2069",               # bidi override and isolate controls
    "ب" * 3000,                                           # one enormous word
    "شماره من 09127654321 و ایمیل ali.rezaei@example.com",
    "کارت 6037-9912-3456-7890 و شبا IR820540102680020817909002",
    "زنگ بزنید ۰۹۱۲۷۶۵۴۳۲۱ یا +98 912 765 4321",
]


def _poison(path: Path, column: str, every: int = 7) -> None:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for i in range(0, len(rows), every):
        rows[i][column] = HOSTILE[(i // every) % len(HOSTILE)] + " " + (rows[i][column] or "")
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.handlers: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k.lower().startswith("on") or (v or "").strip().lower().startswith("javascript:"):
                self.handlers.append((tag, k))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    sample = pytest.importorskip("insight.sample")
    base = tmp_path_factory.mktemp("hostile")
    data = base / "data"
    sample.write(sample.generate(customers=300, seed=3), data)
    _poison(data / "reviews.csv", "text", every=3)
    _poison(data / "complaints.csv", "text", every=3)
    _poison(data / "surveys.csv", "comment", every=3)
    _poison(data / "returns.csv", "reason_text", every=3)
    _poison(data / "products.csv", "name", every=11)
    out = base / "reports"
    env = dict(os.environ, NO_COLOR="1")
    res = subprocess.run([sys.executable, "-m", "insight.cli", "run", "--config", str(ROOT / "reports.yml"),
                          "--data", str(data), "--out", str(out), "--jobs", "2", "-p", "own_model=false"],
                         capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    pages = sorted((out / "latest").glob("*.html")) if (out / "latest").exists() else []
    return {"res": res, "pages": pages, "out": out}


def test_suite_runs(suite):
    assert suite["res"].returncode == 0, suite["res"].stderr[-3000:]
    names = {p.stem for p in suite["pages"]}
    assert {"index", "executive_summary", "voice_of_customer", "followup", "complaints_returns"} <= names


def test_no_page_runs_data_as_code(suite):
    for page in suite["pages"]:
        raw = page.read_text(encoding="utf-8")
        check_page(raw)                                   # no script/link/iframe, nothing external
        p = _Tags()
        p.feed(raw)
        assert p.handlers == [], f"{page.name}: event handlers {p.handlers[:3]}"
        assert "<img src=x" not in raw and "\u202e" not in raw and "\u202d" not in raw, page.name


def test_payloads_are_shown_inert_and_readable(suite):
    # quotes, excerpts and names do show the hostile texts: as plain text (tags escaped
    # or dropped by normalisation), LaTeX delimiters escaped, the Persian words readable
    shown = "".join(p.read_text(encoding="utf-8") for p in suite["pages"])
    assert "alert(" in shown and "<script" not in shown
    assert "$\\frac{1}{0}$" not in shown              # wherever the LaTeX payload is shown, it is escaped
    assert "خیلی بد بود" in shown


def test_no_personal_details_on_any_page(suite):
    from insight.text import find_pii
    for page in suite["pages"]:
        raw = page.read_text(encoding="utf-8")
        p = _Tags()
        p.feed(raw)
        visible = html.unescape(" ".join(p.text))
        for value, what in PII.items():
            assert value not in visible, f"{page.name}: unmasked {what}"
        leaks = [m for m in find_pii(visible) if m[0] in ("phone", "email", "card", "iban")]
        assert not leaks, f"{page.name}: {leaks[:3]}"
