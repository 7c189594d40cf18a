"""`solidaria pb count`: ids one a line, --json, META rule by default, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .test_engine_pabulib import DATA, SMALL

ASSEN = str(DATA / "Netherlands_Assen_2024.pb")
ASSEN_SELECTED = ["3", "2", "6", "13", "9", "12", "11", "14", "5"]


def _run(*args: str) -> str:
    out = StringIO()
    call_command("pb", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_count_prints_ids_one_per_line_with_meta_rule() -> None:
    lines = _run("count", ASSEN).split()
    assert sorted(lines) == sorted(ASSEN_SELECTED)


def test_count_json_has_exactly_selected_and_cost() -> None:
    data = json.loads(_run("count", ASSEN, "--json"))
    assert set(data) == {"selected", "cost"}
    assert sorted(data["selected"]) == sorted(ASSEN_SELECTED)
    assert data["cost"] == 76700


def test_rule_option_overrides_meta() -> None:
    data = json.loads(_run("count", ASSEN, "--rule", "greedy", "--json"))
    assert data["cost"] <= 100000 and data["selected"] != []


def test_unknown_rule_exits_2() -> None:
    with pytest.raises(CommandError) as info:
        _run("count", ASSEN, "--rule", "borda")
    assert info.value.returncode == 2
    assert "unknown rule 'borda'" in str(info.value)


def test_malformed_file_exits_2_with_section_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_text(SMALL.replace("2;b", "2;zz"), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        _run("count", str(bad))
    assert info.value.returncode == 2
    assert "VOTES section, line 14: vote for unknown project 'zz'" in str(info.value)


def test_console_script_exit_status_is_2() -> None:
    cmd = [sys.executable, "-m", "solidaria", "pb", "count", ASSEN, "--rule", "nope"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "unknown rule 'nope'" in result.stderr
