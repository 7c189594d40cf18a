"""`make faults`: kill the server and restart PostgreSQL in the middle of bursts.

On a PostgreSQL cluster of its own (created with `pg_createcluster`, so stopping it
disturbs no other database on the machine; dropped at the end), with a fresh database
`solidaria_faults` and a small seeded network, under gunicorn (2 workers). Without
Debian's postgresql-common (no pg_createcluster / pg_ctlcluster) it uses the server at
$FAULTS_PG (default 127.0.0.1:5432) and skips part 3, saying so.

1. payments: a burst of API payments with idempotency keys from several threads (some of
   them refused on purpose: far over the payer's credit line); gunicorn's master and
   workers are SIGKILLed mid-burst and restarted; every request is retried with its key.
   Each retry gets the original answer (the same transfer id, or the same refusal), every
   key has exactly one transfer (none twice, none half-written: two journal entries that
   sum to zero), and `solidaria ledger verify` passes;
2. clearing: the members of a proposed clearing run accept it from several threads while
   the server is SIGKILLed; the run is then applied entirely or not at all (never
   partially); after restart and the retries it is applied exactly once;
3. database restart: the cluster is stopped in the middle of a payment burst; while it is
   down the server answers 503 with a sentence (no traceback) and recovers once it is
   started again; every request is retried with its key as in 1.

Deterministic assertions only (the kill lands wherever it lands; the checks hold for any
landing point). Bounded: a few hundred requests, and `make faults` stops it after 10
minutes; most of its time is the migrations of the fresh database and three gunicorn
start-ups. Exit 1 on failure.

    python -m bench.faults [--payments 150] [--threads 6]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORK = ROOT / "var" / "faults"
DB = "solidaria_faults"
CLUSTER = "solidaria_faults"
CURRENCY = "FLT"
RING = "RNG"
MEMBERS = 16
RING_MEMBERS = 24
CREDIT_LIMIT = 1_000_000  # minor units: the accepted payments never come near it
REFUSED_AMOUNT = 50_000_000  # far over every credit line: refused, whatever happened before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_T0 = time.monotonic()


def _say(text: str) -> None:
    print(f"faults [{time.monotonic() - _T0:5.1f} s]: {text}", flush=True)


class Failed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


# --- the PostgreSQL cluster -----------------------------------------------------------


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own on a free port (Debian's postgresql-common)."""

    version: str
    port: int

    @classmethod
    def create(cls) -> Cluster:
        versions = sorted(os.listdir("/etc/postgresql"), key=lambda v: float(v))
        check(bool(versions), "no PostgreSQL installed under /etc/postgresql")
        version, port = versions[-1], _free_port()
        subprocess.run(
            ["pg_dropcluster", "--stop", version, CLUSTER],
            check=False,
            capture_output=True,
        )
        subprocess.run(
            [
                "pg_createcluster",
                version,
                CLUSTER,
                "--port",
                str(port),
                "--",
                "--auth=trust",
            ],
            check=True,
            capture_output=True,
        )
        cluster = cls(version, port)
        cluster.ctl("start")
        return cluster

    def ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, CLUSTER, action],
            check=True,
            capture_output=True,
        )
        if action in ("start", "restart"):
            self.wait_ready()

    def wait_ready(self) -> None:
        for _ in range(60):
            ready = subprocess.run(
                ["pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.5)
        raise Failed(f"the cluster on port {self.port} did not come up")

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", "--stop", self.version, CLUSTER], check=False, capture_output=True
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB}"


# --- the network ----------------------------------------------------------------------

SEED = f"""
import json
from django.conf import settings
# these people sign in with API tokens only: hash their unused passwords the fast way
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from django.utils import timezone
from datetime import timedelta
from solidaria.accounts.factories import make_member, make_steward
from solidaria.accounts.models import ApiToken
from solidaria.clearing import services as clearing
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services
from solidaria.ledger.models import CreditPolicy, Currency

cur = services.currency_create(
    actor=SYSTEM, code="{CURRENCY}", name="Fault credits", exponent=2,
    default_credit_limit={CREDIT_LIMIT}, default_upper_limit={CREDIT_LIMIT * 10},
    credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
)
stew = make_steward("fstew")
people = {{}}
for i in range({MEMBERS}):
    m = make_member(f"m{{i:02d}}")
    acc = services.account_open(actor=m, currency=cur)
    people[m.username] = {{"account": acc.pk, "token": ApiToken.issue(user=m, name="f")[1]}}
ring = Currency.objects.create(code="{RING}", name="Ring", exponent=2)
names = [f"r{{i:02d}}" for i in range({RING_MEMBERS})]
ringers = {{}}
for n in names:
    ringers[n] = ApiToken.issue(user=make_member(n), name="f")[1]
rows = "".join(f"{{a}},{{b}},{{10 + i}}\\n" for i, (a, b) in enumerate(zip(names, names[1:] + names[:1])))
rows += "".join(f"{{a}},{{b}},5\\n" for a, b in zip(names[::2], names[1::2]))
rows += "".join(f"{{b}},{{a}},5\\n" for a, b in zip(names[::2], names[1::2]))
clearing.obligations_import(
    actor=stew, currency=ring, text="debtor,creditor,amount\\n" + rows, confirm_both=True
)
run = clearing.run_start(actor=stew, currency=ring)
run = clearing.run_propose(
    actor=stew, run=run, deadline=timezone.now() + timedelta(days=3), reason="faults"
)
print("SEED=" + json.dumps({{"people": people, "ring": ringers, "run": run.pk}}))
"""


def _state(cluster_url: str, run: int) -> dict[str, Any]:
    """What the database holds now, read with plain SQL (no Django start-up): the
    payment keys and their transfers with their journal entries, and the clearing run."""
    import psycopg

    with psycopg.connect(cluster_url, autocommit=True) as conn:
        keys = {
            key.split(":", 1)[1]: result
            for key, result in conn.execute(
                "SELECT key, result_id FROM core_idempotencyrecord WHERE scope = %s",
                ["ledger.transfer"],
            )
        }
        transfers = {
            str(pk): [memo, n, int(total or 0)]
            for pk, memo, n, total in conn.execute(
                "SELECT t.id, t.memo, count(e.id), sum(e.amount) FROM ledger_transfer t "
                "JOIN ledger_currency c ON c.id = t.currency_id "
                "LEFT JOIN ledger_entry e ON e.transfer_id = t.id "
                "WHERE c.code = %s GROUP BY t.id, t.memo",
                [CURRENCY],
            )
        }
        row = conn.execute("SELECT status FROM clearing_clearingrun WHERE id = %s", [run])
        status = row.fetchone()
        items = {
            str(ob): [before, setoff]
            for ob, before, setoff in conn.execute(
                "SELECT obligation_id, remaining_before, setoff_minor FROM clearing_runitem "
                "WHERE run_id = %s",
                [run],
            )
        }
        obligations = {
            str(pk): remaining
            for pk, remaining in conn.execute(
                "SELECT o.id, o.remaining_minor FROM clearing_obligation o "
                "JOIN clearing_runitem i ON i.obligation_id = o.id WHERE i.run_id = %s",
                [run],
            )
        }
        setoffs = [
            list(r)
            for r in conn.execute(
                "SELECT obligation_id, amount_minor FROM clearing_setoff WHERE run_id = %s",
                [run],
            )
        ]
    return {
        "keys": keys,
        "transfers": transfers,
        "run": {
            "status": status[0] if status else "",
            "setoffs": setoffs,
            "items": items,
            "obligations": obligations,
        },
    }


def _shell(env: dict[str, str], code: str, marker: str) -> Any:
    out = subprocess.run(
        [str(BIN / "solidaria"), "shell", "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith(marker + "="))
    return json.loads(line.removeprefix(marker + "="))


# --- the server -----------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(WORK / "gunicorn.log", "ab")  # noqa: SIM115

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                "solidaria.wsgi",
                "-w",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise Failed("gunicorn did not answer /healthz within 60 s")

    def workers(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(x) for x in out.split()]

    def kill(self) -> int:
        """SIGKILL the master and every worker at once; returns how many died."""
        assert self.proc is not None
        pids = [self.proc.pid, *self.workers()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        # the workers are orphaned now: wait until they are gone
        for pid in pids[1:]:
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        return len(pids)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


# --- requests -------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (connection refused or cut)
    body: dict[str, Any] = field(default_factory=dict)
    raw: str = ""


def call(base: str, path: str, token: str, payload: dict[str, Any], key: str = "") -> Answer:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(  # noqa: S310 (loopback)
        base + path, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310
            raw = r.read().decode()
            return Answer(r.status, json.loads(raw), raw)
    except urllib.error.HTTPError as e:
        raw = e.read().decode(errors="replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        return Answer(e.code, body if isinstance(body, dict) else {}, raw)
    except (OSError, ValueError):  # refused, reset, cut mid-answer
        return Answer(0)


@dataclass
class Payment:
    key: str
    payer: str
    payee: str
    amount_minor: int
    first: Answer | None = None
    final: Answer | None = None

    @property
    def refused_on_purpose(self) -> bool:
        return self.amount_minor == REFUSED_AMOUNT


def payments(people: dict[str, Any], count: int, tag: str, seed: int) -> list[Payment]:
    rng = random.Random(seed)
    names = sorted(people)
    out = []
    for i in range(count):
        payer, payee = rng.sample(names, 2)
        amount = REFUSED_AMOUNT if i % 10 == 7 else rng.randint(1, 500)
        out.append(Payment(f"{tag}-{i:04d}", payer, payee, amount))
    return out


def pay(base: str, people: dict[str, Any], p: Payment) -> Answer:
    body = {
        "payer": people[p.payer]["account"],
        "payee_username": p.payee,
        "amount_minor": p.amount_minor,
        "memo": p.key,
    }
    return call(base, "/api/ledger/transfers", people[p.payer]["token"], body, key=p.key)


def burst(
    jobs: list[Any], threads: int, work: Callable[[Any], Answer], on_answer: Callable[[int], None]
) -> None:
    """Run `work` over `jobs` from `threads` threads; `on_answer(n)` after the n-th answer
    (the fault is injected from there). Each job's first answer is stored on it."""
    lock = threading.Lock()
    queue = list(reversed(jobs))
    answered = [0]

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            answer = work(job)
            job.first = answer
            with lock:
                answered[0] += 1
                n = answered[0]
            on_answer(n)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def _same(first: Answer, retry: Answer) -> bool:
    if first.status in (200, 201):
        return retry.status in (200, 201) and retry.body.get("id") == first.body.get("id")
    # a refusal says the balance it would reach, which other payments move: the same
    # refusal is the same status, field and sentence with the figures left out
    return retry.status == first.status and _shape(retry.body) == _shape(first.body)


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    return {
        k: re.sub(r"-?[0-9][0-9.,]*", "#", v) if isinstance(v, str) else v for k, v in body.items()
    }


def check_payments(jobs: list[Payment], state: dict[str, Any], label: str) -> dict[str, int]:
    """Each key: one final answer; the original repeated; one transfer, whole, or none."""
    keys: dict[str, str] = state["keys"]
    transfers: dict[str, list[Any]] = state["transfers"]
    counts = {"accepted": 0, "refused": 0, "unanswered_first": 0, "answered_503": 0}
    for p in jobs:
        assert p.first is not None and p.final is not None
        f = p.final
        check(f.status != 0, f"{label} {p.key}: no answer to the retry")
        check(f.status < 500, f"{label} {p.key}: the retry got {f.status}: {f.raw[:200]}")
        if p.first.status == 0:
            counts["unanswered_first"] += 1
        elif p.first.status == 503:
            counts["answered_503"] += 1
            check(
                "cannot be reached" in p.first.body.get("detail", ""),
                f"{label} {p.key}: a 503 without the sentence: {p.first.raw[:200]}",
            )
        else:
            check(p.first.status < 500, f"{label} {p.key}: {p.first.status} {p.first.raw[:200]}")
            check(
                _same(p.first, f),
                f"{label} {p.key}: first answer {p.first.status} {p.first.raw[:120]} but the "
                f"retry got {f.status} {f.raw[:120]}",
            )
        if p.refused_on_purpose:
            check(400 <= f.status < 500, f"{label} {p.key}: an over-limit payment got {f.status}")
            check(p.key not in keys, f"{label} {p.key}: a refused payment left a key record")
            counts["refused"] += 1
            continue
        check(f.status in (200, 201), f"{label} {p.key}: refused: {f.status} {f.raw[:200]}")
        counts["accepted"] += 1
        tid = str(f.body["id"])
        check(keys.get(p.key) == tid, f"{label} {p.key}: key record {keys.get(p.key)} ≠ {tid}")
        memo, entries, total = transfers[tid]
        check(memo == p.key, f"{label} {p.key}: transfer {tid} has memo {memo}")
        check(
            entries == 2 and total == 0, f"{label} transfer {tid}: {entries} entries, sum {total}"
        )
    mine = [t for t in transfers.values() if t[0].startswith(label)]
    check(
        len(mine) == counts["accepted"],
        f"{label}: {len(mine)} transfers for {counts['accepted']} accepted keys (a duplicate)",
    )
    return counts


def check_run_whole(state: dict[str, Any], label: str) -> str:
    """Applied entirely (every set-off, obligations reduced) or not at all."""
    run = state["run"]
    items = {int(k): v for k, v in run["items"].items()}
    obligations = {int(k): v for k, v in run["obligations"].items()}
    setoffs = dict(run["setoffs"])
    if run["status"] == "accepted":
        expected = {k: s for k, (_before, s) in items.items() if s}
        check(setoffs == expected, f"{label}: set-offs {setoffs} ≠ the run's {expected}")
        for k, (before, s) in items.items():
            check(obligations[k] == before - s, f"{label}: obligation {k} partly set off")
        return "applied"
    check(not setoffs, f"{label}: run {run['status']} but {len(setoffs)} set-offs written")
    for k, (before, _s) in items.items():
        check(obligations[k] == before, f"{label}: obligation {k} changed before the run applied")
    return str(run["status"])


# --- the scenarios --------------------------------------------------------------------


def retry_all(jobs: list[Any], threads: int, work: Callable[[Any], Answer]) -> None:
    """Retry every job with its key (from `threads` threads) until it gets an answer
    other than no answer or 503; the final answer is stored on the job."""

    def retry(job: Any) -> None:
        for _ in range(40):
            job.final = work(job)
            if job.final.status not in (0, 503):
                return
            time.sleep(0.5)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(retry, jobs))


def scenario_kill_payments(
    server: Server, env: dict[str, str], seed: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    people = seed["people"]
    jobs = payments(people, args.payments, "kill", seed=1)
    killed: list[int] = []
    at = args.payments // 3

    def on_answer(n: int) -> None:
        if n == at:
            killed.append(server.kill())

    burst(jobs, args.threads, lambda p: pay(server.base, people, p), on_answer)
    check(bool(killed), "the server was never killed")
    server.start()
    retry_all(jobs, args.threads, lambda p: pay(server.base, people, p))
    counts = check_payments(jobs, _state(env["DATABASE_URL"], seed["run"]), "kill")
    return {"killed_processes": killed[0], **counts}


def scenario_kill_clearing(
    server: Server, env: dict[str, str], seed: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    run = seed["run"]

    @dataclass
    class Accept:
        who: str
        first: Answer | None = None
        final: Answer | None = None

    def accept(a: Accept) -> Answer:
        return call(
            server.base,
            f"/api/clearing/runs/{run}/answer",
            seed["ring"][a.who],
            {"answer": "accept"},
        )

    jobs = [Accept(w) for w in sorted(seed["ring"])]
    killed: list[int] = []
    # the last acceptances (the one that applies the run among them) are in flight
    at = len(jobs) - 2

    def on_answer(n: int) -> None:
        if n == at:
            killed.append(server.kill())

    burst(jobs, args.threads, accept, on_answer)
    check(bool(killed), "the server was never killed")
    after_kill = check_run_whole(_state(env["DATABASE_URL"], run), "clearing after the kill")
    server.start()
    retry_all(jobs, args.threads, accept)
    for a in jobs:
        assert a.first is not None and a.final is not None
        check(a.final.status == 200, f"clearing {a.who}: retry {a.final.status} {a.final.raw}")
        check(a.final.body.get("my_answer") == "accept", f"clearing {a.who}: {a.final.raw}")
        check(a.final.body.get("id") == run, f"clearing {a.who}: answered run {a.final.raw}")
        if a.first.status not in (0, 503):
            check(a.first.status == 200, f"clearing {a.who}: first {a.first.raw[:200]}")
    final = check_run_whole(_state(env["DATABASE_URL"], run), "clearing after the retries")
    check(final == "applied", f"clearing: the run is {final} after every member accepted")
    return {
        "members": len(jobs),
        "answered_before_kill": sum(1 for a in jobs if a.first and a.first.status == 200),
        "run_after_kill": after_kill,
        "run_after_retries": final,
    }


def scenario_database_restart(
    server: Server,
    env: dict[str, str],
    cluster: Cluster,
    seed: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    people = seed["people"]
    jobs = payments(people, args.payments, "pgrestart", seed=2)
    at = args.payments // 3
    probes: list[Answer] = []
    page: list[tuple[int, str]] = []

    def on_answer(n: int) -> None:
        if n != at:
            return
        cluster.ctl("stop")
        # while it is down: the API and a page answer 503 with a sentence
        probe = jobs[-1]
        probes.append(pay(server.base, people, probe))
        try:
            urllib.request.urlopen(server.base + "/directory/", timeout=30)  # noqa: S310
            page.append((200, ""))
        except urllib.error.HTTPError as e:
            page.append((e.code, e.read().decode(errors="replace")))
        time.sleep(1)
        cluster.ctl("start")

    burst(jobs, args.threads, lambda p: pay(server.base, people, p), on_answer)
    check(len(probes) == 1, "the database was never stopped")
    check(probes[0].status == 503, f"API while down: {probes[0].status} {probes[0].raw[:300]}")
    check("cannot be reached" in probes[0].body.get("detail", ""), f"API: {probes[0].raw[:300]}")
    status, html = page[0]
    check(status == 503, f"page while the database is down: {status}")
    check("cannot be reached" in html and "Traceback" not in html, "page: no sentence")
    retry_all(jobs, args.threads, lambda p: pay(server.base, people, p))
    counts = check_payments(jobs, _state(env["DATABASE_URL"], seed["run"]), "pgrestart")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=150)
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "gunicorn.log").unlink(missing_ok=True)
    started = time.monotonic()
    missing = [
        tool
        for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_isready")
        if shutil.which(tool) is None
    ]
    cluster: Cluster | None = None
    if missing:
        # no postgresql-common: the server at FAULTS_PG, which we must not stop
        url = f"{os.environ.get('FAULTS_PG', 'postgres://postgres@127.0.0.1:5432')}/{DB}"
        _say(f"{', '.join(missing)} missing: the PostgreSQL restart part will be skipped")
    else:
        _say("creating a PostgreSQL cluster of our own")
        cluster = Cluster.create()
        url = cluster.url
    server: Server | None = None
    report: dict[str, Any] = {}
    try:
        env = dict(os.environ, DATABASE_URL=url, DJANGO_DEBUG="0")
        env.pop("SOLIDARIA_FAULTS", None)
        import psycopg

        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB}"')
        subprocess.run(
            [str(BIN / "solidaria"), "migrate", "--noinput", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        _say("migrated; seeding the network")
        seed = _shell(env, SEED, "SEED")
        server = Server(env)
        server.start()
        _say("1. SIGKILL during a burst of payments")
        report["kill_payments"] = scenario_kill_payments(server, env, seed, args)
        _say(f"   ok: {report['kill_payments']}")
        _say("2. SIGKILL while members accept a clearing run")
        report["kill_clearing"] = scenario_kill_clearing(server, env, seed, args)
        _say(f"   ok: {report['kill_clearing']}")
        if cluster is None:
            _say(f"3. SKIPPED: PostgreSQL restart ({', '.join(missing)} not installed)")
            report["database_restart"] = {"skipped": f"{', '.join(missing)} not installed"}
        else:
            _say("3. PostgreSQL stopped and started during a burst of payments")
            report["database_restart"] = scenario_database_restart(server, env, cluster, seed, args)
            _say(f"   ok: {report['database_restart']}")
        verify = subprocess.run(
            [str(BIN / "solidaria"), "ledger", "verify"],
            env=env,
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=False,
        )
        check(verify.returncode == 0, f"ledger verify failed: {verify.stdout}{verify.stderr}")
        _say("ledger verify: ok")
    except Failed as exc:
        _say(f"FAILED: {exc} (server log: {WORK / 'gunicorn.log'})")
        return 1
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.drop()
    _say(f"all three passed in {time.monotonic() - started:.0f} s")
    (WORK / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
