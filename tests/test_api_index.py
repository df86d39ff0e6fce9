"""docs/api.md lists every public function; it must not fall behind the code."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_index_is_current():
    spec = importlib.util.spec_from_file_location("api_index", ROOT / "scripts" / "api_index.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert mod.render() == current, "run: .venv/bin/python scripts/api_index.py"
