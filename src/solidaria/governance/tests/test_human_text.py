"""Governance pages speak in sentences: no stored dicts, setting keys, fractions or engine
codes outside a details part; every kind of poll renders before votes, after votes and
after closing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from solidaria.accounts.models import User
from solidaria.core.tests.test_human_text import raw_bits
from solidaria.governance import demo, labels, services
from solidaria.governance.models import AllocationRun, Cooperative, Poll


@pytest.fixture
def demo_coop(db: None) -> Cooperative:
    demo.load(stdout=io.StringIO())
    return Cooperative.objects.get(slug=demo.SLUG)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _shown(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["steward", "ana"])
def test_demo_pages_show_no_raw_internals(demo_coop: Cooperative, username: str) -> None:
    # given the demo co-op: a closed proposal, a closed STV election, an open consent poll
    client = _client(username)
    run = AllocationRun.objects.get(coop=demo_coop)
    pages = [
        reverse("governance:home"),
        reverse("governance:coop", args=[demo_coop.slug]),
        reverse("governance:members", args=[demo_coop.slug]),
        reverse("governance:register", args=[demo_coop.slug]),
        reverse("governance:allocation", args=[run.pk]),
        *[reverse("governance:poll", args=[p.pk]) for p in demo_coop.polls.all()],
    ]
    for url in pages:
        # when a member or a steward reads it, then nothing raw is visible
        assert raw_bits(_shown(client, url)) == [], url


@pytest.mark.django_db
def test_closed_proposal_says_quorum_and_threshold_in_words(demo_coop: Cooperative) -> None:
    # given the demo proposal: 6 yes, 2 no, 1 abstain of 9 votes, quorum and threshold 1/2
    proposal = demo_coop.polls.get(kind=Poll.Kind.PROPOSAL, allocation_for__isnull=True)
    # when ana reads it
    page = _shown(_client("ana"), reverse("governance:poll", args=[proposal.pk]))
    # then the settings, the quorum and the reason are sentences; the codes are in details
    assert "Quorum: half of the electorate&#x27;s votes must take part" in page
    assert "4.5 votes (half of the electorate&#x27;s 9 votes)" in page
    assert "Passed: 6 yes, more than 4 votes (half of the yes and no votes)." in page
    assert "ana: yes" in page and "emeka: abstain" in page
    assert "<code>abstentions_count_toward_quorum</code>" in page.split("<details>")[1]


@pytest.mark.django_db
def test_allocation_shows_funds_by_name_and_shares_as_percentages(
    demo_coop: Cooperative,
) -> None:
    # given the demo allocation of 2431.77 EUR-COOP, patronage from the ledger
    run = AllocationRun.objects.get(coop=demo_coop)
    # when a member reads it
    page = _shown(_client("ana"), reverse("governance:allocation", args=[run.pk]))
    # then funds have names, amounts carry the code, shares are rounded percentages
    assert "Surplus 2431.77 EUR-COOP" in page
    assert "<td>Divisible reserves</td><td>364.76 EUR-COOP</td><td>15 %</td>" in page
    assert "<td>ana</td><td>388.26 EUR-COOP</td><td>15.97 %</td>" in page
    assert "30 % of the surplus goes to reserves, 50 % of them indivisible." in page
    # and the rounding is said in words: a reserve got a cent less than its exact share
    assert "0.01 EUR-COOP less, to make the total exact" in page
    # and the exact shares are money to the cent, never a raw fraction
    details = page.split("<details>")[1]
    assert "Exact share, to the nearest cent" in details
    assert "7144300625861/15844050" not in page


# --- every kind of poll --------------------------------------------------------------

KINDS: list[tuple[str, list[str], dict[str, Any], dict[str, str], str]] = [
    ("proposal", [], {}, {"vote": "yes"}, "ana: yes"),
    ("consent", [], {}, {"position": "consent"}, "ana: consent"),
    ("consensus", [], {}, {"stance": "agree"}, "ana: agree"),
    ("advice", [], {}, {"stance": "disagree", "comment": "Too soon"}, "ana: disagree — Too soon"),
    ("score", ["Rye", "Spelt"], {}, {"score_0": "4", "score_1": "2"}, "ana: Rye: 4, Spelt: 2"),
    ("dot", ["Rye", "Spelt"], {}, {"dots_0": "2", "dots_1": "1"}, "ana: Rye: 2 dots, Spelt: 1 dot"),
    ("ranked", ["Rye", "Spelt", "Oat"], {}, {"rank_0": "2", "rank_1": "1"}, "ana: 1. Spelt, 2. Rye"),
    ("stv", ["Rye", "Spelt", "Oat"], {"method": "meek"}, {"rank_2": "1"}, "ana: 1. Oat"),
    ("time", ["Mon 10:00", "Tue 18:00"], {}, {"avail_0": "yes", "avail_1": "if-need-be"},
     "ana: Mon 10:00: yes, Tue 18:00: if need be"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "options", "settings", "post", "ballot"), KINDS)
def test_each_kind_of_poll_renders_before_and_after_votes_and_closing(
    demo_coop: Cooperative,
    kind: str,
    options: list[str],
    settings: dict[str, Any],
    post: dict[str, str],
    ballot: str,
) -> None:
    # given a new open poll of this kind
    steward = User.objects.get(username="steward")
    poll = services.poll_create(
        actor=steward,
        coop=demo_coop,
        kind=kind,
        title=f"A {kind} poll",
        options=options,
        settings=settings,
        seats=2 if kind == "stv" else 1,
        closes_at=timezone.now() + dt.timedelta(days=3),
    )
    url = reverse("governance:poll", args=[poll.pk])
    ana, stew = _client("ana"), _client("steward")
    # when nobody has voted yet, then the page renders without raw internals
    for client in (ana, stew):
        assert raw_bits(_shown(client, url)) == [], (kind, "before votes")
    # when ana votes, then her vote was counted and it reads as words
    ana.post(url, post)
    assert poll.participations.filter(user__username="ana").exists(), kind
    for client in (ana, stew):
        page = _shown(client, url)
        assert raw_bits(page) == [], (kind, "after votes")
    assert ballot in page
    # when the steward closes it, then the outcome is named and still nothing raw shows
    services.poll_close(actor=steward, poll=poll)
    for client in (ana, stew):
        page = _shown(client, url)
        assert raw_bits(page) == [], (kind, "closed")
    assert "Outcome:" in page
    assert "Count details" in page


def test_outcome_codes_have_names_and_unknown_codes_lose_their_dashes() -> None:
    # given outcome codes, when named, then people read words
    assert labels.outcome_label("no-quorum") == "no quorum"
    assert labels.outcome_label("consensus-with-reservations") == "consensus with reservations"
    assert labels.outcome_label("something_new") == "something new"


def test_a_tie_in_a_proposal_is_explained_by_its_rule() -> None:
    # given a 3-3 tie under "further discussion"
    data = {
        "outcome": "further-discussion",
        "yes": 3,
        "no": 3,
        "abstain": 0,
        "is_tie": True,
        "quorum_required": "0",
        "threshold_required": "3",
        "settings": {"quorum": "0", "threshold": "1/2", "comparison": ">"},
    }
    # when it is explained
    view = labels.proposal_view(data)
    # then in words
    assert view["reason"] == "A tie, 3 yes to 3 no: back to discussion."
    assert view["quorum"] == "none"
    assert view["threshold"] == "more than 3 votes (half of the yes and no votes)"


def test_ledger_names_of_coop_funds_are_readable() -> None:
    # given the names the allocation gives the co-op's ledger accounts and transfers
    # when shown, then as fund names
    name = "coop:bread-and-roses:reserves_divisible"
    assert labels.ledger_account_label(name) == "Divisible reserves (bread-and-roses)"
    assert labels.ledger_account_label("coop:bread-and-roses") == "Co-op account (bread-and-roses)"
    assert labels.ledger_account_label("Ana's bakery") == "Ana's bakery"
    assert labels.ledger_category_label("surplus-social_fund") == (
        "Surplus: Social and education fund"
    )
    assert labels.ledger_category_label("groceries") == "groceries"
