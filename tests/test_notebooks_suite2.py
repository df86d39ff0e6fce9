"""The five suite reports (executive_summary, segments, journey, voice_of_customer, claims)
run end to end on a small generated sample: exit 0, a page each with its headings, no
code, no tracebacks, no failed step, and the headline figures in the manifest.

One run for the module (kernels start: slow).  voice_of_customer runs with
``own_model=false`` here (training a model on the sample's reviews is the slow part;
``choose_model`` has its own tests).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_report_html import check_page

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("executive_summary", "segments", "journey", "voice_of_customer", "claims")
pytestmark = pytest.mark.slow

HEADINGS = {
    "executive_summary": ["چه چیزی تغییر کرد و چرا", "چهار ویژگی تجربهٔ بی‌دردسر", "پیگیری پس از تجربهٔ بد"],
    "segments": ["یافته‌های اصلی", "نیم‌رخ بخش‌ها", "جابه‌جایی بین بخش‌ها", "ارزش طول عمر مشتری"],
    "journey": ["یافته‌های اصلی", "رایج‌ترین مسیرها", "ماندگاری گروه‌ها", "اولین تجربه و زمان تا خرید دوم"],
    "voice_of_customer": ["یافته‌های اصلی", "کدام مدل احساس را می‌سنجد", "کارنامهٔ چهار ویژگی", "نمونهٔ حرف مشتریان"],
    "claims": ["یافته‌های اصلی", "باورها یکی‌یکی", "همه در یک نگاه"],
}
HEADLINES = {
    "executive_summary": {"nps", "csat_top2", "metrics_worse", "followup_customers"},
    "segments": {"share_champions_loyal", "share_at_risk", "clv_total"},
    "journey": {"repurchase_rate", "late_delivery_odds_ratio"},
    "voice_of_customer": {"negative_share", "worst_attribute"},
    "claims": {"claims_supported", "claims_contradicted", "claims_untestable"},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    sample = pytest.importorskip("insight.sample")
    base = tmp_path_factory.mktemp("suite2")
    data = base / "data"
    sample.write(sample.generate(customers=400, seed=7), data)
    out = base / "reports"
    env = dict(os.environ, NO_COLOR="1")
    res = subprocess.run([sys.executable, "-m", "insight.cli", "run", "--config", str(ROOT / "reports.yml"),
                          "--data", str(data), "--out", str(out), "--only", *NAMES, "-p", "own_model=false"],
                         capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    latest = out / "latest"
    return {"res": res, "dir": latest,
            "manifest": json.loads((latest / "manifest.json").read_text()) if (latest / "manifest.json").exists() else {}}


def test_exit_zero(run):
    assert run["res"].returncode == 0, run["res"].stderr[-3000:]


@pytest.mark.parametrize("name", NAMES)
def test_page(run, name):
    page = run["dir"] / f"{name}.html"
    assert page.exists(), run["res"].stderr[-2000:]
    text = page.read_text(encoding="utf-8")
    check_page(text)
    assert 'dir="rtl"' in text
    for h in HEADINGS[name]:
        assert h in text, f"{name}: heading {h!r} missing"
    assert "این بخش اجرا نشد" not in text and "did not run" not in text
    assert "import insight" not in text and "show.setup" not in text  # no code cells
    assert "<img" in text or name == "executive_summary"  # the plots are embedded
    assert not re.search(r"<(pre|code)[ >]", text.split("<body")[1])


@pytest.mark.parametrize("name", NAMES)
def test_headlines(run, name):
    rep = {r["name"]: r for r in run["manifest"].get("reports", [])}[name]
    assert rep["status"] == "ok"
    got = {h["name"]: h for h in rep["headlines"]}
    assert HEADLINES[name] <= set(got), set(got)
    for h in got.values():
        assert h["value"] is not None, h


def test_values_make_sense(run):
    heads = {r["name"]: {h["name"]: h for h in r["headlines"]} for r in run["manifest"]["reports"]}
    seg = heads["segments"]
    assert 0 < seg["share_champions_loyal"]["value"] < 1 and seg["share_champions_loyal"]["n"] > 300
    assert seg["clv_total"]["value"] > 0
    jr = heads["journey"]
    assert 0 < jr["repurchase_rate"]["value"] < 1
    assert jr["late_delivery_odds_ratio"]["value"] > 0
    cl = heads["claims"]
    assert cl["claims_supported"]["value"] + cl["claims_contradicted"]["value"] + cl["claims_untestable"]["value"] == 8
    ex = heads["executive_summary"]
    assert -100 <= ex["nps"]["value"] <= 100
    assert 0 <= ex["metrics_worse"]["value"] <= 7
