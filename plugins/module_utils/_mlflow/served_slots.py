# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which slot of each served model a run of role mlflow_host starts, and which one serves after
it (blue/green behind the host's TLS proxy; ports.py places the slots).

A served model's wanted settings are its model URI, pinned to a version, and its public port. The
state kept on the host (models/served.json) says, per model, the slot live behind the proxy and
the settings each slot was started with. Then:

- the live slot has the settings: nothing to do;
- the idle slot has them (the version before, kept running): the proxy switches back to it;
- else the idle slot starts with them, and the proxy switches to it once it answers. The slot
  that served before keeps running, for the next switch back.

A unit or client environment that changed (redeploy) starts the idle slot anew all the same. A
model the run neither serves nor removes (a play with another list of models) keeps its state.
Without TLS there is no proxy to switch: the one slot, blue, restarts in place."""

from __future__ import annotations

import functools

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.ports import SLOTS, frontend, instance, live_slot


def _other(slot):
    return SLOTS[1] if slot == SLOTS[0] else SLOTS[0]


def _settings(held):
    """The settings a slot's state holds ({uri, port}), or None when unknown."""
    if isinstance(held, dict) and isinstance(held.get('uri'), str) and held.get('port') is not None:
        return dict(uri=held['uri'], port=int(held['port']))
    return None


def pinned_uris(resolved):
    """{name: pinned URI} from the results of mlflow_model_version_info looped over the served
    models (each with its item); results without one (skipped, not a registry URI) are left out."""
    return dict((result['item']['name'], result['pinned_uri']) for result in resolved or []
                if isinstance(result, dict) and result.get('pinned_uri') and isinstance(result.get('item'), dict))


def _unhealthy(name, wanted, live, previous, settings_before, tls, deploy, failed):
    """What a failed check of the slot to serve (failed: what it did not do) means, in one sentence."""
    said = 'Served model %s: %s in slot %s %s' % (name, wanted['uri'], live, failed)
    if tls and live != previous and settings_before:
        return '%s; requests still go to slot %s (%s)' % (said, previous, settings_before['uri'])
    if not deploy and live == previous:
        return '%s; nothing was changed, it is the slot that serves' % said
    return '%s; it is not served' % said


def plan(models, state, slots, tls, redeploy=False, absent=()):
    """{models: [{name, uri, deploy (slot to start, or None), instance and port (the deploy slot's),
    live (slot serving after the run), live_instance, live_port, previous (slot serving before),
    switch (bool), frontend and live_backend (the proxy's map entry that makes the live slot serve),
    started (instances to keep running), stopped (instances to stop), on_trial (the live slot
    serves anew: started, or switched to), unstarted and unhealthy (what a failed start, a failed
    health check of the live slot means), sample and unscored (the body it must score, and what
    failing to means; None without one)}], removed and removed_frontends (the instances and map
    entries of the models absent), state (to keep on the host), state_if_failed (to keep instead
    when a check fails)} from models [{name, uri, port, sample}] (present, uri pinned), the state read
    ({name: {live, blue: {uri, port}, green: {uri, port}}}, {} when none), slots (ports.py's, per
    name), tls, redeploy and absent (the names of the models marked absent)."""
    state = state if isinstance(state, dict) else {}
    # A model this run neither serves nor removes (a play with another list) keeps what it has.
    named = set(str(model['name']) for model in models) | set(str(name) for name in absent)
    planned, kept = [], dict((name, held) for name, held in state.items() if name not in named and isinstance(held, dict))
    # What to keep when a check fails (the proxy then switched nothing, and no model left): each
    # previous slot still serves; the slot put on trial (started, or switched to) no longer holds
    # anything known - it is started anew when its version is asked for again - and after a
    # redeploy no slot does (each runs an environment its files no longer say).
    failed = dict((name, held) for name, held in state.items() if isinstance(held, dict))
    for model in models:
        name = str(model['name'])
        wanted = dict(uri=str(model['uri']), port=int(model['port']))
        held = state.get(name) if isinstance(state.get(name), dict) else {}
        settings = dict((slot, _settings(held.get(slot))) for slot in SLOTS)
        before = dict(settings)
        # The slot serving now, as the state says (with or without TLS this run).
        previous = live_slot(held, tls=True)
        if not tls:
            live = SLOTS[0]
            deploy = live if redeploy or previous != live or settings[live] != wanted else None
            settings[SLOTS[1]] = None
        elif not redeploy and settings[previous] == wanted:
            live, deploy = previous, None
        elif not redeploy and settings[_other(previous)] == wanted:
            live, deploy = _other(previous), None
        else:
            live = deploy = _other(previous)
        if deploy:
            settings[deploy] = wanted
        by_slot = slots[name]
        running = [slot for slot in SLOTS if settings[slot] and slot in by_slot]
        # The live slot serves anew after this run: it must pass the checks, and is stopped if not.
        on_trial = bool(deploy) or live != previous
        failing = functools.partial(_unhealthy, name, wanted, live, previous, before[previous], tls, deploy)
        planned.append(dict(
            name=name, uri=wanted['uri'], deploy=deploy,
            instance=by_slot[deploy]['instance'] if deploy else None,
            port=by_slot[deploy]['port'] if deploy else None,
            live=live, live_instance=by_slot[live]['instance'], live_port=by_slot[live]['port'],
            frontend=frontend(name), live_backend=by_slot[live].get('backend'),
            previous=previous, switch=tls and live != previous,
            started=[by_slot[slot]['instance'] for slot in running],
            # Without TLS the green slot is not placed: its instance is named here to stop it.
            stopped=[] if tls else [instance(name, slot) for slot in SLOTS[1:]],
            on_trial=on_trial,
            unstarted=failing('did not start'), unhealthy=failing('did not answer /ping'),
            # The slot to serve scores the model's sample (MLflow's scoring input) before it serves.
            sample=model.get('sample') or None,
            unscored=failing('did not score its sample') if model.get('sample') else None))
        kept[name] = dict(live=live, **dict((slot, settings[slot]) for slot in running))
        failed[name] = dict(live=previous, **dict((slot, before[slot]) for slot in SLOTS
                                                  if before[slot] and not redeploy and not (on_trial and slot == live)))
    removed = [instance(str(name), slot) for name in absent for slot in SLOTS]
    return dict(models=planned, removed=removed, removed_frontends=[frontend(str(name)) for name in absent], state=kept,
                state_if_failed=failed)
