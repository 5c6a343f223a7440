#!/usr/bin/python
"""Take an app host out of a web host's nginx balancer, or put it back."""

DOCUMENTATION = r"""
module: balancer_member
short_description: Mark an app host down in a web host's upstream files, or up, and reload
description:
  - Runs on a web host. In each file of O(members), a file of C(server ADDRESS:PORT ...;)
    lines included in an nginx upstream block, marks the line of the member's server C(down)
    (O(state=drained)) or removes the mark (O(state=enabled)); when that changed a file, tests
    nginx's configuration (the old files are put back when the test fails) and reloads nginx
    gracefully, once, so that new requests go to the other servers while the old workers
    finish those in flight.
options:
  members:
    description: The upstream files and the server line to mark in each.
    type: list
    elements: dict
    required: true
    suboptions:
      upstream:
        description: The upstream file.
        type: path
        required: true
      server:
        description: The server's C(ADDRESS:PORT), as the file writes it.
        type: str
        required: true
  state:
    description: C(drained) takes the server out, C(enabled) puts it back.
    type: str
    choices: [drained, enabled]
    required: true
"""

RETURN = r"""
servers:
  description: The servers of the file after the change, each with C(down) true or false.
  type: list
  returned: always
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.replace import replace_file

LINE_RE = re.compile(r"^(\s*server\s+)(\S+)(.*?)(\s+down)?\s*;\s*$")


def parse(lines):
    """[(index, address:port, down)] of the server lines."""
    found = []
    for index, line in enumerate(lines):
        match = LINE_RE.match(line)
        if match:
            found.append((index, match.group(2), bool(match.group(4))))
    return found


def mark(lines, server, down):
    """The lines with `server` marked down (or not); None when it is not in them."""
    result = list(lines)
    for index, address, _ in parse(lines):
        if address == server:
            match = LINE_RE.match(lines[index])
            result[index] = f"{match.group(1)}{address}{match.group(3)}{' down' if down else ''};\n"
            return result
    return None


def main():
    module = AnsibleModule(
        argument_spec={
            "members": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "upstream": {"type": "path", "required": True},
                    "server": {"type": "str", "required": True},
                },
            },
            "state": {"type": "str", "choices": ["drained", "enabled"], "required": True},
        },
        supports_check_mode=True,
    )
    down = module.params["state"] == "drained"
    changes, servers = [], []  # (path, old lines, new lines) of the files that change
    for member in module.params["members"]:
        path, server = member["upstream"], member["server"]
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            module.fail_json(msg=f"{path} does not exist: run site.yml, which writes it")
        new = mark(lines, server, down)
        if new is None:
            module.fail_json(
                msg=f"{server} is not a server of {path}: run site.yml, which lists the app hosts"
            )
        servers.extend({"upstream": path, "server": s, "down": d} for _, s, d in parse(new))
        if new != lines:
            changes.append((path, lines, new))
    if not changes or module.check_mode:
        module.exit_json(changed=bool(changes), servers=servers)

    for path, _, new in changes:
        replace_file(path, "".join(new))
    rc, out, err = module.run_command(["nginx", "-t", "-q"])
    if rc != 0:
        for path, old, _ in changes:
            replace_file(path, "".join(old))
        module.fail_json(
            msg=f"nginx -t failed with the server marked; the files are put back: {err}"
        )
    rc, out, err = module.run_command(["systemctl", "reload", "nginx"])
    if rc != 0:
        module.fail_json(msg=f"reloading nginx failed: {err or out}")
    module.exit_json(changed=True, servers=servers)


if __name__ == "__main__":
    main()
