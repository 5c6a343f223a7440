#!/usr/bin/python
"""Check a host against the state the last complete run left it in, or record that state."""

DOCUMENTATION = r"""
module: converged_state
short_description: Whether a host is still as the last complete run left it
description:
  - >-
    C(record) writes what a complete run left on the host: the fingerprint of the run's
    inputs, the checksum, mode and owner of every file under O(files), the type, mode and owner
    of the entries of the app trees under O(projects), which of O(units) were active, and the
    state of every supervisor program.
  - C(check) compares the host with that record, reads what runs and asks every app for its
    health. It changes nothing. The host is converged when the fingerprint is the same, no
    file differs, the same units are active, the same programs run and every probe answers
    with a 2xx status.
  - >-
    C(check) also gathers the facts the roles read, with the setup module's own collectors of
    its C(distribution), C(dns), C(python) and C(network) subsets: the same facts as setup
    gives, in the same request, instead of a setup call of their own before it.
  - >-
    Used through the action plugin of the same name, which computes the fingerprints on the
    control node: of the run's inputs before the request, and of the facts of every host
    after it (its mode C(compare), with no request).
options:
  mode:
    description: C(check) or C(record).
    type: str
    choices: [check, record]
    required: true
  fingerprint:
    description: The fingerprint of the run's inputs, the facts of the hosts left out.
    type: str
    required: true
  facts:
    description: The fingerprint of the facts of the hosts, which C(record) keeps.
    type: str
    default: ""
  facts_only:
    description: >-
      C(check) gathers the facts and looks the accounts up, and reads nothing else (the fast
      path is off, or the run's inputs do not resolve).
    type: bool
    default: false
  state_file:
    description: Where the record lives (JSON, readable by root only).
    type: path
    required: true
  files:
    description: Files and folders whose every file is checksummed (a missing one is recorded so).
    type: list
    elements: path
    default: []
  projects:
    description: >-
      The root of the app trees. Each app's C(config) files are checksummed; the other entries
      of its tree, and of its C(releases) and C(requirements) folders, are recorded by type,
      mode, owner and link target. C(data), C(log) and C(run) change as the app runs: only the
      folders themselves are recorded.
    type: path
  units:
    description: systemd units; the record keeps those that are active.
    type: list
    elements: str
    default: []
  supervisor_socket:
    description: supervisord's unix socket; the record keeps each program's state.
    type: path
  probes:
    description: >-
      Requests that must answer with a 2xx status: C(url) (http or https, never verified) with
      a C(host) header, or C(socket), a unix socket, with C(path).
    type: list
    elements: dict
    default: []
  timeout:
    description: Seconds each probe may take.
    type: float
    default: 5
  accounts:
    description: >-
      Accounts to look up (check only), returned as the fact C(getent_passwd), the way the
      getent module gives it: the flask role's check of the app user then needs no call of
      its own.
    type: list
    elements: str
    default: []
"""

RETURN = r"""
converged:
  description: >-
    Whether the host is as the record says and every probe answered (check only; the action
    plugin's C(compare) then checks the facts of the hosts).
  type: bool
  returned: always
recorded_facts:
  description: The fingerprint of the facts of the hosts the record keeps.
  type: str
  returned: when C(check) finds a record with the same fingerprint of the inputs
reasons:
  description: What differs, when the host is not converged; at most 20 lines.
  type: list
  returned: always
ansible_facts:
  description: >-
    The facts of the setup module's C(distribution), C(dns), C(python) and C(network) subsets,
    named as setup names them; and C(getent_passwd) - each account of O(accounts): the fields
    of its passwd entry after the name, or null when the host has none.
  type: dict
  returned: in C(check)
"""

import grp
import hashlib
import http.client
import json
import os
import pwd
import socket
import ssl
import stat
import subprocess
import xmlrpc.client

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.facts.network.linux import LinuxNetworkCollector
from ansible.module_utils.facts.system.distribution import DistributionFactCollector
from ansible.module_utils.facts.system.dns import DnsFactCollector
from ansible.module_utils.facts.system.python import PythonFactCollector

# The setup module's collectors of the facts the roles read (the action plugin's FACTS).
COLLECTORS = (
    DistributionFactCollector,
    DnsFactCollector,
    PythonFactCollector,
    LinuxNetworkCollector,
)
LISTED_DIRS = ("releases", "requirements")
MAX_REASONS = 20


def _owner(info):
    try:
        user = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        user = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return f"{user}:{group}"


def entry(path, content=True):
    """What a path is: missing, a link and its target, a folder, or a file (with its SHA-256
    when content is asked for), each with mode and owner."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    mode = f"{stat.S_IMODE(info.st_mode):04o} {_owner(info)}"
    if stat.S_ISLNK(info.st_mode):
        return f"link {os.readlink(path)}"
    if stat.S_ISDIR(info.st_mode):
        return f"dir {mode}"
    if not content or not stat.S_ISREG(info.st_mode):
        return f"file {mode}"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"file {mode} {digest.hexdigest()}"


def _walk(root, manifest):
    manifest[root] = entry(root)
    if not os.path.isdir(root) or os.path.islink(root):
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in dirs + sorted(files):
            path = os.path.join(folder, name)
            manifest[path] = entry(path)


def _listing(folder, manifest, content=False):
    """A folder and its direct entries."""
    manifest[folder] = entry(folder)
    if os.path.isdir(folder) and not os.path.islink(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            manifest[path] = entry(path, content=content and not os.path.isdir(path))


def manifest(files, projects):
    """Every path the record keeps, and what each is."""
    found = {}
    for path in files:
        _walk(path, found)
    if projects and os.path.isdir(projects):
        for module in sorted(os.listdir(projects)):
            _listing(os.path.join(projects, module), found)
            for submodule in sorted(os.listdir(os.path.join(projects, module))):
                tree = os.path.join(projects, module, submodule)
                _listing(tree, found)
                if not os.path.isdir(tree):
                    continue
                for name in sorted(os.listdir(tree)):
                    if name == "config":
                        _walk(os.path.join(tree, name), found)
                    elif name in LISTED_DIRS:
                        _listing(os.path.join(tree, name), found, content=True)
        found[projects] = entry(projects)
    return found


def active_units(units):
    """The units of the list systemd reports active, in one systemctl call."""
    if not units:
        return []
    result = subprocess.run(
        ["systemctl", "is-active", *units], capture_output=True, text=True, check=False
    )
    states = result.stdout.split()
    return [unit for unit, state in zip(units, states, strict=False) if state == "active"]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path, timeout):
        super().__init__()
        self._path = path
        self._timeout = timeout

    def make_connection(self, host):
        return _UnixConnection(self._path, self._timeout)


def program_states(sock, timeout=5):
    """{group:name: state name} of supervisord's programs; {} when it has no socket."""
    if not sock or not os.path.exists(sock):
        return {}
    proxy = xmlrpc.client.ServerProxy("http://localhost", transport=_UnixTransport(sock, timeout))
    return {
        f"{info['group']}:{info['name']}": info["statename"]
        for info in proxy.supervisor.getAllProcessInfo()
    }


def probe(spec, timeout):
    """None when the request answers with a 2xx status, else what went wrong."""
    path = spec.get("path") or "/"
    try:
        if spec.get("socket"):
            connection = _UnixConnection(spec["socket"], timeout)
            where = f"{spec['socket']} {path}"
        else:
            scheme, _, rest = spec["url"].partition("://")
            hostport, _, url_path = rest.partition("/")
            path = "/" + url_path
            where = spec["url"]
            if scheme == "https":
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                connection = http.client.HTTPSConnection(hostport, timeout=timeout, context=context)
            else:
                connection = http.client.HTTPConnection(hostport, timeout=timeout)
        connection.request("GET", path, headers={"Host": spec.get("host") or "localhost"})
        status = connection.getresponse().status
        connection.close()
    except (OSError, http.client.HTTPException) as error:
        return f"{where}: {error}"
    return None if 200 <= status < 300 else f"{where}: status {status}"


def observe(params):
    """What the record keeps, as the host is now."""
    return {
        "files": manifest(params["files"], params["projects"]),
        "units": active_units(params["units"]),
        "programs": program_states(params["supervisor_socket"], params["timeout"]),
    }


def differences(recorded, fingerprint, now):
    """Why the host is not as recorded: a list of lines, empty when it is."""
    if recorded is None:
        return ["no record of a complete run"]
    if recorded.get("fingerprint") != fingerprint:
        return ["the inputs changed since the last complete run"]
    reasons = []
    old_files, new_files = recorded.get("files", {}), now["files"]
    for path in sorted(set(old_files) | set(new_files)):
        if old_files.get(path) != new_files.get(path):
            reasons.append(
                f"{path}: {old_files.get(path, 'not recorded')} -> {new_files.get(path, 'gone')}"
            )
    for unit in recorded.get("units", []):
        if unit not in now["units"]:
            reasons.append(f"unit {unit} is not active")
    old_programs = recorded.get("programs", {})
    for name in sorted(set(old_programs) | set(now["programs"])):
        if old_programs.get(name) != now["programs"].get(name):
            reasons.append(
                f"program {name}: {old_programs.get(name, 'absent')} -> "
                f"{now['programs'].get(name, 'absent')}"
            )
    return reasons


def read_record(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def account(name):
    """getent's fields of an account after its name (as strings), or None."""
    try:
        return [str(field) for field in pwd.getpwnam(name)[1:]]
    except KeyError:
        return None


def host_facts(module):
    """The facts of COLLECTORS, named as the setup module names them (ansible_<name>)."""
    facts = {}
    for collector in COLLECTORS:
        facts.update(collector().collect(module=module, collected_facts=facts))
    return {f"ansible_{name}": value for name, value in facts.items()}


def write_record(path, record):
    # The folder is shared (the maintenance flags live next to it, read by nginx): only the
    # record itself is for root alone.
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temporary = f"{path}.tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump(record, handle, sort_keys=True)
    os.replace(temporary, path)


def main():
    module = AnsibleModule(
        argument_spec={
            "mode": {"type": "str", "choices": ["check", "record"], "required": True},
            "fingerprint": {"type": "str", "required": True, "no_log": False},
            "facts": {"type": "str", "default": ""},
            "facts_only": {"type": "bool", "default": False},
            "state_file": {"type": "path", "required": True},
            "files": {"type": "list", "elements": "path", "default": []},
            "projects": {"type": "path"},
            "units": {"type": "list", "elements": "str", "default": []},
            "supervisor_socket": {"type": "path"},
            "probes": {"type": "list", "elements": "dict", "default": []},
            "timeout": {"type": "float", "default": 5},
            "accounts": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["mode"] == "record":
        try:
            now = observe(params)
        except (OSError, xmlrpc.client.Error) as error:
            # No record: the next run is a complete one.
            reasons = [f"cannot read the host: {error}"]
            module.exit_json(changed=False, converged=False, reasons=reasons)
        # Bookkeeping of the run, not a change to the host: it never reports changed.
        if not module.check_mode:
            record = {"fingerprint": params["fingerprint"], "facts": params["facts"], **now}
            write_record(params["state_file"], record)
        module.exit_json(changed=False, converged=True, reasons=[])
    facts = host_facts(module)
    if params["accounts"]:
        facts["getent_passwd"] = {name: account(name) for name in params["accounts"]}
    if params["facts_only"]:
        module.exit_json(changed=False, converged=False, reasons=[], ansible_facts=facts)
    recorded = read_record(params["state_file"])
    # No record, or other inputs: a complete run follows, and the host need not be read.
    if (recorded or {}).get("fingerprint") != params["fingerprint"]:
        reasons = differences(recorded, params["fingerprint"], None)
        module.exit_json(changed=False, converged=False, reasons=reasons, ansible_facts=facts)
    try:
        now = observe(params)
    except (OSError, xmlrpc.client.Error) as error:
        module.exit_json(
            changed=False,
            converged=False,
            reasons=[f"cannot read the host: {error}"],
            ansible_facts=facts,
        )
    reasons = differences(recorded, params["fingerprint"], now)
    if not reasons:
        reasons = [
            failure
            for failure in (probe(spec, params["timeout"]) for spec in params["probes"])
            if failure
        ]
    module.exit_json(
        changed=False,
        converged=not reasons,
        reasons=reasons[:MAX_REASONS],
        recorded_facts=recorded.get("facts", ""),
        ansible_facts=facts,
    )


if __name__ == "__main__":
    main()
