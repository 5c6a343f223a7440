"""The cluster model: addresses, which hosts carry which app, the service URLs of each app."""

import pytest
from flask_apps import flask_app_problems
from flask_cluster import flask_addresses, flask_app_hosts, flask_db_name, flask_with_services

HOSTVARS = {
    "web1": {"ansible_default_ipv4": {"address": "10.0.0.10"}},
    "app1": {"ansible_default_ipv4": {"address": "192.0.2.21"}, "flask_address": "10.0.0.21"},
    "app2": {
        "ansible_default_ipv4": {"address": "10.0.0.22"},
        "flask_apps": [
            {"module": "shop", "submodule": "api"},
            {"module": "old", "submodule": "web", "state": "absent"},
        ],
    },
    "bare": {},
}
DEFAULT_APPS = [{"module": "demo", "submodule": "web"}]


def test_an_address_is_the_inventory_one_else_the_default_ipv4():
    assert flask_addresses(["web1", "app1", "app2"], HOSTVARS) == [
        "10.0.0.10",
        "10.0.0.21",
        "10.0.0.22",
    ]


def test_a_host_without_an_address_is_named():
    with pytest.raises(ValueError, match="no address for bare"):
        flask_addresses(["bare"], HOSTVARS)


def test_app_hosts_come_from_each_host_own_apps_or_the_default():
    assert flask_app_hosts(["app1", "app2"], HOSTVARS, DEFAULT_APPS) == {
        "demo-web": ["app1"],
        "shop-api": ["app2"],
    }


def test_services_give_each_app_its_database_and_redis_urls():
    apps = [{"name": "demo-web", "env": {}}, {"name": "shop-api", "env": {}}]
    secrets = {"demo-web": {"SECRET_KEY": "k"}, "shop-api": {}}
    database = {"address": "10.0.0.41", "port": None, "passwords": {"demo-web": "p@ss/word"}}
    redis = {"address": "10.0.0.41", "port": 6380, "password": "r"}
    result = flask_with_services(secrets, apps, database=database, redis=redis)
    assert result["demo-web"] == {
        "DATABASE_URL": "postgresql://demo_web:p%40ss%2Fword@10.0.0.41:5432/demo_web",
        "REDIS_URL": "redis://:r@10.0.0.41:6380/0",
        "SECRET_KEY": "k",
    }
    assert result["shop-api"]["DATABASE_URL"].startswith("postgresql://shop_api:@")


def test_an_app_own_url_wins_and_no_service_means_no_url():
    apps = [{"name": "demo-web", "env": {"REDIS_URL": "redis://mine"}}]
    secrets = {"demo-web": {"DATABASE_URL": "sqlite:///mine.db"}}
    database = {"address": "10.0.0.41", "passwords": {}}
    redis = {"address": "10.0.0.41", "password": "r"}
    assert flask_with_services(secrets, apps, database=database, redis=redis) == secrets
    assert flask_with_services({}, apps) == {"demo-web": {}}


def test_database_names_are_the_app_names_with_underscores():
    assert flask_db_name("shop-api") == "shop_api"


def test_in_a_cluster_the_apps_of_a_host_need_their_own_backend_ports():
    defaults = {"listen": 80, "backend_port": 8000, "server_names": ["_"], "wsgi": "wsgi:app"}
    apps = [
        {"module": "a", "submodule": "web", "source": {"path": "/a"}, "server_names": ["a"]},
        {"module": "b", "submodule": "web", "source": {"path": "/b"}, "server_names": ["b"]},
    ]
    assert flask_app_problems(apps, defaults=defaults) == []
    (problem,) = flask_app_problems(apps, defaults=defaults, cluster=True)
    assert "flask_apps[1] (b/web).backend_port is 8000, as flask_apps[0] (a/web)'s" in problem
    apps[1]["backend_port"] = 8001
    assert flask_app_problems(apps, defaults=defaults, cluster=True) == []
    apps[1]["backend_port"] = 70000
    assert "backend_port is 70000" in flask_app_problems(apps, defaults=defaults)[0]
