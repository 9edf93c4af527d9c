"""docs/architecture.md names the owner of every rule: every plugin of the collection (module
logic, filters, lookups, modules) and every layer folder of plugins/module_utils is named in it,
and every file it names exists - a file moved or removed fails here, not in a reader's hands."""

import pathlib
import re

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
ARCHITECTURE = (REPO_ROOT / "docs" / "architecture.md").read_text()
MODULE_UTILS = REPO_ROOT / "plugins" / "module_utils"
# module_utils has one folder per layer (_sparkflows/, _docker/, ...), the other kinds are flat.
PLUGINS = sorted(path for kind in ("module_utils", "filter", "lookup", "modules")
                 for path in (REPO_ROOT / "plugins" / kind).rglob("*.py") if path.name != "__init__.py")
LAYERS = sorted(path for path in MODULE_UTILS.iterdir() if path.is_dir() and path.name != "__pycache__")
# A backticked name of a file: a path, or a bare name of a plugin or of a role's tasks file.
NAMED = sorted(set(re.findall(r"`([\w./<>-]+\.(?:py|yml|sh|md))`", ARCHITECTURE)))


# The collection's files (the development tree's caches and virtual environment left out).
FILES = set(str(path.relative_to(REPO_ROOT)) for path in REPO_ROOT.rglob("*")
            if path.is_file() and path.relative_to(REPO_ROOT).parts[0] not in (".git", ".venv", ".cache", ".lab"))


def exists(name):
    """A file named as the document names it: from the collection's root, or as the tail of a
    path (a role's `tasks/rollout.yml`, a bare `rotation.yml`)."""
    return name in FILES or any(path.endswith("/" + name) for path in FILES)


def named_as(path):
    """How the document names a plugin: a file of module_utils by its layer folder and name
    (`_sparkflows/client.py`: two layers have an `info.py`), any other by its name."""
    if path.parent.parent == MODULE_UTILS:
        return r"(?<!\w)%s\b" % re.escape("%s/%s" % (path.parent.name, path.name))
    return r"\b%s\b" % re.escape(path.stem)


@pytest.mark.parametrize("path", PLUGINS, ids=[str(p.relative_to(REPO_ROOT)) for p in PLUGINS])
def test_every_plugin_is_named(path):
    assert re.search(named_as(path), ARCHITECTURE), "%s is not in docs/architecture.md" % path.relative_to(REPO_ROOT)


def test_module_utils_has_only_layer_folders():
    """Every file of module_utils is in a layer's folder, a package of its own (AnsiballZ ships it)."""
    assert LAYERS, "plugins/module_utils has no layer folder"
    assert [p.name for p in MODULE_UTILS.glob("*.py")] == []
    assert [p.name for p in LAYERS if not (p / "__init__.py").is_file()] == []


@pytest.mark.parametrize("layer", LAYERS, ids=[p.name for p in LAYERS])
def test_every_layer_folder_is_named(layer):
    folder = "plugins/module_utils/%s/" % layer.name
    assert "`%s`" % folder in ARCHITECTURE, "%s is not in docs/architecture.md" % folder


@pytest.mark.parametrize("name", [n for n in NAMED if "<" not in n and "*" not in n])
def test_every_file_named_exists(name):
    assert exists(name), "docs/architecture.md names %s, which is nowhere" % name


# What each layer may import of the others (besides itself): the rules of _scorer run in filters on
# the controller, which have no Docker SDK, HAProxy socket or Sparkflows to talk to.
LAYER_IMPORTS = {"_scorer": {"_common"}, "_common": set()}


@pytest.mark.parametrize("layer", sorted(LAYER_IMPORTS))
def test_a_layer_imports_only_the_layers_it_may(layer):
    imported = re.compile(r"^\s*from ansible_collections\.sparkflows\.mlops\.plugins\.module_utils\.(_\w+)", re.M)
    wrong = sorted("%s imports %s" % (path.name, other) for path in (MODULE_UTILS / layer).glob("*.py")
                   for other in imported.findall(path.read_text()) if other != layer and other not in LAYER_IMPORTS[layer])
    assert wrong == [], "%s may import only %s: %s" % (layer, sorted(LAYER_IMPORTS[layer]) or "itself", wrong)
