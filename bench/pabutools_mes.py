"""pabutools 1.2.3 as a whole process: `python -m bench.pabutools_mes FILE.pb`.

Reads the file with `parse_pabulib` and counts the Method of Equal Shares with cost
utilities and no completion (what `solidaria pb count --rule mes` computes); prints the
selected project ids as a JSON list. The anchor of the budgeting bench's whole-process row.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares

    instance, profile = parse_pabulib(argv[0])
    outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    print(json.dumps(sorted(p.name for p in outcome)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
