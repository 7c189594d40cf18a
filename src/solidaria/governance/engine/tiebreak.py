"""Tie-breaking shared by the counters: look back over earlier stages, then by lot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TieBreak:
    """How a tie left after the look-back rules is broken ("decided by lot").

    `order` is a permutation of candidate numbers drawn beforehand (by lot, in public);
    among tied candidates, the one earliest in `order` is excluded first and has its
    surplus transferred first. Empty `order` means file order (candidate 0 first), which
    is what droop's reference counts use.
    """

    order: tuple[int, ...] = ()

    def first(self, tied: Sequence[int]) -> int:
        if not self.order:
            return min(tied)
        rank = {c: i for i, c in enumerate(self.order)}
        return min(tied, key=lambda c: (rank.get(c, len(rank)), c))

    def describe(self) -> str:
        return "file order" if not self.order else " ".join(str(c) for c in self.order)


def look_back(
    tied: Sequence[int],
    history: Sequence[Mapping[int, int]],
    *,
    lowest: bool,
    tie_break: TieBreak,
) -> tuple[int, str]:
    """Pick one of `tied` by the most recent earlier stage at which their totals differed.

    `history[k]` holds the totals at the end of stage k + 1. With `lowest`, the candidate
    with the fewest votes at that stage is chosen (exclusion, rule 51); otherwise the one
    with the most (order of surpluses, rule 49). If several remain, the search goes on
    further back among them; if they were equal at every stage, `tie_break` decides.
    Returns the candidate and a note saying how the tie was broken.
    """
    remaining = list(tied)
    if len(remaining) == 1:
        return remaining[0], ""
    for stage in range(len(history) - 1, -1, -1):
        values = {c: history[stage].get(c, 0) for c in remaining}
        best = min(values.values()) if lowest else max(values.values())
        chosen = [c for c in remaining if values[c] == best]
        if len(chosen) < len(remaining):
            remaining = chosen
            if len(remaining) == 1:
                return remaining[0], f"tie broken by totals at stage {stage + 1}"
    return tie_break.first(remaining), f"tie broken by lot ({tie_break.describe()})"
