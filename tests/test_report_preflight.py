"""`insight run` checks the data once before starting any notebook."""
from __future__ import annotations

from pathlib import Path

from insight.report import cli as report_cli

ROOT = Path(__file__).resolve().parents[1]


def test_unusable_data_exits_2_before_anything_is_written(tmp_path, capsys):
    # orders.csv without its required columns: one plain message naming the column, no run folder
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_text("order_id,customer_id\no1,c1\n", encoding="utf-8")
    out = tmp_path / "reports"
    code = report_cli.run_main(["--config", str(ROOT / "reports.yml"), "--data", str(data), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "order_date" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_a_mapping_alone_brings_its_data_folder(tmp_path, capsys, monkeypatch):
    # --mapping without --data: the data is the mapping's data_dir (here: its own folder)
    (tmp_path / "export.csv").write_text("id,who\no1,c1\n", encoding="utf-8")
    (tmp_path / "shop.yml").write_text(
        "orders:\n  files: export.csv\n  columns: {id: order_id, who: customer_id}\n", encoding="utf-8")
    seen = {}

    def fake_execute(cfg, run_id, out, data, mapping, *rest):
        seen.update(data=data, mapping=mapping)
        return 0

    monkeypatch.setattr(report_cli, "_execute", fake_execute)
    code = report_cli.run_main(["--config", str(ROOT / "reports.yml"), "--mapping", str(tmp_path / "shop.yml"),
                                "--out", str(tmp_path / "reports")])
    # the pre-flight load reads the mapping's folder and finds order_date missing
    assert code == 2 and "order_date" in capsys.readouterr().err
    (tmp_path / "export.csv").write_text("id,who,when,what,n,price\no1,c1,2024-01-02,p1,1,100\n", encoding="utf-8")
    (tmp_path / "shop.yml").write_text(
        "orders:\n  files: export.csv\n  columns: {id: order_id, who: customer_id, when: order_date, "
        "what: product_id, n: quantity, price: unit_price}\n", encoding="utf-8")
    code = report_cli.run_main(["--config", str(ROOT / "reports.yml"), "--mapping", str(tmp_path / "shop.yml"),
                                "--out", str(tmp_path / "reports")])
    assert code == 0
    assert Path(seen["data"]).resolve() == tmp_path.resolve()
