# Managed by the flask toolkit: shared by the app_deploy role's modules.
"""The last lines of a program's logs, for the messages of failed checks."""

from collections import deque


def tail(path, lines):
    """The last `lines` lines of the file at path, or why there are none."""
    try:
        with open(path, errors="replace") as handle:
            return "".join(deque(handle, lines))
    except (OSError, TypeError) as error:
        return f"({getattr(error, 'strerror', None) or 'no log'})\n"


def last_lines(paths, lines):
    """The last `lines` lines of each file, each under a header that names it."""
    return "".join(f"--- last lines of {path}:\n{tail(path, lines)}" for path in paths)
