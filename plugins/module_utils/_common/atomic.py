# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Files replaced atomically and durably (private): a model, its record, an SSH key."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager


@contextmanager
def replacing(path, mode='wb'):
    """Write a temporary file beside path; on success fsync it and rename it over path (and
    fsync the directory); on any error remove it, leaving path as it was.

    Yields (file object, temporary path); the caller may check the file by its path before
    the block ends. The temporary file is created 0600 (mkstemp): what it holds is never
    readable by others, not even briefly.
    """
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.part', dir=directory)
    try:
        with os.fdopen(fd, mode) as f:
            yield f, tmp
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_directory(directory)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
