"""Every role's inputs: each default has a type in meta/argument_specs.yml and back, every
entry point takes the same inputs, and the spec itself is well formed."""

from pathlib import Path

import pytest
import yaml

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())
SPEC_KEYS = {
    "type",
    "description",
    "required",
    "choices",
    "elements",
    "options",
    "default",
    "no_log",
}


def load(path):
    with path.open() as handle:
        return yaml.safe_load(handle) or {}


def walk(options, where):
    """Problems in an options block: unknown keys (a comma in a flow mapping, say)."""
    found = []
    for name, spec in (options or {}).items():
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            found.append(f"{where}.{name}: {sorted(unknown)}")
        if not spec.get("description"):
            found.append(f"{where}.{name}: no description")
        found += walk(spec.get("options"), f"{where}.{name}")
    return found


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_defaults_and_argument_specs_match(role):
    defaults = set(load(role / "defaults" / "main.yml"))
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    first = next(iter(specs.values()))
    assert set(first["options"]) == defaults
    for entry_point, spec in specs.items():
        assert spec["options"] == first["options"], entry_point


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_inputs_carry_the_role_name(role):
    for name in load(role / "defaults" / "main.yml"):
        assert name.startswith(f"{role.name}_"), name


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_argument_specs_are_well_formed(role):
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    assert walk(next(iter(specs.values()))["options"], role.name) == []


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_readme_lists_every_input(role):
    missing = [name for name in load(role / "defaults" / "main.yml") if f"`{name}`" not in README]
    assert missing == []


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.name)
def test_templates_are_overridable_and_managed(role):
    """Each template starts with the ansible_managed comment and is found through the
    flask_template lookup, which prefers the one in flask_templates_dir (templates/README.md)."""
    tasks = "".join(path.read_text() for path in (role / "tasks").glob("*.yml"))
    # flask_files tasks take their entries from the role's vars
    tasks += (
        (role / "vars" / "main.yml").read_text() if (role / "vars" / "main.yml").exists() else ""
    )
    for template in (role / "templates").rglob("*.j2"):
        relative = template.relative_to(role / "templates").as_posix()
        text = template.read_text()
        if text.startswith("#!"):  # a script: the comment comes after the interpreter line
            text = text.split("\n", 1)[1]
        assert text.startswith("{{ ansible_managed"), relative
        assert f"lookup('flask_template', '{relative}')" in tasks, relative
