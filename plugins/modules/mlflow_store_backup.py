#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mlflow_store_backup
short_description: Back up an MLflow host's backend and basic-auth stores, or restore them
version_added: 0.2.0
description:
  - With O(state=present), takes a backup of the stores into a new time-stamped directory under
    O(dest) (0700) - C(pg_dump) (custom format) of each PostgreSQL database, or a copy of the
    SQLite files - and removes the oldest backups beyond O(keep). Take it with the server stopped,
    so that a SQLite copy is consistent, and nothing writes between the backup and the migration.
  - With O(state=restored), brings the stores back to the backup at O(path) - each PostgreSQL
    database emptied (its C(public) schema dropped and made anew, so a partly run migration leaves
    nothing behind) and restored in one transaction, or each SQLite file replaced atomically.
  - Role M(sparkflows.mlops.mlflow_host) runs it around an upgrade; C(docs/mlflow-upgrades.md)
    shows the same restore by hand.
  - PostgreSQL's password is read by libpq from O(pgpass_path); it is never on a command line.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Says where the backup would be written (or what would be restored) and does nothing.
  diff_mode:
    support: none
  platform:
    platforms: linux
requirements:
  - C(pg_dump), C(pg_restore) and C(psql) (Debian package postgresql-client, of the server's major
    version or newer) for PostgreSQL.
options:
  state:
    description: V(present) takes a backup; V(restored) restores the one at O(path).
    type: str
    choices: [present, restored]
    default: present
  backend:
    description: The kind of store.
    type: str
    choices: [sqlite, postgresql]
    required: true
  databases:
    description: The PostgreSQL databases (the tracking one and the basic-auth one), for O(backend=postgresql).
    type: list
    elements: dict
    default: []
    suboptions:
      role:
        description: What the database is (V(tracking), V(auth)); names its dump file.
        type: str
        required: true
      host:
        description: PostgreSQL server.
        type: str
        required: true
      port:
        description: Its port.
        type: int
        default: 5432
      name:
        description: The database.
        type: str
        required: true
      user:
        description: The user that owns its objects.
        type: str
        required: true
  sslmode:
    description: libpq's C(sslmode) (C(PGSSLMODE)).
    type: str
    default: disable
  ca_path:
    description: CA bundle of the PostgreSQL server's certificate (C(PGSSLROOTCERT)).
    type: str
    default: ""
  pgpass_path:
    description: libpq password file with the user's password (C(PGPASSFILE)).
    type: path
    default: ""
  sqlite_files:
    description: The SQLite files, for O(backend=sqlite); those not made yet are left out.
    type: list
    elements: path
    default: []
  dest:
    description: Where the backups are kept, one directory each.
    type: path
    default: /var/backups/mlflow
  label:
    description: Added to the directory name after the time stamp (for example the versions from and to).
    type: str
    default: ""
  keep:
    description: How many backups are kept, the new one included; the oldest beyond are removed. 0 keeps all.
    type: int
    default: 5
  path:
    description: The backup to restore (a directory this module wrote), for O(state=restored).
    type: path
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Back up the stores before an upgrade
  sparkflows.mlops.mlflow_store_backup:
    backend: postgresql
    databases:
      - {role: tracking, host: db1.example.net, name: mlflow, user: mlflow}
      - {role: auth, host: db1.example.net, name: mlflow_auth, user: mlflow}
    pgpass_path: /etc/mlflow/pgpass
    label: current-to-next
  register: backup

- name: Restore them
  sparkflows.mlops.mlflow_store_backup:
    state: restored
    path: "{{ backup.path }}"
    backend: postgresql
    databases:
      - {role: tracking, host: db1.example.net, name: mlflow, user: mlflow}
      - {role: auth, host: db1.example.net, name: mlflow_auth, user: mlflow}
    pgpass_path: /etc/mlflow/pgpass
'''

RETURN = r'''
path:
  description: The backup's directory.
  returned: success
  type: str
  sample: /var/backups/mlflow/20261206T050000Z-current-to-next
files:
  description: The files written (a C(manifest.json) beside them says what they are).
  returned: state is present
  type: list
  elements: str
removed:
  description: The older backups removed (directory names under O(dest)).
  returned: state is present
  type: list
  elements: str
restored:
  description: The databases or files restored.
  returned: state is restored
  type: list
  elements: str
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.store_backup import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
