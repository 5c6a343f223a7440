"""Release selection: what pruning keeps, where a rollback goes, whether a host switches."""

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from releases import (
    app_deploy_balancer_members,
    app_deploy_live_by_host,
    app_deploy_migrations,
    app_deploy_new_state,
    app_deploy_pending,
    app_deploy_plan,
    app_deploy_prune,
    app_deploy_reads,
    app_deploy_rollback,
    app_deploy_rollout_order,
    app_deploy_venv_source,
    good_releases,
    kept_releases,
    rollback_candidates,
)

GOOD = {"built": True, "failed": None}
HISTORY = [{"release": r} for r in ("v4", "v1", "v2", "v1", "v0")]  # newest first
RELEASES = {
    "v0": GOOD,
    "v1": GOOD,
    "v2": GOOD,
    "v3": {"built": True, "failed": {"check": "health", "at": "2026-11-21T10:00:00Z"}},
    "v3b": {"built": False, "failed": {"check": "build", "at": "2026-11-21T09:00:00Z"}},
    "v4": GOOD,
    "half": {"built": False, "failed": None},
}


def test_good_releases_follow_the_history_without_repeats_or_failures():
    assert good_releases(HISTORY, RELEASES) == ["v4", "v1", "v2", "v0"]
    assert good_releases(HISTORY, {"v1": GOOD}) == ["v1"]


def test_keep_the_newest_good_ones_and_the_newest_failed():
    assert kept_releases(HISTORY, RELEASES, "v4", 2) == ["v4", "v1", "v3"]
    assert kept_releases(HISTORY, RELEASES, "v4", "1") == ["v4", "v3"]


def test_the_live_release_is_kept_even_when_just_built():
    history = [{"release": "new"}, *HISTORY]
    assert kept_releases(history, RELEASES, "new", 1) == ["new", "v3"]


def test_the_release_the_old_color_still_runs_is_kept_until_it_stops():
    history = [{"release": "new"}, *HISTORY]
    assert kept_releases(history, RELEASES, "new", 1, "v4") == ["new", "v4", "v3"]
    assert kept_releases(history, RELEASES, "new", 2, "v4") == ["new", "v4", "v3"]
    assert kept_releases(history, RELEASES, "new", 1, "gone") == ["new", "v3"]


def test_rollback_goes_to_the_newest_good_release_that_is_not_live():
    assert rollback_candidates(HISTORY, RELEASES, "v4") == ["v1"]
    assert rollback_candidates(HISTORY, RELEASES, "v1") == ["v4"]


def test_rollback_to_a_named_release():
    assert rollback_candidates(HISTORY, RELEASES, "v4", "v2") == ["v2"]
    assert rollback_candidates(HISTORY, RELEASES, "v4", "v3") == []  # failed
    assert rollback_candidates(HISTORY, RELEASES, "v4", "v") == ["v4", "v1", "v2", "v0"]


def test_a_rollback_aims_at_one_good_release_or_says_why_not():
    releases = {**RELEASES, "v1": {**GOOD, "version": "1.0", "requirements": "r1"}}
    state = {"release": "v4", "history": HISTORY}
    assert app_deploy_rollback(state, releases, "", "/p/releases") == {
        "target": {
            "release": "v1",
            "dir": "/p/releases/v1",
            "version": "1.0",
            "requirements": "r1",
            "rollback": True,
        }
    }
    several = app_deploy_rollback(state, releases, "v", "/p/releases")["problem"]
    assert several == (
        'app_deploy_rollback_to is "v", which matches 4 of the good releases on the host'
        " (good releases, newest first: v4, v1, v2, v0)"
    )
    assert "matches 0" in app_deploy_rollback(state, releases, "v3", "/p")["problem"]
    assert app_deploy_rollback({}, releases, "", "/p") == {
        "problem": "there is no earlier good release to go back to "
        "(good releases, newest first: none)"
    }


def test_no_rollback_without_history():
    assert rollback_candidates([], RELEASES, "") == []


def test_pending_wheelhouses_are_built_by_the_first_host_of_their_interpreter():
    done = {"requirements_id": "a", "archive": "/c/wheels-a.tar", "pending": None, "sdists": []}
    todo = {
        "requirements_id": "b",
        "archive": "/c/wheels-b.tar",
        "pending": "/c/pending-b.tar",
        "sdists": ["psycopg2-2.9.13.tar.gz"],
    }
    artifacts = [
        {"item": {"name": "shop-api", "build_packages": []}, "wheelhouses": {"py311": done}},
        {
            "item": {"name": "shop-db", "build_packages": ["libpq-dev"]},
            "wheelhouses": {"py311": done, "py313": todo},
        },
    ]
    hosts = [["app1", "py311"], ["app2", "py313"], ["app3", "py313"]]
    assert app_deploy_pending(artifacts, hosts) == [
        {"app": "shop-db", "builder": "app2", "build_packages": ["libpq-dev"], **todo}
    ]


def plan(release, live, migrate="flask db upgrade", switch=True, rollback=False):
    return {
        "switch": switch,
        "migrate": migrate,
        "env_file": "/projects/demo/web/config/app.env",
        "target": {"release": release, "dir": f"/r/{release}", "rollback": rollback},
        "state": {"release": live} if live else {},
    }


def test_a_migration_runs_once_on_the_first_host_that_needs_the_release():
    hostvars = {
        "app1": {"__app_deploy_plans": {"demo-web": plan("v2", "v2", switch=False)}},
        "app2": {"__app_deploy_plans": {"demo-web": plan("v2", "v1")}},
        "app3": {"__app_deploy_plans": {"demo-web": plan("v2", "v1")}},
    }
    (migration,) = app_deploy_migrations(["app1", "app2", "app3"], hostvars)
    assert migration == {
        "app": "demo-web",
        "host": "app2",
        "command": "flask db upgrade",
        "env_file": "/projects/demo/web/config/app.env",
        "dir": "/r/v2",
        "release": "v2",
    }


def test_no_migration_for_a_rollback_a_config_change_or_an_app_without_one():
    hostvars = {
        "a": {"__app_deploy_plans": {"x": plan("v1", "v2", rollback=True)}},
        "b": {"__app_deploy_plans": {"y": plan("v2", "v2")}},
        "c": {"__app_deploy_plans": {"z": plan("v2", "v1", migrate="")}},
        "d": {},
    }
    assert app_deploy_migrations(["a", "b", "c", "d"], hostvars) == []


def test_the_report_of_a_rollout_says_what_each_host_runs():
    hostvars = {
        "app1": {
            "__app_deploy_plans": {"demo-web": plan("v2", "v1")},
            "__app_deploy_switched": {"demo-web": "v2"},
        },
        "app2": {"__app_deploy_plans": {"demo-web": plan("v2", "v1")}},
        "app3": {"__app_deploy_plans": {"demo-web": plan("v2", None)}},
        "worker": {"__app_deploy_plans": {}},
    }
    assert app_deploy_live_by_host(["app1", "app2", "app3", "worker"], hostvars, "demo-web") == {
        "app1": "v2",
        "app2": "v1",
        "app3": "nothing",
    }


def test_an_app_host_is_one_server_line_in_each_balancer_file_of_its_app():
    balancers = [{"file": "/u/demo.conf", "port": 8000}, {"file": "/u/demo.ws.conf", "port": 8001}]
    assert app_deploy_balancer_members(balancers, "10.0.0.21") == [
        {"upstream": "/u/demo.conf", "server": "10.0.0.21:8000"},
        {"upstream": "/u/demo.ws.conf", "server": "10.0.0.21:8001"},
    ]
    assert app_deploy_balancer_members(balancers[:1], "fd00::21")[0]["server"] == "[fd00::21]:8000"


def test_the_rollout_takes_the_hosts_with_a_switch_app_hosts_first():
    hostvars = {
        "app1": {"__app_deploy_switch": True, "group_names": ["app"]},
        "app2": {"__app_deploy_switch": False, "group_names": ["app"]},
        "both": {"__app_deploy_switch": True, "group_names": ["app", "worker"]},
        "worker1": {"__app_deploy_switch": True, "group_names": ["worker"]},
        "worker2": {"__app_deploy_switch": True, "group_names": ["worker"]},
    }
    hosts = ["app1", "app2", "both", "worker1", "worker2"]
    assert app_deploy_rollout_order(hosts, hostvars) == ["app1", "both", "worker1", "worker2"]


def test_a_venv_comes_from_the_newest_good_release_of_the_same_requirements():
    releases = {
        **RELEASES,
        "v1": {**GOOD, "requirements": "r1"},
        "v2": {**GOOD, "requirements": "r1"},
        "v3": {**RELEASES["v3"], "requirements": "r1"},  # failed: never a source
        "v4": {**GOOD, "requirements": "r4"},
    }
    assert app_deploy_venv_source(HISTORY, releases, "r1") == "v1"
    assert app_deploy_venv_source(HISTORY, releases, "r4") == "v4"
    assert app_deploy_venv_source(HISTORY, releases, "r9") == ""


READ = {
    "state": {"release": "v1", "fingerprint": ""},
    "releases": RELEASES,
    "wheelhouses": {"abc": {}},
    # gunicorn.conf.py, app.env (missing), web program
    "checksums": {"/c/gunicorn.conf.py": "0f1e", "/c/app.env": None, "/s/web.conf": "9a8b"},
}
COLORS = {"blue": {"program": "demo-web-blue"}, "green": {"program": "demo-web-green"}}
APP = {
    "name": "demo-web",
    "migrate": None,
    "env_file": "/projects/demo/web/config/app.env",
    "colors": COLORS,
}


def test_a_host_switches_to_a_new_release_and_then_not_again():
    plan = app_deploy_plan(READ, {"release": "v4"}, APP)
    assert plan["switch"] and plan["target"] == {"release": "v4"}
    assert plan["migrate"] == "" and plan["env_file"] == APP["env_file"]
    assert plan["releases"] is RELEASES and plan["wheelhouses"] == {"abc": {}}
    live = {**READ, "state": {"release": "v4", "fingerprint": plan["fingerprint"]}}
    assert not app_deploy_plan(live, {"release": "v4"}, APP)["switch"]


def test_a_changed_file_of_the_web_program_switches_the_same_release():
    live = app_deploy_plan(READ, {"release": "v4"}, APP)["fingerprint"]
    changed = {**READ, "checksums": {**READ["checksums"], "/c/app.env": "77aa"}}
    assert app_deploy_plan(changed, {"release": "v4"}, APP)["fingerprint"] != live


def test_a_file_the_run_wrote_counts_as_written_and_others_are_ignored():
    read_after = {**READ, "checksums": {**READ["checksums"], "/c/app.env": "77aa"}}
    after = app_deploy_plan(read_after, {"release": "v4"}, APP)["fingerprint"]
    written = {"/c/app.env": "77aa", "/c/other.conf": "1234"}
    assert app_deploy_plan(READ, {"release": "v4"}, APP, written)["fingerprint"] == after


def test_the_lock_reads_the_state_and_the_files_of_each_web_program():
    app = {
        "name": "demo-web",
        "dirs": {"releases": "/p/releases", "requirements": "/p/requirements"},
        "gunicorn_conf": "/p/config/gunicorn.conf.py",
        "env_file": "/p/config/app.env",
    }
    assert app_deploy_reads([app], {"demo-web": "/s/web.conf"}, "state.json") == [
        {
            "name": "demo-web",
            "state_file": "/p/releases/state.json",
            "releases_dir": "/p/releases",
            "requirements_dir": "/p/requirements",
            "files": ["/p/config/gunicorn.conf.py", "/p/config/app.env", "/s/web.conf"],
        }
    ]


def test_the_fingerprint_is_the_one_hosts_recorded_before_it_was_a_filter():
    """The Jinja that computed it before: a host deployed then must not switch again."""
    expression = "{{ ([release] + checksums) | map('string') | join(' ') | hash('sha1') }}"
    checksums = list(READ["checksums"].values())
    templar = Templar(loader=DataLoader(), variables={"release": "v4", "checksums": checksums})
    before = templar.template(trust_as_template(expression))
    assert app_deploy_plan(READ, {"release": "v4"}, APP)["fingerprint"] == before


def test_the_new_web_program_takes_the_color_that_is_not_live():
    first = app_deploy_plan({**READ, "state": {}}, {"release": "v4"}, APP)["colors"]
    assert first == {"old": {}, "new": COLORS["blue"], "next": "blue"}
    live_blue = {**READ, "state": {"release": "v1", "color": "blue"}}
    assert app_deploy_plan(live_blue, {"release": "v4"}, APP)["colors"] == {
        "old": COLORS["blue"],
        "new": COLORS["green"],
        "next": "green",
    }
    live_green = {**READ, "state": {"release": "v1", "color": "green"}}
    assert app_deploy_plan(live_green, {"release": "v4"}, APP)["colors"]["next"] == "blue"


def test_the_new_state_puts_the_target_first_and_keeps_twenty():
    target = {"release": "v9", "version": "9.0", "requirements": "r9", "dir": "/r/v9"}
    history = [{"release": f"v{n}"} for n in range(25)]
    plan = {"target": target, "state": {"history": history}, "fingerprint": "f00d"}
    state = app_deploy_new_state(plan, "green", at=0)
    entry = {"release": "v9", "version": "9.0", "requirements": "r9", "at": "1970-01-01T00:00:00Z"}
    assert state["history"] == [entry, *history[:19]]
    assert state == {**entry, "color": "green", "fingerprint": "f00d", "history": state["history"]}
    assert app_deploy_new_state({**plan, "state": {}}, "")["history"][0]["release"] == "v9"


def prune_plan(live_color):
    releases = {
        "v1": {**GOOD, "requirements": "r1"},
        "v2": {**GOOD, "requirements": "r2"},
        "v3": {**GOOD, "requirements": "r3"},
        "v4": {**GOOD, "requirements": "r2"},
        "bad": {"built": True, "failed": {"at": "2026-12-01T00:00:00Z"}, "requirements": "r5"},
    }
    state = {"release": "v3", "color": live_color}
    return {
        "releases": releases,
        "wheelhouses": ["r1", "r2", "r3", "r5", "r6"],
        "target": {"release": "v4", "requirements": "r2"},
        "state": state,
        "colors": {"old": {"program": "x-blue"} if live_color else {}},
    }


def test_pruning_keeps_the_newest_good_releases_the_retiring_one_and_their_wheelhouses():
    history = [{"release": r, "requirements": f"r{r[1]}"} for r in ("v4", "v3", "v2", "v1")]
    dirs = {"releases": "/p/releases", "requirements": "/p/requirements"}
    # v3 is live in blue until the handler stops it: kept, with its wheelhouse
    assert app_deploy_prune(prune_plan("blue"), history, dirs, 1) == [
        "/p/releases/v1",
        "/p/releases/v2",
        "/p/requirements/r1",
        "/p/requirements/r6",
    ]
    # a host without web programs has no old color: v3 goes
    assert app_deploy_prune(prune_plan(""), history, dirs, 1) == [
        "/p/releases/v1",
        "/p/releases/v2",
        "/p/releases/v3",
        "/p/requirements/r1",
        "/p/requirements/r3",
        "/p/requirements/r6",
    ]
    assert app_deploy_prune(prune_plan(""), history, dirs, 5) == ["/p/requirements/r6"]
