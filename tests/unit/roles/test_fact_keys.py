"""No mapping a role builds (set_fact, vars/main.yml, defaults) has a key named like a method of a
dict: Jinja's `fact.items` is the method, not the key, and a loop over it fails only when it runs
(as `scorer_change.items` did)."""

import pathlib

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DICT_METHODS = set(name for name in dir(dict) if not name.startswith("_"))
FILES = sorted(path for pattern in ("roles/*/tasks/*.yml", "roles/*/vars/main.yml", "roles/*/defaults/main.yml",
                                    "playbooks/*.yml")
               for path in REPO_ROOT.glob(pattern))


def built_keys(node, inside=False):
    """The keys of the mappings under a set_fact (or, for vars and defaults files, under a variable)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if inside:
                yield key
            yield from built_keys(value, inside=inside or key in ("ansible.builtin.set_fact", "set_fact"))
    elif isinstance(node, list):
        for value in node:
            yield from built_keys(value, inside)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO_ROOT)) for p in FILES])
def test_no_built_mapping_has_a_key_named_like_a_dict_method(path):
    document = yaml.safe_load(path.read_text()) or {}
    variables_file = path.parent.name in ("vars", "defaults")
    keys = set(built_keys(list(document.values()) if variables_file and isinstance(document, dict) else document,
                          inside=variables_file))
    wrong = sorted(keys & DICT_METHODS)
    assert not wrong, "%s: %s name methods of a dict in Jinja" % (path.relative_to(REPO_ROOT), wrong)
