# Managed by the flask toolkit: the flask role's action for the flask_files module.
"""Renders each entry's template (or reads its file) on the control node, then brings every
path of the task to its entry in one module call on the host. Its result adds `checksums`:
the SHA-1 of each file entry's content, by path (what the file holds once written)."""

import base64
import hashlib
import os

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template

try:  # ansible_managed and template_* as the template module sets them
    from ansible._internal._templating._template_vars import generate_ansible_template_vars
except ImportError:  # pragma: no cover - another ansible-core
    generate_ansible_template_vars = None

STATES = {"directory", "file", "link", "absent"}
KEYS = {"path", "state", "template", "src", "vars", "owner", "group", "mode", "validate", "target"}


def check_entry(entry):
    """The problem of one entry as the task gives it, or None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return f"each entry needs a path: {entry!r}"
    unknown = set(entry) - KEYS
    state = entry.get("state", "file")
    if unknown:
        return f"{entry['path']}: unknown keys {sorted(unknown)}"
    if state not in STATES:
        return f"{entry['path']}: state is {state!r}, not one of {sorted(STATES)}"
    if state == "file" and ("template" in entry) == ("src" in entry):
        return f"{entry['path']}: give a template or a src"
    if state in {"file", "directory"} and "mode" not in entry:
        return f"{entry['path']}: give a mode"
    if state == "link" and "target" not in entry:
        return f"{entry['path']}: give a target"
    return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("files",))

    def _render(self, name, extra, dest, task_vars):
        source = self._find_needle("templates", name)
        variables = {**task_vars, **(extra or {})}
        if generate_ansible_template_vars is not None:
            variables.update(
                generate_ansible_template_vars(
                    path=name,
                    fullpath=source,
                    dest_path=dest,
                    include_ansible_managed="ansible_managed" not in variables,
                )
            )
        else:  # pragma: no cover - the line every template starts with, at least
            variables.setdefault("ansible_managed", "Ansible managed")
        folders = [*task_vars.get("ansible_search_path", []), os.path.dirname(source)]
        searchpath = [path for folder in folders for path in (f"{folder}/templates", folder)]
        templar = self._templar.copy_with_new_env(
            searchpath=searchpath, available_variables=variables
        )
        text = trust_as_template(self._loader.get_text_file_contents(source))
        rendered = templar.template(
            text, escape_backslashes=False, overrides={"trim_blocks": True, "lstrip_blocks": False}
        )
        return (rendered or "").encode()

    def _content(self, entry, task_vars):
        if "template" in entry:
            return self._render(entry["template"], entry.get("vars"), entry["path"], task_vars)
        with open(self._find_needle("files", entry["src"]), "rb") as handle:
            return handle.read()

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        entries = self._task.args.get("files")
        if not isinstance(entries, list):
            raise AnsibleActionFail("flask_files: files must be a list of entries")
        problems = [problem for problem in map(check_entry, entries) if problem]
        if problems:
            raise AnsibleActionFail("flask_files: " + "; ".join(problems))
        to_host, checksums = [], {}
        for entry in entries:
            entry = dict(entry)
            if entry.get("state", "file") == "file":
                try:
                    content = self._content(entry, task_vars)
                except AnsibleError as error:
                    raise AnsibleActionFail(f"flask_files: {entry['path']}: {error}") from error
                entry["content_b64"] = base64.b64encode(content).decode()
                checksums[entry["path"]] = hashlib.sha1(content).hexdigest()
            for key in ("template", "src", "vars"):
                entry.pop(key, None)
            to_host.append(entry)
        result.update(
            self._execute_module(
                module_name="flask_files", module_args={"files": to_host}, task_vars=task_vars
            )
        )
        result["checksums"] = checksums
        return result
