"""No role reads another role's variables through hostvars: what roles know of each other's
hosts is read by a lookup that owns the contract (scorer_fleet, mlflow_host_s3)."""

import pathlib
import re

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (REPO_ROOT / "roles").iterdir() if p.is_dir())
# hostvars[...].name, hostvars[...]['name'], map('extract', hostvars, 'name')
READS = re.compile(r"""hostvars\[[^\]]+\](?:\.|\[['"])(\w+)|extract['"],\s*hostvars,\s*['"](\w+)""")


def other_roles_variables(role, text):
    for match in READS.finditer(text):
        name = match.group(1) or match.group(2)
        # The variable's owner: the role with the longest name that prefixes it (scorer_lb_socket
        # is role scorer_lb's, not role scorer's).
        owners = [other for other in ROLES if name.startswith(other.lstrip("_") + "_")]
        if owners and max(owners, key=len) != role:
            yield name


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reads_another_roles_variables_through_hostvars(role):
    found = sorted({(str(path.relative_to(REPO_ROOT)), name)
                    for path in (REPO_ROOT / "roles" / role).rglob("*")
                    if path.is_file() and path.suffix in (".yml", ".yaml", ".j2", ".md")
                    for name in other_roles_variables(role, path.read_text())})
    assert not found


def test_the_check_sees_a_read_of_another_roles_variable():
    assert list(other_roles_variables("sparkflows_mlflow", "{{ hostvars[h].mlflow_host_s3_access_key }}")) == [
        "mlflow_host_s3_access_key"]
    assert list(other_roles_variables("scorer", "{{ g | map('extract', hostvars, 'scorer_lb_socket') }}")) == [
        "scorer_lb_socket"]
    assert not list(other_roles_variables("scorer", "{{ hostvars[h].scorer_models }}"))
    assert not list(other_roles_variables("scorer_lb", "{{ hostvars[h]['scorer_lb_socket'] }}"))
