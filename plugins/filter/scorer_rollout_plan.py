# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.plan import PlanError, rollout_plan

DOCUMENTATION = r"""
name: scorer_rollout_plan
short_description: The rollout plan of every scorer host of a run, worked out once
version_added: 0.2.0
description:
  - From what role M(sparkflows.mlops.scorer) read on each scorer host before any host changes (the
    models whose copy differs from Sparkflows' record, the scorers a check-mode run would create,
    replace or update in place, the scorers no longer listed), one plan for the run.
  - Per host, the models whose scorer is kept, fetched, created, replaced, updated in place or
    removed, and why; whether it rolls. A host rolls when a model is fetched or a scorer created,
    replaced or updated; the removals happen in the plan's play.
  - Which hosts roll, in the order given (the inventory's), and which stay; the canary (the first
    host that rolls, with O(canary) and balancers); what each balancer does (takes each rolling
    host out of rotation in turn, the canary first at its weight).
options:
  _input:
    description: The scorer hosts, in the order they roll.
    type: list
    elements: str
    required: true
  hostvars:
    description:
      - C(hostvars). Of each host, what role M(sparkflows.mlops.scorer)'s plan read on it, C(scorer_present)
        (M(sparkflows.mlops.scorer_info); skipped in a check mode that could not read the scorers yet),
        C(scorer_fetched) (M(sparkflows.mlops.sparkflows_model_fetch) in check mode), C(scorer_run)
        (M(sparkflows.mlops.scorer_container) in check mode) and C(scorer_orphans) (the C(scorer_orphans)
        filter's).
    type: dict
    required: true
  canary:
    description: Whether the first host that rolls is a canary (C(scorer_canary)).
    type: bool
    default: false
  balancers:
    description: The balancers' hosts; none, no canary.
    type: list
    elements: str
    default: []
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Plan the rollout once, for every scorer host of the play
  ansible.builtin.set_fact:
    scorer_rollout: >-
      {{ ansible_play_batch | sparkflows.mlops.scorer_rollout_plan(hostvars, canary=true, balancers=groups['scorer_lbs']) }}
  run_once: true
"""

RETURN = r"""
_value:
  description:
    - C(summary) - the plan in lines to read, each host that changes something, what and why.
    - C(hosts) - per host, C(keep), C(fetch), C(create), C(replace), C(update) and C(remove) (model or
      container names), C(why) (name to reason), C(preview_only) and C(rolls).
    - C(rolling) and C(steady) - the hosts that roll, in order, and those that do not.
    - C(canary) - the canary host, or None.
    - C(balancers) - per balancer, C(drain_in_turn) (the rolling hosts) and C(canary).
  type: dict
"""


def scorer_rollout_plan(hosts, hostvars, canary=False, balancers=None):
    try:
        return rollout_plan(hosts, hostvars, bool(canary), list(balancers or []))
    except PlanError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_rollout_plan': scorer_rollout_plan}
