"""Meek STV, as the Proportional Representation Foundation's Meek reference rule.

Choice of arithmetic: fixed point with 9 decimals (integers of 10^-9 votes) and
omega = 10^-6, exactly as the PRF reference (droop rule "prf-meek-basic"): it is the
published standard, its rounding directions are specified, and it is fast. Exact
rationals would make keep-factor denominators grow without bound.

Each round iterates until an election or convergence:

1. Every ballot starts with weight 1. Going down its ranking, each candidate who is not
   excluded keeps weight x keep factor (rounded up to 10^-9) and passes on the rest;
   excluded candidates are skipped; what is left at the end is excess.
2. quota = (sum of votes held by candidates) / (seats + 1), truncated, plus 10^-9.
3. Every hopeful candidate with votes >= quota is elected (in file order); the round ends.
4. Otherwise, if the total surplus of elected candidates is below omega, or did not
   shrink since the last iteration (stable), the iteration is over; else each elected
   candidate's keep factor becomes keep factor x quota / votes (both rounded up), and
   step 1 repeats.
5. After convergence without an election, the hopeful with fewest votes is excluded
   (keep factor 0). Candidates within the total surplus of the lowest are treated as
   tied and the tie goes by `TieBreak` (file order by default, as the reference does).

The count ends when the hopefuls are no more than the seats left (all elected) or the
seats are filled (the rest are defeated). Round 1 reports first preferences only.
"""

from __future__ import annotations

from fractions import Fraction

from solidaria.governance.engine.count_result import CountResult, Round, format_value
from solidaria.governance.engine.election import Election
from solidaria.governance.engine.tiebreak import TieBreak

MEEK_PLACES = 9
_ONE: int = 10**MEEK_PLACES
_OMEGA: int = 10**MEEK_PLACES // 10**6


def _mul_up(a: int, b: int) -> int:
    return -(-(a * b) // _ONE)


def _div_up(a: int, b: int) -> int:
    return -(-(a * _ONE) // b)


def _fraction(units: int) -> Fraction:
    return Fraction(units, _ONE)


def meek_stv(election: Election, *, tie_break: TieBreak | None = None) -> CountResult:
    """Count `election` by Meek STV (PRF reference: 9-decimal fixed point, omega 10^-6)."""
    tie_break = tie_break or TieBreak()
    names = election.candidates
    seats = election.seats
    ballots = election.effective_ballots()
    n_votes = sum(b.weight for b in ballots)
    hopeful: list[int] = list(election.hopefuls)
    elected: list[int] = []
    excluded: set[int] = set()
    keep = dict.fromkeys(hopeful, _ONE)
    quota = n_votes * _ONE // (seats + 1) + 1

    first = dict.fromkeys(hopeful, 0)
    for b in ballots:
        first[b.ranking[0]] += b.weight * _ONE
    rounds: list[Round] = [
        Round(
            number=1,
            action="first-preferences",
            candidate=None,
            totals={c: _fraction(v) for c, v in first.items()},
            quota=_fraction(quota),
        )
    ]

    def fmt(units: int) -> str:
        return format_value(_fraction(units), MEEK_PLACES)

    while 0 < seats - len(elected) < len(hopeful):
        number = len(rounds) + 1
        status = "iterate"
        last_surplus = n_votes * _ONE
        iterations = 0
        newly: list[int] = []
        while True:
            iterations += 1
            votes = dict.fromkeys(hopeful + elected, 0)
            excess = 0
            for b in ballots:
                weight = _ONE
                for c in b.ranking:
                    kf = keep.get(c, 0)
                    if kf:
                        kept = _mul_up(weight, kf)
                        votes[c] += kept * b.weight
                        weight -= kept
                        if weight <= 0:
                            break
                excess += max(weight, 0) * b.weight
            quota = sum(votes.values()) // (seats + 1) + 1
            for c in list(hopeful):
                if votes[c] >= quota:
                    hopeful.remove(c)
                    elected.append(c)
                    newly.append(c)
                    status = "elected"
            surplus = max(sum(votes[c] - quota for c in elected), 0)
            if status != "elected":
                if surplus < _OMEGA:
                    status = "omega"
                elif surplus >= last_surplus:
                    status = "stable"
            if status != "iterate":
                break
            last_surplus = surplus
            for c in elected:
                keep[c] = _div_up(_mul_up(keep[c], quota), votes[c])

        notes = [f"{iterations} iteration(s), surplus {fmt(surplus)}"]
        out: list[int] = []
        if status == "elected":
            notes += [f"{names[c]} elected: {fmt(votes[c])} >= quota {fmt(quota)}" for c in newly]
        elif hopeful:
            low = min(votes[c] for c in hopeful)
            tied = [c for c in hopeful if votes[c] <= low + surplus]
            loser = tie_break.first(tied)
            hopeful.remove(loser)
            excluded.add(loser)
            keep[loser] = 0
            out.append(loser)
            why = "surplus below omega" if status == "omega" else "stable surplus"
            tie = f", tie among {len(tied)} broken by lot" if len(tied) > 1 else ""
            notes.append(f"{names[loser]} excluded: fewest votes ({fmt(votes[loser])}), {why}{tie}")
        rounds.append(
            Round(
                number=number,
                action="iteration",
                candidate=None,
                totals={c: _fraction(v) for c, v in votes.items()},
                non_transferable=_fraction(excess),
                elected=tuple(newly),
                excluded=tuple(out),
                note="; ".join(notes),
                quota=_fraction(quota),
                keep_factors={c: _fraction(keep[c]) for c in votes},
            )
        )

    final_elected: list[int] = []
    final_excluded: list[int] = []
    for c in list(hopeful):
        if len(elected) < seats:
            elected.append(c)
            final_elected.append(c)
        else:
            final_excluded.append(c)
    if final_elected or final_excluded:
        last = rounds[-1]
        extra = []
        if final_elected:
            extra.append("elected as remaining: " + ", ".join(names[c] for c in final_elected))
        if final_excluded:
            extra.append(
                "seats filled, not elected: " + ", ".join(names[c] for c in final_excluded)
            )
        rounds[-1] = Round(
            number=last.number,
            action=last.action,
            candidate=last.candidate,
            totals=last.totals,
            transfers=last.transfers,
            non_transferable=last.non_transferable,
            elected=last.elected + tuple(final_elected),
            excluded=last.excluded + tuple(final_excluded),
            note="; ".join(filter(None, [last.note, *extra])),
            quota=last.quota,
            keep_factors=last.keep_factors,
        )
    return CountResult(
        method="meek",
        candidates=names,
        seats=seats,
        elected=tuple(elected),
        rounds=tuple(rounds),
        quota=_fraction(quota),
        places=MEEK_PLACES,
        parameters={
            "arithmetic": "fixed 9 decimals (PRF Meek reference)",
            "omega": "0.000001",
            "quota": "votes/(seats+1) truncated + 10^-9, recomputed each iteration",
            "tie_break": tie_break.describe(),
        },
    )
