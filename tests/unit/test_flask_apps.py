"""The app model: what flask_app_problems rejects, and what flask_resolve derives."""

from pathlib import Path

import pytest
from flask_apps import flask_app_problems, flask_app_secrets, flask_resolve

DEFAULTS = {
    "state": "present",
    "wsgi": "wsgi:app",
    "requirements": "requirements.txt",
    "static_url": "/static/",
    "health_path": "/healthz",
    "listen": 80,
    "backend_port": 8000,
    "server_names": ["_"],
}


# A folder that exists on the control node: the preflight checks that a source path does.
SOURCE = str(Path(__file__).parent)


def app(**overrides):
    entry = {"module": "shop", "submodule": "api", "source": {"path": SOURCE}}
    entry.update(overrides)
    return entry


def problems(apps, **kwargs):
    return flask_app_problems(apps, defaults=DEFAULTS, **kwargs)


def test_a_valid_app_has_no_problems():
    assert problems([app(), app(submodule="web", server_names=["web.example.com"])]) == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (app(module="shop/api"), "flask_apps[0].module is 'shop/api'"),
        (app(submodule=".."), "flask_apps[0].submodule is '..'"),
        (app(module="Shop"), "flask_apps[0].module is 'Shop'"),
        (app(state="gone"), "flask_apps[0] (shop/api).state is 'gone'"),
        (app(source={}), "flask_apps[0] (shop/api).source is {}"),
        (app(source={"path": "/a", "git": "x"}), "needs exactly one of 'path'"),
        (app(requirements="../up.txt"), "requirements is '../up.txt'"),
        (app(static_dir="/etc"), "static_dir is '/etc'"),
        (app(wsgi="wsgi"), "wsgi is 'wsgi'"),
        (app(health_path="healthz"), "health_path is 'healthz'"),
        (app(listen=0), "listen is 0"),
        (app(tasks=[{"name": "w", "command": ""}]), "tasks[0].command is ''"),
        (app(tasks=[{"name": "web", "command": "x"}]), "tasks[0].name is 'web'"),
        (app(tasks=[{"name": "w", "command": "x", "numprocs": 0}]), "numprocs is 0"),
        (app(env={"BAD-NAME": "x"}), "env has the name 'BAD-NAME'"),
        (app(wsgi="pkg:create_app("), "wsgi is 'pkg:create_app('"),
        (app(source={"path": SOURCE, "subdir": "../b"}), "source.subdir is '../b'"),
        (app(source={"path": "/no/such/folder"}), "source.path is '/no/such/folder': no such"),
        (app(server_names=["bad name"]), "server_names[0] is 'bad name'"),
        (app(server_names=["x; return 200"]), "server_names[0] is 'x; return 200'"),
        (app(server_names="api.example.com"), "server_names is 'api.example.com'"),
        (app(package="maybe"), "package is 'maybe'"),
        (app(writable_dirs="uploads"), "writable_dirs is 'uploads'"),
        (app(writable_dirs=["/var/up"]), "writable_dirs[0] is '/var/up'"),
        (app(writable_files=["venv/x"]), "writable_files[0] is 'venv/x'"),
        (app(writable_files=["."]), "writable_files[0] is '.'"),
        (app(system_packages=["libpq5; rm"]), "system_packages is ['libpq5; rm']"),
        (app(build_packages="libpq-dev"), "build_packages is 'libpq-dev'"),
    ],
)
def test_each_problem_names_the_variable_and_the_value(entry, message):
    found = problems([entry])
    assert any(message in problem for problem in found), found


@pytest.mark.parametrize("wsgi", ["wsgi:app", "pkg.web:create_app()", "pkg:make(config='prod')"])
def test_entries_gunicorn_takes(wsgi):
    assert problems([app(wsgi=wsgi)]) == []


def test_writable_paths_become_links_to_shared_storage():
    [record] = flask_resolve(
        [app(writable_dirs=["app/uploads/"], writable_files=["app.db"], package=True)],
        defaults=DEFAULTS,
    )
    assert record["shared_dir"] == "/projects/shop/api/data/shared"
    assert record["package"] is True
    assert record["links"] == [
        {"path": "instance", "storage": "instance", "type": "directory"},
        {"path": "venv/var", "storage": "var", "type": "directory"},
        {"path": "app/uploads", "storage": "app/uploads", "type": "directory"},
        {"path": "app.db", "storage": "app.db", "type": "file"},
    ]
    assert flask_resolve([app()], defaults=DEFAULTS)[0]["package"] is None  # auto


def test_two_apps_with_the_same_name():
    assert "is 'shop-api' again" in problems([app(), app()])[0]


def test_two_apps_on_one_socket():
    found = problems(
        [app(socket="/s.sock"), app(submodule="web", socket="/s.sock", server_names=["w"])]
    )
    assert found == [
        "flask_apps[1] (shop/web) listens on socket '/s.sock', as flask_apps[0] (shop/api) does"
    ]


def test_two_apps_on_one_port_and_name():
    found = problems([app(), app(submodule="web")])
    assert "serves port 80 for server name '_', as flask_apps[0] (shop/api) does" in found[0]


def test_same_port_with_different_names_is_fine():
    assert problems([app(server_names=["a"]), app(submodule="web", server_names=["b"])]) == []


def test_required_env_from_any_source():
    entry = app(required_env=["SECRET_KEY"])
    assert "required_env names SECRET_KEY, which is not set" in problems([entry])[0]
    assert problems([entry], secrets={"shop-api": {"SECRET_KEY": "s"}}) == []
    assert problems([entry], common_env={"SECRET_KEY": "s"}) == []


def test_absent_apps_need_no_source():
    assert problems([{"module": "old", "submodule": "app", "state": "absent"}]) == []


def test_bad_root():
    assert problems([app()], root="projects")[0].startswith("flask_root is 'projects'")


def test_resolve_derives_the_layout():
    (resolved,) = flask_resolve(
        [
            app(
                tasks=[
                    {"name": "worker", "command": "run", "numprocs": 2},
                    {"name": "old", "command": "x", "state": "absent"},
                ]
            )
        ],
        root="/projects",
        defaults=DEFAULTS,
        common_env={"FLASK_CONFIG": "production"},
    )
    assert resolved["name"] == "shop-api"
    assert resolved["root"] == "/projects/shop/api"
    assert resolved["live"] == "/projects/shop/api/app"
    assert resolved["dirs"]["log"] == "/projects/shop/api/log"
    assert resolved["socket"] == "/projects/shop/api/run/gunicorn.sock"
    assert resolved["colors"]["green"] == {
        "program": "shop-api-web-green",
        "conf": "/etc/supervisor/flask-web/shop-api-web-green.conf",
        "socket": "/projects/shop/api/run/gunicorn-green.sock",
        "control_socket": "/projects/shop/api/run/gunicorn-green.ctl",
        "slot": "/projects/shop/api/releases/green",
    }
    assert [task["program"] for task in resolved["tasks"]] == ["shop-api-worker"]
    assert resolved["env"]["FLASK_CONFIG"] == "production"
    assert resolved["env"]["APP_DATA_DIR"] == "/projects/shop/api/data"
    assert "secrets" not in resolved


def test_purge_data_reads_like_ansible_booleans():
    absent = {"module": "old", "submodule": "app", "state": "absent"}
    for value, expected in (("false", False), ("no", False), ("true", True), (True, True)):
        (resolved,) = flask_resolve([{**absent, "purge_data": value}], defaults=DEFAULTS)
        assert resolved["purge_data"] is expected, value


def test_secrets_stay_out_of_the_records_and_merge_per_app():
    entry = app(secrets={"A": "from app", "B": "from app"})
    merged = flask_app_secrets([entry], secrets={"shop-api": {"B": "from flask_secrets"}})
    assert merged == {"shop-api": {"A": "from app", "B": "from flask_secrets"}}


CELERY = {"app": "shop.tasks:celery", "workers": [{"name": "mail", "queues": ["mail"]}]}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (app(celery={"app": "not a module"}), "celery.app is 'not a module'"),
        (app(celery={**CELERY, "workers": [{"name": "a-b"}]}), "workers[0].name is 'a-b'"),
        (app(celery={**CELERY, "workers": [{"name": "x", "queues": []}]}), "queues is []"),
        (app(celery={**CELERY, "workers": [{"name": "x", "concurrency": 0}]}), "concurrency is 0"),
        (app(celery={**CELERY, "workers": [{"name": "beat"}]}), "name is 'beat': taken"),
        (app(celery={**CELERY, "beat": "sometimes"}), "celery.beat is 'sometimes'"),
        (app(celery={**CELERY, "stop_timeout": -1}), "celery.stop_timeout is -1"),
        (app(celery={**CELERY, "loglevel": "loud"}), "celery.loglevel is 'loud'"),
        (app(websockets={"path": "socket.io"}), "websockets.path is 'socket.io'"),
        (app(websockets=True, gunicorn={"workers": 4}), "gunicorn.workers is 4"),
        (app(websockets={"backend_port": 8000}), "must differ from backend_port"),
        (app(redis_db=-3), "redis_db is -3"),
        (app(tasks=[{"name": "s", "command": "x", "singleton": "yes please"}]), "singleton is"),
        (
            app(tasks=[{"name": "s", "command": "x", "singleton": True, "numprocs": 2}]),
            "one process",
        ),
    ],
)
def test_celery_websockets_and_redis_problems_name_the_key(entry, message):
    found = problems([entry], redis=True)
    assert any(message in problem for problem in found), found


def test_without_a_redis_host_celery_beat_and_a_cluster_socketio_need_their_own_urls():
    entry = app(celery={**CELERY, "beat": True}, websockets=True)
    found = problems([entry], cluster=True)
    assert any("celery needs a broker and CELERY_BROKER_URL is not set" in p for p in found)
    assert any("runs celery beat once in the whole cluster" in p for p in found)
    assert any("websockets in a cluster needs a message queue" in p for p in found)
    own = {"CELERY_BROKER_URL": "redis://b/1", "REDIS_URL": "redis://b/0"}
    assert problems([app(celery={**CELERY, "beat": True}, websockets=True, env=own)]) == []
    assert problems([entry], redis=True, cluster=True) == []


def test_two_apps_redis_databases_must_not_overlap():
    shop, blog = app(redis_db=0), app(submodule="blog", server_names=["blog"], redis_db=2)
    (problem,) = problems([shop, blog])
    assert "flask_apps[1] (shop/blog).redis_db is 2: its redis databases 2-4 overlap" in problem
    assert problems([app(), app(submodule="blog", server_names=["blog"])]) == []  # 0 and 3


def test_celery_becomes_graceful_worker_programs_and_a_singleton_beat():
    entry = app(
        celery={**CELERY, "beat": {"app_hosts": True}, "stop_timeout": 900},
        tasks=[{"name": "rq", "command": "rq worker", "app_hosts": True}],
    )
    [record] = flask_resolve([entry], defaults=DEFAULTS)
    by_name = {task["name"]: task for task in record["tasks"]}
    assert list(by_name) == ["rq", "celery-mail", "celery-beat"]
    mail, beat = by_name["celery-mail"], by_name["celery-beat"]
    assert mail["program"] == "shop-api-celery-mail"
    assert mail["command"] == (
        "celery -A shop.tasks:celery worker --hostname mail@%h --queues mail "
        "--concurrency 2 --loglevel info"
    )
    assert (mail["graceful"], mail["singleton"], mail["stop_timeout"]) == (True, False, 900)
    assert beat["command"].startswith("celery -A shop.tasks:celery beat --schedule ")
    assert "/projects/shop/api/data/celery-beat-schedule --pidfile=" in beat["command"]
    assert beat["singleton"] and beat["app_hosts"]
    # an app host of a cluster with worker hosts runs only what has app_hosts
    [app_host] = flask_resolve([entry], defaults=DEFAULTS, run_tasks=False, app_host=True)
    assert [task["name"] for task in app_host["tasks"]] == ["rq", "celery-beat"]
    [web_only] = flask_resolve([entry], defaults=DEFAULTS, run_tasks=False)
    assert web_only["tasks"] == []


def test_websockets_give_one_threaded_worker_a_port_and_a_balancer_of_their_own():
    [plain, live] = flask_resolve(
        [app(), app(submodule="live", websockets={"threads": 50}, redis_db=9)], defaults=DEFAULTS
    )
    assert plain["websockets"] is None and plain["gunicorn_defaults"] == {}
    assert plain["redis_db"] == 0 and live["redis_db"] == 9
    assert [b["port"] for b in plain["balancers"]] == [8000]
    assert live["websockets"]["backend_port"] == 8001
    assert live["websockets"]["path"] == "/socket.io/"
    assert [b["port"] for b in live["balancers"]] == [8000, 8001]
    assert live["gunicorn_defaults"] == {
        "worker_class": "gthread",
        "workers": 1,
        "threads": 50,
        "max_requests": 0,
    }
    assert live["env"]["SOCKETIO_CHANNEL"] == "shop-live-socketio"


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ("acme", "flask_apps[0] (shop/api).tls is 'acme': give a mapping"),
        ({"mode": "letsencrypt"}, "tls.mode is 'letsencrypt': use none, files"),
        ({"mode": "acme", "port": 0}, "tls.port is 0"),
        ({"mode": "acme", "redirect": "sometimes"}, "tls.redirect is 'sometimes'"),
        ({"mode": "files", "key": "k.pem"}, "tls.certificate is None: mode files needs"),
        ({"mode": "acme", "hsts": 1}, "tls.hsts is unknown"),
        (
            {"mode": "files", "certificate": __file__, "key": "/no/key.pem"},
            "tls.key is '/no/key.pem': no such file",
        ),
    ],
)
def test_tls_problems_name_the_key(tls, message):
    found = problems([app(tls=tls)])
    assert any(message in problem for problem in found), found


def test_tls_port_and_name_clash_like_the_plain_port():
    found = problems(
        [app(tls={"mode": "acme"}), app(submodule="web", listen=8080, tls={"mode": "acme"})]
    )
    message = (
        "flask_apps[1] (shop/web) serves port 443 for server name '_', as flask_apps[0] "
        "(shop/api) does: give one of them another port or server_names"
    )
    assert found == [message]


def test_tls_resolves_to_the_apps_certificate_paths():
    plain, secure = flask_resolve(
        [app(), app(submodule="web", tls={"mode": "self_signed", "redirect": "no"})],
        root="/projects",
        defaults=DEFAULTS,
    )
    assert plain["tls"]["enabled"] is False
    assert secure["tls"] == {
        "mode": "self_signed",
        "enabled": True,
        "port": 443,
        "redirect": False,
        "source_certificate": None,
        "source_key": None,
        "dir": "/etc/flask-toolkit/tls/shop-web",
        "certificate": "/etc/flask-toolkit/tls/shop-web/fullchain.pem",
        "key": "/etc/flask-toolkit/tls/shop-web/privkey.pem",
    }
