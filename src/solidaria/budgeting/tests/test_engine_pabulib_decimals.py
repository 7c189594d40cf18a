"""Pabulib files whose budget and costs have decimals (`budget;1925834.77`): read exactly,
counted in minor units, printed in the file's own units; pabutools agrees on a real file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.budgeting.engine.completion import Completion, method_of_equal_shares
from solidaria.budgeting.engine.mes import TieBreaking
from solidaria.budgeting.engine.model import WITHDRAWN_COST
from solidaria.budgeting.engine.pabulib import PabulibError, parse, read, write
from solidaria.budgeting.engine.rules import count

from .test_engine_pabulib import DATA, SMALL

ASSEN = DATA / "Netherlands_Assen_2024.pb"


def _with_decimals(text: str) -> str:
    """The file with cents added: budget B -> (B-1).77, cost c -> (c-1).xx (xx varies)."""
    out, section, header = [], "", None
    for line in text.splitlines():
        cells = line.split(";")
        if line.strip().upper() in ("META", "PROJECTS", "VOTES"):
            section, header = line.strip().lower(), None
        elif header is None and section:
            header = cells
        elif section == "meta" and cells[0] == "budget":
            line = f"budget;{int(cells[1]) - 1}.77"
        elif section == "projects" and header is not None:
            i = header.index("cost")
            cost = int(cells[i])
            if cost != WITHDRAWN_COST and cost > 0:
                cells[i] = f"{cost - 1}.{(7 * len(out) + 13) % 100:02d}"
            line = ";".join(cells)
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture
def decimal_assen(tmp_path: Path) -> Path:
    path = tmp_path / "Assen_cents.pb"
    path.write_text(_with_decimals(ASSEN.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_decimal_budget_and_costs_are_read_exactly_in_minor_units() -> None:
    # given a budget with cents and costs with one or no decimals
    text = SMALL.replace("budget;100", "budget;1925834.77").replace("a;60;", "a;60.5;")
    # when read
    instance, _ = parse(text)
    # then everything is scaled by the largest number of decimals used (2)
    assert instance.decimals == 2
    assert instance.budget == 192583477
    assert [p.cost for p in instance.projects] == [6050, 5000, WITHDRAWN_COST]
    assert instance.amount_text(instance.budget) == "1925834.77"


def test_writing_keeps_the_file_units_and_round_trips() -> None:
    text = SMALL.replace("budget;100", "budget;1925834.77").replace("a;60;", "a;60.5;")
    instance, profile = parse(text)
    written = write(instance, profile)
    assert "budget;1925834.77" in written
    assert "a;60.50;" in written
    assert "c;999999999;" in written
    again, _ = parse(written)
    assert again.projects == instance.projects and again.budget == instance.budget


def test_whole_numbers_written_with_a_point_zero_stay_whole() -> None:
    instance, _ = parse(SMALL.replace("a;60;", "a;60.0;").replace("budget;100", "budget;100.00"))
    assert instance.decimals == 0
    assert instance.budget == 100 and instance.projects[0].cost == 60


@pytest.mark.parametrize("raw", ["-1.5", "abc", "NaN", "Infinity"])
def test_bad_decimal_costs_are_refused_with_the_line(raw: str) -> None:
    with pytest.raises(PabulibError) as info:
        parse(SMALL.replace("a;60;", f"a;{raw};"))
    assert info.value.section == "projects" and info.value.line == 8


def test_bad_budget_names_its_meta_line() -> None:
    with pytest.raises(PabulibError) as info:
        parse(SMALL.replace("budget;100", "budget;-3.5"))
    assert (info.value.section, info.value.line) == ("meta", 3)


def test_cents_change_nothing_but_the_scale_when_costs_are_whole_units() -> None:
    # given Assen and the same file with every amount times 1.00
    text = ASSEN.read_text(encoding="utf-8")
    plain, profile = parse(text)
    scaled, profile2 = parse(text.replace("budget;100000", "budget;100000.01"))
    # when counted by the META rule (equalshares/add1): then the same projects win
    assert scaled.decimals == 2
    assert count(scaled, profile2).selected == count(plain, profile).selected


@pytest.mark.parametrize("increment", [None, 1])
def test_mes_on_a_real_file_with_cents_equals_pabutools(
    decimal_assen: Path, increment: int | None
) -> None:
    # given Assen 2024 with cents added to the budget and every cost
    pytest.importorskip("pabutools")
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares as theirs

    instance, profile = read(decimal_assen)
    assert instance.decimals == 2
    # when both count MES (plain, and pabutools' Add1 with increments of one currency unit)
    p_instance, p_profile = parse_pabulib(str(decimal_assen))
    expected = theirs(p_instance, p_profile, sat_class=Cost_Sat, voter_budget_increment=increment)
    completion = Completion.NONE if increment is None else Completion.ADD1_PABUTOOLS
    ours = method_of_equal_shares(
        instance, profile, completion=completion, tie_breaking=TieBreaking.LEXICOGRAPHIC
    )
    # then they fund the same projects
    assert sorted(ours.selected) == sorted(p.name for p in expected)


def test_pb_count_json_prints_the_cost_in_the_file_units(decimal_assen: Path) -> None:
    # given the decimal file
    # when counted by the console script
    cmd = [sys.executable, "-m", "solidaria", "pb", "count", str(decimal_assen), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    # then the cost is the exact sum in the file's units, and the scale is said
    data = json.loads(done.stdout)
    instance, _ = read(decimal_assen)
    costs = {p.id: p.cost for p in instance.projects}
    total = sum(costs[pid] for pid in data["selected"])
    assert '"cost": ' + instance.amount_text(total) in done.stdout
    assert data["decimals"] == 2


def test_meta_cost_limits_are_scaled_like_the_costs() -> None:
    # given a decimal file whose META caps a ballot's total cost
    text = SMALL.replace("budget;100", "budget;100.25\nmax_sum_cost;70.5\nmin_sum_cost;0.125")
    instance, _ = parse(text)
    # then the limits are in the same minor units (finer digits rounded inwards)
    assert instance.decimals == 2
    assert instance.meta_amount("max_sum_cost") == 7050
    assert instance.meta_amount("min_sum_cost", round_up=True) == 13


SCALE_FREE_RULES = ["greedy", "mes", "equalshares-comparison", "phragmen"]


@st.composite
def cent_elections(draw: st.DrawFn) -> tuple[str, str]:
    """The same random election twice: amounts in cents as whole numbers, and in units with
    two decimals (12345 -> 123.45)."""
    m = draw(st.integers(1, 6))
    costs = draw(st.lists(st.integers(1, 3000), min_size=m, max_size=m))
    budget = draw(st.integers(1, 6000))
    ballots = draw(
        st.lists(st.lists(st.integers(0, m - 1), unique=True, min_size=1), min_size=1, max_size=8)
    )

    def text(amount: Callable[[int], str]) -> str:
        rows = [f"p{i};{amount(c)}" for i, c in enumerate(costs)]
        votes = [f"{v};" + ",".join(f"p{i}" for i in b) for v, b in enumerate(ballots)]
        return "\n".join(
            ["META", "key;value", f"budget;{amount(budget)}", "vote_type;approval"]
            + ["PROJECTS", "project_id;cost", *rows, "VOTES", "voter_id;vote", *votes]
        )

    return text(str), text(lambda c: f"{c // 100}.{c % 100:02d}")


@settings(max_examples=80, deadline=None)
@given(election=cent_elections(), rule=st.sampled_from(SCALE_FREE_RULES))
def test_amounts_with_cents_count_like_the_same_amounts_in_cents(
    election: tuple[str, str], rule: str
) -> None:
    # given one election written in cents and in units with decimals
    in_cents, in_units = election
    plain, plain_profile = parse(in_cents)
    decimal, decimal_profile = parse(in_units)
    # then the decimal file reads back the same integers (at its own scale)
    scale = 10 ** (2 - decimal.decimals)
    assert [p.cost * scale for p in decimal.projects] == [p.cost for p in plain.projects]
    # and every rule whose choice does not depend on the unit selects the same projects
    assert (
        count(decimal, decimal_profile, rule).selected == count(plain, plain_profile, rule).selected
    )
