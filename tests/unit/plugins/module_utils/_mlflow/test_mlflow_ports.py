"""_mlflow.ports: where each process of an MLflow host listens, with and without the TLS proxy.
Properties of the layout, whatever the ports: without TLS each process holds its public port;
with TLS the proxy holds every public port and each process its public port plus the offset on
loopback, one frontend each; no two units on one port; the offsets that cannot work are refused
naming the variable; the Host headers MLflow accepts behind the proxy (matched as MLflow 3 matches
them: mlflow/server/security_utils.py is_allowed_host_header) are the certificate's names with or
without a port and loopback, nothing else; the own-units expression matches every unit placed."""

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.ports import (
    LOOPBACK,
    PROXY_UNIT,
    PortsError,
    layout,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
MODELS = [{"name": "churn", "port": 5101}, {"name": "fraud", "port": 5102}]


def inputs(**given):
    values = dict(tls=False, port_offset=10000, tracking_host="", tracking_port=5000, models=MODELS,
                  fire_mlops_enabled=True, fire_mlops_port=8086, tls_names=[], allowed_hosts=[])
    values.update(given)
    return values


def mlflow_accepts(allowed_hosts, host):
    """MLflow 3's Host header check: '*' allows all, a pattern with '*' is an fnmatch, else equal."""
    if "*" in allowed_hosts:
        return True
    return any(fnmatch.fnmatch(host, allowed) if "*" in allowed else host == allowed for allowed in allowed_hosts)


def public_ports(given):
    ports = {"tracking": given["tracking_port"]}
    ports.update(("model-%s" % m["name"], m["port"]) for m in given["models"])
    if given["fire_mlops_enabled"]:
        ports["fire-mlops"] = given["fire_mlops_port"]
    return ports


@st.composite
def layouts(draw):
    """Inputs with distinct public ports and an offset that keeps the backends off them."""
    count = draw(st.integers(0, 4))
    fire = draw(st.booleans())
    ports = draw(st.lists(st.integers(1, 30000), min_size=count + 1 + fire, max_size=count + 1 + fire, unique=True))
    # Off the public ports, the green slots (public plus twice the offset) included.
    offset = draw(st.integers(1, 30000).filter(
        lambda o: not (set(p + o for p in ports) | set(p + 2 * o for p in ports[1:count + 1])) & set(ports)
        and not set(p + o for p in ports) & set(p + 2 * o for p in ports[1:count + 1])
        and all(p + 2 * o <= 65535 for p in ports[1:count + 1])))
    models = [{"name": "m%d" % i, "port": port} for i, port in enumerate(ports[1:count + 1])]
    return inputs(tracking_port=ports[0], models=models, fire_mlops_enabled=fire,
                  fire_mlops_port=ports[-1] if fire else 8086, port_offset=offset)


@SETTINGS
@given(given=layouts())
def test_without_tls_each_process_holds_its_public_port(given):
    result = layout(given)
    ports = public_ports(given)
    assert result["tracking_port"] == ports["tracking"]
    assert result["models"] == dict((m["name"], m["port"]) for m in given["models"])
    assert result["fire_mlops_port"] == (given["fire_mlops_port"] if given["fire_mlops_enabled"] else None)
    assert (result["bind"], result["model_bind"], result["frontends"]) == ("0.0.0.0", "0.0.0.0", [])
    assert sorted(result["port_units"]) == sorted(ports.values())
    assert PROXY_UNIT not in result["port_units"].values()
    assert result["port_units"][ports["tracking"]] == "mlflow-tracking.service"


@SETTINGS
@given(given=layouts())
def test_with_tls_the_proxy_holds_every_public_port_and_each_process_its_port_plus_the_offset(given):
    given["tls"] = True
    result = layout(given)
    offset, ports = given["port_offset"], public_ports(given)
    assert (result["bind"], result["model_bind"]) == (LOOPBACK, LOOPBACK)
    assert result["tracking_port"] == ports["tracking"] + offset
    # Each model serves from its blue slot until its state names another.
    assert result["models"] == dict((m["name"], m["port"] + offset) for m in given["models"])
    assert result["slots"] == dict((m["name"], {
        "blue": {"instance": m["name"], "port": m["port"] + offset, "backend": "model-%s-blue" % m["name"]},
        "green": {"instance": m["name"] + ":green", "port": m["port"] + 2 * offset, "backend": "model-%s-green" % m["name"]}})
        for m in given["models"])
    if given["fire_mlops_enabled"]:
        assert result["fire_mlops_port"] == given["fire_mlops_port"] + offset
    # One frontend per public port, to the process behind it.
    assert sorted((f["name"], f["port"], f["backends"][0]["port"]) for f in result["frontends"]) == sorted(
        (name, port, port + offset) for name, port in ports.items())
    # A model's frontend has its two slots as backends, blue first; the others their process.
    for f in result["frontends"]:
        model = f["name"][len("model-"):]
        assert [(b["name"], b["port"]) for b in f["backends"]] == (
            [(s["backend"], s["port"]) for s in (result["slots"][model]["blue"], result["slots"][model]["green"])]
            if f["name"].startswith("model-") else [(f["name"], f["port"] + offset)])
    # Each port has one unit: the proxy on the public ones, the process on the others (two slots per model).
    assert len(result["port_units"]) == 2 * len(ports) + len(given["models"])
    for name, port in ports.items():
        assert result["port_units"][port] == PROXY_UNIT
        assert result["port_units"][port + offset] != PROXY_UNIT
    # And every unit placed is one of the role's own.
    assert all(re.match(result["own_units"], unit) for unit in result["port_units"].values())


def test_the_units_and_health_checks_of_each_frontend():
    result = layout(inputs(tls=True))
    assert dict((f["name"], f["check"]) for f in result["frontends"]) == {
        "tracking": "/health", "model-churn": "/ping", "model-fraud": "/ping", "fire-mlops": None}
    assert result["port_units"] == {
        5000: PROXY_UNIT, 15000: "mlflow-tracking.service",
        5101: PROXY_UNIT, 15101: "mlflow-model@churn.service",
        5102: PROXY_UNIT, 15102: "mlflow-model@fraud.service",
        25101: "mlflow-model@churn:green.service", 25102: "mlflow-model@fraud:green.service",
        8086: PROXY_UNIT, 18086: "fire-mlops.service"}


def test_a_model_serving_from_its_green_slot_has_its_port_there_and_the_same_frontends():
    result = layout(inputs(tls=True, served={"churn": {"live": "green"}, "fraud": {"live": "blue"}, "gone": {"live": "green"}}))
    assert result["models"] == {"churn": 25101, "fraud": 15102}
    # The proxy's configuration does not depend on the live slot (the map switches it).
    assert result["frontends"] == layout(inputs(tls=True))["frontends"]
    assert [f["backends"] for f in result["frontends"] if f["name"] == "model-churn"] == [[
        {"name": "model-churn-blue", "port": 15101}, {"name": "model-churn-green", "port": 25101}]]
    # Without TLS there is one slot, whatever the state says; an unknown slot is blue.
    assert layout(inputs(served={"churn": {"live": "green"}}))["models"]["churn"] == 5101
    assert layout(inputs(tls=True, served={"churn": {"live": "red"}}))["models"]["churn"] == 15101
    assert layout(inputs(served={"churn": {"live": "green"}}))["slots"]["churn"] == {
        "blue": {"instance": "churn", "port": 5101, "backend": "model-churn-blue"}}


def test_a_green_slot_past_65535_or_on_a_public_port_is_refused():
    with pytest.raises(PortsError, match="puts the green slot of served model churn on port 66000, past 65535"):
        layout(inputs(tls=True, port_offset=30000, tracking_port=5000, fire_mlops_enabled=False,
                      models=[{"name": "churn", "port": 6000}]))
    with pytest.raises(PortsError, match="puts the green slot of served model churn on port 5301, a public port"):
        layout(inputs(tls=True, port_offset=100, models=[{"name": "churn", "port": 5101}, {"name": "b", "port": 5301}]))


def test_two_units_on_one_port_are_refused_naming_both():
    # (The role refuses two models on one port before; the layout does not rely on it.)
    with pytest.raises(PortsError, match="puts mlflow-model@a.service and mlflow-model@b.service both on port 15101"):
        layout(inputs(tls=True, fire_mlops_enabled=False, models=[{"name": "a", "port": 5101}, {"name": "b", "port": 5101}]))


def test_the_offset_is_ignored_without_tls_and_fire_mlops_off_holds_no_port():
    result = layout(inputs(port_offset=0, fire_mlops_enabled=False, tracking_host="10.0.0.7"))
    assert result["fire_mlops_port"] is None
    assert 8086 not in result["port_units"] and "fire-mlops.service" not in result["port_units"].values()
    assert result["bind"] == "10.0.0.7"  # the user's address without TLS; loopback behind the proxy
    assert layout(inputs(tls=True, tracking_host="10.0.0.7"))["bind"] == LOOPBACK


@pytest.mark.parametrize("offset", [0, -1, None])
def test_tls_without_a_positive_offset_is_refused(offset):
    with pytest.raises(PortsError, match="mlflow_host_tls_port_offset must be a positive number"):
        layout(inputs(tls=True, port_offset=offset))


def test_an_offset_past_65535_is_refused_naming_the_unit():
    with pytest.raises(PortsError, match="mlflow_host_tls_port_offset 60000 puts fire-mlops.service on port 68086, "
                                         "past 65535"):
        layout(inputs(tls=True, port_offset=60000, tracking_port=5000, models=[]))
    assert layout(inputs(tls=True, port_offset=65535 - 8086, models=[]))["fire_mlops_port"] == 65535


def test_an_offset_onto_another_public_port_is_refused():
    with pytest.raises(PortsError, match="puts mlflow-tracking.service on port 5101, a public port of this host"):
        layout(inputs(tls=True, port_offset=101))


# -- Host headers ---------------------------------------------------------------------------

NAMES = ["DNS:mlflow.example.net", "dns:MLflow-Alias.example.net", "IP:192.0.2.10", "IP:2001:db8::10", "bare.example.net"]


@pytest.mark.parametrize("host", [
    "mlflow.example.net", "mlflow.example.net:443", "mlflow.example.net:5000",
    "MLflow-Alias.example.net:8443", "192.0.2.10", "192.0.2.10:5101", "bare.example.net:443",
    "[2001:db8::10]", "[2001:db8::10]:443",
    "localhost", "localhost:15000", "127.0.0.1", "127.0.0.1:15000",
])
def test_behind_the_proxy_mlflow_accepts_the_certificates_names_and_loopback(host):
    assert mlflow_accepts(layout(inputs(tls=True, tls_names=NAMES))["allowed_hosts"], host)


@pytest.mark.parametrize("host", [
    "evil.example.net", "evil.example.net:443", "mlflow.example.net.evil.example.net", "192.0.2.11:443",
    "10.0.0.1", "[2001:db8::11]:443", "[2001:db8::10]x", "",
])
def test_behind_the_proxy_mlflow_refuses_any_other_host(host):
    assert not mlflow_accepts(layout(inputs(tls=True, tls_names=NAMES))["allowed_hosts"], host)


def test_the_users_allowed_hosts_are_kept_as_given():
    result = layout(inputs(tls=True, tls_names=NAMES, allowed_hosts=["mlflow.internal", "mlflow.internal:*"]))
    assert result["allowed_hosts"] == ["mlflow.internal", "mlflow.internal:*"]
    assert layout(inputs(allowed_hosts=["a.example.net"]))["allowed_hosts"] == ["a.example.net"]


def test_without_tls_mlflows_own_default_stays():
    assert layout(inputs(tls_names=NAMES))["allowed_hosts"] == []


def test_a_name_given_twice_is_listed_once():
    result = layout(inputs(tls=True, tls_names=["DNS:a.example.net", "a.example.net", "DNS:a.example.net"]))
    assert result["allowed_hosts"].count("a.example.net") == 1


# -- the role's own units -------------------------------------------------------------------

@pytest.mark.parametrize("unit, own", [
    ("mlflow-tracking.service", True), ("mlflow-model@churn.service", True), ("mlflow-model@a-b_c.1.service", True),
    ("fire-mlops.service", True), ("mlflow-proxy.service", True),
    ("nginx.service", False), ("haproxy.service", False), ("mlflow-tracking.service.bak", False),
    ("xmlflow-tracking.service", False), ("mlflow-model@.service", False), ("mlflow-model@a/b.service", False),
    ("mlflow-tracking.socket", False),
])
def test_own_units_matches_the_roles_units_only(unit, own):
    assert bool(re.match(layout(inputs())["own_units"], unit)) is own
