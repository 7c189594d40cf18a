"""`solidaria tally`: names in order of election, --json shape, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from solidaria.governance.tests.test_engine_stv import STV


def _tally(*args: str) -> str:
    out = StringIO()
    call_command("tally", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("method", "elected"),
    [
        ("stv-scottish", ["Rebecca Rotzler", "Pat LaMarche", "Steve Kramer", "Tom Sevigny"]),
        ("meek", ["Pat LaMarche", "Rebecca Rotzler", "Steve Kramer", "Kristen Olsen"]),
        ("irv", ["Pat LaMarche"]),
    ],
)
def test_tally_prints_elected_in_order(method: str, elected: list[str]) -> None:
    assert _tally(str(STV / "SC.blt"), "--method", method).splitlines() == elected


def test_tally_json_has_exactly_elected_and_rounds() -> None:
    data = json.loads(
        _tally(str(STV / "moray_2017_ward3.blt"), "--method", "stv-scottish", "--json")
    )
    assert set(data) == {"elected", "rounds"}
    assert data["elected"] == ["Tim EAGLE (C)", "Gordon COWIE (Ind)", "Sonya WARREN (SNP)"]
    assert len(data["rounds"]) == 4
    assert data["rounds"][3]["totals"]["Sonya WARREN (SNP)"] == "1369.43645"


def test_tie_order_changes_a_lot(tmp_path: Path) -> None:
    blt = tmp_path / "tie.blt"
    # a pure tie A/B: the lot (file order by default) excludes A first
    blt.write_text("2 1\n2 1 0\n2 2 0\n0\nA\nB\nT")
    assert _tally(str(blt), "--method", "irv").splitlines() == ["B"]
    assert _tally(str(blt), "--method", "irv", "--tie-order", "2,1").splitlines() == ["A"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("2 1\n1 1 3 0\n0\nA\nB\nT", "line 2: preference: candidate 3 is out of range 1..2"),
        ("2 1\n1 1 2\n0\nA\nB\nT", "line 2: ballot: missing 0 terminator"),
    ],
)
def test_bad_blt_exits_2_with_line_and_field(tmp_path: Path, content: str, message: str) -> None:
    blt = tmp_path / "bad.blt"
    blt.write_text(content)
    with pytest.raises(CommandError) as info:
        _tally(str(blt))
    assert info.value.returncode == 2
    assert message in str(info.value)


def test_missing_file_and_bad_tie_order_exit_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        _tally(str(tmp_path / "nope.blt"))
    assert info.value.returncode == 2
    with pytest.raises(CommandError, match="must list each of 1..13 once"):
        _tally(str(STV / "SC.blt"), "--tie-order", "1,2")


def test_console_script_exit_code_is_2(tmp_path: Path) -> None:
    blt = tmp_path / "bad.blt"
    blt.write_text("2 1\n1 1 1 0\n0\nA\nB\nT")
    proc = subprocess.run(
        [sys.executable, "-m", "solidaria.cli", "tally", str(blt)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "line 2: preference: candidate 1 is ranked twice" in proc.stderr


def test_affiliations_in_text_and_as_an_added_json_field(tmp_path: Path) -> None:
    # given a file whose candidate lines carry a name and a party
    blt = tmp_path / "paired.blt"
    blt.write_text('2 1\n3 1 0\n1 2 0\n0\n"Jane DOE" "Some Party"\n"John ROE" "Other"\n"W"\n')
    # when tallied, then the text shows the party and the JSON adds one field
    assert _tally(str(blt)).splitlines() == ["Jane DOE (Some Party)"]
    data = json.loads(_tally(str(blt), "--json"))
    assert set(data) == {"elected", "rounds", "elected_affiliations"}
    assert data["elected"] == ["Jane DOE"]
    assert data["elected_affiliations"] == ["Some Party"]


def test_three_strings_on_a_candidate_line_exit_2(tmp_path: Path) -> None:
    blt = tmp_path / "bad.blt"
    blt.write_text('2 1\n3 1 0\n0\n"Jane DOE" "P" "X"\n"John ROE" "Q"\n"W"\n')
    with pytest.raises(CommandError) as info:
        _tally(str(blt))
    assert info.value.returncode == 2
    assert "line 4: name: expected a name and at most an affiliation" in str(info.value)


def test_pure_front_end_and_django_command_print_the_same(tmp_path: Path) -> None:
    # given the console script (no Django) and the management command
    args = [str(STV / "SC.blt"), "--method", "meek"]
    script = subprocess.run(
        [sys.executable, "-m", "solidaria", "tally", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    # then they print the same, and the console script did not import Django
    assert script.stdout == _tally(*args)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom solidaria.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\nprint('django' in sys.modules)",
            "tally",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.splitlines()[-1] == "False"
