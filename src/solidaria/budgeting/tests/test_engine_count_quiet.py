"""`count(..., explain=False)` (what `solidaria pb count` uses) selects exactly what the
explained count selects, for every MES rule, on real files."""

from __future__ import annotations

import pytest

from solidaria.budgeting.engine.pabulib import read
from solidaria.budgeting.engine.rules import RULES, count, rule_family

from .test_engine_pabulib import DATA

FILES = ["Netherlands_Assen_2024.pb", "Poland_Wieliczka_2023_Green_Budget.pb"]
MES_RULES = sorted(name for name in RULES if rule_family(name) == "mes")


@pytest.mark.parametrize("rule", MES_RULES)
@pytest.mark.parametrize("name", FILES)
def test_quiet_count_selects_the_same(name: str, rule: str) -> None:
    # given a real file / when counted with and without explanations
    instance, profile = read(DATA / name)
    explained = count(instance, profile, rule)
    quiet = count(instance, profile, rule, explain=False)
    # then the same projects, in the same order, at the same cost and parameters
    assert quiet.selected == explained.selected
    assert quiet.cost == explained.cost
    assert quiet.parameters == explained.parameters


@pytest.mark.parametrize("name", [*FILES, "Switzerland_Zurich_D10.pb"])
def test_reading_without_voters_keeps_every_ballot(name: str) -> None:
    # given a real file read with and without the voters' ids and other columns
    instance, profile = read(DATA / name)
    light_instance, light = read(DATA / name, voters=False)
    # then projects, budget, ballots and points are the same; only the voter columns are left
    assert light_instance == instance and light_instance.decimals == instance.decimals
    assert (light.ballot_type, light.ballots, light.points) == (
        profile.ballot_type,
        profile.ballots,
        profile.points,
    )
    assert light.voter_ids == () and all(v == () for v in light.voter_fields.values())
