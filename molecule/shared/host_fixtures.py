"""Fixtures every scenario's testinfra checks share; their conftest.py files import them."""

import pytest


@pytest.fixture()
def show(host):
    """Prints a command's output when a test fails, so the failure explains itself."""
    outputs = []

    def add(command):
        outputs.append((command, host.run(command).stdout))

    yield add
    for command, output in outputs:
        print(f"$ {command}\n{output}")
