# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: scorer_rollback_items
short_description: What a rollback runs - each scorer's previous version that served
version_added: 0.2.0
description:
  - For each model asked (every listed model when none is), the version it ran before its current
    one, from the host's deployment history read by M(sparkflows.mlops.scorer_info) - its kept
    model file, model id and sha256, image digest and Sparkflows release - in the shape role
    M(sparkflows.mlops.scorer) runs scorers from.
  - Refused, naming the scorer, when the model is not listed, its scorer does not exist, or no
    earlier version of it was kept (deployed before the history existed, or pruned).
options:
  _input:
    description: RV(sparkflows.mlops.scorer_info#module:scorers), read with a history path.
    type: list
    elements: dict
    required: true
  models:
    description: The listed models (C(scorer_models) without those of C(state=absent)).
    type: list
    elements: dict
    required: true
  selection:
    description: The model names to roll back; empty for every listed model.
    type: list
    elements: str
    default: []
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: What a rollback of churn-model would run
  ansible.builtin.debug:
    msg: "{{ read.scorers | sparkflows.mlops.scorer_rollback_items(scorer_models, ['churn-model']) }}"
  vars:
    read: {scorers: []}
    scorer_models: []
  when: read.scorers | length > 0
"""

RETURN = r"""
_value:
  description: C(item) (the model's entry), C(path), C(sha256), C(model_id), C(image_digest), C(release).
  type: list
  elements: dict
"""


def scorer_rollback_items(scorers, models, selection=None):
    if not isinstance(scorers, list) or not isinstance(models, list):
        raise AnsibleFilterError('scorer_rollback_items takes the scorers read and the listed models')
    listed = dict((m.get('name'), m) for m in models if isinstance(m, dict))
    names = ([selection] if isinstance(selection, str) else list(selection or [])) or sorted(listed)
    unknown = [name for name in names if name not in listed]
    if unknown:
        raise AnsibleFilterError('no listed model %s on this host (listed: %s)' % (', '.join(unknown), ', '.join(sorted(listed))))
    by_scorer = dict((s.get('scorer'), s) for s in scorers if s.get('exists'))
    items, problems = [], []
    for name in names:
        scorer = by_scorer.get(name)
        previous = (scorer or {}).get('previous')
        if scorer is None:
            problems.append('%s has no scorer here' % name)
        elif not previous:
            problems.append('%s: no earlier version that served is kept in the deployment history' % name)
        elif not previous.get('kept_model'):
            problems.append('%s: the model file of its previous version was not kept' % name)
        else:
            items.append(dict(item=listed[name], path=previous['kept_model'], sha256=previous.get('model_sha256'),
                              model_id=previous.get('model_id'), image_digest=previous.get('image_digest'),
                              release=previous.get('release')))
    if problems:
        raise AnsibleFilterError('cannot roll back: %s; nothing was changed' % '; '.join(problems))
    missing_digest = [i['item']['name'] for i in items if not i['image_digest']]
    if missing_digest:
        raise AnsibleFilterError('cannot roll back %s: no image digest was recorded (an image never pulled from a '
                                 'registry); nothing was changed' % ', '.join(missing_digest))
    return items


class FilterModule(object):
    def filters(self):
        return {'scorer_rollback_items': scorer_rollback_items}
