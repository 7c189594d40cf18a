"""Ranked-ballot elections as plain data, shared by the BLT reader and the counters.

Candidates are numbered from 0 inside the engine (BLT files number them from 1; the
reader and writer convert). A ballot is a weight (how many voters cast exactly this
ranking) and a ranking of candidate numbers, most preferred first.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Ballot:
    """`weight` identical papers ranking `ranking` (0-based candidate numbers, best first)."""

    weight: int
    ranking: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Election:
    """A ranked-ballot election: candidates, seats, ballots and withdrawn candidates.

    Withdrawn candidates stay in `candidates` (so numbers keep matching the file) but
    the counters skip them on every ballot, as if they had never been ranked.
    """

    candidates: tuple[str, ...]
    seats: int
    ballots: tuple[Ballot, ...]
    title: str = ""
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    affiliations: tuple[str, ...] = ()
    """Party or group of each candidate ("" for none), or () when the source names none."""

    def __post_init__(self) -> None:
        n = len(self.candidates)
        if self.affiliations and len(self.affiliations) != n:
            raise ValueError(f"{len(self.affiliations)} affiliations for {n} candidates")
        if self.seats < 1:
            raise ValueError(f"seats must be at least 1, got {self.seats}")
        for c in self.withdrawn:
            if not 0 <= c < n:
                raise ValueError(f"withdrawn candidate {c} is out of range 0..{n - 1}")
        for i, ballot in enumerate(self.ballots):
            if ballot.weight < 0:
                raise ValueError(f"ballot {i}: negative weight {ballot.weight}")
            if len(set(ballot.ranking)) != len(ballot.ranking):
                raise ValueError(f"ballot {i}: a candidate is ranked twice")
            for c in ballot.ranking:
                if not 0 <= c < n:
                    raise ValueError(f"ballot {i}: candidate {c} is out of range 0..{n - 1}")

    @property
    def hopefuls(self) -> tuple[int, ...]:
        """Candidates standing in the count (not withdrawn), in file order."""
        return tuple(c for c in range(len(self.candidates)) if c not in self.withdrawn)

    def effective_ballots(self) -> tuple[Ballot, ...]:
        """Ballots with withdrawn candidates removed, dropping zero-weight and empty ones."""
        out: list[Ballot] = []
        for ballot in self.ballots:
            ranking = tuple(c for c in ballot.ranking if c not in self.withdrawn)
            if ballot.weight > 0 and ranking:
                out.append(Ballot(ballot.weight, ranking))
        return tuple(out)
