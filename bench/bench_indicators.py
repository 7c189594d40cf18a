"""Indicators timings: the exact ECG engine (one balance sheet; many), `solidaria indicators
ecg` as a whole process, and the network-indicator engine on a large synthetic year.

No anchor runs here: the official ECG calculator (econgood-it/balance-sheet-calculator) is
a TypeScript web service, so conformance, not speed, is what we check against it (every
case of `data/indicators/ecg/cases` to 2 decimals, in the tests). Times are the best of
several runs (ms). Run: .venv/bin/python -m bench.bench_indicators [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from solidaria.indicators import catalogues
from solidaria.indicators.engine import network
from solidaria.indicators.engine.ecg import RatingInput, compute_balance
from solidaria.indicators.engine.ecg_io import facts_from_json, load_json, ratings_from_json

RESULTS = Path(__file__).resolve().parent / "results"
CASES = catalogues.folder() / "ecg" / "cases"


def _time(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _random_inputs(rng: random.Random) -> list[RatingInput]:
    cat = catalogues.ecg_catalogue()
    items = [
        RatingInput(t.code, weight=Fraction(rng.choice([1, 2, 3, 4])), weight_chosen=True)
        for t in cat.topics
    ]
    for t in cat.topics:
        for a in t.aspects:
            value = rng.randint(0, 10) if a.is_positive else -rng.choice([0, 0, 0, 25, 100])
            items.append(RatingInput(a.code, Fraction(value)))
    return items


def _network_year(n_payments: int) -> network.NetworkData:
    rng = random.Random(11)
    currencies = (network.CurrencyInfo("SOL", False, 2), network.CurrencyInfo("HOURS", True, 0))
    payments = tuple(
        network.Payment(
            rng.choice(("SOL", "SOL", "HOURS")),
            rng.randint(1, 50_000),
            rng.randint(1, 5_000),
            rng.randint(1, 5_000),
        )
        for _ in range(n_payments)
    )
    balances = tuple(
        network.AccountBalance(rng.choice(("SOL", "HOURS")), rng.randint(-10_000, 10_000))
        for _ in range(10_000)
    )
    return network.NetworkData(currencies=currencies, payments=payments, balances=balances)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    cat = catalogues.ecg_catalogue()
    tables = catalogues.ecg_tables()
    facts = facts_from_json(load_json((CASES / "company_facts_non_empty.json").read_text()))
    filled = ratings_from_json(load_json((CASES / "filled_ratings_input.json").read_text()))
    many = 100 if args.quick else 1_000
    rng = random.Random(3)
    sheets = [_random_inputs(rng) for _ in range(many)]
    n_payments = 20_000 if args.quick else 1_000_000
    year = _network_year(n_payments)
    codes = list(network.INDICATORS)
    cli = [
        sys.executable, "-m", "solidaria.cli", "indicators", "ecg",
        str(CASES / "filled_ratings_input.json"),
        "--facts", str(CASES / "company_facts_non_empty.json"), "--json",
    ]  # fmt: skip
    rows = [
        {
            "what": "ECG balance sheet, filled case (exact)",
            "ms": _time(lambda: compute_balance(cat.topics, filled, facts, tables), 5),
        },
        {
            "what": f"ECG balance sheets, {many} random ones",
            "ms": _time(lambda: [compute_balance(cat.topics, s, facts, tables) for s in sheets], 1),
        },
        {
            "what": "`solidaria indicators ecg --json`, whole process",
            "ms": _time(lambda: subprocess.run(cli, check=True, capture_output=True), 3),
        },
        {
            "what": f"network indicators, {n_payments:,} payments and 10,000 accounts",
            "ms": _time(lambda: network.compute(codes, year), 1),
        },
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    (RESULTS / "indicators.json").write_text(
        json.dumps({"quick": args.quick, "load": load, "rows": rows}, indent=2), encoding="utf-8"
    )
    md = ["| what | ms |", "|---|---:|"] + [f"| {r['what']} | {r['ms']:.1f} |" for r in rows]
    md.append("")
    md.append(f"Load average {load:.1f} on {os.cpu_count()} cores when measured.")
    md.append("No anchor: the official calculator is a web service; conformance is tested.")
    (RESULTS / "indicators.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
