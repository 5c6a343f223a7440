"""deploy_facts: the default routes read as the setup module reads them, and the accounts as
getent gives them."""

import pwd

import pytest
from deploy_facts import parse_route, passwd_entry

V4 = "8.8.8.8"
V6 = "2404:6800:400a:800::1012"


@pytest.mark.parametrize(
    ("output", "target", "route"),
    [
        (
            f"{V4} via 172.18.0.1 dev eth0 src 172.18.0.5 uid 1000 \n    cache \n",
            V4,
            {"gateway": "172.18.0.1", "interface": "eth0", "address": "172.18.0.5"},
        ),
        # on the link: no gateway
        (f"{V4} dev eth0 src 10.0.0.7 uid 0\n", V4, {"interface": "eth0", "address": "10.0.0.7"}),
        # a gateway that is the target itself is none
        (
            f"{V4} via {V4} dev eth1 src 10.1.0.2\n",
            V4,
            {"interface": "eth1", "address": "10.1.0.2"},
        ),
        (
            f"{V6} from :: via fe80::1 dev eth0 proto ra src 2001:db8::5 metric 100 pref medium\n",
            V6,
            {"gateway": "fe80::1", "interface": "eth0", "address": "2001:db8::5"},
        ),
        # no route: the kernel's answer is no route line
        ("RTNETLINK answers: Network is unreachable\n", V4, {}),
        ("", V6, {}),
    ],
)
def test_parse_route(output, target, route):
    assert parse_route(output, target) == route


def test_passwd_entry_gives_the_fields_after_the_name():
    root = pwd.getpwnam("root")
    assert passwd_entry("root") == [
        root.pw_passwd, "0", "0", root.pw_gecos, root.pw_dir, root.pw_shell
    ]  # fmt: skip


def test_passwd_entry_of_a_missing_account_is_none():
    assert passwd_entry("no-such-account-here") is None
