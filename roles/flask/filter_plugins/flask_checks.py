"""Checks of the roles' settings for the preflight play: every problem names the variable as
the user wrote it (`gunicorn_workers`, or `flask_apps[0] (demo/web).gunicorn.workers` when
an app entry set it) and its value.

A check is a mapping: `name`, `value`, and one kind of rule:
  int: [low] or [low, high]   a whole number in that range
  bool: true                  a boolean as Ansible reads it (true, yes, on, 1, ...)
  choices: [...]              one of these
  subset: [...]               a list of one or more of these
  match: REGEX, means: TEXT   a string the regex matches whole; TEXT says what it must be
  each: REGEX, means: TEXT    a list of strings the regex matches whole, each
  string: true                a string (empty or not)
  strings: true               a list of strings
  mapping: true               a mapping
  python: true                Python code that compiles (a file of settings, hooks)
  networks: true              a list of IP addresses or networks (CIDR)
  account: true               the name of an unprivileged user or group of the host
Values given on the command line (-e name=value) are strings: a number or a boolean in a
string is accepted as that number or boolean (the roles convert it where they use it);
anything else is refused with the sentence, never a crash.
"""

import ipaddress
import json
import re

from ansible.module_utils.parsing.convert_bool import BOOLEANS

INT_RE = re.compile(r"^[+-]?[0-9]+$")
# What useradd and groupadd take by default, root left out.
ACCOUNT_RE = re.compile(r"(?!root$)[a-z_][a-z0-9_-]{0,31}")
ACCOUNT_MEANS = (
    "give the name of an unprivileged user or group, never root (lowercase letters, digits, _ "
    "and -)"
)


def as_int(value):
    """`value` as a whole number, or None: ints, and strings of digits (-e); not booleans."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and INT_RE.match(value.strip()):
        return int(value)
    return None


def _shown(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _int_rule(value, bounds):
    low, high = (list(bounds) + [None, None])[:2] if isinstance(bounds, list) else (bounds, None)
    number = as_int(value)
    if number is not None and (low is None or number >= low) and (high is None or number <= high):
        return None
    if high is not None:
        return f"give a whole number from {low} to {high}"
    return f"give a whole number, {low} or more" if low is not None else "give a whole number"


def _is_network(value):
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return False
    return isinstance(value, str)


def _python_rule(value):
    if not isinstance(value, str):
        return "give Python lines as a string"
    try:
        compile(value, "<setting>", "exec")
    except SyntaxError as error:
        return f"it is not valid Python ({error.msg}, line {error.lineno})"
    return None


def _problem(check):
    value = check.get("value")
    if "int" in check:
        return _int_rule(value, check["int"])
    if "bool" in check:
        ok = isinstance(value, bool) or str(value).lower() in {str(b).lower() for b in BOOLEANS}
        return None if ok else "give true or false"
    if "choices" in check:
        choices = check["choices"]
        return None if value in choices else f"use one of {', '.join(map(str, choices))}"
    if "subset" in check:
        choices = check["subset"]
        ok = isinstance(value, list) and value and all(item in choices for item in value)
        return None if ok else f"give a list of one or more of {', '.join(map(str, choices))}"
    if "match" in check:
        ok = isinstance(value, (str, int)) and not isinstance(value, bool)
        ok = ok and re.fullmatch(check["match"], str(value)) is not None
        return None if ok else check.get("means", f"it must match {check['match']}")
    if "each" in check:
        ok = isinstance(value, list) and all(
            isinstance(item, str) and re.fullmatch(check["each"], item) for item in value
        )
        return None if ok else check.get("means", f"give a list of strings like {check['each']}")
    if "string" in check:
        return None if isinstance(value, str) else "give a string"
    if "strings" in check:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return None if ok else "give a list of strings"
    if "mapping" in check:
        return None if isinstance(value, dict) else "give a mapping"
    if "python" in check:
        return _python_rule(value)
    if "account" in check:
        ok = isinstance(value, str) and ACCOUNT_RE.fullmatch(value) is not None
        return None if ok else ACCOUNT_MEANS
    if "networks" in check:
        ok = isinstance(value, list) and all(_is_network(item) for item in value)
        return None if ok else "give a list of IP addresses or networks like 10.0.0.0/24"
    raise ValueError(f"a check of {check.get('name')} has no rule")


def flask_setting_problems(checks):
    """The problems of `checks` (see the module's docstring), one sentence each."""
    problems = []
    for check in checks:
        problem = _problem(check)
        if problem:
            problems.append(f"{check['name']} is {_shown(check.get('value'))}: {problem}")
    return problems


def flask_app_setting_checks(apps, section, role_checks):
    """Checks of a role's per-app settings: `role_checks` are the role-wide ones, each named
    `<section>_<key>`; an app entry's `<section>:` mapping overrides keys of them, and its
    values are checked under the app's own name. Returns the role-wide checks (once) and
    the app entries' (resolved apps, in their order in flask_apps)."""
    checks = list(role_checks)
    rules = {check["name"][len(section) + 1 :]: check for check in role_checks}
    for index, app in enumerate(apps):
        if not isinstance(app, dict) or not isinstance(app.get(section) or {}, dict):
            continue  # flask_app_problems says what is wrong with it
        for key, value in (app.get(section) or {}).items():
            where = f"flask_apps[{index}] ({app['module']}/{app['submodule']}).{section}.{key}"
            rule = {k: v for k, v in rules.get(key, {"string": True}).items() if k != "name"}
            checks.append({**rule, "name": where, "value": value})
    return checks


class FilterModule:
    """Filters of the flask role: checks of the settings."""

    def filters(self):
        return {
            "flask_setting_problems": flask_setting_problems,
            "flask_app_setting_checks": flask_app_setting_checks,
        }
