# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one shape of this collection's modules (private): building the AnsibleModule, the exit and
the failure are here, the logic is a plain function.

Each module's logic file (plugins/module_utils/_<layer>/<name>.py) has

    from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
    from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module

    def run(params, check_mode, host):
        ...  # the logic: plain values in, the result out, raise ModuleFailure(msg, **partial_result)
        return dict(changed=..., ...)

    def run_module():
        run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True, ...)

(the AnsibleModule keywords the module needs; a Sparkflows module's through
_sparkflows.client.module_kwargs), and its module file (plugins/modules/<name>.py) is
documentation and a main() calling that run_module().

The contract of run(params, check_mode, host) -> dict:

- params are the module's parameters as the argument spec made them, check_mode whether Ansible
  runs in check mode, host a ModuleHost: what only a running module has (the diff flag, warnings,
  commands, executables, the file options), nothing else.
- It returns the result, with changed; run_module exits with it (exit_json).
- Every failure is a ModuleFailure(msg, **result): run_module fails with msg and the partial
  result given (fail_json). What the argument spec cannot express (a range, one option with
  another) is checked in run and refused so.
- Nothing but this file calls fail_json or exit_json (a unit test checks): a run returns or raises,
  and is tested by calling it with plain values and a fake host.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.process import get_bin_path
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.secret_maps import SecretMapsModule


class ModuleFailure(Exception):
    """A module's failure: msg, and the partial result returned with it (e.g. actions=[...])."""

    def __init__(self, msg, **result):
        super().__init__(msg)
        self.msg = msg
        self.result = result


class ModuleHost(object):
    """What a run may use of the running module, and only that:

    - diff: whether Ansible asks for a diff (--diff, diff: true);
    - warn(text): a warning shown with the task's result;
    - run_command(args, environ_update=None) -> (rc, stdout, stderr): a command on the host;
    - get_bin_path(name, required=False): an executable's path on the host, None when there is
      none (required: a ModuleFailure, with AnsibleModule's message);
    - set_file_attributes(path, changed, mode=None, diff=None) -> changed: the module's file
      options (mode, owner, group, SELinux context, attributes: add_file_common_args) applied to
      path; mode given overrides the option.
    """

    def __init__(self, module):
        self._module = module

    @property
    def diff(self):
        return bool(self._module._diff)

    def warn(self, text):
        self._module.warn(text)

    def run_command(self, args, environ_update=None):
        return self._module.run_command(args, environ_update=environ_update)

    def get_bin_path(self, name, required=False):
        try:
            return get_bin_path(name)
        except ValueError as e:
            if required:
                raise ModuleFailure(to_text(e))
            return None

    def set_file_attributes(self, path, changed, mode=None, diff=None):
        file_args = self._module.load_file_common_arguments(self._module.params, path=path)
        if mode is not None:
            file_args['mode'] = mode
        return self._module.set_fs_attributes_if_different(file_args, changed, diff=diff)


def run_module(run, argument_spec, secret_maps=None, **module_kwargs):
    """Build the module (AnsibleModule(argument_spec=argument_spec, **module_kwargs); a
    SecretMapsModule, its map options' secret values hidden from the moment the arguments are read,
    when secret_maps is given), call run(params, check_mode, host) and exit with its result, or
    fail with a ModuleFailure's msg and partial result."""
    if secret_maps is None:
        module = AnsibleModule(argument_spec=argument_spec, **module_kwargs)
    else:
        module = SecretMapsModule(argument_spec=argument_spec, secret_maps=secret_maps, **module_kwargs)
    try:
        result = run(module.params, module.check_mode, ModuleHost(module))
    except ModuleFailure as e:
        module.fail_json(msg=e.msg, **e.result)
    module.exit_json(**result)
