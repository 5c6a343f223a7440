#!/usr/bin/python
"""Start one color's web program on a release and check it, switch traffic to it, or stop
it: one call each."""

DOCUMENTATION = r"""
module: web_color
short_description: Start a color's web program and check it, switch traffic to it, or stop it
description:
  - C(stopped) waits O(drain) seconds (for what is already queued to the program), removes
    the program's link from supervisor's conf.d and runs C(supervisorctl update PROGRAM),
    which stops it gracefully, whatever its state (running, starting, backing off), and
    unloads it. A program supervisor does not know is fine.
  - >-
    C(started) first stops what an unfinished run left in that color, removes its old
    socket, points the color's slot at O(release), links the program's O(conf) into conf.d
    and lets supervisor start it. It asks the O(stop_groups) to stop (gracefully, without
    waiting: a deploy's task programs, whose warm shutdown then runs while the program
    starts; the handler's switch_programs starts them again once they are down). It then
    waits until the program answers on O(socket), failing at once when supervisor reports it
    dead, with the last lines of O(logs); and asks O(health_path) until it answers 200, a few
    tries a second apart, failing with the status and the body of the last answer.
  - C(live) points O(live_socket) (the link nginx connects through) at O(socket) in one rename
    and checks O(health_path) again, at O(url) (through nginx) or else on the live socket. When
    that check fails, the live socket goes back to O(old_socket) (or away, when nothing was
    live) and the module fails. Else the tree's O(app_link) is pointed at O(app_target) and
    O(state_content) is written to O(state_file), in one rename each.
options:
  state:
    description: started, live or stopped.
    type: str
    choices: [started, live, stopped]
    required: true
  program:
    description: The supervisor program of the color.
    type: str
    required: true
  conf:
    description: The program's supervisor file, which site.yml wrote (started).
    type: path
  enabled_dir:
    description: supervisor's conf.d, where a link to a program's file enables it.
    type: path
    default: /etc/supervisor/conf.d
  drain:
    description: Seconds to wait before a stop.
    type: int
    default: 0
  socket:
    description: The unix socket the program binds.
    type: path
  slot:
    description: The color's slot, a link to the release the program runs.
    type: path
  release:
    description: What the slot points to (a release id, relative to the slot's folder).
    type: str
  timeout:
    description: Seconds to wait for the program to listen.
    type: int
    default: 60
  health_path:
    description: The health check's path.
    type: str
    default: /healthz
  host_header:
    description: The Host header of the health check.
    type: str
    default: localhost
  health_tries:
    description: Tries of the health check, a second apart.
    type: int
    default: 5
  stop_groups:
    description: supervisor program groups to ask to stop once the program is started (started).
    type: list
    elements: str
    default: []
  supervisor_socket:
    description: supervisord's XML-RPC unix socket, for O(stop_groups).
    type: path
    default: /var/run/supervisor.sock
  logs:
    description: Log files whose last lines go into the failure message.
    type: list
    elements: path
    default: []
  lines:
    description: How many lines of each log.
    type: int
    default: 15
  live_socket:
    description: The app's live socket, a link to a color's socket (live).
    type: path
  old_socket:
    description: The socket that was live before, to go back to (live); none for a first deploy.
    type: path
  url:
    description: Where the check after the switch asks, over HTTP (live); else the live socket.
    type: str
  app_link:
    description: The tree's link to its live release (live).
    type: path
  app_target:
    description: What O(app_link) points to (live).
    type: str
  state_file:
    description: The deploy state file (live).
    type: path
  state_content:
    description: The deploy state to write (live).
    type: str
"""

RETURN = r"""
state:
  description: supervisor's state of the program when the wait ended (started).
  type: str
  returned: when started
seconds:
  description: How long the program took to listen (started).
  type: float
  returned: when started
status:
  description: The health check's last HTTP status.
  type: int
  returned: when started or live
switched_at:
  description:
    - >-
      When the live socket was pointed at the program, on the host's monotonic clock
      (Python's C(time.monotonic())): switch_programs' O(since) drains the old color from then.
  type: float
  returned: when live
"""

import http.client
import os
import socket
import time
import urllib.parse
import xmlrpc.client

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.program_logs import last_lines
from ansible.module_utils.replace import replace_file, replace_link
from ansible.module_utils.supervisor_rpc import (
    SupervisorError,
    UnixConnection,
    ask_to_stop,
    connect,
)

# States of a program that will not bring its socket up without help.
DEAD = ("BACKOFF", "EXITED", "FATAL", "STOPPED", "UNKNOWN")


class Unhealthy(Exception):
    def __init__(self, msg, **details):
        super().__init__(msg)
        self.details = details


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


def health(path, url, host, timeout=10):
    """(status, body) of a GET of url on the unix socket path, or at an http:// url when path
    is None."""
    if path is None:
        address = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=timeout)
        url = address.path or "/"
    else:
        connection = UnixConnection(path, timeout)
    try:
        connection.request("GET", url, headers={"Host": host})
        answer = connection.getresponse()
        return answer.status, answer.read(2000).decode(errors="replace")
    finally:
        connection.close()


class Supervisor:
    def __init__(self, module):
        self.module = module

    def status(self, program):
        _, out, _ = self.module.run_command(["supervisorctl", "status", program])
        fields = out.split()
        return out.strip(), fields[1] if len(fields) > 1 else "UNKNOWN"

    def update(self, program):
        """supervisorctl update PROGRAM: whether it added or removed the program."""
        rc, out, err = self.module.run_command(["supervisorctl", "update", program])
        if rc != 0 and "no such group" not in out:
            self.module.fail_json(msg=f"supervisorctl update {program}: {out}{err}", rc=rc)
        return "added process group" in out or "removed process group" in out


def stop(supervisor, params):
    """Disable and unload the program; whether anything changed."""
    if params["drain"]:
        time.sleep(params["drain"])
    changed = False
    if os.path.lexists(params["enabled"]):
        os.unlink(params["enabled"])
        changed = True
    return supervisor.update(params["program"]) or changed


def wait_listening(supervisor, params):
    """Seconds until the program answers; raises Unhealthy when it dies or never listens."""
    start = time.monotonic()
    state, status, next_status = "STARTING", "", start
    while time.monotonic() - start < params["timeout"]:
        if answering(params["socket"]):
            return time.monotonic() - start
        if time.monotonic() >= next_status:
            status, state = supervisor.status(params["program"])
            if state in DEAD:
                break
            next_status = time.monotonic() + 0.5
        time.sleep(0.1)
    why = f"is {state}" if state in DEAD else f"did not listen within {params['timeout']} s"
    logs = last_lines(params["logs"], params["lines"])
    raise Unhealthy(
        f"{params['program']} {why} (supervisor: {status or 'no status'}).\n{logs}",
        state=state,
        seconds=time.monotonic() - start,
    )


def check_health(params, socket_path=None, url=None):
    """The health check's status once it is 200; raises Unhealthy after the last try. Asks on
    the color's socket, or socket_path, or at url."""
    status, body = None, ""
    where = url or params["health_path"]
    socket_path = None if url else socket_path or params["socket"]
    for attempt in range(params["health_tries"]):
        if attempt:
            time.sleep(1)
        try:
            status, body = health(socket_path, where, params["host_header"])
        except OSError as error:
            status, body = None, str(error)
        if status == 200:
            return status
    raise Unhealthy(
        f"{params['program']}: {where} answered {status or 'nothing'} "
        f"after {params['health_tries']} tries: {body}",
        status=status,
        body=body,
    )


def start(supervisor, params):
    stop(supervisor, {**params, "drain": 0})
    if os.path.lexists(params["socket"]):
        os.unlink(params["socket"])
    replace_link(params["slot"], params["release"])
    replace_link(params["enabled"], params["conf"])
    supervisor.update(params["program"])
    if params["stop_groups"]:
        ask_to_stop(connect(params["supervisor_socket"]), params["stop_groups"])
    seconds = wait_listening(supervisor, params)
    return {"state": "RUNNING", "seconds": round(seconds, 2), "status": check_health(params)}


def go_live(params):
    """Traffic to the color, checked; then the tree's link and the state. Any failure puts
    the live socket and the tree's link back as they were."""
    live, app_link = params["live_socket"], params["app_link"]
    app_before = os.readlink(app_link) if os.path.islink(app_link) else None
    replace_link(live, os.path.basename(params["socket"]))
    switched_at = time.monotonic()
    try:
        status = check_health(params, socket_path=live, url=params["url"])
        replace_link(app_link, params["app_target"])
        replace_file(params["state_file"], params["state_content"])
    except BaseException:
        if params["old_socket"]:
            replace_link(live, os.path.basename(params["old_socket"]))
        else:
            os.unlink(live)
        if app_before:
            replace_link(app_link, app_before)
        raise
    return {"status": status, "switched_at": round(switched_at, 3)}


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["started", "live", "stopped"], "required": True},
            "program": {"type": "str", "required": True},
            "conf": {"type": "path"},
            "enabled_dir": {"type": "path", "default": "/etc/supervisor/conf.d"},
            "drain": {"type": "int", "default": 0},
            "socket": {"type": "path"},
            "slot": {"type": "path"},
            "release": {"type": "str"},
            "timeout": {"type": "int", "default": 60},
            "health_path": {"type": "str", "default": "/healthz"},
            "host_header": {"type": "str", "default": "localhost"},
            "health_tries": {"type": "int", "default": 5},
            "stop_groups": {"type": "list", "elements": "str", "default": []},
            "supervisor_socket": {"type": "path", "default": "/var/run/supervisor.sock"},
            "logs": {"type": "list", "elements": "path", "default": []},
            "lines": {"type": "int", "default": 15},
            "live_socket": {"type": "path"},
            "old_socket": {"type": "path"},
            "url": {"type": "str"},
            "app_link": {"type": "path"},
            "app_target": {"type": "str"},
            "state_file": {"type": "path"},
            "state_content": {"type": "str"},
        },
        required_if=[
            ("state", "started", ("conf", "socket", "slot", "release")),
            (
                "state",
                "live",
                ("socket", "live_socket", "app_link", "app_target", "state_file", "state_content"),
            ),
        ],
    )
    supervisor = Supervisor(module)
    params = dict(module.params)
    params["enabled"] = os.path.join(params["enabled_dir"], f"{params['program']}.conf")
    if params["state"] == "stopped":
        module.exit_json(changed=stop(supervisor, params))
    try:
        if params["state"] == "live":
            module.exit_json(changed=True, **go_live(params))
        module.exit_json(changed=True, **start(supervisor, params))
    except Unhealthy as failure:
        module.fail_json(msg=str(failure), **failure.details)
    except (SupervisorError, OSError, xmlrpc.client.Error) as failure:
        module.fail_json(msg=f"{params['program']}: {failure}")


if __name__ == "__main__":
    main()
