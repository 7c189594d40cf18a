"""Each request kind of `make load` alone: one client, no concurrency, in-process.

Runs against the database `python -m bench.load --prepare-only` made (DATABASE_URL, e.g.
postgres://postgres@127.0.0.1:5432/solidaria_load) with Django's test client, and prints
per kind the median and worst server time and the number of SQL queries (an N+1 shows as
a count that grows with the data). Payments and ballots write to that database.

    DATABASE_URL=.../solidaria_load python -m bench.load.profile [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["bakery", "housing", "energy", "food", "care", "bank", "farm", "coop", "water"]
BBOXES = ["-10,35,30,60", "-5,40,5,45", "2,41,3,42", "-180,-90,180,90", "10,45,12,47"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated kinds")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaria.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    people = json.loads((ROOT / "var" / "load" / "people.json").read_text())
    rng = random.Random(5)
    names = sorted(people["members"])
    client = Client(HTTP_HOST="127.0.0.1")

    def member() -> tuple[str, dict[str, Any]]:
        name = rng.choice(names)
        return name, people["members"][name]

    secrets: dict[str, str] = {}

    def kinds() -> dict[str, Any]:
        def search() -> Any:
            return client.get(f"/api/directory/organisations?q={rng.choice(WORDS)}")

        def page() -> Any:
            return client.get(f"/directory/?q={rng.choice(WORDS)}")

        def clusters() -> Any:
            bbox, zoom = rng.choice(BBOXES), rng.randint(2, 12)
            return client.get(f"/api/directory/clusters?bbox={bbox}&zoom={zoom}")

        def clusters_uncached() -> Any:
            with override_settings(SOLIDARIA_MAP_CACHE_SECONDS=0):
                return clusters()

        def organisation() -> Any:
            org = rng.randint(people["org_min"], people["org_max"])
            return client.get(f"/directory/organisations/{org}/")

        def statement() -> Any:
            _, me = member()
            return client.get(
                f"/api/ledger/accounts/{me['account']}/statement",
                HTTP_AUTHORIZATION=f"Bearer {me['token']}",
            )

        def payment() -> Any:
            name, me = member()
            other = rng.choice([n for n in names if n != name])
            return client.post(
                "/api/ledger/transfers",
                data={
                    "payer": me["account"],
                    "payee_username": other,
                    "amount_minor": rng.randint(1, 20),
                    "memo": "load test",
                },
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {me['token']}",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )

        def ballot() -> Any:
            name, me = member()
            response = client.post(
                f"/api/budgeting/processes/{people['process']}/ballot",
                data={
                    "projects": rng.sample(people["projects"], 1),
                    "secret": secrets.get(name, ""),
                },
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {me['token']}",
            )
            if response.status_code == 200:
                secrets[name] = response.json().get("secret") or secrets.get(name, "")
            return response

        return {
            "directory search": search,
            "directory page": page,
            "map clusters": clusters,
            "map clusters, cache off": clusters_uncached,
            "organisation page": organisation,
            "statement": statement,
            "payment": payment,
            "ballot": ballot,
        }

    wanted = [k.strip() for k in args.only.split(",") if k.strip()]
    print(f"{'kind':20} {'p50 ms':>8} {'max ms':>8} {'queries':>12}  statuses")
    for kind, call in kinds().items():
        if wanted and kind not in wanted:
            continue
        call()  # warm-up: imports, caches
        times, counts, statuses = [], [], []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = call()
                times.append((time.perf_counter() - started) * 1000)
            counts.append(len(ctx.captured_queries))
            statuses.append(response.status_code)
        print(
            f"{kind:20} {statistics.median(times):8.1f} {max(times):8.1f} "
            f"{min(counts):>5}-{max(counts):<6}  {sorted(set(statuses))}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
