"""The app model shared by every role of the toolkit.

`flask_app_problems` checks a list of app definitions (the `flask_apps` variable) and returns
what is wrong with it, one sentence per problem, each naming the variable and the value.
`flask_resolve` turns valid definitions into the records the roles work from: defaults
applied, and every path, socket and program name of the app derived in this one place.
"""

import os
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
# The supervisor files of each app's two web programs (the deploy links the live one into
# supervisor's conf.d).
WEB_PROGRAM_DIR = "/etc/supervisor/flask-web"
TREE_DIRS = ("requirements", "config", "tasks", "data", "log", "releases", "run")
# gunicorn's entry: module:callable, or module:factory(...) (gunicorn >= 20.1 calls it).
WSGI_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\(.*\))?$")
APT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
# An nginx server_name: a host name, *.example.com, .example.com, _, an address, a ~regex;
# nothing that would end or open a directive in the site's file.
SERVER_NAME_RE = re.compile(r"^[^\s;{}'\"#$\\]+$")
# celery's -A: module[.module...][:attribute]
CELERY_APP_RE = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")
CELERY_QUEUE_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")
CELERY_LOGLEVELS = ("debug", "info", "warning", "error", "critical")
# Seconds a celery worker gets to finish its running tasks when it is stopped (warm
# shutdown), unless the app's celery.stop_timeout says otherwise.
CELERY_STOP_TIMEOUT = 600
# Each app has three redis databases from its redis_db on: cache, broker, results.
REDIS_DBS_PER_APP = 3
WEBSOCKET_DEFAULTS = {"path": "/socket.io/", "threads": 100, "read_timeout": 3600}
# An app's HTTPS: where its certificate comes from (none: plain HTTP only), its port, and
# whether plain HTTP redirects to it. Each app's certificate and key live in its folder here.
TLS_MODES = ("none", "files", "self_signed", "acme")
TLS_DEFAULTS = {"mode": "none", "port": 443, "redirect": True}
TLS_KEYS = ("mode", "port", "redirect", "certificate", "key")
TLS_DIR = "/etc/flask-toolkit/tls"
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
    path = source.get("path")
    if path and not os.path.isdir(os.path.expanduser(str(path))):
        problems.append(
            f"{where}.source.path is {path!r}: no such folder on the control node, which "
            "packs the app from it"
        )
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
        _check_int(problems, t_where, "stop_timeout", task.get("stop_timeout", 1), 1)
        for key in ("app_hosts", "singleton", "graceful"):
            _check_bool(problems, t_where, key, task.get(key, False))
        if task.get("singleton") and numprocs != 1:
            problems.append(f"{t_where}.numprocs is {numprocs!r}: a singleton runs one process")


def _check_int(problems, where, key, value, low, high=None):
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"
        problems.append(f"{where}.{key} is {value!r}: it must be a whole number {bounds}")


def _check_bool(problems, where, key, value):
    try:
        boolean(value, strict=True)
    except TypeError:
        problems.append(f"{where}.{key} is {value!r}: it must be true or false")


def _as_mapping(value):
    """An optional block given as true/false or a mapping: None when off, else the mapping."""
    if value in (None, False) or (isinstance(value, str) and not boolean(value, strict=False)):
        return None
    return value if isinstance(value, dict) else {}


def _check_celery(problems, where, celery):
    if celery is None:
        return
    where = f"{where}.celery"
    if not isinstance(celery, dict):
        problems.append(f"{where} is {celery!r}: it must be a mapping with at least 'app'")
        return
    if not CELERY_APP_RE.match(str(celery.get("app", ""))):
        problems.append(
            f"{where}.app is {celery.get('app')!r}: give celery's -A, "
            "'module' or 'module:attribute'"
        )
    if str(celery.get("loglevel", "info")).lower() not in CELERY_LOGLEVELS:
        problems.append(
            f"{where}.loglevel is {celery.get('loglevel')!r}: "
            f"use one of {', '.join(CELERY_LOGLEVELS)}"
        )
    _check_int(problems, where, "stop_timeout", celery.get("stop_timeout", CELERY_STOP_TIMEOUT), 1)
    workers = celery.get("workers", [{"name": "default"}])
    if not isinstance(workers, list):
        problems.append(f"{where}.workers is {workers!r}: it must be a list of worker programs")
        workers = []
    seen = set()
    for index, worker in enumerate(workers):
        w_where = f"{where}.workers[{index}]"
        if not isinstance(worker, dict):
            problems.append(f"{w_where} is {worker!r}: each worker must be a mapping")
            continue
        _check_name(problems, w_where, "name", worker.get("name"))
        if worker.get("name") in seen or worker.get("name") == "beat":
            problems.append(f"{w_where}.name is {worker.get('name')!r}: taken by another program")
        seen.add(worker.get("name"))
        queues = worker.get("queues", ["celery"])
        if (
            not isinstance(queues, list)
            or not queues
            or not all(isinstance(q, str) and CELERY_QUEUE_RE.match(q) for q in queues)
        ):
            problems.append(f"{w_where}.queues is {queues!r}: it must be a list of queue names")
        _check_int(problems, w_where, "concurrency", worker.get("concurrency", 2), 1)
        _check_bool(problems, w_where, "app_hosts", worker.get("app_hosts", False))
        if worker.get("state", "present") not in ("present", "absent"):
            problems.append(f"{w_where}.state is {worker.get('state')!r}: use present or absent")
    beat = celery.get("beat", False)
    if not isinstance(beat, dict):
        _check_bool(problems, where, "beat", beat)
    else:
        _check_bool(problems, f"{where}.beat", "app_hosts", beat.get("app_hosts", False))


def _websocket_port(websockets, app):
    return websockets.get("backend_port", (app.get("backend_port") or 0) + 1)


def _check_services(problems, where, app, env, redis, cluster):
    """Celery needs a broker, a singleton program a redis for its lock, Socket.IO on several
    hosts a message queue: the inventory's redis host, or the app's own URLs."""
    if redis:
        return
    fix = "put a host in the group redis, or set it in the app's env or secrets"
    if _as_mapping(app.get("celery")) is not None and not env.get("CELERY_BROKER_URL"):
        problems.append(f"{where}.celery needs a broker and CELERY_BROKER_URL is not set: {fix}")
    singles = [t.get("name") for t in app.get("tasks") or [] if t.get("singleton")]
    celery = _as_mapping(app.get("celery")) or {}
    if celery.get("beat"):
        singles.append("celery beat")
    if singles and not (env.get("REDIS_URL") or env.get("CELERY_BROKER_URL")):
        problems.append(
            f"{where} runs {', '.join(map(str, singles))} once in the whole cluster, which takes "
            f"a lock in redis, and neither REDIS_URL nor CELERY_BROKER_URL is set: {fix}"
        )
    if cluster and _as_mapping(app.get("websockets")) is not None and not env.get("REDIS_URL"):
        problems.append(
            f"{where}.websockets in a cluster needs a message queue, so that a push made on one "
            f"host reaches the clients of the others, and REDIS_URL is not set: {fix}"
        )


def _check_websockets(problems, where, websockets, backend_port, gunicorn):
    if websockets is None:
        return
    where = f"{where}.websockets"
    if not isinstance(websockets, dict):
        problems.append(f"{where} is {websockets!r}: use true, or a mapping of its settings")
        return
    path = websockets.get("path", WEBSOCKET_DEFAULTS["path"])
    if not isinstance(path, str) or not path.startswith("/") or not path.endswith("/"):
        problems.append(f"{where}.path is {path!r}: it must start and end with /")
    _check_int(problems, where, "threads", websockets.get("threads", 1), 1)
    _check_int(problems, where, "read_timeout", websockets.get("read_timeout", 60), 1)
    port = websockets.get("backend_port", (backend_port or 0) + 1)
    _check_int(problems, where, "backend_port", port, 1, 65535)
    if port == backend_port:
        problems.append(f"{where}.backend_port is {port!r}: it must differ from backend_port")
    workers = (gunicorn or {}).get("workers", 1)
    if workers != 1:
        problems.append(
            f"{where.rsplit('.', 1)[0]}.gunicorn.workers is {workers!r}: an app that serves "
            "websockets runs one gunicorn worker per host (Socket.IO keeps its sessions in the "
            "worker); give it threads (websockets.threads) instead"
        )


def _check_tls(problems, where, tls):
    if tls is None:
        return
    where = f"{where}.tls"
    if not isinstance(tls, dict):
        problems.append(f"{where} is {tls!r}: give a mapping like {{mode: acme}}")
        return
    for key in sorted(set(tls) - set(TLS_KEYS)):
        problems.append(f"{where}.{key} is unknown: give {', '.join(TLS_KEYS)}")
    tls = {**TLS_DEFAULTS, **tls}
    if tls["mode"] not in TLS_MODES:
        problems.append(f"{where}.mode is {tls['mode']!r}: use {', '.join(TLS_MODES)}")
    _check_int(problems, where, "port", tls["port"], 1, 65535)
    _check_bool(problems, where, "redirect", tls["redirect"])
    for key in ("certificate", "key"):
        value = tls.get(key)
        if tls["mode"] != "files":
            continue
        if not isinstance(value, str) or not value:
            problems.append(
                f"{where}.{key} is {value!r}: mode files needs the path of the {key} file on "
                "the control node (vault-encrypted is fine)"
            )
        elif not os.path.isfile(os.path.expanduser(value)):
            problems.append(f"{where}.{key} is {value!r}: no such file on the control node")


def _tls(app, slug):
    tls = {**TLS_DEFAULTS, **(app.get("tls") or {})}
    folder = posixpath.join(TLS_DIR, slug)
    return {
        "mode": tls["mode"],
        "enabled": tls["mode"] != "none",
        "port": tls["port"],
        "redirect": boolean(tls["redirect"], strict=False),
        "source_certificate": tls.get("certificate"),
        "source_key": tls.get("key"),
        "dir": folder,
        "certificate": posixpath.join(folder, "fullchain.pem"),
        "key": posixpath.join(folder, "privkey.pem"),
    }


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
    apps,
    root="/projects",
    defaults=None,
    common_env=None,
    secrets=None,
    cluster=False,
    redis=False,
):
    """Everything wrong with `apps`, as a list of sentences (empty when all is well).

    `cluster`: the apps are balanced over TCP, so each needs its own backend ports.
    `redis`: the inventory has a redis host, whose URLs every app gets."""
    problems = []
    if not isinstance(apps, list):
        return [f"flask_apps is {apps!r}: it must be a list of app definitions"]
    if not str(root).startswith("/") or ".." in str(root).split("/"):
        problems.append(f"flask_root is {root!r}: it must be an absolute path without '..'")
    secrets = secrets or {}
    sockets, sites, slugs, backends, redis_dbs = {}, {}, {}, {}, {}
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
        migrate = app.get("migrate")
        if migrate is not None and (not isinstance(migrate, str) or not migrate.strip()):
            problems.append(f"{where}.migrate is {migrate!r}: give the command as one string")
        if raw.get("socket") is not None and not str(raw["socket"]).startswith("/"):
            problems.append(f"{where}.socket is {raw['socket']!r}: give an absolute path")
        for key in ("static_url", "health_path"):
            if not str(app.get(key, "/")).startswith("/"):
                problems.append(f"{where}.{key} is {app.get(key)!r}: it must start with /")
        _check_tasks(problems, where, app.get("tasks"))
        _check_celery(problems, where, _as_mapping(app.get("celery")))
        _check_websockets(
            problems,
            where,
            _as_mapping(app.get("websockets")),
            app.get("backend_port"),
            app.get("gunicorn"),
        )
        redis_db = app.get("redis_db", REDIS_DBS_PER_APP * index)
        _check_int(problems, where, "redis_db", redis_db, 0)
        _check_env(problems, where, "env", app.get("env"))
        _check_env(problems, where, "secrets", app.get("secrets"))
        _check_tls(problems, where, app.get("tls"))

        env = {**(common_env or {}), **(app.get("env") or {}), **(app.get("secrets") or {})}
        env.update(secrets.get(slug) or {})
        for name in app.get("required_env") or []:
            if env.get(name) in (None, ""):
                problems.append(
                    f"{where}.required_env names {name}, which is not set: set "
                    f"flask_secrets[{slug!r}].{name} (or {where}.env.{name})"
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
        websockets = _as_mapping(app.get("websockets"))
        ports = {"backend_port": app.get("backend_port")}
        if websockets is not None:
            ports["websockets.backend_port"] = _websocket_port(websockets, app)
        for key, port in ports.items():
            if cluster and port in backends:
                problems.append(
                    f"{where}.{key} is {port!r}, as {backends[port]}: in a cluster each app of "
                    "a host needs its own backend ports"
                )
            backends[port] = f"{where}.{key}"
        _check_services(problems, where, app, env, redis, cluster)
        first = app.get("redis_db", REDIS_DBS_PER_APP * index)
        if isinstance(first, int) and not isinstance(first, bool):
            for number in range(first, first + REDIS_DBS_PER_APP):
                if number in redis_dbs:
                    problems.append(
                        f"{where}.redis_db is {first!r}: its redis databases {first}-"
                        f"{first + REDIS_DBS_PER_APP - 1} overlap those of {redis_dbs[number]} "
                        f"(each app takes {REDIS_DBS_PER_APP}: cache, broker, results)"
                    )
                    break
            redis_dbs.update(dict.fromkeys(range(first, first + REDIS_DBS_PER_APP), where))
        listen = app.get("listen")
        names = app.get("server_names")
        if not isinstance(names, list) or not names:
            problems.append(f"{where}.server_names is {names!r}: give a list of server names")
            names = []
        for n_index, server_name in enumerate(names):
            if not isinstance(server_name, str) or not SERVER_NAME_RE.match(server_name):
                problems.append(
                    f"{where}.server_names[{n_index}] is {server_name!r}: give a host name, a "
                    "wildcard like *.example.com, _ or a ~regex, without spaces or ; { } # $"
                )
        ports = [listen]
        tls = app.get("tls")
        if isinstance(tls, dict) and tls.get("mode", "none") != "none":
            ports.append(tls.get("port", TLS_DEFAULTS["port"]))
        for server_name in names:
            for port in ports:
                site = (port, server_name)
                if site in sites:
                    problems.append(
                        f"{where} serves port {port} for server name {server_name!r}, as "
                        f"{sites[site]} does: give one of them another port or server_names"
                    )
                sites[site] = where
    return problems


def _resolve_one(index, raw, root, defaults, common_env, run_tasks, app_host):
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
        task
        for task in _programs(app, slug, dirs)
        # A task program left out of the file is stopped and removed by supervisor.
        if run_tasks or (app_host and task["app_hosts"])
    ]
    websockets = _as_mapping(app.get("websockets"))
    if websockets is not None:
        websockets = {
            **WEBSOCKET_DEFAULTS,
            **websockets,
            "backend_port": _websocket_port(websockets, app),
            "balancer": posixpath.join(BALANCER_DIR, f"{slug}.websockets.conf"),
        }
        toolkit_env["SOCKETIO_CHANNEL"] = f"{slug}-socketio"
    balancer = posixpath.join(BALANCER_DIR, f"{slug}.conf")
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
                "conf": posixpath.join(WEB_PROGRAM_DIR, f"{slug}-web-{color}.conf"),
                "socket": posixpath.join(posixpath.dirname(socket), f"gunicorn-{color}.sock"),
                "control_socket": posixpath.join(run, f"gunicorn-{color}.ctl"),
                "slot": posixpath.join(dirs["releases"], color),
            }
            for color in COLORS
        },
        "maintenance_flag": posixpath.join(MAINTENANCE_DIR, slug),
        "balancer": balancer,
        # The upstream files a web host balances the app over: its backend port, and the
        # websocket port of an app that serves websockets.
        "balancers": [{"file": balancer, "port": app.get("backend_port")}]
        + (
            [{"file": websockets["balancer"], "port": websockets["backend_port"]}]
            if websockets
            else []
        ),
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
        # What an app that serves websockets runs with unless its gunicorn entry says
        # otherwise: one worker (Socket.IO's sessions live in it) with many threads.
        "gunicorn_defaults": {
            "worker_class": "gthread",
            "workers": 1,
            "threads": websockets["threads"],
            "max_requests": 0,
        }
        if websockets
        else {},
        "websockets": websockets,
        "redis_db": app.get("redis_db", REDIS_DBS_PER_APP * index),
        "nginx": dict(app.get("nginx") or {}),
        "tls": _tls(app, slug),
    }


def _program(slug, name, command, numprocs=1, environment=None, **options):
    """One background program: `app_hosts`, it also runs on the app hosts of a cluster with
    worker hosts; `singleton`, one process in the whole cluster runs it (flask-singleton
    holds a lock in redis); `graceful`, the stop signal goes to the main process only, which
    lets its children finish their work (celery's warm shutdown), for up to `stop_timeout`."""
    return {
        "name": name,
        "program": f"{slug}-{name}",
        "command": command,
        "numprocs": numprocs,
        "environment": dict(environment or {}),
        "app_hosts": boolean(options.get("app_hosts", False), strict=False),
        "singleton": boolean(options.get("singleton", False), strict=False),
        "graceful": boolean(options.get("graceful", False), strict=False),
        "stop_timeout": options.get("stop_timeout"),
    }


def _programs(app, slug, dirs):
    """Every background program of the app: its `tasks`, then its celery workers and beat."""
    keys = ("app_hosts", "singleton", "graceful", "stop_timeout")
    programs = [
        _program(
            slug,
            task["name"],
            task["command"],
            task.get("numprocs", 1),
            task.get("environment"),
            **{key: task[key] for key in keys if key in task},
        )
        for task in app.get("tasks") or []
        if task.get("state", "present") == "present"
    ]
    celery = _as_mapping(app.get("celery"))
    if celery is None:
        return programs
    target, level = celery["app"], str(celery.get("loglevel", "info")).lower()
    for worker in celery.get("workers", [{"name": "default"}]):
        if worker.get("state", "present") != "present":
            continue
        command = (
            f"celery -A {target} worker --hostname {worker['name']}@%h "
            f"--queues {','.join(worker.get('queues', ['celery']))} "
            f"--concurrency {worker.get('concurrency', 2)} --loglevel {level}"
        )
        programs.append(
            _program(
                slug,
                f"celery-{worker['name']}",
                command,
                app_hosts=worker.get("app_hosts", False),
                graceful=True,
                stop_timeout=celery.get("stop_timeout", CELERY_STOP_TIMEOUT),
            )
        )
    beat = celery.get("beat", False)
    if isinstance(beat, dict) or boolean(beat, strict=False):
        command = (
            f"celery -A {target} beat --schedule {dirs['data']}/celery-beat-schedule "
            f"--pidfile= --loglevel {level}"
        )
        app_hosts = beat.get("app_hosts", False) if isinstance(beat, dict) else False
        programs.append(_program(slug, "celery-beat", command, app_hosts=app_hosts, singleton=True))
    return programs


def flask_resolve(
    apps, root="/projects", defaults=None, common_env=None, run_tasks=True, app_host=False
):
    """The app records the roles work from; `apps` must have passed `flask_app_problems`.

    `run_tasks`: false on a host that runs the task programs of no app (in a cluster with
    worker hosts, an app host): its records have only the programs that also run on app hosts
    (`app_hosts`) when `app_host`, else none.

    Records carry no secrets (they show up in task output): see `flask_app_secrets`.
    """
    return [
        _resolve_one(index, raw, root, defaults or {}, common_env or {}, run_tasks, app_host)
        for index, raw in enumerate(apps)
    ]


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
