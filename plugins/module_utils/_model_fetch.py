# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_model_fetch module: stream a model from the Sparkflows model
repository to disk, verified and atomically renamed, resumable, and skipped when unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import socket
import stat
import tempfile
import threading
import time
import zipfile
from http.client import HTTPException

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sparkflows.mlops.plugins.module_utils._atomic import replacing
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import (
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
)

CHUNK = 1 << 20
# Writes go to the file in pieces of this size: one write of a whole MiB makes Linux (6.x,
# ext4 with large folios) allocate large page-cache folios, which on a host with fragmented
# memory costs compaction, measured at 1-3 s of CPU per GiB against 0.3 s in 128 KiB pieces.
WRITE_SIZE = 128 << 10
METADATA_SUFFIX = '.sparkflows.json'
# Errors of the connection while the body streams in; the download resumes after them.
NETWORK_ERRORS = (HTTPException, ConnectionError, socket.timeout, TimeoutError)

ARGUMENT_SPEC = dict(
    model_id=dict(type='str'),
    model_uuid=dict(type='str'),
    model_name=dict(type='str'),
    stage=dict(type='str'),
    file_type=dict(type='str', default='zip'),
    dest=dict(type='path', required=True),
    unpack_to=dict(type='path'),
    checksum=dict(type='str'),
    verify=dict(type='str', default='quick', choices=['quick', 'sha256']),
    force=dict(type='bool', default=False),
    download_retries=dict(type='int', default=3),
)


class FetchError(Exception):
    pass


def metadata_path(dest):
    return dest + METADATA_SUFFIX


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            digest.update(block)
    return digest.hexdigest()


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


def resolve_model(client, params):
    """The model's metadata, by id, uuid, or name (latest version, optionally of one stage)."""
    if params['model_uuid']:
        return client.output_model_by_uuid(params['model_uuid'])
    models = client.output_models()
    if params['model_id']:
        found = [m for m in models if str(m.get('id')) == str(params['model_id'])]
        if not found:
            raise FetchError('No model with id %s in the Sparkflows model repository' % params['model_id'])
        return found[0]
    found = [m for m in models if m.get('name') == params['model_name']
             and (params['stage'] is None or m.get('stage') == params['stage'])]
    if not found:
        raise FetchError('No model named %s%s in the Sparkflows model repository' % (
            params['model_name'], '' if params['stage'] is None else ' in stage %s' % params['stage']))
    return client.latest_model(found, 'model %s' % params['model_name'])


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


def is_archive(params):
    return params['file_type'] == 'zip' or bool(params['unpack_to'])


def verify_archive(path):
    """Refuse a file that is not a whole zip archive: its central directory must read and every
    entry's CRC-32 match (zipfile reads each entry through)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError, OSError) as e:
        raise FetchError('not a readable zip archive (%s)' % e)
    except RuntimeError as e:  # an encrypted entry
        raise FetchError('the zip archive cannot be read (%s)' % e)
    if bad is not None:
        raise FetchError('the zip archive is corrupt: entry %r fails its CRC check' % bad)


class Download(object):
    """Streams one model body into a temporary file beside dest, resuming after a cut."""

    def __init__(self, client, model_id, file_type, retries, sleep=time.sleep):
        self.client = client
        self.model_id = model_id
        self.file_type = file_type
        self.retries = retries
        self.sleep = sleep
        self.transferred = 0
        self.etag = None

    def not_modified(self, etag, method='GET'):
        """Conditional request: True on 304 (nothing transferred); else the open answer."""
        status, headers, response = self.client.open_download(
            self.model_id, self.file_type, {'If-None-Match': etag}, method=method)
        if status == 304:
            return True, None
        return False, (status, headers, response)

    def into(self, fileobj, opened=None):
        """Write the whole body to fileobj; returns its sha256 hex digest."""
        digest = ChunkHasher()
        try:
            return self._into(fileobj, opened, digest)
        finally:
            digest.close()

    def _into(self, fileobj, opened, digest):
        offset = 0
        failures = 0
        while True:
            if opened is None:
                headers = {}
                if offset:
                    headers = {'Range': 'bytes=%d-' % offset, 'If-Range': self.etag or ''}
                opened = self.client.open_download(self.model_id, self.file_type, headers)
            status, headers, response = opened
            opened = None
            if status == 206 and offset:
                first = int(headers.get('Content-Range', 'bytes 0-').split()[1].split('-')[0])
                if first != offset:
                    raise FetchError('the server resumed at byte %d, not %d' % (first, offset))
            elif offset:
                # The server sent the whole body again (no ranges, or the model changed).
                fileobj.seek(0)
                fileobj.truncate()
                digest.restart()
                offset = 0
            self.etag = headers.get('ETag') or self.etag
            length = headers.get('Content-Length')
            total = offset + int(length) if length is not None else None
            try:
                received = self._copy(response, fileobj, digest)
            except NETWORK_ERRORS as e:
                received, cut = e.received, e
            else:
                cut = None
            finally:
                response.close()
            offset += received
            self.transferred += received
            if cut is None and total is not None and offset != total:
                cut = 'the body ended at byte %d of %d' % (offset, total)
            if cut is None:
                return digest.hexdigest()
            failures += 1
            if failures > self.retries:
                raise FetchError('download of model %s cut %d times, giving up (last: %s)'
                                 % (self.model_id, failures, cut))
            self.sleep(min(0.5 * failures, 5.0))

    @staticmethod
    def _copy(response, fileobj, digest):
        """Stream the body into fileobj through the hasher's few buffers (constant memory).

        Returns the bytes received; a network error carries them as .received.
        """
        received = 0
        writeback = Writeback(fileobj)
        try:
            while True:
                buffer, count = digest.buffer(), 0
                try:
                    count = response.readinto(buffer)
                    view = memoryview(buffer)
                    for start in range(0, count, WRITE_SIZE):
                        fileobj.write(view[start:min(start + WRITE_SIZE, count)])
                finally:
                    digest.hash(buffer, count)
                if not count:
                    return received
                received += count
                writeback.written()
        except NETWORK_ERRORS as e:
            e.received = received
            raise


class ChunkHasher(object):
    """The sha256 of the chunks handed to it, computed in a second thread: hashlib releases the
    GIL on large buffers, so one chunk is hashed while the next is received and written (on one
    core hashing is the largest cost after the copy itself). BUFFERS chunk buffers go round
    between the download and the hasher: memory stays constant whatever the model's size."""

    BUFFERS = 4

    def __init__(self):
        self.free = queue.Queue()
        for _buffer in range(self.BUFFERS):
            self.free.put(bytearray(CHUNK))
        self._start()

    def _start(self):
        self.digest = hashlib.sha256()
        self.full = queue.Queue()
        self.thread = threading.Thread(target=self._hash, name='sha256', daemon=True)
        self.thread.start()

    def _hash(self):
        while True:
            buffer, count = self.full.get()
            if buffer is None:
                return
            if count:
                self.digest.update(memoryview(buffer)[:count])
            self.free.put(buffer)

    def buffer(self):
        """A free buffer of CHUNK bytes; waits while all are being hashed (not for a hasher
        that has stopped: its buffers would never come back)."""
        while True:
            try:
                return self.free.get(timeout=1)
            except queue.Empty:
                if not self.thread.is_alive():
                    raise FetchError('computing the sha256 of the download failed (its thread stopped)')

    def hash(self, buffer, count):
        """Hash count bytes of buffer (0: none), then take the buffer back."""
        self.full.put((buffer, count))

    def restart(self):
        """Forget everything hashed so far (the server sent the whole body again)."""
        self.close()
        self._start()

    def hexdigest(self):
        self.close()
        return self.digest.hexdigest()

    def close(self):
        if self.thread.is_alive():
            self.full.put((None, 0))
            self.thread.join()


class Writeback(object):
    """Starts the disk writes of what is already downloaded while the rest arrives, so that the
    fsync before the rename has little left to wait for (the disk works during the transfer,
    not after it). POSIX_FADV_DONTNEED starts writeback of dirty pages without waiting; the
    pages also leave the page cache, which keeps a large model from crowding out the host's."""

    WINDOW = 32 * CHUNK

    def __init__(self, fileobj):
        self.fileobj = fileobj
        self.hinted = None
        try:
            self.fd = fileobj.fileno() if hasattr(os, 'posix_fadvise') else None
        except (AttributeError, OSError, ValueError):  # not a real file (io.BytesIO: UnsupportedOperation)
            self.fd = None

    def written(self):
        if self.fd is None:
            return
        position = self.fileobj.tell()
        if self.hinted is None:  # the first chunk of this response: a resumed body starts mid-file
            self.hinted = position - (position % self.WINDOW)
        if position - self.hinted < self.WINDOW:
            return
        self.fileobj.flush()
        try:
            os.posix_fadvise(self.fd, self.hinted, position - self.hinted, os.POSIX_FADV_DONTNEED)
        except OSError:  # a file system without the advice: fsync does all the work at the end
            self.fd = None
        self.hinted = position


def safe_members(archive):
    """Refuse, before extracting anything, entries that would land outside the directory."""
    for info in archive.infolist():
        name = info.filename
        parts = name.replace('\\', '/').split('/')
        if name.startswith(('/', '\\')) or '..' in parts or (len(name) > 1 and name[1] == ':'):
            raise FetchError('refusing to unpack: entry %r would land outside the directory' % name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise FetchError('refusing to unpack: entry %r is a symbolic link' % name)
    return archive.infolist()


def unpack(zip_path, target):
    """Extract into a fresh directory beside target, then swap it in."""
    parent = os.path.dirname(target) or '.'
    staging = tempfile.mkdtemp(prefix='.%s.' % os.path.basename(target), suffix='.unpack', dir=parent)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = safe_members(archive)
            archive.extractall(staging, members)
        old = None
        if os.path.lexists(target):
            old = tempfile.mkdtemp(prefix='.%s.' % os.path.basename(target), suffix='.old', dir=parent)
            os.rmdir(old)
            os.rename(target, old)
        os.rename(staging, target)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_module():
    module = AnsibleModule(**module_kwargs(
        ARGUMENT_SPEC, add_file_common_args=True,
        mutually_exclusive=[('model_id', 'model_uuid', 'model_name')],
        required_one_of=[('model_id', 'model_uuid', 'model_name')]))
    params = module.params
    if params['download_retries'] < 0:
        module.fail_json(msg='download_retries must be 0 or more')
    if params['stage'] and not params['model_name']:
        module.fail_json(msg='stage selects among the versions of model_name; set model_name')
    dest = params['dest']
    if os.path.isdir(dest):
        module.fail_json(msg='dest must be a file path, %s is a directory' % dest)

    recorded = read_recorded(dest)
    result = dict(changed=False, path=dest, bytes_transferred=0, seconds=0.0, unpacked_to=params['unpack_to'])
    try:
        checksum = normalize_checksum(params['checksum'])
        client = SparkflowsClient(**connection_params(params))
        model = resolve_model(client, params)
        current = not params['force'] and local_copy_is_current(recorded, model, params, checksum)
        opened = None
        asked = False
        if current and recorded.get('etag'):
            # The model file itself may have changed on the server without a new version:
            # ask with If-None-Match (HEAD in check mode), 0 body bytes when unchanged.
            download = Download(client, model['id'], params['file_type'], params['download_retries'])
            unchanged, opened = download.not_modified(recorded['etag'], 'HEAD' if module.check_mode else 'GET')
            asked = True
            if not unchanged:
                current = False
                if module.check_mode:
                    opened[2].close()
                    opened = None
        if current:
            metadata = recorded
        elif module.check_mode:
            if not asked:
                # Ask the server for the file as the real run would, without its body (HEAD): a
                # file it cannot serve fails here too, not only in the real run.
                client.open_download(model['id'], params['file_type'], method='HEAD')[2].close()
            metadata = None
        else:
            metadata, transferred, seconds = fetch(client, params, model, checksum, opened)
            write_json_atomically(metadata_path(dest), metadata)
            result.update(bytes_transferred=transferred, seconds=round(seconds, 3))
        result['changed'] = not current
    except (SparkflowsError, FetchError) as e:
        module.fail_json(msg=str(e), **result)
    except OSError as e:
        module.fail_json(msg='cannot write the model to %s: %s; nothing partial left, previous file kept'
                         % (dest, e.strerror or e), **result)

    before = model_summary(recorded)
    after = model_summary(metadata) if metadata else dict(model_summary(model), sha256='(known once fetched)')
    if not module.check_mode or current:
        for path in (dest, metadata_path(dest)):
            file_args = module.load_file_common_arguments(params, path=path)
            result['changed'] = module.set_fs_attributes_if_different(file_args, result['changed'])
    result.update(model_id=model.get('id'), model_uuid=model.get('uuid'), model_name=model.get('name'),
                  version=model.get('version'), size=(metadata or {}).get('size'),
                  sha256=(metadata or {}).get('sha256'))
    if module._diff:
        result['diff'] = dict(before=before, after=after)
    module.exit_json(**result)


def model_summary(data):
    if not data:
        return {}
    return dict((key, data.get(key)) for key in ('id', 'uuid', 'version', 'sha256', 'size'))
