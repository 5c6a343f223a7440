# Managed by the flask toolkit: the app_deploy role's action for the release_build module.
"""Ships the source archive (and the wheelhouse archive, when the host has no complete
wheelhouse) into the task's temporary folder, then builds the release in one module call."""

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        try:
            source = args.pop("source_archive")
            wheels = args.pop("wheels_archive", None)
            ship_wheels = boolean(args.pop("ship_wheels", True), strict=True)
        except (KeyError, TypeError) as error:
            raise AnsibleActionFail(f"release_build: {error}") from error
        shell = self._connection._shell
        try:
            shipped = [("source_archive", source)]
            if ship_wheels:
                if not wheels:
                    raise AnsibleActionFail("release_build: ship_wheels needs wheels_archive")
                shipped.append(("wheels_archive", wheels))
            for key, path in shipped:
                remote = shell.join_path(shell.tmpdir, key)
                self._transfer_file(self._loader.get_real_file(path), remote)
                args[key] = remote
            self._fixup_perms2([shell.tmpdir, *(args[key] for key, _ in shipped)])
            result.update(
                self._execute_module(
                    module_name="release_build", module_args=args, task_vars=task_vars
                )
            )
        finally:
            self._remove_tmp_path(shell.tmpdir)
        return result
