"""awx/*.yml read as Ansible reads them (playbooks/awx_configure.yml includes them): `!unsafe`
marks what Ansible must not template (AWX's injector templates), kept here as Unsafe values."""

import pathlib

import yaml

AWX_DIR = pathlib.Path(__file__).resolve().parents[2] / "awx"


class Unsafe:
    """A value Ansible loads as unsafe (never templated)."""


class UnsafeStr(Unsafe, str):
    pass


class UnsafeDict(Unsafe, dict):
    pass


class UnsafeList(Unsafe, list):
    pass


class Loader(yaml.SafeLoader):
    pass


def _construct_unsafe(loader, node):
    if isinstance(node, yaml.ScalarNode):
        return UnsafeStr(loader.construct_scalar(node))
    if isinstance(node, yaml.MappingNode):
        return UnsafeDict(loader.construct_mapping(node, deep=True))
    return UnsafeList(loader.construct_sequence(node, deep=True))


Loader.add_constructor("!unsafe", _construct_unsafe)


def load(path):
    return yaml.load(pathlib.Path(path).read_text(), Loader=Loader)


def definitions(name):
    """awx/NAME.yml."""
    return load(AWX_DIR / ("%s.yml" % name))
