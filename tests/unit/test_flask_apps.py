"""The app model: what flask_app_problems rejects, and what flask_resolve derives."""

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


def app(**overrides):
    entry = {"module": "shop", "submodule": "api", "source": {"path": "/src/shop"}}
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
        (app(source={"path": "/a", "subdir": "../b"}), "source.subdir is '../b'"),
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
    assert "needs SECRET_KEY and it is not set" in problems([entry])[0]
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
