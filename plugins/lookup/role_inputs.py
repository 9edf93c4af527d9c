# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_inputs
short_description: The booleans and numbers a role of this collection reads, converted once
version_added: 0.1.0
description:
  - Returns the variables of type C(bool), C(int) and C(float) of a role of this collection
    (as its C(meta/argument_specs.yml) declares them), each converted from whatever form Ansible
    gave it in, text (from C(-e key=value), AWX survey answers, INI inventories and C(group_vars))
    or a native value.
  - C(true)/C(false), C(yes)/C(no), C(on)/C(off) and C(1)/C(0) are booleans; C("8081") is the number 8081.
  - A value that is neither is refused with the variable's name and the value given.
  - The keys are the variable names without the role prefix (C(scorer_verify) is C(verify)).
    The roles reach them through one private variable each (C(_scorer_), C(_mlflow_host_),
    C(_sparkflows_mlflow_)) defined in their C(vars/main.yml).
options:
  _terms:
    description: The role name (C(scorer), C(mlflow_host) or C(sparkflows_mlflow)).
    required: true
    type: list
    elements: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
# roles/scorer/vars/main.yml
- name: The role's booleans and numbers, whatever form they were given in
  ansible.builtin.debug:
    msg: "verify: {{ _scorer_.verify }}, port: {{ _scorer_.container_port }}"
  vars:
    _scorer_: "{{ lookup('sparkflows.mlops.role_inputs', 'scorer') }}"
"""

RETURN = r"""
_raw:
  description: One dict per role named, each variable (without the role prefix) and its converted value.
  type: list
  elements: dict
"""

import os

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.validation import check_type_bool, check_type_float, check_type_int
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

ROLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles')
CONVERTERS = {'bool': check_type_bool, 'int': check_type_int, 'float': check_type_float}
WORDS = {'bool': 'a boolean (true/false, yes/no, on/off, 1/0)', 'int': 'a whole number', 'float': 'a number'}
_SPECS = {}
# libyaml's loader when PyYAML has it (every Debian and PyPI build does): Ansible forks a worker for
# each task on each host, and the pure-Python one spends 15-20 ms on a role's argument spec there.
SPEC_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def typed_options(role):
    """{variable: type} of the role's bool, int and float variables (main entry point)."""
    if role not in _SPECS:
        path = os.path.join(ROLES_DIR, role, 'meta', 'argument_specs.yml')
        try:
            with open(path) as handle:
                options = yaml.load(handle, Loader=SPEC_LOADER)['argument_specs']['main']['options']
        except (IOError, OSError, KeyError, TypeError) as error:
            raise AnsibleError('sparkflows.mlops has no role %r with an argument spec (%s)' % (role, to_native(error)))
        _SPECS[role] = dict((name, option['type']) for name, option in options.items()
                            if option.get('type') in CONVERTERS)
    return _SPECS[role]


def convert(name, kind, value):
    """value as the type kind; text is read as Ansible reads module options. None stays None."""
    if value is None:
        return None
    if kind in ('int', 'float') and isinstance(value, bool):
        raise AnsibleError('%s must be %s, not %r' % (name, WORDS[kind], value))
    try:
        return CONVERTERS[kind](value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise AnsibleError('%s must be %s, not %r' % (name, WORDS[kind], to_native(value)))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        answers = []
        for role in terms:
            prefix = role + '_'
            converted = {}
            for name, kind in typed_options(role).items():
                value = self._templar.template(variables[name]) if name in variables else None
                converted[name[len(prefix):] if name.startswith(prefix) else name] = convert(name, kind, value)
            answers.append(converted)
        return answers
