"""Every module's documentation is YAML that ansible-doc can read, under the module's name."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted([*ROOT.glob("roles/*/library/*.py"), *ROOT.glob("playbooks/library/*.py")])


def strings(path):
    """The module's DOCUMENTATION and RETURN strings."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in {"DOCUMENTATION", "RETURN"}:
            found[target.id] = node.value.value
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.stem)
def test_the_documentation_is_yaml_under_the_modules_name(path):
    docs = strings(path)
    assert set(docs) == {"DOCUMENTATION", "RETURN"}
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert documentation["module"] == path.stem
    assert documentation["short_description"] and documentation["description"]
    assert isinstance(yaml.safe_load(docs["RETURN"]), dict)
