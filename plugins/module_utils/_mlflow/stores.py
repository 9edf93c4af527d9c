# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where an MLflow host keeps its data, as the role mlflow_host needs it: the backend store
(tracking) and the basic-auth app's store, both SQLite on the host or both PostgreSQL (separate
databases: one shared database breaks either's migrations), and the artifact store, a directory
or an S3 bucket the tracking server proxies. Every secret is kept out of the URIs: PostgreSQL's
password goes to a libpq password file, S3's keys to the server's environment file; the URIs
(which reach unit files, process lists and logs) carry none."""

from __future__ import annotations

import posixpath
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

POSTGRESQL_SCHEMES = ('postgresql', 'postgres', 'postgresql+psycopg2')
# The driver named in the URI, not left to SQLAlchemy (whose default changed to psycopg 3 in 2.1):
# every profile installs psycopg2, so one URI serves the version before an upgrade and after.
DRIVER_SCHEME = 'postgresql+psycopg2'
SSLMODES = ('disable', 'prefer', 'require', 'verify-ca', 'verify-full')


class StoreError(ValueError):
    """A store setting that cannot work, in words naming the variable."""


def _text(value):
    return '' if value is None else str(value).strip()


def postgresql_from_uri(uri, variable):
    """{host, port, user, password, database, query} of a postgresql:// URI (the password
    unquoted, empty when none), or StoreError naming variable (never the URI: it may hold the
    password)."""
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname
    except ValueError:  # an unclosed [ of an IPv6 address: its message would be urllib's, not ours
        raise StoreError('%s is not a URI (postgresql://USER@HOST:PORT/DATABASE)' % variable)
    if parts.scheme not in POSTGRESQL_SCHEMES:
        raise StoreError('%s must be a postgresql:// URI' % variable)
    database = unquote(parts.path.lstrip('/'))
    try:
        port = parts.port or 5432
    except ValueError:
        raise StoreError('%s has a port that is not a number' % variable)
    if not hostname or not database or not parts.username:
        raise StoreError('%s must name a host, a user and a database '
                         '(postgresql://USER@HOST:PORT/DATABASE)' % variable)
    query = dict(parse_qsl(parts.query))
    # A password in the query (libpq's ?password=) is a password given too: moved like the other.
    return dict(host=hostname, port=port, user=unquote(parts.username),
                password=unquote(parts.password or '') or query.get('password', ''), database=database,
                query=query)


def postgresql_uri(host, port, user, database, query):
    """The SQLAlchemy URI of a PostgreSQL database, without a password (libpq reads it from the
    password file), its query sorted so a run renders it the same every time."""
    netloc = '%s@%s:%d' % (quote(user, safe=''), ('[%s]' % host) if ':' in host else host, int(port))
    text = '%s://%s/%s' % (DRIVER_SCHEME, netloc, quote(database, safe=''))
    if query:
        text += '?' + urlencode(sorted(query.items()))
    return text


def pgpass_line(host, port, database, user, password):
    """One line of a libpq password file: ':' and '\\' escaped in each field."""
    def field(value):
        return str(value).replace('\\', '\\\\').replace(':', '\\:')
    return ':'.join(field(value) for value in (host, port, database, user, password))


def _postgresql(inputs):
    """The PostgreSQL stores: from mlflow_host_db_* when db_host is set, else from the URIs."""
    host = _text(inputs.get('db_host'))
    if host:
        sslmode = _text(inputs.get('db_sslmode'))
        tracking = dict(host=host, port=int(inputs.get('db_port') or 5432), user=_text(inputs.get('db_user')),
                        password=_text(inputs.get('db_password')), database=_text(inputs.get('db_name')),
                        query={})
        auth = dict(tracking, database=_text(inputs.get('db_auth_name')))
        if not tracking['user'] or not tracking['database'] or not auth['database']:
            raise StoreError('mlflow_host_db_user, mlflow_host_db_name and mlflow_host_db_auth_name must be set '
                             'when mlflow_host_db_host is')
        source = 'mlflow_host_db_name and mlflow_host_db_auth_name'
    else:
        tracking = postgresql_from_uri(_text(inputs.get('backend_store_uri')), 'mlflow_host_backend_store_uri')
        auth_uri = _text(inputs.get('auth_store_uri'))
        if auth_uri:
            auth = postgresql_from_uri(auth_uri, 'mlflow_host_auth_store_uri')
        else:
            auth = dict(tracking, database=tracking['database'] + '_auth')
        if not tracking['password']:
            tracking['password'] = _text(inputs.get('db_password'))
        if not auth['password']:
            auth['password'] = tracking['password'] if auth['user'] == tracking['user'] else ''
        sslmode = tracking['query'].get('sslmode') or _text(inputs.get('db_sslmode'))
        source = 'mlflow_host_backend_store_uri and mlflow_host_auth_store_uri'
    if (tracking['host'], tracking['port'], tracking['database']) == (auth['host'], auth['port'], auth['database']):
        raise StoreError('%s name the same database (%s): the tracking store and the basic-auth store need '
                         'separate databases, or their migrations break each other' % (source, tracking['database']))
    ca_path = _text(inputs.get('db_ca_path')) or tracking['query'].get('sslrootcert', '')
    # TLS is verified or not spoken: a CA given means verify-full, none means plain (libpq's
    # own default, prefer, would speak TLS without checking whom to).
    sslmode = sslmode or ('verify-full' if ca_path else 'disable')
    if sslmode not in SSLMODES:
        raise StoreError('mlflow_host_db_sslmode must be one of %s (got %s)' % (', '.join(SSLMODES), sslmode))
    if sslmode in ('verify-ca', 'verify-full') and not ca_path:
        raise StoreError('mlflow_host_db_sslmode %s needs mlflow_host_db_ca_path, the CA bundle on the MLflow host '
                         'that signed the PostgreSQL server certificate' % sslmode)
    for store in (tracking, auth):
        if not store['password']:
            raise StoreError('PostgreSQL user %s of database %s has no password: set mlflow_host_db_password '
                             '(from Ansible Vault or an AWX credential)' % (store['user'], store['database']))
        if '\n' in store['password'] or '\r' in store['password']:
            # A libpq password file is read line by line: the rest would be a line of its own.
            raise StoreError('the password of PostgreSQL user %s holds a line break, which a libpq password file '
                             'cannot: set mlflow_host_db_password (or the URI\'s) without one'
                             % store['user'])
        store['query'] = dict(store['query'], sslmode=sslmode)
        store['query'].pop('password', None)
        if ca_path:
            store['query']['sslrootcert'] = ca_path
    return tracking, auth, sslmode, ca_path


def _artifacts(inputs):
    destination = _text(inputs.get('artifacts_destination'))
    if not destination.startswith('s3://'):
        if not destination.startswith('/'):
            raise StoreError('mlflow_host_artifacts_destination must be an absolute directory or s3://BUCKET/PREFIX '
                             '(got %s)' % destination)
        return 'local', None, {}
    bucket, _sep, prefix = destination[len('s3://'):].partition('/')
    if not bucket:
        raise StoreError('mlflow_host_artifacts_destination s3:// names no bucket')
    access_key, secret_key = _text(inputs.get('s3_access_key')), _text(inputs.get('s3_secret_key'))
    if bool(access_key) != bool(secret_key):
        raise StoreError('mlflow_host_s3_access_key and mlflow_host_s3_secret_key go together: give both, '
                         'or neither (the host\'s own AWS credentials)')
    s3 = dict(bucket=bucket, prefix=prefix.strip('/'), endpoint_url=_text(inputs.get('s3_endpoint_url')),
              region=_text(inputs.get('s3_region')) or 'us-east-1', access_key=access_key, secret_key=secret_key,
              # Path style when asked; else boto3's choice (MLflow's client makes the same).
              ca_path=_text(inputs.get('s3_ca_bundle')), path_style=True if inputs.get('s3_path_style') else None,
              validate_certs=inputs.get('s3_validate_certs') is not False)
    if s3['endpoint_url'] and not s3['endpoint_url'].startswith(('https://', 'http://')):
        raise StoreError('mlflow_host_s3_endpoint_url must be an http(s):// URL (got %s)' % s3['endpoint_url'])
    environment = {'AWS_DEFAULT_REGION': s3['region']}
    if access_key:
        environment.update(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key)
    if s3['endpoint_url']:
        environment['MLFLOW_S3_ENDPOINT_URL'] = s3['endpoint_url']
    if s3['ca_path']:
        environment['AWS_CA_BUNDLE'] = s3['ca_path']
    if not s3['validate_certs']:
        environment['MLFLOW_S3_IGNORE_TLS'] = 'true'
    if s3['path_style']:
        environment['MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE'] = 'path'
    return 's3', s3, environment


def stores(inputs):
    """Everything the role needs about the stores, from its variables (names without the
    mlflow_host_ prefix): backend, tracking_uri, auth_uri, postgresql (sslmode, ca_path,
    databases: role 'tracking' then 'auth', host, port, name, user; passwords: user to password)
    or None, pgpass (the password file's text, empty for
    SQLite), pgpass_path, sqlite_files, artifacts ('local' or 's3'), s3 or None, environment
    (the tracking server's: the backend URI, the password file, S3's settings)."""
    config_dir = _text(inputs.get('config_dir')) or '/etc/mlflow'
    data_dir = _text(inputs.get('data_dir')) or '/var/lib/mlflow'
    backend_uri = _text(inputs.get('backend_store_uri'))
    environment = {}
    result = dict(postgresql=None, pgpass='', pgpass_path='', sqlite_files=[])
    if _text(inputs.get('db_host')) or backend_uri.split(':', 1)[0] in POSTGRESQL_SCHEMES:
        tracking, auth, sslmode, ca_path = _postgresql(inputs)
        pgpass_path = config_dir.rstrip('/') + '/pgpass'
        lines = sorted(set(pgpass_line(store['host'], store['port'], store['database'], store['user'], store['password'])
                           for store in (tracking, auth)))
        result.update(backend='postgresql',
                      tracking_uri=postgresql_uri(tracking['host'], tracking['port'], tracking['user'],
                                                  tracking['database'], tracking['query']),
                      auth_uri=postgresql_uri(auth['host'], auth['port'], auth['user'], auth['database'], auth['query']),
                      postgresql=dict(sslmode=sslmode, ca_path=ca_path, databases=[
                          dict(role=role, host=store['host'], port=store['port'], name=store['database'],
                               user=store['user'])
                          for role, store in (('tracking', tracking), ('auth', auth))],
                          passwords=dict((store['user'], store['password']) for store in (tracking, auth))),
                      pgpass='\n'.join(lines) + '\n', pgpass_path=pgpass_path)
        environment['PGPASSFILE'] = pgpass_path
    elif backend_uri.startswith('sqlite:///'):
        auth_uri = _text(inputs.get('auth_store_uri')) or 'sqlite:///%s/basic_auth.db' % data_dir.rstrip('/')
        if not auth_uri.startswith('sqlite:///'):
            raise StoreError('mlflow_host_auth_store_uri must be sqlite:/// like the backend store (got %s)'
                             % auth_uri.split(':', 1)[0])
        if posixpath.normpath(auth_uri[len('sqlite:///'):]) == posixpath.normpath(backend_uri[len('sqlite:///'):]):
            raise StoreError('mlflow_host_backend_store_uri and mlflow_host_auth_store_uri name the same file: the '
                             'tracking store and the basic-auth store need separate databases')
        result.update(backend='sqlite', tracking_uri=backend_uri, auth_uri=auth_uri,
                      sqlite_files=[backend_uri[len('sqlite:///'):], auth_uri[len('sqlite:///'):]])
    else:
        raise StoreError('mlflow_host_backend_store_uri must be sqlite:///PATH or postgresql://USER@HOST/DATABASE, '
                         'or set mlflow_host_db_host (got a %s URI)' % (backend_uri.split(':', 1)[0] or 'empty'))
    environment['MLFLOW_BACKEND_STORE_URI'] = result['tracking_uri']
    artifacts, s3, s3_environment = _artifacts(inputs)
    environment.update(s3_environment)
    result.update(artifacts=artifacts, s3=s3, environment=environment)
    return result
