"""What a CSV reader made of a file, comparable between readers: the table or the error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solidaria.clearing.engine.csvio import CsvError
from solidaria.clearing.engine.model import ObligationTable


def outcome(read: Callable[[], ObligationTable]) -> tuple[Any, ...]:
    """("table", members, debtor, creditor, amount) or ("error", line, field, message)."""
    try:
        table = read()
    except CsvError as exc:
        return ("error", exc.line, exc.field, exc.message)
    return (
        "table",
        table.members,
        table.debtor.tolist(),
        table.creditor.tolist(),
        table.amount.tolist(),
    )
