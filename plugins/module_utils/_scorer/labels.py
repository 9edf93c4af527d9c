# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The labels a scorer container carries, and the names of the containers beside it: the one
place they are written. The modules set and read them; roles and playbooks get them through
scorer_info and the scorer_orphans filter, never by name."""

from __future__ import annotations

PREFIX = 'io.sparkflows.'
MODEL_ID = PREFIX + 'model.id'
MODEL_SHA256 = PREFIX + 'model.sha256'
RELEASE = PREFIX + 'release'
MANAGED = PREFIX + 'managed-by'
MANAGED_BY = 'sparkflows.mlops.scorer_container'
# The env names scorer_container set, so that a name dropped from env is dropped from the container.
ENV_NAMES = PREFIX + 'env.names'
# The containers of a blue/green replacement beside a scorer's: the candidate that must pass the
# health gate first, and the old one, kept as the way back until the new one serves.
CANDIDATE_SUFFIX = '-candidate'
RETIRED_SUFFIX = '-retired'
LEFTOVER_SUFFIXES = (CANDIDATE_SUFFIX, RETIRED_SUFFIX)
