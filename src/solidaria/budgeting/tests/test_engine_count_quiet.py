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
