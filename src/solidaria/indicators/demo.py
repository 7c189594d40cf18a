"""Demo: the network report of the current year, computed from the other apps' demo data
(run last, after the ledger, clearing, budgeting and governance demos)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from solidaria.core.permissions import SYSTEM
from solidaria.indicators import services


def load(*, stdout: Any) -> None:
    from solidaria.indicators import demo_balances

    demo_balances.load(stdout=stdout)
    year = timezone.now().year
    report = services.report_compute(actor=SYSTEM, year=year)
    stdout.write(f"  network report {year}: {len(report.figures)} figures")
