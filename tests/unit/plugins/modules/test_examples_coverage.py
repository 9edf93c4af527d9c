"""Every module's EXAMPLES run in an integration test.

The covered modules are read from the integration tests themselves (ast, nothing imported and
nothing copied here): each call of utils.examples.example_tasks, the one way a test gets a
module's EXAMPLES as tasks to run, in a test function or in a helper a test function calls, its
module argument followed to a string, a test's parametrize list, a module constant or a helper's
caller. An argument that cannot be followed fails this test rather than counting as nothing."""

import ast
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
MODULES = REPO_ROOT / "plugins" / "modules"
INTEGRATION = REPO_ROOT / "tests" / "integration"
PREFIX = "sparkflows.mlops."
# The files where the EXAMPLES run today (tests/integration/plugins/modules/test_examples.py
# names the second for ssh_check and ssh_private_key); any other integration test counts too.
EXAMPLE_RUNNERS = (
    INTEGRATION / "plugins" / "modules" / "test_examples.py",
    INTEGRATION / "roles" / "sparkflows_mlflow" / "test_remote_mode.py",
)


class Unresolved(Exception):
    pass


def _name_of(call):
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _decorator_call(decorator, mark):
    """The pytest.mark.MARK(...) call of a decorator (None when it is another one)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    dotted = []
    while isinstance(target, ast.Attribute):
        dotted.insert(0, target.attr)
        target = target.value
    if isinstance(target, ast.Name) and [target.id] + dotted == ["pytest", "mark", mark]:
        return decorator
    return None


class Source(object):
    """One test file's functions, module constants and calls."""

    def __init__(self, path, text=None):
        self.path = path
        self.tree = ast.parse(path.read_text() if text is None else text, str(path))
        self.constants = {}
        self.functions = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
        # (call, the top-level function it is in) for every call inside a function.
        self.calls = [(node, function) for function in self.functions.values()
                      for node in ast.walk(function) if isinstance(node, ast.Call)]

    def where(self, node):
        inside = REPO_ROOT in self.path.parents
        return "%s:%d" % (self.path.relative_to(REPO_ROOT) if inside else self.path, node.lineno)

    def is_test(self, function):
        skipped = any(_decorator_call(d, "skip") is not None for d in function.decorator_list)
        return function.name.startswith("test_") and not skipped

    def reached(self, function, seen=()):
        """A test function, or a helper that a reached function calls."""
        if self.is_test(function):
            return True
        if function.name in seen:
            return False
        return any(self.reached(caller, seen + (function.name,))
                   for call, caller in self.calls if _name_of(call) == function.name)

    def literal(self, node):
        """A literal value, module constants resolved."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.literal(self.constants[node.id])
        try:
            return ast.literal_eval(node)
        except ValueError as error:
            raise Unresolved("%s: not a literal: %s" % (self.where(node), ast.unparse(node))) from error

    def parametrized(self, function, name):
        """The values pytest gives the parameter `name` of a test function, None when no
        parametrize mark gives it."""
        for decorator in function.decorator_list:
            call = _decorator_call(decorator, "parametrize")
            if call is None or not isinstance(call, ast.Call) or len(call.args) < 2:
                continue
            names = self.literal(call.args[0])
            names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
            if name not in names:
                continue
            values = self.literal(call.args[1])
            if len(names) == 1:
                return set(values)
            return set(value[names.index(name)] for value in values)
        return None

    def values(self, node, function, seen=()):
        """Every string the expression node can be when function runs from a test."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return set(left + right for left in self.values(node.left, function, seen)
                       for right in self.values(node.right, function, seen))
        if isinstance(node, ast.Name):
            parameters = [a.arg for a in function.args.posonlyargs + function.args.args]
            keywords = [a.arg for a in function.args.kwonlyargs]
            if node.id in parameters + keywords:
                return self.parameter_values(function, node.id, parameters, seen)
            if node.id in self.constants:
                value = self.literal(node)
                if isinstance(value, str):
                    return {value}
        raise Unresolved("%s: cannot tell which module's EXAMPLES this runs: %s"
                         % (self.where(node), ast.unparse(node)))

    def parameter_values(self, function, name, parameters, seen):
        if self.is_test(function):
            given = self.parametrized(function, name)
            if given is None:
                raise Unresolved("%s: %s of %s comes from a fixture, not a parametrize mark"
                                 % (self.where(function), name, function.name))
            return set(given)
        if (function.name, name) in seen:
            return set()
        found = set()
        for call, caller in self.calls:
            if _name_of(call) != function.name or not self.reached(caller):
                continue
            argument = next((k.value for k in call.keywords if k.arg == name), None)
            if argument is None and name in parameters and parameters.index(name) < len(call.args):
                argument = call.args[parameters.index(name)]
            if argument is None:
                raise Unresolved("%s: %s called without %s" % (self.where(call), function.name, name))
            found |= self.values(argument, caller, seen + ((function.name, name),))
        return found


def examples_run(source):
    """{module: [where]} of every module whose EXAMPLES a test of source runs (through
    example_tasks(module, ...))."""
    covered = {}
    for call, function in source.calls:
        if _name_of(call) != "example_tasks" or not source.reached(function):
            continue
        argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "module"), None)
        if argument is None:
            raise Unresolved("%s: example_tasks without a module" % source.where(call))
        for name in source.values(argument, function):
            if not name.startswith(PREFIX):
                raise Unresolved("%s: %r is not a module of %s" % (source.where(call), name, PREFIX.rstrip(".")))
            covered.setdefault(name[len(PREFIX):], []).append(source.where(call))
    return covered


def integration_tests():
    return sorted(INTEGRATION.rglob("test_*.py"))


def covered_modules():
    covered = {}
    for path in integration_tests():
        for module, where in examples_run(Source(path)).items():
            covered.setdefault(module, []).extend(where)
    return covered


def modules():
    return sorted(path.stem for path in MODULES.glob("*.py") if path.stem != "__init__")


def test_every_module_has_its_examples_run_by_an_integration_test():
    covered = covered_modules()
    missing = [module for module in modules() if module not in covered]
    assert missing == [], "no integration test runs the EXAMPLES of: %s" % ", ".join(missing)


def test_every_module_an_examples_test_names_exists():
    unknown = sorted(set(covered_modules()) - set(modules()))
    assert unknown == [], "EXAMPLES tests name modules that do not exist: %s" % ", ".join(unknown)


def test_the_known_example_runners_are_read():
    """The two files where the EXAMPLES run today each contribute (a reader that finds nothing
    there is broken, not the tests)."""
    for path in EXAMPLE_RUNNERS:
        assert path in integration_tests()
        assert examples_run(Source(path)), "no example_tasks call read in %s" % path


def test_ssh_modules_examples_run_on_the_remote_mode_lab():
    assert set(examples_run(Source(EXAMPLE_RUNNERS[1]))) == {"ssh_check", "ssh_private_key"}


# -- the reader itself can fail ------------------------------------------------------------

SAMPLE = '''
import pytest
from utils.examples import example_tasks

LISTED = ["sparkflows_info", "mlflow_config"]


def run_examples(tmp_path, module, replacements):
    return example_tasks(module, replacements)


@pytest.mark.parametrize("module", LISTED)
def test_listed(tmp_path, module):
    run_examples(tmp_path, "sparkflows.mlops." + module, {})


@pytest.mark.parametrize("module, port", [("sparkflows_workflow", 1), ("scorer_info", 2)])
def test_pairs(tmp_path, module, port):
    run_examples(tmp_path, PREFIX + module, {})


PREFIX = "sparkflows.mlops."


def test_direct():
    example_tasks("sparkflows.mlops.ssh_check", {})


def never_called():
    example_tasks("sparkflows.mlops.os_packages", {})


@pytest.mark.skip(reason="off")
def test_skipped(tmp_path):
    run_examples(tmp_path, "sparkflows.mlops.port_owners_info", {})
'''


def test_the_reader_follows_parametrize_constants_and_helpers_and_skips_what_never_runs(tmp_path):
    path = tmp_path / "test_sample.py"
    path.write_text(SAMPLE)
    assert sorted(examples_run(Source(path))) == [
        "mlflow_config", "scorer_info", "sparkflows_info", "sparkflows_workflow", "ssh_check"]


@pytest.mark.parametrize("body", [
    "def test_x(module):\n    example_tasks(module, {})\n",  # a fixture's value
    "def test_x():\n    example_tasks(which(), {})\n",
    "def test_x():\n    example_tasks('community.general.ini_file', {})\n",
], ids=["fixture", "call", "other-collection"])
def test_an_argument_the_reader_cannot_follow_fails(tmp_path, body):
    path = tmp_path / "test_sample.py"
    path.write_text(body)
    with pytest.raises(Unresolved):
        examples_run(Source(path))
