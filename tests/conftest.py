"""Shared fixtures.  Tests that need ../shared/data skip with a reason when it is absent."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (real public datasets); skips when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/data is absent (a newcomer's clone); CI has it")
    return SHARED
