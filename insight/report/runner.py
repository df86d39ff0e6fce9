"""Execute report notebooks with papermill and export each to HTML.

One *job* is one notebook.  :func:`run_jobs` runs jobs in a process pool
(``--jobs N``); each worker process executes a notebook and exports its HTML
itself, so papermill and nbconvert are imported once per worker, not once per
notebook.  Parameters go to papermill as typed Python values; the cell that
papermill generates from them is re-parsed and checked to be plain literals
(:func:`insight.report.params.check_injected`) before anything runs.

A failed notebook is kept as ``<name>.failed.ipynb`` beside the pages and its
result carries the exception type and a masked one-line message — never a
traceback.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

KERNEL_NAME = "insight"  # installed by `make setup` with --sys-prefix
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Job:
    name: str
    title: str
    notebook: str           # absolute path
    params: dict[str, Any]  # already coerced to the declared types
    run_dir: str            # the (temporary) run folder pages are written to
    lang: str = "fa"
    kernel_name: str = "python3"
    timeout: int | None = 1800  # seconds per cell
    cwd: str | None = None


@dataclass
class Result:
    name: str
    status: str                 # "ok" | "failed"
    seconds: float
    html: str | None = None     # file name inside the run folder
    failed_notebook: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    headlines: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def kernel_name() -> str:
    """The venv's own kernel ('insight', installed with --sys-prefix) when present, else 'python3'."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
        try:
            spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        except NoSuchKernel:
            return "python3"
        exe = spec.argv[0] if spec.argv else ""
        if exe and os.path.isabs(exe) and not os.path.exists(exe):
            return "python3"  # a stale spec pointing at a removed interpreter
        return KERNEL_NAME
    except Exception:
        return "python3"


def plain_error(ename: str, evalue: str, limit: int = 400) -> tuple[str, str]:
    """(type, masked one-line message) with ANSI colours and tracebacks removed."""
    from insight import show

    msg = _ANSI.sub("", str(evalue or "")).strip()
    msg = msg.splitlines()[0] if msg else ""
    if len(msg) > limit:
        msg = msg[: limit - 1] + "…"
    return (_ANSI.sub("", str(ename or "Error")).strip() or "Error"), show.mask(msg)


# ------------------------------------------------------------------ worker side

def init_worker(log_path: str | None = None) -> None:
    """Pool initializer: the parent handles Ctrl-C and SIGTERM and kills workers itself.

    Kernel chatter (warnings, start-up notices) goes to ``log_path`` instead of
    the run's log, which stays one line per notebook."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    bindir = os.path.dirname(sys.executable)
    # a 'python3' kernelspec whose argv is plain "python" resolves on PATH: make that this venv's
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # jsonschema (via nbformat) optionally imports rfc3987_syntax, which compiles a lark
    # grammar at import (~2.7 s); notebook validation uses no IRI formats, so skip it
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    # warm the heavy imports once per worker
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_job(job: Job) -> Result:
    """Execute one notebook and export its page (runs inside a worker)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from insight import show
    from insight.report import html, params as params_mod

    t0 = time.monotonic()
    run_dir = Path(job.run_dir)
    work = run_dir / ".work"
    work.mkdir(exist_ok=True)
    out_nb = work / f"{job.name}.ipynb"
    nb = None
    try:
        nb = load_notebook_node(job.notebook)
        nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
        nb.metadata.setdefault("language_info", {"name": "python"})
        if job.params:
            nb = parameterize_notebook(nb, job.params, kernel_name=job.kernel_name, language="python")
            injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
            params_mod.check_injected(injected.source, job.params)
        nb = papermill.execute_notebook(
            nb, str(out_nb), parameters=None, kernel_name=job.kernel_name, language="python",
            progress_bar=False, log_output=False, cwd=job.cwd or str(Path(job.notebook).parent),
            execution_timeout=job.timeout,
        )
    except PapermillExecutionError as e:
        return _failed(job, t0, out_nb, e.ename, e.evalue)
    except Exception as e:  # kernel died, timeout, no kernel, refused parameters …
        return _failed(job, t0, out_nb, type(e).__name__, str(e))
    heads, meta = show.collect(nb)
    try:
        page = html.export(nb, title=job.title, lang=job.lang, heads=heads, meta=meta)
        _write_atomic(run_dir / f"{job.name}.html", page)
    except OSError:
        raise  # the output folder is broken: the parent reports it plainly
    except Exception as e:
        return _failed(job, t0, out_nb, type(e).__name__, f"HTML export failed: {e}")
    finally:
        out_nb.unlink(missing_ok=True)
    return Result(job.name, "ok", round(time.monotonic() - t0, 2), html=f"{job.name}.html",
                  headlines=heads, meta=meta)


def _failed(job: Job, t0: float, out_nb: Path, ename: str, evalue: str) -> Result:
    etype, msg = plain_error(ename, evalue)
    kept = None
    if out_nb.exists():
        target = Path(job.run_dir) / f"{job.name}.failed.ipynb"
        os.replace(out_nb, target)
        kept = target.name
    return Result(job.name, "failed", round(time.monotonic() - t0, 2), failed_notebook=kept,
                  error_type=etype, error_message=msg)


# ------------------------------------------------------------------ parent side

class Interrupted(Exception):
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def kill_tree(pids, grace: float = 3.0) -> None:
    """Terminate processes ``pids`` and all their descendants (kernels), then kill stragglers."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with ipykernel
        return
    procs = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs.extend(p.children(recursive=True))
            procs.append(p)
        except psutil.Error:
            pass
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=grace)


def _worker_pids(pool: ProcessPoolExecutor) -> list[int]:
    return list((getattr(pool, "_processes", None) or {}).keys())


def run_jobs(jobs: list[Job], n_jobs: int,
             on_done: Callable[[Job, Result], None] | None = None,
             log_path: str | None = None) -> list[Result]:
    """Run ``jobs`` on ``n_jobs`` worker processes; results in job order.

    :class:`Interrupted` (raised by the caller's signal handler) propagates after
    every worker and kernel has been stopped."""
    if not jobs:
        return []
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=max(1, min(n_jobs, len(jobs))), mp_context=ctx,
                               initializer=init_worker, initargs=(log_path,))
    results: dict[str, Result] = {}
    futures: dict[Future, Job] = {}
    try:
        for job in jobs:
            futures[pool.submit(run_job, job)] = job
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                job = futures[fut]
                exc = fut.exception()
                if isinstance(exc, OSError):
                    raise exc
                res = fut.result() if exc is None else Result(
                    job.name, "failed", 0.0, error_type=type(exc).__name__,
                    error_message=plain_error(type(exc).__name__, str(exc))[1])
                results[job.name] = res
                if on_done:
                    on_done(job, res)
    except BaseException:
        kill_tree(_worker_pids(pool))
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    # every job is done and every kernel shut down: stop the idle workers now rather
    # than wait for their interpreters to wind down
    kill_tree(_worker_pids(pool), grace=2.0)
    pool.shutdown(wait=False)
    return [results[j.name] for j in jobs]


def result_dict(r: Result) -> dict:
    return json.loads(json.dumps(r.__dict__, default=str))
