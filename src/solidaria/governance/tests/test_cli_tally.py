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
