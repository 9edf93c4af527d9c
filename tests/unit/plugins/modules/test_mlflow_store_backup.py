"""mlflow_store_backup run as Ansible runs it (a module process with its JSON arguments).

SQLite for real, in tmp_path: two small databases backed up, changed, restored byte for byte (with
the owner and mode they had: the server's user must still write them); the oldest backups beyond
`keep` removed and nothing else; check mode writes nothing and says what a restore would bring
back; a directory that is no backup of the module is refused in words. PostgreSQL through stand-in
pg_dump, psql and pg_restore that record their arguments and environment: libpq's password file,
sslmode and CA are in the environment, the password is in no argument, no environment value and
no result; a failed step says which and leaves no half backup. tests/integration/plugins/modules/
test_mlflow_store_backup.py runs the real tools against a throwaway PostgreSQL."""

import json
import os
import sqlite3
import stat
import sys
import time

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.store_backup import NAME, backup_name
from utils.module import run_module

PASSWORD = "Pg:Pass\\w0rd-Never-Shown"


def run(tmp_path, **args):
    return run_module("mlflow_store_backup", tmp_path, **args)


def make_sqlite(path, table, rows):
    with sqlite3.connect(str(path)) as connection:
        connection.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, name TEXT)" % table)
        connection.executemany("INSERT INTO %s (name) VALUES (?)" % table, [(row,) for row in rows])
    connection.close()
    return str(path)


def rows_of(path, table):
    with sqlite3.connect(str(path)) as connection:
        found = [row[0] for row in connection.execute("SELECT name FROM %s ORDER BY id" % table)]
    connection.close()
    return found


@pytest.fixture
def stores(tmp_path):
    """A tracking and a basic-auth SQLite store in a data directory."""
    data = tmp_path / "data"
    data.mkdir()
    tracking = make_sqlite(data / "mlflow.db", "experiments", ["Default", "churn", "fraud"])
    auth = make_sqlite(data / "basic_auth.db", "users", ["admin", "alice"])
    return tracking, auth


def sqlite_args(tmp_path, files, **more):
    args = dict(backend="sqlite", sqlite_files=list(files), dest=str(tmp_path / "backups"))
    args.update(more)
    return args


def backups_in(directory):
    return sorted(name for name in os.listdir(str(directory)) if NAME.match(name)) if directory.exists() else []


def snapshot(tmp_path):
    """Every file of the stores and the backups with its bytes, mode and owner (not the module's
    arguments file run_module writes)."""
    found = {}
    walked = [walk for name in ("data", "backups", "other") for walk in os.walk(str(tmp_path / name))]
    for root, _dirs, files in walked:
        for name in files:
            path = os.path.join(root, name)
            status = os.stat(path)
            with open(path, "rb") as handle:
                found[path] = (handle.read(), status.st_mode, status.st_uid, status.st_gid)
    return found


# -- SQLite ---------------------------------------------------------------------------------

def test_a_backup_changed_and_restored_is_byte_for_byte_the_stores_backed_up(tmp_path, stores):
    tracking, auth = stores
    before = {path: open(path, "rb").read() for path in stores}
    taken = run(tmp_path, **sqlite_args(tmp_path, stores, label="current-to-next"))
    assert taken["changed"] is True and not taken.get("failed"), taken
    backup = taken["path"]
    assert os.path.dirname(backup) == str(tmp_path / "backups")
    assert NAME.match(os.path.basename(backup)) and backup.endswith("-current-to-next")
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o700
    assert sorted(os.path.basename(path) for path in taken["files"]) == ["basic_auth.db", "mlflow.db"]
    assert all(os.path.dirname(path) == backup for path in taken["files"])
    manifest = json.load(open(os.path.join(backup, "manifest.json")))
    assert manifest["backend"] == "sqlite" and manifest["sqlite_files"] == list(stores)

    # What a failed migration leaves: rows gone, a table added, a table dropped.
    with sqlite3.connect(tracking) as connection:
        connection.execute("DELETE FROM experiments WHERE name != 'Default'")
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
    connection.close()
    with sqlite3.connect(auth) as connection:
        connection.execute("DROP TABLE users")
    connection.close()
    assert open(tracking, "rb").read() != before[tracking]

    restored = run(tmp_path, **sqlite_args(tmp_path, stores, state="restored", path=backup))
    assert restored["changed"] is True and restored["restored"] == list(stores), restored
    assert {path: open(path, "rb").read() for path in stores} == before
    assert rows_of(tracking, "experiments") == ["Default", "churn", "fraud"]
    assert rows_of(auth, "users") == ["admin", "alice"]
    assert not [name for name in os.listdir(os.path.dirname(tracking)) if name.endswith(".restoring")]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_restore_as_root_keeps_the_owner_and_mode_the_server_needs(tmp_path, stores):
    """The module runs as root (become), the tracking server as its own user: a restored
    database it cannot write would stop it ("attempt to write a readonly database")."""
    for path in stores:
        os.chown(path, 4242, 4343)
        os.chmod(path, 0o640)
    backup = run(tmp_path, **sqlite_args(tmp_path, stores))["path"]
    for path in stores:
        os.unlink(path)
        make_sqlite(path, "other", ["written by the new version"])  # as root, 0644 by the umask
        os.chown(path, 4242, 4343)
    run(tmp_path, **sqlite_args(tmp_path, stores, state="restored", path=backup))
    for path in stores:
        status = os.stat(path)
        assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (4242, 4343, 0o640), path
    # A store the failed version removed comes back owned as its directory is.
    os.chown(str(tmp_path / "data"), 4242, 4343)
    os.unlink(stores[1])
    run(tmp_path, **sqlite_args(tmp_path, stores, state="restored", path=backup))
    assert (os.stat(stores[1]).st_uid, os.stat(stores[1]).st_gid) == (4242, 4343)
    assert rows_of(stores[1], "users") == ["admin", "alice"]


def test_a_store_not_made_yet_is_left_out_and_not_restored(tmp_path, stores):
    tracking, auth = stores
    os.unlink(auth)
    taken = run(tmp_path, **sqlite_args(tmp_path, stores))
    assert [os.path.basename(path) for path in taken["files"]] == ["mlflow.db"]
    make_sqlite(auth, "users", ["made by the new version"])
    restored = run(tmp_path, **sqlite_args(tmp_path, stores, state="restored", path=taken["path"]))
    assert restored["restored"] == [tracking]
    assert rows_of(auth, "users") == ["made by the new version"]


def test_the_oldest_backups_beyond_keep_are_removed_and_nothing_else(tmp_path, stores):
    dest = tmp_path / "backups"
    dest.mkdir()
    now = time.time()
    old = [backup_name(now - days * 86400, "v%d" % days) for days in (6, 5, 4, 3, 2, 1)]
    for name in old:
        (dest / name).mkdir()
        (dest / name / "mlflow.db").write_text("old")
    (dest / "notes").mkdir()
    (dest / "README").write_text("not a backup")
    result = run(tmp_path, **sqlite_args(tmp_path, stores, keep=3))
    assert not result.get("failed"), result
    assert sorted(result["removed"]) == sorted(old[:4])
    assert backups_in(dest) == sorted(old[4:] + [os.path.basename(result["path"])])
    assert (dest / "notes").is_dir() and (dest / "README").is_file()
    # The new one counts among those kept: keep=1 leaves it alone.
    result = run(tmp_path, **sqlite_args(tmp_path, stores, keep=1, label="last"))
    assert backups_in(dest) == [os.path.basename(result["path"])]


def test_keep_zero_keeps_every_backup(tmp_path, stores):
    dest = tmp_path / "backups"
    dest.mkdir()
    old = [backup_name(time.time() - days * 86400, "") for days in range(1, 8)]
    for name in old:
        (dest / name).mkdir()
    result = run(tmp_path, **sqlite_args(tmp_path, stores, keep=0))
    assert result["removed"] == [] and len(backups_in(dest)) == len(old) + 1


def test_check_mode_takes_no_backup_and_removes_none(tmp_path, stores):
    dest = tmp_path / "backups"
    result = run(tmp_path, _ansible_check_mode=True, **sqlite_args(tmp_path, stores))
    assert result["changed"] is True and result["files"] == [] and not result.get("failed"), result
    assert os.path.dirname(result["path"]) == str(dest) and NAME.match(os.path.basename(result["path"]))
    assert not dest.exists()
    dest.mkdir()
    old = [backup_name(time.time() - days * 86400, "") for days in (3, 2, 1)]
    for name in old:
        (dest / name).mkdir()
    result = run(tmp_path, _ansible_check_mode=True, **sqlite_args(tmp_path, stores, keep=2))
    assert result["removed"] == old[:2]  # what would go
    assert backups_in(dest) == old


def test_check_mode_restores_nothing_and_says_what_it_would(tmp_path, stores):
    backup = run(tmp_path, **sqlite_args(tmp_path, stores))["path"]
    with sqlite3.connect(stores[0]) as connection:
        connection.execute("DELETE FROM experiments")
    connection.close()
    before = snapshot(tmp_path)
    result = run(tmp_path, _ansible_check_mode=True, **sqlite_args(tmp_path, stores, state="restored", path=backup))
    assert result["changed"] is True and result["restored"] == list(stores), result
    assert snapshot(tmp_path) == before
    assert rows_of(stores[0], "experiments") == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_directory_without_manifest_is_refused_in_words(tmp_path, stores, check_mode):
    directory = tmp_path / "backups" / "20251206T060000Z"
    directory.mkdir(parents=True)
    (directory / "mlflow.db").write_bytes(b"not a database")
    before = snapshot(tmp_path)
    result = run(tmp_path, _ansible_check_mode=check_mode,
                 **sqlite_args(tmp_path, stores, state="restored", path=str(directory)))
    assert result["failed"] is True
    assert result["msg"].startswith("%s is not a backup of this module (" % directory), result["msg"]
    assert "manifest.json" in result["msg"]
    assert snapshot(tmp_path) == before


def test_a_backup_with_a_file_missing_is_refused_before_anything_is_restored(tmp_path, stores):
    backup = run(tmp_path, **sqlite_args(tmp_path, stores))["path"]
    os.unlink(os.path.join(backup, "basic_auth.db"))
    with sqlite3.connect(stores[0]) as connection:
        connection.execute("DELETE FROM experiments")
    connection.close()
    for check_mode in (True, False):
        result = run(tmp_path, _ansible_check_mode=check_mode,
                     **sqlite_args(tmp_path, stores, state="restored", path=backup))
        assert result["failed"] is True and result["msg"] == "%s has no copy of %s" % (backup, stores[1])


def test_a_backup_of_another_kind_of_store_is_refused(tmp_path, stores):
    backup = run(tmp_path, **sqlite_args(tmp_path, stores))["path"]
    result = run(tmp_path, backend="postgresql", state="restored", path=backup,
                 databases=[dict(role="tracking", host="127.0.0.1", name="mlflow", user="mlflow")])
    assert result["failed"] is True
    assert result["msg"] == "%s is a backup of a sqlite store, not postgresql" % backup


def test_two_stores_of_one_file_name_are_refused_before_anything_is_written(tmp_path, stores):
    other = tmp_path / "other"
    other.mkdir()
    same_name = make_sqlite(other / "mlflow.db", "users", ["admin"])
    result = run(tmp_path, **sqlite_args(tmp_path, [stores[0], same_name]))
    assert result["failed"] is True and "mlflow.db" in result["msg"], result
    assert not (tmp_path / "backups").exists()


def test_a_label_cannot_leave_dest(tmp_path, stores):
    result = run(tmp_path, **sqlite_args(tmp_path, stores, label="../../etc/cron.d x"))
    assert os.path.dirname(result["path"]) == str(tmp_path / "backups")
    assert NAME.match(os.path.basename(result["path"]))


@pytest.mark.parametrize("args, message", [
    (dict(backend="sqlite", state="restored"), "state is restored but all of the following are missing: path"),
    (dict(backend="postgresql"), "backend postgresql needs databases"),
    (dict(backend="mysql"), "value of backend must be one of: sqlite, postgresql"),
])
def test_arguments_that_cannot_work_are_refused(tmp_path, args, message):
    result = run(tmp_path, dest=str(tmp_path / "backups"), **args)
    assert result["failed"] is True and message in result["msg"], result
    assert not (tmp_path / "backups").exists()


# -- PostgreSQL, through stand-in tools -------------------------------------------------------

STAND_IN = r'''#!%(python)s
"""A stand-in of %(name)s: records its arguments and libpq's environment, writes the dump."""
import json, os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["FAKE_PG_LOG"], "a") as log:
    log.write(json.dumps(dict(argv=sys.argv, environ=dict(os.environ))) + "\n")
if os.environ.get("FAKE_PG_FAIL") == name:
    sys.stderr.write('%%s: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
                     'password authentication failed for user "mlflow"\n' %% name)
    sys.exit(1)
if name == "pg_dump":
    with open(sys.argv[sys.argv.index("--file") + 1], "w") as dump:
        dump.write("dump of " + sys.argv[sys.argv.index("--dbname") + 1])
'''
DATABASES = [dict(role="tracking", host="db1.example.net", port=6432, name="mlflow", user="mlflow"),
             dict(role="auth", host="db1.example.net", port=6432, name="mlflow_auth", user="mlflow")]


@pytest.fixture
def pg_tools(tmp_path, monkeypatch):
    """pg_dump, psql and pg_restore stand-ins first on PATH (only they, with tools=...: none
    other of PATH), and the password file with PASSWORD. Returns the calls made."""
    directory = tmp_path / "pgbin"
    directory.mkdir()
    log = tmp_path / "pg-calls.jsonl"
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("db1.example.net:6432:*:mlflow:%s\n" % PASSWORD.replace("\\", "\\\\").replace(":", "\\:"))
    pgpass.chmod(0o600)

    def install(tools=("pg_dump", "psql", "pg_restore"), only=False):
        for name in tools:
            path = directory / name
            path.write_text(STAND_IN % dict(python=sys.executable, name=name))
            path.chmod(0o755)
        monkeypatch.setenv("PATH", str(directory) if only else "%s:%s" % (directory, os.environ["PATH"]))
        monkeypatch.setenv("FAKE_PG_LOG", str(log))

    def calls():
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    install.calls = calls
    install.pgpass = str(pgpass)
    return install


def pg_args(tmp_path, pg_tools, **more):
    args = dict(backend="postgresql", databases=DATABASES, sslmode="verify-full", ca_path="/etc/ssl/db-ca.pem",
                pgpass_path=pg_tools.pgpass, dest=str(tmp_path / "backups"), label="current-to-next")
    args.update(more)
    return args


def assert_no_password(calls, *results):
    for call in calls:
        assert not [arg for arg in call["argv"] if "Pass\\w0rd" in arg or "password=" in arg.lower()], call["argv"]
        assert not [value for value in call["environ"].values() if "Pass\\w0rd" in value]
        assert "PGPASSWORD" not in call["environ"]
        assert "--no-password" in call["argv"]
    for result in results:
        assert "Pass\\w0rd" not in json.dumps(result) and "Pass\\\\w0rd" not in json.dumps(result)


def test_pg_dump_of_each_database_with_libpqs_environment_and_no_password(tmp_path, pg_tools):
    pg_tools()
    result = run(tmp_path, **pg_args(tmp_path, pg_tools))
    assert result["changed"] is True and not result.get("failed"), result
    calls = pg_tools.calls()
    assert [os.path.basename(call["argv"][0]) for call in calls] == ["pg_dump", "pg_dump"]
    for call, database in zip(calls, DATABASES):
        pairs = dict(zip(call["argv"], call["argv"][1:]))
        assert (pairs["--host"], pairs["--port"], pairs["--username"], pairs["--dbname"]) == (
            database["host"], str(database["port"]), database["user"], database["name"])
        assert pairs["--file"] == os.path.join(result["path"], "%s.dump" % database["role"])
        assert call["environ"]["PGPASSFILE"] == pg_tools.pgpass
        assert call["environ"]["PGSSLMODE"] == "verify-full"
        assert call["environ"]["PGSSLROOTCERT"] == "/etc/ssl/db-ca.pem"
    assert_no_password(calls, result)
    assert result["files"] == [os.path.join(result["path"], name) for name in ("tracking.dump", "auth.dump")]
    manifest = json.load(open(os.path.join(result["path"], "manifest.json")))
    assert manifest["backend"] == "postgresql" and manifest["label"] == "current-to-next"
    assert [(d["role"], d["name"], d["host"], d["port"]) for d in manifest["databases"]] == [
        (d["role"], d["name"], d["host"], d["port"]) for d in DATABASES]
    assert "Pass" not in json.dumps(manifest) and "user" not in manifest["databases"][0]


def test_restore_empties_then_restores_each_database_from_its_dump(tmp_path, pg_tools):
    pg_tools()
    backup = run(tmp_path, **pg_args(tmp_path, pg_tools))["path"]
    first = len(pg_tools.calls())
    result = run(tmp_path, **pg_args(tmp_path, pg_tools, state="restored", path=backup, sslmode="disable", ca_path=""))
    assert result["restored"] == ["mlflow", "mlflow_auth"] and not result.get("failed"), result
    calls = pg_tools.calls()[first:]
    assert [os.path.basename(call["argv"][0]) for call in calls] == ["psql", "pg_restore", "psql", "pg_restore"]
    for (empty, restore), database in zip((calls[0:2], calls[2:4]), DATABASES):
        assert dict(zip(empty["argv"], empty["argv"][1:]))["--dbname"] == database["name"]
        assert "DROP SCHEMA IF EXISTS public CASCADE" in " ".join(empty["argv"])
        assert dict(zip(restore["argv"], restore["argv"][1:]))["--dbname"] == database["name"]
        assert restore["argv"][-1] == os.path.join(backup, "%s.dump" % database["role"])
        for call in (empty, restore):
            assert (call["environ"]["PGPASSFILE"], call["environ"]["PGSSLMODE"]) == (pg_tools.pgpass, "disable")
            assert "PGSSLROOTCERT" not in call["environ"]
    assert_no_password(calls, result)


def test_check_mode_runs_no_tool(tmp_path, pg_tools):
    pg_tools()
    backup = run(tmp_path, **pg_args(tmp_path, pg_tools))["path"]
    first = len(pg_tools.calls())
    taken = run(tmp_path, _ansible_check_mode=True, **pg_args(tmp_path, pg_tools, label="again"))
    restored = run(tmp_path, _ansible_check_mode=True, **pg_args(tmp_path, pg_tools, state="restored", path=backup))
    assert pg_tools.calls()[first:] == []
    assert not os.path.exists(taken["path"]) and restored["restored"] == ["mlflow", "mlflow_auth"]


def test_a_failed_pg_dump_says_which_leaves_no_half_backup_and_removes_no_older_one(tmp_path, pg_tools, monkeypatch):
    pg_tools()
    dest = tmp_path / "backups"
    dest.mkdir()
    old = backup_name(time.time() - 86400, "")
    (dest / old).mkdir()
    monkeypatch.setenv("FAKE_PG_FAIL", "pg_dump")
    result = run(tmp_path, **pg_args(tmp_path, pg_tools, keep=1))
    assert result["failed"] is True
    assert result["msg"].startswith("pg_dump of database mlflow failed (exit 1): pg_dump: error: connection to server")
    assert "password authentication failed" in result["msg"]
    assert backups_in(dest) == [old]
    assert_no_password(pg_tools.calls(), result)


def test_a_failed_pg_restore_says_which_database(tmp_path, pg_tools, monkeypatch):
    pg_tools()
    backup = run(tmp_path, **pg_args(tmp_path, pg_tools))["path"]
    monkeypatch.setenv("FAKE_PG_FAIL", "pg_restore")
    result = run(tmp_path, **pg_args(tmp_path, pg_tools, state="restored", path=backup))
    assert result["failed"] is True and result["msg"].startswith("pg_restore of database mlflow failed (exit 1): ")
    assert_no_password(pg_tools.calls(), result)


def test_a_backup_without_the_dump_of_a_database_is_refused_before_any_tool_runs(tmp_path, pg_tools):
    pg_tools()
    backup = run(tmp_path, **pg_args(tmp_path, pg_tools))["path"]
    os.unlink(os.path.join(backup, "auth.dump"))
    first = len(pg_tools.calls())
    for check_mode in (True, False):
        result = run(tmp_path, _ansible_check_mode=check_mode,
                     **pg_args(tmp_path, pg_tools, state="restored", path=backup))
        assert result["failed"] is True and result["msg"] == "%s has no dump of the auth database" % backup
    # Not the tracking database restored and the auth one left as the failed version made it.
    assert pg_tools.calls()[first:] == []


@pytest.mark.parametrize("state, missing", [("present", "pg_dump"), ("restored", "psql")])
def test_a_missing_client_tool_is_named_with_its_package(tmp_path, pg_tools, state, missing):
    pg_tools(tools=[name for name in ("pg_dump", "psql", "pg_restore") if name != missing], only=True)
    dest = tmp_path / "backups" / "20251206T060000Z"
    dest.mkdir(parents=True)
    (dest / "manifest.json").write_text(json.dumps(dict(backend="postgresql")))
    result = run(tmp_path, **pg_args(tmp_path, pg_tools, state=state, path=str(dest)))
    assert result["failed"] is True
    assert result["msg"] == "%s is not installed on this host (Debian package postgresql-client)" % missing
    assert backups_in(tmp_path / "backups") == ["20251206T060000Z"]
