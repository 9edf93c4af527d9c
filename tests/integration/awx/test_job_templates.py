"""The job templates of awx/job_templates.yml run the way AWX/AAP runs them (tests/utils/awx.py):
a private data directory with the inventory as AWX imports it from the project (without what
reads the controller's files), the templates' credentials injected by their types, survey
defaults as extra variables in text, then transmit | worker in the execution environment `make ee`
builds | process, against a lab of its own. Every job ends successful, changes nothing once the
hosts are converged, and no secret shows in the stream or any artifact AWX would store.

The lab runs Debian's second release, trixie (bookworm when the archive does not serve trixie):
the site job template is what previews (a Check launch) and converges fresh trixie hosts in make
test, as lab/test_lab.py's shell runs preview and converge bookworm's - each release previewed and
converged once, each path on one of them."""

import itertools
import json
import ssl
import subprocess
import urllib.request

import pytest
import yaml

from emulator.models import make_model_zip
from utils import awx
from utils.awx_definitions import definitions
from utils.lab import REPO_ROOT, Lab, assert_previewed_fresh_hosts, lab_inventory, not_served, require_image

TEMPLATES = definitions("job_templates")["job_templates"]
TYPES = dict((kind["name"], kind) for kind in definitions("credential_types")["credential_types"])
CREDENTIALS = dict((credential["name"], credential) for credential in definitions("controller")["awx_credentials"])
SITE = "Sparkflows serving - everything"


def template(name):
    (found,) = [item for item in TEMPLATES if item["name"] == name]
    return found


@pytest.fixture(scope="module")
def lab(request, tmp_path_factory, ee_image):
    suite = "bookworm" if not_served("trixie") else "trixie"
    for image in ("sfmlops/lab-host:%s" % suite, "sfmlops/lab-scorer:%s" % suite):
        require_image(image, suite)
    root = tmp_path_factory.mktemp("awx-lab")
    made = Lab("sfmlops-itest-awx", root / ".lab", suite)
    up = made.lab_sh("up")
    request.addfinalizer(lambda: made.lab_sh("down"))
    assert up.returncode == 0, up.stderr
    inventory = lab_inventory(root, made.ports)
    # The inventory AWX imports from the project: its variables that read files next to it (the
    # lab's secrets, SSH key and known_hosts) have no such files in a job: the credentials give them.
    imported = awx.awx_inventory(inventory, env=made.env, drop=lambda name, value: "inventory_dir" in str(value))
    return {"lab": made, "root": root, "state": root / ".lab", "inventory_path": inventory, "inventory": imported,
            "image": ee_image, "jobs": root / "jobs", "number": iter(range(4711, 5000))}


def credential_inputs(state):
    """The inputs of each credential of awx/controller.yml for this lab (the Machine credential's
    are its SSH key and user)."""
    def read(*path):
        return state.joinpath(*path).read_text().strip()
    known_hosts = state.joinpath("known_hosts").read_text()
    return {
        "SSH to the hosts": {"username": "root", "ssh_key_data": state.joinpath("id_ed25519").read_text()},
        "Sparkflows API": {"api_url": "http://sparkflows:8080", "api_token": "admin-token"},
        "MLflow admin": {"username": "admin", "password": read("mlflow-admin-password")},
        "MLflow stores": {"db_password": read("mlflow-db-password"), "s3_access_key": read("s3", "access-key"),
                          "s3_secret_key": read("s3", "secret-key"), "tls_ca_certificate": read("ca", "ca.crt"),
                          "tls_ca_private_key": read("ca", "ca.key")},
        "Scorer image registry": {"username": "sfmlops-pull", "password": read("registry", "password"),
                                  "ca_certificate": read("registry", "ca.crt")},
        "Scoring endpoint": {"tls_ca_certificate": read("ca", "ca.crt"), "tls_ca_private_key": read("ca", "ca.key"),
                             "api_key": read("scorer-api-key")},
        "SSH known hosts": {"known_hosts": known_hosts},
    }


def secrets(state):
    """Every secret the lab's credentials hold, as text a job output could show: whole values,
    and each line of a PEM or OpenSSH key's body."""
    found = []
    for name, inputs in credential_inputs(state).items():
        kind = CREDENTIALS[name]["credential_type"]
        secret_fields = ("ssh_key_data",) if kind == "Machine" else [
            field["id"] for field in TYPES[kind]["inputs"]["fields"] if field.get("secret")]
        for field in secret_fields:
            value = inputs.get(field) or ""
            lines = [line for line in value.splitlines() if len(line) >= 24 and not line.startswith("-----")]
            found.extend(lines if len(lines) > 1 else [value.strip()] if value.strip() else [])
    return found


def survey_answers(job_template, answers=None):
    """The survey's answers AWX sends, as text (what a user types, and AWX's default otherwise):
    every question's, a multiple selection a list of texts."""
    sent = {}
    for question in (job_template.get("survey_spec") or {}).get("spec", []):
        default = question.get("default", "")
        if question["type"] == "multiselect":
            sent[question["variable"]] = [item for item in str(default).split("\n") if item]
        else:
            sent[question["variable"]] = "" if default is None else str(default)
    sent.update(answers or {})
    return sent


def launch(lab, name, answers=None, limit=None, inputs=None, artifacts=None, launch_type="manual", job_type=None,
           diff_mode=False):
    """Job template NAME, launched as AWX launches it (inputs: credential inputs to use instead of
    the lab's, by credential name; artifacts: those of a workflow's earlier nodes; limit, job_type
    and diff_mode: the launch's prompts, each taken only where the template prompts for it, as
    AWX refuses the others): the Job."""
    job_template = template(name)
    prompted = {"ask_limit_on_launch": limit, "ask_job_type_on_launch": job_type,
                "ask_diff_mode_on_launch": diff_mode}
    refused = sorted(ask for ask, given in prompted.items() if given and not job_template.get(ask))
    assert not refused, "%s does not prompt for %s" % (name, refused)
    job_type = job_type or job_template.get("job_type", "run")
    diff_mode = diff_mode or job_template.get("diff_mode", False)
    inputs = dict(credential_inputs(lab["state"]), **(inputs or {}))
    injected, ssh_key, user = awx.Injected(), None, None
    for credential in job_template["credentials"]:
        kind = CREDENTIALS[credential]["credential_type"]
        if kind == "Machine":
            ssh_key, user = inputs[credential]["ssh_key_data"], inputs[credential]["username"]
        elif kind == "Vault":
            continue  # the lab's inventory vaults nothing
        else:
            injected.add(awx.inject(TYPES[kind], inputs[credential]))
    number = next(lab["number"])
    # AWX writes what a user or an earlier job gave (survey answers, a workflow's artifacts)
    # tagged !unsafe, its own variables as they are.
    extra_vars = dict(awx.unsafe(dict(artifacts or {}, **survey_answers(job_template, answers))), awx_job_id=number,
                      tower_job_id=number, awx_job_template_name=name, awx_user_name="admin",
                      awx_job_launch_type=launch_type)
    # The command line AWX gives ansible-playbook: --check for a check job, the user, --diff.
    cmdline = (["--check"] if job_type == "check" else []) + (["-u", user] if user else []) \
        + (["--diff"] if diff_mode else [])
    private = awx.private_data_dir(lab["jobs"] / str(number), lab["inventory"], extra_vars, injected, ssh_key=ssh_key,
                                   cmdline=" ".join(cmdline) or None)
    return awx.run_job(lab["image"], private, job_template["playbook"], limit=limit,
                       verbosity=job_template.get("verbosity", 0))


def assert_no_secret(lab, job):
    stored = job.everything()
    shown = [secret[:6] + "..." for secret in secrets(lab["state"]) if secret in stored]
    assert not shown, "secrets in the job's stream or artifacts: %s" % shown


def score(lab):
    """churn-model's sample POSTed to its one URL (lb1), TLS checked against the lab CA, with the
    API key: the answer."""
    request = urllib.request.Request(
        "https://127.0.0.1:%d/predict" % lab["lab"].lb_port, method="POST",
        data=json.dumps({"columns": ["age", "plan"], "data": [[42, "gold"]]}).encode(),
        headers={"Content-Type": "application/json",
                 "X-API-Key": (lab["state"] / "scorer-api-key").read_text().strip()})
    context = ssl.create_default_context(cafile=str(lab["state"] / "ca" / "ca.crt"))
    with urllib.request.urlopen(request, timeout=10, context=context) as answer:
        return json.loads(answer.read())


def test_the_site_template_launched_as_a_check_previews_fresh_hosts_and_changes_nothing(lab):
    """Job Type Check with Show Changes (--check --diff), limited to the service hosts (the
    Sparkflows play checks that the MLflow the same run would install answers, which a preview
    cannot do): the job succeeds, says what it would change on each host, and leaves every host
    and Sparkflows' configuration as lab.sh made them."""
    preview = launch(lab, SITE, job_type="check", diff_mode=True, limit="all:!sparkflows")
    assert preview.status == "successful", preview.stdout[-4000:]
    assert set(preview.changed()) == {"mlflow1", "scorer1", "scorer2", "lb1"}, preview.stats()
    assert_previewed_fresh_hosts(preview.stdout, lab["lab"].service_state())
    assert_no_secret(lab, preview)


def test_the_site_template_converges_fresh_hosts(lab):
    """The second run, changing nothing, is the next test's: the workflow's nodes are site.yml's
    plays, one job each, in its order (checked there), then the verify."""
    first = launch(lab, SITE)
    assert first.status == "successful", first.stdout[-4000:]
    assert set(first.changed()) == {"mlflow1", "scorer1", "scorer2", "lb1", "sparkflows1"}, first.stats()
    assert_no_secret(lab, first)
    assert score(lab) == {"predictions": [0]}


def workflow_chain(workflow):
    """The job templates of a workflow whose nodes follow each other on success, in order."""
    nodes = dict((node["identifier"], node) for node in workflow["workflow_nodes"])
    following = dict((identifier, [edge["identifier"] for edge in (node.get("related") or {}).get("success_nodes", [])])
                     for identifier, node in nodes.items())
    (first,) = set(nodes) - set(edge for edges in following.values() for edge in edges)
    chain, identifier = [], first
    while identifier:
        chain.append(nodes[identifier]["unified_job_template"]["name"])
        (identifier,) = following[identifier] or [None]
    assert len(chain) == len(nodes), "the workflow is not one chain: %s" % following
    return chain


(WORKFLOW,) = definitions("job_templates")["workflow_job_templates"]
WORKFLOW_TEMPLATES = workflow_chain(WORKFLOW)
# A rollback acts (it returns to the version before the current one): it has a test of its own.
ROLLBACK = "Roll the scorers back"


def test_the_workflow_runs_its_nodes_in_order_each_successful_and_changing_nothing(lab):
    """The rollout workflow as AWX runs it on converged hosts: each node's job template in turn,
    launched by the workflow, with the artifacts of the nodes before it as extra variables; every
    job successful, nothing changed on a host, the last (verify) hands the report on. Its nodes
    before the verify are the plays site.yml imports, in its order: this is the site job's
    second run, changing nothing."""
    site_plays = [play["ansible.builtin.import_playbook"].rsplit(".", 1)[-1] for play in yaml.safe_load(
        (REPO_ROOT / "playbooks" / "site.yml").read_text())]
    assert [template(name)["playbook"] for name in WORKFLOW_TEMPLATES[:-1]] \
        == ["playbooks/%s.yml" % play for play in site_plays], WORKFLOW_TEMPLATES
    artifacts = {}
    for name in WORKFLOW_TEMPLATES:
        job = launch(lab, name, artifacts=artifacts, launch_type="workflow")
        assert job.status == "successful", (name, job.stdout[-4000:])
        assert job.changed_on_hosts() == {}, (name, job.stdout[-4000:])
        assert_no_secret(lab, job)
        artifacts.update(job.artifact_data())
    assert set((artifacts.get("sparkflows_report") or {}).get("scorers") or {}) == {"scorer1", "scorer2"}, artifacts


@pytest.mark.parametrize("name", [item["name"] for item in TEMPLATES
                                  if item["name"] not in [SITE, ROLLBACK] + WORKFLOW_TEMPLATES])
def test_every_other_template_succeeds_on_the_converged_hosts_and_changes_nothing(lab, name):
    """Nothing changes on a host; a job that writes the fleet report (in the EE, gone with it)
    gives the report to AWX as its artifacts."""
    job = launch(lab, name)
    assert job.status == "successful", job.stdout[-4000:]
    assert job.changed_on_hosts() == {}, job.stdout[-4000:]
    if template(name)["playbook"] in ("playbooks/report.yml", "playbooks/verify.yml"):
        report = job.artifact_data().get("sparkflows_report") or {}
        assert set(report.get("scorers") or {}) == {"scorer1", "scorer2"}, job.artifact_data()
        assert report.get("red") == [], report.get("red")
    else:
        assert job.changed() == {}, job.stdout[-4000:]
    assert_no_secret(lab, job)


def test_a_failing_job_ends_failed_with_the_modules_message_and_no_secret(lab):
    """A scorer image of another release than Sparkflows' (3.2.0, the emulator is 3.1.0): the job
    fails, the module says why in the job's events, and shows no secret."""
    job = launch(lab, "Roll the Docker scorers", answers={"scorer_image_tag": "3.2.0"})
    assert job.status == "failed", job.stdout[-4000:]
    messages = " ".join(str(result.get("msg", "")) for result in job.failed_results())
    assert "3.2.0" in messages and "3.1.0" in messages, messages or job.stdout[-4000:]
    assert_no_secret(lab, job)


def first_task_hosts(job, play):
    """The hosts that ran the first task of play before any other task of it ran: one serial
    batch's (a later batch runs the same task again, after the others of the first)."""
    order = [(event["event_data"]["task_uuid"], event["event_data"]["host"]) for event in job.events
             if event.get("event") in ("runner_on_ok", "runner_on_skipped")
             and event["event_data"].get("play") == play]
    assert order, job.stdout[-3000:]
    return set(host for task, host in itertools.takewhile(lambda event: event[0] == order[0][0], order))


def test_the_rollback_template_returns_the_scorers_to_the_version_before(lab):
    """With one version deployed there is nothing to roll back to: the job fails, saying so, and
    changes nothing. A new model file rolled out by the scorers template, the rollback template
    returns every scorer host to the version before it. The survey's scorer_serial, given as
    text as a survey sends it, takes effect in both: "2" rolls both scorer hosts in one batch
    (each task on both before the next starts), "1" one host after the other."""
    nothing = launch(lab, ROLLBACK)
    assert nothing.status == "failed", nothing.stdout[-4000:]
    said = " ".join(str(result.get("msg", "")) for result in nothing.failed_results())
    assert "no earlier version that served" in said and "nothing was changed" in said, said
    assert nothing.changed() == {}
    make_model_zip(lab["state"] / "sparkflows" / "models" / "101.zip",
                   score_py="def score(rows):\n    return [7 for _ in rows]\n")
    rolled = launch(lab, "Roll the Docker scorers", answers={"scorer_serial": "2"})
    assert rolled.status == "successful", rolled.stdout[-4000:]
    assert set(rolled.changed()) >= {"scorer1", "scorer2"}, rolled.stdout[-4000:]
    assert first_task_hosts(rolled, "Standalone Docker scorers") == {"scorer1", "scorer2"}
    back = launch(lab, ROLLBACK, answers={"scorer_serial": "1"})
    assert back.status == "successful", back.stdout[-4000:]
    assert set(back.changed()) >= {"scorer1", "scorer2"}, back.stdout[-4000:]
    assert len(first_task_hosts(back, ROLLBACK)) == 1
    assert_no_secret(lab, back)


def test_a_host_whose_key_is_not_the_known_one_is_refused(lab):
    """ansible-runner turns host key checking off for every job (ANSIBLE_HOST_KEY_CHECKING=False):
    the SSH known hosts credential turns it back on. With another key recorded for the hosts, the
    job connects to none of them."""
    other = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(lab["root"] / "other_key")],
                           capture_output=True, text=True, timeout=60, check=False)
    assert other.returncode == 0, other.stderr
    key = " ".join((lab["root"] / "other_key.pub").read_text().split()[:2])
    wrong = "".join("[127.0.0.1]:%d %s\n" % (port, key) for port in lab["lab"].ports.values())
    job = launch(lab, "Preflight", inputs={"SSH known hosts": {"known_hosts": wrong}})
    assert job.status == "failed", job.stdout[-4000:]
    stats = job.stats()
    assert set(stats.get("dark") or {}) >= {"mlflow1", "scorer1", "scorer2", "lb1"}, stats
    assert "host key" in job.stdout.lower() or "Host key verification failed" in job.stdout, job.stdout[-3000:]


def test_ansible_navigator_runs_a_playbook_in_the_ee_from_a_shell(lab):
    """docs/awx.md's way to run a job template's playbook in the EE from a shell: the preflight,
    with the lab's own inventory (its files mounted where they are), in stdout mode."""
    ran = subprocess.run(
        ["ansible-navigator", "run", str(REPO_ROOT / "playbooks" / "preflight.yml"), "-i", str(lab["inventory_path"]),
         "--execution-environment-image", lab["image"], "--mode", "stdout", "--pull-policy", "never",
         "--container-engine", "docker", "--container-options=--network=host",
         "--execution-environment-volume-mounts", "%s:%s:ro" % (lab["root"], lab["root"]),
         "--playbook-artifact-enable", "false", "--log-file", str(lab["root"] / "navigator.log")],
        capture_output=True, text=True, timeout=900, check=False, cwd=str(REPO_ROOT), env=lab["lab"].env)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert "PLAY RECAP" in ran.stdout and "failed=0" in ran.stdout.split("PLAY RECAP")[-1]
