#!/usr/bin/python
# Managed by the flask toolkit: the flask role's module (its action renders the templates).
"""A role's folders, files, links and removals in one module call: what a file, copy or
template task per path would do, at the cost of one round trip for all of them."""

import base64
import grp
import os
import pwd
import shlex
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: flask_files
short_description: Folders, files, links and removals of a role in one call
description:
  - >-
    Brings each path to its entry, in the order given: a folder (made when missing), a file
    (written only when its content differs; checked by I(validate) on a temporary copy next to
    it before it replaces the old one), a symbolic link, or nothing (removed). Owner, group and
    mode are set on folders and files. Supports check mode and diff.
  - The action of the same name renders each entry's template (or reads its file) on the
    control node and passes the content here.
options:
  files:
    description:
      - Entries with C(path), C(state) (directory, file, link or absent), for a file its
        C(content_b64), C(owner), C(group), C(mode) and C(validate) (a command, C(%s) for the
        file), for a link its C(target).
    type: list
    elements: dict
    required: true
"""

RETURN = r"""
paths:
  description: The paths changed (or that would change, in check mode), in the order given.
  type: list
  elements: str
  returned: always
checksums:
  description: >-
    Added by the action - the SHA-1 of each file's content, by path, as written (or as it
    would be).
  type: dict
  returned: always
"""

MAX_DIFF = 64 << 10


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def attributes(info):
    """'owner:group mode' of a stat result."""
    owner = _name(pwd.getpwuid, info.st_uid)
    group = _name(grp.getgrgid, info.st_gid)
    return f"{owner}:{group} {stat.S_IMODE(info.st_mode):04o}"


def wanted_attributes(entry):
    owner, group = entry.get("owner", "root"), entry.get("group", "root")
    return f"{owner}:{group} {int(str(entry['mode']), 8):04o}"


def set_attributes(path, entry):
    # Looked up only when acting: in check mode the user may be one no task has made yet.
    os.chown(
        path,
        pwd.getpwnam(entry.get("owner", "root")).pw_uid,
        grp.getgrnam(entry.get("group", "root")).gr_gid,
    )
    os.chmod(path, int(str(entry["mode"]), 8))  # after chown, which clears setgid


def _text(data):
    if len(data) > MAX_DIFF or b"\0" in data:
        return f"({len(data)} bytes)\n"
    return data.decode("utf-8", "replace")


class Files:
    def __init__(self, check, run_command):
        self.check = check
        self.run_command = run_command
        self.changed = []
        self.diff = []

    def _change(self, path, before, after):
        self.changed.append(path)
        self.diff.append(
            {"before_header": path, "after_header": path, "before": before, "after": after}
        )

    def directory(self, entry):
        path = entry["path"]
        try:
            info = os.stat(path)  # a folder linked elsewhere (a data disk) counts as one
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise ValueError(f"{path} exists and is not a folder")
        before = "absent\n" if info is None else attributes(info) + "\n"
        after = wanted_attributes(entry) + "\n"
        if before == after:
            return
        self._change(path, before, after)
        if not self.check:
            if info is None:
                os.mkdir(path, 0o700)
            set_attributes(path, entry)

    def file(self, entry):
        path = entry["path"]
        content = base64.b64decode(entry["content_b64"])
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} exists and is not a file")
        old = b""
        if info is not None:
            with open(path, "rb") as handle:
                old = handle.read()
        same_content = info is not None and old == content
        same_attributes = info is not None and attributes(info) == wanted_attributes(entry)
        if same_content and same_attributes:
            return
        if same_content:
            self._change(path, attributes(info) + "\n", wanted_attributes(entry) + "\n")
        else:
            self._change(path, _text(old), _text(content))
        if self.check:
            return
        if same_content:
            set_attributes(path, entry)
            return
        self._write(path, content, entry)

    def _write(self, path, content, entry):
        folder, name = os.path.split(path)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            with os.fdopen(handle, "wb") as output:
                output.write(content)
            set_attributes(temporary, entry)
            if entry.get("validate"):
                command = [part.replace("%s", temporary) for part in shlex.split(entry["validate"])]
                rc, out, err = self.run_command(command)
                if rc != 0:
                    why = (err or out).strip()
                    raise ValueError(f"{path}: validate ({entry['validate']}) failed: {why}")
            os.replace(temporary, path)
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)

    def link(self, entry):
        path, target = entry["path"], entry["target"]
        if os.path.islink(path):
            before = os.readlink(path)
        else:
            before = "a file" if os.path.lexists(path) else "absent"
        if before == target:
            return
        self._change(path, f"{before}\n", f"-> {target}\n")
        if self.check:
            return
        temporary = f"{path}.flask-files"
        if os.path.lexists(temporary):
            os.unlink(temporary)
        os.symlink(target, temporary)
        os.replace(temporary, path)

    def absent(self, entry):
        path = entry["path"]
        if not os.path.lexists(path):
            return
        self._change(path, "present\n", "absent\n")
        if self.check:
            return
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)

    def apply(self, entries):
        for entry in entries:
            state = entry.get("state", "file")
            if state not in {"directory", "file", "link", "absent"}:
                raise ValueError(f"{entry.get('path')}: unknown state {state!r}")
            done = len(self.changed)
            try:
                getattr(self, state)(entry)
            except Exception:
                del self.changed[done:], self.diff[done:]  # this one did not change
                raise


def main():
    module = AnsibleModule(
        argument_spec={"files": {"type": "list", "elements": "dict", "required": True}},
        supports_check_mode=True,
    )
    files = Files(module.check_mode, module.run_command)
    try:
        files.apply(module.params["files"])
    except (KeyError, ValueError, OSError) as error:
        module.fail_json(
            msg=f"flask_files: {error}", changed=bool(files.changed), paths=files.changed
        )
    module.exit_json(
        changed=bool(files.changed), paths=files.changed, diff=files.diff if module._diff else []
    )


if __name__ == "__main__":
    main()
