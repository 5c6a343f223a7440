"""The cluster model: addresses, which hosts carry which app, the service URLs of each app."""

import pytest
from flask_apps import flask_app_problems
from flask_cluster import (
    flask_addresses,
    flask_app_hosts,
    flask_db_name,
    flask_redis_db_problems,
    flask_with_services,
)

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
    apps = [
        {"name": "demo-web", "env": {}, "redis_db": 0},
        {"name": "shop-api", "env": {}, "redis_db": 3},
    ]
    secrets = {"demo-web": {"SECRET_KEY": "k"}, "shop-api": {}}
    database = {"address": "10.0.0.41", "port": None, "passwords": {"demo-web": "p@ss/word"}}
    redis = {"address": "10.0.0.41", "port": 6380, "password": "r"}
    result = flask_with_services(secrets, apps, database=database, redis=redis)
    assert result["demo-web"] == {
        "DATABASE_URL": "postgresql://demo_web:p%40ss%2Fword@10.0.0.41:5432/demo_web",
        "REDIS_URL": "redis://:r@10.0.0.41:6380/0",
        "CELERY_BROKER_URL": "redis://:r@10.0.0.41:6380/1",
        "CELERY_RESULT_BACKEND": "redis://:r@10.0.0.41:6380/2",
        "SECRET_KEY": "k",
    }
    assert result["shop-api"]["DATABASE_URL"].startswith("postgresql://shop_api:@")
    # the next app's three databases: never the same keys as the first's
    assert [result["shop-api"][v][-2:] for v in ("REDIS_URL", "CELERY_BROKER_URL")] == ["/3", "/4"]


def test_an_app_own_url_wins_and_no_service_means_no_url():
    apps = [{"name": "demo-web", "env": {"REDIS_URL": "redis://mine"}}]
    secrets = {
        "demo-web": {
            "DATABASE_URL": "sqlite:///mine.db",
            "CELERY_BROKER_URL": "redis://mine/1",
            "CELERY_RESULT_BACKEND": "redis://mine/2",
        }
    }
    database = {"address": "10.0.0.41", "passwords": {}}
    redis = {"address": "10.0.0.41", "password": "r"}
    assert flask_with_services(secrets, apps, database=database, redis=redis) == secrets
    assert flask_with_services({}, apps) == {"demo-web": {}}


def test_database_names_are_the_app_names_with_underscores():
    assert flask_db_name("shop-api") == "shop_api"


def test_in_a_cluster_the_apps_of_a_host_need_their_own_backend_ports():
    defaults = {"listen": 80, "backend_port": 8000, "server_names": ["_"], "wsgi": "wsgi:app"}
    apps = [
        {"module": "a", "submodule": "web", "source": {"path": "/"}, "server_names": ["a"]},
        {"module": "b", "submodule": "web", "source": {"path": "/"}, "server_names": ["b"]},
    ]
    assert flask_app_problems(apps, defaults=defaults) == []
    (problem,) = flask_app_problems(apps, defaults=defaults, cluster=True)
    assert "flask_apps[1] (b/web).backend_port is 8000, as flask_apps[0] (a/web)" in problem
    apps[1]["backend_port"] = 8001
    assert flask_app_problems(apps, defaults=defaults, cluster=True) == []
    apps[1]["backend_port"] = 70000
    assert "backend_port is 70000" in flask_app_problems(apps, defaults=defaults)[0]


def test_redis_databases_are_the_same_for_an_app_everywhere_and_never_shared():
    demo, shop = {"module": "demo", "submodule": "web"}, {"module": "shop", "submodule": "api"}
    same = {"a": {"flask_apps": [demo, shop]}, "b": {"flask_apps": [demo, shop]}}
    assert flask_redis_db_problems(["a", "b"], same, []) == []
    # host b lists shop first: by place, shop would get 0 there, and share demo's databases
    swapped = {"a": {"flask_apps": [demo, shop]}, "b": {"flask_apps": [shop, demo]}}
    found = flask_redis_db_problems(["a", "b"], swapped, [])
    assert "flask_apps: shop-api has redis_db 3 on a and 0 on b" in found[0]
    pinned = {h: {"flask_apps": [{**demo, "redis_db": 0}, {**shop, "redis_db": 3}]} for h in "ab"}
    assert flask_redis_db_problems(["a", "b"], pinned, []) == []
    clash = {"a": {"flask_apps": [demo]}, "b": {"flask_apps": [shop]}}
    (problem,) = flask_redis_db_problems(["a", "b"], clash, [])
    assert "shares redis database 0 with" in problem
    assert "redis has 4 (redis_databases)" in flask_redis_db_problems(["a"], same, [], 4)[0]
