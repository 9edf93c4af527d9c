# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_image import ImageRuleError, expected_tag

DOCUMENTATION = r"""
name: scorer_image_tag
short_description: The scorer image tag of a Sparkflows release
version_added: 0.1.0
description:
  - The tag M(sparkflows.mlops.scorer_container) expects for a Sparkflows release - the same rule,
    from the same code - so that a role can refuse another tag before anything changes.
options:
  _input:
    description: The Sparkflows release, for example V(3.1.0).
    type: str
    required: true
  tag_format:
    description: The tag scheme, with C({release}) where the release goes.
    type: str
    default: '{release}'
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The tag of release 3.1.0 in a scheme with a Python prefix
  ansible.builtin.debug:
    msg: "{{ '3.1.0' | sparkflows.mlops.scorer_image_tag('py_3.2.1_{release}') }}"  # py_3.2.1_3.1.0
"""

RETURN = r"""
_value:
  description: The image tag.
  type: str
"""


def scorer_image_tag(release, tag_format='{release}'):
    try:
        return expected_tag(str(release), tag_format)
    except ImageRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_image_tag': scorer_image_tag}
