"""Seeded synthetic obligation networks for tests and benchmarks.

No real invoice network is public in bulk, so we generate ones with the shapes trade
credit is known to have: amounts uniform or lognormal (many small invoices, a few large
ones), degrees uniform or scale-free (a few hubs trade with many members; each member's
chance to appear on an invoice is proportional to rank^(-1/(gamma-1)), a Chung-Lu style
power law with exponent gamma). The same seed gives the same network (numpy's PCG64);
floats are used only to draw the random shape, every amount is an exact int.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from solidaria.clearing.engine.model import ObligationTable

AmountLaw = Literal["uniform", "lognormal"]
DegreeLaw = Literal["uniform", "scalefree"]


def synthetic_network(
    obligations: int,
    *,
    seed: int,
    members: int | None = None,
    amounts: AmountLaw = "lognormal",
    degrees: DegreeLaw = "scalefree",
    max_amount: int = 1_000_000,
    median_amount: int = 10_000,
    gamma: float = 2.5,
) -> ObligationTable:
    """`obligations` invoices among `members` (default: one member per ten invoices, at
    least 3), named `M000001`, ...; amounts in [1, max_amount] minor units."""
    count = members if members is not None else max(3, obligations // 10)
    if count < 2:
        raise ValueError("a network needs at least two members")
    rng = np.random.default_rng(seed)
    if degrees == "scalefree":
        weight = (np.arange(count, dtype=np.float64) + 1.0) ** (-1.0 / (gamma - 1.0))
        weight /= weight.sum()
        debtor = rng.choice(count, size=obligations, p=weight)
        creditor = rng.choice(count, size=obligations, p=weight)
    else:
        debtor = rng.integers(0, count, size=obligations)
        creditor = rng.integers(0, count, size=obligations)
    same = debtor == creditor
    creditor[same] = (creditor[same] + rng.integers(1, count, size=int(same.sum()))) % count
    if amounts == "lognormal":
        raw = np.exp(rng.normal(np.log(median_amount), 1.5, size=obligations))
        amount = np.clip(np.rint(raw), 1, max_amount).astype(np.int64)
    else:
        amount = rng.integers(1, max_amount, size=obligations, endpoint=True, dtype=np.int64)
    width = len(str(count))
    names = tuple(f"M{i:0{width}d}" for i in range(1, count + 1))
    return ObligationTable.from_indexed(
        names, debtor.astype(np.int64), creditor.astype(np.int64), amount
    )
