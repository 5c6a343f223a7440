#!/usr/bin/python
"""Take or give back the deploy lock of a host. Taking it can first check that the host is
provisioned and describe the Python it makes release virtualenvs with, and then read, under
the lock, what each app has deployed there: one round trip to start a deploy."""

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or give back the deploy lock of a host
description:
  - One deploy at a time per host. Taking the lock creates its file atomically
    (O_CREAT|O_EXCL) with who holds it and since when; when it is already held, the module
    fails at once, naming the holder and the time.
  - Taking and giving back within one run leaves the host as it was, so neither reports a change.
  - Before it takes the lock, it can check that files exist (O(require)) and describe an
    interpreter (O(python)); once it holds it (or in check mode), it reads the deploy state of
    each app of O(read). A deploy starts with one round trip, not one plus one per app.
options:
  path:
    description: The lock file.
    type: path
    required: true
  state:
    description: C(present) takes the lock, C(absent) gives it back.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description: Who takes the lock (user, control node, playbook).
    type: str
    default: ""
  token:
    description: Identifies this run; giving back only removes a lock with the same token.
    type: str
    required: true
  break_lock:
    description: Take the lock even when another run holds it (a stale lock).
    type: bool
    default: false
  require:
    description:
      - Files that must exist before the lock is taken, by what each stands for. When any is
        missing, the lock is not taken and RV(missing) names them.
    type: dict
    default: {}
  python:
    description:
      - An interpreter to describe in RV(python) - what decides which wheels fit it - before
        the lock is taken. The module fails when it cannot run it or it is not CPython.
    type: path
  read:
    description:
      - Apps whose deploy state to read once the lock is taken, each with C(name), its deploy
        state file C(state_file) (JSON), C(releases_dir) (one folder per release, named by its
        12-hex id), C(requirements_dir) (one wheelhouse folder per requirement set) and
        C(files), whose SHA-1 goes into the fingerprint of its web program. Changes nothing.
    type: list
    elements: dict
    default: []
"""

RETURN = r"""
previous:
  description: The lock that was broken, when O(break_lock) broke one.
  type: dict
  returned: when a lock was broken
missing:
  description: The entries of O(require) whose file is missing; the lock was not taken.
  type: dict
  returned: when one is missing
python:
  description: >-
    The interpreter O(python) names: key, implementation, version (full), abi (cp311), arch,
    glibc (or null). Hosts with the same key can share one wheelhouse.
  type: dict
  returned: when O(python) is given
reads:
  description: >-
    By app of O(read): state (the recorded state: release, version, color, fingerprint...;
    empty if none), releases (per release id: built - its .release.json exists -, failed -
    the content of its .failed.json, or null -, version and requirements), wheelhouses (the
    ids in its requirements folder), complete_wheelhouses (those unpacked to the end) and
    checksums (SHA-1 of each of its files, by path and in order; null for a missing file).
  type: dict
  returned: when the lock is taken, or would be in check mode
"""

import hashlib
import json
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

PROBE = (
    "import json, platform, sys;"
    "print(json.dumps({'implementation': sys.implementation.name,"
    " 'version': platform.python_version(), 'version_info': list(sys.version_info[:2]),"
    " 'arch': platform.machine(), 'libc': list(platform.libc_ver())}))"
)


def describe(probe):
    """The target record of a probe's output."""
    if probe["implementation"] != "cpython":
        raise ValueError(f"{probe['implementation']} is not CPython")
    major, minor = probe["version_info"]
    libc, libc_version = probe["libc"]
    glibc = libc_version if libc == "glibc" and libc_version else None
    target = {
        "implementation": "cp",
        "version": probe["version"],
        "abi": f"cp{major}{minor}",
        "arch": probe["arch"],
        "glibc": glibc,
    }
    target["key"] = f"cp{probe['version']}-{probe['arch']}-" + (
        f"glibc{glibc}" if glibc else "nolibc"
    )
    return target


def probe_python(module, python):
    try:
        rc, out, err = module.run_command([python, "-c", PROBE], handle_exceptions=False)
    except OSError as error:
        rc, err = 1, error.strerror
    if rc != 0:
        module.fail_json(msg=f"cannot run {python}: {err.strip()}")
    try:
        return describe(json.loads(out))
    except ValueError as error:
        module.fail_json(msg=f"{python}: {error}")


RELEASE_ID = re.compile(r"^[0-9a-f]{12}$")


def sha1(path):
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path, missing):
    if not os.path.isfile(path):
        return missing
    with open(path) as handle:
        return json.load(handle)


def list_ids(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(
        name
        for name in os.listdir(folder)
        if RELEASE_ID.match(name)
        and os.path.isdir(os.path.join(folder, name))
        and not os.path.islink(os.path.join(folder, name))
    )


def describe_release(folder):
    info = read_json(os.path.join(folder, ".release.json"), None)
    return {
        "built": info is not None,
        "failed": read_json(os.path.join(folder, ".failed.json"), None),
        "version": (info or {}).get("version"),
        "requirements": (info or {}).get("requirements"),
    }


def read_app(app):
    """What an app has deployed on the host (RV(reads))."""
    try:
        state = read_json(app["state_file"], {})
        releases = {
            release: describe_release(os.path.join(app["releases_dir"], release))
            for release in list_ids(app["releases_dir"])
        }
    except ValueError as error:
        raise ValueError(f"a deploy record of {app['name']} is not valid JSON: {error}") from None
    wheelhouses = list_ids(app["requirements_dir"])
    return {
        "state": state,
        "releases": releases,
        "wheelhouses": wheelhouses,
        "complete_wheelhouses": [
            name
            for name in wheelhouses
            if os.path.exists(os.path.join(app["requirements_dir"], name, ".complete"))
        ],
        "checksums": {path: sha1(path) for path in app.get("files") or []},
    }


def read_lock(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError:
        return {"holder": "unknown (unreadable lock file)", "since": "unknown"}


def create_lock(path, record):
    """Create the lock file; False when it already exists."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
    return True


def take(module, params):
    result = {"changed": False}
    if params["python"]:
        result["python"] = probe_python(module, params["python"])
    missing = {name: path for name, path in params["require"].items() if not os.path.exists(path)}
    if missing:
        module.exit_json(missing=missing, **result)
    record = {
        "holder": params["holder"],
        "token": params["token"],
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    current = read_lock(params["path"])
    if current and current.get("token") == params["token"]:
        module.exit_json(**result, **read_apps(module, params))
    if current and not params["break_lock"]:
        module.fail_json(
            msg=(
                f"another deploy holds the lock of this host: {current.get('holder')}, since "
                f"{current.get('since')} ({params['path']}). If that deploy is gone, break the "
                "stale lock with -e app_deploy_break_lock=true"
            ),
            lock=current,
        )
    if module.check_mode:
        module.exit_json(**result, **read_apps(module, params))
    if current:
        os.unlink(params["path"])
    if not create_lock(params["path"], record):
        module.fail_json(
            msg=f"another deploy took the lock of this host just now: {params['path']}"
        )
    if current:
        result["previous"] = current
    module.exit_json(**result, **read_apps(module, params))


def read_apps(module, params):
    """RV(reads), under the lock; a record that cannot be read gives the lock back."""
    try:
        return {"reads": {app["name"]: read_app(app) for app in params["read"]}}
    except (KeyError, ValueError, OSError) as error:
        if not module.check_mode:
            give_back_lock(params)
        module.fail_json(msg=f"deploy_lock: {error}")


def give_back_lock(params):
    current = read_lock(params["path"])
    if current and current.get("token") == params["token"]:
        os.unlink(params["path"])


def give_back(module, params):
    if not module.check_mode:
        give_back_lock(params)
    module.exit_json(changed=False)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "holder": {"type": "str", "default": ""},
            "token": {"type": "str", "required": True},
            "break_lock": {"type": "bool", "default": False},
            "require": {"type": "dict", "default": {}},
            "python": {"type": "path"},
            "read": {"type": "list", "elements": "dict", "default": []},
        },
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        take(module, module.params)
    else:
        give_back(module, module.params)


if __name__ == "__main__":
    main()
