#!/usr/bin/python
"""Wait until a new web program answers, or fail as soon as supervisor gives it up."""

DOCUMENTATION = r"""
module: web_ready
short_description: Wait until a web program answers, failing fast when the program dies
description:
  - Waits until the program answers a request on O(socket). Meanwhile it asks supervisor for the
    program's state; a program that exits, backs off or is FATAL fails at once, with
    supervisor's state and the last lines of its logs in the message, instead of waiting
    out the timeout for a socket that will never come.
options:
  socket:
    description: The unix socket the program binds.
    type: path
    required: true
  program:
    description: The supervisor program.
    type: str
    required: true
  timeout:
    description: Seconds to wait in all.
    type: int
    default: 60
  logs:
    description: Log files whose last lines go into the failure message.
    type: list
    elements: path
    default: []
  lines:
    description: How many lines of each log.
    type: int
    default: 15
"""

RETURN = r"""
state:
  description: supervisor's state of the program when the wait ended.
  type: str
  returned: always
seconds:
  description: How long the wait took.
  type: float
  returned: always
"""

import os
import socket
import time
from collections import deque

from ansible.module_utils.basic import AnsibleModule

# States of a program that will not bring its socket up without help.
DEAD = ("BACKOFF", "EXITED", "FATAL", "STOPPED", "UNKNOWN")


def answering(path):
    """Whether gunicorn answers on the socket: any reply to a request. The socket accepts
    connections before gunicorn has loaded the app (flask-socket-keeper holds it)."""
    if not os.path.exists(path):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1)
        probe.connect(path)
        probe.sendall(b"HEAD / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        return bool(probe.recv(1))
    except OSError:
        return False
    finally:
        probe.close()


def tail(path, lines):
    try:
        with open(path, errors="replace") as handle:
            return "".join(deque(handle, lines))
    except OSError as error:
        return f"({error.strerror})\n"


def main():
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "required": True},
            "program": {"type": "str", "required": True},
            "timeout": {"type": "int", "default": 60},
            "logs": {"type": "list", "elements": "path", "default": []},
            "lines": {"type": "int", "default": 15},
        },
    )
    params = module.params
    start = time.monotonic()
    state, status = "STARTING", ""
    next_status = start
    while time.monotonic() - start < params["timeout"]:
        if answering(params["socket"]):
            module.exit_json(changed=False, state="RUNNING", seconds=time.monotonic() - start)
        if time.monotonic() >= next_status:
            _, out, _ = module.run_command(["supervisorctl", "status", params["program"]])
            status = out.strip()
            fields = status.split()
            state = fields[1] if len(fields) > 1 else "UNKNOWN"
            if state in DEAD:
                break
            next_status = time.monotonic() + 0.5
        time.sleep(0.1)
    seconds = time.monotonic() - start
    why = f"is {state}" if state in DEAD else f"did not listen within {params['timeout']} s"
    logs = "".join(
        f"--- last lines of {path}:\n{tail(path, params['lines'])}" for path in params["logs"]
    )
    module.fail_json(
        msg=f"{params['program']} {why} (supervisor: {status or 'no status'}).\n{logs}",
        state=state,
        seconds=seconds,
    )


if __name__ == "__main__":
    main()
