#!/usr/bin/python
# Managed by the flask toolkit: the project role's module.
"""Every folder of the apps' trees in one module call: each made when missing, and its
owner, group and mode set (a file task per folder costs a round trip each)."""

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: project_tree
short_description: Create the project trees' folders, with owner, group and mode, in one call
description:
  - Creates each folder that is missing, parents first, and sets the owner, group and mode of
    every one. Supports check mode and diff.
options:
  roots:
    description: Folders above the trees, root's with mode 0755, parents first.
    type: list
    elements: path
    required: true
  trees:
    description: The trees, root's with mode 0755; each gets every one of I(folders).
    type: list
    elements: path
    required: true
  folders:
    description: The folders of a tree, each with path (relative), owner, group and mode.
    type: list
    elements: dict
    required: true
"""


def plan(roots, trees, folders):
    """Every folder as {path, owner, group, mode}, parents first."""
    shared = {"owner": "root", "group": "root", "mode": "0755"}
    wanted = [{**shared, "path": path} for path in [*roots, *trees]]
    for tree in trees:
        wanted += [{**folder, "path": f"{tree}/{folder['path']}"} for folder in folders]
    return wanted


def name_of(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def describe(path):
    """The folder as it is: 'absent', 'not a folder', or 'owner:group mode'."""
    try:
        info = os.stat(path)  # a folder linked elsewhere (a data disk) counts as one
    except FileNotFoundError:
        return "absent"
    if not stat.S_ISDIR(info.st_mode):
        return "not a folder"
    owner = name_of(pwd.getpwuid, info.st_uid)
    group = name_of(grp.getgrgid, info.st_gid)
    return f"{owner}:{group} {stat.S_IMODE(info.st_mode):04o}"


def ensure(folders, check):
    """Bring every folder to its entry; returns the changes as (path, before, after)."""
    changes = []
    for folder in folders:
        path = folder["path"]
        mode = int(str(folder["mode"]), 8)
        before = describe(path)
        after = f"{folder['owner']}:{folder['group']} {mode:04o}"
        if before == after:
            continue
        if before == "not a folder":
            raise ValueError(f"{path} exists and is not a folder")
        changes.append((path, before, after))
        if check:
            continue
        # Looked up only now: in check mode the user may be one base has not made yet.
        uid = pwd.getpwnam(folder["owner"]).pw_uid
        gid = grp.getgrnam(folder["group"]).gr_gid
        if before == "absent":
            os.mkdir(path, mode)
        os.chown(path, uid, gid)
        os.chmod(path, mode)  # after chown, which clears the setgid bit
    return changes


def main():
    module = AnsibleModule(
        argument_spec={
            "roots": {"type": "list", "elements": "path", "required": True},
            "trees": {"type": "list", "elements": "path", "required": True},
            "folders": {"type": "list", "elements": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    try:
        wanted = plan(module.params["roots"], module.params["trees"], module.params["folders"])
        changes = ensure(wanted, module.check_mode)
    except (KeyError, ValueError, OSError) as error:
        module.fail_json(msg=f"project_tree: {error}")
    module.exit_json(
        changed=bool(changes),
        folders=[path for path, _, _ in changes],
        diff={
            "before": "".join(f"{path}: {before}\n" for path, before, _ in changes),
            "after": "".join(f"{path}: {after}\n" for path, _, after in changes),
        },
    )


if __name__ == "__main__":
    main()
