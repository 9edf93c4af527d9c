# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rollout plan: what each scorer host's run changes and why, which hosts roll and in which
order, the canary, and what each balancer does. Worked out once for every scorer host of a run
from what the plan's play read on each (role scorer's tasks/changes.yml), before any host leaves
the balancers' rotation. Role scorer reaches it through the scorer_rollout_plan filter.

And the one shape of what a run runs (role scorer's tasks/run.yml): one item per scorer, from the
models fetched (deploy_items, the scorer_run_items filter) or from the versions a rollback returns
to (rollback_items, the scorer_rollback_items filter)."""

from __future__ import annotations

from ansible.module_utils.common.validation import check_type_list


class PlanError(ValueError):
    """Reads the plan cannot be worked out from, or a rollback that cannot be made; names the host
    or the scorer."""


# What a run takes of a scorer_models entry: never its env (an item is shown in loop results).
ITEM_KEYS = ('name', 'host_port', 'memory', 'cpus', 'sample')


def run_item(model, model_path, model_id, model_sha256=None, image_digest=None, release=None):
    """One scorer as role scorer runs it: the model's name, ports, limits and sample, its model file
    (path, Sparkflows id, sha256) and, to return to an earlier version, that version's image digest
    and Sparkflows release."""
    item = dict((key, model[key]) for key in ITEM_KEYS if key in model)
    item.update(model_path=model_path, model_id=model_id, model_sha256=model_sha256 or None)
    if image_digest:
        item.update(image_digest=image_digest, release=release)
    return item


def deploy_items(fetched):
    """The items of the models fetched: sparkflows_model_fetch's results over role scorer's models."""
    if not isinstance(fetched, list) or not all(isinstance(r, dict) and isinstance(r.get('item'), dict) for r in fetched):
        raise PlanError('the run items are made of sparkflows_model_fetch results over the models, got %r' % (fetched,))
    return [run_item(r['item'], r.get('path'), r.get('model_id'), r.get('sha256')) for r in fetched]


def rollback_items(scorers, models, selection=None):
    """The items a rollback runs: for each model of selection (every listed model when empty), the
    version it ran before its current one (scorer_info's scorers, read with a history path).
    Refused as a whole, naming every scorer that cannot be rolled back."""
    if not isinstance(scorers, list) or not isinstance(models, list):
        raise PlanError('a rollback takes the scorers read and the listed models')
    listed = dict((m.get('name'), m) for m in models if isinstance(m, dict))
    # A text selection (-e scorer_rollback_models=a,b, an AWX survey's text) is the list the role's
    # argument spec reads it as: comma-separated names. A name given as a number is its text.
    names = [str(name).strip() for name in check_type_list(selection or [])] or sorted(listed)
    unknown = [name for name in names if name not in listed]
    if unknown:
        raise PlanError('no listed model %s on this host (listed: %s)' % (', '.join(unknown), ', '.join(sorted(listed))))
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
        elif not previous.get('image_digest'):
            problems.append('%s: no image digest was recorded (an image never pulled from a registry)' % name)
        else:
            items.append(run_item(listed[name], previous['kept_model'], previous.get('model_id'),
                                  previous.get('model_sha256'), previous['image_digest'], previous.get('release')))
    if problems:
        raise PlanError('cannot roll back: %s; nothing was changed' % '; '.join(problems))
    return items


def _changed(result):
    return bool(result.get('changed')) and not result.get('skipped') and not result.get('failed')


def _name(result):
    """The model name a registered loop result is for (its item's name: a fetch loops over the
    models, a run over run items)."""
    return (result.get('item') or {}).get('name')


def host_reads(host, host_vars):
    """What role scorer's plan read on host, from its variables: scorer_present (scorer_info;
    skipped when a check mode could not read the scorers yet), scorer_fetched (the check-mode
    fetch), scorer_run (the check-mode scorer_container run; not run in that preview) and
    scorer_orphans (tasks/changes.yml)."""
    def registered(name):
        try:
            value = host_vars[name]
        except KeyError:
            return None
        return value if isinstance(value, dict) else None

    present, fetched, run = registered('scorer_present'), registered('scorer_fetched'), registered('scorer_run')
    if fetched is None or not isinstance(fetched.get('results'), list):
        raise PlanError('scorer host %s has no reads to plan from (its plan tasks did not run)' % host)
    preview_only = present is None or bool(present.get('skipped'))
    try:
        orphans = host_vars['scorer_orphans']
    except KeyError:
        orphans = []
    return dict(fetched=list(fetched['results']),
                run=[] if preview_only or run is None or run.get('skipped') else list(run.get('results') or []),
                orphans=list(orphans or []), preview_only=preview_only)


def host_plan(reads):
    """One host's plan from its reads (host_reads, which refuses a host without them): fetched
    (sparkflows_model_fetch in check mode, one result per model served), run (scorer_container in
    check mode for the models whose copy is current), orphans (the scorer_orphans filter's entries,
    removed in the plan's play) and preview_only (a check mode that could not read the host's
    scorers)."""
    plan = dict(keep=[], fetch=[], create=[], replace=[], update=[], remove=[], why={})
    for result in reads['fetched']:
        name = _name(result)
        if _changed(result):
            plan['fetch'].append(name)
            plan['why'][name] = 'its model file is missing or not the record in Sparkflows: downloaded, its scorer run on it'
    for result in reads['run']:
        name = _name(result)
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
    for orphan in reads['orphans']:
        plan['remove'].append(orphan['container'])
        plan['why'][orphan['container']] = ('a blue/green leftover of an earlier run: removed' if orphan.get('leftover')
                                            else 'its model is no longer listed in scorer_models: removed with its model file')
    plan['preview_only'] = reads['preview_only']
    # What the serial rollout does; the removals happened in the plan's play (their balancer
    # entries went with the inventory), and a preview that could not read the scorers rolls nothing.
    plan['rolls'] = not plan['preview_only'] and bool(plan['fetch'] or plan['create'] or plan['replace'] or plan['update'])
    return plan


def rollout_plan(hosts, hostvars, canary=False, balancers=()):
    """The fleet's plan: hosts (the scorer hosts in inventory order) with what the plan read on
    each (host_reads of hostvars[host]); canary (scorer_canary) and balancers (the balancers'
    hosts) for the canary and what each balancer does."""
    hosts = list(hosts)
    plans = {}
    for host in hosts:
        try:
            host_vars = hostvars[host]
        except KeyError:
            raise PlanError('scorer host %s is not in hostvars' % host)
        plans[host] = host_plan(host_reads(host, host_vars))
    rolling = [host for host in hosts if plans[host]['rolls']]
    steady = [host for host in hosts if host not in rolling]
    first = rolling[0] if rolling and canary and balancers else None
    return dict(
        summary=summary(hosts, plans, steady, first),
        hosts=plans,
        rolling=rolling,
        steady=steady,
        canary=first,
        balancers=dict((balancer, dict(
            # Each rolling host in turn: out of rotation (drained), its scorers changed, back once UP.
            drain_in_turn=rolling,
            # The canary serves at the canary weight for its window before the others roll.
            canary=first)) for balancer in balancers),
    )


def summary(hosts, plans, steady, canary):
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
    if steady:
        lines.append('%d of %d scorer hosts do not roll (verified in place): %s' % (
            len(steady), len(hosts), ', '.join(steady)))
    return lines
