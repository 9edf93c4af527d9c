"""A module's EXAMPLES as ansible-doc renders them, with the example hosts and paths replaced by
a test's own."""

import json
import os
import subprocess

import yaml

from utils.playbook import REPO_ROOT


def examples_of(module):
    rendered = subprocess.run(
        ["ansible-doc", "--json", module], capture_output=True, text=True, timeout=120, check=True,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg")),
    )
    return json.loads(rendered.stdout)[module]["examples"]


def substitute(text, replacements):
    for example, ours in replacements.items():
        assert example in text, "the EXAMPLES no longer contain %s" % example
        text = text.replace(example, ours)
    return text


def example_tasks(module, replacements):
    """The EXAMPLES of module as a task list, replacements made (each must occur)."""
    tasks = yaml.safe_load(substitute(examples_of(module), replacements))
    assert tasks, "no EXAMPLES for %s" % module
    return tasks
