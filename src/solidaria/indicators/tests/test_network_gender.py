"""Gender balance of members and stewards in the network report.

Given members who declared (or did not declare) a gender on their profile, and stewards
of every kind (network, currency, co-op, budgeting process), the report's counts and
shares equal what the test works out from the same people, and cells of fewer than 5
people are suppressed in the figures, the page, the CSV, the JSON-LD and the PDF.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from solidaria.accounts.factories import make_person
from solidaria.accounts.models import Admission, User
from solidaria.budgeting import managers
from solidaria.budgeting import services as pb
from solidaria.core.permissions import SYSTEM
from solidaria.governance import services as gov
from solidaria.governance.services.setup import coop_steward_set
from solidaria.indicators import services
from solidaria.indicators.engine.network import (
    GENDERS,
    SMALL_GROUP,
    GenderCount,
    NetworkData,
    compute,
    suppressed_cells,
)
from solidaria.ledger import services as ledger

YEAR = timezone.now().year

# who is in the network, and what each declared ("" = not declared)
PEOPLE = {
    **{f"w{n}": "woman" for n in range(1, 8)},
    **{f"m{n}": "man" for n in range(1, 7)},
    "n1": "non_binary",
    "n2": "non_binary",
    "a1": "another",
    **{f"p{n}": "prefer_not_to_say" for n in range(1, 6)},
    **{f"u{n}": "" for n in range(1, 5)},
}
NETWORK_STEWARDS = ("w3", "w4", "w5")


@pytest.fixture
def people(steward: User) -> dict[str, User]:
    made = {
        name: make_person(
            name,
            gender=gender,
            gender_other="two-spirit" if gender == "another" else "",
            role=User.Role.STEWARD if name in NETWORK_STEWARDS else User.Role.MEMBER,
        )
        for name, gender in PEOPLE.items()
    }
    # not members: an applicant and someone who left; they are not counted
    make_person("applying", admission=Admission.APPLIED, gender="woman")
    make_person("gone", admission=Admission.LEFT, gender="man")
    currency = ledger.currency_create(actor=SYSTEM, code="CRED", name="Credits")
    ledger.currency_steward_add(actor=steward, currency=currency, user=made["w1"], reason="books")
    process = pb.process_create(
        actor=steward, settings=pb.ProcessSettings(title="Park fund", budget_minor=100)
    )
    managers.process_manager_grant(actor=steward, process=process, user=made["m1"], reason="runs")
    coop = gov.coop_create(actor=steward, name="Bakery", slug="bakery", classes=[("workers", 1)])
    workers = coop.classes.get(name="workers")
    membership = gov.membership_add(actor=steward, coop=coop, user=made["w2"], member_class=workers)
    coop_steward_set(actor=steward, membership=membership, is_steward=True, reason="rota")
    gov.membership_add(actor=steward, coop=coop, user=made["m2"], member_class=workers)
    return made


def _by_hand(genders: list[str]) -> dict[str, dict[str, Any]]:
    """The expected figure of each category, worked out here without the engine."""
    counts = Counter(g or "not_declared" for g in genders)
    total = len(genders)
    small = [g for g in GENDERS if 0 < counts[g] < SMALL_GROUP]
    assert len(small) != 1, "the fixture keeps away from complementary suppression"
    out = {}
    for g in GENDERS:
        if g in small:
            out[g] = {"numerator": 0, "denominator": None, "details": {"suppressed": 1}}
        else:
            share = Fraction(counts[g], total)
            out[g] = {
                "numerator": counts[g],
                "denominator": total,
                "value": f"{share.numerator}/{share.denominator}",
            }
    return out


def _figures(report: Any, indicator: str) -> dict[str, dict[str, Any]]:
    return {f["subject"]: f for f in report.figures if f["indicator"] == indicator}


@pytest.mark.django_db
def test_gender_balance_of_members_and_stewards(people: dict[str, User], steward: User) -> None:
    report = services.report_compute(actor=SYSTEM, year=YEAR)
    members = [*PEOPLE.values(), steward.gender]  # the network steward declared nothing
    stewards = [
        PEOPLE[n] for n in ("w1", "w2", "w3", "w4", "w5", "m1")
    ] + [steward.gender]  # fmt: skip
    for indicator, group in (
        ("people.gender_members", members),
        ("people.gender_stewards", stewards),
    ):
        got = _figures(report, indicator)
        assert list(got) == list(GENDERS), indicator
        for gender, expected in _by_hand(group).items():
            assert {k: got[gender][k] for k in expected} == expected, (indicator, gender)
    # spelled out: 26 members, 7 women; non-binary (2) and another identity (1) hidden
    members_got = _figures(report, "people.gender_members")
    assert (members_got["woman"]["numerator"], members_got["woman"]["denominator"]) == (7, 26)
    assert members_got["another"]["details"] == {"suppressed": 1}
    # 7 stewards: 5 women shown; 1 man and 1 not declared hidden
    stewards_got = _figures(report, "people.gender_stewards")
    assert stewards_got["woman"]["value"] == "5/7"
    assert stewards_got["man"]["numerator"] == 0 and stewards_got["man"]["details"]
    assert "two-spirit" not in json.dumps(report.figures)


@pytest.mark.django_db
def test_suppressed_cells_read_fewer_than_5_everywhere(
    people: dict[str, User], client: Client
) -> None:
    services.report_compute(actor=SYSTEM, year=YEAR)
    html = client.get(f"/indicators/{YEAR}/").content.decode()
    assert "Gender balance of the members" in html and "Gender balance of the stewards" in html
    assert "Women" in html and "7 of 26" in html and "5 of 7" in html
    assert "fewer than 5" in html
    assert "two-spirit" not in html
    rows = list(csv.DictReader(io.StringIO(client.get(f"/indicators/{YEAR}.csv").content.decode())))
    hidden = next(
        r for r in rows if r["indicator"] == "people.gender_members" and r["subject"] == "another"
    )
    assert (hidden["value"], hidden["numerator"], hidden["denominator"]) == ("", "", "")
    assert hidden["note"] == "fewer than 5"
    shown = next(
        r for r in rows if r["indicator"] == "people.gender_members" and r["subject"] == "woman"
    )
    assert (shown["value"], shown["numerator"], shown["denominator"]) == ("7/26", "7", "26")
    data = json.loads(client.get(f"/indicators/{YEAR}.jsonld").content)
    gender = [
        o
        for o in data["hasPart"]
        if o["variableMeasured"]["@id"].endswith("#people.gender_members")
    ]
    suppressed = next(o for o in gender if o["observationAbout"] == "non_binary")
    assert "value" not in suppressed and suppressed["measurementQualifier"] == "suppressed"
    assert next(o for o in gender if o["observationAbout"] == "woman")["value"] == "7/26"
    pdf = client.get(f"/indicators/{YEAR}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api = client.get(f"/api/indicators/reports/{YEAR}").json()["figures"]
    by_subject = {f["subject"]: f for f in api if f["indicator"] == "people.gender_members"}
    assert by_subject["another"]["suppressed"] is True
    assert [by_subject["another"][k] for k in ("value", "numerator", "denominator")] == [None] * 3
    assert by_subject["woman"]["suppressed"] is False and by_subject["woman"]["value"] == "7/26"


def _data(group: str, counts: dict[str, int]) -> NetworkData:
    return NetworkData(genders=tuple(GenderCount(group, g, n) for g, n in counts.items()))


def test_a_lone_small_cell_hides_the_next_smallest_too() -> None:
    figures = compute(
        ["people.gender_members"], _data("members", {"woman": 10, "man": 7, "non_binary": 3})
    )
    got = {f.subject: f for f in figures}
    assert got["non_binary"].details == {"suppressed": 1}
    assert got["man"].details == {"suppressed": 2} and got["man"].numerator == 0
    assert got["woman"].value == Fraction(10, 20) and got["another"].value == 0


def test_a_group_of_fewer_than_5_is_hidden_whole() -> None:
    figures = compute(["people.gender_stewards"], _data("stewards", {"woman": 4}))
    assert [f.details for f in figures] == [{"suppressed": 1}] * len(GENDERS)
    assert compute(["people.gender_stewards"], NetworkData()) == []


counts = st.dictionaries(st.sampled_from(GENDERS), st.integers(0, 40), min_size=1)


@given(counts)
def test_suppression_never_leaves_a_small_cell_that_can_be_worked_out(
    cells: dict[str, int],
) -> None:
    full = {g: cells.get(g, 0) for g in GENDERS}
    hidden = suppressed_cells(full)
    total = sum(full.values())
    # no shown cell holds 1 to 4 people
    assert all(not 0 < n < SMALL_GROUP for g, n in full.items() if g not in hidden)
    # a hidden cell is never alone, unless the whole (small) group is hidden
    if hidden and total >= SMALL_GROUP:
        assert len(hidden) >= 2
    # the shown figures never reveal what is hidden: shown + hidden = total only
    figures = compute(["people.gender_members"], _data("members", full))
    assert (
        sum(f.numerator for f in figures) == sum(n for g, n in full.items() if g not in hidden)
        or total == 0
    )
