"""The template a role renders: yours from flask_templates_dir, else the role's own."""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: flask_template
short_description: The template a role renders, yours first
description:
  - For each path (relative to the calling role's templates/ folder), returns
    <flask_templates_dir>/<role>/<path> when that file exists, else the role's own template.
options:
  _terms:
    description: Template paths inside the role's templates/ folder.
    required: true
"""


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        role_path = variables.get("role_path")
        if not role_path:
            raise AnsibleLookupError("flask_template works only in a role's tasks")
        role = os.path.basename(role_path)
        overrides = self._templar.template(variables["flask_templates_dir"])
        found = []
        for term in terms:
            yours = os.path.join(overrides, role, term)
            found.append(
                yours if os.path.isfile(yours) else os.path.join(role_path, "templates", term)
            )
        return found
