"""Clearing pages speak in words: amounts with their currency, the method by its name, the
engine's code only in a details part."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.clearing import demo as clearing_demo
from solidaria.clearing import labels
from solidaria.clearing.models import ClearingRun
from solidaria.core.tests.test_human_text import pages_under, raw_bits
from solidaria.ledger import demo as ledger_demo


@pytest.fixture
def demo_run(db: None) -> ClearingRun:
    ledger_demo.load(stdout=io.StringIO())
    clearing_demo.load(stdout=io.StringIO())
    return ClearingRun.objects.get()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["steward", "ana"])
def test_clearing_pages_show_no_raw_internals(demo_run: ClearingRun, username: str) -> None:
    # given the demo's 60 confirmed invoices and a computed run
    client = Client()
    client.force_login(User.objects.get(username=username))
    starts = [reverse("clearing:home"), reverse("clearing:run", args=[demo_run.pk])]
    seen = []
    for start in starts:
        # when every clearing page a link leads to is read
        for url, page in pages_under(client, start, "/clearing/"):
            seen.append(url)
            # then nothing raw is visible
            assert raw_bits(page) == [], url
    assert reverse("clearing:run", args=[demo_run.pk]) in seen


@pytest.mark.django_db
def test_run_page_names_the_method_and_gives_amounts_with_the_currency(
    demo_run: ClearingRun,
) -> None:
    # given the computed demo run
    client = Client()
    client.force_login(User.objects.get(username="steward"))
    # when the steward reads it
    page = client.get(reverse("clearing:run", args=[demo_run.pk])).content.decode()
    # then the method has a name, the code is in details, totals carry the currency code
    code = demo_run.currency.code
    debt = demo_run.currency.format(demo_run.summary["total_debt"])
    assert "set-off by minimum-cost flow (first version)" in page
    assert f"<dd>{debt} {code}</dd>" in page
    assert "<code>mcf-1</code>" in page.split("<details>")[1]


def test_an_unknown_engine_code_is_still_named_as_an_engine() -> None:
    # given a code the table does not know, when named, then it says what it is
    assert labels.engine_name("mcf-9") == "set-off engine mcf-9"


@pytest.mark.django_db
def test_the_demo_run_says_in_words_that_its_members_accepted_it(demo_run: ClearingRun) -> None:
    # given the demo run, accepted by every member it touched and applied
    assert demo_run.status == ClearingRun.Status.ACCEPTED
    client = Client()
    client.force_login(User.objects.get(username="steward"))
    # when the steward reads it, then the outcome and the rule are sentences
    page = client.get(reverse("clearing:run", args=[demo_run.pk])).content.decode()
    assert "Applied: every member it touches accepted." in page
    assert "no_objection" not in page.split("<details>")[0]


@pytest.mark.parametrize(
    ("status", "all_accepted", "successor", "sentence"),
    [
        ("accepted", True, None, "Applied: every member it touches accepted."),
        ("accepted", False, None, "Applied: no member objected by the deadline."),
        ("lapsed", False, None, "Not applied: not every member it touches accepted by the"),
        ("superseded", False, 7, "Replaced by run 7: a member objected or an obligation changed"),
        ("rejected", False, None, "Rejected by a steward: nothing was applied."),
        ("proposed", False, None, ""),
    ],
)
def test_every_outcome_of_a_proposal_is_a_sentence(
    status: str, all_accepted: bool, successor: int | None, sentence: str
) -> None:
    said = labels.outcome_sentence(
        status=status, rule="no_objection", all_accepted=all_accepted, successor=successor
    )
    assert said.startswith(sentence) and (said == "") == (sentence == "")
    assert labels.rule_sentence("all_accept") == (
        "It is applied once every member it touches accepts."
    )
    assert labels.rule_sentence("x") == "It is applied by the network's acceptance rule."
