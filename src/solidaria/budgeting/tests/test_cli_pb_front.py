"""`solidaria pb count` without Django: --exclusive groups for greedy-exclusive, the same
output and exit status from the console script and from `manage.py pb`."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .test_engine_pabulib import DATA

ASSEN = str(DATA / "Netherlands_Assen_2024.pb")
# b (3 votes) first, then a and d (2 votes each) fit; c (1 vote) does not.
EXCLUSIVE = """META
key;value
budget;100
vote_type;approval
rule;greedy-exclusive
comment;#1: b and a are two sites for the same playground, only one can be built
PROJECTS
project_id;cost
a;30
b;40
c;50
d;20
VOTES
voter_id;vote
1;a,b
2;a,b,d
3;b,d,c
"""


def _django(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("pb", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "solidaria", "pb", *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


@pytest.fixture
def exclusive(tmp_path: Path) -> str:
    path = tmp_path / "exclusive.pb"
    path.write_text(EXCLUSIVE, encoding="utf-8")
    return str(path)


def test_exclusive_group_keeps_one_of_its_projects(exclusive: str) -> None:
    # given a and b mutually exclusive
    # when counted with the group
    out, err = _django("count", exclusive, "--exclusive", "a,b")
    # then b (more votes) wins, a is excluded, d fits and c (50) no longer does
    assert out.split() == ["b", "d"]
    assert err == ""


def test_several_groups_are_each_one_option(exclusive: str) -> None:
    out, _ = _django("count", exclusive, "--exclusive", "a,b", "--exclusive", "b,d", "--json")
    assert json.loads(out) == {"selected": ["b", "c"], "cost": 90}


def test_without_groups_greedy_exclusive_says_it_counts_plain_greedy(exclusive: str) -> None:
    out, err = _django("count", exclusive)
    assert out.split() == ["b", "a", "d"]
    assert "greedy-exclusive without exclusion groups: counted as plain greedy" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exclusive", "a,zz"], "unknown project 'zz'"),
        (["--exclusive", "a"], "name at least two different project ids"),
        (["--exclusive", "a,b", "--rule", "greedy"], "applies to the rule greedy-exclusive"),
    ],
)
def test_bad_groups_exit_2(exclusive: str, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as info:
        _django("count", exclusive, *args)
    assert info.value.returncode == 2
    assert message in str(info.value)
    script = _script("count", exclusive, *args)
    assert script.returncode == 2
    assert script.stderr.count("\n") == 1 and message in script.stderr


@pytest.mark.parametrize("args", [["--json"], ["--rule", "mes"], ["--rule", "phragmen", "--json"]])
def test_console_script_and_django_command_print_the_same(args: list[str]) -> None:
    script = _script("count", ASSEN, *args)
    assert script.returncode == 0
    assert script.stdout == _django("count", ASSEN, *args)[0]


def _imported(*args: str) -> dict[str, bool]:
    """Which heavy modules a console run of `solidaria pb ...` imported."""
    code = (
        "import sys\nfrom solidaria.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('django' in sys.modules, 'gmpy2' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "pb", *args], capture_output=True, text=True, check=True
    )
    django, gmpy2 = done.stdout.splitlines()[-1].split()
    return {"django": django == "True", "gmpy2": gmpy2 == "True"}


def test_console_script_does_not_import_django_nor_gmpy2_for_one_mes_run() -> None:
    assert _imported("count", ASSEN, "--rule", "mes", "--json") == {
        "django": False,
        "gmpy2": False,
    }
    assert _imported("count", ASSEN, "--rule", "greedy")["django"] is False


def test_rule_names_known_before_the_engine_are_the_rules() -> None:
    from solidaria.budgeting.engine.rules import RULES
    from solidaria.clifront.pb import RULE_NAMES

    assert tuple(sorted(RULES)) == RULE_NAMES
