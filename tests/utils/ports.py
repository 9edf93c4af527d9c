"""A loopback TCP port nothing listens on (bound once by the kernel, then released)."""

import socket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
