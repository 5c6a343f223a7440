"""Which releases of an app to keep, which one a rollback goes to, where wheels get built,
and whether a host switches an app.

`history` is the deploy state's list of releases that went live, newest first;
`releases` maps each release folder on the host to {built, failed, version, requirements}.
A good release is one that went live, is still on the host, is built and did not fail.
"""

import hashlib
import json
import time


def good_releases(history, releases, extra=()):
    """Good releases, most recently live first, without repeats; `extra` count as on the host."""
    usable = {
        release
        for release, info in releases.items()
        if info.get("built") and not info.get("failed")
    } | set(extra)
    seen, good = set(), []
    for entry in history or []:
        release = entry["release"]
        if release in usable and release not in seen:
            seen.add(release)
            good.append(release)
    return good


def kept_releases(history, releases, live, keep, retiring=""):
    """The releases to keep: the `keep` newest good ones (the live one first), the one the old
    color still runs until the switch's handler stops it (`retiring`), and the newest failed
    one, for its log."""
    kept = good_releases(history, releases, extra=[live])[: int(keep)]
    if retiring and retiring in releases and retiring not in kept:
        kept.append(retiring)
    failed = sorted(
        (info["failed"].get("at", ""), release)
        for release, info in releases.items()
        if info.get("failed")
    )
    return kept + [release for _, release in failed[-1:] if release not in kept]


def app_deploy_venv_source(history, releases, requirements):
    """The newest good release built from the same requirements (whose virtualenv a new
    release can start from), or ''."""
    for release in good_releases(history, releases):
        if releases[release].get("requirements") == requirements:
            return release
    return ""


def rollback_candidates(history, releases, live, wanted=""):
    """Good releases a rollback may go to: those starting with `wanted`, or else the newest
    good one that is not live. One release id is an answer; anything else is not."""
    good = good_releases(history, releases)
    if wanted:
        return [release for release in good if release.startswith(wanted)]
    return [release for release in good if release != live][:1]


def app_deploy_rollback(state, releases, wanted, releases_dir):
    """Where a rollback of an app goes, from its deploy state and its releases on the host:
    {target} (release, dir, version, requirements), or {problem}, which says why there is no
    single good release to go to: `wanted` (app_deploy_rollback_to) matches none or several,
    or no earlier one is left."""
    history = state.get("history") or []
    found = rollback_candidates(history, releases, state.get("release", ""), wanted)
    if len(found) != 1:
        good = ", ".join(good_releases(history, releases)) or "none"
        why = (
            f"app_deploy_rollback_to is {json.dumps(wanted)}, which matches {len(found)} "
            "of the good releases on the host"
            if wanted
            else "there is no earlier good release to go back to"
        )
        return {"problem": f"{why} (good releases, newest first: {good})"}
    release = found[0]
    return {
        "target": {
            "release": release,
            "dir": f"{releases_dir}/{release}",
            "version": releases[release].get("version"),
            "requirements": releases[release].get("requirements"),
            "rollback": True,
        }
    }


def app_deploy_reads(apps, programs, state_file):
    """What deploy_lock reads for each app, under the lock: its deploy state (`state_file`,
    in its releases folder), releases and wheelhouses, and the files its web program runs
    with: gunicorn's config, the environment, the supervisor program (`programs`, by app)."""
    return [
        {
            "name": app["name"],
            "state_file": f"{app['dirs']['releases']}/{state_file}",
            "releases_dir": app["dirs"]["releases"],
            "requirements_dir": app["dirs"]["requirements"],
            "files": [app["gunicorn_conf"], app["env_file"], programs[app["name"]]],
        }
        for app in apps
    ]


def app_deploy_plan(read, target, app, written=None):
    """An app's plan on a host: what deploy_lock read there (`read`: the state, the
    releases and wheelhouses, the checksums of the files the web program runs with, by
    path), the release to go to (`target`) and whether to switch to it. `written`: the
    checksums of those files the run wrote since (by path), which stand in for the ones read.
    The fingerprint stands for the target and those files: the host switches when it differs
    from the live one, so that a new release or a new configuration of the same release goes
    live, and nothing else."""
    written = written or {}
    checksums = [written.get(path, read_one) for path, read_one in read["checksums"].items()]
    items = [target["release"], *checksums]
    fingerprint = hashlib.sha1(" ".join(map(str, items)).encode()).hexdigest()
    live = read["state"].get("color") or ""
    following = "green" if live == "blue" else "blue"
    return {
        "switch": read["state"].get("fingerprint", "") != fingerprint,
        "fingerprint": fingerprint,
        "target": target,
        "colors": {
            "old": app["colors"][live] if live else {},
            "new": app["colors"][following],
            "next": following,
        },
        "state": read["state"],
        "releases": read["releases"],
        "wheelhouses": read["wheelhouses"],
        "migrate": app.get("migrate") or "",
        "env_file": app["env_file"],
    }


def app_deploy_new_state(plan, color, at=None):
    """The deploy state once the plan's target is live in `color` ('' on a host without web
    programs): the target first in the history, which keeps 20 entries. `at`: the switch's
    time (seconds since the epoch), now by default."""
    target = plan["target"]
    entry = {
        "release": target["release"],
        "version": target["version"],
        "requirements": target["requirements"],
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
    }
    history = [entry, *(plan["state"].get("history") or [])][:20]
    return {**entry, "color": color, "fingerprint": plan["fingerprint"], "history": history}


def app_deploy_prune(plan, history, dirs, keep):
    """The folders pruning removes once the plan's target is live (`history`: the new deploy
    state's): the releases kept_releases does not keep - the release the old color still
    runs is kept - and the wheelhouses no kept release uses. `dirs`: the app's folders."""
    releases = plan["releases"]
    target = plan["target"]
    retiring = plan["state"].get("release", "") if plan["colors"]["old"] else ""
    kept = kept_releases(history, releases, target["release"], keep, retiring)
    used = {target["requirements"]}
    used.update(entry.get("requirements") for entry in history if entry["release"] in kept)
    used.update(releases[release].get("requirements") for release in kept if release in releases)
    return [f"{dirs['releases']}/{release}" for release in releases if release not in kept] + [
        f"{dirs['requirements']}/{wheelhouse}"
        for wheelhouse in plan["wheelhouses"]
        if wheelhouse not in used
    ]


def app_deploy_pending(artifacts, hosts):
    """The wheelhouses that need a host build: for each app artifact (app_artifact results,
    looped over the apps) and each of its wheelhouses with sdists pending, the first host of
    that interpreter builds them (`hosts`: [host, target key] pairs, in play order)."""
    builders = {}
    for host, key in hosts:
        builders.setdefault(key, host)
    pending = []
    for artifact in artifacts:
        for key, wheels in sorted((artifact.get("wheelhouses") or {}).items()):
            if not wheels.get("pending"):
                continue
            pending.append(
                {
                    "app": artifact["item"]["name"],
                    "builder": builders[key],
                    "build_packages": list(artifact["item"].get("build_packages") or []),
                    **{k: wheels[k] for k in ("requirements_id", "archive", "pending", "sdists")},
                }
            )
    return pending


def app_deploy_migrations(hosts, hostvars):
    """The migrations a deploy runs, once each and before any host switches: for each app
    with a migrate command whose new release is not yet live on some host, the first such
    host (in play order) runs it. `hosts`' `__app_deploy_plans` come from tasks/plan.yml."""
    chosen = {}
    for host in hosts:
        for name, plan in (hostvars[host].get("__app_deploy_plans") or {}).items():
            target = plan["target"]
            if (
                name in chosen
                or not plan.get("migrate")
                or not plan["switch"]
                or target["rollback"]
                or target["release"] == plan["state"].get("release")
            ):
                continue
            chosen[name] = {
                "app": name,
                "host": host,
                "command": plan["migrate"],
                "env_file": plan["env_file"],
                "dir": target["dir"],
                "release": target["release"],
            }
    return list(chosen.values())


def app_deploy_live_by_host(hosts, hostvars, app):
    """{host: the release of `app` it runs now} for the hosts that carry it: the release a
    host switched to in this run, else the one it had."""
    live = {}
    for host in hosts:
        plan = (hostvars[host].get("__app_deploy_plans") or {}).get(app)
        if plan is not None:
            switched = (hostvars[host].get("__app_deploy_switched") or {}).get(app)
            live[host] = switched or plan["state"].get("release") or "nothing"
    return live


def app_deploy_balancer_members(balancers, address):
    """balancer_member's members for an app host: its server line in each of the app's
    upstream files (`balancers`: [{file, port}]), as the nginx role writes them."""
    host = f"[{address}]" if ":" in address else address
    return [{"upstream": b["file"], "server": f"{host}:{b['port']}"} for b in balancers]


def app_deploy_rollout_order(hosts, hostvars):
    """The hosts that have something to switch (their `__app_deploy_switch` fact), in the
    order of the rollout: the app hosts first, then the worker hosts, each kind in the order
    of `hosts`. A worker host has no health check, so a broken release must meet the app
    hosts' checks, and stop the rollout there, before any worker runs it."""
    switching = [host for host in hosts if hostvars[host].get("__app_deploy_switch")]
    return sorted(switching, key=lambda host: "app" not in hostvars[host].get("group_names", []))


class FilterModule:
    """Filters of the app_deploy role: release selection."""

    def filters(self):
        return {
            "app_deploy_pending": app_deploy_pending,
            "app_deploy_plan": app_deploy_plan,
            "app_deploy_new_state": app_deploy_new_state,
            "app_deploy_prune": app_deploy_prune,
            "app_deploy_reads": app_deploy_reads,
            "app_deploy_venv_source": app_deploy_venv_source,
            "app_deploy_rollback": app_deploy_rollback,
            "app_deploy_migrations": app_deploy_migrations,
            "app_deploy_live_by_host": app_deploy_live_by_host,
            "app_deploy_balancer_members": app_deploy_balancer_members,
            "app_deploy_rollout_order": app_deploy_rollout_order,
        }
