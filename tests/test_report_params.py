"""Typed notebook parameters: parsed with ast, coerced, unknown/wrong types rejected before running."""
from __future__ import annotations

import datetime as dt
import os
import json
from pathlib import Path

import pytest

from insight.report import cli, params
from insight.report.params import Param, ParamError

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "tests" / "data" / "notebooks"

CELL = '''\
data_dir: str = "../data/sample"  # folder with the exported tables
min_n: int = 30                    # smallest group shown
alpha: float = 0.05                # significance level
verbose: bool = False              # print more
segments: list[str] = ["a", "b"]   # limit to these
legacy = 3                         # untyped: inferred int
'''


def test_parse_reads_types_defaults_and_help():
    ps = params.parse(CELL)
    assert [(p.name, p.type, p.default) for p in ps] == [
        ("data_dir", "str", "../data/sample"), ("min_n", "int", 30), ("alpha", "float", 0.05),
        ("verbose", "bool", False), ("segments", "list[str]", ["a", "b"]), ("legacy", "int", 3)]
    assert ps[0].help == "folder with the exported tables"
    assert ps[1].help == "smallest group shown"


def test_parse_never_executes_code(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ParamError, match="literal"):
        params.parse(f'x: str = open("{marker}", "w").name  # not a literal\n')
    with pytest.raises(ParamError, match="only 'name: type = default'"):
        params.parse(f'import os\nos.system("touch {marker}")\n')
    assert not marker.exists()


@pytest.mark.parametrize("src, msg", [
    ("x: dict = {}", "use one of"),
    ("x: int = 'a'", "not a int"),
    ("x: int", "no default"),
    ("x: int = (", "line 1"),
])
def test_parse_rejects_bad_cells(src, msg):
    with pytest.raises(ParamError, match=msg):
        params.parse(src)


def test_read_notebook_parameters():
    ps = params.read(NB_DIR / "ok_report.ipynb")
    assert {p.name: p.type for p in ps} == {"data_dir": "str", "lang": "str", "min_rating": "int",
                                            "label": "str", "tags": "list[str]"}
    dq = params.read(ROOT / "notebooks" / "data_quality.ipynb")
    assert [p.name for p in dq][:3] == ["data_dir", "mapping", "lang"]


@pytest.mark.parametrize("type_, raw, want", [
    ("int", "42", 42), ("int", "-7", -7), ("int", "۱۲۳", 123),
    ("float", "0.5", 0.5), ("float", "3", 3.0), ("float", "۲٫۵", 2.5),
    ("bool", "true", True), ("bool", "No", False), ("bool", "1", True),
    ("str", "  keep spaces ", "  keep spaces "),
    ("list[str]", "a, b,c", ["a", "b", "c"]), ("list[str]", '["x,y", "z"]', ["x,y", "z"]),
    ("list[str]", "", []), ("list[int]", "1,2", [1, 2]),
])
def test_coerce_strings(type_, raw, want):
    got = params.coerce(Param("p", type_, None), raw)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("type_, value", [
    ("int", "4.5"), ("int", "abc"), ("int", True), ("float", "nan"), ("float", "x"),
    ("bool", "maybe"), ("str", 5), ("list[str]", 5), ("list[int]", "1,a"),
])
def test_coerce_rejects_wrong_types(type_, value):
    with pytest.raises(ParamError):
        params.coerce(Param("p", type_, None), value)


def test_coerce_yaml_values():
    assert params.coerce(Param("d", "str", ""), dt.date(2024, 1, 31)) == "2024-01-31"
    assert params.coerce(Param("f", "float", 0.0), 3) == 3.0
    assert params.coerce(Param("n", "int", 0), 3) == 3


def test_date_parameters_are_iso_strings():
    p = Param("today", "str", "", "extraction date YYYY-MM-DD ('' = today)")
    assert params.coerce(p, "2024-09-01") == "2024-09-01" and params.coerce(p, "") == ""
    assert params.coerce(p, dt.date(2024, 9, 1)) == "2024-09-01"
    with pytest.raises(ParamError, match="YYYY-MM-DD"):
        params.coerce(p, "notadate")


def test_resolve_unknown_parameter():
    ps = params.parse(CELL)
    with pytest.raises(ParamError, match="unknown parameter 'nope'"):
        params.resolve(ps, {"nope": "1"}, notebook="nb")
    assert params.resolve(ps, {"min_n": "5"}) == {"min_n": 5}


def test_injection_value_stays_a_string():
    evil = 'x"; import os; os.system("touch /tmp/pwned")  #'
    p = Param("label", "str", "")
    assert params.coerce(p, evil) == evil
    # the cell papermill generates from it is a plain literal assignment
    from papermill.translators import translate_parameters
    src = translate_parameters("python3", "python", {"label": evil, "n": 3}, "Parameters")
    params.check_injected(src, {"label": evil, "n": 3})
    with pytest.raises(ParamError):
        params.check_injected('label = "x"\nimport os\n', {"label": "x"})
    with pytest.raises(ParamError):
        params.check_injected('label = "y"\n', {"label": "x"})


def test_parse_assignments():
    assert params.parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ParamError):
        params.parse_assignments(["novalue"])
    with pytest.raises(ParamError):
        params.parse_assignments(["1bad=3"])


# ---- the CLI rejects before executing anything (no kernel is started: these are fast)

@pytest.fixture
def suite(tmp_path):
    (tmp_path / "data").mkdir()
    # `insight run` loads the data once before any notebook (pre-flight), so it must be usable
    (tmp_path / "data" / "orders.csv").write_text(
        "order_id,customer_id,order_date,product_id,quantity,unit_price\no1,c1,2024-01-02,p1,1,100\n",
        encoding="utf-8")
    cfg = tmp_path / "reports.yml"
    cfg.write_text(f"notebooks: {NB_DIR}\ndefaults: {{data: data, out: out}}\n"
                   "reports:\n  - name: ok_report\n  - name: not_written_yet\n", encoding="utf-8")
    return cfg


def _run(argv, capsys):
    code = cli.run_main(argv)
    return code, capsys.readouterr().err


def test_cli_unknown_parameter_exit_2(suite, capsys):
    code, err = _run(["--config", str(suite), "-p", "nope=1"], capsys)
    assert code == 2 and "unknown parameter" in err and "nope" in err
    assert not (suite.parent / "out").exists()


def test_cli_wrong_type_exit_2(suite, capsys):
    code, err = _run(["--config", str(suite), "-p", "min_rating=many"], capsys)
    assert code == 2 and "min_rating" in err and "int" in err
    assert "Traceback" not in err
    assert not (suite.parent / "out").exists()


def test_cli_unknown_report_and_bad_config(suite, tmp_path, capsys):
    code, err = _run(["--config", str(suite), "--only", "nosuch"], capsys)
    assert code == 2 and "unknown report" in err
    code, err = _run(["--config", str(suite), "--only", "not_written_yet"], capsys)
    assert code == 2 and "no notebook" in err
    bad = tmp_path / "bad.yml"
    bad.write_text("reports: [\n", encoding="utf-8")
    code, err = _run(["--config", str(bad)], capsys)
    assert code == 2 and "not valid YAML" in err
    code, err = _run(["--config", str(tmp_path / "absent.yml")], capsys)
    assert code == 2 and "not found" in err


def test_cli_missing_data_folder_exit_2(suite, capsys):
    code, err = _run(["--config", str(suite), "--data", str(suite.parent / "nodata")], capsys)
    assert code == 2 and "data folder not found" in err


def test_cli_describe(suite, capsys):
    assert cli.run_main(["--config", str(suite), "--describe", "ok_report"]) == 0
    out = capsys.readouterr().out
    assert "min_rating: int = 1" in out and "smallest rating shown" in out
    assert "set by insight run" in out


def test_schedule_prints_crontab_line(suite, capsys):
    assert cli.schedule_main(["--config", str(suite)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("0 6 * * * cd ")
    assert "run --config reports.yml >> out/cron.log 2>&1" in line
    # the project's own reports.yml: 5-field schedule, the venv's insight, reports/cron.log
    assert cli.schedule_main(["--config", str(ROOT / "reports.yml")]) == 0
    line = capsys.readouterr().out.strip()
    assert len(line.split(" cd ")[0].split()) == 5
    assert f"cd {ROOT} && mkdir -p reports && " in line
    assert line.endswith("insight run --config reports.yml >> reports/cron.log 2>&1")


def test_project_reports_yml_lists_the_suite_in_order():
    from insight.report import config
    cfg = config.load(ROOT / "reports.yml")
    names = [r.name for r in cfg.reports]
    assert names[:2] == ["executive_summary", "data_quality"]
    assert names[-1] == "claims" and len(names) == 10
    assert json.dumps(cfg.defaults)  # plain values


# ---- exit codes and publishing with the executor stubbed out (fast)

def _stub_jobs(monkeypatch, outcome):
    from insight.report import runner

    def fake(jobs, n_jobs, on_done=None, log_path=None):
        out = []
        for j in jobs:
            status, etype = outcome(j.name)
            if status == "ok":
                Path(j.run_dir, f"{j.name}.html").write_text("<html></html>", encoding="utf-8")
            r = runner.Result(j.name, status, 0.1, html=f"{j.name}.html" if status == "ok" else None,
                              error_type=etype, error_message="msg" if etype else None)
            if on_done:
                on_done(j, r)
            out.append(r)
        return out
    monkeypatch.setattr(runner, "run_jobs", fake)


def test_exit_codes_and_latest(suite, monkeypatch, capsys):
    out = suite.parent / "out"
    _stub_jobs(monkeypatch, lambda name: ("ok", None))
    assert cli.run_main(["--config", str(suite)]) == 0
    first = os.readlink(out / "latest")
    assert (out / first / "ok_report.html").is_file()
    m = json.loads((out / first / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in m["skipped"]] == ["not_written_yet"]
    assert "skip not_written_yet" in capsys.readouterr().err

    _stub_jobs(monkeypatch, lambda name: ("failed", "ValueError"))
    assert cli.run_main(["--config", str(suite)]) == 1
    assert os.readlink(out / "latest") == first
    _stub_jobs(monkeypatch, lambda name: ("failed", "DataError"))
    assert cli.run_main(["--config", str(suite)]) == 2
    assert "DataError" in capsys.readouterr().err
    assert os.readlink(out / "latest") == first
    runs = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(runs) == 3 and not list(out.glob(".tmp-*"))
