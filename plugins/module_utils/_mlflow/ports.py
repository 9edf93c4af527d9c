# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ports of an MLflow host, as the role mlflow_host lays them out: the tracking server, each
served model and the Fire MLOps server, each on its public port - or, with TLS in front, each
bound to loopback on its public port plus an offset while the host's TLS proxy (HAProxy) holds
the public port. Behind the proxy each served model has two slots, blue and green (on its public
port plus one and two offsets), each the proxy's backend of its own: a new version starts in the
idle one and, once it answers, the proxy's map of frontend to backend switches to it at run time
(_mlflow/served_slots.py decides which) - the proxy's configuration is the same whichever serves.
One place decides which unit holds which port, what the firewall opens, where each process binds
and which Host headers MLflow accepts behind the proxy."""

from __future__ import annotations

LOOPBACK = '127.0.0.1'
PROXY_UNIT = 'mlflow-proxy.service'
# Every unit of the role (a regular expression): a port moving between them is no conflict.
OWN_UNITS = r'^(mlflow-tracking|mlflow-model@[^/]+|fire-mlops|mlflow-proxy)\.service$'
# What MLflow 3 accepts by default, kept when the proxy's names are added (the role's own checks
# and the proxy's health checks reach the processes on loopback).
LOCAL_HOSTS = ['localhost', 'localhost:*', '127.0.0.1', '127.0.0.1:*']
# The slots of a served model: blue is the only one without TLS in front.
SLOTS = ('blue', 'green')


def frontend(name):
    """The proxy's frontend of a served model (the key of its entry in the proxy's map)."""
    return 'model-%s' % name


def instance(name, slot):
    """The mlflow-model@ instance of a served model's slot: blue keeps the model's name (the
    instance before slots existed), green is NAME:green - ':' is in no model name, so it is no
    other model's instance."""
    return name if slot == 'blue' else '%s:%s' % (name, slot)


class PortsError(ValueError):
    """A port layout that cannot work, in words naming the variables."""


def _names(tls_names):
    """The DNS names and IP addresses of the proxy's certificate (subjectAltName forms
    DNS:x / IP:x, or bare names)."""
    names = []
    for name in tls_names or []:
        kind, sep, value = str(name).partition(':')
        value = value if sep and kind.upper() in ('DNS', 'IP') else str(name)
        if value and value not in names:
            names.append(value)
    return names


def _host_headers(name):
    """The allowed-hosts entries of a name: itself, and with any port. An IPv6 address is
    bracketed in a Host header ([2001:db8::1]:443), and '[' opens a set in MLflow's fnmatch
    patterns: [[] matches the bracket itself."""
    if ':' in name:
        return ['[%s]' % name, '[[]%s]:*' % name]
    return [name, '%s:*' % name]


def layout(inputs):
    """{tls, bind, model_bind, tracking_port, models {name: port}, fire_mlops_port, frontends,
    allowed_hosts, port_units {port: unit}, own_units, slots {name: {slot: {instance, port}}}} from the
    role's inputs: tls (bool), port_offset, tracking_host, tracking_port, models (name, port of each
    present), fire_mlops_enabled, fire_mlops_port, tls_names, allowed_hosts (the user's), served
    ({name: {live: slot}}, the slot each model serves from; blue when not given). A model's port
    in models is its live slot's; its frontend has both slots as backends (frontends: name, port,
    check, backends [{name, port}]), whichever serves."""
    tls = bool(inputs.get('tls'))
    offset = int(inputs.get('port_offset') or 0) if tls else 0
    tracking = int(inputs['tracking_port'])
    models = [(str(model['name']), int(model['port'])) for model in inputs.get('models') or []]
    fire = int(inputs['fire_mlops_port']) if inputs.get('fire_mlops_enabled') else None
    # (unit, frontend, public port, health path, served model or None) of each public port.
    public = [('mlflow-tracking.service', 'tracking', tracking, '/health', None)]
    public += [('mlflow-model@%s.service' % name, frontend(name), port, '/ping', name) for name, port in models]
    if fire is not None:
        public.append(('fire-mlops.service', 'fire-mlops', fire, None, None))
    slot_offsets = dict(blue=offset, green=2 * offset) if tls else dict(blue=0)
    if tls:
        if offset < 1:
            raise PortsError('mlflow_host_tls_port_offset must be a positive number when mlflow_host_tls_enabled is true')
        publics = set(port for _unit, _name, port, _check, _model in public)
        for unit, _name, port, _check, _model in public:
            if port + offset > 65535:
                raise PortsError('mlflow_host_tls_port_offset %d puts %s on port %d, past 65535'
                                 % (offset, unit, port + offset))
            if port + offset in publics:
                raise PortsError('mlflow_host_tls_port_offset %d puts %s on port %d, a public port of this host'
                                 % (offset, unit, port + offset))
        for name, port in models:
            green = port + slot_offsets['green']
            if green > 65535 or green in publics:
                raise PortsError('mlflow_host_tls_port_offset %d puts the green slot of served model %s on port %d, %s'
                                 % (offset, name, green, 'past 65535' if green > 65535 else 'a public port of this host'))
    slots = dict((name, dict((slot, dict(instance=instance(name, slot), port=port + shift,
                                         backend='%s-%s' % (frontend(name), slot)))
                             for slot, shift in slot_offsets.items())) for name, port in models)
    placed = [(port, PROXY_UNIT) for _unit, _name, port, _check, _model in public if tls]
    placed += [(port + offset, unit) for unit, _name, port, _check, model in public if model is None]
    placed += [(held['port'], 'mlflow-model@%s.service' % held['instance'])
               for _name, by_slot in sorted(slots.items()) for _slot, held in sorted(by_slot.items())]
    units = {}
    for port, unit in placed:
        if units.get(port, unit) != unit:
            raise PortsError('mlflow_host_tls_port_offset %d puts %s and %s both on port %d'
                             % (offset, units[port], unit, port))
        units[port] = unit
    served = inputs.get('served') or {}
    live = dict((name, live_slot(served.get(name), tls)) for name, _port in models)
    live_ports = dict((name, slots[name][live[name]]['port']) for name, _port in models)
    names = _names(inputs.get('tls_names'))
    allowed = list(inputs.get('allowed_hosts') or [])
    if tls and not allowed:
        allowed = LOCAL_HOSTS + [host for name in names for host in _host_headers(name)]
    return dict(
        tls=tls,
        bind=LOOPBACK if tls else (inputs.get('tracking_host') or '0.0.0.0'),
        model_bind=LOOPBACK if tls else '0.0.0.0',
        tracking_port=tracking + offset,
        models=live_ports,
        slots=slots,
        fire_mlops_port=fire + offset if fire is not None else None,
        frontends=[dict(name=name, port=port, check=check, backends=_backends(name, port + offset, slots.get(model)))
                   for _unit, name, port, check, model in public] if tls else [],
        allowed_hosts=allowed,
        port_units=units,
        own_units=OWN_UNITS,
    )


def _backends(name, port, by_slot):
    """The proxy's backends of frontend name: a served model's slots (by_slot; blue first, the
    one a request goes to when the map names none), else its process's; each {name, port}."""
    if by_slot:
        return [dict(name=by_slot[slot]['backend'], port=by_slot[slot]['port']) for slot in SLOTS]
    return [dict(name=name, port=port)]


def live_slot(held, tls):
    """The slot a model serves from: the one its state (held, its entry of models/served.json)
    names, blue without TLS or state."""
    slot = held.get('live') if isinstance(held, dict) else None
    return slot if tls and slot in SLOTS else 'blue'
