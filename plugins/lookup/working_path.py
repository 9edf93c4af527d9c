# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: working_path
short_description: A path given by the user, made absolute against the directory ansible-playbook runs in
version_added: 0.2.0
description:
  - An absolute path stays as it is (C(~) is expanded); a relative one is the controller's working
    directory's, as on any command line - not the playbook's directory, which relative paths of
    Ansible's own file tasks resolve against.
options:
  _terms:
    description: The paths.
    required: true
    type: list
    elements: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Where report_dir is
  ansible.builtin.debug:
    msg: "{{ lookup('sparkflows.mlops.working_path', 'sparkflows-report') }}"
"""

RETURN = r"""
_raw:
  description: The absolute paths.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        paths = []
        for term in terms:
            if not isinstance(term, str) or not term.strip():
                raise AnsibleLookupError('working_path needs a non-empty path, got %r' % (term,))
            paths.append(os.path.normpath(os.path.join(os.getcwd(), os.path.expanduser(term))))
        return paths
