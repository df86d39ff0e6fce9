"""Shared fixtures.  Tests that need ../shared/data skip with a reason when it is absent."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# CI runs on 2 shared cores: a slow first call is not a bug, so no per-example deadline
settings.register_profile("insight", deadline=None)
settings.load_profile("insight")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (real public datasets); skips when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared/data is absent (a newcomer's clone); CI has it")
    return SHARED
