"""The collection's rulebooks (extensions/eda/rulebooks/): each runs the collection's own event
sources and playbooks (which exist), names in its header every variable it reads and the secret it
takes from the environment (never written in it), and documents a run_job_template variant whose
job template exists in awx/job_templates.yml and prompts for the variables EDA's controller sends."""

import pathlib
import re

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
RULEBOOKS = sorted((REPO_ROOT / "extensions" / "eda" / "rulebooks").glob("*.yml"))
TEMPLATES = dict((t["name"], t) for t in yaml.safe_load((REPO_ROOT / "awx" / "job_templates.yml").read_text())["job_templates"])
PREFIX = "sparkflows.mlops."


def actions(rule):
    return rule.get("actions") or [rule["action"]]


def test_there_are_the_two_rulebooks():
    assert [path.stem for path in RULEBOOKS] == ["mlflow_alias", "sparkflows_models"]


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.stem for p in RULEBOOKS])
def test_a_rulebook_runs_the_collections_sources_and_playbooks(path):
    for ruleset in yaml.safe_load(path.read_text()):
        for source in ruleset["sources"]:
            [plugin] = [key for key in source if key not in ("name", "filters")]
            assert plugin.startswith(PREFIX), plugin
            assert (REPO_ROOT / "extensions" / "eda" / "plugins" / "event_source" / (plugin[len(PREFIX):] + ".py")).is_file()
        for rule in ruleset["rules"]:
            played = [a["run_playbook"]["name"] for a in actions(rule) if "run_playbook" in a]
            assert played, rule["name"]
            for name in played:
                assert name.startswith(PREFIX) and (REPO_ROOT / "playbooks" / (name[len(PREFIX):] + ".yml")).is_file(), name


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.stem for p in RULEBOOKS])
def test_the_header_names_every_variable_and_the_secret_comes_from_the_environment(path):
    text = path.read_text()
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    read = set(re.findall(r"\{\{\s*([A-Za-z_]+)", body)) | set(re.findall(r"vars\.([A-Za-z_]+)", body))
    read -= {"event"}
    assert read, path
    for name in read:
        assert name in header, (path.stem, name)
    secrets = [name for name in read if name.isupper()]
    assert secrets and all("--env-vars %s" % name in header for name in secrets), (path.stem, secrets)


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.stem for p in RULEBOOKS])
def test_the_run_job_template_variant_names_a_template_that_takes_the_event(path):
    header = "\n".join(line.lstrip("# ") for line in path.read_text().splitlines() if line.startswith("#"))
    named = re.findall(r"run_job_template:\s*\n\s*name: (.+)", header)
    assert named, path.stem
    for name in named:
        template = TEMPLATES[name.strip()]
        assert template["ask_variables_on_launch"] is True, name
        played = [a["run_playbook"]["name"] for ruleset in yaml.safe_load(path.read_text())
                  for rule in ruleset["rules"] for a in actions(rule) if "run_playbook" in a]
        assert "playbooks/%s.yml" % played[0][len(PREFIX):] == template["playbook"], (name, played)
