"""site.yml under the mitogen strategy, over SSH as a sudo user: it converges the host, a
second run with every task changes nothing, the app answers through nginx, the modules ran
in mitogen's interpreter, and a run of the converged host (the fast path) changes nothing."""

import json
import os
import subprocess
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
