"""`ansible-playbook site.yml --check --diff` on the converged host: it runs and changes nothing."""

import os
import re
import subprocess
from pathlib import Path

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])


def test_check_diff_reports_no_change():
    result = subprocess.run(
        [
            "ansible-playbook",
            "site.yml",
            "--check",
            "--diff",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
        ],
        cwd=PROJECT,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    recap = re.findall(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert recap and all(counts == ("0", "0", "0") for counts in recap), result.stdout[-3000:]
