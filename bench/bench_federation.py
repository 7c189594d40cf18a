"""Federation benchmark: a cross-network payment A→T→B vs a local payment on A.

Same three instances as `make federation-test` (bench/federation_test.py: trunk T and
leaves A and B on loopback, each with its own PostgreSQL database and gunicorn with 2
workers). Both kinds of payment are timed inside one long-lived `solidaria shell` process
on A, so no command start-up is counted:

- local: `ledger.services.transfer_create` alice → carol on A (one transaction);
- cross-network: `call_command("cc", "pay", ...)` alice → B/bob, the code behind
  `solidaria cc pay` (validation on A, HTTP relays to T and from T to B, commit back).

After a warm-up, the two kinds alternate (so load drifts hit both alike); p50 and p95 of
each, ratio of the medians (goal: ≤ 3). Writes bench/results/federation.json and .md.

    python -m bench.bench_federation [--quick] [--payments 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.federation_test import RATES, Failed, Federation, exclusive

RESULTS = Path(__file__).resolve().parent / "results"
GOAL = 3.0

TIMING = """
import io, json, time, urllib.request
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from solidaria.accounts.models import ApiToken
from solidaria.ledger import services
from solidaria.ledger.models import Account

n, warmup = {n!r}, {warmup!r}
alice = Account.objects.get(owner__username="alice", kind="member")
carol = Account.objects.get(owner__username="carol", kind="member")
_t, token = ApiToken.issue(user=alice.owner, name="bench")
api = settings.SOLIDARIA["PUBLIC_URL"] + "/api/ledger/transfers"

def local(i):
    services.transfer_create(
        actor=alice.owner, payer=alice.pk, payee=carol.pk, amount_minor=100,
        key=f"bench-local-{{i}}",
    )

def local_api(i):
    body = json.dumps({{
        "payer": alice.pk, "payee_username": "carol", "amount_minor": 100,
        "idempotency_key": f"bench-api-{{i}}",
    }}).encode()
    request = urllib.request.Request(api, data=body, method="POST", headers={{
        "Authorization": f"Bearer {{token}}", "Content-Type": "application/json",
    }})
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 201:
            raise RuntimeError(f"the API answered {{response.status}}")

def cross(i):
    out = io.StringIO()
    try:
        call_command(
            "cc", "pay", "--from", "alice", "--to", "B/bob", "--amount", "1.00",
            "--key", f"bench-cross-{{i}}", "--json", stdout=out,
        )
    except (CommandError, SystemExit) as exc:
        raise RuntimeError(f"cc pay failed: {{exc}} {{out.getvalue()}}") from exc
    answer = json.loads(out.getvalue().strip().splitlines()[-1])
    if answer.get("state") != "completed":
        raise RuntimeError(f"cc pay did not complete: {{answer}}")

def timed(fn, i):
    started = time.perf_counter()
    fn(i)
    return (time.perf_counter() - started) * 1000

kinds = {{"local": local, "local_api": local_api, "cross": cross}}
for i in range(warmup):
    for fn in kinds.values():
        fn(-1 - i)
times = {{name: [] for name in kinds}}
for i in range(n):
    for name, fn in kinds.items():
        times[name].append(timed(fn, i))
print(json.dumps(times))
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 payments of each kind")
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)
    n, warmup = (30, 5) if args.quick else (args.payments, args.warmup)
    try:
        with exclusive(900):
            return _bench(n, warmup, quick=args.quick)
    except Failed as exc:
        print(f"federation bench: FAILED: {exc}", file=sys.stderr)
        return 1


def _bench(n: int, warmup: int, *, quick: bool) -> int:
    fed = Federation()
    try:
        print("federation bench: three instances, seed, links", flush=True)
        fed.prepare()
        fed.start()
        fed.link()
        print(f"federation bench: {warmup} warm-up then {n} payments of each kind", flush=True)
        load_before = os.getloadavg()[0]
        times: dict[str, list[float]] = fed.A.shell(
            TIMING.format(n=n, warmup=warmup), timeout=60 + n * 3
        )
        load_after = os.getloadavg()[0]
        # every payment left every ledger sound
        for node in fed.nodes:
            check = node.manage("cc", "check", "--json", check=False)
            node.manage("ledger", "verify")
            if check.returncode != 0:
                raise Failed(f"`cc check` on {node.name} failed after the bench: {check.stdout}")
    finally:
        fed.teardown()

    cross = times["cross"]
    cases = [
        ("local payment on A, service", times["local"]),
        ("local payment on A, HTTP API", times["local_api"]),
        ("cross-network A→T→B, service", cross),
    ]
    rows: list[dict[str, Any]] = [
        {
            "case": name,
            "metric": "latency",
            "p50": round(statistics.median(values), 2),
            "p95": round(pct(values, 0.95), 2),
            "mean": round(statistics.fmean(values), 2),
            "n": len(values),
            "unit": "ms",
        }
        for name, values in cases
    ]
    verdicts = []
    for name, local in cases[:2]:
        ratio = statistics.median(cross) / statistics.median(local)
        verdicts.append(ratio <= GOAL)
        rows.append(
            {
                "case": f"cross-network vs {name}",
                "metric": "ratio of medians",
                "ours": round(statistics.median(cross), 2),
                "anchor": round(statistics.median(local), 2),
                "ratio": round(ratio, 2),
                "p95_ratio": round(pct(cross, 0.95) / pct(local, 0.95), 2),
                "unit": "ms",
                "notes": f"goal <= {GOAL:g}; rates A→T {RATES['A']}, B→T {RATES['B']}",
            }
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "federation.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    md = [
        f"Federation ({'quick' if quick else 'full'} run; three instances on loopback, "
        f"PostgreSQL, gunicorn 2 workers each; {warmup} warm-up then {n} payments of each "
        f"kind, the kinds alternating; all timed in one `solidaria shell` process on A, no "
        f"command start-up counted. Local, service: `ledger.services.transfer_create` "
        f"alice → carol. Local, HTTP API: `POST /api/ledger/transfers` to A's gunicorn "
        f"with alice's token (what a member's local payment costs end to end). "
        f"Cross-network, service: `call_command('cc', 'pay')` alice → B/bob, the code "
        f"behind `solidaria cc pay` (validation and commit relayed over HTTP A → T → B; "
        f"no HTTP request into A itself, as there is no API for it yet). 1-min load "
        f"average {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} CPUs.)",
        "",
        "| case | p50 ms | p95 ms | mean ms | n |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows[:3]:
        md.append(f"| {row['case']} | {row['p50']} | {row['p95']} | {row['mean']} | {row['n']} |")
    md += ["", "| ratio | at the median | at p95 |", "|---|---:|---:|"]
    for row in rows[3:]:
        md.append(f"| {row['case']} | {row['ratio']}× | {row['p95_ratio']}× |")
    md += [
        "",
        f"Verdict (goal: ≤ {GOAL:g}× at the median): "
        f"{'meets' if verdicts[0] else 'misses'} it against the local payment through the "
        f"service, {'meets' if verdicts[1] else 'misses'} it against the local payment "
        f"through the HTTP API.",
        "",
    ]
    (RESULTS / "federation.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
