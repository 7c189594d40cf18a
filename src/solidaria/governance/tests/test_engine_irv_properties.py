"""IRV's piles (an exclusion moves only the excluded candidate's ballots) count exactly
what a full recount of every ballot each round counts: same totals, exhausted votes,
exclusions and winner, on random elections."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.governance.engine.election import Ballot, Election
from solidaria.governance.engine.irv import irv

CANDIDATES = 5

rankings = st.lists(
    st.integers(0, CANDIDATES - 1), min_size=0, max_size=CANDIDATES, unique=True
).map(tuple)
elections = st.lists(st.tuples(st.integers(1, 9), rankings), min_size=1, max_size=30).map(
    lambda ballots: Election(
        candidates=tuple("ABCDE"),
        seats=1,
        ballots=tuple(Ballot(weight, ranking) for weight, ranking in ballots),
    )
)


def _recount(election: Election, continuing: list[int]) -> tuple[dict[int, int], int]:
    """Every ballot for its highest-ranked continuing candidate."""
    totals = dict.fromkeys(continuing, 0)
    exhausted = 0
    for ballot in election.effective_ballots():
        top = next((c for c in ballot.ranking if c in totals), None)
        if top is None:
            exhausted += ballot.weight
        else:
            totals[top] += ballot.weight
    return totals, exhausted


@settings(max_examples=300, deadline=None)
@given(election=elections)
def test_piles_count_what_a_full_recount_counts(election: Election) -> None:
    result = irv(election)
    continuing = list(election.hopefuls)
    weight = sum(b.weight for b in election.effective_ballots())
    for r in result.rounds:
        totals, exhausted = _recount(election, continuing)
        assert r.totals == {c: Fraction(v) for c, v in totals.items()}
        assert r.non_transferable == exhausted
        assert sum(totals.values()) + exhausted == weight
        for c in r.excluded:
            assert totals[c] == min(totals.values())
            continuing.remove(c)
    assert len(result.elected) == 1
    winner = result.elected[0]
    final = result.rounds[-1].totals
    assert 2 * final[winner] > sum(final.values()) or len(final) == 1
