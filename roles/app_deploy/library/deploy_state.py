#!/usr/bin/python
"""Read an app's deploy state on the host."""

DOCUMENTATION = r"""
module: deploy_state
short_description: Read what is live for an app, and whether a release is built
description:
  - Reads the app's deploy state file, lists its releases (built, failed, version) and
    wheelhouses, and checksums the files the web program runs with. Changes nothing.
  - One call instead of a stat per file, a find and a slurp, since every remote call costs time.
options:
  state_file:
    description: The deploy state file (JSON) of the app.
    type: path
    required: true
  releases_dir:
    description: The app's releases folder; each release is a folder named by its 12-hex id.
    type: path
    required: true
  requirements_dir:
    description: The app's requirements folder, with one wheelhouse folder per requirement set.
    type: path
    required: true
  files:
    description: Files whose SHA-1 goes into the fingerprint of the web program.
    type: list
    elements: path
    default: []
"""

RETURN = r"""
state:
  description: The recorded state (release, version, color, fingerprint, ...); empty if none.
  type: dict
  returned: always
releases:
  description: >-
    Per release id: built (its .release.json exists), failed (the content of its
    .failed.json, or null), version and requirements (from .release.json).
  type: dict
  returned: always
wheelhouses:
  description: Ids of the wheelhouses in the requirements folder.
  type: list
  returned: always
complete_wheelhouses:
  description: Those of RV(wheelhouses) that are complete (unpacked to the end).
  type: list
  returned: always
checksums:
  description: SHA-1 of each of O(files), in order; null for a missing file.
  type: list
  returned: always
"""

import hashlib
import json
import os
import re

from ansible.module_utils.basic import AnsibleModule


def sha1(path):
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


RELEASE_ID = re.compile(r"^[0-9a-f]{12}$")


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


def main():
    module = AnsibleModule(
        argument_spec={
            "state_file": {"type": "path", "required": True},
            "releases_dir": {"type": "path", "required": True},
            "requirements_dir": {"type": "path", "required": True},
            "files": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        state = read_json(params["state_file"], {})
        releases = {
            release: describe_release(os.path.join(params["releases_dir"], release))
            for release in list_ids(params["releases_dir"])
        }
    except ValueError as error:
        module.fail_json(msg=f"a deploy record of the app is not valid JSON: {error}")
    wheelhouses = list_ids(params["requirements_dir"])
    module.exit_json(
        changed=False,
        state=state,
        releases=releases,
        wheelhouses=wheelhouses,
        complete_wheelhouses=[
            name
            for name in wheelhouses
            if os.path.exists(os.path.join(params["requirements_dir"], name, ".complete"))
        ],
        checksums=[sha1(path) for path in params["files"]],
    )


if __name__ == "__main__":
    main()
