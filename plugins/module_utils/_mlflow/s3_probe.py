# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An S3 (or S3-compatible) bucket listed once, with the standard library only (the hosts that
run it have no boto3): one ListObjectsV2 request (`GET ?list-type=2&max-keys=1&prefix=...`),
signed with AWS Signature Version 4, over http.client with TLS verified by default. The answer's
error code (NoSuchBucket, InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied, a redirect to
another region, ...) becomes one message that names the bucket and the endpoint, never a key.

Addressing as boto3 (which MLflow uses) does by default: path style (ENDPOINT/BUCKET) with an
endpoint_url, virtual-hosted style (BUCKET.s3.REGION.amazonaws.com) on AWS's own endpoint, path
style there too for a bucket name with dots (a TLS certificate of *.s3... does not cover it)."""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
import ssl
import time

import http.client as http_client
from urllib.parse import quote, urlsplit

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.tls_client import client_context

ALGORITHM = 'AWS4-HMAC-SHA256'
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
# How much of an answer is read (an S3 error or a one-key listing is far smaller).
MAX_ANSWER = 64 * 1024
MASK = '********'
# S3's error codes, what each means, in words: {bucket}, {endpoint}, {region}, {code}, {message}.
MESSAGES = {
    'NoSuchBucket': 'S3 bucket {bucket} does not exist at {endpoint}',
    'InvalidAccessKeyId': 'S3 at {endpoint} refused the access key (InvalidAccessKeyId): it knows no such access '
                          'key ID',
    'SignatureDoesNotMatch': 'S3 at {endpoint} refused the request: the secret key does not match the access key '
                             '(SignatureDoesNotMatch)',
    'AccessDenied': 'AccessDenied to bucket {bucket} at {endpoint}: the access key may not list it '
                    '(s3:ListBucket){prefix_hint}',
    'AllAccessDisabled': 'AccessDenied to bucket {bucket} at {endpoint}: all access to it is disabled '
                         '(AllAccessDisabled)',
    'AccountProblem': 'S3 at {endpoint} refused the account of the access key (AccountProblem): {message}',
    'InvalidToken': 'S3 at {endpoint} refused the session token (InvalidToken)',
    'ExpiredToken': 'S3 at {endpoint} refused the session token: it has expired (ExpiredToken)',
    'TokenRefreshRequired': 'S3 at {endpoint} refused the session token: it must be refreshed (TokenRefreshRequired)',
    'InvalidBucketName': 'S3 at {endpoint} refuses the bucket name {bucket} (InvalidBucketName)',
    'RequestTimeTooSkewed': "S3 at {endpoint} refused the request: this host's clock differs from the server's by "
                            "more than 15 minutes (RequestTimeTooSkewed); set the time (NTP)",
    'PermanentRedirect': 'S3 bucket {bucket} is not in region {region}{elsewhere}: set region (or endpoint_url) to '
                         'its region',
    'TemporaryRedirect': 'S3 bucket {bucket} is not in region {region}{elsewhere}: set region (or endpoint_url) to '
                         'its region',
    'AuthorizationHeaderMalformed': 'S3 at {endpoint} expects requests for bucket {bucket} signed for another '
                                    'region than {region}{elsewhere}: set region',
    'IllegalLocationConstraintException': 'S3 bucket {bucket} is not in region {region}{elsewhere}: set region (or '
                                          'endpoint_url) to its region',
}
# HTTP statuses that mean a region mismatch when the answer carries no code.
REDIRECTS = (301, 307)


class S3Problem(Exception):
    """One problem of the bucket check, in words."""

    def __init__(self, message, code=None):
        super(S3Problem, self).__init__(message)
        self.code = code


# -- Signature Version 4 -----------------------------------------------------------------------

def uri_encode(text, safe=''):
    """RFC 3986 percent-encoding of everything but the unreserved characters (and safe)."""
    return quote(text, safe='-_.~' + safe)


def canonical_query(pairs):
    return '&'.join('%s=%s' % pair for pair in sorted((uri_encode(key), uri_encode(value)) for key, value in pairs))


def canonical_request(method, path, query, headers, payload_hash):
    """(canonical request, signed header names) of a request; headers is {name: value}, all signed."""
    normalized = sorted((name.lower().strip(), ' '.join(str(value).split())) for name, value in headers.items())
    signed = ';'.join(name for name, _value in normalized)
    lines = [method, uri_encode(path, '/'), canonical_query(query)]
    lines += ['%s:%s' % (name, value) for name, value in normalized]
    lines += ['', signed, payload_hash]
    return '\n'.join(lines), signed


def scope_of(amz_date, region, service='s3'):
    return '%s/%s/%s/aws4_request' % (amz_date[:8], region, service)


def string_to_sign(amz_date, scope, request):
    return '\n'.join((ALGORITHM, amz_date, scope, hashlib.sha256(request.encode('utf-8')).hexdigest()))


def signing_key(secret_key, date, region, service='s3'):
    key = ('AWS4' + secret_key).encode('utf-8')
    for part in (date, region, service, 'aws4_request'):
        key = hmac.new(key, part.encode('utf-8'), hashlib.sha256).digest()
    return key


def authorization(method, path, query, headers, payload_hash, access_key, secret_key, region, amz_date,
                  service='s3'):
    """The Authorization header of a request whose headers (host, x-amz-date, x-amz-content-sha256,
    any other to sign) are given."""
    request, signed = canonical_request(method, path, query, headers, payload_hash)
    scope = scope_of(amz_date, region, service)
    signature = hmac.new(signing_key(secret_key, amz_date[:8], region, service),
                         string_to_sign(amz_date, scope, request).encode('utf-8'), hashlib.sha256).hexdigest()
    return '%s Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (ALGORITHM, access_key, scope, signed, signature)


def amz_date_of(seconds=None):
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(seconds))


# -- the request -------------------------------------------------------------------------------

def default_endpoint(region):
    return 'https://s3.%s.amazonaws.com' % region


def use_path_style(path_style, endpoint_url, bucket):
    """boto3's default when path_style is None: path style with an endpoint_url, or for a bucket
    name with dots; virtual-hosted style on AWS's own endpoint."""
    if path_style is not None:
        return bool(path_style)
    return bool(endpoint_url) or '.' in bucket


def list_request(bucket, prefix, endpoint_url, region, path_style):
    """Where the listing goes: dict(scheme, host (the Host header), connect_host (the name connected
    to and checked in the certificate), port, path, query, endpoint, path_style, url)."""
    endpoint = (endpoint_url or default_endpoint(region)).rstrip('/')
    parts = urlsplit(endpoint)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise S3Problem('endpoint_url must be an http:// or https:// URL, got %s' % endpoint)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise S3Problem('endpoint_url must be a plain URL, without query, fragment or credentials')
    path_style = use_path_style(path_style, endpoint_url, bucket)
    default_port = 443 if parts.scheme == 'https' else 80
    port = parts.port or default_port
    name = '[%s]' % parts.hostname if ':' in parts.hostname else parts.hostname
    host = name if port == default_port else '%s:%d' % (name, port)
    base = parts.path.rstrip('/')
    connect_host = parts.hostname
    if path_style:
        path = '%s/%s' % (base, bucket)
    else:
        host = '%s.%s' % (bucket, host)
        connect_host = '%s.%s' % (bucket, connect_host)
        path = base + '/'
    query = [('list-type', '2'), ('max-keys', '1')]
    if prefix:
        query.append(('prefix', prefix))
    url = '%s://%s%s' % (parts.scheme, host, path)
    return dict(scheme=parts.scheme, host=host, connect_host=connect_host, port=port, path=path, query=query,
                endpoint=endpoint, path_style=path_style, url=url)


def signed_headers(target, access_key, secret_key, region, session_token=None, amz_date=None):
    """The headers of the listing, signed."""
    amz_date = amz_date or amz_date_of()
    headers = {'host': target['host'], 'x-amz-date': amz_date, 'x-amz-content-sha256': EMPTY_SHA256}
    if session_token:
        headers['x-amz-security-token'] = session_token
    headers['authorization'] = authorization('GET', target['path'], target['query'], headers, EMPTY_SHA256,
                                             access_key, secret_key, region, amz_date)
    return headers


def tls_context(validate_certs, ca_path):
    try:
        return client_context(validate_certs, ca_path)
    except (IOError, OSError, ssl.SSLError) as error:
        raise S3Problem('cannot read ca_path %s: %s' % (ca_path, getattr(error, 'strerror', None) or error))


def send(target, headers, timeout, validate_certs=True, ca_path=None):
    """(status, reason, {header: value} lowercased, body (at most MAX_ANSWER bytes)) of the GET."""
    endpoint = target['endpoint']
    if target['scheme'] == 'https':
        connection = http_client.HTTPSConnection(target['connect_host'], target['port'], timeout=timeout,
                                                 context=tls_context(validate_certs, ca_path))
    else:
        connection = http_client.HTTPConnection(target['connect_host'], target['port'], timeout=timeout)
    url = target['path'] + '?' + '&'.join('%s=%s' % (uri_encode(k), uri_encode(v)) for k, v in target['query'])
    try:
        connection.putrequest('GET', url, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read(MAX_ANSWER)
        return response.status, response.reason, dict((k.lower(), v) for k, v in response.getheaders()), body
    except ssl.SSLCertVerificationError as error:
        detail = (error.verify_message or str(error)).rstrip('.')
        if error.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            raise S3Problem('the TLS certificate of S3 at %s is not for %s: %s'
                            % (endpoint, target['connect_host'], detail))
        if ca_path:
            raise S3Problem('the TLS certificate of S3 at %s is not trusted by ca_path %s: %s'
                            % (endpoint, ca_path, detail))
        raise S3Problem("the TLS certificate of S3 at %s is not trusted by this host's system CA store: %s (give "
                        "ca_path, the CA file that issued it)" % (endpoint, detail))
    except ssl.SSLError as error:
        raise S3Problem('no TLS handshake with S3 at %s: %s' % (endpoint, getattr(error, 'reason', None) or error))
    except socket.timeout:
        raise S3Problem('S3 at %s does not answer (no answer within %s s)' % (endpoint, timeout))
    except socket.gaierror as error:
        raise S3Problem('S3 at %s does not answer (cannot resolve %s: %s)'
                        % (endpoint, target['connect_host'], error.strerror or error))
    except ConnectionRefusedError:
        raise S3Problem('S3 at %s does not answer (connection refused)' % endpoint)
    except http_client.HTTPException as error:
        raise S3Problem('S3 at %s answered no HTTP: %s' % (endpoint, type(error).__name__))
    except (socket.error, OSError) as error:
        raise S3Problem('S3 at %s does not answer (%s)' % (endpoint, error.strerror or error))
    finally:
        connection.close()


# -- the answer --------------------------------------------------------------------------------

def element(body, name):
    """The text of the first <name> element of an XML answer (None without one)."""
    found = re.search(r'<%s>([^<]*)</%s>' % (name, name), body)
    return found.group(1).strip() if found else None


def region_elsewhere(headers, body):
    """Where S3 says the bucket is, in words for a message: ' (it is in eu-west-1)' or ''."""
    region = headers.get('x-amz-bucket-region') or element(body, 'Region')
    if region:
        return ' (it is in %s)' % region
    endpoint = element(body, 'Endpoint')
    return ' (S3 names the endpoint %s)' % endpoint if endpoint else ''


def answer_problem(status, reason, headers, body, bucket, prefix, endpoint, region):
    """The S3Problem of an answer other than a listing (None for a listing)."""
    text = body.decode('utf-8', 'replace')
    code = element(text, 'Code')
    if status == 200 and code is None:
        if '<ListBucketResult' in text:
            return None
        return S3Problem('%s answered HTTP 200 without a bucket listing: is it an S3 endpoint?' % endpoint)
    if code is None and status in REDIRECTS:
        code = 'PermanentRedirect'
    if code is None and status == 404 and not text.strip():
        code = 'NoSuchBucket'
    if code is None:
        return S3Problem('S3 at %s answered HTTP %d %s with no S3 error: is it an S3 endpoint?'
                         % (endpoint, status, reason))
    message = element(text, 'Message') or ''
    template = MESSAGES.get(code)
    if template is None:
        return S3Problem('S3 at %s refused to list bucket %s: HTTP %d %s%s' % (
            endpoint, bucket, status, code, ': ' + message if message else ''), code)
    return S3Problem(template.format(
        bucket=bucket, endpoint=endpoint, region=region, code=code, message=message,
        elsewhere=region_elsewhere(headers, text),
        prefix_hint=' under prefix %s' % prefix if prefix else ''), code)


def key_count(body):
    text = body.decode('utf-8', 'replace')
    count = element(text, 'KeyCount')
    if count is not None and count.isdigit():
        return int(count)
    return len(re.findall(r'<Contents>', text))


def scrub(text, secrets):
    """text with every secret of secrets replaced by a mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def check_bucket(bucket, access_key, secret_key, prefix='', endpoint_url='', region='us-east-1', path_style=None,
                 session_token=None, validate_certs=True, ca_path=None, timeout=10):
    """List at most one key of bucket under prefix: {endpoint, url, bucket, prefix, region,
    path_style, prefix_has_objects}. Raises S3Problem (its message names no key)."""
    secrets = (access_key, secret_key, session_token)
    try:
        target = list_request(bucket, prefix, endpoint_url, region, path_style)
        headers = signed_headers(target, access_key, secret_key, region, session_token)
        status, reason, answer_headers, body = send(target, headers, timeout, validate_certs, ca_path)
        problem = answer_problem(status, reason, answer_headers, body, bucket, prefix, target['endpoint'], region)
    except S3Problem as problem_raised:
        raise S3Problem(scrub(str(problem_raised), secrets), problem_raised.code)
    if problem is not None:
        raise S3Problem(scrub(str(problem), secrets), problem.code)
    return dict(endpoint=target['endpoint'], url=target['url'], bucket=bucket, prefix=prefix, region=region,
                path_style=target['path_style'], prefix_has_objects=key_count(body) > 0)
