# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which MLflow environment an MLflow host runs, and when a run is an upgrade. Each set of
packages gets its own virtual environment, named by the profile and a digest of the packages,
so the one running is never touched while the next is installed, and stays there to go back to
if the next fails."""

from __future__ import annotations

import hashlib
import json


def venv_name(profile, packages):
    """PROFILE-DIGEST: the same packages (in the same order) give the same name on every host."""
    digest = hashlib.sha256(json.dumps(list(packages)).encode('utf-8')).hexdigest()[:10]
    return '%s-%s' % (profile, digest)


def plan(previous, target, installed):
    """What this run does to the tracking server: 'install' (nothing ran before), 'keep' (the
    same environment), or 'upgrade' (another environment ran on stores that may hold data).
    previous: the environment running (a path, empty when none); installed: whether the tracking
    server was set up before (its unit exists)."""
    if not previous or not installed:
        return 'install'
    return 'keep' if previous.rstrip('/') == target.rstrip('/') else 'upgrade'
