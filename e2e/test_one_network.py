"""Issue 12, one network: people, organisations, accounts and co-ops meet.

The first section holds helpers every walk-through here may reuse (sign up in the
browser, admit as a steward, log in as someone, the shared world of a steward, a
confirmed organisation and a co-op currency). Each test then walks one part of the
issue through Chromium; `solidaria ledger verify` must pass at the end of each.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-safe-passphrase-42"

# ---------------------------------------------------------------- shared helpers


def sign_up(page: Any, live_server: Any, username: str, *, password: str = PASSWORD) -> Any:
    """Sign up in the browser; returns the new (applicant) user."""
    from solidaria.accounts.models import User

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{live_server.url}/accounts/profile/")
    expect(page.locator("#membership-state")).to_have_text("applied")
    return User.objects.get(username=username)


def log_in_as(page: Any, live_server: Any, user: Any) -> None:
    from e2e.session import log_in

    log_in(page, live_server, user)


def admit(page: Any, live_server: Any, steward: Any, person: Any, reason: str = "Known") -> None:
    """A steward admits `person` on their page (the browser is left logged in as the
    steward)."""
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/accounts/people/{person.pk}/")
    page.get_by_label("Decision").select_option("admit")
    page.locator("#id_decide-reason").fill(reason)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#membership-state")).to_have_text("admitted")


def network(org_name: str = "Hill Bakery") -> dict[str, Any]:
    """A network steward, a confirmed organisation nobody runs yet, a co-op currency
    (EUR-COOP) and a member, bo, with an account in it."""
    from solidaria.accounts.factories import make_member, make_steward
    from solidaria.core.permissions import SYSTEM
    from solidaria.directory.factories import make_organisation
    from solidaria.ledger import services

    steward = make_steward("stew")
    currency = services.currency_create(
        actor=SYSTEM, code="EUR-COOP", name="Co-op euro", default_credit_limit=50_000
    )
    bo = make_member("bo")
    bo_account = services.account_open(actor=SYSTEM, currency=currency, owner=bo)
    return {
        "steward": steward,
        "currency": currency,
        "org": make_organisation(org_name),
        "bo": bo,
        "bo_account": bo_account,
    }


def ledger_verifies() -> None:
    from solidaria.ledger.journal import verify

    report = verify()
    assert report.ok, report.problems[:3]


# ---------------------------------------------------------------- organisations (hA)


def test_a_newcomer_runs_an_organisation_that_pays_and_becomes_a_co_op(  # type: ignore[no-untyped-def]
    page, live_server
):
    from solidaria.ledger.models import Account, Transfer

    world = network()
    steward, org = world["steward"], world["org"]

    # a person signs up and a steward admits them
    dana = sign_up(page, live_server, "dana")
    admit(page, live_server, steward, dana)

    # dana says she runs the bakery; the steward confirms it in the review queue
    log_in_as(page, live_server, dana)
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    page.get_by_text("I run this organisation").click()
    page.get_by_label("How are you involved?").fill("I bake there every morning.")
    page.get_by_role("button", name="Send my claim").click()
    expect(page.locator("#my-claim")).to_be_visible()
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/directory/review/")
    expect(page.get_by_text("I bake there every morning.")).to_be_visible()
    page.get_by_role("button", name="Save").first.click()
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    expect(page.locator("#operators")).to_contain_text("dana")

    # the organisation asks for an account; a steward of the currency approves it and
    # gives it a credit line
    log_in_as(page, live_server, dana)
    page.goto(f"{live_server.url}/ledger/accounts/request/")
    page.get_by_label("Currency").select_option(label="Co-op euro (EUR-COOP)")
    page.locator("#id_organisation").select_option(label="Hill Bakery")
    page.get_by_role("button", name="Send the request").click()
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/ledger/steward/account-requests/")
    page.locator("#main").get_by_role("button", name="Approve", exact=True).click()
    account = Account.objects.get(organisation=org)
    page.goto(f"{live_server.url}/ledger/steward/accounts/{account.pk}/limits/")
    page.get_by_label("Credit limit").fill("100.00")
    page.locator("#id_reason").fill("The bakery's line, as the assembly agreed.")
    page.locator("#main").get_by_role("button", name="Change").click()

    # dana pays bo as the bakery; the statement shows the bakery paid and dana acted
    log_in_as(page, live_server, dana)
    page.goto(f"{live_server.url}/ledger/pay/")
    payer = page.get_by_label("From")
    expect(payer).to_contain_text("as Hill Bakery")
    payer.select_option(value=str(account.pk))
    page.get_by_label("To (member's user name)").fill("bo")
    page.get_by_label("Amount").fill("12.50")
    page.get_by_label("What for").fill("flour")
    page.locator("#main").get_by_role("button", name="Pay", exact=True).click()
    expect(page.get_by_text("You paid 12.50 to bo.")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Made by")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("dana")
    transfer = Transfer.objects.get(payer=account)
    assert (transfer.amount_minor, transfer.payee_id, transfer.created_by_id) == (
        1_250,
        world["bo_account"].pk,
        dana.pk,
    )

    # dana founds the bakery's co-op in the web with two member classes
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    page.get_by_role("link", name="Make this organisation a co-op here").click()
    page.get_by_label("Short name for its web address").fill("hill-bakery")
    page.get_by_label("Member classes, one a line").fill("workers: 2\nneighbours")
    page.get_by_role("button", name="Found the co-op").click()
    page.wait_for_url(f"{live_server.url}/governance/hill-bakery/setup/")
    expect(page.get_by_label("Class workers")).to_be_visible()
    expect(page.get_by_label("Class neighbours")).to_be_visible()
    page.goto(f"{live_server.url}/directory/organisations/{org.pk}/")
    expect(page.locator("#coop-facts")).to_contain_text("workers")
    ledger_verifies()


# ---------------------------------------------------------------- clearing (hB)


def test_clearing_run_is_accepted_applied_and_settled(  # type: ignore[no-untyped-def]
    page, live_server
):
    """Four members' invoices in euros form a cycle. The steward starts a run and proposes
    it with a deadline; each member reads their own part (the member they have no invoice
    with is "a member") and accepts; the run is applied once all have. The steward chooses
    the co-op currency for the rest, and ada pays hers to bo from her ledger account."""
    import datetime as dt

    from django.utils import timezone

    from solidaria.accounts.factories import make_member
    from solidaria.clearing import services as clearing
    from solidaria.clearing.models import ClearingRun, Obligation
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import Account

    world = network()
    steward, coop, bo = world["steward"], world["currency"], world["bo"]
    ada, carla, dan = make_member("ada"), make_member("carla"), make_member("dan")
    for person in (ada, bo, carla, dan):
        account = Account.objects.filter(owner=person, currency=coop).first() or (
            ledger.account_open(actor=SYSTEM, currency=coop, owner=person)
        )
        ledger.account_limits_set(
            actor=steward, account=account, credit_limit=50_000, upper_limit=None, reason="e2e"
        )
    eur = ledger.currency_create(actor=SYSTEM, code="EUR", name="Euro invoices")
    clearing.obligations_import(
        actor=steward,
        currency=eur,
        text="debtor,creditor,amount,reference\n"
        "ada,bo,100.00,INV-1\nbo,carla,60.00,INV-2\ncarla,dan,60.00,INV-3\n"
        "dan,ada,80.50,INV-4\n",
        confirm_both=True,
    )

    # the steward starts a run and proposes it to its members, answers within a week
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/clearing/")
    start = page.locator("form").filter(has=page.get_by_role("button", name="Start a clearing run"))
    start.get_by_label("Currency").select_option(str(eur.pk))
    start.get_by_role("button", name="Start a clearing run").click()
    run = ClearingRun.objects.get()
    page.wait_for_url(f"{live_server.url}/clearing/runs/{run.pk}/")
    deadline = timezone.localtime() + dt.timedelta(days=7)
    page.get_by_label("Members answer by").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Note to the members").fill("March clearing")
    page.get_by_role("button", name="Propose to the members").click()
    expect(page.get_by_role("status")).to_have_text("Proposed: the members it touches are asked.")
    rule = "It is applied at the deadline unless a member it touches objects."
    expect(page.get_by_text(rule)).to_be_visible()

    # each member reads their part and accepts; the last acceptance applies the run
    for person, last in ((ada, False), (bo, False), (carla, False), (dan, True)):
        log_in_as(page, live_server, person)
        page.goto(f"{live_server.url}/clearing/runs/{run.pk}/")
        expect(page.get_by_role("heading", name="Your part in this run")).to_be_visible()
        cycle = page.get_by_role("listitem").filter(has_text=re.compile(r"^you → "))
        expect(cycle).to_contain_text("a member")
        expect(cycle).to_contain_text("60.00 EUR")
        page.get_by_label("I accept this set-off").check()
        page.get_by_role("button", name="Send my answer").click()
        message = (
            "Accepted. Every member accepted: the set-off is applied."
            if last
            else "Accepted. Thank you."
        )
        expect(page.get_by_role("status")).to_have_text(message)
    expect(page.get_by_text("Applied: every member it touches accepted.")).to_be_visible()
    remaining = dict(Obligation.objects.values_list("reference", "remaining_minor"))
    assert remaining == {"INV-1": 4_000, "INV-2": 0, "INV-3": 0, "INV-4": 2_050}

    # the steward chooses the co-op currency for what is left
    log_in_as(page, live_server, steward)
    page.goto(f"{live_server.url}/clearing/runs/{run.pk}/")
    page.get_by_label("Ledger currency").select_option(str(coop.pk))
    page.get_by_role("button", name="Settle the rest in this currency").click()
    expect(page.get_by_role("status")).to_have_text(
        "The rest of 2 obligations is now paid in EUR-COOP."
    )

    # ada pays her 40.00 to bo on the ledger, within her credit line
    log_in_as(page, live_server, ada)
    page.goto(f"{live_server.url}/clearing/")
    owed = Obligation.objects.get(reference="INV-1")
    card = page.locator("article").filter(
        has=page.get_by_role("heading", name=re.compile(f"Obligation {owed.pk} to bo"))
    )
    expect(card).to_contain_text("To be paid in EUR-COOP.")
    expect(card.get_by_label("Amount")).to_have_value("40.00")
    card.get_by_role("button", name="Pay on the ledger").click()
    expect(page.get_by_role("status")).to_have_text(
        "Paid 40.00 EUR-COOP on the ledger; 0.00 is left to pay."
    )
    owed.refresh_from_db()
    assert (owed.remaining_minor, owed.status) == (0, Obligation.Status.SETTLED)
    balances = dict(
        Account.objects.filter(currency=coop, owner__in=[ada, bo]).values_list(
            "owner__username", "balance"
        )
    )
    assert balances == {"ada": -4_000, "bo": 4_000}
    ada_account = Account.objects.get(owner=ada, currency=coop)
    page.goto(f"{live_server.url}/ledger/accounts/{ada_account.pk}/")
    expect(page.get_by_text(f"Settles obligation {owed.pk} INV-1")).to_be_visible()

    # dan's pages (his part of the run, what he has left to pay) fit a 390 px phone
    log_in_as(page, live_server, dan)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (f"/clearing/runs/{run.pk}/", "/clearing/"):
        page.goto(f"{live_server.url}{path}")
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner == 390, f"{path} is {width} px wide"
    expect(page.get_by_role("heading", name="Pay what is left on the ledger")).to_be_visible()
    ledger_verifies()


# ---------------------------------------------------------------- co-op money (hC)


def test_shares_and_patronage_from_the_ledger(page, live_server):  # type: ignore[no-untyped-def]
    """The bakery co-op holds an EUR-COOP account. ada buys 2 shares and pays at once: the
    register and the ledger both show it. bo buys bread from the co-op and pays ada hours
    in the time bank. The steward computes this year's surplus with patronage read from
    the ledger; the bylaws leave it to the general assembly, whose poll passes, and the
    allocation is applied."""
    import datetime as dt

    from django.utils import timezone

    from solidaria.accounts.factories import make_member
    from solidaria.core.permissions import SYSTEM
    from solidaria.governance import services as gov
    from solidaria.governance.models import AllocationAcceptance, AllocationRun, CapitalEntry
    from solidaria.governance.services.setup import coop_found
    from solidaria.ledger import services as ledger
    from solidaria.ledger.locks import network_account
    from solidaria.ledger.models import Account, CreditPolicy, Currency

    world = network("Mill Bakery")
    steward, eur, bo = world["steward"], world["currency"], world["bo"]
    ada = make_member("ada")
    coop = coop_found(
        actor=steward,
        organisation=world["org"],
        classes=[("workers", 2), ("neighbours", 1)],
        slug="mill",
        currency=eur,
    )
    workers, neighbours = coop.classes.get(name="workers"), coop.classes.get(name="neighbours")
    gov.membership_add(actor=steward, coop=coop, user=ada, member_class=workers)
    gov.membership_add(actor=steward, coop=coop, user=bo, member_class=neighbours)
    gov.share_type_create(
        actor=steward, coop=coop, name="A", nominal_minor=2_500, min_holding=1, max_holding=10
    )
    request = ledger.account_request_create(actor=steward, currency=eur, organisation=world["org"])
    coop_account = ledger.account_request_approve(actor=steward, request=request).account
    ada_eur = ledger.account_open(actor=SYSTEM, currency=eur, owner=ada)
    for n, account in enumerate((ada_eur, world["bo_account"])):
        ledger.transfer_create(
            actor=SYSTEM,
            payer=network_account(eur),
            payee=account,
            amount_minor=10_000,
            memo="cash paid in",
            key=f"in-{n}",
        )
    ledger.transfer_create(
        actor=bo,
        payer=world["bo_account"],
        payee=coop_account,
        amount_minor=3_000,
        memo="bread",
        category="food",
        key="bread",
    )
    hours = ledger.currency_create(
        actor=SYSTEM,
        code="HOURS",
        name="Time bank",
        unit_kind=Currency.UnitKind.TIME,
        exponent=0,
        default_credit_limit=600,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    ledger.transfer_create(
        actor=bo,
        payer=ledger.account_open(actor=SYSTEM, currency=hours, owner=bo),
        payee=ledger.account_open(actor=SYSTEM, currency=hours, owner=ada),
        amount_minor=90,
        memo="baking class",
        key="hours",
    )
    gov.bylaws_create(
        actor=steward,
        coop=coop,
        data={
            "version": "assembly-1",
            "reserves": "30",
            "indivisible_reserves": "50",
            "social_fund": "10",
            "members": "60",
            "patronage_basis": "mixed",
            "mixed_weights": {"hours": "70", "purchases": "30"},
            "cash": "30",
            "acceptance": "general-assembly",
            "assembly_quorum": "50",
        },
        effective_from=dt.date(2020, 1, 1),
    )

    # ada buys 2 shares of 25.00 and pays now
    log_in_as(page, live_server, ada)
    page.goto(f"{live_server.url}/governance/mill/shares/")
    page.get_by_label("What to do").select_option("subscription")
    page.get_by_label("Share type").select_option(label="A")
    page.get_by_label("Number of shares").fill("2")
    page.get_by_label("Pay now: I authorise this payment from the paying account").check()
    page.get_by_role("button", name="Go ahead").click()
    expect(page.get_by_text("Paid: the shares are in the register.")).to_be_visible()
    entry = CapitalEntry.objects.get(membership__user=ada)
    assert entry.transfer is not None
    assert (entry.quantity, entry.transfer.amount_minor) == (2, 5_000)
    assert (entry.transfer.payer_id, entry.transfer.payee_id) == (ada_eur.pk, coop_account.pk)
    # the register shows the entry with its payment; the payment is on the ledger
    page.goto(f"{live_server.url}/governance/mill/register/")
    page.get_by_role("link", name=f"payment {entry.transfer_id}").click()
    page.wait_for_url(f"{live_server.url}/ledger/transfers/{entry.transfer_id}/")
    expect(page.locator("#main")).to_contain_text("50.00")
    page.goto(f"{live_server.url}/ledger/accounts/{ada_eur.pk}/")
    expect(page.locator("#main")).to_contain_text("2 A shares in Mill Bakery")

    # the steward computes the surplus from the ledger
    log_in_as(page, live_server, steward)
    today = timezone.localdate()
    page.goto(f"{live_server.url}/governance/mill/allocations/from-ledger/")
    page.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Surplus").fill("20.00")
    page.get_by_label("Patronage from").fill(today.isoformat())
    page.get_by_label("Patronage until (inclusive)").fill(today.isoformat())
    page.get_by_label("Hours worked: time paid to members in").select_option(str(hours.pk))
    page.get_by_role("button", name="Compute").click()
    run = AllocationRun.objects.get(coop=coop)
    page.wait_for_url(f"{live_server.url}/governance/allocations/{run.pk}/")
    main = page.locator("#main")
    expect(main).to_contain_text("read from the ledger")
    expect(main).to_contain_text("1:30 h (from 1 payment)")
    expect(main).to_contain_text("30.00 EUR-COOP (from 1 payment)")

    # the bylaws leave it to the general assembly: the steward opens its poll
    closes = timezone.localtime() + dt.timedelta(days=3)
    page.get_by_label("The general assembly's poll closes at").fill(
        closes.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Put it to the general assembly").click()
    expect(page.get_by_text("The general assembly's poll is open")).to_be_visible()
    poll_url = page.url

    # ada and bo vote yes; the steward closes the poll; the allocation is applied
    for person in (ada, bo):
        log_in_as(page, live_server, person)
        page.goto(poll_url)
        page.get_by_label("yes", exact=True).check()
        page.get_by_role("button", name="Vote").click()
        expect(page.get_by_text("Your vote was counted.")).to_be_visible()
    log_in_as(page, live_server, steward)
    page.goto(poll_url)
    page.get_by_role("button", name="Close the poll now").click()
    expect(page.get_by_text("The poll is closed and counted.")).to_be_visible()
    acceptance = AllocationAcceptance.objects.get(run=run)
    assert acceptance.poll is not None and acceptance.ledger_batch is not None
    page.goto(f"{live_server.url}/governance/allocations/{run.pk}/")
    expect(page.get_by_text("Accepted by the general assembly and applied")).to_be_visible()
    assert Account.objects.get(pk=coop_account.pk).balance < 8_000  # the payout left it
    ledger_verifies()
