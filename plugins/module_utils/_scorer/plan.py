# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout plan: what each scorer host's run changes and why, which hosts roll and in which
order, the canary, and what each balancer does. Worked out once for every scorer host of a run
from what the plan's play read on each (role scorer's tasks/changes.yml), before any host leaves
the balancers' rotation. Role scorer reaches it through the scorer_rollout_plan filter."""

from __future__ import annotations


class PlanError(ValueError):
    """Reads the plan cannot be worked out from; names the host."""


def _changed(result):
    return bool(result.get('changed')) and not result.get('skipped') and not result.get('failed')


def _name(result, *keys):
    """The model name a registered loop result is for (item.name, or item.item.name for a run over
    fetch results)."""
    value = result
    for key in ('item',) + keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def host_plan(host, reads):
    """One host's plan from its reads: fetched (sparkflows_model_fetch in check mode, one result
    per model served), run (scorer_container in check mode for the models whose copy is current),
    orphans (the scorer_orphans filter's entries, removed in the plan's play) and preview_only (a
    check mode that could not read the host's scorers)."""
    if not isinstance(reads, dict) or not isinstance(reads.get('fetched'), list):
        raise PlanError('scorer host %s has no reads to plan from (its plan tasks did not run)' % host)
    plan = dict(keep=[], fetch=[], create=[], replace=[], update=[], remove=[], why={})
    for result in reads['fetched']:
        name = _name(result, 'name')
        if _changed(result):
            plan['fetch'].append(name)
            plan['why'][name] = 'its model file differs from the record in Sparkflows: downloaded, its scorer replaced'
    for result in reads.get('run') or []:
        name = _name(result, 'item', 'name')
        if not _changed(result):
            plan['keep'].append(name)
            continue
        fields = ', '.join(result.get('changed_fields') or [])
        if (result.get('container') or {}).get('id') is None:
            plan['create'].append(name)
            plan['why'][name] = 'no scorer runs it yet: created'
        elif result.get('recreated'):
            plan['replace'].append(name)
            plan['why'][name] = 'its scorer differs (%s): replaced blue/green' % fields
        else:
            plan['update'].append(name)
            plan['why'][name] = 'its scorer differs (%s): updated in place' % fields
    for orphan in reads.get('orphans') or []:
        plan['remove'].append(orphan['container'])
        plan['why'][orphan['container']] = ('a blue/green leftover of an earlier run: removed' if orphan.get('leftover')
                                            else 'its model is no longer listed in scorer_models: removed with its model file')
    plan['preview_only'] = bool(reads.get('preview_only'))
    # What the serial rollout does; the removals happened in the plan's play (their balancer
    # entries went with the inventory), and a preview that could not read the scorers rolls nothing.
    plan['rolls'] = not plan['preview_only'] and bool(plan['fetch'] or plan['create'] or plan['replace'] or plan['update'])
    return plan


def rollout_plan(hosts, reads, canary=False, balancers=()):
    """The fleet's plan: hosts (the scorer hosts in inventory order) with their reads (one each);
    canary (scorer_canary) and balancers (the balancers' hosts) for the canary and what each
    balancer does."""
    hosts = list(hosts)
    reads = list(reads)
    if len(hosts) != len(reads):
        raise PlanError('%d scorer hosts but %d reads' % (len(hosts), len(reads)))
    plans = dict((host, host_plan(host, read)) for host, read in zip(hosts, reads))
    rolling = [host for host in hosts if plans[host]['rolls']]
    first = rolling[0] if rolling and canary and balancers else None
    return dict(
        summary=summary(hosts, plans, rolling, first),
        hosts=plans,
        rolling=rolling,
        steady=[host for host in hosts if host not in rolling],
        canary=first,
        balancers=dict((balancer, dict(
            # Each rolling host in turn: out of rotation (drained), its scorers changed, back once UP.
            drain_in_turn=rolling,
            # The canary serves at the canary weight for its window before the others roll.
            canary=first)) for balancer in balancers),
    )


def summary(hosts, plans, rolling, canary):
    """The plan in lines an admin reads: each host that changes something, what and why; then how
    many stay as they are."""
    lines = []
    for host in hosts:
        plan = plans[host]
        if not plan['why'] and not plan['preview_only']:
            continue
        role = ' (the canary)' if host == canary else ''
        head = '%s%s %s' % (host, role, 'rolls' if plan['rolls'] else 'does not roll')
        if plan['preview_only']:
            head += ' (check mode before its prerequisites are installed: its scorers are not read)'
        lines.append(head + ''.join('; %s: %s' % (name, why) for name, why in plan['why'].items()))
    steady = [host for host in hosts if host not in rolling]
    if steady:
        lines.append('%d of %d scorer hosts do not roll (verified in place): %s' % (
            len(steady), len(hosts), ', '.join(steady)))
    return lines
