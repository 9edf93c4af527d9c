# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one client of the Sparkflows REST API (private to this collection).

Every fact about the Sparkflows API that the collection relies on lives here: paths,
authentication, the shape of configurations and of release information. The emulator under
tests/ implements the same contract for the tests; it is never imported from here.
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

# Keys of the release-info answer that carry the release, most specific first.
RELEASE_KEYS = ('release', 'version', 'releaseVersion')

EXECUTION_DONE = ('COMPLETED', 'FAILED', 'KILLED', 'STOPPED', 'TIMEOUT', 'SKIPPED')
# Numeric execution states used elsewhere in the API.
EXECUTION_CODES = {
    0: 'RUNNING', 1: 'STOPPED', 2: 'COMPLETED', 3: 'FAILED', 4: 'STARTING', 5: 'STOP',
    6: 'KILLED', 7: 'STOPPING', 8: 'TIMEOUT', 9: 'PENDING', 10: 'SKIPPED',
}


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
        hint = {401: 'check api_token or api_username/api_password',
                403: 'the Sparkflows user is not allowed to do this (an administrator is needed)'}.get(status)
        message = '%s %s: HTTP %d' % (method, self.base_url + path, status)
        if detail:
            message += ': ' + to_text(detail)
        if hint:
            message += '; ' + hint
        return message

    # -- API -----------------------------------------------------------------------------

    def health(self):
        """GET /healthcheck without authentication: the status string (e.g. 'UP')."""
        data = self.call('GET', PATHS['health'], expect='any', authenticated=False)
        return data.get('status') if isinstance(data, dict) else to_text(data)

    def release_info(self):
        return self.call('GET', PATHS['release_info'])

    def about(self):
        return self.call('GET', PATHS['about'])

    def user_info(self):
        return self.call('GET', PATHS['user_info'])

    def is_admin(self):
        answer = self.call('GET', PATHS['is_admin'], expect='any')
        if isinstance(answer, dict):
            answer = answer.get('isSuperuser', answer.get('admin'))
        return answer is True or to_text(answer).lower() == 'true'

    def configurations(self):
        """All configurations as a {name: value} dict."""
        return configurations_to_dict(self.call('GET', PATHS['configurations']))

    def save_configurations(self, values):
        """Save {name: value} (only those names: the others stay as they are)."""
        return self.call('POST', PATHS['configurations'], configurations_from_dict(values), expect='any')

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
        return self.call('GET', PATHS['output_models'])

    def output_model_by_uuid(self, uuid):
        return self.call('GET', PATHS['output_model_by_uuid'].format(uuid=quote(uuid, safe='')))

    def workflow_by_name(self, name):
        return self.call('GET', PATHS['workflow_by_name'].format(name=quote(name, safe='')))

    def execute_workflow(self, workflow_id, program_parameters=''):
        payload = {'workflowId': workflow_id, 'programParameters': program_parameters, 'sparkConfig': '',
                   'libJars': '', 'emailOnFailure': '', 'emailOnSuccess': ''}
        answer = self.call('POST', PATHS['workflow_execute'], payload, expect='any')
        if isinstance(answer, dict):
            answer = answer.get('id', answer.get('workflowExecutionId'))
        try:
            return int(answer)
        except (TypeError, ValueError):
            raise SparkflowsError('POST %s: expected an execution id, got %r' % (PATHS['workflow_execute'], answer))

    def execution_status(self, execution_id):
        answer = self.call('GET', PATHS['execution_status'].format(execution_id=execution_id), expect='any')
        if isinstance(answer, dict):
            answer = answer.get('status', answer.get('executionStatus'))
        if isinstance(answer, int) or to_text(answer).isdigit():
            return EXECUTION_CODES.get(int(answer), to_text(answer))
        return to_text(answer).strip('"').upper()

    def wait_for_execution(self, execution_id, timeout, interval=2.0, clock=time.monotonic):
        """Poll the execution status until it is done or timeout seconds pass (bounded)."""
        deadline = clock() + timeout
        status = self.execution_status(execution_id)
        while status not in EXECUTION_DONE and clock() < deadline:
            self._sleep(interval)
            status = self.execution_status(execution_id)
        return status


def release_of(info):
    """The Sparkflows release string out of a release-info answer."""
    if isinstance(info, dict):
        for key in RELEASE_KEYS:
            if info.get(key):
                return to_text(info[key])
    elif info:
        return to_text(info)
    return None


def configurations_to_dict(answer):
    """Configurations answer ([{name, value}, ...] or {name: value}) as {name: value}."""
    if isinstance(answer, dict):
        return dict(answer)
    result = {}
    for item in answer or []:
        if isinstance(item, dict) and 'name' in item:
            result[item['name']] = item.get('value')
    return result


def configurations_from_dict(values):
    """The body POST /api/v1/configurations takes: [{name, value}, ...]."""
    return [{'name': name, 'value': value} for name, value in sorted(values.items())]
