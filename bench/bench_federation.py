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
import re
import statistics
import sys
from pathlib import Path
from typing import Any

from bench.federation_test import RATES, WORK, Failed, Federation, exclusive

RESULTS = Path(__file__).resolve().parent / "results"
GOAL = 3.0

TIMING = """
import io, json, time, urllib.error, urllib.request
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
        actor=alice.owner, payer=alice.pk, payee=carol.pk, amount_minor=50,
        key=f"bench-local-{{i}}",
    )

def api_pay(payee, key):
    body = json.dumps({{
        "payer": alice.pk, "payee_username": payee, "amount_minor": 50, "idempotency_key": key,
    }}).encode()
    request = urllib.request.Request(api, data=body, method="POST", headers={{
        "Authorization": f"Bearer {{token}}", "Content-Type": "application/json",
    }})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            if response.status != 201:
                raise RuntimeError(f"the API answered {{response.status}}")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"the API answered {{exc.code}}: {{exc.read()[:300]}}") from None

def local_api(i):
    api_pay("carol", f"bench-api-{{i}}")

def cross_api(i):
    api_pay("B/bob", f"bench-cross-api-{{i}}")

def cross(i):
    out = io.StringIO()
    try:
        call_command(
            "cc", "pay", "--from", "alice", "--to", "B/bob", "--amount", "0.50",
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

kinds = {{"local": local, "local_api": local_api, "cross": cross, "cross_api": cross_api}}
skipped = {{}}
try:
    cross_api(0)  # does the payments API take network/member?
except RuntimeError as exc:
    skipped["cross_api"] = str(exc)
    del kinds["cross_api"]
for i in range(warmup):
    for fn in kinds.values():
        fn(-1 - i)
times = {{name: [] for name in kinds}}
for i in range(n):
    for name, fn in kinds.items():
        times[name].append(timed(fn, i))
print(json.dumps({{"times": times, "skipped": skipped}}))
"""


ACCESS = re.compile(r'access "(\w+) (\S+) [^"]*" (\d+) (\d+)ms')


def server_times(name: str, since: int) -> dict[str, list[float]]:
    """Request times (ms) per `METHOD path` in instance `name`'s gunicorn log, read from
    byte `since` on (the log of the timed payments only)."""
    times: dict[str, list[float]] = {}
    with open(WORK / f"{name}.log", "rb") as log:
        log.seek(since)
        for line in log.read().decode("utf-8", "replace").splitlines():
            match = ACCESS.search(line)
            if match and match.group(3).startswith("2"):
                key = f"{match.group(1)} {match.group(2)}"
                times.setdefault(key, []).append(float(match.group(4)))
    return times


def log_size(name: str) -> int:
    path = WORK / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


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
        offsets = {node.name: log_size(node.name) for node in fed.nodes}
        measured = fed.A.shell(TIMING.format(n=n, warmup=warmup), timeout=120 + n * 6)
        times: dict[str, list[float]] = measured["times"]
        skipped: dict[str, str] = measured["skipped"]
        load_after = os.getloadavg()[0]
        servers = {node.name: server_times(node.name, offsets[node.name]) for node in fed.nodes}
        # every payment left every ledger sound
        for node in fed.nodes:
            check = node.manage("cc", "check", "--json", check=False)
            node.manage("ledger", "verify")
            if check.returncode != 0:
                raise Failed(f"`cc check` on {node.name} failed after the bench: {check.stdout}")
    finally:
        fed.teardown()

    names = {
        "local": "local payment on A, service",
        "local_api": "local payment on A, HTTP API",
        "cross": "cross-network A→T→B, service",
        "cross_api": "cross-network A→T→B, HTTP API",
    }
    rows: list[dict[str, Any]] = [
        {
            "case": names[kind],
            "metric": "latency",
            "p50": round(statistics.median(values), 2),
            "p95": round(pct(values, 0.95), 2),
            "mean": round(statistics.fmean(values), 2),
            "n": len(values),
            "unit": "ms",
        }
        for kind, values in times.items()
    ]
    # The goal compares like with like: HTTP API on both sides when the payments API takes
    # network/member, else the service on both sides.
    pairs = [("cross_api", "local_api"), ("cross", "local"), ("cross", "local_api")]
    ratios = []
    for cross_kind, local_kind in pairs:
        if cross_kind not in times:
            continue
        cross, local = times[cross_kind], times[local_kind]
        ratio = statistics.median(cross) / statistics.median(local)
        ratios.append(
            {
                "case": f"{names[cross_kind]} vs {names[local_kind]}",
                "metric": "ratio of medians",
                "ours": round(statistics.median(cross), 2),
                "anchor": round(statistics.median(local), 2),
                "ratio": round(ratio, 2),
                "p95_ratio": round(pct(cross, 0.95) / pct(local, 0.95), 2),
                "unit": "ms",
                "notes": f"goal <= {GOAL:g}; rates A→T {RATES['A']}, B→T {RATES['B']}",
            }
        )
    goal_row = ratios[0]
    verdict = goal_row["ratio"] <= GOAL
    hops = [
        {"node": node, "request": request, "p50": round(statistics.median(v), 1), "n": len(v)}
        for node, requests in servers.items()
        for request, v in sorted(requests.items())
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "federation.json").write_text(
        json.dumps({"rows": rows + ratios, "servers": hops, "skipped": skipped}, indent=2),
        encoding="utf-8",
    )
    md = [
        f"Federation ({'quick' if quick else 'full'} run; three instances on loopback, "
        f"PostgreSQL, gunicorn 2 workers each; {warmup} warm-up then {n} payments of 0.50 "
        f"of each kind, the kinds alternating; all timed in one `solidaria shell` process "
        f"on A, no command start-up counted. Service: `ledger.services.transfer_create` "
        f"alice → carol (local) and `call_command('cc', 'pay')` alice → B/bob, the code "
        f"behind `solidaria cc pay` (cross-network). HTTP API: `POST /api/ledger/transfers` "
        f"to A's gunicorn with alice's token, payee `carol` or `B/bob`. A cross-network "
        f"payment is validated and committed over HTTP A → T → B. 1-min load average "
        f"{load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} CPUs.)",
        "",
        "| case | p50 ms | p95 ms | mean ms | n |",
        "|---|---:|---:|---:|---:|",
        *[f"| {r['case']} | {r['p50']} | {r['p95']} | {r['mean']} | {r['n']} |" for r in rows],
        "",
        "| ratio | at the median | at p95 |",
        "|---|---:|---:|",
        *[f"| {r['case']} | {r['ratio']}× | {r['p95_ratio']}× |" for r in ratios],
    ]
    if skipped:
        md += ["", f"Not measured: {'; '.join(f'{k}: {v}' for k, v in skipped.items())}."]
    md += [
        "",
        "Where the time goes: each server's own time per request during the timed payments "
        "(gunicorn's access log, warm-up included; T's /cc/ requests include their relay "
        "to B, A's API requests to B/bob include the whole path):",
        "",
        "| node | request | p50 ms | n |",
        "|---|---|---:|---:|",
        *[f"| {h['node']} | {h['request']} | {h['p50']} | {h['n']} |" for h in hops],
        "",
        f"Verdict (goal: a cross-network payment ≤ {GOAL:g}× a local payment's latency at "
        f"the median, {goal_row['case']}): {goal_row['ratio']}×, "
        f"{'meets' if verdict else 'misses'} the issue's goal.",
        "",
    ]
    (RESULTS / "federation.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
