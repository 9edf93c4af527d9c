# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a playbook run's controller CPU goes, task by task (tests/bench/bench_controller_cpu.py):
the CPU of the controller process and of every process it reaped, read at the start of each task
and charged to the one before (the linear strategy waits for a task on every host before the next
one), in four kinds - tasks that run no module (set_fact, assert, include_tasks, ...), modules run
on the controller (delegate_to localhost, connection local), and modules run on a host, the first
time the run uses that module (ansible-core builds its payload once per run) or again."""

from __future__ import annotations

DOCUMENTATION = r"""
name: cpu_split
type: aggregate
short_description: The controller CPU of each kind of task (a benchmark's, not the collection's)
description:
  - Writes a JSON summary to the file named by the environment variable C(CPU_SPLIT_OUT).
requirements:
  - the linear strategy
"""

import json
import multiprocessing
import os
import resource
import time

from ansible.plugins.callback import CallbackBase

# Actions that run no module on any host (the controller does their work in the worker).
NO_MODULE = {'set_fact', 'assert', 'debug', 'fail', 'include_tasks', 'import_tasks', 'include_role', 'import_role',
             'include_vars', 'validate_argument_spec', 'group_by', 'add_host', 'meta', 'set_stats', 'pause'}


def cpu_seconds():
    """The controller's CPU so far: its own and its reaped children's (the workers of the task
    that just ended reaped first, within a bounded wait)."""
    deadline = time.monotonic() + 2
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.005)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'cpu_split'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.kinds = dict((kind, dict(seconds=0.0, host_tasks=0, tasks=0))
                          for kind in ('no module', 'module on the controller', 'module, first use', 'module, again'))
        self.modules = set()
        self.task, self.task_kind, self.results, self.mark = None, None, 0, cpu_seconds()

    def _charge(self):
        now = cpu_seconds()
        if self.task is not None:
            kind = self.kinds[self.task_kind or 'no module']
            kind['seconds'] += now - self.mark
            kind['host_tasks'] += self.results
            kind['tasks'] += 1
        self.mark, self.results = now, 0

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._charge()
        self.task, self.task_kind = task, None

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _kind(self, result):
        """The kind of the task, from its first result (where it was delegated is known there)."""
        task = self.task
        if task.action.rsplit('.', 1)[-1] in NO_MODULE:
            return 'no module'
        # Where it ran: the delegated host's variables (absent from a no_log result), or the
        # task's fields as the worker templated them.
        delegated = result._result.get('_ansible_delegated_vars') or {}
        delegate_to = (getattr(result, '_task_fields', None) or {}).get('delegate_to')
        if task.connection == 'local' or delegated.get('ansible_connection') == 'local' or \
                delegate_to in ('localhost', '127.0.0.1'):
            return 'module on the controller'
        if task.action in self.modules:
            return 'module, again'
        self.modules.add(task.action)
        return 'module, first use'

    def _result(self, result, *args, **kwargs):
        if self.task_kind is None:
            self.task_kind = self._kind(result)
        self.results += 1

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = v2_runner_on_unreachable = _result

    def v2_playbook_on_stats(self, stats):
        self._charge()
        with open(os.environ['CPU_SPLIT_OUT'], 'w') as out:
            json.dump(dict(kinds=self.kinds, modules=len(self.modules)), out)
