"""Ledger benchmark: our transfers/s through the service layer vs pgbench's built-in
simple-update script (`pgbench -N`) on the same PostgreSQL, in the same run; a
10,000-transfer bulk payment through the REST API vs single payments through the API;
and single-client SQLite.

    .venv/bin/python -m bench.bench_ledger [--quick] [--pg-url postgres://postgres@127.0.0.1:5432]

Databases: `solidaria_bench_pgbench` (pgbench -i) and `solidaria_bench_ledger` (ours),
both dropped and recreated. Writes bench/results/ledger.json and ledger.md.
"""

from __future__ import annotations

import argparse
import glob
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PG_BENCH_DB = "solidaria_bench_pgbench"
OUR_DB = "solidaria_bench_ledger"
ACCOUNTS = 1000


def _pgbench_bin() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise SystemExit("pgbench not found (install postgresql-client)")
    return found


def _conn_args(url: str) -> list[str]:
    m = re.match(
        r"postgres(?:ql)?://(?:(?P<user>[^:@/]+)(?::[^@]*)?@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?",
        url,
    )
    if not m:
        raise SystemExit(f"cannot read {url}")
    args = ["-h", m.group("host"), "-p", m.group("port") or "5432"]
    if m.group("user"):
        args += ["-U", m.group("user")]
    return args


def _psql(url: str, sql: str) -> None:
    subprocess.run(["psql", *_conn_args(url), "-d", "postgres", "-qc", sql], check=True)


def pgbench_tps(url: str, *, clients: int, seconds: int) -> float:
    exe = _pgbench_bin()
    cmd = [exe, *_conn_args(url), "-N", "-c", str(clients), "-j", str(min(clients, 4))]
    out = subprocess.run(
        [*cmd, "-T", str(seconds), PG_BENCH_DB], check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    assert match, out
    return float(match.group(1))


# --- our side (runs with DATABASE_URL pointing at the bench database) ----------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaria.settings")
    import django

    django.setup()


def _prepare(accounts: int) -> dict[str, Any]:
    """Migrate, create a currency and `accounts` members with generous limits."""
    from django.core.management import call_command

    for app in ("accounts", "core", "ledger"):
        call_command("migrate", app, verbosity=0, interactive=False)
    from solidaria.accounts.models import ApiToken, User
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger.models import Account
    from solidaria.ledger.services import currency_create, network_account

    currency = currency_create(
        actor=SYSTEM, code="BENCH", name="Bench", exponent=2, default_credit_limit=10**12
    )
    network_account(currency)
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", password="!") for i in range(accounts)]
    )
    users = list(User.objects.filter(username__startswith="bench").order_by("pk"))
    Account.objects.bulk_create(
        [
            Account(currency=currency, owner=u, kind="member", name=u.username, credit_limit=10**12)
            for u in users
        ]
    )
    ids = list(
        Account.objects.filter(currency=currency, kind="member")
        .order_by("owner_id")
        .values_list("pk", "owner_id")
    )
    _t, token = ApiToken.issue(user=users[0], name="bench")
    return {"accounts": ids, "token": token}


def _service_worker(
    seed: int,
    seconds: float,
    ids: list[tuple[int, int]],
    ready: Any,
    start: Any,
    out: Any,
    threads: int = 1,
) -> None:
    """One client process: its own interpreter (spawned) and Django, as a separate web or
    worker process would be, running `threads` clients, each with its own database
    connection. Warms up, reports ready, waits for the common start, then pays random
    pairs for `seconds` and reports (payments, seconds)."""
    _setup_django()
    import threading

    from django.db import connections

    from solidaria.accounts.models import User
    from solidaria.ledger import services

    users = {u.pk: u for u in User.objects.filter(pk__in=[o for _a, o in ids])}
    counts: list[int] = [0] * threads
    elapsed: list[float] = [0.0] * threads
    warm = threading.Barrier(threads + 1)
    go = threading.Event()
    failures: list[BaseException] = []

    def client(i: int) -> None:
        try:
            run_client(i)
        except BaseException as exc:  # reported by the process, which then fails
            failures.append(exc)
            warm.abort()

    def run_client(i: int) -> None:
        rng = random.Random(seed * 10 + i)

        def pay(n: int) -> None:
            (payer, owner), (payee, _o) = rng.sample(ids, 2)
            services.transfer_create(
                actor=users[owner],
                payer=payer,
                payee=payee,
                amount_minor=rng.randint(1, 10_000),
                key=f"s{seed}-{i}-{n}",
            )

        pay(-1)  # warm-up: imports, connection, first queries
        warm.wait()
        go.wait()
        count, began = 0, time.perf_counter()
        deadline = began + seconds
        while time.perf_counter() < deadline:
            pay(count)
            count += 1
        counts[i], elapsed[i] = count, time.perf_counter() - began
        connections.close_all()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    warm.wait()
    ready.put(seed)
    start.wait()
    go.set()
    for w in workers:
        w.join()
    if failures:
        raise failures[0]
    out.put((sum(counts), max(elapsed)))


def service_tps(
    ids: list[tuple[int, int]], *, clients: int, processes: int, seconds: float, tag: int
) -> float:
    """Transfers/s of `clients` concurrent clients through the service layer, each with
    its own connection, run by `processes` client processes (separate interpreters, no
    GIL shared) of clients/processes threads each: as pgbench runs its -c connections
    on -j threads."""
    from django.db import connections

    assert clients % processes == 0
    connections.close_all()
    ctx = mp.get_context("spawn")
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=_service_worker,
            args=(tag * 100 + i, seconds, ids, ready, start, out, clients // processes),
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    start.set()
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise SystemExit("a bench worker failed")
    return sum(count / elapsed for count, elapsed in results)


def api_rates(prepared: dict[str, Any], *, batch_lines: int, singles: int) -> tuple[float, float]:
    """(single payments/s through the API, transfers/s of one bulk payment of `batch_lines`)."""
    from django.test import Client

    ids = prepared["accounts"]
    payer = ids[0][0]
    client = Client(headers={"Authorization": f"Bearer {prepared['token']}"})
    rng = random.Random(7)
    started = time.perf_counter()
    for n in range(singles):
        payee = rng.choice(ids[1:])[0]
        response = client.post(
            "/api/ledger/transfers",
            {"payer": payer, "payee": payee, "amount_minor": rng.randint(1, 100)},
            content_type="application/json",
            headers={"Idempotency-Key": f"api-{n}"},
        )
        assert response.status_code == 201, response.content
    single = singles / (time.perf_counter() - started)
    lines = [
        {"account": rng.choice(ids[1:])[0], "amount_minor": rng.randint(1, 100)}
        for _ in range(batch_lines)
    ]
    body = json.dumps({"kind": "one_to_many", "counterparty": payer, "lines": lines})
    started = time.perf_counter()
    response = client.post(
        "/api/ledger/transfers/bulk",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "bulk-1"},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content[:500]
    return single, batch_lines / elapsed


def _verify_ok() -> bool:
    from solidaria.ledger.journal import verify

    return verify().ok


def sqlite_worker(seconds: float, accounts: int) -> None:
    _setup_django()
    prepared = _prepare(accounts)
    from solidaria.accounts.models import User
    from solidaria.ledger import services

    ids = prepared["accounts"]
    users = {u.pk: u for u in User.objects.all()}
    rng = random.Random(3)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        (payer, owner), (payee, _o) = rng.sample(ids, 2)
        services.transfer_create(
            actor=users[owner], payer=payer, payee=payee, amount_minor=5, key=f"q{count}"
        )
        count += 1
    tps = count / (time.perf_counter() - started)
    print(json.dumps({"tps": tps, "verified": _verify_ok()}))


def sqlite_tps(seconds: float, accounts: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["SOLIDARIA_VAR_DIR"] = tmp
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_ledger",
                "--sqlite-worker",
                str(seconds),
                "--accounts",
                str(accounts),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- main ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (without database name)",
    )
    parser.add_argument("--sqlite-worker", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sqlite_worker is not None:
        sqlite_worker(args.sqlite_worker, args.accounts)
        return 0

    seconds = 3 if args.quick else 10
    rounds = 1 if args.quick else 5
    window = 3 if args.quick else 4
    batch_lines = 1000 if args.quick else 10_000
    singles = 100 if args.quick else 500
    url = args.pg_url.rstrip("/")
    rows: list[dict[str, Any]] = []

    # anchor: pgbench -N on its own database
    _psql(url, f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
    _psql(url, f"CREATE DATABASE {PG_BENCH_DB}")
    subprocess.run(
        [_pgbench_bin(), *_conn_args(url), "-i", "-q", PG_BENCH_DB],
        check=True,
        capture_output=True,
    )
    # ours: the service layer on a fresh database of the same server
    _psql(url, f"DROP DATABASE IF EXISTS {OUR_DB}")
    _psql(url, f"CREATE DATABASE {OUR_DB}")
    os.environ["DATABASE_URL"] = f"{url}/{OUR_DB}"
    _setup_django()
    prepared = _prepare(ACCOUNTS)
    # interleaved rounds: the anchor and ours run in alternating windows so that a change
    # of machine load between windows shifts both; medians of each and of the ratios.
    samples: dict[str, list[float]] = {
        "pg1": [],
        "ours1": [],
        "pg8": [],
        "ours8": [],
        "ours8p": [],
    }
    loads: list[float] = []
    accounts = prepared["accounts"]
    for r in range(rounds):
        loads.append(os.getloadavg()[0])
        samples["pg1"].append(pgbench_tps(url, clients=1, seconds=window))
        samples["ours1"].append(
            service_tps(accounts, clients=1, processes=1, seconds=window, tag=10 + r)
        )
        samples["pg8"].append(pgbench_tps(url, clients=8, seconds=window))
        samples["ours8"].append(
            service_tps(accounts, clients=8, processes=4, seconds=window, tag=30 + r)
        )
        samples["ours8p"].append(
            service_tps(accounts, clients=8, processes=8, seconds=window, tag=50 + r)
        )
        print(
            f"round {r + 1}/{rounds} (load {loads[-1]:.1f}): "
            + ", ".join(f"{k} {v[-1]:.1f}" for k, v in samples.items()),
            file=sys.stderr,
        )

    def median_ratio(ours: str, anchor: str) -> float:
        return statistics.median(o / p for o, p in zip(samples[ours], samples[anchor], strict=True))

    pg1, ours1 = statistics.median(samples["pg1"]), statistics.median(samples["ours1"])
    pg8, ours8 = statistics.median(samples["pg8"]), statistics.median(samples["ours8"])
    ours8p = statistics.median(samples["ours8p"])
    ratio1, ratio8 = median_ratio("ours1", "pg1"), median_ratio("ours8", "pg8")
    ratio8p = median_ratio("ours8p", "pg8")
    api_single, api_batch = api_rates(prepared, batch_lines=batch_lines, singles=singles)
    verified = _verify_ok()
    sqlite = sqlite_tps(seconds, 200)

    rows = [
        {
            "case": "service layer vs pgbench -N, 1 client",
            "metric": "transfers/s vs tps",
            "ours": round(ours1, 1),
            "anchor": round(pg1, 1),
            "ratio": round(ratio1, 3),
            "unit": "per s",
            "notes": "goal >= 0.3; PostgreSQL, 1000 accounts, random pairs",
        },
        {
            "case": "service layer vs pgbench -N, 8 clients",
            "metric": "transfers/s vs tps",
            "ours": round(ours8, 1),
            "anchor": round(pg8, 1),
            "ratio": round(ratio8, 3),
            "unit": "per s",
            "notes": "goal >= 0.3; 8 connections on 4 client processes of 2 threads, "
            "as pgbench -c 8 -j 4 runs 8 connections on 4 threads",
        },
        {
            "case": "service layer vs pgbench -N, 8 clients as 8 processes",
            "metric": "transfers/s vs tps",
            "ours": round(ours8p, 1),
            "anchor": round(pg8, 1),
            "ratio": round(ratio8p, 3),
            "unit": "per s",
            "notes": "for comparison, not a goal: 8 client processes of 1 connection "
            "each: 16 processes (with the servers) on the CPUs",
        },
        {
            "case": f"API bulk payment of {batch_lines} vs single API payments",
            "metric": "transfers/s",
            "ours": round(api_batch, 1),
            "anchor": round(api_single, 1),
            "ratio": round(api_batch / api_single, 2),
            "unit": "per s",
            "notes": f"goal >= 10; one request, one transaction; {singles} singles",
        },
        {
            "case": "SQLite, 1 client, service layer",
            "metric": "transfers/s",
            "ours": round(sqlite["tps"], 1),
            "anchor": round(pg1, 1),
            "ratio": round(sqlite["tps"] / pg1, 3),
            "unit": "per s",
            "notes": "anchor: pgbench -N 1 client on PostgreSQL (for scale only)",
        },
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ledger.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    goals = [rows[0]["ratio"] >= 0.3, rows[1]["ratio"] >= 0.3, rows[3]["ratio"] >= 10]
    verdict = (
        "meets the issue's goals"
        if all(goals)
        else "misses: "
        + ", ".join(
            name
            for name, ok in zip(
                ["1-client ratio", "8-client ratio", "batch x10"], goals, strict=True
            )
            if not ok
        )
    )
    md = [
        f"Ledger ({'quick' if args.quick else 'full'} run; pgbench and ours alternate in "
        f"{rounds} round(s) of {window} s, medians (ratio = median of per-round ratios); "
        f"1-min load average {statistics.median(loads):.1f} (median over rounds; "
        f"{min(loads):.1f}-{max(loads):.1f}) on {os.cpu_count()} CPUs; "
        f"journal verified afterwards: {'yes' if verified and sqlite['verified'] else 'NO'})",
        "",
        "| case | ours | anchor | ratio | notes |",
        "|---|---:|---:|---:|---|",
        *[
            f"| {r['case']} | {r['ours']} | {r['anchor']} | {r['ratio']} | {r['notes']} |"
            for r in rows
        ],
        "",
        f"Verdict: {verdict}.",
        "",
        "Per round (transfers/s or tps): "
        + "; ".join(f"{k} " + " ".join(f"{v:.0f}" for v in vals) for k, vals in samples.items()),
        "",
    ]
    (RESULTS / "ledger.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0 if verified and sqlite["verified"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
