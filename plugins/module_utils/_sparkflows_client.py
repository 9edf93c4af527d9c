# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one client of the Sparkflows REST API (private to this collection).

Every fact about the Sparkflows API that the collection relies on lives here: paths and
authentication here, the shapes of the answers it recognises in _sparkflows_answers. The
emulator under tests/ implements the same contract for the tests; it is never imported from here.
"""

from __future__ import annotations

import json
import ssl
import time
from http import cookiejar
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import Request

from ansible_collections.sparkflows.mlops.plugins.module_utils import _sparkflows_answers as answers
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_answers import UnrecognisedAnswer

# Connection options shared by every module that talks to Sparkflows (documented once in
# the sparkflows.mlops.sparkflows doc fragment).
CONNECTION_ARGSPEC = dict(
    api_url=dict(type='str', required=True),
    api_token=dict(type='str', no_log=True),
    api_token_header=dict(type='str', default='token', no_log=False),
    api_username=dict(type='str'),
    api_password=dict(type='str', no_log=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='float', default=30.0),
    retries=dict(type='int', default=3),
)
CONNECTION_MUTUALLY_EXCLUSIVE = [('api_token', 'api_username')]
CONNECTION_REQUIRED_TOGETHER = [('api_username', 'api_password')]
CONNECTION_REQUIRED_ONE_OF = [('api_token', 'api_username')]

PATHS = dict(
    health='/healthcheck',
    login='/login',
    release_info='/api/v1/app/release-info',
    about='/api/v1/main/about',
    user_info='/api/v1/users/user-info',
    is_admin='/api/v1/user/isAdmin/isSuperuser',
    configurations='/api/v1/configurations',
    workflow_by_name='/api/v1/workflows/name/{name}',
    workflow_execute='/api/v1/workflow/execute',
    execution_status='/api/v1/workflow-executions/{execution_id}/status',
    output_models='/api/v1/mlmodel/OutputModels',
    output_model_by_uuid='/api/v1/mlmodel/outputModelByModelUuid/{uuid}',
    output_model_download='/api/v1/mlmodel/outputModel/{model_id}/download/{file_type}',
)

EXECUTION_DONE = ('COMPLETED', 'FAILED', 'KILLED', 'STOPPED', 'TIMEOUT', 'SKIPPED')


class SparkflowsError(Exception):
    """One clear, single-line message about a failed API call."""


def module_kwargs(argument_spec, mutually_exclusive=(), required_one_of=(), **kwargs):
    """AnsibleModule keyword arguments for a module that talks to Sparkflows: its own options
    plus the connection options and their constraints. Check mode is supported by all."""
    return dict(
        argument_spec=dict(CONNECTION_ARGSPEC, **argument_spec),
        supports_check_mode=True,
        mutually_exclusive=CONNECTION_MUTUALLY_EXCLUSIVE + list(mutually_exclusive),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_one_of=CONNECTION_REQUIRED_ONE_OF + list(required_one_of),
        **kwargs
    )


def connection_params(params):
    """The connection options out of a module's parameters."""
    return dict((key, params.get(key)) for key in CONNECTION_ARGSPEC)


def validate_url(url, what='api_url'):
    """Reject anything but an absolute http(s) URL with a host, before any request."""
    parts = urlsplit(url or '')
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise SparkflowsError('%s must be an absolute http:// or https:// URL with a host, got %r' % (what, url))
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise SparkflowsError('%s has an invalid port: %r' % (what, url))
    return url.rstrip('/')


class SparkflowsClient(object):
    """Talks to one Sparkflows server; retries connection errors and 5xx, never 4xx."""

    def __init__(self, api_url, api_token=None, api_token_header='token', api_username=None,
                 api_password=None, validate_certs=True, ca_path=None, timeout=30.0, retries=3,
                 backoff=0.5, sleep=time.sleep):
        self.base_url = validate_url(api_url)
        self.token = api_token
        self.token_header = api_token_header or 'token'
        self.username = api_username
        self.password = api_password
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self._sleep = sleep
        self._logged_in = False
        self._request = Request(
            validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
            cookies=cookiejar.CookieJar(), follow_redirects='none',
        )

    # -- transport -----------------------------------------------------------------------

    def _open(self, method, path, body=None, headers=None):
        """Open one HTTP exchange with bounded retries (connection errors, 5xx).

        Returns (status, response headers, response); an error answer comes back read, as
        (status, headers, bytes), and a success answer unread, for the caller to stream.
        """
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = self._request.open(method, url, data=body, headers=headers or {})
                return response.getcode(), response.headers, response
            except HTTPError as e:
                content = e.read() if hasattr(e, 'read') else b''
                if e.code < 500 or attempt >= self.retries:
                    return e.code, e.headers or {}, content
            except (URLError, ssl.SSLError, OSError) as e:
                reason = getattr(e, 'reason', e)
                if isinstance(reason, ssl.SSLCertVerificationError) or isinstance(e, ssl.SSLCertVerificationError):
                    raise SparkflowsError(
                        '%s %s: TLS certificate verification failed (%s); give the CA bundle in ca_path'
                        % (method, url, getattr(reason, 'verify_message', None) or to_text(reason)))
                if attempt >= self.retries:
                    raise SparkflowsError('%s %s: cannot connect to Sparkflows: %s (after %d attempts)'
                                          % (method, url, to_text(reason), attempt + 1))
            attempt += 1
            self._sleep(min(self.backoff * (2 ** (attempt - 1)), 10.0))

    def _send(self, method, path, body=None, headers=None):
        """One HTTP exchange with bounded retries; returns (status, content type, bytes)."""
        status, response_headers, response = self._open(method, path, body, headers)
        content = response if isinstance(response, bytes) else response.read()
        return status, response_headers.get('Content-Type', ''), content

    def _auth_headers(self):
        if self.token:
            return {self.token_header: self.token}
        if not self._logged_in:
            self.login()
        return {}

    def login(self):
        """Session login: POST /login with the form fields username and password."""
        body = urlencode({'username': self.username, 'password': self.password}).encode('utf-8')
        status, ctype, content = self._send('POST', PATHS['login'], body,
                                            {'Content-Type': 'application/x-www-form-urlencoded'})
        if status >= 400:
            raise SparkflowsError(self._error_message('POST', PATHS['login'], status, ctype, content))
        self._logged_in = True

    def call(self, method, path, payload=None, expect='json', authenticated=True):
        """A call, authenticated unless told otherwise. expect: 'json' (the parsed body) or
        'any' (parsed JSON, else the text)."""
        headers = self._auth_headers() if authenticated else {}
        headers['Accept'] = 'application/json'
        body = None
        if payload is not None:
            body = json.dumps(payload).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        status, ctype, content = self._send(method, path, body, headers)
        if status >= 400:
            raise SparkflowsError(self._error_message(method, path, status, ctype, content))
        if status in (301, 302, 303, 307, 308):
            raise SparkflowsError('%s %s: HTTP %d redirect (to a login page?): check the credentials and api_url'
                                  % (method, self.base_url + path, status))
        return self._decode(method, path, status, ctype, content, expect)

    def _decode(self, method, path, status, ctype, content, expect):
        text = to_text(content, errors='surrogate_or_strict').strip()
        looks_html = 'html' in ctype.lower() or text[:1] == '<'
        if not looks_html:
            try:
                return json.loads(text) if text else None
            except ValueError:
                if expect == 'any':
                    return text
        raise SparkflowsError('%s %s: HTTP %d but the answer is not JSON (Content-Type %s): is api_url the '
                              'Sparkflows server?' % (method, self.base_url + path, status, ctype or 'unknown'))

    def _error_message(self, method, path, status, ctype, content):
        detail = ''
        text = to_text(content, errors='surrogate_or_strict').strip()
        if 'json' in ctype.lower() or text[:1] in ('{', '['):
            try:
                data = json.loads(text)
                if isinstance(data, dict):
                    detail = data.get('error_description') or data.get('message') or data.get('error') or ''
            except ValueError:
                pass
        elif text and text[:1] != '<':
            detail = text.splitlines()[0][:200]
        # The roles and playbooks set these options from one variable set (sparkflows_connection).
        hint = {401: 'check api_token or api_username/api_password (in the collection\'s roles and playbooks: '
                     'sparkflows_api_token, or sparkflows_api_username/sparkflows_api_password)',
                403: 'the Sparkflows user is not allowed to do this (an administrator is needed)'}.get(status)
        message = '%s %s: HTTP %d' % (method, self.base_url + path, status)
        if detail:
            message += ': ' + to_text(detail)
        if hint:
            message += '; ' + hint
        return message

    # -- API -----------------------------------------------------------------------------

    def read(self, method, path, reader, payload=None, authenticated=True):
        """call() whose answer is read by one of _sparkflows_answers' readers."""
        return self.parse(method, path, reader, self.call(method, path, payload, 'any', authenticated))

    def parse(self, method, path, reader, answer):
        """reader(answer); an answer of a shape it does not recognise fails naming the endpoint
        and what came."""
        try:
            return reader(answer)
        except UnrecognisedAnswer as e:
            raise SparkflowsError('%s %s: unrecognised answer: %s' % (method, self.base_url + path, e))

    def health(self):
        """GET /healthcheck without authentication: the status string (e.g. 'UP')."""
        return self.read('GET', PATHS['health'], answers.read_health, authenticated=False)

    def release(self):
        """(the release, the whole release-info answer) the server reports."""
        info = self.call('GET', PATHS['release_info'], expect='any')
        return self.parse('GET', PATHS['release_info'], answers.read_release, info), info

    def about(self):
        return self.call('GET', PATHS['about'])

    def user_info(self):
        return self.call('GET', PATHS['user_info'])

    def is_admin(self):
        return self.read('GET', PATHS['is_admin'], answers.read_flag)

    def configurations(self):
        """The configuration set (answers.Configurations: .text() is {name: value})."""
        return self.read('GET', PATHS['configurations'], answers.Configurations)

    def save_configurations(self, current, changes):
        """Write the whole set back (read-modify-write of current, the answers.Configurations
        read before), with changes ({name: text}) applied."""
        return self.call('POST', PATHS['configurations'], current.body(changes), expect='any')

    def open_download(self, model_id, file_type, headers=None, method='GET'):
        """Open a model download (GET, or HEAD to ask without the body).

        Returns (status, headers, response) for 200, 206 and 304 with the body unread; any
        other answer raises SparkflowsError.
        """
        path = PATHS['output_model_download'].format(model_id=quote(str(model_id), safe=''),
                                                     file_type=quote(file_type, safe=''))
        request_headers = self._auth_headers()
        request_headers.update(headers or {})
        status, response_headers, response = self._open(method, path, headers=request_headers)
        if status not in (200, 206, 304):
            content = response if isinstance(response, bytes) else response.read()
            raise SparkflowsError(self._error_message(method, path, status, response_headers.get('Content-Type', ''),
                                                      content))
        ctype = response_headers.get('Content-Type', '')
        if 'html' in ctype.lower():
            raise SparkflowsError('%s %s: HTTP %d but the answer is an HTML page (Content-Type %s), not a model file'
                                  % (method, self.base_url + path, status, ctype))
        return status, response_headers, response

    def output_models(self):
        return self.read('GET', PATHS['output_models'], answers.read_models)

    def output_model_by_uuid(self, uuid):
        return self.read('GET', PATHS['output_model_by_uuid'].format(uuid=quote(uuid, safe='')), answers.read_model)

    def select_model(self, model_id=None, model_uuid=None, model_name=None, stage=None):
        """A model's metadata by id, uuid, or name (its latest version, optionally of one stage)."""
        if model_uuid:
            return self.output_model_by_uuid(model_uuid)
        models = self.output_models()
        if model_id:
            found = [m for m in models if str(m.get('id')) == str(model_id)]
            if not found:
                raise SparkflowsError('No model with id %s in the Sparkflows model repository' % model_id)
            return found[0]
        found = [m for m in models if m.get('name') == model_name and (stage is None or m.get('stage') == stage)]
        if not found:
            raise SparkflowsError('No model named %s%s in the Sparkflows model repository' % (
                model_name, '' if stage is None else ' in stage %s' % stage))
        return self.latest_model(found, 'model %s' % model_name)

    def latest_model(self, models, what):
        """The model of the highest version (then id) among models, versions compared as numbers."""
        try:
            return max(models, key=lambda m: (answers.version_key(m.get('version')), answers.id_key(m)))
        except UnrecognisedAnswer as e:
            raise SparkflowsError('GET %s: unrecognised answer for %s: %s'
                                  % (self.base_url + PATHS['output_models'], what, e))

    def workflow_id(self, name):
        """The id of the workflow named name."""
        return self.read('GET', PATHS['workflow_by_name'].format(name=quote(name, safe='')), answers.read_workflow)

    def execute_workflow(self, workflow_id, program_parameters=''):
        payload = {'workflowId': workflow_id, 'programParameters': program_parameters, 'sparkConfig': '',
                   'libJars': '', 'emailOnFailure': '', 'emailOnSuccess': ''}
        return self.read('POST', PATHS['workflow_execute'], answers.read_execution_id, payload)

    def execution_status(self, execution_id):
        """(state, the server's message or None) of an execution."""
        return self.read('GET', PATHS['execution_status'].format(execution_id=execution_id),
                         answers.read_execution_status)

    def wait_for_execution(self, execution_id, timeout, interval=2.0, clock=time.monotonic):
        """Poll the execution status until it is done or timeout seconds pass (bounded);
        (state, message) as execution_status."""
        deadline = clock() + timeout
        status = self.execution_status(execution_id)
        while status[0] not in EXECUTION_DONE and clock() < deadline:
            self._sleep(interval)
            status = self.execution_status(execution_id)
        return status
