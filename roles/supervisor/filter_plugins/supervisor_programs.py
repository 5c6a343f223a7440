"""How long systemd lets supervisord take to stop its programs."""

# Seconds on top of the longest stop wait of a program.
MARGIN = 30


def supervisor_stop_timeout(apps, task_stopwaitsecs, graceful_timeout, web_stop_margin):
    """The longest stop wait of the programs of `apps` (resolved, present), plus MARGIN: a
    task program's stop_timeout (else `task_stopwaitsecs`), a web program's gunicorn
    graceful_timeout (the app's, else `graceful_timeout`) plus `web_stop_margin`."""
    waits = [int(task_stopwaitsecs), int(graceful_timeout) + int(web_stop_margin)]
    for app in apps:
        waits.extend(int(task["stop_timeout"]) for task in app["tasks"] if task["stop_timeout"])
        own = (app.get("gunicorn") or {}).get("graceful_timeout")
        if own is not None:
            waits.append(int(own) + int(web_stop_margin))
    return max(waits) + MARGIN


class FilterModule:
    def filters(self):
        return {"supervisor_stop_timeout": supervisor_stop_timeout}
