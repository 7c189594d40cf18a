"""`solidaria indicators ecg RATINGS.json --facts FACTS.json [...]`, `... catalogue check FILE`.

The verb lives in `solidaria.clifront.indicators` (pure, also run without Django by
`solidaria indicators`); this command calls the same front-end for `manage.py indicators`.
"""

from __future__ import annotations

from solidaria.clifront import indicators
from solidaria.core.management.front import FrontCommand


class Command(FrontCommand):
    front = indicators
    help = indicators.HELP
