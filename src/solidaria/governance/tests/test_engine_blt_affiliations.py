"""BLT candidate lines with a name and an affiliation (`"Jane DOE" "Some Party"`)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidaria.governance.engine.blt import BltError, parse_blt, read_blt, write_blt
from solidaria.governance.engine.election import Election
from solidaria.governance.engine.stv import count
from solidaria.governance.tests.test_engine_blt import elections, names
from solidaria.governance.tests.test_engine_stv import STV

PAIRED = (
    '3 2\n2 1 2 0\n1 3 0\n0\n"Jane DOE" "Some Party"\n"John ROE"\n"Ann LEE" "Other"\n"Ward 1"\n'
)


def test_name_and_affiliation_per_line_are_read_apart() -> None:
    # given candidate lines with a name and (for two of them) an affiliation
    # when read
    election = parse_blt(PAIRED)
    # then names, affiliations and title are apart
    assert election.candidates == ("Jane DOE", "John ROE", "Ann LEE")
    assert election.affiliations == ("Some Party", "", "Other")
    assert election.title == "Ward 1"


def test_paired_lines_without_title_and_round_trip() -> None:
    election = parse_blt('2 1\n1 1 0\n0\n"Jane DOE" "P"\n"John ROE" "Q"\n')
    assert election.title == ""
    assert election.affiliations == ("P", "Q")
    assert parse_blt(write_blt(parse_blt(PAIRED))) == parse_blt(PAIRED)


def test_several_names_on_one_line_still_read_as_names() -> None:
    election = parse_blt('3 1\n1 1 0\n0\n"A" "B" "C"\n"T"')
    assert election.candidates == ("A", "B", "C")
    assert election.affiliations == ()


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ('"Jane DOE" "P" "X"\n"John ROE" "Q"\n"T"\n', "line 4: name: expected a name and at most"),
        ('"Jane DOE" junk\n"John ROE" "Q"\n"T"\n', "line 4: name: unexpected text 'junk'"),
        ('"Jane DOE" "P"\n"John ROE" "Q"\n"T"\n"more"\n', "line 7: title: unexpected content"),
        ('"Jane DOE" "P"\n"John ROE" "Q"\n"T" "U"\n', "line 6: title: unexpected content"),
    ],
)
def test_extra_content_is_refused_with_the_line(tail: str, message: str) -> None:
    # given a paired file with one line too much content
    # when read, then the error names the line
    with pytest.raises(BltError) as info:
        parse_blt("2 1\n1 1 0\n0\n" + tail)
    assert str(info.value).startswith(message)


def test_a_real_file_rewritten_with_parties_elects_the_same_people(tmp_path) -> None:
    # given Moray 2017 ward 3 (unquoted `Tim EAGLE (C)` lines) rewritten as `"Tim EAGLE" "C"`
    original = (STV / "moray_2017_ward3.blt").read_text(encoding="utf-8")
    head, _, names = original.partition("\n0\n")
    lines = names.strip().splitlines()
    pattern = re.compile(r"^(.*) \((.*)\)$")
    paired = [
        '"{}" "{}"'.format(*pattern.match(line).groups())  # type: ignore[union-attr]
        for line in lines[:-1]
    ]
    path = tmp_path / "paired.blt"
    path.write_text(head + "\n0\n" + "\n".join([*paired, f'"{lines[-1]}"']) + "\n")
    # when both are counted
    plain = count(read_blt(str(STV / "moray_2017_ward3.blt")), "stv-scottish")
    ours = read_blt(str(path))
    result = count(ours, "stv-scottish")
    # then the same candidates win, and the parties are kept
    assert result.elected == plain.elected
    assert [f"{ours.candidates[c]} ({ours.affiliations[c]})" for c in result.elected] == [
        "Tim EAGLE (C)",
        "Gordon COWIE (Ind)",
        "Sonya WARREN (SNP)",
    ]


@settings(max_examples=60, deadline=None)
@given(election=elections(), data=st.data())
def test_write_then_parse_keeps_affiliations(election: Election, data: st.DataObject) -> None:
    # given any election whose candidates have affiliations (some empty, at least one not)
    n = len(election.candidates)
    parties = data.draw(st.lists(names.map(str.strip), min_size=n, max_size=n))
    parties[data.draw(st.integers(0, n - 1))] = parties[0] or "P"
    with_parties = replace(election, affiliations=tuple(parties))
    # when written and read back, then nothing is lost
    assert parse_blt(write_blt(with_parties)) == with_parties
