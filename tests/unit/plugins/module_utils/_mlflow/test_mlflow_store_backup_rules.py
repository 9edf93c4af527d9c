"""_mlflow.store_backup's rules: a backup's name (its UTC time, the label made safe, one directory
under dest), which backups are beyond the newest `keep`, the commands of pg_dump, psql and
pg_restore (libpq reads the password from the file named in the environment: never an argument)
and that environment. The module itself runs in tests/unit/plugins/modules/test_mlflow_store_backup.py."""

import calendar
import os
import re
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.store_backup import (
    ARGUMENT_SPEC,
    NAME,
    backup_name,
    connection_args,
    dump_command,
    empty_command,
    expired,
    libpq_environment,
    restore_command,
    same_file_names,
)
from ansible_collections.sparkflows.mlops.plugins.modules import mlflow_store_backup

SETTINGS = settings(max_examples=200, deadline=None, database=None)
TIMES = st.integers(0, 4102444799)  # up to 2099-12-31T23:59:59Z
LABELS = st.text(max_size=40)
DATABASE = dict(role="tracking", host="db1.example.net", port=6432, name="mlflow", user="mlflow")


# -- names and retention --------------------------------------------------------------------

@SETTINGS
@given(now=TIMES, label=LABELS)
def test_a_name_is_the_utc_time_and_the_label_made_safe(now, label):
    name = backup_name(now, label)
    assert NAME.match(name)
    assert calendar.timegm(time.strptime(name[:16], "%Y%m%dT%H%M%SZ")) == now
    # One directory right under dest, whatever the label holds.
    assert os.path.dirname(os.path.join("/var/backups/mlflow", name)) == "/var/backups/mlflow"
    assert name not in (".", "..") and "/" not in name
    kept = re.sub(r"[^A-Za-z0-9_.-]", "", label)
    assert name[17:].replace("-", "") == kept.replace("-", "")


def test_a_label_of_safe_characters_is_kept_as_given():
    assert backup_name(1765000800, "current-0123456789-to-next-9876543210") == \
        "20251206T060000Z-current-0123456789-to-next-9876543210"
    assert backup_name(1765000800, "") == backup_name(1765000800, " / ") == "20251206T060000Z"


@SETTINGS
@given(first=TIMES, second=TIMES, first_label=LABELS, second_label=LABELS)
def test_names_sort_as_their_times(first, second, first_label, second_label):
    if first != second:
        assert (backup_name(first, first_label) < backup_name(second, second_label)) is (first < second)


@SETTINGS
@given(times=st.lists(TIMES, unique=True, max_size=12), labels=st.lists(LABELS, min_size=12, max_size=12),
       keep=st.integers(-2, 15),
       others=st.lists(st.sampled_from(["notes", "manifest.json", "2025-12-06", "lost+found", "20251206T0600Z"]),
                       max_size=3))
def test_expired_are_the_backups_beyond_the_newest_keep(times, labels, keep, others):
    backups = [backup_name(now, label) for now, label in zip(times, labels)]
    gone = expired(backups + others, keep)
    assert not set(gone) & set(others)  # never what is not a backup
    if keep < 1:
        assert gone == []  # 0 keeps all
        return
    kept = [name for name in backups if name not in gone]
    assert sorted(gone + kept) == sorted(backups)
    assert len(kept) == min(keep, len(backups))
    assert all(old < new for old in gone for new in kept)  # the oldest go


# -- commands and their environment ---------------------------------------------------------

@pytest.mark.parametrize("command", [
    dump_command("/usr/bin/pg_dump", DATABASE, "/var/backups/mlflow/x/tracking.dump"),
    empty_command("/usr/bin/psql", DATABASE),
    restore_command("/usr/bin/pg_restore", DATABASE, "/var/backups/mlflow/x/tracking.dump"),
], ids=["pg_dump", "psql", "pg_restore"])
def test_every_command_connects_by_arguments_and_never_asks_for_a_password(command):
    assert command[0].startswith("/usr/bin/")
    pairs = dict(zip(command, command[1:]))
    assert (pairs["--host"], pairs["--port"], pairs["--username"]) == ("db1.example.net", "6432", "mlflow")
    assert "--no-password" in command  # libpq fails rather than prompt
    assert not [arg for arg in command if arg in ("-W", "--password") or "password=" in arg.lower()]
    assert "mlflow" in (pairs.get("--dbname"), command[-2])


def test_a_database_entry_with_a_password_does_not_bring_it_to_the_command_line():
    database = dict(DATABASE, password="Never-On-The-Line")
    for command in (dump_command("pg_dump", database, "t"), empty_command("psql", database),
                    restore_command("pg_restore", database, "s")):
        assert not [arg for arg in command if "Never-On-The-Line" in arg]
    assert "Never-On-The-Line" not in " ".join(connection_args(database))


def test_pg_dump_writes_the_custom_format_pg_restore_reads_without_owners():
    command = dump_command("pg_dump", DATABASE, "/b/tracking.dump")
    pairs = dict(zip(command, command[1:]))
    assert (pairs["--format"], pairs["--file"], pairs["--dbname"]) == ("custom", "/b/tracking.dump", "mlflow")
    assert "--no-owner" in command


def test_the_restore_empties_the_database_then_restores_in_one_transaction():
    empty = empty_command("psql", DATABASE)
    pairs = dict(zip(empty, empty[1:]))
    assert pairs["--dbname"] == "mlflow"
    assert pairs["--set"] == "ON_ERROR_STOP=1" and "--single-transaction" in empty
    assert re.search(r"DROP SCHEMA IF EXISTS public CASCADE;\s*CREATE SCHEMA public;", pairs["--command"])
    restore = restore_command("pg_restore", DATABASE, "/b/tracking.dump")
    assert restore[-1] == "/b/tracking.dump" and dict(zip(restore, restore[1:]))["--dbname"] == "mlflow"
    assert {"--single-transaction", "--exit-on-error", "--no-owner"} <= set(restore)


@pytest.mark.parametrize("pgpass, sslmode, ca, expected", [
    ("/etc/mlflow/pgpass", "verify-full", "/etc/ssl/db-ca.pem",
     {"PGPASSFILE": "/etc/mlflow/pgpass", "PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/etc/ssl/db-ca.pem"}),
    ("/etc/mlflow/pgpass", "disable", "", {"PGPASSFILE": "/etc/mlflow/pgpass", "PGSSLMODE": "disable"}),
    ("", "require", "", {"PGSSLMODE": "require"}),
])
def test_the_environment_names_the_password_file_and_tls_only(pgpass, sslmode, ca, expected):
    assert libpq_environment(pgpass, sslmode, ca) == expected


# -- file names in a backup -----------------------------------------------------------------

@pytest.mark.parametrize("params, shared", [
    (dict(backend="sqlite", databases=[], sqlite_files=["/var/lib/mlflow/mlflow.db", "/var/lib/mlflow/auth.db"]), []),
    (dict(backend="sqlite", databases=[], sqlite_files=["/a/mlflow.db", "/b/mlflow.db"]), ["mlflow.db"]),
    (dict(backend="sqlite", databases=[], sqlite_files=["/a/manifest.json"]), ["manifest.json"]),
    (dict(backend="postgresql", sqlite_files=["/a/x.db", "/b/x.db"],
          databases=[dict(DATABASE), dict(DATABASE, role="auth", name="mlflow_auth")]), []),
    (dict(backend="postgresql", sqlite_files=[], databases=[dict(DATABASE), dict(DATABASE, name="mlflow_auth")]),
     ["tracking.dump"]),
])
def test_two_stores_that_would_share_a_file_of_the_backup(params, shared):
    assert same_file_names(params) == shared


def test_the_documented_options_are_the_argument_spec():
    documented = yaml.safe_load(mlflow_store_backup.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(ARGUMENT_SPEC)
    for name, spec in ARGUMENT_SPEC.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default") or (
            documented[name].get("default") in ("", None) and spec.get("default") in ("", None)), name
    assert sorted(documented["databases"]["suboptions"]) == sorted(ARGUMENT_SPEC["databases"]["options"])
