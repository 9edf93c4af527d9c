# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The labels a scorer container carries: the one place their keys are written. The modules
set and read them; roles and playbooks get them through scorer_info, never by name."""

from __future__ import annotations

PREFIX = 'io.sparkflows.'
MODEL_ID = PREFIX + 'model.id'
MODEL_SHA256 = PREFIX + 'model.sha256'
RELEASE = PREFIX + 'release'
MANAGED = PREFIX + 'managed-by'
MANAGED_BY = 'sparkflows.mlops.scorer_container'
# The env names scorer_container set, so that a name dropped from env is dropped from the container.
ENV_NAMES = PREFIX + 'env.names'
