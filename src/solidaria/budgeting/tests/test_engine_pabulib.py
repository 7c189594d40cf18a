"""Pabulib reader/writer: every real file parses, round-trips, and bad input names section+line.

DATA is the handful of files bundled in data/pabulib; FULL the whole shared set, when present
(tests over it are marked `shared_data`)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from solidaria.budgeting.engine.model import WITHDRAWN_COST, BallotType
from solidaria.budgeting.engine.pabulib import PabulibError, parse, read, write
from solidaria.conftest import shared_files
from solidaria.core.paths import bundled_data_dir, shared_data_dir

DATA = bundled_data_dir() / "pabulib"
FULL = (shared_data_dir() or Path("shared-data-missing")) / "pabulib"


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    if not (folder / "MANIFEST.tsv").is_file():
        return {}
    with open(folder / "MANIFEST.tsv", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


MANIFEST = _manifest(DATA)
FULL_MANIFEST = _manifest(FULL)
SMALL = """META
key;value
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name;selected
a;60;Park;1
b;50;"Bench; blue";0
c;999999999;Gone;0
VOTES
voter_id;vote
1;a,b
2;b
"""


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_bundled_file_parses_with_manifest_counts(name: str) -> None:
    # given a real Pabulib file / when read / then projects and voters match the manifest
    instance, profile = read(DATA / name)
    row = MANIFEST[name]
    assert len(instance.projects) == int(row["num_projects"])
    assert profile.num_voters == int(row["num_votes"])
    assert profile.ballot_type == BallotType(row["vote_type"])
    assert instance.rule == row["rule"]


@pytest.mark.parametrize("name", shared_files("pabulib", "*.pb"))
def test_every_shared_file_parses_with_manifest_counts(name: str) -> None:
    # given a real Pabulib file of the full set / when read / then it matches the manifest
    instance, profile = read(FULL / name)
    row = FULL_MANIFEST[name]
    assert len(instance.projects) == int(row["num_projects"])
    assert profile.num_voters == int(row["num_votes"])
    assert profile.ballot_type == BallotType(row["vote_type"])
    assert instance.rule == row["rule"]


def test_small_file_fields_quoting_and_withdrawn() -> None:
    instance, profile = parse(SMALL)
    assert instance.budget == 100
    assert [p.id for p in instance.projects] == ["a", "b", "c"]
    assert instance.projects[1].name == "Bench; blue"
    assert instance.projects[2].cost == WITHDRAWN_COST and instance.projects[2].is_withdrawn
    assert profile.ballots == ((0, 1), (1,))
    assert instance.projects[0].selected == 1


def test_roundtrip_small_and_cumulative() -> None:
    instance, profile = parse(SMALL)
    again_i, again_p = parse(write(instance, profile))
    assert again_i.projects == instance.projects and again_p.ballots == profile.ballots
    inst2, prof2 = read(DATA / "Worldwide_Mechanical_Turk_Utilities_3.pb")
    back_i, back_p = parse(write(inst2, prof2))
    assert back_p.points == prof2.points and back_p.ballots == prof2.ballots
    assert back_i.projects == inst2.projects and back_i.budget == inst2.budget


@pytest.mark.shared_data
def test_roundtrip_keeps_target_and_decimal_costs() -> None:
    inst, prof = read(FULL / "Poland_Warszawa_2021_Mokotow.pb")
    assert inst.projects[0].beneficiaries[0] == "people with disabilities"
    back, _ = parse(write(inst, prof))
    assert back.projects == inst.projects


def test_toulouse_costs_are_read_as_whole_numbers() -> None:
    toulouse, _ = read(DATA / "France_Toulouse_2024.pb")
    assert toulouse.projects[0].cost == 100000


@pytest.mark.parametrize(
    ("text", "section", "line", "fragment"),
    [
        (SMALL.replace("VOTES\nvoter_id;vote\n1;a,b\n2;b\n", ""), "votes", 11, "missing"),
        (SMALL.replace("a;60;Park;1", "a;60;Park"), "projects", 8, "expected 4 columns"),
        (SMALL.replace("2;b", "2;zz"), "votes", 14, "unknown project 'zz'"),
        (SMALL.replace("a;60;Park;1", "a;sixty;Park;1"), "projects", 8, "not a number"),
        (SMALL.replace("META\n", "", 1), "meta", 1, "start with META"),
        (SMALL.replace("1;a,b", "1;a,a"), "votes", 13, "twice"),
    ],
)
def test_bad_input_names_section_and_line(
    text: str, section: str, line: int, fragment: str
) -> None:
    with pytest.raises(PabulibError) as info:
        parse(text)
    assert info.value.section == section
    assert info.value.line == line
    assert fragment in str(info.value)
    assert f"{section.upper()} section, line {line}" in str(info.value)
