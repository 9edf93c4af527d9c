# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""When a module's free-form maps (env, labels, settings) have their secret values hidden
(private). Which values are secrets is _common/masking.py's rule (secret_values); this is the moment
they join the module's no_log_values: as soon as its arguments are read, before the argument
spec is checked - so that a run failing on any option, the invocation logged on the host
(syslog, journal), the invocation returned at -vvv, in JSON callbacks and AWX job events,
every error and result show them masked."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.validation import check_type_dict, check_type_list

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import secret_values


def as_map(value):
    """A map option as the argument spec will read it ({} when unset); None when it cannot be
    read as one (the argument spec then fails on it)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    try:
        return check_type_dict(value)
    except (TypeError, ValueError):
        return None


def as_names(value):
    """A list-of-names option as the argument spec will read it (a list, or comma-separated text)."""
    if value is None:
        return []
    try:
        return [str(name) for name in check_type_list(value)]
    except TypeError:
        return []


def hidden_values(params, secret_maps):
    """The values to hide of params: of each map option in secret_maps ({option: the option
    listing more secret names of it, or None}), its secret entries' values; a map option that
    cannot be read as a map (the argument spec refuses it) is hidden whole, as it cannot be
    told apart."""
    values = set()
    for option, names_option in secret_maps.items():
        mapping = as_map(params.get(option))
        if mapping is None:
            values.update(text for text in [str(params[option])] if text)
            continue
        values.update(secret_values(mapping, as_names(params.get(names_option)) if names_option else ()))
    return values


class SecretMapsModule(AnsibleModule):
    """An AnsibleModule whose map options' secret values (hidden_values) are hidden from the
    moment its arguments are read (see the module docstring)."""

    def __init__(self, *args, secret_maps=None, **kwargs):
        # {map option: the option listing more secret names of it, or None}
        self.secret_maps = dict(secret_maps or {})
        super().__init__(*args, **kwargs)

    def _load_params(self):
        super()._load_params()
        self.no_log_values.update(hidden_values(self.params, self.secret_maps))
