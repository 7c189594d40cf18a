"""The catalogue of notification kinds: one entry per kind of event a person can be told of.

A kind has a code (`app.noun.event`), a translated title (the preferences page and the
email subject use it), one translated sentence with named placeholders (or one per
variant, when the event has outcomes that need their own sentence), and the delivery a
person gets until they choose another. Callers pass the placeholders' values in
`context`: names, titles and formatted amounts as text, datetimes as ISO strings (listed
in `datetimes`, shown in the reader's language and time zone), and codes for placeholders
listed in `labels` (an outcome, a phase), which are shown as their translated label.
So a notification is rendered in the language of whoever reads it, when they read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from solidaria.budgeting.models import Phase, ProjectStatus
from solidaria.governance.labels import OUTCOME_NAMES

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"


@dataclass(frozen=True)
class Kind:
    code: str
    title: str | Promise
    sentence: str | Promise
    default: str = IMMEDIATE
    variants: Mapping[str, str | Promise] = field(default_factory=dict)
    labels: Mapping[str, Mapping[str, str | Promise]] = field(default_factory=dict)
    datetimes: tuple[str, ...] = ()

    @property
    def app(self) -> str:
        return self.code.split(".", 1)[0]


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in KINDS:
        raise ValueError(f"notification kind {kind.code!r} is registered twice")
    if kind.default not in (IMMEDIATE, DIGEST, OFF):
        raise ValueError(f"notification kind {kind.code!r}: unknown delivery {kind.default!r}")
    KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    try:
        return KINDS[code]
    except KeyError:
        raise KeyError(
            f"no notification kind {code!r}: register it in notifications/kinds.py"
        ) from None


# Section titles of the preferences page, by the kind code's first part.
APPS: dict[str, str | Promise] = {
    "ledger": _("Ledger"),
    "clearing": _("Clearing"),
    "governance": _("Co-ops and polls"),
    "accounts": _("Membership"),
    "directory": _("Directory"),
    "budgeting": _("Participatory budgeting"),
    "discussion": _("Discussion"),
}

DECIDED = {"accepted": _("accepted"), "declined": _("declined")}

# ledger
register(
    Kind(
        "ledger.payment.received",
        _("Payment received"),
        _("%(payer)s paid you %(amount)s."),
        variants={"memo": _("%(payer)s paid you %(amount)s: %(memo)s.")},
    )
)
register(
    Kind(
        "ledger.request.to_pay",
        _("Payment request to pay"),
        _("%(payee)s asks you to pay %(amount)s."),
        variants={"memo": _("%(payee)s asks you to pay %(amount)s: %(memo)s.")},
    )
)
register(
    Kind(
        "ledger.request.decided",
        _("Your payment request decided"),
        _("%(payer)s decided on your request for %(amount)s."),
        variants={
            "paid": _("%(payer)s paid your request for %(amount)s."),
            "declined": _("%(payer)s declined your request for %(amount)s: %(reason)s"),
        },
    )
)
register(
    Kind(
        "ledger.transfer.held",
        _("Payment waiting for your authorisation"),
        _("A payment of %(amount)s from %(payer)s to %(payee)s waits for your authorisation."),
    )
)
register(
    Kind(
        "ledger.transfer.decided",
        _("Your held payment decided"),
        _("Your payment of %(amount)s to %(payee)s was decided."),
        variants={
            "approved": _("Your payment of %(amount)s to %(payee)s was authorised."),
            "rejected": _("Your payment of %(amount)s to %(payee)s was refused: %(reason)s"),
        },
    )
)
register(
    Kind(
        "ledger.limits.changed",
        _("Your account's limits changed"),
        _("The credit limit of your %(currency)s account is now %(credit_limit)s."),
        variants={
            "upper": _(
                "The limits of your %(currency)s account are now: credit limit "
                "%(credit_limit)s, upper limit %(upper_limit)s."
            )
        },
    )
)

register(
    Kind(
        "ledger.payment.reversed",
        _("Payment reversed"),
        _("The payment of %(amount)s from %(payer)s to %(payee)s was reversed: %(reason)s"),
    )
)
register(
    Kind(
        "ledger.account_request.received",
        _("Organisation account to approve"),
        _("%(person)s asks for a %(currency)s account for %(organisation)s."),
    )
)
register(
    Kind(
        "ledger.account_request.decided",
        _("Organisation account request decided"),
        _("The %(currency)s account request for %(organisation)s was decided."),
        variants={
            "approved": _("The %(currency)s account of %(organisation)s is open."),
            "declined": _(
                "The %(currency)s account request for %(organisation)s was declined: %(reason)s"
            ),
        },
    )
)

# clearing
register(
    Kind(
        "clearing.obligation.to_confirm",
        _("Invoice to confirm"),
        _("%(party)s recorded an invoice of %(amount)s between you; please confirm it."),
        variants={
            "reference": _(
                "%(party)s recorded an invoice of %(amount)s between you (%(reference)s); "
                "please confirm it."
            )
        },
    )
)
register(
    Kind(
        "clearing.obligation.disputed",
        _("Invoice disputed"),
        _("%(party)s disputed the invoice of %(amount)s between you: %(reason)s"),
    )
)
register(
    Kind(
        "clearing.obligation.confirmed",
        _("Invoice confirmed"),
        _("%(party)s confirmed the invoice of %(amount)s between you."),
    )
)
register(
    Kind(
        "clearing.run.proposed",
        _("Clearing run proposed"),
        _("Clearing run %(run)s in %(currency)s proposes to set off %(amount)s of your invoices."),
    )
)
register(
    Kind(
        "clearing.run.applied",
        _("Clearing run applied: your set-off notice"),
        _(
            "Clearing run %(run)s in %(currency)s was applied: %(amount)s of your invoices was "
            "set off. Your set-off notice is ready."
        ),
    )
)
register(
    Kind(
        "clearing.obligation.corrected",
        _("Invoice amount corrected"),
        _("%(party)s corrected the invoice between you to %(amount)s."),
        variants={
            "proposed": _(
                "%(party)s proposes to correct the invoice between you to %(amount)s; "
                "please confirm it."
            ),
            "proposed_reason": _(
                "%(party)s proposes to correct the invoice between you to %(amount)s "
                "(%(reason)s); please confirm it."
            ),
            "confirmed": _(
                "%(party)s confirmed the corrected amount of %(amount)s of the invoice between you."
            ),
        },
    )
)
register(
    Kind(
        "clearing.obligation.withdrawn",
        _("Invoice withdrawn"),
        _("%(party)s withdrew the invoice of %(amount)s between you: %(reason)s"),
    )
)
register(
    Kind(
        "clearing.obligation.settled",
        _("Invoice paid on the ledger"),
        _("%(party)s paid %(amount)s on the ledger: the invoice of %(invoice)s is paid."),
        variants={
            "rest": _(
                "%(party)s paid %(amount)s on the ledger of the invoice of %(invoice)s; "
                "%(rest)s is left to pay."
            )
        },
    )
)
register(
    Kind(
        "clearing.run.changed",
        _("Clearing run replaced or lapsed (stewards)"),
        _("Clearing run %(run)s in %(currency)s changed."),
        variants={
            "objected": _(
                "%(person)s objected to clearing run %(run)s in %(currency)s: %(reason)s. "
                "Run %(successor)s replaces it without them."
            ),
            "recomputed": _(
                "An invoice in clearing run %(run)s in %(currency)s changed before it could "
                "be applied: run %(successor)s replaces it."
            ),
            "lapsed": _(
                "Clearing run %(run)s in %(currency)s lapsed: not every member accepted it "
                "by the deadline."
            ),
        },
    )
)

# governance
register(
    Kind(
        "governance.poll.opened",
        _("New poll in your co-op"),
        _("A poll opened in %(coop)s: %(title)s. It closes on %(closes_at)s."),
        default=DIGEST,
        datetimes=("closes_at",),
    )
)
register(
    Kind(
        "governance.poll.closing",
        _("Poll closing within 24 hours"),
        _("The poll %(title)s in %(coop)s closes on %(closes_at)s; you have not voted yet."),
        datetimes=("closes_at",),
    )
)
register(
    Kind(
        "governance.poll.closed",
        _("Poll closed"),
        _("The poll %(title)s in %(coop)s closed: %(outcome)s."),
        default=DIGEST,
        labels={"outcome": OUTCOME_NAMES},
    )
)

register(
    Kind(
        "governance.membership.applied",
        _("Co-op application to decide"),
        _("%(person)s applied to join %(coop)s."),
    )
)
register(
    Kind(
        "governance.membership.decided",
        _("Your co-op application decided"),
        _("Your application to %(coop)s was decided."),
        variants={
            "approved": _("Welcome: you are now a member of %(coop)s."),
            "rejected": _("Your application to %(coop)s was not accepted: %(reason)s"),
        },
    )
)
register(
    Kind(
        "governance.shares.entered",
        _("Shares entered in the register"),
        _("The register of %(coop)s changed."),
        variants={
            "subscribed": _(
                "%(quantity)s %(share_type)s shares of %(coop)s, paid %(amount)s, are in the "
                "register in your name."
            ),
            "redeemed": _(
                "%(coop)s paid you %(amount)s for %(quantity)s %(share_type)s shares; the "
                "register shows it."
            ),
        },
    )
)
register(
    Kind(
        "governance.allocation.applied",
        _("Your part of the surplus"),
        _(
            "The %(year)s surplus of %(coop)s was shared out: your part is %(amount)s "
            "(%(cash)s paid to your account, %(capital)s credited to your capital)."
        ),
        variants={
            "stewards": _(
                "The stewards of %(coop)s applied the %(year)s surplus allocation: your part "
                "is %(amount)s (%(cash)s paid to your account, %(capital)s credited to your "
                "capital)."
            ),
            "poll": _(
                "The general assembly of %(coop)s accepted the %(year)s surplus allocation: "
                "your part is %(amount)s (%(cash)s paid to your account, %(capital)s credited "
                "to your capital)."
            ),
        },
    )
)

# accounts
register(
    Kind(
        "accounts.application.received",
        _("Application to review"),
        _("%(person)s applied to join the network."),
    )
)
register(
    Kind(
        "accounts.application.decided",
        _("Your application decided"),
        _("Your membership changed."),
        variants={
            "admitted": _("Welcome: you are now a member of %(network)s."),
            "declined": _("Your application to %(network)s was declined: %(reason)s"),
            "suspended": _("Your membership of %(network)s is suspended: %(reason)s"),
        },
    )
)

# directory
register(
    Kind(
        "directory.entry.to_review",
        _("Directory entry to review"),
        _("%(proposer)s proposed %(name)s for the directory."),
        variants={"edit": _("%(proposer)s proposed changes to %(name)s in the directory.")},
    )
)
register(
    Kind(
        "directory.entry.decided",
        _("Your directory entry decided"),
        _("Your directory entry %(name)s was reviewed."),
        variants={
            "confirmed": _("Your directory entry %(name)s was accepted."),
            "rejected": _("Your directory entry %(name)s was not accepted: %(reason)s"),
            "edit_confirmed": _("Your changes to %(name)s were accepted."),
            "edit_rejected": _("Your changes to %(name)s were not accepted: %(reason)s"),
        },
    )
)

register(
    Kind(
        "directory.operator.claimed",
        _("Claim to run an organisation to review"),
        _("%(person)s says they run %(name)s."),
    )
)
register(
    Kind(
        "directory.operator.decided",
        _("Your claim to run an organisation decided"),
        _("Your claim to run %(name)s was decided."),
        variants={
            "confirmed": _("You are confirmed as running %(name)s."),
            "declined": _("Your claim to run %(name)s was declined: %(reason)s"),
        },
    )
)

# budgeting
register(
    Kind(
        "budgeting.phase.changed",
        _("Budgeting phase changed"),
        _("%(process)s moved to its next phase: %(phase)s."),
        default=DIGEST,
        labels={"phase": dict(Phase.choices)},
    )
)
register(
    Kind(
        "budgeting.project.reviewed",
        _("Your project reviewed"),
        _("Your project %(project)s in %(process)s was reviewed: %(status)s."),
        variants={
            "note": _("Your project %(project)s in %(process)s was reviewed: %(status)s. %(note)s")
        },
        labels={"status": dict(ProjectStatus.choices)},
    )
)

# discussion (comment threads call notify with these)
register(
    Kind(
        "discussion.comment.replied",
        _("Reply to your comment"),
        _("%(author)s replied to your comment on %(subject)s."),
    )
)
register(
    Kind(
        "discussion.comment.mentioned",
        _("You were mentioned"),
        _("%(author)s mentioned you in a comment on %(subject)s."),
    )
)
register(
    Kind(
        "discussion.message.received",
        _("Private message"),
        _("%(author)s wrote to you about %(subject)s."),
    )
)
register(
    Kind(
        "discussion.comment.reported",
        _("Comment reported (stewards)"),
        _("%(author)s reported a comment on %(subject)s: %(reason)s"),
    )
)
register(
    Kind(
        "discussion.thread.commented",
        _("Comment on something of yours"),
        _("%(author)s commented on %(subject)s."),
        default=DIGEST,
    )
)
