"""galaxy.yml `dependencies` name exactly the collections that the roles, playbooks and plugins use:
a module, lookup, filter or test of an undeclared collection fails for whoever installs this
collection from Galaxy or an execution environment, and a declared one that nothing uses is dead
weight (found by reading every task, template and plugin, including the modules' EXAMPLES)."""

import ast
import pathlib
import re

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SELF = "sparkflows.mlops"
BUILTIN = ("ansible.builtin", "ansible.legacy")
FQCN = re.compile(r"^([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+$")
# In Jinja: lookup('ns.coll.x'), query/q('ns.coll.x'), `| ns.coll.filter`, `is [not] ns.coll.test`.
JINJA_USES = (
    re.compile(r"\b(?:lookup|query|q)\(\s*['\"]([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+['\"]"),
    re.compile(r"\|\s*([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+\b"),
    re.compile(r"\bis\s+(?:not\s+)?([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+\b"),
)
PYTHON_IMPORT = re.compile(r"^ansible_collections\.([a-z0-9_]+)\.([a-z0-9_]+)(\.|$)")


def _strings_and_keys(node):
    """Every mapping key and every string value of a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str):
                yield "key", key
            yield from _strings_and_keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings_and_keys(value)
    elif isinstance(node, str):
        yield "value", node


def collections_in_yaml(document):
    used = set()
    for kind, text in _strings_and_keys(document):
        if kind == "key":
            # A task's module (ns.coll.module:) or a module_defaults group (group/ns.coll.group:).
            match = FQCN.match(text[len("group/"):] if text.startswith("group/") else text)
            if match:
                used.add(match.group(1))
        else:
            used.update(collections_in_jinja(text))
    return used


def collections_in_jinja(text):
    return {match.group(1) for pattern in JINJA_USES for match in pattern.finditer(text)}


def collections_in_python(path):
    used = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            match = PYTHON_IMPORT.match(name)
            if match:
                used.add("%s.%s" % match.group(1, 2))
        # The EXAMPLES (and any other YAML documentation) of a module.
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXAMPLES" for t in node.targets):
            used |= collections_in_yaml(yaml.safe_load(node.value.value))
    return used


def used_collections(root):
    """{collection: [files using it]} over roles/, playbooks/ and plugins/ of root."""
    used = {}
    for top in ("roles", "playbooks", "plugins"):
        for path in sorted((root / top).rglob("*")):
            if not path.is_file() or "molecule" in path.relative_to(root).parts:
                continue
            if path.suffix in (".yml", ".yaml"):
                found = set()
                for document in yaml.safe_load_all(path.read_text()):
                    found |= collections_in_yaml(document)
            elif path.suffix == ".j2":
                found = collections_in_jinja(path.read_text())
            elif path.suffix == ".py":
                found = collections_in_python(path)
            else:
                continue
            for collection in found - {SELF, *BUILTIN}:
                used.setdefault(collection, []).append(str(path.relative_to(root)))
    return used


def declared_collections(root):
    return set((yaml.safe_load((root / "galaxy.yml").read_text()).get("dependencies") or {}))


def test_every_collection_used_is_declared():
    undeclared = {name: files for name, files in used_collections(REPO_ROOT).items()
                  if name not in declared_collections(REPO_ROOT)}
    assert not undeclared, "galaxy.yml dependencies lack: %s" % undeclared


def test_every_declared_collection_is_used():
    unused = declared_collections(REPO_ROOT) - set(used_collections(REPO_ROOT))
    assert not unused, "galaxy.yml declares collections nothing uses: %s" % sorted(unused)


@pytest.mark.parametrize("task, expected", [
    ({"name": "x", "community.general.ufw": {"rule": "allow"}}, {"community.general"}),
    ({"block": [{"rescue": [{"ansible.posix.firewalld": {}}]}]}, {"ansible.posix"}),
    ({"module_defaults": {"group/community.docker.docker": {}}}, {"community.docker"}),
    ({"debug": {"msg": "{{ lookup('community.hashi_vault.vault_kv2_get', 'p') }}"}}, {"community.hashi_vault"}),
    ({"debug": {"msg": "{{ query(\"amazon.aws.aws_ssm\", 'p') }}"}}, {"amazon.aws"}),
    ({"set_fact": {"a": "{{ b | community.general.json_query('c') }}"}}, {"community.general"}),
    ({"assert": {"that": "x is not ansible.utils.ipaddr"}}, {"ansible.utils"}),
    ({"ansible.builtin.debug": {"msg": "sparkflows.example.net"}}, {"ansible.builtin"}),
])
def test_the_reader_finds_each_kind_of_use(task, expected):
    assert collections_in_yaml([task]) == expected


def test_an_undeclared_collection_is_found(tmp_path):
    (tmp_path / "roles" / "r" / "tasks").mkdir(parents=True)
    (tmp_path / "roles" / "r" / "tasks" / "main.yml").write_text("- community.general.ufw: {rule: allow}\n")
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "plugins").mkdir()
    assert used_collections(tmp_path) == {"community.general": ["roles/r/tasks/main.yml"]}


@pytest.mark.parametrize("document", ["README.md", "docs/awx.md", "ee/execution-environment.yml"])
def test_the_docs_list_the_declared_collections(document):
    # Each names them in one parenthesis after "galaxy.yml`'s `dependencies"; a list that drifts
    # from galaxy.yml sends an AWX admin to build an execution environment with the wrong ones.
    text = " ".join((REPO_ROOT / document).read_text().replace("#", " ").split())
    start = text.index("dependencies", text.index("galaxy.yml"))
    listed = set(re.findall(r"\b([a-z0-9_]+\.[a-z0-9_]+)\b", text[start:text.index(")", start)]))
    declared = set(yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["dependencies"])
    assert listed == declared
