# Managed by the flask toolkit: shared by the app_deploy role's modules.
"""HTTP over a unix socket, and supervisord's XML-RPC interface through it."""

import http.client
import socket
import xmlrpc.client


class SupervisorError(Exception):
    """supervisord refused, or does not know, what it was asked."""


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path, timeout):
        super().__init__()
        self.path, self.timeout = path, timeout

    def make_connection(self, host):
        return UnixConnection(self.path, self.timeout)


def connect(path, timeout=30):
    """supervisord's `supervisor` XML-RPC namespace, over its unix socket."""
    transport = UnixTransport(path, timeout)
    proxy = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=transport)
    return proxy.supervisor


def ask_to_stop(rpc, groups):
    """Ask each group's running programs to stop, gracefully, without waiting for them;
    whether any was running. Every group is checked before any is asked."""
    known = {info["group"] for info in rpc.getAllProcessInfo()}
    unknown = [group for group in groups if group not in known]
    if unknown:
        raise SupervisorError(f"supervisor has no program group {', '.join(unknown)}")
    signalled = False
    for group in groups:
        signalled = bool(rpc.stopProcessGroup(group, False)) or signalled
    return signalled
