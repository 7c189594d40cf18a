"""`solidaria clear OBLIGATIONS.csv [--decimals 2] [--out RESULT.csv] [--json]`.

The verb lives in `solidaria.clifront.clear` (pure, also run without Django by
`solidaria clear`); this command calls the same front-end for `manage.py clear`.
"""

from __future__ import annotations

from solidaria.clifront import clear
from solidaria.clifront.clear import CYCLE_STEPS, TOP_CYCLES
from solidaria.core.management.front import FrontCommand

__all__ = ["CYCLE_STEPS", "TOP_CYCLES", "Command"]


class Command(FrontCommand):
    front = clear
    help = clear.HELP
