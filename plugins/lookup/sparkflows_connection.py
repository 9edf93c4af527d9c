# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sparkflows_connection
short_description: The one Sparkflows connection of the inventory, as module options
version_added: 0.1.0
description:
  - Returns the connection options of the collection's Sparkflows modules (C(api_url),
    C(api_token) or C(api_username) and C(api_password), C(validate_certs), C(ca_path)) from the
    inventory's one variable set - C(sparkflows_api_url), C(sparkflows_api_token),
    C(sparkflows_api_username), C(sparkflows_api_password), C(sparkflows_validate_certs),
    C(sparkflows_ca_path) - for C(module_defaults) of the action group
    C(group/sparkflows.mlops.sparkflows), which the collection's roles and playbooks apply.
  - C(sparkflows_validate_certs) may be given as text (C(-e), AWX surveys, INI inventories);
    a value that is not a boolean is refused with its name.
  - Without C(sparkflows_api_url), or without a token or a user, it fails naming the variable.
  - A role's own names of the earlier release (C(<prefix>api_url), C(<prefix>api_token),
    C(<prefix>validate_certs), C(<prefix>ca_path), for the prefixes given as terms) still win
    when set, with a deprecation warning.
options:
  _terms:
    description: Prefixes of deprecated per-role connection variables, for example C(scorer_sparkflows_).
    required: false
    type: list
    elements: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Sparkflows modules with the inventory's connection
  hosts: sparkflows
  module_defaults:
    group/sparkflows.mlops.sparkflows: "{{ lookup('sparkflows.mlops.sparkflows_connection') }}"
  tasks:
    - name: Check the server
      sparkflows.mlops.sparkflows_info:
"""

RETURN = r"""
_raw:
  description: One dict of module options (those set; C(validate_certs) always, true by default).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleError
from ansible.module_utils.common.validation import check_type_bool
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

display = Display()

# Module option: the inventory variable that sets it.
VARIABLES = dict(
    api_url='sparkflows_api_url',
    api_token='sparkflows_api_token',
    api_username='sparkflows_api_username',
    api_password='sparkflows_api_password',
    validate_certs='sparkflows_validate_certs',
    ca_path='sparkflows_ca_path',
)
# The per-role names of the earlier release, by their suffix after the role's prefix.
DEPRECATED_SUFFIXES = dict(api_url='api_url', api_token='api_token', validate_certs='validate_certs', ca_path='ca_path')


def candidates(option, deprecated_prefixes=()):
    """The variables that may set a module option, in the order they win: the deprecated per-role
    names of the prefixes, then the inventory's one. (The client's HTTP 401 hint names those of
    api_token for the collection's roles and playbooks; a unit test keeps the two the same.)"""
    deprecated = [prefix + DEPRECATED_SUFFIXES[option] for prefix in deprecated_prefixes] \
        if option in DEPRECATED_SUFFIXES else []
    return deprecated + [VARIABLES[option]]


def connection(values, deprecated_prefixes=(), warn=None):
    """The module options from values (variable name: value, already templated)."""
    def given(name):
        value = values.get(name)
        return value not in (None, '')

    options = {}
    for option, variable in VARIABLES.items():
        chosen = next((name for name in candidates(option, deprecated_prefixes) if given(name)), variable)
        if chosen != variable and warn:
            warn('%s is deprecated: set %s, the one Sparkflows connection of the inventory' % (chosen, variable))
        if given(chosen):
            options[option] = values[chosen]
            if option == 'validate_certs':
                try:
                    options[option] = check_type_bool(values[chosen].strip() if isinstance(values[chosen], str)
                                                      else values[chosen])
                except TypeError:
                    raise AnsibleError('%s must be a boolean (true/false, yes/no, on/off, 1/0), not %r'
                                       % (chosen, to_native(values[chosen])))
    options.setdefault('validate_certs', True)
    if 'api_url' not in options:
        raise AnsibleError('sparkflows_api_url is not set: the URL of the Sparkflows server, for example '
                           'https://sparkflows.example.net:8443 (nothing was changed)')
    if not str(options['api_url']).startswith(('http://', 'https://')):
        raise AnsibleError('sparkflows_api_url must be an http:// or https:// URL, not %r (nothing was changed)'
                           % to_native(options['api_url']))
    if 'api_token' not in options and 'api_username' not in options:
        raise AnsibleError('sparkflows_api_token is not set (or sparkflows_api_username and '
                           'sparkflows_api_password): the Sparkflows credentials (nothing was changed)')
    return options


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        names = set(name for option in VARIABLES for name in candidates(option, terms))
        values = dict((name, self._templar.template(variables[name])) for name in names if name in variables)
        return [connection(values, terms, warn=lambda message: display.deprecated(
            message, version='0.3.0', collection_name='sparkflows.mlops'))]
