# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The transfer engine of sparkflows_model_fetch: a model body streamed from the Sparkflows
model repository into a file, hashed on a second thread as it arrives, written back in small
pieces, resumed with a Range request after a cut, bounded in retries."""

from __future__ import annotations

import hashlib
import os
import queue
import socket
import threading
import time
from http.client import HTTPException

CHUNK = 1 << 20
# Writes go to the file in pieces of this size: one write of a whole MiB makes Linux (6.x,
# ext4 with large folios) allocate large page-cache folios, which on a host with fragmented
# memory costs compaction, measured at 1-3 s of CPU per GiB against 0.3 s in 128 KiB pieces.
WRITE_SIZE = 128 << 10
# Errors of the connection while the body streams in; the download resumes after them.
NETWORK_ERRORS = (HTTPException, ConnectionError, socket.timeout, TimeoutError)


class FetchError(Exception):
    pass


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(CHUNK), b''):
            digest.update(block)
    return digest.hexdigest()


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
