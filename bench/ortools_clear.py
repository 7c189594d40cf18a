"""The raw OR-Tools min-cost-flow clearing as a whole process:
`python -m bench.ortools_clear OBLIGATIONS.csv`.

Reads `debtor,creditor,amount` (amounts with 2 decimals) with the csv module into integer
arrays, solves one arc per obligation with `SimpleMinCostFlow`, prints the total set-off
(minor units). No validation, no merging, no output file: the least a script can do.
"""

from __future__ import annotations

import csv
import sys


def main(argv: list[str]) -> int:
    import numpy as np
    from ortools.graph.python import min_cost_flow

    index: dict[str, int] = {}
    debtor: list[int] = []
    creditor: list[int] = []
    amount: list[int] = []
    with open(argv[0], encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for d, c, a in rows:
            debtor.append(index.setdefault(d, len(index)))
            creditor.append(index.setdefault(c, len(index)))
            whole, _, frac = a.partition(".")
            amount.append(int(whole) * 100 + int((frac + "00")[:2]))
    dd = np.asarray(debtor, dtype=np.int32)
    cc = np.asarray(creditor, dtype=np.int32)
    aa = np.asarray(amount, dtype=np.int64)
    supply = np.zeros(len(index), dtype=np.int64)
    np.add.at(supply, dd, aa)
    np.add.at(supply, cc, -aa)
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(dd, cc, aa, np.ones(len(aa), np.int64))
    solver.set_nodes_supplies(np.arange(len(index), dtype=np.int32), supply)
    assert solver.solve() == solver.OPTIMAL
    print(int(aa.sum()) - int(np.asarray(solver.flows(arcs)).sum()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
