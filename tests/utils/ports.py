"""Loopback TCP ports nothing listens on (bound by us, then released).

A port is free when it binds, but it stays free only until someone else takes it: two pytest-xdist
workers that each pick a free port and publish it a moment later could pick the same one (seen:
"Bind for 127.0.0.1:49779 failed: port is already allocated"), and a port of the kernel's
ephemeral range (32768-60999 here) can become any outgoing connection's. So each process picks
from a window of its own below the ephemeral range: the controller's, and one per xdist worker."""

import os
import random
import socket

# How many candidate bases free_port_range tries before giving up.
RANGE_ATTEMPTS = 20
# The windows: [WINDOW_LOW + i * WINDOW_SIZE, ... + WINDOW_SIZE) for i = 0 (a process that is no
# xdist worker), 1 (gw0), 2 (gw1), ... (modulo WINDOWS). Above the lab's fixed SSH ports (22220+).
WINDOW_LOW, WINDOW_SIZE, WINDOWS = 23000, 3000, 3
# Room kept at a window's top for the consecutive ports of a range that starts near it.
RANGE_ROOM = 200


def window(worker=None):
    """(first, last + 1) of the ports this process picks from (PYTEST_XDIST_WORKER: gw0, gw1, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "") if worker is None else worker
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    low = WINDOW_LOW + (index % WINDOWS) * WINDOW_SIZE
    return low, low + WINDOW_SIZE


def free_port(attempts=200):
    """A loopback port of this process's window that binds now."""
    low, high = window()
    for _attempt in range(attempts):
        port = random.randrange(low, high - RANGE_ROOM)
        if _all_bindable([port]):
            return port
    raise RuntimeError("no free loopback port in %d-%d after %d attempts" % (low, high - 1, attempts))


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
