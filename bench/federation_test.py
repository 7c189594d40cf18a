"""`make federation-test`: three Solidaria instances on loopback, credit between them, faults.

Starts a trunk network T and two leaf networks A and B, each with its own fresh
PostgreSQL database (`solidaria_fed_t`, `_a`, `_b`: dropped and recreated), its own free
port and its own `var/federation/<name>/` folder, served by gunicorn (2 workers) with the
immediate task backend. It seeds a currency per network (different codes and rates),
alice on A and bob on B with credit lines, links A and B to T (`solidaria cc link add`
on both sides of each link, same secret), then:

  a. profiles: `bench.federation_profiles.run(T, A, B, log)` (A's organisations
     registered in T's index, B aggregating them);
  b. alice@A pays B/bob 10.00: completed on all three nodes, balances, `cc check` and
     `ledger verify` on every node;
  c. three faults, each followed by restart, `cc recover` on every node and the same
     checks, with the rule "completed on all three or on none" read from each node:
     (1) A killed (SIGKILL) right after it validated and stored the payment, before its
     one message to T (since the one-round protocol it completes on none); (2) T killed
     after B committed and before T and A did; (3) B unreachable during the relay. After each, a client retry
     with the same idempotency key returns the same answer twice, agreeing with the nodes.

Bounded: the whole run stops after --time-limit seconds (240 by default), every wait has
its own timeout, every server is killed at the end (also on failure). Exit 0 only when
every check passed. Logs: `var/federation/<name>.log` (gunicorn, with each request's time
in ms) and `var/federation/<name>.cli.log` (every `solidaria` command run against the
instance). One run at a time per checkout (a lock in `var/federation/`): a second run
waits for the first (--lock-wait seconds) before it drops the databases.

    python -m bench.federation_test [--time-limit 240] [--keep]

`Instance` and `Federation` are also used by `bench/bench_federation.py`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = os.environ.get("FEDERATION_PG", "postgres://postgres@127.0.0.1:5432")
WORK = ROOT / "var" / "federation"
SECRET_TA = "fed-test-link-secret-T-A-0123456789"
SECRET_TB = "fed-test-link-secret-T-B-9876543210"
IMMEDIATE = "django_tasks.backends.immediate.ImmediateBackend"

# Each network: its currency code and name; the members it starts with.
CURRENCIES = {"T": ("TRK", "Trunk credit"), "A": ("ACR", "A credit"), "B": ("BCR", "B credit")}
MEMBERS = {"T": [], "A": ["alice", "carol"], "B": ["bob", "dave"]}
# Conversion rates declared on each link: 1 unit of the leaf's currency is worth RATE
# units of the trunk's, so 10.00 ACR is 20.00 TRK, which is 40.00 BCR.
RATES = {"A": "2", "B": "1/2"}
# What bob receives for each 10.00 ACR alice pays: 1000 x 2 / (1/2) = 4000 (40.00 BCR).
BOB_PER_PAYMENT = int(1000 * Fraction(RATES["A"]) / Fraction(RATES["B"]))
MEMBER_CREDIT_LIMIT = 100_000  # 1,000.00 in minor units
LINK_CREDIT_LIMIT = "10000.00"

# States of a cross-network payment on one node (creditcommons.models.State).
UNFINISHED = {"initiated", "validated"}
FINAL = {"completed", "erased", "timedout", "refused"}

# gunicorn's access log: method, path, status and the request's time in milliseconds.
ACCESS_LOG_FORMAT = 'access "%(r)s" %(s)s %(M)sms'

_deadline = [float("inf")]


class Failed(Exception):
    """A check of the run failed; the message says which, in a sentence."""


def remaining(cap: float) -> float:
    """At most `cap` seconds, and never past the run's deadline."""
    left = _deadline[0] - time.monotonic()
    if left <= 0:
        raise Failed("The run went past its time limit.")
    return min(cap, left)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(name: str, template: str | None = None) -> None:
    """Drop and recreate `name` (only `solidaria_fed_*` names), optionally from a template."""
    import psycopg

    assert name.startswith("solidaria_fed"), name
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def last_json(text: str) -> dict[str, Any] | None:
    """The last line of `text` that parses as a JSON object (commands may print more)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    with contextlib.suppress(ValueError):
        value = json.loads(text)
        if isinstance(value, dict):
            return value
    return None


@dataclass
class Instance:
    """One Solidaria network on loopback: its database, port, environment and server."""

    name: str
    port: int
    db: str
    trunk_url: str = ""  # A and B register their profiles with T's index
    faults: str = ""
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def work(self) -> Path:
        return WORK / self.name

    @property
    def env(self) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "SOLIDARIA_", "DATABASE_"))
        }
        base.update(
            {
                "DATABASE_URL": f"{PG}/{self.db}",
                "DJANGO_DEBUG": "0",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SOLIDARIA_NETWORK_NAME": f"Federation test network {self.name}",
                "SOLIDARIA_NETWORK_SLUG": self.name,
                "SOLIDARIA_PUBLIC_URL": self.url,
                "SOLIDARIA_VAR_DIR": str(self.work),
                "SOLIDARIA_FAULTS": self.faults,
                "SOLIDARIA_MURMURATIONS_INDEX_URL": (
                    f"{self.trunk_url}/index/v2" if self.trunk_url else ""
                ),
                "SOLIDARIA_MURMURATIONS_ALLOW_PRIVATE": "1",
                # the three instances link to each other on loopback
                "SOLIDARIA_CC_ALLOW_PRIVATE_LINKS": "1",
                "SOLIDARIA_TASKS_BACKEND": IMMEDIATE,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if os.environ.get("SOLIDARIA_SHARED_DATA"):
            base["SOLIDARIA_SHARED_DATA"] = os.environ["SOLIDARIA_SHARED_DATA"]
        return base

    def manage(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run `solidaria *args` with this instance's environment; output captured."""
        cmd = [str(BIN / "solidaria"), *args]
        started = time.monotonic()
        try:
            result = subprocess.run(  # noqa: S603
                cmd,
                env=self.env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=remaining(timeout),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            self._log_cli(args, None, str(exc.stdout or ""), str(exc.stderr or ""), started)
            raise Failed(
                f"{self.name}: `solidaria {_one_line(' '.join(args))}` did not finish in "
                f"{exc.timeout:.0f} s."
            ) from None
        self._log_cli(args, result.returncode, result.stdout, result.stderr, started)
        if check and result.returncode != 0:
            raise Failed(
                f"{self.name}: `solidaria {' '.join(args)}` exited {result.returncode}: "
                f"{(result.stderr or result.stdout).strip()[-600:]}"
            )
        return result

    def _log_cli(
        self, args: tuple[str, ...], code: int | None, out: str, err: str, started: float
    ) -> None:
        with open(WORK / f"{self.name}.cli.log", "a", encoding="utf-8") as log:
            shown = " ".join(_one_line(a) for a in args)
            log.write(
                f"$ [{self.faults or '-'}] solidaria {shown}  -> exit {code} "
                f"in {time.monotonic() - started:.2f} s\n{out}{err}\n"
            )

    def shell(self, code: str, timeout: float = 60) -> dict[str, Any]:
        """Run Python `code` in `solidaria shell -c`; it prints one JSON object last."""
        out = self.manage("shell", "-c", code, timeout=timeout).stdout
        value = last_json(out)
        if value is None:
            raise Failed(f"{self.name}: the shell printed no JSON: {out[-300:]}")
        return value

    def start(self, faults: str | None = None, wait: float = 60) -> None:
        """Start gunicorn (2 workers) with this instance's environment; wait until ready."""
        if faults is not None:
            self.faults = faults
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self.work.mkdir(parents=True, exist_ok=True)
        log = open(WORK / f"{self.name}.log", "ab")  # noqa: SIM115 (the server owns it)
        log.write(f"\n--- start {self.starts + 1}, faults [{self.faults}]\n".encode())
        log.flush()
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
                "--graceful-timeout",
                "2",
                "--access-logfile",
                "-",
                "--access-logformat",
                ACCESS_LOG_FORMAT,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the workers too
        )
        log.close()
        self.starts += 1
        _running.append(self)
        self.wait_ready(wait)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + remaining(seconds)
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise Failed(f"{self.name}: gunicorn exited with {self.proc.returncode}.")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise Failed(f"{self.name}: {self.url}/healthz did not answer in {seconds:.0f} s.")

    def kill(self) -> None:
        """SIGKILL the server and its workers (as a machine losing power)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self, faults: str = "") -> None:
        self.kill()
        self.start(faults)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


_running: list[Instance] = []


@contextlib.contextmanager
def exclusive(wait: float, log: Callable[[str], None] = print) -> Iterator[None]:
    """One run at a time on this checkout (they share the databases and var/federation/):
    wait up to `wait` seconds for another run to finish."""
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / "run.lock", "a+", encoding="utf-8") as lock:
        deadline = time.monotonic() + wait
        said = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Failed(
                        f"Another federation run still holds {lock.name} after {wait:.0f} s."
                    ) from None
                if not said:
                    log(f"waiting for another federation run to finish ({lock.name})")
                    said = True
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _one_line(arg: str) -> str:
    """A multi-line argument (shell code) shown by its first line."""
    lines = [line for line in arg.splitlines() if line.strip()]
    return arg if len(lines) <= 1 else f"{lines[0]} ..."


def _kill_all() -> None:
    for instance in _running:
        instance.kill()


atexit.register(_kill_all)


SEED = """
import json
from solidaria.accounts.factories import make_member
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services
code, name, members, limit = {code!r}, {name!r}, {members!r}, {limit!r}
currency = services.currency_create(actor=SYSTEM, code=code, name=name, exponent=2)
out = {{"currency": currency.code, "accounts": {{}}}}
for username in members:
    user = make_member(username)
    account = services.account_open(actor=SYSTEM, currency=currency, owner=user)
    services.account_limits_set(
        actor=SYSTEM, account=account, credit_limit=limit, upper_limit=None,
        reason="federation test seed",
    )
    out["accounts"][username] = account.pk
print(json.dumps(out))
"""

# One process per node (command start-up is most of a check's time on a busy machine):
# `cc status TXID --json`, `cc check --json` and `ledger verify`, run through
# call_command with their exit codes, and the members' balances.
NODE_REPORT = """
import io, json
from django.core.management import call_command
from django.core.management.base import CommandError
from solidaria.ledger.models import Account

def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return {{"code": code, "out": out.getvalue()[-3000:], "err": err.getvalue()[-3000:]}}

report = {{}}
txid = {txid!r}
if txid:
    report["status"] = run("cc", "status", txid, "--json")
report["check"] = run("cc", "check", "--json")
report["verify"] = run("ledger", "verify")
report["balances"] = {{
    a.owner.username: a.balance
    for a in Account.objects.filter(kind="member").select_related("owner")
}}
print(json.dumps(report))
"""


def parallel(fn: Callable[[Instance], Any], nodes: list[Instance]) -> list[Any]:
    """fn(node) for every node at once (each runs a command); results in node order."""
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        futures = [pool.submit(fn, node) for node in nodes]
        return [future.result() for future in futures]


class Federation:
    """Three instances T, A, B with their databases, seeded and linked."""

    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.log = log
        ports: set[int] = set()
        while len(ports) < 3:
            ports.add(free_port())
        t_port, a_port, b_port = sorted(ports)
        self.T = Instance("T", t_port, "solidaria_fed_t")
        self.A = Instance("A", a_port, "solidaria_fed_a", trunk_url=self.T.url)
        self.B = Instance("B", b_port, "solidaria_fed_b", trunk_url=self.T.url)
        self.nodes = [self.T, self.A, self.B]

    def prepare(self) -> None:
        """Fresh databases (migrate once, copy twice), per-instance folders, seed."""
        WORK.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            for path in (WORK / f"{node.name}.log", WORK / f"{node.name}.cli.log"):
                path.unlink(missing_ok=True)
            node.work.mkdir(parents=True, exist_ok=True)
        template = "solidaria_fed_template"
        fresh_database(template)
        Instance("template", 0, template).manage("migrate", "--noinput", "-v", "0", timeout=180)
        for node in self.nodes:
            fresh_database(node.db, template=template)

        def seed(node: Instance) -> None:
            code, name = CURRENCIES[node.name]
            members = MEMBERS[node.name]
            node.shell(
                SEED.format(code=code, name=name, members=members, limit=MEMBER_CREDIT_LIMIT)
            )

        parallel(seed, self.nodes)

    def start(self) -> None:
        parallel(lambda node: node.start(""), self.nodes)

    def link(self) -> None:
        """`cc link add` on both sides of T-A and T-B (same secret per link)."""
        calls: list[tuple[Instance, tuple[str, ...]]] = []
        for leaf, secret in ((self.A, SECRET_TA), (self.B, SECRET_TB)):
            common = ("--secret", secret, "--rate", RATES[leaf.name])
            common += ("--credit-limit", LINK_CREDIT_LIMIT, "--json")
            calls.append((leaf, (
                "cc", "link", "add", "--role", "trunk", "--slug", "T",
                "--url", f"{self.T.url}/cc/", "--currency", CURRENCIES[leaf.name][0], *common,
            )))  # fmt: skip
            calls.append((self.T, (
                "cc", "link", "add", "--role", "leaf", "--slug", leaf.name,
                "--url", f"{leaf.url}/cc/", "--currency", CURRENCIES["T"][0], *common,
            )))  # fmt: skip
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            for future in [pool.submit(node.manage, *args) for node, args in calls]:
                future.result()

    def reports(self, txid: str = "") -> dict[str, dict[str, Any]]:
        """Each node's NODE_REPORT (status of `txid`, check, verify, balances)."""
        code = NODE_REPORT.format(txid=txid)
        results = parallel(lambda node: node.shell(code, timeout=90), self.nodes)
        return {node.name: result for node, result in zip(self.nodes, results, strict=True)}

    def teardown(self) -> None:
        for node in self.nodes:
            node.kill()


# --- the checks ------------------------------------------------------------------------


@dataclass
class Payment:
    key: str
    answer: dict[str, Any] | None  # what the client got (None: killed, or no JSON)
    code: int


class Run:
    """The steps of `make federation-test`, each timed and reported on one line."""

    def __init__(self, fed: Federation) -> None:
        self.fed = fed
        self.report: list[str] = []
        self.failures = 0
        self.completed = 0  # payments completed on all three so far

    def log(self, message: str) -> None:
        print(f"    {message}", flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        print(f"--- {name}", flush=True)
        try:
            yield
        except (Failed, AssertionError) as exc:
            self.failures += 1
            reason = " | ".join(x.strip() for x in str(exc).splitlines() if x.strip())
            line = f"FAIL {name} ({time.monotonic() - started:.1f} s): {reason[-400:]}"
        else:
            line = f"ok   {name} ({time.monotonic() - started:.1f} s)"
        print(line, flush=True)
        self.report.append(line)

    def pay(self, key: str, amount: str = "10.00") -> Payment:
        result = self.fed.A.manage(
            "cc", "pay", "--from", "alice", "--to", "B/bob", "--amount", amount,
            "--key", key, "--json", check=False, timeout=90,
        )  # fmt: skip
        answer = last_json(result.stdout)
        self.log(f"pay {key}: exit {result.returncode}, answer {answer}")
        if result.returncode == 2:
            raise Failed(f"`cc pay` refused its input: {result.stderr.strip()[-300:]}")
        return Payment(key, answer, result.returncode)

    def recover(self, rounds: int = 4) -> None:
        """`cc recover` on every node until no node has an unresolved transaction."""
        for round_ in range(1, rounds + 1):
            results = parallel(lambda node: node.manage("cc", "recover", "--json"), self.fed.nodes)
            answers = {
                n.name: last_json(r.stdout) or {}
                for n, r in zip(self.fed.nodes, results, strict=True)
            }
            self.log(f"recover (round {round_}): {answers}")
            unresolved = sum(int(a.get("unresolved", 0)) for a in answers.values())
            if unresolved == 0:
                return
            time.sleep(min(1.0, remaining(1.0)))
        raise Failed(f"After {rounds} rounds of `cc recover`, {unresolved} still unresolved.")

    def check(self, txid: str) -> bool:
        """The rule "completed on all three nodes or on none" from each node's state of
        `txid`; `cc check` and `ledger verify` pass on every node; the members' balances
        are those of the payments completed. True when the payment completed."""
        reports = self.fed.reports(txid)
        states = {}
        for name, report in reports.items():
            answer = last_json(report["status"]["out"]) or {}
            states[name] = str(answer.get("state") or "absent")
        self.log(f"state of {txid}: {states}")
        stuck = [name for name, state in states.items() if state in UNFINISHED]
        if stuck:
            raise Failed(f"Payment {txid} is unfinished on {', '.join(stuck)}: {states}.")
        done = [name for name, state in states.items() if state == "completed"]
        if done and len(done) != 3:
            raise Failed(f"Payment {txid} is completed on {', '.join(done)} only: {states}.")
        completed = len(done) == 3
        for name, report in reports.items():
            check = report["check"]
            answer = last_json(check["out"]) or {}
            if check["code"] != 0 or not answer.get("ok"):
                raise Failed(f"`cc check` on {name} found problems: {answer or check['err']}")
            if report["verify"]["code"] != 0:
                raise Failed(f"`ledger verify` on {name} failed: {report['verify']['err']}")
        balances = {name: report["balances"] for name, report in reports.items()}
        self.log(f"balances {balances}")
        count = self.completed + int(completed)
        alice, bob = balances["A"]["alice"], balances["B"]["bob"]
        if alice != -1000 * count:
            raise Failed(
                f"alice's balance on A is {alice}, not -1000 for each of the {count} "
                "completed payments."
            )
        if bob != BOB_PER_PAYMENT * count:
            raise Failed(
                f"bob's balance on B is {bob}, not {BOB_PER_PAYMENT} for each of the {count} "
                f"completed payments (rates A→T {RATES['A']}, B→T {RATES['B']})."
            )
        if balances["A"].get("carol") or balances["B"].get("dave"):
            raise Failed("A member outside the payments has a balance.")
        self.completed = count
        return completed

    def settle(self, payment: Payment, what: str) -> None:
        """After a fault: recover everywhere, retry with the same key, check everything."""
        self.recover()
        first = self.pay(payment.key)
        second = self.pay(payment.key)
        if first.answer is None or not first.answer.get("txid"):
            raise Failed(f"{what}: the retry with key {payment.key} gave no transaction id.")
        if (first.code, first.answer) != (second.code, second.answer):
            raise Failed(f"{what}: two retries with one key differ: {first} / {second}.")
        original = payment.answer or {}
        if original.get("txid") and original["txid"] != first.answer["txid"]:
            raise Failed(f"{what}: the retry names another transaction than the first answer.")
        if original.get("state") in FINAL and original != first.answer:
            raise Failed(
                f"{what}: the retry answers {first.answer}, the first answer was {original}."
            )
        if (first.answer.get("state") == "completed") != (first.code == 0):
            raise Failed(f"{what}: `cc pay` exit {first.code} does not match its answer.")
        completed = self.check(first.answer["txid"])
        if completed != (first.answer.get("state") == "completed"):
            raise Failed(f"{what}: the retry says {first.answer['state']!r}, the nodes disagree.")
        self.log(f"{what}: {'completed on all three' if completed else 'completed on none'}")

    # --- steps ---

    def profiles(self) -> None:
        try:
            module = importlib.import_module("bench.federation_profiles")
        except ModuleNotFoundError as exc:
            raise Failed(f"bench.federation_profiles cannot be imported ({exc}).") from None
        module.run(self.fed.T, self.fed.A, self.fed.B, self.log)

    def payment(self) -> None:
        payment = self.pay("fed-pay-1")
        answer = payment.answer or {}
        if payment.code != 0 or answer.get("state") != "completed":
            raise Failed(f"alice@A paying B/bob 10.00 did not complete: {answer}.")
        if answer.get("amount_minor") != 1000:
            raise Failed(f"The answer's amount_minor is {answer.get('amount_minor')}, not 1000.")
        again = self.pay("fed-pay-1")
        if (again.code, again.answer) != (payment.code, payment.answer):
            raise Failed(f"A retry with the same key answered {again.answer}, not {answer}.")
        if not self.check(answer["txid"]):
            raise Failed("The payment is not completed on any node.")
        self.log(f"10.00 ACR from alice@A reached bob@B as {BOB_PER_PAYMENT / 100:.2f} BCR")

    def fault_a_after_validation(self) -> None:
        A = self.fed.A
        A.restart("cc.validated")
        try:
            payment = self.pay("fed-fault-1")
            if payment.code != -signal.SIGKILL:
                raise Failed(
                    f"`cc pay` on A with the fault cc.validated exited {payment.code}, "
                    "it was to be killed."
                )
        finally:
            A.restart("")
        self.settle(payment, "A killed after validation")

    def fault_t_after_downstream_commit(self) -> None:
        T = self.fed.T
        T.restart("cc.downstream_committed")
        try:
            payment = self.pay("fed-fault-2")
            # The fault kills a T worker: the instance as a whole goes down and comes back.
            if payment.code == 0:
                raise Failed(
                    "The payment completed at once: the fault cc.downstream_committed on T "
                    "did not fire."
                )
        finally:
            T.restart("")
        self.settle(payment, "T killed after B committed")

    def fault_b_unreachable(self) -> None:
        B = self.fed.B
        B.kill()
        try:
            payment = self.pay("fed-fault-3")
            if payment.code == 0:
                raise Failed("A payment to B completed while B was down.")
        finally:
            B.start("")
        self.settle(payment, "B unreachable during the relay")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=240, help="seconds for the run")
    parser.add_argument("--keep", action="store_true", help="leave the servers running")
    parser.add_argument(
        "--lock-wait", type=float, default=900, help="seconds to wait for another run to end"
    )
    args = parser.parse_args(argv)
    try:
        with exclusive(args.lock_wait):
            return _main(args)
    except Failed as exc:
        print(f"federation test: {exc}", file=sys.stderr)
        return 1


def _main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    _deadline[0] = started + args.time_limit

    def out_of_time(_signum: int, _frame: Any) -> None:
        raise Failed(f"The run went past its time limit of {args.time_limit:.0f} s.")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(args.time_limit) + 5)
    fed = Federation()
    run = Run(fed)
    try:
        with run.step("start three instances (T, A, B): databases, seed, gunicorn"):
            fed.prepare()
            fed.start()
            run.log(", ".join(f"{n.name} {n.url}" for n in fed.nodes))
        if run.failures == 0:
            with run.step("link A and B to the trunk T (cc link add on both sides)"):
                fed.link()
            with run.step("a. profiles: A's organisations in T's index, aggregated by B"):
                run.profiles()
            steps = [
                ("b. alice@A pays B/bob 10.00: completed on all three", run.payment),
                ("c1. SIGKILL of A after validation, restart, recover", run.fault_a_after_validation),
                ("c2. SIGKILL of T after B committed, restart, recover", run.fault_t_after_downstream_commit),
                ("c3. B unreachable during the relay, restart, recover", run.fault_b_unreachable),
            ]  # fmt: skip
            for name, action in steps:
                with run.step(name):
                    action()
    except Failed as exc:  # the time limit, outside a step
        run.failures += 1
        run.report.append(f"FAIL {exc}")
    finally:
        signal.alarm(0)
        if args.keep:
            _running.clear()  # leave them to the caller (kill them by their pids)
        else:
            fed.teardown()
    total = time.monotonic() - started
    print("\nFederation test report")
    for line in run.report:
        print(f"  {line}")
    verdict = "passed" if run.failures == 0 else f"FAILED ({run.failures} step(s))"
    print(f"  {verdict} in {total:.0f} s; logs in {WORK.relative_to(ROOT)}/")
    return 0 if run.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
