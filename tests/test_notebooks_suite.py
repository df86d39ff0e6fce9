"""The suite's report notebooks (perception, complaints_returns, delivery, followup) run end
to end through `insight run` on a small generated sample: one run for all four (slow: kernels)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_report_html import check_page

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("perception", "complaints_returns", "delivery", "followup")
HEADINGS = {
    "perception": ["یافته‌های اصلی: چه تغییر کرد؟", "تمایل به معرفی (NPS)", "رضایت (CSAT)", "تلاش مشتری (CES)",
                   "احساس در حرف‌های مشتریان"],
    "complaints_returns": ["حجم شکایت‌ها", "چقدر طول می‌کشد تا شکایت حل شود؟", "مشتریان بی‌صدا",
                           "مرجوعی‌ها: کدام کالاها پس فرستاده می‌شوند؟", "ناموجودی"],
    "delivery": ["تحویل به‌موقع: وعده در برابر واقعیت", "چقدر دیر؟", "سرعت تحویل در برابر انتظار مشتریان",
                 "تأخیر با امتیاز مشتری چه می‌کند؟"],
    "followup": ["یافته‌های اصلی", "دلیل‌ها", "فهرست", "فایل برای تیم پشتیبانی"],
}
HEADLINES = {"perception": {"nps", "csat", "ces", "negative_share"},
             "complaints_returns": {"complaint_rate", "median_resolution_hours", "return_rate", "flagged_products"},
             "delivery": {"on_time_share", "within_2_days_share"},
             "followup": {"followup_customers", "followup_value_at_risk"}}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory):
    sample = pytest.importorskip("insight.sample")
    base = tmp_path_factory.mktemp("suite4")
    data = base / "data"
    sample.write(sample.generate(customers=400, seed=5), data)
    out = base / "reports"
    proc = subprocess.run([sys.executable, "-m", "insight.cli", "run", "--config", str(ROOT / "reports.yml"),
                           "--data", str(data), "--out", str(out), "--jobs", "2", "--only", *NOTEBOOKS],
                          capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"), timeout=600)
    return proc, out / "latest"


def test_run_exits_0(suite_run):
    proc, latest = suite_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    got = {r["name"]: r for r in manifest["reports"]}
    assert set(got) == set(NOTEBOOKS) and all(r["status"] == "ok" for r in got.values())
    for name, heads in HEADLINES.items():
        assert {h["name"] for h in got[name]["headlines"]} == heads


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_page(suite_run, name):
    _, latest = suite_run
    page = (latest / f"{name}.html").read_text(encoding="utf-8")
    check_page(page)  # no external resources, no scripts, no "Traceback"
    assert '<html dir="rtl" lang="fa">' in page
    assert "این بخش اجرا نشد" not in page  # no cell raised
    for h in HEADINGS[name]:
        assert h in page, h
    for code in ("import insight", "show.setup", "data_dir", "nv.attempt", "def tr("):  # no input code
        assert code not in page
    assert "lang-en" not in page and "Key findings" not in page  # English narrative left out


def test_followup_exports_to_the_run_folder(suite_run):
    _, latest = suite_run
    csv = latest / "followup.csv"
    assert csv.exists() and (latest / "followup.xlsx").exists()
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    assert 'href="followup.csv"' in (latest / "followup.html").read_text(encoding="utf-8")
