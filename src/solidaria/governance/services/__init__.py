"""Every write in governance: one function per use case, each in one transaction.

Checks come first and raise a `DomainError` with a reason; nothing is written on a
refusal. Value-moving writes (share register, allocation) take an optional idempotency
key and lock the co-op row, which also serialises the register's numbering.

The functions live in one module per subject (`membership`, `capital`, `polls`,
`allocation`); callers import them from here.
"""

from __future__ import annotations

from solidaria.governance.services.allocation import (
    PatronageRow,
    allocation_accept,
    allocation_apply_by_poll,
    allocation_poll_open,
    allocation_run_create,
    allocation_run_from_ledger,
    bylaws_create,
    bylaws_in_force,
    coop_account_name,
)
from solidaria.governance.services.capital import (
    share_type_create,
    shares_redeem,
    shares_subscribe,
    shares_transfer,
)
from solidaria.governance.services.membership import (
    coop_create,
    member_class_create,
    membership_add,
    membership_apply,
    membership_decide,
    membership_end,
)
from solidaria.governance.services.polls import (
    close_due_polls,
    close_if_due,
    outcome_add,
    poll_close,
    poll_create,
    vote_cast,
)
from solidaria.governance.services.share_payments import (
    share_order_settle,
    shares_pay_now,
    shares_request_payment,
)

__all__ = [
    "PatronageRow",
    "allocation_accept",
    "allocation_apply_by_poll",
    "allocation_poll_open",
    "allocation_run_create",
    "allocation_run_from_ledger",
    "bylaws_create",
    "bylaws_in_force",
    "close_due_polls",
    "close_if_due",
    "coop_account_name",
    "coop_create",
    "member_class_create",
    "membership_add",
    "membership_apply",
    "membership_decide",
    "membership_end",
    "outcome_add",
    "poll_close",
    "poll_create",
    "share_order_settle",
    "share_type_create",
    "shares_pay_now",
    "shares_redeem",
    "shares_request_payment",
    "shares_subscribe",
    "shares_transfer",
    "vote_cast",
]
