# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way this collection installs OS packages (module os_packages): apt on the Debian family.

The rule it owns: the package index is refreshed before installing whenever it cannot be trusted
- no package list at all, no record of a successful update, a record older than the cache window,
or sources changed since - whatever the mtime of /var/lib/apt/lists says (a just-built host has
empty lists in a directory written minutes ago). Nothing is refreshed when every package is
already installed, and the missing ones are installed in one transaction."""

from __future__ import annotations

import os
import re
import time

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module

LISTS_DIR = '/var/lib/apt/lists'
# Debian's record of the last successful `apt-get update` (apt.systemd.daily and Ubuntu's
# APT::Update::Post-Invoke-Success hook write it too); this module touches it after each update.
UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp'
SOURCES = ('/etc/apt/sources.list', '/etc/apt/sources.list.d')
# Debian policy 5.6.1: lower case letters, digits, + - . ; at least two characters.
PACKAGE_NAME = re.compile(r'^[a-z0-9][a-z0-9+.-]+$')
NOT_FOUND = re.compile(r'Unable to locate package|has no installation candidate|is not available')
APT_ENV = dict(DEBIAN_FRONTEND='noninteractive', APT_LISTCHANGES_FRONTEND='none', LC_ALL='C')

ARGUMENT_SPEC = dict(
    name=dict(type='list', elements='str', required=True),
    cache_valid_time=dict(type='int', default=3600),
    lock_timeout=dict(type='int', default=300),
    install_recommends=dict(type='bool', default=False),
)


def _mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _sources_mtime(sources):
    """Newest mtime of the apt sources (files, and the entries of source directories)."""
    newest = None
    for source in sources:
        paths = [source]
        if os.path.isdir(source):
            paths += [os.path.join(source, entry) for entry in os.listdir(source)]
        for path in paths:
            mtime = _mtime(path)
            if mtime is not None and (newest is None or mtime > newest):
                newest = mtime
    return newest


def has_package_lists(lists_dir):
    """Whether lists_dir holds at least one non-empty Packages index (any compression)."""
    try:
        entries = os.listdir(lists_dir)
    except OSError:
        return False
    for entry in entries:
        if '_Packages' in entry and not entry.endswith('.diff_Index'):
            try:
                if os.path.getsize(os.path.join(lists_dir, entry)) > 0:
                    return True
            except OSError:
                continue
    return False


def refresh_reason(cache_valid_time, now=None, lists_dir=LISTS_DIR, stamp=UPDATE_STAMP, sources=SOURCES):
    """Why the package index must be refreshed before installing, or None when it can be trusted."""
    now = time.time() if now is None else now
    if not has_package_lists(lists_dir):
        return 'no package lists in %s' % lists_dir
    updated = _mtime(stamp)
    if updated is None:
        return 'no record of a successful update (%s)' % stamp
    if now - updated >= cache_valid_time:
        return 'last update %ds ago, cache_valid_time is %ds' % (now - updated, cache_valid_time)
    changed = _sources_mtime(sources)
    if changed is not None and changed > updated:
        return 'the apt sources changed since the last update'
    return None


class PackageError(Exception):
    pass


class Apt(object):
    """apt-get and dpkg-query on the managed host, through its get_bin_path and run_command (a ModuleHost)."""

    def __init__(self, host, lock_timeout, install_recommends):
        self.host = host
        self.apt_get = host.get_bin_path('apt-get')
        self.dpkg_query = host.get_bin_path('dpkg-query')
        if not (self.apt_get and self.dpkg_query):
            raise PackageError('os_packages installs with apt: no apt-get/dpkg-query on this host '
                               '(the collection supports the Debian family)')
        self.options = ['-o', 'DPkg::Lock::Timeout=%d' % lock_timeout]
        self.install_options = ['--no-install-recommends'] if not install_recommends else []
        self.install_options += ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']

    def _run(self, args):
        return self.host.run_command(args, environ_update=APT_ENV)

    def missing(self, names):
        """The names among `names` that dpkg does not have installed, in the given order."""
        rc, out, err = self._run([self.dpkg_query, '-W', '-f', '${Package}\t${db:Status-Status}\n'] + names)
        installed = set()
        for line in out.splitlines():
            package, _sep, status = line.partition('\t')
            if status.strip() == 'installed':
                installed.add(package.split(':')[0])
        return [name for name in names if name not in installed]

    def update(self):
        rc, out, err = self._run([self.apt_get, 'update', '-q'] + self.options)
        if rc != 0 or not has_package_lists(LISTS_DIR):
            raise PackageError('apt-get update failed (rc %d): %s' % (rc, (err or out).strip()[-2000:]))
        stamp_dir = os.path.dirname(UPDATE_STAMP)
        if not os.path.isdir(stamp_dir):
            os.makedirs(stamp_dir, 0o755)
        with open(UPDATE_STAMP, 'a'):
            os.utime(UPDATE_STAMP, None)
        return err

    def install(self, names, simulate=False):
        """(rc, output) of one `apt-get install` transaction of names."""
        args = [self.apt_get, 'install', '-y', '-q'] + self.options + self.install_options
        rc, out, err = self._run(args + (['-s'] if simulate else []) + ['--'] + names)
        return rc, (out + err)


def _diff(names, missing):
    before = ''.join('%s: %s\n' % (name, 'absent' if name in missing else 'installed') for name in names)
    after = ''.join('%s: installed\n' % name for name in names)
    return dict(before=before, after=after, before_header='packages', after_header='packages')


def run(params, check_mode, host):
    names = list(dict.fromkeys(name.strip() for name in params['name']))
    bad = [name for name in names if not PACKAGE_NAME.match(name)]
    if bad or not names:
        raise ModuleFailure('name must list Debian package names (lower case letters, digits, + - .); '
                            'not package names: %s' % (', '.join(repr(name) for name in bad) or 'an empty list'))
    for option in ('cache_valid_time', 'lock_timeout'):
        if params[option] < 0:
            raise ModuleFailure('%s must be 0 or more seconds, not %d' % (option, params[option]))

    try:
        apt = Apt(host, params['lock_timeout'], params['install_recommends'])
        missing = apt.missing(names)
        # simulated: what check mode only pretends is there; a caller's next steps cannot use it yet.
        result = dict(changed=bool(missing), installed=missing, simulated=missing if check_mode else [],
                      cache_updated=False, cache_update_reason=None)
        if host.diff:
            result['diff'] = _diff(names, missing)
        if not missing:
            return result

        reason = refresh_reason(params['cache_valid_time'])
        result['cache_update_reason'] = reason
        if check_mode:
            # With a trusted index, ask apt whether the transaction would resolve; with none, the
            # real run refreshes it first and only then can tell.
            if reason is None:
                rc, output = apt.install(missing, simulate=True)
                if rc != 0:
                    raise PackageError('apt-get cannot install %s: %s' % (' '.join(missing), output.strip()[-2000:]))
            return result

        update_warnings = ''
        if reason is not None:
            update_warnings = apt.update()
            result['cache_updated'] = True
        rc, output = apt.install(missing)
        if rc != 0 and not result['cache_updated'] and NOT_FOUND.search(output):
            # The index looked fresh but does not know a package: refresh once and try again.
            result['cache_update_reason'] = 'apt did not find a package in the index'
            update_warnings = apt.update()
            result['cache_updated'] = True
            rc, output = apt.install(missing)
        if rc != 0:
            detail = output.strip()[-2000:]
            if update_warnings.strip():
                detail += '\napt-get update said: %s' % update_warnings.strip()[-1000:]
            raise PackageError('apt-get install %s failed (rc %d): %s' % (' '.join(missing), rc, detail))
        still_missing = apt.missing(missing)
        if still_missing:
            raise PackageError('apt-get install succeeded but dpkg does not list as installed: %s'
                               % ' '.join(still_missing))
        return result
    except PackageError as e:
        raise ModuleFailure(str(e))


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
