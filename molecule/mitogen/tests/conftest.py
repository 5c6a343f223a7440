"""The mitogen scenario's tests run the project's playbooks and Ansible itself (shared/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
