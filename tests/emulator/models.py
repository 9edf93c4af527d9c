"""Sparkflows-style model bundles for the emulator's model repository (standard library only, so
that tests/lab/lab.sh can seed the lab's models with any python3)."""

import os
import sys
import zipfile

SCORE_PY = "def score(rows):\n    return [0 for _ in rows]\n"


def make_model_zip(path, extra=None, payload_bytes=0, score_py=SCORE_PY):
    """A Sparkflows-style imported model bundle: model_bundle/{artifacts, code, requirements.txt}.
    extra: {entry name: bytes} added as they are (path traversal cases); payload_bytes adds an
    incompressible artifact of that size; score_py is code/score.py (None leaves it out)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("model_bundle/requirements.txt", "scikit-learn\n")
        if score_py is not None:
            archive.writestr("model_bundle/code/score.py", score_py)
        archive.writestr("model_bundle/artifacts/model.pkl", os.urandom(payload_bytes or 1024))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


if __name__ == "__main__":
    # python3 tests/emulator/models.py PATH  - the default bundle, for the lab
    make_model_zip(sys.argv[1])
