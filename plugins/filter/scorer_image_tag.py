# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import ImageRuleError, checked_tag

DOCUMENTATION = r"""
name: scorer_image_tag
short_description: The scorer image tag of a Sparkflows release, another release's tag refused
version_added: 0.1.0
description:
  - The tag M(sparkflows.mlops.scorer_container) expects for a Sparkflows release - the same rule,
    from the same code - so that a role can refuse another tag before anything changes.
  - With O(image_tag), the tag to run - O(image_tag), or the release's tag when it is empty - and
    the same refusal as M(sparkflows.mlops.scorer_container)'s of a tag of another release,
    unless O(allow_release_mismatch). The refusal fails the task with one message naming the
    scorer role's variables C(scorer_image_tag) and C(scorer_allow_release_mismatch), the release,
    the expected tag, and that nothing was changed.
options:
  _input:
    description: The Sparkflows release, for example V(3.1.0).
    type: str
    required: true
  tag_format:
    description: The tag scheme, with C({release}) where the release goes.
    type: str
    default: '{release}'
  image_tag:
    description: The tag given (the scorer role's C(scorer_image_tag)); empty or omitted for the release's.
    type: str
  allow_release_mismatch:
    description:
      - Return an O(image_tag) of another release instead of refusing it (the scorer role's
        C(scorer_allow_release_mismatch)).
    type: bool
    default: false
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The tag of release 3.1.0 in a scheme with a Python prefix
  ansible.builtin.debug:
    msg: "{{ '3.1.0' | sparkflows.mlops.scorer_image_tag('py_3.2.1_{release}') }}"  # py_3.2.1_3.1.0

- name: The tag to run - 3.2.0 of another release, allowed explicitly (else the task fails, naming it)
  ansible.builtin.debug:
    msg: "{{ '3.1.0' | sparkflows.mlops.scorer_image_tag(image_tag='3.2.0', allow_release_mismatch=true) }}"  # 3.2.0
"""

RETURN = r"""
_value:
  description: The image tag - O(image_tag) when given, else the tag of the release.
  type: str
"""


def scorer_image_tag(release, tag_format='{release}', image_tag=None, allow_release_mismatch=False):
    if not isinstance(allow_release_mismatch, bool):
        raise AnsibleFilterError('scorer_allow_release_mismatch must be a boolean, not %r' % (allow_release_mismatch,))
    given = None if image_tag in (None, '') else str(image_tag)
    try:
        tag = checked_tag(str(release), tag_format, given, allow_release_mismatch, tag_name='scorer_image_tag',
                          allow_name='scorer_allow_release_mismatch', nothing_changed=True)
    except ImageRuleError as e:
        raise AnsibleFilterError(str(e))
    return tag or ''


class FilterModule(object):
    def filters(self):
        return {'scorer_image_tag': scorer_image_tag}
