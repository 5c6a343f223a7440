#!/usr/bin/python
"""Take or give back the deploy lock of a host."""

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or give back the deploy lock of a host
description:
  - One deploy at a time per host. Taking the lock creates its file atomically
    (O_CREAT|O_EXCL) with who holds it and since when; when it is already held, the module
    fails at once, naming the holder and the time.
  - Taking and giving back within one run leaves the host as it was, so neither reports a change.
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
"""

RETURN = r"""
previous:
  description: The lock that was broken, when O(break_lock) broke one.
  type: dict
  returned: when a lock was broken
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule


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
    record = {
        "holder": params["holder"],
        "token": params["token"],
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    current = read_lock(params["path"])
    if current and current.get("token") == params["token"]:
        module.exit_json(changed=False)
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
        module.exit_json(changed=False)
    if current:
        os.unlink(params["path"])
    if not create_lock(params["path"], record):
        module.fail_json(
            msg=f"another deploy took the lock of this host just now: {params['path']}"
        )
    result = {"changed": False}
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
        },
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        take(module, module.params)
    else:
        give_back(module, module.params)


if __name__ == "__main__":
    main()
