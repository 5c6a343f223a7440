#!/usr/bin/python
"""Read an app's deploy state on the host."""

DOCUMENTATION = r"""
module: deploy_state
short_description: Read what is live for an app, and whether a release is built
description:
  - Reads the app's deploy state file, tells whether a release folder is complete, and
    checksums the files the web program runs with. Changes nothing.
  - One call instead of a stat per file and a slurp, since every remote call costs time.
options:
  state_file:
    description: The deploy state file (JSON) of the app.
    type: path
    required: true
  release_dir:
    description: The folder of the release about to be deployed.
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
built:
  description: Whether the release folder is complete (its .release.json exists).
  type: bool
  returned: always
checksums:
  description: SHA-1 of each of O(files), in order; null for a missing file.
  type: list
  returned: always
"""

import hashlib
import json
import os

from ansible.module_utils.basic import AnsibleModule


def sha1(path):
    if not os.path.isfile(path):
        return None
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def read_state(path):
    if not os.path.isfile(path):
        return {}
    with open(path) as handle:
        return json.load(handle)


def main():
    module = AnsibleModule(
        argument_spec={
            "state_file": {"type": "path", "required": True},
            "release_dir": {"type": "path", "required": True},
            "files": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        state = read_state(params["state_file"])
    except ValueError as error:
        module.fail_json(msg=f"{params['state_file']} is not valid JSON: {error}")
    module.exit_json(
        changed=False,
        state=state,
        built=os.path.isfile(os.path.join(params["release_dir"], ".release.json")),
        checksums=[sha1(path) for path in params["files"]],
    )


if __name__ == "__main__":
    main()
