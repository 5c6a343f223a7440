"""The settings checks of the preflight: each rule, strings from -e, app entries' own
settings named as the user wrote them, and every role's rules covering its defaults."""

import json
from pathlib import Path

import pytest
import yaml
from flask_checks import flask_app_setting_checks, flask_setting_problems

ROLES = Path(__file__).resolve().parents[2] / "roles"


def problems(**check):
    return flask_setting_problems([{"name": "x_setting", **check}])


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"value": 0, "int": [1]}, "x_setting is 0: give a whole number, 1 or more"),
        ({"value": "many", "int": [1]}, 'x_setting is "many": give a whole number, 1 or more'),
        ({"value": True, "int": [0]}, "x_setting is true: give a whole number"),
        ({"value": 10, "int": [1, 9]}, "x_setting is 10: give a whole number from 1 to 9"),
        ({"value": "perhaps", "bool": True}, 'x_setting is "perhaps": give true or false'),
        ({"value": "often", "choices": ["daily"]}, 'x_setting is "often": use one of daily'),
        ({"value": "ten megs", "match": "[0-9]+m", "means": "a size"}, '"ten megs": a size'),
        ({"value": ["a", 1], "strings": True}, 'x_setting is ["a", 1]: give a list of strings'),
        ({"value": ["1 2", "3"], "each": "[0-9]+ [0-9]+", "means": "pairs"}, '"3"]: pairs'),
        ({"value": ["1 2", 3], "each": "[0-9]+ [0-9]+", "means": "pairs"}, ", 3]: pairs"),
        ({"value": "1 2", "each": "[0-9]+ [0-9]+", "means": "pairs"}, '"1 2": pairs'),
        ({"value": "x", "mapping": True}, 'x_setting is "x": give a mapping'),
        ({"value": 5, "string": True}, "x_setting is 5: give a string"),
        ({"value": "def f(:\n", "python": True}, "it is not valid Python (invalid syntax, line 1)"),
    ],
)
def test_each_rule_names_the_variable_and_the_value(check, message):
    (problem,) = problems(**check)
    assert message in problem, problem


@pytest.mark.parametrize(
    "check",
    [
        {"value": "0", "int": [0]},  # -e base_apt_cache_valid_time=0
        {"value": " 7 ", "int": [1, 9]},
        {"value": "yes", "bool": True},
        {"value": "False", "bool": True},
        {"value": 4, "match": "auto|[1-9][0-9]*"},
        {"value": [], "each": "[0-9]+ [0-9]+"},
        {"value": ["3600 1", "60 10000"], "each": "[0-9]+ [0-9]+"},
        {"value": "", "python": True},
        {"value": "workers = 2\n", "python": True},
    ],
)
def test_strings_from_the_command_line_and_good_values_pass(check):
    assert problems(**check) == []


def test_an_app_entry_setting_is_checked_under_its_own_name():
    role = [{"name": "gunicorn_workers", "value": 5, "int": [1]}]
    apps = [
        {"module": "demo", "submodule": "web"},
        {"module": "shop", "submodule": "api", "gunicorn": {"workers": 0}},
        "not an app",
    ]
    found = flask_setting_problems(flask_app_setting_checks(apps, "gunicorn", role))
    assert found == [
        "flask_apps[1] (shop/api).gunicorn.workers is 0: give a whole number, 1 or more"
    ]


@pytest.mark.parametrize(
    "role", ["app_deploy", "base", "gunicorn", "logrotate", "supervisor", "firewall", "tls"]
)
def test_the_checks_of_a_role_cover_its_defaults(role):
    """Every input of the role has a rule, and every rule is of an input."""
    checks = yaml.safe_load((ROLES / role / "vars/main.yml").read_text())[f"__{role}_checks"]
    defaults = yaml.safe_load((ROLES / role / "defaults/main.yml").read_text())
    # firewall_allow's entries have checks of their own (firewall_allow_checks)
    names = [check["name"] for check in checks] + (["firewall_allow"] if role == "firewall" else [])
    assert sorted(names) == sorted(defaults)


RULE_KEYS = {"int", "bool", "choices", "subset", "match", "each", "string", "strings"}
RULE_KEYS |= {"mapping", "python", "networks", "account"}


@pytest.mark.parametrize("path", sorted(ROLES.glob("*/vars/main.yml")), ids=lambda p: p.parts[-3])
def test_every_check_has_one_rule_and_nothing_else(path):
    """A stray key (a YAML line broken at a comma, say) would silently shorten a message."""
    for name, value in yaml.safe_load(path.read_text()).items():
        if not name.endswith("_checks"):
            continue
        for check in value:
            rules = set(check) & RULE_KEYS
            assert len(rules) == 1, check
            extra = (
                set(check)
                - RULE_KEYS
                - {"name", "value"}
                - ({"means"} if {"match", "each"} & set(check) else set())
            )
            assert extra == set(), check


def test_the_nginx_checks_cover_its_defaults():
    rules = yaml.safe_load((ROLES / "nginx/vars/main.yml").read_text())
    names = [c["name"] for c in rules["__nginx_checks"] + rules["__nginx_app_checks"]]
    defaults = yaml.safe_load((ROLES / "nginx/defaults/main.yml").read_text())
    assert sorted(names) == sorted(defaults)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("sync", True),
        ("gthread", True),
        ("uvicorn.workers.UvicornWorker", True),
        ("fast", False),
        ("gevent; rm", False),
    ],
)
def test_the_gunicorn_worker_class_rule(value, ok):
    rules = yaml.safe_load((ROLES / "gunicorn/vars/main.yml").read_text())["__gunicorn_checks"]
    rule = next(r for r in rules if r["name"] == "gunicorn_worker_class")
    assert (flask_setting_problems([{**rule, "value": value}]) == []) is ok


@pytest.mark.parametrize("name", ["flask_user", "flask_group", "flask_web_group"])
@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("flask", True),
        ("www-data", True),
        ("_apps", True),
        ("root", False),
        ("rooted", True),
        ("Flask Group", False),
        ("9lives", False),
        ("a" * 33, False),
        (1000, False),
    ],
)
def test_the_app_account_rules(name, value, ok):
    rules = yaml.safe_load((ROLES / "flask/vars/main.yml").read_text())["__flask_checks"]
    rule = next(r for r in rules if r["name"] == name)
    found = flask_setting_problems([{**rule, "value": value}])
    assert (found == []) is ok
    if not ok:
        assert found[0].startswith(f"{name} is {json.dumps(value)}: give the name of an")


def test_firewall_allow_entries_are_checked_one_by_one():
    from firewall import firewall_allow_checks

    found = flask_setting_problems(
        firewall_allow_checks([{"port": 9100, "sources": []}, {"port": 0, "sources": ["x"]}, 5])
    )
    assert found[0] == "firewall_allow[1].port is 0: give a whole number from 1 to 65535"
    assert found[1].startswith('firewall_allow[1].sources is ["x"]: give a list of IP addresses')
    assert found[2].startswith("firewall_allow[2] is 5: give a list of {port: a TCP port")
    assert len(found) == 3


def test_a_subset_is_a_non_empty_list_of_the_choices():
    rule = {"name": "nginx_tls_protocols", "subset": ["TLSv1.2", "TLSv1.3"]}
    assert flask_setting_problems([{**rule, "value": ["TLSv1.3"]}]) == []
    for wrong in ([], "TLSv1.3", ["SSLv3"]):
        (problem,) = flask_setting_problems([{**rule, "value": wrong}])
        assert problem.startswith(f"nginx_tls_protocols is {json.dumps(wrong)}: give a list")
