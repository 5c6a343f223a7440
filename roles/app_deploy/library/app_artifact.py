#!/usr/bin/python
"""Build an app's release artifacts on the control node, for the hosts' own interpreters.

The documentation alone: the action (action_plugins/app_artifact.py) does the work, in the
run's own process, as it needs nothing of a host."""

DOCUMENTATION = r"""
module: app_artifact
short_description: Build a Flask app's release artifacts on the control node
description:
  - Packs the app source into a deterministic archive, named by its content. The release id
    is derived from that archive and from the requirement inputs, so the same code and
    requirements give the same release id on every host and in every run.
  - For each target interpreter (as M(python_target) reports it from a host), resolves the
    app's requirements with C(uv pip compile) for that interpreter's exact version and
    platform, so environment markers are evaluated as on the host, and downloads the wheels
    that fit it with C(pip download). Packages that publish no fitting wheel are downloaded as
    sdists, with the build requirements they declare; such a wheelhouse is returned as
    C(pending) and must be built on a host of that interpreter (build-wheels.sh), whose
    result becomes the wheelhouse archive.
  - >-
    Wheelhouses are named by a key over everything that changes their content: the
    requirement inputs, the package metadata, the extra requirements, the resolver arguments
    and the target interpreter. An archive that is already there is not built again.
options:
  src:
    description: The app source folder (a subfolder of a checkout, where the app lives in one).
    type: path
    required: true
  cache:
    description: Folder that keeps the artifacts.
    type: path
    required: true
  requirements:
    description: >-
      The requirements file, relative to O(src). For a package it is optional and constrains
      its dependencies (pip-tools or uv export output, or a plain file).
    type: str
    default: requirements.txt
  package:
    description: >-
      Install the source as a package (it has C(pyproject.toml) or C(setup.py)). Default:
      when it has a C(setup.py), or a C(pyproject.toml) with a C([project]) or C([build-system])
      table.
    type: bool
  extra_requirements:
    description: Requirement lines installed in every release besides the app's own.
    type: list
    elements: str
    default: []
  links:
    description: >-
      The release's links to persistent storage; recorded in the archive, so that a change
      makes a new release.
    type: list
    elements: dict
    default: []
  wheels:
    description: Download the wheels. Without it, targets install the lock from an index.
    type: bool
    default: true
  python:
    description: Control-node Python with pip and uv.
    type: path
  resolve_args:
    description: >-
      Extra arguments for uv pip compile and pip download (--index-url, --extra-index-url,
      --find-links).
    type: list
    elements: str
    default: []
  targets:
    description: The distinct target interpreters, as M(python_target) returns them.
    type: list
    elements: dict
    required: true
  exclude:
    description: Names of files and folders left out of the archive, at any depth.
    type: list
    elements: str
    default: []
  version:
    description: Human label of the release (a git commit); default the source's VERSION file.
    type: str
"""

RETURN = r"""
release:
  description: The release id, the same for the same code and requirement inputs.
  type: str
  returned: always
version:
  description: Human label of the release.
  type: str
  returned: always
code_archive:
  description: Path of the source archive (tar.gz) on the control node.
  type: str
  returned: always
package:
  description: Whether the source is installed as a package.
  type: bool
  returned: always
wheelhouses:
  description: >-
    Per target key - requirements_id (names the wheelhouse on the hosts), archive (its path,
    complete when pending is null), pending (the archive to build on a host of that
    interpreter, or null), sdists (what must be built), gunicorn (the version resolved).
  type: dict
  returned: always
"""
