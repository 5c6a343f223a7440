# Managed by the flask toolkit: shared by the app_deploy role's modules.
"""Files and links replaced in one rename: a reader sees the old one or the new one, never
half of either."""

import os


def replace_file(path, content, mode=0o644):
    """Give path this content (text) and mode."""
    fresh = f"{path}.new"
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with open(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(fresh, mode)  # whatever the umask took away, or the mode of a leftover
    os.replace(fresh, path)


def replace_link(path, target):
    """Point the link path at target; whether it changed."""
    if os.path.islink(path) and os.readlink(path) == target:
        return False
    fresh = f"{path}.new"
    if os.path.lexists(fresh):
        os.unlink(fresh)
    os.symlink(target, fresh)
    os.replace(fresh, path)
    return True
