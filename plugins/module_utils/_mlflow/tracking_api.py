# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""MLflow's tracking server REST API as the modules call it (`/api/2.0/mlflow/...`): basic
authentication (the basic-auth app), TLS verified by default against ca_path or the system's
trust store, one bounded request per call, and every failure in one line that names the call and
what MLflow answered - never the password. Answers are JSON objects or the call fails."""

from __future__ import annotations

import json
import ssl
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import Request

API = '/api/2.0/mlflow'
CONNECTION_SPEC = dict(
    tracking_uri=dict(type='str', required=True),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='int', default=30),
)


class TrackingApiError(Exception):
    """A call that failed, in one line; status is the HTTP status MLflow answered, if any."""

    def __init__(self, msg, status=None):
        super(TrackingApiError, self).__init__(msg)
        self.status = status


def connection_problems(params):
    """What is wrong with the connection options, in words."""
    problems = []
    parts = urlsplit(params['tracking_uri'] or '')
    if parts.username is not None or parts.password is not None:
        # Said without the URL: it holds a password.
        problems.append('tracking_uri must not hold a user or password; give them as username and password')
    elif parts.scheme not in ('http', 'https') or not parts.hostname:
        problems.append('tracking_uri must be an http:// or https:// URL of the tracking server, got %r'
                        % params['tracking_uri'])
    if bool(params.get('username')) != bool(params.get('password')):
        problems.append('username and password go together (MLflow basic authentication)')
    if params['timeout'] < 1:
        problems.append('timeout must be 1 or more seconds, got %d' % params['timeout'])
    return problems


class TrackingApi(object):
    """Calls to one tracking server with the connection options (CONNECTION_SPEC)."""

    def __init__(self, params):
        self._base = params['tracking_uri'].rstrip('/')
        self._request = Request(validate_certs=params['validate_certs'], ca_path=params.get('ca_path'),
                                timeout=params['timeout'], url_username=params.get('username'),
                                url_password=params.get('password'), force_basic_auth=bool(params.get('username')),
                                headers={'Content-Type': 'application/json', 'Accept': 'application/json'})

    def call(self, method, path, body=None, query=None):
        """The JSON object MLflow answers to method path (under /api/2.0/mlflow)."""
        url = self._base + API + path + ('?' + urlencode(query) if query else '')
        what = '%s %s%s' % (method, API, path)
        try:
            response = self._request.open(method, url, data=json.dumps(body) if body is not None else None)
            text = to_text(response.read())
        except HTTPError as error:
            raise TrackingApiError('%s: MLflow answered %d %s' % (what, error.code, _reason(error)), status=error.code)
        except (URLError, ssl.SSLError, OSError, HTTPException) as error:
            reason = getattr(error, 'reason', error)
            hint = '; give the CA bundle in ca_path' if 'CERTIFICATE_VERIFY_FAILED' in str(reason) else ''
            raise TrackingApiError('%s: cannot reach the tracking server at %s: %s%s' % (what, self._base, reason, hint))
        try:
            answer = json.loads(text) if text.strip() else {}
        except ValueError:
            raise TrackingApiError('%s: the answer is not JSON (is %s an MLflow tracking server?)' % (what, self._base))
        if not isinstance(answer, dict):
            raise TrackingApiError('%s: the answer is not a JSON object' % what)
        return answer


def _reason(error):
    """MLflow's error_code and message from an error answer, else the HTTP reason (one line)."""
    try:
        answer = json.loads(to_text(error.read()))
    except (ValueError, OSError, AttributeError):
        answer = None
    if isinstance(answer, dict) and answer.get('message'):
        return '%s: %s' % (answer.get('error_code', ''), ' '.join(str(answer['message']).split()))
    if error.code == 401:
        return '(the username and password are not accepted)'
    if error.code == 403:
        return '(the user may not do this)'
    return error.reason or ''
