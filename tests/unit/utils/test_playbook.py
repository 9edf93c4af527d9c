"""tests/utils/playbook.py: the extra variables reach the play, and their values (the tests'
passwords and tokens) are in no process's command line while it runs."""

from utils.playbook import run_playbook

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
