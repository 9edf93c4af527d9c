"""docs/architecture.md names the owner of every rule: every plugin of the collection (module
logic, filters, lookups, modules) is named in it, and every file it names exists - a file moved
or removed fails here, not in a reader's hands."""

import pathlib
import re

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
ARCHITECTURE = (REPO_ROOT / "docs" / "architecture.md").read_text()
PLUGINS = sorted(path for kind in ("module_utils", "filter", "lookup", "modules")
                 for path in (REPO_ROOT / "plugins" / kind).glob("*.py") if path.name != "__init__.py")
# A backticked name of a file: a path, or a bare name of a plugin or of a role's tasks file.
NAMED = sorted(set(re.findall(r"`([\w./<>-]+\.(?:py|yml|sh|md))`", ARCHITECTURE)))


# The collection's files (the development tree's caches and virtual environment left out).
FILES = set(str(path.relative_to(REPO_ROOT)) for path in REPO_ROOT.rglob("*")
            if path.is_file() and path.relative_to(REPO_ROOT).parts[0] not in (".git", ".venv", ".cache", ".lab"))


def exists(name):
    """A file named as the document names it: from the collection's root, or as the tail of a
    path (a role's `tasks/rollout.yml`, a bare `rotation.yml`)."""
    return name in FILES or any(path.endswith("/" + name) for path in FILES)


@pytest.mark.parametrize("path", PLUGINS, ids=[str(p.relative_to(REPO_ROOT)) for p in PLUGINS])
def test_every_plugin_is_named(path):
    assert re.search(r"\b%s\b" % re.escape(path.stem), ARCHITECTURE), "%s is not in docs/architecture.md" % path.name


@pytest.mark.parametrize("name", [n for n in NAMED if "<" not in n and "*" not in n])
def test_every_file_named_exists(name):
    assert exists(name), "docs/architecture.md names %s, which is nowhere" % name
