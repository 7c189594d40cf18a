"""Scottish STV, Meek and IRV against official Scottish council counts and droop's reference."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from solidaria.core.paths import bundled_data_dir
from solidaria.governance.engine.blt import parse_blt, read_blt
from solidaria.governance.engine.election import Ballot, Election
from solidaria.governance.engine.stv import TieBreak, count, irv, meek_stv, scottish_stv

STV = bundled_data_dir() / "stv"  # every shared BLT file and its expected result
OFFICIAL = sorted(
    p.stem for p in (STV / "expected").glob("*.json") if p.stem not in ("SC", "Calton-2007")
)


def _expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STV / "expected" / f"{name}.json").read_text())
    return data


def test_there_are_thirteen_official_scottish_wards() -> None:
    assert len(OFFICIAL) == 13


@pytest.mark.parametrize("name", OFFICIAL)
def test_scottish_stv_matches_official_winners_and_stages(name: str) -> None:
    # given an official Scottish ward count
    expected = _expected(name)
    election = read_blt(str(STV / f"{name}.blt"))
    # when counted by Scottish STV
    result = scottish_stv(election)
    # then the quota, the winners, their order and stage, and the stage count match
    assert result.quota == int(expected["quota"])
    assert [(c + 1, result.stage_elected(c)) for c in result.elected] == [
        (e["blt_index"], e["stage"]) for e in expected["elected_official"]
    ]
    assert len(result.rounds) == expected["n_stages_official"]


@pytest.mark.parametrize("name", OFFICIAL)
def test_scottish_stv_matches_official_exclusions(name: str) -> None:
    expected = _expected(name)
    result = scottish_stv(read_blt(str(STV / f"{name}.blt")))
    excluded = [(c + 1, r.number) for r in result.rounds for c in r.excluded]
    assert excluded == [
        (e["blt_index"], e["excluded_at_end_of_stage"])
        for e in expected["excluded_official_in_order"]
    ]


@pytest.mark.parametrize("name", OFFICIAL)
def test_scottish_stv_matches_every_official_stage_total(name: str) -> None:
    expected = _expected(name)
    exact = "all cells carry 5 decimal places" in expected["notes"]["stage_totals"]
    result = scottish_stv(read_blt(str(STV / f"{name}.blt")))
    for cand in expected["candidates"]:
        ours = [r.totals[cand["blt_index"] - 1] for r in result.rounds]
        theirs = [Fraction(Decimal(v)) for v in cand["official_stage_totals"]]
        if exact:
            assert ours == theirs, cand["official_name"]
        else:
            assert all(abs(a - b) <= Fraction(5, 1000) for a, b in zip(ours, theirs, strict=True))


def test_calton_2007_elects_the_published_set() -> None:
    result = scottish_stv(read_blt(str(STV / "Calton-2007.blt")))
    assert sorted(c + 1 for c in result.elected) == [8, 9, 10]
    # droop's reference report: Redmond on the surplus stage, Thewliss, then Simpson last
    assert result.elected_names == ["George Redmond", "Alison E Thewliss", "Ruth Simpson"]


def test_calton_2007_stage_7_figures_match_the_readme() -> None:
    result = scottish_stv(read_blt(str(STV / "Calton-2007.blt")))
    names = result.candidates
    totals = {names[c]: round(float(v), 2) for c, v in result.rounds[6].totals.items()}
    # the README gives these rounded to 2 d.p.
    assert totals["Ruth Simpson"] == 1189.89
    assert totals["Alison E Thewliss"] == 1360.13
    assert totals["Fiacra Fullerton"] == 446.25


def test_sc_scottish_stv_matches_droop_reference() -> None:
    # given the GPUS 2005 election, Scottish STV elects Tom Sevigny as last remaining
    result = scottish_stv(read_blt(str(STV / "SC.blt")))
    assert result.elected_names == [
        "Rebecca Rotzler",
        "Pat LaMarche",
        "Steve Kramer",
        "Tom Sevigny",
    ]
    # and the stage after Rotzler's surplus carries droop's figures exactly
    after = {result.candidates[c]: v for c, v in result.rounds[1].totals.items()}
    assert after["Budd Dickinson"] == Fraction("6.84848")
    assert after["Kristen Olsen"] == Fraction("12.45448")
    assert result.rounds[1].non_transferable == Fraction("0.00008")


def test_sc_meek_elects_kristen_olsen_fourth() -> None:
    result = meek_stv(read_blt(str(STV / "SC.blt")))
    assert result.elected_names == [
        "Pat LaMarche",
        "Rebecca Rotzler",
        "Steve Kramer",
        "Kristen Olsen",
    ]


def test_sc_meek_final_round_matches_prf_reference_to_nine_decimals() -> None:
    result = meek_stv(read_blt(str(STV / "SC.blt")))
    last = result.rounds[-1]
    totals = {result.candidates[c]: v for c, v in last.totals.items()}
    assert last.quota == Fraction("18.586296861")
    assert totals["Pat LaMarche"] == Fraction("19.087429756")
    assert totals["Rebecca Rotzler"] == Fraction("19.073682122")
    assert totals["Kristen Olsen"] == Fraction("19.085721549")
    assert totals["Steve Kramer"] == Fraction("19.202438090")
    assert totals["Tom Sevigny"] == Fraction("16.482212783")
    assert last.non_transferable == Fraction("1.068515700")


@pytest.mark.parametrize("name", OFFICIAL)
def test_meek_fills_every_seat_on_official_wards(name: str) -> None:
    election = read_blt(str(STV / f"{name}.blt"))
    result = meek_stv(election)
    assert len(result.elected) == election.seats
    assert len(set(result.elected)) == election.seats


def _election(seats: int, names: str, *ballots: tuple[int, str]) -> Election:
    index = {n: i for i, n in enumerate(names)}
    return Election(
        candidates=tuple(names),
        seats=seats,
        ballots=tuple(Ballot(w, tuple(index[c] for c in r)) for w, r in ballots),
    )


def test_scottish_surplus_transfer_value_is_truncated_to_five_decimals() -> None:
    # given A with 7 of 9 first preferences for 2 seats
    election = _election(2, "ABC", (7, "AB"), (2, "C"))
    # when counted: quota = 9 // 3 + 1 = 4, A's surplus 3 over 7 papers -> 0.42857 each
    result = scottish_stv(election)
    second = result.rounds[1]
    assert second.transfers == {1: Fraction("2.99999")}
    assert second.non_transferable == Fraction("0.00001")
    # and C (2) is excluded, leaving B as the last continuing candidate
    assert result.elected_names == ["A", "B"]


def test_scottish_inclusive_gregory_moves_later_papers_at_their_own_value() -> None:
    # given B gets A's surplus papers at a reduced value, then reaches quota itself
    election = _election(2, "ABCD", (6, "AB"), (2, "BC"), (1, "C"), (1, "D"))
    # quota = 10 // 3 + 1 = 4; A surplus 2 -> 6 papers at 0.33333 = 1.99998 to B
    result = scottish_stv(election)
    assert result.rounds[1].totals[1] == Fraction("3.99998")
    assert result.elected_names[0] == "A"


def test_exclusion_tie_looks_back_to_the_latest_differing_stage() -> None:
    # given C and D tie at stage 2 but C had fewer at stage 1
    election = _election(1, "ABCDE", (10, "A"), (9, "B"), (3, "D"), (2, "C"), (1, "EC"), (1, "E"))
    # stage 1: A10 B9 D3 C2 E2 -> tie C/E at 2, equal everywhere -> lot (file order): C
    result = scottish_stv(election)
    assert result.rounds[0].excluded == (2,)
    assert "by lot" in result.rounds[0].note


def test_tie_break_order_decides_a_tie_by_lot() -> None:
    election = _election(1, "ABCDE", (10, "A"), (9, "B"), (3, "D"), (2, "C"), (2, "E"))
    result = scottish_stv(election, tie_break=TieBreak(order=(4, 2, 0, 1, 3)))
    assert result.rounds[0].excluded == (4,)


def test_look_back_prefers_the_candidate_lower_at_the_previous_stage() -> None:
    # stage 1: A9 B8 C3 D2 E2 F1 -> F out; F's paper goes to D -> D3 = C3 at stage 2 ...
    election = _election(1, "ABCDEF", (9, "A"), (8, "B"), (3, "C"), (2, "D"), (2, "E"), (1, "FE"))
    result = scottish_stv(election)
    # stage 1 excludes F (1); stage 2: E3, C3, D2 -> D excluded (fewest)
    # stage 3: C3, E3 tie; at stage 2 C3 = E3, at stage 1 C3 > E2 -> E excluded
    excluded = [result.candidates[c] for r in result.rounds for c in r.excluded]
    assert excluded[:3] == ["F", "D", "E"]
    assert "stage 1" in result.rounds[2].note


def test_rule_52_elects_remaining_candidates_below_quota() -> None:
    election = _election(2, "ABC", (5, "A"), (3, "B"), (2, "C"))
    result = scottish_stv(election)
    # quota 4; A elected at stage 1 with surplus 1 (non-transferable); C excluded; B elected
    assert result.elected_names == ["A", "B"]
    assert result.stage_elected(1) == 3


def test_withdrawn_candidates_are_skipped() -> None:
    election = parse_blt("3 1\n-1\n4 1 2 0\n3 3 0\n0\nA\nB\nC\nT")
    result = irv(election)
    assert result.elected_names == ["B"]
    assert 0 not in result.rounds[0].totals


@pytest.mark.parametrize(
    ("ballots", "winner", "rounds"),
    [
        # majority on first preferences
        ([(6, "A"), (4, "B")], "A", 1),
        # textbook: C excluded, its votes go to B who wins 8-7
        ([(7, "A"), (5, "BA"), (3, "CB")], "B", 2),
        # exhausted ballots leave the majority threshold: 7 of 12 continuing
        ([(7, "A"), (5, "B"), (3, "C")], "A", 2),
        # tie in the last round is broken by look-back: B had fewer at round 1
        ([(4, "A"), (3, "B"), (1, "CB")], "A", 3),
    ],
)
def test_irv_table(ballots: list[tuple[int, str]], winner: str, rounds: int) -> None:
    election = _election(1, "ABC", *ballots)
    result = irv(election)
    assert result.elected_names == [winner]
    assert len(result.rounds) == rounds


def test_irv_final_tie_uses_look_back() -> None:
    # round 1: A4 B3 C2 D1 -> D out (to B): A4 B4 C2 -> C out (to nobody)
    # round 3: A4 B4, no majority of 8 -> tie, B had fewer at round 1 -> B out, A wins
    election = _election(1, "ABCD", (4, "A"), (3, "B"), (2, "C"), (1, "DB"))
    result = irv(election)
    assert result.elected_names == ["A"]
    assert [result.candidates[c] for r in result.rounds for c in r.excluded] == ["D", "C", "B"]


def test_count_dispatches_and_rejects_unknown_methods() -> None:
    election = _election(1, "AB", (2, "A"), (1, "B"))
    assert count(election, "irv").elected == (0,)
    assert count(election, "meek").elected == (0,)
    assert count(election, "stv-scottish").elected == (0,)
    with pytest.raises(ValueError, match="unknown method"):
        count(election, "borda")


def test_as_json_has_exactly_elected_and_rounds() -> None:
    result = scottish_stv(read_blt(str(STV / "moray_2017_ward3.blt")))
    data = result.as_json()
    assert list(data) == ["elected", "rounds"]
    assert data["elected"] == ["Tim EAGLE (C)", "Gordon COWIE (Ind)", "Sonya WARREN (SNP)"]
    assert data["rounds"][1]["totals"]["Gordon COWIE (Ind)"] == "826.28457"
    assert data["rounds"][2]["excluded"] == ["Gordon MCDONALD (SNP)"]
