"""End to end: `insight run` executes notebooks and publishes a run (slow: kernels start).

One session fixture does the one run every test here reads: data_quality, ok_report and
fail_report (raises) on a small generated sample with XSS in the texts, into a reports
folder whose `latest` points at a previous (hand-made) run -> exit 1, latest untouched.
(The exit-0 path that moves `latest` is tested with the executor stubbed, in
test_report_params.py, and by `make report`.)  A second run is interrupted with SIGTERM.
Screenshots need /usr/bin/chromium.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from test_report_html import check_page

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "tests" / "data" / "notebooks"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
pytestmark = pytest.mark.slow


def _insight(*args, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "insight.cli", *args], capture_output=True, text=True,
                          env=env, timeout=kw.pop("timeout", 300), **kw)


def _inject(path: Path, column: str, values: dict[int, str]) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for i, v in values.items():
        rows[i][column] = v
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Path:
    sample_mod = pytest.importorskip("insight.sample")
    pytest.importorskip("insight.data")
    d = tmp_path_factory.mktemp("sample")
    sample_mod.write(sample_mod.generate(customers=150, seed=11), d)
    _inject(d / "reviews.csv", "text", {0: XSS[0] + " خیلی بد بود", 1: XSS[1] + " تماس ۰۹۱۲۱۲۳۴۵۶۷"})
    _inject(d / "reviews.csv", "created_at", {2: XSS[0]})  # quarantined: its reason quotes the value
    _inject(d / "complaints.csv", "text", {0: XSS[1] + " شکایت", 1: XSS[0]})
    return d


@pytest.fixture(scope="session")
def runs(tmp_path_factory, sample):
    base = tmp_path_factory.mktemp("suite")
    out = base / "reports"
    cfg = base / "reports.yml"
    cfg.write_text(
        f"notebooks: {NB_DIR}\n"
        f"defaults: {{data: {sample}, out: {out}, jobs: 2, lang: fa}}\n"
        "reports:\n"
        f"  - {{name: data_quality, notebook: {ROOT / 'notebooks' / 'data_quality.ipynb'}, title_fa: کیفیت داده‌ها}}\n"
        "  - {name: ok_report, title_fa: گزارش آزمایشی}\n"
        "  - {name: fail_report, title_fa: گزارش خراب}\n"
        "  - {name: slow_report}\n"
        "  - {name: written_later}\n", encoding="utf-8")
    # a previous complete run, as `latest`, whose headline the new index compares with
    prev_id = "20000101-000000-aaaa"
    (out / prev_id).mkdir(parents=True)
    (out / prev_id / "manifest.json").write_text(json.dumps({"run_id": prev_id, "status": "ok", "reports": [
        {"name": "ok_report", "status": "ok", "headlines": [{"name": "n_reviews", "value": 100}]}]}))
    os.symlink(prev_id, out / "latest")
    marker = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    evil = f'x"; import os; os.system("touch {marker}")  #'
    res = _insight("run", "--config", str(cfg), "--only", "data_quality", "ok_report", "fail_report",
                   "-p", f"label={evil}")
    run = [d for d in out.iterdir() if d.is_dir() and not d.is_symlink() and d.name != prev_id]
    return {"cfg": cfg, "out": out, "res": res, "marker": marker, "evil": evil, "prev": prev_id,
            "run": run[0] if len(run) == 1 else None}


def _run_dirs(out: Path) -> list[Path]:
    return sorted(d for d in out.iterdir() if d.is_dir() and not d.is_symlink() and not d.name.startswith("."))


def test_run_publishes_pages_manifest_and_progress(runs):
    res, run = runs["res"], runs["run"]
    assert res.returncode == 1, res.stderr
    assert run is not None and run.name[:8].isdigit()
    assert "[3/3]" in res.stderr and "\x1b[" not in res.stderr  # progress, no colours off a tty
    assert sorted(p.name for p in run.iterdir()) == [
        "data_quality.html", "fail_report.failed.ipynb", "index.html", "manifest.json", "ok_report.html",
        "quarantine", "workers.log"]
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "failed" and [r["name"] for r in m["reports"]] == ["data_quality", "ok_report", "fail_report"]
    assert [r["status"] for r in m["reports"]] == ["ok", "ok", "failed"]
    assert all(r["duration_s"] > 0 for r in m["reports"])
    assert {f["path"] for f in m["data"]["files"]} >= {"orders.csv", "reviews.csv"}
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in m["data"]["files"])
    assert m["versions"]["pandas"] and m["started_at"] <= m["finished_at"]
    assert m["previous_run"] == runs["prev"] and m["skipped"] == []  # --only: the rest is not "skipped"
    dq = m["reports"][0]
    assert {h["name"] for h in dq["headlines"]} == {"rows_kept", "share_quarantined", "tables_present"}
    assert dq["parameters"]["data_dir"] == m["data"]["dir"] and dq["parameters"]["lang"] == "fa"
    assert dq["meta"]["period"][0] <= dq["meta"]["period"][1]
    hist = (runs["out"] / "index.html").read_text(encoding="utf-8")
    assert run.name in hist


def test_injection_through_p_is_inert(runs):
    assert not runs["marker"].exists()
    page = (runs["run"] / "ok_report.html").read_text(encoding="utf-8")
    assert "x&quot;; import os; os.system(&quot;touch" in page or 'x"; import os; os.system("touch' in page
    m = json.loads((runs["run"] / "manifest.json").read_text(encoding="utf-8"))
    assert m["reports"][1]["parameters"]["label"] == runs["evil"]


def test_report_pages_are_clean_rtl_and_escaped(runs):
    run = runs["run"]
    for name in ("data_quality.html", "ok_report.html", "index.html"):
        page = (run / name).read_text(encoding="utf-8")
        p = check_page(page)
        assert p.root == {"dir": "rtl", "lang": "fa"}, name
        assert "<script>" not in page and "<img src=x" not in page, name
        assert "import insight" not in page and "show.setup" not in page, name  # no input cells
    ok = (run / "ok_report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ok and "&lt;img src=x onerror=alert(1)&gt;" in ok
    assert "۰۹۱۲۱۲۳۴۵۶۷" not in ok and "a warning that must not reach the page" not in ok
    assert "data:image/png;base64," in ok
    dq = (run / "data_quality.html").read_text(encoding="utf-8")
    assert "ردیف‌ها در هر جدول" in dq and "پوشش ستون‌های اختیاری" in dq
    assert "بازهٔ داده‌ها" in dq  # data period in the header
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dq  # the quarantined date is quoted, escaped


def test_failed_report_keeps_notebook_and_latest(runs):
    res, out, run = runs["res"], runs["out"], runs["run"]
    assert "ValueError" in res.stderr and "latest not moved" in res.stderr and "exit 1" in res.stderr
    assert os.readlink(out / "latest") == runs["prev"]
    assert (run / "fail_report.failed.ipynb").is_file() and not (run / "fail_report.html").exists()
    index = (run / "index.html").read_text(encoding="utf-8")
    check_page(index)
    assert "ValueError: the customer" in index and "&lt;b&gt;this&lt;/b&gt;" in index
    assert "09121234567" not in index  # masked
    assert "Traceback" not in index and 'File "' not in index
    assert 'href="ok_report.html"' in index and 'href="fail_report.html"' not in index
    assert "نسبت به اجرای قبل" in index  # n_reviews compared with the previous run's manifest
    r = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["reports"][2]
    assert (r["status"], r["error_type"], r["failed_notebook"]) == ("failed", "ValueError", "fail_report.failed.ipynb")
    assert "09121234567" not in r["error_message"]


def test_sigterm_mid_run_leaves_latest_and_no_partial_output(runs):
    import psutil

    out = runs["out"]
    before = {d.name for d in _run_dirs(out)}
    latest = os.readlink(out / "latest")
    proc = subprocess.Popen([sys.executable, "-m", "insight.cli", "run", "--config", str(runs["cfg"]),
                             "--only", "slow_report", "-p", "seconds=120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NO_COLOR="1"))
    deadline = time.monotonic() + 120
    kids = []
    while time.monotonic() < deadline:  # wait until the kernel runs the notebook
        kids = psutil.Process(proc.pid).children(recursive=True)
        if any("ipykernel" in " ".join(k.cmdline()) for k in kids if k.is_running()):
            break
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the kernel never started")
    time.sleep(1.0)
    kids = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "interrupted by SIGTERM" in err
    assert os.readlink(out / "latest") == latest
    assert {d.name for d in _run_dirs(out)} == before
    assert not list(out.glob(".tmp-*")) and not list(out.rglob("slow_report*"))
    _, alive = psutil.wait_procs(kids, timeout=10)
    assert not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_read_only_reports_folder(tmp_path, sample, capsys):
    from insight.report import cli

    if os.geteuid() == 0:  # root writes through permissions: use a read-only file system
        target = Path("/sys/insight-test-reports")
        try:
            target.mkdir()
        except OSError:
            pass
        else:
            target.rmdir()
            pytest.skip("no read-only file system to test with")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = ro / "reports"
    cfg = tmp_path / "reports.yml"
    cfg.write_text(f"notebooks: {NB_DIR}\nreports: [ok_report]\n", encoding="utf-8")
    code = cli.run_main(["--config", str(cfg), "--data", str(sample), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the reports folder" in err and "Traceback" not in err
    assert not target.exists() or not list(target.rglob("*.html"))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [390, 1280])
def test_screenshots_are_not_blank(runs, width, tmp_path):
    from PIL import Image, ImageStat

    run = runs["run"]
    shots = Path(os.environ.get("INSIGHT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "data_quality.html"):
        png = shots / f"{name.split('.')[0]}-{width}.png"
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                        f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},1400",
                        f"--screenshot={png}", (run / name).as_uri()],
                       capture_output=True, timeout=120, check=False)
        assert png.is_file(), f"no screenshot of {name}"
        img = Image.open(png).convert("L")
        assert img.size == (width, 1400)
        assert ImageStat.Stat(img.crop((0, 0, width, 200))).stddev[0] > 5, f"{png}: empty header"
        stat = ImageStat.Stat(img)
        assert stat.stddev[0] > 10, f"{png} looks blank"


def test_quarantined_rows_land_beside_the_run_output(runs):
    # the review whose created_at is a script tag is quarantined into <run>/quarantine/reviews.csv
    q = runs["run"] / "quarantine" / "reviews.csv"
    assert q.is_file()
    rows = list(csv.DictReader(q.open(encoding="utf-8-sig")))
    assert len(rows) >= 1 and all(r["reason"] for r in rows)
    assert any("created_at" in r["reason"] for r in rows)
