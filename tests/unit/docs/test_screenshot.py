"""The report screenshot in the docs is rendered from the current report template
(tests/lab/screenshot-report.sh writes the template's sha256 beside the image)."""

import hashlib
import pathlib

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
IMAGE = REPO_ROOT / "docs" / "images" / "fleet-report.png"


def test_the_screenshot_is_of_the_current_template():
    template = REPO_ROOT / "playbooks" / "templates" / "report.html.j2"
    recorded = pathlib.Path(str(IMAGE) + ".template-sha256").read_text().strip()
    assert recorded == hashlib.sha256(template.read_bytes()).hexdigest(), \
        "playbooks/templates/report.html.j2 changed since docs/images/fleet-report.png: run tests/lab/screenshot-report.sh"
    assert IMAGE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
