# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the mlflow_store_backup module: a copy of an MLflow host's backend and basic-auth
stores taken before an upgrade (pg_dump of each PostgreSQL database, or a copy of the SQLite
files), kept in a time-stamped directory, the oldest beyond a count removed; and the way back
(each database emptied and restored, or the files copied back). PostgreSQL's password is read
by libpq from the password file given: it is never an argument of a command."""

from __future__ import annotations

import json
import os
import re
import shutil
import time

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module

ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['present', 'restored'], default='present'),
    backend=dict(type='str', choices=['sqlite', 'postgresql'], required=True),
    databases=dict(type='list', elements='dict', default=[], options=dict(
        role=dict(type='str', required=True),
        host=dict(type='str', required=True),
        port=dict(type='int', default=5432),
        name=dict(type='str', required=True),
        user=dict(type='str', required=True),
    )),
    sslmode=dict(type='str', default='disable'),
    ca_path=dict(type='str', default=''),
    pgpass_path=dict(type='path', default=''),
    sqlite_files=dict(type='list', elements='path', default=[]),
    dest=dict(type='path', default='/var/backups/mlflow'),
    label=dict(type='str', default=''),
    keep=dict(type='int', default=5),
    path=dict(type='path'),
)
MANIFEST = 'manifest.json'
NAME = re.compile(r'^\d{8}T\d{6}Z(-[A-Za-z0-9_.-]+)?$')


class BackupError(Exception):
    """A step that failed, in words."""


def backup_name(now, label):
    """The directory name of a backup taken at now (seconds since the epoch, UTC)."""
    stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now))
    label = re.sub(r'[^A-Za-z0-9_.-]+', '-', label or '').strip('-')
    return stamp + ('-' + label if label else '')


def expired(names, keep):
    """The backups beyond the newest keep (names sort by their time stamp); none when keep < 1."""
    backups = sorted(name for name in names if NAME.match(name))
    if keep < 1:
        return []
    return backups[:-keep] if len(backups) > keep else []


def libpq_environment(pgpass_path, sslmode, ca_path):
    """The environment of pg_dump, pg_restore and psql: the password file and the TLS settings."""
    environment = {'PGSSLMODE': sslmode}
    if pgpass_path:
        environment['PGPASSFILE'] = pgpass_path
    if ca_path:
        environment['PGSSLROOTCERT'] = ca_path
    return environment


def connection_args(database):
    return ['--host', database['host'], '--port', str(database['port']), '--username', database['user'],
            '--no-password']


def dump_command(pg_dump, database, target):
    """pg_dump of one database, custom format (what pg_restore reads), owners left out."""
    return [pg_dump] + connection_args(database) + ['--format', 'custom', '--no-owner', '--file', target,
                                                    '--dbname', database['name']]


def empty_command(psql, database):
    """Drops what a (partly) migrated database holds, so the restore brings back only the backup."""
    return [psql] + connection_args(database) + [
        '--dbname', database['name'], '--set', 'ON_ERROR_STOP=1', '--single-transaction', '--quiet',
        '--command', 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;']


def restore_command(pg_restore, database, source):
    return [pg_restore] + connection_args(database) + ['--no-owner', '--single-transaction', '--exit-on-error',
                                                       '--dbname', database['name'], source]


def restore_file(source, target):
    """Replaces target by a copy of source atomically (never half a database), with the owner and
    group of the file replaced (else of its directory): the module runs as root, the tracking
    server as its own user, which must still write its database."""
    temporary = target + '.restoring'
    shutil.copy2(source, temporary)
    try:
        owner = os.stat(target if os.path.exists(target) else os.path.dirname(target) or '.')
        copied = os.stat(temporary)
        if (copied.st_uid, copied.st_gid) != (owner.st_uid, owner.st_gid):
            os.chown(temporary, owner.st_uid, owner.st_gid)
        os.rename(temporary, target)
    except OSError:
        os.unlink(temporary)
        raise


def same_file_names(params):
    """The file names two stores would share in a backup (or share with its manifest)."""
    if params['backend'] == 'postgresql':
        names = ['%s.dump' % database['role'] for database in params['databases']]
    else:
        names = [os.path.basename(path) for path in params['sqlite_files']]
    return sorted(set(name for name in names if names.count(name) > 1 or name == MANIFEST))


class Backups(object):
    """The steps, on a host, through its run_command and get_bin_path (a ModuleHost)."""

    def __init__(self, params, host):
        self.params = params
        self.host = host

    def run(self, argv, what):
        environment = libpq_environment(self.params['pgpass_path'], self.params['sslmode'], self.params['ca_path'])
        rc, out, err = self.host.run_command(argv, environ_update=environment)
        if rc != 0:
            raise BackupError('%s failed (exit %d): %s' % (what, rc, (err or out).strip()[-2000:]))

    def tool(self, name):
        path = self.host.get_bin_path(name)
        if not path:
            raise BackupError('%s is not installed on this host (Debian package postgresql-client)' % name)
        return path

    def take(self, path):
        """Writes the backup into path (made here, 0700); returns the files written. A backup that
        fails is removed: named like one, a half backup would count among those kept."""
        os.makedirs(path, 0o700)
        try:
            return self._write(path)
        except Exception:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def _write(self, path):
        files = []
        if self.params['backend'] == 'postgresql':
            pg_dump = self.tool('pg_dump')
            for database in self.params['databases']:
                target = os.path.join(path, '%s.dump' % database['role'])
                self.run(dump_command(pg_dump, database, target), 'pg_dump of database %s' % database['name'])
                files.append(target)
        else:
            for source in self.params['sqlite_files']:
                if not os.path.exists(source):
                    continue  # a store not made yet (basic auth off): nothing to keep
                target = os.path.join(path, os.path.basename(source))
                shutil.copy2(source, target)
                files.append(target)
        manifest = dict(backend=self.params['backend'], label=self.params['label'],
                        databases=[dict((k, d[k]) for k in ('role', 'host', 'port', 'name')) for d in self.params['databases']],
                        sqlite_files=[f for f in self.params['sqlite_files'] if os.path.exists(f)])
        with open(os.path.join(path, MANIFEST), 'w') as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
        return files

    def restore(self, path, check_mode=False):
        """Brings the stores back to the backup in path; returns what was restored (in check mode,
        what would be, the backup checked and nothing changed)."""
        try:
            with open(os.path.join(path, MANIFEST)) as handle:
                manifest = json.load(handle)
        except (IOError, OSError, ValueError) as error:
            raise BackupError('%s is not a backup of this module (%s)' % (path, error))
        if manifest.get('backend') != self.params['backend']:
            raise BackupError('%s is a backup of a %s store, not %s' % (path, manifest.get('backend'), self.params['backend']))
        # Every part of the backup is there before any store is touched: never one store restored
        # and the other left as the failed version made it.
        restored = []
        if self.params['backend'] == 'postgresql':
            psql, pg_restore = self.tool('psql'), self.tool('pg_restore')
            for database in self.params['databases']:
                if not os.path.exists(os.path.join(path, '%s.dump' % database['role'])):
                    raise BackupError('%s has no dump of the %s database' % (path, database['role']))
            for database in self.params['databases']:
                source = os.path.join(path, '%s.dump' % database['role'])
                if not check_mode:
                    self.run(empty_command(psql, database), 'emptying database %s' % database['name'])
                    self.run(restore_command(pg_restore, database, source),
                             'pg_restore of database %s' % database['name'])
                restored.append(database['name'])
        else:
            targets = manifest.get('sqlite_files') or []
            for target in targets:
                if not os.path.exists(os.path.join(path, os.path.basename(target))):
                    raise BackupError('%s has no copy of %s' % (path, target))
            for target in targets:
                if not check_mode:
                    restore_file(os.path.join(path, os.path.basename(target)), target)
                restored.append(target)
        return restored


def run(params, check_mode, host):
    if params['backend'] == 'postgresql' and not params['databases']:
        raise ModuleFailure('backend postgresql needs databases')
    if same_file_names(params):
        raise ModuleFailure('a backup keeps each store in a file of its name, and two would be %s: give the databases '
                            'other roles, or the SQLite files other names' % ', '.join(same_file_names(params)))
    backups = Backups(params, host)
    try:
        if params['state'] == 'restored':
            restored = backups.restore(params['path'], check_mode)
            return dict(changed=True, path=params['path'], restored=restored)
        names = os.listdir(params['dest']) if os.path.isdir(params['dest']) else []
        path = os.path.join(params['dest'], backup_name(time.time(), params['label']))
        # The new one counts among those kept.
        removed = expired(names + [os.path.basename(path)], params['keep'])
        if check_mode:
            return dict(changed=True, path=path, files=[], removed=removed)
        if not os.path.isdir(params['dest']):
            os.makedirs(params['dest'], 0o700)
        files = backups.take(path)
        for name in removed:
            shutil.rmtree(os.path.join(params['dest'], name), ignore_errors=True)
        return dict(changed=True, path=path, files=files, removed=removed)
    except (BackupError, IOError, OSError) as error:
        raise ModuleFailure(str(error))


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True, required_if=[('state', 'restored', ['path'])])
