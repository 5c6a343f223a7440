"""One wrong variable per case: site.yml fails in its preflight play, naming the variable and
its value, and the fresh host is left exactly as it was."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
SAMPLE = str(PROJECT / "sample_app")


def app(**overrides):
    """The sample app entry, with some keys changed."""
    entry = {
        "module": "demo",
        "submodule": "web",
        "source": {"path": SAMPLE},
        "static_dir": "app/static",
        "required_env": ["SECRET_KEY"],
    }
    entry.update(overrides)
    return {key: value for key, value in entry.items() if value is not None}


CASES = {
    "missing module": (
        {"flask_apps": [app(module=None)]},
        r"missing required arguments: module found in flask_apps",
    ),
    "wrong type": (
        {"gunicorn_workers": "many"},
        (
            r"argument 'gunicorn_workers' is of type str and we were unable to convert to int: "
            r"\"'many'\" cannot be converted"
        ),
    ),
    "module with a slash": (
        {"flask_apps": [app(module="shop/api")]},
        r"flask_apps\[0\]\.module is 'shop/api'",
    ),
    "submodule with dot-dot": (
        {"flask_apps": [app(submodule="..")]},
        r"flask_apps\[0\]\.submodule is '\.\.'",
    ),
    "two apps on one socket": (
        {
            "flask_apps": [
                app(socket="/srv/shared.sock"),
                app(submodule="api", socket="/srv/shared.sock", server_names=["api"]),
            ]
        },
        r"flask_apps\[1\] \(demo/api\) listens on socket '/srv/shared\.sock', as flask_apps\[0\]",
    ),
    "two apps on one port": (
        {"flask_apps": [app(), app(submodule="api")]},
        r"flask_apps\[1\] \(demo/api\) serves port 80 for server name '_', as flask_apps\[0\]",
    ),
    "missing secret": (
        {"flask_secrets": {}},
        r"flask_apps\[0\] \(demo/web\) needs SECRET_KEY and it is not set",
    ),
    "unknown key in an app": (
        {"flask_apps": [app(wsgii="wsgi:app")]},
        r"flask_apps\.wsgii\. Supported parameters include",
    ),
    "workers below one": (
        {"gunicorn_workers": 0},
        r'the gunicorn settings of demo-web are .*"workers": 0',
    ),
    "bad body size": (
        {"nginx_client_max_body_size": "ten megs"},
        r'the nginx settings of demo-web are .*"client_max_body_size": "ten megs"',
    ),
}


@pytest.fixture(scope="module")
def untouched(host):
    """What a run that changed anything would leave behind; checked before and after."""

    def snapshot():
        return {
            "projects": host.file("/projects").exists,
            "nginx": host.package("nginx").is_installed,
            "supervisor": host.package("supervisor").is_installed,
            "flask user": host.user("flask").exists,
        }

    before = snapshot()
    assert not any(before.values()), before
    yield snapshot


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_input_fails_before_any_change(case, untouched, tmp_path):
    extra_vars, message = CASES[case]
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    result = subprocess.run(
        [
            "ansible-playbook",
            "site.yml",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "-e",
            f"@{vars_file}",
        ],
        cwd=PROJECT,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert re.search(message, output, re.DOTALL), output[-4000:]
    # Stopped in the preflight play: no later play started, nothing changed.
    assert not re.search(r"PLAY \[(Base|Web tier|App tier)\]", output)
    assert re.search(r"changed=0\s", output), output[-2000:]
    assert not any(untouched().values()), untouched()
