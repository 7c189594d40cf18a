"""Single transferable vote counts: Scottish STV, Meek STV and instant runoff.

`count(election, method)` dispatches on the method name used by the CLI and the API:
"stv-scottish", "meek" or "irv".

Scottish STV follows rules 45-52 of Schedule 1 to the Scottish Local Government
Elections Order 2007 (weighted inclusive Gregory method):

* quota = floor(valid papers / (seats + 1)) + 1 (rule 46); valid papers are ballots with
  at least one preference for a candidate who has not withdrawn;
* a candidate with votes >= quota at the end of a stage is elected (rule 47); several in
  one stage are listed by their total, highest first;
* surpluses are transferred one per stage, largest first (rule 49); *every* paper the
  elected candidate holds moves to its next preference for a continuing candidate at
  transfer value floor(surplus x value of the paper on arrival / total), computed in exact
  integers of 10^-5 votes, i.e. truncated to five decimals (rule 48); the remainder
  (non-transferable papers and truncation) is lost and the candidate keeps the quota;
* with no surplus left, the continuing candidate with fewest votes is excluded and all
  their papers move at their current value, one candidate per stage (rule 50);
* ties look back to the most recent stage at which the tied totals differed (rules 49 and
  51), then go by lot, here an explicit `TieBreak` order drawn in advance;
* when the continuing candidates are no more than the vacancies left, they are all
  elected at the end of that stage, even below quota (rule 52).

Stage 1 is the count of first preferences. A candidate "excluded at the end of stage k"
has their papers transferred in stage k + 1, which is how the official results count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from solidaria.governance.engine.count_result import CountResult, Round, format_value
from solidaria.governance.engine.election import Election
from solidaria.governance.engine.irv import irv
from solidaria.governance.engine.meek import meek_stv
from solidaria.governance.engine.tiebreak import TieBreak, look_back

SCOTTISH_PLACES = 5
_SCALE: int = 10**SCOTTISH_PLACES
METHODS = ("stv-scottish", "meek", "irv")

__all__ = ["METHODS", "TieBreak", "count", "irv", "meek_stv", "scottish_stv"]


def _votes(units: int) -> str:
    return format_value(Fraction(units, _SCALE), SCOTTISH_PLACES)


@dataclass
class _Stage:
    action: str
    candidate: int | None
    transfers: dict[int, int] = field(default_factory=dict)
    lost: int = 0
    elected: list[int] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    totals: dict[int, int] = field(default_factory=dict)


class _ScottishCount:
    def __init__(self, election: Election, tie_break: TieBreak) -> None:
        self.election = election
        self.tie_break = tie_break
        self.ballots = election.effective_ballots()
        self.seats = election.seats
        valid = sum(b.weight for b in self.ballots)
        self.quota = (valid // (self.seats + 1) + 1) * _SCALE
        self.continuing: list[int] = list(election.hopefuls)
        self.elected: list[int] = []
        self.totals: dict[int, int] = dict.fromkeys(self.continuing, 0)
        self.piles: dict[int, list[tuple[int, int]]] = {c: [] for c in self.continuing}
        self.pending: list[int] = []
        self.history: list[dict[int, int]] = []
        self.stages: list[_Stage] = []

    def next_choice(self, ballot: int) -> int | None:
        for c in self.ballots[ballot].ranking:
            if c in self.continuing:
                return c
        return None

    def give(self, stage: _Stage, ballot: int, value: int) -> int:
        """Move one bundle of papers at `value` each; return the votes that moved."""
        target = self.next_choice(ballot)
        moved = self.ballots[ballot].weight * value
        if target is None:
            return 0
        self.piles[target].append((ballot, value))
        self.totals[target] += moved
        stage.transfers[target] = stage.transfers.get(target, 0) + moved
        return moved

    def run(self) -> CountResult:
        first = _Stage("first-preferences", None)
        for i in range(len(self.ballots)):
            self.give(first, i, _SCALE)
        first.transfers = {}
        self.end_stage(first)
        while len(self.elected) < self.seats and self.continuing:
            if self.pending:
                self.transfer_surplus()
            else:
                self.exclude_lowest()
        return self.result()

    def end_stage(self, stage: _Stage) -> None:
        reached = [c for c in self.continuing if self.totals[c] >= self.quota]
        reached.sort(key=lambda c: (-self.totals[c], c))
        for c in reached:
            self.continuing.remove(c)
            self.elected.append(c)
            stage.elected.append(c)
            if self.totals[c] > self.quota:
                self.pending.append(c)
            stage.notes.append(
                f"{self.election.candidates[c]} elected: {_votes(self.totals[c])} "
                f">= quota {_votes(self.quota)}"
            )
        vacancies = self.seats - len(self.elected)
        if vacancies > 0 and 0 < len(self.continuing) <= vacancies:
            last = sorted(self.continuing, key=lambda c: (-self.totals[c], c))
            for c in last:
                self.elected.append(c)
                stage.elected.append(c)
            self.continuing = []
            stage.notes.append(
                "rule 52: continuing candidates no more than vacancies, all elected: "
                + ", ".join(self.election.candidates[c] for c in last)
            )
        stage.totals = dict(self.totals)
        self.history.append(dict(self.totals))
        self.stages.append(stage)

    def transfer_surplus(self) -> None:
        best = max(self.totals[c] for c in self.pending)
        tied = [c for c in self.pending if self.totals[c] == best]
        chosen, how = look_back(tied, self.history, lowest=False, tie_break=self.tie_break)
        self.pending.remove(chosen)
        stage = _Stage("surplus", chosen)
        total = self.totals[chosen]
        surplus = total - self.quota
        moved = 0
        for ballot, value in self.piles[chosen]:
            moved += self.give(stage, ballot, surplus * value // total)
        self.piles[chosen] = []
        self.totals[chosen] = self.quota
        stage.lost = surplus - moved
        stage.notes.append(
            f"surplus {_votes(surplus)} of {self.election.candidates[chosen]} transferred"
            + (f" ({how})" if how else "")
        )
        self.end_stage(stage)

    def exclude_lowest(self) -> None:
        low = min(self.totals[c] for c in self.continuing)
        tied = [c for c in self.continuing if self.totals[c] == low]
        chosen, how = look_back(tied, self.history, lowest=True, tie_break=self.tie_break)
        previous = self.stages[-1]
        previous.excluded.append(chosen)
        previous.notes.append(
            f"{self.election.candidates[chosen]} excluded: fewest votes ({_votes(low)})"
            + (f", {how}" if how else "")
        )
        self.continuing.remove(chosen)
        stage = _Stage("exclusion", chosen)
        held = self.totals[chosen]
        moved = 0
        for ballot, value in self.piles[chosen]:
            moved += self.give(stage, ballot, value)
        self.piles[chosen] = []
        self.totals[chosen] = 0
        stage.lost = held - moved
        self.end_stage(stage)

    def result(self) -> CountResult:
        rounds = tuple(
            Round(
                number=k,
                action=s.action,
                candidate=s.candidate,
                totals={c: Fraction(v, _SCALE) for c, v in s.totals.items()},
                transfers={c: Fraction(v, _SCALE) for c, v in s.transfers.items()},
                non_transferable=Fraction(s.lost, _SCALE),
                elected=tuple(s.elected),
                excluded=tuple(s.excluded),
                note="; ".join(s.notes),
                quota=Fraction(self.quota, _SCALE),
            )
            for k, s in enumerate(self.stages, start=1)
        )
        return CountResult(
            method="stv-scottish",
            candidates=self.election.candidates,
            seats=self.seats,
            elected=tuple(self.elected),
            rounds=rounds,
            quota=Fraction(self.quota, _SCALE),
            places=SCOTTISH_PLACES,
            parameters={
                "quota": "droop-integer",
                "arithmetic": "fixed 5 decimals, transfer values truncated",
                "tie_break": self.tie_break.describe(),
            },
        )


def scottish_stv(election: Election, *, tie_break: TieBreak | None = None) -> CountResult:
    """Count `election` by Scottish STV (SSI 2007/42, Schedule 1, rules 45-52)."""
    return _ScottishCount(election, tie_break or TieBreak()).run()


def count(election: Election, method: str, *, tie_break: TieBreak | None = None) -> CountResult:
    """Count `election` by `method`, one of `METHODS`."""
    if method == "stv-scottish":
        return scottish_stv(election, tie_break=tie_break)
    if method == "meek":
        return meek_stv(election, tie_break=tie_break)
    if method == "irv":
        return irv(election, tie_break=tie_break)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
