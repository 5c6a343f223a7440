"""The app model shared by every role of the toolkit.

`flask_app_problems` checks a list of app definitions (the `flask_apps` variable) and returns
what is wrong with it, one sentence per problem, each naming the variable and the value.
`flask_resolve` turns valid definitions into the records the roles work from: defaults
applied, and every path, socket and program name of the app derived in this one place.
"""

import posixpath
import re

from ansible.module_utils.parsing.convert_bool import boolean

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAME_RULE = "lowercase letters, digits and _, starting with a letter, at most 32 characters"
COLORS = ("blue", "green")
# While an app's flag file exists here, nginx answers its requests with the maintenance page.
MAINTENANCE_DIR = "/var/lib/flask-toolkit/maintenance"
# In a cluster, a web host balances each app over the app hosts listed in a file here.
BALANCER_DIR = "/etc/nginx/flask-upstreams"
TREE_DIRS = ("requirements", "config", "tasks", "data", "log", "releases", "run")
# gunicorn's entry: module:callable, or module:factory(...) (gunicorn >= 20.1 calls it).
WSGI_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\(.*\))?$")
APT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
# Where a release's writable paths live, under the tree's data/: they outlive releases.
SHARED_DIR = "shared"
# Every release links Flask's default instance folders to persistent storage: <release>/instance
# for an app imported from its source, <venv>/var/<name>-instance for an installed package.
INSTANCE_LINKS = (
    {"path": "instance", "storage": "instance", "type": "directory"},
    {"path": "venv/var", "storage": "var", "type": "directory"},
)


def _label(index, app):
    """How an app is named in messages: its position and, when its names are valid, them."""
    names = [app.get(key) for key in ("module", "submodule")] if isinstance(app, dict) else []
    if len(names) == 2 and all(isinstance(n, str) and NAME_RE.match(n) for n in names):
        return f"flask_apps[{index}] ({names[0]}/{names[1]})"
    return f"flask_apps[{index}]"


def _check_name(problems, where, key, value):
    if not isinstance(value, str) or not NAME_RE.match(value):
        problems.append(f"{where}.{key} is {value!r}: it must be {NAME_RULE}")


def _check_relative(problems, where, key, value):
    """Paths inside a release must stay inside it."""
    if value is None:
        return
    parts = str(value).split("/")
    if str(value).startswith("/") or ".." in parts:
        problems.append(f"{where}.{key} is {value!r}: it must be a path inside the app source")


def _check_source(problems, where, source):
    if not isinstance(source, dict) or bool(source.get("path")) == bool(source.get("git")):
        problems.append(
            f"{where}.source is {source!r}: it needs exactly one of 'path' (a folder on the "
            "control node) or 'git' (a repository URL, with 'version')"
        )
        return
    _check_relative(problems, f"{where}.source", "subdir", source.get("subdir"))


def _check_writable(problems, where, key, paths):
    if not isinstance(paths, list):
        problems.append(f"{where}.{key} is {paths!r}: it must be a list of paths")
        return
    for index, path in enumerate(paths):
        _check_relative(problems, where, f"{key}[{index}]", path)
        parts = str(path).strip("/").split("/")
        if not str(path).strip("/") or "." in parts or parts[0] == "venv":
            problems.append(
                f"{where}.{key}[{index}] is {path!r}: name a file or folder of the source "
                "(venv/ is the release's own)"
            )


def _check_packages(problems, where, key, names):
    if not isinstance(names, list) or not all(
        isinstance(name, str) and APT_NAME_RE.match(name) for name in names
    ):
        problems.append(f"{where}.{key} is {names!r}: it must be a list of Debian package names")


def _check_tasks(problems, where, tasks):
    seen = set()
    for t_index, task in enumerate(tasks or []):
        t_where = f"{where}.tasks[{t_index}]"
        _check_name(problems, t_where, "name", task.get("name"))
        if task.get("name") in seen:
            problems.append(f"{t_where}.name is {task.get('name')!r}: two task programs share it")
        seen.add(task.get("name"))
        if task.get("name") in ("web",):
            problems.append(f"{t_where}.name is 'web': that name is kept for the web program")
        if not str(task.get("command") or "").strip():
            problems.append(f"{t_where}.command is {task.get('command')!r}: it must not be empty")
        numprocs = task.get("numprocs", 1)
        if not isinstance(numprocs, int) or numprocs < 1:
            problems.append(f"{t_where}.numprocs is {numprocs!r}: it must be a whole number >= 1")


def _check_env(problems, where, key, env):
    for name in env or {}:
        if not ENV_NAME_RE.match(str(name)):
            problems.append(f"{where}.{key} has the name {name!r}: not a valid environment name")


def _merged(defaults, app):
    merged = dict(defaults)
    merged.update({k: v for k, v in app.items() if v is not None})
    return merged


def _slug(app):
    return f"{app['module']}-{app['submodule']}"


def flask_app_problems(
    apps, root="/projects", defaults=None, common_env=None, secrets=None, cluster=False
):
    """Everything wrong with `apps`, as a list of sentences (empty when all is well).

    `cluster`: the apps are balanced over TCP, so each needs its own backend_port."""
    problems = []
    if not isinstance(apps, list):
        return [f"flask_apps is {apps!r}: it must be a list of app definitions"]
    if not str(root).startswith("/") or ".." in str(root).split("/"):
        problems.append(f"flask_root is {root!r}: it must be an absolute path without '..'")
    secrets = secrets or {}
    sockets, sites, slugs, backends = {}, {}, {}, {}
    for index, raw in enumerate(apps):
        where = _label(index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{where} is {raw!r}: each app must be a mapping")
            continue
        app = _merged(defaults or {}, raw)
        _check_name(problems, where, "module", raw.get("module"))
        _check_name(problems, where, "submodule", raw.get("submodule"))
        if app.get("state", "present") not in ("present", "absent"):
            problems.append(f"{where}.state is {app.get('state')!r}: use present or absent")
        if not (NAME_RE.match(str(raw.get("module"))) and NAME_RE.match(str(raw.get("submodule")))):
            continue
        slug = _slug(raw)
        if slug in slugs:
            problems.append(f"{where} is {slug!r} again: {slugs[slug]} already defines it")
            continue
        slugs[slug] = where
        if app.get("state", "present") == "absent":
            continue

        _check_source(problems, where, app.get("source"))
        for key in ("requirements", "static_dir"):
            _check_relative(problems, where, key, app.get(key))
        if not WSGI_RE.match(str(app.get("wsgi", ""))):
            problems.append(
                f"{where}.wsgi is {app.get('wsgi')!r}: use 'module:callable' or 'module:factory()'"
            )
        if app.get("package", "auto") not in ("auto", True, False, None):
            problems.append(f"{where}.package is {app.get('package')!r}: use auto, true or false")
        for key in ("writable_dirs", "writable_files"):
            _check_writable(problems, where, key, app.get(key, []))
        for key in ("system_packages", "build_packages"):
            _check_packages(problems, where, key, app.get(key, []))
        for key in ("static_url", "health_path"):
            if not str(app.get(key, "/")).startswith("/"):
                problems.append(f"{where}.{key} is {app.get(key)!r}: it must start with /")
        _check_tasks(problems, where, app.get("tasks"))
        _check_env(problems, where, "env", app.get("env"))
        _check_env(problems, where, "secrets", app.get("secrets"))

        env = {**(common_env or {}), **(app.get("env") or {}), **(app.get("secrets") or {})}
        env.update(secrets.get(slug) or {})
        for name in app.get("required_env") or []:
            if env.get(name) in (None, ""):
                problems.append(
                    f"{where} needs {name} and it is not set: set flask_secrets[{slug!r}].{name} "
                    f"(or {where}.env.{name})"
                )

        socket = app.get("socket") or posixpath.join(
            root, raw["module"], raw["submodule"], "run", "gunicorn.sock"
        )
        if socket in sockets:
            problems.append(f"{where} listens on socket {socket!r}, as {sockets[socket]} does")
        sockets[socket] = where
        for key in ("listen", "backend_port"):
            port = app.get(key)
            if not isinstance(port, int) or not 0 < port < 65536:
                problems.append(f"{where}.{key} is {port!r}: it must be a TCP port (1-65535)")
        backend = app.get("backend_port")
        if cluster and backend in backends:
            problems.append(
                f"{where}.backend_port is {backend!r}, as {backends[backend]}'s: in a cluster "
                "each app of a host needs its own backend_port"
            )
        backends[backend] = where
        listen = app.get("listen")
        for server_name in app.get("server_names") or []:
            site = (listen, server_name)
            if site in sites:
                problems.append(
                    f"{where} serves port {listen} for server name {server_name!r}, "
                    f"as {sites[site]} does: give one of them another port or server_names"
                )
            sites[site] = where
    return problems


def _resolve_one(raw, root, defaults, common_env, run_tasks):
    app = _merged(defaults, raw)
    slug = _slug(raw)
    base = posixpath.join(root, raw["module"], raw["submodule"])
    dirs = {name: posixpath.join(base, name) for name in TREE_DIRS}
    run = dirs["run"]
    socket = app.get("socket") or posixpath.join(run, "gunicorn.sock")
    toolkit_env = {
        "APP_NAME": slug,
        "APP_DATA_DIR": dirs["data"],
        "APP_LOG_DIR": dirs["log"],
        "APP_TASKS_DIR": dirs["tasks"],
    }
    tasks = [
        {
            "name": task["name"],
            "program": f"{slug}-{task['name']}",
            "command": task["command"],
            "numprocs": task.get("numprocs", 1),
            "environment": dict(task.get("environment") or {}),
        }
        # A task program left out of the file is stopped and removed by supervisor.
        for task in app.get("tasks") or []
        if task.get("state", "present") == "present" and run_tasks
    ]
    shared = posixpath.join(dirs["data"], SHARED_DIR)
    links = [dict(link) for link in INSTANCE_LINKS]
    for key, kind in (("writable_dirs", "directory"), ("writable_files", "file")):
        for path in app.get(key) or []:
            path = str(path).strip("/")
            links.append({"path": path, "storage": path, "type": kind})
    package = app.get("package", "auto")
    return {
        "name": slug,
        "module": raw["module"],
        "submodule": raw["submodule"],
        "state": app.get("state", "present"),
        "purge_data": boolean(app.get("purge_data", False), strict=False),
        "root": base,
        "dirs": dirs,
        "live": posixpath.join(base, "app"),
        "env_file": posixpath.join(dirs["config"], "app.env"),
        "gunicorn_conf": posixpath.join(dirs["config"], "gunicorn.conf.py"),
        "socket": socket,
        "colors": {
            color: {
                "program": f"{slug}-web-{color}",
                "socket": posixpath.join(posixpath.dirname(socket), f"gunicorn-{color}.sock"),
                "control_socket": posixpath.join(run, f"gunicorn-{color}.ctl"),
                "slot": posixpath.join(dirs["releases"], color),
            }
            for color in COLORS
        },
        "maintenance_flag": posixpath.join(MAINTENANCE_DIR, slug),
        "balancer": posixpath.join(BALANCER_DIR, f"{slug}.conf"),
        "tasks_group": f"{slug}-tasks",
        "tasks": tasks,
        "source": dict(app.get("source") or {}),
        "wsgi": app.get("wsgi"),
        "package": None if package in ("auto", None) else boolean(package, strict=False),
        "shared_dir": shared,
        "links": links,
        "system_packages": list(app.get("system_packages") or []),
        "build_packages": list(app.get("build_packages") or []),
        "requirements": app.get("requirements"),
        "static_dir": app.get("static_dir"),
        "static_url": app.get("static_url"),
        "migrate": app.get("migrate"),
        "health_path": app.get("health_path"),
        "env": {**toolkit_env, **(common_env or {}), **(app.get("env") or {})},
        "server_names": list(app.get("server_names") or ["_"]),
        "listen": app.get("listen"),
        "backend_port": app.get("backend_port"),
        "gunicorn": dict(app.get("gunicorn") or {}),
        "nginx": dict(app.get("nginx") or {}),
    }


def flask_resolve(apps, root="/projects", defaults=None, common_env=None, run_tasks=True):
    """The app records the roles work from; `apps` must have passed `flask_app_problems`.

    `run_tasks`: false on a host that runs none of the task programs (in a cluster with
    worker hosts, an app host): its records have no tasks.

    Records carry no secrets (they show up in task output): see `flask_app_secrets`.
    """
    return [_resolve_one(raw, root, defaults or {}, common_env or {}, run_tasks) for raw in apps]


def flask_app_secrets(apps, defaults=None, secrets=None):
    """{app name: its secret environment}: the app's own `secrets`, then flask_secrets'."""
    secrets = secrets or {}
    result = {}
    for raw in apps:
        app = _merged(defaults or {}, raw)
        slug = _slug(raw)
        result[slug] = {**(app.get("secrets") or {}), **(secrets.get(slug) or {})}
    return result


class FilterModule:
    """Filters of the flask role: the app model."""

    def filters(self):
        return {
            "flask_app_problems": flask_app_problems,
            "flask_resolve": flask_resolve,
            "flask_app_secrets": flask_app_secrets,
        }
