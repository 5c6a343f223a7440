"""The cluster as the roles see it: which hosts carry which app, their addresses, and the
service URLs (database, redis) each app gets in its environment.

Groups: `web` (nginx, the public entry), `app` (the web programs), `worker` (the task
programs), `db` and `redis` (one host each). A host may be in several groups.
"""

from urllib.parse import quote

DEFAULT_POSTGRESQL_PORT = 5432
DEFAULT_REDIS_PORT = 6379


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


def _db_name(app_name):
    return app_name.replace("-", "_")


def flask_with_services(secrets, apps, database=None, redis=None):
    """Each app's secret environment (`secrets`: {app name: env}) with the service URLs
    added: DATABASE_URL when there is a database host, REDIS_URL when there is a redis host,
    unless the app sets the variable itself (in its env or its secrets).

    `apps` are the resolved apps; `database` is {address, port, passwords: {app name:
    password}}, `redis` is {address, port, password}; a missing port is the default one.
    """
    result = {}
    for app in apps:
        name = app["name"]
        own = {**(app.get("env") or {}), **(secrets.get(name) or {})}
        urls = {}
        if database and "DATABASE_URL" not in own:
            password = quote(str(database["passwords"].get(name, "")), safe="")
            urls["DATABASE_URL"] = (
                f"postgresql://{_db_name(name)}:{password}@{database['address']}:"
                f"{database.get('port') or DEFAULT_POSTGRESQL_PORT}/{_db_name(name)}"
            )
        if redis and "REDIS_URL" not in own:
            password = quote(str(redis.get("password") or ""), safe="")
            port = redis.get("port") or DEFAULT_REDIS_PORT
            urls["REDIS_URL"] = f"redis://:{password}@{redis['address']}:{port}/0"
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
        }
