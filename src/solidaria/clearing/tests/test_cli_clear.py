"""`solidaria clear`: the CLI without any database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

CSV = "debtor,creditor,amount\na,b,12.5\nb,c,7\nc,a,3.05\nc,d,1\n"


@pytest.fixture
def obligations(tmp_path: Path) -> Path:
    path = tmp_path / "obligations.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_json_summary_has_integer_totals(obligations, capsys):
    # when
    call_command("clear", str(obligations), "--json")
    # then
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in list(data)[:10]} == {
        "total_debt": 2355,
        "total_setoff": 915,
        "percent_cleared": "38.85",
        "percent_cleared_bp": 3885,
        "net_debt_before": 945,
        "net_debt_after": 945,
        "gross_debt_after": 1440,
        "member_count": 4,
        "members_touched": 3,
        "credit_used": 0,
    }
    assert data["members"]["d"] == {
        "owed": 100,
        "owing": 0,
        "setoff": 0,
        "claims_setoff": 0,
        "owed_after": 100,
        "owing_after": 0,
        "credit_used": 0,
        "received": 0,
    }


def test_out_writes_setoff_and_remaining(obligations, tmp_path, capsys):
    out = tmp_path / "result.csv"
    call_command("clear", str(obligations), "--out", str(out))
    assert out.read_text(encoding="utf-8").splitlines() == [
        "debtor,creditor,amount,setoff,remaining",
        "a,b,12.50,3.05,9.45",
        "b,c,7.00,3.05,3.95",
        "c,a,3.05,3.05,0.00",
        "c,d,1.00,0.00,1.00",
    ]
    printed = capsys.readouterr().out
    assert "38.85 % of the debt" in printed
    assert "cycle 3.05: a → b → c → a" in printed


def test_decimals_zero(tmp_path, capsys):
    path = tmp_path / "o.csv"
    path.write_text("debtor,creditor,amount\na,b,5\nb,a,3\n", encoding="utf-8")
    call_command("clear", str(path), "--decimals", "0", "--json")
    assert json.loads(capsys.readouterr().out)["total_setoff"] == 6


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a,b,12.345\n", "line 2, field amount"),
        ("a,a,1\n", "line 2, field creditor"),
        ("a,b,1\nb,c,1e3\n", "line 3, field amount"),
    ],
)
def test_bad_input_raises_with_exit_code_2(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text("debtor,creditor,amount\n" + body, encoding="utf-8")
    with pytest.raises(CommandError, match=message) as caught:
        call_command("clear", str(path))
    assert caught.value.returncode == 2


def test_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError, match="cannot read") as caught:
        call_command("clear", str(tmp_path / "nope.csv"))
    assert caught.value.returncode == 2


def test_console_script_exit_code_and_message(tmp_path, obligations):
    # given a bad file, when run as a real process
    bad = tmp_path / "bad.csv"
    bad.write_text("debtor,creditor,amount\nx,y,0\n", encoding="utf-8")
    cli = [sys.executable, "-m", "solidaria.cli", "clear"]
    failed = subprocess.run([*cli, str(bad)], capture_output=True, text=True, check=False)
    ok = subprocess.run([*cli, str(obligations), "--json"], capture_output=True, text=True)
    # then
    assert failed.returncode == 2
    assert "line 2, field amount" in failed.stderr
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["total_setoff"] == 915
