"""What waits for a person, read for their home page: one count per kind of task, each
with a sentence and a link, their balances, their last transfers and the network's open
processes.

Every count is one query (no per-row loops), so the page costs a bounded number of
queries however much waits (`core/tests/test_dashboard.py` asserts the bound).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from solidaria.core import visibility
from solidaria.core.permissions import is_member, is_steward

RECENT = 8
OPEN_PROCESSES = 10


@dataclass(frozen=True)
class Task:
    """Something that waits for the person: `count` of them, said in `text`, done at `url`."""

    kind: str
    count: int
    text: str
    url: str


@dataclass(frozen=True)
class Activity:
    """One line of the person's recent activity: a transfer in or out of their account."""

    when: Any
    amount: int
    currency: Any
    counterparty: str
    memo: str
    transfer_id: int

    @property
    def is_incoming(self) -> bool:
        return self.amount > 0

    @property
    def magnitude(self) -> int:
        return abs(self.amount)


@dataclass(frozen=True)
class OpenProcess:
    kind: str  # "budgeting", "poll", "clearing"
    title: str
    state: str
    url: str


@dataclass
class Dashboard:
    tasks: list[Task] = field(default_factory=list)
    queues: list[Task] = field(default_factory=list)
    accounts: list[Any] = field(default_factory=list)
    activity: list[Activity] = field(default_factory=list)
    processes: list[OpenProcess] = field(default_factory=list)
    is_member: bool = False
    is_applicant: bool = False


def _task(kind: str, count: int, text: str, url: str) -> Task | None:
    return Task(kind, count, text, url) if count else None


# ---------------------------------------------------------------- for the person


def payment_requests_to_pay(user: Any) -> Task | None:
    from solidaria.ledger.models import PaymentRequest

    n = PaymentRequest.objects.filter(payer__owner=user, status=PaymentRequest.Status.OPEN).count()
    text = ngettext(
        "%(n)s payment request waits for you to pay or decline it.",
        "%(n)s payment requests wait for you to pay or decline them.",
        n,
    ) % {"n": n}
    return _task("requests_to_pay", n, text, reverse("ledger:home") + "#requests-to-pay")


def invoices_to_confirm(user: Any) -> Task | None:
    from solidaria.clearing.queries import awaiting_my_confirmation

    n = awaiting_my_confirmation(user).count()
    text = ngettext(
        "%(n)s invoice waits for you to confirm or dispute it.",
        "%(n)s invoices wait for you to confirm or dispute them.",
        n,
    ) % {"n": n}
    return _task("invoices_to_confirm", n, text, reverse("clearing:home"))


def polls_to_vote(user: Any) -> Task | None:
    """Open polls of the person's co-ops they may vote in (members since before the poll
    opened) and have not voted in yet."""
    from solidaria.governance.models import Membership, Poll

    eligible = Membership.objects.filter(
        coop=OuterRef("coop"),
        user=user,
        status=Membership.Status.ACTIVE,
        started_at__lte=OuterRef("created_at"),
    )
    n = (
        Poll.objects.filter(Exists(eligible), closed_at__isnull=True, opens_at__lte=timezone.now())
        .exclude(participations__user=user)
        .count()
    )
    text = ngettext(
        "%(n)s poll of your co-ops waits for your vote.",
        "%(n)s polls of your co-ops wait for your vote.",
        n,
    ) % {"n": n}
    return _task("polls_to_vote", n, text, reverse("governance:home"))


def ballots_open(user: Any) -> Task | None:
    """Budgeting processes in their voting phase in which members vote and this member has
    not voted yet (the link goes to the ballot when there is one)."""
    from solidaria.budgeting.models import Electorate, Phase, Process, VoterReceipt

    voted = VoterReceipt.objects.filter(process=OuterRef("pk"), voter=user)
    processes = list(
        Process.objects.filter(phase=Phase.VOTING, electorate=Electorate.MEMBERS)
        .exclude(Exists(voted))
        .order_by("id")
        .only("slug", "title")[:OPEN_PROCESSES]
    )
    n = len(processes)
    text = ngettext(
        "%(n)s participatory budget is open for your ballot.",
        "%(n)s participatory budgets are open for your ballot.",
        n,
    ) % {"n": n}
    url = (
        reverse("budgeting:vote", args=[processes[0].slug]) if n == 1 else reverse("budgeting:home")
    )
    return _task("ballots_open", n, text, url)


def setoffs_proposed(user: Any) -> Task | None:
    """Clearing runs proposed to the members they touch that would set off this person's
    invoices and that they have not answered yet (accept or object, by the deadline)."""
    from solidaria.clearing.models import ClearingRun, RunItem, RunResponse

    mine = RunItem.objects.filter(run=OuterRef("pk")).filter(
        Q(obligation__debtor=user) | Q(obligation__creditor=user)
    )
    answered = RunResponse.objects.filter(run=OuterRef("pk"), member=user)
    runs = list(
        ClearingRun.objects.filter(Exists(mine), status=ClearingRun.Status.PROPOSED)
        .exclude(Exists(answered))
        .order_by("-id")
        .values_list("pk", flat=True)[:OPEN_PROCESSES]
    )
    n = len(runs)
    text = ngettext(
        "%(n)s clearing proposal would set off your invoices: accept it or object.",
        "%(n)s clearing proposals would set off your invoices: accept them or object.",
        n,
    ) % {"n": n}
    url = reverse("clearing:run", args=[runs[0]]) if runs else ""
    return _task("setoffs", n, text, url)


# ---------------------------------------------------------------- stewards' queues


def transfers_to_authorise(user: Any) -> Task | None:
    from solidaria.ledger.credit import stewarded_currencies
    from solidaria.ledger.models import Transfer

    held = Transfer.objects.filter(
        status=Transfer.Status.PENDING, currency__in=stewarded_currencies(user)
    )
    n = held.exclude(kind=Transfer.Kind.REMOTE).count()
    text = ngettext(
        "%(n)s transfer waits for a steward's authorisation.",
        "%(n)s transfers wait for a steward's authorisation.",
        n,
    ) % {"n": n}
    return _task("transfers_to_authorise", n, text, reverse("ledger:steward_queue"))


def account_requests(user: Any) -> Task | None:
    from solidaria.ledger.credit import stewarded_currencies
    from solidaria.ledger.models import AccountRequest

    n = AccountRequest.objects.filter(
        status=AccountRequest.Status.REQUESTED, currency__in=stewarded_currencies(user)
    ).count()
    text = ngettext(
        "%(n)s organisation asks for an account.",
        "%(n)s organisations ask for an account.",
        n,
    ) % {"n": n}
    return _task("account_requests", n, text, reverse("ledger:steward_account_requests"))


def directory_reviews() -> Task | None:
    from solidaria.directory.models import Organisation, PendingEdit

    entries = Organisation.objects.filter(status=Organisation.Status.PROPOSED).count()
    edits = PendingEdit.objects.filter(status=PendingEdit.Status.PENDING).count()
    n = entries + edits
    text = ngettext(
        "%(n)s directory entry or change waits for review.",
        "%(n)s directory entries and changes wait for review.",
        n,
    ) % {"n": n}
    return _task("directory_reviews", n, text, reverse("directory:review"))


def applications() -> Task | None:
    from solidaria.accounts.queries import applicants

    n = applicants().count()
    text = ngettext(
        "%(n)s person applied to join the network.",
        "%(n)s people applied to join the network.",
        n,
    ) % {"n": n}
    return _task("applications", n, text, reverse("people"))


def clearing_decisions() -> Task | None:
    from solidaria.clearing.models import ClearingRun

    n = ClearingRun.objects.filter(status=ClearingRun.Status.COMPUTED).count()
    text = ngettext(
        "%(n)s clearing run waits for you to propose it to the members or reject it.",
        "%(n)s clearing runs wait for you to propose them to the members or reject them.",
        n,
    ) % {"n": n}
    return _task("clearing_decisions", n, text, reverse("clearing:home"))


def coop_applications(user: Any) -> Task | None:
    """Applications to the co-ops this person stewards (all co-ops for network stewards)."""
    from solidaria.governance.models import Membership

    applied = Membership.objects.filter(status=Membership.Status.APPLIED)
    if not is_steward(user):
        stewarded = Membership.objects.filter(
            user=user, status=Membership.Status.ACTIVE, is_steward=True
        ).values("coop_id")
        applied = applied.filter(coop_id__in=stewarded)
    first = applied.order_by("id").values_list("coop__slug", flat=True).first()
    if first is None:
        return None
    n = applied.count()
    text = ngettext(
        "%(n)s application to a co-op you steward waits for a decision.",
        "%(n)s applications to co-ops you steward wait for a decision.",
        n,
    ) % {"n": n}
    return _task("coop_applications", n, text, reverse("governance:coop", args=[first]))


# ---------------------------------------------------------------- the rest of the page


def recent_activity(user: Any, limit: int = RECENT) -> list[Activity]:
    """The person's last transfers across their accounts, newest first."""
    from solidaria.ledger.models import Entry

    entries = (
        Entry.objects.filter(account__owner=user)
        .select_related("account__currency", "transfer__payer", "transfer__payee")
        .order_by("-created_at", "-id")[:limit]
    )
    rows = []
    for e in entries:
        t = e.transfer
        other = t.payee if t.payer_id == e.account_id else t.payer
        rows.append(
            Activity(
                when=e.created_at,
                amount=e.amount,
                currency=e.account.currency,
                counterparty=other.name,
                memo=t.memo,
                transfer_id=t.pk,
            )
        )
    return rows


def open_processes(user: Any) -> list[OpenProcess]:
    """Budgeting processes not finished and polls still open that the person may read."""
    from solidaria.budgeting.models import Phase, Process
    from solidaria.governance.models import Membership, Poll

    found = [
        OpenProcess(
            "budgeting",
            p.title,
            p.get_phase_display(),
            reverse("budgeting:process", args=[p.slug]),
        )
        for p in visibility.readable(user, Process.objects.exclude(phase=Phase.RESULTS))
        .order_by("-id")
        .only("slug", "title", "phase")[:OPEN_PROCESSES]
    ]
    polls = Poll.objects.filter(closed_at__isnull=True).select_related("coop")
    if not is_steward(user):
        mine = Membership.objects.filter(user=user, status=Membership.Status.ACTIVE).values(
            "coop_id"
        )
        polls = polls.filter(Q(visibility="public") | Q(coop_id__in=mine))
    for poll in polls.order_by("closes_at", "id")[:OPEN_PROCESSES]:
        state = _("open until %(date)s") % {
            "date": date_format(timezone.localtime(poll.closes_at), "SHORT_DATETIME_FORMAT")
        }
        found.append(
            OpenProcess(
                "poll",
                f"{poll.title} · {poll.coop.name}",
                state,
                reverse("governance:poll", args=[poll.pk]),
            )
        )
    return found


def for_person(user: Any) -> Dashboard:
    """Everything the home page of a logged-in person shows."""
    from solidaria.ledger.queries import accounts_of

    board = Dashboard(is_member=is_member(user))
    board.is_applicant = not board.is_member
    if not board.is_member:
        return board
    board.tasks = [
        t
        for t in (
            payment_requests_to_pay(user),
            invoices_to_confirm(user),
            polls_to_vote(user),
            ballots_open(user),
            setoffs_proposed(user),
        )
        if t is not None
    ]
    queues: list[Task | None] = [account_requests(user), coop_applications(user)]
    if is_steward(user):  # the ledger's authorisation queue is the network stewards'
        queues += [
            transfers_to_authorise(user),
            directory_reviews(),
            applications(),
            clearing_decisions(),
        ]
    board.queues = [t for t in queues if t is not None]
    board.accounts = list(accounts_of(user))
    board.activity = recent_activity(user)
    board.processes = open_processes(user)
    return board
