"""scorer_lb_others_out: the servers out of rotation on the balancers that belong to no host this
run takes out, named by their balancer - its loop item, a name or a scorer_fleet entry."""

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_lb_others_out import scorer_lb_others_out

OUT = {"backend": "scorer_churn-model", "server": "scorer2", "admin_state": "maint"}
READY = {"backend": "scorer_churn-model", "server": "scorer1", "admin_state": "ready"}


def test_a_server_out_of_another_host_is_named_by_its_balancer():
    results = [{"item": {"name": "lb1", "socket": "/run/haproxy/admin.sock", "addresses": []}, "servers": [OUT, READY]},
               {"item": "lb2", "servers": [OUT]}]
    assert scorer_lb_others_out(results, ["scorer1"]) == [
        "lb1 scorer_churn-model/scorer2 maint", "lb2 scorer_churn-model/scorer2 maint"]


def test_the_hosts_of_the_batch_are_not_others():
    assert scorer_lb_others_out([{"item": {"name": "lb1"}, "servers": [OUT]}], ["scorer2"]) == []
