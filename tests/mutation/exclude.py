"""Leave out of `make mutation` the functions that are not decision logic (tests/mutation.sh runs
this on its staging copy, never on the checkout).

tests/mutation/setup.cfg's [not_mutated] section names them per file of plugins/module_utils/,
one per line, Class.method for a method, Class for a whole class. Each gets mutmut's
`# pragma: no mutate block` on its header line in the copy. A name not found fails the run, so
the list follows the code.

Usage: python exclude.py SETUP_CFG MODULE_UTILS_DIR
"""

import configparser
import pathlib
import sys

import libcst as cst

PRAGMA = "# pragma: no mutate block"


class Exclude(cst.CSTTransformer):
    def __init__(self, names):
        super().__init__()
        self.names = set(names)
        self.found = set()
        self.stack = []

    def _enter(self, node):
        self.stack.append(node.name.value)

    def _leave(self, updated):
        name = ".".join(self.stack)
        self.stack.pop()
        if name in self.names and isinstance(updated.body, cst.IndentedBlock):
            self.found.add(name)
            header = updated.body.header.with_changes(
                whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(PRAGMA))
            return updated.with_changes(body=updated.body.with_changes(header=header))
        return updated

    def visit_ClassDef(self, node):
        self._enter(node)

    def leave_ClassDef(self, original_node, updated_node):
        return self._leave(updated_node)

    def visit_FunctionDef(self, node):
        self._enter(node)

    def leave_FunctionDef(self, original_node, updated_node):
        return self._leave(updated_node)


def main(setup_cfg, module_utils):
    config = configparser.ConfigParser(interpolation=None)
    config.optionxform = str
    config.read(setup_cfg)
    missing = []
    for filename, value in config.items("not_mutated"):
        names = [line.strip() for line in value.splitlines() if line.strip()]
        path = pathlib.Path(module_utils) / filename
        transformer = Exclude(names)
        path.write_text(cst.parse_module(path.read_text()).visit(transformer).code)
        missing += ["%s: %s" % (filename, name) for name in names if name not in transformer.found]
        print("not mutated in %s: %s" % (filename, ", ".join(names)))
    if missing:
        print("tests/mutation/setup.cfg [not_mutated] names what is not there: %s" % "; ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
