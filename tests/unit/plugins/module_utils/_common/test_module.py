"""_common.module.run_module, in this process as AnsiballZ runs a module: its arguments given
(ansible.module_utils.testing.patch_module_args), the JSON it prints and its exit read. The
result of run is the module's; a ModuleFailure fails it with its msg and partial result; check
mode, the diff flag and the parameters as the argument spec made them reach run; the host gives
warnings, commands, executables and file options; secret map values are hidden."""

import copy
import json
import os
import stat
import sys

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure, run_module

SPEC = dict(name=dict(type="str", required=True), count=dict(type="int", default=3))


def module_run(capsys, run, args, argument_spec=None, **module_kwargs):
    """(exit code, result) of run_module(run, argument_spec (SPEC), **module_kwargs) given args.
    The spec is copied: AnsibleModule adds the file options to the dict it is given
    (add_file_common_args), which would leak into the tests that run after."""
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        run_module(run, copy.deepcopy(argument_spec or SPEC), **module_kwargs)
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_the_result_of_run_is_the_modules_with_the_parameters_as_the_spec_made_them(capsys):
    seen = []

    def run(params, check_mode, host):
        seen.append((dict(params), check_mode, host.diff))
        return dict(changed=True, greeting="hello %s" % params["name"])

    code, result = module_run(capsys, run, dict(name="scorer"), supports_check_mode=True)
    assert code == 0
    assert result["changed"] is True and result["greeting"] == "hello scorer" and "failed" not in result
    assert result["invocation"]["module_args"] == dict(name="scorer", count=3)
    assert seen == [(dict(name="scorer", count=3), False, False)]


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("diff", [False, True])
def test_check_mode_and_the_diff_flag_reach_run(capsys, check_mode, diff):
    def run(params, check_mode, host):
        return dict(changed=False, check_mode=check_mode, diff=host.diff)

    _code, result = module_run(capsys, run, dict(name="x", _ansible_check_mode=check_mode, _ansible_diff=diff),
                               supports_check_mode=True)
    assert (result["check_mode"], result["diff"]) == (check_mode, diff)


def test_a_module_fails_with_the_msg_and_the_partial_result_of_a_module_failure(capsys):
    def run(params, check_mode, host):
        raise ModuleFailure("no server scorer1 in backend b (balancer socket /run/x.sock)", actions=["b/s: drain"],
                            changed=False)

    code, result = module_run(capsys, run, dict(name="x"))
    assert code == 1
    assert result["failed"] is True
    assert result["msg"] == "no server scorer1 in backend b (balancer socket /run/x.sock)"
    assert result["actions"] == ["b/s: drain"] and result["changed"] is False


def test_a_module_failure_keeps_its_msg_and_result():
    failure = ModuleFailure("it broke", actions=[], problems=["one"])
    assert (str(failure), failure.msg, failure.result) == ("it broke", "it broke", dict(actions=[], problems=["one"]))


@pytest.mark.parametrize("args, message", [
    (dict(count=1), "missing required arguments: name"),
    (dict(name="x", count=1), "parameters are mutually exclusive: name|count"),
])
def test_the_argument_spec_and_the_module_keywords_refuse_before_run(capsys, args, message):
    def run(params, check_mode, host):
        raise AssertionError("run with arguments the spec refuses")

    code, result = module_run(capsys, run, args, mutually_exclusive=[("name", "count")])
    assert code == 1 and result["msg"] == message


def test_check_mode_is_refused_without_supports_check_mode(capsys):
    def run(params, check_mode, host):
        raise AssertionError("run in check mode, unsupported")

    code, result = module_run(capsys, run, dict(name="x", _ansible_check_mode=True))
    assert code == 0 and result["skipped"] is True


def test_the_host_warns_runs_commands_and_finds_executables(capsys, monkeypatch):
    # Where the warning goes (the result, or the controller's display when this process imported
    # controller code) is AnsibleModule.warn's business: the host hands it there.
    warned = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda module, text: warned.append(text))

    def run(params, check_mode, host):
        host.warn("a warning of %s" % params["name"])
        rc, out, err = host.run_command([sys.executable, "-c", "import os, sys; print(os.environ['ASKED']); "
                                                               "sys.stderr.write('e')"],
                                        environ_update=dict(ASKED="given"))
        return dict(changed=False, rc=rc, out=out, err=err, python=host.get_bin_path(os.path.basename(sys.executable)),
                    missing=host.get_bin_path("no-such-tool-anywhere"))

    _code, result = module_run(capsys, run, dict(name="x"))
    assert (result["rc"], result["out"], result["err"]) == (0, "given\n", "e")
    assert result["python"] and os.path.basename(result["python"]) == os.path.basename(sys.executable)
    assert result["missing"] is None
    assert warned == ["a warning of x"]


def test_a_required_executable_not_found_fails_as_ansible_module_says_it(capsys):
    def run(params, check_mode, host):
        host.get_bin_path("no-such-tool-anywhere", required=True)
        raise AssertionError("not reached")

    code, result = module_run(capsys, run, dict(name="x"))
    assert code == 1 and result["msg"].startswith('Failed to find required executable "no-such-tool-anywhere"')


def test_the_file_options_are_applied_through_the_host(capsys, tmp_path):
    target = tmp_path / "model.zip"
    target.write_bytes(b"PK")
    target.chmod(0o600)

    def run(params, check_mode, host):
        changed = host.set_file_attributes(str(target), False)
        public = host.set_file_attributes(str(target) + ".pub", False, mode="0644")
        return dict(changed=changed, public=public)

    (tmp_path / "model.zip.pub").write_text("ssh-ed25519 AAAA\n")
    (tmp_path / "model.zip.pub").chmod(0o600)
    _code, result = module_run(capsys, run, dict(name="x", mode="0640"), add_file_common_args=True)
    assert result["changed"] is True and result["public"] is True
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "model.zip.pub").stat().st_mode) == 0o644
    _code, result = module_run(capsys, run, dict(name="x", mode="0640"), add_file_common_args=True)
    assert result["changed"] is False and result["public"] is False


def test_secret_maps_hide_their_secret_values_in_the_result_and_the_failure(capsys):
    spec = dict(name=dict(type="str", required=True), env=dict(type="dict", default={}))
    args = dict(name="x", env=dict(API_TOKEN="s3cr3t-v4lue-never-shown", LEVEL="info"))

    def run(params, check_mode, host):
        raise ModuleFailure("the token is %s" % params["env"]["API_TOKEN"], env=params["env"])

    _code, result = module_run(capsys, run, args, argument_spec=spec, secret_maps=dict(env=None))
    assert "s3cr3t-v4lue-never-shown" not in json.dumps(result)
    assert result["env"]["LEVEL"] == "info"
    _code, result = module_run(capsys, run, args, argument_spec=spec)
    assert "s3cr3t-v4lue-never-shown" in result["msg"]  # without secret_maps, a plain AnsibleModule
