"""`make lab` opens notebooks/ and runs them with their default parameters: every report
notebook must default to the built-in sample (../data/sample from notebooks/), declare its
parameters typed, and carry the metadata papermill needs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from insight.report import params

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_suite_has_its_ten_reports():
    assert {p.stem for p in NOTEBOOKS} == {
        "executive_summary", "data_quality", "perception", "complaints_returns", "delivery", "segments",
        "journey", "voice_of_customer", "followup", "claims"}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_defaults_point_at_the_sample(nb):
    declared = {p.name: p for p in params.read(nb)}
    assert declared["data_dir"].default == "../data/sample"
    assert (ROOT / "notebooks" / declared["data_dir"].default).resolve() == (ROOT / "data" / "sample").resolve()
    assert declared["lang"].default == "fa" and declared["mapping"].default == ""
    assert all(p.help for p in declared.values()), "every parameter says what it is for"
    meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
    assert meta["kernelspec"]["name"] == "python3" and meta["language_info"]["name"] == "python"
