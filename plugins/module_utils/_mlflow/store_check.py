# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the mlflow_store_check module: before MLflow is installed, prove from its host that
the PostgreSQL backend store takes the user's login to each database (_mlflow.pg_probe) and that the
artifact bucket lists with the access key (_mlflow.s3_probe). Reads only; every problem is one message
naming the server, user, database or bucket, never a secret; all of them are reported at once."""

from __future__ import annotations

import time

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.pg_probe import (
    DATABASE,
    SSLMODES,
    PgProblem,
    login,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.s3_probe import S3Problem, check_bucket, default_endpoint, scrub

POSTGRESQL_OPTIONS = dict(
    host=dict(type='str', required=True),
    port=dict(type='int', default=5432),
    user=dict(type='str', required=True),
    password=dict(type='str', no_log=True),
    databases=dict(type='list', elements='str', required=True),
    sslmode=dict(type='str', default='verify-full', choices=list(SSLMODES)),
    ca_path=dict(type='path'),
    timeout=dict(type='int', default=10),
)
S3_OPTIONS = dict(
    bucket=dict(type='str', required=True),
    prefix=dict(type='str', default=''),
    endpoint_url=dict(type='str', default=''),
    region=dict(type='str', default='us-east-1'),
    access_key=dict(type='str', required=True, no_log=True),
    secret_key=dict(type='str', required=True, no_log=True),
    session_token=dict(type='str', no_log=True),
    path_style=dict(type='bool'),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='int', default=10),
)
ARGUMENT_SPEC = dict(
    postgresql=dict(type='dict', options=POSTGRESQL_OPTIONS),
    s3=dict(type='dict', options=S3_OPTIONS),
)


def option_problems(params):
    """What is wrong with the options beyond their types, in words."""
    problems = []
    pg, s3 = params.get('postgresql'), params.get('s3')
    if pg:
        if not 1 <= pg['port'] <= 65535:
            problems.append('postgresql.port must be 1-65535, got %d' % pg['port'])
        if pg['timeout'] < 1:
            problems.append('postgresql.timeout must be at least 1 second')
        if not pg['host'].strip():
            problems.append('postgresql.host must not be empty')
        if not pg['databases'] or not all(name and name.strip() for name in pg['databases']):
            problems.append('postgresql.databases must name at least one database, and no empty name')
    if s3:
        if s3['timeout'] < 1:
            problems.append('s3.timeout must be at least 1 second')
        if not s3['bucket'].strip() or '/' in s3['bucket']:
            problems.append('s3.bucket must be a bucket name (no slash), got %r' % s3['bucket'])
        if not s3['region'].strip():
            problems.append('s3.region must not be empty')
    return problems


def check_postgresql(options, login_function=login):
    """({host, port, user, server_version, tls, auth, databases: [{name, ok, problem}]}, [problem])
    of a login to each database. A problem of the server as a whole (it does not answer, TLS,
    the password) is reported once and ends the check: every other database would meet it too."""
    result = dict(host=options['host'], port=options['port'], user=options['user'], server_version=None,
                  tls=None, auth=None, databases=[])
    problems = []
    stopped = None
    for name in options['databases']:
        entry = dict(name=name, ok=False, problem=stopped)
        result['databases'].append(entry)
        if stopped:
            continue
        try:
            found = login_function(options['host'], options['port'], options['user'], options['password'], name,
                                   sslmode=options['sslmode'], ca_path=options['ca_path'], timeout=options['timeout'])
        except PgProblem as problem:
            message = scrub(to_native(problem), [options['password']])
            entry['problem'] = message
            problems.append(message)
            if problem.scope != DATABASE:
                stopped = message
            continue
        entry['ok'] = True
        result.update(found)
    return result, problems


def check_s3(options, check_function=check_bucket):
    """({endpoint, url, bucket, prefix, region, path_style, reachable, prefix_has_objects}, [problem])."""
    try:
        found = check_function(options['bucket'], options['access_key'], options['secret_key'],
                               prefix=options['prefix'], endpoint_url=options['endpoint_url'],
                               region=options['region'], path_style=options['path_style'],
                               session_token=options['session_token'], validate_certs=options['validate_certs'],
                               ca_path=options['ca_path'], timeout=options['timeout'])
    except S3Problem as problem:
        message = scrub(to_native(problem), [options['access_key'], options['secret_key'], options['session_token']])
        endpoint = (options['endpoint_url'] or default_endpoint(options['region'])).rstrip('/')
        return dict(bucket=options['bucket'], prefix=options['prefix'], region=options['region'], endpoint=endpoint,
                    reachable=False, problem=message, code=problem.code), [message]
    found.update(reachable=True, problem=None, code=None)
    return found, []


def run(params, check_mode, host):
    problems = option_problems(params)
    if problems:
        raise ModuleFailure('; '.join(problems), problems=problems)
    started = time.monotonic()
    result = dict(changed=False)
    if params['postgresql']:
        result['postgresql'], found = check_postgresql(params['postgresql'])
        problems.extend(found)
    if params['s3']:
        result['s3'], found = check_s3(params['s3'])
        problems.extend(found)
    result.update(problems=problems, seconds=round(time.monotonic() - started, 3))
    if problems:
        raise ModuleFailure('; '.join(problems), **result)
    return result


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, required_one_of=[('postgresql', 's3')], supports_check_mode=True)
