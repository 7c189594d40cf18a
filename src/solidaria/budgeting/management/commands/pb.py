"""`solidaria pb count FILE.pb [--rule RULE] [--exclusive ID,ID ...] [--json]`.

The verb lives in `solidaria.clifront.pb` (pure, also run without Django by
`solidaria pb`); this command calls the same front-end for `manage.py pb`.
"""

from __future__ import annotations

from solidaria.clifront import pb
from solidaria.core.management.front import FrontCommand


class Command(FrontCommand):
    front = pb
    help = pb.HELP
