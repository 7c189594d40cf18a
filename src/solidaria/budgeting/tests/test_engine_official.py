"""Our count equals the official `selected` column of every shared Pabulib file we can count."""

from __future__ import annotations

import pytest

from solidaria.budgeting.engine.model import Instance
from solidaria.budgeting.engine.pabulib import official_selected, read
from solidaria.budgeting.engine.rules import RULES, count
from solidaria.conftest import shared_files

from .test_engine_pabulib import DATA, FULL, FULL_MANIFEST, MANIFEST


def _skip_reason(name: str, manifest: dict[str, dict[str, str]] = MANIFEST) -> str | None:
    rule = manifest[name]["rule"]
    if rule not in RULES:
        return f"META rule {rule!r} is not an official rule we can check"
    instance, _ = read((DATA if manifest is MANIFEST else FULL) / name)
    if official_selected(instance) is None:
        return "no `selected` column: the file carries no official result"
    return None


SKIPPED = {name: reason for name in MANIFEST if (reason := _skip_reason(name))}
CHECKED = sorted(set(MANIFEST) - set(SKIPPED))


def test_report_skipped_files() -> None:
    # prints which files are not compared and why (run with -s to see it)
    for name, reason in sorted(SKIPPED.items()):
        print(f"skipped {name}: {reason}")
    assert len(CHECKED) == 3  # of the 8 bundled: 4 say rule 'unknown', 1 has no `selected`
    assert {"Poland_Wieliczka_2023_Green_Budget.pb", "Poland_Swiecie_2023.pb"} <= set(CHECKED)
    assert "Netherlands_Assen_2024.pb" in CHECKED


@pytest.mark.shared_data
def test_report_skipped_files_of_the_full_set() -> None:
    skipped = {name for name in FULL_MANIFEST if _skip_reason(name, FULL_MANIFEST)}
    checked = set(FULL_MANIFEST) - skipped
    assert len(checked) == 9  # 4 files say rule 'unknown', 2 have no `selected` column
    assert {"Poland_Wieliczka_2023_Green_Budget.pb", "Poland_Swiecie_2023.pb"} <= checked


@pytest.mark.parametrize("name", shared_files("pabulib", "*.pb"))
def test_count_equals_official_selected_on_the_full_set(name: str) -> None:
    # given any file of the full set with an official result / when counted / then same set
    if reason := _skip_reason(name, FULL_MANIFEST):
        pytest.skip(f"{name}: {reason}")
    instance, profile = read(FULL / name)
    outcome = count(instance, profile)
    assert sorted(outcome.selected) == sorted(official_selected(instance) or ())
    assert outcome.cost <= instance.budget


@pytest.mark.parametrize("name", CHECKED)
def test_count_equals_official_selected(name: str) -> None:
    # given a file with an official result / when counted by its META rule / then same set
    instance, profile = read(DATA / name)
    outcome = count(instance, profile)
    assert sorted(outcome.selected) == sorted(official_selected(instance) or ())
    assert outcome.cost <= instance.budget


def test_wieliczka_comparison_keeps_mes_with_exact_vote_counts() -> None:
    instance, profile = read(DATA / "Poland_Wieliczka_2023_Green_Budget.pb")
    outcome = count(instance, profile)
    assert outcome.parameters["per_voter_budget"] == "315"
    assert (outcome.parameters["prefer_mes"], outcome.parameters["prefer_greedy"]) == (1615, 873)
    assert outcome.cost == 995079


def test_mes_details_explain_winners_and_losers() -> None:
    instance, profile = read(DATA / "Netherlands_Assen_2024.pb")
    outcome = count(instance, profile, "equalshares/add1")
    funded = [d for d in outcome.details.values() if d.status == "funded"]
    lost = [d for d in outcome.details.values() if d.status == "unaffordable"]
    assert sorted(d.project for d in funded) == sorted(outcome.selected)
    assert all(d.price is not None and d.effective_votes is not None for d in funded)
    assert all(
        d.supporters_money is not None and d.supporters_money < d_cost(instance, d.project)
        for d in lost
    )
    assert any(d.beaten_by in outcome.selected for d in lost)


def d_cost(instance: Instance, pid: str) -> int:
    return next(p.cost for p in instance.projects if p.id == pid)
