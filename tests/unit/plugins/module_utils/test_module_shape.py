"""Every module has one shape (docs/architecture.md): its logic is run(params, check_mode, host)
in its _<layer>/ file, whose run_module() only hands run to _common.module.run_module; only
_common/module.py builds the AnsibleModule and calls exit_json or fail_json. Read from the
source (AST): a new module of another shape fails here."""

import ast
import pathlib

import pytest

import ansible_collections.sparkflows.mlops.plugins.module_utils as module_utils_package

# The collection the tests import (the checkout, or make mutation's staged copy), not a path
# relative to this file.
MODULE_UTILS = pathlib.Path(list(module_utils_package.__path__)[0]).resolve()
REPO_ROOT = MODULE_UTILS.parent.parent
PACKAGE = "ansible_collections.sparkflows.mlops.plugins.module_utils."
COMMON_MODULE = PACKAGE + "_common.module"
OWNER = MODULE_UTILS / "_common" / "module.py"
FILES = sorted(path for path in MODULE_UTILS.rglob("*.py") if "__pycache__" not in path.parts)
TREES = dict((path, ast.parse(path.read_text(), str(path))) for path in FILES)
LOGIC = sorted(path for path, tree in TREES.items() if path != OWNER and any(
    isinstance(node, ast.FunctionDef) and node.name == "run_module" for node in tree.body))
MODULES = sorted((REPO_ROOT / "plugins" / "modules").glob("*.py"))


def shown(path):
    return str(path.relative_to(REPO_ROOT))


def imported_as(tree, module, name):
    """The local names `name` of `module` is imported under in tree."""
    return set(alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module == module for alias in node.names if alias.name == name)


def top_function(tree, name):
    return next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name), None)


def calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            yield node, func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def test_every_module_runs_the_run_module_of_a_logic_file():
    """The 16 modules' files each import run_module from one logic file: those are LOGIC."""
    used = set()
    for path in MODULES:
        tree = ast.parse(path.read_text())
        sources = [node.module for node in tree.body if isinstance(node, ast.ImportFrom)
                   and any(alias.name == "run_module" for alias in node.names)]
        assert len(sources) == 1 and sources[0].startswith(PACKAGE), "%s: no run_module of module_utils" % shown(path)
        used.add(MODULE_UTILS.joinpath(*sources[0][len(PACKAGE):].split(".")).with_suffix(".py"))
    assert sorted(used) == LOGIC and len(LOGIC) == len(MODULES)


@pytest.mark.parametrize("path", LOGIC, ids=[shown(p) for p in LOGIC])
def test_run_module_only_hands_run_to_common_module(path):
    tree = TREES[path]
    names = imported_as(tree, COMMON_MODULE, "run_module")
    assert names, "%s does not import _common.module.run_module" % shown(path)
    body = [statement for statement in top_function(tree, "run_module").body
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))]
    assert len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call), \
        "%s: run_module() must be one call of _common.module.run_module" % shown(path)
    call = body[0].value
    assert isinstance(call.func, ast.Name) and call.func.id in names, \
        "%s: run_module() calls %s, not _common.module.run_module" % (shown(path), ast.unparse(call.func))
    assert call.args and isinstance(call.args[0], ast.Name) and call.args[0].id == "run", \
        "%s: run_module() hands %s, not run" % (shown(path), ast.unparse(call.args[0]) if call.args else "nothing")


@pytest.mark.parametrize("path", LOGIC, ids=[shown(p) for p in LOGIC])
def test_the_logic_is_run_of_params_check_mode_and_host(path):
    run = top_function(TREES[path], "run")
    assert run is not None, "%s has no run(params, check_mode, host)" % shown(path)
    assert [arg.arg for arg in run.args.args] == ["params", "check_mode", "host"], shown(path)


@pytest.mark.parametrize("path", FILES, ids=[shown(p) for p in FILES])
def test_only_common_module_exits_fails_and_builds_the_ansible_module(path):
    if path == OWNER:
        return
    tree = TREES[path]
    exits = [ast.unparse(node) for node, name in calls(tree) if name in ("exit_json", "fail_json")]
    assert exits == [], "%s exits or fails itself (raise ModuleFailure): %s" % (shown(path), exits)
    built = [ast.unparse(node) for node, name in calls(tree) if name in ("AnsibleModule", "SecretMapsModule")]
    assert built == [], "%s builds its module (_common.module.run_module does): %s" % (shown(path), built)
    if path.name != "secret_maps.py":  # SecretMapsModule is an AnsibleModule, built by _common/module.py
        assert not imported_as(tree, "ansible.module_utils.basic", "AnsibleModule"), shown(path)


def test_the_owner_builds_exits_and_fails():
    names = [name for _node, name in calls(TREES[OWNER])]
    assert {"AnsibleModule", "SecretMapsModule", "exit_json", "fail_json"} <= set(names)
