"""`solidaria allocate`: funds and members printed, JSON in cents, exit 2 on bad input."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

EXAMPLE = Path(__file__).resolve().parents[1] / "engine" / "example_bylaws.json"
CSV = "member,hours,purchases\nana,100,20.50\nben,50,\ncarla,0,300\n"


def _allocate(tmp_path: Path, *args: str, csv: str = CSV, bylaws: str | None = None) -> str:
    patronage = tmp_path / "patronage.csv"
    patronage.write_text(csv)
    bylaws_path = EXAMPLE
    if bylaws is not None:
        bylaws_path = tmp_path / "bylaws.json"
        bylaws_path.write_text(bylaws)
    out = StringIO()
    call_command("allocate", "--bylaws", str(bylaws_path), *args, str(patronage), stdout=out)
    return out.getvalue()


def test_allocate_json_sums_to_the_surplus(tmp_path: Path) -> None:
    data = json.loads(_allocate(tmp_path, "--surplus", "1234.56", "--json"))
    funds = {f["account"]: f["cents"] for f in data["funds"]}
    members = {
        m["member"]: (m["cents"], m["cash_cents"], m["capital_cents"]) for m in data["members"]
    }
    assert funds == {
        "reserves_indivisible": 18_518,
        "reserves_divisible": 18_518,
        "social_fund": 12_346,
        "collective": 0,
    }
    assert members == {
        "ana": (35_989, 10_797, 25_192),
        "ben": (17_284, 5_186, 12_098),
        "carla": (20_801, 6_241, 14_560),
    }
    assert sum(funds.values()) + sum(m[0] for m in members.values()) == 123_456
    assert data["bylaws_version"] == "2025-1"


def test_allocate_text_lists_funds_and_members(tmp_path: Path) -> None:
    text = _allocate(tmp_path, "--surplus", "1234.56")
    assert "social_fund" in text and "123.46" in text
    assert "ana" in text and "359.89" in text


@pytest.mark.parametrize(
    ("args", "csv", "bylaws", "message"),
    [
        (["--surplus", "12.345"], CSV, None, "--surplus: '12.345' has more than two decimals"),
        (["--surplus", "-5"], CSV, None, "losses are not allocated"),
        (
            ["--surplus", "10"],
            "member,hours,purchases\nana,-1,0\n",
            None,
            "line 2: hours: negative",
        ),
        (["--surplus", "10"], "member,hours\nana,1\n", None, "line 1: header"),
        (["--surplus", "10"], CSV, '{"version": "x",', "line 1: invalid JSON"),
        (
            ["--surplus", "10"],
            CSV,
            json.dumps(
                {
                    "version": "x",
                    "reserves": "30",
                    "indivisible_reserves": "0",
                    "social_fund": "10",
                    "members": "50",
                    "patronage_basis": "hours",
                    "cash": "20",
                }
            ),
            "shares: reserves 30 % + social_fund 10 % + members 50 % = 90 %, not 100 %",
        ),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, args: list[str], csv: str, bylaws: str | None, message: str
) -> None:
    with pytest.raises(CommandError) as info:
        _allocate(tmp_path, *args, csv=csv, bylaws=bylaws)
    assert info.value.returncode == 2
    assert message in str(info.value)
