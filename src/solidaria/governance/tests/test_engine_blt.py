"""BLT reader and writer: real-file quirks, errors with line numbers, round trips."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.governance.engine.blt import BltError, parse_blt, read_blt, write_blt
from solidaria.governance.engine.election import Ballot, Election
from solidaria.governance.tests.test_engine_stv import OFFICIAL, STV


@pytest.mark.parametrize("name", [*OFFICIAL, "SC", "Calton-2007"])
def test_real_files_read_with_the_published_ballot_total(name: str) -> None:
    # given a published BLT file whose bytes match the recorded sha256
    expected = json.loads((STV / "expected" / f"{name}.json").read_text())
    data = (STV / f"{name}.blt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == expected["blt_source"]["sha256"]
    # when read
    election = read_blt(str(STV / f"{name}.blt"))
    # then the ballot total is the valid poll
    total = sum(b.weight for b in election.ballots)
    assert total == expected.get("blt_ballot_total", 94)
    if "n_candidates" in expected:
        assert len(election.candidates) == expected["n_candidates"]


def test_unquoted_names_and_title_without_trailing_newline() -> None:
    election = parse_blt("2 1\n3 1 2 0\n1 2 0\n0\nTim EAGLE (C)\nGordon COWIE (Ind)\nBuckie")
    assert election.candidates == ("Tim EAGLE (C)", "Gordon COWIE (Ind)")
    assert election.title == "Buckie"
    assert election.ballots == (Ballot(3, (0, 1)), Ballot(1, (1,)))


def test_quoted_names_with_doubled_quotes() -> None:
    text = '1 1\n1 1 0\n0\n"Graham LEADBITTER ""Scottish National Party (SNP)"""\n"Ward 7"\n'
    election = parse_blt(text)
    assert election.candidates == ('Graham LEADBITTER "Scottish National Party (SNP)"',)
    assert election.title == "Ward 7"


def test_several_quoted_names_on_one_line_and_comments() -> None:
    text = '3 1\n# a comment\n(b1) 2 3 1 0\n\n0\n"A" "B" "C"\n"T"'
    election = parse_blt(text)
    assert election.candidates == ("A", "B", "C")
    assert election.ballots == (Ballot(2, (2, 0)),)


def test_withdrawn_line() -> None:
    election = parse_blt("3 1\n-2 -3\n1 1 2 3 0\n0\nA\nB\nC\nT")
    assert election.withdrawn == frozenset({1, 2})
    assert election.effective_ballots() == (Ballot(1, (0,)),)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("", 1, "header"),
        ("3\n", 1, "header"),
        ("x 1\n0\nA\nT", 1, "candidates"),
        ("2 0\n0\nA\nB\nT", 1, "seats"),
        ("2 1\n-3\n0\nA\nB\nT", 2, "withdrawn"),
        ("2 1\n1 1 2 0\n1 1 2\n0\nA\nB\nT", 3, "ballot"),
        ("2 1\n1 1 3 0\n0\nA\nB\nT", 2, "preference"),
        ("2 1\n1 1 1 0\n0\nA\nB\nT", 2, "preference"),
        ("2 1\n1 1=2 0\n0\nA\nB\nT", 2, "preference"),
        ("2 1\n1.5 1 0\n0\nA\nB\nT", 2, "weight"),
        ("2 1\n1 1 0\n-1 1 0\n0\nA\nB\nT", 3, "weight"),
        ("2 1\n1 1 0\n1 2 0\n", 3, "ballots"),
        ("2 1\n1 1 0\n0\nA\n", 4, "name"),
        ('2 1\n1 1 0\n0\n"A\n"B"\nT', 4, "name"),
        ("2 1\n1 1 0\n0\nA\nB\nT\nextra", 7, "title"),
    ],
)
def test_errors_name_the_line_and_field(text: str, line: int, field: str) -> None:
    with pytest.raises(BltError) as info:
        parse_blt(text)
    assert (info.value.line, info.value.field) == (line, field)
    assert str(info.value).startswith(f"line {line}: {field}: ")


def test_write_blt_quotes_and_ends_with_newline() -> None:
    election = Election(
        candidates=('A "x"', "B"),
        seats=1,
        ballots=(Ballot(2, (1, 0)), Ballot(1, ())),
        title="T",
        withdrawn=frozenset({0}),
    )
    assert write_blt(election) == '2 1\n-1\n2 2 1 0\n1 0\n0\n"A ""x"""\n"B"\n"T"\n'


names = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1)


@st.composite
def elections(draw: st.DrawFn) -> Election:
    n = draw(st.integers(1, 6))
    cands = tuple(draw(names).strip() or "x" for _ in range(n))
    cands = tuple(c if not c.startswith("#") else "x" + c for c in cands)
    rankings = st.permutations(range(n)).flatmap(lambda p: st.integers(1, n).map(lambda k: p[:k]))
    ballots = draw(st.lists(st.builds(Ballot, st.integers(1, 50), rankings.map(tuple)), max_size=8))
    return Election(
        candidates=cands,
        seats=draw(st.integers(1, n)),
        ballots=tuple(ballots),
        title=draw(names).strip() or "t",
    )


@settings(max_examples=60, deadline=None)
@given(elections())
def test_write_then_parse_round_trips(election: Election) -> None:
    assert parse_blt(write_blt(election)) == election


def test_real_file_round_trips_through_the_writer() -> None:
    election = read_blt(str(STV / "perth_kinross_2022_ward11.blt"))
    assert parse_blt(write_blt(election)) == election
