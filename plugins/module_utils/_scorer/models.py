# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a scorer_models entry must be: the one place the rules of role scorer's model list live
(its validation reaches them through the scorer_models_problems filter)."""

from __future__ import annotations

import re

NAME = re.compile(r'[a-zA-Z0-9][a-zA-Z0-9_.-]*')


def is_name(value):
    """A model name: text of letters, digits, . _ - (not starting with . _ -), nothing else."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return isinstance(value, str) and NAME.fullmatch(value) is not None


SELECTORS = ('model_id', 'model_uuid', 'model_name')
# A memory size as the Docker Engine reads one: a number of bytes, or with a unit b, k, m or g.
SIZE = re.compile(r'[0-9]+(\.[0-9]+)?([bkmg]b?)?', re.IGNORECASE)


def is_size(value):
    """A memory limit the engine takes (0 or empty: none)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value >= 0
    return isinstance(value, str) and (not value.strip() or SIZE.fullmatch(value.strip()) is not None)


def is_cpus(value):
    """A CPU limit in CPUs (0: none)."""
    if isinstance(value, bool):
        return False
    try:
        return float(value) >= 0
    except (TypeError, ValueError):
        return False


def _port(value):
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 1 <= port <= 65535 else None


def problems(models, with_balancers=False, memory='', cpus=0):
    """One line per problem of the list (empty: none), and of memory and cpus (scorer_memory,
    scorer_cpus: every scorer's limits unless its own). An entry of state absent needs a name only."""
    if not isinstance(models, list):
        return ['scorer_models must be a list of models, got %s' % type(models).__name__]
    found, names, ports = [], [], []
    if not is_size(memory):
        found.append('scorer_memory must be a size such as 512m or 2g (empty for none), got %s' % memory)
    if not is_cpus(cpus):
        found.append('scorer_cpus must be 0 (no limit) or more CPUs, got %s' % cpus)
    for model in models:
        if not isinstance(model, dict):
            found.append('scorer_models entry %r is not a dict' % (model,))
            continue
        name = model.get('name')
        # An entry without a name is shown without its env: its values may be secrets.
        label = 'scorer_models entry %s' % (name if is_name(name) else dict((k, v) for k, v in model.items() if k != 'env'))
        if not is_name(name):
            found.append('%s: needs a name (letters, digits, . _ -)' % label)
        state = model.get('state', 'present')
        if state not in ('present', 'absent'):
            found.append('%s: state must be present or absent, got %s' % (label, state))
        names.append(str(name))
        if state == 'absent':
            continue
        given = [key for key in SELECTORS if model.get(key) not in (None, '')]
        if len(given) != 1 or (model.get('stage') not in (None, '') and 'model_name' not in given):
            found.append('%s: needs exactly one of model_id, model_uuid or model_name (stage only with model_name)' % label)
        port = _port(model.get('host_port'))
        if port is None:
            found.append('%s: needs a host_port between 1 and 65535' % label)
        else:
            ports.append(port)
        if 'memory' in model and not is_size(model['memory']):
            found.append('%s: memory must be a size such as 512m or 2g, got %s' % (label, model['memory']))
        if 'cpus' in model and not is_cpus(model['cpus']):
            found.append('%s: cpus must be 0 (no limit) or more CPUs, got %s' % (label, model['cpus']))
        if with_balancers and _port(model.get('lb_port')) is None:
            found.append('%s: needs an lb_port between 1 and 65535 (the port of its URL on the balancers)' % label)
    if len(set(names)) != len(names) or len(set(ports)) != len(ports):
        found.append('Two scorers would share a name or a host port: names %s, ports %s' % (
            ', '.join(names), ', '.join(str(p) for p in ports)))
    return found


def host_problems(host, models, image, with_balancers=False, memory='', cpus=0):
    """The problems of one scorer host's inputs, each line naming the host: scorer_image and at
    least one model set, and problems() of the list. Role scorer refuses those of every host of a
    run together, before any host changes."""
    found = [] if image else ['scorer_image is not set (the scorer image repository, without a tag)']
    if isinstance(models, list) and not models:
        found.append('scorer_models lists no model (set at least one)')
    return ['%s: %s' % (host, line) for line in found + problems(models, with_balancers, memory, cpus)]
