"""`solidaria clear`: the CLI without any database."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.clearing.engine import clear
from solidaria.clearing.engine.csvio import CsvError, _read_careful, _write
from solidaria.clearing.tests.test_engine_csvio import csv_texts

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


def test_crlf_bom_and_blank_lines_read_like_a_plain_file(tmp_path, obligations, capsys):
    # given the same obligations saved by a spreadsheet: BOM, CRLF, blank lines, no last EOL
    windows = tmp_path / "windows.csv"
    windows.write_bytes(b"\xef\xbb\xbf\r\n" + CSV.replace("\n", "\r\n\r\n").encode()[:-4])
    # when both are cleared
    call_command("clear", str(obligations), "--json")
    plain = json.loads(capsys.readouterr().out)
    call_command("clear", str(windows), "--json")
    # then the summaries are identical
    assert json.loads(capsys.readouterr().out) == plain


def test_quoted_file_errors_still_name_line_and_field(tmp_path):
    # given a quoted field spanning two lines, then a bad amount (the careful path reads it)
    path = tmp_path / "quoted.csv"
    path.write_text('debtor,creditor,amount\n"a\nb",c,1\nc,d,1e3\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 4, field amount") as caught:
        call_command("clear", str(path))
    assert caught.value.returncode == 2


def test_cycle_search_is_bounded(obligations, monkeypatch, capsys):
    # given a spy on the cycle search
    from solidaria.clearing.engine.solver import ClearingResult
    from solidaria.clearing.management.commands import clear as command

    seen = {}
    original = ClearingResult.top_cycles

    def spy(self, limit=10, *, max_steps=None):
        seen.update(limit=limit, max_steps=max_steps)
        return original(self, limit, max_steps=max_steps)

    monkeypatch.setattr(ClearingResult, "top_cycles", spy)
    # when the CLI prints its summary
    call_command("clear", str(obligations))
    # then it asked for a few cycles within a fixed budget of steps
    assert seen == {"limit": command.TOP_CYCLES, "max_steps": command.CYCLE_STEPS}
    assert "cycle 3.05: a → b → c → a" in capsys.readouterr().out


@settings(max_examples=40, deadline=None)
@given(text=csv_texts(), decimals=st.sampled_from([0, 2]))
def test_cli_output_matches_the_careful_reader_and_csv_writer(tmp_path_factory, text, decimals):
    # given a random, possibly broken file
    folder = tmp_path_factory.mktemp("cli")
    source, out = folder / "in.csv", folder / "out.csv"
    source.write_bytes(text.encode("utf-8"))
    try:
        table = _read_careful(io.StringIO(text, newline=""), decimals)
    except CsvError as exc:
        expected_error = str(exc)
    else:
        # a file with no obligations is refused (nothing could be read)
        nothing = "line 1: no obligations to clear (the file has only a header)"
        expected_error = None if len(table) else nothing
    # when the CLI clears it
    try:
        call_command("clear", str(source), "--out", str(out), "--decimals", str(decimals))
    except CommandError as exc:
        # then errors are the careful reader's, with exit code 2
        assert exc.returncode == 2
        assert str(exc) == f"{source}: {expected_error}"
        return
    # and results are what the csv module writes for the careful reader's table
    assert expected_error is None
    written = io.StringIO()
    _write(clear(table), written, decimals)
    assert out.read_bytes().decode("utf-8") == written.getvalue()
