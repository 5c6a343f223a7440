"""Makes the toolkit's Ansible plugins and modules importable by the unit tests."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [
    str(ROOT / "roles" / "flask" / "filter_plugins"),
    str(ROOT / "roles" / "app_deploy" / "library"),
    str(ROOT / "roles" / "app_deploy" / "filter_plugins"),
    str(ROOT / "roles" / "supervisor" / "filter_plugins"),
    str(ROOT / "roles" / "firewall" / "filter_plugins"),
    str(ROOT / "roles" / "tls" / "filter_plugins"),
]
