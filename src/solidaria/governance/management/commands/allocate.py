"""`solidaria allocate --surplus AMOUNT --bylaws BYLAWS.json PATRONAGE.csv [--json]`.

The verb lives in `solidaria.clifront.allocate` (pure, also run without Django by
`solidaria allocate`); this command calls the same front-end for `manage.py allocate`.
"""

from __future__ import annotations

from solidaria.clifront import allocate
from solidaria.clifront.allocate import as_json
from solidaria.core.management.front import FrontCommand

__all__ = ["Command", "as_json"]


class Command(FrontCommand):
    front = allocate
    help = allocate.HELP
