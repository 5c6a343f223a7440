"""One wrong variable per case: site.yml fails in its preflight play, naming the variable and
its value, and the fresh host is left exactly as it was. The cases' runs go four at a time,
before the first case's test; each test then reads its own run."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from playbooks import PROJECT, run

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
        {"gunicorn_threads": "many"},
        (
            r"argument 'gunicorn_threads' is of type str and we were unable to convert to int: "
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
        r"flask_apps\[0\] \(demo/web\)\.required_env names SECRET_KEY, which is not set",
    ),
    "unknown key in an app": (
        {"flask_apps": [app(wsgii="wsgi:app")]},
        r"flask_apps\.wsgii\. Supported parameters include",
    ),
    "writable path out of the source": (
        {"flask_apps": [app(writable_dirs=["../uploads"])]},
        r"flask_apps\[0\] \(demo/web\)\.writable_dirs\[0\] is '\.\./uploads'",
    ),
    "factory entry without its closing parenthesis": (
        {"flask_apps": [app(wsgi="app:create_app(")]},
        r"flask_apps\[0\] \(demo/web\)\.wsgi is 'app:create_app\('",
    ),
    "workers below one": (
        {"gunicorn_workers": 0},
        r"gunicorn_workers is 0: give a whole number, 1 or more",
    ),
    "celery app that is no module": (
        {"flask_apps": [app(celery={"app": "celery worker"})]},
        r"flask_apps\[0\] \(demo/web\)\.celery\.app is 'celery worker'",
    ),
    "websockets with several gunicorn workers": (
        {"flask_apps": [app(websockets=True, gunicorn={"workers": 3})]},
        r"flask_apps\[0\] \(demo/web\)\.gunicorn\.workers is 3: an app that serves websockets",
    ),
    "bad body size": (
        {"nginx_client_max_body_size": "ten megs"},
        r'nginx_client_max_body_size is "ten megs": give a size like 10m',
    ),
}


@pytest.fixture(scope="module")
def site_runs(provisioned):
    """{case: its run of site.yml}, from a host that nothing has provisioned."""
    assert not any(provisioned().values()), provisioned()
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = pool.map(lambda case: run("site.yml", extra_vars=CASES[case][0]), sorted(CASES))
        return dict(zip(sorted(CASES), runs, strict=True))


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_input_fails_before_any_change(case, site_runs, provisioned):
    _, message = CASES[case]
    result = site_runs[case]
    assert result.returncode != 0, result
    assert re.search(message, result.output, re.DOTALL), result
    # Stopped in the preflight play: no later play started, nothing changed.
    assert not re.search(r"PLAY \[(Base|Web tier|App tier)\]", result.output)
    assert result.changed == 0, result
    assert not any(provisioned().values()), provisioned()


def test_deploy_on_an_unprovisioned_host_says_to_run_site_yml_first(host, provisioned):
    deployed = run("playbooks/deploy.yml")
    assert deployed.returncode != 0, deployed
    assert "demo-web is not provisioned on" in deployed.message
    assert "run site.yml first" in deployed.message
    assert not host.file("/run/lock/flask-toolkit-deploy.lock").exists
    assert not any(provisioned().values()), provisioned()


def test_deploy_by_itself_checks_the_types_of_the_app_model(host, provisioned):
    """No preflight before deploy.yml: the flask role checks its inputs' types itself
    (tasks/standalone.yml), before the deploy takes its lock."""
    deployed = run("playbooks/deploy.yml", extra_vars={"flask_common_env": ["SECRET"]})
    assert deployed.returncode != 0, deployed
    assert re.search(r"TASK \[flask : Check the types of the inputs\]", deployed.output), deployed
    assert "argument 'flask_common_env' is of type list" in deployed.message, deployed
    assert not host.file("/run/lock/flask-toolkit-deploy.lock").exists
    assert not any(provisioned().values()), provisioned()


def test_deploy_refuses_an_account_with_a_login_shell_as_the_app_user(host, provisioned):
    """deploy.yml looks the app user up with the host's addresses (deploy_facts), and the
    flask role's check reads that."""
    assert host.run("useradd --shell /bin/bash someone").rc == 0
    try:
        deployed = run("playbooks/deploy.yml", extra_vars={"flask_user": "someone"})
    finally:
        host.run("userdel someone")
    assert deployed.returncode != 0, deployed
    assert 'flask_user is "someone", an existing account of' in deployed.message, deployed
    assert "with the login shell /bin/bash" in deployed.message, deployed
    assert not host.file("/run/lock/flask-toolkit-deploy.lock").exists
    assert not any(provisioned().values()), provisioned()
