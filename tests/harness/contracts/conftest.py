"""Fixtures for the tests of harness/contracts: the golden contract, read and validated once per session."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.contracts.specdiff import load_spec

CONTRACT_PATH = Path(__file__).resolve().parents[3] / "contracts" / "openapi.yaml"


@pytest.fixture(scope="session")
def contract_path() -> Path:
    return CONTRACT_PATH


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    """The parsed contract. Shared: copy it (copy.deepcopy) before editing."""
    return load_spec(CONTRACT_PATH)
