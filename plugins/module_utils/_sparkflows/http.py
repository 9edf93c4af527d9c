# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HTTP transport of the Sparkflows client (private to this collection).

One exchange with a Sparkflows server: the URL checked before any request, TLS (certificates
verified, a CA bundle), bounded retries of connection errors and 5xx (never 4xx), the token
header or a session login, the answer decoded as JSON and every failure as one line with a hint.
The endpoints and what their answers mean live in _sparkflows.client and _sparkflows.answers.
"""

from __future__ import annotations

import json
import ssl
import time
from http import cookiejar
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import Request

LOGIN_PATH = '/login'
REDIRECTS = (301, 302, 303, 307, 308)

# What an authentication failure (HTTP 401) asks to check: the module options, and the
# variables the collection's roles and playbooks set them from - sparkflows_api_* of the
# inventory, or a role's deprecated token variable, which wins when set (the sparkflows_connection
# lookup owns these names; a unit test keeps this hint naming every one of them).
HINT_401 = ("check api_token or api_username/api_password (in the collection's roles and playbooks: "
            "sparkflows_api_token - or the deprecated scorer_sparkflows_api_token or sparkflows_mlflow_api_token, "
            "which wins when set - or sparkflows_api_username/sparkflows_api_password)")
HINTS = {401: HINT_401, 403: 'the Sparkflows user is not allowed to do this (an administrator is needed)'}


class SparkflowsError(Exception):
    """One clear, single-line message about a failed API call; status is the HTTP status of an
    error answer (None when there was no answer, or the call was refused before it was made)."""

    def __init__(self, message, status=None):
        super(SparkflowsError, self).__init__(message)
        self.status = status


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


class SparkflowsHttp(object):
    """Talks HTTP to one Sparkflows server; retries connection errors and 5xx, never 4xx."""

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
        status, ctype, content = self._send('POST', LOGIN_PATH, body,
                                            {'Content-Type': 'application/x-www-form-urlencoded'})
        if status >= 400:
            raise SparkflowsError(self._error_message('POST', LOGIN_PATH, status, ctype, content))
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
            raise SparkflowsError(self._error_message(method, path, status, ctype, content), status)
        if status in REDIRECTS:
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
        message = '%s %s: HTTP %d' % (method, self.base_url + path, status)
        if detail:
            message += ': ' + to_text(detail)
        hint = HINTS.get(status)
        if hint:
            message += '; ' + hint
        return message
