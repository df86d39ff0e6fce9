"""`insight validate`: human table, --json, exit codes 0/1/2, --quarantine."""
from __future__ import annotations

import json

from insight.cli import main as insight_main
from insight.data.cli import main

GOOD = ("order_id,customer_id,order_date,product_id,quantity,unit_price\n"
        "o1,c1,1402/01/15,p1,1,1000\no2,c2,2023-04-05,p1,2,500\n")


def test_clean_folder_exits_0_and_prints_counts(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text(GOOD, encoding="utf-8")
    assert main([str(tmp_path), "--today", "2024-01-01"]) == 0
    out = capsys.readouterr().out
    assert "orders" in out and "2" in out and "all rows kept" in out


def test_json_is_one_object_and_exit_1_when_quarantined(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text(GOOD + "o3,c3,1402/13/40,p1,1,1\n", encoding="utf-8")
    code = main([str(tmp_path), "--json", "--today", "2024-01-01", "--quarantine", str(tmp_path / "q")])
    out = capsys.readouterr().out
    assert code == 1
    obj = json.loads(out)
    assert obj["tables"]["orders"]["rows_in"] == 3
    assert obj["tables"]["orders"]["rows_kept"] == 2 and obj["tables"]["orders"]["rows_quarantined"] == 1
    assert any("1402/13/40" in p for p in obj["tables"]["orders"]["problems"])
    assert (tmp_path / "q" / "orders.csv").is_file()


def test_unusable_input_exits_2_with_message_on_stderr(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("order_id,customer_id\n1,2\n", encoding="utf-8")
    assert insight_main(["validate", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "order_date" in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_mapping_option(tmp_path, capsys):
    (tmp_path / "x.csv").write_text(GOOD.replace("order_id", "no"), encoding="utf-8")
    (tmp_path / "m.yml").write_text("orders:\n  files: x.csv\n  columns: {no: order_id}\n", encoding="utf-8")
    assert main([str(tmp_path), "--mapping", str(tmp_path / "m.yml"), "--json", "--today", "2024-01-01"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["orders"]["rows_kept"] == 2


def test_contract_check_passes_on_loaded_data_and_catches_a_broken_frame(tmp_path):
    # what load keeps always passes the pandera schemas; a rating of 9 slipped in does not
    import pandas as pd

    from insight.contract import Dataset, empty
    from insight.data.cli import contract_check

    orders = empty("orders")
    reviews = pd.concat([empty("reviews"), pd.DataFrame({
        "review_id": ["r1"], "product_id": ["p1"], "created_at": [pd.Timestamp("2024-01-01")],
        "rating": [9.0], "text": ["خوب"]})]).astype(empty("reviews").dtypes.to_dict())
    assert contract_check(Dataset(orders=orders)) == []
    found = contract_check(Dataset(orders=orders, reviews=reviews))
    assert found and "reviews.rating" in found[0]
