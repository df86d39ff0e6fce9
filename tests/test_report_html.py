"""HTML export: no code, no tracebacks, RTL, self-contained, data text escaped (no kernel needed)."""
from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from insight import show
from insight.report import html, publish

PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082")).decode()


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.root: dict = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "html":
            self.root = dict(attrs)
        for k, v in attrs:
            v = (v or "").strip().lower()
            if k in ("src", "href", "srcset", "data", "poster", "action", "xlink:href") and \
                    (v.startswith(("http:", "https:", "//"))) and tag != "a":
                self.bad.append((tag, k, v))


def check_page(text: str) -> _Refs:
    """Parse a page and assert the invariants every report page must hold."""
    p = _Refs()
    p.feed(text)
    assert p.bad == [], f"external resources: {p.bad}"
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert "Traceback" not in text and "Error</span>" not in text
    assert "http://" not in text.split("<body>")[0] and "https://" not in text.split("<body>")[0]
    assert "@import" not in text and "mathjax" not in text.lower() and "require.js" not in text
    return p


def _nb():
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    evil = show.quote("<script>alert(1)</script>")
    nb.cells = [
        new_markdown_cell("## بخش اول\n\nروایت فارسی $x$"),
        new_markdown_cell("English only narrative", metadata={"tags": ["lang-en"]}),
        new_code_cell("data_dir = 'x'", metadata={"tags": ["parameters"]}),
        new_code_cell("SECRET_SOURCE_CODE = 1", outputs=[
            new_output("stream", name="stderr", text="UserWarning: noisy\n"),
            new_output("stream", name="stdout", text="plain <b>stdout</b>\n"),
            new_output("display_data", data={"text/html": str(evil), "text/plain": "x"}),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            new_output("display_data", data={"application/javascript": "alert(1)", "text/plain": ""}),
            new_output("display_data", data={"text/markdown": "**bold** <img src=x onerror=alert(1)>"}),
            new_output("display_data", data={"text/html": '<img src="https://cdn.example.com/x.png">'
                                                         '<a href="https://example.com">ok link</a>'}),
            new_output("display_data", data=show.headline_bundle("n_orders", 1234, label="سفارش")),
            new_output("error", ename="KeyError", evalue="'col'", traceback=["Traceback (most recent call last)", "..."]),
        ]),
    ]
    return nb


def test_export_fa_page():
    page = html.export(_nb(), title="گزارش <آزمایشی>", lang="fa")
    p = check_page(page)
    assert p.root == {"dir": "rtl", "lang": "fa"}
    assert "SECRET_SOURCE_CODE" not in page and "data_dir" not in page  # no input cells
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert "noisy" not in page  # stderr dropped
    assert "plain &lt;b&gt;stdout&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # markdown output not rendered
    assert "alert(1)</" not in page
    assert "data:image/png;base64," in page
    assert "cdn.example.com" not in page and 'href="https://example.com"' in page
    assert "English only narrative" not in page and "روایت فارسی" in page
    assert "این بخش اجرا نشد: KeyError" in page and "most recent call" not in page
    assert "$" not in page.split("<body>")[1]
    assert "&lt;آزمایشی&gt;" in page  # title escaped
    assert "font-family:Vazirmatn" in page and "data:font/woff2;base64," in page
    assert "Vazirmatn, 'DejaVu Sans', Tahoma, sans-serif" in page
    # the headline sits in the summary strip above the body, once
    assert page.index('class="headlines"') < page.index('class="report-body"')
    assert page.count("۱٬۲۳۴") == 1
    assert "تهیه‌شده در" in page


def test_export_en_page():
    page = html.export(_nb(), title="Report", lang="en")
    p = check_page(page)
    assert p.root == {"dir": "ltr", "lang": "en"}
    assert "English only narrative" in page and "1,234" in page
    assert "This step did not run: KeyError" in page


def test_strip_external():
    body = ('<script src="https://x/require.js"></script><link rel="stylesheet" href="https://cdn/x.css">'
            '<img src="//cdn/x.png" alt="a"><a href="https://ok">k</a><div style="background:url(https://t/x)"></div>')
    out = html.strip_external(body)
    assert "require.js" not in out and "cdn" not in out and 'href="https://ok"' in out and "t/x" not in out


def test_index_page_with_failure_and_change(tmp_path):
    prev = {"run_id": "20240101-000000-aaaa", "reports": [
        {"name": "a", "headlines": [{"name": "nps", "value": 30.0, "better": "higher"},
                                    {"name": "late", "value": 0.2, "better": "lower", "percent": True}]}]}
    manifest = {
        "run_id": "20240102-000000-bbbb", "lang": "en", "started_at": "2024-01-02T06:30:00",
        "finished_at": "2024-01-02T06:31:00", "data": {"dir": "/d/sample", "files": [{"path": "o.csv", "size": 10}]},
        "parameters": {"min_n": "5"}, "versions": {"insight": "0.1.0"},
        "reports": [
            {"name": "a", "title": "A <report>", "status": "ok", "html": "a.html", "duration_s": 3.2,
             "headlines": [{"name": "nps", "value": 35.0, "better": "higher", "label": "NPS"},
                           {"name": "late", "value": 0.25, "better": "lower", "percent": True, "label": "Late"}]},
            {"name": "b", "title": "B", "status": "failed", "duration_s": 1.0, "failed_notebook": "b.failed.ipynb",
             "error_type": "ValueError", "error_message": "bad <b>value</b> for 09121234567"},
        ],
        "skipped": [{"name": "c", "title": "C", "notebook": "notebooks/c.ipynb", "reason": "no notebook yet"}],
    }
    page = publish.index_html(manifest, prev)
    check_page(page)
    assert 'href="a.html"' in page and "A &lt;report&gt;" in page
    assert "▲ +5.0 vs previous run" in page and 'class="change better"' in page
    assert "▲ +5.0 pp vs previous run" in page and 'class="change worse"' in page
    assert "ValueError: bad &lt;b&gt;value&lt;/b&gt;" in page and "09121234567" not in page
    assert "b.failed.ipynb" in page and "latest" in page
    assert "no notebook written yet" in page
    assert "1 ok, 1 failed" in page


def test_publish_atomic_latest_and_stale_tmp(tmp_path):
    out = tmp_path / "reports"
    tmp = publish.prepare(out, "20240101-000000-aaaa")
    (tmp / "x.html").write_text("x")
    final = publish.finalize(tmp, out, "20240101-000000-aaaa")
    assert final.is_dir() and not tmp.exists() and not (final / ".pid").exists()
    publish.move_latest(out, final.name)
    assert (out / "latest").is_symlink() and (out / "latest" / "x.html").read_text() == "x"
    # a tmp folder of a dead process is cleaned by the next run; a live one is kept
    dead = out / ".tmp-dead"
    dead.mkdir()
    (dead / ".pid").write_text("999999999")
    live = publish.prepare(out, "20240101-000001-bbbb")
    assert not dead.exists() and live.exists()
    publish.discard(live)
    assert not live.exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_plain_os_errors():
    import errno
    msg = publish.plain_os_error(OSError(errno.ENOSPC, "No space left on device"), Path("/r"))
    assert msg == "cannot write the reports folder /r: no space left on the device"
    assert "read-only" in publish.plain_os_error(OSError(errno.EROFS, "x"), Path("/r"))


def test_fingerprints(tmp_path):
    (tmp_path / "orders.csv").write_bytes(b"abc")
    (tmp_path / ".hidden").write_bytes(b"x")
    fp = publish.fingerprints(tmp_path)
    assert fp["files"] == [{"path": "orders.csv", "size": 3,
                            "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}]
    json.dumps(fp)


def test_nbformat_roundtrip_of_test_notebooks():
    root = Path(__file__).resolve().parents[1]
    for p in [*(root / "tests/data/notebooks").glob("*.ipynb"), root / "notebooks/data_quality.ipynb"]:
        nb = nbformat.read(p, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3" and nb.metadata["language_info"]["name"] == "python"
