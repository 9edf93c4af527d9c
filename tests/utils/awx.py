"""Jobs run the way AWX/AAP runs them (ansible-runner docs, "Remote job execution"): the private
data directory the controller writes (project, inventory, extra vars, environment, credential
files, the machine credential's key), `ansible-runner transmit` of it, `ansible-runner worker`
inside the execution environment image, and `ansible-runner process` of what comes back; then
the job's status, events and artifacts as AWX stores them. Receptor, which carries the stream
between controller and execution node, is the pipe."""

import json
import os
import pathlib
import shutil
import subprocess
import uuid

import jinja2.sandbox
import yaml

from utils.awx_definitions import UnsafeStr

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNNER_DIR = "/runner"  # where the worker unpacks the private data directory in the EE


class _Dumper(yaml.SafeDumper):
    """Extra variables as AWX writes them: a text tagged !unsafe (survey answers, launch-time and
    credential variables: Ansible never templates them); only a job template's own extra_vars may
    hold Jinja."""


_Dumper.add_representer(UnsafeStr, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))


def unsafe(value):
    """value with every text in it unsafe."""
    if isinstance(value, dict):
        return dict((key, unsafe(item)) for key, item in value.items())
    if isinstance(value, list):
        return [unsafe(item) for item in value]
    return UnsafeStr(value) if isinstance(value, str) else value


class Injected(object):
    """What a credential puts into a job: environment variables, extra variables, and files
    (written under the private data directory's env/, named in the others by their path in the
    EE)."""

    def __init__(self):
        self.env, self.extra_vars, self.files = {}, {}, {}

    def add(self, other):
        self.env.update(other.env)
        self.extra_vars.update(other.extra_vars)
        self.files.update(other.files)


def inject(credential_type, inputs):
    """The injections of a custom credential type (awx.awx.credential_type's `injectors`) for these
    inputs, rendered as AWX renders them: Jinja in a sandbox, the inputs by field id,
    `tower.filename` the path of the one file injector (`template`) or `tower.filename.NAME` of
    each of several (`template.NAME`). An input the type does not define is refused."""
    fields = dict((field["id"], field) for field in credential_type["inputs"].get("fields", []))
    unknown = sorted(set(inputs) - set(fields))
    assert not unknown, "%s has no input %s" % (credential_type["name"], unknown)
    missing = sorted(set(credential_type["inputs"].get("required", [])) - set(inputs))
    assert not missing, "%s requires %s" % (credential_type["name"], missing)
    environment = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    context = dict((name, "") for name in fields)
    context.update(inputs)
    injectors = credential_type.get("injectors", {})
    injected = Injected()
    names = {}
    for key, template in (injectors.get("file") or {}).items():
        name = key.split(".", 1)[1] if "." in key else None
        path = "%s/env/cred_%s" % (RUNNER_DIR, uuid.uuid4().hex[:12])
        injected.files[path] = environment.from_string(template).render(context)
        names[name] = path
    if None in names:
        context["tower"] = {"filename": names[None]}
    else:
        context["tower"] = {"filename": names}

    def render(template):
        # Each text of a list or map on its own, as AWX renders a structured injector.
        if isinstance(template, dict):
            return dict((key, render(value)) for key, value in template.items())
        if isinstance(template, list):
            return [render(value) for value in template]
        return environment.from_string(template).render(context)

    for name, template in (injectors.get("env") or {}).items():
        injected.env[name] = render(template)
    for name, template in (injectors.get("extra_vars") or {}).items():
        injected.extra_vars[name] = render(template)
    return injected


def awx_inventory(inventory, env=None, drop=lambda name, value: False):
    """The inventory as AWX imports it from a project source: `ansible-inventory --list --export`
    of it (hosts, groups and variables, unrendered), without the variables drop(name, value) is
    true of (what reads the controller's files, which a job in the EE does not have: credentials
    give those)."""
    listed = subprocess.run(["ansible-inventory", "-i", str(inventory), "--list", "--export"], capture_output=True,
                            text=True, timeout=120, check=False, env=env)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)

    def scrub(variables):
        return dict((name, value) for name, value in (variables or {}).items() if not drop(name, value))

    for name, group in list(data.items()):
        if name == "_meta":
            group["hostvars"] = dict((host, scrub(values)) for host, values in group.get("hostvars", {}).items())
        elif isinstance(group, dict) and "vars" in group:
            group["vars"] = scrub(group["vars"])
    return data


class Job(object):
    """A finished job: status and rc as ansible-runner reports them, its events (job_events/*.json
    in order), stdout, the raw stream the worker sent back, and its artifacts directory."""

    def __init__(self, artifacts, stream, worker_stderr):
        self.artifacts, self.stream, self.worker_stderr = artifacts, stream, worker_stderr
        self.status = (artifacts / "status").read_text().strip() if (artifacts / "status").is_file() else None
        self.rc = int((artifacts / "rc").read_text()) if (artifacts / "rc").is_file() else None
        self.stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").is_file() else ""
        self.events = sorted((json.loads(path.read_text()) for path in (artifacts / "job_events").glob("*.json")),
                             key=lambda event: event.get("counter", 0))

    def stats(self):
        """playbook_on_stats' event_data: {"changed": {host: n}, "failures": ..., "ok": ...}."""
        found = [event["event_data"] for event in self.events if event.get("event") == "playbook_on_stats"]
        assert found, "no playbook_on_stats event: %s\n%s" % (self.status, self.stdout[-3000:])
        return found[-1]

    def changed(self):
        """{host: changed count} of hosts with a change."""
        return dict((host, count) for host, count in (self.stats().get("changed") or {}).items() if count)

    def changed_on_hosts(self):
        """{host: changed task count} of the tasks that ran on a host: without those the controller
        ran for itself (delegated to a local connection, such as writing the fleet report)."""
        counts = {}
        for event in self.events:
            data = event.get("event_data", {})
            result = data.get("res") or {}
            if event.get("event") != "runner_on_ok" or not result.get("changed"):
                continue
            if (result.get("_ansible_delegated_vars") or {}).get("ansible_connection") == "local":
                continue
            counts[data["host"]] = counts.get(data["host"], 0) + 1
        return counts

    def artifact_data(self):
        """What the playbook gave AWX to keep as the job's artifacts (set_stats)."""
        return self.stats().get("artifact_data") or {}

    def failed_results(self):
        """The result of every failed task event (runner_on_failed, not ignored)."""
        return [event["event_data"].get("res", {}) for event in self.events
                if event.get("event") == "runner_on_failed" and not event["event_data"].get("ignore_errors")]

    def everything(self):
        """Every byte AWX would store of this job: the stream and every artifact file."""
        texts = [self.stream.decode("utf-8", "replace")]
        for path in sorted(self.artifacts.rglob("*")):
            if path.is_file():
                texts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(texts)


def private_data_dir(path, inventory, extra_vars, injected, ssh_key=None, cmdline=None, settings=None,
                     project=REPO_ROOT):
    """Write the private data directory AWX's controller writes for a job: project/ (the project's
    files; here this checkout's playbooks and ansible.cfg), inventory/hosts (the inventory as JSON
    from a script, as AWX gives it), env/extravars (the job's extra variables and the credentials'),
    env/envvars, the credentials' files, env/ssh_key (the machine credential's key; its user in
    env/cmdline, as `-u USER`) and env/settings."""
    path = pathlib.Path(path)
    if path.exists():
        shutil.rmtree(str(path))
    (path / "project").mkdir(parents=True)
    shutil.copytree(str(project / "playbooks"), str(path / "project" / "playbooks"))
    shutil.copy(str(project / "ansible.cfg"), str(path / "project" / "ansible.cfg"))
    (path / "inventory").mkdir()
    script = path / "inventory" / "hosts"
    # A script printing the inventory as JSON (with _meta.hostvars), as AWX gives it to a job.
    script.write_text("#!/usr/bin/env python3\nimport sys\nsys.stdout.write(%r)\n" % json.dumps(inventory))
    script.chmod(0o700)
    env = path / "env"
    env.mkdir(mode=0o700)
    values = dict(extra_vars)
    values.update((name, unsafe(value)) for name, value in injected.extra_vars.items())
    (env / "extravars").write_text(yaml.dump(values, Dumper=_Dumper))
    (env / "envvars").write_text(yaml.safe_dump(injected.env))
    for runner_path, content in injected.files.items():
        local = path / os.path.relpath(runner_path, RUNNER_DIR)
        local.write_text(content)
        local.chmod(0o600)
    if cmdline:
        (env / "cmdline").write_text(cmdline)
    if ssh_key:
        (env / "ssh_key").write_text(ssh_key)
        (env / "ssh_key").chmod(0o600)
    (env / "settings").write_text(yaml.safe_dump(dict({"suppress_ansible_output": True}, **(settings or {}))))
    for file in env.iterdir():
        file.chmod(0o600)
    return path


def run_job(image, private_data, playbook, limit=None, verbosity=0, ident=None, timeout=1500):
    """transmit | worker (in the EE image, host network: the lab is on loopback) | process; the Job."""
    private_data = pathlib.Path(private_data)
    ident = ident or uuid.uuid4().hex[:12]
    transmit = ["ansible-runner", "transmit", str(private_data), "-p", playbook, "--ident", ident]
    if limit:
        transmit += ["--limit", limit]
    if verbosity:
        transmit.append("-" + "v" * verbosity)
    sent = subprocess.run(transmit, capture_output=True, timeout=120, check=False)
    assert sent.returncode == 0, sent.stderr.decode()
    worker = subprocess.run(["docker", "run", "-i", "--rm", "--network", "host", image, "ansible-runner", "worker",
                             "--private-data-dir", RUNNER_DIR], input=sent.stdout, capture_output=True,
                            timeout=timeout, check=False)
    # The worker exits with the playbook's status (a failed job too); what the job did is in the
    # stream, which process reads back.
    processed_dir = private_data.parent / ("%s-processed" % private_data.name)
    processed = subprocess.run(["ansible-runner", "process", str(processed_dir)], input=worker.stdout,
                               capture_output=True, timeout=300, check=False)
    job = Job(processed_dir / "artifacts", worker.stdout, worker.stderr.decode())
    assert job.status, "no job status came back (worker exit %d: %s; process: %s)" % (
        worker.returncode, worker.stderr.decode()[-2000:], processed.stderr.decode()[-2000:])
    return job
