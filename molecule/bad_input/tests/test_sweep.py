"""The sweep: one wrong value for every role variable and every key of an app entry. Each is
tried alone against the fresh host; each must be refused by the preflight (the maintenance
switch: in its own play's check), with a message naming the variable as the user wrote it,
and nothing changed. The sweep runs the preflight play, playbooks/preflight.yml, that
site.yml opens with: the same checks, without parsing every later play 136 times.
test_bad_input.py shows on site.yml that a refusal there stops the run before any later
play. The runs go four at a time; the host is checked at the end."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from test_bad_input import app

from playbooks import PROJECT, run

ROLES = Path(PROJECT) / "roles"
# Values of secrets are never shown, only what is wrong with them.
SECRETS = {"redis_password", "postgresql_passwords"}
PREFLIGHT = "playbooks/preflight.yml"

ROLE_CASES = {
    "app_deploy_cache_dir": "cache",
    "app_deploy_install_from": "pypi",
    "app_deploy_wheel_python": "python3",
    "app_deploy_resolve_args": "--no-deps",
    "app_deploy_build_packages": "gcc",
    "app_deploy_pip_index_url": "pypi.internal/simple",
    "app_deploy_pip_ca_file": "ca.pem",
    "app_deploy_extra_requirements": "gunicorn",
    "app_deploy_source_exclude": ".git",
    "app_deploy_health_timeout": 0,
    "app_deploy_drain_seconds": -1,
    "app_deploy_serial": "all",
    "app_deploy_drain_timeout": "soon",
    "app_deploy_keep_releases": 0,
    "app_deploy_apps": "demo-web",
    "converged_fast_path": "perhaps",
    "converged_state_file": "converged.json",
    "converged_probe_timeout": 0,
    "converged_gather_subset": "min",
    "app_deploy_venv_reuse": "perhaps",
    "app_deploy_break_lock": "perhaps",
    "app_deploy_rollback_to": "yesterday",
    "base_packages": "python3",
    "base_group_packages": ["nginx"],
    "base_extra_packages": "htop",
    "base_apt_cache_valid_time": "an hour",
    "base_user_shell": "/bin/bash",
    "firewall_enabled": "perhaps",
    "firewall_ssh_port": 70000,
    "firewall_ssh_sources": ["the office"],
    "firewall_allow": [{"port": 0, "sources": []}],
    "firewall_undo_seconds": 1,
    "flask_root": "projects",
    "flask_address": "app1.internal",
    "flask_user": "root",
    "flask_group": "Flask Group",
    "flask_web_group": "root",
    "flask_common_env": "FLASK_CONFIG=production",
    "flask_secrets": ["SECRET_KEY"],
    "flask_templates_dir": "/no/such/templates",
    "flask_app_defaults": "defaults",
    "flask_apps": {"module": "demo"},
    "gunicorn_workers": "many",
    "gunicorn_threads": 0,
    "gunicorn_worker_class": "fast",
    "gunicorn_timeout": 0,
    "gunicorn_graceful_timeout": "later",
    "gunicorn_keepalive": -1,
    "gunicorn_max_requests": "lots",
    "gunicorn_max_requests_jitter": -1,
    "gunicorn_backlog": 0,
    "gunicorn_loglevel": "verbose",
    "gunicorn_access_log_format": ["%(h)s"],
    "gunicorn_extra": "def post_fork(:",
    "logrotate_frequency": "hourly",
    "logrotate_rotate": 0,
    "logrotate_maxsize": "big",
    "logrotate_compress": "perhaps",
    "maintenance_enabled": "perhaps",
    "maintenance_apps": "demo-web",
    "nginx_user": "Web Server",
    "nginx_worker_processes": "all",
    "nginx_worker_connections": 0,
    "nginx_listen_ipv6": "perhaps",
    "nginx_client_max_body_size": "ten megs",
    "nginx_static_expires": "a week",
    "nginx_proxy_read_timeout": 0,
    "nginx_extra": ["gzip off;"],
    "nginx_frame_options": "ALLOW",
    "nginx_referrer_policy": "sometimes",
    "nginx_content_security_policy": 'default-src "self"',
    "nginx_hsts_max_age": -1,
    "nginx_hsts_include_subdomains": "perhaps",
    "nginx_upstream_keepalive": 0,
    "nginx_upstream_max_fails": 0,
    "nginx_upstream_fail_timeout": 0,
    "nginx_upstream_connect_timeout": 0,
    "nginx_tls_protocols": ["SSLv3"],
    "nginx_tls_ciphers": "ECDHE RSA",
    "nginx_tls_session_timeout": "a day",
    "nginx_tls_stapling": "perhaps",
    "nginx_resolvers": ["dns.example.com"],
    "nginx_gzip_comp_level": 10,
    "nginx_gzip_types": "text/css",
    "nginx_extra_http": ["gzip off;"],
    "postgresql_port": 0,
    "postgresql_passwords": ["secret"],
    "postgresql_settings": {"listen_addresses": "*"},
    "project_tree": [{"path": "bin", "owner": "root", "group": "root", "mode": "0755"}],
    "redis_port": 0,
    "redis_password": "short",
    "redis_databases": 0,
    "redis_maxmemory": "lots",
    "redis_maxmemory_policy": "random",
    "redis_persistence": "disk",
    "redis_save": ["hourly"],
    "redis_extra": ["appendonly yes"],
    "supervisor_web_stop_margin": 0,
    "supervisor_web_startsecs": -1,
    "supervisor_task_stopwaitsecs": 0,
    "supervisor_task_stopsignal": "STOP",
    "supervisor_task_startsecs": "soon",
    "supervisor_umask": "777x",
    "tls_acme_directory": "acme.example.com/dir",
    "tls_acme_email": "ops",
    "tls_acme_ca_bundle": "/no/such/ca.pem",
    "tls_acme_renew_days": 0,
    "tls_self_signed_days": 0,
}

APP_CASES = {
    "module": "Shop",
    "submodule": "..",
    "state": "gone",
    "purge_data": "perhaps",
    "source": {"path": "/no/such/folder"},
    "wsgi": "wsgi",
    "requirements": "../up.txt",
    "package": "maybe",
    "writable_dirs": ["/var/up"],
    "writable_files": ["."],
    "system_packages": ["libpq5; rm"],
    "build_packages": ["Bad Name"],
    "static_dir": "/etc",
    "static_url": "static",
    "migrate": ["flask", "db", "upgrade"],
    "health_path": "healthz",
    "required_env": ["NOT_SET_ANYWHERE"],
    "env": {"BAD-NAME": "x"},
    "secrets": {"BAD-NAME": "x"},
    "listen": 0,
    "backend_port": 70000,
    "server_names": ["bad name"],
    "socket": "gunicorn.sock",
    "tasks": [{"name": "web", "command": "x"}],
    "celery": {"app": "celery worker"},
    "websockets": {"path": "socket.io"},
    "redis_db": -1,
    "gunicorn": {"workers": 0},
    "nginx": {"client_max_body_size": "ten megs"},
    "tls": {"mode": "letsencrypt"},
}


def cases():
    """(label, playbook, extra vars, what the message must name, the value shown or None)."""
    for name, value in ROLE_CASES.items():
        playbook = "playbooks/maintenance.yml" if name.startswith("maintenance_") else PREFLIGHT
        shown = None if name in SECRETS or not isinstance(value, (str, int)) else str(value)
        yield name, playbook, {name: value}, re.escape(name), shown
    for key, value in APP_CASES.items():
        # the app model names it flask_apps[0] (demo/web).<key>; the argument specs, the
        # key and flask_apps, or the path flask_apps -> <key>
        named = rf"flask_apps\[0\][^\n]*\b{key}\b|\b{key}\b[^\n]*flask_apps|flask_apps -> {key}\b"
        shown = str(value) if isinstance(value, (str, int)) else None
        yield (
            f"flask_apps[0].{key}",
            PREFLIGHT,
            {"flask_apps": [app(**{key: value})]},
            named,
            shown,
        )


def test_every_role_variable_and_app_key_has_a_case():
    variables = set()
    for defaults in ROLES.glob("*/defaults/main.yml"):
        variables |= set(yaml.safe_load(defaults.read_text()) or {})
    specs = yaml.safe_load((ROLES / "flask/meta/argument_specs.yml").read_text())
    keys = set(specs["argument_specs"]["validate"]["options"]["flask_apps"]["options"])
    assert sorted(variables - set(ROLE_CASES)) == []
    assert sorted(keys - set(APP_CASES)) == []
    assert len(ROLE_CASES) + len(APP_CASES) >= 50


def failure_text(output):
    """What the failed tasks said (the recap and task names left out)."""
    return "\n".join(re.findall(r"(?:fatal|failed): \[.*?(?=\n\S|\Z)", output, re.S))


def attempt(case):
    label, playbook, extra_vars, named, shown = case
    result = run(playbook, extra_vars=extra_vars)
    said = failure_text(result.output)
    problems = []
    if result.returncode == 0:
        problems.append("it ran through")
    if not re.search(named, said):
        problems.append("the message does not name it")
    if shown is not None and not any(form in said for form in (shown, json.dumps(shown)[1:-1])):
        problems.append(f"the message does not show the value {shown!r}")
    if result.changed != 0:
        problems.append(f"changed={result.changed}")
    return label, problems, said or result.output[-1500:]


def test_each_wrong_input_stops_before_any_change_and_is_named(provisioned):
    assert not any(provisioned().values()), provisioned()
    all_cases = list(cases())
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, all_cases))
    wrong = {label: (problems, said[:800]) for label, problems, said in results if problems}
    print(
        f"sweep: {len(all_cases)} wrong inputs tried, {len(all_cases) - len(wrong)} refused "
        "in the preflight, named, with nothing changed"
    )
    assert wrong == {}
    assert not any(provisioned().values()), provisioned()


def test_more_facts_for_the_inventorys_own_variables(provisioned):
    """The roles read a few facts, which the preflight's first request gathers; a variable of
    the inventory that reads another one gets it from converged_gather_subset."""
    reads_the_hostname = {"flask_common_env": {"HOST": "{{ ansible_facts['hostname'] }}"}}
    without = run(PREFLIGHT, extra_vars=reads_the_hostname)
    assert without.returncode != 0
    assert "hostname" in failure_text(without.output), without.output[-1500:]
    gathered = run(PREFLIGHT, extra_vars={**reads_the_hostname, "converged_gather_subset": ["min"]})
    assert gathered.returncode == 0, gathered.output[-1500:]
    assert gathered.changed == 0
    assert not any(provisioned().values()), provisioned()
