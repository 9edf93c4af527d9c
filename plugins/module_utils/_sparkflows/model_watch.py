# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the event source sparkflows.mlops.sparkflows_models watches in the Sparkflows model
repository: models chosen by name (and stage), each the latest version as the client picks it
(SparkflowsClient.latest_model, the rule sparkflows_model_fetch follows too), compared from one
listing to the next. A model whose latest record (id, version, stage) changed is an event; the
first listing is the baseline (or, when asked, an event for every model found)."""

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import SparkflowsError

# The fields of a model's record an event carries and a change is told by.
FIELDS = ('id', 'uuid', 'name', 'version', 'stage')
TOLD_BY = ('id', 'version', 'stage')
# Watch intervals allowed (seconds), and the longest wait after errors by default.
MIN_INTERVAL, MAX_INTERVAL = 1, 3600
DEFAULT_INTERVAL, DEFAULT_MAX_BACKOFF = 60, 600


def watched_models(models):
    """The watched models as [(name, stage or None)], from the source's `models` argument: names,
    or {name, stage} mappings. Raises ValueError naming what is wrong."""
    if not isinstance(models, list) or not models:
        raise ValueError('models must be a list of model names or {name, stage} mappings, at least one')
    watched = []
    for entry in models:
        name, stage = (entry, None) if isinstance(entry, str) else (
            (entry.get('name'), entry.get('stage')) if isinstance(entry, dict) else (None, None))
        if not name or not isinstance(name, str) or (stage is not None and not isinstance(stage, str)):
            raise ValueError('models: %r is neither a model name nor a {name, stage} mapping' % (entry,))
        if (name, stage) not in watched:
            watched.append((name, stage))
    return watched


def interval_and_backoff(args):
    """(interval, max_backoff) in seconds from the source's arguments, bounded."""
    interval = float(args.get('interval', DEFAULT_INTERVAL))
    max_backoff = float(args.get('max_backoff', DEFAULT_MAX_BACKOFF))
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise ValueError('interval must be %d to %d seconds, got %s' % (MIN_INTERVAL, MAX_INTERVAL, interval))
    if max_backoff < interval:
        raise ValueError('max_backoff (%s) must be at least the interval (%s)' % (max_backoff, interval))
    return interval, max_backoff


def next_wait(interval, max_backoff, failures):
    """Seconds until the next listing: the interval, doubled for each listing failed in a row,
    at most max_backoff."""
    # The exponent stops growing long before the float would overflow (days of failures).
    return min(max_backoff, interval * (2 ** min(failures, 30))) if failures else interval


class ModelWatch(object):
    """The latest record seen of each watched model; `changes(models, latest)` takes one listing
    (the client's output_models()) and the client's latest_model, and returns the events. A model
    missing from a listing keeps its last record (no event); `missing` says why each watched model
    was not picked in the last listing."""

    def __init__(self, watched, emit_initial=False):
        self._watched = watched
        self._emit_initial = emit_initial
        # (name, stage) -> the record last seen; None before the first listing.
        self._seen = None
        self.missing = {}

    def changes(self, models, latest):
        found, self.missing = {}, {}
        for name, stage in self._watched:
            candidates = [m for m in models if m.get('name') == name and (stage is None or m.get('stage') == stage)]
            if not candidates:
                self.missing[(name, stage)] = 'no model named %s%s' % (name, ' in stage %s' % stage if stage else '')
                continue
            try:
                model = latest(candidates, 'model %s' % name)
            except SparkflowsError as error:
                self.missing[(name, stage)] = str(error)
                continue
            found[(name, stage)] = dict((field, model.get(field)) for field in FIELDS)
        first, seen = self._seen is None, self._seen or {}
        events = []
        for key, record in found.items():
            before = seen.get(key)
            if (first and not self._emit_initial) or (
                    before is not None and all(before.get(field) == record.get(field) for field in TOLD_BY)):
                continue
            events.append({'sparkflows_model': dict(record, watched_stage=key[1], previous=before)})
        self._seen = dict(seen)
        self._seen.update(found)
        return events
