# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The TLS client context of the store probes (PostgreSQL, S3), standard library only: TLS 1.2
and newer, the certificate checked against ca_path (else the system's trust store), or, when
asked, not checked at all."""

from __future__ import annotations

import ssl


def client_context(verify, ca_path, check_hostname=True):
    """An ssl.SSLContext for a client. Raises IOError/OSError/ssl.SSLError for a CA file that
    cannot be read (the caller names the problem its own way)."""
    if verify:
        context = ssl.create_default_context(cafile=ca_path or None)
        context.check_hostname = check_hostname
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
