"""mlflow_host_ports: the filter gives _mlflow.ports' layout, every refusal (a layout that cannot
work, a variable missing or not a number) as a filter error naming the filter, and its documented
example works."""

import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter import mlflow_host_ports as plugin
from ansible_collections.sparkflows.mlops.plugins.filter.mlflow_host_ports import FilterModule, mlflow_host_ports
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.ports import layout

EXAMPLE = {"tls": True, "port_offset": 10000, "tracking_port": 5000, "fire_mlops_port": 8086,
           "tls_names": ["DNS:mlflow.example.net"]}


def test_the_documented_example():
    expression = re.search(r"\(\{(.*)\}\s*\|", plugin.EXAMPLES, re.S).group(1)
    assert yaml.safe_load("{%s}" % expression) == EXAMPLE
    assert mlflow_host_ports(EXAMPLE)["tracking_port"] == 15000
    assert mlflow_host_ports(EXAMPLE) == layout(EXAMPLE)


@pytest.mark.parametrize("given, message", [
    (dict(EXAMPLE, port_offset=0), "mlflow_host_ports: mlflow_host_tls_port_offset must be a positive number"),
    ({"tls": False}, "mlflow_host_ports: 'tracking_port'"),
    (dict(EXAMPLE, tracking_port="five thousand"), "mlflow_host_ports: invalid literal"),
    (dict(EXAMPLE, models=[{"name": "churn"}]), "mlflow_host_ports: 'port'"),
], ids=["offset", "missing", "not-a-number", "model-without-port"])
def test_every_refusal_is_a_filter_error(given, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        mlflow_host_ports(given)


def test_anything_but_a_dict_is_refused():
    with pytest.raises(AnsibleFilterError, match="mlflow_host_ports takes a dict"):
        mlflow_host_ports([5000])


def test_the_documentation_parses_and_the_filter_is_registered():
    for text in (plugin.DOCUMENTATION, plugin.EXAMPLES, plugin.RETURN):
        assert yaml.safe_load(text)
    assert FilterModule().filters() == {"mlflow_host_ports": mlflow_host_ports}
