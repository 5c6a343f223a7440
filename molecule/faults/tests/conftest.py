"""Fixtures of the faults scenario: load on the host's loopback, and the host's processes."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from load import load_runner  # noqa: E402


@pytest.fixture(scope="module")
def load(host):
    """`with load() as stats:` keeps 24 clients busy with GET /healthz (a database query)
    through nginx on the host's loopback; stats is filled when the block ends."""
    return load_runner(host, path="/healthz")
