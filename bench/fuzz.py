"""`make fuzz`: the REST API under a schema fuzzer (schemathesis).

Creates a fresh PostgreSQL database (default `solidaria_fuzz`), migrates it, loads the
demo network (`solidaria demo --no-serve`), issues an API token to the demo steward and
one to a demo member, starts the server on loopback and runs schemathesis over
/api/openapi.json with each token: the examples, coverage and fuzzing phases, checking
`not_a_server_error` and `response_schema_conformance`. Fails (exit 1) on any server
error or response-schema violation. Bounded: `--max-examples` cases per operation and
phase and `--max-time` seconds per token.

    python -m bench.fuzz [--max-examples 20] [--max-time 150] [--db solidaria_fuzz]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = os.environ.get("FUZZ_PG", "postgres://postgres@127.0.0.1:5432")
RESULTS = ROOT / "bench" / "results"
# Reports and the server's log (not committed).
WORK = ROOT / "var" / "fuzz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], env: dict[str, str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, check=True, text=True, cwd=ROOT, **kw)  # type: ignore[call-overload, no-any-return]


def _fresh_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


ISSUE_TOKENS = """
from solidaria.accounts.models import ApiToken, User
from solidaria.core.demo import MEMBERS, STEWARD
out = {}
for role, username in (("steward", STEWARD), ("member", MEMBERS[0])):
    _t, raw = ApiToken.issue(user=User.objects.get(username=username), name="fuzz")
    out[role] = raw
import json; print("TOKENS=" + json.dumps(out))
"""


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"fuzz: the server did not answer {url} in {seconds:.0f} s")


def _write_note(rows: list[tuple[str, int, int, int, float]], args: argparse.Namespace) -> None:
    """bench/results/fuzz.md: the cases run and the failures found, per token."""
    if args.include_path_regex or args.only:
        return
    lines = [
        "# make fuzz: the API under schemathesis",
        "",
        f"PostgreSQL, demo network; phases examples, coverage, fuzzing; checks "
        f"not_a_server_error and response_schema_conformance; --max-examples "
        f"{args.max_examples}, --max-time {args.max_time} s per token, seed {args.seed}.",
        "",
        "| token | cases | failures | exit | seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for role, cases, failures, code, seconds in rows:
        lines.append(f"| {role} | {cases} | {failures} | {code} | {seconds:.0f} |")
    (RESULTS / "fuzz.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="solidaria_fuzz")
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--max-time", type=int, default=150, help="seconds per token")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", choices=["steward", "member"], default=None)
    parser.add_argument("--include-path-regex", default=None)
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env["DATABASE_URL"] = f"{PG}/{args.db}"
    solidaria = str(BIN / "solidaria")
    WORK.mkdir(parents=True, exist_ok=True)

    print(f"fuzz: fresh database {args.db}", flush=True)
    _fresh_database(args.db)
    _run([solidaria, "migrate", "--noinput", "-v", "0"], env)
    print("fuzz: loading the demo network", flush=True)
    _run([solidaria, "demo", "--no-serve"], env, stdout=subprocess.DEVNULL)
    shell = _run([solidaria, "shell", "-c", ISSUE_TOKENS], env, capture_output=True)
    line = next(x for x in shell.stdout.splitlines() if x.startswith("TOKENS="))
    tokens: dict[str, str] = json.loads(line.removeprefix("TOKENS="))

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [solidaria, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(WORK / "server.log", "w"),  # noqa: SIM115
    )
    summary: list[str] = []
    rows: list[tuple[str, int, int, int, float]] = []
    status = 0
    try:
        _wait(f"{base}/api/openapi.json")
        for role, token in tokens.items():
            if args.only and role != args.only:
                continue
            report = WORK / f"{role}.junit.xml"
            cmd = [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/api/openapi.json",
                "--phases",
                "examples,coverage,fuzzing",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "-H",
                f"Authorization: Bearer {token}",
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(args.max_time),
                "--seed",
                str(args.seed),
                "--workers",
                "1",
                "--no-color",
                "--continue-on-failure",
                "--suppress-health-check",
                "all",
                "--warnings",
                "off",
                "--report",
                "junit",
                "--report-junit-path",
                str(report),
            ]
            if args.include_path_regex:
                cmd += ["--include-path-regex", args.include_path_regex]
            print(f"fuzz: schemathesis with the {role} token", flush=True)
            started = time.monotonic()
            run = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE)  # noqa: S603
            assert run.stdout is not None
            output = []
            for out_line in run.stdout:
                print(out_line, end="", flush=True)
                output.append(out_line)
            code = run.wait()
            text = "".join(output)
            cases = re.search(r"(\d+) generated", text)
            failures = len(re.findall(r"^\s*\d+\. Test Case ID", text, re.M))
            rows.append(
                (
                    role,
                    int(cases.group(1)) if cases else 0,
                    failures,
                    code,
                    time.monotonic() - started,
                )
            )
            summary.append(f"{role}: exit {code}")
            if code != 0:
                status = 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    _write_note(rows, args)
    print("fuzz: " + "; ".join(summary) + (" — FAILED" if status else " — ok"))
    return status


if __name__ == "__main__":
    sys.exit(main())
