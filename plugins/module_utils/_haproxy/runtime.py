# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HAProxy runtime API on its local UNIX socket (the only way the collection talks to a
balancer at run time): one command per connection, every answer checked - a command HAProxy
did not take fails with its own words, an answer of unknown shape with the command named."""

from __future__ import annotations

import csv
import socket
import time

# Where role scorer_lb puts the balancer's runtime API (its scorer_lb_socket default; a unit test
# keeps the two the same), and where the modules and the scorer_fleet lookup look by default.
DEFAULT_SOCKET = '/run/haproxy/admin.sock'

RUNTIME_ARGSPEC = dict(
    socket=dict(type='path', default=DEFAULT_SOCKET),
    socket_timeout=dict(type='float', default=10.0),
)
# `show servers state` srv_admin_state bits (HAProxy include/haproxy/server-t.h): maintenance
# forced, inherited, from the configuration, from name resolution or an FQDN change; drain
# forced or inherited. Only the forced ones are the runtime API's to lift.
ADMIN_MAINT = 0x01 | 0x02 | 0x04 | 0x20 | 0x40
ADMIN_DRAIN = 0x08 | 0x10
# Statistic columns read from `show stat`, as numbers (empty: 0).
COUNTERS = ('qcur', 'scur', 'stot', 'req_tot', 'hrsp_2xx', 'hrsp_4xx', 'hrsp_5xx', 'econ', 'eresp', 'wretr', 'wredis',
            'qtime', 'ctime', 'rtime', 'ttime', 'chkfail', 'chkdown', 'lastchg', 'weight')
SERVERS_STATE_FIELDS = ('be_id', 'be_name', 'srv_id', 'srv_name', 'srv_addr', 'srv_op_state',
                        'srv_admin_state', 'srv_uweight', 'srv_iweight')
MAX_ANSWER = 16 * 1024 * 1024


class RuntimeApiError(Exception):
    """One line: what was asked of which socket, and why it did not work."""


class Runtime(object):
    """A balancer's runtime API (level admin) on a local UNIX socket."""

    def __init__(self, path, timeout=10.0, connect=None):
        self.path = path
        self.timeout = timeout
        self._connect = connect or self._unix_connection

    def _unix_connection(self):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(self.timeout)
        conn.connect(self.path)
        return conn

    def command(self, line):
        """The answer of one command (the socket closes after it, as in HAProxy's
        non-interactive mode), bounded in time and size."""
        try:
            conn = self._connect()
        except (OSError, socket.timeout) as e:
            raise RuntimeApiError('cannot reach the HAProxy runtime API on %s: %s (is haproxy running with '
                                  '"stats socket %s level admin"?)' % (self.path, e, self.path))
        chunks, size, deadline = [], 0, time.monotonic() + self.timeout
        try:
            conn.sendall(line.encode() + b'\n')
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeApiError('%s on %s: no complete answer within %s s' % (line, self.path, self.timeout))
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER:
                    raise RuntimeApiError('%s on %s: answer larger than %d bytes' % (line, self.path, MAX_ANSWER))
        except (OSError, socket.timeout) as e:
            raise RuntimeApiError('%s on %s: %s' % (line, self.path, e))
        finally:
            conn.close()
        return b''.join(chunks).decode('utf-8', 'replace')

    def act(self, line):
        """A command that answers nothing when it is carried out."""
        answer = self.command(line).strip()
        if answer:
            raise RuntimeApiError('%s on %s: %s' % (line, self.path, answer.splitlines()[0]))

    def stat(self):
        """[{backend, server, status, address, check_status, <COUNTERS as int>}] of every backend
        server (frontends and backend totals left out)."""
        text = self.command('show stat')
        if not text.startswith('# pxname,svname,'):
            raise RuntimeApiError('show stat on %s: unrecognised answer: %s' % (self.path, _first_line(text)))
        rows = []
        for row in csv.DictReader(text[2:].splitlines()):
            if row.get('svname') in ('FRONTEND', 'BACKEND') or not row.get('pxname'):
                continue
            record = dict(backend=row['pxname'], server=row['svname'], status=row.get('status') or '',
                          address=row.get('addr') or '', check_status=row.get('check_status') or '')
            for key in COUNTERS:
                record[key] = _number(row.get(key), key, 'show stat', self.path)
            rows.append(record)
        return rows

    def servers_state(self):
        """{(backend, server): {admin_state, weight, initial_weight, operational}} from
        `show servers state` (the administrative state a stat line folds into its status)."""
        text = self.command('show servers state')
        lines = text.splitlines()
        if not lines or not lines[0].strip().isdigit() or len(lines) < 2 or not lines[1].startswith('# be_id '):
            raise RuntimeApiError('show servers state on %s: unrecognised answer: %s' % (self.path, _first_line(text)))
        fields = lines[1][2:].split()
        if tuple(fields[:len(SERVERS_STATE_FIELDS)]) != SERVERS_STATE_FIELDS:
            raise RuntimeApiError('show servers state on %s: unrecognised columns: %s' % (self.path, ' '.join(fields[:9])))
        states = {}
        for line in lines[2:]:
            values = line.split()
            if not values:
                continue
            row = dict(zip(fields, values))
            admin = _number(row.get('srv_admin_state'), 'srv_admin_state', 'show servers state', self.path)
            states[(row['be_name'], row['srv_name'])] = dict(
                admin_state='maint' if admin & ADMIN_MAINT else 'drain' if admin & ADMIN_DRAIN else 'ready',
                weight=_number(row.get('srv_uweight'), 'srv_uweight', 'show servers state', self.path),
                initial_weight=_number(row.get('srv_iweight'), 'srv_iweight', 'show servers state', self.path),
                operational=row.get('srv_op_state') == '2',
            )
        return states

    def servers(self):
        """Every backend server: its stat line with its admin state and weights joined in."""
        states = self.servers_state()
        servers = []
        for row in self.stat():
            state = states.get((row['backend'], row['server']))
            if state is None:
                raise RuntimeApiError('%s/%s is in show stat but not in show servers state on %s'
                                      % (row['backend'], row['server'], self.path))
            servers.append(dict(row, **state))
        return servers

    def set_state(self, backend, server, state):
        self.act('set server %s/%s state %s' % (backend, server, state))

    def set_weight(self, backend, server, weight):
        self.act('set server %s/%s weight %d' % (backend, server, weight))


def _number(value, key, command, path):
    if value in (None, ''):
        return 0
    try:
        return int(value)
    except ValueError:
        raise RuntimeApiError('%s on %s: %s is not a number: %r' % (command, path, key, value[:40]))


def _first_line(text):
    first = (text.strip().splitlines() or ['(nothing)'])[0]
    return first[:200]
