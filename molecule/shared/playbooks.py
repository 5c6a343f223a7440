"""Runs the project's playbooks against a molecule scenario's host, from its tests.

The scenarios' conftest.py files put this folder on sys.path."""

import json
import os
import re
import subprocess
import time
from pathlib import Path

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
RECAP = re.compile(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


class Run:
    """A finished ansible-playbook run: return code, output, seconds, the recap counts."""

    def __init__(self, returncode, output, seconds):
        self.returncode, self.output, self.seconds = returncode, output, seconds
        self.recaps = [tuple(map(int, counts)) for counts in RECAP.findall(output)]
        self.changed, self.unreachable, self.failed = self.recaps[-1] if self.recaps else (-1,) * 3
        self.message = " ".join(output.split())  # the output on one line, for searching

    def __repr__(self):
        head = f"<Run rc={self.returncode} recap={self.recaps} {self.seconds:.1f} s>"
        return f"{head}\n{self.output[-5000:]}"


def command(playbook, *args, extra_vars=None):
    line = ["ansible-playbook", playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"], *args]
    return line + (["-e", json.dumps(extra_vars)] if extra_vars is not None else [])


def environment():
    """Molecule asks for color; the tests read the output."""
    return {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}


def run(playbook, *args, extra_vars=None, timeout=900):
    start = time.monotonic()
    result = subprocess.run(
        command(playbook, *args, extra_vars=extra_vars),
        cwd=PROJECT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(result.returncode, result.stdout + result.stderr, time.monotonic() - start)


def start(playbook, *args, extra_vars=None):
    """Starts a run in the background; finish(process) waits for it and returns its Run."""
    process = subprocess.Popen(
        command(playbook, *args, extra_vars=extra_vars),
        cwd=PROJECT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.started = time.monotonic()
    return process


def finish(process, timeout=900):
    output, _ = process.communicate(timeout=timeout)
    return Run(process.returncode, output, time.monotonic() - process.started)
