"""The scorer image rules, and the filters that give them to the roles: the same answers."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.registry_host import registry_host
from ansible_collections.sparkflows.mlops.plugins.filter.scorer_image_tag import scorer_image_tag
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_image import ImageRuleError, expected_tag, registry_of


@pytest.mark.parametrize("repository, registry", [
    ("127.0.0.1:5050/sparkflows/scorer", "127.0.0.1:5050"),
    ("registry.example.net/sparkflows/scorer", "registry.example.net"),
    ("localhost/scorer", "localhost"),
    ("sparkflows/scorer", None),
    ("scorer", None),
])
def test_registry_of(repository, registry):
    assert registry_of(repository) == registry
    # Docker Hub's org/image is not a host named org (the role once took split('/')[0]).
    assert registry_host(repository) == (registry or "docker.io")


def test_the_tag_of_a_release():
    assert expected_tag("3.1.0") == scorer_image_tag("3.1.0") == "3.1.0"
    assert scorer_image_tag("3.1.0", "py_3.2.1_{release}") == "py_3.2.1_3.1.0"


def test_a_format_with_other_fields_is_refused():
    with pytest.raises(ImageRuleError, match=r"image_tag_format '\{version\}' must use only \{release\}"):
        expected_tag("3.1.0", "{version}")
    with pytest.raises(AnsibleFilterError, match="must use only"):
        scorer_image_tag("3.1.0", "{version}")
