"""``insight run`` and ``insight schedule``.

Exit codes of ``insight run``:

* 0 — every report ran and was published; ``reports/latest`` points at the run
* 1 — some report failed: the run is published under its run-id (failed
  reports listed with their error in plain words, their executed notebook kept
  as ``<name>.failed.ipynb``) but ``latest`` is NOT moved
* 2 — nothing was run: bad configuration (unknown report or parameter, wrong
  type, unreadable reports.yml), missing data folder, a ``DataError`` while
  loading the data, or a reports folder that cannot be written
* 130 / 143 — interrupted by SIGINT / SIGTERM: workers stopped, the
  temporary folder removed, nothing published
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

from insight.report import config as config_mod
from insight.report import params as params_mod

#: parameters ``insight run`` fills in for every notebook that declares them
AUTO = {
    "data_dir": "absolute path of --data",
    "mapping": "absolute path of --mapping ('' when none)",
    "lang": "--lang (fa or en)",
    "out_dir": "absolute path of this run's folder (write exported files here, link them by file name)",
    "run_id": "this run's id",
}


def _use_colour() -> bool:
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def log(msg: str) -> None:
    print(f"{_dt.datetime.now():%H:%M:%S} {msg}", file=sys.stderr, flush=True)


def _status(word: str) -> str:
    if not _use_colour():
        return word
    colour = {"ok": "32", "failed": "31", "skipped": "33"}.get(word, "0")
    return f"\x1b[{colour}m{word}\x1b[0m"


def _fail(msg: str, code: int = 2) -> int:
    print(f"insight run: {msg}", file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="insight run", description="Run the report suite (papermill) and publish "
                                "self-contained HTML to <out>/<run-id>/; <out>/latest points at the last complete run.")
    p.add_argument("--config", default="reports.yml", help="suite file (default: ./reports.yml)")
    p.add_argument("--data", help="folder with the exported tables (default: reports.yml defaults.data)")
    p.add_argument("--mapping", help="column-mapping YAML for the data")
    p.add_argument("--out", help="reports folder (default: reports.yml defaults.out)")
    p.add_argument("--lang", choices=("fa", "en"), help="report language (default: fa)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these reports")
    p.add_argument("-p", dest="params", action="append", default=[], metavar="KEY=VALUE",
                   help="set a notebook parameter (typed as the notebook declares it); repeatable")
    p.add_argument("--jobs", type=int, help="notebooks run in parallel (default: reports.yml defaults.jobs or 1)")
    p.add_argument("--describe", metavar="NAME", help="list a report's parameters and exit")
    return p


def _parse(parser: argparse.ArgumentParser, argv: list[str]):
    try:
        return parser.parse_args(argv), None
    except SystemExit as e:
        return None, int(e.code or 0)


def describe(cfg: config_mod.Config, name: str) -> int:
    rep = cfg.report(name)
    nb = rep.notebook if rep else cfg.root / "notebooks" / f"{name}.ipynb"
    if rep is None and not nb.exists():
        return _fail(f"unknown report {name!r}; reports.yml lists: {', '.join(r.name for r in cfg.reports)}")
    try:
        ps = params_mod.read(nb)
    except params_mod.ParamError as e:
        return _fail(str(e))
    print(f"{name}  ({_rel(nb)})")
    if not ps:
        print("  (no parameters)")
    width = max((len(f"{p.name}: {p.type} = {p.default!r}") for p in ps), default=0)
    for p in ps:
        decl = f"{p.name}: {p.type} = {p.default!r}"
        note = f"  [set by insight run: {AUTO[p.name]}]" if p.name in AUTO else ""
        print(f"  {decl:<{width}}  # {p.help}{note}".rstrip())
    return 0


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _abs(value: str | None, cfg: config_mod.Config, from_cli: bool) -> Path | None:
    if not value:
        return None
    return Path(value).expanduser().resolve() if from_cli else cfg.path_of(value).resolve()


class _Signal(Exception):
    pass


def run_main(argv: list[str]) -> int:
    args, code = _parse(_parser(), argv)
    if args is None:
        return code
    try:
        cfg = config_mod.load(args.config)
    except config_mod.ConfigError as e:
        return _fail(str(e))
    if args.describe:
        return describe(cfg, args.describe)

    d = cfg.defaults
    lang = args.lang or d.get("lang", "fa")
    data = _abs(args.data, cfg, True) if args.data else _abs(d.get("data"), cfg, False)
    out = _abs(args.out, cfg, True) if args.out else (_abs(d.get("out"), cfg, False) or cfg.root / "reports")
    mapping = _abs(args.mapping, cfg, True) if args.mapping else _abs(d.get("mapping"), cfg, False)
    if args.mapping and not args.data and mapping is not None and mapping.is_file():
        # a mapping given alone says where its data is (data_dir, else its own folder)
        from insight.data import DataError, read_mapping
        try:
            m = read_mapping(mapping)
        except DataError as e:
            return _fail(str(e))
        data = Path(m.data_dir) if m.data_dir else mapping.parent
    jobs = args.jobs if args.jobs is not None else int(d.get("jobs", 1))
    if jobs < 0:
        return _fail("--jobs must be 0 (one per core) or more")
    jobs = jobs or (os.cpu_count() or 1)
    timeout = int(d.get("timeout", 1800)) or None

    # ---- which reports
    if args.only:
        unknown = [n for n in args.only if cfg.report(n) is None]
        if unknown:
            return _fail(f"unknown report(s) {', '.join(unknown)}; reports.yml lists: "
                         f"{', '.join(r.name for r in cfg.reports)}")
        selected = [r for r in cfg.reports if r.name in args.only]
        missing = [r.name for r in selected if not r.notebook.exists()]
        if missing:
            return _fail(f"no notebook for {', '.join(missing)} (looked for "
                         f"{', '.join(_rel(cfg.report(n).notebook) for n in missing)})")
    else:
        selected = list(cfg.reports)
    skipped = [r for r in selected if not r.notebook.exists()]
    selected = [r for r in selected if r.notebook.exists()]
    if not selected:
        return _fail("no report notebook exists yet for the reports listed in " + _rel(cfg.path))

    # ---- parameters: declared types checked before anything runs
    try:
        cli_params = params_mod.parse_assignments(args.params)
        declared = {r.name: params_mod.read(r.notebook) for r in selected}
    except params_mod.ParamError as e:
        return _fail(str(e))
    all_names = {p.name for ps in declared.values() for p in ps}
    for source, given in (("-p", cli_params), (f"{_rel(cfg.path)} parameters", cfg.parameters)):
        unknown = sorted(set(given) - all_names)
        if unknown:
            return _fail(f"unknown parameter(s) {', '.join(unknown)} ({source}); no selected report "
                         f"declares them — see insight run --describe NAME")
    from insight.report import publish, runner

    run_id = publish.new_run_id()
    tmp_dir = out / f"{publish.TMP_PREFIX}{run_id}"
    auto = {"data_dir": str(data) if data else "", "mapping": str(mapping) if mapping else "",
            "lang": lang, "out_dir": str(tmp_dir), "run_id": run_id}
    kernel = runner.kernel_name()
    job_list = []
    for rep in selected:
        names = {p.name for p in declared[rep.name]}
        given: dict[str, Any] = {k: v for k, v in cfg.parameters.items() if k in names}
        given.update(rep.parameters)
        given.update({k: v for k, v in auto.items() if k in names})
        given.update({k: v for k, v in cli_params.items() if k in names})
        try:
            values = params_mod.resolve(declared[rep.name], given, notebook=rep.name)
        except params_mod.ParamError as e:
            return _fail(str(e))
        job_list.append(runner.Job(rep.name, rep.title(lang), str(rep.notebook.resolve()), values,
                                   str(tmp_dir), lang, kernel, timeout, str(rep.notebook.resolve().parent)))

    # ---- data
    if data is None:
        return _fail("no data folder: pass --data DIR (or set defaults.data in reports.yml)")
    if not data.is_dir():
        return _fail(f"data folder not found: {data}")
    if mapping is not None and not mapping.is_file():
        return _fail(f"mapping file not found: {mapping}")
    # pre-flight: unusable data fails once, here, with one plain message (exit 2),
    # instead of in every notebook; nothing is written
    from insight.data import DataError, load
    try:
        load(data, mapping)
    except DataError as e:
        return _fail(f"the data cannot be used: {e}")

    return _execute(cfg, run_id, out, data, mapping, lang, jobs, job_list, skipped, cli_params)


def _execute(cfg, run_id, out, data, mapping, lang, jobs, job_list, skipped, cli_params) -> int:
    from insight.report import publish, runner

    caught: list[int] = []

    def on_signal(signum, frame):
        if caught:
            return
        caught.append(signum)
        raise runner.Interrupted(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    tmp = None
    started = _dt.datetime.now()
    t0 = time.monotonic()
    try:
        try:
            tmp = publish.prepare(out, run_id)
        except publish.PublishError as e:
            return _fail(str(e))
        log(f"insight run {run_id}: {len(job_list)} report(s), {min(jobs, len(job_list))} at a time, "
            f"data {data}, lang {lang}")
        for r in skipped:
            log(f"  skip {r.name}: no notebook yet ({_rel(r.notebook)})")
        fps = publish.fingerprints(data, mapping)
        width = max(len(j.name) for j in job_list)
        done = [0]

        def on_done(job, res):
            done[0] += 1
            msg = f"[{done[0]}/{len(job_list)}] {job.name:<{width}} {_status(res.status):<6} {res.seconds:6.1f}s"
            if res.status != "ok":
                msg += f"  {res.error_type}: {res.error_message}"
            log(msg)

        results = runner.run_jobs(job_list, jobs, on_done=on_done, log_path=str(tmp / "workers.log"))
        finished = _dt.datetime.now()
        ok = all(r.status == "ok" for r in results)
        prev = publish.previous_manifest(out, exclude=run_id)
        manifest = {
            "run_id": run_id, "status": "ok" if ok else "failed", "lang": lang,
            "title": cfg.title(lang),
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - t0, 2),
            "config": str(cfg.path), "command": "insight run " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
            "parameters": cli_params, "data": fps, "versions": publish.versions(),
            "previous_run": prev.get("run_id") if prev else None,
            "reports": [dict(runner.result_dict(r), title=j.title, notebook=_rel(Path(j.notebook)),
                             parameters=j.params, duration_s=r.seconds)
                        for j, r in zip(job_list, results)],
            "skipped": [{"name": r.name, "title": r.title(lang), "notebook": _rel(r.notebook),
                         "reason": "no notebook yet"} for r in skipped],
        }
        for rep in manifest["reports"]:
            rep.pop("seconds", None)
        if ok:
            (tmp / "workers.log").unlink(missing_ok=True)  # kept only to diagnose a failed run
        publish.write_run_files(tmp, manifest, prev)
        final = publish.finalize(tmp, out, run_id)
        tmp = None
        if ok:
            publish.move_latest(out, run_id)
        try:
            publish.write_history(out, lang)
        except publish.PublishError as e:
            log(f"warning: {e}")
        n_ok = sum(r.status == "ok" for r in results)
        code = 0 if ok else 1
        if any((r.error_type or "").endswith("DataError") for r in results if r.status != "ok"):
            log("the data could not be loaded (DataError): fix the data or the mapping (insight validate)")
            code = 2
        log(f"done in {time.monotonic() - t0:.1f}s: {n_ok}/{len(results)} ok -> {_rel(final)}/index.html"
            + ("" if ok else "  (latest not moved: a report failed)") + f"  exit {code}")
        return code
    except runner.Interrupted as e:
        publish.discard(tmp)
        tmp = None
        log(f"interrupted by {signal.Signals(e.signum).name}: workers stopped, nothing published")
        return 128 + e.signum
    except publish.PublishError as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(publish.plain_os_error(e, out))
    finally:
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)
        publish.discard(tmp)
        for s, h in old.items():
            signal.signal(s, h)


def schedule_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="insight schedule",
                                description="Print the crontab line that runs the suite on reports.yml's schedule.")
    p.add_argument("--config", default="reports.yml", help="suite file (default: ./reports.yml)")
    args, code = _parse(p, argv)
    if args is None:
        return code
    try:
        cfg = config_mod.load(args.config)
    except config_mod.ConfigError as e:
        print(f"insight schedule: {e}", file=sys.stderr)
        return 2
    project = cfg.root
    exe = Path(sys.prefix) / "bin" / "insight"
    try:
        exe_s = str(exe.relative_to(project))
    except ValueError:
        exe_s = str(exe)
    out = cfg.defaults.get("out") or "reports"
    conf = os.path.relpath(cfg.path, project)
    print(f"{cfg.schedule} cd {shlex.quote(str(project))} && mkdir -p {shlex.quote(out)} && "
          f"{shlex.quote(exe_s)} run --config {shlex.quote(conf)} >> {shlex.quote(out + '/cron.log')} 2>&1")
    return 0
