#!/usr/bin/python
"""Link a release's writable paths to the app's persistent storage."""

DOCUMENTATION = r"""
module: release_links
short_description: Give a release its writable paths, as links to persistent storage
description:
  - Releases are root's and read-only to the app. Each path an app writes beside its code
    (Flask's instance folder, an uploads folder, a sqlite file) becomes a link from the
    release to the same place under O(storage), which belongs to the app user and outlives
    every release, so data survives deploys and rollbacks.
  - Storage that does not exist yet is made (an empty file for a file); a path the release
    ships is replaced by its link, so the storage is the only copy the app sees.
options:
  release:
    description: The release folder.
    type: path
    required: true
  storage:
    description: The app's persistent storage folder.
    type: path
    required: true
  links:
    description: >-
      The links - path (in the release), storage (in O(storage)), type (directory or
      file).
    type: list
    elements: dict
    required: true
  owner:
    description: The app user, who owns the storage.
    type: str
    required: true
  group:
    description: The app group.
    type: str
    required: true
"""

RETURN = r"""
created:
  description: Storage paths that were made.
  type: list
  returned: always
"""

import grp
import os
import pwd
import shutil

from ansible.module_utils.basic import AnsibleModule


def ensure_storage(root, rel, kind, uid, gid):
    """Make root/rel (and its missing parents) as the app's; returns the paths made."""
    made = []
    parts = rel.split("/")
    for depth in range(1, len(parts) + (1 if kind == "directory" else 0)):
        folder = os.path.join(root, *parts[:depth])
        if not os.path.isdir(folder):
            os.mkdir(folder, 0o750)
            os.chown(folder, uid, gid)
            made.append(folder)
    path = os.path.join(root, rel)
    if kind == "file" and not os.path.exists(path):
        with open(path, "a"):
            pass
        os.chown(path, uid, gid)
        os.chmod(path, 0o640)
        made.append(path)
    return made


def place_link(release, rel, target):
    """Make release/rel a link to target, replacing what the release shipped there."""
    path = os.path.join(release, rel)
    if os.path.islink(path):
        if os.readlink(path) == target:
            return False
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.unlink(path)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    os.symlink(target, path)
    return True


def main():
    module = AnsibleModule(
        argument_spec={
            "release": {"type": "path", "required": True},
            "storage": {"type": "path", "required": True},
            "links": {"type": "list", "elements": "dict", "required": True},
            "owner": {"type": "str", "required": True},
            "group": {"type": "str", "required": True},
        },
    )
    params = module.params
    uid = pwd.getpwnam(params["owner"]).pw_uid
    gid = grp.getgrnam(params["group"]).gr_gid
    storage = params["storage"]
    created = ensure_storage(
        os.path.dirname(storage), os.path.basename(storage), "directory", uid, gid
    )
    changed = bool(created)
    for link in params["links"]:
        created += ensure_storage(storage, link["storage"], link["type"], uid, gid)
        target = os.path.join(storage, link["storage"])
        changed = place_link(params["release"], link["path"], target) or changed
    module.exit_json(changed=changed or bool(created), created=created)


if __name__ == "__main__":
    main()
