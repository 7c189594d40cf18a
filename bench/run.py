"""`make bench`: run every area's benchmark (ours vs the anchor, same run) and write
bench/results/<area>.json + .md and a combined bench/results/SUMMARY.md.

Each bench module is run in its own process so that peak-memory figures are its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

AREAS = [
    "directory",
    "ledger",
    "clearing",
    "budgeting",
    "governance",
    "indicators",
    "federation",
    "aggregation",
]
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", action="append", choices=AREAS)
    parser.add_argument(
        "--summary-only", action="store_true", help="rebuild SUMMARY.md from the latest results"
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for area in [] if args.summary_only else args.only or AREAS:
        module = Path(__file__).resolve().parent / f"bench_{area}.py"
        if not module.exists():
            continue
        started = time.perf_counter()
        cmd = [sys.executable, "-m", f"bench.bench_{area}", *(["--quick"] if args.quick else [])]
        print(f"== {area}: {' '.join(cmd)}", flush=True)
        result = subprocess.run(cmd, check=False)
        print(f"== {area}: {time.perf_counter() - started:.0f} s", flush=True)
        if result.returncode != 0:
            failures.append(area)
    # The summary gathers every area's latest table, also those not re-run this time.
    lines = ["# Solidaria benchmarks", ""]
    for area in AREAS:
        md = RESULTS / f"{area}.md"
        lines += [
            f"## {area}",
            "",
            md.read_text(encoding="utf-8") if md.exists() else "_no results_",
            "",
        ]
    (RESULTS / "SUMMARY.md").write_text("\n".join(lines), encoding="utf-8")
    if not args.summary_only:
        (RESULTS / "SUMMARY.json").write_text(
            json.dumps({"quick": args.quick, "failed": failures}, indent=2), encoding="utf-8"
        )
    print(f"wrote {RESULTS / 'SUMMARY.md'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
