"""Atomic publishing of a run: tmp folder -> ``reports/<run-id>/`` -> ``reports/latest``.

A run is built in ``reports/.tmp-<run-id>/`` and renamed into place only when
every page, ``index.html`` and ``manifest.json`` are written.  ``latest`` is a
symlink swapped atomically (made under a temporary name, then ``os.replace``)
and only when every report of the run succeeded.  An interrupted run removes
its tmp folder; one killed outright leaves it behind, and the next run removes
tmp folders whose process is gone.
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import platform
import secrets
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from insight import show
from insight.report import html

TMP_PREFIX = ".tmp-"
PACKAGES = ("insight", "pandas", "numpy", "matplotlib", "papermill", "nbconvert", "nbclient",
            "ipykernel", "jdatetime", "hazm", "statsmodels", "scikit-learn", "scipy", "pyarrow", "duckdb")


class PublishError(OSError):
    """The reports folder cannot be written (read-only, full, not a folder)."""


def new_run_id(now: _dt.datetime | None = None) -> str:
    now = now or _dt.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def plain_os_error(e: OSError, where: Path) -> str:
    reason = {errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
              errno.EPERM: "permission denied", errno.ENOSPC: "no space left on the device",
              errno.EDQUOT: "disk quota exceeded", errno.ENOTDIR: "a file is in the way of a folder"}
    why = reason.get(e.errno or 0, e.strerror or str(e))
    return f"cannot write the reports folder {where}: {why}"


def prepare(out_dir: Path, run_id: str) -> Path:
    """Create ``out_dir/.tmp-<run_id>`` (and ``out_dir``); PublishError with a plain message."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        clean_stale(out_dir)
        tmp = out_dir / f"{TMP_PREFIX}{run_id}"
        tmp.mkdir()
        (tmp / ".pid").write_text(str(os.getpid()))
        return tmp
    except OSError as e:
        raise PublishError(plain_os_error(e, out_dir)) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove tmp folders left by runs whose process no longer exists."""
    removed = []
    for d in out_dir.glob(f"{TMP_PREFIX}*"):
        try:
            pid = int((d / ".pid").read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid) and pid != os.getpid():
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def discard(tmp: Path | None) -> None:
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def finalize(tmp: Path, out_dir: Path, run_id: str) -> Path:
    """Rename the complete tmp folder into ``out_dir/<run_id>``."""
    shutil.rmtree(tmp / ".work", ignore_errors=True)
    (tmp / ".pid").unlink(missing_ok=True)
    final = out_dir / run_id
    try:
        os.rename(tmp, final)
    except OSError as e:
        raise PublishError(plain_os_error(e, out_dir)) from None
    return final


def move_latest(out_dir: Path, run_id: str) -> None:
    """Point ``out_dir/latest`` at ``run_id`` atomically."""
    link = out_dir / "latest"
    tmp_link = out_dir / f".latest-{run_id}"
    try:
        tmp_link.unlink(missing_ok=True)
        os.symlink(run_id, tmp_link, target_is_directory=True)
        os.replace(tmp_link, link)
    except OSError as e:
        tmp_link.unlink(missing_ok=True)
        raise PublishError(plain_os_error(e, out_dir)) from None


def write_atomic(path: Path, text: str) -> None:
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


# ------------------------------------------------------------------ manifest

def fingerprint(path: Path) -> dict:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return {"sha256": h.hexdigest(), "size": path.stat().st_size}


def fingerprints(data_dir: Path, mapping: Path | None = None) -> dict:
    """sha256 + size of every (non-hidden) file under ``data_dir`` and of the mapping."""
    files = []
    for p in sorted(data_dir.rglob("*")):
        rel = p.relative_to(data_dir)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            files.append({"path": rel.as_posix(), **fingerprint(p)})
    out: dict[str, Any] = {"dir": str(data_dir), "files": files}
    if mapping is not None:
        out["mapping"] = {"path": str(mapping), **fingerprint(mapping)}
    return out


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def read_manifest(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def previous_manifest(out_dir: Path, exclude: str = "") -> dict | None:
    """The manifest of the most recent published run (by run-id) other than ``exclude``."""
    try:
        runs = sorted((d for d in out_dir.iterdir()
                       if d.is_dir() and not d.is_symlink() and not d.name.startswith(".")
                       and d.name != exclude and d.name[:8].isdigit()), reverse=True)
    except OSError:
        return None
    for d in runs:
        m = read_manifest(d)
        if m:
            return m
    return None


def previous_headlines(prev: dict | None) -> dict[str, dict[str, dict]]:
    """{report: {headline name: record}} from a manifest."""
    out: dict[str, dict[str, dict]] = {}
    for r in (prev or {}).get("reports", []):
        out[r["name"]] = {h["name"]: h for h in r.get("headlines", []) if "name" in h}
    return out


# ------------------------------------------------------------------ index page

_I = {
    "title": ("گزارش‌های بینش مشتری", "Customer insight reports"),
    "ok": ("انجام شد", "ok"), "failed": ("ناموفق", "failed"), "skipped": ("رد شد", "skipped"),
    "seconds": ("ثانیه", "s"),
    "run": ("اجرا", "Run"), "started": ("شروع", "Started"), "finished": ("پایان", "Finished"),
    "data": ("داده‌ها", "Data"), "files": ("فایل", "files"), "params": ("پارامترها", "Parameters"),
    "versions": ("نسخه‌ها", "Versions"), "status": ("وضعیت", "Status"),
    "not_latest": ("چون همهٔ گزارش‌ها موفق نبودند، «latest» هنوز به اجرای موفق قبلی اشاره می‌کند.",
                   "Not every report succeeded, so 'latest' still points at the previous complete run."),
    "failed_why": ("این گزارش ساخته نشد. خطا:", "This report was not produced. Error:"),
    "kept": ("دفترچهٔ اجراشده برای بررسی نگه داشته شد:", "The executed notebook was kept for review:"),
    "previous": ("مقایسه با اجرای", "Compared with run"),
    "skipped_h": ("گزارش‌هایی که اجرا نشدند", "Reports not run"),
    "summary": ("{n} گزارش: {ok} موفق، {failed} ناموفق", "{n} reports: {ok} ok, {failed} failed"),
}


def _t(key: str, lang: str) -> str:
    fa, en = _I[key]
    return fa if lang == "fa" else en


def _when(iso: str | None, lang: str) -> str:
    if not iso:
        return "—"
    return html.now_text(lang, _dt.datetime.fromisoformat(iso))


def index_html(manifest: dict, previous: dict | None = None) -> str:
    """The run's index page: links, headline figures with change, errors in plain words, run info."""
    lang = manifest.get("lang", "fa")
    prev = previous_headlines(previous)
    items = []
    for r in manifest["reports"]:
        title = show.escape(r.get("title") or r["name"])
        status = r["status"]
        secs = show.number(r.get("duration_s") or 0, 1, lang=lang)
        head = (f'<a class="title" href="{show.escape(r["html"])}">{title}</a>' if r.get("html")
                else f'<span class="title">{title}</span>')
        line = (f'{head} · <span class="status-{status}">{show.escape(_t(status, lang))}</span>'
                f' · <span class="note">{secs} {show.escape(_t("seconds", lang))}</span>')
        body = html.headlines_html(r.get("headlines") or [], lang,
                                   prev.get(r["name"], {}) if previous else None)
        if status == "failed":
            err = f'{r.get("error_type") or "Error"}: {r.get("error_message") or ""}'.rstrip(": ")
            body += (f'<div class="finding error">{show.escape(_t("failed_why", lang))} '
                     f'<bdi dir="ltr">{show.safe(err)}</bdi>')
            if r.get("failed_notebook"):
                body += (f'<br><span class="note">{show.escape(_t("kept", lang))} '
                         f'<bdi dir="ltr">{show.escape(r["failed_notebook"])}</bdi></span>')
            body += "</div>"
        items.append(f"<li>{line}{body}</li>")
    n = len(manifest["reports"])
    n_ok = sum(r["status"] == "ok" for r in manifest["reports"])
    summary = _t("summary", lang).format(n=show.number(n, lang=lang), ok=show.number(n_ok, lang=lang),
                                         failed=show.number(n - n_ok, lang=lang))
    parts = [f'<p class="{"status-ok" if n_ok == n else "status-failed"}">{show.escape(summary)}</p>']
    if n_ok != n:
        parts.append(f'<div class="finding warn">{show.escape(_t("not_latest", lang))}</div>')
    parts.append(f'<ul class="reports">{"".join(items)}</ul>')
    skipped = manifest.get("skipped") or []
    if skipped:
        why = "هنوز دفترچه‌ای برای این گزارش نوشته نشده است" if lang == "fa" else "no notebook written yet"
        lis = "".join(f'<li><span class="status-skipped">{show.escape(s.get("title") or s["name"])}</span>'
                      f' — <span class="note">{show.escape(why)} '
                      f'(<bdi dir="ltr">{show.escape(s.get("notebook") or s["name"])}</bdi>)</span></li>'
                      for s in skipped)
        parts.append(f"<h2>{show.escape(_t('skipped_h', lang))}</h2><ul>{lis}</ul>")
    data = manifest.get("data") or {}
    files = data.get("files") or []
    size = sum(f.get("size", 0) for f in files)
    info = [
        (_t("run", lang), f'<bdi dir="ltr">{show.escape(manifest["run_id"])}</bdi>'),
        (_t("started", lang), show.escape(_when(manifest.get("started_at"), lang))),
        (_t("finished", lang), show.escape(_when(manifest.get("finished_at"), lang))),
        (_t("data", lang), f'<bdi dir="ltr">{show.escape(Path(data.get("dir", "")).name)}</bdi> · '
                           f'{show.number(len(files), lang=lang)} {show.escape(_t("files", lang))} · '
                           f'{show.number(size / 1e6, 1, lang=lang)} MB'),
    ]
    if manifest.get("parameters"):
        info.append((_t("params", lang), '<bdi dir="ltr">' + show.escape(
            ", ".join(f"{k}={v}" for k, v in manifest["parameters"].items())) + "</bdi>"))
    if previous:
        info.append((_t("previous", lang), f'<bdi dir="ltr">{show.escape(previous.get("run_id", ""))}</bdi>'))
    vers = manifest.get("versions") or {}
    info.append((_t("versions", lang), '<bdi dir="ltr">' + show.escape(
        " · ".join(f"{k} {vers[k]}" for k in ("insight", "python", "pandas") if k in vers)) + "</bdi>"))
    parts.append('<dl class="run">' + "".join(f"<dt>{show.escape(k)}</dt><dd>{v}</dd>" for k, v in info) + "</dl>")
    title = manifest.get("title") or _t("title", lang)
    meta = [show.escape(_when(manifest.get("finished_at") or manifest.get("started_at"), lang))]
    return html.page(title, "\n".join(parts), lang=lang, meta_lines=meta)


def write_run_files(tmp: Path, manifest: dict, previous: dict | None) -> None:
    try:
        write_atomic(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
        write_atomic(tmp / "index.html", index_html(manifest, previous))
    except OSError as e:
        raise PublishError(plain_os_error(e, tmp.parent)) from None


def history_html(out_dir: Path, lang: str = "fa") -> str:
    """``reports/index.html``: every published run, newest first, linking to its index."""
    rows = []
    latest = os.readlink(out_dir / "latest") if (out_dir / "latest").is_symlink() else None
    for d in sorted((d for d in out_dir.iterdir() if d.is_dir() and not d.is_symlink()
                     and d.name[:8].isdigit()), reverse=True):
        m = read_manifest(d)
        if not m:
            continue
        n = len(m.get("reports", []))
        ok = sum(r.get("status") == "ok" for r in m.get("reports", []))
        mark = " ★ latest" if d.name == latest else ""
        rows.append(f'<tr><td dir="ltr"><a href="{show.escape(d.name)}/index.html">{show.escape(d.name)}</a>{mark}</td>'
                    f'<td>{show.escape(_when(m.get("started_at"), lang))}</td>'
                    f'<td class="num">{show.number(ok, lang=lang)}/{show.number(n, lang=lang)}</td></tr>')
    head = ("<tr><th>اجرا</th><th>زمان</th><th>موفق</th></tr>" if lang == "fa"
            else "<tr><th>Run</th><th>Time</th><th>OK</th></tr>")
    body = f'<div class="table-wrap"><table class="insight-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'
    return html.page(_t("title", lang), body, lang=lang)


def write_history(out_dir: Path, lang: str = "fa") -> None:
    try:
        write_atomic(out_dir / "index.html", history_html(out_dir, lang))
    except OSError as e:
        raise PublishError(plain_os_error(e, out_dir)) from None


def log_stream_is_tty() -> bool:
    return sys.stderr.isatty()
