#!/usr/bin/python
"""Keep the record of a release's failed check in its folder."""

DOCUMENTATION = r"""
module: release_failure
short_description: Write the log of a release's failed check, and mark the release failed
description:
  - Runs when a check of a new release failed (its build, its import, the migration, the
    health of its web program, before or after the switch), in one call.
  - Makes the release folder when the build did not get that far, and writes C(deploy.log)
    there, root's and not world-readable, with O(summary), the failed task and O(output),
    then the last lines of each of O(logs) as they are now.
  - With O(mark), writes C(.failed.json) in the folder too, so that pruning keeps the
    release for a while and a rollback never picks it. Without it (a new configuration of
    the live release failed, the release itself is still good), the release is left unmarked.
options:
  release_dir:
    description: The release folder.
    type: path
    required: true
  check:
    description: The check that failed.
    type: str
    required: true
  task:
    description: The name of the task that failed.
    type: str
    required: true
  summary:
    description: What failed, in a sentence; the log's first line, after the time.
    type: str
    required: true
  output:
    description: The failed task's result, as text.
    type: str
    default: ""
  logs:
    description: Logs whose last lines go into the log and the result (the web program's).
    type: list
    elements: path
    default: []
  lines:
    description: How many lines of each of O(logs).
    type: int
    default: 20
  mark:
    description: Write C(.failed.json).
    type: bool
    default: true
"""

RETURN = r"""
failure:
  description: What C(.failed.json) holds (or would hold, without O(mark)).
  type: dict
  returned: always
  contains:
    check:
      description: O(check).
      type: str
    task:
      description: O(task).
      type: str
    at:
      description: When the log was written (UTC, ISO 8601).
      type: str
    log:
      description: The path of C(deploy.log).
      type: str
logs:
  description: The last lines of O(logs), each under a header that names its file, or empty.
  type: str
  returned: always
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.program_logs import last_lines
from ansible.module_utils.replace import replace_file


def record(params, write_files=True, now=None):
    """Write the log (and the mark); what the mark holds and the logs' last lines."""
    folder = params["release_dir"]
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    failure = {
        "check": params["check"],
        "task": params["task"],
        "at": at,
        "log": os.path.join(folder, "deploy.log"),
    }
    logs = last_lines(params["logs"], params["lines"])
    if write_files:
        os.makedirs(folder, mode=0o755, exist_ok=True)
        text = f"{at}: {params['summary']}\nTask: {params['task']}\n{params['output']}\n"
        if logs:
            text += f"The web program's logs:\n{logs}"
        replace_file(failure["log"], text, 0o640)
        if params["mark"]:
            mark = json.dumps(failure, indent=4, sort_keys=True) + "\n"
            replace_file(os.path.join(folder, ".failed.json"), mark)
    return failure, logs


def main():
    module = AnsibleModule(
        argument_spec={
            "release_dir": {"type": "path", "required": True},
            "check": {"type": "str", "required": True},
            "task": {"type": "str", "required": True},
            "summary": {"type": "str", "required": True},
            "output": {"type": "str", "default": ""},
            "logs": {"type": "list", "elements": "path", "default": []},
            "lines": {"type": "int", "default": 20},
            "mark": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    try:
        failure, logs = record(module.params, write_files=not module.check_mode)
    except OSError as error:
        module.fail_json(msg=f"{module.params['release_dir']}: {error}")
    module.exit_json(changed=True, failure=failure, logs=logs)


if __name__ == "__main__":
    main()
