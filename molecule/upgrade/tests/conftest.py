"""Fixtures of the upgrade scenario: versions of the sample app, playbook runs, and load."""

import contextlib
import json
import shutil
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from playbooks import PROJECT, run  # noqa: E402

APP_ROOT = "/projects/demo/web"
LOADGEN = Path(__file__).with_name("loadgen.py")


def sample_app_entry(source):
    """The default app entry (roles/flask/defaults), with its source replaced."""
    defaults = yaml.safe_load((PROJECT / "roles/flask/defaults/main.yml").read_text())
    (entry,) = defaults["flask_apps"]
    return {**entry, "source": {"path": str(source)}}


@pytest.fixture(scope="session")
def versions(tmp_path_factory):
    """Copies of the sample app: 2.0.0, 3.0.0 whose /healthz always fails, 4.0.0."""
    made = {}
    for version in ("2.0.0", "3.0.0", "4.0.0"):
        copy = tmp_path_factory.mktemp(f"sample-{version}") / "app"
        shutil.copytree(PROJECT / "sample_app", copy, ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "VERSION").write_text(version + "\n")
        made[version] = copy
    health = made["3.0.0"] / "app/health.py"
    health.write_text(
        health.read_text().replace(
            "    try:\n        Note.count()",
            "    try:\n        raise SQLAlchemyError('3.0.0 is broken on purpose')",
        )
    )
    assert "broken on purpose" in health.read_text()
    return made


@pytest.fixture(scope="session")
def deploy(versions):
    """Deploys a version of the sample app with playbooks/deploy.yml."""

    def deploy_version(version, **extra_vars):
        source = PROJECT / "sample_app" if version == "1.0.0" else versions[version]
        entry = sample_app_entry(source)
        return run("playbooks/deploy.yml", extra_vars={"flask_apps": [entry], **extra_vars})

    return deploy_version


@pytest.fixture(scope="module")
def load(host):
    """`with load() as stats:` keeps 24 clients busy on the host's loopback meanwhile;
    stats is filled with the counts when the block ends."""
    host.ansible("copy", f"src={LOADGEN} dest=/root/loadgen.py mode=0644", check=False)

    @contextlib.contextmanager
    def running(clients=24):
        stop, output = "/root/loadgen.stop", "/root/loadgen.json"
        host.run(f"rm -f {stop} {output}")
        host.run(
            f"nohup python3 /root/loadgen.py --clients {clients} --seconds 600 "
            f"--stop-file {stop} > {output} 2>&1 &"
        )
        stats = {}
        time.sleep(2)  # the clients are running before the deploy starts
        try:
            yield stats
        finally:
            host.run(f"touch {stop}")
            for _ in range(120):
                text = host.file(output).content_string if host.file(output).exists else ""
                if text.strip().startswith("{"):
                    stats.update(json.loads(text))
                    break
                time.sleep(0.5)
            else:
                stats["unfinished"] = host.file(output).content_string
        print(f"load: {stats}")

    return running


@pytest.fixture()
def live(host):
    """The recorded deploy state of the sample app."""

    def read():
        return json.loads(host.file(f"{APP_ROOT}/releases/state.json").content_string)

    return read


@pytest.fixture()
def version_on_host(host):
    """The version the app answers through nginx, from the host itself."""

    def read():
        answer = host.check_output("curl -fsS http://127.0.0.1/api/v1/version")
        return json.loads(answer)["version"]

    return read
