"""Instant runoff (ranked choice), one seat.

Each round counts every ballot for its highest-ranked continuing candidate (kept in
piles: an exclusion moves only the excluded candidate's ballots). A candidate
with more than half of the votes still in play (exhausted ballots are left out) wins; if
only one candidate continues, they win. Otherwise the candidate with fewest votes is
excluded (ties: look back to the latest round where the tied totals differed, then
`TieBreak`) and their ballots move in the next round. The BLT seat count is ignored: IRV
always fills one seat.
"""

from __future__ import annotations

from fractions import Fraction

from solidaria.governance.engine.count_result import CountResult, Round
from solidaria.governance.engine.election import Election
from solidaria.governance.engine.tiebreak import TieBreak, look_back


def irv(election: Election, *, tie_break: TieBreak | None = None) -> CountResult:
    """Count `election` by instant runoff for a single seat."""
    tie_break = tie_break or TieBreak()
    names = election.candidates
    ballots = election.effective_ballots()
    continuing: list[int] = list(election.hopefuls)
    alive = set(continuing)
    # Each continuing candidate's pile: (ballot, position of that candidate in its
    # ranking). An exclusion moves only the excluded candidate's pile, each ballot from
    # where it stood, instead of recounting every ballot each round.
    piles: dict[int, list[tuple[int, int]]] = {c: [] for c in continuing}
    totals = dict.fromkeys(continuing, 0)
    exhausted = 0

    def place(index: int, start: int) -> None:
        nonlocal exhausted
        ballot = ballots[index]
        ranking = ballot.ranking
        for position in range(start, len(ranking)):
            if ranking[position] in alive:
                piles[ranking[position]].append((index, position))
                totals[ranking[position]] += ballot.weight
                return
        exhausted += ballot.weight

    for index in range(len(ballots)):
        place(index, 0)
    history: list[dict[int, int]] = []
    rounds: list[Round] = []
    previous: dict[int, int] = {}
    moving: int | None = None
    winner: int | None = None
    while continuing and winner is None:
        history.append(dict(totals))
        in_play = sum(totals.values())
        transfers = (
            {c: totals[c] - previous.get(c, 0) for c in continuing} if moving is not None else {}
        )
        notes: list[str] = []
        excluded: tuple[int, ...] = ()
        leader = max(continuing, key=lambda c: (totals[c], -c))
        if 2 * totals[leader] > in_play or len(continuing) == 1:
            winner = leader
            notes.append(f"{names[leader]} elected: {totals[leader]} of {in_play} continuing votes")
        else:
            low = min(totals.values())
            tied = [c for c in continuing if totals[c] == low]
            loser, how = look_back(tied, history, lowest=True, tie_break=tie_break)
            continuing.remove(loser)
            excluded = (loser,)
            notes.append(
                f"{names[loser]} excluded: fewest votes ({low})" + (f", {how}" if how else "")
            )
        rounds.append(
            Round(
                number=len(rounds) + 1,
                action="first-preferences" if moving is None else "exclusion",
                candidate=moving,
                totals={c: Fraction(v) for c, v in totals.items()},
                transfers={c: Fraction(v) for c, v in transfers.items()},
                non_transferable=Fraction(exhausted),
                elected=() if winner is None else (winner,),
                excluded=excluded,
                note="; ".join(notes),
            )
        )
        previous = dict(totals)
        moving = excluded[0] if excluded else None
        if moving is not None:
            alive.discard(moving)
            del totals[moving]
            for index, position in piles.pop(moving):
                place(index, position + 1)
    return CountResult(
        method="irv",
        candidates=names,
        seats=1,
        elected=() if winner is None else (winner,),
        rounds=tuple(rounds),
        quota=None,
        places=0,
        parameters={
            "majority": "more than half of continuing votes",
            "tie_break": tie_break.describe(),
        },
    )
