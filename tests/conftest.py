"""Makes the toolkit's Ansible plugins and modules importable by the unit tests."""

import importlib.util
import sys
from pathlib import Path

import ansible.module_utils

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [
    str(ROOT / "roles" / "flask" / "filter_plugins"),
    str(ROOT / "roles" / "app_deploy" / "library"),
    str(ROOT / "roles" / "app_deploy" / "filter_plugins"),
    str(ROOT / "roles" / "supervisor" / "filter_plugins"),
    str(ROOT / "roles" / "firewall" / "filter_plugins"),
    str(ROOT / "roles" / "tls" / "filter_plugins"),
    str(ROOT / "playbooks" / "library"),
]
# A role's module_utils, as Ansible ships them with its modules: ansible.module_utils.NAME.
ansible.module_utils.__path__.append(str(ROOT / "roles" / "app_deploy" / "module_utils"))


def load_plugin(role, folder, name):
    """One plugin file of a role, under a name of its own (`<name>_<folder>`)."""
    spec = importlib.util.spec_from_file_location(
        f"{name}_{folder}", ROOT / "roles" / role / folder / f"{name}.py"
    )
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    return plugin


def load_action_and_module(role, name):
    """A role's action plugin and the module of the same name, as (action, module): Ansible
    pairs them by their name, so they are loaded from their files under names of their own."""
    return load_plugin(role, "action_plugins", name), load_plugin(role, "library", name)
