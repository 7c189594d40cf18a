"""`solidaria tally BALLOTS.blt --method stv-scottish|meek|irv [--json]`.

The verb lives in `solidaria.clifront.tally` (pure, also run without Django by
`solidaria tally`); this command calls the same front-end for `manage.py tally`.
"""

from __future__ import annotations

from solidaria.clifront import tally
from solidaria.core.management.front import FrontCommand


class Command(FrontCommand):
    front = tally
    help = tally.HELP
