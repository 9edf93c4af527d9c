# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deployment history of a scorer host (logic of the scorer_deployment module, and what
scorer_info reads of it): one JSON line per change of a scorer in deployments.jsonl, and the
model file of each version kept (content-addressed, as hard links where the file system allows)
so that the previous known-good version can be run again."""

from __future__ import annotations

import datetime
import json
import os
import shutil

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.atomic import fsync_directory, replacing
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module

LOG = 'deployments.jsonl'
KEPT = 'models'
# Outcomes that leave a version serving: a later rollback may return to it.
SERVED = ('deployed', 'rolled_back')
OUTCOMES = SERVED + ('failed', 'canary_failed', 'removed')
RECORD_KEYS = ('scorer', 'container', 'outcome', 'model_id', 'model_sha256', 'image', 'image_id', 'image_digest',
               'release', 'actor', 'reason')
ARGUMENT_SPEC = dict(
    path=dict(type='path', default='/var/lib/sparkflows-scorer'),
    scorer=dict(type='str', required=True),
    state=dict(type='str', default='recorded', choices=['recorded', 'absent']),
    outcome=dict(type='str', choices=list(OUTCOMES)),
    container=dict(type='str'),
    model_path=dict(type='path'),
    model_id=dict(type='str'),
    model_sha256=dict(type='str'),
    image=dict(type='str'),
    image_id=dict(type='str'),
    image_digest=dict(type='str'),
    release=dict(type='str'),
    actor=dict(type='str'),
    reason=dict(type='str'),
    keep=dict(type='int', default=3),
)


class HistoryError(Exception):
    """One clear message."""


def read(path, scorer=None, limit=None):
    """The records of deployments.jsonl under path, oldest first (only scorer's, the last limit).
    A line that is not a record (a write cut by a crash) is skipped."""
    records = []
    try:
        with open(os.path.join(path, LOG)) as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and (scorer is None or record.get('scorer') == scorer):
                    records.append(record)
    except (IOError, OSError):
        return []
    return records[-limit:] if limit else records


def version(record):
    return (record.get('model_sha256') or '', record.get('image_digest') or record.get('image_id') or '')


def previous_good(records, scorer, current, kept=None):
    """The last version of scorer that served, is not current ((model sha256, image digest or id)
    of the running container) and whose model file is still kept (kept(path), default: a file on
    this host); None when there is none."""
    kept = kept or os.path.isfile
    for record in reversed(records):
        if record.get('scorer') == scorer and record.get('outcome') in SERVED and version(record) != current \
                and record.get('model_sha256') and record.get('kept_model') and kept(record['kept_model']):
            return record
    return None


def kept_file(path, scorer, sha256, extension):
    return os.path.join(path, KEPT, scorer, '%s%s' % (sha256, extension))


def keep_model(path, scorer, sha256, model_path):
    """The model file kept under its digest (a hard link, else a copy written atomically)."""
    extension = os.path.splitext(model_path)[1]
    target = kept_file(path, scorer, sha256, extension)
    if os.path.exists(target):
        return target
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    try:
        os.link(model_path, target)
    except OSError:
        with replacing(target) as (out, _tmp), open(model_path, 'rb') as source:
            shutil.copyfileobj(source, out, 1 << 20)
        os.chmod(target, 0o644)
    return target


def prune(path, scorer, records, keep):
    """Remove the kept files of scorer but those of its last keep versions that served."""
    kept_versions = []
    for record in reversed(records):
        if record.get('scorer') == scorer and record.get('outcome') in SERVED and record.get('model_sha256'):
            if record['model_sha256'] not in kept_versions:
                kept_versions.append(record['model_sha256'])
    kept_versions = kept_versions[:keep]
    directory = os.path.join(path, KEPT, scorer)
    removed = []
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if os.path.splitext(name)[0] not in kept_versions:
            os.unlink(os.path.join(directory, name))
            removed.append(name)
    return removed


def append(path, record):
    os.makedirs(path, mode=0o755, exist_ok=True)
    log = os.path.join(path, LOG)
    with open(log, 'a+') as handle:
        # A line cut by a crash is ended first: the record starts a line of its own.
        handle.seek(0, os.SEEK_END)
        cut = False
        if handle.tell():
            handle.seek(handle.tell() - 1)
            cut = handle.read(1) != '\n'
        handle.write(('\n' if cut else '') + json.dumps(record, sort_keys=True) + '\n')
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(log, 0o644)
    fsync_directory(path)


def change(params, check_mode):
    """The record of the change asked (appended, its model file kept, older ones pruned; in check
    mode written nothing): {changed, record, removed}."""
    scorer = params['scorer']
    if params['keep'] < 1:
        raise HistoryError('keep must be 1 or more, got %d' % params['keep'])
    record = dict((key, params[key]) for key in RECORD_KEYS if key != 'outcome')
    record.update(scorer=scorer, time=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'))
    if params['state'] == 'absent':
        directory = os.path.join(params['path'], KEPT, scorer)
        records = read(params['path'], scorer)
        known = (records and records[-1].get('outcome') != 'removed') or os.path.isdir(directory)
        if not known:
            return dict(changed=False, record=None, removed=[])
        record['outcome'] = 'removed'
        removed = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
        if not check_mode:
            shutil.rmtree(directory, ignore_errors=True)
            append(params['path'], record)
        return dict(changed=True, record=record, removed=removed)
    if not params['outcome']:
        raise HistoryError('outcome is required to record a deployment')
    record['outcome'] = params['outcome']
    kept = None
    if params['outcome'] in SERVED:
        if not params['model_path'] or not params['model_sha256']:
            raise HistoryError('a %s version needs model_path and model_sha256 (its model file is kept)' % params['outcome'])
        if not os.path.isfile(params['model_path']):
            raise HistoryError('model_path %s is not a file on this host' % params['model_path'])
        record['model_sha256'] = params['model_sha256'].lower()
        kept = kept_file(params['path'], scorer, record['model_sha256'], os.path.splitext(params['model_path'])[1])
    record['kept_model'] = kept
    removed = []
    if not check_mode:
        if kept:
            keep_model(params['path'], scorer, record['model_sha256'], params['model_path'])
        append(params['path'], record)
        removed = prune(params['path'], scorer, read(params['path'], scorer), params['keep'])
    return dict(changed=True, record=record, removed=removed)


def run(params, check_mode, host):
    try:
        result = change(params, check_mode)
    except HistoryError as e:
        raise ModuleFailure(str(e))
    except (IOError, OSError) as e:
        raise ModuleFailure('cannot write the deployment history under %s: %s' % (params['path'], e))
    if host.diff:
        result['diff'] = dict(before='', after=json.dumps(result['record'], sort_keys=True) + '\n' if result['record'] else '')
    return result


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
