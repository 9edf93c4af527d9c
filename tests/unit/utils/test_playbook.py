"""tests/utils/playbook.py: the extra variables reach the play, and their values (the tests'
passwords and tokens) are in no process's command line while it runs; recap_of reads every
host's line of the PLAY RECAP."""

import subprocess

from utils.playbook import recap_of, run_playbook

PROBE = "Probe-Secret-Value-4417"


def test_extra_variables_reach_the_play_from_a_0600_file_and_no_process_list_shows_them(tmp_path):
    ran = run_playbook(tmp_path, [
        {"name": "Every process's command line, while ansible-playbook runs",
         "ansible.builtin.set_fact": {"listed": "{{ lookup('ansible.builtin.pipe', 'ps -eo args') }}"}},
        {"name": "The extra variable as the play sees it", "ansible.builtin.debug": {"msg": "{{ probe }}"}},
    ], extra_vars={"probe": PROBE})
    assert ran.rc == 0, ran.stdout[-2000:]
    listed = ran.results[0]["ansible_facts"]["listed"]
    assert "ansible-playbook" in listed
    assert PROBE not in listed
    assert ran.result["msg"] == PROBE
    # The file is gone with the run: no secret is left in the tests' temporary directories.
    assert not (tmp_path / "extra-vars.json").exists()


def test_the_extra_variables_file_is_0600_while_the_play_reads_it(tmp_path):
    ran = run_playbook(tmp_path, [{"name": "The file's mode", "ansible.builtin.stat": {"path": str(tmp_path / "extra-vars.json")}}],
                       extra_vars={"probe": PROBE})
    assert ran.rc == 0, ran.stdout[-2000:]
    assert ran.result["stat"]["mode"] == "0600"


def test_recap_of_reads_every_host_of_the_play_recap():
    """{host: (changed, unreachable, failed)} for each host, whatever its name's width."""
    stdout = ("TASK [x] ***\nok: [a]\n\nPLAY RECAP *****\n"
              "a                          : ok=3    changed=1    unreachable=0    failed=0    skipped=2\n"
              "sfmlops-fresh-mlflow-db-1a2b : ok=5    changed=0    unreachable=1    failed=2    skipped=0\n")
    ran = subprocess.CompletedProcess([], 0, stdout, "")
    assert recap_of(ran) == {"a": (1, 0, 0), "sfmlops-fresh-mlflow-db-1a2b": (0, 1, 2)}
