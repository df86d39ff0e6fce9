"""Issue 7: every broken input gives its expected outcome from `insight validate`,
and for every table rows in = rows kept + rows quarantined."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from bad_inputs import HEAD, GOOD, Case, cases, write
from insight.data import cli as data_cli

TODAY = "2024-06-01"


def run_validate(folder, capsys, *extra):
    code = data_cli.main([str(folder), "--json", "--today", TODAY,
                          "--quarantine", str(folder / "_quarantine"), *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", cases(), ids=lambda k: k.name)
def test_bad_input(case: Case, tmp_path, capsys):
    folder = write(case, tmp_path / case.name)
    code, out, err = run_validate(folder, capsys)
    if case.expect is None:
        assert code in (0, 1), err
    else:
        assert code == case.expect, f"{case.name}: exit {code}\n{out}\n{err}"
    if code == 2:
        # an unusable table: one plain message naming what is wrong, no traceback
        assert "Traceback" not in err
        for word in case.mentions:
            assert word in err, f"{case.name}: {word!r} not in {err!r}"
        return
    report = json.loads(out)
    tables = report["tables"]
    for name, t in tables.items():
        assert t["rows_in"] == t["rows_kept"] + t["rows_quarantined"], (case.name, name, t)
    for name, n in case.quarantined.items():
        assert tables[name]["rows_quarantined"] == n, (case.name, name, tables[name])
    for name, n in case.kept.items():
        assert tables[name]["rows_kept"] == n, (case.name, name, tables[name])
    if case.mentions:
        qfiles = list((folder / "_quarantine").glob("*.csv"))
        text = " ".join(p.read_text(encoding="utf-8-sig") for p in qfiles)
        text += json.dumps(report, ensure_ascii=False)
        for word in case.mentions:
            assert word in text, f"{case.name}: {word!r} not among the reasons"


def test_quarantine_file_names_source_row_and_reason(tmp_path, capsys):
    folder = write(Case("q", {"orders.csv": ("\n".join([HEAD, *GOOD, "o4,c2,2023-04-04,p2,-3,5000"]) + "\n")
                                .encode()}, 1), tmp_path / "q")
    code, _, _ = run_validate(folder, capsys)
    assert code == 1
    q = pd.read_csv(folder / "_quarantine" / "orders.csv", dtype=str, encoding="utf-8-sig")
    assert len(q) == 1
    row = q.iloc[0]
    assert row["source_file"].endswith("orders.csv")
    assert int(row["source_row"]) == 5          # header is line 1, so the 4th data row is line 5
    assert "quantity" in row["reason"]


def test_xlsx_with_several_sheets_reads_the_first_or_named_sheet(tmp_path, capsys):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    good = pd.DataFrame([r.split(",") for r in GOOD], columns=HEAD.split(","))
    with pd.ExcelWriter(folder / "orders.xlsx") as xw:
        good.to_excel(xw, sheet_name="orders", index=False)
        pd.DataFrame({"note": ["summary sheet"]}).to_excel(xw, sheet_name="summary", index=False)
    code, out, err = run_validate(folder, capsys)
    assert code == 0, err
    assert json.loads(out)["tables"]["orders"]["rows_kept"] == 3


def test_parquet_with_wrong_types_is_coerced_or_quarantined(tmp_path, capsys):
    folder = tmp_path / "pq"
    folder.mkdir()
    df = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [10, 20, 10],
                       "order_date": ["2023-04-01", "2023-04-02", "not a date"],
                       "product_id": ["p1", "p2", "p1"], "quantity": ["1", "2", "x"],
                       "unit_price": [1000.0, 2000.0, 3000.0]})
    df.to_parquet(folder / "orders.parquet")
    code, out, err = run_validate(folder, capsys)
    assert code == 1, err
    t = json.loads(out)["tables"]["orders"]
    assert (t["rows_in"], t["rows_kept"], t["rows_quarantined"]) == (3, 2, 1)
