"""The network report: values computed independently from fixture data, pages, exports.

Given a small network (payments in a community currency, one of them reversed; a time
bank; an invoice partly paid on the ledger; a co-op poll), the report's figures equal
what the test works out by hand from the same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing.services import obligation_confirm, obligation_create, obligation_settle
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM
from solidaria.governance import services as gov
from solidaria.indicators import labels, network_catalogue, services
from solidaria.indicators.models import NetworkReport
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, CreditPolicy, Currency

YEAR = timezone.now().year


@dataclass
class World:
    cred: Currency
    hours: Currency
    accounts: dict[str, Account]


def _pay(payer: Account, payee: Account, amount: int, key: str) -> Any:
    return ledger.transfer_create(
        actor=payer.owner, payer=payer, payee=payee, amount_minor=amount, key=key
    )


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    cy = make_member("cy")
    cred = ledger.currency_create(
        actor=SYSTEM,
        code="CRED",
        name="Community credits",
        exponent=2,
        default_credit_limit=10_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    hours = ledger.currency_create(
        actor=SYSTEM,
        code="HOURS",
        name="Time bank",
        unit_kind=Currency.UnitKind.TIME,
        exponent=0,
        default_credit_limit=600,
        starting_grant=120,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    acc = {
        u.username: ledger.account_open(actor=u, currency=cred) for u in (member, other_member, cy)
    }
    ada, bo, cy_acc = acc[member.username], acc[other_member.username], acc["cy"]
    _pay(ada, bo, 2_500, "p1")
    _pay(bo, cy_acc, 1_000, "p2")
    _pay(cy_acc, ada, 300, "p3")
    reversed_one = _pay(ada, cy_acc, 700, "p4")
    ledger.transfer_reverse(actor=steward, transfer=reversed_one, reason="mistake", key="r4")
    # an invoice: bo owes ada 10.00, pays 4.00 of it on the ledger
    ob = obligation_create(
        actor=member,
        currency=cred,
        debtor=other_member,
        creditor=member,
        amount_minor=1_000,
        key="ob1",
    )
    obligation_confirm(actor=other_member, obligation=ob)
    obligation_settle(actor=other_member, obligation=ob, amount_minor=400, key="s1")
    # the time bank: ada gives bo 90 minutes, bo gives ada 30
    t_ada = ledger.account_open(actor=member, currency=hours)
    t_bo = ledger.account_open(actor=other_member, currency=hours)
    _pay(t_ada, t_bo, 90, "t1")
    _pay(t_bo, t_ada, 30, "t2")
    # a co-op poll: two members in its electorate, one takes part
    coop = gov.coop_create(actor=steward, name="Bakery", slug="bakery", classes=[("workers", 1)])
    workers = coop.classes.get(name="workers")
    gov.membership_add(actor=steward, coop=coop, user=member, member_class=workers)
    gov.membership_add(actor=steward, coop=coop, user=other_member, member_class=workers)
    poll = gov.poll_create(
        actor=steward,
        coop=coop,
        kind="proposal",
        title="New oven?",
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    gov.vote_cast(actor=member, poll=poll, choice={"vote": "yes"})
    gov.poll_close(actor=steward, poll=poll)
    return World(cred, hours, acc)


def _figures(report: NetworkReport) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["indicator"], f["subject"]): f for f in report.figures}


@pytest.mark.django_db
def test_report_values_match_the_fixture_worked_out_by_hand(world: World) -> None:
    # when the platform computes this year's report
    report = services.report_compute(actor=SYSTEM, year=YEAR)
    got = _figures(report)
    # then: trade in CRED is 25.00 + 10.00 + 3.00 + the 4.00 paid on the invoice; the 7.00
    # payment was reversed, so neither it nor its reversal counts
    assert got[("ledger.volume", "CRED")]["numerator"] == 2_500 + 1_000 + 300 + 400
    # balances at the end: ada -25 + 3 + 4 = -18.00, bo 25 - 10 - 4 = 11.00, cy 10 - 3 = 7.00
    balances = {
        u: a.balance
        for u, a in ((u, Account.objects.get(pk=a.pk)) for u, a in world.accounts.items())
    }
    assert sorted(balances.values()) == [-1_800, 700, 1_100]
    assert got[("ledger.accounts_in_credit", "CRED")]["value"] == "2/3"
    assert got[("ledger.accounts_in_debt", "CRED")]["value"] == "1/3"
    velocity = Fraction(4_200, 1_100 + 700)
    assert (
        got[("ledger.velocity", "CRED")]["value"] == f"{velocity.numerator}/{velocity.denominator}"
    )
    # the invoice: 4.00 of 10.00 settled inside the network
    assert got[("trade.settled_inside", "CRED")]["value"] == "2/5"
    # the time bank: 90 + 30 minutes between two people; both accounts in credit (120 grant)
    assert got[("timebank.minutes", "HOURS")]["numerator"] == 120
    assert got[("timebank.people", "HOURS")]["numerator"] == 2
    assert got[("ledger.accounts_in_credit", "HOURS")]["value"] == "1/1"
    assert ("timebank.minutes", "CRED") not in got and ("ledger.volume", "HOURS") not in got
    # governance: 1 of the poll's 2 voters; 1 of the 4 admitted members (steward included)
    poll_turnout = next(f for f in report.figures if f["indicator"] == "governance.poll_turnout")
    assert (poll_turnout["numerator"], poll_turnout["denominator"]) == (1, 2)
    assert got[("governance.members_voting", "")]["value"] == "1/4"
    # no clearing run, no budgeting process: no figure rather than a made-up 0 %
    assert not [f for f in report.figures if f["indicator"].startswith(("clearing.", "budgeting."))]
    assert report.catalogue_version == network_catalogue.load().version
    assert AuditEvent.objects.filter(verb="indicators.report.compute").count() == 1


@pytest.mark.django_db
def test_a_payment_after_the_year_does_not_count(world: World) -> None:
    report_before = services.report_compute(actor=SYSTEM, year=YEAR - 1)
    assert not [
        f for f in report_before.figures if f["indicator"] == "ledger.volume" and f["numerator"]
    ]


@pytest.mark.django_db
def test_report_page_shows_every_indicator_with_its_method_link(
    world: World, client: Client
) -> None:
    services.report_compute(actor=SYSTEM, year=YEAR)
    page = client.get(f"/indicators/{YEAR}/")
    assert page.status_code == 200
    html = page.content.decode()
    for spec in network_catalogue.load().indicators:
        assert labels.title(spec.code) in html
        assert f'/indicators/methods/#{spec.code}"' in html
    assert "42.00 CRED" in html  # the CRED volume, as people read it
    assert "2:00 h" in html  # 120 minutes in the time bank
    assert "66.67 %" in html and "2 of 3" in html  # accounts in credit
    assert "4.00 of 10.00 CRED" in html
    assert "Nothing to measure in this period." in html  # budgeting
    methods = client.get("/indicators/methods/").content.decode()
    assert all(f'id="{s.code}"' in methods for s in network_catalogue.load().indicators)


@pytest.mark.django_db
def test_csv_and_jsonld_exports_carry_the_exact_values(world: World, client: Client) -> None:
    services.report_compute(actor=SYSTEM, year=YEAR)
    response = client.get(f"/indicators/{YEAR}.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    volume = next(r for r in rows if r["indicator"] == "ledger.volume" and r["subject"] == "CRED")
    assert (volume["value"], volume["numerator"], volume["unit"]) == ("4200/1", "4200", "amount")
    data = json.loads(client.get(f"/indicators/{YEAR}.jsonld").content)
    assert data["@type"] == "Dataset" and data["temporalCoverage"].startswith(f"{YEAR}-01-01/")
    velocity = next(
        o for o in data["hasPart"] if o["variableMeasured"]["@id"].endswith("#ledger.velocity")
    )
    assert velocity["value"] == "7/3" and velocity["observationAbout"] == "CRED"
    pdf = client.get(f"/indicators/{YEAR}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_every_catalogue_indicator_has_a_title_and_a_method() -> None:
    for spec in network_catalogue.load().indicators:
        assert spec.code in labels.TITLES and spec.code in labels.METHODS


@pytest.mark.django_db
def test_a_steward_queues_a_report_others_are_refused(
    steward_client: Client,
    member_client: Client,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert member_client.post("/indicators/compute/", {"year": YEAR}).status_code == 403
    assert client.post("/indicators/compute/", {"year": YEAR}).status_code == 302  # log in
    assert NetworkReport.objects.count() == 0
    bad = steward_client.post("/indicators/compute/", {"year": 1999})
    assert bad.status_code == 422 and NetworkReport.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        with_task = steward_client.post("/indicators/compute/", {"year": YEAR})
    assert with_task.status_code == 302 and with_task["Location"] == f"/indicators/{YEAR}/"
    assert NetworkReport.objects.get().year == YEAR  # the immediate task backend ran it
    listing = client.get("/indicators/").content.decode()
    assert f"Network report {YEAR}" in listing and "Compute the report" not in listing


@pytest.mark.django_db
def test_no_report_yet_is_a_404(client: Client) -> None:
    assert client.get(f"/indicators/{YEAR}/").status_code == 404
    assert client.get(f"/indicators/{YEAR}.csv").status_code == 404


@pytest.mark.django_db
def test_api_serves_the_catalogue_and_the_report_to_anyone(world: World, client: Client) -> None:
    assert client.get(f"/api/indicators/reports/{YEAR}").status_code == 404
    services.report_compute(actor=SYSTEM, year=YEAR)
    indicators = client.get("/api/indicators/network-indicators").json()
    assert [i["code"] for i in indicators] == [s.code for s in network_catalogue.load().indicators]
    assert client.get("/api/indicators/reports").json()[0]["year"] == YEAR
    data = client.get(f"/api/indicators/reports/{YEAR}").json()
    got = {(f["indicator"], f["subject"]): f for f in data["figures"]}
    assert got[("ledger.velocity", "CRED")]["value"] == "7/3"
    assert got[("trade.settled_inside", "CRED")]["numerator"] == 400
    schema = client.get("/api/openapi.json").json()
    assert "404" in schema["paths"]["/api/indicators/reports/{year}"]["get"]["responses"]


ELECTION = """META
key;value
budget;3000
currency;EUR
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name
a;2000;Park
b;1000;Bench
c;1500;Library
VOTES
voter_id;vote
1;a
2;a,b
3;b,c
4;a
"""


@pytest.mark.django_db
def test_voters_with_a_funded_project_per_rule(steward: User, client: Client) -> None:
    from solidaria.budgeting import services as pb

    # given one election counted by greedy (funds a and b) and by MES (funds a only;
    # worked out by hand in budgeting/tests/test_explanations.py)
    process = pb.process_import_pabulib(actor=steward, text=ELECTION, slug="park", title="Park")
    assert set(pb.count_run(actor=steward, process=process).selected) == {"a", "b"}
    pb.rule_update(actor=steward, process=process, rule="mes", completion="none", parameters={})
    assert pb.count_run(actor=steward, process=process).selected == ["a"]
    # when the report is computed
    got = _figures(services.report_compute(actor=SYSTEM, year=YEAR))
    # then with greedy every voter has a funded project; with MES voter 3 ({b, c}) has none
    assert got[("budgeting.voters_with_funded_project", "park/greedy")]["value"] == "1/1"
    mes = got[("budgeting.voters_with_funded_project", "park/mes")]
    assert (mes["numerator"], mes["denominator"]) == (3, 4)
    html = client.get(f"/indicators/{YEAR}/").content.decode()
    assert "Park (" in html and "75 %" in html and "3 of 4" in html
