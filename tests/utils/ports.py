"""Loopback TCP ports nothing listens on (bound by the kernel or by us, then released)."""

import socket

# How many candidate bases free_port_range tries before giving up.
RANGE_ATTEMPTS = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _all_bindable(ports):
    """Whether every port of ports can be bound on loopback (all at once, then released)."""
    sockets = []
    try:
        for port in ports:
            s = socket.socket()
            sockets.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in sockets:
            s.close()


def free_port_range(count, avoid=(), attempts=RANGE_ATTEMPTS):
    """The first of `count` consecutive loopback ports that nothing listens on, none of them in
    avoid: a base the kernel picks (free_port), kept when each port of base..base+count-1 binds;
    another base otherwise, at most `attempts` times."""
    avoid = set(avoid)
    for _attempt in range(attempts):
        base = free_port()
        ports = range(base, base + count)
        if ports[-1] <= 65535 and avoid.isdisjoint(ports) and _all_bindable(ports):
            return base
    raise RuntimeError("no %d consecutive free loopback ports found in %d attempts" % (count, attempts))


def free_port_ranges(*counts):
    """The first ports of free ranges of counts[0], counts[1], ... consecutive ports, no two
    ranges sharing a port (e.g. a lab's SSH ports and its published service ports)."""
    taken, bases = set(), []
    for count in counts:
        base = free_port_range(count, avoid=taken)
        taken.update(range(base, base + count))
        bases.append(base)
    return bases
