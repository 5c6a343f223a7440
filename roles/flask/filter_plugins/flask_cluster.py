"""The cluster as the roles see it: which hosts carry which app, their addresses, and the
service URLs (database, redis) each app gets in its environment.

Groups: `web` (nginx, the public entry), `app` (the web programs), `worker` (the task
programs), `db` and `redis` (one host each). A host may be in several groups.
"""

from urllib.parse import quote

DEFAULT_POSTGRESQL_PORT = 5432
DEFAULT_REDIS_PORT = 6379
# The redis URLs of an app, on its databases redis_db, redis_db + 1, redis_db + 2.
REDIS_URL_VARIABLES = ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
REDIS_DBS_PER_APP = len(REDIS_URL_VARIABLES)


def flask_addresses(hosts, hostvars):
    """The address each of `hosts` is reached at by the other members: its `flask_address`
    when the inventory sets one, else its default IPv4 address (a fact)."""
    addresses = []
    for host in hosts:
        hvars = hostvars[host]
        address = hvars.get("flask_address") or (hvars.get("ansible_default_ipv4") or {}).get(
            "address"
        )
        if not address:
            raise ValueError(
                f"no address for {host}: set flask_address for it, or gather its facts "
                "(run the play on it too)"
            )
        addresses.append(address)
    return addresses


def flask_app_hosts(hosts, hostvars, default_apps):
    """{app name: [hosts of `hosts` that carry it (state present)]}, in inventory order.

    A host's apps are its own `flask_apps`, or `default_apps` (the role default) when the
    inventory sets none for it."""
    carried = {}
    for host in hosts:
        for app in hostvars[host].get("flask_apps", default_apps) or []:
            if app.get("state", "present") != "present":
                continue
            name = f"{app['module']}-{app['submodule']}"
            carried.setdefault(name, [])
            if host not in carried[name]:
                carried[name].append(host)
    return carried


def flask_redis_db_problems(hosts, hostvars, default_apps, databases=16):
    """What is wrong with the apps' redis databases across `hosts`: an app must have the same
    databases on every host, no two apps may share one, and all must exist (redis has
    `databases` of them). An app's databases are its `redis_db` and the two after it;
    without one, 3 x its place in its host's flask_apps."""
    seen = {}  # app name: (first database, host)
    problems = []
    for host in hosts:
        for index, app in enumerate(hostvars[host].get("flask_apps", default_apps) or []):
            if not isinstance(app, dict) or app.get("state", "present") != "present":
                continue
            name = f"{app.get('module')}-{app.get('submodule')}"
            first = app.get("redis_db", REDIS_DBS_PER_APP * index)
            if name in seen and seen[name][0] != first:
                problems.append(
                    f"flask_apps: {name} has redis_db {seen[name][0]} on {seen[name][1]} and "
                    f"{first} on {host}: set its redis_db, the same everywhere"
                )
            seen.setdefault(name, (first, host))
    taken = {}
    for name, (first, host) in sorted(seen.items(), key=lambda item: str(item[1][0])):
        if not isinstance(first, int):
            continue
        if first + REDIS_DBS_PER_APP > int(databases):
            problems.append(
                f"flask_apps: {name} has redis_db {first} (on {host}): it takes databases "
                f"{first}-{first + REDIS_DBS_PER_APP - 1}, and redis has {databases} "
                "(redis_databases)"
            )
        for number in range(first, first + REDIS_DBS_PER_APP):
            if number in taken and taken[number] != name:
                problems.append(
                    f"flask_apps: {name} (redis_db {first}, on {host}) shares redis database "
                    f"{number} with {taken[number]}: give one of them another redis_db"
                )
                break
            taken[number] = name
    return problems


def _db_name(app_name):
    return app_name.replace("-", "_")


def flask_with_services(secrets, apps, database=None, redis=None):
    """Each app's secret environment (`secrets`: {app name: env}) with the service URLs
    added, unless the app sets the variable itself (in its env or its secrets):
    DATABASE_URL when there is a database host; when there is a redis host, three URLs on
    the app's own databases from its `redis_db` on: REDIS_URL (its cache, and Socket.IO's
    message queue), CELERY_BROKER_URL and CELERY_RESULT_BACKEND.

    `apps` are the resolved apps; `database` is {address, port, passwords: {app name:
    password}}, `redis` is {address, port, password}; a missing port is the default one.
    """
    result = {}
    for app in apps:
        name = app["name"]
        own = {**(app.get("env") or {}), **(secrets.get(name) or {})}
        urls = {}
        if database:
            password = quote(str(database["passwords"].get(name, "")), safe="")
            urls["DATABASE_URL"] = (
                f"postgresql://{_db_name(name)}:{password}@{database['address']}:"
                f"{database.get('port') or DEFAULT_POSTGRESQL_PORT}/{_db_name(name)}"
            )
        if redis:
            password = quote(str(redis.get("password") or ""), safe="")
            server = (
                f"redis://:{password}@{redis['address']}:{redis.get('port') or DEFAULT_REDIS_PORT}"
            )
            first = app.get("redis_db") or 0
            for offset, variable in enumerate(REDIS_URL_VARIABLES):
                urls[variable] = f"{server}/{first + offset}"
        urls = {key: value for key, value in urls.items() if key not in own}
        result[name] = {**urls, **(secrets.get(name) or {})}
    return result


def flask_db_name(app_name):
    """The PostgreSQL database and login role of an app: its name with _ for -."""
    return _db_name(app_name)


class FilterModule:
    """Filters of the flask role: the cluster."""

    def filters(self):
        return {
            "flask_addresses": flask_addresses,
            "flask_app_hosts": flask_app_hosts,
            "flask_with_services": flask_with_services,
            "flask_db_name": flask_db_name,
            "flask_redis_db_problems": flask_redis_db_problems,
        }
