"""mlflow_store_backup through ansible-playbook against a throwaway PostgreSQL of this machine
(tests/utils/postgres.py: TLS with a CA of its own, SCRAM-SHA-256), with the real pg_dump, psql and
pg_restore, as role mlflow_host runs it around an upgrade: the stores and the password file from
the mlflow_host_stores filter (the password holds ':' and '\\', which the password file escapes),
both databases backed up, then changed as a failed migration would change them (a table added,
rows deleted, a sequence moved on), restored, and their contents back, the added table gone, every
object still the mlflow user's. The password shows nowhere at -vvv, a wrong one fails in words and
leaves no half backup, and the EXAMPLES run as written."""

import os

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.store_backup import NAME
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.stores import stores
from utils.examples import example_tasks
from utils.playbook import failed_messages, recap_changed, run_playbook
from utils.postgres import SUPERUSER_PASSWORD, psql, running_cluster

MODULE = "sparkflows.mlops.mlflow_store_backup"
# What a password file must escape: libpq reads it back only if ':' and '\' are.
PASSWORD = "Bk:Pass\\w0rd:S3cret"
WRONG_PASSWORD = "Not:The\\Passw0rd"
TRACKING = """
SET ROLE mlflow;
DROP TABLE IF EXISTS runs, experiments, added_by_migration;
CREATE TABLE experiments (experiment_id SERIAL PRIMARY KEY, name TEXT UNIQUE NOT NULL, lifecycle_stage TEXT);
CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, experiment_id INTEGER REFERENCES experiments, status TEXT);
INSERT INTO experiments (name, lifecycle_stage) VALUES ('Default', 'active'), ('churn', 'active'),
    ('fraud', 'deleted');
INSERT INTO runs VALUES ('r1', 1, 'FINISHED'), ('r2', 2, 'FAILED'), ('r3', 2, 'RUNNING');
"""
AUTH = """
SET ROLE mlflow;
DROP TABLE IF EXISTS experiment_permissions, users, added_by_migration;
CREATE TABLE users (id SERIAL PRIMARY KEY, username TEXT UNIQUE NOT NULL, password_hash TEXT, is_admin BOOLEAN);
CREATE TABLE experiment_permissions (experiment_id TEXT, user_id INTEGER REFERENCES users, permission TEXT);
INSERT INTO users (username, password_hash, is_admin) VALUES ('admin', 'pbkdf2:x', true), ('alice', 'pbkdf2:y', false);
INSERT INTO experiment_permissions VALUES ('1', 2, 'READ'), ('2', 2, 'MANAGE');
"""
# What a migration that failed half way leaves behind.
CHANGES = {
    "mlflow": """
SET ROLE mlflow;
CREATE TABLE added_by_migration (id INTEGER);
DELETE FROM runs WHERE status != 'FINISHED';
INSERT INTO experiments (name) VALUES ('made after the backup');
ALTER TABLE experiments ADD COLUMN tags TEXT;
""",
    "mlflow_auth": """
SET ROLE mlflow;
CREATE TABLE added_by_migration (id INTEGER);
DELETE FROM experiment_permissions;
DELETE FROM users WHERE NOT is_admin;
""",
}


@pytest.fixture(scope="module")
def cluster():
    with running_cluster() as started:
        # standard_conforming_strings: the backslash is itself in the literal.
        psql(started, "postgres", "ALTER ROLE mlflow PASSWORD '%s'" % PASSWORD)
        yield started


@pytest.fixture
def seeded(cluster):
    psql(cluster, "mlflow", TRACKING)
    psql(cluster, "mlflow_auth", AUTH)
    return contents(cluster)


def contents(cluster):
    """Per database: its tables with their owners, columns and rows, and its sequences' state."""
    found = {}
    for database in cluster.databases:
        tables = psql(cluster, database, "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
                                         "ORDER BY 1").split()
        state = {"tables": tables}
        for line in tables:
            table = line.split("|")[0]
            state[table] = psql(cluster, database, "SELECT * FROM %s AS t ORDER BY t::text" % table)
            state[table + " columns"] = psql(cluster, database, "SELECT column_name, data_type FROM "
                                                                "information_schema.columns WHERE table_name = '%s' "
                                                                "ORDER BY ordinal_position" % table)
        for sequence in psql(cluster, database, "SELECT sequencename FROM pg_sequences ORDER BY 1").split():
            state[sequence] = psql(cluster, database, "SELECT last_value, is_called FROM %s" % sequence)
        found[database] = state
    return found


def store_inputs(cluster, tmp_path):
    """The role's variables (without mlflow_host_) for this cluster: TLS verified with its CA."""
    (tmp_path / "etc").mkdir(exist_ok=True)
    return dict(db_host=cluster.host, db_port=cluster.port, db_user="mlflow", db_password="{{ db_password }}",
                db_name="mlflow", db_auth_name="mlflow_auth", db_ca_path=cluster.ca_path,
                config_dir=str(tmp_path / "etc"), artifacts_destination=str(tmp_path / "artifacts"))


def with_stores(task):
    """A task that reads the stores as role mlflow_host does (vars/main.yml)."""
    task["vars"] = {"stores": "{{ store_inputs | sparkflows.mlops.mlflow_host_stores }}"}
    return task


def password_file_task():
    return with_stores({"name": "Write PostgreSQL's password file", "ansible.builtin.copy": {
        "content": "{{ stores.pgpass }}", "dest": "{{ stores.pgpass_path }}", "mode": "0600"},
        "no_log": True, "diff": False})


def module_task(name, **options):
    args = {"backend": "{{ stores.backend }}", "databases": "{{ stores.postgresql.databases }}",
            "sslmode": "{{ stores.postgresql.sslmode }}", "ca_path": "{{ stores.postgresql.ca_path }}",
            "pgpass_path": "{{ stores.pgpass_path }}"}
    args.update(options)
    return with_stores({"name": name, MODULE: args})


def play(tmp_path, cluster, tasks, password=PASSWORD, **kwargs):
    variables = {"store_inputs": store_inputs(cluster, tmp_path), "db_password": password}
    return run_playbook(tmp_path, tasks, extra_vars=variables, timeout=180, **kwargs)


def backups_in(directory):
    return sorted(name for name in os.listdir(str(directory)) if NAME.match(name)) if directory.is_dir() else []


def secrets():
    escaped = [p.replace("\\", "\\\\").replace(":", "\\:") for p in (PASSWORD, WRONG_PASSWORD)]
    # Their JSON forms (a backslash doubled) and parts.
    return [PASSWORD, WRONG_PASSWORD, SUPERUSER_PASSWORD] + escaped + ["Pass\\\\w0rd", "Passw0rd", "Bk:Pass"]


def test_a_backup_restored_brings_both_databases_back_and_drops_what_came_after(tmp_path, cluster, seeded):
    dest = tmp_path / "backups"
    taken = play(tmp_path, cluster, [password_file_task(), module_task(
        "Back up the stores", dest=str(dest), label="current-to-next", keep=2)])
    assert taken.rc == 0, taken.stdout[-3000:]
    backup = taken.result
    assert backup["changed"] is True and os.path.dirname(backup["path"]) == str(dest)
    assert backup["path"].endswith("-current-to-next")
    assert backups_in(dest) == [os.path.basename(backup["path"])]
    assert sorted(os.path.basename(path) for path in backup["files"]) == ["auth.dump", "tracking.dump"]
    assert all(os.path.getsize(path) > 0 for path in backup["files"])
    # pg_dump's custom format (what pg_restore reads): its magic.
    assert all(open(path, "rb").read(5) == b"PGDMP" for path in backup["files"])
    assert (tmp_path / "etc" / "pgpass").stat().st_mode & 0o077 == 0

    for database, changes in CHANGES.items():
        psql(cluster, database, changes)
    changed = contents(cluster)
    assert changed != seeded
    assert "added_by_migration|mlflow" in changed["mlflow"]["tables"]

    restored = play(tmp_path, cluster, [password_file_task(), module_task(
        "Restore the stores", state="restored", path=backup["path"])])
    assert restored.rc == 0, restored.stdout[-3000:]
    assert restored.result["restored"] == ["mlflow", "mlflow_auth"]
    back = contents(cluster)
    assert back == seeded
    for database in cluster.databases:
        assert not [line for line in back[database]["tables"] if line.startswith("added_by_migration")]
        assert all(line.endswith("|mlflow") for line in back[database]["tables"])  # still the server's user's
    # The sequences are back too: the next experiment takes the id after the backed-up ones.
    assert psql(cluster, "mlflow", "SET ROLE mlflow; INSERT INTO experiments (name) VALUES ('next') "
                                   "RETURNING experiment_id").strip() == "4"


def test_retention_across_runs_keeps_the_newest(tmp_path, cluster, seeded):
    dest = tmp_path / "backups"
    dest.mkdir()
    for name in ("20240101T000000Z-a", "20240102T000000Z-b", "20240103T000000Z-c"):
        (dest / name).mkdir()
    taken = play(tmp_path, cluster, [password_file_task(), module_task("Back up", dest=str(dest), keep=2)])
    assert taken.rc == 0, taken.stdout[-3000:]
    assert taken.result["removed"] == ["20240101T000000Z-a", "20240102T000000Z-b"]
    assert backups_in(dest) == ["20240103T000000Z-c", os.path.basename(taken.result["path"])]


def test_no_password_shows_at_vvv(tmp_path, cluster, seeded):
    dest = tmp_path / "backups"
    wrong_file = tmp_path / "wrong-pgpass"
    wrong = stores(dict(store_inputs(cluster, tmp_path), db_password=WRONG_PASSWORD))
    wrong_file.write_text(wrong["pgpass"])
    wrong_file.chmod(0o600)
    result = play(tmp_path, cluster, [
        password_file_task(),
        dict(module_task("Back up", dest=str(dest), label="vvv"), register="backup"),
        module_task("Restore", state="restored", path="{{ backup.path }}"),
        dict(module_task("Back up with a wrong password", dest=str(tmp_path / "wrong"), pgpass_path=str(wrong_file)),
             ignore_errors=True),
    ], args=["-vvv"], callback="default")
    output = result.stdout + result.stderr
    assert result.rc == 0, output[-3000:]
    assert recap_changed(result.stdout) >= 2
    messages = failed_messages(result.stdout)
    assert len(messages) == 1 and "password authentication failed for user \"mlflow\"" in messages[0], messages
    leaked = [secret for secret in secrets() if secret in output]
    assert leaked == []


def test_a_wrong_password_fails_in_words_and_leaves_no_half_backup(tmp_path, cluster, seeded):
    dest = tmp_path / "backups"
    result = play(tmp_path, cluster, [password_file_task(), dict(
        module_task("Back up", dest=str(dest), keep=1), ignore_errors=True)], password=WRONG_PASSWORD)
    failed = result.result
    assert failed["failed"] is True
    assert failed["msg"].startswith("pg_dump of database mlflow failed (exit 1): "), failed["msg"]
    assert "password authentication failed for user \"mlflow\"" in failed["msg"]
    assert WRONG_PASSWORD not in failed["msg"] and PASSWORD not in failed["msg"]
    assert backups_in(dest) == []
    assert contents(cluster) == seeded


def test_check_mode_neither_backs_up_nor_restores(tmp_path, cluster, seeded):
    dest = tmp_path / "backups"
    taken = play(tmp_path, cluster, [password_file_task(), module_task("Back up", dest=str(dest))])
    psql(cluster, "mlflow", CHANGES["mlflow"])
    changed = contents(cluster)
    checked = play(tmp_path, cluster, [
        module_task("Back up", dest=str(dest), label="check"),
        module_task("Restore", state="restored", path=taken.result["path"]),
    ], args=["--check"])
    assert checked.rc == 0, checked.stdout[-3000:]
    assert [r["changed"] for r in checked.results] == [True, True]
    assert checked.results[1]["restored"] == ["mlflow", "mlflow_auth"]
    assert backups_in(dest) == [os.path.basename(taken.result["path"])]
    assert contents(cluster) == changed


def test_examples_run_as_written(tmp_path, cluster, seeded):
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(stores(dict(store_inputs(cluster, tmp_path), db_password=PASSWORD))["pgpass"])
    pgpass.chmod(0o600)
    dest = tmp_path / "backups"
    tasks = example_tasks(MODULE, {
        "host: db1.example.net": "host: %s, port: %d" % (cluster.host, cluster.port),
        "/etc/mlflow/pgpass": str(pgpass),
        # Not /var/backups/mlflow of this machine.
        "label: current-to-next": "label: current-to-next\n    dest: %s" % dest,
    })
    result = run_playbook(tmp_path, tasks, timeout=180)
    assert result.rc == 0, result.stdout[-3000:]
    assert len(result.results) == len(tasks) == 2
    backup, restored = result.results
    assert backups_in(dest) == [os.path.basename(backup["path"])] and backup["path"].endswith("-current-to-next")
    assert restored["restored"] == ["mlflow", "mlflow_auth"]
    assert contents(cluster) == seeded
