"""The control node's half of converged_state: the fingerprint of everything a run of the
toolkit reads for a host, and the requests that prove its apps serve.

The fingerprint covers the toolkit itself (roles, playbooks, templates), every variable of a
role of the toolkit as this host sees it (templated: lookups, secrets and the other hosts'
addresses are resolved), the inventory's groups and the other hosts' own variables and
addresses, every app source folder and every control-node file a variable names. The facts
the roles read, of every host, have a fingerprint of their own: the check's request gathers
them, so they are known only once every host has answered, and mode compare (no request)
then weighs them against the record's. Whatever changes in any of them makes the next run a
complete one.
"""

import hashlib
import json
import os
import re
import subprocess
import time

from ansible.plugins.action import ActionBase

# The facts the roles read (tests/unit/test_converged.py keeps this list complete).
FACTS = (
    "all_ipv4_addresses",
    "all_ipv6_addresses",
    "default_ipv4",
    "distribution",
    "distribution_major_version",
    "distribution_version",
    "dns",
    "python",
)
# Variables of the roles that change how a run goes, not what it leaves on a host.
NOT_INPUTS = {"converged_fast_path", "converged_probe_timeout"}
# The parts of the toolkit a run reads, relative to the folder that holds roles/.
TOOLKIT_PARTS = ("roles", "playbooks", "templates", "site.yml")
SKIPPED_DIRS = {"__pycache__", ".git", ".pytest_cache", ".ruff_cache"}
# A file a variable names goes into the fingerprint by content up to this size, by size
# and modification time above it.
MAX_HASHED_FILE = 4 << 20
GIT_TIMEOUT = 60


def _hash_file(digest, path):
    info = os.stat(path)
    digest.update(f"{path}\0{info.st_mode & 0o7777:o}\0".encode())
    if info.st_size > MAX_HASHED_FILE:
        digest.update(f"{info.st_size} {info.st_mtime_ns}".encode())
        return
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def tree_digest(path):
    """SHA-256 of a file, or of every file of a folder by relative path, mode and content."""
    digest = hashlib.sha256()
    if os.path.isfile(path):
        _hash_file(digest, path)
        return digest.hexdigest()
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(name for name in dirs if name not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            full = os.path.join(folder, name)
            digest.update(os.path.relpath(full, path).encode() + b"\0")
            if os.path.isfile(full):
                _hash_file(digest, full)
    return digest.hexdigest()


def toolkit_digest(root):
    """SHA-256 of the toolkit's own files under root (the folder that holds roles/)."""
    return {
        part: tree_digest(os.path.join(root, part))
        for part in TOOLKIT_PARTS
        if os.path.exists(os.path.join(root, part))
    }


def git_revision(repo, version):
    """The commits the repository's refs named version point at (a commit id: itself)."""
    if re.fullmatch(r"[0-9a-f]{40}", str(version)):
        return str(version)
    listed = subprocess.run(
        ["git", "ls-remote", "--", str(repo), str(version)],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )
    # Unreachable or unknown: a value no record holds, so the run is a complete one.
    if listed.returncode == 0 and listed.stdout:
        return listed.stdout
    return f"unresolved at {time.time()}"


def source_digest(source):
    """{where: digest} of an app source: its folder's files, or its git ref's commit."""
    if isinstance(source.get("path"), str):
        path = os.path.expanduser(source["path"])
        return {path: tree_digest(path)} if os.path.isdir(path) else {}
    if source.get("git"):
        where = f"{source['git']} {source.get('version', 'HEAD')}"
        return {where: git_revision(source["git"], source.get("version", "HEAD"))}
    return {}


def named_paths(value, found=None, key=None):
    """{path: digest} of the control-node files and app sources the value names: any
    absolute path of a file, a templates folder, and each source mapping (source_digest)."""
    found = {} if found is None else found
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "source" and isinstance(item, dict):
                found.update(source_digest(item))
            named_paths(item, found, name)
    elif isinstance(value, (list, tuple)):
        for item in value:
            named_paths(item, found, key)
    elif isinstance(value, str) and value.startswith("/") and "\n" not in value:
        folder = str(key).endswith("templates_dir") and os.path.isdir(value)
        if folder or os.path.isfile(value):
            found[value] = tree_digest(value)
    return found


def fingerprint(inputs):
    """SHA-256 of the inputs, which must be JSON-able (anything else is taken by its text)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def facts_of_hosts(facts_by_host):
    """{host: the facts of FACTS} of every host, None for a host without facts."""
    return {
        host: {name: facts.get(name) for name in FACTS} if facts else None
        for host, facts in facts_by_host.items()
    }


def compare(state, facts_fingerprint):
    """The check's answer (`state`) once the facts of every host are known: converged only
    when the record was made with the same facts, too."""
    converged = bool(state.get("converged"))
    reasons = list(state.get("reasons") or [])
    if converged and state.get("recorded_facts") != facts_fingerprint:
        converged = False
        reasons = ["the facts of a host of the inventory changed since the last complete run"]
    return {
        "changed": False,
        "converged": converged,
        "reasons": reasons,
        "fingerprint": state.get("fingerprint"),
        "facts": facts_fingerprint,
        "projects": state.get("projects"),
    }


def _health_host(app):
    names = [name for name in app.get("server_names") or [] if name != "_" and "*" not in name]
    return names[0] if names else "localhost"


def probes(apps, web, app_host):
    """The requests that prove a host serves its apps: on an app host, each app's web program
    on its socket; on a web host, each app through nginx (HTTPS when it has a certificate,
    and plain HTTP unless that redirects)."""
    found = []
    for app in apps or []:
        if app.get("state", "present") != "present":
            continue
        health = app.get("health_path") or "/"
        if app_host:
            found.append({"socket": app["socket"], "path": health})
        if web:
            tls = app.get("tls") or {}
            host = _health_host(app)
            if tls.get("enabled"):
                found.append({"url": f"https://127.0.0.1:{tls['port']}{health}", "host": host})
            if not (tls.get("enabled") and tls.get("redirect")):
                found.append({"url": f"http://127.0.0.1:{app['listen']}{health}", "host": host})
    return found


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "mode",
            "fast_path",
            "fingerprint",
            "state_file",
            "files",
            "projects",
            "units",
            "supervisor_socket",
            "timeout",
            "accounts",
            "facts",
            "state",
        )
    )

    def _own_variables(self, task_vars, prefixes):
        values = {}
        for name in sorted(task_vars):
            if not name.startswith(prefixes) or name in NOT_INPUTS:
                continue
            try:
                values[name] = self._templar.template(task_vars[name])
            except Exception:  # noqa: BLE001 - any failure: the preflight's checks name it
                # A value that cannot be templated here: its text, which is still an input.
                values[name] = task_vars[name]
        return values

    def _inputs(self, task_vars):
        role_path = self._task._role._role_path
        roles_dir = os.path.dirname(role_path)
        prefixes = tuple(f"{name}_" for name in sorted(os.listdir(roles_dir)))
        own = self._own_variables(task_vars, prefixes)
        hostvars = task_vars["hostvars"]
        others = {}
        for host in sorted(task_vars["groups"].get("all", [])):
            raw = hostvars.raw_get(host)
            others[host] = {
                "vars": {
                    name: raw[name]
                    for name in sorted(raw)
                    if name.startswith(prefixes) and name not in NOT_INPUTS
                },
                "address": raw.get("ansible_host"),
            }
        return {
            "toolkit": toolkit_digest(os.path.dirname(roles_dir)),
            "host": task_vars["inventory_hostname"],
            "groups": {name: sorted(hosts) for name, hosts in task_vars["groups"].items()},
            "variables": own,
            "files": named_paths(own),
            "hosts": others,
        }

    def _probes(self, task_vars):
        apps = self._templar.template(task_vars.get("flask_resolved_apps") or [])
        group_names = task_vars.get("group_names") or []
        return probes(apps, web="web" in group_names, app_host="app" in group_names)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if args["mode"] == "compare":
            hostvars = task_vars["hostvars"]
            hosts = sorted(task_vars["groups"].get("all", []))
            facts = facts_of_hosts(
                {host: hostvars.raw_get(host).get("ansible_facts") for host in hosts}
            )
            return {**result, **compare(args["state"], fingerprint(facts))}
        fast_path = args.pop("fast_path", True)
        # check: this run's inputs; record: those the check of this run computed.
        if "fingerprint" not in args:
            args["fingerprint"] = fingerprint(self._inputs(task_vars))
        result.update(fingerprint=args["fingerprint"], projects=args.get("projects"))
        # The check's request always goes: it gathers the facts every later play reads.
        not_read = None
        if args["mode"] == "check":
            if not fast_path:
                not_read = "converged_fast_path is off"
            else:
                try:
                    args["probes"] = self._probes(task_vars)
                except Exception:  # noqa: BLE001 - inputs that do not resolve: the checks say why
                    not_read = "the app model does not resolve"
            args["facts_only"] = not_read is not None
        result.update(
            self._execute_module(
                module_name="converged_state", module_args=args, task_vars=task_vars
            )
        )
        if not_read and not result.get("failed"):
            result.update(converged=False, reasons=[not_read])
        return result
