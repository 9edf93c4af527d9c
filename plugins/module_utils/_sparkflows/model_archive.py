# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Model archives: a zip verified whole (central directory and every entry's CRC) before it is
installed, and unpacked safely (no entry outside the directory, no links) into a fresh
directory swapped in at once."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_transfer import FetchError


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
