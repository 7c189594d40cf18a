"""`make load`: 50 locust users against gunicorn on PostgreSQL, on loopback.

Creates a fresh database (default `solidaria_load`), migrates it, loads the demo network
plus 100,000 synthetic organisations (bulk, as bench/bench_directory.py does), issues an
API token to each demo member, starts gunicorn, runs locust headless for LOAD_SECONDS
(default 60), runs `solidaria ledger verify`, and writes bench/results/load.{json,md}:
requests, failures, p50/p95/p99 per kind and overall, against the goal (p99 <= 200 ms and
0 errors), with the machine's facts. Not run in CI. Locust runs from its own virtualenv
(`var/loadenv`, made by `make load` from requirements-load.txt) so that its dependencies
never touch the project's.

    LOAD_SECONDS=60 python -m bench.load [--users 50] [--organisations 100000]
    python -m bench.load --prepare-only   # make the database and var/load/people.json
    python -m bench.load --reuse          # run again on a fresh copy of that database
    DATABASE_URL=.../solidaria_load python -m bench.load.profile   # each kind alone
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "load"
LOCUST = Path(os.environ.get("LOAD_LOCUST", ROOT / "var" / "loadenv" / "bin" / "locust"))
GOAL_P99_MS = 200

SEED = """
import json, random, sys
sys.path.insert(0, ROOT)
from django.conf import settings
from solidaria.accounts.models import ApiToken, User
from solidaria.budgeting.demo import OPEN_SLUG
from solidaria.budgeting.models import Project
from solidaria.core.demo import MEMBERS
from solidaria.directory.models import Organisation
from solidaria.ledger.models import Account
from bench.bench_directory import scale_to

from solidaria.directory import clustering

before = Organisation.objects.count()
rate = scale_to(before + EXTRA, random.Random(11))
# the synthetic rows are bulk-inserted: the map's per-zoom cells must count them too
cells = clustering.rebuild()
members = {}
for name in MEMBERS:
    user = User.objects.get(username=name)
    account = Account.objects.filter(owner=user, is_active=True).order_by("pk").first()
    if account is None:
        continue
    members[name] = {"token": ApiToken.issue(user=user, name="load")[1], "account": account.pk}
ids = Organisation.objects.filter(status=Organisation.Status.CONFIRMED)
print("PEOPLE=" + json.dumps({
    "members": members,
    "process": OPEN_SLUG,
    "projects": list(Project.objects.filter(process__slug=OPEN_SLUG, status="feasible")
                     .values_list("code", flat=True)),
    "org_min": ids.order_by("pk").values_list("pk", flat=True).first(),
    "org_max": ids.order_by("-pk").values_list("pk", flat=True).first(),
    "organisations": Organisation.objects.count(),
    "insert_rows_per_second": round(rate),
    "cluster_cells": cells,
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _say(text: str) -> None:
    print(f"load: {text}", flush=True)


def _run(cmd: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, check=True, text=True, cwd=ROOT, **kw)  # noqa: S603


def _fresh_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _copy_database(source: str, target: str) -> None:
    """`target` becomes a copy of `source` (a file copy in PostgreSQL: seconds)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def _analyze(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def _wait(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"load: the server did not answer {url} in {seconds:.0f} s")


def _warm_up(base: str, people: dict[str, Any], concurrency: int) -> None:
    """A few unmeasured rounds of pages, searches and statements at full concurrency, so
    that every worker has its connection, templates and labels before locust measures:
    the run is about a server in service, not one starting. Never the map's clusters
    (their cache must start empty)."""
    from concurrent.futures import ThreadPoolExecutor

    member = next(iter(people["members"].values()))
    paths = [
        "/directory/?q=coop",
        "/api/directory/organisations?q=farm",
        f"/directory/organisations/{people['org_min']}/",
        f"/api/ledger/accounts/{member['account']}/statement",
    ]

    def get(path: str) -> None:
        request = urllib.request.Request(  # noqa: S310 (loopback)
            base + path, headers={"Authorization": f"Bearer {member['token']}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310
                r.read()
        except OSError:
            pass

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(get, paths * concurrency))


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def read_stats(prefix: Path) -> list[dict[str, Any]]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            rows.append(
                {
                    "kind": row["Name"] if row["Name"] != "Aggregated" else "all",
                    "method": row["Type"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50_ms": float(row["50%"] or 0),
                    "p95_ms": float(row["95%"] or 0),
                    "p99_ms": float(row["99%"] or 0),
                    "rps": round(float(row["Requests/s"] or 0), 1),
                }
            )
    return rows


def read_failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [
            {"kind": r["Name"], "error": r["Error"][:300], "count": r["Occurrences"]}
            for r in csv.DictReader(f)
        ]


SETUP = """\
Setup for a 2-core box: gunicorn --preload, gthread workers (2 x CPUs + 1 processes of 4 threads:
a thread waiting on PostgreSQL lets another one run, and 50 users do not queue behind
5 single-request workers), DEBUG off, persistent database connections
(DB_CONN_MAX_AGE=60), a file cache shared by the workers (SOLIDARIA_CACHE_URL=file://;
production uses redis://) for the map's cluster answers (60 s, see
directory/map_answer.py), static files through whitenoise (not requested by this mix).
Locust is one gevent process on the same 2 cores (its share is measured in the times
above: the server's own times are in the second table). The database is PostgreSQL on
the same box. Before locust, a few unmeasured rounds of the other kinds warm each worker
(never the map: its cache starts empty, so first answers of each view are in the
figures). `--reuse` runs again on a copy of the prepared database."""


KINDS = [
    ("GET", re.compile(r"^/api/directory/organisations$"), "directory search"),
    ("GET", re.compile(r"^(/[a-z-]+)?/directory/$"), "directory page"),
    ("GET", re.compile(r"^/api/directory/clusters$"), "map clusters"),
    ("GET", re.compile(r"^(/[a-z-]+)?/directory/organisations/\d+/$"), "organisation page"),
    ("GET", re.compile(r"^/api/ledger/accounts/\d+/statement$"), "statement"),
    ("POST", re.compile(r"^/api/ledger/transfers$"), "payment"),
    ("POST", re.compile(r"^/api/budgeting/processes/[^/]+/ballot$"), "ballot"),
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def server_times(path: Path) -> list[dict[str, Any]]:
    """Per kind, the time gunicorn spent on each request (from its access log): what the
    server costs, without the wait in its queue and in locust."""
    times: dict[str, list[float]] = {}
    if not path.exists():
        return []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, url, _, micros = parts
        kind = next((k for m, rx, k in KINDS if m == method and rx.match(url)), "other")
        times.setdefault(kind, []).append(int(micros) / 1000)
    rows = []
    for kind in [k for _, _, k in KINDS] + ["other"]:
        found = times.get(kind)
        if found:
            rows.append(
                {
                    "kind": kind,
                    "requests": len(found),
                    "p50_ms": round(statistics.median(found), 1),
                    "p99_ms": round(_pct(found, 0.99), 1),
                    "max_ms": round(max(found), 1),
                }
            )
    return rows


def _baseline(path: str) -> dict[str, Any] | None:
    if not path or not Path(path).exists():
        return None
    old = json.loads(Path(path).read_text())
    return {
        "file": Path(path).name,
        "when": old["when"],
        "workers": old["workers"],
        "load_average": old["machine"]["load_average_1_5_15"],
        "stats": old["stats"],
    }


def write_results(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    overall = next((r for r in result["stats"] if r["kind"] == "all"), None)
    m = result["machine"]
    lines = [
        "# make load: 50 members on gunicorn and PostgreSQL",
        "",
        f"{result['when']}; {result['users']} locust users (spawn rate {result['spawn_rate']}/s) "
        f"for {result['seconds']} s on loopback; gunicorn {result['workers']} gthread workers "
        f"of {result['threads']} threads; "
        f"{result['organisations']:,} organisations (demo network + synthetic); "
        f"ledger verify after the run: **{result['ledger_verify']}**.",
        "",
        f"Goal: p99 <= {GOAL_P99_MS} ms and 0 errors. "
        + (
            f"Measured: p99 {overall['p99_ms']:.0f} ms, {overall['failures']} errors "
            f"of {overall['requests']} requests: **{'met' if result['goal_met'] else 'not met'}**."
            if overall
            else "No requests were recorded."
        ),
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gb']} GB; load average "
        f"{m['load_average_1_5_15']} before the run. {result['note']}",
        "",
        "| kind | requests | failures | p50 ms | p95 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["stats"]:
        lines.append(
            f"| {r['kind']} | {r['requests']} | {r['failures']} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['rps']} |"
        )
    if result.get("server"):
        lines += [
            "",
            "Time in the server per request (gunicorn's access log: without the wait in its "
            "queue, in the network and in locust):",
            "",
            "| kind | requests | p50 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['kind']} | {r['requests']} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['max_ms']:.1f} |"
            for r in result["server"]
        ]
    before = result.get("baseline")
    if before:
        old = {r["kind"]: r for r in before["stats"]}
        lines += [
            "",
            f"Before and after: the baseline is {before['file']} ({before['when']}, "
            f"{before['workers']} sync workers, load average {before['load_average']} before it).",
            "",
            "| kind | p50 ms before | p50 ms after | p99 ms before | p99 ms after | "
            "errors before | errors after |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in result["stats"]:
            o = old.get(r["kind"])
            if o:
                lines.append(
                    f"| {r['kind']} | {o['p50_ms']:.0f} | {r['p50_ms']:.0f} | {o['p99_ms']:.0f} | "
                    f"{r['p99_ms']:.0f} | {o['failures']} | {r['failures']} |"
                )
    lines += ["", SETUP]
    if result["failures"]:
        lines += ["", "Failures:", ""]
        lines += [f"- {f['kind']}: {f['error']} ({f['count']}×)" for f in result["failures"]]
    (RESULTS / "load.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="solidaria_load")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", 60)))
    parser.add_argument("--note", default="", help="a remark for load.md (a busy machine...)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the database and tokens a previous run prepared (var/load/people.json)",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="prepare the database, then stop"
    )
    parser.add_argument(
        "--baseline",
        default=str(RESULTS / "load-baseline.json"),
        help="an earlier load.json to compare with in load.md ('' for none)",
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="gunicorn threads per worker (gthread)"
    )
    args = parser.parse_args(argv)
    if not LOCUST.exists():
        raise SystemExit(f"load: {LOCUST} is missing: run `make load` (it installs locust)")

    env = dict(os.environ, DATABASE_URL=f"{PG}/{args.db}", DJANGO_DEBUG="0")
    solidaria = str(BIN / "solidaria")
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    saved = WORK / "people.json"
    prepared = f"{args.db}_prepared"
    if args.reuse and saved.exists() and _database_exists(prepared):
        people = json.loads(saved.read_text())
        if people.get("db", args.db) != args.db:
            raise SystemExit(f"load: {saved} was prepared for {people['db']}, not {args.db}")
        # each run starts from the same prepared state (no ballots or payments of the last)
        _say(f"{args.db} from {prepared}: {people['organisations']:,} organisations")
        _copy_database(prepared, args.db)
        _run([solidaria, "migrate", "--noinput", "-v", "0"], env)
    else:
        _say(f"fresh database {args.db}")
        _fresh_database(args.db)
        _run([solidaria, "migrate", "--noinput", "-v", "0"], env)
        _say("loading the demo network")
        _run([solidaria, "demo", "--no-serve"], env, stdout=subprocess.DEVNULL)
        _say(f"adding {args.organisations:,} organisations")
        code = SEED.replace("ROOT", repr(str(ROOT))).replace("EXTRA", str(args.organisations))
        out = _run([solidaria, "shell", "-c", code], env, stdout=subprocess.PIPE).stdout
        people = json.loads(next(x for x in out.splitlines() if x.startswith("PEOPLE="))[7:])
        people["db"] = args.db
        _analyze(args.db)
        _copy_database(args.db, prepared)
        saved.write_text(json.dumps(people))
        _say(f"ready in {time.monotonic() - started:.0f} s: {people['organisations']:,} orgs")
    if args.prepare_only:
        return 0

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cache_dir = WORK / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    server_env = dict(
        env,
        # one database connection per gunicorn thread, kept between requests
        DB_CONN_MAX_AGE="60",
        # the workers share one cache (as redis:// would in production), so a map answer
        # one worker rendered serves the others; no new service on the box
        SOLIDARIA_CACHE_URL=f"file://{cache_dir}",
    )
    access_log = WORK / "access.log"
    access_log.unlink(missing_ok=True)
    server = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "solidaria.wsgi",
            # the application is imported once, before the workers fork
            "--preload",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            # locust keeps its connections open between a user's requests (0.5-2 s apart):
            # the server must not close them in between (a reset the client would count)
            "--keep-alive",
            "15",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            # method, path, status, microseconds in the server (the queue is not in it)
            "--access-logformat",
            "%(m)s %(U)s %(s)s %(D)s",
        ],
        env=server_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(WORK / "gunicorn.log", "w"),  # noqa: SIM115
    )
    facts = machine()
    prefix = WORK / "locust"
    try:
        _wait(f"{base}/healthz")
        _warm_up(base, people, args.workers * args.threads)
        access_log.write_text("")  # gunicorn appends: the table counts locust's requests only
        _say(f"locust: {args.users} users for {args.seconds} s")
        locust_env = dict(os.environ, LOAD_PEOPLE=str(WORK / "people.json"))
        subprocess.run(  # noqa: S603
            [
                str(LOCUST),
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--exit-code-on-error",
                "0",
            ],
            env=locust_env,
            cwd=ROOT,
            check=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    verify = subprocess.run(  # noqa: S603
        [solidaria, "ledger", "verify"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    stats = read_stats(prefix)
    overall = next((r for r in stats if r["kind"] == "all"), None)
    result = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "seconds": args.seconds,
        "workers": args.workers,
        "threads": args.threads,
        "organisations": people["organisations"],
        "ledger_verify": "passed" if verify.returncode == 0 else "FAILED",
        "goal": {"p99_ms": GOAL_P99_MS, "errors": 0},
        "goal_met": bool(overall and overall["p99_ms"] <= GOAL_P99_MS and overall["failures"] == 0),
        "stats": stats,
        "failures": read_failures(prefix),
        "server": server_times(WORK / "access.log"),
        "machine": facts,
        "note": args.note,
        "baseline": _baseline(args.baseline),
    }
    write_results(result)
    _say(
        f"p99 {overall['p99_ms'] if overall else '-'} ms, "
        f"{overall['failures'] if overall else '-'} failures; ledger verify "
        f"{result['ledger_verify']}; bench/results/load.md"
    )
    return 0 if verify.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
