#!/usr/bin/python
"""After a switch: stop the old colors and restart the task programs, at the same time."""

DOCUMENTATION = r"""
module: switch_programs
short_description: Retire web programs and restart program groups, all at once
description:
  - >-
    Talks to supervisord over its XML-RPC unix socket, as supervisorctl does, but drives every
    program at the same time and watches their states every 0.1 s, so a deploy waits for the
    slowest program rather than for the sum of them. Each stop is a waited-for call on a
    connection of its own, as supervisorctl's: supervisord logs "waiting for ... to stop"
    while a program finishes its work (celery's warm shutdown).
  - O(retire) programs (a switch's old colors) are disabled at once (their link in
    O(enabled_dir) goes), then, O(drain) seconds after traffic left them (O(since); else
    now), for what is already queued to them, stopped gracefully and unloaded, whatever
    their state. A program supervisor does not know is fine.
  - O(restart) groups (the task programs) are stopped, then started again; the module waits
    until each of their programs has stayed up its C(startsecs) (RUNNING). A program that
    dies instead (BACKOFF, EXITED, FATAL) fails the module, with the last lines of its log.
  - A O(restart) group whose programs are still stopping (a deploy asks the task programs to
    stop as it starts the new color, see web_color's O(stop_groups)) is started once they are
    down.
options:
  retire:
    description: Web programs to disable, drain, stop and unload.
    type: list
    elements: str
    default: []
  drain:
    description: Seconds between traffic leaving a O(retire) program and its stop.
    type: int
    default: 0
  since:
    description:
      - For O(retire) programs, by name, when traffic left them, on the host's monotonic
        clock (Python's C(time.monotonic()), as web_color's C(switched_at) gives it); the
        drain counts from then, so that what ran since the switch is part of it. A program
        not named here drains from now.
    type: dict
    default: {}
  restart:
    description: Program groups to restart.
    type: list
    elements: str
    default: []
  enabled_dir:
    description: supervisor's conf.d, where a link to a web program's file enables it.
    type: path
    default: /etc/supervisor/conf.d
  socket:
    description: supervisord's XML-RPC unix socket.
    type: path
    default: /var/run/supervisor.sock
  start_timeout:
    description: Seconds a restarted program may take to reach RUNNING.
    type: int
    default: 60
  lines:
    description: How many lines of a failed program's log go into the message.
    type: int
    default: 15
"""

RETURN = r"""
seconds:
  description: How long each retired program and restarted group took, by name.
  type: dict
  returned: always
"""

import os
import threading
import time
import xmlrpc.client

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.program_logs import last_lines
from ansible.module_utils.supervisor_rpc import SupervisorError, connect

TICK = 0.1
# supervisor's process states, by what they mean to a wait.
DIED = {"BACKOFF", "EXITED", "FATAL"}
SUCCESS = 80  # the status of a process that started


class Failed(SupervisorError):
    pass


class Stop:
    """supervisor's stop of a group, waited for on a connection of its own, as supervisorctl
    does: supervisord logs "waiting for ... to stop" while a program finishes its work, and
    the stop is done when the call returns. The caller watches the states meanwhile."""

    def __init__(self, socket_path, group):
        self.error = None
        self.thread = threading.Thread(target=self.stop, args=(socket_path, group), daemon=True)
        self.thread.start()

    def stop(self, socket_path, group):
        try:
            connect(socket_path, timeout=None).stopProcessGroup(group, True)
        except (OSError, xmlrpc.client.Error) as error:
            self.error = error

    def done(self, name):
        if self.thread.is_alive():
            return False
        if self.error:
            raise Failed(f"supervisor did not stop {name}: {self.error}")
        return True


class Retire:
    """A web program: disabled now, stopped once it has drained (drain seconds since traffic
    left it, at since, or now), then unloaded."""

    def __init__(self, name, enabled_dir, drain, now, since=None):
        began = now if since is None else min(now, float(since))  # never after now
        self.name, self.stop_at = name, began + drain
        self.enabled = os.path.join(enabled_dir, f"{name}.conf")
        self.phase, self.changed, self.stopping = "draining", False, None

    def begin(self, supervisor, groups):
        if os.path.lexists(self.enabled):
            os.unlink(self.enabled)
            self.changed = True

    def step(self, supervisor, states, now):
        if self.phase == "draining" and now >= self.stop_at:
            self.phase = "stopping" if states else "done"  # else: supervisor does not know it
            if states:
                self.stopping, self.changed = Stop(supervisor.path, self.name), True
        elif self.phase == "stopping" and self.stopping.done(self.name):
            supervisor.rpc.removeProcessGroup(self.name)
            self.phase = "done"


class Restart:
    """A group: stopped, then started, then watched until every program is RUNNING."""

    def __init__(self, name, start_timeout, lines):
        self.name, self.start_timeout, self.lines = name, start_timeout, lines
        self.phase, self.changed, self.started_at, self.stopping = "stopping", True, None, None

    def begin(self, supervisor, groups):
        if self.name not in groups:
            raise Failed(f"supervisor has no program group {self.name}")
        self.stopping = Stop(supervisor.path, self.name)

    def step(self, supervisor, states, now):
        # A stop asked for earlier (web_color's stop_groups) may still be under way:
        # supervisor's stop of the group skips the programs already stopping, and its start of
        # one would not spawn it while the old process lives.
        stopped = "STOPPING" not in states.values()
        if self.phase == "stopping" and self.stopping.done(self.name) and stopped:
            results = supervisor.rpc.startProcessGroup(self.name, False)
            self.phase, self.started_at = "starting", now
            # A program that dies at once is a spawn error here rather than a state later.
            dead = {r["name"]: "SPAWN_ERROR" for r in results if r["status"] != SUCCESS}
            if dead:
                self.fail(supervisor.rpc, sorted(dead), dead, "died")
        elif self.phase == "starting":
            self.watch(supervisor.rpc, states, now)

    def watch(self, rpc, states, now):
        if set(states.values()) == {"RUNNING"}:
            self.phase = "done"
            return
        dead = sorted(name for name, state in states.items() if state in DIED)
        if dead:
            self.fail(rpc, dead, states, "died")
        if now - self.started_at >= self.start_timeout:
            self.fail(rpc, sorted(states), states, f"was not RUNNING within {self.start_timeout} s")

    def fail(self, rpc, names, states, why):
        lines = []
        for name in names:
            info = rpc.getProcessInfo(f"{self.name}:{name}")
            lines.append(
                f"{self.name}:{name} is {states.get(name, info['statename'])} "
                f"({info['spawnerr'] or info['description']}).\n"
                f"{last_lines([info['stdout_logfile']], self.lines)}"
            )
        raise Failed(f"the restart of {self.name} failed: a program {why}.\n" + "".join(lines))


class Supervisor:
    """supervisord's XML-RPC interface at a unix socket."""

    def __init__(self, path):
        self.path, self.rpc = path, connect(path)

    def states(self):
        """{group: {process: state name}}."""
        states = {}
        for info in self.rpc.getAllProcessInfo():
            states.setdefault(info["group"], {})[info["name"]] = info["statename"]
        return states


def run(supervisor, units):
    """Drive every unit to done; {name: seconds} of each."""
    begun = time.monotonic()
    seconds = {}
    groups = supervisor.states()
    for unit in units:
        unit.begin(supervisor, groups)
    while len(seconds) < len(units):
        now = time.monotonic()
        states = supervisor.states()
        for unit in units:
            if unit.phase != "done":
                unit.step(supervisor, states.get(unit.name, {}), now)
            if unit.phase == "done" and unit.name not in seconds:
                seconds[unit.name] = round(time.monotonic() - begun, 2)
        if len(seconds) < len(units):
            time.sleep(TICK)
    return seconds


def main():
    module = AnsibleModule(
        argument_spec={
            "retire": {"type": "list", "elements": "str", "default": []},
            "drain": {"type": "int", "default": 0},
            "since": {"type": "dict", "default": {}},
            "restart": {"type": "list", "elements": "str", "default": []},
            "enabled_dir": {"type": "path", "default": "/etc/supervisor/conf.d"},
            "socket": {"type": "path", "default": "/var/run/supervisor.sock"},
            "start_timeout": {"type": "int", "default": 60},
            "lines": {"type": "int", "default": 15},
        },
    )
    params = module.params
    now = time.monotonic()
    units = [
        Retire(name, params["enabled_dir"], params["drain"], now, params["since"].get(name))
        for name in params["retire"]
    ]
    units += [Restart(name, params["start_timeout"], params["lines"]) for name in params["restart"]]
    try:
        supervisor = Supervisor(params["socket"])
        seconds = run(supervisor, units)
    except (Failed, OSError, xmlrpc.client.Error) as failure:
        module.fail_json(msg=str(failure))
    module.exit_json(changed=any(unit.changed for unit in units), seconds=seconds)


if __name__ == "__main__":
    main()
