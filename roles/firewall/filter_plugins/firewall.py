"""The firewall role's checks of firewall_allow, for flask_setting_problems (flask role)."""


def firewall_allow_checks(allow):
    """A check of each entry of firewall_allow: its port and its sources."""
    if not isinstance(allow, list):
        return [{"name": "firewall_allow", "value": allow, "match": "^$", "means": _MEANS}]
    checks = []
    for index, entry in enumerate(allow):
        if not isinstance(entry, dict) or set(entry) != {"port", "sources"}:
            checks.append(
                {"name": f"firewall_allow[{index}]", "value": entry, "match": "^$", "means": _MEANS}
            )
            continue
        where = f"firewall_allow[{index}]"
        checks.append({"name": f"{where}.port", "value": entry["port"], "int": [1, 65535]})
        checks.append({"name": f"{where}.sources", "value": entry["sources"], "networks": True})
    return checks


_MEANS = "give a list of {port: a TCP port, sources: [addresses or networks, or none for anyone]}"


class FilterModule:
    def filters(self):
        return {"firewall_allow_checks": firewall_allow_checks}
