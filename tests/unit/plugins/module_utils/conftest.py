"""A fake of what a running module gives a module's logic (_common.module.ModuleHost), for tests
that call run(params, check_mode, host) directly."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure


class FakeHost(object):
    """ModuleHost's interface, recording what a run asks of it: warnings, commands (answered from
    `answers`, {executable's name: (rc, stdout, stderr)}, else (0, "", "")), file attributes set
    (the file options change nothing: `changed` comes back as given)."""

    def __init__(self, diff=False, tools=None, answers=None):
        self.diff = diff
        self.tools = tools  # the executables on the host; None: any
        self.answers = dict(answers or {})
        self.warnings = []
        self.commands = []
        self.file_attributes = []

    def warn(self, text):
        self.warnings.append(text)

    def run_command(self, args, environ_update=None):
        self.commands.append((list(args), environ_update))
        return self.answers.get(args[0].rsplit("/", 1)[-1], (0, "", ""))

    def get_bin_path(self, name, required=False):
        if self.tools is None or name in self.tools:
            return "/usr/bin/" + name
        if required:
            raise ModuleFailure('Failed to find required executable "%s"' % name)
        return None

    def set_file_attributes(self, path, changed, mode=None, diff=None):
        self.file_attributes.append((path, mode))
        return changed


@pytest.fixture
def fake_host():
    return FakeHost()
