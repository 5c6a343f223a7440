#!/usr/bin/python
"""Take or give back the deploy lock of a host; taking it can first check that the host is
provisioned and describe the Python it makes release virtualenvs with (one round trip)."""

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or give back the deploy lock of a host
description:
  - One deploy at a time per host. Taking the lock creates its file atomically
    (O_CREAT|O_EXCL) with who holds it and since when; when it is already held, the module
    fails at once, naming the holder and the time.
  - Taking and giving back within one run leaves the host as it was, so neither reports a change.
  - Before it takes the lock, it can check that files exist (O(require)) and describe an
    interpreter (O(python)), so that a deploy starts with one round trip.
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
"""

import json
import os
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
        module.exit_json(**result)
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
        module.exit_json(**result)
    if current:
        os.unlink(params["path"])
    if not create_lock(params["path"], record):
        module.fail_json(
            msg=f"another deploy took the lock of this host just now: {params['path']}"
        )
    if current:
        result["previous"] = current
    module.exit_json(**result)


def give_back(module, params):
    current = read_lock(params["path"])
    if current and current.get("token") == params["token"] and not module.check_mode:
        os.unlink(params["path"])
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
        },
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        take(module, module.params)
    else:
        give_back(module, module.params)


if __name__ == "__main__":
    main()
