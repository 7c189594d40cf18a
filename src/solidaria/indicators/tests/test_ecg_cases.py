"""The official ECG calculator's cases reproduce, through the engine and `solidaria indicators ecg`.

Cases are listed in `cases/README.md` (input, company facts, expected output); points,
maxima and weights must agree to 2 decimals, as the calculator's own test checks
(`toBeCloseTo(x, 2)`: |ours - theirs| < 0.005). The bundled copies in
`data/indicators/ecg/cases` always run; the full shared set runs when it is there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from solidaria.clifront import indicators as front
from solidaria.conftest import shared_files
from solidaria.core.paths import bundled_data_dir, shared_data_dir
from solidaria.indicators import catalogues
from solidaria.indicators.engine.ecg import compute_balance
from solidaria.indicators.engine.ecg_io import facts_from_json, load_json, ratings_from_json

BUNDLED = bundled_data_dir() / "indicators" / "ecg" / "cases"
TOLERANCE = Decimal("0.005")


def cases(folder: Path) -> list[tuple[str, str, str | None, str]]:
    """(case, input, facts file or None for all-zero facts, expected) from the README table."""
    rows = []
    for line in (folder / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1].endswith("_input.json"):
            facts = cells[2] if cells[2].endswith(".json") else None
            rows.append((cells[0], cells[1], facts, cells[4]))
    return rows


def _facts_path(folder: Path, facts: str | None, tmp_path: Path) -> Path:
    if facts is not None:
        return folder / facts
    empty = tmp_path / "facts_all_zero.json"
    empty.write_text("{}")
    return empty


def _compare(expected: list[dict[str, Any]], got: dict[str, dict[str, Any]]) -> list[str]:
    wrong = []
    for e in expected:
        ours = got[e["shortName"]]
        for key in ("points", "maxPoints", "weight"):
            if abs(Decimal(str(ours[key])) - Decimal(str(e[key]))) >= TOLERANCE:
                wrong.append(f"{e['shortName']}.{key}: {ours[key]} != {e[key]}")
    return wrong


def test_the_bundled_readme_lists_both_cases() -> None:
    assert [c[0] for c in cases(BUNDLED)] == ["filled", "empty"]


@pytest.mark.parametrize("case", cases(BUNDLED), ids=lambda c: c[0])
def test_engine_reproduces_the_bundled_case(case: tuple[str, str, str | None, str]) -> None:
    # given the calculator's input, facts and expected output
    name, input_file, facts_file, expected_file = case
    facts = load_json((BUNDLED / facts_file).read_text()) if facts_file else {}
    ratings = ratings_from_json(load_json((BUNDLED / input_file).read_text()))
    expected = json.loads((BUNDLED / expected_file).read_text())
    cat = catalogues.ecg_catalogue()
    # when the engine computes the balance
    balance = compute_balance(cat.topics, ratings, facts_from_json(facts), catalogues.ecg_tables())
    # then every topic and aspect agrees to 2 decimals, and the maxima add up to 1000 exactly
    got = {
        r.code: {"points": r.points, "maxPoints": r.max_points, "weight": r.weight}
        for r in balance.ratings
    }
    got = {
        k: {kk: Decimal(vv.numerator) / vv.denominator for kk, vv in v.items()}
        for k, v in got.items()
    }
    assert _compare(expected, got) == []
    assert len(expected) == len(balance.ratings) == 80
    assert sum(t.max_points for t in balance.topics) == 1000


def _run_cli(
    folder: Path,
    case: tuple[str, str, str | None, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> dict[str, Any]:
    _, input_file, facts_file, _ = case
    facts = _facts_path(folder, facts_file, tmp_path)
    code = front.main(["ecg", str(folder / input_file), "--facts", str(facts), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    result: dict[str, Any] = json.loads(out.out, parse_float=Decimal)
    return result


@pytest.mark.parametrize("case", cases(BUNDLED), ids=lambda c: c[0])
def test_cli_reproduces_the_bundled_case(
    case: tuple[str, str, str | None, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _run_cli(BUNDLED, case, tmp_path, capsys)
    expected = json.loads((BUNDLED / case[3]).read_text())
    assert [r["shortName"] for r in data["ratings"]] == [e["shortName"] for e in expected]
    assert set(data["ratings"][0]) == {"shortName", "weight", "points", "maxPoints"}
    assert _compare(expected, {r["shortName"]: r for r in data["ratings"]}) == []
    topics = [r for r in data["ratings"] if "." not in r["shortName"]]
    assert data["total"] == sum(r["points"] for r in topics) or data["total"] == -3600


@pytest.mark.parametrize("name", shared_files("indicators/ecg/cases", "*_ratings_input.json"))
def test_cli_reproduces_every_shared_case(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = (shared_data_dir() or Path("missing")) / "indicators" / "ecg" / "cases"
    case = next(c for c in cases(folder) if c[1] == name)
    data = _run_cli(folder, case, tmp_path, capsys)
    expected = json.loads((folder / case[3]).read_text())
    assert _compare(expected, {r["shortName"]: r for r in data["ratings"]}) == []


def test_filled_case_total_and_text_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = cases(BUNDLED)[0]
    data = _run_cli(BUNDLED, case, tmp_path, capsys)
    # A1.1 (7/10 of A1's 123.71) plus B4.1 (10/10 of 20.62): 86.60 + 20.62
    assert data["total"] == Decimal("107.216495")
    front.main(["ecg", str(BUNDLED / case[1]), "--facts", str(BUNDLED / case[2])])
    text = capsys.readouterr().out
    assert "stakeholder weights: A=1.5, B=1, C=1, D=1, E=1" in text
    assert "total 107.22 of 1000" in text


def test_chosen_stakeholder_weights_replace_the_derived_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = cases(BUNDLED)[0]
    args = ["ecg", str(BUNDLED / case[1]), "--facts", str(BUNDLED / case[2]), "--json"]
    front.main([*args, "--stakeholder-weights", "A=0.5,C=2"])
    data = json.loads(capsys.readouterr().out, parse_float=Decimal)
    maxima = {r["shortName"]: r["maxPoints"] for r in data["ratings"]}
    # weights: A 0.5 x (2 + 1.5 + 1 + 1) = 2.75; B 4; C 2 x 4 = 8; D 4; E 4 -> 22.75
    assert maxima["A1"] == Decimal("43.956044")  # 0.5 x 2 / 22.75 x 1000
    assert maxima["C1"] == Decimal("87.912088")  # 2 x 1 / 22.75 x 1000
    assert maxima["B3"] == Decimal("65.934066")  # 1 x 1.5 / 22.75 x 1000


@pytest.mark.parametrize(
    ("ratings", "facts", "extra", "message"),
    [
        ("{", "{}", [], "ratings.json: $: invalid JSON at line 1"),
        ('{"a": 1}', "{}", [], "ratings.json: $: expected a list"),
        (
            '[{"shortName": "A1.1", "estimations": 11}]',
            "{}",
            [],
            "ratings.json: $[0]: A1.1: estimation 11 is outside 0..10 for a positive aspect",
        ),
        (
            '[{"shortName": "A1.2", "estimations": 5}]',
            "{}",
            [],
            "ratings.json: $[0]: A1.2: estimation 5 is outside -200..0 for a negative aspect",
        ),
        (
            '[{"shortName": "A1.1"}, {"shortName": "Z9"}]',
            "{}",
            [],
            "ratings.json: $[1]: Z9: not a topic or aspect of this catalogue",
        ),
        (
            '[{"shortName": "A1.1", "estimations": "7"}]',
            "{}",
            [],
            'ratings.json: $[0].estimations: expected a number, not "7"',
        ),
        (
            '[{"shortName": "A1", "weight": -1, "isWeightSelectedByUser": true}]',
            "{}",
            [],
            "ratings.json: $[0]: A1: the weight -1 is negative",
        ),
        (
            "[]",
            '{"supplyFractions": [{"countryCode": "XXX", "costs": 5}]}',
            [],
            "facts.json: $.supplyFractions[0].countryCode: unknown country code 'XXX'",
        ),
        ("[]", '{"turnover": true}', [], "facts.json: $.turnover: expected a number, not true"),
        (
            "[]",
            '{"employeesFractions": [{"countryCode": "DEU", "percentage": 50}]}',
            [],
            "facts.json: $.employeesFractions[0].percentage: a share of the staff is between 0 and 1",
        ),
        (
            "[]",
            '{"industrySectors": [{"industryCode": "F", "amountOfTotalTurnover": 60}]}',
            [],
            "facts.json: $.industrySectors[0].amountOfTotalTurnover: a share of the turnover "
            "is between 0 and 1",
        ),
        (
            "[]",
            "{}",
            ["--stakeholder-weights", "A=x"],
            "--stakeholder-weights: 'x' is not a number",
        ),
        (
            "[]",
            "{}",
            ["--stakeholder-weights", "Q=1"],
            "--stakeholder-weights: Q: not a stakeholder",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_file_and_path(
    ratings: str,
    facts: str,
    extra: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "ratings.json").write_text(ratings)
    (tmp_path / "facts.json").write_text(facts)
    monkeypatch.chdir(tmp_path)
    code = front.main(["ecg", "ratings.json", "--facts", "facts.json", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"CommandError: {message}"), err


def test_console_script_runs_without_django(tmp_path: Path) -> None:
    case = cases(BUNDLED)[0]
    script = (
        "import sys; from solidaria.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    assert 'django' not in sys.modules, 'django imported'\n    raise\n"
    )
    args = [
        "indicators",
        "ecg",
        str(BUNDLED / case[1]),
        "--facts",
        str(BUNDLED / case[2]),
        "--json",
    ]
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert re.search(r'"total": 107\.216495}$', done.stdout.strip())
