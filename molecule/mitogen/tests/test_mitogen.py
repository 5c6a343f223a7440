"""site.yml under the mitogen strategy, over SSH as a sudo user: it converges the host, a
second run with every task changes nothing, the app answers through nginx, the modules ran
in mitogen's interpreter, a run of the converged host (the fast path) changes nothing, and
rules that keep the control node out are taken back."""

import json
import os
import re
import socket
import subprocess
import time
import urllib.request

import pytest

from playbooks import PROJECT, environment, run

ADDRESS = "10.233.58.10"
# Every run of this scenario's tests is mitogen's. A throwaway host: mitogen checks host keys
# itself, whatever the SSH options say.
os.environ.update({"ANSIBLE_STRATEGY": "mitogen_linear", "ANSIBLE_HOST_KEY_CHECKING": "False"})


@pytest.fixture(scope="module")
def converged():
    result = run("site.yml")
    assert result.returncode == 0 and result.failed == 0, result
    print(f"converge under mitogen: {result.seconds:.1f} s")
    return result


def test_a_second_run_of_every_task_changes_nothing(converged):
    result = run("site.yml", extra_vars={"converged_fast_path": False})
    assert result.returncode == 0 and result.changed == 0, result
    assert "TASK [nginx :" in result.output, result


def test_the_app_answers_through_nginx(converged):
    with urllib.request.urlopen(f"http://{ADDRESS}/healthz", timeout=10) as response:
        assert response.status == 200
        assert json.load(response)["status"] == "ok"


def test_modules_run_in_mitogens_interpreter(converged):
    """A module's parent process is mitogen's persistent interpreter, which names itself."""
    result = subprocess.run(
        ["ansible", "all", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--become",
         "-m", "ansible.builtin.shell", "-a", 'tr "\\0" " " < /proc/$PPID/cmdline'],
        cwd=PROJECT, env=environment(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(mitogen:" in result.stdout, result.stdout


def test_a_run_of_the_converged_host_changes_nothing(converged):
    result = run("site.yml")
    assert result.returncode == 0 and result.changed == 0, result
    assert "TASK [nginx :" not in result.output, result


def ssh_port_open():
    try:
        with socket.create_connection((ADDRESS, 22), timeout=2):
            return True
    except OSError:
        return False


def wait_for_ssh(seconds=30):
    deadline = time.monotonic() + seconds
    while not ssh_port_open():
        assert time.monotonic() < deadline, f"the rules were not taken back within {seconds} s"
        time.sleep(1)


@pytest.mark.parametrize("strategy", ["linear", "mitogen_linear"])
def test_rules_that_keep_the_control_node_out_are_taken_back(converged, strategy, monkeypatch):
    """The firewall's safety net, over SSH, under either strategy: rules that let no new SSH
    connection in fail the run at their check (the disarm, over a new connection, finds the
    host unreachable), the timer takes them back within its seconds, the same rules fail
    again, and a run with the right rules converges again."""
    monkeypatch.setenv("ANSIBLE_STRATEGY", strategy)
    keep_out = {"firewall_ssh_sources": ["192.0.2.0/24"], "firewall_undo_seconds": 10}
    check = r"Check that the control node still gets in over SSH, and disarm the timer\] \**\n"
    for _ in range(2):
        # The second time, the same rules are loaded again under a new timer and refused
        # again (the timer took the file back with them), not found as wanted while the
        # host has no table.
        shut = run("site.yml", extra_vars=keep_out)
        assert shut.returncode != 0 and shut.unreachable == 1, shut
        # Its error, then the host unreachable, before any other task.
        unreachable = r"(?:(?!TASK \[|RUNNING HANDLER \[).*\n)*fatal: \[[^]]+\]: UNREACHABLE!"
        assert re.search(check + unreachable, shut.output), shut
        wait_for_ssh()
    again = run("site.yml")
    assert again.returncode == 0 and again.failed == 0, again
    assert re.search(check + "changed:", again.output), again
