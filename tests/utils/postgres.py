"""A throwaway PostgreSQL cluster on this machine (Debian's postgresql, installed by
tests/utils/apt-install.sh when missing): initdb in a directory of its own under /tmp as the
`postgres` system user (initdb refuses root), listening on 127.0.0.1 and a Unix socket in that
directory only, with TLS on (a certificate for 127.0.0.1 from a CA made here) and three login
users, each with its own authentication method in pg_hba.conf: scram-sha-256, md5 and password
(cleartext). Stopped and removed at the end; nothing of the machine's own clusters is touched."""

import contextlib
import glob
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

from utils.certificates import make_ca, make_server_certificate, pem_certificate, pem_key
from utils.ports import free_port

APT_INSTALL = pathlib.Path(__file__).resolve().parent / "apt-install.sh"
SUPERUSER_PASSWORD = "Pg-Super-S3cret-0"
# user: (password, pg_hba.conf method). A password of md5 is stored as MD5 (with the default,
# scram-sha-256, the server would run SCRAM for md5 lines too).
USERS = {
    "mlflow": ("Mlflow-Db-S3cret-1", "scram-sha-256"),
    "legacy": ("Legacy-Md5-S3cret-2", "md5"),
    "plain": ("Plain-Text-S3cret-3", "password"),
}
DATABASES = ("mlflow", "mlflow_auth")


class Cluster(object):
    def __init__(self, directory, port, ca_path, other_ca_path):
        self.directory = directory
        self.port = port
        self.host = "127.0.0.1"
        self.socket_directory = str(directory)
        self.ca_path = str(ca_path)
        self.other_ca_path = str(other_ca_path)
        self.passwords = dict((user, password) for user, (password, _method) in USERS.items())
        self.databases = list(DATABASES)


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def install():
    if bindir() is None or not os.path.exists("/usr/share/postgresql-common"):
        subprocess.run([str(APT_INSTALL), "postgresql"], check=True, timeout=900)
    return bindir()


def _as_postgres():
    """The command prefix that runs a program as the postgres user (none when we are not root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(command, **kwargs):
    process = subprocess.run(_as_postgres() + command, capture_output=True, text=True, timeout=120, check=False,
                             **kwargs)
    assert process.returncode == 0, "%s failed: %s%s" % (command[0], process.stdout[-2000:], process.stderr[-2000:])
    return process


def _sql(bin_directory, directory, port, statements):
    for statement in statements:
        _run([os.path.join(bin_directory, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(directory),
              "-p", str(port), "-U", "postgres", "-d", "postgres", "-c", statement],
             env=dict(os.environ, PGPASSWORD=SUPERUSER_PASSWORD))


def psql(cluster, database, statements):
    """The output of statements (one psql -c, one transaction; rows as unaligned text) run by the
    superuser in database of a running Cluster, on its Unix socket."""
    return _run([os.path.join(bindir(), "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                 "-h", cluster.socket_directory, "-p", str(cluster.port), "-U", "postgres", "-d", database,
                 "-c", statements], env=dict(os.environ, PGPASSWORD=SUPERUSER_PASSWORD)).stdout


@contextlib.contextmanager
def running_cluster():
    """A started Cluster, removed after."""
    bin_directory = install()
    directory = pathlib.Path(tempfile.mkdtemp(prefix="sfmlops-pg-"))
    started = False
    try:
        ca_key, ca_certificate = make_ca("sfmlops test CA")
        _other_key, other_ca = make_ca("sfmlops other CA")
        key, certificate = make_server_certificate(ca_key, ca_certificate)
        files = {
            "ca.pem": pem_certificate(ca_certificate),
            "other-ca.pem": pem_certificate(other_ca),
            "server.crt": pem_certificate(certificate),
            "server.key": pem_key(key),
            "pwfile": SUPERUSER_PASSWORD.encode() + b"\n",
        }
        for name, content in files.items():
            (directory / name).write_bytes(content)
        (directory / "server.key").chmod(0o600)
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            for path in [directory] + [directory / name for name in files]:
                os.chown(str(path), postgres.pw_uid, postgres.pw_gid)
        data = directory / "data"
        _run([os.path.join(bin_directory, "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
              "--pwfile=%s" % (directory / "pwfile"), "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
        hba = ["local all postgres scram-sha-256"]
        hba += ["host all %s 127.0.0.1/32 %s" % (user, method) for user, (_password, method) in USERS.items()]
        hba += ["local all all scram-sha-256"]
        (data / "pg_hba.conf").write_text("\n".join(hba) + "\n")  # initdb's file: its owner stays
        port = free_port()
        options = " ".join([
            "-p %d" % port, "-k %s" % directory, "-c listen_addresses=127.0.0.1", "-c ssl=on",
            "-c ssl_cert_file=%s/server.crt" % directory, "-c ssl_key_file=%s/server.key" % directory,
            "-c fsync=off", "-c max_connections=20", "-c shared_buffers=16MB",
        ])
        _run([os.path.join(bin_directory, "pg_ctl"), "-D", str(data), "-l", str(directory / "log"), "-w", "-t", "60",
              "-o", options, "start"])
        started = True
        statements = []
        for user, (password, method) in USERS.items():
            encryption = "md5" if method == "md5" else "scram-sha-256"
            statements.append("SET password_encryption = '%s'; CREATE ROLE %s LOGIN PASSWORD '%s'"
                              % (encryption, user, password))
        statements += ["CREATE DATABASE %s OWNER mlflow" % name for name in DATABASES]
        _sql(bin_directory, directory, port, statements)
        yield Cluster(directory, port, directory / "ca.pem", directory / "other-ca.pem")
    finally:
        if started:
            subprocess.run(_as_postgres() + [os.path.join(bin_directory, "pg_ctl"), "-D", str(directory / "data"),
                                             "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, check=False)
        shutil.rmtree(str(directory), ignore_errors=True)
