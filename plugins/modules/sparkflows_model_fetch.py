#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sparkflows_model_fetch
short_description: Download a model from the Sparkflows model repository, verified and atomically
version_added: 0.1.0
description:
  - Selects a model of the Sparkflows model repository by id, uuid, or name (its latest version,
    optionally of one stage) and downloads it
    (C(GET /api/v1/mlmodel/outputModel/{modelId}/download/{fileType})) to O(dest).
  - The body streams to a temporary file in the directory of O(dest) in constant memory, is
    fsynced, verified (O(checksum), zip archive) and renamed over O(dest) atomically. A failed or
    interrupted download leaves the previous model as it was and no partial file.
  - The sha256 is computed in a second thread while the body arrives, and the disk writes start
    while it arrives too, so that verifying and fsyncing a large model add little to the transfer.
    Written pages leave the page cache as they reach the disk.
  - A cut connection resumes with an HTTP range request when the server allows it, up to
    O(download_retries) times.
  - Beside O(dest), C(<dest>.sparkflows.json) records the model id, uuid, version, sha256, size
    and ETag. A re-run for the same model compares that record and asks the server with
    C(If-None-Match), so an unchanged model transfers no body and reports RV(ignore:changed=false).
  - O(unpack_to) extracts the zip into a directory, refusing entries that would land outside it.
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Reports whether the model would be fetched (asking the server with C(HEAD), unless O(model) was read for it); writes nothing.
  diff_mode:
    support: full
    details: Model id, uuid, version, sha256 and size before and after.
  platform:
    platforms: posix
options:
  model_id:
    description:
      - Id of the model in the Sparkflows model repository.
      - Exactly one of O(model_id), O(model_uuid), O(model_name) and O(model) is needed (none with
        O(state=absent)).
    type: str
  model_uuid:
    description:
      - Uuid of the model (C(GET /api/v1/mlmodel/outputModelByModelUuid/{modelUuid})).
    type: str
  model_name:
    description:
      - Name of the model; its highest version is fetched.
    type: str
  stage:
    description:
      - With O(model_name), only consider versions in this lifecycle stage (for example V(Production)).
    type: str
  model:
    description:
      - The model's record as M(sparkflows.mlops.sparkflows_model_info) returned it (an element of
        its RV(sparkflows.mlops.sparkflows_model_info#module:models)), read once for every host.
      - The copy at O(dest) is current when its record has the same id, uuid and version and its
        file the same C(ETag); then nothing is asked of the server. Otherwise the model is
        downloaded by the record's id; check mode asks nothing (the record's read asked for
        the file with C(HEAD)).
      - Read for another O(file_type) fails.
    type: dict
  file_type:
    description:
      - The C(fileType) of the download endpoint. Sparkflows does not publish its allowed values;
        V(zip) is the model bundle.
    type: str
    default: zip
  dest:
    description:
      - File path to write the model to. Its directory must exist.
    type: path
    required: true
  state:
    description:
      - V(present) fetches the model; V(absent) removes O(dest), the record beside it and
        O(unpack_to) without asking the server (no selector needed).
    type: str
    choices: [present, absent]
    default: present
  unpack_to:
    description:
      - Directory to extract the model zip into (replaced as a whole when the model changes).
    type: path
  checksum:
    description:
      - Expected sha256 of the model file, as a hex digest, optionally prefixed C(sha256:).
        A mismatch fails and keeps the previous model.
    type: str
  verify:
    description:
      - How a re-run decides that the file at O(dest) is still the recorded one.
      - V(quick) compares size and modification time with the record; V(sha256) hashes the file.
    type: str
    choices: [quick, sha256]
    default: quick
  force:
    description:
      - Download even when the recorded model is current.
    type: bool
    default: false
  download_retries:
    description:
      - How many times a download cut mid-body is resumed (or restarted) before failing.
    type: int
    default: 3
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Fetch the latest Production version of the churn model
  sparkflows.mlops.sparkflows_model_fetch:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    model_name: churn-model
    stage: Production
    dest: /tmp/churn-model.zip
    mode: "0640"

- name: Fetch a model by id, check its sha256 and unpack it for a scorer
  sparkflows.mlops.sparkflows_model_fetch:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    model_id: "101"
    checksum: "sha256:{{ churn_model_sha256 }}"
    dest: /tmp/model-101.zip
    unpack_to: /tmp/model-101
'''

RETURN = r'''
path:
  description: Where the model file is.
  returned: always
  type: str
  sample: /srv/models/churn-model.zip
model_id:
  description: Id of the model.
  returned: success
  type: raw
  sample: 101
model_uuid:
  description: Uuid of the model.
  returned: success
  type: str
model_name:
  description: Name of the model.
  returned: success
  type: str
version:
  description: Version of the model.
  returned: success
  type: int
size:
  description: Size of the model file in bytes; V(null) in check mode when it would be fetched.
  returned: success
  type: int
sha256:
  description: sha256 of the model file; V(null) in check mode when it would be fetched.
  returned: success
  type: str
removed:
  description: What O(state=absent) removed (or would, in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
bytes_transferred:
  description: Body bytes received in this run (0 when the model was current).
  returned: when O(state=present)
  type: int
seconds:
  description: Seconds the download took.
  returned: when O(state=present)
  type: float
unpacked_to:
  description: The directory the model was extracted into, if O(unpack_to) is set.
  returned: when O(state=present)
  type: str
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_fetch import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
