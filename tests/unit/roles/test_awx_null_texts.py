"""An AWX credential field left empty, and a blank survey text, reach the playbooks as null: AWX
writes every such extra variable `!unsafe ''` (awx/main/utils/safe_yaml.py), which ansible-core
2.19 loads as None (ansible/awx#16205). So the roles and playbooks read each variable AWX may send
as text - every text a credential type of awx/credential_types.yml injects, every text or choice
a survey of awx/job_templates.yml asks - through `default('', true)` (or another default with
`true`) before they measure (length), trim or match it. Checked here on every task, vars and playbook file;
that ansible-core really loads `!unsafe ''` as None is checked too, so this rule goes when it
does not."""

import pathlib
import re
import subprocess
import sys

from utils.awx_definitions import definitions

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]


def awx_texts():
    """The variables AWX may send as a null text."""
    names = set()
    types = definitions("credential_types")["credential_types"]
    for kind in types:
        for name, template in ((kind.get("injectors") or {}).get("extra_vars") or {}).items():
            if isinstance(template, str):
                names.add(name)
    templates = definitions("job_templates")["job_templates"]
    for template in templates:
        for question in (template.get("survey_spec") or {}).get("spec", []):
            if question["type"] in ("text", "textarea", "password", "multiplechoice"):
                names.add(question["variable"])
    # Ansible's own connection variables are Ansible's to read.
    return sorted(name for name in names if not name.startswith("ansible_"))


def unguarded(text, names):
    """(variable, the expression) of every read of names that measures, trims or matches it, or
    defaults it only when undefined, without default(..., true) first."""
    alternatives = "|".join(re.escape(name) for name in names)
    measured = re.compile(r"\b(%s)\b\s*(\|\s*(length|trim)\b|is\s+(not\s+)?(search|match)\b)" % alternatives)
    defaulted = re.compile(r"\b(%s)\b\s*\|\s*default\(([^()]*)\)" % alternatives)
    found = [(match.group(1), match.group(0)) for match in measured.finditer(text)]
    found += [(match.group(1), match.group(0)) for match in defaulted.finditer(text)
              if not re.search(r",\s*(true|True)\s*$", match.group(2))]
    return found


def test_awx_sends_these_texts():
    names = awx_texts()
    for expected in ("mlflow_host_tls_certificate", "scorer_lb_tls_private_key", "verify_score_workflow", "report_dir"):
        assert expected in names


def test_the_rule_finds_an_unguarded_read():
    names = ["report_dir", "mlflow_db_password"]
    assert unguarded("when: mlflow_db_password | length > 0", names) == [("mlflow_db_password", "mlflow_db_password | length")]
    assert unguarded("x: \"{{ report_dir | default('out') }}\"", names) == [("report_dir", "report_dir | default('out')")]
    assert unguarded("when: mlflow_db_password | default('', true) | length > 0", names) == []
    assert unguarded("x: \"{{ report_dir | default('out', true) }}\"", names) == []


def test_every_read_of_a_text_awx_sends_survives_its_null():
    names = awx_texts()
    files = sorted(REPO_ROOT.glob("roles/*/tasks/*.yml")) + sorted(REPO_ROOT.glob("roles/*/vars/*.yml")) \
        + sorted(REPO_ROOT.glob("roles/*/handlers/*.yml")) + sorted(REPO_ROOT.glob("playbooks/*.yml"))
    problems = []
    for path in files:
        lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
        problems += ["%s: %s" % (path.relative_to(REPO_ROOT), read[1]) for read in unguarded("\n".join(lines), names)]
    assert not problems, "reads a text AWX may send as null without default('', true):\n" + "\n".join(problems)


def test_ansible_core_loads_awx_empty_unsafe_text_as_null(tmp_path):
    """What makes the rule needed: AWX's extra variables file with an empty text."""
    extra = tmp_path / "extravars"
    extra.write_text("blank: !unsafe ''\n")
    shown = subprocess.run([str(pathlib.Path(sys.executable).with_name("ansible")), "localhost", "-m",
                            "ansible.builtin.debug", "-a", "msg={{ blank is none }}", "-e", "@%s" % extra],
                           capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert '"msg": true' in shown.stdout, shown.stdout
