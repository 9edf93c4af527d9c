# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One bounded plain-HTTP request to a scorer's published port on this host (no TLS is spoken
there): the health gate of scorer_container and the reads of scorer_info use it."""

from __future__ import annotations

import json
import time
from http.client import HTTPConnection, HTTPException
from urllib.parse import urlsplit


def http_call(url, payload=None, timeout=5):
    """(status or None, body text) of a GET, or a POST of payload as JSON."""
    parts = urlsplit(url)
    data = None if payload is None else json.dumps(payload).encode()
    connection = HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request('GET' if data is None else 'POST', parts.path or '/', body=data,
                           headers={'Content-Type': 'application/json'} if data is not None else {})
        response = connection.getresponse()
        return response.status, response.read(65536).decode('utf-8', 'replace')
    except (HTTPException, OSError) as e:
        return None, str(e)
    finally:
        connection.close()


def timed_call(url, payload=None, timeout=5, keep=1000):
    """http_call as a record: url, status (None without an answer), seconds, start of the body."""
    started = time.monotonic()
    status, body = http_call(url, payload, timeout)
    return dict(url=url, status=status, seconds=round(time.monotonic() - started, 3), response=body[:keep])
