"""Every write of the clearing app: one function per use case, one transaction each.

obligations: record, confirm, dispute, import; resolve a dispute (corrected amount
  confirmed by both sides, or withdrawn by the creditor).
runs: start, compute (a task), propose to members with a deadline, members' answers,
  applying when the network's acceptance rule is met, rejecting.
settling: paying an obligation's rest on the mutual-credit ledger.
"""

from solidaria.clearing.services.obligations import (
    ImportReport,
    obligation_confirm,
    obligation_correction_confirm,
    obligation_correction_propose,
    obligation_create,
    obligation_dispute,
    obligation_withdraw,
    obligations_import,
)
from solidaria.clearing.services.runs import (
    DueReport,
    acceptance_rule,
    run_compute,
    run_propose,
    run_reject,
    run_respond,
    run_start,
    runs_apply_due,
    snapshot_hash,
)
from solidaria.clearing.services.settling import (
    check_currency,
    obligation_settle,
    obligation_settlement_currency_set,
    run_settlement_currency_set,
)

__all__ = [
    "DueReport",
    "ImportReport",
    "acceptance_rule",
    "check_currency",
    "obligation_confirm",
    "obligation_correction_confirm",
    "obligation_correction_propose",
    "obligation_create",
    "obligation_dispute",
    "obligation_settle",
    "obligation_settlement_currency_set",
    "obligation_withdraw",
    "obligations_import",
    "run_compute",
    "run_propose",
    "run_reject",
    "run_respond",
    "run_settlement_currency_set",
    "run_start",
    "runs_apply_due",
    "snapshot_hash",
]
