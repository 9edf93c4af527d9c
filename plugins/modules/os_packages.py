#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: os_packages
short_description: Install OS packages with apt, refreshing the package index whenever it cannot be trusted
version_added: 0.1.0
description:
  - The one way the roles of this collection install OS packages on Debian-family hosts.
  - Installs the packages of O(name) that are not installed yet, in one C(apt-get install)
    transaction, without recommended packages unless O(install_recommends=true). When every
    package is installed already, nothing runs and nothing is refreshed.
  - Before installing, refreshes the package index (C(apt-get update)) when it cannot be trusted -
    there is no non-empty package list under C(/var/lib/apt/lists), there is no record of a
    successful update (C(/var/lib/apt/periodic/update-success-stamp)), that record is older than
    O(cache_valid_time), or the apt sources changed after it - whatever the modification time of
    C(/var/lib/apt/lists) says. Freshly provisioned cloud and container hosts have empty lists in a
    directory written minutes ago, which defeats C(ansible.builtin.apt)'s O(cache_valid_time).
  - When the index looked fresh but apt does not find a package, the index is refreshed once and
    the installation tried again.
  - Waits up to O(lock_timeout) for the dpkg lock (another apt run, unattended-upgrades).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports the packages that would be installed. When the package index can be trusted, apt
        simulates the transaction and a package it cannot install fails the task, as the real run
        would; otherwise the real run refreshes the index first, and nothing is simulated.
  diff_mode:
    support: full
    details: Lists each package of O(name) as installed or absent before, and installed after.
  platform:
    platforms: debian
options:
  name:
    description:
      - Names of the Debian packages to install (real package names, not virtual ones; no
        versions).
    type: list
    elements: str
    required: true
  cache_valid_time:
    description:
      - Seconds a successful C(apt-get update) is trusted. V(0) refreshes the index before every
        installation.
    type: int
    default: 3600
  lock_timeout:
    description:
      - Seconds to wait for the dpkg lock held by another package manager run.
    type: int
    default: 300
  install_recommends:
    description:
      - Whether to install the packages' recommended packages too.
    type: bool
    default: false
notes:
  - Packages are only ever installed, never upgraded or removed.
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Install the Docker SDK for Python, refreshing the package index if it cannot be trusted
  sparkflows.mlops.os_packages:
    name: [python3-docker]

- name: Install the Debian release's Java runtime with an index refreshed within the last ten minutes
  sparkflows.mlops.os_packages:
    name: [default-jre-headless]
    cache_valid_time: 600
'''

RETURN = r'''
installed:
  description: Packages of O(name) that were installed (in check mode, that would be).
  returned: success
  type: list
  elements: str
  sample: [python3-docker]
simulated:
  description:
    - Packages of O(name) whose install check mode only simulated (empty in a real run) - the
      commands and Python libraries they bring are not there for the next tasks of a preview.
      The collection's roles read this one field to know what a preview cannot go on with.
  returned: success
  type: list
  elements: str
  sample: [python3-docker]
cache_updated:
  description: Whether the package index was refreshed.
  returned: success
  type: bool
cache_update_reason:
  description:
    - Why the package index was (in check mode, would be) refreshed; V(null) when it was trusted
      or nothing was missing.
  returned: success
  type: str
  sample: no package lists in /var/lib/apt/lists
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.os_packages import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
