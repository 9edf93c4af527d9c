# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_model_fetch module: the model chosen (the client's select_model), the
local copy compared with what was recorded, the download (_sparkflows/model_transfer.py) verified
(_sparkflows/model_archive.py) and atomically renamed over dest, skipped when unchanged."""

from __future__ import annotations

import json
import os
import shutil
import time

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.atomic import replacing
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_archive import unpack, verify_archive
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_transfer import Download, FetchError, sha256_of
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
)

METADATA_SUFFIX = '.sparkflows.json'
ARGUMENT_SPEC = dict(
    model_id=dict(type='str'),
    model_uuid=dict(type='str'),
    model_name=dict(type='str'),
    stage=dict(type='str'),
    model=dict(type='dict'),
    file_type=dict(type='str', default='zip'),
    dest=dict(type='path', required=True),
    unpack_to=dict(type='path'),
    checksum=dict(type='str'),
    verify=dict(type='str', default='quick', choices=['quick', 'sha256']),
    force=dict(type='bool', default=False),
    download_retries=dict(type='int', default=3),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)


def metadata_path(dest):
    return dest + METADATA_SUFFIX


def normalize_checksum(value):
    if value is None:
        return None
    algorithm, sep, digest = value.partition(':')
    if not sep:
        algorithm, digest = 'sha256', value
    digest = digest.strip().lower()
    if algorithm.lower() != 'sha256' or len(digest) != 64 or any(c not in '0123456789abcdef' for c in digest):
        raise FetchError('checksum must be a sha256 hex digest (optionally prefixed sha256:), got %r' % value)
    return digest


def read_recorded(dest):
    try:
        with open(metadata_path(dest)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def local_copy_is_current(recorded, model, params, checksum):
    """Whether the file at dest is the one recorded for this model, without reading it
    (verify=quick: size and mtime) or by hashing it (verify=sha256)."""
    if not recorded:
        return False
    same_model = all(recorded.get(key) == model.get(key) for key in ('id', 'uuid', 'version')) \
        and recorded.get('file_type') == params['file_type']
    if not same_model or (checksum and recorded.get('sha256') != checksum):
        return False
    try:
        st = os.stat(params['dest'])
    except OSError:
        return False
    if st.st_size != recorded.get('size') or st.st_mtime_ns != recorded.get('mtime_ns'):
        return False
    if params['verify'] == 'sha256' and sha256_of(params['dest']) != recorded.get('sha256'):
        return False
    if params['unpack_to'] and (recorded.get('unpacked_to') != params['unpack_to']
                                or not os.path.isdir(params['unpack_to'])):
        return False
    # A zip recorded before archives were verified (a corrupt one may have been installed then)
    # is checked once: a corrupt file in place is fetched again.
    if is_archive(params) and not recorded.get('archive_verified'):
        try:
            verify_archive(params['dest'])
        except FetchError:
            return False
    return True


def planned_model(record, file_type):
    """The record sparkflows_model_info returned (option model), checked: the fields compared
    with the local copy's, and the ETag its file was served with."""
    if record.get('id') in (None, ''):
        raise FetchError('model must be a record as sparkflows_model_info returns it (with its id); got keys %s'
                         % (', '.join(sorted(record)) or 'none'))
    if record.get('file_type') not in (None, file_type):
        raise FetchError('model was read for file_type %s, not %s; read it with the same file_type'
                         % (record['file_type'], file_type))
    return record


def etag_unchanged(recorded, model):
    """Whether the file served is the one recorded, by the ETag read with the model's record:
    without an ETag on either side there is nothing more to compare (the record decides)."""
    return not (recorded.get('etag') and model.get('etag')) or recorded['etag'] == model['etag']


def is_archive(params):
    return params['file_type'] == 'zip' or bool(params['unpack_to'])


def write_json_atomically(path, data):
    with replacing(path, 'w') as (f, _tmp):
        json.dump(data, f, indent=1, sort_keys=True)


def fetch(client, params, model, checksum, opened=None):
    """Download to a temp file beside dest, verify, fsync, rename over dest; returns metadata."""
    dest = params['dest']
    directory = os.path.dirname(dest) or '.'
    if not os.path.isdir(directory):
        raise FetchError('the directory of dest does not exist: %s' % directory)
    started = time.monotonic()
    download = Download(client, model['id'], params['file_type'], params['download_retries'])
    with replacing(dest) as (f, tmp):
        sha256 = download.into(f, opened)
        f.flush()
        if checksum and sha256 != checksum:
            raise FetchError('checksum mismatch for model %s: expected sha256 %s, got %s; %s left as it was'
                             % (model['id'], checksum, sha256, dest))
        if is_archive(params):
            try:
                verify_archive(tmp)
            except FetchError as e:
                raise FetchError('model %s downloaded but %s; %s left as it was' % (model['id'], e, dest))
        if params['unpack_to']:
            unpack(tmp, params['unpack_to'])
        os.chmod(tmp, 0o644 & ~current_umask())
    st = os.stat(dest)
    return dict(
        id=model.get('id'), uuid=model.get('uuid'), name=model.get('name'), version=model.get('version'),
        stage=model.get('stage'), file_type=params['file_type'], sha256=sha256, size=st.st_size,
        mtime_ns=st.st_mtime_ns, etag=download.etag, unpacked_to=params['unpack_to'],
        archive_verified=is_archive(params),
    ), download.transferred, time.monotonic() - started


def run(params, check_mode, host):
    if params['state'] == 'absent':
        return remove(params, check_mode, host)
    if params['download_retries'] < 0:
        raise ModuleFailure('download_retries must be 0 or more')
    if params['stage'] and not params['model_name']:
        raise ModuleFailure('stage selects among the versions of model_name; set model_name')
    dest = params['dest']
    if os.path.isdir(dest):
        raise ModuleFailure('dest must be a file path, %s is a directory' % dest)

    recorded = read_recorded(dest)
    result = dict(changed=False, path=dest, bytes_transferred=0, seconds=0.0, unpacked_to=params['unpack_to'])
    try:
        checksum = normalize_checksum(params['checksum'])
        client = SparkflowsClient(**connection_params(params))
        if params['model']:
            # Read once for every host (sparkflows_model_info): nothing is asked of the server
            # for a copy that is current.
            model = planned_model(params['model'], params['file_type'])
            current = (not params['force'] and local_copy_is_current(recorded, model, params, checksum)
                       and etag_unchanged(recorded, model))
        else:
            model = client.select_model(params['model_id'], params['model_uuid'], params['model_name'],
                                        params['stage'])
            current = not params['force'] and local_copy_is_current(recorded, model, params, checksum)
        opened = None
        asked = False
        if current and recorded.get('etag') and not params['model']:
            # The model file itself may have changed on the server without a new version:
            # ask with If-None-Match (HEAD in check mode), 0 body bytes when unchanged.
            download = Download(client, model['id'], params['file_type'], params['download_retries'])
            unchanged, opened = download.not_modified(recorded['etag'], 'HEAD' if check_mode else 'GET')
            asked = True
            if not unchanged:
                current = False
                if check_mode:
                    opened[2].close()
                    opened = None
        if current:
            metadata = recorded
        elif check_mode:
            if not asked and not params['model']:
                # Ask the server for the file as the real run would, without its body (HEAD): a
                # file it cannot serve fails here too, not only in the real run (a planned
                # record's file was asked so when it was read).
                client.open_download(model['id'], params['file_type'], method='HEAD')[2].close()
            metadata = None
        else:
            metadata, transferred, seconds = fetch(client, params, model, checksum, opened)
            write_json_atomically(metadata_path(dest), metadata)
            result.update(bytes_transferred=transferred, seconds=round(seconds, 3))
        result['changed'] = not current
    except (SparkflowsError, FetchError) as e:
        raise ModuleFailure(str(e), **result)
    except OSError as e:
        raise ModuleFailure('cannot write the model to %s: %s; nothing partial left, previous file kept'
                            % (dest, e.strerror or e), **result)

    before = model_summary(recorded)
    after = model_summary(metadata) if metadata else dict(model_summary(model), sha256='(known once fetched)')
    if not check_mode or current:
        for path in (dest, metadata_path(dest)):
            result['changed'] = host.set_file_attributes(path, result['changed'])
    result.update(model_id=model.get('id'), model_uuid=model.get('uuid'), model_name=model.get('name'),
                  version=model.get('version'), size=(metadata or {}).get('size'),
                  sha256=(metadata or {}).get('sha256'))
    if host.diff:
        result['diff'] = dict(before=before, after=after)
    return result


def remove(params, check_mode, host):
    """dest, its record and unpack_to gone; nothing asked of the server."""
    dest = params['dest']
    found = [path for path in (dest, metadata_path(dest)) if os.path.lexists(path)]
    if params['unpack_to'] and os.path.isdir(params['unpack_to']):
        found.append(params['unpack_to'])
    if not check_mode:
        for path in found:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
    result = dict(changed=bool(found), path=dest, removed=found)
    if host.diff:
        result['diff'] = dict(before=model_summary(read_recorded(dest)) if found else {}, after={})
    return result


def run_module():
    run_ansible_module(run, **module_kwargs(
        ARGUMENT_SPEC, add_file_common_args=True,
        mutually_exclusive=[('model_id', 'model_uuid', 'model_name', 'model')],
        required_if=[('state', 'present', ('model_id', 'model_uuid', 'model_name', 'model'), True)]))


def model_summary(data):
    if not data:
        return {}
    return dict((key, data.get(key)) for key in ('id', 'uuid', 'version', 'sha256', 'size'))


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
