#!/usr/bin/python
"""Report the interpreter a host makes its release virtualenvs with."""

DOCUMENTATION = r"""
module: python_target
short_description: Describe the Python a host builds its release virtualenvs with
description:
  - Runs O(python) on the host and reports what decides which wheels fit it - its
    implementation, full version, ABI tag, machine and glibc version - and a key naming
    that combination. Hosts with the same key can share one wheelhouse. Changes nothing.
options:
  python:
    description: The interpreter the releases' virtualenvs are made from.
    type: path
    default: /usr/bin/python3
"""

RETURN = r"""
target:
  description: key, implementation, version (full), abi (cp311), arch, glibc (or null).
  type: dict
  returned: always
"""

import json

from ansible.module_utils.basic import AnsibleModule

PROBE = (
    "import json, platform, sys;"
    "print(json.dumps({'implementation': sys.implementation.name,"
    " 'version': platform.python_version(), 'version_info': list(sys.version_info[:2]),"
    " 'arch': platform.machine(), 'libc': list(platform.libc_ver())}))"
)


def describe(probe):
    """The target record of a probe's output."""
    if probe["implementation"] != "cpython":
        raise ValueError(f"{probe['implementation']} is not CPython")
    major, minor = probe["version_info"]
    libc, libc_version = probe["libc"]
    glibc = libc_version if libc == "glibc" and libc_version else None
    target = {
        "implementation": "cp",
        "version": probe["version"],
        "abi": f"cp{major}{minor}",
        "arch": probe["arch"],
        "glibc": glibc,
    }
    target["key"] = f"cp{probe['version']}-{probe['arch']}-" + (
        f"glibc{glibc}" if glibc else "nolibc"
    )
    return target


def main():
    module = AnsibleModule(
        argument_spec={"python": {"type": "path", "default": "/usr/bin/python3"}},
        supports_check_mode=True,
    )
    rc, out, err = module.run_command([module.params["python"], "-c", PROBE])
    if rc != 0:
        module.fail_json(msg=f"cannot run {module.params['python']}: {err.strip()}")
    try:
        target = describe(json.loads(out))
    except ValueError as error:
        module.fail_json(msg=f"{module.params['python']}: {error}")
    module.exit_json(changed=False, target=target)


if __name__ == "__main__":
    main()
