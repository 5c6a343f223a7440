"""The names a certificate of an app is made for."""

import re

# A server name a certificate can carry: a DNS name, or a wildcard *.name.
DNS_NAME_RE = re.compile(r"^(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+$")


def tls_certificate_names(app, fallback):
    """The app's server names that are DNS names (nginx's _ and ~regex names are not), in
    order; `fallback` (the host's name) when none is."""
    names = [name for name in app.get("server_names") or [] if DNS_NAME_RE.match(name)]
    return names or [fallback]


class FilterModule:
    def filters(self):
        return {"tls_certificate_names": tls_certificate_names}
